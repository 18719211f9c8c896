package cuda

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/lbrx/lbrx/core"
)

// NCCL, NVIDIA's collective communications library, bound through purego
// as the other CUDA libraries are. Signatures and constants follow NCCL's
// documented API (nccl.h): every call returns an ncclResult_t, 0 on
// success.

type ncclComm uintptr

// UniqueID is NCCL's ncclUniqueId: the 128 opaque bytes rank 0 makes with
// NCCLUniqueID and every rank passes to NewNCCL. It carries the address
// of rank 0's bootstrap socket, so ranks on other hosts can join once it
// reaches them (by any channel: a file, a flag, an HTTP call).
type UniqueID struct{ Internal [128]byte }

// ncclDataType_t and ncclRedOp_t values.
const (
	ncclInt8     = 0
	ncclUint8    = 1
	ncclInt32    = 2
	ncclUint32   = 3
	ncclInt64    = 4
	ncclUint64   = 5
	ncclFloat16  = 6
	ncclFloat32  = 7
	ncclFloat64  = 8
	ncclBfloat16 = 9
	ncclSum      = 0
)

// nccl holds the library's entry points.
var nccl struct {
	getVersion     func(v *int32) int32
	getUniqueID    func(id *UniqueID) int32
	commInitRank   func(c *ncclComm, nranks int32, id UniqueID, rank int32) int32
	commDestroy    func(c ncclComm) int32
	commAbort      func(c ncclComm) int32
	getErrorString func(r int32) unsafe.Pointer
	allReduce      func(send, recv devicePtr, count uint64, dt, op int32, c ncclComm, s cuStream) int32
	allGather      func(send, recv devicePtr, count uint64, dt int32, c ncclComm, s cuStream) int32
	broadcast      func(send, recv devicePtr, count uint64, dt, root int32, c ncclComm, s cuStream) int32
	groupStart     func() int32
	groupEnd       func() int32
}

// ncclNames are the file names tried, the ABI-stable soname first.
var ncclNames = []string{"libnccl.so.2", "libnccl.so"}

// loadNCCL opens NCCL once and returns its path and version (e.g. 22703
// for 2.27.3). LBRX_NCCL may name the library file.
var loadNCCL = sync.OnceValues(func() (string, error) {
	path, err := openNCCL(ncclNames)
	if err != nil {
		return "", err
	}
	var v int32
	if r := nccl.getVersion(&v); r != 0 {
		return "", ncclCheck("ncclGetVersion", r)
	}
	return fmt.Sprintf("%s (NCCL %d.%d.%d)", path, v/10000, v/100%100, v%100), nil
})

