package core

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rawBytes(t *testing.T, a *Array) []byte {
	t.Helper()
	b, err := a.Bytes()
	require.NoError(t, err)
	return b
}

func i32Array(t *testing.T, v []int32, shape ...int) *Array {
	t.Helper()
	a, err := FromSlice(v, shape...)
	require.NoError(t, err)
	return a.Array()
}

// pagedCase is a paged cache of nb blocks of bs positions with random
// keys and values, b rows over it with their tables and positions (one
// a padding row), and queries.
type pagedCase struct {
	nb, bs, hq, hkv, d, m int
	q, k, v               *Array
	table                 []int32 // [b, m]
	pos                   []int32
}

func newPagedCase(t *testing.T, r *rand.Rand, dt DType, d int) *pagedCase {
	t.Helper()
	c := &pagedCase{nb: 9, bs: 4, hq: 4, hkv: 2, d: d, m: 3}
	// Rows at the first position, the last of a block, the first of the
	// next, the table's last, and a padding row.
	c.pos = []int32{0, 3, 4, 11, -1, 6}
	b := len(c.pos)
	// Each row owns blocks of a shuffled list; rows share none.
	perm := r.Perm(c.nb)
	c.table = make([]int32, b*c.m)
	for i := range c.table {
		c.table[i] = int32(perm[i%c.nb])
	}
	mk := func(shape ...int) *Array {
		n := 1
		for _, s := range shape {
			n *= s
		}
		a, err := FromSlice(randValues[float32](r, n, -1, 1), shape...)
		require.NoError(t, err)
		x, err := CastOp(a.Array(), dt)
		require.NoError(t, err)
		return x
	}
	c.q, c.k, c.v = mk(b, c.hq, d), mk(c.nb, c.bs, c.hkv, d), mk(c.nb, c.bs, c.hkv, d)
	return c
}

// contiguous returns row b's sequence as a contiguous cache [m*bs, hkv,
// d] of x (k or v): its blocks in table order.
func (c *pagedCase) contiguous(t *testing.T, x *Array, b int) *Array {
	t.Helper()
	idx := make([]int32, 0, c.m*c.bs)
	for e := range c.m {
		for o := range c.bs {
			idx = append(idx, c.table[b*c.m+e]*int32(c.bs)+int32(o))
		}
	}
	flat, err := x.Reshape(c.nb*c.bs, c.hkv, c.d)
	require.NoError(t, err)
	g, err := GatherOp(flat, 0, i32Array(t, idx, len(idx)))
	require.NoError(t, err)
	return g
}

// paged_attention of each row equals cached_attention of that row's
// query over its sequence laid out contiguously, to the bit on the CPU,
// in every float dtype, with grouped heads, windows and soft caps, head
// sizes with and without a vector tail; a padding row gives zeros.
func TestPagedAttentionEqualsCached(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, dt := range []DType{F32, F64, F16, BF16} {
		for _, d := range []int{8, 5} {
			c := newPagedCase(t, r, dt, d)
			for _, ap := range []AttentionParams{{Scale: 0.35}, {Scale: 0.5, Window: 3}, {Scale: 0.4, SoftCap: 1.5}} {
				what := fmt.Sprintf("%v d=%d %+v", dt, d, ap)
				got, err := PagedAttentionOp(c.q, c.k, c.v, i32Array(t, c.table, len(c.pos), c.m), i32Array(t, c.pos, len(c.pos)), ap)
				require.NoError(t, err, what)
				for b, p := range c.pos {
					gr, err := got.Slice(0, b, b+1, 1)
					require.NoError(t, err)
					if p < 0 {
						assert.Equal(t, make([]byte, c.hq*d*dt.Size()), rawBytes(t, gr), "%s: padding row %d", what, b)
						continue
					}
					qr, err := c.q.Slice(0, b, b+1, 1)
					require.NoError(t, err)
					want, err := CachedAttentionOp(qr, c.contiguous(t, c.k, b), c.contiguous(t, c.v, b), posArray(t, int(p)), ap)
					require.NoError(t, err)
					assert.Equal(t, rawBytes(t, want), rawBytes(t, gr), "%s: row %d at %d", what, b, p)
				}
			}
		}
	}
}

