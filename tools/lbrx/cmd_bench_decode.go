package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/cuda"
	"github.com/lbrx/lbrx/models/llama"
	"github.com/lbrx/lbrx/quant"
)

func init() {
	benchSubs["decode"] = &command{
		summary: "time a model's prefill and greedy decode (tokens/s, per-token p50/p99; --profile times each op on CUDA)",
		args:    []string{"MODEL"},
		setup:   benchDecodeSetup,
	}
}

// decodeResult is what bench decode --json prints. Its field names are
// the contract other tools (the side-by-side script in bench/) read.
type decodeResult struct {
	Model           string  `json:"model"`
	Device          string  `json:"device"`
	DType           string  `json:"dtype"`
	Bits            int     `json:"bits"` // 0: a GGUF file, each tensor its own type
	PromptTokens    int     `json:"prompt_tokens"`
	GeneratedTokens int     `json:"generated_tokens"`
	PrefillRate     float64 `json:"prefill_tokens_per_s"`
	DecodeRate      float64 `json:"decode_tokens_per_s"`
	MsPerTokenP50   float64 `json:"ms_per_token_p50"`
	MsPerTokenP99   float64 `json:"ms_per_token_p99"`
	Threads         int     `json:"threads"`
	Warmup          int     `json:"warmup_runs"`
	Eager           bool    `json:"eager"`
	// Pipeline says the timed run's greedy decode queued each step before
	// reading the last token (llama.Stats.Pipelined: LBRX_DECODE_PIPELINE
	// on, the default, on a device that reads back behind its queue, CUDA,
	// and the step recorded); the timing is the same either way, from the
	// first token read to the last.
	Pipeline bool `json:"pipeline"`
	// Profile times each op of one decode step after the prompt (--profile).
	Profile *stepProfile `json:"profile,omitempty"`
	// PrefillProfile times each op of the prompt's forward pass (--profile).
	PrefillProfile *stepProfile `json:"prefill_profile,omitempty"`
	// StepProfile times each op of the recorded decode step as its CUDA
	// graph replays (--profile without --eager).
	StepProfile *graphStepProfile `json:"step_profile,omitempty"`
}

// stepProfile is one profiled decode step: its wall time and each op
// kind's GPU and host time.
type stepProfile struct {
	WallMs float64 `json:"wall_ms"`
	// QueuedMs is when Forward returned, all its work queued: the host's
	// share of the wall time.
	QueuedMs float64     `json:"queued_ms"`
	GPUMs    float64     `json:"gpu_ms"` // sum over the ops
	Ops      int         `json:"ops"`
	ByOp     []opProfile `json:"by_op"`
	// PoolMisses counts device allocations the buffer pool could not
	// serve (each a cuMemAlloc); GCCycles the Go collections that ran.
	PoolMisses int64  `json:"pool_misses"`
	GCCycles   uint32 `json:"gc_cycles"`
}

type opProfile struct {
	Op     string  `json:"op"`
	Count  int     `json:"count"`
	GPUMs  float64 `json:"gpu_ms"`
	HostMs float64 `json:"host_ms"`
}

// profiler is what a device offers for --profile (cuda.Device).
type profiler interface {
	StartProfile() error
	StopProfile() ([]cuda.OpTime, error)
}

// decodeFlags are bench decode's flags.
type decodeFlags struct {
	device, dtype                 *string
	prompt, tokens, threads, warm *int
	seed                          *uint64
	asJSON, eager, profile        *bool
}

// benchDecodeSetup declares the flags of lbrx bench decode.
func benchDecodeSetup(fs *flag.FlagSet) runFunc {
	f := decodeFlags{
		device:  fs.String("device", "", "device to run on (default: the best available, or LBRX_DEVICE)"),
		dtype:   fs.String("dtype", "", "activation dtype f32, f16 or bf16 (default: the model's)"),
		prompt:  fs.Int("prompt", 8, "prompt length in random token ids"),
		tokens:  fs.Int("tokens", 128, "tokens to generate (end-of-sequence ignored)"),
		threads: fs.Int("threads", 0, "CPU goroutines (0: LBRX_THREADS or GOMAXPROCS)"),
		warm:    fs.Int("warmup", 1, "untimed runs of the same shape first"),
		seed:    fs.Uint64("seed", 1, "seed of the random prompt"),
		asJSON:  fs.Bool("json", false, "print one JSON object"),
		eager:   fs.Bool("eager", false, "run each decode step op by op instead of replaying a recorded step (a CUDA graph on CUDA)"),
		profile: fs.Bool("profile", false, "also time each op of one decode step (CUDA events; a CUDA device only)"),
	}
	return func(pos []string, stdout, _ io.Writer) error {
		return benchDecode(f, pos[0], stdout)
	}
}

