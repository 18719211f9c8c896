package core

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

var sizes atomic.Int64

// uniqueSize is an output size no other test (or earlier run of one)
// allocates.
func uniqueSize() int { return 1<<20 + 64*int(sizes.Add(1)) + 7 }

// waitRecycled runs collections until a buffer of size bytes waits in
// outputBuffers (its finalizer has run) or a second has passed.
func waitRecycled(size int) bool {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		outputBuffers.mu.Lock()
		n := len(outputBuffers.free[size])
		outputBuffers.mu.Unlock()
		if n > 0 {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return false
}

// TestOutputBuffersRecycled: a large op output whose storage is dropped
// comes back, and the next output of its size reuses it, zeroed.
func TestOutputBuffersRecycled(t *testing.T) {
	n := uniqueSize() // a size nothing else allocates
	st, err := cpuDevice{}.AllocOutput(n)
	require.NoError(t, err)
	b := st.(HostStorage).Bytes()
	require.Len(t, b, n)
	require.Zero(t, uintptr(unsafe.Pointer(&b[0]))%hostAlign, "not %d-byte aligned", hostAlign)
	for i := range b {
		b[i] = 0xa5
	}
	p := uintptr(unsafe.Pointer(&b[0]))
	runtime.KeepAlive(st) // the storage and b die here, so the buffer can come back
	require.True(t, waitRecycled(n+hostAlign-1), "the dropped output was not recycled")
	st2, err := cpuDevice{}.AllocOutput(n)
	require.NoError(t, err)
	b2 := st2.(HostStorage).Bytes()
	require.Equal(t, p, uintptr(unsafe.Pointer(&b2[0])), "the recycled buffer was not reused")
	for i, v := range b2 {
		if v != 0 {
			t.Fatalf("reused buffer not zeroed at %d: %#x", i, v)
		}
	}
}

// TestOutputBufferKeptWhileSliceLives: a slice of an output's memory
// kept after its storage is dropped keeps the buffer out of reuse.
func TestOutputBufferKeptWhileSliceLives(t *testing.T) {
	n := uniqueSize()
	st, err := cpuDevice{}.AllocOutput(n)
	require.NoError(t, err)
	kept := st.(HostStorage).Bytes()[100:200]
	for i := range kept {
		kept[i] = byte(i)
	}
	runtime.KeepAlive(st) // only the slice lives on
	require.False(t, waitRecycled(n+hostAlign-1), "a buffer still referenced was recycled")
	other, err := cpuDevice{}.AllocOutput(n)
	require.NoError(t, err)
	ob := other.(HostStorage).Bytes()
	for i := range ob {
		ob[i] = 0xff
	}
	for i, v := range kept {
		require.Equal(t, byte(i), v, "kept memory overwritten at %d", i)
	}
	runtime.KeepAlive(kept)
}

// TestRecyclerCap: beyond recycleMax bytes waiting, buffers are left to
// the collector.
func TestRecyclerCap(t *testing.T) {
	r := recycler{free: map[int][][]byte{}, bytes: recycleMax - 100}
	r.put(make([]byte, 200))
	require.Empty(t, r.free[200])
	r.put(make([]byte, 100))
	require.Len(t, r.free[100], 1)
	require.Equal(t, recycleMax, r.bytes)
	require.Len(t, r.get(100), 100)
	require.Equal(t, recycleMax-100, r.bytes)
}
