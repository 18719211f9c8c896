package core

import "fmt"

// concat joins tensors of one dtype along an axis; all other dimensions
// must be equal.
//
// Op convention: Inputs are the operands in order, Axes holds the one
// normalised axis, Out is their concatenation.

func init() { registerCPU("concat", cpuConcat) }

// ConcatOp joins xs along axis (negative counts from the end).
func ConcatOp(axis int, xs ...*Array) (*Array, error) {
	if len(xs) == 0 {
		return nil, fmt.Errorf("concat: no operands")
	}
	for i, x := range xs {
		if x == nil {
			return nil, fmt.Errorf("concat: operand %d is nil", i)
		}
	}
	first := xs[0]
	if first.Rank() == 0 {
		return nil, fmt.Errorf("concat: operand 0 is a scalar; concatenation needs at least one dimension")
	}
	ax, err := Axis(axis, first.Rank())
	if err != nil {
		return nil, fmt.Errorf("concat %v: %w", first.shape, err)
	}
	dev, err := sameDevice("concat", xs...)
	if err != nil {
		return nil, err
	}
	shape := first.shape.Clone()
	for i, x := range xs[1:] {
		if x.dtype != first.dtype {
			return nil, fmt.Errorf("concat: operand %d is %v, operand 0 is %v", i+1, x.dtype, first.dtype)
		}
		if x.Rank() != first.Rank() {
			return nil, fmt.Errorf("concat: operand %d has shape %v, operand 0 has %v: ranks differ", i+1, x.shape, first.shape)
		}
		for d := range shape {
			if d != ax && x.shape[d] != first.shape[d] {
				return nil, fmt.Errorf("concat along axis %d: operand %d has shape %v, operand 0 has %v: dimension %d differs", ax, i+1, x.shape, first.shape, d)
			}
		}
		shape[ax] += x.shape[ax]
	}
	if err := shape.Validate(); err != nil {
		return nil, fmt.Errorf("concat: %w", err)
	}
	out, err := emptyOutput(dev, first.dtype, shape)
	if err != nil {
		return nil, fmt.Errorf("concat: %w", err)
	}
	return runOp(&Op{Name: "concat", Inputs: append([]*Array(nil), xs...), Out: out, Axes: []int{ax}})
}

// Concat joins ts along axis; every other dimension must match.
func Concat[T Element](axis int, ts ...*Tensor[T]) (*Tensor[T], error) {
	as, err := arrays("concat", ts...)
	if err != nil {
		return nil, err
	}
	return wrapTensor[T](ConcatOp(axis, as...))
}

func cpuConcat(op *Op) error {
	op, err := alignedOp(op)
	if err != nil {
		return err
	}
	if len(op.Axes) != 1 {
		return fmt.Errorf("concat: needs exactly one axis, got %v", op.Axes)
	}
	ax, start := op.Axes[0], 0
	for _, x := range op.Inputs {
		n := x.shape[ax]
		dst, err := op.Out.Slice(ax, start, start+n, 1)
		if err != nil {
			return fmt.Errorf("concat: %w", err)
		}
		if err := copyElements(dst, x); err != nil {
			return fmt.Errorf("concat: %w", err)
		}
		start += n
	}
	return nil
}

// copyElements copies src into the same-shaped view dst, element by
// element, whatever the strides of either.
func copyElements(dst, src *Array) error {
	switch dst.dtype.Size() {
	case 1:
		return copyAs[uint8](dst, src)
	case 2:
		return copyAs[Float16](dst, src)
	case 4:
		return copyAs[uint32](dst, src)
	case 8:
		return copyAs[int64](dst, src)
	}
	return unsupported("copy", dst.dtype)
}

// copyAs moves elements as the same-sized carrier W: only their bits
// matter.
func copyAs[W Element](dst, src *Array) error {
	d, err := hostSlice[W](dst)
	if err != nil {
		return err
	}
	s, err := hostSlice[W](src)
	if err != nil {
		return err
	}
	forRows([]*Array{dst, src}, func(offs []int, n int, st []int) {
		if st[0] == 1 && st[1] == 1 {
			copy(d[offs[0]:offs[0]+n], s[offs[1]:offs[1]+n])
			return
		}
		di, si := offs[0], offs[1]
		for range n {
			d[di] = s[si]
			di, si = di+st[0], si+st[1]
		}
	})
	return nil
}
