package cuda

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/lbrx/lbrx/core"
)

// operand describes how cuBLAS reads one row-major matrix operand given
// its element strides: cuBLAS is column-major, so a row-major X is the
// column-major X^T with leading dimension sr (no transpose), and a
// transposed view (sr == 1) is a column-major X read with op T. Either way
// no copy is made.
type operand struct {
	trans bool
	ld    int
}

// matLayout returns the operand for a rows x cols matrix with strides
// (sr, sc), or ok == false when cuBLAS cannot read it in place (both
// strides non-unit, or overlapping rows as in a broadcast).
func matLayout(rows, cols, sr, sc int) (operand, bool) {
	if (sc == 1 || cols == 1) && (rows == 1 || sr >= max(cols, 1)) {
		ld := sr
		if rows == 1 {
			ld = max(cols, 1)
		}
		return operand{false, ld}, true
	}
	if (sr == 1 || rows == 1) && (cols == 1 || sc >= max(rows, 1)) {
		ld := sc
		if cols == 1 {
			ld = max(rows, 1)
		}
		return operand{true, ld}, true
	}
	return operand{}, false
}

func blasType(dt core.DType) (int32, bool) {
	switch dt {
	case core.F32:
		return cudaR32F, true
	case core.F64:
		return cudaR64F, true
	case core.F16:
		return cudaR16F, true
	case core.BF16:
		return cudaR16BF, true
	}
	return 0, false
}

// cublas returns the device's cuBLAS handle, created on first use on the
// worker thread and bound to the device's stream, with a workspace from the
// pool.
func (d *Device) cublas() (cublasHandle, error) {
	if d.blas != 0 || d.blasErr != nil {
		return d.blas, d.blasErr
	}
	if _, err := loadCUBLAS(); err != nil {
		d.blasErr = fmt.Errorf("%w: dense matmul needs %w", core.ErrUnsupported, err)
		return 0, d.blasErr
	}
	var h cublasHandle
	if err := cublasCheck("cublasCreate", blas.create(&h)); err != nil {
		d.blasErr = err
		return 0, err
	}
	if err := cublasCheck("cublasSetStream", blas.setStream(h, d.stream)); err != nil {
		d.blasErr = err
		return 0, err
	}
	ws, _, err := d.pool.get(cublasWorkspaceSize)
	if err == nil {
		if cublasCheck("cublasSetWorkspace", blas.setWorkspace(h, ws, cublasWorkspaceSize)) == nil {
			d.blasWS = ws
		}
	}
	d.blas = h
	return h, nil
}

// gemm computes out = a @ b for row-major views a [M,K], b [K,N] (strides
// in elements, base pointers at the first element) into the contiguous
// out [M,N], batch times with element strides between batch entries.
type gemmArgs struct {
	m, n, k       int
	a, b, c       devicePtr
	sa, sb        [2]int // row and column strides
	batch         int
	bsa, bsb, bsc int // batch strides, elements
	dt            core.DType
	// out is c's dtype where it differs from the operands' dt (f16 or
	// bf16 operands, an f32 result: qgemm.go); Invalid means dt.
	out core.DType
	// tf32 computes f32 operands on TF32 tensor cores whatever SetTF32
	// says (quantized weights, qgemm.go).
	tf32 bool
}

