package core

import (
	"errors"
	"fmt"
	"runtime"
)

// Tensor is an n-dimensional array of T: a shape, strides and an offset
// over a Storage, plus Metadata. Views (Slice, Permute, BroadcastTo,
// Reshape, ...) share storage and never copy. A Tensor is immutable from
// the outside: ops return new tensors.
type Tensor[T Element] struct {
	a *Array
}

// As views the type-erased a as a Tensor[T]; the dtypes must match.
func As[T Element](a *Array) (*Tensor[T], error) {
	if a == nil {
		return nil, errors.New("as tensor: nil array")
	}
	if want := DTypeOf[T](); a.dtype != want {
		return nil, fmt.Errorf("tensor %v: is %v, not %v", a, a.dtype, want)
	}
	return &Tensor[T]{a: a}, nil
}

func wrap[T Element](a *Array, err error) (*Tensor[T], error) {
	if err != nil {
		return nil, err
	}
	return &Tensor[T]{a: a}, nil
}

// FromSlice copies data into a new CPU tensor of the given shape.
func FromSlice[T Element](data []T, shape ...int) (*Tensor[T], error) {
	s := Shape(shape)
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.NumElements() != len(data) {
		return nil, fmt.Errorf("from slice: %d values for shape %v (%d elements)", len(data), s, s.NumElements())
	}
	a, err := Empty(CPU(), DTypeOf[T](), s)
	if err != nil {
		return nil, err
	}
	copy(a.storage.(HostStorage).Bytes(), bytesOf(data))
	return &Tensor[T]{a: a}, nil
}

// Zeros returns a zero-filled CPU tensor.
func Zeros[T Element](shape ...int) (*Tensor[T], error) {
	return wrap[T](Empty(CPU(), DTypeOf[T](), Shape(shape)))
}

// Full returns a CPU tensor with every element v.
func Full[T Element](v T, shape ...int) (*Tensor[T], error) {
	t, err := Zeros[T](shape...)
	if err != nil {
		return nil, err
	}
	d, _ := typedSlice[T](t.a.storage.(HostStorage).Bytes())
	for i := range d {
		d[i] = v
	}
	return t, nil
}

// Scalar returns a rank-0 CPU tensor holding v.
func Scalar[T Element](v T) *Tensor[T] {
	t, _ := FromSlice([]T{v}) // a one-element slice always matches shape []
	return t
}

// Array returns the type-erased handle (shared, not copied).
func (t *Tensor[T]) Array() *Array { return t.a }

// DType returns the element type.
func (t *Tensor[T]) DType() DType { return t.a.dtype }

// Shape returns the dimensions.
func (t *Tensor[T]) Shape() Shape { return t.a.Shape() }

// Strides returns the strides in elements.
func (t *Tensor[T]) Strides() []int { return t.a.Strides() }

// Rank returns the number of dimensions.
func (t *Tensor[T]) Rank() int { return len(t.a.shape) }

// NumElements returns the element count.
func (t *Tensor[T]) NumElements() int { return t.a.NumElements() }

// Device returns where the data lives.
func (t *Tensor[T]) Device() Device { return t.a.Device() }

// Metadata returns the tensor's metadata.
func (t *Tensor[T]) Metadata() Metadata { return t.a.Metadata() }

// WithMetadata returns a view carrying m.
func (t *Tensor[T]) WithMetadata(m Metadata) (*Tensor[T], error) {
	return wrap[T](t.a.WithMetadata(m))
}

// IsContiguous reports whether the data is row-major without gaps.
func (t *Tensor[T]) IsContiguous() bool { return t.a.IsContiguous() }

// String describes the tensor without its values.
func (t *Tensor[T]) String() string { return t.a.String() }

// Values returns the elements in row-major order as a new slice, reading
// from the device and gathering strided views as needed.
func (t *Tensor[T]) Values() ([]T, error) {
	b, err := t.a.Bytes()
	if err != nil {
		return nil, err
	}
	out := make([]T, t.a.NumElements())
	copy(bytesOf(out), b)
	runtime.KeepAlive(t.a) // b may point into a file mapping t.a keeps alive
	return out, nil
}

