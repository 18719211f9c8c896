package metal

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/lbrx/lbrx/core"
)

// Storage is a typed view of a Buffer holding n elements of T: the seed
// design's MetalStorage<T>. It is core.Storage too (through Buffer), so a
// core.Array can live in it.
type Storage[T core.Element] struct {
	*Buffer
	n int
}

// NewStorage allocates room for n elements of T from ctx's pool, zeroed.
func NewStorage[T core.Element](n int, ctx *Context) (*Storage[T], error) {
	if n < 0 {
		return nil, fmt.Errorf("metal: negative element count %d", n)
	}
	var z T
	size := int(unsafe.Sizeof(z))
	if n > maxInt/size {
		return nil, fmt.Errorf("metal: %d elements of %d bytes overflow", n, size)
	}
	b, err := New(n*size, ctx)
	if err != nil {
		return nil, err
	}
	return &Storage[T]{Buffer: b, n: n}, nil
}

// Elements is the number of T the storage holds.
func (s *Storage[T]) Elements() int { return s.n }

// CopyFromCPU writes src to the start of the storage.
func (s *Storage[T]) CopyFromCPU(src []T) error {
	if len(src) > s.n {
		return fmt.Errorf("metal: copy of %d elements into storage of %d", len(src), s.n)
	}
	return s.ctx.CopyFromHost(s.Buffer, 0, bytesOf(src))
}

// CopyToCPU reads the first len(dst) elements, waiting for the GPU work
// that writes them.
func (s *Storage[T]) CopyToCPU(dst []T) error {
	if len(dst) > s.n {
		return fmt.Errorf("metal: read of %d elements from storage of %d", len(dst), s.n)
	}
	return s.ctx.CopyToHost(bytesOf(dst), s.Buffer, 0)
}

// Array views the first elements of the storage as a contiguous array of
// the given shape.
func (s *Storage[T]) Array(shape ...int) (*core.Array, error) {
	if s.Buffer == nil {
		return nil, errors.New("metal: nil storage")
	}
	return core.NewArray(core.DTypeOf[T](), core.Shape(shape), s.Buffer, 0)
}

// bytesOf views a typed slice as its bytes without copying.
func bytesOf[T core.Element](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(z)))
}
