package core

import (
	"fmt"
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/lbrx/lbrx/core/internal/gemm"
)

// Matrix multiplication, numpy matmul semantics: the last two axes are
// the matrices, leading axes are batch axes that broadcast. A 1-D left
// operand is a row vector and a 1-D right operand a column vector; the
// added axis is removed from the result.
//
// Op convention: Inputs are a[..., M, K] and b[..., K, N] with their batch
// axes already broadcast to Out's, Out is [..., M, N].
//
// f32, f16 and bf16 run on gemm.Sgemm (f16/bf16 converted to f32, f32
// accumulation, one rounding at the end). An operand whose matrices are
// row-contiguous or column-contiguous (a transposed view) is passed to
// Sgemm in place with the transpose flag and its leading dimension; only
// other layouts (and f16/bf16, which must be converted anyway) are packed.
// f64 and integers use a plain loop; integer products and sums wrap.

func init() { registerCPU("matmul", cpuMatMul) }

// MatMulOp returns the matrix product of a and b (see MatMul).
func MatMulOp(a, b *Array) (*Array, error) {
	if err := sameDType("matmul", a, b); err != nil {
		return nil, err
	}
	if a.dtype == Bool {
		return nil, unsupported("matmul", a.dtype)
	}
	if a.Rank() == 0 || b.Rank() == 0 {
		return nil, fmt.Errorf("matmul: operands %v and %v must have at least one dimension", a.shape, b.shape)
	}
	dev, err := sameDevice("matmul", a, b)
	if err != nil {
		return nil, err
	}
	origA, origB := a.shape, b.shape
	vecA, vecB := a.Rank() == 1, b.Rank() == 1
	if vecA {
		a, _ = a.Unsqueeze(0) // rank 1 -> [1, K], always valid
	}
	if vecB {
		b, _ = b.Unsqueeze(1)
	}
	ra, rb := a.Rank(), b.Rank()
	m, k, k2, n := a.shape[ra-2], a.shape[ra-1], b.shape[rb-2], b.shape[rb-1]
	if k != k2 {
		return nil, fmt.Errorf("matmul: shapes %v and %v do not match: inner dimensions %d and %d differ", origA, origB, k, k2)
	}
	batch, err := BroadcastShapes(a.shape[:ra-2], b.shape[:rb-2])
	if err != nil {
		return nil, fmt.Errorf("matmul %v and %v: batch dimensions: %w", origA, origB, err)
	}
	if a, err = a.BroadcastTo(append(batch.Clone(), m, k)); err != nil {
		return nil, fmt.Errorf("matmul: %w", err)
	}
	if b, err = b.BroadcastTo(append(batch.Clone(), k, n)); err != nil {
		return nil, fmt.Errorf("matmul: %w", err)
	}
	out, err := emptyOutput(dev, a.dtype, append(batch.Clone(), m, n))
	if err != nil {
		return nil, fmt.Errorf("matmul: %w", err)
	}
	if err := Run(&Op{Name: "matmul", Inputs: []*Array{a, b}, Out: out}); err != nil {
		return nil, err
	}
	if vecA || vecB {
		s, r := out.shape.Clone(), out.Rank()
		if vecB { // drop N first so that M keeps its index
			s = slices.Delete(s, r-1, r)
		}
		if vecA {
			s = slices.Delete(s, r-2, r-1)
		}
		return out.Reshape(s...)
	}
	return out, nil
}

// MatMul returns the matrix product of a and b: a[..., M, K] times
// b[..., K, N] gives [..., M, N], batch axes broadcasting. Transposed
// views (t.T()) are multiplied without copying them.
func MatMul[T Numeric](a, b *Tensor[T]) (*Tensor[T], error) {
	if a == nil || b == nil {
		return nil, fmt.Errorf("matmul: nil operand")
	}
	return wrapTensor[T](MatMulOp(a.a, b.a))
}

// sgemmPacks counts operand matrices the f32 path had to pack before
// calling Sgemm; tests use it to prove that transposed views go in place.
var sgemmPacks atomic.Int64

// sgemmCalls counts Sgemm invocations; tests use it to check that a batch
// sharing one right-hand matrix is folded into a single call.
var sgemmCalls atomic.Int64

// matView is one matrix of a batch: element (i, j) is at off+i*rs+j*cs.
type matView struct {
	off, rows, cols, rs, cs int
}

// gemmLayout reports how Sgemm can read m in place: row-major with row
// stride ld, or (trans) column-major with column stride ld. Strides of
// size-1 dimensions do not matter. ld must cover a whole row (column) so
// that rows never overlap, as BLAS requires.
func (m matView) gemmLayout() (trans bool, ld int, ok bool) {
	if m.cs == 1 || m.cols == 1 {
		ld = m.rs
		if m.rows == 1 {
			ld = m.cols
		}
		if ld >= max(m.cols, 1) {
			return false, ld, true
		}
	}
	if m.rs == 1 || m.rows == 1 {
		ld = m.cs
		if m.cols == 1 {
			ld = m.rows
		}
		if ld >= max(m.rows, 1) {
			return true, ld, true
		}
	}
	return false, 0, false
}

