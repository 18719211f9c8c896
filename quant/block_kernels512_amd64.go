//go:build amd64 && !noasm

package quant

import "github.com/lbrx/lbrx/core"

// AVX-512 (F) row kernels for Q8_0, Q4_0, Q4_K, Q5_K and Q6_K: the AVX2
// kernels at 16 lanes (block_kernels512_amd64.s). Where the CPU has
// AVX-512 they replace the AVX2 ones (block_kernels_amd64.go); the AVX2
// kernels stay in rowKernel.variants so the tests still run them.

//go:noescape
func dotQ80AVX512(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ40AVX512(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ4KAVX512(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ5KAVX512(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ6KAVX512(row *byte, x *float32, xs *float32, nb int) float32

func avx512RowKernels() map[core.Scheme]func(row []byte, x, xs []float32) float32 {
	return map[core.Scheme]func(row []byte, x, xs []float32) float32{
		core.SchemeQ8_0: asmRowDot(dotQ80AVX512, 34, 32, 0),
		core.SchemeQ4_0: asmRowDot(dotQ40AVX512, 18, 32, 0),
		core.SchemeQ4_K: asmRowDot(dotQ4KAVX512, 144, 256, 8),
		core.SchemeQ5_K: asmRowDot(dotQ5KAVX512, 176, 256, 8),
		core.SchemeQ6_K: asmRowDot(dotQ6KAVX512, 210, 256, 16),
	}
}
