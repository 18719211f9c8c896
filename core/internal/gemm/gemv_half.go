package gemm

import "github.com/lbrx/lbrx/core/internal/vec"

// gemvHalf is gemvPath for 16-bit inputs (m == 1 or n == 1, k > 0): the
// vector is widened once, the matrix four rows (or one row) at a time
// into a small float32 buffer that stays in cache, so the matrix is read
// from memory once, at two bytes per element.
func gemvHalf(h Half, transA, transB bool, m, n, k int, a []uint16, lda int, b []uint16, ldb int, c []float32, ldc int) {
	kern := activeKernel()
	if n == 1 {
		x := widenVector(h, b, k, ldb, transB)
		if !transA {
			dotRowsHalf(kern, h, m, k, a, lda, x, c, ldc)
			return
		}
		y := make([]float32, m)
		axpyRowsHalf(kern, h, k, m, a, lda, x, y)
		for i, v := range y {
			c[i*ldc] = v
		}
		return
	}
	x := widenVector(h, a, k, lda, !transA)
	if transB {
		dotRowsHalf(kern, h, n, k, b, ldb, x, c, 1)
		return
	}
	axpyRowsHalf(kern, h, k, n, b, ldb, x, c[:n])
}

func widen(h Half, dst []float32, src []uint16) {
	if h == F16 {
		vec.F16ToF32(dst, src)
	} else {
		vec.BF16ToF32(dst, src)
	}
}

// widenVector returns the k-vector at s[0] with element stride ld (1 when
// contiguous) as float32.
func widenVector(h Half, s []uint16, k, ld int, contiguous bool) []float32 {
	src := s[:k:k]
	if !contiguous && ld != 1 {
		g := make([]uint16, k)
		for p := range g {
			g[p] = s[p*ld]
		}
		src = g
	}
	x := make([]float32, k)
	widen(h, x, src)
	return x
}

// dotRowsHalf sets out[i*ldo] = mat[i, :k] · x for rows i < rows.
func dotRowsHalf(kern *kernel, h Half, rows, k int, mat []uint16, ld int, x, out []float32, ldo int) {
	parallelFor(rows, rows*k >= gemvMin, func(lo, hi int) {
		buf := make([]float32, 4*k)
		i := lo
		if d4 := kern.dot4Half[h]; d4 != nil && k >= kern.vw {
			body := k &^ (kern.vw - 1)
			var d [4]float32
			for ; i+4 <= hi; i += 4 {
				_ = mat[(i+3)*ld+k-1] // the four rows lie inside mat
				d4(body, &mat[i*ld], ld, &x[0], &d)
				for r := range 4 {
					v := d[r]
					if body < k {
						tail := buf[:k-body]
						widen(h, tail, mat[(i+r)*ld+body:(i+r)*ld+k])
						for p, w := range tail {
							v += w * x[body+p]
						}
					}
					out[(i+r)*ldo] = v
				}
			}
		}
		if kern.dot4 != nil && k >= kern.vw {
			body := k &^ (kern.vw - 1)
			var d [4]float32
			for ; i+4 <= hi; i += 4 {
				for r := range 4 {
					widen(h, buf[r*k:(r+1)*k], mat[(i+r)*ld:(i+r)*ld+k])
				}
				kern.dot4(body, &buf[0], k, &x[0], &d)
				for r := range 4 {
					v := d[r]
					row := buf[r*k : (r+1)*k]
					for p := body; p < k; p++ {
						v += row[p] * x[p]
					}
					out[(i+r)*ldo] = v
				}
			}
		}
		for ; i < hi; i++ {
			row := buf[:k]
			widen(h, row, mat[i*ld:i*ld+k])
			out[i*ldo] = dot(kern, row, x)
		}
	})
}

// axpyRowsHalf sets y = Σ_p x[p]·mat[p, :cols] over the k rows of mat.
func axpyRowsHalf(kern *kernel, h Half, k, cols int, mat []uint16, ld int, x, y []float32) {
	parallelFor(cols, cols*k >= gemvMin && cols >= 256, func(lo, hi int) {
		yy := y[lo:hi]
		clear(yy)
		row := make([]float32, hi-lo)
		for p, xv := range x[:k] {
			widen(h, row, mat[p*ld+lo:p*ld+hi])
			axpy(kern, xv, row, yy)
		}
	})
}
