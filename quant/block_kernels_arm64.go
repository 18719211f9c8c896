//go:build arm64 && !noasm

package quant

import "github.com/lbrx/lbrx/core"

// NEON row kernels for Q8_0 and Q4_0 (block_kernels_arm64.s); every
// arm64 CPU has NEON. The other schemes run the Go loops on arm64.

//go:noescape
func dotQ80NEON(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ40NEON(row *byte, x *float32, xs *float32, nb int) float32

func init() {
	installAsm("neon", map[core.Scheme]func(row []byte, x, xs []float32) float32{
		core.SchemeQ8_0: asmRowDot(dotQ80NEON, 34, 32, 0),
		core.SchemeQ4_0: asmRowDot(dotQ40NEON, 18, 32, 0),
	})
}
