// Command gonum-sgemm times gonum's pure-Go float32 matrix product
// (blas32.Gemm, gonum's native BLAS) on square sizes and prints one JSON
// object per size in the format of `lbrx bench matmul --json`, so that
// mage bench can set it beside lbrx and OpenBLAS. Threads are set with
// GOMAXPROCS, which gonum's Sgemm honours.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

type result struct {
	Op      string  `json:"op"`
	Impl    string  `json:"impl"`
	M       int     `json:"m"`
	N       int     `json:"n"`
	K       int     `json:"k"`
	DType   string  `json:"dtype"`
	Device  string  `json:"device"`
	Threads int     `json:"threads"`
	Runs    int     `json:"runs"`
	Seconds float64 `json:"seconds"`
	GFLOPS  float64 `json:"gflops"`
	GBPS    float64 `json:"gbps"`
}

func main() {
	sizes := flag.String("sizes", "128,256,512,1024", "comma-separated square sizes")
	runs := flag.Int("runs", 3, "timed runs per size; the best is reported")
	minTime := flag.Duration("min-time", 500*time.Millisecond, "keep running a size until this much time has passed")
	flag.Parse()
	enc := json.NewEncoder(os.Stdout)
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "gonum-sgemm: bad size %q\n", f)
			os.Exit(2)
		}
		best, count := timeGemm(n, *runs, *minTime)
		flops := 2 * float64(n) * float64(n) * float64(n)
		_ = enc.Encode(result{
			Op: "matmul", Impl: "gonum", M: n, N: n, K: n, DType: "f32", Device: "cpu",
			Threads: runtime.GOMAXPROCS(0), Runs: count, Seconds: best.Seconds(),
			GFLOPS: flops / best.Seconds() / 1e9, GBPS: 12 * float64(n) * float64(n) / best.Seconds() / 1e9,
		})
	}
}

func timeGemm(n, runs int, minTime time.Duration) (best time.Duration, count int) {
	r := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // benchmark operands, not secrets
	mk := func() blas32.General {
		d := make([]float32, n*n)
		for i := range d {
			d[i] = r.Float32()*2 - 1
		}
		return blas32.General{Rows: n, Cols: n, Stride: n, Data: d}
	}
	a, b, c := mk(), mk(), mk()
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, a, b, 0, c) // warm-up
	best = time.Duration(1<<63 - 1)
	start := time.Now()
	for count < runs || time.Since(start) < minTime {
		t0 := time.Now()
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, a, b, 0, c)
		best = min(best, time.Since(t0))
		count++
	}
	return best, count
}
