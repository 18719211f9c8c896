package vec

import (
	"math"

	"github.com/x448/float16"
)

// ExpRef sets dst[i] = e^src[i], rounded from float64.
func ExpRef(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = float32(math.Exp(float64(x)))
	}
}

// SiLURef sets dst[i] = x·sigmoid(x) = x / (1 + e^-x).
func SiLURef(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = float32(float64(x) / (1 + math.Exp(-float64(x))))
	}
}

// geluC is sqrt(2/π), the scale inside GELU's tanh approximation.
const geluC = 0.7978845608028654

// GELURef sets dst[i] = 0.5·x·(1 + tanh(z)), z = sqrt(2/π)·(x + 0.044715·x³),
// the tanh approximation used by GPT-2-style models. It is evaluated as
// the equal x / (1 + e^(-2z)), which unlike 1 + tanh(z) does not cancel
// for negative x.
func GELURef(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		v := float64(x)
		dst[i] = float32(v / (1 + math.Exp(-2*geluC*(v+0.044715*v*v*v))))
	}
}

// SoftmaxRef sets dst = e^(src-max) / Σ e^(src-max) over the row.
func SoftmaxRef(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	dst = dst[:len(src)]
	m := src[0]
	for _, x := range src[1:] {
		if x > m {
			m = x
		}
	}
	var sum float64
	for i, x := range src {
		e := math.Exp(float64(x - m))
		dst[i] = float32(e)
		sum += e
	}
	inv := 1 / sum
	for i := range dst {
		dst[i] = float32(float64(dst[i]) * inv)
	}
}

// AddRef sets dst[i] = a[i] + b[i].
func AddRef(dst, a, b []float32) {
	dst = dst[:len(a)]
	b = b[:len(a)]
	for i := range a {
		dst[i] = a[i] + b[i]
	}
}

// MulRef sets dst[i] = a[i] · b[i].
func MulRef(dst, a, b []float32) {
	dst = dst[:len(a)]
	b = b[:len(a)]
	for i := range a {
		dst[i] = a[i] * b[i]
	}
}

// F32ToF16Ref rounds each value to the nearest float16 (ties to even).
func F32ToF16Ref(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = float16.Fromfloat32(x).Bits()
	}
}

// F16ToF32Ref widens float16 bit patterns to float32 exactly.
func F16ToF32Ref(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = float16.Frombits(h).Float32()
	}
}

// F32ToBF16Ref rounds each value to the nearest bfloat16, ties to even;
// NaN stays NaN with its sign and top payload and the quiet bit set (the
// rule of core.BFloat16FromFloat32).
func F32ToBF16Ref(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		b := math.Float32bits(x)
		if b&0x7fffffff > 0x7f800000 {
			dst[i] = uint16(b>>16 | 0x0040)
			continue
		}
		b += 0x7fff + (b>>16)&1
		dst[i] = uint16(b >> 16)
	}
}

// BF16ToF32Ref widens bfloat16 bit patterns to float32 exactly.
func BF16ToF32Ref(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}
}
