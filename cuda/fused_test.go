package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// silu_mul on the GPU against core's CPU kernel: every float dtype, one
// element, a block tail, more elements than the grid-stride grid covers.
func TestSiLUMulParity(t *testing.T) {
	dev := gpu(t)
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(15, 16))
	for _, dt := range []core.DType{core.F32, core.F64, core.F16, core.BF16} {
		for _, n := range []int{1, 255, 257, 8192, 3*132*32*256 + 5} {
			g := hostArray(t, dt, core.Shape{n}, random(r, n, -8, 8, false))
			u := hostArray(t, dt, core.Shape{n}, random(r, n, -2, 2, false))
			gg, err := g.To(dev)
			require.NoError(t, err)
			ug, err := u.To(dev)
			require.NoError(t, err)
			got := runOn(t, dev, "silu_mul", dt, core.Shape{n}, nil, 0, gg, ug)
			want := cpuRef(t, "silu_mul", []*core.Array{g, u}, dt, core.Shape{n}, nil, 0)
			near(t, dt, want, got, 1, "silu_mul "+dt.String())
		}
	}
	assert.Equal(t, before, core.Fallbacks())
}

// add_rms_norm on the GPU against core's CPU kernel: every float dtype,
// one element, rows shorter and longer than a block, a model's hidden
// size; in strict mode, so a missing kernel fails instead of falling back.
func TestAddRMSNormParity(t *testing.T) {
	dev := gpu(t)
	defer core.SetStrict(core.SetStrict(true))
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(17, 18))
	for _, dt := range []core.DType{core.F32, core.F64, core.F16, core.BF16} {
		for _, shape := range []core.Shape{{1}, {1, 1}, {3, 5}, {2, 257}, {1, 2048}, {7, 4096}} {
			n, d := shape.NumElements(), shape[len(shape)-1]
			x := hostArray(t, dt, shape, random(r, n, -3, 3, false))
			res := hostArray(t, dt, shape, random(r, n, -3, 3, false))
			w := hostArray(t, dt, core.Shape{d}, random(r, d, 0.5, 1.5, false))
			ws, wy, err := core.AddRMSNormOp(x, res, w, 1e-5)
			require.NoError(t, err)
			on := func(a *core.Array) *core.Array {
				g, err := a.To(dev)
				require.NoError(t, err)
				return g
			}
			gs, gy, err := core.AddRMSNormOp(on(x), on(res), on(w), 1e-5)
			require.NoError(t, err)
			what := "add_rms_norm " + dt.String() + " " + shape.String()
			near(t, dt, values(t, ws), values(t, gs), 1, what+" sum")
			near(t, dt, values(t, wy), values(t, gy), 2, what+" norm")
		}
	}
	assert.Equal(t, before, core.Fallbacks())
}

// rope_cache on the GPU against core's CPU kernel: queries rotated, keys
// rotated into the cache and values copied into it at the position;
// one head of size 2, GQA shapes, a prompt of several rows, a position
// at the cache's end, and one past it (nothing written, as write_rows).
func TestRoPECacheParity(t *testing.T) {
	dev := gpu(t)
	defer core.SetStrict(core.SetStrict(true))
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(19, 20))
	on := func(a *core.Array) *core.Array {
		g, err := a.To(dev)
		require.NoError(t, err)
		return g
	}
	pos := func(p int) *core.Array {
		a, err := core.FromSlice([]int32{int32(p)}, 1)
		require.NoError(t, err)
		return a.Array()
	}
	for _, dt := range []core.DType{core.F32, core.F64, core.F16, core.BF16} {
		for _, c := range []struct{ tq, h, hkv, d, cap, pos int }{
			{1, 1, 1, 2, 1, 0}, {1, 32, 8, 64, 40, 39}, {5, 4, 2, 6, 9, 3}, {17, 6, 3, 128, 20, 0}, {3, 2, 2, 10, 4, 2},
		} {
			w := (c.h + 2*c.hkv) * c.d
			qkv := hostArray(t, dt, core.Shape{c.tq, w}, random(r, c.tq*w, -2, 2, false))
			tabs := core.Shape{c.tq, c.d / 2}
			cs := hostArray(t, core.F32, tabs, random(r, tabs.NumElements(), -1, 1, false))
			sn := hostArray(t, core.F32, tabs, random(r, tabs.NumElements(), -1, 1, false))
			init := random(r, c.cap*c.hkv*c.d, -1, 1, false)
			cache := func() *core.Array { return hostArray(t, dt, core.Shape{c.cap, c.hkv, c.d}, init) }
			hk, hv := cache(), cache()
			gk, gv := on(cache()), on(cache())
			what := fmt.Sprintf("rope_cache %v %+v", dt, c)
			q, err := core.RoPECacheOp(on(qkv), on(cs), on(sn), on(pos(c.pos)), gk, gv, c.h)
			overrun := c.pos+c.tq > c.cap
			if overrun {
				// The GPU writes nothing past the cache (the CPU refuses).
				require.NoError(t, err, what)
				assert.Equal(t, values(t, cache()), values(t, gk), what+" untouched k")
				continue
			}
			require.NoError(t, err, what)
			want, err := core.RoPECacheOp(qkv, cs, sn, pos(c.pos), hk, hv, c.h)
			require.NoError(t, err, what)
			near(t, dt, values(t, want), values(t, q), 1, what+" q")
			near(t, dt, values(t, hk), values(t, gk), 1, what+" k cache")
			assert.Equal(t, values(t, hv), values(t, gv), what+" v cache")
		}
	}
	assert.Equal(t, before, core.Fallbacks())
}
