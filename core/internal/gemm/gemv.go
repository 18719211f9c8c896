package gemm

import "github.com/lbrx/lbrx/core/internal/workers"

// gemvMin is the matrix size (elements) from which a matrix-vector
// product is split across goroutines: below it the wake-up costs more
// than the memory time saved.
const gemvMin = 1 << 17

// gemvPath handles m == 1 or n == 1 (k > 0), where no value is reused and
// the product is bound by reading the matrix once: each output is a dot
// product of a contiguous matrix row with the vector, or the output row is
// built by axpy over contiguous matrix rows. It always succeeds.
func gemvPath(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	kern := activeKernel()
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	if n == 1 {
		// The vector is op(B)'s single column: contiguous when B is
		// stored transposed (1×k) or packed with stride 1.
		x := strided(b, k, ldb, transB, &s.b)
		if !transA {
			dotRows(kern, m, k, a, lda, x, c, ldc)
			return
		}
		// op(A)[i][p] = a[p*lda+i]: the rows of the stored k×m matrix
		// are accumulated into the output with axpy.
		y := c[:m]
		if ldc != 1 {
			s.tile = grow(s.tile, m)
			y = s.tile
		}
		axpyRows(kern, k, m, a, lda, x, y)
		if ldc != 1 {
			for i, v := range y {
				c[i*ldc] = v
			}
		}
		return
	}
	// m == 1: the vector is op(A)'s single row.
	x := strided(a, k, lda, !transA, &s.a)
	if transB {
		dotRows(kern, n, k, b, ldb, x, c, 1)
		return
	}
	axpyRows(kern, k, n, b, ldb, x, c[:n])
}

// strided returns the k-vector starting at s[0] with element stride ld, or
// s[:k] itself when contiguous; a strided vector is gathered into *buf.
func strided(s []float32, k, ld int, contiguous bool, buf *[]float32) []float32 {
	if contiguous || ld == 1 {
		return s[:k]
	}
	*buf = grow(*buf, k)
	x := *buf
	for p := range x {
		x[p] = s[p*ld]
	}
	return x
}

// dotRows sets out[i*ldo] = mat[i, :k] · x for rows i < rows.
func dotRows(kern *kernel, rows, k int, mat []float32, ld int, x, out []float32, ldo int) {
	parallelFor(rows, rows*k >= gemvMin, func(lo, hi int) {
		if kern.dot4 != nil && k >= kern.vw {
			body := k &^ (kern.vw - 1)
			var s [4]float32
			for ; lo+4 <= hi; lo += 4 {
				_ = mat[(lo+3)*ld+k-1] // the four rows lie inside mat
				kern.dot4(body, &mat[lo*ld], ld, &x[0], &s)
				for r := range 4 {
					v := s[r]
					row := mat[(lo+r)*ld : (lo+r)*ld+k]
					for p := body; p < k; p++ {
						v += row[p] * x[p]
					}
					out[(lo+r)*ldo] = v
				}
			}
		}
		for i := lo; i < hi; i++ {
			out[i*ldo] = dot(kern, mat[i*ld:i*ld+k], x)
		}
	})
}

// axpyRows sets y = Σ_p x[p]·mat[p, :cols] over the k rows of mat; the
// columns are split across goroutines so each owns its part of y.
func axpyRows(kern *kernel, k, cols int, mat []float32, ld int, x, y []float32) {
	parallelFor(cols, cols*k >= gemvMin && cols >= 256, func(lo, hi int) {
		yy := y[lo:hi]
		clear(yy)
		for p, xv := range x[:k] {
			axpy(kern, xv, mat[p*ld+lo:p*ld+hi], yy)
		}
	})
}

// parallelFor runs fn over [0, total) on Threads() goroutines (the
// persistent workers; chunks of multiples of 16) when split is set, else
// in one call.
func parallelFor(total int, split bool, fn func(lo, hi int)) {
	if !split {
		fn(0, total)
		return
	}
	workers.For(Threads(), total, 16, fn)
}

// Dot returns x·y (len(y) >= len(x)) with the active kernel's vector
// loop: the products other packages need outside a matrix (attention's
// scores).
func Dot(x, y []float32) float32 { return dot(activeKernel(), x, y) }

