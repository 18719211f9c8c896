package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lbrx/lbrx/core"
)

// The few-row affine kernel (qmm) against the dense float64 product:
// 4- and 8-bit codes, groups of one chunk and more, every activation
// dtype and scale dtype, one launch and several (m past 8), one output
// row and a partial last block of warps, K of one chunk, of a tile plus
// a tail and of several tiles; and quant.cu's kernel (LBRX_CUDA_QMM=off)
// on the same products.
func TestQMMParity(t *testing.T) {
	dev := gpu(t)
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(23, 24))
	type qcase struct {
		bits, gs, m, n, k int
		xt, sdt           core.DType
	}
	var cases []qcase
	for _, bits := range []int{4, 8} {
		for _, gs := range []int{128 / bits, 128} {
			if gs < 32 {
				continue // MLX's smallest group
			}
			for _, m := range []int{2, 8, 11, 32} {
				cases = append(cases, qcase{bits, gs, m, 515, 1152, core.F32, core.F32})
			}
		}
		for _, xt := range []core.DType{core.F16, core.BF16} {
			for _, sdt := range []core.DType{core.F16, core.BF16, core.F32} {
				cases = append(cases, qcase{bits, 64, 3, 9, 2176, xt, sdt})
			}
		}
		cases = append(cases, qcase{bits, 32, 5, 1, 128, core.F16, core.F16}, qcase{bits, 32, 8, 17, 4096, core.BF16, core.BF16})
	}
	for ci, c := range cases {
		t.Run(fmt.Sprintf("affine%d/g%d/m%d/n%d/k%d/%v/%v#%d", c.bits, c.gs, c.m, c.n, c.k, c.xt, c.sdt, ci), func(t *testing.T) {
			w, dense := affineWeight(t, r, dev, c.n, c.k, c.bits, c.gs, c.sdt)
			_, dx, vx := prepare(t, dev, c.xt, input{core.Shape{c.m, c.k}, ident}, random(r, c.m*c.k, -1, 1, false))
			want := make([]float64, c.m*c.n)
			scale := 0.0
			for i := range c.m {
				for j := range c.n {
					s := 0.0
					for l := range c.k {
						s += vx[i*c.k+l] * dense[j*c.k+l]
						scale = max(scale, abs(vx[i*c.k+l]*dense[j*c.k+l]))
					}
					want[i*c.n+j] = s
				}
			}
			want = round(c.xt, want)
			assert.True(t, dev.canQMM(dx, w, w.Quant(), c.m), "qmm takes the product")
			for _, off := range []bool{false, true} {
				qmmOff = off
				got := runOn(t, dev, "quantized_matmul", c.xt, core.Shape{c.m, c.n}, nil, 0, dx, w)
				near(t, c.xt, want, got, scale*float64(c.k), fmt.Sprintf("quantized_matmul (qmm off: %v)", off))
			}
			qmmOff = false
		})
	}
	assert.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
}
