package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal"
	"github.com/lbrx/lbrx/quant"
)

// The planner replay runs core's public ops on a device whose Execute
// plans them with metal.Plan (the Metal backend's own planner) and
// dispatches the plan on the MSL emulator: the real kernels, bound and
// sized exactly as the backend would on a GPU, compared with core on the
// CPU. It checks the planner (kernel choice, strides, offsets, leading
// dimensions, batching, launch sizes) together with the kernels.

// replayDevice is a core device backed by Go memory whose ops run on the
// emulator.
type replayDevice struct {
	mu   sync.Mutex
	c    *checkCtx
	simd bool     // plan matmuls for simdgroup matrices (Apple7+)
	ran  []string // kernels dispatched since the last reset
}

type replayStorage struct {
	dev *replayDevice
	b   []byte
}

func (s *replayStorage) Device() core.Device { return s.dev }
func (s *replayStorage) Len() int            { return len(s.b) }

func (d *replayDevice) Name() string        { return "msl-replay" }
func (d *replayDevice) Kind() string        { return "msl-replay" }
func (d *replayDevice) Priority() int       { return -100 }
func (d *replayDevice) Status() core.Status { return core.Status{Available: true} }
func (d *replayDevice) Sync() error         { return nil }

func (d *replayDevice) Alloc(n int) (core.Storage, error) {
	return &replayStorage{dev: d, b: make([]byte, n)}, nil
}

func (d *replayDevice) CopyFromHost(dst core.Storage, off int, src []byte) error {
	s, ok := dst.(*replayStorage)
	if !ok || off < 0 || off+len(src) > len(s.b) {
		return fmt.Errorf("msl-replay: copy of %d bytes at %d out of range", len(src), off)
	}
	copy(s.b[off:], src)
	return nil
}

func (d *replayDevice) CopyToHost(dst []byte, src core.Storage, off int) error {
	s, ok := src.(*replayStorage)
	if !ok || off < 0 || off+len(dst) > len(s.b) {
		return fmt.Errorf("msl-replay: read of %d bytes at %d out of range", len(dst), off)
	}
	copy(dst, s.b[off:])
	return nil
}

// Execute plans op and runs every dispatch on the emulator; written
// buffers are copied back into their storage.
func (d *replayDevice) Execute(op *core.Op) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	plan, err := metal.Plan(op, d.simd, 1024, 32)
	if err != nil {
		return err
	}
	return d.runPlan(plan)
}

// runPlan dispatches a plan on the emulator and copies written buffers
// back into their storage.
func (d *replayDevice) runPlan(plan []metal.PlannedDispatch) error {
	for i := range plan {
		pd := &plan[i]
		var bufs []buf
		var stores []*replayStorage
		out := -1
		for _, b := range pd.Buffers {
			s, ok := b.Storage.(*replayStorage)
			if !ok {
				return fmt.Errorf("msl-replay: %s: buffer(%d) is not on this device", pd.Kernel, b.Index)
			}
			if b.Written {
				out = b.Index
			}
			bufs = append(bufs, buf{b.Index, nonEmpty(bytes.Clone(s.b[b.ByteOffset:]))})
			stores = append(stores, s)
		}
		bufs = append(bufs, buf{pd.ParamIndex, pd.Params})
		res, err := d.c.dispatch(pd.Kernel, pd.Launch, bufs, out)
		if err != nil {
			return fmt.Errorf("%s: %w", pd.Kernel, err)
		}
		d.ran = append(d.ran, pd.Kernel)
		if res == nil {
			continue
		}
		for i, b := range pd.Buffers {
			if b.Written {
				copy(stores[i].b[b.ByteOffset:], res[i])
			}
		}
	}
	return nil
}

// replayCase is one core op on CPU inputs; views builds the operands
// (possibly as views) on the given device from host arrays.
type replayCase struct {
	name   string
	inputs func(c *checkCtx) ([]*core.Array, error)
	views  func(in []*core.Array) ([]*core.Array, error)
	op     func(in []*core.Array) (*core.Array, error)
	dt     string
	kernel string // the kernel the planner must pick
}

