package core

import (
	"fmt"
	"math"
)

// Reductions over any set of axes: sum, mean, max, min, var, and argmax
// over one axis.
//
// Op convention: Inputs[0] is the tensor reduced, Axes the sorted,
// normalised axes, and Out has the keepdims=true shape (reduced axes of
// size 1, same rank as the input); the public functions drop those axes
// afterwards with a free reshape when keepDims is false. For var, Param is
// ddof. argmax has exactly one axis and an I64 Out.
//
// Float sums accumulate in float64 (f16/bf16 values are widened first) and
// round once. Integer sums wrap in the input type. max/min propagate NaN;
// argmax returns the first maximal position, or the first NaN's. The sum
// of nothing is 0, the mean of nothing NaN; max, min and argmax of an
// empty axis are errors. var divides by count-ddof and is NaN when that
// is not positive.

var reduceNames = []string{"sum", "mean", "max", "min", "var"}

func init() {
	for _, n := range reduceNames {
		registerCPU(n, cpuReduce)
	}
	registerCPU("argmax", cpuArgMax)
}

// reduceOp validates and runs a reduction, returning Out in keepdims form.
func reduceOp(name string, x *Array, axes []int, param float64) (*Array, error) {
	if x == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	if !reduceSupports(name, x.dtype) {
		return nil, unsupported(name, x.dtype)
	}
	ax, err := normAxes(name, x.shape, axes)
	if err != nil {
		return nil, err
	}
	outShape := x.shape.Clone()
	count := 1
	for _, a := range ax {
		count *= outShape[a]
		outShape[a] = 1
	}
	if count == 0 && outShape.NumElements() > 0 && (name == "max" || name == "min" || name == "argmax") {
		return nil, fmt.Errorf("%s %v over axes %v: reduction of an empty axis has no result", name, x.shape, ax)
	}
	outDT := x.dtype
	if name == "argmax" {
		outDT = I64
	}
	out, err := emptyOutput(x.Device(), outDT, outShape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	op := &Op{Name: name, Inputs: []*Array{x}, Out: out, Axes: ax, Param: param}
	if name == "var" {
		op.Attrs = VarAttrs{DDOF: param}
	}
	return runOp(op)
}

func reduceSupports(name string, d DType) bool {
	switch name {
	case "mean", "var":
		return d.IsFloat()
	default:
		return d.IsFloat() || d.IsInteger()
	}
}

// dropAxes views keepdims-form r without the reduced axes.
func dropAxes(r *Array, axes []int, keepDims bool) (*Array, error) {
	if keepDims {
		return r, nil
	}
	var shape []int
	for i, d := range r.shape {
		drop := false
		for _, a := range axes {
			drop = drop || a == i
		}
		if !drop {
			shape = append(shape, d)
		}
	}
	if shape == nil {
		shape = []int{}
	}
	return r.Reshape(shape...)
}

// ReduceOp reduces x with "sum", "mean", "max" or "min" over axes (all of
// them when none are given), keeping the reduced axes with size 1 when
// keepDims is set.
func ReduceOp(name string, x *Array, axes []int, keepDims bool) (*Array, error) {
	switch name {
	case "sum", "mean", "max", "min":
	default:
		return nil, fmt.Errorf("reduction %q is not known (use VarianceOp or ArgMaxOp for var and argmax)", name)
	}
	r, err := reduceOp(name, x, axes, 0)
	if err != nil {
		return nil, err
	}
	ax, _ := normAxes(name, x.shape, axes) // validated by reduceOp
	return dropAxes(r, ax, keepDims)
}

// VarianceOp returns the variance of x over axes with ddof delta degrees
// of freedom (0: population variance, 1: sample variance).
func VarianceOp(x *Array, axes []int, ddof int, keepDims bool) (*Array, error) {
	if ddof < 0 {
		return nil, fmt.Errorf("var: ddof %d is negative", ddof)
	}
	r, err := reduceOp("var", x, axes, float64(ddof))
	if err != nil {
		return nil, err
	}
	ax, _ := normAxes("var", x.shape, axes)
	return dropAxes(r, ax, keepDims)
}

// ArgMaxOp returns the I64 position of the largest element along axis.
func ArgMaxOp(x *Array, axis int, keepDims bool) (*Array, error) {
	if x == nil {
		return nil, fmt.Errorf("argmax: nil operand")
	}
	ax, err := Axis(axis, len(x.shape))
	if err != nil {
		return nil, fmt.Errorf("argmax %v: %w", x.shape, err)
	}
	r, err := reduceOp("argmax", x, []int{ax}, 0)
	if err != nil {
		return nil, err
	}
	return dropAxes(r, []int{ax}, keepDims)
}

func reduceT[T Numeric](name string, x *Tensor[T], keepDims bool, axes []int) (*Tensor[T], error) {
	if x == nil {
		return nil, fmt.Errorf("%s: nil operand", name)
	}
	return wrapTensor[T](ReduceOp(name, x.a, axes, keepDims))
}

// Sum adds the elements of x over axes (every axis when none are given).
func Sum[T Numeric](x *Tensor[T], keepDims bool, axes ...int) (*Tensor[T], error) {
	return reduceT("sum", x, keepDims, axes)
}

// Mean averages x over axes (every axis when none are given).
func Mean[T Float](x *Tensor[T], keepDims bool, axes ...int) (*Tensor[T], error) {
	return reduceT("mean", x, keepDims, axes)
}

// Max returns the largest element of x over axes (every axis when none
// are given).
func Max[T Numeric](x *Tensor[T], keepDims bool, axes ...int) (*Tensor[T], error) {
	return reduceT("max", x, keepDims, axes)
}

// Min returns the smallest element of x over axes (every axis when none
// are given).
func Min[T Numeric](x *Tensor[T], keepDims bool, axes ...int) (*Tensor[T], error) {
	return reduceT("min", x, keepDims, axes)
}

// Variance returns the variance of x over axes (every axis when none are
// given), dividing by count-ddof.
func Variance[T Float](x *Tensor[T], ddof int, keepDims bool, axes ...int) (*Tensor[T], error) {
	if x == nil {
		return nil, fmt.Errorf("var: nil operand")
	}
	return wrapTensor[T](VarianceOp(x.a, axes, ddof, keepDims))
}

// ArgMax returns the position of the largest element of x along axis.
func ArgMax[T Numeric](x *Tensor[T], axis int, keepDims bool) (*Tensor[int64], error) {
	if x == nil {
		return nil, fmt.Errorf("argmax: nil operand")
	}
	return wrapTensor[int64](ArgMaxOp(x.a, axis, keepDims))
}

// reduceGeom splits x's geometry into the walk over output elements
// (paired with x's offset of each) and the walk over one reduced block.
func reduceGeom(op *Op) (outer, inner *geom, count int) {
	x := op.Inputs[0]
	innerShape := make(Shape, len(x.shape))
	count = 1
	for i := range innerShape {
		innerShape[i] = 1
	}
	for _, a := range op.Axes {
		innerShape[a] = x.shape[a]
		count *= x.shape[a]
	}
	return newGeom(op.Out.shape, op.Out.strides, x.strides), newGeom(innerShape, x.strides), count
}

func cpuReduce(op *Op) error {
	op, err := alignedOp(op)
	if err != nil {
		return err
	}
	d := op.Inputs[0].dtype
	if !reduceSupports(op.Name, d) {
		return unsupported(op.Name, d)
	}
	switch computeType(d) {
	case F32:
		return reduceKernel[float32](op)
	case F64:
		return reduceKernel[float64](op)
	case I8:
		return reduceKernel[int8](op)
	case U8:
		return reduceKernel[uint8](op)
	case I16:
		return reduceKernel[int16](op)
	case I32:
		return reduceKernel[int32](op)
	case I64:
		return reduceKernel[int64](op)
	case U32:
		return reduceKernel[uint32](op)
	}
	return unsupported(op.Name, d)
}

// reducer accumulates one reduced block, chunk by chunk. Its state lives
// in a struct rather than in closures so that reducing many small blocks
// does not allocate per output element.
type reducer[C number] struct {
	name    string
	isFloat bool
	ddof    float64
	pass    int     // var reads each block twice: mean, then squares
	fsum    float64 // float sums (and the squares of var's second pass)
	isum    C       // integer sums, wrapping like the type
	mean    float64
	m       C // max/min so far
	first   bool
}

func (r *reducer[C]) reset() {
	r.pass, r.fsum, r.isum, r.first = 0, 0, 0, true
}

func (r *reducer[C]) add(v []C) {
	switch r.name {
	case "sum", "mean":
		if r.isFloat {
			for _, x := range v {
				r.fsum += float64(x)
			}
			return
		}
		for _, x := range v {
			r.isum += x
		}
	case "var":
		if r.pass == 0 {
			for _, x := range v {
				r.fsum += float64(x)
			}
			return
		}
		for _, x := range v {
			d := float64(x) - r.mean
			r.fsum += d * d
		}
	case "max":
		for _, x := range v {
			switch {
			case isNaN(r.m) && !r.first: // a NaN found earlier sticks
			case r.first || isNaN(x) || x > r.m:
				r.m = x
			}
			r.first = false
		}
	case "min":
		for _, x := range v {
			switch {
			case isNaN(r.m) && !r.first:
			case r.first || isNaN(x) || x < r.m:
				r.m = x
			}
			r.first = false
		}
	}
}

// needsPass reports whether another pass over the block is needed, and
// prepares it.
func (r *reducer[C]) needsPass(count int) bool {
	if r.name != "var" || r.pass > 0 {
		return false
	}
	r.mean = r.fsum / float64(count)
	r.pass, r.fsum = 1, 0
	return float64(count)-r.ddof > 0
}

func (r *reducer[C]) result(count int) C {
	switch r.name {
	case "sum":
		if r.isFloat {
			return C(r.fsum)
		}
		return r.isum
	case "mean":
		return C(r.fsum / float64(count))
	case "var":
		den := float64(count) - r.ddof
		if den <= 0 {
			return C(math.NaN())
		}
		return C(r.fsum / den)
	}
	return r.m
}

// reduceKernel reduces each block of Inputs[0] into one element of Out.
func reduceKernel[C number](op *Op) error {
	x := op.Inputs[0]
	rx, err := reader[C](x)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	get, put, err := writer[C](op.Out)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	outer, inner, count := reduceGeom(op)
	if count == 0 && op.Out.NumElements() > 0 && (op.Name == "max" || op.Name == "min") {
		return fmt.Errorf("%s %v: reduction of an empty axis has no result", op.Name, x.shape)
	}
	r := &reducer[C]{name: op.Name, isFloat: x.dtype.IsFloat(), ddof: op.Param}
	buf, one := make([]C, chunkLen), make([]C, 1)
	base := []int{0}
	feed := func(io []int, m int, ist []int) {
		for j := 0; j < m; j += chunkLen {
			r.add(rx(io[0]+j*ist[0], ist[0], min(chunkLen, m-j), buf))
		}
	}
	outer.each([]int{op.Out.offset, x.offset}, func(offs []int, n int, st []int) {
		for t := range n {
			base[0] = offs[1] + t*st[1]
			r.reset()
			inner.each(base, feed)
			if r.needsPass(count) {
				inner.each(base, feed)
			}
			o := offs[0] + t*st[0]
			dst := get(o, 1, 1, one)
			dst[0] = r.result(count)
			put(o, 1, dst)
		}
	})
	return nil
}

func cpuArgMax(op *Op) error {
	op, err := alignedOp(op)
	if err != nil {
		return err
	}
	switch d := op.Inputs[0].dtype; computeType(d) {
	case F32:
		return argMaxKernel[float32](op)
	case F64:
		return argMaxKernel[float64](op)
	case I8:
		return argMaxKernel[int8](op)
	case U8:
		return argMaxKernel[uint8](op)
	case I16:
		return argMaxKernel[int16](op)
	case I32:
		return argMaxKernel[int32](op)
	case I64:
		return argMaxKernel[int64](op)
	case U32:
		return argMaxKernel[uint32](op)
	default:
		return unsupported(op.Name, d)
	}
}

func argMaxKernel[C number](op *Op) error {
	if len(op.Axes) != 1 {
		return fmt.Errorf("argmax: needs exactly one axis, got %v", op.Axes)
	}
	x := op.Inputs[0]
	rx, err := reader[C](x)
	if err != nil {
		return fmt.Errorf("argmax: %w", err)
	}
	out, err := hostSlice[int64](op.Out)
	if err != nil {
		return fmt.Errorf("argmax: %w", err)
	}
	ax := op.Axes[0]
	n, stride := x.shape[ax], x.strides[ax]
	if n == 0 && op.Out.NumElements() > 0 {
		return fmt.Errorf("argmax %v: axis %d is empty", x.shape, ax)
	}
	outer := newGeom(op.Out.shape, op.Out.strides, x.strides)
	buf := make([]C, chunkLen)
	outer.each([]int{op.Out.offset, x.offset}, func(offs []int, m int, st []int) {
		for t := range m {
			base := offs[1] + t*st[1]
			best, bi := C(0), -1
		scan:
			for j := 0; j < n; j += chunkLen {
				v := rx(base+j*stride, stride, min(chunkLen, n-j), buf)
				for k, e := range v {
					if isNaN(e) { // NaN wins, first one
						bi = j + k
						break scan
					}
					if bi < 0 || e > best {
						best, bi = e, j+k
					}
				}
			}
			out[offs[0]+t*st[0]] = int64(bi)
		}
	})
	return nil
}
