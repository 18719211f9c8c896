package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
)

// silu_mul_matmul on the GPU against a float64 reference (the gated row
// rounded to the dtype, as silu_mul stores it, times the weight's dense
// values): one row through the gated kernels (affine 4- and 8-bit,
// dense f16/bf16/f32) with them on, and the temporary-row path (with
// them off, two rows, ggml blocks). Strict mode: nothing may fall back
// to the CPU.
func TestSiLUMulMatmulParity(t *testing.T) {
	for _, gated := range []bool{true, false} {
		t.Run(fmt.Sprintf("gated=%v", gated), func(t *testing.T) {
			defer func(d, q bool) { gluDense, gluQuant = d, q }(gluDense, gluQuant)
			gluDense, gluQuant = gated, gated
			testSiLUMulMatmulParity(t)
		})
	}
}

func testSiLUMulMatmulParity(t *testing.T) {
	dev := gpu(t)
	floatQMV(t) // the float one-row kernels; qmvi_test.go checks the integer ones
	defer core.SetStrict(core.SetStrict(true))
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(23, 24))
	type weight struct {
		name string
		make func(n, k int, dt core.DType) (*core.Array, []float64)
	}
	dense := func(n, k int, dt core.DType) (*core.Array, []float64) {
		v := round(dt, random(r, n*k, -1, 1, false))
		w, err := hostArray(t, dt, core.Shape{n, k}, v).To(dev)
		require.NoError(t, err)
		wt, err := w.T()
		require.NoError(t, err)
		return wt, v
	}
	weights := []weight{
		{"dense", dense},
		{"affine4", func(n, k int, dt core.DType) (*core.Array, []float64) {
			return affineWeight(t, r, dev, n, k, 4, 32, dt)
		}},
		{"affine8", func(n, k int, dt core.DType) (*core.Array, []float64) {
			return affineWeight(t, r, dev, n, k, 8, 64, dt)
		}},
		{"q4_0", func(n, k int, _ core.DType) (*core.Array, []float64) {
			return ggmlWeight(t, r, dev, n, k, core.SchemeQ4_0)
		}},
	}
	for _, dt := range []core.DType{core.F32, core.F16, core.BF16} {
		for _, wk := range weights {
			for _, c := range []struct{ m, n, k int }{{1, 1, 128}, {1, 9, 256}, {1, 2048, 2048}, {2, 17, 128}} {
				w, wv := wk.make(c.n, c.k, dt)
				guv := round(dt, random(r, c.m*2*c.k, -4, 4, false))
				gu, err := hostArray(t, dt, core.Shape{c.m, 2 * c.k}, guv).To(dev)
				require.NoError(t, err)
				got, err := core.SiLUMulMatMulOp(gu, w)
				what := fmt.Sprintf("silu_mul_matmul %v %s %+v", dt, wk.name, c)
				require.NoError(t, err, what)
				want := make([]float64, c.m*c.n)
				for i := range c.m {
					h := make([]float64, c.k)
					for j := range h {
						g, u := guv[i*2*c.k+j], guv[i*2*c.k+c.k+j]
						h[j] = g / (1 + math.Exp(-g)) * u
					}
					h = round(dt, h)
					for n := range c.n {
						var s float64
						for j, x := range h {
							s += x * wv[n*c.k+j]
						}
						want[i*c.n+n] = s
					}
				}
				near(t, dt, round(dt, want), values(t, got), float64(c.k)/2, what)
			}
		}
	}
	assert.Equal(t, before, core.Fallbacks())
}
