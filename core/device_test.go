package core

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeStorage is device memory the CPU cannot address: it exercises every
// path that must go through CopyToHost/CopyFromHost.
type fakeStorage struct {
	dev *fakeDevice
	mem []byte
}

func (s *fakeStorage) Device() Device { return s.dev }
func (s *fakeStorage) Len() int       { return len(s.mem) }

// fakeDevice is a registered device with no kernels: every op falls back.
type fakeDevice struct {
	name   string
	copies int
}

func (d *fakeDevice) Name() string   { return d.name }
func (d *fakeDevice) Kind() string   { return "fake" }
func (d *fakeDevice) Priority() int  { return -1 }
func (d *fakeDevice) Status() Status { return Status{Available: true} }
func (d *fakeDevice) Sync() error    { return nil }
func (d *fakeDevice) Alloc(n int) (Storage, error) {
	return &fakeStorage{dev: d, mem: make([]byte, n)}, nil
}

func (d *fakeDevice) CopyFromHost(dst Storage, off int, src []byte) error {
	d.copies++
	fs := dst.(*fakeStorage)
	if off+len(src) > len(fs.mem) {
		return fmt.Errorf("overrun")
	}
	copy(fs.mem[off:], src)
	return nil
}

func (d *fakeDevice) CopyToHost(dst []byte, src Storage, off int) error {
	d.copies++
	copy(dst, src.(*fakeStorage).mem[off:])
	return nil
}

var testDevice = &fakeDevice{name: "fake:0"}

func init() { Register(testDevice) }

func TestRegistryListsAndLooksUp(t *testing.T) {
	names := []string{}
	for _, d := range Devices() {
		names = append(names, d.Name())
	}
	assert.Contains(t, names, "cpu")
	assert.Contains(t, names, "fake:0")
	d, err := Lookup("fake")
	require.NoError(t, err)
	assert.Same(t, testDevice, d)
	_, err = Lookup("tpu")
	require.ErrorContains(t, err, `no device "tpu"`)

	t.Setenv("LBRX_DEVICE", "fake:0")
	d, err = DefaultDevice()
	require.NoError(t, err)
	assert.Same(t, testDevice, d)
	t.Setenv("LBRX_DEVICE", "tpu")
	_, err = DefaultDevice()
	require.ErrorContains(t, err, "LBRX_DEVICE")
	t.Setenv("LBRX_DEVICE", "")
	d, err = DefaultDevice()
	require.NoError(t, err)
	assert.Equal(t, "cpu", d.Name(), "the fake device ranks below the CPU")
}

func TestDeviceRoundTripAndCountedFallback(t *testing.T) {
	x, err := FromSlice(arange(12), 3, 4)
	require.NoError(t, err)
	x, err = x.WithMetadata(Metadata{Name: "x", DimNames: []string{"rows", "cols"}})
	require.NoError(t, err)

	dx, err := x.To(testDevice)
	require.NoError(t, err)
	assert.Same(t, testDevice, dx.Device())
	assert.Equal(t, "x", dx.Metadata().Name)

	// A strided view of device memory comes back gathered.
	tr, err := dx.T()
	require.NoError(t, err)
	assert.Equal(t, []string{"cols", "rows"}, tr.Metadata().DimNames)
	v, err := tr.Values()
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, v)

	before := Fallbacks()["fake:0/add"]
	sum, err := Add(dx, dx)
	require.NoError(t, err)
	assert.Same(t, testDevice, sum.Device(), "the fallback result is written back to the device")
	assert.Equal(t, before+1, Fallbacks()["fake:0/add"])
	v, err = sum.Values()
	require.NoError(t, err)
	assert.Equal(t, float32(22), v[11])

	_, err = Add(dx, x)
	require.ErrorContains(t, err, "different devices")
}