func TestScatterRows(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	dstv := randValues[float32](r, 6*2*3, -1, 1)
	dst, err := FromSlice(append([]float32(nil), dstv...), 6, 2, 3)
	require.NoError(t, err)
	srcv := randValues[float32](r, 4*2*3, -1, 1)
	src, err := FromSlice(srcv, 4, 2, 3)
	require.NoError(t, err)
	require.NoError(t, ScatterRowsOp(dst.Array(), src.Array(), i32Array(t, []int32{5, -1, 0, 2}, 4)))
	copy(dstv[5*6:], srcv[0:6])
	copy(dstv[0:], srcv[12:18])
	copy(dstv[2*6:], srcv[18:24])
	got, err := dst.Values()
	require.NoError(t, err)
	assert.Equal(t, dstv, got)
	// A strided source is gathered first.
	perm, err := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 1, 3, 2)
	require.NoError(t, err)
	pv, err := perm.Array().Permute(0, 2, 1)
	require.NoError(t, err)
	require.NoError(t, ScatterRowsOp(dst.Array(), pv, i32Array(t, []int32{3}, 1)))
	copy(dstv[18:], []float32{1, 3, 5, 2, 4, 6})
	got, err = dst.Values()
	require.NoError(t, err)
	assert.Equal(t, dstv, got)

	for _, c := range []struct {
		src, idx *Array
		msg      string
	}{
		{src.Array(), i32Array(t, []int32{0, 1, 6, 2}, 4), "names row 6"},
		{src.Array(), i32Array(t, []int32{0, 1}, 2), "must be I32 [4]"},
		{perm.Array(), i32Array(t, []int32{0}, 1), "does not match"},
	} {
		require.ErrorContains(t, ScatterRowsOp(dst.Array(), c.src, c.idx), c.msg)
	}
	require.Equal(t, dstv, got, "a failed call writes nothing")
}

func TestPagedAttentionErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	c := newPagedCase(t, r, F32, 8)
	b := len(c.pos)
	tab, pos := i32Array(t, c.table, b, c.m), i32Array(t, c.pos, b)
	ap := AttentionParams{Scale: 0.3}
	bad := append([]int32(nil), c.table...)
	bad[c.m] = int32(c.nb) // row 1's first block
	past := append([]int32(nil), c.pos...)
	past[2] = int32(c.m * c.bs)
	f64, err := CastOp(c.q, F64)
	require.NoError(t, err)
	for _, e := range []struct {
		q, tab, pos *Array
		ap          AttentionParams
		msg         string
	}{
		{c.q, i32Array(t, bad, b, c.m), pos, ap, "outside the cache's 9 blocks"},
		{c.q, tab, i32Array(t, past, b), ap, "past the 12 positions"},
		{c.q, tab, i32Array(t, c.pos[:2], 2), ap, "positions must be I32"},
		{c.q, i32Array(t, c.table[:c.m], 1, c.m), pos, ap, "block table must be I32"},
		{f64, tab, pos, ap, "dtype"},
		{c.q, tab, pos, AttentionParams{Scale: 0.3, Window: -1}, "window"},
	} {
		_, err := PagedAttentionOp(e.q, c.k, c.v, e.tab, e.pos, e.ap)
		require.ErrorContains(t, err, e.msg)
	}
	_, err = PagedAttentionOp(c.q, c.q, c.v, tab, pos, ap)
	require.ErrorContains(t, err, "blocks [NB, BS, H, D]")
}

// On a device without their kernels, scatter_rows and paged_attention run
// as copies, gathers and causal attention on that device (no CPU
// fallback) and equal the CPU's results.
func TestDecomposedPagedOps(t *testing.T) {
	dev := &partialDevice{fakeDevice: fakeDevice{name: "partial"}, ran: map[string]int{}}
	r := rand.New(rand.NewPCG(37, 38))
	to := func(a *Array) *Array {
		d, err := a.To(dev)
		require.NoError(t, err)
		return d
	}
	c := newPagedCase(t, r, F32, 8)
	b := len(c.pos)
	tab, pos := i32Array(t, c.table, b, c.m), i32Array(t, c.pos, b)
	before := Fallbacks()
	kd := to(c.k)
	rows := randValues[float32](r, b*c.hkv*c.d, -1, 1)
	src, err := FromSlice(rows, b, c.hkv, c.d)
	require.NoError(t, err)
	idx := i32Array(t, []int32{3, -1, 7, 35, 0, -1}, b)
	flat, err := c.k.Reshape(c.nb*c.bs, c.hkv, c.d)
	require.NoError(t, err)
	fd, err := kd.Reshape(c.nb*c.bs, c.hkv, c.d)
	require.NoError(t, err)
	require.NoError(t, ScatterRowsOp(flat, src.Array(), idx))
	require.NoError(t, ScatterRowsOp(fd, to(src.Array()), to(idx)))
	assert.Equal(t, arrayF32(t, c.k), arrayF32(t, kd), "scatter_rows decomposed")
	ap := AttentionParams{Scale: 0.4, Window: 5, SoftCap: 2}
	want, err := PagedAttentionOp(c.q, c.k, c.v, tab, pos, ap)
	require.NoError(t, err)
	got, err := PagedAttentionOp(to(c.q), kd, to(c.v), to(tab), to(pos), ap)
	require.NoError(t, err)
	assert.Equal(t, arrayF32(t, want), arrayF32(t, got), "paged_attention decomposed")
	assert.Equal(t, before, Fallbacks(), "nothing ran on the CPU on the device's behalf")
	for _, op := range []string{"copy", "gather", "causal_attention"} {
		assert.Positive(t, dev.ran[op], op)
	}
	bad := append([]int32(nil), c.table...)
	bad[0] = -2
	_, err = PagedAttentionOp(to(c.q), kd, to(c.v), to(i32Array(t, bad, b, c.m)), to(pos), ap)
	require.ErrorContains(t, err, "outside the cache's")
}
