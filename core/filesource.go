package core

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"unsafe"
)

// FileSource yields the tensors stored in one file: a Mapped file (views,
// no copy) or a FileReader (positioned reads into the heap). Model file
// readers (safetensors, GGUF) load through it.
type FileSource interface {
	// Array returns the contiguous tensor of dtype and shape whose bytes
	// start at byte offset off of the file.
	Array(dtype DType, shape Shape, off int64) (*Array, error)
	// ReadBytes returns n bytes at off; for a mapping the result aliases
	// the file and must not be written.
	ReadBytes(off, n int64) ([]byte, error)
	// Size is the file size in bytes.
	Size() int64
	// Path names the file in errors.
	Path() string
	Close() error
}

// LoadMode chooses how OpenFileSource reads a file.
type LoadMode int

const (
	// LoadAuto maps the file where the OS supports it and reads it with
	// positioned reads elsewhere.
	LoadAuto LoadMode = iota
	// LoadMmap maps the file and fails where mapping is unsupported.
	LoadMmap
	// LoadReadAt reads each tensor with pread into heap memory.
	LoadReadAt
)

// OpenFileSource opens path in the given mode.
func OpenFileSource(path string, mode LoadMode) (FileSource, error) {
	switch mode {
	case LoadAuto:
		if !mmapSupported {
			return OpenFileReader(path)
		}
		return MapFile(path)
	case LoadMmap:
		return MapFile(path)
	case LoadReadAt:
		return OpenFileReader(path)
	}
	return nil, fmt.Errorf("open %s: unknown load mode %d", path, mode)
}

// Size returns the file size in bytes.
func (m *Mapped) Size() int64 { return int64(m.size) }

// ReadBytes returns the n mapped bytes at off without copying.
func (m *Mapped) ReadBytes(off, n int64) ([]byte, error) {
	if err := checkRange(m.path, int64(m.size), off, n); err != nil {
		return nil, err
	}
	return m.Bytes()[off : off+n : off+n], nil
}

// Array returns the tensor at byte offset off as a view of the mapping.
// When off is not a multiple of the element size the bytes cannot be
// viewed as elements, and they are copied into heap storage instead.
func (m *Mapped) Array(dtype DType, shape Shape, off int64) (*Array, error) {
	n, err := tensorBytes(dtype, shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.path, err)
	}
	if err := checkRange(m.path, int64(m.size), off, int64(n)); err != nil {
		return nil, err
	}
	return ArrayAt(m, dtype, shape, int(off))
}

// ArrayAt returns the contiguous tensor of dtype and shape whose bytes start
// at byteOff of st: a view when the bytes are aligned to the element size,
// otherwise a copy in new heap storage (a misaligned typed view would be
// rejected by checkptr and by some CPUs).
func ArrayAt(st HostStorage, dtype DType, shape Shape, byteOff int) (*Array, error) {
	n, err := tensorBytes(dtype, shape)
	if err != nil {
		return nil, err
	}
	if byteOff < 0 || byteOff > st.Len() || n > st.Len()-byteOff {
		return nil, fmt.Errorf("%v %v at byte %d needs %d bytes, storage has %d", dtype, shape, byteOff, n, st.Len())
	}
	es := dtype.Size()
	b := st.Bytes()
	if byteOff%es == 0 && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%uintptr(es) == 0 {
		return NewArray(dtype, shape, st, byteOff/es)
	}
	h := NewHeap(n)
	copy(h.Bytes(), b[byteOff:byteOff+n])
	runtime.KeepAlive(st) // b may point into a mapping st owns
	return NewArray(dtype, shape, h, 0)
}

// tensorBytes is the byte size of a dtype x shape tensor, checked for
// overflow.
func tensorBytes(dtype DType, shape Shape) (int, error) {
	if !dtype.Valid() {
		return 0, fmt.Errorf("invalid dtype %v", dtype)
	}
	if err := shape.Validate(); err != nil {
		return 0, err
	}
	n := shape.NumElements()
	if n > math.MaxInt/dtype.Size() {
		return 0, fmt.Errorf("%v %v: byte size overflows int", dtype, shape)
	}
	return n * dtype.Size(), nil
}

var errRange = errors.New("byte range is outside the file")

func checkRange(path string, size, off, n int64) error {
	if off < 0 || n < 0 || off > size || n > size-off {
		return fmt.Errorf("%s: bytes [%d, %d+%d) of a %d-byte file: %w", path, off, off, n, size, errRange)
	}
	return nil
}
