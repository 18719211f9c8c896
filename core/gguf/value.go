package gguf

import "fmt"

// ValueType is the type of a metadata value (gguf_type).
type ValueType uint32

// Metadata value types.
const (
	Uint8   ValueType = 0
	Int8    ValueType = 1
	Uint16  ValueType = 2
	Int16   ValueType = 3
	Uint32  ValueType = 4
	Int32   ValueType = 5
	Float32 ValueType = 6
	Bool    ValueType = 7
	String  ValueType = 8
	Array   ValueType = 9
	Uint64  ValueType = 10
	Int64   ValueType = 11
	Float64 ValueType = 12
)

var valueTypeNames = [...]string{"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64"}

// valueSizes are the encoded sizes of scalar values (strings: the length
// prefix only, the least a string can take).
var valueSizes = [...]int{1, 1, 2, 2, 4, 4, 4, 1, 8, 0, 8, 8, 8}

func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

func (t ValueType) valid() bool { return t <= Float64 }

// KV is one metadata key/value pair.
type KV struct {
	Key string
	// Type is the value's type; for arrays ElemType is the elements'.
	Type     ValueType
	ElemType ValueType
	// Value holds uint8, int8, uint16, int16, uint32, int32, float32, bool,
	// string, uint64, int64 or float64, or for arrays a slice of one of
	// them ([]uint8, ..., []string).
	Value any
}

// String formats the value for people (arrays longer than 8 elided).
func (kv KV) String() string {
	if kv.Type == Array {
		return fmt.Sprintf("[%v] %s", kv.ElemType, elide(kv.Value))
	}
	if s, ok := kv.Value.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(kv.Value)
}

func elide(v any) string {
	const limit = 8
	s := fmt.Sprint(v)
	switch a := v.(type) {
	case []string:
		if len(a) > limit {
			s = fmt.Sprintf("%q ... (%d)", a[:limit], len(a))
		} else {
			s = fmt.Sprintf("%q", a)
		}
	case []uint8:
		if len(a) > limit {
			s = fmt.Sprintf("%v ... (%d)", a[:limit], len(a))
		}
	case []int32:
		if len(a) > limit {
			s = fmt.Sprintf("%v ... (%d)", a[:limit], len(a))
		}
	case []float32:
		if len(a) > limit {
			s = fmt.Sprintf("%v ... (%d)", a[:limit], len(a))
		}
	}
	return s
}
