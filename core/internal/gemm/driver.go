package gemm

import "sync"

// blocking holds the cache-blocking sizes of one kernel: kc k steps per
// packed panel (the A micro-panel, mr×kc, stays in L1), nb columns of B
// packed per block (kc×nb stays in L2 while every A micro-panel sweeps
// it) and mb rows of A packed per pass (mb×kc lives in L3).
type blocking struct {
	kc, nb, mb int
}

// scratch is the per-goroutine packing space, reused through a pool so
// steady-state calls allocate nothing.
type scratch struct {
	a, b []float32
	tile []float32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// gemmSerial runs the blocked algorithm on one goroutine for the
// sub-problem C[0:m, 0:n] with kern.
func gemmSerial(kern *kernel, bl blocking, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := range m {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	mr, nr := kern.mr, kern.nr
	kcMax := min(bl.kc, k)
	mb := min(roundUp(bl.mb, mr), roundUp(m, mr))
	nb := min(roundUp(bl.nb, nr), roundUp(n, nr))
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	s.a = grow(s.a, mb*kcMax)
	s.b = grow(s.b, nb*kcMax)
	s.tile = grow(s.tile, mr*nr)
	for i0 := 0; i0 < m; i0 += mb {
		rows := min(mb, m-i0)
		for p0 := 0; p0 < k; p0 += kcMax {
			kc := min(kcMax, k-p0)
			acc := p0 > 0
			packA(kern, transA, a, lda, i0, rows, p0, kc, s.a)
			for j0 := 0; j0 < n; j0 += nb {
				cols := min(nb, n-j0)
				packB(transB, b, ldb, p0, kc, j0, cols, nr, s.b)
				for ir := 0; ir < rows; ir += mr {
					pa := &s.a[ir*kc]
					h := min(mr, rows-ir)
					for jr := 0; jr < cols; jr += nr {
						pb := &s.b[jr*kc]
						w := min(nr, cols-jr)
						ci := (i0+ir)*ldc + j0 + jr
						if h == mr && w == nr {
							kern.run(kc, pa, pb, &c[ci], ldc, acc)
							continue
						}
						kern.edgeRun(h)(kc, pa, pb, &s.tile[0], nr, false)
						for i := range h {
							dst := c[ci+i*ldc : ci+i*ldc+w]
							src := s.tile[i*nr : i*nr+w]
							if acc {
								for j, v := range src {
									dst[j] += v
								}
							} else {
								copy(dst, src)
							}
						}
					}
				}
			}
		}
	}
}
