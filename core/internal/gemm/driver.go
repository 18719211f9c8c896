package gemm

import (
	"sync"

	"github.com/lbrx/lbrx/core/internal/workers"
)

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
	conv []float32 // a 16-bit operand's block widened to float32
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
func gemmSerial(kern *kernel, bl blocking, m, n, k int, a, b operand, c []float32, ldc int) {
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
			a.packA(kern, i0, rows, p0, kc, s.a, &s.conv)
			sweepB(kern, s, s.a, i0, rows, p0, kc, 0, n, nb, b, c, ldc)
		}
	}
}

// sweepB multiplies the packed A block (rows [i0, i0+rows), k steps
// [p0, p0+kc)) by op(B)'s columns [j0, j1), packing B nb columns at a
// time into s.b, and writes (p0 == 0) or adds the result into C.
func sweepB(kern *kernel, s *scratch, ap []float32, i0, rows, p0, kc, j0, j1, nb int, b operand, c []float32, ldc int) {
	mr, nr := kern.mr, kern.nr
	acc := p0 > 0
	for jb := j0; jb < j1; jb += nb {
		cols := min(nb, j1-jb)
		b.packB(kern, p0, kc, jb, cols, s.b, &s.conv)
		for ir := 0; ir < rows; ir += mr {
			pa := &ap[ir*kc]
			h := min(mr, rows-ir)
			for jr := 0; jr < cols; jr += nr {
				pb := &s.b[jr*kc]
				w := min(nr, cols-jr)
				ci := (i0+ir)*ldc + jb + jr
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

// gemmSharedA runs the blocked algorithm on t goroutines that share each
// packed A block: they pack its panels together, then each sweeps its own
// stripe of C's columns with its own packed B (kept in its core's L2).
// Compared with independent stripes this packs A once, not t times.
func gemmSharedA(kern *kernel, t int, m, n, k int, a, b operand, c []float32, ldc int) {
	bl := kern.block
	mr, nr := kern.mr, kern.nr
	kcMax := min(bl.kc, k)
	mb := min(roundUp(bl.mb, mr), roundUp(m, mr))
	stripe := roundUp((n+t-1)/t, nr)
	nb := min(roundUp(bl.nb, nr), stripe)
	shared := scratchPool.Get().(*scratch)
	defer scratchPool.Put(shared)
	shared.a = grow(shared.a, mb*kcMax)
	ss := make([]*scratch, t)
	for w := range ss {
		ss[w] = scratchPool.Get().(*scratch)
		ss[w].b = grow(ss[w].b, nb*kcMax)
		ss[w].tile = grow(ss[w].tile, mr*nr)
	}
	defer func() {
		for _, s := range ss {
			scratchPool.Put(s)
		}
	}()
	// Both phases run on the persistent workers: part w uses only
	// ss[w], so parts may share a goroutine when one is busy elsewhere.
	for i0 := 0; i0 < m; i0 += mb {
		rows := min(mb, m-i0)
		panels := (rows + mr - 1) / mr
		per := (panels + t - 1) / t
		for p0 := 0; p0 < k; p0 += kcMax {
			kc := min(kcMax, k-p0)
			workers.For(t, (panels+per-1)/per, 1, func(lo, hi int) {
				for w := lo; w < hi; w++ {
					r0 := w * per * mr
					r1 := min((w+1)*per*mr, rows)
					// Part w widens into its own buffer.
					a.packA(kern, i0+r0, r1-r0, p0, kc, shared.a[r0*kc:], &ss[w].conv)
				}
			})
			workers.For(t, t, 1, func(lo, hi int) {
				for w := lo; w < hi; w++ {
					if j0, j1 := w*stripe, min((w+1)*stripe, n); j0 < j1 {
						sweepB(kern, ss[w], shared.a, i0, rows, p0, kc, j0, j1, nb, b, c, ldc)
					}
				}
			})
		}
	}
}