func (d *Device) gemm(g gemmArgs) error {
	h, err := d.cublas()
	if err != nil {
		return err
	}
	if g.m == 0 || g.n == 0 || g.batch == 0 {
		return nil
	}
	ct := g.dt
	if g.out != core.Invalid {
		ct = g.out
	}
	if g.k == 0 {
		return check("cuMemsetD8Async", drv.memsetD8Async(g.c, 0, uint64(g.m*g.n*g.batch*ct.Size()), d.stream))
	}
	for _, v := range []int{g.m, g.n, g.k, g.batch} {
		if v > math.MaxInt32 {
			return fmt.Errorf("%w: cuda: matmul dimension %d exceeds cuBLAS's 32-bit sizes", core.ErrUnsupported, v)
		}
	}
	opA, okA := matLayout(g.m, g.k, g.sa[0], g.sa[1])
	opB, okB := matLayout(g.k, g.n, g.sb[0], g.sb[1])
	if !okA || !okB {
		return errNeedsCopy
	}
	typ, ok := blasType(g.dt)
	ctyp, cok := blasType(ct)
	if !ok || !cok {
		return fmt.Errorf("%w: cuda: matmul of %v into %v", core.ErrUnsupported, g.dt, ct)
	}
	compute := int32(cublasCompute32F)
	var alpha, beta unsafe.Pointer
	switch g.dt {
	case core.F64:
		compute = cublasCompute64F
		one, zero := 1.0, 0.0
		alpha, beta = unsafe.Pointer(&one), unsafe.Pointer(&zero)
	default:
		if g.dt == core.F32 && (g.tf32 || d.tf32.Load()) {
			compute = cublasCompute32FTF
		}
		one, zero := float32(1), float32(0)
		alpha, beta = unsafe.Pointer(&one), unsafe.Pointer(&zero)
	}
	// Row-major C = A·B is column-major C^T = B^T·A^T: cuBLAS's first
	// operand is b, its second a, with m and n swapped.
	ta, tb := int32(cublasOpN), int32(cublasOpN)
	if opB.trans {
		ta = cublasOpT
	}
	if opA.trans {
		tb = cublasOpT
	}
	if d.useLt {
		key := ltKey{typ: typ, ctyp: ctyp, compute: compute, ta: ta, tb: tb, m: g.n, n: g.m, k: g.k,
			lda: opB.ld, ldb: opA.ld, ldc: g.n, batch: g.batch, sa: g.bsb, sb: g.bsa, sc: g.bsc}
		if ok, err := d.ltGemm(key, alpha, beta, g.b, g.a, g.c); ok || err != nil {
			return err
		}
	}
	if g.batch == 1 {
		return cublasCheck("cublasGemmEx", blas.gemmEx(h, ta, tb, int32(g.n), int32(g.m), int32(g.k),
			alpha, g.b, typ, int32(opB.ld), g.a, typ, int32(opA.ld), beta, g.c, ctyp, int32(g.n), compute, cublasGemmDefault))
	}
	return cublasCheck("cublasGemmStridedBatchedEx", blas.gemmStridedBatched(h, ta, tb, int32(g.n), int32(g.m), int32(g.k),
		alpha, g.b, typ, int32(opB.ld), int64(g.bsb), g.a, typ, int32(opA.ld), int64(g.bsa),
		beta, g.c, ctyp, int32(g.n), int64(g.bsc), int32(g.batch), compute, cublasGemmDefault))
}

var errNeedsCopy = errors.New("operand layout needs a copy")

