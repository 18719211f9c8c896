package metal

import (
	"fmt"
	"unsafe"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal/internal/mtl"
)

// mtlCmd is a Metal command buffer with its open compute encoder.
type mtlCmd struct {
	cb  mtl.CommandBuffer
	enc mtl.ComputeEncoder // valid until Commit
}

// openCmd starts a command buffer and its compute encoder (serial
// dispatch: each dispatch sees the writes of the ones before).
func (c *Context) openCmd() (cmdBuffer, error) {
	cb, err := c.queue.CommandBuffer()
	if err != nil {
		return nil, err
	}
	enc, err := cb.ComputeEncoder()
	if err != nil {
		cb.Release()
		return nil, err
	}
	return &mtlCmd{cb: cb, enc: enc}, nil
}

func (m *mtlCmd) Commit() {
	m.enc.EndEncoding()
	m.enc.Release()
	m.enc = mtl.ComputeEncoder{}
	m.cb.Commit()
}

func (m *mtlCmd) Done() bool {
	st := m.cb.Status()
	return st == mtl.StatusCompleted || st == mtl.StatusError
}

func (m *mtlCmd) Wait(what string) error {
	m.cb.WaitUntilCompleted()
	st := m.cb.Status()
	if st == mtl.StatusCompleted {
		return nil
	}
	if err := m.cb.Err(what); err != nil {
		return err
	}
	return statusError(what, mtl.StatusString(st))
}

func (m *mtlCmd) Release() { m.cb.Release() }

// maxSetBytes is Apple's limit for setBytes:length:atIndex: data.
const maxSetBytes = 4096

// Execute runs op on the GPU, or returns an error wrapping
// core.ErrUnsupported when there is no kernel for it (core then runs it on
// the CPU). The work is encoded, not waited for.
func (c *Context) Execute(op *core.Op) error {
	return c.executeWith(op, c.info.SimdgroupMatrix)
}

// executeWith runs op choosing the simdgroup-matrix matmul or not (tests
// run both kernels on Apple7+ GPUs).
func (c *Context) executeWith(op *core.Op, simd bool) error {
	if simd && !c.info.SimdgroupMatrix {
		return fmt.Errorf("metal: %s has no simdgroup matrix support", c.info.Name)
	}
	ds, err := planOp(op, simd)
	if err != nil {
		return err
	}
	if err := c.runPlan(ds); err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	return nil
}

// runPlan encodes planned dispatches in order.
func (c *Context) runPlan(ds []dispatch) error {
	for i := range ds {
		if err := c.encode(&ds[i]); err != nil {
			return err
		}
	}
	return nil
}

// buffer resolves a planned binding to this context's buffer state.
func (c *Context) buffer(a bufArg, kernel string) (*bufState, error) {
	b, ok := a.st.(*Buffer)
	if !ok || b.ctx != c {
		return nil, fmt.Errorf("kernel %s buffer %d: %w", kernel, a.index, errForeign)
	}
	s := b.st
	switch {
	case s.released:
		return nil, fmt.Errorf("metal: kernel %s buffer %d: storage was released", kernel, a.index)
	case a.write && s.readOnly:
		return nil, fmt.Errorf("metal: kernel %s buffer %d: storage is read-only (imported host memory)", kernel, a.index)
	case a.byteOff < 0 || a.byteOff >= max(s.n, 1) || (s.block == nil && !s.imported.Valid()):
		return nil, fmt.Errorf("metal: kernel %s buffer %d: offset %d outside a %d-byte buffer", kernel, a.index, a.byteOff, s.n)
	}
	return s, nil
}

func (s *bufState) mtlBuffer() mtl.Buffer {
	if s.block != nil {
		return s.block.buf
	}
	return s.imported
}

// encode appends one dispatch to the open command buffer.
func (c *Context) encode(d *dispatch) error {
	return c.locked(func() error { return c.encodeLocked(d) })
}

// locked runs f holding c.mu inside an autorelease pool: Metal may
// autorelease objects in any call, and Go threads have no pool of their
// own.
func (c *Context) locked(f func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return mtl.WithPool(f)
}

