//go:build amd64 && !noasm

package quant

import "github.com/lbrx/lbrx/core"

// AVX2+FMA row kernels for every ggml scheme. Each returns the whole Σ w*x over nb blocks (see rowKernel):
// f16 scales are converted with F16C (every AVX2 CPU has it), K-quant
// sub-block scales unpacked in registers. Go slices are checked here so
// the assembly never reads past them.

//go:noescape
func dotQ80AVX2(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ40AVX2(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ4KAVX2(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ5KAVX2(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ6KAVX2(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ41AVX2(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ50AVX2(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ51AVX2(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotIQ4NLAVX2(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ2KAVX2(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ3KAVX2(row *byte, x *float32, xs *float32, nb int) float32

func init() {
	if !hasAVX2FMA {
		return
	}
	asm := map[core.Scheme]func(row []byte, x, xs []float32) float32{
		core.SchemeQ8_0:   asmRowDot(dotQ80AVX2, 34, 32, 0),
		core.SchemeQ4_0:   asmRowDot(dotQ40AVX2, 18, 32, 0),
		core.SchemeQ4_K:   asmRowDot(dotQ4KAVX2, 144, 256, 8),
		core.SchemeQ5_K:   asmRowDot(dotQ5KAVX2, 176, 256, 8),
		core.SchemeQ6_K:   asmRowDot(dotQ6KAVX2, 210, 256, 16),
		core.SchemeQ4_1:   asmRowDot(dotQ41AVX2, 20, 32, 1),
		core.SchemeQ5_0:   asmRowDot(dotQ50AVX2, 22, 32, 0),
		core.SchemeQ5_1:   asmRowDot(dotQ51AVX2, 24, 32, 1),
		core.SchemeIQ4_NL: asmRowDot(dotIQ4NLAVX2, 18, 32, 0),
		core.SchemeQ2_K:   asmRowDot(dotQ2KAVX2, 84, 256, 16),
		core.SchemeQ3_K:   asmRowDot(dotQ3KAVX2, 110, 256, 16),
	}
	installAsm("avx2", asm)
	if hasAVX512 {
		installAsm("avx512", avx512RowKernels())
	}

}
