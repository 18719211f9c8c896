package metal

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"
	"weak"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal/internal/mtl"
)

// mtlBlock is a pooled MTLBuffer with its shared memory mapped once.
type mtlBlock struct {
	buf mtl.Buffer
	mem []byte
}

func (b *mtlBlock) Cap() int { return len(b.mem) }

// mtlAllocator makes the pool's blocks on the context's device.
type mtlAllocator struct{ c *Context }

func (a mtlAllocator) Allocate(n int) (Block, error) {
	if n > a.c.info.MaxBufferLength {
		return nil, fmt.Errorf("metal: %d bytes exceed the largest buffer the GPU allows (%d)", n, a.c.info.MaxBufferLength)
	}
	buf, err := a.c.dev.NewBuffer(uint(n))
	if err != nil {
		return nil, err
	}
	mem := buf.Bytes()
	if len(mem) != n {
		buf.Release()
		return nil, fmt.Errorf("metal: buffer of %d bytes has no CPU-visible contents", n)
	}
	return &mtlBlock{buf: buf, mem: mem}, nil
}

func (a mtlAllocator) Free(b Block) { b.(*mtlBlock).buf.Release() }

// Buffer is core.Storage in a Metal buffer: shared memory the CPU and the
// GPU both address. Buffers come from the context's pool (New,
// core.Device.Alloc) or wrap host memory without a copy (Import). Release
// returns one to the pool once the GPU is done with it; a runtime cleanup
// does the same for buffers dropped without Release.
type Buffer struct {
	ctx *Context
	st  *bufState
}

// bufState is what the cleanup and the context's deferred list need; it
// must not point back at the Buffer.
type bufState struct {
	n        int
	block    *mtlBlock // pooled memory; nil for empty and imported buffers
	imported mtl.Buffer
	mem      []byte           // the bytes, for both kinds
	host     core.HostStorage // kept alive while the GPU may read it
	base     uintptr          // imports map key
	readOnly bool
	lastUse  uint64 // serial of the newest batch using it; ctx.mu
	released bool   // ctx.mu
}

// New allocates n bytes from ctx's pool, zeroed.
func New(n int, ctx *Context) (*Buffer, error) {
	if ctx == nil {
		return nil, errors.New("metal: nil context")
	}
	return ctx.alloc(n)
}

func (c *Context) alloc(n int) (*Buffer, error) {
	if n < 0 {
		return nil, fmt.Errorf("metal: negative allocation %d", n)
	}
	st := &bufState{n: n}
	if n > 0 {
		blk, reused, err := c.pool.Get(n)
		if err != nil && c.reclaim() {
			// Released buffers were waiting for the GPU; now they are
			// back in the pool (and trimmed by Get if need be).
			blk, reused, err = c.pool.Get(n)
		}
		if err != nil {
			return nil, fmt.Errorf("metal: %w", err)
		}
		st.block = blk.(*mtlBlock)
		st.mem = st.block.mem[:n]
		if reused {
			clear(st.block.mem) // a pooled block holds its last user's data
		}
	}
	return c.wrap(st), nil
}

// reclaim waits for the GPU when released buffers wait for it, so that
// their memory can be reused; it reports whether there were any.
func (c *Context) reclaim() bool {
	found := false
	_ = c.locked(func() error {
		if !c.sched.pendingFrees() {
			return nil
		}
		found = true
		c.sched.waitAll() // a GPU error stays pending for Sync/CopyToHost
		return nil
	})
	return found
}

func (c *Context) wrap(st *bufState) *Buffer {
	b := &Buffer{ctx: c, st: st}
	runtime.AddCleanup(b, func(s *bufState) { c.release(s, true) }, st)
	return b
}

// Device returns the core device of the buffer's context.
func (b *Buffer) Device() core.Device { return b.ctx.core }

// Len is the size in bytes.
func (b *Buffer) Len() int { return b.st.n }

// ReadOnly reports whether the buffer wraps read-only host memory (an
// imported file mapping): kernels never write it and CopyFromHost fails.
func (b *Buffer) ReadOnly() bool { return b.st.readOnly }

// Release returns the memory to the pool, after the GPU work that uses it
// has finished. The buffer must not be used afterwards. Imported buffers
// are shared by every tensor of their host storage and are released by the
// runtime when the last of them is gone; Release ignores them.
func (b *Buffer) Release() { b.ctx.release(b.st, false) }

// release hands a buffer's memory back once no pending GPU work uses it.
// Imported buffers are shared by every view of their host memory, so only
// the runtime cleanup (last reference gone) releases them.
func (c *Context) release(s *bufState, cleanup bool) {
	_ = c.locked(func() error {
		if s.released || (!cleanup && s.imported.Valid()) {
			return nil
		}
		s.released = true
		c.sched.later(s.lastUse, func() { c.freeLocked(s) })
		return nil
	})
}

func (c *Context) freeLocked(s *bufState) {
	if s.block != nil {
		c.pool.Put(s.block)
		s.block = nil
	}
	if s.imported.Valid() {
		if wp, ok := c.imports[s.base]; ok && wp.Value() == nil {
			delete(c.imports, s.base)
		}
		s.imported.Release()
		s.imported = mtl.Buffer{}
	}
	s.mem, s.host = nil, nil
}

// Import wraps read-only host memory (a mapped model file) in a Metal
// buffer without copying, on unified-memory GPUs. The memory must start on
// a page boundary; its length is rounded up to whole pages, which the
// mapping already covers. Every import of one host storage shares one
// buffer. Writable host memory is not imported: later host writes would
// show through, so it is copied instead.
func (c *Context) Import(src core.HostStorage) (*Buffer, error) {
	if !c.info.UnifiedMemory {
		return nil, errors.New("metal: GPU has no unified memory; host memory is copied")
	}
	if src.Writable() {
		return nil, errors.New("metal: only read-only host memory is imported; writable memory is copied")
	}
	mem := src.Bytes()
	if len(mem) == 0 {
		return nil, errors.New("metal: nothing to import")
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	page := os.Getpagesize()
	if base%uintptr(page) != 0 {
		return nil, fmt.Errorf("metal: host memory at %#x is not page-aligned (%d-byte pages)", base, page)
	}
	var b *Buffer
	err := c.locked(func() error {
		if wp, ok := c.imports[base]; ok {
			if old := wp.Value(); old != nil && old.st.n == len(mem) {
				b = old
				return nil
			}
		}
		rounded := (len(mem) + page - 1) / page * page
		buf, err := c.dev.NewBufferNoCopy(unsafe.Pointer(unsafe.SliceData(mem)), uint(rounded))
		if err != nil {
			return err
		}
		st := &bufState{n: len(mem), imported: buf, mem: mem, host: src, base: base, readOnly: true}
		b = c.wrap(st)
		c.imports[base] = weak.Make(b)
		return nil
	})
	return b, err
}
