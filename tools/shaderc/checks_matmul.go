package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal"
)

type matmulCase struct {
	m, n, k, batch int
	flags          uint32
	pad            int  // extra leading-dimension elements
	bcastA         bool // A shared by every batch
}

// matmulCases are fixed edge cases plus three random ones drawn from r.
func matmulCases(r *rand.Rand) []matmulCase {
	random := make([]matmulCase, 3)
	for i := range random {
		random[i] = matmulCase{m: 1 + r.IntN(70), n: 1 + r.IntN(70), k: r.IntN(50), batch: 1 + r.IntN(2),
			flags: uint32(r.IntN(4)), pad: r.IntN(3), bcastA: r.IntN(2) == 0}
	}
	return append([]matmulCase{
		{1, 1, 1, 1, 0, 0, false}, {1, 37, 5, 1, 0, 0, false}, {33, 31, 17, 1, 0, 0, false},
		{33, 31, 17, 1, metal.TransA, 0, false}, {33, 31, 17, 1, metal.TransB, 3, false},
		{33, 31, 17, 1, metal.TransA | metal.TransB, 1, false}, {64, 64, 32, 1, 0, 0, false},
		{65, 3, 40, 1, 0, 0, false}, {7, 9, 0, 1, 0, 0, false}, {5, 70, 19, 3, metal.TransB, 2, true},
		{0, 4, 4, 1, 0, 0, false},
	}, random...)
}

// denseOperand lays out a rows x cols logical matrix, stored transposed when
// trans, with pad extra elements per stored row, batch times (once when
// shared); at(z, r, c) reads it back.
type denseOperand struct {
	data        []float32
	ld, bstride int
	trans       bool
}

func (d denseOperand) at(z, r, c int) float64 {
	if d.trans {
		return float64(d.data[z*d.bstride+c*d.ld+r])
	}
	return float64(d.data[z*d.bstride+r*d.ld+c])
}

func (c *checkCtx) operand(dt string, rows, cols, batch, pad int, trans, shared bool) denseOperand {
	sr, sc := rows, cols
	if trans {
		sr, sc = cols, rows
	}
	ld := sc + pad
	bs := sr * ld
	nb := batch
	if shared {
		nb, bs = 1, 0
	}
	return denseOperand{data: roundTo(dt, randn(c.rng, max(nb*sr*ld, 1), 1)), ld: max(ld, 1), bstride: bs, trans: trans}
}

func checkMatmul(dt string, simd bool) checkFunc {
	return func(c *checkCtx, name string) error {
		for _, mc := range matmulCases(c.rng) {
			a := c.operand(dt, mc.m, mc.k, mc.batch, mc.pad, mc.flags&metal.TransA != 0, mc.bcastA)
			b := c.operand(dt, mc.k, mc.n, mc.batch, mc.pad, mc.flags&metal.TransB != 0, false)
			p := metal.MatmulParams{M: uint32(mc.m), N: uint32(mc.n), K: uint32(mc.k), Batch: uint32(mc.batch),
				LDA: uint32(a.ld), LDB: uint32(b.ld), LDC: uint32(mc.n), Flags: mc.flags,
				ABatchStride: uint32(a.bstride), BBatchStride: uint32(b.bstride), CBatchStride: uint32(mc.m * mc.n)}
			nc := mc.batch * mc.m * mc.n
			want, err := matmulReference(dt, mc, a, b)
			if err != nil {
				return fmt.Errorf("case %+v: core reference: %w", mc, err)
			}
			mag := make([]float64, nc)
			for z := range mc.batch {
				for i := range mc.m {
					for j := range mc.n {
						abs := 0.0
						for k := range mc.k {
							abs += math.Abs(a.at(z, i, k) * b.at(z, k, j))
						}
						o := z*mc.m*mc.n + i*mc.n + j
						mag[o] = max(abs, math.Abs(want[o]))
					}
				}
			}
			out, err := c.dispatch(name, metal.MatmulLaunch(&p, simd),
				[]buf{{0, encode(dt, a.data)}, {1, encode(dt, b.data)}, {2, poison(dt, nc)}, {3, p.Bytes()}}, 2)
			if err != nil {
				return fmt.Errorf("case %+v: %w", mc, err)
			}
			if out == nil {
				continue
			}
			if err := compare(decode(dt, out[2]), want, mag, tolFor(dt)); err != nil {
				return fmt.Errorf("case %+v: %w", mc, err)
			}
		}
		return nil
	}
}

// logical gathers operand d as a contiguous [batch, rows, cols] array (or
// [rows, cols] when shared, so that core broadcasts it over the batch).
func (d denseOperand) logical(dt string, batch, rows, cols int, shared bool) (*core.Array, error) {
	shape := []int{batch, rows, cols}
	if shared {
		shape, batch = []int{rows, cols}, 1
	}
	v := make([]float32, 0, batch*rows*cols)
	for z := range batch {
		for r := range rows {
			for c := range cols {
				v = append(v, float32(d.at(z, r, c)))
			}
		}
	}
	return hostArray(dt, shape, v)
}

// matmulReference is core's batched matmul of the logical operands.
func matmulReference(dt string, mc matmulCase, a, b denseOperand) ([]float64, error) {
	aa, err := a.logical(dt, mc.batch, mc.m, mc.k, mc.bcastA)
	if err != nil {
		return nil, err
	}
	ba, err := b.logical(dt, mc.batch, mc.k, mc.n, false)
	if err != nil {
		return nil, err
	}
	r, err := core.MatMulOp(aa, ba)
	if err != nil {
		return nil, err
	}
	return arrayValues(dt, r)
}
