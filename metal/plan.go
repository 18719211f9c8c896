package metal

import (
	"fmt"
	"slices"

	"github.com/lbrx/lbrx/core"
)

// The op planner: plain Go that turns a core.Op into the kernel
// dispatches that compute it (kernel name, buffer bindings, parameter
// bytes, threadgroup memory, grid), following metal/shaders/README.md.
// The darwin executor only replays the plan on an encoder, so everything
// here is tested on every OS.

// bufArg binds an operand's storage at a byte offset to a buffer index.
type bufArg struct {
	st      core.Storage
	byteOff int
	index   int
	write   bool
}

// dispatch is one kernel launch.
type dispatch struct {
	kernel   string
	bufs     []bufArg
	params   []byte
	paramIdx int
	// launch sizes the dispatch for a pipeline allowing maxThreads
	// threads per threadgroup with SIMD width simd (kernels.go's table).
	launch func(maxThreads, simd int) (Launch, error)
}

// maxBatchLoop bounds the dispatches of a batched matmul whose batch
// dimensions do not collapse to one stride; beyond it the CPU runs it.
const maxBatchLoop = 1024

// unsupportedf reports an op or geometry without a Metal kernel; the error
// wraps core.ErrUnsupported so that core runs the op on the CPU.
func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("metal: "+format+": %w", append(args, core.ErrUnsupported)...)
}

// suffix names a dtype in kernel names.
func suffix(d core.DType) (string, bool) {
	switch d {
	case core.F32:
		return "f32", true
	case core.F16:
		return "f16", true
	case core.BF16:
		return "bf16", true
	}
	return "", false
}

// planOp plans op; simd selects the simdgroup-matrix matmul (Apple7+).
func planOp(op *core.Op, simd bool) ([]dispatch, error) {
	if op == nil || op.Out == nil {
		return nil, fmt.Errorf("metal: op without output")
	}
	switch {
	case slices.Contains(BinaryOps, op.Name):
		return planBinary(op)
	case slices.Contains(UnaryOps, op.Name):
		return planUnary(op, "unary_"+op.Name)
	case op.Name == "cast":
		return planCast(op)
	case slices.Contains(ReduceOps, op.Name):
		return planRows(op, "reduce_"+op.Name)
	case op.Name == "softmax" || op.Name == "log_softmax":
		return planRows(op, op.Name)
	case op.Name == "matmul":
		return planMatmul(op, simd)
	case op.Name == "rms_norm":
		return planRMSNorm(op)
	case op.Name == "rope":
		return planRoPE(op)
	case op.Name == "causal_attention":
		return planAttention(op)
	case op.Name == "concat":
		return planConcat(op)
	case op.Name == "quantized_matmul":
		if err := checkInputs(op, 2); err != nil {
			return nil, err
		}
		return planQuantMatmul(op.Inputs[0], op.Inputs[1], op.Out)
	}
	return nil, unsupportedf("no kernel for op %s", op.Name)
}

func checkInputs(op *core.Op, n int) error {
	if len(op.Inputs) != n {
		return fmt.Errorf("metal: %s takes %d inputs, got %d", op.Name, n, len(op.Inputs))
	}
	for i, a := range op.Inputs {
		if a == nil {
			return fmt.Errorf("metal: %s: input %d is nil", op.Name, i)
		}
	}
	return nil
}

// outArg binds a contiguous output, checking the layout kernels assume.
func outArg(op *core.Op, index int) (bufArg, error) {
	o := op.Out
	if !o.IsContiguous() {
		return bufArg{}, fmt.Errorf("metal: %s: output %v is not contiguous", op.Name, o)
	}
	return bufArg{st: o.Storage(), byteOff: o.Offset() * o.DType().Size(), index: index, write: true}, nil
}

