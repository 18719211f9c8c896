package core

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func posArray(t *testing.T, p int) *Array {
	t.Helper()
	a, err := FromSlice([]int32{int32(p)}, 1)
	require.NoError(t, err)
	return a.Array()
}

// setPos writes a new position into pos in place, as a caller does
// between replays of a recorded step.
func setPos(t *testing.T, pos *Array, p int) {
	t.Helper()
	b := pos.storage.(HostStorage).Bytes()
	b[0], b[1], b[2], b[3] = byte(p), byte(p>>8), byte(p>>16), byte(p>>24)
}

func TestWriteRows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	dstv := randValues[float32](r, 5*2*3, -1, 1)
	dst, err := FromSlice(append([]float32(nil), dstv...), 5, 2, 3)
	require.NoError(t, err)
	srcv := randValues[float32](r, 2*2*3, -1, 1)
	src, err := FromSlice(srcv, 2, 2, 3)
	require.NoError(t, err)
	for _, p := range []int{0, 3, 1} {
		require.NoError(t, WriteRowsOp(dst.Array(), src.Array(), posArray(t, p)))
		copy(dstv[p*6:], srcv)
		got, err := dst.Values()
		require.NoError(t, err)
		assert.Equal(t, dstv, got, "position %d", p)
	}
	// A strided source is gathered first; one empty row writes nothing.
	perm, err := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 1, 3, 2)
	require.NoError(t, err)
	pv, err := perm.Array().Permute(0, 2, 1)
	require.NoError(t, err)
	require.NoError(t, WriteRowsOp(dst.Array(), pv, posArray(t, 4)))
	copy(dstv[24:], []float32{1, 3, 5, 2, 4, 6})
	got, err := dst.Values()
	require.NoError(t, err)
	assert.Equal(t, dstv, got)
	empty, err := Empty(CPU(), F32, Shape{0, 2, 3})
	require.NoError(t, err)
	require.NoError(t, WriteRowsOp(dst.Array(), empty, posArray(t, 5)))

	for _, c := range []struct {
		src *Array
		pos *Array
		msg string
	}{
		{src.Array(), posArray(t, 4), "outside"},
		{src.Array(), posArray(t, -1), "outside"},
		{perm.Array(), posArray(t, 0), "does not fit"},
		{src.Array(), src.Array(), "one I32 element"},
	} {
		err := WriteRowsOp(dst.Array(), c.src, c.pos)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.msg)
	}
	f64, err := Empty(CPU(), F64, Shape{1, 2, 3})
	require.NoError(t, err)
	assert.Error(t, WriteRowsOp(dst.Array(), f64, posArray(t, 0)))
}

// cached_attention at position p over a cache equals causal_attention
// over the cache's first p+Tq rows, in every float dtype, with grouped
// heads, one query (decode) and several (prefill).
func TestCachedAttentionEqualsCausal(t *testing.T) {
	t.Run("f32", testCachedAttention[float32])
	t.Run("f64", testCachedAttention[float64])
	t.Run("f16", testCachedAttention[Float16])
	t.Run("bf16", testCachedAttention[BFloat16])
}

func testCachedAttention[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const c, hq, hkv, d = 9, 4, 2, 5
	k := randValues[T](r, c*hkv*d, -1, 1)
	v := randValues[T](r, c*hkv*d, -1, 1)
	kt, err := FromSlice(k, c, hkv, d)
	require.NoError(t, err)
	vt, err := FromSlice(v, c, hkv, d)
	require.NoError(t, err)
	for _, tc := range []struct{ p, tq int }{{0, 1}, {4, 1}, {8, 1}, {0, 9}, {3, 4}, {5, 0}} {
		qv := randValues[T](r, tc.tq*hq*d, -1, 1)
		q, err := FromSlice(qv, tc.tq, hq, d)
		require.NoError(t, err)
		ks, err := kt.Array().Slice(0, 0, tc.p+tc.tq, 1)
		require.NoError(t, err)
		vs, err := vt.Array().Slice(0, 0, tc.p+tc.tq, 1)
		require.NoError(t, err)
		// Windows shorter than, equal to and longer than the rows in use,
		// with and without a soft cap (scores scaled up so the cap bites).
		for _, ap := range []AttentionParams{
			{Scale: 0.7},
			{Scale: 2.1, Window: 1},
			{Scale: 2.1, Window: 3, SoftCap: 0.5},
			{Scale: 2.1, Window: max(1, tc.p+tc.tq)},
			{Scale: 2.1, Window: 50},
			{Scale: 2.1, SoftCap: 2},
		} {
			got, err := CachedAttentionOp(q.Array(), kt.Array(), vt.Array(), posArray(t, tc.p), ap)
			require.NoError(t, err)
			want, err := AttentionOp(q.Array(), ks, vs, ap)
			require.NoError(t, err)
			gt, err := As[T](got)
			require.NoError(t, err)
			wt, err := As[T](want)
			require.NoError(t, err)
			assert.Equal(t, valuesF64(t, wt), valuesF64(t, gt), "p %d tq %d %+v", tc.p, tc.tq, ap)
			// and the float64 textbook formula over the same rows
			ref := refAttention(asF64(qv), asF64(k[:(tc.p+tc.tq)*hkv*d]), asF64(v[:(tc.p+tc.tq)*hkv*d]),
				Shape{tc.tq, hq, d}, Shape{tc.p + tc.tq, hkv, d}, ap)
			assertClose(t, ref, valuesF64(t, gt), 2*tolFor(DTypeOf[T]()), fmt.Sprintf("p %d tq %d %+v", tc.p, tc.tq, ap))
		}
	}
	q, err := FromSlice(randValues[T](r, 2*hq*d, -1, 1), 2, hq, d)
	require.NoError(t, err)
	_, err = CachedAttentionOp(q.Array(), kt.Array(), vt.Array(), posArray(t, 8), AttentionParams{Scale: 1})
	require.ErrorContains(t, err, "overrun")
	_, err = CachedAttentionOp(q.Array(), kt.Array(), vt.Array(), posArray(t, 0), AttentionParams{Scale: 1, Window: -1})
	require.ErrorContains(t, err, "window")
	_, err = CachedAttentionOp(q.Array(), kt.Array(), vt.Array(), posArray(t, 0), AttentionParams{Scale: 1, SoftCap: math.Inf(1)})
	require.ErrorContains(t, err, "soft cap")
}

