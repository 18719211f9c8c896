package gemm

import (
	"math/rand/v2"
	"testing"
)

// TestGemvShapes covers the matrix-vector paths (m == 1 or n == 1) in all
// four layouts with lengths around every vector-loop boundary, and sizes
// large enough to split across goroutines.
func TestGemvShapes(t *testing.T) {
	lengths := []int{1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200}
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, x := range lengths {
				for _, k := range lengths {
					check(t, r, problem{transA: tr[0], transB: tr[1], m: 1, n: x, k: k, pad: x % 3})
					check(t, r, problem{transA: tr[0], transB: tr[1], m: x, n: 1, k: k, pad: k % 2})
				}
			}
			SetThreads(2)
			check(t, r, problem{transA: tr[0], transB: tr[1], m: 1, n: 1000, k: 300, pad: 1})
			check(t, r, problem{transA: tr[0], transB: tr[1], m: 777, n: 1, k: 301, pad: 2})
			SetThreads(0)
		}
	})
}

// TestSmallM covers the read-once path for 2..8 rows of A against a large
// op(B), in all four layouts, with B row counts and k not multiples of
// the vector width or of four, serially and split.
func TestSmallM(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, th := range []int{1, 2} {
				SetThreads(th)
				check(t, r, problem{transA: tr[0], transB: tr[1], m: 2, n: 1030, k: 1021, pad: 1})
				check(t, r, problem{transA: tr[0], transB: tr[1], m: 7, n: 1026, k: 1024})
				check(t, r, problem{transA: tr[0], transB: tr[1], m: 8, n: 4097, k: 257, pad: 3})
				check(t, r, problem{transA: tr[0], transB: tr[1], m: 3, n: 450, k: 2500, pad: 1}) // several k chunks
			}
			SetThreads(0)
		}
	})
}
