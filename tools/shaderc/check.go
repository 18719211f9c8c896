package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lbrx/lbrx/metal"
)

// checkFunc verifies one kernel on the emulator against a reference.
type checkFunc func(c *checkCtx, name string) error

type checkCtx struct {
	em         *emulator
	rng        *rand.Rand
	dispatches int
}

// dispatch runs one launch; an empty launch is not dispatched (nil, nil),
// as the host must not dispatch it either. Every buffer but [[buffer(out)]]
// must come back unchanged: a kernel that writes to its inputs or its
// params fails.
func (c *checkCtx) dispatch(name string, l metal.Launch, bufs []buf, out int) ([][]byte, error) {
	if l.Empty() {
		return nil, nil
	}
	if err := metalLimits(l); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.dispatches++
	res, err := c.em.run(name, l, bufs)
	if err != nil {
		return nil, err
	}
	for i, b := range bufs {
		if b.Index != out && !bytes.Equal(res[i], b.Data) {
			return nil, fmt.Errorf("the kernel wrote to buffer(%d), which is not its output", b.Index)
		}
	}
	return res, nil
}

// registry maps every kernel name to its check.
func registry() map[string]checkFunc {
	r := map[string]checkFunc{}
	for _, dt := range metal.FloatDTypes {
		for _, op := range metal.BinaryOps {
			r["binary_"+op+"_"+dt] = checkBinary(op, dt)
		}
		for _, op := range metal.UnaryOps {
			r["unary_"+op+"_"+dt] = checkUnary(op, dt)
		}
		for _, op := range metal.ReduceOps {
			r["reduce_"+op+"_"+dt] = checkReduce(op, dt)
		}
		for _, to := range metal.FloatDTypes {
			if to != dt {
				r["cast_"+dt+"_"+to] = checkCast(dt, to)
			}
		}
		r["rms_norm_"+dt] = checkRMSNorm(dt)
		r["rope_"+dt] = checkRoPE(dt)
		r["causal_attention_"+dt] = checkAttention(dt)
		r["softmax_"+dt] = checkSoftmax("softmax", dt)
		r["log_softmax_"+dt] = checkSoftmax("log_softmax", dt)
		r["matmul_"+dt] = checkMatmul(dt, false)
		r["matmul_simd_"+dt] = checkMatmul(dt, true)
		for _, bits := range []int{2, 4, 8} {
			b := fmt.Sprint(bits)
			r["qmv_affine"+b+"_"+dt] = checkAffine(bits, dt, false)
			r["qmm_affine"+b+"_"+dt] = checkAffine(bits, dt, true)
		}
		for _, s := range metal.GGMLBlockSchemes {
			b, _ := metal.GGMLBlockOf(s)
			r["qmv_"+b.Name+"_"+dt] = checkGGMLBlock(s, dt, false)
			r["qmm_"+b.Name+"_"+dt] = checkGGMLBlock(s, dt, true)
		}
	}
	r["qmv_q8_0_f32"] = checkGGML(8, false)
	r["qmm_q8_0_f32"] = checkGGML(8, true)
	r["qmv_q4_0_f32"] = checkGGML(4, false)
	r["qmm_q4_0_f32"] = checkGGML(4, true)
	for _, w := range metal.ConcatWidths {
		r["concat_"+w] = checkConcat(w)
	}
	return r
}

// checkOptions select what runCheck does.
type checkOptions struct {
	dir     string         // shader directory
	filter  *regexp.Regexp // kernels to run (nil: all)
	seed    uint64
	verbose bool
	opt     string // g++ optimisation flag instead of -O1 (tests use -O0 to compile faster)
}