func randArray(c *checkCtx, dt string, shape ...int) (*core.Array, error) {
	return hostArray(dt, shape, roundTo(dt, uniform(c.rng, numel(shape), -1, 1)))
}

func same(in []*core.Array) ([]*core.Array, error) { return in, nil }

func replayCases() []replayCase {
	two := func(dt string, a, b []int) func(c *checkCtx) ([]*core.Array, error) {
		return func(c *checkCtx) ([]*core.Array, error) {
			x, err := randArray(c, dt, a...)
			if err != nil {
				return nil, err
			}
			y, err := randArray(c, dt, b...)
			return []*core.Array{x, y}, err
		}
	}
	one := func(dt string, a ...int) func(c *checkCtx) ([]*core.Array, error) {
		return func(c *checkCtx) ([]*core.Array, error) {
			x, err := randArray(c, dt, a...)
			return []*core.Array{x}, err
		}
	}
	binary := func(name string) func(in []*core.Array) (*core.Array, error) {
		return func(in []*core.Array) (*core.Array, error) { return core.BinaryOp(name, in[0], in[1]) }
	}
	unary := func(name string) func(in []*core.Array) (*core.Array, error) {
		return func(in []*core.Array) (*core.Array, error) { return core.UnaryOp(name, in[0]) }
	}
	reduce := func(name string, axes ...int) func(in []*core.Array) (*core.Array, error) {
		return func(in []*core.Array) (*core.Array, error) { return core.ReduceOp(name, in[0], axes, false) }
	}
	matmul := func(in []*core.Array) (*core.Array, error) { return core.MatMulOp(in[0], in[1]) }
	attention := func(in []*core.Array) (*core.Array, error) {
		return core.CausalAttentionOp(in[0], in[1], in[2], 1/math.Sqrt(float64(in[0].Shape()[in[0].Rank()-1])))
	}
	// decodeStep appends one position to the key and value caches and
	// attends the new query to all of them, as a Llama decode step does.
	decodeStep := func(in []*core.Array) (*core.Array, error) {
		k, err := core.ConcatOp(0, in[1], in[3])
		if err != nil {
			return nil, err
		}
		v, err := core.ConcatOp(0, in[2], in[4])
		if err != nil {
			return nil, err
		}
		return core.CausalAttentionOp(in[0], k, v, 0.25)
	}
	concat := func(axis int) func(in []*core.Array) (*core.Array, error) {
		return func(in []*core.Array) (*core.Array, error) { return core.ConcatOp(axis, in...) }
	}
	transposeFirst := func(in []*core.Array) ([]*core.Array, error) {
		t, err := in[0].T()
		return append([]*core.Array{t}, in[1:]...), err
	}
	transposeSecond := func(in []*core.Array) ([]*core.Array, error) {
		t, err := in[1].Transpose(in[1].Rank()-2, in[1].Rank()-1)
		return []*core.Array{in[0], t}, err
	}
	return []replayCase{
		{"add, broadcast", two("f32", []int{3, 1, 5}, []int{4, 5}), same, binary("add"), "f32", "binary_add_f32"},
		{"mul, transposed view", two("f16", []int{5, 6}, []int{6, 5}), transposeFirst, binary("mul"), "f16", "binary_mul_f16"},
		{"exp, strided slice", one("f32", 41), func(in []*core.Array) ([]*core.Array, error) {
			s, err := in[0].Slice(0, 1, 41, 3)
			return []*core.Array{s}, err
		}, unary("exp"), "f32", "unary_exp_f32"},
		{"gelu", one("bf16", 3, 257), same, unary("gelu"), "bf16", "unary_gelu_bf16"},
		{"cast f32 to bf16", one("f32", 7, 9), same, func(in []*core.Array) (*core.Array, error) {
			return core.CastOp(in[0], core.BF16)
		}, "bf16", "cast_f32_bf16"},
		{"sum, last axis", one("f32", 7, 333), same, reduce("sum", 1), "f32", "reduce_sum_f32"},
		{"max, trailing axes", one("f16", 3, 4, 5), same, reduce("max", 1, 2), "f16", "reduce_max_f16"},
		{"mean, all axes", one("f32", 10, 10), same, reduce("mean"), "f32", "reduce_mean_f32"},
		{"softmax, last axis", one("f32", 5, 70), same, func(in []*core.Array) (*core.Array, error) {
			return core.SoftmaxOp("softmax", in[0], 1)
		}, "f32", "softmax_f32"},
		{"log_softmax, last axis", one("bf16", 6, 300), same, func(in []*core.Array) (*core.Array, error) {
			return core.SoftmaxOp("log_softmax", in[0], 1)
		}, "bf16", "log_softmax_bf16"},
		{"rms_norm", two("f32", []int{3, 4, 70}, []int{70}), same, func(in []*core.Array) (*core.Array, error) {
			return core.RMSNormOp(in[0], in[1], 1e-5)
		}, "f32", "rms_norm_f32"},
		{"rms_norm of a transposed view (made contiguous first)", two("bf16", []int{40, 3}, []int{40}), transposeFirst,
			func(in []*core.Array) (*core.Array, error) { return core.RMSNormOp(in[0], in[1], 1e-6) }, "bf16", "rms_norm_bf16"},
		{"rope", ropeInputs("bf16", []int{2, 5, 3, 8}), same, func(in []*core.Array) (*core.Array, error) {
			return core.RoPEOp(in[0], in[1], in[2])
		}, "bf16", "rope_bf16"},
		{"causal_attention, GQA decode", attentionInputs("f16", []int{1, 1, 4, 16}, []int{1, 37, 2, 16}), same, attention, "f16", "causal_attention_f16"},
		{"causal_attention, prefill", attentionInputs("f32", []int{2, 6, 4, 24}, []int{2, 6, 2, 24}), same, attention, "f32", "causal_attention_f32"},
		{"causal_attention, sliding window and soft cap", attentionInputs("f16", []int{9, 4, 16}, []int{9, 2, 16}), same,
			func(in []*core.Array) (*core.Array, error) {
				return core.AttentionOp(in[0], in[1], in[2], core.AttentionParams{Scale: 0.75, Window: 4, SoftCap: 2})
			}, "f16", "causal_attention_f16"},
		{"decode step: KV caches grown by concat, then attention", attentionInputs("bf16", []int{1, 8, 16}, []int{20, 2, 16}, []int{1, 2, 16}, []int{1, 2, 16}),
			same, decodeStep, "bf16", "causal_attention_bf16"},
		{"concat, KV cache along axis 0", two("f16", []int{7, 2, 8}, []int{1, 2, 8}), same, concat(0), "f16", "concat_x16"},
		{"concat, transposed view along axis 1", two("f32", []int{4, 3}, []int{3, 2}), transposeFirst, concat(1), "f32", "concat_x32"},
		{"matmul, broadcast batch", two("f32", []int{2, 33, 17}, []int{17, 31}), same, matmul, "f32", "matmul_f32"},
		{"matmul, transposed B", two("f16", []int{9, 40}, []int{35, 40}), transposeSecond, matmul, "f16", "matmul_f16"},
		{"matmul, batched transposed A", two("bf16", []int{3, 20, 12}, []int{3, 20, 7}), func(in []*core.Array) ([]*core.Array, error) {
			t, err := in[0].Transpose(1, 2)
			return []*core.Array{t, in[1]}, err
		}, matmul, "bf16", "matmul_bf16"},
	}
}