// matmul runs core's matmul: a [..., M, K] @ b [..., K, N] -> out [..., M,
// N], batch dimensions broadcast (stride 0 where an operand repeats).
// Transposed views go to cuBLAS as they are; other strided operands are
// gathered first.
func (d *Device) matmul(op *core.Op) error {
	if len(op.Inputs) != 2 {
		return fmt.Errorf("cuda: matmul takes 2 inputs, got %d", len(op.Inputs))
	}
	a, b, out := op.Inputs[0], op.Inputs[1], op.Out
	if a.DType() != b.DType() || out.DType() != a.DType() {
		return unsupported(op, "dtypes %v @ %v -> %v", a.DType(), b.DType(), out.DType())
	}
	if _, ok := blasType(a.DType()); !ok {
		return unsupported(op, "dtype %v", a.DType())
	}
	if a.Rank() < 2 || b.Rank() < 2 || out.Rank() < 2 {
		return unsupported(op, "vector operands (rank %d @ rank %d)", a.Rank(), b.Rank())
	}
	as, bs, os := a.Shape(), b.Shape(), out.Shape()
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	if bs[len(bs)-2] != k || os[len(os)-2] != m || os[len(os)-1] != n {
		return fmt.Errorf("cuda: matmul %v @ %v -> %v: shapes do not chain", as, bs, os)
	}
	if canGEMV(a, b, out) {
		return d.gemv(a, b, out)
	}
	batchShape := os[:len(os)-2]
	bstA, err := batchStrides(a, batchShape)
	if err != nil {
		return err
	}
	bstB, err := batchStrides(b, batchShape)
	if err != nil {
		return err
	}
	es := a.DType().Size()
	ast, bst := a.Strides(), b.Strides()
	g := gemmArgs{
		m: m, n: n, k: k, dt: a.DType(),
		sa:  [2]int{ast[len(ast)-2], ast[len(ast)-1]},
		sb:  [2]int{bst[len(bst)-2], bst[len(bst)-1]},
		bsc: m * n,
	}
	if err := d.batchedGemm(g, dataPtr(a), dataPtr(b), dataPtr(out), batchShape, bstA, bstB, es); !errors.Is(err, errNeedsCopy) {
		return err
	}
	// A layout cuBLAS cannot read: gather the offending operands and retry.
	ca, relA, err := d.contiguous(a)
	if err != nil {
		return err
	}
	defer relA()
	cb, relB, err := d.contiguous(b)
	if err != nil {
		return err
	}
	defer relB()
	g.sa, g.sb = [2]int{k, 1}, [2]int{n, 1}
	if bstA, err = batchStrides(ca, batchShape); err != nil {
		return err
	}
	if bstB, err = batchStrides(cb, batchShape); err != nil {
		return err
	}
	return d.batchedGemm(g, dataPtr(ca), dataPtr(cb), dataPtr(out), batchShape, bstA, bstB, es)
}

// batchStrides returns a's strides for each batch dimension of the output
// (right-aligned; 0 where a has no such dimension or size 1).
func batchStrides(a *core.Array, batch core.Shape) ([]int, error) {
	sh, st := a.Shape(), a.Strides()
	nb := len(sh) - 2
	if nb > len(batch) {
		return nil, fmt.Errorf("cuda: matmul operand %v has more batch dimensions than the output", a)
	}
	out := make([]int, len(batch))
	for i := range nb {
		j := len(batch) - nb + i
		switch sh[i] {
		case batch[j]:
			out[j] = st[i]
		case 1:
		default:
			return nil, fmt.Errorf("cuda: matmul operand %v does not broadcast to batch %v", a, batch)
		}
		if sh[i] == 1 {
			out[j] = 0
		}
	}
	return out, nil
}

// batchedGemm runs the innermost batch dimension as one strided-batched
// cuBLAS call and loops over the outer ones.
func (d *Device) batchedGemm(g gemmArgs, pa, pb, pc devicePtr, batch core.Shape, bstA, bstB []int, es int) error {
	if len(batch) == 0 {
		g.batch, g.a, g.b, g.c = 1, pa, pb, pc
		return d.gemm(g)
	}
	inner := len(batch) - 1
	g.batch = batch[inner]
	g.bsa, g.bsb = bstA[inner], bstB[inner]
	outer := batch[:inner].NumElements()
	idx := make([]int, inner)
	for i := range outer {
		offA, offB := 0, 0
		for j := range inner {
			offA += idx[j] * bstA[j]
			offB += idx[j] * bstB[j]
		}
		g.a = pa + devicePtr(offA*es)
		g.b = pb + devicePtr(offB*es)
		g.c = pc + devicePtr(i*g.batch*g.m*g.n*es)
		if err := d.gemm(g); err != nil {
			return err
		}
		for j := inner - 1; j >= 0; j-- {
			idx[j]++
			if idx[j] < batch[j] {
				break
			}
			idx[j] = 0
		}
	}
	return nil
}
