package metal

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/metal/internal/mtl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of the darwin machinery around the kernels: pool reuse on the GPU,
// deferred release, zero-copy import, batching and error paths. They skip
// on a Mac without a Metal device.

func TestGPUPoolReuseIsZeroed(t *testing.T) {
	c := gpu(t)
	before := c.Pool().Stats()
	s, err := NewStorage[float32](300, c)
	require.NoError(t, err)
	require.NoError(t, s.CopyFromCPU([]float32{1, 2, 3}))
	got := make([]float32, 3)
	require.NoError(t, s.CopyToCPU(got))
	assert.Equal(t, []float32{1, 2, 3}, got)
	s.Release()
	s.Release() // idempotent

	s2, err := NewStorage[float32](290, c) // same 2 KiB size class
	require.NoError(t, err)
	after := c.Pool().Stats()
	assert.Equal(t, before.Hits+1, after.Hits, "second allocation reuses the first buffer")
	all := make([]float32, 290)
	require.NoError(t, s2.CopyToCPU(all))
	assert.Equal(t, make([]float32, 290), all, "a reused buffer is cleared")
	require.Error(t, s2.CopyFromCPU(make([]float32, 291)), "overrun")
	s2.Release()
}

func TestGPUOversizedBuffer(t *testing.T) {
	c := gpu(t)
	_, err := New(c.Info().MaxBufferLength+1, c)
	require.ErrorContains(t, err, "exceed")
	_, err = New(-1, c)
	require.Error(t, err)
}

func TestGPUDeferredReleaseWaitsForGPU(t *testing.T) {
	c := gpu(t)
	n := 1 << 16
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = float32(i % 100)
	}
	in := toGPU(t, c, hostArray(t, core.F32, xs, n))
	out := gpuOut(t, c, core.F32, n)
	require.NoError(t, c.Execute(&core.Op{Name: "neg", Inputs: []*core.Array{in}, Out: out}))
	// Release the input while the GPU may still read it: the pool must not
	// hand it out (and a new owner must not overwrite it) before the GPU
	// is done.
	in.Storage().(*Buffer).Release()
	other, err := New(n*4, c)
	require.NoError(t, err)
	require.NoError(t, c.CopyFromHost(other, 0, encodeVals(core.F32, make([]float32, n))))
	got := values(t, out)
	for i := range got {
		require.Equal(t, -xs[i], got[i], "element %d", i)
	}
	other.Release()
}

func TestGPUBatchesCommit(t *testing.T) {
	c := gpu(t)
	a := toGPU(t, c, hostArray(t, core.F32, []float32{1}, 1))
	out := gpuOut(t, c, core.F32, 1)
	c.mu.Lock()
	start := c.sched.serial
	c.mu.Unlock()
	for range 3 * defaultBatch.maxDispatches {
		require.NoError(t, c.Execute(&core.Op{Name: "add", Inputs: []*core.Array{out, a}, Out: out}))
	}
	c.mu.Lock()
	batches := c.sched.serial - start
	c.mu.Unlock()
	assert.GreaterOrEqual(t, batches, uint64(3), "command buffers are committed every %d dispatches", defaultBatch.maxDispatches)
	require.NoError(t, c.Sync())
	assert.Equal(t, []float32{float32(3 * defaultBatch.maxDispatches)}, values(t, out))
}

func TestGPUErrorPaths(t *testing.T) {
	c := gpu(t)
	// A kernel the library lacks is an error naming it, not a fallback.
	in := toGPU(t, c, hostArray(t, core.F32, []float32{1, 2}, 2))
	out := gpuOut(t, c, core.F32, 2)
	p := UnaryParams{N: 2, Rank: 1, Shape: [MaxRank]uint32{2}, Strides: [MaxRank]int32{1}}
	d := dispatch{
		kernel: "no_such_kernel",
		bufs:   []bufArg{{st: in.Storage(), index: 0}, {st: out.Storage(), index: 1, write: true}},
		params: p.Bytes(), paramIdx: 2,
		launch: func(int, int) (Launch, error) { return ElementwiseLaunch(2, 0), nil },
	}
	require.ErrorContains(t, c.encode(&d), `"no_such_kernel"`)

	// Storage of another device is refused.
	host := hostArray(t, core.F32, []float32{1, 2}, 2)
	err := c.Execute(&core.Op{Name: "neg", Inputs: []*core.Array{host}, Out: out})
	require.ErrorIs(t, err, errForeign)

	// MSL that does not compile reports the compiler's message.
	_, err = c.dev.NewLibraryWithSource("kernel void broken(", mtl.CompileOptions{})
	require.ErrorContains(t, err, "newLibraryWithSource")

	// A metallib that is not one is rejected with Metal's error.
	_, err = c.dev.NewLibraryWithData([]byte("not a metallib"))
	require.ErrorContains(t, err, "newLibraryWithData")
}

// roFile is read-only, page-aligned HostStorage over a mapped file, as
// core's mapped model files are.
type roFile struct {
	mem []byte
}

func (r *roFile) Device() core.Device { return core.CPU() }
func (r *roFile) Len() int            { return len(r.mem) }
func (r *roFile) Bytes() []byte       { return r.mem }
func (r *roFile) Writable() bool      { return false }

func TestGPUZeroCopyImport(t *testing.T) {
	c := gpu(t)
	if !c.Info().UnifiedMemory {
		t.Skip("zero-copy import needs a unified-memory (Apple silicon) GPU")
	}
	n := 5000 // not a whole number of pages: the last page is partial
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = float32(i)
	}
	path := filepath.Join(t.TempDir(), "w.bin")
	require.NoError(t, os.WriteFile(path, encodeVals(core.F32, xs), 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	mem, err := syscall.Mmap(int(f.Fd()), 0, n*4, syscall.PROT_READ, syscall.MAP_SHARED)
	require.NoError(t, err)
	defer func() { require.NoError(t, syscall.Munmap(mem)) }()
	host, err := core.NewArray(core.F32, core.Shape{n}, &roFile{mem: mem}, 0)
	require.NoError(t, err)

	g, err := host.To(c.Device())
	require.NoError(t, err)
	buf, ok := g.Storage().(*Buffer)
	require.True(t, ok)
	assert.True(t, buf.ReadOnly())
	assert.Equal(t, unsafe.SliceData(mem), unsafe.SliceData(buf.st.mem), "the Metal buffer is the mapped file's memory")

	// Views of the same mapping share the one buffer.
	v, err := host.Slice(0, 10, 20, 1)
	require.NoError(t, err)
	gv, err := v.To(c.Device())
	require.NoError(t, err)
	assert.Same(t, buf, gv.Storage())

	got := run(t, c, &core.Op{Name: "neg", Inputs: []*core.Array{g}, Out: gpuOut(t, c, core.F32, n)})
	for i := range got {
		require.Equal(t, -xs[i], got[i])
	}
	require.Error(t, c.CopyFromHost(buf, 0, []byte{1}), "imported memory is read-only")
	err = c.Execute(&core.Op{Name: "neg", Inputs: []*core.Array{g}, Out: g})
	require.ErrorContains(t, err, "read-only")

	// Writable or misaligned host memory is copied, not imported.
	_, err = c.Import(core.NewHeap(4096))
	require.Error(t, err)
	// The buffers must not be collected before the file is unmapped.
	runtime.KeepAlive(g)
	runtime.KeepAlive(gv)
}
