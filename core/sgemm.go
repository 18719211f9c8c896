package core

import "github.com/lbrx/lbrx/core/internal/gemm"

// Sgemm computes C = op(A)·op(B) on row-major float32 slices with the CPU
// matmul kernels (AVX-512/AVX2/NEON micro-kernels, CPUThreads()
// goroutines): C is m×n with row stride ldc and is overwritten; A is m×k
// (k×m stored when transA) with row stride lda; B is k×n (n×k stored
// when transB) with row stride ldb. It is for the CPU kernels of lbrx's
// own modules (the quant module's prefill panels), which know their
// shapes: slices too short for the shapes and strides panic.
func Sgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	gemm.Sgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
}
