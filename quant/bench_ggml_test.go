package quant

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lbrx/lbrx/core"
)

// ggmlBenchWeight is a 4096x4096 weight of random blocks (the kernels'
// speed does not depend on the values).
func ggmlBenchWeight(s string) *BlockWeight {
	sc := schemeOf(s)
	switch s {
	case "f16":
		sc = core.SchemeF16
	case "bf16":
		sc = core.SchemeBF16
	}
	r := rand.New(rand.NewPCG(61, 62))
	const n, k = 4096, 4096
	return &BlockWeight{Scheme: sc, N: n, K: k, Blocks: randomBlocks(r, sc, n*k/BlockValues(sc))}
}

var benchSchemes = []string{"q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_nl", "f16", "bf16"}

// BenchmarkGGMLMatVec reports GB/s of GGUF block bytes for y = W x with W
// 4096x4096 multiplied in place, with the kernel the CPU gets by default
// and then, where there is assembly, each assembly variant ("/avx2",
// "/avx512") and the portable Go loop ("/go"); for schemes with integer
// kernels (int_kernels.go) the float kernel they replace ("/float") and
// each integer variant ("/int-avx2", "/int-vnni"); the float variants
// run with the integer kernels off.
func BenchmarkGGMLMatVec(b *testing.B) {
	for _, s := range benchSchemes {
		w := ggmlBenchWeight(s)
		b.Run(s, func(b *testing.B) { benchBlocks(b, w, 1) })
		if ik := intKernels[w.Scheme]; ik != nil {
			// The float row kernels the integer ones replace, then each
			// integer variant.
			b.Run(s+"/float", func(b *testing.B) {
				delete(intKernels, w.Scheme)
				defer func() { intKernels[w.Scheme] = ik }()
				benchBlocks(b, w, 1)
			})
			for _, v := range ik.variants {
				b.Run(s+"/int-"+v.name, func(b *testing.B) {
					saved := ik.dot
					ik.dot = v.dot
					defer func() { ik.dot = saved }()
					benchBlocks(b, w, 1)
				})
			}
		}
		rk := rowKernels[w.Scheme]
		if rk == nil || rk.goDot == nil {
			continue
		}
		dots := append([]namedDot{}, rk.variants...)
		dots = append(dots, namedDot{"go", rk.goDot})
		for _, v := range dots {
			b.Run(s+"/"+v.name, func(b *testing.B) {
				saved, ik := rk.dot, intKernels[w.Scheme]
				rk.dot = v.dot
				delete(intKernels, w.Scheme)
				defer func() {
					rk.dot = saved
					if ik != nil {
						intKernels[w.Scheme] = ik
					}
				}()
				benchBlocks(b, w, 1)
			})
		}
	}
}

// BenchmarkGGMLMatMul64 multiplies 64 input rows (a prefill chunk); GB/s
// counts the weight bytes once per call.
func BenchmarkGGMLMatMul64(b *testing.B) {
	for _, s := range benchSchemes {
		w := ggmlBenchWeight(s)
		b.Run(strings.ToLower(s), func(b *testing.B) { benchBlocks(b, w, 64) })
		if ik := intKernels[w.Scheme]; ik != nil && ik.gemm != nil {
			b.Run(s+"/rows", func(b *testing.B) { // the row kernels the GEMM replaced
				g := ik.gemm
				ik.gemm = nil
				defer func() { ik.gemm = g }()
				benchBlocks(b, w, 64)
			})
		}
		if ik := intKernels[w.Scheme]; ik != nil {
			b.Run(s+"/float", func(b *testing.B) {
				delete(intKernels, w.Scheme)
				defer func() { intKernels[w.Scheme] = ik }()
				benchBlocks(b, w, 64)
			})
		}
	}
}

func benchBlocks(b *testing.B, w *BlockWeight, m int) {
	x := benchWeights(m * w.K)
	y := make([]float32, m*w.N)
	b.SetBytes(int64(len(w.Blocks)))
	for b.Loop() {
		if err := w.MatMul(y, x, m); err != nil {
			b.Fatal(err)
		}
	}
}
