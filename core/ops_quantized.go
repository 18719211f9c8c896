package core

import (
	"errors"
	"fmt"
)

// The quantized matmul op. Its CPU kernel lives in the quant module (core
// cannot import it), which installs it with RegisterCPUKernel from init:
// import _ "github.com/lbrx/lbrx/quant" (tools/lbrx does). Device backends
// implement the same op name in their Executor.
//
//	quantized_matmul  Inputs: x [M, K] (F32/F16/BF16), w = packed codes with
//	                  Metadata.Quant (logical shape [N, K]). Out: [M, N] in
//	                  x's dtype. y = x @ W^T, W never dequantized in full.

// RegisterCPUKernel installs the CPU implementation of an op that lives in
// another module (the quant module registers "quantized_matmul"). It is for
// lbrx's own modules; registering a name twice panics.
func RegisterCPUKernel(name string, k func(*Op) error) { registerCPU(name, k) }

// QuantizedMatMulOp returns y = x @ W^T for a quantized weight w (logical
// shape [N, K], see QuantizationInfo) and x of shape [..., K], on the
// device both live on. y has x's dtype and shape [..., N].
func QuantizedMatMulOp(x, w *Array) (*Array, error) {
	if x == nil || w == nil {
		return nil, errors.New("quantized matmul: nil operand")
	}
	q := w.Quant()
	if q == nil {
		return nil, fmt.Errorf("quantized matmul: weight %v carries no quantization info", w)
	}
	if len(q.Shape) != 2 {
		return nil, fmt.Errorf("quantized matmul: weight %v has logical shape %v, want [N, K]", w, q.Shape)
	}
	n, k := q.Shape[0], q.Shape[1]
	xs := x.Shape()
	if len(xs) < 1 || xs[len(xs)-1] != k {
		return nil, fmt.Errorf("quantized matmul: x %v does not end in K=%d of weight %v (logical %v)", x, k, w, q.Shape)
	}
	if !x.dtype.IsFloat() || x.dtype == F64 {
		return nil, fmt.Errorf("quantized matmul: x is %v, want F32, F16 or BF16", x.dtype)
	}
	dev, err := sameDevice("quantized matmul", x, w)
	if err != nil {
		return nil, err
	}
	// Kernels see a contiguous 2-D x; the batch shape is restored after.
	xc, err := x.Contiguous()
	if err != nil {
		return nil, err
	}
	m := 1
	for _, d := range xs[:len(xs)-1] {
		m *= d
	}
	x2, err := xc.Reshape(m, k)
	if err != nil {
		return nil, err
	}
	out, err := emptyOutput(dev, x.dtype, Shape{m, n})
	if err != nil {
		return nil, fmt.Errorf("quantized matmul: %w", err)
	}
	if err := Run(&Op{Name: "quantized_matmul", Inputs: []*Array{x2, w}, Out: out}); err != nil {
		if errors.Is(err, errNoCPUKernel) {
			err = fmt.Errorf("%w (import github.com/lbrx/lbrx/quant to register it)", err)
		}
		return nil, fmt.Errorf("quantized matmul %v @ %v^T: %w", x, q.Shape, err)
	}
	ys := xs.Clone()
	ys[len(ys)-1] = n
	return out.Reshape(ys...)
}
