package quant

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
)

// blockValues is the size of ggml's small blocks (Q8_0, Q4_0, ...): 32.
const blockValues = 32

// BlockBytes returns the size of one block of a ggml scheme, as
// ggml-common.h lays it out: Q8_0 34, Q4_0 18, Q4_1 20, Q5_0 22, Q5_1 24,
// IQ4_NL 18 (32-value blocks); Q2_K 84, Q3_K 110, Q4_K 144, Q5_K 176,
// Q6_K 210 (256-value super-blocks). 0 for other schemes.
func BlockBytes(s core.Scheme) int {
	if g, ok := ggmlSchemes[s]; ok {
		return g.typ.BlockBytes()
	}
	return 0
}

// BlockValues returns the number of values one block of a ggml scheme
// holds: 32, 256 for the K-quants, 1 for F16/BF16; 0 for other schemes.
func BlockValues(s core.Scheme) int {
	if g, ok := ggmlSchemes[s]; ok {
		return g.typ.BlockSize()
	}
	return 0
}

// ggmlScheme ties a scheme to its GGUF type (which owns the block layout
// and the reference decoder, core/gguf) and its nominal code width.
type ggmlScheme struct {
	typ  gguf.Type
	bits int
}

var ggmlSchemes = map[core.Scheme]ggmlScheme{
	core.SchemeQ8_0:   {gguf.Q8_0, 8},
	core.SchemeQ4_0:   {gguf.Q4_0, 4},
	core.SchemeQ4_1:   {gguf.Q4_1, 4},
	core.SchemeQ5_0:   {gguf.Q5_0, 5},
	core.SchemeQ5_1:   {gguf.Q5_1, 5},
	core.SchemeQ2_K:   {gguf.Q2K, 2},
	core.SchemeQ3_K:   {gguf.Q3K, 3},
	core.SchemeQ4_K:   {gguf.Q4K, 4},
	core.SchemeQ5_K:   {gguf.Q5K, 5},
	core.SchemeQ6_K:   {gguf.Q6K, 6},
	core.SchemeIQ4_NL: {gguf.IQ4NL, 4},
	core.SchemeF16:    {gguf.F16, 16},
	core.SchemeBF16:   {gguf.BF16, 16},
}

// schemeBits is the nominal code width recorded in QuantizationInfo.Bits.
func schemeBits(s core.Scheme) int { return ggmlSchemes[s].bits }

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

// EncodeBlocks quantizes src (a whole number of blocks) into dst, block
// by block, bit for bit as ggml's reference quantizers do
// (quantize_row_<type>_ref in ggml-quants.c, and quantize_iq4_nl, which
// is what llama-quantize runs without an importance matrix). Explicit float32 conversions keep
// Go from fusing a multiply and an add, which the reference does not do
// either. Schemes without an encoder give an error naming them.
func EncodeBlocks(s core.Scheme, dst []byte, src []float32) error {
	bb, bv := BlockBytes(s), BlockValues(s)
	if bb == 0 {
		return fmt.Errorf("encode blocks: scheme %q is not a ggml block scheme", s)
	}
	enc := encoders[s]
	if enc == nil {
		return fmt.Errorf("encode blocks: no encoder for %s yet", s)
	}
	if len(src)%bv != 0 {
		return fmt.Errorf("encode %s: %d values is not a multiple of %d", s, len(src), bv)
	}
	nb := len(src) / bv
	if len(dst) < nb*bb {
		return fmt.Errorf("encode %s: destination holds %d bytes, need %d", s, len(dst), nb*bb)
	}
	for i := range nb {
		enc(dst[i*bb:(i+1)*bb], src[i*bv:(i+1)*bv])
	}
	return nil
}

