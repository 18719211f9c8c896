package core

import (
	"fmt"

	"github.com/x448/float16"
)

// DType identifies the element type of a tensor.
//
//	DType  safetensors  GGUF/ggml   bytes  Go element type
//	F32    F32          F32 (0)     4      float32
//	F64    F64          F64 (28)    8      float64
//	F16    F16          F16 (1)     2      Float16 (x448/float16)
//	BF16   BF16         BF16 (30)   2      BFloat16
//	I8     I8           I8 (24)     1      int8
//	U8     U8           -           1      uint8
//	I16    I16          I16 (25)    2      int16
//	I32    I32          I32 (26)    4      int32
//	I64    I64          I64 (27)    8      int64
//	U32    U32          -           4      uint32
//	Bool   BOOL         -           1      bool
type DType uint8

// The element types lbrx stores. Invalid is the zero value and never names
// a real tensor's type.
const (
	Invalid DType = iota
	F32
	F64
	F16
	BF16
	I8
	U8
	I16
	I32
	I64
	U32
	Bool
)

// DTypes lists every valid DType in declaration order.
var DTypes = []DType{F32, F64, F16, BF16, I8, U8, I16, I32, I64, U32, Bool}

var dtypeInfo = [...]struct {
	name string // safetensors spelling
	size int
}{
	Invalid: {"INVALID", 0},
	F32:     {"F32", 4},
	F64:     {"F64", 8},
	F16:     {"F16", 2},
	BF16:    {"BF16", 2},
	I8:      {"I8", 1},
	U8:      {"U8", 1},
	I16:     {"I16", 2},
	I32:     {"I32", 4},
	I64:     {"I64", 8},
	U32:     {"U32", 4},
	Bool:    {"BOOL", 1},
}

// Size is the number of bytes of one element; 0 for Invalid.
func (d DType) Size() int {
	if int(d) >= len(dtypeInfo) {
		return 0
	}
	return dtypeInfo[d].size
}

// String returns the safetensors spelling of the type ("F32", "BOOL", ...).
func (d DType) String() string {
	if int(d) >= len(dtypeInfo) {
		return fmt.Sprintf("DType(%d)", uint8(d))
	}
	return dtypeInfo[d].name
}

// Valid reports whether d is one of DTypes.
func (d DType) Valid() bool { return d > Invalid && int(d) < len(dtypeInfo) }

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == F32 || d == F64 || d == F16 || d == BF16 }

// IsInteger reports whether d is a signed or unsigned integer type.
func (d DType) IsInteger() bool {
	switch d {
	case I8, U8, I16, I32, I64, U32:
		return true
	}
	return false
}

// ParseDType maps a safetensors dtype string ("F32", "BF16", "BOOL", ...)
// to a DType. Types lbrx does not store (F8_*, U16, U64, C64, ...) are
// reported as unsupported.
func ParseDType(s string) (DType, error) {
	for _, d := range DTypes {
		if dtypeInfo[d].name == s {
			return d, nil
		}
	}
	return Invalid, fmt.Errorf("dtype %q is not supported", s)
}

// Float16 is an IEEE 754 binary16 value.
type Float16 = float16.Float16

// Element is the set of Go types a Tensor can hold.
type Element interface {
	float32 | float64 | Float16 | BFloat16 | int8 | uint8 | int16 | int32 | int64 | uint32 | bool
}

// Float is the subset of Element that is floating point.
type Float interface {
	float32 | float64 | Float16 | BFloat16
}

// DTypeOf returns the DType of the element type T.
func DTypeOf[T Element]() DType {
	var z T
	switch any(z).(type) {
	case float32:
		return F32
	case float64:
		return F64
	case Float16:
		return F16
	case BFloat16:
		return BF16
	case int8:
		return I8
	case uint8:
		return U8
	case int16:
		return I16
	case int32:
		return I32
	case int64:
		return I64
	case uint32:
		return U32
	case bool:
		return Bool
	}
	return Invalid
}
