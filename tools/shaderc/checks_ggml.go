package main

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/metal"
	"github.com/x448/float16"
)

// ggmlFormats gives, for each scheme of metal.GGMLBlockSchemes, its GGUF
// type (whose decoder in core/gguf, written after ggml's to_float, is the
// reference) and the offsets of its f16 scale fields: the check writes
// small finite scales there (mins of either sign) and leaves every other
// byte random, so every code, sub-scale and high bit occurs.
var ggmlFormats = map[core.Scheme]struct {
	typ          gguf.Type
	scales, mins []int
}{
	core.SchemeQ4_1:   {gguf.Q4_1, []int{0}, []int{2}},
	core.SchemeQ5_0:   {gguf.Q5_0, []int{0}, nil},
	core.SchemeQ5_1:   {gguf.Q5_1, []int{0}, []int{2}},
	core.SchemeIQ4_NL: {gguf.IQ4NL, []int{0}, nil},
	core.SchemeQ2_K:   {gguf.Q2K, []int{80}, []int{82}},
	core.SchemeQ3_K:   {gguf.Q3K, []int{108}, nil},
	core.SchemeQ4_K:   {gguf.Q4K, []int{0}, []int{2}},
	core.SchemeQ5_K:   {gguf.Q5K, []int{0}, []int{2}},
	core.SchemeQ6_K:   {gguf.Q6K, []int{208}, nil},
}

// ggmlBlockCase is x [m, k] (rows xpad elements apart beyond k) times W
// [n, k], k = blocks whole blocks.
type ggmlBlockCase struct{ m, n, blocks, xpad int }

// ggmlBlockCases: one block, one row/column, odd n past a threadgroup's 8
// rows, padded x rows, m across the 32-row tile, m = 0, plus a random one.
func (c *checkCtx) ggmlBlockCases() []ggmlBlockCase {
	return []ggmlBlockCase{
		{1, 1, 1, 0}, {1, 13, 2, 0}, {3, 17, 1, 5}, {5, 9, 3, 0}, {33, 35, 2, 1}, {0, 3, 1, 0},
		{1 + c.rng.IntN(40), 1 + c.rng.IntN(40), 1 + c.rng.IntN(3), c.rng.IntN(3)},
	}
}

// ggmlRandomBlocks draws n rows of k values of random blocks of scheme s
// and decodes them with gguf.Dequantize.
func (c *checkCtx) ggmlRandomBlocks(s core.Scheme, n, k int) ([]byte, []float32, error) {
	f, ok := ggmlFormats[s]
	if !ok {
		return nil, nil, fmt.Errorf("no reference format for %s", s)
	}
	bb := f.typ.BlockBytes()
	raw := make([]byte, n*k/f.typ.BlockSize()*bb)
	for i := range raw {
		raw[i] = byte(c.rng.IntN(256))
	}
	for blk := 0; blk < len(raw); blk += bb {
		for _, off := range f.scales {
			binary.LittleEndian.PutUint16(raw[blk+off:], float16.Fromfloat32(float32(0.001+0.02*c.rng.Float64())).Bits())
		}
		for _, off := range f.mins {
			binary.LittleEndian.PutUint16(raw[blk+off:], float16.Fromfloat32(float32(0.02*(2*c.rng.Float64()-1))).Bits())
		}
	}
	dense := make([]float32, n*k)
	if err := gguf.Dequantize(f.typ, raw, dense); err != nil {
		return nil, nil, err
	}
	return raw, dense, nil
}

func checkGGMLBlock(s core.Scheme, dt string, mm bool) checkFunc {
	return func(c *checkCtx, name string) error {
		gb, ok := metal.GGMLBlockOf(s)
		if !ok {
			return fmt.Errorf("metal has no block type for %s", s)
		}
		for _, qc := range c.ggmlBlockCases() {
			k := qc.blocks * gb.Values
			raw, dense, err := c.ggmlRandomBlocks(s, qc.n, k)
			if err != nil {
				return fmt.Errorf("case %+v: %w", qc, err)
			}
			ld := k + qc.xpad
			x := roundTo(dt, randn(c.rng, max(qc.m*ld, 1), 1))
			want := make([]float64, qc.m*qc.n)
			mag := make([]float64, qc.m*qc.n)
			for i := range qc.m {
				for j := range qc.n {
					sum, abs := 0.0, 0.0
					for l := range k {
						t := float64(x[i*ld+l]) * float64(dense[j*k+l])
						sum += t
						abs += math.Abs(t)
					}
					want[i*qc.n+j] = rounded(dt, sum)
					mag[i*qc.n+j] = max(abs, math.Abs(want[i*qc.n+j]))
				}
			}
			p := metal.QuantParams{M: uint32(qc.m), N: uint32(qc.n), K: uint32(k), GroupSize: uint32(gb.Values),
				XRowStride: uint32(ld)}
			l := metal.QMVLaunch(&p)
			if mm {
				l = metal.QMMLaunch(&p)
			}
			out, err := c.dispatch(name, l, []buf{{0, nonEmpty(raw)}, {1, encode(dt, x)}, {2, poison(dt, qc.m*qc.n)}, {3, p.Bytes()}}, 2)
			if err != nil {
				return fmt.Errorf("case %+v: %w", qc, err)
			}
			if out == nil {
				continue
			}
			if err := compare(decode(dt, out[2]), want, mag, tolFor(dt)); err != nil {
				return fmt.Errorf("case %+v: %w", qc, err)
			}
		}
		return nil
	}
}
