package gguf

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/x448/float16"

	"github.com/lbrx/lbrx/core"
)

// Dequantize decodes src, whole blocks of type t, into dst as float32,
// exactly as ggml's to_float does (integer and F64 types: a plain
// conversion). len(dst) values are written and src must hold exactly
// len(dst)/t.BlockSize() blocks. Unsupported types (IQ2/IQ3/IQ1, TQ*,
// Q8_1, and types lbrx does not know) give an error naming the type.
//
// Products are rounded to float32 before any addition, as ggml's portable
// C does, so that no platform fuses them into a multiply-add.
func Dequantize(t Type, src []byte, dst []float32) error {
	bs, bb := t.BlockSize(), t.BlockBytes()
	dec, ok := decoders[t]
	if !ok || bb == 0 {
		return fmt.Errorf("dequantize: ggml type %v is not supported", t)
	}
	if len(dst)%bs != 0 {
		return fmt.Errorf("dequantize %v: %d values are not a whole number of %d-value blocks", t, len(dst), bs)
	}
	if n := len(dst) / bs * bb; len(src) != n {
		return fmt.Errorf("dequantize %v: %d values need %d bytes, got %d", t, len(dst), n, len(src))
	}
	for i := 0; i < len(dst)/bs; i++ {
		dec(src[i*bb:(i+1)*bb], dst[i*bs:(i+1)*bs])
	}
	return nil
}

// Supported reports whether Dequantize decodes type t.
func Supported(t Type) bool {
	_, ok := decoders[t]
	return ok
}

// decoders decode one block each.
var decoders = map[Type]func(b []byte, y []float32){
	F32:   func(b []byte, y []float32) { y[0] = math.Float32frombits(binary.LittleEndian.Uint32(b)) },
	F16:   func(b []byte, y []float32) { y[0] = f16(b) },
	BF16:  func(b []byte, y []float32) { y[0] = core.BFloat16(binary.LittleEndian.Uint16(b)).Float32() },
	F64:   func(b []byte, y []float32) { y[0] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b))) },
	I8:    func(b []byte, y []float32) { y[0] = float32(int8(b[0])) },
	I16:   func(b []byte, y []float32) { y[0] = float32(int16(binary.LittleEndian.Uint16(b))) },
	I32:   func(b []byte, y []float32) { y[0] = float32(int32(binary.LittleEndian.Uint32(b))) },
	I64:   func(b []byte, y []float32) { y[0] = float32(int64(binary.LittleEndian.Uint64(b))) },
	Q4_0:  decodeQ4_0,
	Q4_1:  decodeQ4_1,
	Q5_0:  decodeQ5_0,
	Q5_1:  decodeQ5_1,
	Q8_0:  decodeQ8_0,
	Q2K:   decodeQ2K,
	Q3K:   decodeQ3K,
	Q4K:   decodeQ4K,
	Q5K:   decodeQ5K,
	Q6K:   decodeQ6K,
	Q8K:   decodeQ8K,
	IQ4NL: decodeIQ4NL,
	MXFP4: decodeMXFP4,
}

// f16 reads a little-endian IEEE half.
func f16(b []byte) float32 { return float16.Frombits(binary.LittleEndian.Uint16(b)).Float32() }

// Q4_0: {f16 d; u8 qs[16]}; low nibbles are values 0..15, high 16..31.
func decodeQ4_0(b []byte, y []float32) {
	d := f16(b)
	qs := b[2:18]
	for j := range 16 {
		y[j] = float32(int(qs[j]&0xf)-8) * d
		y[j+16] = float32(int(qs[j]>>4)-8) * d
	}
}

// Q4_1: {f16 d; f16 m; u8 qs[16]}, value q*d + m.
func decodeQ4_1(b []byte, y []float32) {
	d, m := f16(b), f16(b[2:])
	qs := b[4:20]
	for j := range 16 {
		y[j] = float32(float32(qs[j]&0xf)*d) + m
		y[j+16] = float32(float32(qs[j]>>4)*d) + m
	}
}

