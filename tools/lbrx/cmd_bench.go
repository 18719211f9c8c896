package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/x448/float16"
)

func init() {
	commands["bench"] = &command{summary: "time a kernel (matmul, qmv: GFLOP/s, GB/s) or a model's prefill and decode (decode: tokens/s)", subs: benchSubs}
	benchSubs["matmul"] = &command{
		summary: "time a dense matmul C = A·B of random values",
		setup:   benchMatMulSetup,
	}
}

// benchSubs are the benchmarks, "lbrx bench <name>"; each adds itself
// from its own file.
var benchSubs = map[string]*command{}

// benchResult is what --json prints: one object per run of the command.
type benchResult struct {
	Op       string  `json:"op"`
	M        int     `json:"m"`
	N        int     `json:"n"`
	K        int     `json:"k"`
	DType    string  `json:"dtype"`
	Device   string  `json:"device"`
	Threads  int     `json:"threads"`
	Kernel   string  `json:"kernel,omitempty"`
	TF32     bool    `json:"tf32,omitempty"`
	Runs     int     `json:"runs"`
	Seconds  float64 `json:"seconds"` // best run
	GFLOPS   float64 `json:"gflops"`
	GBPS     float64 `json:"gbps"`
	Bits     int     `json:"bits,omitempty"`
	Group    int     `json:"group_size,omitempty"`
	Bytes    int64   `json:"bytes"` // bytes read and written by one run
	FLOPs    float64 `json:"flops"` // floating-point operations of one run
	MeanSecs float64 `json:"mean_seconds"`
	// StreamCopyGBPS is a same-run copy of as many bytes as the weight
	// (qmv only), VsCopy the weight bandwidth relative to it.
	StreamCopyGBPS float64 `json:"stream_copy_gbps,omitempty"`
	VsCopy         float64 `json:"vs_copy,omitempty"`
}

// benchFlags are the flags every benchmark shares.
type benchFlags struct {
	device  string
	threads int
	runs    int
	minTime time.Duration
	json    bool
}

func (b *benchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.device, "device", "cpu", "device name (cpu, metal, cuda:0, ...)")
	fs.IntVar(&b.threads, "threads", core.CPUThreads(), fmt.Sprintf("CPU goroutines, at least 1 (default: LBRX_THREADS or GOMAXPROCS, here %d)", core.CPUThreads()))
	fs.IntVar(&b.runs, "runs", 5, "minimum number of timed runs; the best is reported")
	fs.DurationVar(&b.minTime, "min-time", time.Second, "keep running until this much time has passed")
	fs.BoolVar(&b.json, "json", false, "print one JSON object instead of text")
}

// check validates the shared flags.
func (b *benchFlags) check() error {
	if b.runs < 1 {
		return usagef("--runs %d must be at least 1", b.runs)
	}
	if b.threads < 1 {
		return usagef("--threads %d must be at least 1", b.threads)
	}
	return nil
}

// timeRuns calls f once to warm up, then at least runs times and until
// minTime has passed, returning the best and mean durations.
func timeRuns(runs int, minTime time.Duration, f func() error) (best, mean time.Duration, n int, err error) {
	if err := f(); err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	best = time.Duration(1<<63 - 1)
	for n < runs || time.Since(start) < minTime {
		t0 := time.Now()
		if err := f(); err != nil {
			return 0, 0, 0, err
		}
		best = min(best, time.Since(t0))
		n++
	}
	return best, time.Since(start) / time.Duration(n), n, nil
}

func benchMatMulSetup(fs *flag.FlagSet) runFunc {
	var bf benchFlags
	bf.register(fs)
	m := fs.Int("m", 1024, "rows of A and C")
	n := fs.Int("n", 1024, "columns of B and C")
	k := fs.Int("k", 1024, "columns of A, rows of B")
	dtype := fs.String("dtype", "f32", "element type: f32, f16 or bf16")
	tf32 := fs.Bool("tf32", false, "let float32 matmuls use TF32 tensor cores (CUDA devices only)")
	return func(_ []string, stdout, _ io.Writer) error {
		return benchMatMul(&bf, *m, *n, *k, *dtype, *tf32, stdout)
	}
}

// tf32Setter is the CUDA device's TF32 switch.
type tf32Setter interface{ SetTF32(on bool) }

