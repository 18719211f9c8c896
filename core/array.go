package core

import (
	"fmt"
	"slices"
)

// Array is the type-erased tensor handle: what a file loader yields before
// the caller picks an element type, and what device backends operate on.
// Arrays are immutable values; views build new Arrays over the same Storage.
type Array struct {
	dtype   DType
	shape   Shape
	strides []int // in elements; 0 for broadcast dimensions
	offset  int   // in elements
	storage Storage
	meta    Metadata
}

// NewArray builds a contiguous Array of the given dtype and shape over
// storage, starting at element offset. It checks that the storage is large
// enough.
func NewArray(dtype DType, shape Shape, storage Storage, offset int) (*Array, error) {
	if !dtype.Valid() {
		return nil, fmt.Errorf("new array: invalid dtype %v", dtype)
	}
	if err := shape.Validate(); err != nil {
		return nil, fmt.Errorf("new array: %w", err)
	}
	need := (offset + shape.NumElements()) * dtype.Size()
	if offset < 0 || need > storage.Len() {
		return nil, fmt.Errorf("new array: %v %v at element offset %d needs %d bytes, storage has %d", dtype, shape, offset, need, storage.Len())
	}
	return &Array{dtype: dtype, shape: shape.Clone(), strides: shape.Strides(), offset: offset, storage: storage}, nil
}

// Empty allocates a zero-filled contiguous Array on dev.
func Empty(dev Device, dtype DType, shape Shape) (*Array, error) {
	return alloc(dev, dtype, shape, false)
}

// emptyOutput is Empty for an op's output, which its kernel overwrites
// entirely: a device that can skip clearing memory (OutputAllocator) does.
func emptyOutput(dev Device, dtype DType, shape Shape) (*Array, error) {
	return alloc(dev, dtype, shape, true)
}

func alloc(dev Device, dtype DType, shape Shape, output bool) (*Array, error) {
	if err := shape.Validate(); err != nil {
		return nil, err
	}
	if !dtype.Valid() {
		return nil, fmt.Errorf("empty: invalid dtype %v", dtype)
	}
	size, err := byteSize(dtype, shape)
	if err != nil {
		return nil, fmt.Errorf("empty: %w", err)
	}
	var st Storage
	if oa, ok := dev.(OutputAllocator); ok && output {
		st, err = oa.AllocOutput(size)
	} else {
		st, err = dev.Alloc(size)
	}
	if err != nil {
		return nil, fmt.Errorf("allocate %v %v on %s: %w", dtype, shape, dev.Name(), err)
	}
	return &Array{dtype: dtype, shape: shape.Clone(), strides: shape.Strides(), storage: st}, nil
}

// DType returns the element type.
func (a *Array) DType() DType { return a.dtype }

// Shape returns the dimensions (a copy).
func (a *Array) Shape() Shape { return a.shape.Clone() }

// Rank returns the number of dimensions.
func (a *Array) Rank() int { return len(a.shape) }

// Dim returns dimension i (0 <= i < Rank), without the copy Shape makes:
// kernels that run per token check shapes through it.
func (a *Array) Dim(i int) int { return a.shape[i] }

// NumElements returns the element count.
func (a *Array) NumElements() int { return a.shape.NumElements() }

// Strides returns the strides in elements (a copy).
func (a *Array) Strides() []int { return slices.Clone(a.strides) }

// Offset returns the offset of the first element in the storage, in elements.
func (a *Array) Offset() int { return a.offset }

// Storage returns the underlying storage.
func (a *Array) Storage() Storage { return a.storage }

// Device returns the device the data lives on.
func (a *Array) Device() Device { return a.storage.Device() }

// Metadata returns the tensor's metadata (a copy).
func (a *Array) Metadata() Metadata { return a.meta.clone() }

// Name returns the tensor's name.
func (a *Array) Name() string { return a.meta.Name }

// Quant returns the quantization info, or nil for a plain tensor.
func (a *Array) Quant() *QuantizationInfo { return a.meta.Quant }

// WithMetadata returns a view of a with metadata m. DimNames, when set, must
// have one name per dimension.
func (a *Array) WithMetadata(m Metadata) (*Array, error) {
	if m.DimNames != nil && len(m.DimNames) != len(a.shape) {
		return nil, fmt.Errorf("tensor %q: %d dimension names for rank %d", m.Name, len(m.DimNames), len(a.shape))
	}
	c := *a
	c.meta = m.clone()
	c.meta.Quant = m.Quant.clone()
	return &c, nil
}

// IsContiguous reports whether the elements are laid out row-major with no
// gaps, so that the storage range [Offset, Offset+NumElements) holds them
// in order.
func (a *Array) IsContiguous() bool {
	acc := 1
	for i := len(a.shape) - 1; i >= 0; i-- {
		if a.shape[i] == 1 {
			continue
		}
		if a.strides[i] != acc {
			return false
		}
		acc *= a.shape[i]
	}
	return true
}

// String describes the array without its values.
func (a *Array) String() string {
	name := ""
	if a.meta.Name != "" {
		name = fmt.Sprintf("%q ", a.meta.Name)
	}
	return fmt.Sprintf("%s%v%v on %s", name, a.dtype, a.shape, a.Device().Name())
}

// Bytes returns the contiguous row-major bytes of a, copying from the
// device or gathering a strided view as needed. For a contiguous host array
// the result aliases the storage and must not be written.
func (a *Array) Bytes() ([]byte, error) {
	es := a.dtype.Size()
	if hs, ok := a.storage.(HostStorage); ok && a.IsContiguous() {
		b := hs.Bytes()
		return b[a.offset*es : (a.offset+a.NumElements())*es], nil
	}
	// Device memory: To brings the touched span over and gathers it on the
	// host, so a strided view is not first made contiguous on the device.
	c := a
	var err error
	if _, ok := a.storage.(HostStorage); ok {
		c, err = a.Contiguous()
	}
	if err == nil && c.Device() != CPU() {
		c, err = c.To(CPU())
	}
	if err != nil {
		return nil, err
	}
	hs := c.storage.(HostStorage)
	return hs.Bytes()[c.offset*es : (c.offset+c.NumElements())*es], nil
}

// span returns the range of storage elements [lo, hi) that a touches.
func (a *Array) span() (lo, hi int) {
	if a.NumElements() == 0 {
		return a.offset, a.offset
	}
	lo, hi = a.offset, a.offset
	for i, d := range a.shape {
		s := a.strides[i] * (d - 1)
		if s < 0 {
			lo += s
		} else {
			hi += s
		}
	}
	return lo, hi + 1
}
