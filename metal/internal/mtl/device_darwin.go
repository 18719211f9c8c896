package mtl

import (
	"errors"
	"fmt"
	"os"
	"unsafe"
)

// Device is an owned reference to an id<MTLDevice>.
type Device struct{ id uintptr }

// ErrNoDevice reports a Mac where Metal finds no GPU.
var ErrNoDevice = errors.New("metal: no Metal device (MTLCreateSystemDefaultDevice and MTLCopyAllDevices found none)")

// DefaultDevice returns the system default GPU. When
// MTLCreateSystemDefaultDevice returns nil (documented for command-line
// programs that do not link CoreGraphics, which Load opens anyway) it
// takes the first entry of MTLCopyAllDevices.
func DefaultDevice() (Device, error) {
	var d Device
	err := WithPool(func() error {
		if id := cfn.createSystemDefaultDevice(); id != 0 {
			d.id = id // Create rule: already +1
			return nil
		}
		arr := cfn.copyAllDevices() // Copy rule: +1 NSArray
		if arr == 0 {
			return ErrNoDevice
		}
		defer release(arr)
		if msg.uint(arr, selCount) == 0 {
			return ErrNoDevice
		}
		id := msg.idUint(arr, selObjectAtIndex, 0)
		if id == 0 {
			return ErrNoDevice
		}
		retain(id) // the array owns it; keep our own reference
		d.id = id
		return nil
	})
	return d, err
}

// Release gives up the reference.
func (d Device) Release() { release(d.id) }

// Valid reports whether d refers to a device.
func (d Device) Valid() bool { return d.id != 0 }

// Name returns the GPU's name ("Apple M2 Pro").
func (d Device) Name() string {
	var s string
	_ = WithPool(func() error { s = goString(msg.id(d.id, selName)); return nil })
	return s
}

// HasUnifiedMemory reports whether CPU and GPU share memory (Apple silicon).
func (d Device) HasUnifiedMemory() bool { return msg.bool(d.id, selHasUnifiedMemory) }

// MaxBufferLength is the largest buffer the device can allocate, in bytes.
func (d Device) MaxBufferLength() uint { return msg.uint(d.id, selMaxBufferLength) }

// RecommendedMaxWorkingSetSize is how much memory the GPU can use without
// hurting performance, in bytes.
func (d Device) RecommendedMaxWorkingSetSize() uint64 { return msg.u64(d.id, selRecommendedMaxWS) }

// SupportsFamily asks supportsFamily: for an MTLGPUFamily value.
func (d Device) SupportsFamily(family int) bool { return msg.boolInt(d.id, selSupportsFamily, family) }

// NewCommandQueue returns an owned command queue.
func (d Device) NewCommandQueue() (CommandQueue, error) {
	q := msg.id(d.id, selNewCommandQueue)
	if q == 0 {
		return CommandQueue{}, errors.New("metal: newCommandQueue returned nil")
	}
	return CommandQueue{id: q}, nil
}

// NewBuffer allocates n bytes of shared (CPU- and GPU-visible) memory.
// Apple documents newBufferWithLength:options: as returning a buffer
// cleared with zeros.
func (d Device) NewBuffer(n uint) (Buffer, error) {
	if n == 0 {
		return Buffer{}, errors.New("metal: newBufferWithLength: length 0 (Metal returns nil for empty buffers)")
	}
	if maxLen := d.MaxBufferLength(); n > maxLen {
		return Buffer{}, fmt.Errorf("metal: buffer of %d bytes exceeds the device's maxBufferLength %d", n, maxLen)
	}
	b := msg.idUintUint(d.id, selNewBufferWithLength, n, ResourceStorageModeShared)
	if b == 0 {
		return Buffer{}, fmt.Errorf("metal: newBufferWithLength:%d options:shared returned nil (out of memory?)", n)
	}
	return Buffer{id: b, n: n}, nil
}

// NewBufferNoCopy wraps n bytes at p in a shared buffer without copying.
// Metal requires p to be page-aligned and n a multiple of the page size.
// The caller keeps the memory alive and unmoved until the buffer is
// released and no GPU work uses it; there is no deallocator.
func (d Device) NewBufferNoCopy(p unsafe.Pointer, n uint) (Buffer, error) {
	page := uint(os.Getpagesize())
	switch {
	case p == nil || n == 0:
		return Buffer{}, errors.New("metal: no-copy buffer over empty memory")
	case uintptr(p)%uintptr(page) != 0:
		return Buffer{}, fmt.Errorf("metal: no-copy buffer: address %#x is not aligned to the %d-byte page", uintptr(p), page)
	case n%page != 0:
		return Buffer{}, fmt.Errorf("metal: no-copy buffer: length %d is not a multiple of the %d-byte page", n, page)
	}
	if maxLen := d.MaxBufferLength(); n > maxLen {
		return Buffer{}, fmt.Errorf("metal: no-copy buffer of %d bytes exceeds the device's maxBufferLength %d", n, maxLen)
	}
	b := msg.idPtrUintUintPtr(d.id, selNewBufferNoCopy, p, n, ResourceStorageModeShared, 0)
	if b == 0 {
		return Buffer{}, fmt.Errorf("metal: newBufferWithBytesNoCopy:%#x length:%d returned nil", uintptr(p), n)
	}
	return Buffer{id: b, n: n}, nil
}
