package core

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// The CPU's op outputs of recycleFrom bytes or more come from buffers
// that come back for reuse once nothing references them: a decode step
// allocates a few MB of outputs and a prompt a few hundred, against a
// live heap of a few MB (mapped weights are not in the heap), so without
// reuse the garbage collector ran about once per token and every output
// was zeroed by page faults on memory the runtime had just returned to
// the OS. A buffer comes back through a finalizer on its backing array,
// which runs only when no slice into it is left anywhere (views of an
// array, slices a caller took with Bytes and kept after dropping the
// array), so reuse never aliases live memory. Reused buffers are zeroed,
// as new ones are.
const (
	recycleFrom = 64 << 10
	recycleMax  = 256 << 20 // most bytes kept waiting for reuse
)

type recycler struct {
	mu    sync.Mutex
	free  map[int][][]byte // backing arrays by length
	bytes int
}

var outputBuffers = recycler{free: map[int][][]byte{}}

// get returns a zeroed backing array of size bytes, recycled when one is
// free, that returns to r when it becomes unreachable.
func (r *recycler) get(size int) []byte {
	r.mu.Lock()
	var raw []byte
	if l := r.free[size]; len(l) > 0 {
		raw = l[len(l)-1]
		l[len(l)-1] = nil
		r.free[size] = l[:len(l)-1]
		r.bytes -= size
	}
	r.mu.Unlock()
	if raw == nil {
		raw = make([]byte, size)
	} else {
		clear(raw)
	}
	runtime.SetFinalizer(&raw[0], func(p *byte) { r.put(unsafe.Slice(p, size)) })
	return raw
}

// put keeps raw for reuse unless recycleMax bytes already wait (then the
// collector frees it as usual).
func (r *recycler) put(raw []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bytes+len(raw) > recycleMax {
		return
	}
	r.free[len(raw)] = append(r.free[len(raw)], raw)
	r.bytes += len(raw)
}

// AllocOutput is Alloc for op outputs (OutputAllocator): large ones come
// from recycled buffers.
func (d cpuDevice) AllocOutput(n int) (Storage, error) {
	if n < recycleFrom {
		return d.Alloc(n)
	}
	if err := checkHostAlloc(n); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	return alignedHeap(outputBuffers.get(n+hostAlign-1), n), nil
}

// alignedHeap is the Heap of the n bytes of raw (n+hostAlign-1 long)
// that start at a hostAlign boundary.
func alignedHeap(raw []byte, n int) *Heap {
	pad := (hostAlign - int(uintptr(unsafe.Pointer(&raw[0]))%hostAlign)) % hostAlign
	return &Heap{buf: raw[pad : pad+n : pad+n]}
}
