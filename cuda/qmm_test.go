package cuda

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	floatQMV(t) // qmm.cu's products of x itself; qmmi_test.go checks the integer ones
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
			want, scale := denseProduct(vx, dense, c.m, c.n, c.k)
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

// The tensor-core kernel (qmma, LBRX_CUDA_QMM=mma) against the dense
// float64 product, next to qmm.cu's and quant.cu's kernels on the same
// products: f16 and bf16 activations, 4- and 8-bit codes in groups of
// 32, 64 and 128, every activation row count from 2 to 32 that changes
// its 8-row tiles (odd ones, one past a tile, 32), one output row and
// blocks of 16 rows cut short, K of one chunk, of a partial block of
// four chunks and of many blocks, and no rows at all. A row's result is
// the same bits in a product of 2 rows and of many (batch invariance).
func TestQMMAParity(t *testing.T) {
	dev := gpu(t)
	if dev.ComputeCapability() < 80 {
		t.Skip("qmma needs mma.sync for f16/bf16 (compute capability 8.0 or later), this GPU has " + fmt.Sprint(dev.ComputeCapability()))
	}
	floatQMV(t) // products of x itself; qmmi_test.go checks the integer ones
	before := core.Fallbacks()
	r := rand.New(rand.NewPCG(25, 26))
	type qcase struct {
		bits, gs, m, n, k int
		xt, sdt           core.DType
	}
	var cases []qcase
	for _, bits := range []int{4, 8} {
		// K: a block of four chunks and one (4-bit) or two (8-bit, to
		// fill a group of 32) chunks more.
		tail := 5 * 128 / bits
		if bits == 8 {
			tail = 6 * 16
		}
		for _, xt := range []core.DType{core.F16, core.BF16} {
			for _, m := range []int{2, 3, 5, 8, 9, 16, 17, 31, 32} {
				cases = append(cases, qcase{bits, 32, m, 37, tail, xt, xt})
			}
			cases = append(cases,
				qcase{bits, 64, 13, 515, 1152, xt, core.F32},
				qcase{bits, 128, 32, 300, 2176, xt, xt},
				qcase{bits, 32, 6, 1, 32, xt, core.F16},  // one output row, K of one or two chunks
				qcase{bits, 32, 24, 16, 8192, xt, xt},    // one block, many K blocks per warp
				qcase{bits, 32, 0, 16, 64, xt, core.F16}) // no rows
		}
	}
	modes := []struct {
		name     string
		off, mma bool
	}{{"mma", false, true}, {"simt", false, false}, {"off", true, false}}
	defer func() { qmmOff, qmmMMA = false, qmmMode("") }()
	for ci, c := range cases {
		t.Run(fmt.Sprintf("affine%d/g%d/m%d/n%d/k%d/%v/%v#%d", c.bits, c.gs, c.m, c.n, c.k, c.xt, c.sdt, ci), func(t *testing.T) {
			w, dense := affineWeight(t, r, dev, c.n, c.k, c.bits, c.gs, c.sdt)
			xv := random(r, c.m*c.k, -1, 1, false)
			_, dx, vx := prepare(t, dev, c.xt, input{core.Shape{c.m, c.k}, ident}, xv)
			want, scale := denseProduct(vx, dense, c.m, c.n, c.k)
			want = round(c.xt, want)
			var mma []float64
			for _, mode := range modes {
				qmmOff, qmmMMA = mode.off, mode.mma
				if c.m > 0 {
					assert.Equal(t, mode.mma, dev.canQMM(dx, w, w.Quant(), c.m) && dev.canQMMA(dx), "qmma takes the product (%s)", mode.name)
				}
				got := runOn(t, dev, "quantized_matmul", c.xt, core.Shape{c.m, c.n}, nil, 0, dx, w)
				near(t, c.xt, want, got, scale*float64(c.k), "quantized_matmul ("+mode.name+")")
				if mode.mma {
					mma = got
				}
			}
			if c.m > 2 {
				qmmOff, qmmMMA = false, true
				_, dx2, _ := prepare(t, dev, c.xt, input{core.Shape{2, c.k}, ident}, xv[:2*c.k])
				two := runOn(t, dev, "quantized_matmul", c.xt, core.Shape{2, c.n}, nil, 0, dx2, w)
				assert.Equal(t, mma[:2*c.n], two, "the first two rows alone")
			}
		})
	}
	assert.Equal(t, before, core.Fallbacks(), "no op fell back to the CPU")
}

// BenchmarkQMM: the few-row affine products of a 1B-shaped Llama's batch
// decode step (4-bit, groups of 32, f16 activations and parameters: the
// fused q/k/v, o, fused gate/up, down and the head) at 8 and 32 rows,
// through the integer kernels (LBRX_CUDA_QMMI, its launch shapes; intb:
// LBRX_CUDA_QMMI_BLOCK=on, which applies to K <= 2048) and each
// kernel LBRX_CUDA_QMM picks, in weight GB/s and µs per
// product.
//
//	go test ./cuda -run '^$' -bench BenchmarkQMM -benchtime 200x
func BenchmarkQMM(b *testing.B) {
	dev := gpu(b)
	defer func() { qmmOff, qmmMMA = false, qmmMode("") }()
	defer func(on, blk bool, sh qmviShape) { qmmiOn, qmmiBlock, qmmiShape = on, blk, sh }(qmmiOn, qmmiBlock, qmmiShape)
	const bits, gs = 4, 32
	for _, m := range []int{8, 32} {
		for _, s := range [][2]int{{3072, 2048}, {2048, 2048}, {16384, 2048}, {2048, 8192}, {32000, 2048}} {
			n, k := s[0], s[1]
			for _, mode := range []string{"int-r2w8", "int-r4w8", "int-r2w4", "int-r4w4", "intb-r2w8", "intb-r4w8", "mma", "simt", "off"} {
				b.Run(fmt.Sprintf("m%d/%dx%d/%s", m, n, k, mode), func(b *testing.B) {
					if mode == "mma" && dev.ComputeCapability() < 80 {
						b.Skip("qmma needs compute capability 8.0 or later")
					}
					qmmOff, qmmMMA = mode == "off", mode == "mma"
					kernel, shape, _ := strings.Cut(mode, "-")
					qmmiOn, qmmiShape = qmmiFrom(shape)
					qmmiOn, qmmiBlock = strings.HasPrefix(kernel, "int"), kernel == "intb"
					w := filledAffine(b, dev, n, k, bits, gs)
					x := filled(b, dev, core.F16, core.Shape{m, k}, -1, 1, false)
					out, err := core.Empty(dev, core.F16, core.Shape{m, n})
					require.NoError(b, err)
					timeOp(b, dev, &core.Op{Name: "quantized_matmul", Inputs: []*core.Array{x, w}, Out: out})
					bytes := n*k*bits/8 + 2*2*n*k/gs
					b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
					b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N), "us/op")
				})
			}
		}
	}
}