// runCheck builds the emulator for opts.dir, requires a check for every
// kernel the sources define (and the sources to define every kernel of
// metal.Kernels), runs the selected checks and reports every failure.
func runCheck(opts checkOptions) error {
	logf := func(format string, a ...any) {
		if opts.verbose {
			fmt.Fprintf(os.Stderr, "shaderc: "+format+"\n", a...)
		}
	}
	start := time.Now()
	em, err := buildEmulator(opts.dir, opts.opt, logf)
	if err != nil {
		return err
	}
	defer em.stop()
	var problems []error
	sources := map[string][]byte{}
	entries, err := os.ReadDir(opts.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if metal.IsSource(e.Name()) {
			b, err := os.ReadFile(filepath.Join(opts.dir, e.Name()))
			if err != nil {
				return err
			}
			sources[e.Name()] = b
		}
	}
	combined, err := metal.Combine(sources)
	if err != nil {
		return err
	}
	// The combined run-time source is compiled only by a full check; -run
	// checks the selected kernels alone.
	if opts.filter == nil {
		if err := syntaxCheck(combined); err != nil {
			problems = append(problems, err)
		}
	}
	checks := registry()
	defined := map[string]bool{}
	var names []string
	for _, k := range em.kernels {
		if defined[k.Name] {
			problems = append(problems, fmt.Errorf("%s: kernel %s defined twice", k.File, k.Name))
		}
		defined[k.Name] = true
		names = append(names, k.Name)
		if checks[k.Name] == nil {
			problems = append(problems, fmt.Errorf("%s: kernel %s has no check (register one in tools/shaderc)", k.File, k.Name))
		}
	}
	for _, k := range metal.Kernels() {
		if !defined[k] {
			problems = append(problems, fmt.Errorf("kernel %s is in metal.Kernels() but no .metal file defines it", k))
		}
	}
	slices.Sort(names)
	ran := 0
	ctx := &checkCtx{em: em}
	for _, name := range names {
		if opts.filter != nil && !opts.filter.MatchString(name) {
			continue
		}
		check := checks[name]
		if check == nil {
			continue
		}
		ctx.rng = rand.New(rand.NewPCG(opts.seed, uint64(len(name)))) //nolint:gosec // reproducible test inputs, not secrets
		t := time.Now()
		if err := check(ctx, name); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", name, err))
			logf("FAIL %s (%.2fs)", name, time.Since(t).Seconds())
		} else {
			logf("ok   %s (%.2fs)", name, time.Since(t).Seconds())
		}
		ran++
	}
	match := func(name string) bool { return opts.filter == nil || opts.filter.MatchString(name) }
	ctx.rng = rand.New(rand.NewPCG(opts.seed, 0x7265706c6179)) //nolint:gosec // reproducible test inputs, not secrets
	replayProblems := runReplay(ctx, match, logf)
	problems = append(problems, replayProblems...)
	if opts.filter != nil && ran == 0 && !hasReplayMatch(match) {
		problems = append(problems, fmt.Errorf("no kernel matches %q", opts.filter))
	}
	fmt.Fprintf(os.Stderr, "shaderc check: %d kernels checked, %d dispatches, %d problems, %.1fs\n",
		ran, ctx.dispatches, len(problems), time.Since(start).Seconds())
	if len(problems) > 0 {
		var b strings.Builder
		for _, p := range problems {
			b.WriteString("\n  " + strings.ReplaceAll(p.Error(), "\n", "\n    "))
		}
		return errors.New("shaderc check failed:" + b.String())
	}
	return nil
}

// metalLimits rejects launches no Apple GPU accepts: more than 1024
// threads per threadgroup, threadgroup memory over 32 KiB or not a multiple
// of 16 bytes (setThreadgroupMemoryLength's rule).
func metalLimits(l metal.Launch) error {
	t := l.Threads.X * l.Threads.Y * l.Threads.Z
	switch {
	case t < 1 || t > 1024:
		return fmt.Errorf("launch of %d threads per threadgroup (Metal allows 1..1024)", t)
	case l.ThreadgroupMem < 0 || l.ThreadgroupMem > 32<<10:
		return fmt.Errorf("threadgroup memory of %d bytes (Metal allows up to 32 KiB)", l.ThreadgroupMem)
	case l.ThreadgroupMem%16 != 0:
		return fmt.Errorf("threadgroup memory of %d bytes is not a multiple of 16", l.ThreadgroupMem)
	}
	return nil
}

// hasReplayMatch reports whether a filter selects any planner replay case.
func hasReplayMatch(match func(string) bool) bool {
	for _, rc := range replayCases() {
		if match("replay: "+rc.name) || match("replay: "+rc.name+" (simdgroup matrix)") {
			return true
		}
	}
	for _, qc := range quantReplayCases() {
		if match("replay: " + qc.name) {
			return true
		}
	}
	return false
}
