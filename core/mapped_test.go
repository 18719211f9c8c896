package core

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// f32File writes n float32 values i*0.5 after a prefix of pre bytes.
func f32File(t *testing.T, pre, n int) string {
	t.Helper()
	b := make([]byte, pre, pre+4*n)
	for i := range n {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(i)*0.5))
	}
	p := filepath.Join(t.TempDir(), "f.bin")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

func skipWithoutMmap(t *testing.T) {
	if !mmapSupported {
		t.Skip("memory mapping is not supported on " + runtime.GOOS + "; the FileReader tests cover this platform")
	}
}

func TestMappedViewIsZeroCopy(t *testing.T) {
	skipWithoutMmap(t)
	p := f32File(t, 8, 6)
	m, err := MapFile(p)
	require.NoError(t, err)
	assert.False(t, m.Writable())
	assert.Equal(t, 32, m.Len())
	a, err := m.Array(F32, Shape{2, 3}, 8)
	require.NoError(t, err)
	assert.Same(t, m, a.Storage())
	x, err := As[float32](a)
	require.NoError(t, err)
	v, err := x.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 0.5, 1, 1.5, 2, 2.5}, v)
	_, err = x.Data()
	require.ErrorContains(t, err, "read-only")
	// Views of a mapped tensor read through the mapping too.
	col, err := x.Slice(1, 1, 2, 1)
	require.NoError(t, err)
	cv, err := col.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{0.5, 2}, cv)
	// Out of range requests fail with the file named.
	_, err = m.Array(F32, Shape{7}, 8)
	require.ErrorContains(t, err, p)
	_, err = m.ReadBytes(30, 4)
	require.ErrorContains(t, err, "outside the file")

	held := m.Bytes()
	require.NoError(t, m.Close())
	require.NoError(t, m.Close())
	assert.True(t, m.Closed())
	assert.Panics(t, func() { m.Bytes() })
	// A slice taken before Close reads zero pages instead of faulting.
	assert.Equal(t, byte(0), held[len(held)-1])
	runtime.KeepAlive(m)
}

// TestMappedMisalignedIsCopied: a tensor whose offset is not a multiple of
// its element size is copied into aligned heap memory (never a misaligned
// typed view, which checkptr rejects under -race).
func TestMappedMisalignedIsCopied(t *testing.T) {
	skipWithoutMmap(t)
	p := f32File(t, 3, 4)
	m, err := MapFile(p)
	require.NoError(t, err)
	defer m.Close()
	a, err := m.Array(F32, Shape{4}, 3)
	require.NoError(t, err)
	_, isHeap := a.Storage().(*Heap)
	assert.True(t, isHeap)
	x, _ := As[float32](a)
	v, err := x.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 0.5, 1, 1.5}, v)
	// Contiguous kernels over it work (the copy op builds typed slices).
	sl, err := x.Slice(0, 1, 4, 2)
	require.NoError(t, err)
	c, err := sl.Contiguous()
	require.NoError(t, err)
	cv, err := c.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{0.5, 1.5}, cv)
}

// TestMappingLivesWhileArraysDo: the mapping is released by the garbage
// collector only once no array uses it.
func TestMappingLivesWhileArraysDo(t *testing.T) {
	skipWithoutMmap(t)
	p := f32File(t, 0, 1024)
	load := func() *Tensor[float32] {
		m, err := MapFile(p)
		require.NoError(t, err)
		a, err := m.Array(F32, Shape{1024}, 0)
		require.NoError(t, err)
		x, _ := As[float32](a)
		return x
	}
	start := unmapped.Load()
	x := load()
	for range 3 {
		runtime.GC()
	}
	v, err := x.Values() // still mapped: the array holds the storage
	require.NoError(t, err)
	assert.Equal(t, float32(511.5), v[1023])
	x = nil
	deadline := time.Now().Add(5 * time.Second)
	for unmapped.Load() == start && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	assert.Greater(t, unmapped.Load(), start, "the mapping was not released after its last array died")
	runtime.KeepAlive(x)
}

func TestMapEmptyFile(t *testing.T) {
	skipWithoutMmap(t)
	p := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(p, nil, 0o644))
	m, err := MapFile(p)
	require.NoError(t, err)
	assert.Equal(t, 0, m.Len())
	a, err := m.Array(F32, Shape{0, 3}, 0)
	require.NoError(t, err)
	assert.Equal(t, 0, a.NumElements())
	require.NoError(t, m.Close())
	_, err = MapFile(filepath.Join(t.TempDir(), "missing"))
	require.Error(t, err)
}

// TestFileReaderConcurrent reads different tensors of one file from many
// goroutines at once (run with -race).
func TestFileReaderConcurrent(t *testing.T) {
	const n = 4096
	p := f32File(t, 1, n) // offset 1: every tensor is misaligned in the file
	r, err := OpenFileReader(p)
	require.NoError(t, err)
	defer r.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 64 {
				start := (g*64 + k) % (n - 16)
				a, err := r.Array(F32, Shape{4, 4}, int64(1+4*start))
				if err != nil {
					errs <- err
					return
				}
				x, _ := As[float32](a)
				d, err := x.Data() // heap storage: writable and aligned
				if err != nil {
					errs <- err
					return
				}
				for i, v := range d {
					if v != float32(start+i)*0.5 {
						t.Errorf("goroutine %d tensor %d element %d: %v", g, k, i, v)
						return
					}
				}
				d[0] = -1 // each tensor owns its memory
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	_, err = r.Array(F32, Shape{n + 1}, 1)
	assert.ErrorContains(t, err, "outside the file")
}

func TestOpenFileSourceModes(t *testing.T) {
	p := f32File(t, 0, 4)
	for _, mode := range []LoadMode{LoadAuto, LoadReadAt, LoadMmap} {
		if mode == LoadMmap && !mmapSupported {
			continue
		}
		src, err := OpenFileSource(p, mode)
		require.NoError(t, err)
		assert.Equal(t, int64(16), src.Size())
		b, err := src.ReadBytes(4, 4)
		require.NoError(t, err)
		assert.Equal(t, math.Float32bits(0.5), binary.LittleEndian.Uint32(b))
		require.NoError(t, src.Close())
	}
	_, err := OpenFileSource(p, LoadMode(9))
	assert.ErrorContains(t, err, "unknown load mode")
}
