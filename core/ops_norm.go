package core

import (
	"fmt"
	"math"
)

// rms_norm: root-mean-square layer normalisation over the last axis, as
// Llama-family models use it (Hugging Face's LlamaRMSNorm):
//
//	y = x / sqrt(mean(x², last axis) + eps) * w
//
// The mean of squares accumulates in float64 and each output rounds once
// to x's dtype; f16/bf16 compute in float32 like every other op.
//
// Op convention: Inputs are x [..., D] and w [D], both contiguous and of
// one float dtype; Param is eps; Out has x's shape and dtype.

func init() { registerCPU("rms_norm", cpuRMSNorm) }

// RMSNormOp normalises x over its last axis by its root mean square and
// scales it by w, whose one dimension is that axis.
func RMSNormOp(x, w *Array, eps float64) (*Array, error) {
	if x == nil || w == nil {
		return nil, fmt.Errorf("rms_norm: nil operand")
	}
	if !x.dtype.IsFloat() {
		return nil, unsupported("rms_norm", x.dtype)
	}
	if err := sameDType("rms_norm", x, w); err != nil {
		return nil, err
	}
	if x.Rank() < 1 || w.Rank() != 1 || w.shape[0] != x.shape[x.Rank()-1] {
		return nil, fmt.Errorf("rms_norm: weight %v does not match the last axis of x %v", w.shape, x.shape)
	}
	if eps < 0 || math.IsNaN(eps) {
		return nil, fmt.Errorf("rms_norm: eps %v must be a non-negative number", eps)
	}
	if _, err := sameDevice("rms_norm", x, w); err != nil {
		return nil, err
	}
	ins, err := contiguousAll(x, w)
	if err != nil {
		return nil, fmt.Errorf("rms_norm: %w", err)
	}
	out, err := emptyOutput(x.Device(), x.dtype, x.shape)
	if err != nil {
		return nil, fmt.Errorf("rms_norm: %w", err)
	}
	return runOp(&Op{Name: "rms_norm", Inputs: ins, Out: out, Param: eps, Attrs: NormAttrs{Eps: eps}})
}

// RMSNorm is the typed form of RMSNormOp.
func RMSNorm[T Float](x, w *Tensor[T], eps float64) (*Tensor[T], error) {
	ins, err := arrays("rms_norm", x, w)
	if err != nil {
		return nil, err
	}
	return wrapTensor[T](RMSNormOp(ins[0], ins[1], eps))
}

// contiguousAll returns each array made contiguous (itself when it is).
func contiguousAll(in ...*Array) ([]*Array, error) {
	out := make([]*Array, len(in))
	for i, a := range in {
		c, err := a.Contiguous()
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func cpuRMSNorm(op *Op) error { return floatKernel(op, rmsNormKernel[float32], rmsNormKernel[float64]) }

func rmsNormKernel[C floatC](op *Op) error {
	x, w, out := op.Inputs[0], op.Inputs[1], op.Out
	rx, err := reader[C](x)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	rw, err := reader[C](w)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	get, put, err := writer[C](out)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	d := w.shape[0]
	if d == 0 {
		return nil
	}
	rows := x.NumElements() / d
	wv := rw(w.offset, 1, d, scratch[C](w, d)) // shared by the chunks, read only
	body := func(lo, hi int) {
		xbuf, obuf := scratch[C](x, d), scratch[C](out, d)
		for r := lo; r < hi; r++ {
			rmsNormRow(rx, get, put, x.offset+r*d, out.offset+r*d, d, xbuf, obuf, wv, op.Param)
		}
	}
	if rows > 1 && rows*d >= parallelElementwise { // a prompt's rows
		ParallelFor(rows, 1, body)
	} else {
		body(0, rows)
	}
	return nil
}

// rmsNormRow normalises the row of d values at xOff into out at oOff.
func rmsNormRow[C floatC](rx readFn[C], get func(off, stride, n int, buf []C) []C, put writeFn[C], xOff, oOff, d int, xbuf, obuf, wv []C, eps float64) {
	row := rx(xOff, 1, d, xbuf)
	dst := get(oOff, 1, d, obuf)
	rmsNormInto(dst, row, wv, eps)
	put(oOff, 1, dst)
}

// rmsNormInto writes the RMSNorm of row with weight wv into dst (all of
// one length).
func rmsNormInto[C floatC](dst, row, wv []C, eps float64) {
	var ss float64
	for _, v := range row {
		ss += float64(v) * float64(v)
	}
	// Hugging Face rounds the inverse root to the compute type before
	// scaling; doing the same keeps float32 results bit-close.
	inv := C(1 / math.Sqrt(ss/float64(len(row))+eps))
	for i, v := range row {
		dst[i] = v * inv * wv[i]
	}
}