// Q5_0: {f16 d; u32 qh; u8 qs[16]}: the fifth bits of the 32 values in qh.
func decodeQ5_0(b []byte, y []float32) {
	d := f16(b)
	qh := binary.LittleEndian.Uint32(b[2:])
	qs := b[6:22]
	for j := range 16 {
		h0 := byte((qh>>uint(j))<<4) & 0x10
		h1 := byte(qh>>uint(j+12)) & 0x10
		y[j] = float32(int(qs[j]&0xf|h0)-16) * d
		y[j+16] = float32(int(qs[j]>>4|h1)-16) * d
	}
}

// Q5_1: {f16 d; f16 m; u32 qh; u8 qs[16]}, value q*d + m.
func decodeQ5_1(b []byte, y []float32) {
	d, m := f16(b), f16(b[2:])
	qh := binary.LittleEndian.Uint32(b[4:])
	qs := b[8:24]
	for j := range 16 {
		h0 := byte((qh>>uint(j))<<4) & 0x10
		h1 := byte(qh>>uint(j+12)) & 0x10
		y[j] = float32(float32(qs[j]&0xf|h0)*d) + m
		y[j+16] = float32(float32(qs[j]>>4|h1)*d) + m
	}
}

// Q8_0: {f16 d; i8 qs[32]}.
func decodeQ8_0(b []byte, y []float32) {
	d := f16(b)
	for j := range 32 {
		y[j] = float32(int8(b[2+j])) * d
	}
}

// Q2_K: {u8 scales[16]; u8 qs[64]; f16 d; f16 dmin}. Each 16-value group
// has a 4-bit scale and a 4-bit min; values are 2-bit.
func decodeQ2K(b []byte, y []float32) {
	scales, q := b[0:16], b[16:80]
	d, dmin := f16(b[80:]), f16(b[82:])
	is, k := 0, 0
	for n := 0; n < qkK; n += 128 {
		shift := uint(0)
		for range 4 {
			for half := 0; half < 2; half++ {
				sc := scales[is]
				is++
				dl, ml := d*float32(sc&0xf), dmin*float32(sc>>4)
				for l := range 16 {
					y[k] = float32(dl*float32((q[l+16*half]>>shift)&3)) - ml
					k++
				}
			}
			shift += 2
		}
		q = q[32:]
	}
}

// Q3_K: {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}: 3-bit values
// (2 low bits in qs, the high bit inverted in hmask), 6-bit signed scales.
func decodeQ3K(b []byte, y []float32) {
	hm, q := b[0:32], b[32:96]
	var aux [4]uint32
	for i := range 3 {
		aux[i] = binary.LittleEndian.Uint32(b[96+4*i:])
	}
	d := f16(b[108:])
	const km1, km2 = 0x03030303, 0x0f0f0f0f
	tmp := aux[2]
	aux[2] = (aux[0]>>4)&km2 | ((tmp>>4)&km1)<<4
	aux[3] = (aux[1]>>4)&km2 | ((tmp>>6)&km1)<<4
	aux[0] = aux[0]&km2 | ((tmp>>0)&km1)<<4
	aux[1] = aux[1]&km2 | ((tmp>>2)&km1)<<4
	var scales [16]int8
	for i := range 16 {
		scales[i] = int8(aux[i/4] >> (8 * uint(i%4)))
	}
	is, k := 0, 0
	m := byte(1)
	for n := 0; n < qkK; n += 128 {
		shift := uint(0)
		for range 4 {
			for half := 0; half < 2; half++ {
				dl := d * float32(int(scales[is])-32)
				is++
				for l := range 16 {
					v := int((q[l+16*half] >> shift) & 3)
					if hm[l+16*half]&m == 0 {
						v -= 4
					}
					y[k] = dl * float32(v)
					k++
				}
			}
			shift += 2
			m <<= 1
		}
		q = q[32:]
	}
}

// scaleMinK4 unpacks the j-th 6-bit scale and min of Q4_K and Q5_K.
func scaleMinK4(j int, q []byte) (sc, m byte) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// Q4_K: {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}: 8 groups of 32.
func decodeQ4K(b []byte, y []float32) {
	d, dmin := f16(b), f16(b[2:])
	scales, q := b[4:16], b[16:144]
	k := 0
	for is := 0; is < 8; is += 2 {
		sc, m := scaleMinK4(is, scales)
		d1, m1 := d*float32(sc), dmin*float32(m)
		sc, m = scaleMinK4(is+1, scales)
		d2, m2 := d*float32(sc), dmin*float32(m)
		for l := range 32 {
			y[k+l] = float32(d1*float32(q[l]&0xf)) - m1
			y[k+32+l] = float32(d2*float32(q[l]>>4)) - m2
		}
		k += 64
		q = q[32:]
	}
}

