package core

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeDevice holds bytes the CPU must not address directly (its storage
// is not HostStorage) and has no Executor, so every op on it goes through
// core's CPU fallback: the path a new backend starts from.
//
// Op outputs come from AllocOutput filled with garbage, so a fallback
// that left any byte unwritten would show in the results.
type fakeDevice struct {
	name    string
	outputs int
}

type fakeStorage struct {
	dev *fakeDevice
	b   []byte
}

func (s *fakeStorage) Device() Device { return s.dev }
func (s *fakeStorage) Len() int       { return len(s.b) }

func (d *fakeDevice) Name() string   { return d.name }
func (d *fakeDevice) Kind() string   { return "fake" }
func (d *fakeDevice) Priority() int  { return -1 }
func (d *fakeDevice) Status() Status { return Status{Available: true} }
func (d *fakeDevice) Sync() error    { return nil }
func (d *fakeDevice) Alloc(n int) (Storage, error) {
	return &fakeStorage{dev: d, b: make([]byte, n)}, nil
}

func (d *fakeDevice) AllocOutput(n int) (Storage, error) {
	d.outputs++
	b := make([]byte, n)
	for i := range b {
		b[i] = 0xa5
	}
	return &fakeStorage{dev: d, b: b}, nil
}

func (d *fakeDevice) CopyFromHost(dst Storage, off int, src []byte) error {
	s, ok := dst.(*fakeStorage)
	if !ok || off+len(src) > len(s.b) {
		return fmt.Errorf("fake: bad copy")
	}
	copy(s.b[off:], src)
	return nil
}

func (d *fakeDevice) CopyToHost(dst []byte, src Storage, off int) error {
	s, ok := src.(*fakeStorage)
	if !ok || off+len(dst) > len(s.b) {
		return fmt.Errorf("fake: bad copy")
	}
	copy(dst, s.b[off:])
	return nil
}

func TestOpsOnDeviceFallBackToCPU(t *testing.T) {
	dev := &fakeDevice{name: "fake-ops"}
	x, err := FromSlice(arange(12), 3, 4)
	require.NoError(t, err)
	xd, err := x.To(dev)
	require.NoError(t, err)
	xt, err := xd.T() // a strided view of device memory
	require.NoError(t, err)

	y, err := MatMul(xd, xt)
	require.NoError(t, err)
	assert.Equal(t, dev, y.Device())
	want, err := MatMul(x, mustT(t, x))
	require.NoError(t, err)
	yh, err := y.Values()
	require.NoError(t, err)
	wh, err := want.Values()
	require.NoError(t, err)
	assert.Equal(t, wh, yh)

	s, err := Sum(xd, false, 0)
	require.NoError(t, err)
	v, err := s.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{12, 15, 18, 21}, v)

	sm, err := Softmax(xt, 0)
	require.NoError(t, err)
	assert.Equal(t, dev, sm.Device())

	idx, err := FromSlice([]int32{2}, 1)
	require.NoError(t, err)
	_, err = IndexSelect(xd, 0, idx)
	require.ErrorContains(t, err, "different devices", "operands on two devices are refused")
	idxd, err := idx.To(dev)
	require.NoError(t, err)
	g, err := IndexSelect(xd, 0, idxd)
	require.NoError(t, err)
	v, err = g.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{8, 9, 10, 11}, v)

	_, err = Add(x, xd)
	require.ErrorContains(t, err, "add: operands on different devices cpu and fake-ops")
	fb := Fallbacks()
	assert.Positive(t, fb["fake-ops/matmul"])
	assert.Positive(t, fb["fake-ops/sum"])
	assert.Positive(t, dev.outputs, "op outputs come from AllocOutput")
}

func mustT[T Element](t *testing.T, x *Tensor[T]) *Tensor[T] {
	t.Helper()
	y, err := x.T()
	require.NoError(t, err)
	return y
}

// oddStorage is host memory starting one byte past an aligned address, as
// a file mapped at an odd tensor offset can be.
type oddStorage struct{ b []byte }

func (s *oddStorage) Device() Device { return CPU() }
func (s *oddStorage) Len() int       { return len(s.b) }
func (s *oddStorage) Bytes() []byte  { return s.b }
func (s *oddStorage) Writable() bool { return false }

func TestOpsOnMisalignedHostStorage(t *testing.T) {
	vals := []float32{1, -2, 3, -4, 5, 6}
	raw := NewHeap(4*len(vals) + 1).Bytes()
	copy(raw[1:], unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), 4*len(vals)))
	a, err := NewArray(F32, Shape{2, 3}, &oddStorage{b: raw[1:]}, 0)
	require.NoError(t, err)
	x, err := As[float32](a)
	require.NoError(t, err)
	y, err := Relu(x)
	require.NoError(t, err)
	v, err := y.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 0, 3, 0, 5, 6}, v)
	m, err := MatMul(x, mustT(t, x))
	require.NoError(t, err)
	v, err = m.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{14, 4, 4, 77}, v)
	h, err := Cast[Float16](x)
	require.NoError(t, err)
	hv, err := h.Values()
	require.NoError(t, err)
	assert.Equal(t, float32(-4), hv[3].Float32())
}

func TestReduceAndSoftmaxOfBroadcastView(t *testing.T) {
	row, err := FromSlice([]float32{1, 2, 3}, 3)
	require.NoError(t, err)
	b, err := row.BroadcastTo(4, 3) // stride 0 on axis 0
	require.NoError(t, err)
	s, err := Sum(b, false, 0)
	require.NoError(t, err)
	v, err := s.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{4, 8, 12}, v)
	sm, err := Softmax(b, 0)
	require.NoError(t, err)
	v, err = sm.Values()
	require.NoError(t, err)
	for _, e := range v {
		assert.InDelta(t, 0.25, e, 1e-7)
	}
	am, err := ArgMax(b, 1, false)
	require.NoError(t, err)
	iv, err := am.Values()
	require.NoError(t, err)
	assert.Equal(t, []int64{2, 2, 2, 2}, iv)
}
