package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// paged_attention and scatter_rows on the GPU against core's CPU kernels:
// every float dtype, grouped heads, head sizes with a tail and past a
// block's threads, rows at the first position, a block's last and the
// next one's first, a padding row, windows and soft caps; a row whose
// table names a block outside the cache gives zeros, as documented; a
// recorded step (one CUDA graph) replays with new tables and positions.
func TestPagedOpsParity(t *testing.T) {
	dev := gpu(t)
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(21, 22))
	for _, dt := range []core.DType{core.F32, core.F64, core.F16, core.BF16} {
		for _, c := range []struct{ nb, bs, hq, hkv, d, m int }{
			{1, 1, 1, 1, 1, 1}, {9, 4, 4, 2, 5, 3}, {12, 16, 8, 2, 64, 6}, {5, 8, 2, 1, 130, 5},
		} {
			pos := []int{0, c.bs - 1, c.bs, c.m*c.bs - 1, -1}
			b := len(pos)
			table := make([]float64, b*c.m)
			perm := r.Perm(c.nb)
			for i := range table {
				table[i] = float64(perm[i%c.nb])
			}
			pv := make([]float64, b)
			for i, p := range pos {
				pv[i] = float64(min(p, c.m*c.bs-1))
			}
			kh := hostArray(t, dt, core.Shape{c.nb, c.bs, c.hkv, c.d}, random(r, c.nb*c.bs*c.hkv*c.d, -1, 1, false))
			vh := hostArray(t, dt, core.Shape{c.nb, c.bs, c.hkv, c.d}, random(r, c.nb*c.bs*c.hkv*c.d, -1, 1, false))
			qh := hostArray(t, dt, core.Shape{b, c.hq, c.d}, random(r, b*c.hq*c.d, -1, 1, false))
			th := hostArray(t, core.I32, core.Shape{b, c.m}, table)
			ph := hostArray(t, core.I32, core.Shape{b}, pv)
			on := func(a *core.Array) *core.Array {
				g, err := a.To(dev)
				require.NoError(t, err)
				return g
			}
			kg, vg, qg, tg, pg := on(kh), on(vh), on(qh), on(th), on(ph)
			what := fmt.Sprintf("%v %+v", dt, c)
			for _, ap := range []core.AttentionParams{{Scale: 0.3}, {Scale: 0.9, Window: 3, SoftCap: 0.5}, {Scale: 0.9, Window: 1}} {
				want, err := core.PagedAttentionOp(qh, kh, vh, th, ph, ap)
				require.NoError(t, err, what)
				got, err := core.PagedAttentionOp(qg, kg, vg, tg, pg, ap)
				require.NoError(t, err, what)
				near(t, dt, values(t, want), values(t, got), 1, fmt.Sprintf("paged_attention %s %+v", what, ap))
			}
			// A block outside the cache: the CPU refuses, the GPU writes zeros.
			bad := append([]float64(nil), table...)
			bad[0] = float64(c.nb)
			got, err := core.PagedAttentionOp(qg, kg, vg, on(hostArray(t, core.I32, core.Shape{b, c.m}, bad)), pg, core.AttentionParams{Scale: 0.3})
			require.NoError(t, err)
			gv := values(t, got)
			assert.Equal(t, make([]float64, c.hq*c.d), gv[:c.hq*c.d], "%s: row with a bad block", what)

			// scatter_rows: rows land at their indices; -1 and indices past
			// the cache write nothing.
			flat := c.nb * c.bs
			kf, err := kh.Reshape(flat, c.hkv, c.d)
			require.NoError(t, err)
			kgf, err := kg.Reshape(flat, c.hkv, c.d)
			require.NoError(t, err)
			src := hostArray(t, dt, core.Shape{b, c.hkv, c.d}, random(r, b*c.hkv*c.d, -1, 1, false))
			idx := []float64{float64(flat - 1), -1, 0, float64(flat / 2), -1}
			if flat < 3 {
				idx = []float64{0, -1, -1, -1, -1}
			}
			ih := hostArray(t, core.I32, core.Shape{b}, idx)
			require.NoError(t, core.ScatterRowsOp(kf, src, ih))
			require.NoError(t, core.ScatterRowsOp(kgf, on(src), on(ih)))
			assert.Equal(t, values(t, kh), values(t, kg), "scatter_rows "+what)
			idx[1] = float64(flat)
			require.NoError(t, core.ScatterRowsOp(kgf, on(src), on(hostArray(t, core.I32, core.Shape{b}, idx))))
			require.NoError(t, core.ScatterRowsOp(kf, src, hostArray(t, core.I32, core.Shape{b}, append(idx[:1:1], -1, idx[2], idx[3], idx[4]))))
			assert.Equal(t, values(t, kh), values(t, kg), "scatter_rows with an index past the cache "+what)
		}
	}

	// A recorded write-then-attend step replays with new inputs.
	const nb, bs, hq, hkv, d, m, b = 8, 4, 4, 2, 16, 4, 3
	zero := make([]float64, nb*bs*hkv*d)
	mk := func(on core.Device, v []float64, dt core.DType, shape ...int) *core.Array {
		a, err := hostArray(t, dt, shape, v).To(on)
		require.NoError(t, err)
		return a
	}
	type state struct{ k, v, q, kv, idx, table, pos *core.Array }
	newState := func(on core.Device) state {
		return state{
			k: mk(on, zero, core.F32, nb, bs, hkv, d), v: mk(on, zero, core.F32, nb, bs, hkv, d),
			q: mk(on, make([]float64, b*hq*d), core.F32, b, hq, d), kv: mk(on, make([]float64, b*hkv*d), core.F32, b, hkv, d),
			idx: mk(on, make([]float64, b), core.I32, b), table: mk(on, make([]float64, b*m), core.I32, b, m),
			pos: mk(on, make([]float64, b), core.I32, b),
		}
	}
	step := func(s state) (*core.Array, error) {
		for _, c := range []*core.Array{s.k, s.v} {
			f, err := c.Reshape(nb*bs, hkv, d)
			if err != nil {
				return nil, err
			}
			if err := core.ScatterRowsOp(f, s.kv, s.idx); err != nil {
				return nil, err
			}
		}
		return core.PagedAttentionOp(s.q, s.k, s.v, s.table, s.pos, core.AttentionParams{Scale: 0.25})
	}
	gs, hs := newState(dev), newState(core.CPU())
	set := func(a *core.Array, v []float64) {
		h := hostArray(t, a.DType(), a.Shape(), v)
		b, err := h.Bytes()
		require.NoError(t, err)
		require.NoError(t, a.Device().CopyFromHost(a.Storage(), a.Offset()*a.DType().Size(), b))
	}
	// Row 0 owns blocks 5, 1; row 1 blocks 2, 0; row 2 is padding.
	table := []float64{5, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}
	var g *core.Graph
	defer func() {
		if g != nil {
			_ = g.Close()
		}
	}()
	for p := range 6 {
		idx := []float64{float64(int(table[p/bs])*bs + p%bs), float64(int(table[m+p/bs])*bs + p%bs), -1}
		q, kv := random(r, b*hq*d, -1, 1, false), random(r, b*hkv*d, -1, 1, false)
		for _, s := range []state{gs, hs} {
			set(s.q, q)
			set(s.kv, kv)
			set(s.idx, idx)
			set(s.table, table)
			set(s.pos, []float64{float64(p), float64(p), -1})
		}
		want, err := step(hs)
		require.NoError(t, err)
		var got *core.Array
		if g == nil {
			g, err = core.Record(dev, func() error {
				var err error
				got, err = step(gs)
				return err
			})
			require.NoError(t, err)
		} else {
			require.NoError(t, g.Replay())
			got = g.Ops()[len(g.Ops())-1].Out
		}
		near(t, core.F32, values(t, want), values(t, got), 1, fmt.Sprintf("recorded paged step at %d", p))
	}
	assert.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
}
