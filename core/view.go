package core

import (
	"fmt"
	"slices"
)

// view returns a copy of a with new geometry; metadata is kept and
// DimNames follow dims (nil dims drops them).
func (a *Array) view(shape Shape, strides []int, offset int, dims []int) *Array {
	c := *a
	c.shape, c.strides, c.offset = shape, strides, offset
	c.meta = a.meta.clone()
	if a.meta.DimNames != nil {
		if dims == nil {
			c.meta.DimNames = nil
		} else {
			names := make([]string, len(dims))
			for i, d := range dims {
				if d >= 0 {
					names[i] = a.meta.DimNames[d]
				}
			}
			c.meta.DimNames = names
		}
	}
	return &c
}

func identityDims(n int) []int {
	d := make([]int, n)
	for i := range d {
		d[i] = i
	}
	return d
}

// Slice returns the view of elements start, start+step, ... < stop along
// axis. Negative start/stop count from the end; step must be positive.
func (a *Array) Slice(axis, start, stop, step int) (*Array, error) {
	ax, err := Axis(axis, len(a.shape))
	if err != nil {
		return nil, fmt.Errorf("slice %v: %w", a.shape, err)
	}
	if step <= 0 {
		return nil, fmt.Errorf("slice %v: step %d must be positive", a.shape, step)
	}
	n := a.shape[ax]
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 || stop > n || start > stop {
		return nil, fmt.Errorf("slice %v: range [%d:%d] is out of bounds for axis %d of size %d", a.shape, start, stop, axis, n)
	}
	shape, strides := a.shape.Clone(), slices.Clone(a.strides)
	shape[ax] = (stop - start + step - 1) / step
	off := a.offset
	if shape[ax] > 0 {
		off += start * a.strides[ax]
	}
	strides[ax] *= step
	return a.view(shape, strides, off, identityDims(len(shape))), nil
}

// Index selects position i of axis, dropping that axis (like x[..., i]).
func (a *Array) Index(axis, i int) (*Array, error) {
	ax, err := Axis(axis, len(a.shape))
	if err != nil {
		return nil, fmt.Errorf("index %v: %w", a.shape, err)
	}
	if i < 0 {
		i += a.shape[ax]
	}
	if i < 0 || i >= a.shape[ax] {
		return nil, fmt.Errorf("index %v: position %d is out of range for axis %d of size %d", a.shape, i, axis, a.shape[ax])
	}
	shape := slices.Delete(a.shape.Clone(), ax, ax+1)
	strides := slices.Delete(slices.Clone(a.strides), ax, ax+1)
	dims := slices.Delete(identityDims(len(a.shape)), ax, ax+1)
	return a.view(shape, strides, a.offset+i*a.strides[ax], dims), nil
}

// Permute reorders the axes: result axis i is a's axis axes[i].
func (a *Array) Permute(axes ...int) (*Array, error) {
	if len(axes) != len(a.shape) {
		return nil, fmt.Errorf("permute %v: %d axes given for rank %d", a.shape, len(axes), len(a.shape))
	}
	seen := make([]bool, len(axes))
	shape, strides, dims := make(Shape, len(axes)), make([]int, len(axes)), make([]int, len(axes))
	for i, ax := range axes {
		n, err := Axis(ax, len(a.shape))
		if err != nil {
			return nil, fmt.Errorf("permute %v: %w", a.shape, err)
		}
		if seen[n] {
			return nil, fmt.Errorf("permute %v: axis %d repeated in %v", a.shape, ax, axes)
		}
		seen[n] = true
		shape[i], strides[i], dims[i] = a.shape[n], a.strides[n], n
	}
	return a.view(shape, strides, a.offset, dims), nil
}

