package core

import (
	"fmt"
	"unsafe"
)

// Storage holds the bytes of one or more tensors on some device. Tensors
// address it in elements through their offset and strides; several views
// may share one Storage.
type Storage interface {
	// Device is where the bytes live.
	Device() Device
	// Len is the size in bytes.
	Len() int
}

// HostStorage is Storage whose bytes the CPU can address directly: memory
// from the Go heap, a mapped file, or unified memory a GPU shares.
type HostStorage interface {
	Storage
	// Bytes returns the storage's memory. Callers must not write to it
	// unless Writable reports true.
	Bytes() []byte
	// Writable reports whether Bytes may be written (false for a read-only
	// file mapping).
	Writable() bool
}

// hostAlign is the alignment of Go-allocated tensor memory: a cache line,
// and enough for every SIMD load lbrx issues.
const hostAlign = 64

// Heap is HostStorage allocated from the Go heap, 64-byte aligned.
type Heap struct {
	buf []byte
}

// NewHeap allocates n zeroed bytes, 64-byte aligned.
func NewHeap(n int) *Heap {
	if n == 0 {
		return &Heap{buf: []byte{}}
	}
	return alignedHeap(make([]byte, n+hostAlign-1), n)
}

// Device returns the CPU device.
func (h *Heap) Device() Device { return CPU() }

// Len returns the size in bytes.
func (h *Heap) Len() int { return len(h.buf) }

// Bytes returns the memory.
func (h *Heap) Bytes() []byte { return h.buf }

// Writable is true: heap memory belongs to lbrx.
func (h *Heap) Writable() bool { return true }

// typedSlice reinterprets b as []T. It fails instead of building a
// misaligned typed slice, which checkptr and some CPUs reject.
func typedSlice[T Element](b []byte) ([]T, error) {
	var z T
	size := int(unsafe.Sizeof(z))
	if len(b) == 0 {
		return []T{}, nil
	}
	if len(b)%size != 0 {
		return nil, fmt.Errorf("byte length %d is not a multiple of the element size %d", len(b), size)
	}
	if uintptr(unsafe.Pointer(&b[0]))%unsafe.Alignof(z) != 0 {
		return nil, errMisaligned
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/size), nil
}

// bytesOf reinterprets a typed slice as its bytes without copying.
func bytesOf[T Element](s []T) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z)))
}
