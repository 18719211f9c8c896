package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/quant"
)

func init() {
	benchSubs["qmv"] = &command{
		summary: "time the quantized matrix-vector product y = W·x (the decode path) beside a memory copy",
		setup:   benchQMVSetup,
	}
}

// benchQMVSetup declares the flags of lbrx bench qmv.
func benchQMVSetup(fs *flag.FlagSet) runFunc {
	var bf benchFlags
	bf.register(fs)
	rows := fs.Int("rows", 4096, "output rows of W (N)")
	cols := fs.Int("cols", 4096, "input columns of W (K)")
	bits := fs.Int("bits", 4, "affine code width (2, 3, 4, 5, 6, 8)")
	group := fs.Int("group-size", 64, "affine group size (32, 64, 128)")
	scheme := fs.String("scheme", "affine", "affine (MLX), q8_0, q4_0 or q4_1 (ggml; bits and group size implied)")
	return func(_ []string, stdout, _ io.Writer) error {
		return benchQMV(&bf, *scheme, *rows, *cols, *bits, *group, stdout)
	}
}

// benchQMV times the quantized matrix-vector product y = W·x of the quant
// package (the LLM decode path) on a rows×cols weight with random codes,
// and beside it a copy of the same number of bytes (STREAM "copy",
// counting bytes read plus written), so the weight bandwidth can be read
// against what the memory system gives in the same run.
func benchQMV(bf *benchFlags, scheme string, rows, cols, bits, group int, stdout io.Writer) error {
	if rows <= 0 || cols <= 0 {
		return usagef("--rows and --cols must be positive (got %d, %d)", rows, cols)
	}
	if err := bf.check(); err != nil {
		return err
	}
	const maxElems = 1 << 34
	if rows*cols > maxElems {
		return usagef("weight of %d×%d exceeds %d elements", rows, cols, maxElems)
	}
	// At most: the float32 source of a ggml or device weight (4 bytes a
	// value), the quantized weight and the copy benchmark's two buffers
	// of its size (at most 1 byte a value each).
	if err := core.CheckMemory(7*uint64(rows)*uint64(cols), fmt.Sprintf("bench qmv --rows %d --cols %d", rows, cols)); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(3, 4)) //nolint:gosec // benchmark operands, not secrets
	if bf.device != "cpu" {
		return benchQMVDevice(stdout, bf, r, scheme, rows, cols, bits, group)
	}
	w, wbytes, err := randomQuantWeight(r, scheme, rows, cols, &bits, &group)
	if err != nil {
		return err
	}
	if bf.threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(bf.threads))
	}
	x := make([]float32, cols)
	for i := range x {
		x[i] = r.Float32()*2 - 1
	}
	y := make([]float32, rows)
	best, mean, runs, err := timeRuns(bf.runs, bf.minTime, func() error { return w.MatMul(y, x, 1) })
	if err != nil {
		return fmt.Errorf("qmv %d×%d %s: %w", rows, cols, scheme, err)
	}
	copyGBPS := streamCopy(int(wbytes), bf.runs, bf.minTime)
	res := benchResult{
		Op: "qmv", M: rows, N: 1, K: cols, DType: scheme, Device: "cpu", Threads: runtime.GOMAXPROCS(0),
		Runs: runs, Seconds: best.Seconds(), MeanSecs: mean.Seconds(), Bits: bits, Group: group,
		FLOPs: 2 * float64(rows) * float64(cols), Bytes: wbytes,
		StreamCopyGBPS: copyGBPS,
	}
	res.GFLOPS = res.FLOPs / best.Seconds() / 1e9
	res.GBPS = float64(wbytes) / best.Seconds() / 1e9
	if copyGBPS > 0 {
		res.VsCopy = res.GBPS / copyGBPS
	}
	return printBench(stdout, &res, bf.json)
}

// randomQuantWeight builds a weight with random codes and parameters (the
// speed of the kernels does not depend on the values) and returns it with
// the bytes one product reads from it.
func randomQuantWeight(r *rand.Rand, scheme string, rows, cols int, bits, group *int) (quant.Weight, int64, error) {
	var s core.Scheme
	switch scheme {
	case "affine":
		if err := quant.CheckParams(*bits, *group); err != nil {
			return nil, 0, usagef("%v", err)
		}
		if cols%*group != 0 || cols**bits%32 != 0 {
			return nil, 0, usagef("--cols %d must be a multiple of --group-size %d and fill whole 32-bit words at %d bits", cols, *group, *bits)
		}
		w := &quant.AffineWeight{N: rows, K: cols, Bits: *bits, GroupSize: *group,
			Codes:  make([]uint32, rows*cols**bits/32),
			Scales: make([]float32, rows*cols / *group),
			Biases: make([]float32, rows*cols / *group)}
		for i := range w.Codes {
			w.Codes[i] = r.Uint32()
		}
		for i := range w.Scales {
			w.Scales[i] = r.Float32() * 0.01
			w.Biases[i] = -r.Float32() * 0.1
		}
		return w, weightBytes(w), nil
	case "q8_0":
		s, *bits = core.SchemeQ8_0, 8
	case "q4_0":
		s, *bits = core.SchemeQ4_0, 4
	case "q4_1":
		s, *bits = core.SchemeQ4_1, 4
	default:
		return nil, 0, usagef("--scheme %q is not one of affine, q8_0, q4_0, q4_1", scheme)
	}
	*group = 32
	if cols%32 != 0 {
		return nil, 0, usagef("--cols %d must be a multiple of the ggml block size 32", cols)
	}
	// ggml blocks go the way a model's weights do: quantized from floats,
	// then Prepare repacks them for the kernels.
	f := make([]float32, rows*cols)
	for i := range f {
		f[i] = r.Float32()*2 - 1
	}
	t, err := core.FromSlice(f, rows, cols)
	if err != nil {
		return nil, 0, err
	}
	q, err := quant.QuantizeBlocks(t.Array(), s)
	if err != nil {
		return nil, 0, err
	}
	w, err := quant.Prepare(q)
	if err != nil {
		return nil, 0, err
	}
	return w, weightBytes(w), nil
}