// encoders quantize one block each.
var encoders = map[core.Scheme]func(blk []byte, x []float32){
	core.SchemeQ8_0:   encodeQ80,
	core.SchemeQ4_0:   encodeQ40,
	core.SchemeQ4_1:   encodeQ41,
	core.SchemeQ5_0:   encodeQ50,
	core.SchemeQ5_1:   encodeQ51,
	core.SchemeQ2_K:   encodeQ2K,
	core.SchemeQ3_K:   encodeQ3K,
	core.SchemeQ4_K:   encodeQ4K,
	core.SchemeQ5_K:   encodeQ5K,
	core.SchemeQ6_K:   encodeQ6K,
	core.SchemeIQ4_NL: encodeIQ4NL,
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

// minStep is the scale search of ggml's Q4_1 and Q5_1 reference
// quantizers: the block's minimum, the step d = (max-min)/top and its
// inverse (0 for a constant block).
func minStep(x []float32, top float32) (lo, d, id float32) {
	lo, hi := float32(math.MaxFloat32), float32(-math.MaxFloat32)
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	d = (hi - lo) / top
	if d != 0 {
		id = 1 / d
	}
	return lo, d, id
}

func encodeQ41(blk []byte, x []float32) {
	lo, d, id := minStep(x, 15)
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

// DecodeBlocks dequantizes ggml blocks into dst (BlockValues(s) values
// per block) exactly as ggml's to_float does (core/gguf.Dequantize, the
// format reference). For Q4_0 the low nibble of qs[j] is value j and the
// high nibble value j+16; FORMATS.md section 4 gives every layout.
func DecodeBlocks(s core.Scheme, dst []float32, src []byte) error {
	bb, bv := BlockBytes(s), BlockValues(s)
	if bb == 0 {
		return fmt.Errorf("decode blocks: scheme %q is not a ggml block scheme", s)
	}
	if len(src)%bb != 0 {
		return fmt.Errorf("decode %s: %d bytes is not a whole number of %d-byte blocks", s, len(src), bb)
	}
	nb := len(src) / bb
	if len(dst) < nb*bv {
		return fmt.Errorf("decode %s: destination holds %d values, need %d", s, len(dst), nb*bv)
	}
	if err := gguf.Dequantize(ggmlSchemes[s].typ, src, dst[:nb*bv]); err != nil {
		return fmt.Errorf("decode %s: %w", s, err)
	}
	return nil
}

// QuantizeBlocks quantizes w (F32, F16 or BF16, last dimension a multiple
// of BlockValues(s)) into ggml blocks. The result is a U8 array
// [..., in/BlockValues*BlockBytes]
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
	bv := BlockValues(s)
	shape := w.Shape()
	if len(shape) < 1 || shape[len(shape)-1]%bv != 0 {
		return nil, fmt.Errorf("quantize %v to %s: last dimension must be a multiple of %d", w, s, bv)
	}
	vals, err := float32s(w)
	if err != nil {
		return nil, fmt.Errorf("quantize blocks: %w", err)
	}
	buf := make([]byte, len(vals)/bv*bb)
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
	bv := BlockValues(s)
	if len(shape) < 1 || shape[len(shape)-1]%bv != 0 {
		return nil, fmt.Errorf("from %s blocks: shape %v: last dimension must be a multiple of %d", s, shape, bv)
	}
	if want := shape.NumElements() / bv * bb; len(raw) != want {
		return nil, fmt.Errorf("from %s blocks: shape %v needs %d bytes, got %d", s, shape, want, len(raw))
	}
	return wrapBlocks(raw, s, shape, core.Metadata{}) // core.FromSlice copies
}

func wrapBlocks(buf []byte, s core.Scheme, shape core.Shape, meta core.Metadata) (*core.Array, error) {
	bshape := shape.Clone()
	bshape[len(bshape)-1] = shape[len(shape)-1] / BlockValues(s) * BlockBytes(s)
	t, err := core.FromSlice(buf, bshape...)
	if err != nil {
		return nil, err
	}
	meta.DimNames = nil
	meta.Quant = &core.QuantizationInfo{Scheme: s, Bits: schemeBits(s), GroupSize: BlockValues(s), Shape: shape.Clone()}
	return t.Array().WithMetadata(meta)
}

// AsBlocks marks a U8 array of raw ggml block bytes (for example a view
// of a memory-mapped GGUF file) as a quantized array of logical shape
// shape, without copying: the result shares raw's storage. raw must be
// [..., K/BlockValues*BlockBytes] with the same leading dimensions.
func AsBlocks(raw *core.Array, s core.Scheme, shape core.Shape) (*core.Array, error) {
	if raw == nil {
		return nil, errors.New("as blocks: nil array")
	}
	bb, bv := BlockBytes(s), BlockValues(s)
	if bb == 0 {
		return nil, fmt.Errorf("as blocks %v: scheme %q is not a ggml block scheme", raw, s)
	}
	if err := shape.Validate(); err != nil {
		return nil, fmt.Errorf("as %s blocks %v: %w", s, raw, err)
	}
	if len(shape) < 1 || shape[len(shape)-1]%bv != 0 {
		return nil, fmt.Errorf("as %s blocks %v: shape %v: last dimension must be a multiple of %d", s, raw, shape, bv)
	}
	want := shape.Clone()
	want[len(want)-1] = shape[len(shape)-1] / bv * bb
	if raw.DType() != core.U8 || !raw.Shape().Equal(want) {
		return nil, fmt.Errorf("as %s blocks: %v must be U8 %v for logical shape %v", s, raw, want, shape)
	}
	meta := raw.Metadata()
	meta.DimNames = nil
	meta.Quant = &core.QuantizationInfo{Scheme: s, Bits: schemeBits(s), GroupSize: bv, Shape: shape.Clone()}
	return raw.WithMetadata(meta)
}
