package metal

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/require"
)

// The quantized kernels against dequantize-then-multiply references, for
// the matrix-vector (M <= 4) and matrix-matrix kernels, edge tiles
// included. They need a Metal GPU and skip elsewhere.

func TestKernelsQuantAffine(t *testing.T) {
	c := gpu(t)
	r := rand.New(rand.NewPCG(13, 14))
	for _, dt := range floatDTypes {
		for _, bits := range []int{2, 4, 8} {
			for _, gs := range []int{32, 64, 128} {
				for _, mn := range [][2]int{{1, 1}, {3, 9}, {5, 40}, {33, 7}} {
					m, n, k := mn[0], mn[1], 256
					w, wv := affineWeight(t, r, dt, n, k, bits, gs)
					x := hostArray(t, dt, randVals(r, m*k, -1, 1), m, k)
					y, err := c.QuantMatMul(x, w)
					require.NoError(t, err)
					want, mag := qmatmulRef(values(t, x), wv, m, n, k)
					nearAcc(t, dt, want, mag, values(t, y), fmt.Sprintf("affine%d gs%d %v %dx%d", bits, gs, dt, m, n))
				}
			}
		}
	}
}

func TestKernelsQuantGGML(t *testing.T) {
	c := gpu(t)
	r := rand.New(rand.NewPCG(15, 16))
	for _, s := range []core.Scheme{core.SchemeQ8_0, core.SchemeQ4_0} {
		for _, mn := range [][2]int{{1, 1}, {2, 9}, {5, 40}, {40, 33}} {
			for _, k := range []int{32, 96} {
				m, n := mn[0], mn[1]
				w, wv := ggmlWeight(t, r, s, n, k)
				x := hostArray(t, core.F32, randVals(r, m*k, -1, 1), m, k)
				y, err := c.QuantMatMul(x, w)
				require.NoError(t, err)
				want, mag := qmatmulRef(values(t, x), wv, m, n, k)
				nearAcc(t, core.F32, want, mag, values(t, y), fmt.Sprintf("%s %dx%dx%d", s, m, n, k))
			}
		}
	}
}

// TestKernelsQuantGGMLBlocks: the other ggml block types (Q4_1, Q5_0,
// Q5_1, IQ4_NL, Q2_K..Q6_K) in every float dtype, matrix-vector and
// matrix-matrix, against float64 products of core/gguf.Dequantize's values
// of random blocks (every code and sub-scale occurs).
func TestKernelsQuantGGMLBlocks(t *testing.T) {
	c := gpu(t)
	r := rand.New(rand.NewPCG(17, 18))
	for _, s := range GGMLBlockSchemes {
		for _, dt := range floatDTypes {
			for _, mn := range [][2]int{{1, 1}, {2, 9}, {5, 40}, {40, 33}} {
				for _, blocks := range []int{1, 3} {
					m, n := mn[0], mn[1]
					w, wv := ggmlBlockWeight(t, r, s, n, blocks)
					k := w.Quant().Shape[1]
					x := hostArray(t, dt, randVals(r, m*k, -1, 1), m, k)
					y, err := c.QuantMatMul(x, w)
					require.NoError(t, err)
					want, mag := qmatmulRef(values(t, x), wv, m, n, k)
					nearAcc(t, dt, want, mag, values(t, y), fmt.Sprintf("%s %v %dx%dx%d", s, dt, m, n, k))
				}
			}
		}
	}
}
