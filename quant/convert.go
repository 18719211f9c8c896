package quant

import (
	"math"
	"sync"
	"unsafe"

	"github.com/lbrx/lbrx/core"
	"github.com/x448/float16"
)

// The slice converters below give, value for value, exactly the results of
// the scalar conversions (github.com/x448/float16 for f16, round to nearest
// even via core.BFloat16FromFloat32 for bf16), NaN payloads and signalling
// bits included. They differ only in speed: a widening table for f16 and a
// branch-light bit formula for the common, normal-range narrowing case.

// f16ToF32Table maps every binary16 pattern to its binary32 pattern. 256 KiB
// is small next to the weights it converts and turns a data-dependent
// normalisation loop into one load.
var (
	f16TableOnce  sync.Once
	f16ToF32Table *[1 << 16]uint32
)

func f16Table() *[1 << 16]uint32 {
	f16TableOnce.Do(func() {
		t := new([1 << 16]uint32)
		for i := range t {
			t[i] = math.Float32bits(float16.Frombits(uint16(i)).Float32())
		}
		f16ToF32Table = t
	})
	return f16ToF32Table
}

// f32ToF16Fast and f16ToF32Fast convert a leading part of src with
// hardware instructions where the CPU has them (convert_amd64.go) and
// return how many values they did; nil means none.
var (
	f32ToF16Fast  func(dst []core.Float16, src []float32) int
	f16ToF32Fast  func(dst []float32, src []core.Float16) int
	f32ToBF16Fast func(dst []core.BFloat16, src []float32) int
	bf16ToF32Fast func(dst []float32, src []core.BFloat16) int
)

// F16ToF32 widens src into dst (exact). dst must be at least as long as src.
func F16ToF32(dst []float32, src []core.Float16) {
	dst = dst[:len(src)]
	if f16ToF32Fast != nil {
		n := f16ToF32Fast(dst, src)
		dst, src = dst[n:], src[n:]
	}
	t := f16Table()
	for i, h := range src {
		dst[i] = math.Float32frombits(t[h])
	}
}

// F16BitsToF32 widens raw binary16 patterns, as read from a file.
func F16BitsToF32(dst []float32, src []uint16) {
	F16ToF32(dst, unsafe.Slice((*core.Float16)(unsafe.SliceData(src)), len(src)))
}

// f32ToF16 narrows one value. Values whose result is a normal binary16 are
// rounded here with integer arithmetic (round to nearest, ties to even;
// rounding up past the largest finite value gives infinity as IEEE says);
// zeros, subnormals, overflow, infinities and NaN take the scalar path.
func f32ToF16(f float32) uint16 {
	u := math.Float32bits(f)
	abs := u & 0x7fffffff
	// [2^-14, 2^16): the result exponent is 1..30 before rounding.
	if abs-0x38800000 < 0x47800000-0x38800000 {
		r := (abs - 0x38000000 + 0xfff + (abs>>13)&1) >> 13
		return uint16(u>>16&0x8000 | r)
	}
	return float16.Fromfloat32(f).Bits()
}

// F32ToF16 rounds src into dst, ties to even. dst must be at least as long
// as src.
func F32ToF16(dst []core.Float16, src []float32) {
	dst = dst[:len(src)]
	if f32ToF16Fast != nil {
		n := f32ToF16Fast(dst, src)
		dst, src = dst[n:], src[n:]
	}
	for i, f := range src {
		dst[i] = core.Float16(f32ToF16(f))
	}
}

// F32ToF16Bits is F32ToF16 writing raw binary16 patterns.
func F32ToF16Bits(dst []uint16, src []float32) {
	F32ToF16(unsafe.Slice((*core.Float16)(unsafe.SliceData(dst)), len(dst)), src)
}

// BF16ToF32 widens src into dst (exact: bf16 is the top half of an f32).
func BF16ToF32(dst []float32, src []core.BFloat16) {
	dst = dst[:len(src)]
	if bf16ToF32Fast != nil {
		n := bf16ToF32Fast(dst, src)
		dst, src = dst[n:], src[n:]
	}
	for i, h := range src {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}
}

// F32ToBF16 rounds src into dst, ties to even, with
// core.BFloat16FromFloat32's NaN rule (quiet bit forced, sign and top
// payload kept).
func F32ToBF16(dst []core.BFloat16, src []float32) {
	dst = dst[:len(src)]
	if f32ToBF16Fast != nil {
		n := f32ToBF16Fast(dst, src)
		dst, src = dst[n:], src[n:]
	}
	for i, f := range src {
		dst[i] = core.BFloat16FromFloat32(f)
	}
}

// F16ToBF16 converts through the exact f32 widening, so the only rounding
// is the final one to bf16.
func F16ToBF16(dst []core.BFloat16, src []core.Float16) {
	t := f16Table()
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = core.BFloat16FromFloat32(math.Float32frombits(t[h]))
	}
}

// BF16ToF16 converts through the exact f32 widening, so the only rounding
// is the final one to f16.
func BF16ToF16(dst []core.Float16, src []core.BFloat16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = core.Float16(f32ToF16(math.Float32frombits(uint32(h) << 16)))
	}
}
