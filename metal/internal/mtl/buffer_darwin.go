package mtl

import "unsafe"

// Buffer is an owned reference to an id<MTLBuffer> in shared storage.
type Buffer struct {
	id uintptr
	n  uint
}

// Release gives up the reference; Metal frees the memory once no command
// buffer uses it.
func (b Buffer) Release() { release(b.id) }

// Valid reports whether b refers to a buffer.
func (b Buffer) Valid() bool { return b.id != 0 }

// Len is the length the buffer was created with, in bytes.
func (b Buffer) Len() uint { return b.n }

// Length asks the buffer for its length (Metal may round it up).
func (b Buffer) Length() uint { return msg.uint(b.id, selLength) }

// Bytes returns the buffer's shared memory. The slice is valid while the
// buffer lives; writing it while GPU work reads or writes the same bytes
// is a data race the caller must avoid.
func (b Buffer) Bytes() []byte {
	if b.id == 0 || b.n == 0 {
		return nil
	}
	p := msg.ptr(b.id, selContents)
	if p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(p), b.n)
}