// Q5_K: {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}.
func decodeQ5K(b []byte, y []float32) {
	d, dmin := f16(b), f16(b[2:])
	scales, qh, ql := b[4:16], b[16:48], b[48:176]
	k := 0
	u1, u2 := byte(1), byte(2)
	for is := 0; is < 8; is += 2 {
		sc, m := scaleMinK4(is, scales)
		d1, m1 := d*float32(sc), dmin*float32(m)
		sc, m = scaleMinK4(is+1, scales)
		d2, m2 := d*float32(sc), dmin*float32(m)
		for l := range 32 {
			lo, hi := ql[l]&0xf, ql[l]>>4
			if qh[l]&u1 != 0 {
				lo += 16
			}
			if qh[l]&u2 != 0 {
				hi += 16
			}
			y[k+l] = float32(d1*float32(lo)) - m1
			y[k+32+l] = float32(d2*float32(hi)) - m2
		}
		k += 64
		ql = ql[32:]
		u1 <<= 2
		u2 <<= 2
	}
}

// Q6_K: {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}: 6-bit values.
func decodeQ6K(b []byte, y []float32) {
	ql, qh, sc := b[0:128], b[128:192], b[192:208]
	d := f16(b[208:])
	for n := 0; n < qkK; n += 128 {
		for l := range 32 {
			is := l / 16
			q1 := int(ql[l]&0xf|((qh[l]>>0)&3)<<4) - 32
			q2 := int(ql[l+32]&0xf|((qh[l]>>2)&3)<<4) - 32
			q3 := int(ql[l]>>4|((qh[l]>>4)&3)<<4) - 32
			q4 := int(ql[l+32]>>4|((qh[l]>>6)&3)<<4) - 32
			y[n+l] = float32(d*float32(int8(sc[is]))) * float32(q1)
			y[n+l+32] = float32(d*float32(int8(sc[is+2]))) * float32(q2)
			y[n+l+64] = float32(d*float32(int8(sc[is+4]))) * float32(q3)
			y[n+l+96] = float32(d*float32(int8(sc[is+6]))) * float32(q4)
		}
		ql, qh, sc = ql[64:], qh[32:], sc[8:]
	}
}

// Q8_K: {f32 d; i8 qs[256]; i16 bsums[16]}.
func decodeQ8K(b []byte, y []float32) {
	d := math.Float32frombits(binary.LittleEndian.Uint32(b))
	for j := range qkK {
		y[j] = d * float32(int8(b[4+j]))
	}
}

// kvaluesIQ4NL is ggml's non-linear 4-bit codebook.
var kvaluesIQ4NL = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// IQ4_NL: {f16 d; u8 qs[16]}, nibble order as Q4_0.
func decodeIQ4NL(b []byte, y []float32) {
	d := f16(b)
	qs := b[2:18]
	for j := range 16 {
		y[j] = d * float32(kvaluesIQ4NL[qs[j]&0xf])
		y[j+16] = d * float32(kvaluesIQ4NL[qs[j]>>4])
	}
}

// kvaluesMXFP4 are the FP4 (E2M1) values doubled, as ggml stores them; the
// E8M0 scale is halved to match.
var kvaluesMXFP4 = [16]int8{0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12}

// e8m0Half is GGML_E8M0_TO_FP32_HALF: 2^(e-127) / 2.
func e8m0Half(e byte) float32 {
	var bits uint32
	if e < 2 {
		bits = 0x00200000 << e
	} else {
		bits = uint32(e-1) << 23
	}
	return math.Float32frombits(bits)
}

// MXFP4: {u8 e; u8 qs[16]}.
func decodeMXFP4(b []byte, y []float32) {
	d := e8m0Half(b[0])
	qs := b[1:17]
	for j := range 16 {
		y[j] = float32(kvaluesMXFP4[qs[j]&0xf]) * d
		y[j+16] = float32(kvaluesMXFP4[qs[j]>>4]) * d
	}
}
