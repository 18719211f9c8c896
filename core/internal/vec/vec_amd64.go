//go:build !noasm

package vec

import "golang.org/x/sys/cpu"

var (
	implAVX512 = &impl{name: "avx512", width: 16, exp: expAVX512, silu: siluAVX512, gelu: geluAVX512,
		expSubSum: expSubSumAVX512, max: maxAVX512, scale: scaleAVX512, add: addAVX512, mul: mulAVX512,
		toF16: f32ToF16AVX512, toBF16: f32ToBF16AVX512, fromF16: f16ToF32AVX512, fromBF16: bf16ToF32AVX512}
	implAVX2 = &impl{name: "avx2", width: 8, exp: expAVX2, silu: siluAVX2, gelu: geluAVX2,
		expSubSum: expSubSumAVX2, max: maxAVX2, scale: scaleAVX2, add: addAVX2, mul: mulAVX2,
		toF16: f32ToF16AVX2, toBF16: f32ToBF16AVX2, fromF16: f16ToF32AVX2, fromBF16: bf16ToF32AVX2}
)

// impls lists the assembly this CPU can run, fastest first.
func impls() []*impl {
	var l []*impl
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW {
		l = append(l, implAVX512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		l = append(l, implAVX2) // F16C comes with every AVX2+FMA CPU
	}
	return l
}

func bestImpl() *impl {
	if l := impls(); len(l) > 0 {
		return l[0]
	}
	return nil
}

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

//go:noescape
func expAVX2(n int, dst, src *float32)

//go:noescape
func siluAVX2(n int, dst, src *float32)

//go:noescape
func geluAVX2(n int, dst, src *float32)

//go:noescape
func expSubSumAVX2(n int, dst, src *float32, m float32) float32

//go:noescape
func maxAVX2(n int, src *float32) float32

//go:noescape
func scaleAVX2(n int, dst *float32, s float32)

//go:noescape
func addAVX2(n int, dst, a, b *float32)

//go:noescape
func mulAVX2(n int, dst, a, b *float32)

//go:noescape
func f32ToF16AVX2(n int, dst *uint16, src *float32)

//go:noescape
func f16ToF32AVX2(n int, dst *float32, src *uint16)

//go:noescape
func f32ToBF16AVX2(n int, dst *uint16, src *float32)

//go:noescape
func bf16ToF32AVX2(n int, dst *float32, src *uint16)
