package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core/internal/vec"
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
			// Wide problems with independent stripes (what sizes above
			// sharedAMax use) as well as with shared A blocks.
			sharedMode = -1
			check(t, r, problem{transB: true, m: 101, n: 1031, k: 777, pad: 1})
			check(t, r, problem{transA: true, m: 50, n: 60, k: 400, pad: 2})
			sharedMode = 0
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

// TestSgemmHalf checks the 16-bit path against SgemmRef on the widened
// inputs: widening is exact, so only summation order differs.
func TestSgemmHalf(t *testing.T) {
	widen := map[Half]func([]float32, []uint16){F16: vec.F16ToF32Ref, BF16: vec.BF16ToF32Ref}
	narrow := map[Half]func([]uint16, []float32){F16: vec.F32ToF16Ref, BF16: vec.F32ToBF16Ref}
	shapes := []problem{
		{m: 1, n: 1, k: 1}, {m: 15, n: 33, k: 17, pad: 3}, {transA: true, m: 17, n: 31, k: 65, pad: 1},
		{transB: true, m: 33, n: 65, k: 7, pad: 2}, {transA: true, transB: true, m: 63, n: 15, k: 33},
		{m: 0, n: 5, k: 3}, {m: 4, n: 4, k: 0}, {m: 1, n: 40, k: 50}, {m: 40, n: 1, k: 50, transA: true},
	}
	// The matrix-vector path: every layout, lengths off the vector width,
	// and sizes that split across goroutines.
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		shapes = append(shapes,
			problem{transA: tr[0], transB: tr[1], m: 1, n: 37, k: 65, pad: 1},
			problem{transA: tr[0], transB: tr[1], m: 37, n: 1, k: 65, pad: 2},
			problem{transA: tr[0], transB: tr[1], m: 1, n: 1, k: 17},
			problem{transA: tr[0], transB: tr[1], m: 1, n: 1030, k: 300},
			problem{transA: tr[0], transB: tr[1], m: 1031, n: 1, k: 299, pad: 1})
	}
	big := []problem{{m: 200, n: 210, k: 450, pad: 1}, {transA: true, transB: true, m: 230, n: 100, k: 400}}
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 9))
		for _, h := range []Half{F16, BF16} {
			for _, threads := range []int{1, 2} {
				SetThreads(threads)
				list := shapes
				if !testing.Short() {
					list = append(list, big...)
				}
				for _, p := range list {
					ar, ac, br, bc := p.m, p.k, p.k, p.n
					if p.transA {
						ar, ac = ac, ar
					}
					if p.transB {
						br, bc = bc, br
					}
					lda, ldb, ldc := ac+p.pad, bc+p.pad, p.n+p.pad
					af, bf := randMatrix(r, ar, ac, lda), randMatrix(r, br, bc, ldb)
					a16, b16 := make([]uint16, len(af)), make([]uint16, len(bf))
					narrow[h](a16, af)
					narrow[h](b16, bf)
					a := make([]float32, len(a16))
					b := make([]float32, len(b16))
					widen[h](a, a16)
					widen[h](b, b16)
					c := make([]float32, p.m*ldc)
					want := make([]float32, p.m*ldc)
					for i := range c {
						c[i] = float32(math.NaN())
					}
					SgemmHalf(h, p.transA, p.transB, p.m, p.n, p.k, a16, lda, b16, ldb, c, ldc)
					SgemmRef(p.transA, p.transB, p.m, p.n, p.k, a, lda, b, ldb, want, ldc)
					for i := range p.m {
						for j := range p.n {
							require.InDelta(t, want[i*ldc+j], c[i*ldc+j], 1e-6*float64(p.k)+1e-6, "h=%d %v (%d,%d)", h, p, i, j)
						}
					}
				}
			}
			SetThreads(0)
		}
	})
	require.Panics(t, func() { SgemmHalf(Half(9), false, false, 1, 1, 1, []uint16{0}, 1, []uint16{0}, 1, []float32{0}, 1) })
}