// openNCCL opens the first of names that loads and binds every entry
// point; it is loadNCCL without the once, for the search's own test.
func openNCCL(names []string) (string, error) {
	if runtime.GOOS != "linux" {
		return "", fmt.Errorf("NCCL is only built for Linux, not %s", runtime.GOOS)
	}
	lib, path, err := openLibrary("LBRX_NCCL", names)
	if err != nil {
		return "", fmt.Errorf("NCCL (NVIDIA's collective communications library, package libnccl2) %w", err)
	}
	syms := []struct {
		fn   any
		name string
	}{
		{&nccl.getVersion, "ncclGetVersion"},
		{&nccl.getUniqueID, "ncclGetUniqueId"},
		{&nccl.commInitRank, "ncclCommInitRank"},
		{&nccl.commDestroy, "ncclCommDestroy"},
		{&nccl.commAbort, "ncclCommAbort"},
		{&nccl.getErrorString, "ncclGetErrorString"},
		{&nccl.allReduce, "ncclAllReduce"},
		{&nccl.allGather, "ncclAllGather"},
		{&nccl.broadcast, "ncclBroadcast"},
		{&nccl.groupStart, "ncclGroupStart"},
		{&nccl.groupEnd, "ncclGroupEnd"},
	}
	for _, s := range syms {
		if err := bind(s.fn, lib, s.name); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	return path, nil
}

// ncclResultNames are ncclResult_t's values, for errors when the library
// cannot describe them.
var ncclResultNames = []string{"ncclSuccess", "ncclUnhandledCudaError", "ncclSystemError", "ncclInternalError",
	"ncclInvalidArgument", "ncclInvalidUsage", "ncclRemoteError", "ncclInProgress"}

func ncclCheck(call string, r int32) error {
	if r == 0 {
		return nil
	}
	e := &Error{Call: call, Code: r, Name: "ncclResult " + fmt.Sprint(r)}
	if int(r) < len(ncclResultNames) && r >= 0 {
		e.Name = ncclResultNames[r]
	}
	if nccl.getErrorString != nil {
		e.Msg = cString(nccl.getErrorString(r))
	}
	return e
}

// NCCLVersion loads NCCL and describes it (its path and version), or says
// why it cannot be used.
func NCCLVersion() (string, error) { return loadNCCL() }

// NCCLUniqueID returns a new id for a group of ranks (ncclGetUniqueId),
// to be made once, by rank 0, and handed to every rank.
func NCCLUniqueID() (UniqueID, error) {
	var id UniqueID
	if _, err := loadNCCL(); err != nil {
		return id, err
	}
	err := ncclCheck("ncclGetUniqueId", nccl.getUniqueID(&id))
	return id, err
}

// NCCL is one rank's NCCL communicator (core.Communicator) on a Device.
// Its collectives are queued on the device's stream, from the device's
// worker thread, like every other op: the host does not wait for them.
type NCCL struct {
	dev        *Device
	comm       ncclComm
	rank, size int
}

var _ core.Communicator = (*NCCL)(nil)

// NewNCCL joins rank rank of a group of size ranks identified by id, on
// dev (ncclCommInitRank). It returns once every rank joined, so the ranks
// of one process must call it concurrently (NewNCCLGroup does).
func NewNCCL(dev *Device, id UniqueID, rank, size int) (*NCCL, error) {
	if _, err := loadNCCL(); err != nil {
		return nil, err
	}
	if rank < 0 || rank >= size {
		return nil, fmt.Errorf("nccl: rank %d outside [0, %d)", rank, size)
	}
	c := &NCCL{dev: dev, rank: rank, size: size}
	err := dev.run(func() error {
		return ncclCheck("ncclCommInitRank", nccl.commInitRank(&c.comm, int32(size), id, int32(rank)))
	})
	if err != nil {
		return nil, fmt.Errorf("%s: rank %d of %d: %w", dev.name, rank, size, err)
	}
	return c, nil
}

// NewNCCLGroup makes one communicator per device of this process, rank i
// on devs[i]: rank 0's unique id, then every rank's init on its device's
// worker thread at once (an init returns only when all ranks joined).
func NewNCCLGroup(devs []*Device) ([]*NCCL, error) {
	if len(devs) == 0 {
		return nil, errors.New("nccl: no devices")
	}
	seen := map[*Device]bool{}
	for _, d := range devs {
		if d == nil {
			return nil, errors.New("nccl: nil device")
		}
		if seen[d] {
			return nil, fmt.Errorf("nccl: %s appears twice (NCCL runs one rank per GPU)", d.name)
		}
		seen[d] = true
	}
	id, err := NCCLUniqueID()
	if err != nil {
		return nil, err
	}
	comms := make([]*NCCL, len(devs))
	errs := make([]error, len(devs))
	var wg sync.WaitGroup
	for i, d := range devs {
		wg.Go(func() { comms[i], errs[i] = NewNCCL(d, id, i, len(devs)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, c := range comms {
			if c != nil {
				_ = c.abort()
			}
		}
		return nil, err
	}
	return comms, nil
}

// Rank returns the communicator's rank.
func (c *NCCL) Rank() int { return c.rank }

// Size returns the number of ranks.
func (c *NCCL) Size() int { return c.size }

// Device returns the rank's GPU.
func (c *NCCL) Device() core.Device { return c.dev }

// Close destroys the communicator (ncclCommDestroy) after the work queued
// on the device.
func (c *NCCL) Close() error {
	if c.comm == 0 {
		return nil
	}
	err := c.dev.run(func() error {
		if err := check("cuStreamSynchronize", drv.streamSynchronize(c.dev.stream)); err != nil {
			return err
		}
		return ncclCheck("ncclCommDestroy", nccl.commDestroy(c.comm))
	})
	c.comm = 0
	return err
}

// Abort tears the communicator down without waiting for its peers
// (ncclCommAbort): collectives queued on the stream that wait for a rank
// that will never join give up instead of hanging the GPU. The handle is
// unusable afterwards; llama.Parallel calls it when a rank fails.
func (c *NCCL) Abort() error { return c.abort() }

func (c *NCCL) abort() error {
	if c.comm == 0 {
		return nil
	}
	err := c.dev.run(func() error { return ncclCheck("ncclCommAbort", nccl.commAbort(c.comm)) })
	c.comm = 0
	return err
}

// ncclType maps a dtype to NCCL's.
func ncclType(dt core.DType) (int32, error) {
	switch dt {
	case core.F32:
		return ncclFloat32, nil
	case core.F16:
		return ncclFloat16, nil
	case core.BF16:
		return ncclBfloat16, nil
	case core.F64:
		return ncclFloat64, nil
	case core.I8:
		return ncclInt8, nil
	case core.U8, core.Bool:
		return ncclUint8, nil
	case core.I32:
		return ncclInt32, nil
	case core.U32:
		return ncclUint32, nil
	case core.I64:
		return ncclInt64, nil
	}
	return 0, fmt.Errorf("nccl: dtype %v has no NCCL type", dt)
}

// operands checks x is on the rank's device, makes it contiguous and
// allocates an output of n elements of its dtype.
func (c *NCCL) operands(what string, x *core.Array, shape core.Shape) (in, out *core.Array, dt int32, err error) {
	if c.comm == 0 {
		return nil, nil, 0, fmt.Errorf("nccl %s: communicator closed", what)
	}
	if x == nil || x.Device() != core.Device(c.dev) {
		return nil, nil, 0, fmt.Errorf("nccl %s: rank %d's array is not on %s", what, c.rank, c.dev.name)
	}
	if dt, err = ncclType(x.DType()); err != nil {
		return nil, nil, 0, err
	}
	if in, err = x.Contiguous(); err != nil {
		return nil, nil, 0, err
	}
	st, err := c.dev.AllocOutput(shape.NumElements() * x.DType().Size())
	if err != nil {
		return nil, nil, 0, err
	}
	out, err = core.NewArray(x.DType(), shape, st, 0)
	return in, out, dt, err
}

// queue runs a collective on the worker thread unless ctx already ended.
// Once queued, a collective cannot be recalled: a rank that never joins
// leaves the others' streams waiting, which Close cannot end (abort can).
func (c *NCCL) queue(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.dev.run(f)
}

// AllReduceSum returns the sum of every rank's x (ncclAllReduce, ncclSum).
func (c *NCCL) AllReduceSum(ctx context.Context, x *core.Array) (*core.Array, error) {
	in, out, dt, err := c.operands("all-reduce", x, x.Shape())
	if err != nil {
		return nil, err
	}
	n := uint64(x.NumElements())
	err = c.queue(ctx, func() error {
		return ncclCheck("ncclAllReduce", nccl.allReduce(dataPtr(in), dataPtr(out), n, dt, ncclSum, c.comm, c.dev.stream))
	})
	return out, err
}

// AllGather returns every rank's x concatenated along axis (ncclAllGather
// stacks them rank-major; another axis is a transpose after).
func (c *NCCL) AllGather(ctx context.Context, x *core.Array, axis int) (*core.Array, error) {
	if x == nil || axis < 0 || axis >= x.Rank() {
		return nil, fmt.Errorf("nccl all-gather: axis %d outside %v", axis, x)
	}
	s := x.Shape()
	stacked := append(core.Shape{c.size}, s...)
	in, out, dt, err := c.operands("all-gather", x, stacked)
	if err != nil {
		return nil, err
	}
	n := uint64(x.NumElements())
	if err := c.queue(ctx, func() error {
		return ncclCheck("ncclAllGather", nccl.allGather(dataPtr(in), dataPtr(out), n, dt, c.comm, c.dev.stream))
	}); err != nil {
		return nil, err
	}
	return unstack(out, axis)
}

// unstack turns [ranks, d0, ..., dk] into the concatenation of the ranks
// along axis: the rank dimension moves in front of axis and merges with
// it.
func unstack(out *core.Array, axis int) (*core.Array, error) {
	s := out.Shape()
	if axis > 0 {
		perm := make([]int, 0, len(s))
		for i := 1; i <= axis; i++ {
			perm = append(perm, i)
		}
		perm = append(perm, 0)
		for i := axis + 1; i < len(s); i++ {
			perm = append(perm, i)
		}
		var err error
		if out, err = out.Permute(perm...); err != nil {
			return nil, err
		}
		if out, err = out.Contiguous(); err != nil {
			return nil, err
		}
	}
	shape := append([]int(nil), s[1:]...)
	shape[axis] *= s[0]
	return out.Reshape(shape...)
}

// Broadcast returns root's x on every rank (ncclBroadcast).
func (c *NCCL) Broadcast(ctx context.Context, x *core.Array, root int) (*core.Array, error) {
	if root < 0 || root >= c.size {
		return nil, fmt.Errorf("nccl broadcast: root %d outside [0, %d)", root, c.size)
	}
	in, out, dt, err := c.operands("broadcast", x, x.Shape())
	if err != nil {
		return nil, err
	}
	n := uint64(x.NumElements())
	err = c.queue(ctx, func() error {
		return ncclCheck("ncclBroadcast", nccl.broadcast(dataPtr(in), dataPtr(out), n, dt, int32(root), c.comm, c.dev.stream))
	})
	return out, err
}

// AllReduceSums is AllReduceSum of several arrays in one launch: the
// all-reduces are queued between ncclGroupStart and ncclGroupEnd on the
// worker thread, so NCCL fuses them instead of running one after another.
func (c *NCCL) AllReduceSums(ctx context.Context, xs []*core.Array) ([]*core.Array, error) {
	type op struct {
		in, out *core.Array
		dt      int32
	}
	ops := make([]op, len(xs))
	outs := make([]*core.Array, len(xs))
	for i, x := range xs {
		in, out, dt, err := c.operands("all-reduce", x, x.Shape())
		if err != nil {
			return nil, fmt.Errorf("array %d: %w", i, err)
		}
		ops[i], outs[i] = op{in, out, dt}, out
	}
	err := c.queue(ctx, func() error {
		return ncclGroup(func() error {
			for _, o := range ops {
				n := uint64(o.in.NumElements())
				if err := ncclCheck("ncclAllReduce", nccl.allReduce(dataPtr(o.in), dataPtr(o.out), n, o.dt, ncclSum, c.comm, c.dev.stream)); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return outs, nil
}

// ncclGroup runs f, which queues collectives, between ncclGroupStart and
// ncclGroupEnd on the calling thread; ncclGroupEnd is called even when f
// fails, as NCCL requires.
func ncclGroup(f func() error) error {
	if err := ncclCheck("ncclGroupStart", nccl.groupStart()); err != nil {
		return err
	}
	ferr := f()
	if err := ncclCheck("ncclGroupEnd", nccl.groupEnd()); err != nil {
		return errors.Join(ferr, err)
	}
	return ferr
}
