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
	commands["demo"] = &command{
		summary: "run a matmul and elementwise ops on a device and check them against a float64 reference",
		setup:   demoSetup,
	}
}

// demoTolerance bounds the error of the device result relative to the
// largest reference magnitude; float32 accumulation over K terms stays far
// below it.
const demoTolerance = 1e-4

// demoArrays is how many N×N float32 arrays the demo holds at its peak
// (inputs, the pipeline's results and their host copies), for the memory
// check before it allocates any.
const demoArrays = 10

func demoSetup(fs *flag.FlagSet) runFunc {
	n := fs.Int("size", 512, "matrix size N of the N×N×N matmul")
	devName := fs.String("device", "", "device to run on (default: the best available, or LBRX_DEVICE)")
	reps := fs.Int("reps", 5, "timed matmul repetitions")
	return func(_ []string, stdout, stderr io.Writer) error {
		if *n < 1 || *reps < 1 {
			return usagef("--size and --reps must be at least 1 (got %d, %d)", *n, *reps)
		}
		dev, err := pickDevice(*devName)
		if err != nil {
			return err
		}
		need := demoArrays * 4 * float64(*n) * float64(*n)
		if err := core.CheckMemory(uint64(min(need, math.MaxUint64/2)), fmt.Sprintf("demo --size %d", *n)); err != nil {
			return err
		}
		res, err := demo(dev, *n, *reps)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "device:    %s\n", dev.Name())
		fmt.Fprintf(stdout, "sizes:     matmul %dx%d · %dx%d, bias [%d], then silu and softmax over rows\n", *n, *n, *n, *n, *n)
		fmt.Fprintf(stdout, "reference: float64 on the host, %d of %d rows\n", len(res.rows), *n)
		fmt.Fprintf(stdout, "max error: matmul %.3g, silu(x·w+b) %.3g, softmax %.3g (relative to the largest reference value; bound %g)\n",
			res.errMatMul, res.errSilu, res.errSoftmax, demoTolerance)
		fmt.Fprintf(stdout, "matmul:    %.1f GFLOP/s on %s (best of %d)\n", res.gflops, dev.Name(), *reps)
		if fb := core.Fallbacks(); len(fb) > 0 {
			fmt.Fprintf(stdout, "fallbacks: %v\n", fb)
		}
		if !res.ok() {
			fmt.Fprintln(stdout, "parity:    FAIL")
			fmt.Fprintf(stderr, "lbrx: %s results differ from the float64 reference\n", dev.Name())
			return exitError{code: exitRuntime}
		}
		fmt.Fprintf(stdout, "parity:    ok (%s matches the float64 reference)\n", dev.Name())
		return nil
	}
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
	rows                           []int // the rows checked against the reference
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

// demoRows picks the rows the float64 reference checks: all of them for
// small sizes, else evenly spread ones (the last included) so that the
// reference costs about 2e9 multiply-adds at most.
func demoRows(n int) []int {
	k := min(n, max(1, int(2e9/(float64(n)*float64(n)))), 64)
	if n <= 64 {
		k = n
	}
	rows := make([]int, k)
	for i := range rows {
		rows[i] = i * (n - 1) / max(1, k-1)
	}
	if k == 1 {
		rows[0] = n - 1
	}
	return rows
}

// demoReference computes row r of y = x·w, silu(y+b) and its softmax in
// float64 from the float32 inputs: the pipeline written out, independent
// of every lbrx kernel.
func demoReference(x, w, b []float32, n, r int) (y, act, sm []float64) {
	y, act, sm = make([]float64, n), make([]float64, n), make([]float64, n)
	for k := range n {
		xk := float64(x[r*n+k])
		for j := range n {
			y[j] += xk * float64(w[k*n+j])
		}
	}
	peak := math.Inf(-1)
	for j := range n {
		z := y[j] + float64(b[j])
		act[j] = z / (1 + math.Exp(-z))
		peak = max(peak, act[j])
	}
	var total float64
	for j := range n {
		sm[j] = math.Exp(act[j] - peak)
		total += sm[j]
	}
	for j := range n {
		sm[j] /= total
	}
	return y, act, sm
}

func demo(dev core.Device, n, reps int) (demoResult, error) {
	var res demoResult
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // G404: reproducible demo data, not a secret
	randVals := func(k int) []float32 {
		v := make([]float32, k)
		for i := range v {
			v[i] = rng.Float32()*2 - 1
		}
		return v
	}
	xv, wv, bv := randVals(n*n), randVals(n*n), randVals(n)
	toDev := func(v []float32, shape ...int) (*core.Tensor[float32], error) {
		t, err := core.FromSlice(v, shape...)
		if err != nil {
			return nil, err
		}
		return t.To(dev)
	}
	dx, err := toDev(xv, n, n)
	if err != nil {
		return res, err
	}
	dw, err := toDev(wv, n, n)
	if err != nil {
		return res, err
	}
	db, err := toDev(bv, n)
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
	got := make([][]float32, 3)
	for i, t := range []*core.Tensor[float32]{y, act, sm} {
		if got[i], err = t.Values(); err != nil {
			return res, err
		}
	}
	res.rows = demoRows(n)
	var diff, scale [3]float64
	for _, r := range res.rows {
		ry, ra, rs := demoReference(xv, wv, bv, n, r)
		for i, want := range [][]float64{ry, ra, rs} {
			for j, w := range want {
				d := math.Abs(float64(got[i][r*n+j]) - w)
				if math.IsNaN(d) {
					d = math.Inf(1)
				}
				diff[i] = max(diff[i], d)
				scale[i] = max(scale[i], math.Abs(w))
			}
		}
	}
	for i, dst := range []*float64{&res.errMatMul, &res.errSilu, &res.errSoftmax} {
		*dst = diff[i]
		if scale[i] > 0 {
			*dst /= scale[i]
		}
	}
	return res, nil
}