// ropeInputs draws x of shape xs (dtype dt) and its F32 cos/sin tables.
func ropeInputs(dt string, xs []int) func(c *checkCtx) ([]*core.Array, error) {
	return func(c *checkCtx) ([]*core.Array, error) {
		x, err := randArray(c, dt, xs...)
		if err != nil {
			return nil, err
		}
		t, half := xs[len(xs)-3], xs[len(xs)-1]/2
		cs, sn := make([]float32, t*half), make([]float32, t*half)
		for i := range cs {
			a := c.rng.Float64() * 20
			cs[i], sn[i] = float32(math.Cos(a)), float32(math.Sin(a))
		}
		ca, err := hostArray("f32", []int{t, half}, cs)
		if err != nil {
			return nil, err
		}
		sa, err := hostArray("f32", []int{t, half}, sn)
		return []*core.Array{x, ca, sa}, err
	}
}

// attentionInputs draws q of shape qs, k and v of shape ks, then one array
// per shape in more (new cache positions to append).
func attentionInputs(dt string, qs, ks []int, more ...[]int) func(c *checkCtx) ([]*core.Array, error) {
	return func(c *checkCtx) ([]*core.Array, error) {
		var out []*core.Array
		for _, s := range append([][]int{qs, ks, ks}, more...) {
			a, err := randArray(c, dt, s...)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
		return out, nil
	}
}

// runReplay runs every replay case (matching filter) with the tiled and,
// for matmuls, the simdgroup-matrix kernels, and reports each mismatch.
func runReplay(c *checkCtx, match func(string) bool, logf func(string, ...any)) []error {
	dev := &replayDevice{c: c}
	var problems []error
	for _, rc := range replayCases() {
		simds := []bool{false}
		if strings.HasPrefix(rc.kernel, "matmul") {
			simds = append(simds, true)
		}
		for _, simd := range simds {
			name := "replay: " + rc.name
			kernel := rc.kernel
			if simd {
				name += " (simdgroup matrix)"
				kernel = "matmul_simd" + rc.kernel[len("matmul"):]
			}
			if !match(name) {
				continue
			}
			dev.simd, dev.ran = simd, nil
			if err := replayOne(c, dev, rc, kernel); err != nil {
				problems = append(problems, fmt.Errorf("%s: %w", name, err))
				logf("FAIL %s", name)
				continue
			}
			logf("ok   %s", name)
		}
	}
	for _, qc := range quantReplayCases() {
		name := "replay: " + qc.name
		if !match(name) {
			continue
		}
		dev.simd, dev.ran = false, nil
		if err := replayQuant(c, dev, qc); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", name, err))
			logf("FAIL %s", name)
			continue
		}
		logf("ok   %s", name)
	}
	return problems
}