// Transpose swaps two axes.
func (a *Array) Transpose(i, j int) (*Array, error) {
	axes := identityDims(len(a.shape))
	x, err := Axis(i, len(a.shape))
	if err != nil {
		return nil, fmt.Errorf("transpose %v: %w", a.shape, err)
	}
	y, err := Axis(j, len(a.shape))
	if err != nil {
		return nil, fmt.Errorf("transpose %v: %w", a.shape, err)
	}
	axes[x], axes[y] = y, x
	return a.Permute(axes...)
}

// T swaps the last two axes (the matrix transpose of each batch entry).
func (a *Array) T() (*Array, error) {
	if len(a.shape) < 2 {
		return nil, fmt.Errorf("transpose %v: need at least 2 dimensions", a.shape)
	}
	return a.Transpose(-2, -1)
}

// BroadcastTo views a as shape under numpy broadcasting (stride 0 on
// repeated dimensions).
func (a *Array) BroadcastTo(shape Shape) (*Array, error) {
	st, err := broadcastStrides(a.shape, a.strides, shape)
	if err != nil {
		return nil, err
	}
	var dims []int
	if a.meta.DimNames != nil {
		dims = make([]int, len(shape))
		off := len(shape) - len(a.shape)
		for i := range dims {
			dims[i] = i - off
		}
	}
	return a.view(shape.Clone(), st, a.offset, dims), nil
}

// Reshape views contiguous data with a new shape; one dimension may be -1
// and is then inferred. A non-contiguous array is an error: call
// Contiguous first (the copy is then explicit).
func (a *Array) Reshape(shape ...int) (*Array, error) {
	s := Shape(slices.Clone(shape))
	infer, known := -1, 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return nil, fmt.Errorf("reshape %v to %v: invalid dimension %d", a.shape, Shape(shape), d)
		default:
			known *= d
		}
	}
	n := a.NumElements()
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return nil, fmt.Errorf("reshape %v to %v: cannot infer dimension %d", a.shape, Shape(shape), infer)
		}
		s[infer] = n / known
	}
	if s.NumElements() != n {
		return nil, fmt.Errorf("reshape %v to %v: element counts %d and %d differ", a.shape, s, n, s.NumElements())
	}
	if !a.IsContiguous() {
		return nil, fmt.Errorf("reshape %v to %v: array is not contiguous (call Contiguous first)", a.shape, s)
	}
	return a.view(s, s.Strides(), a.offset, nil), nil
}

// Squeeze removes the given axes, which must have size 1; with no axes it
// removes every size-1 axis.
func (a *Array) Squeeze(axes ...int) (*Array, error) {
	drop := make([]bool, len(a.shape))
	if len(axes) == 0 {
		for i, d := range a.shape {
			drop[i] = d == 1
		}
	}
	for _, ax := range axes {
		n, err := Axis(ax, len(a.shape))
		if err != nil {
			return nil, fmt.Errorf("squeeze %v: %w", a.shape, err)
		}
		if a.shape[n] != 1 {
			return nil, fmt.Errorf("squeeze %v: axis %d has size %d, not 1", a.shape, ax, a.shape[n])
		}
		drop[n] = true
	}
	var shape Shape
	var strides, dims []int
	for i := range a.shape {
		if !drop[i] {
			shape, strides, dims = append(shape, a.shape[i]), append(strides, a.strides[i]), append(dims, i)
		}
	}
	return a.view(shape, strides, a.offset, dims), nil
}

// Unsqueeze inserts a size-1 axis at position axis (0..rank; negative
// counts from the end of the result).
func (a *Array) Unsqueeze(axis int) (*Array, error) {
	ax, err := Axis(axis, len(a.shape)+1)
	if err != nil {
		return nil, fmt.Errorf("unsqueeze %v: %w", a.shape, err)
	}
	shape := slices.Insert(a.shape.Clone(), ax, 1)
	st := 1
	if ax < len(a.shape) {
		st = a.strides[ax] * a.shape[ax]
	}
	strides := slices.Insert(slices.Clone(a.strides), ax, st)
	dims := slices.Insert(identityDims(len(a.shape)), ax, -1)
	return a.view(shape, strides, a.offset, dims), nil
}
