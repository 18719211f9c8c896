package quant

import (
	"errors"
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// affineParts is a validated, host-side copy of an MLX affine array.
type affineParts struct {
	rows, k, bits, group int
	codes                []uint32  // rows * k*bits/32
	scales, biases       []float32 // rows * k/group, widened; biases = -s*z for zero points
	zeros                []float32 // set in zero-point form
	dtype                core.DType
	shape                core.Shape // logical shape
}

// quantOf returns the quantization info of q or an error naming q.
func quantOf(q *core.Array) (*core.QuantizationInfo, error) {
	if q == nil {
		return nil, errors.New("nil tensor")
	}
	qi := q.Quant()
	if qi == nil {
		return nil, fmt.Errorf("tensor %v is not quantized (no Metadata.Quant)", q)
	}
	return qi, nil
}

// logicalShape is the dequantized shape of codes whose last dimension
// holds perRow bytes or words: the leading dimensions come from the codes
// (so reshapes and row slices of the codes stay consistent), the last from
// the quantization info.
func logicalShape(q *core.Array, k int) core.Shape {
	s := q.Shape()
	s[len(s)-1] = k
	return s
}

func affineOf(q *core.Array) (*affineParts, error) {
	qi, err := quantOf(q)
	if err != nil {
		return nil, err
	}
	if qi.Scheme != core.SchemeAffine {
		return nil, fmt.Errorf("tensor %v: scheme %q is not affine", q, qi.Scheme)
	}
	if err := CheckParams(qi.Bits, qi.GroupSize); err != nil {
		return nil, fmt.Errorf("tensor %v: %w", q, err)
	}
	if q.Rank() < 1 || len(qi.Shape) < 1 {
		return nil, fmt.Errorf("tensor %v: quantized codes need at least one dimension", q)
	}
	words := q.Shape()[q.Rank()-1]
	k := qi.Shape[len(qi.Shape)-1]
	if words*32 != k*qi.Bits || k%qi.GroupSize != 0 {
		return nil, fmt.Errorf("tensor %v: %d words per row do not hold %d %d-bit values in groups of %d", q, words, k, qi.Bits, qi.GroupSize)
	}
	p := &affineParts{k: k, bits: qi.Bits, group: qi.GroupSize, shape: logicalShape(q, k)}
	if words > 0 {
		p.rows = q.NumElements() / words
	}
	if p.codes, err = uint32s(q); err != nil {
		return nil, err
	}
	ng := p.rows * k / qi.GroupSize
	if qi.Scales == nil {
		return nil, fmt.Errorf("tensor %v: affine quantization without scales", q)
	}
	p.dtype = qi.Scales.DType()
	if p.scales, err = paramValues(q, "scales", qi.Scales, ng); err != nil {
		return nil, err
	}
	switch {
	case qi.Biases != nil:
		if p.biases, err = paramValues(q, "biases", qi.Biases, ng); err != nil {
			return nil, err
		}
	case qi.ZeroPoints != nil:
		if p.zeros, err = paramValues(q, "zero points", qi.ZeroPoints, ng); err != nil {
			return nil, err
		}
		p.biases = make([]float32, ng)
		for i, z := range p.zeros {
			p.biases[i] = -p.scales[i] * z
		}
	default:
		return nil, fmt.Errorf("tensor %v: affine quantization needs biases or zero points", q)
	}
	return p, nil
}

func paramValues(q *core.Array, what string, a *core.Array, n int) ([]float32, error) {
	if a.NumElements() != n {
		return nil, fmt.Errorf("tensor %v: %s %v hold %d values, the codes need %d", q, what, a.Shape(), a.NumElements(), n)
	}
	v, err := float32s(a)
	if err != nil {
		return nil, fmt.Errorf("tensor %v: %s: %w", q, what, err)
	}
	return v, nil
}

// values dequantizes into a float32 slice. When inDType is set, each step
// is rounded to the scales' dtype as MLX does (w = scale*q + bias computed
// in that dtype); otherwise float32 arithmetic is used throughout.
func (p *affineParts) values(inDType bool) []float32 {
	out := make([]float32, p.rows*p.k)
	p.valuesInto(out, inDType)
	return out
}

// valuesInto is values into out (len rows*k), a group at a time: the
// scale and bias are read once a group, with no division a value.
func (p *affineParts) valuesInto(out []float32, inDType bool) {
	wpr := p.k * p.bits / 32
	q := make([]uint32, p.k)
	gpr := p.k / p.group
	for r := range p.rows {
		unpackRow(q, p.codes[r*wpr:(r+1)*wpr], p.k, p.bits)
		row := out[r*p.k : (r+1)*p.k]
		for gi := range gpr {
			g := r*gpr + gi
			s, b := p.scales[g], p.biases[g]
			cs, dst := q[gi*p.group:(gi+1)*p.group], row[gi*p.group:(gi+1)*p.group]
			switch {
			case p.zeros != nil:
				z := p.zeros[g]
				for j, c := range cs {
					dst[j] = float32(s * float32(float32(c)-z))
				}
			case inDType:
				for j, c := range cs {
					v := roundTo(p.dtype, float32(s*float32(c)))
					dst[j] = float32(v + b)
				}
			default:
				for j, c := range cs {
					dst[j] = float32(s*float32(c)) + b
				}
			}
			if inDType {
				for j, v := range dst {
					dst[j] = roundTo(p.dtype, v)
				}
			}
		}
	}
}

// Dequantize returns the values of a quantized array. MLX affine arrays
// come back in the dtype of their scales, computed as MLX does
// (w = scale*q + bias, each step rounded to that dtype; w = scale*(q - z)
// in zero-point form); ggml blocks come back as F32, exactly as ggml's
// to_float. The result's shape is the codes' leading dimensions plus the
// logical row length, and it keeps the name but not the quantization.
func Dequantize(q *core.Array) (*core.Array, error) {
	qi, err := quantOf(q)
	if err != nil {
		return nil, fmt.Errorf("dequantize: %w", err)
	}
	var vals []float32
	var shape core.Shape
	dtype := core.F32
	if qi.Scheme == core.SchemeAffine {
		p, err := affineOf(q)
		if err != nil {
			return nil, fmt.Errorf("dequantize: %w", err)
		}
		vals, shape, dtype = p.values(true), p.shape, p.dtype
	} else {
		if vals, shape, err = blockValuesOf(q); err != nil {
			return nil, fmt.Errorf("dequantize: %w", err)
		}
	}
	out, err := fromFloat32s(vals, dtype, shape)
	if err != nil {
		return nil, fmt.Errorf("dequantize %v: %w", q, err)
	}
	return out.WithMetadata(core.Metadata{Name: q.Name()})
}

// DequantizeFloat32 returns the values of a quantized array as float32,
// computed in float32 from the widened scales and biases
// (float32(scale*q) + bias). This is the reference the quantized matmul is
// tested against; for F32 scales it equals Dequantize.
func DequantizeFloat32(q *core.Array) (*core.Tensor[float32], error) {
	qi, err := quantOf(q)
	if err != nil {
		return nil, fmt.Errorf("dequantize: %w", err)
	}
	var vals []float32
	var shape core.Shape
	if qi.Scheme == core.SchemeAffine {
		p, err := affineOf(q)
		if err != nil {
			return nil, fmt.Errorf("dequantize: %w", err)
		}
		vals, shape = p.values(false), p.shape
	} else if vals, shape, err = blockValuesOf(q); err != nil {
		return nil, fmt.Errorf("dequantize: %w", err)
	}
	return core.FromSlice(vals, shape...)
}

// DequantizeFloat32Into writes DequantizeFloat32's values of q into dst,
// which must hold exactly as many: the same bits, without the result
// array (a model's embedding rows go straight into its activation
// buffer).
func DequantizeFloat32Into(dst []float32, q *core.Array) error {
	qi, err := quantOf(q)
	if err != nil {
		return fmt.Errorf("dequantize: %w", err)
	}
	if qi.Scheme != core.SchemeAffine {
		vals, _, err := blockValuesOf(q)
		if err != nil {
			return fmt.Errorf("dequantize: %w", err)
		}
		if len(vals) != len(dst) {
			return fmt.Errorf("dequantize %v: %d values into %d", q, len(vals), len(dst))
		}
		copy(dst, vals)
		return nil
	}
	p, err := affineOf(q)
	if err != nil {
		return fmt.Errorf("dequantize: %w", err)
	}
	if n := p.rows * p.k; n != len(dst) {
		return fmt.Errorf("dequantize %v: %d values into %d", q, n, len(dst))
	}
	p.valuesInto(dst, false)
	return nil
}

// blocksOf validates a ggml block array and returns its bytes, the row
// length in values and the logical shape.
func blocksOf(q *core.Array) (raw []byte, k int, shape core.Shape, err error) {
	qi, err := quantOf(q)
	if err != nil {
		return nil, 0, nil, err
	}
	bb := BlockBytes(qi.Scheme)
	if bb == 0 {
		return nil, 0, nil, fmt.Errorf("tensor %v: unknown quantization scheme %q", q, qi.Scheme)
	}
	if q.DType() != core.U8 || q.Rank() < 1 {
		return nil, 0, nil, fmt.Errorf("tensor %v: %s blocks must be a U8 array of at least one dimension", q, qi.Scheme)
	}
	rowBytes := q.Shape()[q.Rank()-1]
	if rowBytes%bb != 0 {
		return nil, 0, nil, fmt.Errorf("tensor %v: %d bytes per row is not a whole number of %d-byte %s blocks", q, rowBytes, bb, qi.Scheme)
	}
	k = rowBytes / bb * BlockValues(qi.Scheme)
	if len(qi.Shape) > 0 && qi.Shape[len(qi.Shape)-1] != k {
		return nil, 0, nil, fmt.Errorf("tensor %v: %d bytes per row hold %d values, the logical shape %v says %d", q, rowBytes, k, qi.Shape, qi.Shape[len(qi.Shape)-1])
	}
	if raw, err = q.Bytes(); err != nil {
		return nil, 0, nil, err
	}
	return raw, k, logicalShape(q, k), nil
}

func blockValuesOf(q *core.Array) ([]float32, core.Shape, error) {
	raw, _, shape, err := blocksOf(q)
	if err != nil {
		return nil, nil, err
	}
	out := make([]float32, shape.NumElements())
	if err := DecodeBlocks(q.Quant().Scheme, out, raw); err != nil {
		return nil, nil, fmt.Errorf("tensor %v: %w", q, err)
	}
	return out, shape, nil
}
