package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/x448/float16"
)

func init() {
	commands["bench"] = command{summary: "time a kernel (matmul, qmv) or a model's prefill and decode (decode)", run: runBench}
}

// benchSubcommands maps "lbrx bench <name>" to its runner; qmv adds itself
// from its own file.
var benchSubcommands = map[string]func(args []string, stdout io.Writer) error{
	"matmul": benchMatMul,
}

func runBench(args []string, stdout, _ io.Writer) error {
	if len(args) == 0 {
		return usagef("usage: lbrx bench matmul|qmv|decode [flags] (see 'lbrx bench matmul -h')")
	}
	sub, ok := benchSubcommands[args[0]]
	if !ok {
		return usagef("unknown benchmark %q (have matmul, qmv, decode)", args[0])
	}
	return sub(args[1:], stdout)
}

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
	fs.IntVar(&b.threads, "threads", 0, "CPU goroutines (0: LBRX_THREADS or GOMAXPROCS)")
	fs.IntVar(&b.runs, "runs", 5, "minimum number of timed runs; the best is reported")
	fs.DurationVar(&b.minTime, "min-time", time.Second, "keep running until this much time has passed")
	fs.BoolVar(&b.json, "json", false, "print one JSON object instead of text")
}

// parseFlags parses args into fs, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usagef("flags: %s", flagList(fs))
		}
		return usagef("%v", err)
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func flagList(fs *flag.FlagSet) string {
	var s string
	fs.VisitAll(func(f *flag.Flag) { s += fmt.Sprintf(" --%s (%s)", f.Name, f.Usage) })
	return s
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

func benchMatMul(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench matmul", flag.ContinueOnError)
	var bf benchFlags
	bf.register(fs)
	m := fs.Int("m", 1024, "rows of A and C")
	n := fs.Int("n", 1024, "columns of B and C")
	k := fs.Int("k", 1024, "columns of A, rows of B")
	dtype := fs.String("dtype", "f32", "element type: f32, f16 or bf16")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *m <= 0 || *n <= 0 || *k <= 0 {
		return usagef("--m, --n and --k must be positive (got %d, %d, %d)", *m, *n, *k)
	}
	const maxElems = 1 << 31
	if *m**k > maxElems || *k**n > maxElems || *m**n > maxElems {
		return usagef("matrices of %d×%d×%d exceed %d elements", *m, *k, *n, maxElems)
	}
	if bf.runs < 1 {
		return usagef("--runs must be at least 1")
	}
	dev, err := core.Lookup(bf.device)
	if err != nil {
		return err
	}
	if st := dev.Status(); !st.Available {
		return fmt.Errorf("device %s is unavailable: %s", dev.Name(), st.Reason)
	}
	core.SetCPUThreads(bf.threads)
	defer core.SetCPUThreads(0)

	var a, b *core.Array
	var size int
	switch *dtype {
	case "f32":
		a, b, err = randomPair(*m, *k, *n, func(x float32) float32 { return x })
		size = 4
	case "f16":
		a, b, err = randomPair(*m, *k, *n, float16.Fromfloat32)
		size = 2
	case "bf16":
		a, b, err = randomPair(*m, *k, *n, core.BFloat16FromFloat32)
		size = 2
	default:
		return usagef("--dtype %q is not one of f32, f16, bf16", *dtype)
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
		return fmt.Errorf("matmul %d×%d×%d %s on %s: %w", *m, *k, *n, *dtype, dev.Name(), err)
	}
	flops := 2 * float64(*m) * float64(*n) * float64(*k)
	bytes := int64(size) * int64(*m**k+*k**n+*m**n)
	r := benchResult{
		Op: "matmul", M: *m, N: *n, K: *k, DType: *dtype, Device: dev.Name(),
		Threads: core.CPUThreads(), Runs: runs, Seconds: best.Seconds(), MeanSecs: mean.Seconds(),
		GFLOPS: flops / best.Seconds() / 1e9, GBPS: float64(bytes) / best.Seconds() / 1e9,
		Bytes: bytes, FLOPs: flops,
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