func (c *Context) encodeLocked(d *dispatch) error {
	c.sched.poll()
	p, err := c.pipelineLocked(d.kernel)
	if err != nil {
		return err
	}
	l, err := d.launch(p.maxThreads, p.simdWidth)
	if err != nil {
		return fmt.Errorf("kernel %s: %w", d.kernel, err)
	}
	if l.Empty() {
		return nil
	}
	if t := l.Threads.X * l.Threads.Y * l.Threads.Z; t > p.maxThreads {
		// A kernel whose compiled pipeline cannot run the threadgroup its
		// ABI fixes (register pressure on some GPU): the CPU runs the op.
		return unsupportedf("kernel %s needs %d threads per threadgroup, its pipeline allows %d", d.kernel, t, p.maxThreads)
	}
	if err := checkLaunch(l, p.maxThreads); err != nil {
		return fmt.Errorf("kernel %s: %w", d.kernel, err)
	}
	if len(d.params) == 0 || len(d.params) > maxSetBytes {
		return fmt.Errorf("metal: kernel %s: %d parameter bytes", d.kernel, len(d.params))
	}
	states := make([]*bufState, len(d.bufs))
	for i, a := range d.bufs {
		if states[i], err = c.buffer(a, d.kernel); err != nil {
			return err
		}
	}
	b, err := c.sched.current()
	if err != nil {
		return err
	}
	enc := b.cmd.(*mtlCmd).enc
	enc.SetPipeline(p.ps)
	keep := make([]any, len(states))
	for i, a := range d.bufs {
		enc.SetBuffer(states[i].mtlBuffer(), uint(a.byteOff), uint(a.index))
		states[i].lastUse = b.serial
		keep[i] = states[i]
	}
	enc.SetBytes(unsafe.Pointer(unsafe.SliceData(d.params)), uint(len(d.params)), uint(d.paramIdx))
	if l.ThreadgroupMem > 0 {
		enc.SetThreadgroupMemoryLength(uint(l.ThreadgroupMem), 0)
	}
	enc.Dispatch(
		mtl.Size{Width: uint64(l.Groups.X), Height: uint64(l.Groups.Y), Depth: uint64(l.Groups.Z)},
		mtl.Size{Width: uint64(l.Threads.X), Height: uint64(l.Threads.Y), Depth: uint64(l.Threads.Z)},
	)
	c.sched.dispatched(b, d.kernel, keep...)
	return nil
}

// Sync waits for all encoded work and returns the first GPU error since
// the last Sync or CopyToHost, naming the kernels of the failed batch.
func (c *Context) Sync() error {
	return c.locked(func() error {
		c.sched.waitAll()
		return c.sched.takeErr()
	})
}

// CopyToHost reads len(dst) bytes of src from byte offset off, after the
// GPU work that writes src has finished.
func (c *Context) CopyToHost(dst []byte, src core.Storage, off int) error {
	b, ok := src.(*Buffer)
	if !ok || b.ctx != c {
		return errForeign
	}
	return c.locked(func() error {
		s := b.st
		if s.released {
			return fmt.Errorf("metal: read from a released buffer")
		}
		if off < 0 || off > s.n || len(dst) > s.n-off {
			return fmt.Errorf("metal: read of %d bytes at %d overruns a %d-byte buffer", len(dst), off, s.n)
		}
		if c.sched.busy(s.lastUse) {
			c.sched.wait(s.lastUse)
		}
		if err := c.sched.takeErr(); err != nil {
			return err
		}
		copy(dst, s.mem[off:])
		return nil
	})
}

// CopyFromHost writes src into dst at byte offset off, first waiting for
// GPU work that still uses dst.
func (c *Context) CopyFromHost(dst core.Storage, off int, src []byte) error {
	b, ok := dst.(*Buffer)
	if !ok || b.ctx != c {
		return errForeign
	}
	return c.locked(func() error {
		s := b.st
		switch {
		case s.released:
			return fmt.Errorf("metal: write to a released buffer")
		case s.readOnly:
			return fmt.Errorf("metal: write to read-only imported host memory")
		case off < 0 || off > s.n || len(src) > s.n-off:
			return fmt.Errorf("metal: write of %d bytes at %d overruns a %d-byte buffer", len(src), off, s.n)
		}
		if c.sched.busy(s.lastUse) {
			c.sched.wait(s.lastUse)
		}
		copy(s.mem[off:], src)
		return nil
	})
}
