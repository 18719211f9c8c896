//go:build arm64 && !noasm

package quant

import (
	"golang.org/x/sys/cpu"

	"github.com/lbrx/lbrx/core"
)

// The integer row kernels for arm64 with SDOT (int_kernels_arm64.s);
// CPUs without the dot product extension keep the float row kernels.

//go:noescape
func dotQ40SDOT(rows *byte, stride, n int, act *byte, nb int, y *float32)

//go:noescape
func dotQ80SDOT(rows *byte, stride, n int, act *byte, nb int, y *float32)

func init() {
	if !cpu.ARM64.HasASIMDDP {
		return
	}
	installInt(core.SchemeQ4_0, "sdot", layoutNEON, asmIntDot(dotQ40SDOT, 18, packNEONBytes))
	installInt(core.SchemeQ8_0, "sdot", layoutNEON, asmIntDot(dotQ80SDOT, 34, packNEONBytes))
}