func benchMatMul(bf *benchFlags, m, n, k int, dtype string, tf32 bool, stdout io.Writer) error {
	if m <= 0 || n <= 0 || k <= 0 {
		return usagef("--m, --n and --k must be positive (got %d, %d, %d)", m, n, k)
	}
	const maxElems = 1 << 31
	if m*k > maxElems || k*n > maxElems || m*n > maxElems {
		return usagef("matrices of %d×%d×%d exceed %d elements", m, k, n, maxElems)
	}
	if err := bf.check(); err != nil {
		return err
	}
	dev, err := pickDevice(bf.device)
	if err != nil {
		return err
	}
	if err := core.CheckMemory(2*4*uint64(m*k+k*n+m*n), fmt.Sprintf("bench matmul %d×%d×%d", m, k, n)); err != nil {
		return err
	}
	if tf32 {
		ts, ok := dev.(tf32Setter)
		if !ok {
			return usagef("--tf32: device %s has no TF32 mode (CUDA devices only)", dev.Name())
		}
		ts.SetTF32(true)
		defer ts.SetTF32(false)
	}
	core.SetCPUThreads(bf.threads)
	defer core.SetCPUThreads(0)

	var a, b *core.Array
	var size int
	switch dtype {
	case "f32":
		a, b, err = randomPair(m, k, n, func(x float32) float32 { return x })
		size = 4
	case "f16":
		a, b, err = randomPair(m, k, n, float16.Fromfloat32)
		size = 2
	case "bf16":
		a, b, err = randomPair(m, k, n, core.BFloat16FromFloat32)
		size = 2
	default:
		return usagef("--dtype %q is not one of f32, f16, bf16", dtype)
	}
	if err != nil {
		return err
	}
	if a, err = a.To(dev); err != nil {
		return err
	}
	if b, err = b.To(dev); err != nil {
		return err
	}
	best, mean, runs, err := timeRuns(bf.runs, bf.minTime, func() error {
		if _, err := core.MatMulOp(a, b); err != nil {
			return err
		}
		return dev.Sync()
	})
	if err != nil {
		return fmt.Errorf("matmul %d×%d×%d %s on %s: %w", m, k, n, dtype, dev.Name(), err)
	}
	flops := 2 * float64(m) * float64(n) * float64(k)
	bytes := int64(size) * int64(m*k+k*n+m*n)
	r := benchResult{
		Op: "matmul", M: m, N: n, K: k, DType: dtype, Device: dev.Name(),
		Threads: core.CPUThreads(), Runs: runs, Seconds: best.Seconds(), MeanSecs: mean.Seconds(),
		GFLOPS: flops / best.Seconds() / 1e9, GBPS: float64(bytes) / best.Seconds() / 1e9,
		Bytes: bytes, FLOPs: flops, TF32: tf32,
	}
	if dev == core.CPU() {
		r.Kernel = core.CPUKernel()
	}
	return printBench(stdout, &r, bf.json)
}

func printBench(w io.Writer, r *benchResult, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(r)
	}
	shape := fmt.Sprintf("%dx%dx%d", r.M, r.N, r.K)
	if r.Op == "qmv" {
		shape = fmt.Sprintf("%dx%d %d-bit g%d", r.M, r.K, r.Bits, r.Group)
	}
	kern := ""
	if r.Kernel != "" {
		kern = " kernel=" + r.Kernel
	}
	copyNote := ""
	if r.StreamCopyGBPS > 0 {
		copyNote = fmt.Sprintf("  (copy %.1f GB/s, %.2fx)", r.StreamCopyGBPS, r.VsCopy)
	}
	_, err := fmt.Fprintf(w, "%s %s %s on %s threads=%d%s: best %.3f ms (mean %.3f ms, %d runs)  %.1f GFLOP/s  %.1f GB/s%s\n",
		r.Op, shape, r.DType, r.Device, r.Threads, kern, r.Seconds*1e3, r.MeanSecs*1e3, r.Runs, r.GFLOPS, r.GBPS, copyNote)
	return err
}

// randomPair makes host arrays A (m×k) and B (k×n) with values uniform in
// [-1, 1), converted to the element type by conv.
func randomPair[T core.Element](m, k, n int, conv func(float32) T) (a, b *core.Array, err error) {
	r := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // benchmark operands, not secrets
	fill := func(rows, cols int) (*core.Array, error) {
		d := make([]T, rows*cols)
		for i := range d {
			d[i] = conv(r.Float32()*2 - 1)
		}
		t, err := core.FromSlice(d, rows, cols)
		if err != nil {
			return nil, err
		}
		return t.Array(), nil
	}
	if a, err = fill(m, k); err != nil {
		return nil, nil, err
	}
	b, err = fill(k, n)
	return a, b, err
}
