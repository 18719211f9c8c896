package llama

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// shared returns x's products with the linears ls, which all read x, as
// column views of one quantized_matmul_concat: on the CPU its kernel
// quantizes x once for all of them and runs their rows as one parallel
// job, where separate products would quantize x and wait for their
// threads once each. Nothing is stacked: the weights stay where they are
// (mmapped). ok is false, with nothing computed, unless the model runs
// on the CPU, x is one row (a decode step, whose column views are
// contiguous) and every weight is quantized; the caller then applies
// them one by one. Devices that copy weights stack them instead (merged).
func (m *Model) shared(x *core.Array, ls ...linear) (ys []*core.Array, ok bool, err error) {
	if m.dev != core.CPU() || x.Shape()[0] != 1 || len(ls) < 2 {
		return nil, false, nil
	}
	ws := quantizedWeights(ls)
	if ws == nil {
		return nil, false, nil
	}
	y, err := core.QuantizedMatMulConcatOp(x, ws...)
	if err != nil {
		return nil, false, fmt.Errorf("%s...: %w", ws[0].Name(), err)
	}
	col := 0
	for _, l := range ls {
		n := l.w.Quant().Shape[0]
		part, err := y.Slice(1, col, col+n, 1)
		if err != nil {
			return nil, false, err
		}
		col += n
		if l.b != nil {
			if part, err = core.BinaryOp("add", part, l.b); err != nil {
				return nil, false, fmt.Errorf("%s bias: %w", l.w.Name(), err)
			}
		}
		ys = append(ys, part)
	}
	return ys, true, nil
}

// parts returns x's products with the linears ls, which all read x, as
// the contiguous [T, N_i] arrays of one quantized_matmul_parts (biases
// added): on a device that stacked them (merged: all is the stacked
// linear, ls its row slices), a batch of a few rows (a server's decode
// pass) then runs them as one product, where separate ones would each
// quantize x and launch their own kernels (issue 18: on CUDA 4-bit the
// q/k/v and gate/up products of an 8-row pass). ok is false, with
// nothing computed, for one row (the caller slices the stacked product,
// whose columns are then contiguous), an unstacked layer, or float
// weights; the caller then applies them one by one.
func (m *Model) parts(x *core.Array, all linear, ls ...linear) (ys []*core.Array, ok bool, err error) {
	if !m.fused || all.w == nil || all.w.Quant() == nil || x.Rank() != 2 || x.Shape()[0] < 2 {
		return nil, false, nil
	}
	ws := quantizedWeights(ls)
	if ws == nil {
		return nil, false, nil
	}
	if ys, err = core.QuantizedMatMulPartsOp(x, ws...); err != nil {
		return nil, false, fmt.Errorf("%s: %w", all.w.Name(), err)
	}
	for i, l := range ls {
		if l.b == nil {
			continue
		}
		if ys[i], err = core.BinaryOp("add", ys[i], l.b); err != nil {
			return nil, false, fmt.Errorf("%s bias: %w", l.w.Name(), err)
		}
	}
	return ys, true, nil
}

// quantizedWeights returns the weights of ls, or nil unless every one is
// quantized.
func quantizedWeights(ls []linear) []*core.Array {
	ws := make([]*core.Array, len(ls))
	for i, l := range ls {
		if l.w == nil || l.w.Quant() == nil {
			return nil
		}
		ws[i] = l.w
	}
	return ws
}
