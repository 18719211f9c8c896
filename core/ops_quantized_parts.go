package core

import (
	"errors"
	"fmt"
)

// The quantized matmul over several weights that read the same input,
// each part's output whole.
//
//	quantized_matmul_parts  Inputs: x [M, K], then the weights w_1..w_p
//	                        (as quantized_matmul's, logical [N_i, K]).
//	                        Out: [M·ΣN_i] in x's dtype: x @ W_1^T as
//	                        [M, N_1], then x @ W_2^T as [M, N_2], ...
//
// quantized_matmul_concat's product with another output layout: part
// after part, each a contiguous [M, N_i], where concat's puts their
// columns side by side. For one row the two are the same bytes; for a
// few rows (a batch of decode steps) the parts come out as arrays that
// the ops after them (rope, silu_mul, cache writes) read without a
// gather. A device whose weights are views of one stacked weight (q, k
// and v, or gate and up) multiplies them in one kernel (the CUDA
// backend's several-row integer products: one quantization of x, one
// launch); elsewhere it decomposes into one quantized_matmul a part,
// into its slice of Out.

// QuantizedMatMulPartsOp returns x @ W_i^T for each quantized weight of
// ws (logical shapes [N_i, K]) and x [M, K]: arrays [M, N_i] of x's
// dtype, contiguous views of one output buffer, in ws's order.
func QuantizedMatMulPartsOp(x *Array, ws ...*Array) ([]*Array, error) {
	if x == nil || len(ws) == 0 {
		return nil, errors.New("quantized matmul parts: nil x or no weights")
	}
	if x.Rank() != 2 {
		return nil, fmt.Errorf("quantized matmul parts: x %v is not [M, K]", x)
	}
	m, k := x.shape[0], x.shape[1]
	ns, total, err := weightRows("quantized matmul parts", x, k, ws)
	if err != nil {
		return nil, err
	}
	if !x.dtype.IsFloat() || x.dtype == F64 {
		return nil, fmt.Errorf("quantized matmul parts: x is %v, want F32, F16 or BF16", x.dtype)
	}
	dev, err := sameDevice("quantized matmul parts", append([]*Array{x}, ws...)...)
	if err != nil {
		return nil, err
	}
	xc, err := x.Contiguous()
	if err != nil {
		return nil, err
	}
	out, err := emptyOutput(dev, x.dtype, Shape{m * total})
	if err != nil {
		return nil, fmt.Errorf("quantized matmul parts: %w", err)
	}
	if err := Run(&Op{Name: "quantized_matmul_parts", Inputs: append([]*Array{xc}, ws...), Out: out}); err != nil {
		if errors.Is(err, errNoCPUKernel) {
			err = fmt.Errorf("%w (import github.com/lbrx/lbrx/quant to register it)", err)
		}
		return nil, fmt.Errorf("quantized matmul parts %v: %w", x, err)
	}
	return partViews(out, m, ns)
}

// partViews cuts out [M·ΣN_i] into the contiguous [M, N_i] parts.
func partViews(out *Array, m int, ns []int) ([]*Array, error) {
	ys := make([]*Array, len(ns))
	off := 0
	for i, n := range ns {
		s, err := out.Slice(0, off, off+m*n, 1)
		if err != nil {
			return nil, err
		}
		if ys[i], err = s.Reshape(m, n); err != nil {
			return nil, err
		}
		off += m * n
	}
	return ys, nil
}

// QuantizedParts returns the parts of a quantized_matmul_parts op: x,
// the weights, and each weight's output view [M, N_i] of op.Out. Device
// backends call it to split the op.
func QuantizedParts(op *Op) (x *Array, ws, outs []*Array, err error) {
	if len(op.Inputs) < 2 || op.Inputs[0].Rank() != 2 {
		return nil, nil, nil, fmt.Errorf("quantized_matmul_parts takes x [M, K] and at least one weight, got %v", op.Inputs)
	}
	x, ws = op.Inputs[0], op.Inputs[1:]
	ns, total, err := weightRows("quantized_matmul_parts", x, x.shape[1], ws)
	if err != nil {
		return nil, nil, nil, err
	}
	m := x.shape[0]
	if op.Out.Rank() != 1 || op.Out.shape[0] != m*total || !op.Out.IsContiguous() {
		return nil, nil, nil, fmt.Errorf("quantized_matmul_parts: output %v, want a contiguous [%d]", op.Out, m*total)
	}
	outs, err = partViews(op.Out, m, ns)
	return x, ws, outs, err
}

// decomposeQuantizedParts runs one quantized_matmul a part, into its
// view of Out.
func decomposeQuantizedParts(op *Op) error {
	x, ws, outs, err := QuantizedParts(op)
	if err != nil {
		return err
	}
	for i, w := range ws {
		if err := Run(&Op{Name: "quantized_matmul", Inputs: []*Array{x, w}, Out: outs[i]}); err != nil {
			return err
		}
	}
	return nil
}
