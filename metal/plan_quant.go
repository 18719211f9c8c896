package metal

import (
	"errors"
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// Quantized matmul planning: y = x * W^T with W quantized along K, as the
// qmv_* / qmm_* kernels of metal/shaders/README.md compute it.

// ggml block sizes: 32 values per block behind a 2-byte f16 scale.
const (
	ggmlBlockValues = 32
	q8BlockBytes    = 34
	q4BlockBytes    = 18
	// qmvMaxRows is the largest M the matrix-vector kernel handles best;
	// both kernels are correct for every M.
	qmvMaxRows = 4
)

// rowMajor reports whether a is a 2-D array of contiguous rows, returning
// its dimensions.
func rowMajor(a *core.Array) (rows, cols int, ok bool) {
	if a == nil || a.Rank() != 2 {
		return 0, 0, false
	}
	s, st := a.Shape(), a.Strides()
	rows, cols = s[0], s[1]
	ok = (cols <= 1 || st[1] == 1) && (rows <= 1 || st[0] == cols)
	return rows, cols, ok
}

// planQuantMatmul plans y = x * W^T for x [M, K] (rows contiguous, any
// row stride), W [N, K] quantized (w.Quant() describes it) and y [M, N]
// contiguous.
func planQuantMatmul(x, w, y *core.Array) ([]dispatch, error) {
	if x == nil || w == nil || y == nil {
		return nil, errors.New("metal: quantized matmul of a nil array")
	}
	q := w.Quant()
	if q == nil {
		return nil, fmt.Errorf("metal: quantized matmul: %v has no quantization info", w)
	}
	if len(q.Shape) != 2 {
		return nil, unsupportedf("quantized matmul: weight %v has logical shape %v; kernels take [N, K]", w, q.Shape)
	}
	n, k := q.Shape[0], q.Shape[1]
	xs, xst := x.Shape(), x.Strides()
	if len(xs) != 2 || xs[1] != k {
		return nil, fmt.Errorf("metal: quantized matmul: x %v does not match weight %v (K = %d)", x, q.Shape, k)
	}
	m := xs[0]
	if !y.IsContiguous() || !y.Shape().Equal(core.Shape{m, n}) || y.DType() != x.DType() {
		return nil, fmt.Errorf("metal: quantized matmul: output %v is not a contiguous %v [%d %d]", y, x.DType(), m, n)
	}
	if k > 1 && xst[1] != 1 {
		return nil, unsupportedf("quantized matmul: x rows are not contiguous (strides %v)", xst)
	}
	rowStride := k
	if m > 1 {
		rowStride = xst[0]
	}
	wr, wc, ok := rowMajor(w)
	if !ok || wr != n {
		return nil, unsupportedf("quantized matmul: weight codes %v are not %d contiguous rows", w, n)
	}
	p := QuantParams{M: uint32(m), N: uint32(n), K: uint32(k), GroupSize: uint32(q.GroupSize), Bits: uint32(q.Bits)}
	if !fitsU32(m, n, k, rowStride, m*n) {
		return nil, unsupportedf("quantized matmul [%d %d] x [%d %d]^T exceeds 32-bit indexing", m, k, n, k)
	}
	p.XRowStride = uint32(rowStride)
	if m == 0 || n == 0 {
		return nil, nil
	}
	kind := "qmm"
	launch := QMMLaunch(&p)
	if m <= qmvMaxRows {
		kind, launch = "qmv", QMVLaunch(&p)
	}
	fixed := func(int, int) (Launch, error) { return launch, nil }
	bind := func(a *core.Array, idx int, write bool) bufArg {
		return bufArg{st: a.Storage(), byteOff: a.Offset() * a.DType().Size(), index: idx, write: write}
	}

	switch q.Scheme {
	case core.SchemeAffine:
		dt, ok := suffix(x.DType())
		if !ok {
			return nil, unsupportedf("quantized matmul: no kernel for x of %v", x.DType())
		}
		if q.Bits != 2 && q.Bits != 4 && q.Bits != 8 {
			return nil, unsupportedf("quantized matmul: no kernel for %d-bit affine codes", q.Bits)
		}
		if (q.GroupSize != 32 && q.GroupSize != 64 && q.GroupSize != 128) || k%q.GroupSize != 0 {
			return nil, unsupportedf("quantized matmul: group size %d with K = %d", q.GroupSize, k)
		}
		if q.Biases == nil || q.Scales == nil {
			return nil, unsupportedf("quantized matmul: affine weight without scales and biases (zero points are not supported)")
		}
		if w.DType() != core.U32 || wc != k*q.Bits/32 {
			return nil, fmt.Errorf("metal: quantized matmul: codes %v are not U32 [%d %d]", w, n, k*q.Bits/32)
		}
		for _, sb := range []*core.Array{q.Scales, q.Biases} {
			r, c, ok := rowMajor(sb)
			if !ok || r != n || c != k/q.GroupSize || sb.DType() != x.DType() {
				return nil, unsupportedf("quantized matmul: scales/biases %v are not contiguous %v [%d %d]", sb, x.DType(), n, k/q.GroupSize)
			}
		}
		return []dispatch{{
			kernel: fmt.Sprintf("%s_affine%d_%s", kind, q.Bits, dt),
			bufs: []bufArg{
				bind(w, 0, false), bind(q.Scales, 1, false), bind(q.Biases, 2, false),
				{st: x.Storage(), byteOff: x.Offset() * x.DType().Size(), index: 3},
				bind(y, 4, true),
			},
			params: p.Bytes(), paramIdx: 5, launch: fixed,
		}}, nil
	case core.SchemeQ8_0, core.SchemeQ4_0:
		block, name := q8BlockBytes, "q8_0"
		if q.Scheme == core.SchemeQ4_0 {
			block, name = q4BlockBytes, "q4_0"
		}
		if x.DType() != core.F32 {
			return nil, unsupportedf("quantized matmul: ggml kernels take f32 x, not %v", x.DType())
		}
		if k%ggmlBlockValues != 0 {
			return nil, fmt.Errorf("metal: quantized matmul: K = %d is not a multiple of the ggml block of 32", k)
		}
		if w.DType() != core.U8 || wc != k/ggmlBlockValues*block {
			return nil, fmt.Errorf("metal: quantized matmul: %s blocks %v are not U8 [%d %d]", name, w, n, k/ggmlBlockValues*block)
		}
		p.GroupSize = ggmlBlockValues
		return []dispatch{{
			kernel: fmt.Sprintf("%s_%s_f32", kind, name),
			bufs: []bufArg{
				bind(w, 0, false),
				{st: x.Storage(), byteOff: x.Offset() * x.DType().Size(), index: 1},
				bind(y, 2, true),
			},
			params: p.Bytes(), paramIdx: 3, launch: fixed,
		}}, nil
	}
	if gb, ok := ggmlBlocks[q.Scheme]; ok {
		dt, ok := suffix(x.DType())
		if !ok {
			return nil, unsupportedf("quantized matmul: no kernel for x of %v", x.DType())
		}
		if k%gb.Values != 0 {
			return nil, fmt.Errorf("metal: quantized matmul: K = %d is not a multiple of the %s block of %d", k, q.Scheme, gb.Values)
		}
		if w.DType() != core.U8 || wc != k/gb.Values*gb.Bytes {
			return nil, fmt.Errorf("metal: quantized matmul: %s blocks %v are not U8 [%d %d]", gb.Name, w, n, k/gb.Values*gb.Bytes)
		}
		p.GroupSize = uint32(gb.Values)
		return []dispatch{{
			kernel: fmt.Sprintf("%s_%s_%s", kind, gb.Name, dt),
			bufs: []bufArg{
				bind(w, 0, false),
				{st: x.Storage(), byteOff: x.Offset() * x.DType().Size(), index: 1},
				bind(y, 2, true),
			},
			params: p.Bytes(), paramIdx: 3, launch: fixed,
		}}, nil
	}
	return nil, unsupportedf("quantized matmul: no kernel for scheme %q", q.Scheme)
}
