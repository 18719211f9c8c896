package cuda

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/lbrx/lbrx/core"
)

// priority puts a CUDA GPU ahead of Metal (20) and the CPU (0) when
// core.DefaultDevice chooses.
const priority = 30

// Device is one NVIDIA GPU, registered with core as "cuda:N". Its context,
// stream and buffer pool are created on first use, on a worker thread that
// owns them (see worker). Work is queued on the device's stream and the
// host waits only in CopyToHost and Sync, where errors from queued work
// surface.
type Device struct {
	ordinal  int
	name     string
	gpu      string
	cc       int // compute capability, e.g. 90 for 9.0
	sms      int
	totalMem uint64
	driver   int32

	once     sync.Once
	startErr error
	w        *worker
	ctx      cuContext
	stream   cuStream
	pool     *pool
	stage    *staging

	// Worker-thread state.
	mods    map[string]cuModule
	funcs   map[string]cuFunction
	blas    cublasHandle
	blasErr error
	blasWS  devicePtr

	ltHandle uintptr
	ltErr    error
	ltPlans  map[ltKey]*ltPlan
	// useLt sends matmuls through cuBLASLt instead of cublasGemmEx
	// (LBRX_CUDA_GEMM=lt; benchmarks compare the two).
	useLt bool

	tf32 atomic.Bool

	prof atomic.Pointer[profiler] // set while StartProfile runs

	// gprof is the graph profile running (graphprof.go), capProf the
	// profiled graph being captured; worker-thread state.
	gprof   *graphProfiler
	capProf *graphProf

	// capturing is set while a graph is captured (graph.go); held, on
	// the worker thread, collects the buffers freed meanwhile.
	capturing atomic.Bool
	held      []poolBuf

	pdl *pdlLaunch // the reused launch configuration (pdl.go)

	later []*laterSlot // free pinned slots of CopyToHostLater (readlater.go), on the worker thread
}

// Name returns "cuda:N".
func (d *Device) Name() string { return d.name }

// Kind returns "cuda".
func (d *Device) Kind() string { return "cuda" }

// Priority ranks CUDA above Metal and the CPU.
func (d *Device) Priority() int { return priority }

// Status reports the device available once its context could be created.
func (d *Device) Status() core.Status {
	if err := d.start(); err != nil {
		return core.Status{Reason: err.Error()}
	}
	return core.Status{Available: true}
}

// String describes the GPU.
func (d *Device) String() string {
	return fmt.Sprintf("%s (%s, compute capability %d.%d, %d SMs, %.1f GiB, driver API %d.%d)",
		d.name, d.gpu, d.cc/10, d.cc%10, d.sms, float64(d.totalMem)/(1<<30), d.driver/1000, d.driver%1000/10)
}

// GPU returns the GPU's product name.
func (d *Device) GPU() string { return d.gpu }

// ComputeCapability returns major*10+minor (90 for an H100).
func (d *Device) ComputeCapability() int { return d.cc }

// SetTF32 lets float32 matmuls use TF32 tensor cores (10-bit mantissa
// products, float32 accumulation), as PyTorch's allow_tf32 does. Off by
// default: results then match float32 arithmetic.
func (d *Device) SetTF32(on bool) { d.tf32.Store(on) }

// start creates the context, stream and pool on the worker thread, once.
func (d *Device) start() error {
	d.once.Do(func() {
		d.w, d.startErr = startWorker(func() error {
			if err := check("cuDevicePrimaryCtxRetain", drv.primaryCtxRetain(&d.ctx, int32(d.ordinal))); err != nil {
				return err
			}
			if err := check("cuCtxSetCurrent", drv.ctxSetCurrent(d.ctx)); err != nil {
				return err
			}
			return check("cuStreamCreate", drv.streamCreate(&d.stream, streamNonBlocking))
		})
		if d.startErr != nil {
			d.startErr = fmt.Errorf("%s (%s): cannot create a context: %w", d.name, d.gpu, d.startErr)
			return
		}
		d.pool = newPool(gpuAllocator{d}, int64(d.totalMem/4))
		d.stage = &staging{}
		d.mods = map[string]cuModule{}
		d.useLt = os.Getenv("LBRX_CUDA_GEMM") == "lt"
		d.funcs = map[string]cuFunction{}
	})
	return d.startErr
}

// run executes f on the worker thread after starting the device.
func (d *Device) run(f func() error) error {
	if err := d.start(); err != nil {
		return err
	}
	return d.w.do(f)
}

