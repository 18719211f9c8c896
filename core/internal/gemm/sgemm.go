package gemm

// Sgemm computes C = op(A) · op(B) for row-major float32 matrices, where
// op(X) is X or its transpose. C is m×n with row stride ldc and is
// overwritten. A is m×k (k×m stored when transA) with row stride lda; B is
// k×n (n×k stored when transB) with row stride ldb.
func Sgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	SgemmRef(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
}

// SgemmRef is the portable reference for Sgemm: a plain triple loop with
// float32 accumulation in k order.
func SgemmRef(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := range m {
		for j := range n {
			var s float32
			for p := range k {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			c[i*ldc+j] = s
		}
	}
}
