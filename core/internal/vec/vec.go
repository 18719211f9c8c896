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
	if active == nil {
		ExpRef(dst, src)
		return
	}
	n := body(len(src))
	if n > 0 {
		active.exp(n, &dst[0], &src[0])
	}
	if n < len(src) {
		unaryTail(active.exp, dst[n:len(src)], src[n:])
	}
}

// SiLU sets dst[i] = x / (1 + e^-x).
func SiLU(dst, src []float32) {
	checkLen("SiLU", len(dst), len(src))
	if active == nil {
		SiLURef(dst, src)
		return
	}
	n := body(len(src))
	if n > 0 {
		active.silu(n, &dst[0], &src[0])
	}
	if n < len(src) {
		unaryTail(active.silu, dst[n:len(src)], src[n:])
	}
}

// GELU sets dst[i] = 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))).
func GELU(dst, src []float32) {
	checkLen("GELU", len(dst), len(src))
	if active == nil {
		GELURef(dst, src)
		return
	}
	n := body(len(src))
	if n > 0 {
		active.gelu(n, &dst[0], &src[0])
	}
	if n < len(src) {
		unaryTail(active.gelu, dst[n:len(src)], src[n:])
	}
}

// Softmax sets dst to the softmax of the row src: e^(x-max) / Σ e^(x-max).
// A NaN anywhere makes the whole row NaN.
func Softmax(dst, src []float32) {
	checkLen("Softmax", len(dst), len(src))
	if active == nil || len(src) == 0 {
		SoftmaxRef(dst, src)
		return
	}
	n := body(len(src))
	m := float32(math.Inf(-1))
	if n > 0 {
		m = active.max(n, &src[0])
	}
	for _, x := range src[n:] {
		if x > m || math.IsNaN(float64(x)) { // a NaN makes the row NaN anyway
			m = x
		}
	}
	var sum float32
	if n > 0 {
		sum = active.expSubSum(n, &dst[0], &src[0], m)
	}
	// The remainder goes through the same assembly, padded with -Inf,
	// whose exponentials add nothing to the sum.
	var tail [16]float32
	if n < len(src) {
		for i := range tail {
			tail[i] = float32(math.Inf(-1))
		}
		copy(tail[:], src[n:])
		sum += active.expSubSum(active.width, &tail[0], &tail[0], m)
	}
	inv := 1 / sum
	if n > 0 {
		active.scale(n, &dst[0], inv)
	}
	for i := n; i < len(src); i++ {
		dst[i] = tail[i-n] * inv
	}
}

// Add sets dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	checkLen("Add", len(dst), len(a))
	checkLen("Add", len(b), len(a))
	if active == nil {
		AddRef(dst, a, b)
		return
	}
	n := body(len(a))
	if n > 0 {
		active.add(n, &dst[0], &a[0], &b[0])
	}
	if n < len(a) {
		var x, y [16]float32
		copy(x[:], a[n:])
		copy(y[:], b[n:len(a)])
		active.add(active.width, &x[0], &x[0], &y[0])
		copy(dst[n:len(a)], x[:])
	}
}

// Mul sets dst[i] = a[i] · b[i].
func Mul(dst, a, b []float32) {
	checkLen("Mul", len(dst), len(a))
	checkLen("Mul", len(b), len(a))
	if active == nil {
		MulRef(dst, a, b)
		return
	}
	n := body(len(a))
	if n > 0 {
		active.mul(n, &dst[0], &a[0], &b[0])
	}
	if n < len(a) {
		var x, y [16]float32
		copy(x[:], a[n:])
		copy(y[:], b[n:len(a)])
		active.mul(active.width, &x[0], &x[0], &y[0])
		copy(dst[n:len(a)], x[:])
	}
}

// F32ToF16 rounds each value to the nearest float16 bit pattern, ties to
// even.
func F32ToF16(dst []uint16, src []float32) {
	checkLen("F32ToF16", len(dst), len(src))
	if active == nil {
		F32ToF16Ref(dst, src)
		return
	}
	n := body(len(src))
	if n > 0 {
		active.toF16(n, &dst[0], &src[0])
	}
	if n < len(src) {
		var in [16]float32
		var out [16]uint16
		copy(in[:], src[n:])
		active.toF16(active.width, &out[0], &in[0])
		copy(dst[n:len(src)], out[:])
	}
}

// F16ToF32 widens float16 bit patterns to float32 exactly.
func F16ToF32(dst []float32, src []uint16) {
	checkLen("F16ToF32", len(dst), len(src))
	if active == nil {
		F16ToF32Ref(dst, src)
		return
	}
	n := body(len(src))
	if n > 0 {
		active.fromF16(n, &dst[0], &src[0])
	}
	if n < len(src) {
		var in [16]uint16
		var out [16]float32
		copy(in[:], src[n:])
		active.fromF16(active.width, &out[0], &in[0])
		copy(dst[n:len(src)], out[:])
	}
}

// F32ToBF16 rounds each value to the nearest bfloat16 bit pattern, ties
// to even, NaN kept quiet with its sign.
func F32ToBF16(dst []uint16, src []float32) {
	checkLen("F32ToBF16", len(dst), len(src))
	if active == nil {
		F32ToBF16Ref(dst, src)
		return
	}
	n := body(len(src))
	if n > 0 {
		active.toBF16(n, &dst[0], &src[0])
	}
	if n < len(src) {
		var in [16]float32
		var out [16]uint16
		copy(in[:], src[n:])
		active.toBF16(active.width, &out[0], &in[0])
		copy(dst[n:len(src)], out[:])
	}
}

// BF16ToF32 widens bfloat16 bit patterns to float32 exactly.
func BF16ToF32(dst []float32, src []uint16) {
	checkLen("BF16ToF32", len(dst), len(src))
	if active == nil {
		BF16ToF32Ref(dst, src)
		return
	}
	n := body(len(src))
	if n > 0 {
		active.fromBF16(n, &dst[0], &src[0])
	}
	if n < len(src) {
		var in [16]uint16
		var out [16]float32
		copy(in[:], src[n:])
		active.fromBF16(active.width, &out[0], &in[0])
		copy(dst[n:len(src)], out[:])
	}
}

// unaryTail runs f on the fewer-than-width elements of src through a
// padded buffer, so short inputs and remainders get the assembly (and its
// rounding) too.
func unaryTail(f func(n int, dst, src *float32), dst, src []float32) {
	var buf [16]float32
	copy(buf[:], src)
	f(active.width, &buf[0], &buf[0])
	copy(dst, buf[:len(src)])
}
