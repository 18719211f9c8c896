package quant

import (
	"errors"
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core"
)

// Supported MLX affine parameters (mlx/ops.cpp).
var (
	// Bits lists the code widths Quantize accepts.
	Bits = []int{2, 3, 4, 5, 6, 8}
	// GroupSizes lists the group sizes Quantize accepts.
	GroupSizes = []int{32, 64, 128}
)

// CheckParams reports whether bits and groupSize are an MLX affine
// combination, with an error naming the accepted values.
func CheckParams(bits, groupSize int) error {
	okBits, okGroup := false, false
	for _, b := range Bits {
		okBits = okBits || b == bits
	}
	for _, g := range GroupSizes {
		okGroup = okGroup || g == groupSize
	}
	if !okBits {
		return fmt.Errorf("bits %d is not supported (use one of %v)", bits, Bits)
	}
	if !okGroup {
		return fmt.Errorf("group size %d is not supported (use one of %v)", groupSize, GroupSizes)
	}
	return nil
}

// PackedWords is the number of uint32 words holding n codes of the given
// bit width: MLX packs each row as one continuous LSB-first bit stream.
func PackedWords(n, bits int) int { return (n*bits + 31) / 32 }

// cMax and cMin are C++'s std::max/std::min for floats: a NaN argument in
// the second position is ignored, as in MLX's min/max scan.
func cMax(a, b float32) float32 {
	if a < b {
		return b
	}
	return a
}

func cMin(a, b float32) float32 {
	if b < a {
		return b
	}
	return a
}

func abs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

func rint32(f float32) float32 { return float32(math.RoundToEven(float64(f))) }

// affineGroup computes MLX's CPU scale and bias for one group, in float32
// (mlx/backend/cpu/quantized.cpp; FORMATS.md section 2).
func affineGroup(w []float32, nBins float32) (scale, bias float32) {
	wMin, wMax := minMax(w)
	return affineParams(wMin, wMax, nBins)
}

// minMax is MLX's scan: w_max = std::max(w_max, v), w_min =
// std::min(w_min, v) from ±Inf, so NaN values are skipped.
func minMax(w []float32) (wMin, wMax float32) {
	if minMaxFast != nil {
		return minMaxFast(w)
	}
	wMin, wMax = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range w {
		wMax = cMax(wMax, v)
		wMin = cMin(wMin, v)
	}
	return wMin, wMax
}

// affineParams turns a group's range into MLX's scale and bias.
func affineParams(wMin, wMax, nBins float32) (scale, bias float32) {
	const eps = float32(1e-7)
	mask := abs32(wMin) > abs32(wMax)
	scale = cMax((wMax-wMin)/nBins, eps)
	edge := wMin
	if !mask {
		scale = -scale
		edge = wMax
	}
	q0 := rint32(edge / scale)
	if q0 != 0 {
		scale = edge / q0
		bias = edge
	}
	return scale, bias
}

// minMaxFast and codesFast are set where the CPU has vector kernels for
// them (quantize_amd64.go). codesFast writes affineCode of every value
// into dst; len(w) is a multiple of 8.
var (
	minMaxFast func(w []float32) (wMin, wMax float32)
	codesFast  func(dst []uint32, w []float32, scale, bias, nBins float32)
)

// affineCode is MLX's clamp(rint((w-bias)/scale), 0, nBins). NaN (which
// C++ leaves to an undefined cast) becomes 0.
func affineCode(v, scale, bias, nBins float32) uint32 {
	q := rint32((v - bias) / scale)
	if q < 0 {
		q = 0
	}
	if nBins < q {
		q = nBins
	}
	if q != q {
		return 0
	}
	return uint32(q)
}

// QuantizeRows is the slice form of Quantize: w holds rows of k float32
// values; codes receives rows*PackedWords(k, bits) words and scales/biases
// rows*k/groupSize float32 values each (MLX stores them in the input's
// dtype: round them with the caller's dtype). k must be a multiple of
// groupSize.
func QuantizeRows(codes []uint32, scales, biases, w []float32, k, bits, groupSize int) error {
	if err := CheckParams(bits, groupSize); err != nil {
		return err
	}
	if k <= 0 || k%groupSize != 0 {
		return fmt.Errorf("row length %d is not a positive multiple of the group size %d", k, groupSize)
	}
	rows := len(w) / k
	wpr := k * bits / 32
	if len(w) != rows*k || len(codes) < rows*wpr || len(scales) < len(w)/groupSize || len(biases) < len(w)/groupSize {
		return fmt.Errorf("quantize rows: sizes do not match %d rows of %d (codes %d, scales %d, biases %d)", rows, k, len(codes), len(scales), len(biases))
	}
	clear(codes[:rows*wpr])
	// Groups own whole words, so goroutines can take disjoint ranges.
	parallelRows(len(w)/groupSize, len(w), func(lo, hi int) {
		quantizeGroups(codes, scales, biases, w, bits, groupSize, lo, hi)
	})
	return nil
}

