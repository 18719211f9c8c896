package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/models/llama"
)

func init() {
	benchSubs["batch"] = &command{
		summary: "time the batched decode pass lbrx serve runs (llama.Pool.Decode at one width; --profile times each op on CUDA)",
		args:    []string{"MODEL"},
		setup:   benchBatchSetup,
	}
}

// batchResult is what bench batch --json prints.
type batchResult struct {
	Model  string `json:"model"`
	Device string `json:"device"`
	DType  string `json:"dtype"`
	// Width is the rows of every pass, Seqs the rows that are sequences
	// (the rest padding, as lbrx serve pads by default).
	Width  int `json:"width"`
	Seqs   int `json:"seqs"`
	Prompt int `json:"prompt_tokens"`
	Steps  int `json:"steps"`
	// StepMsP50 is the median wall time of a step: Pool.Decode, the
	// argmax of each row on the device and the ids read back, as the
	// engine's greedy step; TokensPerS is Seqs over the mean step.
	StepMsP50  float64 `json:"step_ms_p50"`
	StepMsMean float64 `json:"step_ms_mean"`
	TokensPerS float64 `json:"tokens_per_s"`
	// DecodeMsMean is the mean time Pool.Decode took to return (its
	// host work and the queueing of the pass: a device runs it behind
	// the host); the rest of StepMsMean is the argmax and the wait for
	// the ids.
	DecodeMsMean float64           `json:"decode_ms_mean"`
	StepProfile  *graphStepProfile `json:"step_profile,omitempty"`
}

// batchFlags are bench batch's flags.
type batchFlags struct {
	device, dtype              *string
	width, seqs, prompt, steps *int
	asJSON, profile            *bool
	cpuProfile                 *string
}

// benchBatchSetup declares the flags of lbrx bench batch.
func benchBatchSetup(fs *flag.FlagSet) runFunc {
	f := batchFlags{
		device:     fs.String("device", "", "device to run on (default: the best available, or LBRX_DEVICE)"),
		dtype:      fs.String("dtype", "", "activation dtype f32, f16 or bf16 (default: the model's)"),
		width:      fs.Int("width", 8, "rows of every decode pass (lbrx serve's --max-batch)"),
		seqs:       fs.Int("seqs", 0, "rows that are sequences, the rest padding (0: --width)"),
		prompt:     fs.Int("prompt", 16, "prompt length of each sequence, random ids"),
		steps:      fs.Int("steps", 64, "timed decode steps"),
		asJSON:     fs.Bool("json", false, "print one JSON object"),
		profile:    fs.Bool("profile", false, "also time each op of the recorded pass as its CUDA graph replays (a CUDA device only)"),
		cpuProfile: fs.String("cpuprofile", "", "write a Go CPU profile of the timed run to this file (go tool pprof)"),
	}
	return func(pos []string, stdout, _ io.Writer) error {
		return benchBatch(f, pos[0], stdout)
	}
}

