package mtl

import (
	"errors"
	"unsafe"
)

// CommandQueue is an owned reference to an id<MTLCommandQueue>.
type CommandQueue struct{ id uintptr }

// Release gives up the reference.
func (q CommandQueue) Release() { release(q.id) }

// CommandBuffer returns a new command buffer, retained so that it outlives
// the autorelease pool it was made in; Release it after completion.
func (q CommandQueue) CommandBuffer() (CommandBuffer, error) {
	var cb CommandBuffer
	err := WithPool(func() error {
		id := msg.id(q.id, selCommandBuffer) // autoreleased
		if id == 0 {
			return errors.New("metal: commandBuffer returned nil")
		}
		retain(id)
		cb.id = id
		return nil
	})
	return cb, err
}

// CommandBuffer is an owned reference to an id<MTLCommandBuffer>.
type CommandBuffer struct{ id uintptr }

// Release gives up the reference.
func (c CommandBuffer) Release() { release(c.id) }

// Valid reports whether c refers to a command buffer.
func (c CommandBuffer) Valid() bool { return c.id != 0 }

// ComputeEncoder opens a compute encoder (serial dispatch: each dispatch
// sees the writes of the one before), retained until Release.
func (c CommandBuffer) ComputeEncoder() (ComputeEncoder, error) {
	var enc ComputeEncoder
	err := WithPool(func() error {
		id := msg.id(c.id, selComputeEncoder) // autoreleased
		if id == 0 {
			return errors.New("metal: computeCommandEncoder returned nil")
		}
		retain(id)
		enc.id = id
		return nil
	})
	return enc, err
}

// Commit submits the command buffer to the GPU.
func (c CommandBuffer) Commit() { msg.void(c.id, selCommit) }

// WaitUntilCompleted blocks until the GPU has finished (or failed).
func (c CommandBuffer) WaitUntilCompleted() { msg.void(c.id, selWaitUntilCompleted) }

// Status returns the MTLCommandBufferStatus.
func (c CommandBuffer) Status() uint { return msg.uint(c.id, selStatus) }

// Err returns the command buffer's error, nil when it has none.
func (c CommandBuffer) Err(what string) error {
	var err error
	_ = WithPool(func() error {
		if e := msg.id(c.id, selError); e != 0 {
			err = nsError(what, e)
		}
		return nil
	})
	return err
}

// ComputeEncoder is an owned reference to an id<MTLComputeCommandEncoder>.
type ComputeEncoder struct{ id uintptr }

// Release gives up the reference (after EndEncoding).
func (e ComputeEncoder) Release() { release(e.id) }

// Valid reports whether e refers to an encoder.
func (e ComputeEncoder) Valid() bool { return e.id != 0 }

// SetPipeline selects the kernel for the following dispatches.
func (e ComputeEncoder) SetPipeline(p Pipeline) { msg.voidID(e.id, selSetPipelineState, p.id) }

// SetBuffer binds b at byte offset off to buffer index idx.
func (e ComputeEncoder) SetBuffer(b Buffer, off, idx uint) {
	msg.voidIDUintUint(e.id, selSetBuffer, b.id, off, idx)
}

// SetBytes copies n bytes at p into the command stream at buffer index idx
// (Metal copies them during the call; Apple limits this to 4 KiB).
func (e ComputeEncoder) SetBytes(p unsafe.Pointer, n, idx uint) {
	msg.voidPtrUintUint(e.id, selSetBytes, p, n, idx)
}

// SetThreadgroupMemoryLength sizes threadgroup buffer idx (a multiple of 16).
func (e ComputeEncoder) SetThreadgroupMemoryLength(n, idx uint) {
	msg.voidUintUint(e.id, selSetTGMemory, n, idx)
}

// Dispatch launches groups threadgroups of perGroup threads each. Both
// MTLSize values go by value through the typed objc_msgSend.
func (e ComputeEncoder) Dispatch(groups, perGroup Size) {
	msg.voidSizeSize(e.id, selDispatchTG, groups, perGroup)
}

// EndEncoding closes the encoder; required before Commit.
func (e ComputeEncoder) EndEncoding() { msg.void(e.id, selEndEncoding) }
