package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/lbrx/lbrx/core"
)

func init() {
	commands["demo"] = command{summary: "run a matmul and elementwise ops on the default device and check them against the CPU", run: runDemo}
}

// demoTolerance bounds the error of the device result relative to the
// largest reference magnitude; float32 accumulation over K terms in another
// order stays far below it.
const demoTolerance = 1e-4

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	n := fs.Int("size", 512, "matrix size N of the N×N×N matmul")
	devName := fs.String("device", "", "device to run on (default: the best available, or LBRX_DEVICE)")
	reps := fs.Int("reps", 5, "timed matmul repetitions")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() != 0 || *n < 1 || *reps < 1 {
		return usagef("usage: lbrx demo [--size N] [--device NAME] [--reps R]")
	}
	dev, err := pickDevice(*devName)
	if err != nil {
		return err
	}
	res, err := demo(dev, *n, *reps)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "device:    %s\n", dev.Name())
	fmt.Fprintf(stdout, "sizes:     matmul %dx%d · %dx%d, bias [%d], then silu and softmax over rows\n", *n, *n, *n, *n, *n)
	fmt.Fprintf(stdout, "max error: matmul %.3g, silu(x·w+b) %.3g, softmax %.3g (relative to the largest CPU value; bound %g)\n",
		res.errMatMul, res.errSilu, res.errSoftmax, demoTolerance)
	fmt.Fprintf(stdout, "matmul:    %.1f GFLOP/s on %s (best of %d)\n", res.gflops, dev.Name(), *reps)
	if fb := core.Fallbacks(); len(fb) > 0 {
		fmt.Fprintf(stdout, "fallbacks: %v\n", fb)
	}
	if !res.ok() {
		fmt.Fprintln(stdout, "parity:    FAIL")
		fmt.Fprintln(stderr, "lbrx: device results differ from the CPU reference")
		return exitError{code: 1}
	}
	fmt.Fprintln(stdout, "parity:    ok")
	return nil
}

// pickDevice resolves --device, or the default device when name is empty.
func pickDevice(name string) (core.Device, error) {
	if name == "" {
		return core.DefaultDevice()
	}
	d, err := core.Lookup(name)
	if err != nil {
		return nil, usagef("%v", err)
	}
	if st := d.Status(); !st.Available {
		return nil, fmt.Errorf("device %s is unavailable: %s", d.Name(), st.Reason)
	}
	return d, nil
}

type demoResult struct {
	errMatMul, errSilu, errSoftmax float64
	gflops                         float64
}

func (r demoResult) ok() bool {
	return r.errMatMul <= demoTolerance && r.errSilu <= demoTolerance && r.errSoftmax <= demoTolerance
}

// demoPipeline is the work the demo runs on one device: y = x·w, then
// softmax(silu(y + b)) over each row.
func demoPipeline(x, w, b *core.Tensor[float32]) (y, act, sm *core.Tensor[float32], err error) {
	if y, err = core.MatMul(x, w); err != nil {
		return nil, nil, nil, err
	}
	sum, err := core.Add(y, b)
	if err != nil {
		return nil, nil, nil, err
	}
	if act, err = core.Silu(sum); err != nil {
		return nil, nil, nil, err
	}
	if sm, err = core.Softmax(act, -1); err != nil {
		return nil, nil, nil, err
	}
	return y, act, sm, nil
}

func demo(dev core.Device, n, reps int) (demoResult, error) {
	var res demoResult
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // G404: reproducible demo data, not a secret
	randTensor := func(shape ...int) (*core.Tensor[float32], error) {
		v := make([]float32, core.Shape(shape).NumElements())
		for i := range v {
			v[i] = rng.Float32()*2 - 1
		}
		return core.FromSlice(v, shape...)
	}
	x, err := randTensor(n, n)
	if err != nil {
		return res, err
	}
	w, err := randTensor(n, n)
	if err != nil {
		return res, err
	}
	b, err := randTensor(n)
	if err != nil {
		return res, err
	}
	refY, refAct, refSm, err := demoPipeline(x, w, b)
	if err != nil {
		return res, fmt.Errorf("cpu reference: %w", err)
	}

	dx, err := x.To(dev)
	if err != nil {
		return res, err
	}
	dw, err := w.To(dev)
	if err != nil {
		return res, err
	}
	db, err := b.To(dev)
	if err != nil {
		return res, err
	}
	// Warm up (kernel compilation, pools), then time the matmul alone.
	if _, err := core.MatMul(dx, dw); err != nil {
		return res, fmt.Errorf("matmul on %s: %w", dev.Name(), err)
	}
	if err := dev.Sync(); err != nil {
		return res, err
	}
	best := math.Inf(1)
	for range reps {
		start := time.Now()
		if _, err := core.MatMul(dx, dw); err != nil {
			return res, fmt.Errorf("matmul on %s: %w", dev.Name(), err)
		}
		if err := dev.Sync(); err != nil {
			return res, err
		}
		best = min(best, time.Since(start).Seconds())
	}
	res.gflops = 2 * float64(n) * float64(n) * float64(n) / best / 1e9

	y, act, sm, err := demoPipeline(dx, dw, db)
	if err != nil {
		return res, fmt.Errorf("on %s: %w", dev.Name(), err)
	}
	for _, c := range []struct {
		got, want *core.Tensor[float32]
		dst       *float64
	}{{y, refY, &res.errMatMul}, {act, refAct, &res.errSilu}, {sm, refSm, &res.errSoftmax}} {
		if *c.dst, err = relMaxError(c.got, c.want); err != nil {
			return res, err
		}
	}
	return res, nil
}

// relMaxError returns max|got-want| / max|want|, reading got back from its
// device.
func relMaxError(got, want *core.Tensor[float32]) (float64, error) {
	g, err := got.Values()
	if err != nil {
		return 0, err
	}
	w, err := want.Values()
	if err != nil {
		return 0, err
	}
	if len(g) != len(w) {
		return 0, fmt.Errorf("result has %d values, reference %d", len(g), len(w))
	}
	var maxDiff, maxRef float64
	for i := range w {
		maxDiff = max(maxDiff, math.Abs(float64(g[i])-float64(w[i])))
		maxRef = max(maxRef, math.Abs(float64(w[i])))
	}
	if math.IsNaN(maxDiff) {
		return math.Inf(1), nil
	}
	if maxRef == 0 {
		return maxDiff, nil
	}
	return maxDiff / maxRef, nil
}
