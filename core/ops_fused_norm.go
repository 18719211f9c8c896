package core

import (
	"fmt"
	"math"
)

// add_rms_norm: the residual add and the RMSNorm that follows it in a
// decoder layer, as one op writing both results:
//
//	s = x + r                (rounded to x's dtype, as add rounds it)
//	y = rms_norm(s, w, eps)  (from the rounded s, as rms_norm reads it)
//
// so that it equals add then rms_norm bit for bit where the kernels
// accumulate alike.
//
// Op convention: Inputs are x and r [..., D] (one float dtype, one
// shape) and w [D], all contiguous; Param is eps; Out is [2, ...x's
// shape] in x's dtype: Out[0] = s, Out[1] = y.

func init() { registerCPU("add_rms_norm", cpuAddRMSNorm) }

// AddRMSNormOp returns s = x + r and rms_norm(s, w, eps), computed by one
// op where the device has the fused kernel (else as add and rms_norm on
// the device). Both results are views of one [2, ...] array.
func AddRMSNormOp(x, r, w *Array, eps float64) (sum, normed *Array, err error) {
	if x == nil || r == nil || w == nil {
		return nil, nil, fmt.Errorf("add_rms_norm: nil operand")
	}
	if !x.dtype.IsFloat() {
		return nil, nil, unsupported("add_rms_norm", x.dtype)
	}
	if err := sameDType("add_rms_norm", x, r); err != nil {
		return nil, nil, err
	}
	if err := sameDType("add_rms_norm", x, w); err != nil {
		return nil, nil, err
	}
	if !x.shape.Equal(r.shape) {
		return nil, nil, fmt.Errorf("add_rms_norm: shapes %v and %v differ", x.shape, r.shape)
	}
	if x.Rank() < 1 || w.Rank() != 1 || w.shape[0] != x.shape[x.Rank()-1] {
		return nil, nil, fmt.Errorf("add_rms_norm: weight %v does not match the last axis of x %v", w.shape, x.shape)
	}
	if eps < 0 || math.IsNaN(eps) {
		return nil, nil, fmt.Errorf("add_rms_norm: eps %v must be a non-negative number", eps)
	}
	dev, err := sameDevice("add_rms_norm", x, r, w)
	if err != nil {
		return nil, nil, err
	}
	ins, err := contiguousAll(x, r, w)
	if err != nil {
		return nil, nil, fmt.Errorf("add_rms_norm: %w", err)
	}
	out, err := emptyOutput(dev, x.dtype, append(Shape{2}, x.shape...))
	if err != nil {
		return nil, nil, fmt.Errorf("add_rms_norm: %w", err)
	}
	if err := Run(&Op{Name: "add_rms_norm", Inputs: ins, Out: out, Param: eps, Attrs: NormAttrs{Eps: eps}}); err != nil {
		return nil, nil, err
	}
	return halves(out)
}

// halves returns a [2, ...] array's two entries as views.
func halves(out *Array) (a, b *Array, err error) {
	parts := [2]*Array{}
	for i := range parts {
		p, err := out.Slice(0, i, i+1, 1)
		if err != nil {
			return nil, nil, err
		}
		if parts[i], err = p.Reshape(out.shape[1:]...); err != nil {
			return nil, nil, err
		}
	}
	return parts[0], parts[1], nil
}

func cpuAddRMSNorm(op *Op) error {
	return floatKernel(op, addRMSNormKernel[float32], addRMSNormKernel[float64])
}

func addRMSNormKernel[C floatC](op *Op) error {
	x, r, w, out := op.Inputs[0], op.Inputs[1], op.Inputs[2], op.Out
	d := w.shape[0]
	if d == 0 || x.NumElements() == 0 {
		return nil
	}
	if t := DTypeOf[C](); x.dtype == t && r.dtype == t && w.dtype == t && out.dtype == t {
		return addRMSNormSame[C](op)
	}
	rx, err := reader[C](x)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	rr, err := reader[C](r)
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
	// The sums are read back from Out, so the norm sees them rounded to
	// the dtype as a separate add would leave them.
	rs, err := reader[C](out)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	n := x.NumElements()
	rows := n / d
	// Buffers only where a dtype converts (scratch), as rms_norm: the
	// generic loop allocated four row buffers per call, which made the
	// fused op slower on the CPU than add then rms_norm.
	wv := rw(w.offset, 1, d, scratch[C](w, d)) // shared by the chunks, read only
	body := func(lo, hi int) {
		xbuf, rbuf, sbuf, obuf := scratch[C](x, d), scratch[C](r, d), scratch[C](out, d), scratch[C](out, d)
		for i := lo; i < hi; i++ {
			xo := i * d
			xs := rx(x.offset+xo, 1, d, xbuf)
			res := rr(r.offset+xo, 1, d, rbuf)
			dst := get(out.offset+xo, 1, d, obuf)
			for j := range dst {
				dst[j] = xs[j] + res[j]
			}
			put(out.offset+xo, 1, dst)
			rmsNormRow(rs, get, put, out.offset+xo, out.offset+n+xo, d, sbuf, obuf, wv, op.Param)
		}
	}
	if rows > 1 && n >= parallelElementwise { // a prompt's rows
		ParallelFor(rows, 1, body)
	} else {
		body(0, rows)
	}
	return nil
}

// addRMSNormSame is addRMSNormKernel when every operand is of the compute
// type C: rows are read and written in place, without the readers and
// writers (closures, several allocations a call for an op a decode step
// runs twice a layer).
func addRMSNormSame[C floatC](op *Op) error {
	x, r, w, out := op.Inputs[0], op.Inputs[1], op.Inputs[2], op.Out
	xs, err := hostSlice[C](x)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	rs, err := hostSlice[C](r)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	ws, err := hostSlice[C](w)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	o, err := hostSlice[C](out)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	d, n := w.shape[0], x.NumElements()
	wv := ws[w.offset : w.offset+d]
	sums, norms := o[out.offset:out.offset+n], o[out.offset+n:out.offset+2*n]
	xs, rs = xs[x.offset:x.offset+n], rs[r.offset:r.offset+n]
	rows := n / d
	if rows > 1 && n >= parallelElementwise { // a prompt's rows
		ParallelFor(rows, 1, func(lo, hi int) { addRMSNormRows(sums, norms, xs, rs, wv, d, lo, hi, op.Param) })
	} else {
		addRMSNormRows(sums, norms, xs, rs, wv, d, 0, rows, op.Param)
	}
	return nil
}

// addRMSNormRows writes rows [lo, hi) of sums = xs + rs and of norms, the
// RMSNorm of sums with weight wv (rows of d values).
func addRMSNormRows[C floatC](sums, norms, xs, rs, wv []C, d, lo, hi int, eps float64) {
	for i := lo; i < hi; i++ {
		s := sums[i*d : (i+1)*d]
		for j, v := range xs[i*d : (i+1)*d] {
			s[j] = v + rs[i*d+j]
		}
		rmsNormInto(norms[i*d:(i+1)*d], s, wv, eps)
	}
}
