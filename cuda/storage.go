package cuda

import (
	"runtime"
	"sync/atomic"

	"github.com/lbrx/lbrx/core"
)

// Storage is device memory from a Device's pool. It goes back to the pool
// when the garbage collector finds it unreachable, or at once on Release.
// Work already queued that uses it is safe either way: everything runs on
// one stream, so a reused buffer is only touched after that work.
type Storage struct {
	dev      *Device
	ptr      devicePtr
	n        int
	class    int
	released atomic.Bool
	cleanup  runtime.Cleanup
	// written is set once an op's kernel has written the storage (it was
	// an op's output); storage only ever filled from the host is not, and
	// kernels may read it before waiting for the kernel before them
	// (qmvEarly).
	written atomic.Bool
}

type poolBuf struct {
	dev   *Device
	ptr   devicePtr
	class int
}

func newStorage(d *Device, ptr devicePtr, n, class int) *Storage {
	s := &Storage{dev: d, ptr: ptr, n: n, class: class}
	s.cleanup = runtime.AddCleanup(s, func(b poolBuf) {
		b.dev.w.post(func() { b.dev.recycle(b.ptr, b.class) })
	}, poolBuf{d, ptr, class})
	return s
}

// Device returns the GPU the memory is on.
func (s *Storage) Device() core.Device { return s.dev }

// Len returns the size in bytes.
func (s *Storage) Len() int { return s.n }

// Release returns the memory to the pool now instead of when the garbage
// collector notices. The storage, and every array over it, must not be
// used afterwards.
func (s *Storage) Release() {
	if s.released.Swap(true) {
		return
	}
	s.cleanup.Stop()
	b := poolBuf{s.dev, s.ptr, s.class}
	b.dev.w.post(func() { b.dev.recycle(b.ptr, b.class) })
}
