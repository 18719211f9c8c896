package core

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/x448/float16"
)

// Casts between all dtypes.
//
//   - float -> float: correctly rounded, ties to even, in one step (f64 ->
//     f16/bf16 goes through a round-to-odd float32, which makes the second
//     rounding exact); NaN stays NaN, out-of-range values become ±Inf.
//   - float -> integer: truncate toward zero, saturate to the type's range,
//     NaN -> 0.
//   - integer -> integer: wrap around (two's complement), like Go and numpy.
//   - integer -> float: nearest value, ties to even.
//   - anything -> bool: value != 0 (NaN is true); bool -> anything: 0 or 1.
//
// Op convention: Inputs[0] is x, Out has x's shape and the target dtype.

func init() { registerCPU("cast", cpuCast) }

// CastOp converts x to dtype dt. A cast to x's own dtype returns x.
func CastOp(x *Array, dt DType) (*Array, error) {
	if x == nil {
		return nil, fmt.Errorf("cast: nil operand")
	}
	if !dt.Valid() {
		return nil, fmt.Errorf("cast %v: invalid target dtype %v", x, dt)
	}
	if x.dtype == dt {
		return x, nil
	}
	out, err := emptyOutput(x.Device(), dt, x.shape)
	if err != nil {
		return nil, fmt.Errorf("cast: %w", err)
	}
	return runOp(&Op{Name: "cast", Inputs: []*Array{x}, Out: out})
}

// Cast converts x's elements to To (see CastOp for the rules).
func Cast[To, From Element](x *Tensor[From]) (*Tensor[To], error) {
	if x == nil {
		return nil, fmt.Errorf("cast: nil operand")
	}
	return wrapTensor[To](CastOp(x.a, DTypeOf[To]()))
}

func cpuCast(op *Op) error {
	op, err := alignedOp(op)
	if err != nil {
		return err
	}
	x, out := op.Inputs[0], op.Out
	if done, err := castFast(x, out); done || err != nil {
		return err
	}
	if x.dtype.IsFloat() {
		load, err := loadFloats(x)
		if err != nil {
			return err
		}
		store, err := storeFloats(out)
		if err != nil {
			return err
		}
		buf := make([]float64, chunkLen)
		castRows(x, out, func(xo, xs, oo, n int) {
			v := buf[:n]
			load(xo, xs, v)
			store(oo, v)
		})
		return nil
	}
	load, err := loadInts(x)
	if err != nil {
		return err
	}
	store, err := storeInts(out)
	if err != nil {
		return err
	}
	buf := make([]int64, chunkLen)
	castRows(x, out, func(xo, xs, oo, n int) {
		v := buf[:n]
		load(xo, xs, v)
		store(oo, v)
	})
	return nil
}

// castRows walks x and the contiguous out in chunks of at most chunkLen.
func castRows(x, out *Array, f func(xo, xs, oo, n int)) {
	forRows([]*Array{out, x}, func(offs []int, n int, st []int) {
		for j := 0; j < n; j += chunkLen {
			f(offs[1]+j*st[1], st[1], offs[0]+j*st[0], min(chunkLen, n-j))
		}
	})
}

// castFast handles the common contiguous float conversions in one loop.
func castFast(x, out *Array) (bool, error) {
	if !x.IsContiguous() {
		return false, nil
	}
	n := x.NumElements()
	switch {
	case x.dtype == F32 && out.dtype == F16:
		return true, castSlices(x, out, n, float16.Fromfloat32)
	case x.dtype == F32 && out.dtype == BF16:
		return true, castSlices(x, out, n, BFloat16FromFloat32)
	case x.dtype == F16 && out.dtype == F32:
		return true, castSlices(x, out, n, Float16.Float32)
	case x.dtype == BF16 && out.dtype == F32:
		return true, castSlices(x, out, n, BFloat16.Float32)
	case x.dtype == F32 && out.dtype == F64:
		return true, castSlices(x, out, n, func(v float32) float64 { return float64(v) })
	case x.dtype == F64 && out.dtype == F32:
		return true, castSlices(x, out, n, func(v float64) float32 { return float32(v) })
	}
	return false, nil
}

func castSlices[S, D Element](x, out *Array, n int, conv func(S) D) error {
	s, err := hostSlice[S](x)
	if err != nil {
		return err
	}
	d, err := hostSlice[D](out)
	if err != nil {
		return err
	}
	s, d = s[x.offset:x.offset+n], d[out.offset:out.offset+n]
	for i, v := range s {
		d[i] = conv(v)
	}
	return nil
}

// f32RoundOdd narrows f to float32 rounding toward zero and setting the
// lowest mantissa bit when anything was dropped ("round to odd"). A later
// round-to-nearest-even to a format with at least two fewer mantissa bits
// (f16, bf16) then gives exactly the correctly rounded result of f, which
// a plain float64 -> float32 -> f16 double rounding does not.
func f32RoundOdd(f float64) float32 {
	r := float32(f)
	if float64(r) == f || math.IsNaN(f) {
		return r
	}
	if math.Abs(float64(r)) > math.Abs(f) { // rounded away from zero: step back
		r = math.Nextafter32(r, 0)
	}
	return math.Float32frombits(math.Float32bits(r) | 1)
}

// i64RoundOdd is f32RoundOdd for integers: beyond 2^53 a float64 detour
// would round once already, so the 24 leading bits are taken directly and
// every dropped bit folds into the lowest one.
func i64RoundOdd(v int64) float32 {
	u := uint64(v)
	if v < 0 {
		u = -u // two's complement magnitude; MinInt64 stays 2^63 as unsigned
	}
	shift := bits.Len64(u) - 24
	if shift <= 0 {
		return float32(v) // fits in 24 bits: exact
	}
	mant := u >> shift
	if u&(1<<shift-1) != 0 {
		mant |= 1
	}
	f := float32(math.Ldexp(float64(mant), shift))
	if v < 0 {
		f = -f
	}
	return f
}

