//go:build !noasm

package vec

import "golang.org/x/sys/cpu"

// useAsm selects the AVX-512 bodies; tests turn it off to run the
// references through the public functions.
var useAsm = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

//go:noescape
func expAVX512(n int, dst, src *float32)

//go:noescape
func siluAVX512(n int, dst, src *float32)

//go:noescape
func geluAVX512(n int, dst, src *float32)

//go:noescape
func expSubSumAVX512(n int, dst, src *float32, m float32) float32

//go:noescape
func maxAVX512(n int, src *float32) float32

//go:noescape
func scaleAVX512(n int, dst *float32, s float32)

//go:noescape
func addAVX512(n int, dst, a, b *float32)

//go:noescape
func mulAVX512(n int, dst, a, b *float32)

//go:noescape
func f32ToF16AVX512(n int, dst *uint16, src *float32)

//go:noescape
func f16ToF32AVX512(n int, dst *float32, src *uint16)

//go:noescape
func f32ToBF16AVX512(n int, dst *uint16, src *float32)

//go:noescape
func bf16ToF32AVX512(n int, dst *float32, src *uint16)
