package cuda

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// posOn returns an I32 position array holding p on dev.
func posOn(tb testing.TB, dev core.Device, p int) *core.Array {
	tb.Helper()
	a := hostArray(tb, core.I32, core.Shape{1}, []float64{float64(p)})
	g, err := a.To(dev)
	require.NoError(tb, err)
	return g
}

// setPos writes p into a position array on its device, in place.
func setPos(tb testing.TB, pos *core.Array, p int) {
	tb.Helper()
	b := binary.LittleEndian.AppendUint32(nil, uint32(int32(p)))
	require.NoError(tb, pos.Device().CopyFromHost(pos.Storage(), pos.Offset()*4, b))
}

// write_rows and cached_attention on the GPU against core's CPU kernels,
// every float dtype, decode (one query) and prefill shapes, grouped
// heads, head sizes past a block, the first and the last cache row.
func TestCacheOpsParity(t *testing.T) {
	dev := gpu(t)
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(11, 12))
	for _, dt := range []core.DType{core.F32, core.F64, core.F16, core.BF16} {
		for _, c := range []struct{ capRows, hq, hkv, d, tq, p int }{
			{1, 1, 1, 1, 1, 0}, {7, 4, 2, 5, 1, 6}, {40, 8, 2, 64, 3, 10}, {1100, 2, 1, 130, 1, 1099}, {33, 6, 3, 16, 33, 0},
		} {
			kv := func() ([]float64, *core.Array) {
				v := random(r, c.capRows*c.hkv*c.d, -1, 1, false)
				return v, hostArray(t, dt, core.Shape{c.capRows, c.hkv, c.d}, v)
			}
			_, kh := kv()
			_, vh := kv()
			qh := hostArray(t, dt, core.Shape{c.tq, c.hq, c.d}, random(r, c.tq*c.hq*c.d, -1, 1, false))
			ph := hostArray(t, core.I32, core.Shape{1}, []float64{float64(c.p)})
			kg, err := kh.To(dev)
			require.NoError(t, err)
			vg, err := vh.To(dev)
			require.NoError(t, err)
			qg, err := qh.To(dev)
			require.NoError(t, err)
			pg := posOn(t, dev, c.p)
			what := func(op string) string { return op + " " + dt.String() }

			got := runOn(t, dev, "cached_attention", dt, qh.Shape(), nil, 0.3, qg, kg, vg, pg)
			want := cpuRef(t, "cached_attention", []*core.Array{qh, kh, vh, ph}, dt, qh.Shape(), nil, 0.3)
			near(t, dt, want, got, 1, what("cached_attention"))
			// A sliding window shorter than the rows in use and a soft cap
			// (scores scaled up so it bites), both kernels' paths.
			for _, ap := range []core.AttentionParams{{Scale: 0.9, Window: 3, SoftCap: 0.5}, {Scale: 0.9, Window: 1}} {
				ga, err := core.CachedAttentionOp(qg, kg, vg, pg, ap)
				require.NoError(t, err)
				wa, err := core.CachedAttentionOp(qh, kh, vh, ph, ap)
				require.NoError(t, err)
				near(t, dt, values(t, wa), values(t, ga), 1, what(fmt.Sprintf("cached_attention %+v", ap)))
			}

			// write_rows: the new rows land at p, every other row is kept.
			if c.p+c.tq > c.capRows {
				continue
			}
			src := hostArray(t, dt, core.Shape{c.tq, c.hkv, c.d}, random(r, c.tq*c.hkv*c.d, -1, 1, false))
			sg, err := src.To(dev)
			require.NoError(t, err)
			require.NoError(t, core.WriteRowsOp(kg, sg, pg))
			require.NoError(t, core.WriteRowsOp(kh, src, ph))
			assert.Equal(t, values(t, kh), values(t, kg), what("write_rows"))
		}
	}
	assert.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
}

// A graph recorded on the GPU (one CUDA graph) replays a step at new
// positions and inputs: each replay equals the same ops run on the CPU.
func TestGraphReplayMatchesCPU(t *testing.T) {
	dev := gpu(t)
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(13, 14))
	const capRows, hq, hkv, d = 16, 4, 2, 32
	type state struct{ kc, vc, x, w, pos *core.Array }
	mk := func(on core.Device, x, w []float64) state {
		get := func(a *core.Array) *core.Array {
			m, err := a.To(on)
			require.NoError(t, err)
			return m
		}
		zero := make([]float64, capRows*hkv*d)
		return state{
			kc:  get(hostArray(t, core.F32, core.Shape{capRows, hkv, d}, zero)),
			vc:  get(hostArray(t, core.F32, core.Shape{capRows, hkv, d}, zero)),
			x:   get(hostArray(t, core.F32, core.Shape{1, hq, d}, x)),
			w:   get(hostArray(t, core.F32, core.Shape{d}, w)),
			pos: get(hostArray(t, core.I32, core.Shape{1}, []float64{0})),
		}
	}
	step := func(s state) (*core.Array, error) {
		n, err := core.RMSNormOp(s.x, s.w, 1e-5)
		if err != nil {
			return nil, err
		}
		kv, err := n.Slice(1, 0, hkv, 1) // a strided view: recorded as a copy
		if err != nil {
			return nil, err
		}
		if err := core.WriteRowsOp(s.kc, kv, s.pos); err != nil {
			return nil, err
		}
		if err := core.WriteRowsOp(s.vc, kv, s.pos); err != nil {
			return nil, err
		}
		a, err := core.CachedAttentionOp(n, s.kc, s.vc, s.pos, core.AttentionParams{Scale: 0.25})
		if err != nil {
			return nil, err
		}
		return core.BinaryOp("add", a, s.x)
	}
	x0, w := random(r, hq*d, -1, 1, false), random(r, d, 0.5, 1.5, false)
	gs, cs := mk(dev, x0, w), mk(core.CPU(), x0, w)
	var out *core.Array
	g, err := core.Record(dev, func() error {
		var err error
		out, err = step(gs)
		return err
	})
	require.NoError(t, err)
	defer func() { require.NoError(t, g.Close()) }()
	t.Logf("%v", g)
	want, err := step(cs)
	require.NoError(t, err)
	near(t, core.F32, values(t, want), values(t, out), 1, "recording")
	for p := 1; p < capRows; p++ {
		x := random(r, hq*d, -1, 1, false)
		require.NoError(t, dev.CopyFromHost(gs.x.Storage(), 0, encode(core.F32, x)))
		copy(cs.x.Storage().(*core.Heap).Bytes(), encode(core.F32, x))
		setPos(t, gs.pos, p)
		setPos(t, cs.pos, p)
		require.NoError(t, g.Replay())
		want, err := step(cs)
		require.NoError(t, err)
		near(t, core.F32, values(t, want), values(t, out), 1, "replay")
	}
	near(t, core.F32, values(t, cs.kc), values(t, gs.kc), 1, "cache")
	assert.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
}

// Host transfers inside a recording fail it (a replay could not repeat
// them) and leave the device usable.
func TestGraphRefusesHostTransfers(t *testing.T) {
	dev := gpu(t)
	x, err := hostArray(t, core.F32, core.Shape{3}, []float64{1, 2, 3}).To(dev)
	require.NoError(t, err)
	_, err = core.Record(dev, func() error {
		y, err := core.UnaryOp("neg", x)
		if err != nil {
			return err
		}
		_, err = y.Bytes()
		return err
	})
	require.ErrorIs(t, err, errCapturing)
	y, err := core.UnaryOp("neg", x)
	require.NoError(t, err)
	assert.Equal(t, []float64{-1, -2, -3}, values(t, y))
}
