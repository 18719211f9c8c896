package metal

import (
	"fmt"

	"github.com/lbrx/lbrx/core"
)

// planMatmul plans C = A x B with A [..., M, K], B [..., K, N] and C
// [..., M, N] contiguous. Transposed views become the kernels' TRANS
// flags (no copy); batch dimensions that step by one stride per operand
// become one dispatch, others one dispatch per batch entry.
func planMatmul(op *core.Op, simd bool) ([]dispatch, error) {
	if err := checkInputs(op, 2); err != nil {
		return nil, err
	}
	a, b, c := op.Inputs[0], op.Inputs[1], op.Out
	dt, ok := suffix(a.DType())
	if !ok || b.DType() != a.DType() || c.DType() != a.DType() {
		return nil, unsupportedf("matmul: no kernel for %v x %v -> %v", a.DType(), b.DType(), c.DType())
	}
	as, bs, cs := a.Shape(), b.Shape(), c.Shape()
	if len(as) < 2 || len(bs) < 2 || len(cs) < 2 {
		return nil, fmt.Errorf("metal: matmul needs rank >= 2 operands, got %v x %v -> %v", as, bs, cs)
	}
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	if bs[len(bs)-2] != k || cs[len(cs)-2] != m || cs[len(cs)-1] != n {
		return nil, fmt.Errorf("metal: matmul shapes %v x %v -> %v do not agree", as, bs, cs)
	}
	outBatch := cs[:len(cs)-2]
	batch := 1
	for _, d := range outBatch {
		batch *= d
	}
	if m == 0 || n == 0 || batch == 0 {
		return nil, nil // empty output: nothing to write
	}
	ast, bst := a.Strides(), b.Strides()
	la, okA := matrixLayout(m, k, ast[len(ast)-2], ast[len(ast)-1])
	lb, okB := matrixLayout(k, n, bst[len(bst)-2], bst[len(bst)-1])
	if !okA || !okB {
		return nil, unsupportedf("matmul: operand strides %v x %v have no unit stride in the last two axes", ast, bst)
	}
	if !c.IsContiguous() {
		return nil, fmt.Errorf("metal: matmul output %v is not contiguous", c)
	}
	p := MatmulParams{
		M: uint32(m), N: uint32(n), K: uint32(k), Batch: uint32(batch),
		LDA: uint32(la.ld), LDB: uint32(lb.ld), LDC: uint32(n),
		CBatchStride: uint32(m * n),
	}
	if la.trans {
		p.Flags |= TransA
	}
	if lb.trans {
		p.Flags |= TransB
	}
	if !fitsU32(m, n, k, batch, la.ld, lb.ld, m*n) {
		return nil, unsupportedf("matmul %v x %v exceeds 32-bit indexing", as, bs)
	}
	kernel := "matmul_" + dt
	if simd {
		kernel = "matmul_simd_" + dt
	}
	es := a.DType().Size()
	mk := func(aOff, bOff, cOff, nb int, p MatmulParams) dispatch {
		p.Batch = uint32(nb)
		l := MatmulLaunch(&p, simd)
		return dispatch{
			kernel: kernel,
			bufs: []bufArg{
				{st: a.Storage(), byteOff: aOff * es, index: 0},
				{st: b.Storage(), byteOff: bOff * es, index: 1},
				{st: c.Storage(), byteOff: cOff * es, index: 2, write: true},
			},
			params: p.Bytes(), paramIdx: 3,
			launch: func(int, int) (Launch, error) { return l, nil },
		}
	}
	sa, okA := batchStride(outBatch, as[:len(as)-2], ast[:len(ast)-2])
	sb, okB := batchStride(outBatch, bs[:len(bs)-2], bst[:len(bst)-2])
	if okA && okB {
		_, ahi := span(as, ast, 0)
		_, bhi := span(bs, bst, 0)
		if fitsU32(ahi, bhi, batch*m*n, sa, sb) {
			p.ABatchStride, p.BBatchStride = uint32(sa), uint32(sb)
			return []dispatch{mk(a.Offset(), b.Offset(), c.Offset(), batch, p)}, nil
		}
	}
	if batch > maxBatchLoop {
		return nil, unsupportedf("matmul batch %v does not collapse to one stride and has %d entries", outBatch, batch)
	}
	// One dispatch per batch entry, each at its own offsets.
	out := make([]dispatch, 0, batch)
	idx := make([]int, len(outBatch))
	for z := range batch {
		aOff := a.Offset() + batchOffset(idx, outBatch, as[:len(as)-2], ast)
		bOff := b.Offset() + batchOffset(idx, outBatch, bs[:len(bs)-2], bst)
		out = append(out, mk(aOff, bOff, c.Offset()+z*m*n, 1, p))
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < outBatch[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out, nil
}

// batchOffset is the element offset of output batch index idx in an
// operand whose batch dimensions shape (right-aligned, size 1 broadcast)
// have the leading strides of strides.
func batchOffset(idx, outBatch, shape, strides []int) int {
	off := 0
	skip := len(outBatch) - len(shape)
	for d := range shape {
		if shape[d] != 1 {
			off += idx[skip+d] * strides[d]
		}
	}
	return off
}
