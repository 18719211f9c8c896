package gemm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// benchSgemm reports GFLOP/s for an n×n×n product on the forced kernel.
func benchSgemm(b *testing.B, kern string, n, threads int) {
	b.Helper()
	if err := UseKernel(kern); err != nil {
		b.Skip(err)
	}
	defer func() { _ = UseKernel("") }()
	// LBRX_GEMM_BLOCK="kc,nb,mb" overrides the kernel's cache blocking,
	// for tuning sweeps.
	if v := os.Getenv("LBRX_GEMM_BLOCK"); v != "" {
		k := activeKernel()
		old := k.block
		_, err := fmt.Sscanf(v, "%d,%d,%d", &k.block.kc, &k.block.nb, &k.block.mb)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { k.block = old }()
	}
	SetThreads(threads)
	defer SetThreads(0)
	r := rand.New(rand.NewPCG(1, 1))
	x := randMatrix(r, n, n, n)
	y := randMatrix(r, n, n, n)
	z := make([]float32, n*n)
	flop := 2 * float64(n) * float64(n) * float64(n)
	// On a shared machine the mean mixes in time stolen by other
	// processes; the best single call is reported beside it.
	best := time.Duration(1 << 62)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		Sgemm(false, false, n, n, n, x, n, y, n, z, n)
		best = min(best, time.Since(t0))
	}
	b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(flop/best.Seconds()/1e9, "best-GFLOP/s")
}

func BenchmarkSgemm(b *testing.B) {
	for _, kern := range Kernels() {
		for _, n := range []int{128, 256, 512, 1024, 2048} {
			if kern == "go" && n > 512 {
				continue
			}
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/n=%d/threads=%d", kern, n, th), func(b *testing.B) {
					benchSgemm(b, kern, n, th)
				})
			}
		}
	}
}

// BenchmarkSgemv reports the weight bandwidth of y = W·x (W rows×cols,
// row-major) and its GFLOP/s.
func BenchmarkSgemv(b *testing.B) {
	for _, kern := range Kernels() {
		for _, n := range []int{1024, 4096} {
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/n=%d/threads=%d", kern, n, th), func(b *testing.B) {
					if err := UseKernel(kern); err != nil {
						b.Skip(err)
					}
					defer func() { _ = UseKernel("") }()
					SetThreads(th)
					defer SetThreads(0)
					r := rand.New(rand.NewPCG(1, 1))
					w := randMatrix(r, n, n, n)
					x := randMatrix(r, n, 1, 1)
					y := make([]float32, n)
					best := time.Duration(1 << 62)
					for b.Loop() {
						t0 := time.Now()
						Sgemm(false, false, n, 1, n, w, n, x, 1, y, 1)
						best = min(best, time.Since(t0))
					}
					bytes := 4 * float64(n) * float64(n)
					b.ReportMetric(bytes/best.Seconds()/1e9, "best-GB/s")
					b.ReportMetric(2*float64(n)*float64(n)/best.Seconds()/1e9, "best-GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkSgemmParallel compares the shared-A parallel driver with
// independent stripes (each packing all of A) on 2 goroutines.
func BenchmarkSgemmParallel(b *testing.B) {
	for _, n := range []int{256, 512, 1024, 2048} {
		for _, shared := range []bool{true, false} {
			b.Run(fmt.Sprintf("n=%d/sharedA=%v", n, shared), func(b *testing.B) {
				sharedMode = -1
				if shared {
					sharedMode = 1
				}
				defer func() { sharedMode = 0 }()
				benchSgemm(b, "", n, 2)
			})
		}
	}
}

// BenchmarkSgemmTrans compares the four operand layouts at 512³ on one
// goroutine: transposed operands are packed in place, never copied first.
func BenchmarkSgemmTrans(b *testing.B) {
	const n = 512
	r := rand.New(rand.NewPCG(1, 1))
	x := randMatrix(r, n, n, n)
	y := randMatrix(r, n, n, n)
	z := make([]float32, n*n)
	SetThreads(1)
	defer SetThreads(0)
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		b.Run(fmt.Sprintf("transA=%v/transB=%v", tr[0], tr[1]), func(b *testing.B) {
			best := time.Duration(1 << 62)
			for b.Loop() {
				t0 := time.Now()
				Sgemm(tr[0], tr[1], n, n, n, x, n, y, n, z, n)
				best = min(best, time.Since(t0))
			}
			b.ReportMetric(2*float64(n*n*n)/best.Seconds()/1e9, "best-GFLOP/s")
		})
	}
}

// BenchmarkSgemmHalf times f16 and bf16 inputs, widened block by block
// while packing, against the float32 figures of BenchmarkSgemm.
func BenchmarkSgemmHalf(b *testing.B) {
	const n = 1024
	r := rand.New(rand.NewPCG(1, 1))
	x16 := make([]uint16, n*n)
	y16 := make([]uint16, n*n)
	for i := range x16 {
		x16[i] = uint16(r.Uint32()&0x03ff | 0x3800) // f16 / bf16 values of moderate size
		y16[i] = uint16(r.Uint32()&0x03ff | 0x3800)
	}
	z := make([]float32, n*n)
	for _, h := range []Half{F16, BF16} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("h=%d/n=%d/threads=%d", h, n, th), func(b *testing.B) {
				SetThreads(th)
				defer SetThreads(0)
				best := time.Duration(1 << 62)
				for b.Loop() {
					t0 := time.Now()
					SgemmHalf(h, false, false, n, n, n, x16, n, y16, n, z, n)
					best = min(best, time.Since(t0))
				}
				b.ReportMetric(2*float64(n*n*n)/best.Seconds()/1e9, "best-GFLOP/s")
			})
		}
	}
}