// weightBytes counts the bytes one product reads from a prepared weight.
func weightBytes(w quant.Weight) int64 {
	switch w := w.(type) {
	case *quant.AffineWeight:
		return int64(4*len(w.Codes) + 4*len(w.Scales) + 4*len(w.Biases))
	case *quant.BlockWeight:
		return int64(len(w.Blocks))
	}
	return 0
}

// streamCopy returns the best copy bandwidth over a buffer of n bytes
// (at least 1 MiB), counting bytes read plus written as STREAM does,
// with GOMAXPROCS goroutines each copying its share.
func streamCopy(n, runs int, minTime time.Duration) float64 {
	n = max(n, 1<<20)
	src := make([]byte, n)
	dst := make([]byte, n)
	for i := range src {
		src[i] = byte(i)
	}
	workers := runtime.GOMAXPROCS(0)
	chunk := (n + workers - 1) / workers
	best, _, _, _ := timeRuns(runs, minTime, func() error {
		done := make(chan struct{}, workers)
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			go func() { copy(dst[lo:hi], src[lo:hi]); done <- struct{}{} }()
		}
		for lo := 0; lo < n; lo += chunk {
			<-done
		}
		return nil
	})
	return 2 * float64(n) / best.Seconds() / 1e9
}

// benchQMVDevice times core.QuantizedMatMulOp on a device (one activation
// row, f32), synchronising after each product. The weight is quantized
// from random floats on the CPU and moved to the device once.
func benchQMVDevice(stdout io.Writer, bf *benchFlags, r *rand.Rand, scheme string, rows, cols, bits, group int) error {
	dev, err := pickDevice(bf.device)
	if err != nil {
		return err
	}
	f := make([]float32, rows*cols)
	for i := range f {
		f[i] = r.Float32()*2 - 1
	}
	wt, err := core.FromSlice(f, rows, cols)
	if err != nil {
		return err
	}
	var q *core.Array
	switch scheme {
	case "affine":
		q, err = quant.Quantize(wt.Array(), bits, group)
	case "q8_0":
		q, err = quant.QuantizeBlocks(wt.Array(), core.SchemeQ8_0)
		bits, group = 8, 32
	case "q4_0":
		q, err = quant.QuantizeBlocks(wt.Array(), core.SchemeQ4_0)
		bits, group = 4, 32
	default:
		return usagef("--scheme %q on %s: one of affine, q8_0, q4_0", scheme, dev.Name())
	}
	if err != nil {
		return usagef("%v", err)
	}
	// Bytes one product reads: the codes (ggml blocks carry their scales)
	// plus the affine scales and biases.
	var wbytes int64
	for _, a := range []*core.Array{q, q.Quant().Scales, q.Quant().Biases} {
		if a != nil {
			wbytes += int64(a.NumElements() * a.DType().Size())
		}
	}
	gw, err := q.To(dev)
	if err != nil {
		return err
	}
	xt, err := core.FromSlice(f[:cols], 1, cols)
	if err != nil {
		return err
	}
	gx, err := xt.Array().To(dev)
	if err != nil {
		return err
	}
	best, mean, runs, err := timeRuns(bf.runs, bf.minTime, func() error {
		if _, err := core.QuantizedMatMulOp(gx, gw); err != nil {
			return err
		}
		return dev.Sync()
	})
	if err != nil {
		return fmt.Errorf("qmv %d×%d %s on %s: %w", rows, cols, scheme, dev.Name(), err)
	}
	res := benchResult{
		Op: "qmv", M: rows, N: 1, K: cols, DType: scheme, Device: dev.Name(), Threads: runtime.GOMAXPROCS(0),
		Runs: runs, Seconds: best.Seconds(), MeanSecs: mean.Seconds(), Bits: bits, Group: group,
		FLOPs: 2 * float64(rows) * float64(cols), Bytes: wbytes,
	}
	res.GFLOPS = res.FLOPs / best.Seconds() / 1e9
	res.GBPS = float64(wbytes) / best.Seconds() / 1e9
	return printBench(stdout, &res, bf.json)
}
