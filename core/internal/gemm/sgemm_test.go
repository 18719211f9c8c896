package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// tailSizes hit every remainder of every kernel's tile (mr 4/6/8/14, nr
// 8/16/32) and the unroll-by-4 k loops.
var tailSizes = []int{0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65}

const sentinel = float32(12345)

type problem struct {
	transA, transB bool
	m, n, k        int
	pad            int // extra elements per row beyond the minimum stride
}

func (p problem) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d pad=%d", p.transA, p.transB, p.m, p.n, p.k, p.pad)
}

func randMatrix(r *rand.Rand, rows, cols, ld int) []float32 {
	if rows == 0 {
		return nil
	}
	s := make([]float32, (rows-1)*ld+cols)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// check runs Sgemm on p and compares it with SgemmRef, also verifying that
// C is overwritten (it starts as NaN) and that the padding between rows
// of C is left alone.
func check(t *testing.T, r *rand.Rand, p problem) {
	t.Helper()
	ar, ac := p.m, p.k
	if p.transA {
		ar, ac = p.k, p.m
	}
	br, bc := p.k, p.n
	if p.transB {
		br, bc = p.n, p.k
	}
	lda, ldb, ldc := ac+p.pad, bc+p.pad, p.n+p.pad
	a := randMatrix(r, ar, ac, lda)
	b := randMatrix(r, br, bc, ldb)
	c := make([]float32, p.m*ldc)
	want := make([]float32, p.m*ldc)
	for i := range c {
		c[i] = sentinel
		if i%ldc < p.n {
			c[i] = float32(math.NaN())
		}
	}
	Sgemm(p.transA, p.transB, p.m, p.n, p.k, a, lda, b, ldb, c, ldc)
	SgemmRef(p.transA, p.transB, p.m, p.n, p.k, a, lda, b, ldb, want, ldc)
	tol := 1e-6*float64(p.k) + 1e-6
	for i := range p.m {
		for j := range ldc {
			got := c[i*ldc+j]
			if j >= p.n {
				require.Equal(t, sentinel, got, "%v: padding of C at (%d,%d) changed", p, i, j)
				continue
			}
			require.InDelta(t, want[i*ldc+j], got, tol, "%v: C[%d][%d]", p, i, j)
		}
	}
}

// forEachKernel runs fn with each micro-kernel forced in turn.
func forEachKernel(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, name := range Kernels() {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, UseKernel(name))
			defer func() { require.NoError(t, UseKernel("")) }()
			fn(t)
		})
	}
}

func TestSgemmTails(t *testing.T) {
	ks := []int{0, 1, 3, 4, 5, 17, 65}
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, m := range tailSizes {
				for _, n := range tailSizes {
					for _, k := range ks {
						check(t, r, problem{transA: tr[0], transB: tr[1], m: m, n: n, k: k, pad: (m + n + k) % 3})
					}
				}
			}
			for _, k := range tailSizes {
				check(t, r, problem{transA: tr[0], transB: tr[1], m: 33, n: 31, k: k, pad: 5})
			}
		}
	})
}

// TestSgemmBlocks crosses every blocking boundary (kc, nb, mb) of every
// kernel, serially and split across goroutines along each side.
func TestSgemmBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("large shapes skipped in -short mode")
	}
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, threads := range []int{1, 2, 3} {
			SetThreads(threads)
			check(t, r, problem{m: 1030, n: 97, k: 401, pad: 3})
			check(t, r, problem{transA: true, transB: true, m: 101, n: 1031, k: 777, pad: 1})
			check(t, r, problem{transB: true, m: 200, n: 190, k: 1100})
			check(t, r, problem{transA: true, m: 50, n: 60, k: 400, pad: 2})
		}
		SetThreads(0)
	})
}

func TestSgemmPanicsOnShortSlices(t *testing.T) {
	a := make([]float32, 6)
	require.PanicsWithValue(t, "gemm: A is 2×4 with row stride 4 and needs 8 elements, has 6", func() {
		Sgemm(false, false, 2, 2, 4, a, 4, make([]float32, 8), 2, make([]float32, 4), 2)
	})
	require.PanicsWithValue(t, "gemm: C is 2×2 but its row stride is 1", func() {
		Sgemm(false, false, 2, 2, 1, a, 1, a, 2, a, 1)
	})
}

func TestUseKernel(t *testing.T) {
	require.Error(t, UseKernel("no-such-isa"))
	require.NoError(t, UseKernel(""))
	require.Equal(t, Kernels()[0], KernelName())
	require.Contains(t, Kernels(), "go")
}
