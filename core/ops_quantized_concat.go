package core

import (
	"errors"
	"fmt"
)

// The quantized matmul over several weights that read the same input.
//
//	quantized_matmul_concat  Inputs: x [M, K], then the weights w_1..w_n
//	                         (as quantized_matmul's, logical [N_i, K]).
//	                         Out: [M, ΣN_i] in x's dtype, the columns of
//	                         x @ W_1^T, then x @ W_2^T, ...
//
// It is quantized_matmul over the weights stacked by rows, without
// stacking them: a CPU kernel quantizes x once for all of them and runs
// their rows as one parallel job (q, k and v, or gate and up, of a
// decode step). Devices that stack the weights in their memory run the
// stacked weight through quantized_matmul instead; on them this op
// falls back to the CPU.

// QuantizedMatMulConcatOp returns [x @ W_1^T, x @ W_2^T, ...] concatenated
// along the last axis for quantized weights ws of logical shapes
// [N_i, K] and x [..., K]: shape [..., ΣN_i], x's dtype.
func QuantizedMatMulConcatOp(x *Array, ws ...*Array) (*Array, error) {
	if x == nil || len(ws) == 0 {
		return nil, errors.New("quantized matmul concat: nil x or no weights")
	}
	xs := x.Shape()
	if len(xs) < 1 {
		return nil, fmt.Errorf("quantized matmul concat: x %v is a scalar", x)
	}
	k := xs[len(xs)-1]
	_, n, err := weightRows("quantized matmul concat", x, k, ws)
	if err != nil {
		return nil, err
	}
	if !x.dtype.IsFloat() || x.dtype == F64 {
		return nil, fmt.Errorf("quantized matmul concat: x is %v, want F32, F16 or BF16", x.dtype)
	}
	dev, err := sameDevice("quantized matmul concat", append([]*Array{x}, ws...)...)
	if err != nil {
		return nil, err
	}
	xc, err := x.Contiguous()
	if err != nil {
		return nil, err
	}
	m := xs[:len(xs)-1].NumElements()
	x2, err := xc.Reshape(m, k)
	if err != nil {
		return nil, err
	}
	out, err := emptyOutput(dev, x.dtype, Shape{m, n})
	if err != nil {
		return nil, fmt.Errorf("quantized matmul concat: %w", err)
	}
	if err := Run(&Op{Name: "quantized_matmul_concat", Inputs: append([]*Array{x2}, ws...), Out: out}); err != nil {
		if errors.Is(err, errNoCPUKernel) {
			err = fmt.Errorf("%w (import github.com/lbrx/lbrx/quant to register it)", err)
		}
		return nil, fmt.Errorf("quantized matmul concat %v: %w", x, err)
	}
	ys := xs.Clone()
	ys[len(ys)-1] = n
	return out.Reshape(ys...)
}

// weightRows checks that every weight of ws is quantized with a logical
// shape [N_i, k] (k: x's last dimension) and returns each N_i and their
// sum; what names the op in the errors.
func weightRows(what string, x *Array, k int, ws []*Array) (ns []int, total int, err error) {
	ns = make([]int, len(ws))
	for i, w := range ws {
		if w == nil {
			return nil, 0, fmt.Errorf("%s: nil weight", what)
		}
		q := w.Quant()
		if q == nil {
			return nil, 0, fmt.Errorf("%s: weight %v carries no quantization info", what, w)
		}
		if len(q.Shape) != 2 || q.Shape[1] != k {
			return nil, 0, fmt.Errorf("%s: weight %v has logical shape %v, want [N, %d] (x %v)", what, w, q.Shape, k, x)
		}
		ns[i] = q.Shape[0]
		total += ns[i]
	}
	return ns, total, nil
}