// benchDecode times a prompt of random ids and the greedy generation of
// a fixed number of tokens after it, end-of-sequence ignored: what
// llama.cpp's llama-bench reports as pp (prompt) and tg (generation).
// Untimed warm-up runs of the same shape come first, so one-time work
// (kernel compilation, buffer pools) stays out of the figures.
func benchDecode(f decodeFlags, path string, stdout io.Writer) error {
	prompt, tokens, threads, warmup := f.prompt, f.tokens, f.threads, f.warm
	eager, profile, asJSON := f.eager, f.profile, f.asJSON
	mf := modelFlags{device: f.device, dtype: f.dtype}
	if *prompt < 1 {
		return usagef("--prompt %d must be at least 1", *prompt)
	}
	if *tokens < 2 {
		return usagef("--tokens %d must be at least 2 (the decode rate needs a token after the first)", *tokens)
	}
	if *warmup < 0 {
		return usagef("--warmup %d must not be negative", *warmup)
	}
	if *threads < 0 {
		return usagef("--threads %d must not be negative", *threads)
	}
	core.SetCPUThreads(*threads)
	defer core.SetCPUThreads(0)
	m, err := mf.load(path)
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	bits, err := weightBits(path, m)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(*f.seed, 0)) //nolint:gosec // a reproducible prompt, not a secret
	ids := make([]int, *prompt)
	for i := range ids {
		ids[i] = r.IntN(m.Config.VocabSize)
	}
	opts := llama.GenerateOptions{MaxTokens: *tokens, IgnoreEOS: true, Eager: *eager}
	for range *warmup {
		if _, err := m.Generate(ids, opts, func(int) bool { return true }); err != nil {
			return err
		}
	}
	// Each yield after the first marks the end of one decode step.
	steps := make([]time.Duration, 0, *tokens)
	var last time.Time
	st, err := m.Generate(ids, opts, func(int) bool {
		now := time.Now()
		if !last.IsZero() {
			steps = append(steps, now.Sub(last))
		}
		last = now
		return true
	})
	if err != nil {
		return err
	}
	res := decodeResult{
		Model: path, Device: m.Device().Name(), DType: strings.ToLower(m.DType().String()), Bits: bits,
		PromptTokens: st.PromptTokens, GeneratedTokens: st.Generated,
		PrefillRate: st.PrefillRate(), DecodeRate: st.DecodeRate(),
		MsPerTokenP50: percentileMs(steps, 50), MsPerTokenP99: percentileMs(steps, 99),
		Threads: core.CPUThreads(), Warmup: *warmup, Eager: *eager,
		Pipeline: st.Pipelined,
	}
	if *profile {
		if res.Profile, res.PrefillProfile, err = profileStep(m, ids); err != nil {
			return err
		}
		if !*eager {
			if res.StepProfile, err = profileGraphStep(m, ids, *tokens); err != nil {
				return err
			}
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	weights := fmt.Sprintf("%d-bit weights", res.Bits)
	if res.Bits == 0 {
		weights = "GGUF weights (per-tensor types)"
	}
	fmt.Fprintf(stdout, "%s on %s, %s activations, %s\n", res.Model, res.Device, res.DType, weights)
	fmt.Fprintf(stdout, "prefill %d tokens: %.1f tokens/s\n", res.PromptTokens, res.PrefillRate)
	fmt.Fprintf(stdout, "decode %d tokens: %.1f tokens/s (per token p50 %.3f ms, p99 %.3f ms)\n",
		res.GeneratedTokens, res.DecodeRate, res.MsPerTokenP50, res.MsPerTokenP99)
	for _, p := range []struct {
		what string
		p    *stepProfile
	}{{"prefill", res.PrefillProfile}, {"one decode step", res.Profile}} {
		if p.p == nil {
			continue
		}
		fmt.Fprintf(stdout, "%s: %.3f ms wall (queued after %.3f ms), %d ops, %.3f ms of GPU time, %d pool misses, %d GC cycles\n",
			p.what, p.p.WallMs, p.p.QueuedMs, p.p.Ops, p.p.GPUMs, p.p.PoolMisses, p.p.GCCycles)
		fmt.Fprintf(stdout, "%-40s %6s %10s %10s\n", "op [output shape]", "count", "GPU ms", "host ms")
		for _, o := range p.p.ByOp {
			fmt.Fprintf(stdout, "%-40s %6d %10.3f %10.3f\n", o.Op, o.Count, o.GPUMs, o.HostMs)
		}
	}
	if p := res.StepProfile; p != nil {
		printGraphStep(stdout, p)
	}
	if n := fallbackNote(); n != "" {
		fmt.Fprintln(stdout, n)
	}
	return nil
}

// profileStep times the prefill of ids and then one decode step, op by
// op; it returns the decode step's profile and the prefill's.
func profileStep(m *llama.Model, ids []int) (step, prefill *stepProfile, err error) {
	p, ok := m.Device().(profiler)
	if !ok {
		return nil, nil, usagef("--profile needs a CUDA device, not %s", m.Device().Name())
	}
	c := m.NewCache()
	if err := m.Reserve(c, len(ids)+1); err != nil {
		return nil, nil, err
	}
	if err := m.Device().Sync(); err != nil {
		return nil, nil, err
	}
	if prefill, err = profileForward(m, p, ids, c); err != nil {
		return nil, nil, err
	}
	if step, err = profileForward(m, p, ids[:1], c); err != nil {
		return nil, nil, err
	}
	return step, prefill, nil
}

// profileForward runs one Forward of ids on c with the device profiling.
func profileForward(m *llama.Model, p profiler, ids []int, c *llama.Cache) (*stepProfile, error) {
	if err := p.StartProfile(); err != nil {
		return nil, err
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	misses := poolMisses(m.Device())
	t0 := time.Now()
	_, ferr := m.Forward(ids, c)
	queued := time.Since(t0)
	serr := m.Device().Sync()
	wall := time.Since(t0)
	misses = poolMisses(m.Device()) - misses
	runtime.ReadMemStats(&ms1)
	ops, perr := p.StopProfile()
	if err := cmp.Or(ferr, serr, perr); err != nil {
		return nil, err
	}
	sp := &stepProfile{WallMs: ms(wall), QueuedMs: ms(queued), PoolMisses: misses, GCCycles: ms1.NumGC - ms0.NumGC}
	for _, o := range ops {
		sp.Ops += o.Count
		sp.GPUMs += ms(o.GPU)
		sp.ByOp = append(sp.ByOp, opProfile{Op: o.Op, Count: o.Count, GPUMs: ms(o.GPU), HostMs: ms(o.Host)})
	}
	return sp, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// poolMisses is the device's buffer pool misses so far (0 for a device
// without a pool).
func poolMisses(d core.Device) int64 {
	if p, ok := d.(interface{ PoolStats() cuda.PoolStats }); ok {
		return p.PoolStats().Misses
	}
	return 0
}

// weightBits is the bits per weight of the model at path: the
// quantization entry of its config.json, or the activation dtype's width
// (unquantized weights are cast to it at load time); 0 for a GGUF file,
// whose tensors each have their own type.
func weightBits(path string, m *llama.Model) (int, error) {
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() { //nolint:gosec // the user names the model to read
		if strings.EqualFold(filepath.Ext(path), ".gguf") {
			return 0, nil
		}
		dir = filepath.Dir(path)
	}
	cfg, err := quant.ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return 0, err
	}
	if q, ok := cfg["quantization"].(map[string]any); ok {
		if b, ok := q["bits"].(json.Number); ok {
			if n, err := b.Int64(); err == nil && n > 0 {
				return int(n), nil
			}
		}
		return 0, fmt.Errorf("%s: config.json's quantization entry has no positive integer \"bits\"", path)
	}
	return m.DType().Size() * 8, nil
}

// percentileMs is the p-th percentile (nearest rank) of d in milliseconds.
func percentileMs(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (p*len(s) + 99) / 100 // nearest rank: ceil(p/100 * n)
	return ms(s[max(i-1, 0)])
}
