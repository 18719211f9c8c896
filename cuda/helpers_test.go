package cuda

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/x448/float16"

	"github.com/lbrx/lbrx/core"
)

// gpu returns the first available CUDA device, or skips the test saying
// why there is none.
func gpu(tb testing.TB) *Device {
	tb.Helper()
	var reason string
	for _, d := range core.Devices() {
		if d.Kind() != "cuda" {
			continue
		}
		st := d.Status()
		if cd, ok := d.(*Device); ok && st.Available {
			return cd
		}
		reason = st.Reason
	}
	tb.Skipf("CUDA unavailable: %s", reason)
	return nil
}

// encode converts float64 values to dtype dt's little-endian bytes.
func encode(dt core.DType, v []float64) []byte {
	es := dt.Size()
	b := make([]byte, len(v)*es)
	for i, x := range v {
		p := b[i*es:]
		switch dt {
		case core.F32:
			binary.LittleEndian.PutUint32(p, math.Float32bits(float32(x)))
		case core.F64:
			binary.LittleEndian.PutUint64(p, math.Float64bits(x))
		case core.F16:
			binary.LittleEndian.PutUint16(p, float16.Fromfloat32(float32(x)).Bits())
		case core.BF16:
			binary.LittleEndian.PutUint16(p, core.BFloat16FromFloat32(float32(x)).Bits())
		case core.I8, core.U8:
			p[0] = byte(int64(x)) // integers wrap, as in Go and C
		case core.I16:
			binary.LittleEndian.PutUint16(p, uint16(int64(x)))
		case core.I32, core.U32:
			binary.LittleEndian.PutUint32(p, uint32(int64(x)))
		case core.I64:
			binary.LittleEndian.PutUint64(p, uint64(int64(x)))
		case core.Bool:
			if x != 0 {
				p[0] = 1
			}
		}
	}
	return b
}

// decode is encode's inverse.
func decode(dt core.DType, b []byte) []float64 {
	es := dt.Size()
	v := make([]float64, len(b)/es)
	for i := range v {
		p := b[i*es:]
		switch dt {
		case core.F32:
			v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(p)))
		case core.F64:
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(p))
		case core.F16:
			v[i] = float64(float16.Frombits(binary.LittleEndian.Uint16(p)).Float32())
		case core.BF16:
			v[i] = float64(core.BFloat16(binary.LittleEndian.Uint16(p)).Float32())
		case core.I8:
			v[i] = float64(int8(p[0]))
		case core.U8:
			v[i] = float64(p[0])
		case core.I16:
			v[i] = float64(int16(binary.LittleEndian.Uint16(p)))
		case core.I32:
			v[i] = float64(int32(binary.LittleEndian.Uint32(p)))
		case core.I64:
			v[i] = float64(int64(binary.LittleEndian.Uint64(p)))
		case core.U32:
			v[i] = float64(binary.LittleEndian.Uint32(p))
		case core.Bool:
			if p[0] != 0 {
				v[i] = 1
			}
		}
	}
	return v
}

// round passes v through dtype dt, as storing it would.
func round(dt core.DType, v []float64) []float64 { return decode(dt, encode(dt, v)) }

// hostArray builds a contiguous CPU array of dt holding v (rounded to dt).
func hostArray(tb testing.TB, dt core.DType, shape core.Shape, v []float64) *core.Array {
	tb.Helper()
	require.Len(tb, v, shape.NumElements(), "values for %v", shape)
	a, err := core.NewArray(dt, shape, core.NewHeap(len(v)*dt.Size()), 0)
	require.NoError(tb, err)
	copy(a.Storage().(*core.Heap).Bytes(), encode(dt, v))
	return a
}

// random returns n values: integers in [lo, hi] when ints, else uniform
// floats in [lo, hi).
func random(r *rand.Rand, n int, lo, hi float64, ints bool) []float64 {
	v := make([]float64, n)
	for i := range v {
		if ints {
			v[i] = math.Floor(lo + r.Float64()*(hi-lo+1))
		} else {
			v[i] = lo + r.Float64()*(hi-lo)
		}
	}
	return v
}

// values reads any array (any device, any strides) as float64s in
// row-major order.
func values(tb testing.TB, a *core.Array) []float64 {
	tb.Helper()
	b, err := a.Bytes()
	require.NoError(tb, err)
	return decode(a.DType(), b)
}

// strided returns the logical row-major values of a view over host data.
func strided(a *core.Array, data []float64) []float64 {
	shape, st := a.Shape(), a.Strides()
	n := shape.NumElements()
	out := make([]float64, n)
	idx := make([]int, len(shape))
	for i := range n {
		off := a.Offset()
		for d := range shape {
			off += idx[d] * st[d]
		}
		out[i] = data[off]
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out
}

// tolerance for results of dtype dt: a relative bound and an absolute floor.
func tolerance(dt core.DType) (rel, abs float64) {
	switch dt {
	case core.F64:
		return 1e-12, 1e-12
	case core.F32:
		return 2e-5, 1e-6
	case core.F16:
		return 2e-3, 1e-4
	case core.BF16:
		return 1.6e-2, 1e-3
	}
	return 0, 0
}

// near asserts element-wise closeness (NaNs must match NaNs) with a scale
// for absolute error (e.g. the magnitude of a dot product's terms).
func near(tb testing.TB, dt core.DType, want, got []float64, scale float64, what string) {
	tb.Helper()
	require.Len(tb, got, len(want), what)
	rel, abs := tolerance(dt)
	for i := range want {
		w, g := want[i], got[i]
		if math.IsNaN(w) || math.IsNaN(g) {
			require.True(tb, math.IsNaN(w) && math.IsNaN(g), "%s: element %d: want %v, got %v", what, i, w, g)
			continue
		}
		if math.IsInf(w, 0) || math.IsInf(g, 0) {
			require.Equal(tb, w, g, "%s: element %d", what, i)
			continue
		}
		lim := abs*max(scale, 1) + rel*math.Abs(w)
		require.LessOrEqual(tb, math.Abs(w-g), lim, "%s: element %d: want %v, got %v", what, i, w, g)
	}
}

// runOn executes op with inputs moved to dev and a fresh output there, and
// returns the output's values. It fails the test if the device fell back
// to the CPU for op, so parity is the GPU's.
func runOn(tb testing.TB, dev core.Device, name string, outType core.DType, outShape core.Shape, axes []int, param float64, in ...*core.Array) []float64 {
	tb.Helper()
	out, err := core.Empty(dev, outType, outShape)
	require.NoError(tb, err)
	op := &core.Op{Name: name, Inputs: in, Out: out, Axes: axes, Param: param}
	ex, ok := dev.(core.Executor)
	require.True(tb, ok)
	require.NoError(tb, ex.Execute(op), "%s on %s", name, dev.Name())
	return values(tb, out)
}

// cpuRef runs op on core's CPU kernels (the reference every backend
// matches) with the same inputs, as host views.
func cpuRef(tb testing.TB, name string, in []*core.Array, outType core.DType, outShape core.Shape, axes []int, param float64) []float64 {
	tb.Helper()
	out, err := core.Empty(core.CPU(), outType, outShape)
	require.NoError(tb, err)
	require.NoError(tb, core.Run(&core.Op{Name: name, Inputs: in, Out: out, Axes: axes, Param: param}), "%s on the CPU", name)
	return decode(outType, out.Storage().(*core.Heap).Bytes())
}
