package gemm

// packA copies rows [i0, i0+rows) and columns [p0, p0+kc) of op(A) into
// dst as consecutive mr-row panels: panel q holds, for each k step, the mr
// values of rows i0+q*mr ... in order. Rows past the matrix are zero, so
// the micro-kernel always runs full tiles. A transposed A is read in place.
func packA(kern *kernel, trans bool, a []float32, lda, i0, rows, p0, kc int, dst []float32) {
	mr := kern.mr
	if trans {
		packATrans(mr, a, lda, i0, rows, p0, kc, dst)
		return
	}
	for q := 0; q < rows; q += mr {
		r := min(mr, rows-q)
		d := dst[q*kc : q*kc+mr*kc]
		if r == mr && packAFast(kern, a, lda, i0+q, p0, kc, d) {
			continue
		}
		for ii := range r {
			src := a[(i0+q+ii)*lda+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*mr+ii] = v
			}
		}
		for ii := r; ii < mr; ii++ {
			for p := range kc {
				d[p*mr+ii] = 0
			}
		}
	}
}

// packATrans packs a transposed A (stored k×m, so op(A)[i][p] =
// a[p*lda+i]), where each k step of a panel is a contiguous run. It goes
// 16 k steps at a time across all panels so that the 16 stored rows'
// cache lines, shared by neighbouring panels, are read while in L1.
func packATrans(mr int, a []float32, lda, i0, rows, p0, kc int, dst []float32) {
	const step = 16
	for pb := 0; pb < kc; pb += step {
		pe := min(pb+step, kc)
		for q := 0; q < rows; q += mr {
			r := min(mr, rows-q)
			d := dst[q*kc : q*kc+mr*kc]
			for p := pb; p < pe; p++ {
				dp := d[p*mr : p*mr+mr]
				copy(dp, a[(p0+p)*lda+i0+q:][:r])
				clear(dp[r:])
			}
		}
	}
}

// packB copies rows [p0, p0+kc) and columns [j0, j0+cols) of op(B) into
// dst as consecutive nr-column panels, each holding nr values per k step;
// columns past the matrix are zero. A transposed B is read in place.
func packB(kern *kernel, trans bool, b []float32, ldb, p0, kc, j0, cols int, dst []float32) {
	nr := kern.nr
	for q := 0; q < cols; q += nr {
		w := min(nr, cols-q)
		d := dst[q*kc : q*kc+nr*kc]
		if !trans {
			for p := range kc {
				src := b[(p0+p)*ldb+j0+q:]
				dp := d[p*nr : p*nr+nr]
				copy(dp, src[:w])
				clear(dp[w:])
			}
			continue
		}
		// op(B)[p][j] = b[j*ldb+p]: walk each stored row once.
		if w == nr && packBTransFast(kern, b, ldb, j0+q, p0, kc, d) {
			continue
		}
		for jj := range w {
			src := b[(j0+q+jj)*ldb+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*nr+jj] = v
			}
		}
		for jj := w; jj < nr; jj++ {
			for p := range kc {
				d[p*nr+jj] = 0
			}
		}
	}
}
