package core

import (
	"fmt"
	"math"

	"github.com/lbrx/lbrx/core/internal/vec"
)

// Fused ops: one kernel where a model would otherwise run two, so that a
// decode step launches fewer kernels and its intermediates skip memory.
//
// silu_mul: out = silu(g) * u, the gated MLP of Llama-family models
// (SiLU·up). Inputs g and u: one float dtype, one shape, contiguous; Out
// has their shape and dtype. Computed in float64 on the CPU (float32 on
// GPUs for f16/bf16) and rounded once.

func init() { registerCPU("silu_mul", cpuSiluMul) }

// SiLUMulOp returns silu(g) * u elementwise.
func SiLUMulOp(g, u *Array) (*Array, error) {
	if g == nil || u == nil {
		return nil, fmt.Errorf("silu_mul: nil operand")
	}
	if !g.dtype.IsFloat() {
		return nil, unsupported("silu_mul", g.dtype)
	}
	if err := sameDType("silu_mul", g, u); err != nil {
		return nil, err
	}
	if !g.shape.Equal(u.shape) {
		return nil, fmt.Errorf("silu_mul: shapes %v and %v differ", g.shape, u.shape)
	}
	dev, err := sameDevice("silu_mul", g, u)
	if err != nil {
		return nil, err
	}
	ins, err := contiguousAll(g, u)
	if err != nil {
		return nil, fmt.Errorf("silu_mul: %w", err)
	}
	out, err := emptyOutput(dev, g.dtype, g.shape)
	if err != nil {
		return nil, fmt.Errorf("silu_mul: %w", err)
	}
	return runOp(&Op{Name: "silu_mul", Inputs: ins, Out: out})
}

func cpuSiluMul(op *Op) error {
	return floatKernel(op, siluMulKernel[float32], siluMulKernel[float64])
}

func siluMulKernel[C floatC](op *Op) error {
	g, u, out := op.Inputs[0], op.Inputs[1], op.Out
	n := out.NumElements()
	if n == 0 {
		return nil
	}
	rg, err := reader[C](g)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	ru, err := reader[C](u)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	get, put, err := writer[C](out)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	gs := rg(g.offset, 1, n, scratch[C](g, n))
	us := ru(u.offset, 1, n, scratch[C](u, n))
	os := get(out.offset, 1, n, scratch[C](out, n))
	if g32, ok := any(gs).([]float32); ok {
		// float32: the vector SiLU and product (a decode step runs this
		// on every layer's intermediate, where the float64 loop was ~5%
		// of the time).
		o32, u32 := any(os).([]float32), any(us).([]float32)
		body := func(lo, hi int) {
			vec.SiLU(o32[lo:hi], g32[lo:hi])
			vec.Mul(o32[lo:hi], o32[lo:hi], u32[lo:hi])
		}
		if n >= parallelElementwise { // a prompt's intermediate
			ParallelFor(n, 16, body)
		} else {
			body(0, n)
		}
		put(out.offset, 1, os)
		return nil
	}
	for i := range os {
		x := float64(gs[i])
		os[i] = C(x / (1 + math.Exp(-x)) * float64(us[i]))
	}
	put(out.offset, 1, os)
	return nil
}
