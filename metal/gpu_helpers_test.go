package metal

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"
)

// Helpers for the tests that run kernels on a GPU. They run wherever a
// Metal device exists and skip elsewhere, saying what they need.

// gpu returns the default context or skips the test.
func gpu(t *testing.T) *Context {
	t.Helper()
	c, err := DefaultContext()
	if err != nil {
		t.Skipf("needs macOS with a Metal GPU (run `go tool mage test` on a Mac): %v", err)
	}
	return c
}

// encodeVals stores float32 values as dt's bytes (rounding to nearest
// even for f16 and bf16).
func encodeVals(dt core.DType, v []float32) []byte {
	b := make([]byte, len(v)*dt.Size())
	for i, x := range v {
		switch dt {
		case core.F32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		case core.F16:
			binary.LittleEndian.PutUint16(b[2*i:], float16.Fromfloat32(x).Bits())
		case core.BF16:
			binary.LittleEndian.PutUint16(b[2*i:], core.BFloat16FromFloat32(x).Bits())
		default:
			panic("encodeVals: dtype " + dt.String())
		}
	}
	return b
}

// decodeVals reads dt's bytes as float32 values.
func decodeVals(dt core.DType, b []byte) []float32 {
	n := len(b) / dt.Size()
	v := make([]float32, n)
	for i := range v {
		switch dt {
		case core.F32:
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		case core.F16:
			v[i] = float16.Frombits(binary.LittleEndian.Uint16(b[2*i:])).Float32()
		case core.BF16:
			v[i] = core.BFloat16(binary.LittleEndian.Uint16(b[2*i:])).Float32()
		default:
			panic("decodeVals: dtype " + dt.String())
		}
	}
	return v
}

// hostArray makes a contiguous CPU array of dt holding v (rounded to dt).
func hostArray(t *testing.T, dt core.DType, v []float32, shape ...int) *core.Array {
	t.Helper()
	h := core.NewHeap(len(v) * dt.Size())
	copy(h.Bytes(), encodeVals(dt, v))
	a, err := core.NewArray(dt, core.Shape(shape), h, 0)
	require.NoError(t, err)
	return a
}

// values reads any array (device or host, any view) as float32 values in
// row-major order.
func values(t *testing.T, a *core.Array) []float32 {
	t.Helper()
	b, err := a.Bytes()
	require.NoError(t, err)
	return decodeVals(a.DType(), b)
}

// randVals returns n values in [lo, hi).
func randVals(r *rand.Rand, n int, lo, hi float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float32()
	}
	return v
}

// tolerance is the accepted error relative to max(1, |want|): f32 kernels
// differ from float64 references by rounding only; f16/bf16 kernels round
// their result once to 11 or 8 significant bits.
func tolerance(dt core.DType) float64 {
	switch dt {
	case core.F16:
		return 2e-3
	case core.BF16:
		return 1.6e-2
	}
	return 2e-6
}

// near checks got against want (float64 references) element by element.
func near(t *testing.T, dt core.DType, want []float64, got []float32, what string) {
	t.Helper()
	nearAcc(t, dt, want, nil, got, what)
}

// accErr bounds the float32 accumulation error of a sum relative to the
// sum of its terms' magnitudes (n*eps for n up to ~300 terms, with room).
const accErr = 2e-5

// nearAcc is near for results accumulated over many terms: mag[i] is the
// sum of the magnitudes of want[i]'s terms, and the bound grows with it.
func nearAcc(t *testing.T, dt core.DType, want, mag []float64, got []float32, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	tol := tolerance(dt)
	for i := range want {
		extra := 0.0
		if mag != nil {
			extra = accErr * mag[i]
		}
		w, g := want[i], float64(got[i])
		if math.IsNaN(w) {
			require.True(t, math.IsNaN(g), "%s[%d]: got %v, want NaN", what, i, g)
			continue
		}
		if math.IsInf(w, 0) {
			require.Equal(t, w, g, "%s[%d]", what, i)
			continue
		}
		require.LessOrEqual(t, math.Abs(w-g), tol*math.Max(1, math.Abs(w))+extra, "%s[%d]: got %v, want %v", what, i, g, w)
	}
}

// toGPU moves a host array to the context's device.
func toGPU(t *testing.T, c *Context, a *core.Array) *core.Array {
	t.Helper()
	g, err := a.To(c.Device())
	require.NoError(t, err)
	return g
}

// run executes op on the GPU and returns its output's values.
func run(t *testing.T, c *Context, op *core.Op) []float32 {
	t.Helper()
	require.NoError(t, c.Execute(op), op.Name)
	require.NoError(t, c.Sync(), op.Name)
	return values(t, op.Out)
}

// gpuOut allocates an output array on the GPU.
func gpuOut(t *testing.T, c *Context, dt core.DType, shape ...int) *core.Array {
	t.Helper()
	a, err := core.Empty(c.Device(), dt, core.Shape(shape))
	require.NoError(t, err)
	return a
}
