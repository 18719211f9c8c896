package cuda

import (
	"fmt"
	"sync"
	"unsafe"
)

type cublasHandle uintptr

// cuBLAS and CUDA data-type constants (cublas_api.h, library_types.h).
const (
	cublasOpN           = 0
	cublasOpT           = 1
	cudaR32F            = 0
	cudaR64F            = 1
	cudaR16F            = 2
	cudaR16BF           = 14
	cublasCompute32F    = 68
	cublasCompute64F    = 70
	cublasCompute32FTF  = 77
	cublasGemmDefault   = -1
	cublasWorkspaceSize = 32 << 20 // what cuBLAS recommends for Hopper
)

// blas holds the cuBLAS entry points.
var blas struct {
	create             func(h *cublasHandle) int32
	setStream          func(h cublasHandle, s cuStream) int32
	setWorkspace       func(h cublasHandle, ws devicePtr, n uint64) int32
	getStatusString    func(r int32) unsafe.Pointer
	gemmEx             func(h cublasHandle, ta, tb, m, n, k int32, alpha unsafe.Pointer, a devicePtr, at, lda int32, b devicePtr, bt, ldb int32, beta unsafe.Pointer, c devicePtr, ct, ldc, compute, algo int32) int32
	gemmStridedBatched func(h cublasHandle, ta, tb, m, n, k int32, alpha unsafe.Pointer, a devicePtr, at, lda int32, sa int64, b devicePtr, bt, ldb int32, sb int64, beta unsafe.Pointer, c devicePtr, ct, ldc int32, sc int64, batch, compute, algo int32) int32
}

// loadCUBLAS opens cuBLAS once. cuBLAS needs cuBLASLt from the same
// directory; opening that first (globally) makes the pair load even where
// the loader would not look in that directory.
var loadCUBLAS = sync.OnceValues(func() (string, error) {
	names := []string{"libcublas.so", "libcublas.so.13", "libcublas.so.12", "libcublas.so.11"}
	for _, d := range libraryDirs() {
		for _, lt := range []string{"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11", "libcublasLt.so"} {
			if _, err := dlopen(d + "/" + lt); err == nil {
				break
			}
		}
	}
	lib, path, err := openLibrary("LBRX_CUBLAS", names)
	if err != nil {
		return "", fmt.Errorf("cuBLAS (from the CUDA toolkit) %w", err)
	}
	syms := []struct {
		fn   any
		name string
	}{
		{&blas.create, "cublasCreate_v2"},
		{&blas.setStream, "cublasSetStream_v2"},
		{&blas.setWorkspace, "cublasSetWorkspace_v2"},
		{&blas.getStatusString, "cublasGetStatusString"},
		{&blas.gemmEx, "cublasGemmEx"},
		{&blas.gemmStridedBatched, "cublasGemmStridedBatchedEx"},
	}
	for _, s := range syms {
		if err := bind(s.fn, lib, s.name); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	return path, nil
})

func cublasCheck(call string, r int32) error {
	if r == 0 {
		return nil
	}
	return &Error{Call: call, Code: r, Name: cString(blas.getStatusString(r))}
}
