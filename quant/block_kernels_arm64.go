//go:build arm64 && !noasm

package quant

import "github.com/lbrx/lbrx/core"

// NEON row kernels for every ggml scheme (block_kernels_arm64.s); every
// arm64 CPU has NEON.

//go:noescape
func dotQ80NEON(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ40NEON(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ4KNEON(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ5KNEON(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ6KNEON(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ41NEON(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ50NEON(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ51NEON(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ2KNEON(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotQ3KNEON(row *byte, x *float32, xs *float32, nb int) float32

//go:noescape
func dotIQ4NLNEON(row *byte, x *float32, xs *float32, nb int) float32

func init() {
	installAsm("neon", map[core.Scheme]func(row []byte, x, xs []float32) float32{
		core.SchemeQ8_0:   asmRowDot(dotQ80NEON, 34, 32, 0),
		core.SchemeQ4_0:   asmRowDot(dotQ40NEON, 18, 32, 0),
		core.SchemeQ4_K:   asmRowDot(dotQ4KNEON, 144, 256, 8),
		core.SchemeQ5_K:   asmRowDot(dotQ5KNEON, 176, 256, 8),
		core.SchemeQ6_K:   asmRowDot(dotQ6KNEON, 210, 256, 0),
		core.SchemeQ4_1:   asmRowDot(dotQ41NEON, 20, 32, 1),
		core.SchemeQ5_0:   asmRowDot(dotQ50NEON, 22, 32, 0),
		core.SchemeQ5_1:   asmRowDot(dotQ51NEON, 24, 32, 1),
		core.SchemeIQ4_NL: asmRowDot(dotIQ4NLNEON, 18, 32, 0),
		core.SchemeQ2_K:   asmRowDot(dotQ2KNEON, 84, 256, 16),
		core.SchemeQ3_K:   asmRowDot(dotQ3KNEON, 110, 256, 16),
	})
}
