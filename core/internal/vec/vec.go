package vec

import (
	"fmt"
	"math"
)

// Every function writes len(src) (or len(a)) elements of dst; dst and the
// other inputs must be at least that long (a shorter one panics with the
// lengths: callers inside lbrx size them from the same shape). dst may
// alias an input exactly (in-place use), not partially.

func checkLen(op string, dst, src int) {
	if dst < src {
		panic(fmt.Sprintf("vec.%s: dst has %d elements, input %d", op, dst, src))
	}
}

// body returns how many leading elements of an n-element call the
// assembly handles (a multiple of 16), 0 without AVX-512 or assembly.
func body(n int) int {
	if !useAsm {
		return 0
	}
	return n &^ 15
}

// Exp sets dst[i] = e^src[i] (within 2 ulp of ExpRef).
func Exp(dst, src []float32) {
	checkLen("Exp", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		expAVX512(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	ExpRef(dst, src)
}

// SiLU sets dst[i] = x / (1 + e^-x).
func SiLU(dst, src []float32) {
	checkLen("SiLU", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		siluAVX512(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	SiLURef(dst, src)
}

// GELU sets dst[i] = 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))).
func GELU(dst, src []float32) {
	checkLen("GELU", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		geluAVX512(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	GELURef(dst, src)
}

// Softmax sets dst to the softmax of the row src: e^(x-max) / Σ e^(x-max).
// A NaN anywhere makes the whole row NaN.
func Softmax(dst, src []float32) {
	checkLen("Softmax", len(dst), len(src))
	n := body(len(src))
	if n == 0 {
		SoftmaxRef(dst, src)
		return
	}
	m := maxAVX512(n, &src[0])
	for _, x := range src[n:] {
		if x > m {
			m = x
		}
	}
	sum := expSubSumAVX512(n, &dst[0], &src[0], m)
	for i := n; i < len(src); i++ {
		e := expScalar(src[i] - m)
		dst[i] = e
		sum += e
	}
	inv := 1 / sum
	scaleAVX512(n, &dst[0], inv)
	for i := n; i < len(src); i++ {
		dst[i] *= inv
	}
}

// Add sets dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	checkLen("Add", len(dst), len(a))
	checkLen("Add", len(b), len(a))
	if n := body(len(a)); n > 0 {
		addAVX512(n, &dst[0], &a[0], &b[0])
		dst, a, b = dst[n:], a[n:], b[n:]
	}
	AddRef(dst, a, b)
}

// Mul sets dst[i] = a[i] · b[i].
func Mul(dst, a, b []float32) {
	checkLen("Mul", len(dst), len(a))
	checkLen("Mul", len(b), len(a))
	if n := body(len(a)); n > 0 {
		mulAVX512(n, &dst[0], &a[0], &b[0])
		dst, a, b = dst[n:], a[n:], b[n:]
	}
	MulRef(dst, a, b)
}

// F32ToF16 rounds each value to the nearest float16 bit pattern, ties to
// even.
func F32ToF16(dst []uint16, src []float32) {
	checkLen("F32ToF16", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		f32ToF16AVX512(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	F32ToF16Ref(dst, src)
}

// F16ToF32 widens float16 bit patterns to float32 exactly.
func F16ToF32(dst []float32, src []uint16) {
	checkLen("F16ToF32", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		f16ToF32AVX512(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	F16ToF32Ref(dst, src)
}

// F32ToBF16 rounds each value to the nearest bfloat16 bit pattern, ties
// to even, NaN kept quiet with its sign.
func F32ToBF16(dst []uint16, src []float32) {
	checkLen("F32ToBF16", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		f32ToBF16AVX512(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	F32ToBF16Ref(dst, src)
}

// BF16ToF32 widens bfloat16 bit patterns to float32 exactly.
func BF16ToF32(dst []float32, src []uint16) {
	checkLen("BF16ToF32", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		bf16ToF32AVX512(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	BF16ToF32Ref(dst, src)
}

// expScalar is exp for softmax's remainder elements.
func expScalar(x float32) float32 { return float32(math.Exp(float64(x))) }
