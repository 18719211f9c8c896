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

// impl is one instruction set's assembly bodies; each handles n
// elements, n a multiple of width.
type impl struct {
	name              string
	width             int
	exp, silu, gelu   func(n int, dst, src *float32)
	expSubSum         func(n int, dst, src *float32, m float32) float32
	max               func(n int, src *float32) float32
	scale             func(n int, dst *float32, s float32)
	add, mul          func(n int, dst, a, b *float32)
	toF16, toBF16     func(n int, dst *uint16, src *float32)
	fromF16, fromBF16 func(n int, dst *float32, src *uint16)
}

// active is the assembly in use, nil for the Go references alone.
var active = bestImpl()

// body returns how many leading elements of an n-element call the
// assembly handles (a multiple of its width), 0 without assembly.
func body(n int) int {
	if active == nil {
		return 0
	}
	return n &^ (active.width - 1)
}

// Exp sets dst[i] = e^src[i] (within 2 ulp of ExpRef).
func Exp(dst, src []float32) {
	checkLen("Exp", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		active.exp(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	ExpRef(dst, src)
}

// SiLU sets dst[i] = x / (1 + e^-x).
func SiLU(dst, src []float32) {
	checkLen("SiLU", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		active.silu(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	SiLURef(dst, src)
}

// GELU sets dst[i] = 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))).
func GELU(dst, src []float32) {
	checkLen("GELU", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		active.gelu(n, &dst[0], &src[0])
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
	m := active.max(n, &src[0])
	for _, x := range src[n:] {
		if x > m {
			m = x
		}
	}
	sum := active.expSubSum(n, &dst[0], &src[0], m)
	for i := n; i < len(src); i++ {
		e := expScalar(src[i] - m)
		dst[i] = e
		sum += e
	}
	inv := 1 / sum
	active.scale(n, &dst[0], inv)
	for i := n; i < len(src); i++ {
		dst[i] *= inv
	}
}

// Add sets dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	checkLen("Add", len(dst), len(a))
	checkLen("Add", len(b), len(a))
	if n := body(len(a)); n > 0 {
		active.add(n, &dst[0], &a[0], &b[0])
		dst, a, b = dst[n:], a[n:], b[n:]
	}
	AddRef(dst, a, b)
}

// Mul sets dst[i] = a[i] · b[i].
func Mul(dst, a, b []float32) {
	checkLen("Mul", len(dst), len(a))
	checkLen("Mul", len(b), len(a))
	if n := body(len(a)); n > 0 {
		active.mul(n, &dst[0], &a[0], &b[0])
		dst, a, b = dst[n:], a[n:], b[n:]
	}
	MulRef(dst, a, b)
}

// F32ToF16 rounds each value to the nearest float16 bit pattern, ties to
// even.
func F32ToF16(dst []uint16, src []float32) {
	checkLen("F32ToF16", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		active.toF16(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	F32ToF16Ref(dst, src)
}

// F16ToF32 widens float16 bit patterns to float32 exactly.
func F16ToF32(dst []float32, src []uint16) {
	checkLen("F16ToF32", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		active.fromF16(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	F16ToF32Ref(dst, src)
}

// F32ToBF16 rounds each value to the nearest bfloat16 bit pattern, ties
// to even, NaN kept quiet with its sign.
func F32ToBF16(dst []uint16, src []float32) {
	checkLen("F32ToBF16", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		active.toBF16(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	F32ToBF16Ref(dst, src)
}

// BF16ToF32 widens bfloat16 bit patterns to float32 exactly.
func BF16ToF32(dst []float32, src []uint16) {
	checkLen("BF16ToF32", len(dst), len(src))
	if n := body(len(src)); n > 0 {
		active.fromBF16(n, &dst[0], &src[0])
		dst, src = dst[n:], src[n:]
	}
	BF16ToF32Ref(dst, src)
}

// expScalar is exp for softmax's remainder elements.
func expScalar(x float32) float32 { return float32(math.Exp(float64(x))) }
