package gguf

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// gb builds GGUF bytes field by field.
type gb struct{ bytes.Buffer }

func (b *gb) u8(v uint8) *gb   { b.WriteByte(v); return b }
func (b *gb) u32(v uint32) *gb { _ = binary.Write(b, binary.LittleEndian, v); return b }
func (b *gb) u64(v uint64) *gb { _ = binary.Write(b, binary.LittleEndian, v); return b }
func (b *gb) str(s string) *gb { b.u64(uint64(len(s))); b.WriteString(s); return b }

// head writes magic, version and the counts.
func head(version uint32, nt, nkv uint64) *gb {
	b := &gb{}
	b.WriteString(Magic)
	return b.u32(version).u64(nt).u64(nkv)
}

// tensor writes one tensor info.
func (b *gb) tensor(name string, typ Type, off uint64, ne ...uint64) *gb {
	b.str(name).u32(uint32(len(ne)))
	for _, d := range ne {
		b.u64(d)
	}
	return b.u32(uint32(typ)).u64(off)
}

// data pads to align and appends n bytes.
func (b *gb) data(align, n int) []byte {
	for b.Len()%align != 0 {
		b.WriteByte(0)
	}
	b.Write(make([]byte, n))
	return b.Bytes()
}

type broken struct {
	name string
	data []byte
	want string
}

// validFile is a small well-formed file: two F32 tensors (the first's
// size not a multiple of the alignment) and a u32 key.
func validFile() []byte {
	b := head(3, 2, 1)
	b.str("general.alignment").u32(uint32(Uint32)).u32(32)
	b.tensor("a", F32, 0, 3).tensor("b", F32, 32, 2, 2)
	return b.data(32, 48)
}

// brokenFiles are hand-made files that break one rule each (seeds for the
// fuzzer and cases for TestValidation).
func brokenFiles() []broken {
	long := strings.Repeat("n", MaxNameLen)
	out := []broken{
		{"empty", nil, "not a GGUF file"},
		{"short magic", []byte("GG"), "not a GGUF file"},
		{"bad magic", append([]byte("GGML"), make([]byte, 20)...), "bad magic"},
		{"truncated version", []byte("GGUF\x03"), "version"},
		{"version 1", head(1, 0, 0).Bytes(), "version 1"},
		{"version 4", head(4, 0, 0).Bytes(), "version 4"},
		{"other byte order", head(0x03000000, 0, 0).Bytes(), "byte order"},
		{"2^62 tensors", head(3, 1<<62, 0).Bytes(), "tensor count"},
		{"2^62 keys", head(3, 0, 1<<62).Bytes(), "metadata count"},
		{"2^63-byte key", head(3, 0, 1).u64(1 << 63).u64(0).Bytes(), "runs past the end"},
		{"2^63-byte string value", head(3, 0, 1).str("k").u32(uint32(String)).u64(1 << 63).Bytes(), "runs past the end"},
		{"2^62-element array", head(3, 0, 1).str("k").u32(uint32(Array)).u32(uint32(Uint64)).u64(1 << 62).Bytes(), "cannot fit"},
		{"2^62-string array", head(3, 0, 1).str("k").u32(uint32(Array)).u32(uint32(String)).u64(1 << 62).Bytes(), "cannot fit"},
		{"empty key", head(3, 0, 1).str("").u32(uint32(Uint8)).u8(1).Bytes(), "empty key"},
		{"duplicate key", head(3, 0, 2).str("k").u32(uint32(Uint8)).u8(1).str("k").u32(uint32(Uint8)).u8(1).Bytes(), "duplicate key"},
		{"unknown value type", head(3, 0, 1).str("k").u32(13).u64(0).Bytes(), "unknown value type 13"},
		{"unknown element type", head(3, 0, 1).str("k").u32(uint32(Array)).u32(99).u64(0).Bytes(), "unknown array element type"},
		{"array of arrays", head(3, 0, 1).str("k").u32(uint32(Array)).u32(uint32(Array)).u64(1).u32(uint32(Uint8)).u64(0).Bytes(), "arrays of arrays"},
		{"bool 2", head(3, 0, 1).str("k").u32(uint32(Bool)).u8(2).Bytes(), "neither 0 nor 1"},
		{"bool array 7", head(3, 0, 1).str("k").u32(uint32(Array)).u32(uint32(Bool)).u64(2).u8(1).u8(7).Bytes(), "neither 0 nor 1"},
		{"truncated value", head(3, 0, 1).str("k").u32(uint32(Uint64)).u32(0).Bytes(), "file ends"},
		{"alignment u64", head(3, 0, 1).str(AlignmentKey).u32(uint32(Uint64)).u64(32).Bytes(), "must be a u32"},
		{"alignment 0", head(3, 0, 1).str(AlignmentKey).u32(uint32(Uint32)).u32(0).Bytes(), "power of 2"},
		{"alignment 48", head(3, 0, 1).str(AlignmentKey).u32(uint32(Uint32)).u32(48).Bytes(), "power of 2"},
		{"name of 64 bytes", head(3, 1, 0).tensor(long, F32, 0, 1).data(32, 4), "limit of 64"},
		{"5 dimensions", head(3, 1, 0).tensor("t", F32, 0, 1, 1, 1, 1, 1).data(32, 4), "5 dimensions"},
		{"negative dimension", head(3, 1, 0).tensor("t", F32, 0, 1<<63).data(32, 4), "negative"},
		{"overflowing dimensions", head(3, 1, 0).tensor("t", F32, 0, 1<<32, 1<<32).data(32, 4), "overflows"},
		{"unknown type", head(3, 1, 0).tensor("t", TypeCount, 0, 1).data(32, 4), "unknown ggml type 43"},
		{"removed type", head(3, 1, 0).tensor("t", 4, 0, 32).data(32, 32), "removed"},
		{"layout unknown to lbrx", head(3, 1, 0).tensor("t", NVFP4, 0, 64).data(32, 64), "unknown to lbrx"},
		{"ne0 not a block multiple", head(3, 1, 0).tensor("t", Q8_0, 0, 33).data(32, 68), "not a multiple"},
		{"duplicate tensor", head(3, 2, 0).tensor("t", F32, 0, 1).tensor("t", F32, 32, 1).data(32, 36), "duplicate tensor"},
		{"first offset not 0", head(3, 1, 0).tensor("t", F32, 32, 1).data(32, 36), "expected 0"},
		{"unpadded offset", head(3, 2, 0).tensor("a", F32, 0, 3).tensor("b", F32, 12, 1).data(32, 36), "expected 32"},
		{"overlapping offset", head(3, 2, 0).tensor("a", F32, 0, 16).tensor("b", F32, 32, 1).data(32, 68), "expected 64"},
		{"data past the end", head(3, 1, 0).tensor("t", F32, 0, 100).data(32, 16), "past the end"},
		{"data section past the end", head(3, 1, 0).tensor("t", F32, 0, 0).Bytes(), "beyond the end"},
		{"huge tensor", head(3, 1, 0).tensor("t", F64, 0, 1<<40, 1<<20).data(32, 8), "overflows"},
	}
	return out
}
