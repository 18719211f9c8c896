package core

import (
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cast reference works in math/big, independently of the kernel's
// float64/round-to-odd path.

var castFloatSources = []float64{
	0, math.Copysign(0, -1), 0.5, -0.5, 1.5, -1.5, 2.5, -2.7, 127.9, 128, -128.5, -129, 255.5, 256,
	32767.5, 65504, 65519, 65520, -65536, 1e10, -1e10, 2147483647.5, 4294967296, 9.3e18, -9.3e18,
	1e30, 3.4e38, 1e-5, 6e-8, 1e-40, 1.0 / 3, math.NaN(), math.Inf(1), math.Inf(-1),
	1 + 0x1p-11 + 0x1p-40, // just above an f16 tie: double rounding through f32 gets it wrong
	1 + 0x1p-8 + 0x1p-30,  // the same for bf16
}

var castIntSources = []int64{
	0, 1, -1, 2, 127, 128, -128, -129, 255, 256, 32767, -32768, 65504, 65519, 65520, 16777217,
	math.MaxInt32, math.MinInt32, math.MaxUint32, 1<<53 + 1, math.MaxInt64, math.MinInt64,
	1<<62 + 1<<54 + 1, -(1<<62 + 1<<54 + 1), // a bf16 tie plus 1: lost by a float64 detour
}

type intRange struct {
	bits   uint
	signed bool
}

var intRanges = map[DType]intRange{I8: {8, true}, U8: {8, false}, I16: {16, true}, I32: {32, true}, I64: {64, true}, U32: {32, false}}

func (r intRange) bounds() (lo, hi *big.Int) {
	if r.signed {
		hi = new(big.Int).Lsh(big.NewInt(1), r.bits-1)
		lo = new(big.Int).Neg(hi)
		return lo, hi.Sub(hi, big.NewInt(1))
	}
	hi = new(big.Int).Lsh(big.NewInt(1), r.bits)
	return big.NewInt(0), hi.Sub(hi, big.NewInt(1))
}

// refFloatRound rounds x to a binary format with prec significant bits,
// smallest normal exponent emin and largest finite value maxv, ties to
// even, with gradual underflow.
func refFloatRound(x *big.Float, prec uint, emin int, maxv float64) float64 {
	if x.Sign() == 0 {
		f, _ := x.Float64()
		return f
	}
	y := new(big.Float).SetPrec(prec).SetMode(big.ToNearestEven)
	minNormal := new(big.Float).SetMantExp(big.NewFloat(1), emin)
	if new(big.Float).Abs(x).Cmp(minNormal) < 0 {
		// Adding ±2^emin makes the result's ulp the subnormal quantum.
		if x.Sign() < 0 {
			minNormal.Neg(minNormal)
		}
		y.Add(x, minNormal)
		y.SetPrec(200).Sub(y, minNormal)
	} else {
		y.Set(x)
	}
	f, _ := y.Float64()
	if math.Abs(f) > maxv {
		return math.Copysign(math.Inf(1), f)
	}
	if f == 0 {
		return math.Copysign(0, float64(x.Sign()))
	}
	return f
}

// refCast returns the expected value of casting v (a float64 when
// isFloat, else an int64 in iv) to dst, as float64.
func refCast(dst DType, isFloat bool, fv float64, iv int64) float64 {
	var x *big.Float
	if isFloat {
		if math.IsNaN(fv) {
			switch {
			case dst.IsFloat():
				return math.NaN()
			case dst == Bool:
				return 1
			default:
				return 0
			}
		}
		if math.IsInf(fv, 0) {
			switch {
			case dst.IsFloat():
				return fv
			case dst == Bool:
				return 1
			}
			lo, hi := intRanges[dst].bounds()
			if fv > 0 {
				f, _ := new(big.Float).SetInt(hi).Float64()
				return f
			}
			f, _ := new(big.Float).SetInt(lo).Float64()
			return f
		}
		x = new(big.Float).SetFloat64(fv)
	} else {
		x = new(big.Float).SetInt64(iv)
	}
	switch dst {
	case Bool:
		if x.Sign() != 0 {
			return 1
		}
		return 0
	case F64:
		f, _ := x.Float64()
		return f
	case F32:
		f, _ := x.Float32()
		return float64(f)
	case F16:
		return refFloatRound(x, 11, -14, 65504)
	case BF16:
		return refFloatRound(x, 8, -126, float64(math.Float32frombits(0x7f7f0000)))
	}
	r := intRanges[dst]
	lo, hi := r.bounds()
	var n *big.Int
	if isFloat {
		n, _ = x.Int(nil) // truncates toward zero
		if n.Cmp(lo) < 0 {
			n = lo
		}
		if n.Cmp(hi) > 0 {
			n = hi
		}
	} else {
		mod := new(big.Int).Lsh(big.NewInt(1), r.bits)
		n = new(big.Int).Mod(big.NewInt(iv), mod)
		if r.signed && n.Cmp(hi) > 0 {
			n.Sub(n, mod)
		}
	}
	f, _ := new(big.Float).SetInt(n).Float64()
	return f
}

func checkCastFrom[S Element](t *testing.T) {
	src := DTypeOf[S]()
	var vals []S
	if src.IsFloat() {
		for _, f := range castFloatSources {
			vals = append(vals, castSource[S](f))
		}
	} else {
		lo, hi := big.NewInt(0), big.NewInt(1)
		if src != Bool {
			lo, hi = intRanges[src].bounds()
		}
		for _, i := range castIntSources {
			if b := big.NewInt(i); b.Cmp(lo) >= 0 && b.Cmp(hi) <= 0 {
				vals = append(vals, intSource[S](i))
			}
		}
	}
	for _, kind := range []string{"contig", "stepped"} {
		x := makeView(t, vals, Shape{len(vals)}, kind)
		for _, dst := range DTypes {
			got, err := CastOp(x.Array(), dst)
			require.NoError(t, err)
			require.Equal(t, dst, got.DType())
			gv := arrayF64(t, got)
			for i, v := range vals {
				var want float64
				if src.IsFloat() {
					want = refCast(dst, true, toF64(v), 0)
				} else {
					want = refCast(dst, false, 0, int64FromElement(v))
				}
				g := gv[i]
				if math.IsNaN(want) {
					assert.True(t, math.IsNaN(g), "%v %v -> %v: got %v want NaN", src, v, dst, g)
					continue
				}
				assert.Equal(t, want, g, "%v %v (%s) -> %v", src, toF64(v), kind, dst)
				assert.Equal(t, math.Signbit(want), math.Signbit(g), "%v %v -> %v sign", src, toF64(v), dst)
			}
		}
	}
}

// castSource stores f in S with correct rounding for the float sources
// (big.Float for f16/bf16 to avoid double rounding in the fixture itself).
func castSource[S Element](f float64) S {
	d := DTypeOf[S]()
	if math.IsNaN(f) || math.IsInf(f, 0) || d == F64 || d == F32 {
		return fromF64[S](f)
	}
	return fromF64[S](refCast(d, true, f, 0))
}

func intSource[S Element](i int64) S {
	var z S
	var r any
	switch any(z).(type) {
	case int8:
		r = int8(i)
	case uint8:
		r = uint8(i)
	case int16:
		r = int16(i)
	case int32:
		r = int32(i)
	case int64:
		r = i
	case uint32:
		r = uint32(i)
	case bool:
		r = i != 0
	}
	return r.(S)
}

func int64FromElement[S Element](v S) int64 {
	switch x := any(v).(type) {
	case int8:
		return int64(x)
	case uint8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case uint32:
		return int64(x)
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

// arrayF64 reads an Array of any dtype as exact float64 values (int64
// beyond 2^53 are compared through their rounding, which refCast matches).
func arrayF64(t *testing.T, a *Array) []float64 {
	t.Helper()
	switch a.DType() {
	case F32:
		return valuesF64(t, mustAs[float32](t, a))
	case F64:
		return valuesF64(t, mustAs[float64](t, a))
	case F16:
		return valuesF64(t, mustAs[Float16](t, a))
	case BF16:
		return valuesF64(t, mustAs[BFloat16](t, a))
	case I8:
		return valuesF64(t, mustAs[int8](t, a))
	case U8:
		return valuesF64(t, mustAs[uint8](t, a))
	case I16:
		return valuesF64(t, mustAs[int16](t, a))
	case I32:
		return valuesF64(t, mustAs[int32](t, a))
	case I64:
		return valuesF64(t, mustAs[int64](t, a))
	case U32:
		return valuesF64(t, mustAs[uint32](t, a))
	}
	return valuesF64(t, mustAs[bool](t, a))
}

func TestCastAllPairs(t *testing.T) {
	checkCastFrom[float32](t)
	checkCastFrom[float64](t)
	checkCastFrom[Float16](t)
	checkCastFrom[BFloat16](t)
	checkCastFrom[int8](t)
	checkCastFrom[uint8](t)
	checkCastFrom[int16](t)
	checkCastFrom[int32](t)
	checkCastFrom[int64](t)
	checkCastFrom[uint32](t)
	checkCastFrom[bool](t)
}

func TestCastTypedAPI(t *testing.T) {
	x, err := FromSlice([]float32{-1.7, 0, 2.9, 300}, 4)
	require.NoError(t, err)
	i, err := Cast[int8](x)
	require.NoError(t, err)
	v, err := i.Values()
	require.NoError(t, err)
	assert.Equal(t, []int8{-1, 0, 2, 127}, v)
	b, err := Cast[bool](x)
	require.NoError(t, err)
	bv, err := b.Values()
	require.NoError(t, err)
	assert.Equal(t, []bool{true, false, true, true}, bv)
	same, err := CastOp(x.Array(), F32)
	require.NoError(t, err)
	assert.Same(t, x.Array(), same)
	_, err = CastOp(x.Array(), Invalid)
	require.ErrorContains(t, err, "invalid target dtype")
	e, err := Zeros[float32](0, 3)
	require.NoError(t, err)
	h, err := Cast[Float16](e)
	require.NoError(t, err)
	assert.Equal(t, Shape{0, 3}, h.Shape())
}

func TestF32RoundOddAvoidsDoubleRounding(t *testing.T) {
	x := 1 + 0x1p-11 + 0x1p-40
	naive := Float16(0x3c00) // what f64 -> f32 -> f16 gives: 1.0
	a, err := FromSlice([]float64{x}, 1)
	require.NoError(t, err)
	h, err := Cast[Float16](a)
	require.NoError(t, err)
	v, err := h.Values()
	require.NoError(t, err)
	assert.NotEqual(t, naive, v[0])
	assert.Equal(t, uint16(0x3c01), v[0].Bits())
}
