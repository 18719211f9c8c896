package quant

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// BenchmarkGGMLQMVvsRead is BenchmarkQMVvsCopy for GGUF Q4_0 and Q8_0
// weights of 16384² (151 and 285 MB, far beyond the caches) multiplied
// in place by the kernel MatMul picks (the integer kernels where the CPU
// has them): the product and a plain streaming read of 256 MiB
// (readBytes, the ceiling for a kernel that reads its weights once) run
// alternately, b.N rounds each, best of each reported with their ratio
// (vsRead, the goal ≥ 0.8) and the cores a compute loop got.
// Run with e.g. -benchtime 8x.
func BenchmarkGGMLQMVvsRead(b *testing.B) {
	const size = 16384
	for _, s := range []string{"q4_0", "q8_0"} {
		sc := schemeOf(s)
		r := rand.New(rand.NewPCG(71, 72))
		w := &BlockWeight{Scheme: sc, N: size, K: size, Blocks: randomBlocks(r, sc, size*size/BlockValues(sc))}
		x := benchWeights(size)
		y := make([]float32, size)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/%dx%d/threads=%d", s, size, size, threads), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
				cp := newStreamCopier(256 << 20)
				best, bestRead := time.Duration(1<<62), time.Duration(1<<62)
				bestOne, bestAll := time.Duration(1<<62), time.Duration(1<<62)
				for b.Loop() {
					one, all := spinTimes()
					bestOne, bestAll = min(bestOne, one), min(bestAll, all)
					t0 := time.Now()
					if err := w.MatMul(y, x, 1); err != nil {
						b.Fatal(err)
					}
					best = min(best, time.Since(t0))
					bestRead = min(bestRead, cp.read())
				}
				gbps := float64(len(w.Blocks)) / best.Seconds() / 1e9
				readGBPS := float64(len(cp.src)) / bestRead.Seconds() / 1e9
				b.ReportMetric(gbps, "GB/s")
				b.ReportMetric(readGBPS, "readGB/s")
				b.ReportMetric(gbps/readGBPS, "vsRead")
				b.ReportMetric(float64(threads)*bestOne.Seconds()/bestAll.Seconds(), "cores")
			})
		}
	}
}