// BenchmarkSmallM times x·Wᵀ with a few rows of x (batched decode) and a
// 4096×4096 weight, reporting the weight bandwidth.
func BenchmarkSmallM(b *testing.B) {
	const n, k = 4096, 4096
	r := rand.New(rand.NewPCG(1, 1))
	w := randMatrix(r, n, k, k)
	for _, m := range []int{1, 2, 4, 8} {
		x := randMatrix(r, m, k, k)
		y := make([]float32, m*n)
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("m=%d/threads=%d", m, th), func(b *testing.B) {
				SetThreads(th)
				defer SetThreads(0)
				best := time.Duration(1 << 62)
				for b.Loop() {
					t0 := time.Now()
					Sgemm(false, true, m, n, k, x, k, w, k, y, n)
					best = min(best, time.Since(t0))
				}
				b.ReportMetric(4*float64(n*k)/best.Seconds()/1e9, "best-GB/s")
			})
		}
	}
}

// BenchmarkGemvHalf times the decode step x·Wᵀ with a 4096×4096 f16 or
// bf16 weight, reporting the weight bandwidth (2 bytes per element).
func BenchmarkGemvHalf(b *testing.B) {
	const n, k = 4096, 4096
	r := rand.New(rand.NewPCG(1, 1))
	w := make([]uint16, n*k)
	x := make([]uint16, k)
	for i := range w {
		w[i] = uint16(r.Uint32()&0x03ff | 0x3800)
	}
	for i := range x {
		x[i] = uint16(r.Uint32()&0x03ff | 0x3800)
	}
	y := make([]float32, n)
	for _, h := range []Half{F16, BF16} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("h=%d/threads=%d", h, th), func(b *testing.B) {
				SetThreads(th)
				defer SetThreads(0)
				best := time.Duration(1 << 62)
				for b.Loop() {
					t0 := time.Now()
					SgemmHalf(h, false, true, 1, n, k, x, k, w, k, y, n)
					best = min(best, time.Since(t0))
				}
				b.ReportMetric(2*float64(n*k)/best.Seconds()/1e9, "best-GB/s")
			})
		}
	}
}
