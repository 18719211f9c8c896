package gguf

import (
	"fmt"
	"math"
)

// Type is a ggml tensor type (ggml_type).
type Type uint32

// The ggml tensor types, with ggml's numbering. Numbers 4, 5, 31-33 and
// 36-38 belong to removed types.
const (
	F32    Type = 0
	F16    Type = 1
	Q4_0   Type = 2
	Q4_1   Type = 3
	Q5_0   Type = 6
	Q5_1   Type = 7
	Q8_0   Type = 8
	Q8_1   Type = 9
	Q2K    Type = 10
	Q3K    Type = 11
	Q4K    Type = 12
	Q5K    Type = 13
	Q6K    Type = 14
	Q8K    Type = 15
	IQ2XXS Type = 16
	IQ2XS  Type = 17
	IQ3XXS Type = 18
	IQ1S   Type = 19
	IQ4NL  Type = 20
	IQ3S   Type = 21
	IQ2S   Type = 22
	IQ4XS  Type = 23
	I8     Type = 24
	I16    Type = 25
	I32    Type = 26
	I64    Type = 27
	F64    Type = 28
	IQ1M   Type = 29
	BF16   Type = 30
	TQ1_0  Type = 34
	TQ2_0  Type = 35
	MXFP4  Type = 39
	NVFP4  Type = 40
	Q1_0   Type = 41
	Q2_0   Type = 42
	// TypeCount is GGML_TYPE_COUNT: types at or above it are invalid.
	TypeCount Type = 43
)

// qkK is QK_K, the super-block size of the K-quants.
const qkK = 256

type typeInfo struct {
	name       string
	blockSize  int // values per block
	blockBytes int // bytes per block; 0 when lbrx does not know the layout
}

var typeTable = map[Type]typeInfo{
	F32: {"F32", 1, 4}, F16: {"F16", 1, 2}, BF16: {"BF16", 1, 2}, F64: {"F64", 1, 8},
	I8: {"I8", 1, 1}, I16: {"I16", 1, 2}, I32: {"I32", 1, 4}, I64: {"I64", 1, 8},
	Q4_0: {"Q4_0", 32, 18}, Q4_1: {"Q4_1", 32, 20}, Q5_0: {"Q5_0", 32, 22}, Q5_1: {"Q5_1", 32, 24},
	Q8_0: {"Q8_0", 32, 34}, Q8_1: {"Q8_1", 32, 36},
	Q2K: {"Q2_K", qkK, 84}, Q3K: {"Q3_K", qkK, 110}, Q4K: {"Q4_K", qkK, 144},
	Q5K: {"Q5_K", qkK, 176}, Q6K: {"Q6_K", qkK, 210}, Q8K: {"Q8_K", qkK, 292},
	IQ2XXS: {"IQ2_XXS", qkK, 66}, IQ2XS: {"IQ2_XS", qkK, 74}, IQ3XXS: {"IQ3_XXS", qkK, 98},
	IQ1S: {"IQ1_S", qkK, 50}, IQ4NL: {"IQ4_NL", 32, 18}, IQ3S: {"IQ3_S", qkK, 110},
	IQ2S: {"IQ2_S", qkK, 82}, IQ4XS: {"IQ4_XS", qkK, 136}, IQ1M: {"IQ1_M", qkK, 56},
	TQ1_0: {"TQ1_0", qkK, 54}, TQ2_0: {"TQ2_0", qkK, 66}, MXFP4: {"MXFP4", 32, 17},
	// Recent additions whose block layout lbrx does not know yet.
	NVFP4: {"NVFP4", 0, 0}, Q1_0: {"Q1_0", 0, 0}, Q2_0: {"Q2_0", 0, 0},
}

// String returns ggml's name for the type ("Q4_K", "F16", ...).
func (t Type) String() string {
	if ti, ok := typeTable[t]; ok {
		return ti.name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// Known reports whether lbrx knows the type's block layout, so that its
// tensors' sizes can be computed.
func (t Type) Known() bool { return typeTable[t].blockBytes > 0 }

// BlockSize is the number of values in one block (1 for plain types, 32
// or 256 for quantized ones); 0 for unknown types.
func (t Type) BlockSize() int { return typeTable[t].blockSize }

// BlockBytes is the byte size of one block; 0 for unknown types.
func (t Type) BlockBytes() int { return typeTable[t].blockBytes }

// RowBytes returns the bytes of n values of type t, or an error when n is
// not a whole number of blocks or the type is unknown.
func (t Type) RowBytes(n int64) (int64, error) {
	ti, ok := typeTable[t]
	if !ok || ti.blockBytes == 0 {
		return 0, fmt.Errorf("ggml type %v has no known block layout", t)
	}
	if n < 0 || n%int64(ti.blockSize) != 0 {
		return 0, fmt.Errorf("%d values are not a whole number of %v blocks of %d", n, t, ti.blockSize)
	}
	blocks := n / int64(ti.blockSize)
	if blocks > math.MaxInt64/int64(ti.blockBytes) {
		return 0, fmt.Errorf("%d values of %v overflow a byte count", n, t)
	}
	return blocks * int64(ti.blockBytes), nil
}