func replayOne(c *checkCtx, dev *replayDevice, rc replayCase, kernel string) error {
	in, err := rc.inputs(c)
	if err != nil {
		return err
	}
	hostIn, err := rc.views(in)
	if err != nil {
		return err
	}
	want, err := rc.op(hostIn)
	if err != nil {
		return fmt.Errorf("core on the CPU: %w", err)
	}
	onDev := make([]*core.Array, len(in))
	for i, a := range in {
		if onDev[i], err = a.To(dev); err != nil {
			return err
		}
	}
	devIn, err := rc.views(onDev)
	if err != nil {
		return err
	}
	got, err := rc.op(devIn)
	if err != nil {
		return err
	}
	if !slices.Contains(dev.ran, kernel) {
		return fmt.Errorf("the planner dispatched %v, not %s (an op the backend should run fell back to the CPU?)", dev.ran, kernel)
	}
	host, err := got.To(core.CPU())
	if err != nil {
		return err
	}
	if !host.Shape().Equal(want.Shape()) || host.DType() != want.DType() {
		return fmt.Errorf("got %v %v, core gives %v %v", host.DType(), host.Shape(), want.DType(), want.Shape())
	}
	gv, err := arrayValues(rc.dt, host)
	if err != nil {
		return err
	}
	wv, err := arrayValues(rc.dt, want)
	if err != nil {
		return err
	}
	if err := compareScaled(rc.dt, gv, wv); err != nil {
		return errors.New("result differs from core on the CPU: " + err.Error())
	}
	return nil
}

