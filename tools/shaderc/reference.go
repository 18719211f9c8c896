package main

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

// The references are core's CPU ops and, for the quantized matmuls, the
// exact product over the dequantized weight: the kernels must agree with
// what lbrx computes on the CPU.

func coreDType(dt string) core.DType {
	switch dt {
	case "f16":
		return core.F16
	case "bf16":
		return core.BF16
	default:
		return core.F32
	}
}

// hostArray is a contiguous core array of dtype dt holding vals (which
// must be representable in dt, see roundTo).
func hostArray(dt string, shape []int, vals []float32) (*core.Array, error) {
	b := encode(dt, vals)
	h := core.NewHeap(len(b))
	copy(h.Bytes(), b)
	return core.NewArray(coreDType(dt), core.Shape(shape), h, 0)
}

// arrayValues reads a core array of dtype dt back as float64.
func arrayValues(dt string, a *core.Array) ([]float64, error) {
	if a.DType() != coreDType(dt) {
		return nil, fmt.Errorf("reference has dtype %v, want %v", a.DType(), coreDType(dt))
	}
	b, err := a.Bytes()
	if err != nil {
		return nil, err
	}
	v := decode(dt, b)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out, nil
}

// gather reads the logical (row-major over l.shape) elements of a strided
// input.
func gather(l layout, vals []float32) []float32 {
	out := make([]float32, numel(l.shape))
	for i := range out {
		out[i] = vals[l.index(i)]
	}
	return out
}

// rounded returns v rounded to dt, as float64 (for references computed here).
func rounded(dt string, v float64) float64 { return float64(roundTo(dt, []float32{float32(v)})[0]) }

// exactQuantMatMul is y = x W^T in float64 over the weight's dequantized
// values and x as stored (dtype dt), [m, n]. It is the reference for the
// quantized kernels rather than quant.MatMul, because the CPU's integer
// kernels for Q4_0, Q8_0 and Q6_K quantize x to 8 bits first and the
// Metal kernels do not.
func exactQuantMatMul(dt string, x, w *core.Array) ([]float64, error) {
	xv, err := arrayValues(dt, x)
	if err != nil {
		return nil, err
	}
	deq, err := quant.DequantizeFloat32(w)
	if err != nil {
		return nil, err
	}
	dv, err := deq.Values()
	if err != nil {
		return nil, err
	}
	m, k, n := x.Shape()[0], x.Shape()[1], w.Shape()[0]
	y := make([]float64, m*n)
	for i := range m {
		for j := range n {
			s := 0.0
			for l := range k {
				s += xv[i*k+l] * float64(dv[j*k+l])
			}
			y[i*n+j] = s
		}
	}
	return y, nil
}
