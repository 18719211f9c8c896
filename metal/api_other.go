//go:build !darwin

package metal

import "github.com/lbrx/lbrx/core"

// The rest of the macOS API, so that portable code mentioning it compiles
// everywhere: each constructor returns errNoMetal, and no value of these
// types can exist off macOS (their methods are never reached).

// Buffer is core.Storage in a Metal buffer; off macOS none can be made.
type Buffer struct{}

// New fails: Metal needs macOS.
func New(int, *Context) (*Buffer, error) { return nil, errNoMetal }

// Device returns the unavailable metal device.
func (b *Buffer) Device() core.Device { return newDevice() }

// Len is 0: there is no buffer.
func (b *Buffer) Len() int { return 0 }

// ReadOnly is false: there is no buffer.
func (b *Buffer) ReadOnly() bool { return false }

// Release does nothing: there is no buffer.
func (b *Buffer) Release() {}

// Import fails: Metal needs macOS.
func (c *Context) Import(core.HostStorage) (*Buffer, error) { return nil, errNoMetal }

// Pool is nil: there is no GPU memory.
func (c *Context) Pool() *BufferPool { return nil }

// CopyToHost fails: Metal needs macOS.
func (c *Context) CopyToHost([]byte, core.Storage, int) error { return errNoMetal }

// CopyFromHost fails: Metal needs macOS.
func (c *Context) CopyFromHost(core.Storage, int, []byte) error { return errNoMetal }

// Storage is a typed view of a Buffer holding elements of T.
type Storage[T core.Element] struct {
	*Buffer
}

// NewStorage fails: Metal needs macOS.
func NewStorage[T core.Element](int, *Context) (*Storage[T], error) { return nil, errNoMetal }

// Elements is 0: there is no buffer.
func (s *Storage[T]) Elements() int { return 0 }

// CopyFromCPU fails: Metal needs macOS.
func (s *Storage[T]) CopyFromCPU([]T) error { return errNoMetal }

// CopyToCPU fails: Metal needs macOS.
func (s *Storage[T]) CopyToCPU([]T) error { return errNoMetal }

// Array fails: Metal needs macOS.
func (s *Storage[T]) Array(...int) (*core.Array, error) { return nil, errNoMetal }
