package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/x448/float16"
)

// Test helpers shared by the op tests: conversions between float64 and
// every element type written independently of the kernels, a naive
// multi-index walk, and builders for non-contiguous inputs.

func toF64[T Element](v T) float64 {
	switch x := any(v).(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	case Float16:
		return float64(x.Float32())
	case BFloat16:
		return float64(math.Float32frombits(uint32(x) << 16))
	case int8:
		return float64(x)
	case uint8:
		return float64(x)
	case int16:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case uint32:
		return float64(x)
	case bool:
		if x {
			return 1
		}
		return 0
	}
	panic("unreachable")
}

// fromF64 converts exactly representable test values (small integers,
// values already rounded to T) to T.
func fromF64[T Element](f float64) T {
	var z T
	var r any
	switch any(z).(type) {
	case float32:
		r = float32(f)
	case float64:
		r = f
	case Float16:
		r = float16.Fromfloat32(float32(f))
	case BFloat16:
		r = BFloat16FromFloat32(float32(f))
	case int8:
		r = int8(f)
	case uint8:
		r = uint8(f)
	case int16:
		r = int16(f)
	case int32:
		r = int32(f)
	case int64:
		r = int64(f)
	case uint32:
		r = uint32(f)
	case bool:
		r = f != 0
	}
	return r.(T)
}

// randValues returns n values for dtype T: small signed integers for
// integer types (non-negative for unsigned), uniform [-lo, hi) otherwise.
func randValues[T Element](r *rand.Rand, n int, lo, hi float64) []T {
	out := make([]T, n)
	d := DTypeOf[T]()
	for i := range out {
		var f float64
		switch {
		case d == Bool:
			f = float64(r.IntN(2))
		case d == U8 || d == U32:
			f = float64(r.IntN(int(math.Max(hi, 1)) + 1))
		case d.IsInteger():
			f = float64(r.IntN(int(hi-lo)+1)) + lo
			f = math.Trunc(f)
		default:
			f = lo + (hi-lo)*r.Float64()
		}
		out[i] = fromF64[T](f)
	}
	return out
}

// makeView builds a tensor of the given shape holding vals in row-major
// order, laid out as kind says: "contig", "permuted" (a permutation of a
// contiguous tensor of the reversed shape), "stepped" (every other element
// of a larger tensor along the last axis), or "offset" (a slice starting
// past the storage's first element).
func makeView[T Element](t *testing.T, vals []T, shape Shape, kind string) *Tensor[T] {
	t.Helper()
	n := shape.NumElements()
	require.Len(t, vals, n)
	switch kind {
	case "contig":
		x, err := FromSlice(vals, shape...)
		require.NoError(t, err)
		return x
	case "permuted":
		r := len(shape)
		rev := make(Shape, r)
		perm := make([]int, r)
		for i := range r {
			rev[i] = shape[r-1-i]
			perm[i] = r - 1 - i
		}
		// base[rev idx] must equal vals[idx]; fill base in its own order.
		base := make([]T, n)
		walkIndex(shape, func(lin int, idx []int) {
			ri := 0
			for i := range r {
				ri = ri*rev[i] + idx[r-1-i]
			}
			base[ri] = vals[lin]
		})
		x, err := FromSlice(base, rev...)
		require.NoError(t, err)
		p, err := x.Permute(perm...)
		require.NoError(t, err)
		return p
	case "stepped":
		if len(shape) == 0 {
			return makeView(t, vals, shape, "contig")
		}
		// Every other element along the last axis of a larger tensor.
		r := len(shape)
		big := shape.Clone()
		big[r-1] = 2*shape[r-1] + 1
		base := make([]T, big.NumElements())
		walkIndex(shape, func(lin int, idx []int) {
			bi := 0
			for i := range r {
				k := idx[i]
				if i == r-1 {
					k = 2*k + 1
				}
				bi = bi*big[i] + k
			}
			base[bi] = vals[lin]
		})
		x, err := FromSlice(base, big...)
		require.NoError(t, err)
		s, err := x.Slice(r-1, 1, 2*shape[r-1]+1, 2)
		require.NoError(t, err)
		return s
	case "offset":
		if len(shape) == 0 {
			return makeView(t, vals, shape, "contig")
		}
		// Contiguous data that starts one row into its storage.
		big := shape.Clone()
		big[0]++
		row := n / max(shape[0], 1)
		if shape[0] == 0 {
			row = shape[1:].NumElements()
		}
		base := make([]T, big.NumElements())
		copy(base[row:], vals)
		x, err := FromSlice(base, big...)
		require.NoError(t, err)
		s, err := x.Slice(0, 1, big[0], 1)
		require.NoError(t, err)
		return s
	}
	t.Fatalf("unknown view kind %q", kind)
	return nil
}

