package cuda

import (
	"fmt"
	"sync"
	"unsafe"
)

// cuBLASLt: the matmul API with explicit algorithm selection, asked for
// its best algorithm with a 32 MiB workspace. On an H100 it measured level
// with cublasGemmEx (within 2.5%, either side), which PyTorch uses and
// which stays the default; LBRX_CUDA_GEMM=lt selects this path.
const (
	ltDescTransA       = 3
	ltDescTransB       = 4
	ltLayoutBatchCount = 5
	ltLayoutBatchStr   = 6
	ltPrefMaxWorkspace = 1
)

// ltHeuristic mirrors cublasLtMatmulHeuristicResult_t: the algorithm,
// then fields cuBLASLt fills in that lbrx does not read (workspace size,
// status, waves, reserved) but must provide room for.
type ltHeuristic struct {
	algo [8]uint64
	_    [32]byte
}

var lt struct {
	create        func(h *uintptr) int32
	descCreate    func(d *uintptr, compute, scale int32) int32
	descSetAttr   func(d uintptr, attr int32, buf unsafe.Pointer, n uint64) int32
	layoutCreate  func(l *uintptr, typ int32, rows, cols uint64, ld int64) int32
	layoutSetAttr func(l uintptr, attr int32, buf unsafe.Pointer, n uint64) int32
	prefCreate    func(p *uintptr) int32
	prefSetAttr   func(p uintptr, attr int32, buf unsafe.Pointer, n uint64) int32
	heuristic     func(h, op, a, b, c, d, pref uintptr, n int32, res *ltHeuristic, ret *int32) int32
	matmul        func(h, op uintptr, alpha unsafe.Pointer, a devicePtr, ad uintptr, b devicePtr, bd uintptr, beta unsafe.Pointer, c devicePtr, cd uintptr, d devicePtr, dd uintptr, algo *[8]uint64, ws devicePtr, wsSize uint64, s cuStream) int32
}

