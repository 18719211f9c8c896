package metal

import (
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal/internal/mtl"
)

// batch is one command buffer: encoded, then committed, then retired.
type batch struct {
	serial  uint64
	cb      mtl.CommandBuffer
	enc     mtl.ComputeEncoder // open until commit
	kernels []string
	bufs    []*bufState // kept reachable until the GPU is done
}

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
	c.pollLocked()
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
	b, err := c.batchLocked()
	if err != nil {
		return err
	}
	b.enc.SetPipeline(p.ps)
	for i, a := range d.bufs {
		b.enc.SetBuffer(states[i].mtlBuffer(), uint(a.byteOff), uint(a.index))
		states[i].lastUse = b.serial
	}
	b.enc.SetBytes(unsafe.Pointer(unsafe.SliceData(d.params)), uint(len(d.params)), uint(d.paramIdx))
	if l.ThreadgroupMem > 0 {
		b.enc.SetThreadgroupMemoryLength(uint(l.ThreadgroupMem), 0)
	}
	b.enc.Dispatch(
		mtl.Size{Width: uint64(l.Groups.X), Height: uint64(l.Groups.Y), Depth: uint64(l.Groups.Z)},
		mtl.Size{Width: uint64(l.Threads.X), Height: uint64(l.Threads.Y), Depth: uint64(l.Threads.Z)},
	)
	b.kernels = append(b.kernels, d.kernel)
	b.bufs = append(b.bufs, states...)
	if c.policy.full(len(b.kernels)) {
		c.commitLocked()
	}
	return nil
}

// batchLocked returns the open command buffer, starting one if needed.
func (c *Context) batchLocked() (*batch, error) {
	if c.cur != nil {
		return c.cur, nil
	}
	cb, err := c.queue.CommandBuffer()
	if err != nil {
		return nil, err
	}
	enc, err := cb.ComputeEncoder()
	if err != nil {
		cb.Release()
		return nil, err
	}
	c.serial++
	c.cur = &batch{serial: c.serial, cb: cb, enc: enc}
	return c.cur, nil
}

// commitLocked closes the open command buffer and submits it.
func (c *Context) commitLocked() {
	b := c.cur
	if b == nil {
		return
	}
	c.cur = nil
	b.enc.EndEncoding()
	b.enc.Release()
	b.enc = mtl.ComputeEncoder{}
	b.cb.Commit()
	c.inflight = append(c.inflight, b)
}

// pollLocked retires command buffers that have already finished, without
// waiting, so their buffers go back to the pool early.
func (c *Context) pollLocked() {
	for len(c.inflight) > 0 {
		st := c.inflight[0].cb.Status()
		if st != mtl.StatusCompleted && st != mtl.StatusError {
			return
		}
		c.retireLocked()
	}
}

// waitLocked commits and waits for every batch up to serial.
func (c *Context) waitLocked(serial uint64) {
	if c.cur != nil && c.cur.serial <= serial {
		c.commitLocked()
	}
	for len(c.inflight) > 0 && c.inflight[0].serial <= serial {
		c.retireLocked()
	}
}

// retireLocked waits for the oldest in-flight batch, records its error,
// and frees what waited for it.
func (c *Context) retireLocked() {
	b := c.inflight[0]
	c.inflight[0] = nil
	c.inflight = c.inflight[1:]
	b.cb.WaitUntilCompleted()
	if st := b.cb.Status(); st != mtl.StatusCompleted && c.gpuErr == nil {
		what := "GPU command buffer running kernels " + kernelList(b.kernels)
		err := b.cb.Err(what)
		if err == nil {
			err = fmt.Errorf("metal: %s ended with status %s", what, mtl.StatusString(st))
		}
		c.gpuErr = err
	}
	b.cb.Release()
	c.completed = b.serial
	keep := c.deferred[:0]
	for _, s := range c.deferred {
		if s.lastUse <= c.completed {
			c.freeLocked(s)
		} else {
			keep = append(keep, s)
		}
	}
	clear(c.deferred[len(keep):])
	c.deferred = keep
}

// kernelList names the distinct kernels of a batch, in order.
func kernelList(ks []string) string {
	var u []string
	for _, k := range ks {
		if !slices.Contains(u, k) {
			u = append(u, k)
		}
	}
	return strings.Join(u, ", ")
}

// takeErrLocked returns and clears the pending GPU error.
func (c *Context) takeErrLocked() error {
	err := c.gpuErr
	c.gpuErr = nil
	return err
}

// Sync waits for all encoded work and returns the first GPU error since
// the last Sync or CopyToHost, naming the kernels of the failed batch.
func (c *Context) Sync() error {
	return c.locked(func() error {
		c.waitLocked(c.serial)
		return c.takeErrLocked()
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
		if s.lastUse > c.completed {
			c.waitLocked(s.lastUse)
		}
		if err := c.takeErrLocked(); err != nil {
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
		if s.lastUse > c.completed {
			c.waitLocked(s.lastUse)
		}
		copy(s.mem[off:], src)
		return nil
	})
}
