package core

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// ErrMmapUnsupported is returned by MapFile on systems without mmap; use a
// FileReader there (OpenFileSource does so automatically).
var ErrMmapUnsupported = errors.New("memory-mapping files is not supported on " + runtime.GOOS)

// Mapped is read-only HostStorage over the whole of a file, mapped into
// memory: tensors loaded from it are views of the OS page cache, and pages
// are read from disk only when touched.
//
// Arrays hold their Storage, so the mapping stays alive while any tensor
// or view of it is reachable; when none is, a cleanup unmaps it. Close
// releases the file's pages at once. Using a tensor of a closed mapping is
// a programming error: Bytes panics, and slices obtained before Close read
// zeros instead of crashing the process (the range is remapped to
// anonymous zero pages until the cleanup returns the address space).
//
// A slice from Bytes points outside the Go heap, so the garbage collector
// does not see it: keep the Array (or the Mapped) reachable while the
// slice is in use, e.g. with runtime.KeepAlive.
type Mapped struct {
	path   string
	size   int
	region *mapRegion
}

// mapRegion is the part of a Mapped its cleanup needs; it must not point
// back at the Mapped or the cleanup would never run.
type mapRegion struct {
	mu     sync.Mutex
	data   []byte
	closed atomic.Bool
	done   bool // unmapped
}

// MapFile maps the file at path read-only. It touches none of the file's
// data. On systems without mmap it returns an error wrapping
// ErrMmapUnsupported.
func MapFile(path string) (*Mapped, error) {
	f, err := os.Open(path) //nolint:gosec // mapping the caller's model file is the point
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < 0 || uint64(size) > uint64(maxInt) {
		return nil, fmt.Errorf("map %s: size %d does not fit this platform's address space", path, size)
	}
	data, err := mmapFile(f, int(size))
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	m := &Mapped{path: path, size: int(size), region: &mapRegion{data: data}}
	runtime.AddCleanup(m, func(r *mapRegion) {
		_ = r.unmap()
		unmapped.Add(1)
	}, m.region)
	return m, nil
}

const maxInt = int(^uint(0) >> 1)

// unmapped counts mappings released by the cleanup (tests watch it).
var unmapped atomic.Int64

// Device returns the CPU: mapped memory is host memory.
func (m *Mapped) Device() Device { return CPU() }

// Len returns the file size in bytes.
func (m *Mapped) Len() int { return m.size }

// Path returns the mapped file's path.
func (m *Mapped) Path() string { return m.path }

// Writable is false: the mapping is read-only (writes would fault).
func (m *Mapped) Writable() bool { return false }

// Bytes returns the mapped file. It panics after Close: the tensors of a
// closed file must not be used.
func (m *Mapped) Bytes() []byte {
	if m.region.closed.Load() {
		panic("lbrx: use of tensor data after its file " + m.path + " was closed")
	}
	return m.region.data
}

// Closed reports whether Close was called.
func (m *Mapped) Closed() bool { return m.region.closed.Load() }

// Close releases the file's pages now instead of when the garbage
// collector finds the mapping unused. Closing twice is a no-op.
func (m *Mapped) Close() error {
	if m.region.closed.Swap(true) {
		return nil
	}
	r := m.region
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || len(r.data) == 0 {
		return nil
	}
	// Swap the file pages for zero pages first, so that a slice someone
	// still holds reads zeros rather than faulting.
	if err := remapZero(r.data); err != nil {
		return fmt.Errorf("close %s: %w", m.path, err)
	}
	return nil
}

func (r *mapRegion) unmap() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil
	}
	r.done = true
	if len(r.data) == 0 {
		return nil
	}
	return munmap(r.data)
}
