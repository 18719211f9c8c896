package quant

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeStorage and fakeDevice stand in for a GPU: storage that is not host
// memory, so To must really copy codes and parameters out and back.
type fakeStorage struct{ b []byte }

func (*fakeStorage) Device() core.Device { return fakeDev }
func (s *fakeStorage) Len() int          { return len(s.b) }

type fakeDevice struct{}

var fakeDev core.Device = fakeDevice{}

func (fakeDevice) Name() string                      { return "fake" }
func (fakeDevice) Kind() string                      { return "fake" }
func (fakeDevice) Priority() int                     { return -1 }
func (fakeDevice) Status() core.Status               { return core.Status{Available: true} }
func (fakeDevice) Sync() error                       { return nil }
func (fakeDevice) Alloc(n int) (core.Storage, error) { return &fakeStorage{b: make([]byte, n)}, nil }
func (fakeDevice) CopyFromHost(dst core.Storage, off int, src []byte) error {
	copy(dst.(*fakeStorage).b[off:], src)
	return nil
}

func (fakeDevice) CopyToHost(dst []byte, src core.Storage, off int) error {
	s, ok := src.(*fakeStorage)
	if !ok {
		return fmt.Errorf("not fake storage")
	}
	copy(dst, s.b[off:])
	return nil
}

func quantizedFixture(t *testing.T, bits, g int) (*core.Array, []float32) {
	t.Helper()
	r := rand.New(rand.NewPCG(11, uint64(bits)))
	w := randomWeights(r, 8*256)
	wt, err := core.FromSlice(w, 8, 256)
	require.NoError(t, err)
	named, err := wt.Array().WithMetadata(core.Metadata{Name: "layers.0.mlp.up_proj.weight"})
	require.NoError(t, err)
	q, err := Quantize(named, bits, g)
	require.NoError(t, err)
	d, err := DequantizeFloat32(q)
	require.NoError(t, err)
	dv, err := d.Values()
	require.NoError(t, err)
	return q, dv
}

func dequantValues(t *testing.T, q *core.Array) []float32 {
	t.Helper()
	d, err := DequantizeFloat32(q)
	require.NoError(t, err)
	v, err := d.Values()
	require.NoError(t, err)
	return v
}

func TestQuantMetadataSurvivesViewsAndMoves(t *testing.T) {
	q, want := quantizedFixture(t, 4, 64)
	assert.Equal(t, "layers.0.mlp.up_proj.weight", q.Name())

	// Device round trip: codes and parameters leave the host and return.
	onDev, err := q.To(fakeDev)
	require.NoError(t, err)
	require.Equal(t, fakeDev, onDev.Quant().Scales.Device())
	require.Equal(t, fakeDev, onDev.Quant().Biases.Device())
	back, err := onDev.To(core.CPU())
	require.NoError(t, err)
	assert.Equal(t, q.Name(), back.Name())
	assert.Equal(t, core.CPU(), back.Quant().Scales.Device())
	assert.Equal(t, want, dequantValues(t, back))
	// Dequantize reads device-resident codes too.
	assert.Equal(t, want, dequantValues(t, onDev))

	// Views keep the metadata; a reshape of the codes stays consistent.
	r, err := q.Reshape(2, 4, 32)
	require.NoError(t, err)
	require.NotNil(t, r.Quant())
	d, err := DequantizeFloat32(r)
	require.NoError(t, err)
	assert.Equal(t, core.Shape{2, 4, 256}, d.Shape())
	dv, err := d.Values()
	require.NoError(t, err)
	assert.Equal(t, want, dv)

	// Row slices take their scales along.
	s, err := SliceRows(q, 2, 5)
	require.NoError(t, err)
	assert.Equal(t, core.Shape{3, 256}, s.Quant().Shape)
	assert.Equal(t, want[2*256:5*256], dequantValues(t, s))
	// A plain Slice without SliceRows is caught, not misread.
	bad, err := q.Slice(0, 2, 5, 1)
	require.NoError(t, err)
	_, err = DequantizeFloat32(bad)
	require.ErrorContains(t, err, "scales")
}

func TestZeroPointsBothWays(t *testing.T) {
	for _, bits := range Bits {
		q, want := quantizedFixture(t, bits, 32)
		zq, err := WithZeroPoints(q)
		require.NoError(t, err)
		require.Nil(t, zq.Quant().Biases)
		require.NotNil(t, zq.Quant().ZeroPoints)
		got := dequantValues(t, zq)
		for i := range want {
			require.InDelta(t, want[i], got[i], 1e-6, "bits %d value %d", bits, i)
		}
		bq, err := WithBiases(zq)
		require.NoError(t, err)
		require.Nil(t, bq.Quant().ZeroPoints)
		b0, err := float32s(q.Quant().Biases)
		require.NoError(t, err)
		b1, err := float32s(bq.Quant().Biases)
		require.NoError(t, err)
		for i := range b0 {
			require.InDelta(t, b0[i], b1[i], 1e-6*max(1, float64(abs32(b0[i]))), "bits %d bias %d", bits, i)
		}

		// MLX's zero point is -q0, an integer, for F32 scales.
		z, err := float32s(zq.Quant().ZeroPoints)
		require.NoError(t, err)
		for _, v := range z {
			require.InDelta(t, rint32(v), v, 1e-3)
		}

		p, err := PositiveScales(q)
		require.NoError(t, err)
		ps, err := float32s(p.Quant().Scales)
		require.NoError(t, err)
		for _, s := range ps {
			require.GreaterOrEqual(t, s, float32(0))
		}
		got = dequantValues(t, p)
		for i := range want {
			require.InDelta(t, want[i], got[i], 2e-6, "positive scales, bits %d value %d", bits, i)
		}
		pz, err := PositiveScales(zq)
		require.NoError(t, err)
		require.NotNil(t, pz.Quant().ZeroPoints)
		got = dequantValues(t, pz)
		for i := range want {
			require.InDelta(t, want[i], got[i], 2e-6, "positive zero-point scales, bits %d value %d", bits, i)
		}
	}
}
