package gemm

import (
	"fmt"
	"sync"
)

// Sgemm computes C = op(A) · op(B) for row-major float32 matrices, where
// op(X) is X or its transpose. C is m×n with row stride ldc and is
// overwritten. A is m×k (k×m stored when transA) with row stride lda; B is
// k×n (n×k stored when transB) with row stride ldb.
//
// Large problems are split across Threads() goroutines; transposed
// operands are read in place while packing, never copied first. Slices too
// short for the shapes and strides given panic with a message naming the
// operand: the caller (core's matmul) validates user input before this.
func Sgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k > 0 && (m == 1 || n == 1) {
		gemvPath(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	// The axpy form needs long rows of B to pay for its per-row calls.
	if k > 0 && m <= smallMMax && n*k >= smallMMin && (transB || n >= 256) {
		smallM(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	gemmBlocked(m, n, k, operand{f: a, ld: lda, trans: transA}, operand{f: b, ld: ldb, trans: transB}, c, ldc)
}

// gemmBlocked picks the serial or a parallel driver for the blocked
// algorithm.
func gemmBlocked(m, n, k int, a, b operand, c []float32, ldc int) {
	kern := activeKernel()
	t := Threads()
	if t == 1 || m*n*k < parallelMin {
		gemmSerial(kern, kern.block, m, n, k, a, b, c, ldc)
		return
	}
	if n >= m && sharedMode >= 0 {
		gemmSharedA(kern, t, m, n, k, a, b, c, ldc)
		return
	}
	gemmParallel(kern, t, m, n, k, a, b, c, ldc)
}

// Wide problems share packed A blocks between goroutines: measured on
// Zen 5 with 2 goroutines (BenchmarkSgemmParallel) that is faster at 256³
// (180 vs 130-155 GFLOP/s) and 512³ (201-203 vs 195-196) and equal at
// 1024³ and 2048³ (~190-203) to independent stripes that each pack all
// of A, and it holds one packed A instead of t.
//
// sharedMode is -1 in tests and benchmarks that exercise independent
// stripes for wide problems; 0 (shared A) otherwise.
var sharedMode = 0

// smallMMin is the size of op(B) (elements) from which few-row products
// take the read-once path: below it B fits in cache and packing it costs
// little.
const smallMMin = 1 << 20

// parallelMin is the m·n·k below which one goroutine is faster than
// handing work to several (start-up and duplicated packing dominate).
const parallelMin = 96 * 96 * 96

// gemmParallel splits C into t stripes of rows (each a multiple of the
// kernel's tile height) and runs them concurrently; used when C is taller
// than wide, where each goroutine packs only its own rows of A. Stripes share
// nothing but the read-only inputs, so no synchronisation is needed
// beyond the final wait.
func gemmParallel(kern *kernel, t int, m, n, k int, a, b operand, c []float32, ldc int) {
	alongN := n >= m
	size, unit := m, kern.mr
	if alongN {
		size, unit = n, kern.nr
	}
	chunk := roundUp((size+t-1)/t, unit)
	var wg sync.WaitGroup
	for lo := 0; lo < size; lo += chunk {
		hi := min(lo+chunk, size)
		part := func() {
			if alongN {
				gemmSerial(kern, kern.block, m, hi-lo, k, a, b.fromCol(lo), c[lo:], ldc)
				return
			}
			gemmSerial(kern, kern.block, hi-lo, n, k, a.fromRow(lo), b, c[lo*ldc:], ldc)
		}
		if hi == size {
			part()
			break
		}
		wg.Go(part)
	}
	wg.Wait()
}

// SgemmHalf is Sgemm for float16 or bfloat16 inputs (bit patterns, as
// core stores them) and a float32 C. Each block of A and B is widened to
// float32 just before it is packed, so neither matrix is ever converted
// whole; products and sums are float32, exactly as Sgemm on the widened
// values.
func SgemmHalf(h Half, transA, transB bool, m, n, k int, a []uint16, lda int, b []uint16, ldb int, c []float32, ldc int) {
	if h != F16 && h != BF16 {
		panic(fmt.Sprintf("gemm: unknown 16-bit format %d", h))
	}
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k > 0 && (m == 1 || n == 1) {
		gemvHalf(h, transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	gemmBlocked(m, n, k, operand{h: a, half: h, ld: lda, trans: transA}, operand{h: b, half: h, ld: ldb, trans: transB}, c, ldc)
}

// checkArgs panics with a precise message when a slice cannot hold the
// matrix its shape and stride describe.
func checkArgs[T float32 | uint16](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", len(a), ar, ac, lda)
	checkMatrix("B", len(b), br, bc, ldb)
	checkMatrix("C", len(c), m, n, ldc)
}

func checkMatrix(name string, length, rows, cols, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("gemm: %s is %d×%d but its row stride is %d", name, rows, cols, ld))
	}
	if need := (rows-1)*ld + cols; length < need {
		panic(fmt.Sprintf("gemm: %s is %d×%d with row stride %d and needs %d elements, has %d", name, rows, cols, ld, need, length))
	}
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
