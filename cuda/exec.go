package cuda

import (
	"fmt"
	"strings"

	"github.com/lbrx/lbrx/core"
)

// Op names this backend runs on the GPU, with core's conventions (the table
// in core/op.go), plus rms_norm, rope and causal_attention
// (transformer.go), concat (concat.go) and row gathers (gather.go); every other op and
// every dtype a kernel lacks is answered with core.ErrUnsupported and runs on the CPU.
var (
	binaryOps  = set("add", "sub", "mul", "div", "maximum", "minimum", "pow")
	compareOps = set("eq", "ne", "lt", "le", "gt", "ge")
	unaryOps   = set("neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "gelu", "gelu_tanh", "silu")
	reduceOps  = set("sum", "mean", "max", "min", "argmax", "argmin", "var")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// suffix is the kernel-name suffix of a dtype.
func suffix(dt core.DType) string {
	switch dt {
	case core.F32:
		return "f32"
	case core.F64:
		return "f64"
	case core.F16:
		return "f16"
	case core.BF16:
		return "bf16"
	case core.I8:
		return "i8"
	case core.U8:
		return "u8"
	case core.I16:
		return "i16"
	case core.I32:
		return "i32"
	case core.I64:
		return "i64"
	case core.U32:
		return "u32"
	case core.Bool:
		return "bool"
	}
	return "invalid"
}

func unsupported(op *core.Op, why string, args ...any) error {
	return fmt.Errorf("%w: cuda: %s: %s", core.ErrUnsupported, op.Name, fmt.Sprintf(why, args...))
}

// Execute runs op on the GPU, queued on the device's stream. Ops and dtypes
// without a kernel return an error wrapping core.ErrUnsupported, and core
// runs them on the CPU.
func (d *Device) Execute(op *core.Op) error {
	if op == nil || op.Out == nil {
		return fmt.Errorf("cuda: op without an output")
	}
	for _, a := range append([]*core.Array{op.Out}, op.Inputs...) {
		if a == nil {
			return fmt.Errorf("cuda: %s: nil operand", op.Name)
		}
		if s, ok := a.Storage().(*Storage); !ok || s.dev != d {
			return fmt.Errorf("cuda: %s: operand %v is not on %s", op.Name, a, d.name)
		}
	}
	if !op.Out.IsContiguous() {
		return unsupported(op, "output is not contiguous")
	}
	if err := d.start(); err != nil {
		return err
	}
	op.Out.Storage().(*Storage).written.Store(true)
	if p := d.prof.Load(); p != nil {
		return d.executeProfiled(p, op)
	}
	return d.w.do(func() error {
		if err := d.execute(op); err != nil {
			return err
		}
		return d.markOp(op) // an instrumented graph's event node (graphprof.go)
	})
}

// execute dispatches on the worker thread.
func (d *Device) execute(op *core.Op) error {
	in, out := op.Inputs, op.Out
	switch {
	case binaryOps[op.Name] || compareOps[op.Name]:
		if len(in) != 2 {
			return fmt.Errorf("cuda: %s takes 2 inputs, got %d", op.Name, len(in))
		}
		if in[0].DType() != in[1].DType() {
			return unsupported(op, "mixed dtypes %v and %v", in[0].DType(), in[1].DType())
		}
		return d.elementwise("elementwise", op.Name+"_"+suffix(in[0].DType()), out, in...)
	case op.Name == "where":
		if len(in) != 3 || in[0].DType() != core.Bool || in[1].DType() != in[2].DType() {
			return unsupported(op, "want a BOOL condition and two inputs of one dtype")
		}
		return d.elementwise("elementwise", "where_"+suffix(in[1].DType()), out, in...)
	case unaryOps[op.Name]:
		if len(in) != 1 {
			return fmt.Errorf("cuda: %s takes 1 input, got %d", op.Name, len(in))
		}
		return d.elementwise("elementwise", op.Name+"_"+suffix(in[0].DType()), out, in...)
	case op.Name == "copy":
		if len(in) != 1 || in[0].DType() != out.DType() {
			return unsupported(op, "want one input of the output's dtype")
		}
		return d.copyTo(out, in[0])
	case op.Name == "cast" || op.Name == "astype":
		if len(in) != 1 {
			return fmt.Errorf("cuda: %s takes 1 input, got %d", op.Name, len(in))
		}
		if in[0].DType() == out.DType() {
			return d.copyTo(out, in[0])
		}
		return d.elementwise("cast", "cast_"+suffix(in[0].DType())+"_"+suffix(out.DType()), out, in...)
	case reduceOps[op.Name]:
		return d.reduce(op)
	case op.Name == "softmax" || op.Name == "log_softmax":
		return d.softmax(op)
	case op.Name == "matmul":
		return d.matmul(op)
	case op.Name == "quantized_matmul":
		return d.quantizedMatmul(op)
	case op.Name == "quantized_matmul_parts":
		return d.quantizedMatmulParts(op)
	case op.Name == "concat":
		return d.concat(op)
	case op.Name == "gather":
		return d.gather(op)
	case op.Name == "silu_mul":
		return d.siluMul(op)
	case op.Name == "silu_mul_matmul":
		return d.siluMulMatmul(op)
	case op.Name == "rms_norm" || op.Name == "rope" || op.Name == "causal_attention" ||
		op.Name == "cached_attention" || op.Name == "write_rows" || op.Name == "add_rms_norm" || op.Name == "rope_cache" ||
		op.Name == "paged_attention" || op.Name == "scatter_rows":
		return d.transformer(op)
	}
	return unsupported(op, "no CUDA kernel")
}

// elementwise launches a strided kernel taking the inputs' base pointers,
// the contiguous output and their layout.
func (d *Device) elementwise(module, kernel string, out *core.Array, in ...*core.Array) error {
	for _, a := range in {
		if !a.Shape().Equal(out.Shape()) {
			return fmt.Errorf("cuda: %s: input %v does not match output shape %v (inputs must be broadcast)", kernel, a, out.Shape())
		}
	}
	l, err := makeLayout(in...)
	if err != nil {
		return err
	}
	if l.n == 0 {
		return nil
	}
	a := &kargs{}
	for _, x := range in {
		a.ptr(basePtr(x))
	}
	a.ptr(dataPtr(out)).layout(l)
	// The module part is chosen by the first data input's dtype (where's
	// a, after the condition), which every kernel name here ends with or,
	// for casts, starts from.
	dt := in[0].DType()
	if strings.HasPrefix(kernel, "where_") {
		dt = in[1].DType()
	}
	return d.launch(module, dt, kernel, d.gridFor(l.n), gridBlock, a)
}

// copyTo gathers src (any strides) into the contiguous dst.
func (d *Device) copyTo(dst, src *core.Array) error {
	n := src.NumElements()
	if n == 0 {
		return nil
	}
	es := src.DType().Size()
	if src.IsContiguous() {
		return check("cuMemcpyDtoDAsync", drv.memcpyDtoDAsync(dataPtr(dst), dataPtr(src), uint64(n*es), d.stream))
	}
	return d.elementwise("cast", fmt.Sprintf("copy_%d", es), dst, src)
}

// basePtr is the address of a's storage; kernels add the layout's offset.
func basePtr(a *core.Array) devicePtr { return a.Storage().(*Storage).ptr }

// dataPtr is the address of a's first element.
func dataPtr(a *core.Array) devicePtr {
	return basePtr(a) + devicePtr(a.Offset()*a.DType().Size())
}

// contiguous returns a as a contiguous array on the device, gathering it
// into a temporary buffer when it is a strided view; the second result
// releases that buffer (after queued work, by stream order).
func (d *Device) contiguous(a *core.Array) (*core.Array, func(), error) {
	if a.IsContiguous() {
		return a, func() {}, nil
	}
	st, err := d.alloc(a.NumElements()*a.DType().Size(), false)
	if err != nil {
		return nil, nil, err
	}
	c, err := core.NewArray(a.DType(), a.Shape(), st, 0)
	if err != nil {
		st.Release()
		return nil, nil, err
	}
	if err := d.copyTo(c, a); err != nil {
		st.Release()
		return nil, nil, err
	}
	return c, st.Release, nil
}