// quantizeGroups quantizes groups [lo, hi) of w.
func quantizeGroups(codes []uint32, scales, biases, w []float32, bits, groupSize, lo, hi int) {
	nBins := float32(int(1)<<bits - 1)
	var buf []uint32
	if codesFast != nil {
		buf = make([]uint32, groupSize)
	}
	for g := lo; g < hi; g++ {
		grp := w[g*groupSize : (g+1)*groupSize]
		scale, bias := affineGroup(grp, nBins)
		scales[g], biases[g] = scale, bias
		// Groups are whole words (groupSize*bits is a multiple of 32), so
		// a group's bit stream starts at word g*groupSize*bits/32.
		out := codes[g*groupSize*bits/32 : (g+1)*groupSize*bits/32]
		if buf != nil {
			codesFast(buf, grp, scale, bias, nBins)
			packRow(out, buf, bits)
			continue
		}
		for j, v := range grp {
			q := affineCode(v, scale, bias, nBins)
			pos := j * bits
			out[pos/32] |= q << (pos % 32)
			if pos%32+bits > 32 {
				out[pos/32+1] |= q >> (32 - pos%32)
			}
		}
	}
}

// Quantize quantizes w (F32, F16 or BF16, at least 2-D, last dimension a
// multiple of groupSize) exactly as MLX's CPU backend does. The result is
// a U32 array [..., in*bits/32] of packed codes whose Metadata.Quant holds
// the logical shape and the scales and biases, [..., in/groupSize] in w's
// dtype. w's metadata name is kept.
func Quantize(w *core.Array, bits, groupSize int) (*core.Array, error) {
	if w == nil {
		return nil, errors.New("quantize: nil tensor")
	}
	if err := CheckParams(bits, groupSize); err != nil {
		return nil, fmt.Errorf("quantize %v: %w", w, err)
	}
	shape := w.Shape()
	if len(shape) < 2 {
		return nil, fmt.Errorf("quantize %v: need at least 2 dimensions", w)
	}
	k := shape[len(shape)-1]
	if k == 0 || k%groupSize != 0 {
		return nil, fmt.Errorf("quantize %v: last dimension %d is not a positive multiple of the group size %d", w, k, groupSize)
	}
	dt := w.DType()
	if dt != core.F32 && dt != core.F16 && dt != core.BF16 {
		return nil, fmt.Errorf("quantize %v: dtype %v is not F32, F16 or BF16", w, dt)
	}
	vals, err := float32s(w)
	if err != nil {
		return nil, fmt.Errorf("quantize: %w", err)
	}
	rows := len(vals) / k
	codes := make([]uint32, rows*k*bits/32)
	scales := make([]float32, len(vals)/groupSize)
	biases := make([]float32, len(scales))
	if err := QuantizeRows(codes, scales, biases, vals, k, bits, groupSize); err != nil {
		return nil, fmt.Errorf("quantize %v: %w", w, err)
	}
	return buildAffine(shape, w.Metadata(), codes, scales, biases, dt, bits, groupSize)
}

// QuantizeTensor is Quantize for a typed tensor.
func QuantizeTensor[T float32 | core.Float16 | core.BFloat16](w *core.Tensor[T], bits, groupSize int) (*core.Tensor[uint32], error) {
	a, err := Quantize(w.Array(), bits, groupSize)
	if err != nil {
		return nil, err
	}
	return core.As[uint32](a)
}

// buildAffine wraps codes, scales and biases (float32, rounded here to
// dtype) as a quantized U32 array of the given logical shape.
func buildAffine(shape core.Shape, meta core.Metadata, codes []uint32, scales, biases []float32, dtype core.DType, bits, groupSize int) (*core.Array, error) {
	k := shape[len(shape)-1]
	cshape := shape.Clone()
	cshape[len(cshape)-1] = k * bits / 32
	sshape := shape.Clone()
	sshape[len(sshape)-1] = k / groupSize
	ct, err := core.FromSlice(codes, cshape...)
	if err != nil {
		return nil, err
	}
	s, err := fromFloat32s(scales, dtype, sshape)
	if err != nil {
		return nil, err
	}
	b, err := fromFloat32s(biases, dtype, sshape)
	if err != nil {
		return nil, err
	}
	meta.DimNames = nil
	meta.Quant = &core.QuantizationInfo{
		Scheme: core.SchemeAffine, Bits: bits, GroupSize: groupSize,
		Shape: shape, Scales: s, Biases: b,
	}
	return ct.Array().WithMetadata(meta)
}

func inf32(sign int) float32 { return float32(math.Inf(sign)) }
