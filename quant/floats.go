package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/lbrx/lbrx/core"
)

// littleEndian reports whether stored (little-endian) 16-bit values can be
// read in place.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// float32s returns a's values, row-major, as float32 (a copy: callers may
// write to it). a must be F32, F16 or BF16.
func float32s(a *core.Array) ([]float32, error) {
	b, err := a.Bytes()
	if err != nil {
		return nil, err
	}
	n := a.NumElements()
	out := make([]float32, n)
	switch a.DType() {
	case core.F32:
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), 4*n), b)
	case core.F16, core.BF16:
		var raw []uint16
		if n > 0 && littleEndian && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%2 == 0 {
			raw = unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(b))), n)
		} else {
			raw = make([]uint16, n)
			for i := range raw {
				raw[i] = binary.LittleEndian.Uint16(b[2*i:])
			}
		}
		if a.DType() == core.F16 {
			F16BitsToF32(out, raw)
		} else {
			BF16ToF32(out, unsafe.Slice((*core.BFloat16)(unsafe.SliceData(raw)), n))
		}
	default:
		return nil, fmt.Errorf("tensor %v: dtype %v is not a float type (need F32, F16 or BF16)", a, a.DType())
	}
	return out, nil
}

// fromFloat32s builds a CPU array of dtype (F32, F16 or BF16) from vals,
// rounding to nearest even where the dtype is narrower.
func fromFloat32s(vals []float32, dtype core.DType, shape core.Shape) (*core.Array, error) {
	switch dtype {
	case core.F32:
		t, err := core.FromSlice(vals, shape...)
		if err != nil {
			return nil, err
		}
		return t.Array(), nil
	case core.F16:
		h := make([]core.Float16, len(vals))
		F32ToF16(h, vals)
		t, err := core.FromSlice(h, shape...)
		if err != nil {
			return nil, err
		}
		return t.Array(), nil
	case core.BF16:
		h := make([]core.BFloat16, len(vals))
		F32ToBF16(h, vals)
		t, err := core.FromSlice(h, shape...)
		if err != nil {
			return nil, err
		}
		return t.Array(), nil
	}
	return nil, fmt.Errorf("dtype %v is not F32, F16 or BF16", dtype)
}

// roundTo rounds a float32 to the precision of dtype and widens it back,
// the way a value stored in that dtype reads.
func roundTo(dtype core.DType, f float32) float32 {
	switch dtype {
	case core.F16:
		return math.Float32frombits(f16Table()[f32ToF16(f)])
	case core.BF16:
		return core.BFloat16FromFloat32(f).Float32()
	}
	return f
}

// uint32s returns a's values as uint32: the storage itself when it is a
// contiguous, 4-byte aligned host array (callers must not write to it),
// else a copy. a must be U32.
func uint32s(a *core.Array) ([]uint32, error) {
	if a.DType() != core.U32 {
		return nil, fmt.Errorf("tensor %v: codes must be U32, not %v", a, a.DType())
	}
	b, err := a.Bytes()
	if err != nil {
		return nil, err
	}
	n := a.NumElements()
	if n > 0 && littleEndian && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 == 0 {
		// The codes are read in place (a mapped file's pages included):
		// a model's weights are not copied to be multiplied.
		return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(b))), n), nil
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out, nil
}

// float32sRead is float32s for reading only: a contiguous, aligned F32
// host array is returned in place (its storage aliased, not copied).
func float32sRead(a *core.Array) ([]float32, error) {
	if a.DType() == core.F32 && littleEndian {
		if _, ok := a.Storage().(core.HostStorage); ok && a.IsContiguous() {
			b, err := a.Bytes()
			if err != nil {
				return nil, err
			}
			if n := a.NumElements(); n == 0 || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 == 0 {
				return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), n), nil
			}
		}
	}
	return float32s(a)
}

// hostF32 returns the float32 elements of a new (writable, contiguous)
// CPU array made by core.Empty.
func hostF32(a *core.Array) []float32 {
	b := a.Storage().(core.HostStorage).Bytes()[4*a.Offset():]
	n := a.NumElements()
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), n)
}