// walkIndex calls f with each linear index and multi-index of shape in
// row-major order.
func walkIndex(shape Shape, f func(lin int, idx []int)) {
	n := shape.NumElements()
	idx := make([]int, len(shape))
	for lin := range n {
		rem := lin
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d] = rem % shape[d]
			rem /= shape[d]
		}
		f(lin, idx)
	}
}

// bcastIndex maps an output multi-index to the linear index of an operand
// of shape s under numpy broadcasting.
func bcastIndex(s Shape, outIdx []int) int {
	off := len(outIdx) - len(s)
	lin := 0
	for i, d := range s {
		k := outIdx[off+i]
		if d == 1 {
			k = 0
		}
		lin = lin*d + k
	}
	return lin
}

// tolFor is the relative tolerance for comparing a T result with a
// float64 reference.
func tolFor(d DType) float64 {
	switch d {
	case F16:
		return 2e-3
	case BF16:
		return 1.6e-2
	case F32:
		return 2e-6
	case F64:
		return 1e-12
	}
	return 0
}

// assertClose checks got against want elementwise with tolerance tol
// relative to max(1, |want|); NaNs must match NaNs and infinities exactly.
func assertClose(t *testing.T, want []float64, got []float64, tol float64, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for i := range want {
		w, g := want[i], got[i]
		switch {
		case math.IsNaN(w):
			require.True(t, math.IsNaN(g), "%s: element %d = %v, want NaN", msg, i, g)
		case math.IsInf(w, 0):
			require.Equal(t, w, g, "%s: element %d", msg, i)
		default:
			require.LessOrEqual(t, math.Abs(w-g), tol*math.Max(1, math.Abs(w)), "%s: element %d = %v, want %v", msg, i, g, w)
		}
	}
}

// valuesF64 reads a tensor's values as float64.
func valuesF64[T Element](t *testing.T, x *Tensor[T]) []float64 {
	t.Helper()
	v, err := x.Values()
	require.NoError(t, err)
	out := make([]float64, len(v))
	for i, e := range v {
		out[i] = toF64(e)
	}
	return out
}

// roundTo rounds a float64 to T's precision (the exact value a correct
// kernel stores), for integer types truncating like a Go conversion.
func roundTo[T Element](f float64) float64 {
	d := DTypeOf[T]()
	if d.IsFloat() {
		return toF64(castFromF64[T](f))
	}
	// Integers wrap in two's complement, as Go conversions from int64 do.
	i := int64(f)
	switch d {
	case I8:
		return float64(int8(i))
	case U8:
		return float64(uint8(i))
	case I16:
		return float64(int16(i))
	case I32:
		return float64(int32(i))
	case U32:
		return float64(uint32(i))
	}
	return f
}

// castFromF64 converts f to T with the reference rounding: f64 -> f32 is
// Go's conversion; f16/bf16 round the float32 value (exact for test
// values, which are float32 or closer).
func castFromF64[T Element](f float64) T {
	return fromF64[T](f)
}

var viewKinds = []string{"contig", "permuted", "stepped", "offset"}

func name(parts ...any) string { return fmt.Sprint(parts...) }
