package safetensors

import (
	"encoding/binary"
	"strings"
)

// build returns a safetensors file: the header's length, the header, and
// data.
func build(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

func withSize(n uint64, rest string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

type broken struct {
	name string
	data []byte
	want string // substring of the error
}

// brokenFiles are hand-made files that break one rule each (seeds for the
// fuzzer and cases for TestValidation).
func brokenFiles() []broken {
	one := `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	return []broken{
		{"empty file", nil, "HeaderTooSmall"},
		{"7 bytes", []byte{1, 2, 3, 4, 5, 6, 7}, "HeaderTooSmall"},
		{"header over the limit", withSize(100_000_001, "{}"), "HeaderTooLarge"},
		{"header size 2^63", withSize(1<<63, "{}"), "HeaderTooLarge"},
		{"header past the end", withSize(1000, "{}"), "InvalidHeaderLength"},
		{"not UTF-8", build("{\"\xff\":1}", nil), "InvalidHeader:"},
		{"not JSON", build("{", nil), "InvalidHeaderDeserialization"},
		{"JSON array", build("[]", nil), "JSON object"},
		{"garbage after the object", build("{} x", nil), "after the header"},
		{"two objects", build("{}{}", nil), "after the header"},
		// serde_json allows only JSON whitespace after the object; a NUL
		// (as a C writer padding to 8 bytes might leave) is a trailing character.
		{"NUL padding after the object", build("{}\x00\x00\x00\x00\x00\x00", nil), "after the header"},
		{"NUL before trailing spaces", build("{}  \x00 ", nil), "after the header"},
		{"form feed padding (not JSON whitespace)", build("{}\x0c\x0c", nil), "after the header"},
		{"metadata number", build(`{"__metadata__":{"a":1}}`, nil), "not a string"},
		{"metadata array", build(`{"__metadata__":["a"]}`, nil), "object of strings"},
		{"duplicate metadata key", build(`{"__metadata__":{"a":"1","a":"2"}}`, nil), "duplicate key"},
		{"unknown dtype", build(`{"a":{"dtype":"F7","shape":[1],"data_offsets":[0,1]}}`, []byte{0}), "unknown dtype \"F7\""},
		{"lowercase dtype", build(`{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), "unknown dtype"},
		{"duplicate tensor", build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, make([]byte, 2)), "duplicate tensor name"},
		{"duplicate field", build(`{"a":{"dtype":"U8","dtype":"I8","shape":[1],"data_offsets":[0,1]}}`, []byte{0}), "duplicate field"},
		{"field case", build(`{"a":{"DTYPE":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{0}), "missing field \"dtype\""},
		{"missing shape", build(`{"a":{"dtype":"U8","data_offsets":[0,1]}}`, []byte{0}), "missing field \"shape\""},
		{"missing offsets", build(`{"a":{"dtype":"U8","shape":[1]}}`, []byte{0}), "missing field \"data_offsets\""},
		{"negative dimension", build(`{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}`, []byte{0}), "not an unsigned"},
		{"fractional dimension", build(`{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}`, []byte{0}), "not an unsigned"},
		{"exponent dimension", build(`{"a":{"dtype":"U8","shape":[1e0],"data_offsets":[0,1]}}`, []byte{0}), "not an unsigned"},
		{"three offsets", build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,1]}}`, []byte{0}), "exactly 2"},
		{"one offset", build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}`, []byte{0}), "exactly 2"},
		{"hole", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)), "InvalidOffset"},
		{"overlap", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)), "InvalidOffset"},
		{"end before begin", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, make([]byte, 4)), "InvalidOffset"},
		{"not starting at 0", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "InvalidOffset"},
		{"size mismatch", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)), "TensorInvalidInfo"},
		{"element count overflow", build(`{"a":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}`, make([]byte, 16)), "ValidationOverflow"},
		{"bit count overflow", build(`{"a":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}`, make([]byte, 16)), "ValidationOverflow"},
		{"sub-byte remainder", build(`{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}`, make([]byte, 2)), "MisalignedSlice"},
		{"trailing bytes", build(one, make([]byte, 5)), "MetadataIncompleteBuffer"},
		{"missing bytes", build(one, make([]byte, 3)), "MetadataIncompleteBuffer"},
		{"huge dimension beside zero", build(`{"a":{"dtype":"U8","shape":[0,18446744073709551615],"data_offsets":[0,0]}}`, nil), "does not fit an int"},
		{"trailing comma", build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},}`, []byte{0}), "InvalidHeaderDeserialization"},
		{"trailing comma in array", build(`{"a":{"dtype":"U8","shape":[1,],"data_offsets":[0,1]}}`, []byte{0}), "InvalidHeaderDeserialization"},
		{"leading zero", build(`{"a":{"dtype":"U8","shape":[01],"data_offsets":[0,1]}}`, []byte{0}), "InvalidHeaderDeserialization"},
		{"lone surrogate", build(`{"a\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{0}), "lone surrogate"},
		{"invalid escape", build(`{"a\x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{0}), "invalid escape"},
		{"raw control character", build("{\"a\n\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", []byte{0}), "control character"},
		{"single quotes", build(`{'a':{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{0}), "InvalidHeaderDeserialization"},
		{"bad literal", build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":nul}}`, []byte{0}), "invalid literal"},
		{"deep nesting", build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":`+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)+`}}`, []byte{0}), "InvalidHeaderDeserialization"},
	}
}