// batchWalk calls f with the storage offsets of Out's, a's and b's
// matrices for every batch entry.
func batchWalk(op *Op, f func(oo, ao, bo int)) {
	out, a, b := op.Out, op.Inputs[0], op.Inputs[1]
	r := len(out.shape)
	g := newGeom(out.shape[:r-2], out.strides[:r-2], a.strides[:r-2], b.strides[:r-2])
	g.each([]int{out.offset, a.offset, b.offset}, func(offs []int, n int, st []int) {
		for t := range n {
			f(offs[0]+t*st[0], offs[1]+t*st[1], offs[2]+t*st[2])
		}
	})
}

func cpuMatMul(op *Op) error {
	op, err := alignedOp(op)
	if err != nil {
		return err
	}
	if len(op.Inputs) != 2 || op.Out.Rank() < 2 {
		return fmt.Errorf("matmul: malformed op: %d inputs, output %v", len(op.Inputs), op.Out.shape)
	}
	switch d := op.Out.dtype; d {
	case F32, F16, BF16:
		return matmulSgemm(op)
	case F64:
		return matmulLoop[float64](op)
	case I8:
		return matmulLoop[int8](op)
	case U8:
		return matmulLoop[uint8](op)
	case I16:
		return matmulLoop[int16](op)
	case I32:
		return matmulLoop[int32](op)
	case I64:
		return matmulLoop[int64](op)
	case U32:
		return matmulLoop[uint32](op)
	default:
		return unsupported("matmul", d)
	}
}

// dims returns M, K, N and the matrix views of a and b at offsets ao, bo.
func matDims(op *Op, ao, bo int) (am, bm matView) {
	a, b := op.Inputs[0], op.Inputs[1]
	r := len(a.shape)
	am = matView{off: ao, rows: a.shape[r-2], cols: a.shape[r-1], rs: a.strides[r-2], cs: a.strides[r-1]}
	bm = matView{off: bo, rows: b.shape[r-2], cols: b.shape[r-1], rs: b.strides[r-2], cs: b.strides[r-1]}
	return am, bm
}

// gemmOperand returns the slice, transpose flag and leading dimension to
// hand Sgemm for matrix v: the operand's own storage when its layout allows,
// else v packed row-major into pack.
func gemmOperand(v matView, direct []float32, rx readFn[float32], pack []float32) ([]float32, bool, int) {
	if direct != nil {
		if trans, ld, ok := v.gemmLayout(); ok {
			return direct[v.off:], trans, ld
		}
	}
	sgemmPacks.Add(1)
	for i := range v.rows {
		dst := pack[i*v.cols : (i+1)*v.cols]
		copy(dst, rx(v.off+i*v.rs, v.cs, v.cols, dst))
	}
	return pack, false, max(v.cols, 1)
}

func matmulSgemm(op *Op) error {
	a, b, out := op.Inputs[0], op.Inputs[1], op.Out
	ra, err := reader[float32](a)
	if err != nil {
		return fmt.Errorf("matmul: %w", err)
	}
	rb, err := reader[float32](b)
	if err != nil {
		return fmt.Errorf("matmul: %w", err)
	}
	var da, db, dout []float32
	if a.dtype == F32 {
		if da, err = hostSlice[float32](a); err != nil {
			return err
		}
		if db, err = hostSlice[float32](b); err != nil {
			return err
		}
		if dout, err = hostSlice[float32](out); err != nil {
			return err
		}
	}
	_, put, err := writer[float32](out)
	if err != nil {
		return fmt.Errorf("matmul: %w", err)
	}
	r := len(out.shape)
	m, n, k := out.shape[r-2], out.shape[r-1], a.shape[r-1]
	if m == 0 || n == 0 || out.NumElements() == 0 {
		return nil
	}
	var packA, packB, cbuf []float32
	if dout == nil {
		cbuf = make([]float32, m*n)
	}
	if k == 0 { // an empty sum: every output element is 0
		zero := make([]float32, m*n)
		batchWalk(op, func(oo, _, _ int) {
			if dout != nil {
				copy(dout[oo:oo+m*n], zero)
			} else {
				put(oo, 1, zero)
			}
		})
		return nil
	}
	if folded, ok := foldBatch(op); ok {
		op = folded
		a = op.Inputs[0]
		m = a.shape[len(a.shape)-2]
		if cbuf != nil {
			cbuf = make([]float32, m*n)
		}
	}
	ha, hb, half := halfOperands(a, b)
	batchWalk(op, func(oo, ao, bo int) {
		am, bm := matDims(op, ao, bo)
		if ha != nil {
			ta, lda, okA := am.gemmLayout()
			tb, ldb, okB := bm.gemmLayout()
			if okA && okB {
				// f16/bf16 read in place: Sgemm widens panel by panel.
				sgemmCalls.Add(1)
				gemm.SgemmHalf(half, ta, tb, m, n, k, ha[am.off:], lda, hb[bm.off:], ldb, cbuf, n)
				put(oo, 1, cbuf)
				return
			}
		}
		if da == nil || !layoutOK(am) {
			if packA == nil {
				packA = make([]float32, m*k)
			}
		}
		if db == nil || !layoutOK(bm) {
			if packB == nil {
				packB = make([]float32, k*n)
			}
		}
		as, ta, lda := gemmOperand(am, da, ra, packA)
		bs, tb, ldb := gemmOperand(bm, db, rb, packB)
		sgemmCalls.Add(1)
		if dout != nil {
			gemm.Sgemm(ta, tb, m, n, k, as, lda, bs, ldb, dout[oo:], n)
			return
		}
		gemm.Sgemm(ta, tb, m, n, k, as, lda, bs, ldb, cbuf, n)
		put(oo, 1, cbuf)
	})
	return nil
}