// Data returns the elements of a contiguous, aligned CPU tensor without
// copying. Writing to it changes the tensor (and every view of its
// storage); it fails for read-only storage such as a mapped file, for
// views that are not contiguous, and for device tensors.
func (t *Tensor[T]) Data() ([]T, error) {
	hs, ok := t.a.storage.(HostStorage)
	if !ok {
		return nil, fmt.Errorf("data of %v: not in host memory (use Values or To(CPU()))", t.a)
	}
	if !hs.Writable() {
		return nil, fmt.Errorf("data of %v: storage is read-only (use Values)", t.a)
	}
	if !t.a.IsContiguous() {
		return nil, fmt.Errorf("data of %v: not contiguous (use Contiguous or Values)", t.a)
	}
	es := t.a.dtype.Size()
	d, err := typedSlice[T](hs.Bytes()[t.a.offset*es : (t.a.offset+t.a.NumElements())*es])
	if err != nil {
		return nil, fmt.Errorf("data of %v: %w", t.a, err)
	}
	return d, nil
}

// At returns the element at the given index (one per dimension).
func (t *Tensor[T]) At(idx ...int) (T, error) {
	var z T
	if len(idx) != len(t.a.shape) {
		return z, fmt.Errorf("at %v: %d indices for rank %d", t.a.shape, len(idx), len(t.a.shape))
	}
	off := t.a.offset
	for i, x := range idx {
		if x < 0 || x >= t.a.shape[i] {
			return z, fmt.Errorf("at %v: index %d out of range for axis %d", t.a.shape, x, i)
		}
		off += x * t.a.strides[i]
	}
	es := t.a.dtype.Size()
	one := make([]T, 1)
	if err := t.a.Device().CopyToHost(bytesOf(one), t.a.storage, off*es); err != nil {
		return z, err
	}
	return one[0], nil
}

// Contiguous returns a row-major copy, or t itself when it already is.
func (t *Tensor[T]) Contiguous() (*Tensor[T], error) { return wrap[T](t.a.Contiguous()) }

// To moves the tensor, with its metadata, to dev.
func (t *Tensor[T]) To(dev Device) (*Tensor[T], error) { return wrap[T](t.a.To(dev)) }

// Slice views elements start..stop (exclusive) by step along axis.
func (t *Tensor[T]) Slice(axis, start, stop, step int) (*Tensor[T], error) {
	return wrap[T](t.a.Slice(axis, start, stop, step))
}

// Index selects position i along axis, dropping the axis.
func (t *Tensor[T]) Index(axis, i int) (*Tensor[T], error) { return wrap[T](t.a.Index(axis, i)) }

// Permute reorders the axes.
func (t *Tensor[T]) Permute(axes ...int) (*Tensor[T], error) { return wrap[T](t.a.Permute(axes...)) }

// Transpose swaps axes i and j.
func (t *Tensor[T]) Transpose(i, j int) (*Tensor[T], error) { return wrap[T](t.a.Transpose(i, j)) }

// T swaps the last two axes.
func (t *Tensor[T]) T() (*Tensor[T], error) { return wrap[T](t.a.T()) }

// BroadcastTo views t as shape.
func (t *Tensor[T]) BroadcastTo(shape ...int) (*Tensor[T], error) {
	return wrap[T](t.a.BroadcastTo(Shape(shape)))
}

// Reshape views contiguous data with a new shape (one dimension may be -1).
func (t *Tensor[T]) Reshape(shape ...int) (*Tensor[T], error) { return wrap[T](t.a.Reshape(shape...)) }

// Squeeze removes size-1 axes (all of them when none are given).
func (t *Tensor[T]) Squeeze(axes ...int) (*Tensor[T], error) { return wrap[T](t.a.Squeeze(axes...)) }

// Unsqueeze inserts a size-1 axis.
func (t *Tensor[T]) Unsqueeze(axis int) (*Tensor[T], error) { return wrap[T](t.a.Unsqueeze(axis)) }
