package core

import "math"

// BFloat16 is a bfloat16 value: the upper 16 bits of an IEEE 754 binary32.
type BFloat16 uint16

// BFloat16FromFloat32 rounds f to the nearest bfloat16, ties to even. NaN stays
// NaN (quiet, sign kept); values beyond the range round to ±Inf exactly as
// the IEEE rule says.
func BFloat16FromFloat32(f float32) BFloat16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep sign and top payload, force quiet bit
		return BFloat16(b>>16 | 0x0040)
	}
	// Round to nearest even: add 0x7fff plus the lowest kept bit.
	b += 0x7fff + (b>>16)&1
	return BFloat16(b >> 16)
}

// Float32 widens h to float32 exactly.
func (h BFloat16) Float32() float32 { return math.Float32frombits(uint32(h) << 16) }

// Bits returns the raw 16-bit pattern.
func (h BFloat16) Bits() uint16 { return uint16(h) }
