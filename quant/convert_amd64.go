//go:build amd64 && !noasm

package quant

import (
	"unsafe"

	"github.com/lbrx/lbrx/core"
	"golang.org/x/sys/cpu"
)

// F16C's VCVTPS2PH (round to nearest even) and VCVTPH2PS convert exactly
// as x448/float16 does, NaN payloads and subnormals included (Go never
// sets the denormals-are-zero or flush-to-zero modes); the exhaustive
// tests check every f16 pattern and the rounding midpoints.

//go:noescape
func f32ToF16F16C(dst *uint16, src *float32, n int)

//go:noescape
func f16ToF32F16C(dst *float32, src *uint16, n int)

//go:noescape
func f32ToBF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func bf16ToF32AVX2(dst *float32, src *uint16, n int)

func init() {
	if cpu.X86.HasAVX2 {
		f32ToBF16Fast = func(dst []core.BFloat16, src []float32) int {
			n := len(src) &^ 7
			if n > 0 {
				f32ToBF16AVX2((*uint16)(unsafe.Pointer(&dst[:n][0])), &src[0], n)
			}
			return n
		}
		bf16ToF32Fast = func(dst []float32, src []core.BFloat16) int {
			n := len(src) &^ 7
			if n > 0 {
				bf16ToF32AVX2(&dst[:n][0], (*uint16)(unsafe.Pointer(&src[0])), n)
			}
			return n
		}
	}
	if !cpu.X86.HasF16C || !cpu.X86.HasAVX {
		return
	}
	f32ToF16Fast = func(dst []core.Float16, src []float32) int {
		n := len(src) &^ 15
		if n > 0 {
			f32ToF16F16C((*uint16)(unsafe.Pointer(&dst[:n][0])), &src[0], n)
		}
		return n
	}
	f16ToF32Fast = func(dst []float32, src []core.Float16) int {
		n := len(src) &^ 15
		if n > 0 {
			f16ToF32F16C(&dst[:n][0], (*uint16)(unsafe.Pointer(&src[0])), n)
		}
		return n
	}
}