var loadLt = sync.OnceValues(func() (string, error) {
	lib, path, err := openLibrary("LBRX_CUBLASLT", []string{"libcublasLt.so", "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11"})
	if err != nil {
		return "", fmt.Errorf("cuBLASLt %w", err)
	}
	syms := []struct {
		fn   any
		name string
	}{
		{&lt.create, "cublasLtCreate"},
		{&lt.descCreate, "cublasLtMatmulDescCreate"},
		{&lt.descSetAttr, "cublasLtMatmulDescSetAttribute"},
		{&lt.layoutCreate, "cublasLtMatrixLayoutCreate"},
		{&lt.layoutSetAttr, "cublasLtMatrixLayoutSetAttribute"},
		{&lt.prefCreate, "cublasLtMatmulPreferenceCreate"},
		{&lt.prefSetAttr, "cublasLtMatmulPreferenceSetAttribute"},
		{&lt.heuristic, "cublasLtMatmulAlgoGetHeuristic"},
		{&lt.matmul, "cublasLtMatmul"},
	}
	for _, s := range syms {
		if err := bind(s.fn, lib, s.name); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	return path, nil
})

// ltKey identifies one GEMM shape and layout; its plan (descriptors and
// the chosen algorithm) is built once per device.
type ltKey struct {
	typ, ctyp, compute   int32 // operands', result's and compute type
	ta, tb               int32
	m, n, k              int
	lda, ldb, ldc, batch int
	sa, sb, sc           int
}

type ltPlan struct {
	op, a, b, c uintptr
	algo        ltHeuristic
}

// ltGemm runs one (strided-batched) GEMM through cuBLASLt in cuBLAS's
// column-major terms. ok is false when cuBLASLt is missing or has no
// algorithm for the case; the caller then uses cublasGemmEx.
func (d *Device) ltGemm(key ltKey, alpha, beta unsafe.Pointer, a, b, c devicePtr) (bool, error) {
	if d.ltHandle == 0 && !d.startLt() {
		return false, nil
	}
	p, ok := d.ltPlans[key]
	if !ok {
		var err error
		if p, err = d.ltPlan(key); err != nil {
			return false, err
		}
		d.ltPlans[key] = p // nil: no algorithm, use cublasGemmEx
	}
	if p == nil {
		return false, nil
	}
	return true, cublasCheck("cublasLtMatmul", lt.matmul(d.ltHandle, p.op, alpha, a, p.a, b, p.b, beta, c, p.c, c, p.c,
		&p.algo.algo, d.blasWS, cublasWorkspaceSize, d.stream))
}

// startLt creates the cuBLASLt handle once; false (with the reason kept in
// ltErr) sends matmuls to cublasGemmEx.
func (d *Device) startLt() bool {
	if d.ltErr != nil {
		return false
	}
	if _, d.ltErr = loadLt(); d.ltErr != nil {
		return false
	}
	if d.ltErr = cublasCheck("cublasLtCreate", lt.create(&d.ltHandle)); d.ltErr != nil {
		return false
	}
	d.ltPlans = map[ltKey]*ltPlan{}
	return true
}

func (d *Device) ltPlan(k ltKey) (*ltPlan, error) {
	p := &ltPlan{}
	scale := int32(cudaR32F)
	if k.compute == cublasCompute64F {
		scale = cudaR64F
	}
	if err := cublasCheck("cublasLtMatmulDescCreate", lt.descCreate(&p.op, k.compute, scale)); err != nil {
		return nil, err
	}
	ta, tb := k.ta, k.tb
	if err := cublasCheck("cublasLtMatmulDescSetAttribute", lt.descSetAttr(p.op, ltDescTransA, unsafe.Pointer(&ta), 4)); err != nil {
		return nil, err
	}
	if err := cublasCheck("cublasLtMatmulDescSetAttribute", lt.descSetAttr(p.op, ltDescTransB, unsafe.Pointer(&tb), 4)); err != nil {
		return nil, err
	}
	// Stored shapes: op(A) is m x k, so A is k x m when transposed.
	ar, ac := k.m, k.k
	if k.ta == cublasOpT {
		ar, ac = k.k, k.m
	}
	br, bc := k.k, k.n
	if k.tb == cublasOpT {
		br, bc = k.n, k.k
	}
	for _, l := range []struct {
		h          *uintptr
		rows, cols int
		ld, stride int
	}{{&p.a, ar, ac, k.lda, k.sa}, {&p.b, br, bc, k.ldb, k.sb}, {&p.c, k.m, k.n, k.ldc, k.sc}} {
		typ := k.typ
		if l.h == &p.c {
			typ = k.ctyp
		}
		if err := cublasCheck("cublasLtMatrixLayoutCreate", lt.layoutCreate(l.h, typ, uint64(l.rows), uint64(l.cols), int64(l.ld))); err != nil {
			return nil, err
		}
		if k.batch > 1 {
			count, stride := int32(k.batch), int64(l.stride)
			if err := cublasCheck("cublasLtMatrixLayoutSetAttribute", lt.layoutSetAttr(*l.h, ltLayoutBatchCount, unsafe.Pointer(&count), 4)); err != nil {
				return nil, err
			}
			if err := cublasCheck("cublasLtMatrixLayoutSetAttribute", lt.layoutSetAttr(*l.h, ltLayoutBatchStr, unsafe.Pointer(&stride), 8)); err != nil {
				return nil, err
			}
		}
	}
	var pref uintptr
	if err := cublasCheck("cublasLtMatmulPreferenceCreate", lt.prefCreate(&pref)); err != nil {
		return nil, err
	}
	ws := uint64(0)
	if d.blasWS != 0 {
		ws = cublasWorkspaceSize
	}
	if err := cublasCheck("cublasLtMatmulPreferenceSetAttribute", lt.prefSetAttr(pref, ltPrefMaxWorkspace, unsafe.Pointer(&ws), 8)); err != nil {
		return nil, err
	}
	var n int32
	r := lt.heuristic(d.ltHandle, p.op, p.a, p.b, p.c, p.c, pref, 1, &p.algo, &n)
	if r != 0 || n < 1 {
		return nil, nil //nolint:nilnil // no algorithm: the caller falls back to cublasGemmEx
	}
	return p, nil
}