// Axpy does y += alpha·x (len(y) == len(x)) with the active kernel.
func Axpy(alpha float32, x, y []float32) { axpy(activeKernel(), alpha, x, y) }

// dot returns x·y (len(y) >= len(x)) with the kernel's vector loop over
// the whole vectors and Go for the remainder.
func dot(kern *kernel, x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	var s float32
	body := 0
	if kern.vw > 0 {
		body = n &^ (kern.vw - 1)
		if body > 0 {
			s = kern.dot(body, &x[0], &y[0])
		}
	}
	for i := body; i < n; i++ {
		s += x[i] * y[i]
	}
	return s
}

// axpy does y += alpha·x (len(y) == len(x)).
func axpy(kern *kernel, alpha float32, x, y []float32) {
	n := len(x)
	y = y[:n]
	body := 0
	if kern.vw > 0 {
		body = n &^ (kern.vw - 1)
		if body > 0 {
			kern.axpy(body, alpha, &x[0], &y[0])
		}
	}
	for i := body; i < n; i++ {
		y[i] += alpha * x[i]
	}
}

// smallMMax is the largest m that smallM handles: up to here reading the
// matrix once and reusing its rows from cache beats packing it for the
// blocked kernel (the batched LLM decode step: a few activations times a
// weight far larger than cache).
const smallMMax = 8

// smallMChunk is the k extent smallM dots at a time: four rows of it
// (16 KiB) stay in L1 while every row of A passes over them. A multiple
// of every vector width.
const smallMChunk = 1024

// smallM computes C = op(A)·op(B) for 2 <= m <= smallMMax and a float32
// op(B) whose matrix is read once: with B stored transposed (n×k, the
// x·Wᵀ layout) each stored row is dotted with every row of A while in
// cache; otherwise each row of B is added, scaled, into every row of C.
func smallM(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	kern := activeKernel()
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	// Rows of op(A), contiguous.
	rows := make([][]float32, m)
	if transA {
		// op(A)[i][p] = a[p*lda+i]: gather the few rows once.
		s.a = grow(s.a, m*k)
		for i := range m {
			row := s.a[i*k : (i+1)*k]
			for p := range row {
				row[p] = a[p*lda+i]
			}
			rows[i] = row
		}
	} else {
		for i := range m {
			rows[i] = a[i*lda : i*lda+k]
		}
	}
	if transB {
		parallelFor(n, n*k >= gemvMin, func(lo, hi int) {
			j := lo
			if kern.dot4 != nil && k >= kern.vw {
				body := k &^ (kern.vw - 1)
				var d [4]float32
				sums := make([][4]float32, m)
				for ; j+4 <= hi; j += 4 {
					_ = b[(j+3)*ldb+k-1] // the four rows lie inside b
					clear(sums)
					// k in L1-sized chunks: the four rows' chunk is read
					// from memory once and from L1 by every row of A.
					for p0 := 0; p0 < body; p0 += smallMChunk {
						pn := min(smallMChunk, body-p0)
						for i, x := range rows {
							kern.dot4(pn, &b[j*ldb+p0], ldb, &x[p0], &d)
							for r := range 4 {
								sums[i][r] += d[r]
							}
						}
					}
					for i, x := range rows {
						for r := range 4 {
							v := sums[i][r]
							br := b[(j+r)*ldb : (j+r)*ldb+k]
							for p := body; p < k; p++ {
								v += br[p] * x[p]
							}
							c[i*ldc+j+r] = v
						}
					}
				}
			}
			for ; j < hi; j++ {
				br := b[j*ldb : j*ldb+k]
				for i, x := range rows {
					c[i*ldc+j] = dot(kern, br, x)
				}
			}
		})
		return
	}
	parallelFor(n, n*k >= gemvMin && n >= 256, func(lo, hi int) {
		for i := range m {
			clear(c[i*ldc+lo : i*ldc+hi])
		}
		for p := range k {
			br := b[p*ldb+lo : p*ldb+hi]
			for i, x := range rows {
				axpy(kern, x[p], br, c[i*ldc+lo:i*ldc+hi])
			}
		}
	})
}