type floatLoad func(off, stride int, v []float64)

func loadFloats(x *Array) (floatLoad, error) {
	switch x.dtype {
	case F32:
		return loadVia(x, func(v float32) float64 { return float64(v) })
	case F64:
		return loadVia(x, func(v float64) float64 { return v })
	case F16:
		return loadVia(x, func(v Float16) float64 { return float64(v.Float32()) })
	case BF16:
		return loadVia(x, func(v BFloat16) float64 { return float64(v.Float32()) })
	}
	return nil, fmt.Errorf("cast: %v is not a float type", x.dtype)
}

type intLoad func(off, stride int, v []int64)

func loadInts(x *Array) (intLoad, error) {
	switch x.dtype {
	case I8:
		return loadVia(x, func(v int8) int64 { return int64(v) })
	case U8:
		return loadVia(x, func(v uint8) int64 { return int64(v) })
	case I16:
		return loadVia(x, func(v int16) int64 { return int64(v) })
	case I32:
		return loadVia(x, func(v int32) int64 { return int64(v) })
	case I64:
		return loadVia(x, func(v int64) int64 { return v })
	case U32:
		return loadVia(x, func(v uint32) int64 { return int64(v) })
	case Bool:
		// Read as bytes: a file's BOOL tensor may hold any nonzero byte.
		return loadVia(x, func(v uint8) int64 {
			if v != 0 {
				return 1
			}
			return 0
		})
	}
	return nil, fmt.Errorf("cast: %v is not an integer type", x.dtype)
}

func loadVia[S Element, V float64 | int64](x *Array, conv func(S) V) (func(off, stride int, v []V), error) {
	s, err := hostSlice[S](x)
	if err != nil {
		return nil, err
	}
	return func(off, stride int, v []V) {
		for i := range v {
			v[i] = conv(s[off])
			off += stride
		}
	}, nil
}

func storeVia[D Element, V float64 | int64](out *Array, conv func(V) D) (func(off int, v []V), error) {
	d, err := hostSlice[D](out)
	if err != nil {
		return nil, err
	}
	return func(off int, v []V) {
		for i, e := range v {
			d[off+i] = conv(e)
		}
	}, nil
}

// satF2I converts float64 to D truncating toward zero, saturating to
// [lo, hi] and mapping NaN to 0. hi+1 is a power of two, so float64(hi)+1
// is the exact exclusive upper bound (2^63 for int64, where float64(hi)
// itself already rounds up to 2^63).
func satF2I[D int8 | uint8 | int16 | int32 | int64 | uint32](lo, hi D) func(float64) D {
	flo, fhi := float64(lo), float64(hi)+1
	return func(f float64) D {
		switch {
		case math.IsNaN(f):
			return 0
		case f < flo:
			return lo
		case f >= fhi:
			return hi
		}
		return D(math.Trunc(f))
	}
}

type floatStore func(off int, v []float64)

func storeFloats(out *Array) (floatStore, error) {
	switch out.dtype {
	case F32:
		return storeVia(out, func(v float64) float32 { return float32(v) })
	case F64:
		return storeVia(out, func(v float64) float64 { return v })
	case F16:
		return storeVia(out, func(v float64) Float16 { return float16.Fromfloat32(f32RoundOdd(v)) })
	case BF16:
		return storeVia(out, func(v float64) BFloat16 { return BFloat16FromFloat32(f32RoundOdd(v)) })
	case I8:
		return storeVia(out, satF2I[int8](math.MinInt8, math.MaxInt8))
	case U8:
		return storeVia(out, satF2I[uint8](0, math.MaxUint8))
	case I16:
		return storeVia(out, satF2I[int16](math.MinInt16, math.MaxInt16))
	case I32:
		return storeVia(out, satF2I[int32](math.MinInt32, math.MaxInt32))
	case I64:
		return storeVia(out, satF2I[int64](math.MinInt64, math.MaxInt64))
	case U32:
		return storeVia(out, satF2I[uint32](0, math.MaxUint32))
	case Bool:
		return storeVia(out, func(v float64) bool { return v != 0 })
	}
	return nil, fmt.Errorf("cast: cannot store %v", out.dtype)
}

type intStore func(off int, v []int64)

func storeInts(out *Array) (intStore, error) {
	switch out.dtype {
	case F32:
		return storeVia(out, func(v int64) float32 { return float32(v) })
	case F64:
		return storeVia(out, func(v int64) float64 { return float64(v) })
	case F16:
		return storeVia(out, func(v int64) Float16 { return float16.Fromfloat32(i64RoundOdd(v)) })
	case BF16:
		return storeVia(out, func(v int64) BFloat16 { return BFloat16FromFloat32(i64RoundOdd(v)) })
	case I8:
		return storeVia(out, func(v int64) int8 { return int8(v) })
	case U8:
		return storeVia(out, func(v int64) uint8 { return uint8(v) })
	case I16:
		return storeVia(out, func(v int64) int16 { return int16(v) })
	case I32:
		return storeVia(out, func(v int64) int32 { return int32(v) })
	case I64:
		return storeVia(out, func(v int64) int64 { return v })
	case U32:
		return storeVia(out, func(v int64) uint32 { return uint32(v) })
	case Bool:
		return storeVia(out, func(v int64) bool { return v != 0 })
	}
	return nil, fmt.Errorf("cast: cannot store %v", out.dtype)
}
