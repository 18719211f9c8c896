package quant

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/lbrx/lbrx/core"
)

// F16 and BF16 weights as one-value "blocks" (core.SchemeF16/SchemeBF16):
// a float32 model multiplies them through the quantized matmul, whose row
// kernels convert each half to float32 in the inner loop (F16C's
// VCVTPH2PS; a bf16 is the high half of a float32) and whose panel kernel
// converts one panel at a time, so the weights are used in place (from a
// GGUF mapping) instead of as a widened float32 copy twice their size.

func init() {
	blockDecoders[core.SchemeF16] = decodeF16Blocks
	blockDecoders[core.SchemeBF16] = decodeBF16Blocks
}

// HalfBlocks marks a contiguous F16 or BF16 array [..., K] as
// SchemeF16/SchemeBF16 blocks of the same logical shape, without copying:
// the result is a U8 view [..., 2K] of a's storage, which
// core.QuantizedMatMulOp multiplies with float32 (or f16/bf16) inputs.
func HalfBlocks(a *core.Array) (*core.Array, error) {
	if a == nil {
		return nil, errors.New("half blocks: nil array")
	}
	var s core.Scheme
	switch a.DType() {
	case core.F16:
		s = core.SchemeF16
	case core.BF16:
		s = core.SchemeBF16
	default:
		return nil, fmt.Errorf("half blocks %v: dtype %v is not F16 or BF16", a, a.DType())
	}
	if a.Quant() != nil {
		return nil, fmt.Errorf("half blocks %v: already quantized (%s)", a, a.Quant().Scheme)
	}
	shape := a.Shape()
	if len(shape) < 1 || !a.IsContiguous() {
		return nil, fmt.Errorf("half blocks %v: need a contiguous array of at least one dimension", a)
	}
	bshape := shape.Clone()
	bshape[len(bshape)-1] *= 2
	raw, err := core.NewArray(core.U8, bshape, a.Storage(), 2*a.Offset())
	if err != nil {
		return nil, fmt.Errorf("half blocks %v: %w", a, err)
	}
	meta := a.Metadata()
	if raw, err = raw.WithMetadata(meta); err != nil {
		return nil, err
	}
	return AsBlocks(raw, s, shape)
}

// HalfVectorized reports whether this build and CPU have vector row
// kernels for F16 and BF16 blocks. Without them the portable loop (a
// table lookup per value) is slower than a widened float32 copy's matmul,
// so models keep widening half weights.
func HalfVectorized() bool {
	return rowKernels[core.SchemeF16].goDot != nil && rowKernels[core.SchemeBF16].goDot != nil
}

// halfBits views little-endian 16-bit values as uint16s (the host is
// little-endian: amd64, arm64). Rows of halves start at even offsets of
// storage whose base Go or mmap aligns.
func halfBits(b []byte) []uint16 {
	if len(b) < 2 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2)
}

func decodeF16Blocks(src []byte, dst []float32) {
	F16BitsToF32(dst, halfBits(src[:2*len(dst)]))
}

func decodeBF16Blocks(src []byte, dst []float32) {
	for i, h := range halfBits(src[:2*len(dst)]) {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}
}

// dotF16 is the portable row dot of F16 weights: four partial sums, so
// that the adds do not wait on each other.
func dotF16(row []byte, x, _ []float32) float32 {
	t := f16Table()
	n := len(row) / 2
	x = x[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += math.Float32frombits(t[binary.LittleEndian.Uint16(row[2*i:])]) * x[i]
		s1 += math.Float32frombits(t[binary.LittleEndian.Uint16(row[2*i+2:])]) * x[i+1]
		s2 += math.Float32frombits(t[binary.LittleEndian.Uint16(row[2*i+4:])]) * x[i+2]
		s3 += math.Float32frombits(t[binary.LittleEndian.Uint16(row[2*i+6:])]) * x[i+3]
	}
	for ; i < n; i++ {
		s0 += math.Float32frombits(t[binary.LittleEndian.Uint16(row[2*i:])]) * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dotBF16 is dotF16 for BF16 weights.
func dotBF16(row []byte, x, _ []float32) float32 {
	n := len(row) / 2
	x = x[:n]
	bf := func(i int) float32 { return math.Float32frombits(uint32(binary.LittleEndian.Uint16(row[2*i:])) << 16) }
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += bf(i) * x[i]
		s1 += bf(i+1) * x[i+1]
		s2 += bf(i+2) * x[i+2]
		s3 += bf(i+3) * x[i+3]
	}
	for ; i < n; i++ {
		s0 += bf(i) * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}
