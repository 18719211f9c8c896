package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testDevice is registered so the registry paths see a non-CPU device;
// fakeDevice (ops_device_test.go) has no kernels, so every op falls back.
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