// benchBatch runs --seqs sequences of random prompts through a paged
// pool, prefilled together, then times --steps greedy decode passes of
// --width rows: one untimed run first (it runs the pass op by op, then
// records it), then the timed one on the recorded pass.
func benchBatch(f batchFlags, path string, stdout io.Writer) error {
	width, seqs := *f.width, *f.seqs
	if seqs == 0 {
		seqs = width
	}
	switch {
	case width < 1:
		return usagef("--width %d must be at least 1", width)
	case seqs < 1 || seqs > width:
		return usagef("--seqs %d must be between 1 and --width %d", seqs, width)
	case *f.prompt < 1:
		return usagef("--prompt %d must be at least 1", *f.prompt)
	case *f.steps < 2:
		return usagef("--steps %d must be at least 2", *f.steps)
	}
	mf := modelFlags{device: f.device, dtype: f.dtype}
	m, err := mf.load(path)
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	r := rand.New(rand.NewPCG(1, 0)) //nolint:gosec // reproducible prompts, not a secret
	prompts := make([][]int, seqs)
	for i := range prompts {
		prompts[i] = make([]int, *f.prompt)
		for j := range prompts[i] {
			prompts[i][j] = r.IntN(m.Config.VocabSize)
		}
	}
	n := *f.prompt + *f.steps + 2
	run := func() (batchTimes, error) {
		pool, err := m.NewPool(n, width*n)
		if err != nil {
			return batchTimes{}, err
		}
		defer func() { _ = pool.Close() }()
		return batchSteps(pool, width, prompts, *f.steps)
	}
	if _, err := run(); err != nil { // warm-up: kernels loaded, buffers pooled
		return err
	}
	stop, err := startCPUProfile(*f.cpuProfile)
	if err != nil {
		return err
	}
	times, err := run()
	if err := errors.Join(err, stop()); err != nil {
		return err
	}
	steps := times.steps
	var sum time.Duration
	for _, d := range steps {
		sum += d
	}
	mean := sum / time.Duration(len(steps))
	res := batchResult{
		Model: path, Device: m.Device().Name(), DType: strings.ToLower(m.DType().String()),
		Width: width, Seqs: seqs, Prompt: *f.prompt, Steps: len(steps),
		StepMsP50: percentileMs(steps, 50), StepMsMean: ms(mean),
		TokensPerS:   float64(seqs) / mean.Seconds(),
		DecodeMsMean: ms(times.decode / time.Duration(len(steps))),
	}
	if *f.profile {
		// Each run records its pass anew (a new pool).
		if res.StepProfile, err = profileGraphRuns(m.Device(), "decode pass", func() error { _, err := run(); return err }); err != nil {
			return err
		}
	}
	if *f.asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "%s on %s, %s activations: %d sequences in passes of %d rows\n", res.Model, res.Device, res.DType, res.Seqs, res.Width)
	fmt.Fprintf(stdout, "decode step: p50 %.3f ms, mean %.3f ms over %d steps: %.1f tokens/s (Pool.Decode returned after %.3f ms on average)\n",
		res.StepMsP50, res.StepMsMean, res.Steps, res.TokensPerS, res.DecodeMsMean)
	if p := res.StepProfile; p != nil {
		printGraphStep(stdout, p)
	}
	if n := fallbackNote(); n != "" {
		fmt.Fprintln(stdout, n)
	}
	return nil
}

// startCPUProfile starts a Go CPU profile into path (none for ""); stop
// ends it and closes the file.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path) //nolint:gosec // the user names the file to write
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// batchTimes is what batchSteps timed: each pass's wall time, the argmax
// on the device and the ids read back included, and the time spent in
// Pool.Decode over all of them.
type batchTimes struct {
	steps  []time.Duration
	decode time.Duration
}

// batchSteps adds one pool sequence per prompt, prefills them together,
// and runs steps greedy decode passes of width rows (rows past the
// sequences padding).
func batchSteps(pool *llama.Pool, width int, prompts [][]int, steps int) (batchTimes, error) {
	var bt batchTimes
	kvs := make([]*llama.PoolSeq, width)
	for i, p := range prompts {
		s, err := pool.Add(len(p) + steps + 1)
		if err != nil {
			return bt, err
		}
		kvs[i] = s
	}
	logits, err := pool.PrefillBatch(kvs[:len(prompts)], prompts)
	if err != nil {
		return bt, err
	}
	next, err := rowArgmax(logits)
	if err != nil {
		return bt, err
	}
	ids := make([]int, width) // padding rows stay 0
	bt.steps = make([]time.Duration, 0, steps)
	for range steps {
		for i, id := range next[:len(prompts)] {
			ids[i] = int(id)
		}
		start := time.Now()
		logits, err := pool.Decode(ids, kvs)
		if err != nil {
			return bt, err
		}
		bt.decode += time.Since(start)
		if next, err = rowArgmax(logits); err != nil {
			return bt, err
		}
		bt.steps = append(bt.steps, time.Since(start))
	}
	return bt, nil
}

// rowArgmax is each row's argmax of logits [rows, vocab], taken on the
// logits' device, as lbrx serve's greedy step takes it.
func rowArgmax(logits *core.Array) ([]int64, error) {
	a, err := core.ArgMaxOp(logits, 1, false)
	if err != nil {
		return nil, err
	}
	t, err := core.As[int64](a)
	if err != nil {
		return nil, err
	}
	return t.Values()
}
