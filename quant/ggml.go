package quant

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core"
)

// ggml blocks hold 32 values each (ggml-common.h).
const blockValues = 32

// BlockBytes returns the size of one 32-value block of a ggml scheme:
// Q8_0 34 ({f16 d; int8 qs[32]}), Q4_0 18 ({f16 d; u8 qs[16]}), Q4_1 20
// ({f16 d; f16 m; u8 qs[16]}); 0 for other schemes.
func BlockBytes(s core.Scheme) int {
	switch s {
	case core.SchemeQ8_0:
		return 34
	case core.SchemeQ4_0:
		return 18
	case core.SchemeQ4_1:
		return 20
	}
	return 0
}

func schemeBits(s core.Scheme) int {
	if s == core.SchemeQ8_0 {
		return 8
	}
	return 4
}

func f16At(b []byte) float32 {
	return math.Float32frombits(f16Table()[binary.LittleEndian.Uint16(b)])
}

func putF16(b []byte, f float32) { binary.LittleEndian.PutUint16(b, f32ToF16(f)) }

// truncInt8 is C's (int8_t) cast of a float in range: toward zero. NaN,
// which C leaves undefined, gives 0.
func truncInt8(f float32) int {
	if f != f {
		return 0
	}
	return int(max(-128, min(127, float32(math.Trunc(float64(f))))))
}

// EncodeBlocks quantizes src (a multiple of 32 values) into dst, block by
// block, bit for bit as ggml's reference quantizers do
// (quantize_row_q8_0_ref, quantize_row_q4_0_ref, quantize_row_q4_1_ref in
// ggml-quants.c). Explicit float32 conversions keep Go from fusing a
// multiply and an add, which the reference does not do either.
func EncodeBlocks(s core.Scheme, dst []byte, src []float32) error {
	bb := BlockBytes(s)
	if bb == 0 {
		return fmt.Errorf("encode blocks: scheme %q is not a ggml block scheme", s)
	}
	if len(src)%blockValues != 0 {
		return fmt.Errorf("encode %s: %d values is not a multiple of %d", s, len(src), blockValues)
	}
	nb := len(src) / blockValues
	if len(dst) < nb*bb {
		return fmt.Errorf("encode %s: destination holds %d bytes, need %d", s, len(dst), nb*bb)
	}
	for i := range nb {
		x := src[i*blockValues : (i+1)*blockValues]
		blk := dst[i*bb : (i+1)*bb]
		switch s {
		case core.SchemeQ8_0:
			encodeQ80(blk, x)
		case core.SchemeQ4_0:
			encodeQ40(blk, x)
		default:
			encodeQ41(blk, x)
		}
	}
	return nil
}

