package cuda

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/lbrx/lbrx/core"
)

var _ core.LaterReader = (*Device)(nil)

// laterSlotSize bounds the reads CopyToHostLater queues: a token id, a
// few flags. Larger reads are copied at once, as CopyToHost does.
const laterSlotSize = 4096

// laterSlot is pinned host memory a queued read lands in, and the event
// recorded after its copy.
type laterSlot struct {
	buf []byte
	ev  cuEvent
}

// CopyToHostLater queues a copy of src (from byte offset off) into dst
// behind the work queued on the stream so far and returns without
// waiting (core.LaterReader): a decode loop queues its next step before
// it waits for the token of the last. The copy goes through a pinned
// slot, since a copy to pageable memory would block; Wait delivers it
// into dst and returns the slot.
func (d *Device) CopyToHostLater(dst []byte, src core.Storage, off int) (core.Pending, error) {
	cs, err := d.storageOf(src, off, len(dst), "copy source")
	if err != nil {
		return nil, err
	}
	if d.capturing.Load() {
		return nil, fmt.Errorf("%s: copy to the host: %w", d.name, errCapturing)
	}
	if len(dst) == 0 || len(dst) > laterSlotSize {
		return donePending{}, d.CopyToHost(dst, src, off)
	}
	r := &laterRead{d: d, dst: dst}
	err = d.run(func() error {
		sl, err := d.laterSlot()
		if err != nil {
			return err
		}
		if err := check("cuMemcpyDtoHAsync", drv.memcpyDtoHAsync(unsafe.Pointer(&sl.buf[0]), cs.ptr+devicePtr(off), uint64(len(dst)), d.stream)); err != nil {
			d.later = append(d.later, sl)
			return err
		}
		if err := check("cuEventRecord", drv.eventRecord(sl.ev, d.stream)); err != nil {
			// The copy is queued: keep the slot out of the free list.
			return err
		}
		r.sl = sl
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// laterSlot returns a free slot, allocating one when none is; on the
// worker thread.
func (d *Device) laterSlot() (*laterSlot, error) {
	if n := len(d.later); n > 0 {
		sl := d.later[n-1]
		d.later = d.later[:n-1]
		return sl, nil
	}
	var p unsafe.Pointer
	if err := check("cuMemAllocHost", drv.memAllocHost(&p, laterSlotSize)); err != nil {
		return nil, err
	}
	sl := &laterSlot{buf: unsafe.Slice((*byte)(p), laterSlotSize)}
	if err := check("cuEventCreate", drv.eventCreate(&sl.ev, eventDisableTiming)); err != nil {
		_ = drv.memFreeHost(p)
		return nil, err
	}
	return sl, nil
}

// laterRead is a copy queued by CopyToHostLater.
type laterRead struct {
	d   *Device
	sl  *laterSlot // nil once waited for
	dst []byte
}

// Wait blocks until the copy is done, delivers it and frees the slot.
func (r *laterRead) Wait() error {
	sl := r.sl
	if sl == nil {
		return errors.New("cuda: a queued read was already waited for")
	}
	r.sl = nil
	return r.d.w.do(func() error {
		err := check("cuEventSynchronize", drv.eventSynchronize(sl.ev))
		if err == nil {
			copy(r.dst, sl.buf[:len(r.dst)])
		}
		r.d.later = append(r.d.later, sl)
		return err
	})
}

// donePending is a read that was done when it was queued.
type donePending struct{}

func (donePending) Wait() error { return nil }
