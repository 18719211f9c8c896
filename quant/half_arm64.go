//go:build arm64 && !noasm

package quant

import "github.com/lbrx/lbrx/core"

// NEON row dots of F16/BF16 weights (half_kernels_arm64.s, written by
// _generate): n values each, any n (a vector loop and a scalar tail).

//go:noescape
func dotF16NEON(row *byte, x *float32, xs *float32, n int) float32

//go:noescape
func dotBF16NEON(row *byte, x *float32, xs *float32, n int) float32

func init() {
	installAsm("neon", map[core.Scheme]func(row []byte, x, xs []float32) float32{
		core.SchemeF16:  asmRowDot(dotF16NEON, 2, 1, 0),
		core.SchemeBF16: asmRowDot(dotBF16NEON, 2, 1, 0),
	})
}
