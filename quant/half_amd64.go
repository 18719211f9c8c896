//go:build amd64 && !noasm

package quant

import "github.com/lbrx/lbrx/core"

// Row dots of F16/BF16 weights (half_kernels_amd64.s, written by
// _generate): n values each, any n (a vector loop and a scalar tail).

//go:noescape
func dotF16AVX2(row *byte, x *float32, xs *float32, n int) float32

//go:noescape
func dotBF16AVX2(row *byte, x *float32, xs *float32, n int) float32

//go:noescape
func dotF16AVX512(row *byte, x *float32, xs *float32, n int) float32

//go:noescape
func dotBF16AVX512(row *byte, x *float32, xs *float32, n int) float32

func init() {
	if !hasAVX2FMA {
		return
	}
	installAsm("avx2", map[core.Scheme]func(row []byte, x, xs []float32) float32{
		core.SchemeF16:  asmRowDot(dotF16AVX2, 2, 1, 0),
		core.SchemeBF16: asmRowDot(dotBF16AVX2, 2, 1, 0),
	})
	if hasAVX512 {
		installAsm("avx512", map[core.Scheme]func(row []byte, x, xs []float32) float32{
			core.SchemeF16:  asmRowDot(dotF16AVX512, 2, 1, 0),
			core.SchemeBF16: asmRowDot(dotBF16AVX512, 2, 1, 0),
		})
	}
}
