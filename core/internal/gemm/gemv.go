package gemm

// gemvPath handles m == 1 or n == 1, where there is no reuse to block for
// and the product is bound by reading the matrix once. It reports false
// when the layout has no fast path (the blocked code then runs).
func gemvPath(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) bool {
	return false
}