// setF32 overwrites a host F32 array's values in place.
func setF32(t *testing.T, a *Array, v []float32) {
	t.Helper()
	b := a.storage.(HostStorage).Bytes()[a.offset*4:]
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[i*4:], math.Float32bits(x))
	}
}

// A graph recorded on the CPU replays the same ops on the same arrays:
// with new inputs and a new position written into its arrays, each replay
// equals running the op functions afresh on a second cache.
func TestGraphReplay(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const c, h, d = 6, 2, 4
	w, err := FromSlice(randValues[float32](r, d, 0.5, 1.5), d)
	require.NoError(t, err)
	type state struct{ kc, vc, x, pos *Array }
	newState := func() state {
		kc, err := Zeros[float32](c, h, d)
		require.NoError(t, err)
		vc, err := Zeros[float32](c, h, d)
		require.NoError(t, err)
		x, err := Zeros[float32](1, h, d)
		require.NoError(t, err)
		return state{kc.Array(), vc.Array(), x.Array(), posArray(t, 0)}
	}
	step := func(s state) (*Array, error) {
		n, err := RMSNormOp(s.x, w.Array(), 1e-5)
		if err != nil {
			return nil, err
		}
		if err := WriteRowsOp(s.kc, n, s.pos); err != nil {
			return nil, err
		}
		if err := WriteRowsOp(s.vc, s.x, s.pos); err != nil {
			return nil, err
		}
		return CachedAttentionOp(n, s.kc, s.vc, s.pos, AttentionParams{Scale: 0.5})
	}
	rec, ref := newState(), newState()
	x0 := randValues[float32](r, h*d, -1, 1)
	setF32(t, rec.x, x0)
	setF32(t, ref.x, x0)
	var out *Array
	g, err := Record(CPU(), func() error {
		var err error
		out, err = step(rec)
		return err
	})
	require.NoError(t, err)
	assert.Len(t, g.Ops(), 4)
	assert.Contains(t, g.String(), "rms_norm([1 2 4] F32, [4] F32) -> [1 2 4] F32 {eps=1e-05}")
	assert.Contains(t, g.String(), "cached_attention(")
	assert.Contains(t, g.String(), "{scale=0.5}")
	want, err := step(ref)
	require.NoError(t, err)
	assert.Equal(t, arrayF32(t, want), arrayF32(t, out), "recording computes the step")
	for p := 1; p < c; p++ {
		xv := randValues[float32](r, h*d, -1, 1)
		setF32(t, rec.x, xv)
		setF32(t, ref.x, xv)
		setPos(t, rec.pos, p)
		setPos(t, ref.pos, p)
		require.NoError(t, g.Replay())
		want, err := step(ref)
		require.NoError(t, err)
		assert.Equal(t, arrayF32(t, want), arrayF32(t, out), "position %d", p)
	}
	assert.Equal(t, arrayF32(t, ref.kc), arrayF32(t, rec.kc))
	// Past the cache, the replay fails and stays failed.
	setPos(t, rec.pos, c)
	require.ErrorContains(t, g.Replay(), "outside")
	require.Error(t, g.Replay())
	require.NoError(t, g.Close())
}

func TestRecordErrors(t *testing.T) {
	_, err := Record(nil, func() error { return nil })
	require.Error(t, err)
	_, err = Record(CPU(), func() error {
		_, err := Record(CPU(), func() error { return nil })
		return err
	})
	require.ErrorContains(t, err, "already recording")
	// A failed recording leaves the device free for the next.
	g, err := Record(CPU(), func() error { return nil })
	require.NoError(t, err)
	assert.Empty(t, g.Ops())
}

func arrayF32(t *testing.T, a *Array) []float32 {
	t.Helper()
	tt, err := As[float32](a)
	require.NoError(t, err)
	v, err := tt.Values()
	require.NoError(t, err)
	return v
}