// span returns the lowest and highest element offsets a view touches.
func span(shape, strides []int, offset int) (lo, hi int) {
	lo, hi = offset, offset
	for d, n := range shape {
		if n == 0 {
			return offset, offset
		}
		s := strides[d] * (n - 1)
		if s < 0 {
			lo += s
		} else {
			hi += s
		}
	}
	return lo, hi
}

// elementwiseGeom prepares strided inputs for the elementwise kernels:
// merged dimensions (rank <= 8), and for each input the byte offset to
// bind its buffer at and its element offset from there.
type elemGeom struct {
	n       int
	shape   []int
	strides [][]int
	offsets []int
	binds   []int
}

func newElemGeom(op *core.Op) (*elemGeom, error) {
	out := op.Out
	shape := out.Shape()
	strides := make([][]int, len(op.Inputs))
	for i, a := range op.Inputs {
		if !slices.Equal(a.Shape(), shape) {
			return nil, fmt.Errorf("metal: %s: input %d shape %v differs from output %v", op.Name, i, a.Shape(), shape)
		}
		strides[i] = a.Strides()
	}
	ms, mst := mergeDims(shape, strides...)
	if len(ms) > MaxRank {
		return nil, unsupportedf("%s: %d dimensions after merging, kernels take %d", op.Name, len(ms), MaxRank)
	}
	g := &elemGeom{n: out.NumElements(), shape: ms, strides: mst}
	if !fitsU32(g.n) || !fitsU32(ms...) {
		return nil, unsupportedf("%s: %d elements exceed 32-bit indexing", op.Name, g.n)
	}
	for i, a := range op.Inputs {
		if !fitsI32(mst[i]...) {
			return nil, unsupportedf("%s: input %d strides %v exceed 32 bits", op.Name, i, a.Strides())
		}
		lo, hi := span(a.Shape(), a.Strides(), a.Offset())
		if !fitsU32(hi - lo) {
			return nil, unsupportedf("%s: input %d spans more than 2^32 elements", op.Name, i)
		}
		g.binds = append(g.binds, lo*a.DType().Size())
		g.offsets = append(g.offsets, a.Offset()-lo)
	}
	return g, nil
}

func linear(n int) func(int, int) (Launch, error) {
	return func(maxThreads, _ int) (Launch, error) { return ElementwiseLaunch(n, elementThreads(maxThreads)), nil }
}

func planBinary(op *core.Op) ([]dispatch, error) {
	if err := checkInputs(op, 2); err != nil {
		return nil, err
	}
	a, b := op.Inputs[0], op.Inputs[1]
	dt, ok := suffix(a.DType())
	if !ok || b.DType() != a.DType() || op.Out.DType() != a.DType() {
		return nil, unsupportedf("%s: no kernel for %v, %v -> %v", op.Name, a.DType(), b.DType(), op.Out.DType())
	}
	g, err := newElemGeom(op)
	if err != nil || g.n == 0 {
		return nil, err
	}
	p := BinaryParams{N: uint32(g.n), Rank: uint32(len(g.shape)), AOffset: uint32(g.offsets[0]), BOffset: uint32(g.offsets[1])}
	for d, n := range g.shape {
		p.Shape[d] = uint32(n)
		p.AStrides[d] = int32(g.strides[0][d])
		p.BStrides[d] = int32(g.strides[1][d])
	}
	o, err := outArg(op, 2)
	if err != nil {
		return nil, err
	}
	return []dispatch{{
		kernel: "binary_" + op.Name + "_" + dt,
		bufs: []bufArg{
			{st: a.Storage(), byteOff: g.binds[0], index: 0},
			{st: b.Storage(), byteOff: g.binds[1], index: 1},
			o,
		},
		params: p.Bytes(), paramIdx: 3,
		launch: linear(g.n),
	}}, nil
}