// compareScaled compares results of dtype dt: each is off by its dtype's
// rounding (rel) plus the f32 accumulation error of a few hundred terms,
// bounded by 1e-4 of the largest result.
func compareScaled(dt string, got, want []float64) error {
	g32 := make([]float32, len(got))
	scale := 0.0
	for i := range got {
		g32[i] = float32(got[i])
		scale = max(scale, math.Abs(want[i]))
	}
	tol := tolFor(dt)
	tol.abs = max(tol.abs, 1e-4*scale)
	return compare(g32, want, nil, tol)
}

// quantReplayCase is a quantized matmul through Context.QuantMatMul's
// planner: the weight (with its scales and biases) and x moved to the
// device as the backend moves them.
type quantReplayCase struct {
	name     string
	dt       string
	m, n, k  int
	bits, gs int         // affine; 0 bits for ggml
	scheme   core.Scheme // ggml scheme when bits == 0
	kernel   string
}

func quantReplayCases() []quantReplayCase {
	return []quantReplayCase{
		{"qmv affine 4-bit f16", "f16", 1, 37, 128, 4, 64, "", "qmv_affine4_f16"},
		{"qmv affine 2-bit f32", "f32", 3, 19, 256, 2, 64, "", "qmv_affine2_f32"},
		{"qmm affine 2-bit f16", "f16", 6, 11, 128, 2, 32, "", "qmm_affine2_f16"},
		{"qmm affine 8-bit f32", "f32", 9, 33, 96, 8, 32, "", "qmm_affine8_f32"},
		{"qmm affine 4-bit bf16", "bf16", 33, 20, 256, 4, 128, "", "qmm_affine4_bf16"},
		{"qmv q4_0", "f32", 1, 21, 64, 0, 32, core.SchemeQ4_0, "qmv_q4_0_f32"},
		{"qmm q8_0", "f32", 17, 12, 96, 0, 32, core.SchemeQ8_0, "qmm_q8_0_f32"},
		{"qmv q4_k bf16", "bf16", 1, 13, 512, 0, 256, core.SchemeQ4_K, "qmv_q4_k_bf16"},
		{"qmm q6_k f16", "f16", 9, 7, 256, 0, 256, core.SchemeQ6_K, "qmm_q6_k_f16"},
		{"qmv q5_1 f32", "f32", 3, 10, 96, 0, 32, core.SchemeQ5_1, "qmv_q5_1_f32"},
		{"qmm iq4_nl f32", "f32", 5, 9, 64, 0, 32, core.SchemeIQ4_NL, "qmm_iq4_nl_f32"},
	}
}

func replayQuant(c *checkCtx, dev *replayDevice, qc quantReplayCase) error {
	x, err := randArray(c, qc.dt, qc.m, qc.k)
	if err != nil {
		return err
	}
	wf, err := randArray(c, qc.dt, qc.n, qc.k)
	if err != nil {
		return err
	}
	var w *core.Array
	if qc.bits > 0 {
		w, err = quant.Quantize(wf, qc.bits, qc.gs)
	} else {
		w, err = quant.QuantizeBlocks(wf, qc.scheme)
	}
	if err != nil {
		return fmt.Errorf("quantizing the weight: %w", err)
	}
	wv, err := exactQuantMatMul(qc.dt, x, w)
	if err != nil {
		return fmt.Errorf("the reference product: %w", err)
	}
	gx, err := x.To(dev)
	if err != nil {
		return err
	}
	gw, err := w.To(dev)
	if err != nil {
		return err
	}
	y, err := core.Empty(dev, x.DType(), core.Shape{qc.m, qc.n})
	if err != nil {
		return err
	}
	plan, err := metal.PlanQuantMatMul(gx, gw, y, 1024, 32)
	if err != nil {
		return err
	}
	if err := dev.runPlan(plan); err != nil {
		return err
	}
	if !slices.Contains(dev.ran, qc.kernel) {
		return fmt.Errorf("the planner dispatched %v, not %s", dev.ran, qc.kernel)
	}
	host, err := y.To(core.CPU())
	if err != nil {
		return err
	}
	gv, err := arrayValues(qc.dt, host)
	if err != nil {
		return err
	}
	return compareScaled(qc.dt, gv, wv)
}
