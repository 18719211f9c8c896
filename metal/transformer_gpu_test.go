package metal

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The transformer kernels (rms_norm, rope, causal_attention, concat) run
// through Context.Execute, so a fallback to the CPU fails the test,
// against core's own ops on the CPU. They need a Metal GPU and skip
// elsewhere; tools/shaderc checks the same kernels on its emulator.

// hostValues reads a host array as float64 values.
func hostValues(t *testing.T, a *core.Array) []float64 {
	t.Helper()
	v := values(t, a)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// gpuOp runs op on the GPU with inputs moved there and an output of the
// given dtype and shape, returning its values.
func gpuOp(t *testing.T, c *Context, name string, in []*core.Array, dt core.DType, shape []int, param float64, axes []int) []float32 {
	t.Helper()
	g := make([]*core.Array, len(in))
	for i, a := range in {
		g[i] = toGPU(t, c, a)
	}
	return run(t, c, &core.Op{Name: name, Inputs: g, Out: gpuOut(t, c, dt, shape...), Param: param, Axes: axes})
}

func TestKernelsRMSNormAndRoPE(t *testing.T) {
	c := gpu(t)
	r := rand.New(rand.NewPCG(21, 22))
	for _, dt := range floatDTypes {
		for _, sh := range [][2]int{{1, 1}, {3, 7}, {2, 1025}, {0, 8}} {
			rows, cols := sh[0], sh[1]
			x := hostArray(t, dt, randVals(r, rows*cols, -2, 2), rows, cols)
			w := hostArray(t, dt, randVals(r, cols, -1, 1), cols)
			want, err := core.RMSNormOp(x, w, 1e-5)
			require.NoError(t, err)
			got := gpuOp(t, c, "rms_norm", []*core.Array{x, w}, dt, []int{rows, cols}, 1e-5, nil)
			wv := hostValues(t, want)
			mag := make([]float64, len(wv)) // the f32 sum of squares: relative error
			for i, x := range wv {
				mag[i] = math.Abs(x)
			}
			nearAcc(t, dt, wv, mag, got, fmt.Sprintf("rms_norm %v %dx%d", dt, rows, cols))
		}
		for _, s := range [][4]int{{1, 1, 1, 2}, {2, 5, 3, 10}, {1, 7, 4, 128}} {
			x := hostArray(t, dt, randVals(r, s[0]*s[1]*s[2]*s[3], -2, 2), s[:]...)
			ang := randVals(r, s[1]*s[3]/2, 0, 60)
			cs, sn := make([]float32, len(ang)), make([]float32, len(ang))
			for i, a := range ang {
				cs[i], sn[i] = float32(math.Cos(float64(a))), float32(math.Sin(float64(a)))
			}
			ct, st := hostArray(t, core.F32, cs, s[1], s[3]/2), hostArray(t, core.F32, sn, s[1], s[3]/2)
			want, err := core.RoPEOp(x, ct, st)
			require.NoError(t, err)
			got := gpuOp(t, c, "rope", []*core.Array{x, ct, st}, dt, s[:], 0, nil)
			near(t, dt, hostValues(t, want), got, fmt.Sprintf("rope %v %v", dt, s))
		}
	}
}

func TestKernelsCausalAttention(t *testing.T) {
	c := gpu(t)
	r := rand.New(rand.NewPCG(23, 24))
	// batch, tq, hq, tk, hkv, d: prefill, GQA decode over several key
	// chunks, odd and maximal head sizes.
	for _, s := range [][6]int{{1, 1, 1, 1, 1, 1}, {2, 4, 8, 4, 2, 33}, {1, 1, 8, 2100, 2, 64}, {1, 3, 2, 9, 1, 512}} {
		for _, dt := range floatDTypes {
			qs, ks := []int{s[0], s[1], s[2], s[5]}, []int{s[0], s[3], s[4], s[5]}
			q := hostArray(t, dt, randVals(r, s[0]*s[1]*s[2]*s[5], -1, 1), qs...)
			k := hostArray(t, dt, randVals(r, s[0]*s[3]*s[4]*s[5], -1, 1), ks...)
			v := hostArray(t, dt, randVals(r, s[0]*s[3]*s[4]*s[5], -1, 1), ks...)
			scale := 1 / math.Sqrt(float64(s[5]))
			want, err := core.CausalAttentionOp(q, k, v, scale)
			require.NoError(t, err)
			got := gpuOp(t, c, "causal_attention", []*core.Array{q, k, v}, dt, qs, scale, nil)
			// f32 sums over up to 2100 keys; a score's error, about
			// scale*d/4 terms of size 1 times eps, moves a result by as much.
			wv := hostValues(t, want)
			mag := make([]float64, len(wv))
			for i := range mag {
				mag[i] = 1 + scale*float64(s[5])/4
			}
			nearAcc(t, dt, wv, mag, got, fmt.Sprintf("causal_attention %v %v", dt, s))
		}
	}
}

func TestKernelsConcat(t *testing.T) {
	c := gpu(t)
	r := rand.New(rand.NewPCG(25, 26))
	for _, dt := range []core.DType{core.F32, core.BF16, core.U8, core.I64} {
		mk := func(shape ...int) *core.Array {
			n := 1
			for _, d := range shape {
				n *= d
			}
			h := core.NewHeap(n * dt.Size())
			for i := range h.Bytes() {
				h.Bytes()[i] = byte(r.Uint32())
			}
			a, err := core.NewArray(dt, core.Shape(shape), h, 0)
			require.NoError(t, err)
			return a
		}
		for _, tc := range []struct {
			axis int
			in   [][]int
		}{
			{0, [][]int{{7, 2, 8}, {1, 2, 8}}},
			{1, [][]int{{2, 3, 4}, {2, 0, 4}, {2, 5, 4}}},
			{2, [][]int{{3, 2, 1}, {3, 2, 6}}},
		} {
			var in, g []*core.Array
			for _, s := range tc.in {
				a := mk(s...)
				in = append(in, a)
				g = append(g, toGPU(t, c, a))
			}
			want, err := core.ConcatOp(tc.axis, in...)
			require.NoError(t, err)
			out := gpuOut(t, c, dt, want.Shape()...)
			require.NoError(t, c.Execute(&core.Op{Name: "concat", Inputs: g, Out: out, Axes: []int{tc.axis}}))
			require.NoError(t, c.Sync())
			wb, err := want.Bytes()
			require.NoError(t, err)
			gb, err := out.Bytes()
			require.NoError(t, err)
			assert.Equal(t, wb, gb, "concat %v axis %d of %v", dt, tc.axis, tc.in)
		}
	}
}
