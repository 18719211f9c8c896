package core

import (
	"errors"
	"fmt"
)

// silu_mul_matmul: the down projection of a gated MLP with its gate in
// front, y = (silu(g) * u) @ W, where gu = [g | u] is the merged gate/up
// projection's output: one op, so that a backend reads the gated
// activation straight from gu instead of writing it out first.
//
// Op convention: Inputs are gu [M, 2K] (contiguous, float) and the weight
// in the form its product takes: a quantized weight (QuantizationInfo,
// logical [N, K]; as quantized_matmul) or a dense b [K, N] of gu's dtype
// (any strides; as matmul, typically a weight's transpose). Out is
// [M, N] in gu's dtype. The gated activation is rounded to gu's dtype
// before the product, as silu_mul then the product would round it.

func init() { registerCPU("silu_mul_matmul", cpuSiLUMulMatMul) }

// SiLUMulMatMulOp returns (silu(g) * u) @ w for gu = [g | u] [M, 2K]: w
// is a quantized weight of logical shape [N, K] (applied as x @ W^T, as
// QuantizedMatMulOp) or a dense [K, N] (as MatMulOp).
func SiLUMulMatMulOp(gu, w *Array) (*Array, error) {
	const name = "silu_mul_matmul"
	if gu == nil || w == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	if !gu.dtype.IsFloat() {
		return nil, unsupported(name, gu.dtype)
	}
	if gu.Rank() != 2 || gu.shape[1]%2 != 0 {
		return nil, fmt.Errorf("%s: gu %v must be [M, 2K]", name, gu.shape)
	}
	k := gu.shape[1] / 2
	var n int
	if q := w.Quant(); q != nil {
		if len(q.Shape) != 2 || q.Shape[1] != k {
			return nil, fmt.Errorf("%s: quantized weight %v (logical %v) does not take K=%d", name, w, q.Shape, k)
		}
		if gu.dtype == F64 {
			return nil, fmt.Errorf("%s: gu is F64, a quantized product wants F32, F16 or BF16", name)
		}
		n = q.Shape[0]
	} else {
		if err := sameDType(name, gu, w); err != nil {
			return nil, err
		}
		if w.Rank() != 2 || w.shape[0] != k {
			return nil, fmt.Errorf("%s: weight %v must be [K=%d, N]", name, w.shape, k)
		}
		n = w.shape[1]
	}
	dev, err := sameDevice(name, gu, w)
	if err != nil {
		return nil, err
	}
	c, err := gu.Contiguous()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out, err := emptyOutput(dev, gu.dtype, Shape{gu.shape[0], n})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return runOp(&Op{Name: name, Inputs: []*Array{c, w}, Out: out})
}

// gatedParts returns the gate and up halves of gu [M, 2K] as views.
func gatedParts(gu *Array) (g, u *Array, err error) {
	k := gu.shape[1] / 2
	if g, err = gu.Slice(1, 0, k, 1); err != nil {
		return nil, nil, err
	}
	u, err = gu.Slice(1, k, 2*k, 1)
	return g, u, err
}

// productOp is the plain product of x with w as silu_mul_matmul takes it.
func productOp(x, w, out *Array) *Op {
	if w.Quant() != nil {
		return &Op{Name: "quantized_matmul", Inputs: []*Array{x, w}, Out: out}
	}
	return &Op{Name: "matmul", Inputs: []*Array{x, w}, Out: out}
}

// decomposeSiLUMulMatMul runs the op as silu_mul and the product on its
// device.
func decomposeSiLUMulMatMul(op *Op) error {
	g, u, err := gatedParts(op.Inputs[0])
	if err != nil {
		return err
	}
	h, err := SiLUMulOp(g, u)
	if err != nil {
		return err
	}
	return Run(productOp(h, op.Inputs[1], op.Out))
}

// cpuSiLUMulMatMul composes the CPU kernels (never Run: a CPU kernel
// inside a recording adds no ops to it).
func cpuSiLUMulMatMul(op *Op) error {
	g, u, err := gatedParts(op.Inputs[0])
	if err != nil {
		return err
	}
	parts := make([]*Array, 2)
	for i, p := range []*Array{g, u} {
		if parts[i], err = Empty(CPU(), p.dtype, p.shape); err != nil {
			return err
		}
		if err := runCPU(&Op{Name: "copy", Inputs: []*Array{p}, Out: parts[i]}); err != nil {
			return err
		}
	}
	h, err := Empty(CPU(), g.dtype, g.shape)
	if err != nil {
		return err
	}
	if err := runCPU(&Op{Name: "silu_mul", Inputs: parts, Out: h}); err != nil {
		return err
	}
	err = runCPU(productOp(h, op.Inputs[1], op.Out))
	if errors.Is(err, errNoCPUKernel) {
		err = fmt.Errorf("%s: %w (import github.com/lbrx/lbrx/quant to register quantized_matmul)", op.Name, err)
	}
	return err
}