func encodeQ80(blk []byte, x []float32) {
	var amax float32
	for _, v := range x {
		if a := abs32(v); !(amax > a) { // ggml's MAX(amax, fabsf(v))
			amax = a
		}
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(blk, d)
	qs := (*[blockValues]byte)(blk[2:])
	for j, v := range x {
		q := float32(v * id)
		r := float32(math.Round(float64(q))) // roundf: ties away from zero
		qs[j] = byte(int8(truncInt8(r)))
	}
}

func encodeQ40(blk []byte, x []float32) {
	var amax, mx float32
	for _, v := range x {
		if amax < abs32(v) {
			amax, mx = abs32(v), v
		}
	}
	d := mx / -8
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(blk, d)
	for j := range 16 {
		x0 := float32(x[j] * id)
		x1 := float32(x[j+16] * id)
		q0 := min(15, truncInt8(x0+8.5))
		q1 := min(15, truncInt8(x1+8.5))
		blk[2+j] = byte(q0) | byte(q1)<<4
	}
}

func encodeQ41(blk []byte, x []float32) {
	lo, hi := float32(math.MaxFloat32), float32(-math.MaxFloat32)
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	d := (hi - lo) / 15
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(blk, d)
	putF16(blk[2:], lo)
	for j := range 16 {
		x0 := float32((x[j] - lo) * id)
		x1 := float32((x[j+16] - lo) * id)
		q0 := min(15, truncInt8(x0+0.5))
		q1 := min(15, truncInt8(x1+0.5))
		blk[4+j] = byte(q0) | byte(q1)<<4
	}
}

// DecodeBlocks dequantizes ggml blocks into dst (32 values per block) as
// ggml's to_float does: Q8_0 qs*d, Q4_0 (nibble-8)*d, Q4_1 nibble*d + m,
// where the low nibble of qs[j] is value j and the high nibble value j+16.
func DecodeBlocks(s core.Scheme, dst []float32, src []byte) error {
	bb := BlockBytes(s)
	if bb == 0 {
		return fmt.Errorf("decode blocks: scheme %q is not a ggml block scheme", s)
	}
	if len(src)%bb != 0 {
		return fmt.Errorf("decode %s: %d bytes is not a whole number of %d-byte blocks", s, len(src), bb)
	}
	nb := len(src) / bb
	if len(dst) < nb*blockValues {
		return fmt.Errorf("decode %s: destination holds %d values, need %d", s, len(dst), nb*blockValues)
	}
	for i := range nb {
		blk := src[i*bb : (i+1)*bb]
		y := dst[i*blockValues : (i+1)*blockValues]
		d := f16At(blk)
		switch s {
		case core.SchemeQ8_0:
			for j := range 32 {
				y[j] = float32(int8(blk[2+j])) * d
			}
		case core.SchemeQ4_0:
			for j := range 16 {
				y[j] = float32(int(blk[2+j]&15)-8) * d
				y[j+16] = float32(int(blk[2+j]>>4)-8) * d
			}
		default:
			m := f16At(blk[2:])
			for j := range 16 {
				y[j] = float32(float32(blk[4+j]&15)*d) + m
				y[j+16] = float32(float32(blk[4+j]>>4)*d) + m
			}
		}
	}
	return nil
}

// QuantizeBlocks quantizes w (F32, F16 or BF16, last dimension a multiple
// of 32) into ggml blocks. The result is a U8 array [..., in/32*BlockBytes]
// of raw block bytes, row-major along the last dimension (ggml ne0), whose
// Metadata.Quant names the scheme and holds the logical shape.
func QuantizeBlocks(w *core.Array, s core.Scheme) (*core.Array, error) {
	if w == nil {
		return nil, errors.New("quantize blocks: nil tensor")
	}
	bb := BlockBytes(s)
	if bb == 0 {
		return nil, fmt.Errorf("quantize %v: scheme %q is not a ggml block scheme", w, s)
	}
	shape := w.Shape()
	if len(shape) < 1 || shape[len(shape)-1]%blockValues != 0 {
		return nil, fmt.Errorf("quantize %v to %s: last dimension must be a multiple of %d", w, s, blockValues)
	}
	vals, err := float32s(w)
	if err != nil {
		return nil, fmt.Errorf("quantize blocks: %w", err)
	}
	buf := make([]byte, len(vals)/blockValues*bb)
	if err := EncodeBlocks(s, buf, vals); err != nil {
		return nil, fmt.Errorf("quantize %v: %w", w, err)
	}
	return wrapBlocks(buf, s, shape, w.Metadata())
}

// FromBlocks wraps raw ggml block bytes (as read from a GGUF file) as a
// quantized array of the given logical shape (numpy order: the last
// dimension is ggml's ne0). The bytes are copied.
func FromBlocks(raw []byte, s core.Scheme, shape core.Shape) (*core.Array, error) {
	bb := BlockBytes(s)
	if bb == 0 {
		return nil, fmt.Errorf("from blocks: scheme %q is not a ggml block scheme", s)
	}
	if err := shape.Validate(); err != nil {
		return nil, fmt.Errorf("from %s blocks: %w", s, err)
	}
	if len(shape) < 1 || shape[len(shape)-1]%blockValues != 0 {
		return nil, fmt.Errorf("from %s blocks: shape %v: last dimension must be a multiple of %d", s, shape, blockValues)
	}
	if want := shape.NumElements() / blockValues * bb; len(raw) != want {
		return nil, fmt.Errorf("from %s blocks: shape %v needs %d bytes, got %d", s, shape, want, len(raw))
	}
	return wrapBlocks(append([]byte(nil), raw...), s, shape, core.Metadata{})
}

func wrapBlocks(buf []byte, s core.Scheme, shape core.Shape, meta core.Metadata) (*core.Array, error) {
	bshape := shape.Clone()
	bshape[len(bshape)-1] = shape[len(shape)-1] / blockValues * BlockBytes(s)
	t, err := core.FromSlice(buf, bshape...)
	if err != nil {
		return nil, err
	}
	meta.DimNames = nil
	meta.Quant = &core.QuantizationInfo{Scheme: s, Bits: schemeBits(s), GroupSize: blockValues, Shape: shape.Clone()}
	return t.Array().WithMetadata(meta)
}