func planUnaryLike(op *core.Op, kernel string) ([]dispatch, error) {
	g, err := newElemGeom(op)
	if err != nil || g.n == 0 {
		return nil, err
	}
	p := UnaryParams{N: uint32(g.n), Rank: uint32(len(g.shape)), Offset: uint32(g.offsets[0])}
	for d, n := range g.shape {
		p.Shape[d] = uint32(n)
		p.Strides[d] = int32(g.strides[0][d])
	}
	o, err := outArg(op, 1)
	if err != nil {
		return nil, err
	}
	return []dispatch{{
		kernel: kernel,
		bufs:   []bufArg{{st: op.Inputs[0].Storage(), byteOff: g.binds[0], index: 0}, o},
		params: p.Bytes(), paramIdx: 2,
		launch: linear(g.n),
	}}, nil
}

func planUnary(op *core.Op, kernel string) ([]dispatch, error) {
	if err := checkInputs(op, 1); err != nil {
		return nil, err
	}
	in := op.Inputs[0]
	dt, ok := suffix(in.DType())
	if !ok || op.Out.DType() != in.DType() {
		return nil, unsupportedf("%s: no kernel for %v", op.Name, in.DType())
	}
	return planUnaryLike(op, kernel+"_"+dt)
}

func planCast(op *core.Op) ([]dispatch, error) {
	if err := checkInputs(op, 1); err != nil {
		return nil, err
	}
	src, okS := suffix(op.Inputs[0].DType())
	dst, okD := suffix(op.Out.DType())
	if !okS || !okD || src == dst {
		return nil, unsupportedf("cast: no kernel from %v to %v", op.Inputs[0].DType(), op.Out.DType())
	}
	return planUnaryLike(op, "cast_"+src+"_"+dst)
}

// planRows plans a reduction or softmax over trailing axes.
func planRows(op *core.Op, kernel string) ([]dispatch, error) {
	if err := checkInputs(op, 1); err != nil {
		return nil, err
	}
	in := op.Inputs[0]
	dt, ok := suffix(in.DType())
	if !ok || op.Out.DType() != in.DType() {
		return nil, unsupportedf("%s: no kernel for %v -> %v", op.Name, in.DType(), op.Out.DType())
	}
	axes := op.Axes
	if len(axes) == 0 {
		axes = make([]int, in.Rank())
		for i := range axes {
			axes[i] = i
		}
	}
	r, ok := rowView(in.Shape(), in.Strides(), axes)
	if !ok {
		return nil, unsupportedf("%s over axes %v of a %v view with strides %v: kernels reduce contiguous trailing axes", op.Name, axes, in.Shape(), in.Strides())
	}
	rowwise := op.Name == "softmax" || op.Name == "log_softmax" // one output per input element
	want := r.rows
	if rowwise {
		want = r.rows * r.cols
	}
	if op.Out.NumElements() != want {
		return nil, fmt.Errorf("metal: %s: output %v has %d elements, want %d", op.Name, op.Out, op.Out.NumElements(), want)
	}
	if r.rows == 0 || (rowwise && r.cols == 0) {
		return nil, nil
	}
	lo, hi := span(in.Shape(), in.Strides(), in.Offset())
	if !fitsU32(r.rows, r.cols, r.rowStride, hi-lo) {
		return nil, unsupportedf("%s: %dx%d rows exceed 32-bit indexing", op.Name, r.rows, r.cols)
	}
	p := ReduceParams{Rows: uint32(r.rows), Cols: uint32(r.cols), RowStride: uint32(r.rowStride)}
	o, err := outArg(op, 1)
	if err != nil {
		return nil, err
	}
	rowsN, cols := r.rows, r.cols
	return []dispatch{{
		kernel: kernel + "_" + dt,
		bufs:   []bufArg{{st: in.Storage(), byteOff: in.Offset() * in.DType().Size(), index: 0}, o},
		params: p.Bytes(), paramIdx: 2,
		launch: func(maxThreads, simd int) (Launch, error) {
			w, err := rowThreads(cols, simd, maxThreads)
			return ReduceLaunch(rowsN, w), err
		},
	}}, nil
}
