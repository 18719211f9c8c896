package quant

import (
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core"
)

// BlocksToAffine converts ggml Q8_0, Q4_0 or Q4_1 blocks into MLX's affine
// layout with group size 32, losslessly (FORMATS.md section 4):
// Q4_1 s=d, b=m; Q4_0 s=d, b=-8d; Q8_0 codes q+128, s=d, b=-128d; Q4
// nibble halves are repacked into MLX's LSB-first order. scaleDType must
// be F16 or F32: BF16 would drop mantissa bits of the f16 d. With F16, a
// bias that overflows f16 (|8d| or |128d| > 65504) is reported instead of
// being stored wrongly.
func BlocksToAffine(q *core.Array, scaleDType core.DType) (*core.Array, error) {
	if scaleDType != core.F16 && scaleDType != core.F32 {
		return nil, fmt.Errorf("blocks to affine: scales dtype %v cannot hold an f16 scale exactly (use F16 or F32)", scaleDType)
	}
	raw, _, shape, err := blocksOf(q)
	if err != nil {
		return nil, fmt.Errorf("blocks to affine: %w", err)
	}
	s := q.Quant().Scheme
	if !repackable(s) {
		return nil, fmt.Errorf("blocks to affine %v: %s blocks have no lossless affine form here (only Q8_0, Q4_0, Q4_1)", q, s)
	}
	bits := schemeBits(s)
	codes, scales, biases := repackBlocks(s, raw)
	if scaleDType == core.F16 {
		for i, d := range scales {
			if !math.IsInf(float64(d), 0) && math.IsInf(float64(roundTo(core.F16, biases[i])), 0) {
				return nil, fmt.Errorf("blocks to affine %v: block %d: bias %g overflows f16 (use F32 scales)", q, i, biases[i])
			}
		}
	}
	if len(shape) < 2 {
		shape = append(core.Shape{1}, shape...)
	}
	out, err := buildAffine(shape, core.Metadata{Name: q.Name()}, codes, scales, biases, scaleDType, bits, blockValues)
	if err != nil {
		return nil, fmt.Errorf("blocks to affine %v: %w", q, err)
	}
	return out, nil
}

// repackable reports whether repackBlocks handles scheme s.
func repackable(s core.Scheme) bool {
	return s == core.SchemeQ8_0 || s == core.SchemeQ4_0 || s == core.SchemeQ4_1
}

// repackBlocks turns ggml blocks into MLX affine codes (group size 32)
// with float32 scales and biases; see BlocksToAffine for the mapping.
func repackBlocks(s core.Scheme, raw []byte) (codes []uint32, scales, biases []float32) {
	bits := schemeBits(s)
	bb := BlockBytes(s)
	nb := len(raw) / bb
	codes = make([]uint32, nb*blockValues*bits/32)
	scales = make([]float32, nb)
	biases = make([]float32, nb)
	for i := range nb {
		blk := raw[i*bb : (i+1)*bb]
		d := f16At(blk)
		scales[i] = d
		switch s {
		case core.SchemeQ8_0:
			biases[i] = -128 * d
			w := codes[i*8 : (i+1)*8]
			for j := range 32 {
				w[j/4] |= uint32(blk[2+j]^0x80) << (8 * (j % 4)) // int8 + 128
			}
		default:
			qs := blk[2:18]
			if s == core.SchemeQ4_0 {
				biases[i] = -8 * d
			} else {
				biases[i] = f16At(blk[2:])
				qs = blk[4:20]
			}
			w := codes[i*4 : (i+1)*4]
			for j := range 16 {
				lo, hi := uint32(qs[j]&15), uint32(qs[j]>>4)
				w[j/8] |= lo << (4 * (j % 8))
				w[(j+16)/8] |= hi << (4 * (j % 8))
			}
		}
	}
	return codes, scales, biases
}
