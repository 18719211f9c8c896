package quant

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// WithZeroPoints returns q (MLX affine with biases) in zero-point form,
// w = s*(q - z) with z = -b/s (FORMATS.md section 4), as used by ONNX and
// PyTorch. The zero points are F32: for MLX's own output z = -q0 is an
// integer before b was rounded to the model dtype, so it is generally not
// an integer any more and would not survive a narrower type. Scales may be
// negative (MLX's are, half the time); PositiveScales re-encodes those
// groups first for consumers that assume s > 0. The codes are shared.
func WithZeroPoints(q *core.Array) (*core.Array, error) {
	p, err := affineOf(q)
	if err != nil {
		return nil, fmt.Errorf("zero points: %w", err)
	}
	if p.zeros != nil {
		return q, nil
	}
	z := make([]float32, len(p.scales))
	for i, s := range p.scales {
		z[i] = -p.biases[i] / s
	}
	qi := q.Quant()
	za, err := core.FromSlice(z, qi.Scales.Shape()...)
	if err != nil {
		return nil, err
	}
	m := q.Metadata()
	nq := *m.Quant
	nq.ZeroPoints, nq.Biases = za.Array(), nil
	m.Quant = &nq
	return q.WithMetadata(m)
}

// WithBiases returns q in MLX's bias form, b = -s*z rounded to the scales'
// dtype (what mlx-lm does when it loads zero-point checkpoints). A q that
// already has biases is returned as is.
func WithBiases(q *core.Array) (*core.Array, error) {
	p, err := affineOf(q)
	if err != nil {
		return nil, fmt.Errorf("biases: %w", err)
	}
	if p.zeros == nil {
		return q, nil
	}
	qi := q.Quant()
	b, err := fromFloat32s(p.biases, p.dtype, qi.Scales.Shape())
	if err != nil {
		return nil, fmt.Errorf("biases of %v: %w", q, err)
	}
	m := q.Metadata()
	nq := *m.Quant
	nq.Biases, nq.ZeroPoints = b, nil
	m.Quant = &nq
	return q.WithMetadata(m)
}

// PositiveScales re-encodes every group whose scale is negative as
// q' = n_bins - q, s' = -s, b' = b + s*n_bins (z' = n_bins - z in
// zero-point form), so that all scales are >= 0 as ONNX and PyTorch
// assume. It returns new codes and parameters; the values represented are
// the same up to rounding b' to the scales' dtype (exact for F32 scales
// up to float32 rounding of s*n_bins).
func PositiveScales(q *core.Array) (*core.Array, error) {
	p, err := affineOf(q)
	if err != nil {
		return nil, fmt.Errorf("positive scales: %w", err)
	}
	nBins := uint32(1)<<p.bits - 1
	wpr := p.k * p.bits / 32
	gpr := p.k / p.group
	codes := make([]uint32, len(p.codes))
	scales := append([]float32(nil), p.scales...)
	biases := append([]float32(nil), p.biases...)
	var zeros []float32
	if p.zeros != nil {
		zeros = append([]float32(nil), p.zeros...)
	}
	un := make([]uint32, p.k)
	for r := range p.rows {
		unpackRow(un, p.codes[r*wpr:(r+1)*wpr], p.k, p.bits)
		for j := range un {
			if g := r*gpr + j/p.group; p.scales[g] < 0 {
				un[j] = nBins - un[j]
			}
		}
		packRow(codes[r*wpr:(r+1)*wpr], un, p.bits)
	}
	for g, s := range p.scales {
		if s >= 0 {
			continue
		}
		scales[g] = -s
		biases[g] = p.biases[g] + s*float32(nBins)
		if zeros != nil {
			zeros[g] = float32(nBins) - p.zeros[g]
		}
	}
	qi := q.Quant()
	out, err := buildAffine(p.shape, q.Metadata(), codes, scales, biases, p.dtype, p.bits, p.group)
	if err != nil {
		return nil, err
	}
	if zeros == nil {
		return out, nil
	}
	m := out.Metadata()
	za, err := core.FromSlice(zeros, qi.Scales.Shape()...)
	if err != nil {
		return nil, err
	}
	m.Quant.ZeroPoints, m.Quant.Biases = za.Array(), nil
	return out.WithMetadata(m)
}
