package core

import (
	"fmt"
	"slices"
)

// Shared validation and set-up for the public op functions: they check
// their operands here, so that every kernel (CPU or device) receives
// inputs of one dtype family, broadcast to Out's shape, on one device.

// broadcastOp checks that ins live on one device and broadcast together,
// allocates Out of dtype outDT there and returns the op with inputs viewed
// at Out's shape.
func broadcastOp(name string, outDT DType, ins ...*Array) (*Op, error) {
	for i, a := range ins {
		if a == nil {
			return nil, fmt.Errorf("%s: operand %d is nil", name, i)
		}
	}
	dev, err := sameDevice(name, ins...)
	if err != nil {
		return nil, err
	}
	shape := ins[0].shape
	for _, a := range ins[1:] {
		if shape, err = BroadcastShapes(shape, a.shape); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	op := &Op{Name: name, Inputs: make([]*Array, len(ins))}
	for i, a := range ins {
		if op.Inputs[i], err = a.BroadcastTo(shape); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if op.Out, err = emptyOutput(dev, outDT, shape); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return op, nil
}

// sameDType checks that a and b have one dtype, naming both otherwise.
func sameDType(name string, a, b *Array) error {
	if a == nil || b == nil {
		return fmt.Errorf("%s: nil operand", name)
	}
	if a.dtype != b.dtype {
		return fmt.Errorf("%s: dtypes differ: %v %v and %v %v", name, a.dtype, a.shape, b.dtype, b.shape)
	}
	return nil
}

// runOp runs op and returns its output.
func runOp(op *Op) (*Array, error) {
	if err := Run(op); err != nil {
		return nil, err
	}
	return op.Out, nil
}

// normAxes normalises axes against rank, rejecting repeats; no axes means
// every axis. The result is sorted.
func normAxes(name string, shape Shape, axes []int) ([]int, error) {
	rank := len(shape)
	if len(axes) == 0 {
		return identityDims(rank), nil
	}
	out := make([]int, 0, len(axes))
	for _, ax := range axes {
		n, err := Axis(ax, rank)
		if err != nil {
			return nil, fmt.Errorf("%s %v: %w", name, shape, err)
		}
		if slices.Contains(out, n) {
			return nil, fmt.Errorf("%s %v: axis %d repeated in %v", name, shape, ax, axes)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// unsupported reports a dtype an op has no meaning for.
func unsupported(name string, d DType) error {
	return fmt.Errorf("%s: not defined for dtype %v", name, d)
}

// wrapTensor turns a typed function's Array result into a Tensor.
func wrapTensor[T Element](a *Array, err error) (*Tensor[T], error) {
	if err != nil {
		return nil, err
	}
	return As[T](a)
}

// arrays returns the Arrays of ts, checking none is nil.
func arrays[T Element](name string, ts ...*Tensor[T]) ([]*Array, error) {
	out := make([]*Array, len(ts))
	for i, t := range ts {
		if t == nil {
			return nil, fmt.Errorf("%s: operand %d is nil", name, i)
		}
		out[i] = t.a
	}
	return out, nil
}
