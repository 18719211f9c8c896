//go:build amd64 && !noasm

package quant

import "github.com/lbrx/lbrx/core"

// AVX-512 (F) row kernels for every ggml scheme: the AVX2 kernels at 16
// lanes (block_kernels512_amd64.s). Where the CPU has
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

//go:noescape
func dotQ41AVX512(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ50AVX512(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ51AVX512(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotIQ4NLAVX512(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ2KAVX512(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ3KAVX512(row *byte, x *float32, xs *float32, nb int) float32

func avx512RowKernels() map[core.Scheme]func(row []byte, x, xs []float32) float32 {
	return map[core.Scheme]func(row []byte, x, xs []float32) float32{
		core.SchemeQ8_0:   asmRowDot(dotQ80AVX512, 34, 32, 0),
		core.SchemeQ4_0:   asmRowDot(dotQ40AVX512, 18, 32, 0),
		core.SchemeQ4_K:   asmRowDot(dotQ4KAVX512, 144, 256, 8),
		core.SchemeQ5_K:   asmRowDot(dotQ5KAVX512, 176, 256, 8),
		core.SchemeQ6_K:   asmRowDot(dotQ6KAVX512, 210, 256, 16),
		core.SchemeQ4_1:   asmRowDot(dotQ41AVX512, 20, 32, 1),
		core.SchemeQ5_0:   asmRowDot(dotQ50AVX512, 22, 32, 0),
		core.SchemeQ5_1:   asmRowDot(dotQ51AVX512, 24, 32, 1),
		core.SchemeIQ4_NL: asmRowDot(dotIQ4NLAVX512, 18, 32, 0),
		core.SchemeQ2_K:   asmRowDot(dotQ2KAVX512, 84, 256, 16),
		core.SchemeQ3_K:   asmRowDot(dotQ3KAVX512, 110, 256, 16),
	}
}