// Alloc returns n zeroed bytes of device memory from the pool.
func (d *Device) Alloc(n int) (core.Storage, error) { return d.allocOnWorker(n, true) }

// AllocOutput returns storage of n bytes without clearing it (core's
// OutputAllocator): op outputs are overwritten by their kernel, so the
// memset Alloc queues would be wasted GPU work and a driver call per op.
func (d *Device) AllocOutput(n int) (core.Storage, error) {
	if n < 0 {
		return nil, fmt.Errorf("%s: negative allocation %d", d.name, n)
	}
	// A cached buffer needs no driver call, so it is taken on the
	// caller's goroutine without a round trip to the worker thread. Its
	// last user's kernels are ahead of any new one on the one stream.
	if err := d.start(); err != nil {
		return nil, err
	}
	if ptr, c, ok := d.pool.cached(n); ok {
		return newStorage(d, ptr, n, c), nil
	}
	return d.allocOnWorker(n, false)
}

// allocOnWorker runs alloc on the worker thread (a pool miss calls the
// driver). It returns an interface so that a failure is a nil Storage,
// not a typed nil.
func (d *Device) allocOnWorker(n int, zero bool) (core.Storage, error) {
	if n < 0 {
		return nil, fmt.Errorf("%s: negative allocation %d", d.name, n)
	}
	var s *Storage
	err := d.run(func() error {
		var err error
		s, err = d.alloc(n, zero)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// alloc takes a buffer from the pool; on the worker thread.
func (d *Device) alloc(n int, zero bool) (*Storage, error) {
	ptr, class, err := d.pool.get(n)
	if err != nil {
		return nil, fmt.Errorf("%s: allocate %d bytes: %w", d.name, n, err)
	}
	if zero && n > 0 {
		if err := check("cuMemsetD8Async", drv.memsetD8Async(ptr, 0, uint64(n), d.stream)); err != nil {
			_ = d.pool.put(ptr, class)
			return nil, err
		}
	}
	return newStorage(d, ptr, n, class), nil
}

// storageOf checks that s is this device's storage and that [off, off+n)
// lies inside it.
func (d *Device) storageOf(s core.Storage, off, n int, what string) (*Storage, error) {
	cs, ok := s.(*Storage)
	if !ok || cs.dev != d {
		return nil, fmt.Errorf("%s: %s storage is not on this device (it is on %s)", d.name, what, s.Device().Name())
	}
	if cs.released.Load() {
		return nil, fmt.Errorf("%s: %s storage was released", d.name, what)
	}
	if off < 0 || n < 0 || off+n > cs.n {
		return nil, fmt.Errorf("%s: %s of %d bytes at offset %d overruns storage of %d bytes", d.name, what, n, off, cs.n)
	}
	return cs, nil
}

// CopyFromHost queues a copy of src into dst at byte offset off. src may be
// reused as soon as it returns (it is staged through pinned memory).
func (d *Device) CopyFromHost(dst core.Storage, off int, src []byte) error {
	cs, err := d.storageOf(dst, off, len(src), "copy destination")
	if err != nil || len(src) == 0 {
		return err
	}
	if d.capturing.Load() {
		return fmt.Errorf("%s: copy from the host: %w", d.name, errCapturing)
	}
	return d.run(func() error { return d.stage.upload(d, cs.ptr+devicePtr(off), src) })
}

// CopyToHost waits for the work queued before it and reads len(dst) bytes
// of src from byte offset off.
func (d *Device) CopyToHost(dst []byte, src core.Storage, off int) error {
	cs, err := d.storageOf(src, off, len(dst), "copy source")
	if err != nil {
		return err
	}
	if d.capturing.Load() {
		return fmt.Errorf("%s: copy to the host: %w", d.name, errCapturing)
	}
	if len(dst) == 0 {
		return d.Sync()
	}
	return d.run(func() error { return d.stage.download(d, dst, cs.ptr+devicePtr(off)) })
}

// Sync waits for all queued work; an error from any of it is returned here.
func (d *Device) Sync() error {
	if d.capturing.Load() {
		return fmt.Errorf("%s: sync: %w", d.name, errCapturing)
	}
	return d.run(func() error { return check("cuStreamSynchronize", drv.streamSynchronize(d.stream)) })
}

// PoolStats returns the buffer pool's statistics.
func (d *Device) PoolStats() PoolStats {
	if d.start() != nil {
		return PoolStats{}
	}
	return d.pool.stats()
}

// SetPoolLimit bounds the bytes the pool keeps cached for reuse (default a
// quarter of the GPU's memory) and frees cached buffers beyond it.
func (d *Device) SetPoolLimit(bytes int64) error {
	if bytes < 0 {
		return errors.New("cuda: negative pool limit")
	}
	return d.run(func() error { return d.pool.setLimit(bytes) })
}

// gpuAllocator is the pool's allocator for a device; its methods run on the
// device's worker thread.
type gpuAllocator struct{ d *Device }

func (g gpuAllocator) alloc(n int) (devicePtr, error) {
	var p devicePtr
	err := check("cuMemAlloc", drv.memAlloc(&p, uint64(n)))
	return p, err
}

func (g gpuAllocator) free(p devicePtr) error { return check("cuMemFree", drv.memFree(p)) }

func (g gpuAllocator) quiesce() error {
	return check("cuStreamSynchronize", drv.streamSynchronize(g.d.stream))
}

// staging is a ring of pinned host buffers through which host<->device
// copies go: pinned memory lets the copy engine run asynchronously (and at
// full PCIe speed), and the ring lets a large copy overlap the host's
// memcpy into one slot with the DMA out of another. Used on the worker
// thread only.
type staging struct {
	slots [stageSlots]stageSlot
	next  int
}

const (
	stageSlots    = 8
	stageSlotSize = 4 << 20
)

type stageSlot struct {
	buf     []byte
	ev      cuEvent
	busy    bool   // a copy through this slot may still be in flight
	pending []byte // download destination still to be filled from buf
}

// slot returns the next ring slot, ready for reuse: its previous copy has
// finished and a pending download has been delivered.
func (s *staging) slot() (*stageSlot, error) {
	sl := &s.slots[s.next]
	s.next = (s.next + 1) % stageSlots
	if sl.buf == nil {
		var p unsafe.Pointer
		if err := check("cuMemAllocHost", drv.memAllocHost(&p, stageSlotSize)); err != nil {
			return nil, err
		}
		sl.buf = unsafe.Slice((*byte)(p), stageSlotSize)
		if err := check("cuEventCreate", drv.eventCreate(&sl.ev, eventDisableTiming)); err != nil {
			return nil, err
		}
	}
	if err := sl.finish(); err != nil {
		return nil, err
	}
	return sl, nil
}

func (sl *stageSlot) finish() error {
	if !sl.busy {
		return nil
	}
	sl.busy = false
	if err := check("cuEventSynchronize", drv.eventSynchronize(sl.ev)); err != nil {
		sl.pending = nil
		return err
	}
	if sl.pending != nil {
		copy(sl.pending, sl.buf)
		sl.pending = nil
	}
	return nil
}

func (s *staging) upload(d *Device, dst devicePtr, src []byte) error {
	for off := 0; off < len(src); off += stageSlotSize {
		c := min(stageSlotSize, len(src)-off)
		sl, err := s.slot()
		if err != nil {
			return err
		}
		copy(sl.buf, src[off:off+c])
		if err := check("cuMemcpyHtoDAsync", drv.memcpyHtoDAsync(dst+devicePtr(off), unsafe.Pointer(&sl.buf[0]), uint64(c), d.stream)); err != nil {
			return err
		}
		if err := check("cuEventRecord", drv.eventRecord(sl.ev, d.stream)); err != nil {
			return err
		}
		sl.busy = true
	}
	return nil
}

func (s *staging) download(d *Device, dst []byte, src devicePtr) error {
	for off := 0; off < len(dst); off += stageSlotSize {
		c := min(stageSlotSize, len(dst)-off)
		sl, err := s.slot()
		if err != nil {
			return err
		}
		if err := check("cuMemcpyDtoHAsync", drv.memcpyDtoHAsync(unsafe.Pointer(&sl.buf[0]), src+devicePtr(off), uint64(c), d.stream)); err != nil {
			return err
		}
		if err := check("cuEventRecord", drv.eventRecord(sl.ev, d.stream)); err != nil {
			return err
		}
		sl.busy = true
		sl.pending = dst[off : off+c]
	}
	// Deliver every slot still holding data for dst, oldest first.
	var first error
	for i := range stageSlots {
		sl := &s.slots[(s.next+i)%stageSlots]
		if err := sl.finish(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