// halfOperands returns the raw 16-bit storage of two f16 or bf16 operands
// for gemm.SgemmHalf, or nils when they are not both host-resident and
// aligned in one of those dtypes.
func halfOperands(a, b *Array) (ha, hb []uint16, h gemm.Half) {
	switch {
	case a.dtype == F16 && b.dtype == F16:
		h = gemm.F16
	case a.dtype == BF16 && b.dtype == BF16:
		h = gemm.BF16
	default:
		return nil, nil, 0
	}
	sa, err := hostSlice[BFloat16](a) // any 16-bit element type: only the bits are read
	if err != nil {
		return nil, nil, 0
	}
	sb, err := hostSlice[BFloat16](b)
	if err != nil || len(sa) == 0 || len(sb) == 0 {
		return nil, nil, 0
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&sa[0])), len(sa)), unsafe.Slice((*uint16)(unsafe.Pointer(&sb[0])), len(sb)), h
}

func layoutOK(v matView) bool {
	_, _, ok := v.gemmLayout()
	return ok
}

// foldBatch turns a batch of products against one shared right-hand
// matrix (b's batch strides all 0) into a single product with M*batch
// rows when a's batch and row axes walk its storage as one evenly strided
// run, as they do for a contiguous [B, S, K] activation times a [K, N]
// weight. Out is contiguous, so its rows always fold.
func foldBatch(op *Op) (*Op, bool) {
	a, b, out := op.Inputs[0], op.Inputs[1], op.Out
	r := len(out.shape)
	if r == 2 {
		return nil, false
	}
	for _, s := range b.strides[:r-2] {
		if s != 0 {
			return nil, false
		}
	}
	rows := a.shape[:r-1].NumElements()
	g := newGeom(a.shape[:r-1], a.strides[:r-1])
	if len(g.dims) != 1 || g.dims[0] != rows {
		return nil, false
	}
	k := a.shape[r-1]
	fa := &Array{dtype: a.dtype, shape: Shape{rows, k}, strides: []int{g.strides[0][0], a.strides[r-1]}, offset: a.offset, storage: a.storage}
	fb := &Array{dtype: b.dtype, shape: Shape{k, b.shape[r-1]}, strides: []int{b.strides[r-2], b.strides[r-1]}, offset: b.offset, storage: b.storage}
	fo := &Array{dtype: out.dtype, shape: Shape{rows, out.shape[r-1]}, strides: Shape{rows, out.shape[r-1]}.Strides(), offset: out.offset, storage: out.storage}
	return &Op{Name: op.Name, Inputs: []*Array{fa, fb}, Out: fo}, true
}

// matmulLoop is the plain kernel for f64 and integers: i-p-j order so the
// inner loop streams a row of b and a row of Out.
func matmulLoop[C number](op *Op) error {
	a, b, out := op.Inputs[0], op.Inputs[1], op.Out
	as, err := hostSlice[C](a)
	if err != nil {
		return err
	}
	bs, err := hostSlice[C](b)
	if err != nil {
		return err
	}
	os, err := hostSlice[C](out)
	if err != nil {
		return err
	}
	r := len(out.shape)
	n := out.shape[r-1]
	if out.NumElements() == 0 {
		return nil
	}
	batchWalk(op, func(oo, ao, bo int) {
		am, bm := matDims(op, ao, bo)
		for i := range am.rows {
			row := os[oo+i*n : oo+(i+1)*n]
			clear(row)
			for p := range am.cols {
				av := as[am.off+i*am.rs+p*am.cs]
				bi := bm.off + p*bm.rs
				for j := range row {
					row[j] += av * bs[bi+j*bm.cs]
				}
			}
		}
	})
	return nil
}
