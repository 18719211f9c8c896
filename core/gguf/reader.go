package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"

	"github.com/lbrx/lbrx/core"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// DefaultAlignment is the data alignment when general.alignment is absent.
const DefaultAlignment = 32

// MaxNameLen is GGML_MAX_NAME: tensor names must be shorter.
const MaxNameLen = 64

// MaxDims is GGML_MAX_DIMS.
const MaxDims = 4

// AlignmentKey is the metadata key that sets the data alignment.
const AlignmentKey = "general.alignment"

// TensorInfo describes one tensor.
type TensorInfo struct {
	Name string
	Type Type
	// Ne is the dimensions in ggml order (Ne[0] innermost), one per stored
	// dimension.
	Ne []int64
	// Shape is Ne reversed: the row-major (numpy) shape.
	Shape core.Shape
	// Offset is relative to the data section, FileOffset absolute.
	Offset, FileOffset int64
	// Size is the tensor's byte count, NumElements its value count.
	Size, NumElements int64
}

// header is what parse returns.
type header struct {
	version    uint32
	kvs        []KV
	tensors    []TensorInfo
	alignment  int64
	dataOffset int64
}

// cursor reads the header sequentially and knows how much of the file is
// left, so that every count and length is checked before it is allocated.
type cursor struct {
	path string
	r    *bufio.Reader
	pos  int64
	size int64
}

func (c *cursor) fail(key, tensor, format string, a ...any) error {
	return &FormatError{File: c.path, Key: key, Tensor: tensor, Rule: fmt.Sprintf(format, a...)}
}

func (c *cursor) left() int64 { return c.size - c.pos }

// read fills p, failing cleanly at the end of the file.
func (c *cursor) read(p []byte, what string) error {
	if int64(len(p)) > c.left() {
		return fmt.Errorf("file ends at byte %d while reading %s (%d bytes needed at %d)", c.size, what, len(p), c.pos)
	}
	if _, err := io.ReadFull(c.r, p); err != nil {
		return fmt.Errorf("reading %s at byte %d: %w", what, c.pos, err)
	}
	c.pos += int64(len(p))
	return nil
}

func (c *cursor) u32(what string) (uint32, error) {
	var b [4]byte
	err := c.read(b[:], what)
	return binary.LittleEndian.Uint32(b[:]), err
}

func (c *cursor) u64(what string) (uint64, error) {
	var b [8]byte
	err := c.read(b[:], what)
	return binary.LittleEndian.Uint64(b[:]), err
}

// str reads a gguf_string; a length beyond the end of the file fails
// before anything is allocated, and so does one above max (if max > 0).
func (c *cursor) str(what string, limit uint64) (string, error) {
	n, err := c.u64(what + " length")
	if err != nil {
		return "", err
	}
	if n > uint64(c.left()) {
		return "", fmt.Errorf("%s length %d runs past the end of the file (%d bytes left)", what, n, c.left())
	}
	if limit > 0 && n >= limit {
		return "", fmt.Errorf("%s length %d is not below the limit of %d", what, n, limit)
	}
	b := make([]byte, n)
	if err := c.read(b, what); err != nil {
		return "", err
	}
	return string(b), nil
}

// parse reads and validates the header of a GGUF file of the given size.
func parse(path string, r io.ReaderAt, size int64) (*header, error) {
	c := &cursor{path: path, r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10), size: size}
	var magic [4]byte
	if err := c.read(magic[:], "magic"); err != nil {
		return nil, c.fail("", "", "not a GGUF file: %v", err)
	}
	if string(magic[:]) != Magic {
		return nil, c.fail("", "", "bad magic %q: not a GGUF file", magic[:])
	}
	h := &header{alignment: DefaultAlignment}
	v, err := c.u32("version")
	if err != nil {
		return nil, c.fail("", "", "%v", err)
	}
	switch {
	case v&0xffff == 0:
		return nil, c.fail("", "", "version %#x: a file of the other byte order (or version 0); only little-endian GGUF is supported", v)
	case v == 1:
		return nil, c.fail("", "", "GGUF version 1 is not supported")
	case v > 3:
		return nil, c.fail("", "", "GGUF version %d is newer than the supported 2 and 3", v)
	}
	h.version = v
	nt, err := c.u64("tensor count")
	if err != nil {
		return nil, c.fail("", "", "%v", err)
	}
	nkv, err := c.u64("metadata count")
	if err != nil {
		return nil, c.fail("", "", "%v", err)
	}
	// A key/value pair takes at least 13 bytes (key length, type, a 1-byte
	// value) and a tensor info at least 24; counts the file cannot hold
	// fail before anything is allocated.
	if nkv > uint64(c.left())/13 {
		return nil, c.fail("", "", "metadata count %d cannot fit in the %d bytes left in the file", nkv, c.left())
	}
	if nt > uint64(c.left())/24 {
		return nil, c.fail("", "", "tensor count %d cannot fit in the %d bytes left in the file", nt, c.left())
	}
	if nkv > math.MaxInt || nt > math.MaxInt {
		return nil, c.fail("", "", "counts %d and %d do not fit this platform's int", nkv, nt)
	}
	if err := h.readKVs(c, int(nkv)); err != nil {
		return nil, err
	}
	if err := h.readTensorInfos(c, int(nt)); err != nil {
		return nil, err
	}
	if err := h.layout(c); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *header) readKVs(c *cursor, n int) error {
	h.kvs = make([]KV, 0, n)
	seen := make(map[string]bool, n)
	for i := range n {
		key, err := c.str(fmt.Sprintf("key of metadata pair %d", i), 0)
		if err != nil {
			return c.fail("", "", "%v", err)
		}
		if key == "" {
			return c.fail("", "", "metadata pair %d has an empty key", i)
		}
		if seen[key] {
			return c.fail(key, "", "duplicate key")
		}
		seen[key] = true
		t, err := c.u32("value type")
		if err != nil {
			return c.fail(key, "", "%v", err)
		}
		kv := KV{Key: key, Type: ValueType(t)}
		if !kv.Type.valid() {
			return c.fail(key, "", "unknown value type %d", t)
		}
		if kv.Type == Array {
			et, err := c.u32("array element type")
			if err != nil {
				return c.fail(key, "", "%v", err)
			}
			kv.ElemType = ValueType(et)
			if !kv.ElemType.valid() {
				return c.fail(key, "", "unknown array element type %d", et)
			}
			if kv.ElemType == Array {
				return c.fail(key, "", "arrays of arrays are not supported (ggml rejects them)")
			}
			cnt, err := c.u64("array length")
			if err != nil {
				return c.fail(key, "", "%v", err)
			}
			if cnt > uint64(c.left())/uint64(valueSizes[kv.ElemType]) || cnt > math.MaxInt {
				return c.fail(key, "", "array of %d %v values cannot fit in the %d bytes left in the file", cnt, kv.ElemType, c.left())
			}
			if kv.Value, err = readArray(c, kv.ElemType, int(cnt)); err != nil {
				return c.fail(key, "", "%v", err)
			}
		} else if kv.Value, err = readScalar(c, kv.Type); err != nil {
			return c.fail(key, "", "%v", err)
		}
		if key == AlignmentKey {
			a, ok := kv.Value.(uint32)
			if kv.Type != Uint32 || !ok {
				return c.fail(key, "", "must be a u32, is %v", kv.Type)
			}
			if a == 0 || a&(a-1) != 0 {
				return c.fail(key, "", "alignment %d is not a non-zero power of 2", a)
			}
			h.alignment = int64(a)
		}
		h.kvs = append(h.kvs, kv)
	}
	return nil
}

func readScalar(c *cursor, t ValueType) (any, error) {
	if t == String {
		return c.str("string value", 0)
	}
	var b [8]byte
	p := b[:valueSizes[t]]
	if err := c.read(p, t.String()+" value"); err != nil {
		return nil, err
	}
	switch t {
	case Uint8:
		return p[0], nil
	case Int8:
		return int8(p[0]), nil
	case Uint16:
		return binary.LittleEndian.Uint16(p), nil
	case Int16:
		return int16(binary.LittleEndian.Uint16(p)), nil
	case Uint32:
		return binary.LittleEndian.Uint32(p), nil
	case Int32:
		return int32(binary.LittleEndian.Uint32(p)), nil
	case Float32:
		return math.Float32frombits(binary.LittleEndian.Uint32(p)), nil
	case Bool:
		if p[0] > 1 {
			return nil, fmt.Errorf("bool value %d is neither 0 nor 1", p[0])
		}
		return p[0] == 1, nil
	case Uint64:
		return binary.LittleEndian.Uint64(p), nil
	case Int64:
		return int64(binary.LittleEndian.Uint64(p)), nil
	case Float64:
		return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
	}
	return nil, fmt.Errorf("unknown value type %d", t)
}

// readArray reads n values of type t; the caller has checked that the file
// can hold them.
func readArray(c *cursor, t ValueType, n int) (any, error) {
	switch t {
	case Uint8:
		return readTyped[uint8](c, t, n)
	case Int8:
		return readTyped[int8](c, t, n)
	case Uint16:
		return readTyped[uint16](c, t, n)
	case Int16:
		return readTyped[int16](c, t, n)
	case Uint32:
		return readTyped[uint32](c, t, n)
	case Int32:
		return readTyped[int32](c, t, n)
	case Float32:
		return readTyped[float32](c, t, n)
	case Bool:
		return readTyped[bool](c, t, n)
	case String:
		return readTyped[string](c, t, n)
	case Uint64:
		return readTyped[uint64](c, t, n)
	case Int64:
		return readTyped[int64](c, t, n)
	case Float64:
		return readTyped[float64](c, t, n)
	}
	return nil, fmt.Errorf("unknown array element type %d", t)
}

func readTyped[E any](c *cursor, t ValueType, n int) ([]E, error) {
	out := make([]E, n)
	for i := range out {
		v, err := readScalar(c, t)
		if err != nil {
			return nil, fmt.Errorf("array element %d: %w", i, err)
		}
		out[i] = v.(E)
	}
	return out, nil
}

func (h *header) readTensorInfos(c *cursor, n int) error {
	h.tensors = make([]TensorInfo, 0, n)
	seen := make(map[string]bool, n)
	for i := range n {
		name, err := c.str(fmt.Sprintf("name of tensor %d", i), MaxNameLen)
		if err != nil {
			return c.fail("", "", "tensor info %d: %v", i, err)
		}
		if seen[name] {
			return c.fail("", name, "duplicate tensor name")
		}
		seen[name] = true
		nd, err := c.u32("dimension count")
		if err != nil {
			return c.fail("", name, "%v", err)
		}
		if nd > MaxDims {
			return c.fail("", name, "%d dimensions, more than ggml's %d", nd, MaxDims)
		}
		t := TensorInfo{Name: name, Ne: make([]int64, nd), Shape: make(core.Shape, nd)}
		count := int64(1)
		for j := range t.Ne {
			u, err := c.u64("dimension")
			if err != nil {
				return c.fail("", name, "%v", err)
			}
			d := int64(u)
			if d < 0 {
				return c.fail("", name, "dimension ne[%d] = %d is negative", j, d)
			}
			hi, lo := bits.Mul64(uint64(count), uint64(d))
			if hi != 0 || lo >= math.MaxInt64 {
				return c.fail("", name, "element count of ne %v... overflows int64", t.Ne[:j+1])
			}
			count = int64(lo)
			if uint64(d) > math.MaxInt {
				return c.fail("", name, "dimension ne[%d] = %d does not fit this platform's int", j, d)
			}
			t.Ne[j] = d
			t.Shape[int(nd)-1-j] = int(d)
		}
		t.NumElements = count
		ty, err := c.u32("tensor type")
		if err != nil {
			return c.fail("", name, "%v", err)
		}
		t.Type = Type(ty)
		if t.Type >= TypeCount {
			return c.fail("", name, "unknown ggml type %d (ggml knows types below %d)", ty, TypeCount)
		}
		if _, ok := typeTable[t.Type]; !ok {
			return c.fail("", name, "ggml type %d was removed from ggml", ty)
		}
		if !t.Type.Known() {
			return c.fail("", name, "ggml type %v: its block layout is unknown to lbrx", t.Type)
		}
		ne0 := int64(1)
		if nd > 0 {
			ne0 = t.Ne[0]
		}
		if bs := int64(t.Type.BlockSize()); ne0%bs != 0 {
			return c.fail("", name, "ne[0] = %d is not a multiple of the %v block size %d", ne0, t.Type, bs)
		}
		row, err := t.Type.RowBytes(ne0)
		if err != nil {
			return c.fail("", name, "%v", err)
		}
		var rows int64
		if ne0 != 0 {
			rows = count / ne0
		}
		hi, lo := bits.Mul64(uint64(row), uint64(rows))
		if hi != 0 || lo > math.MaxInt64 {
			return c.fail("", name, "byte size overflows int64")
		}
		t.Size = int64(lo)
		off, err := c.u64("tensor offset")
		if err != nil {
			return c.fail("", name, "%v", err)
		}
		if off > math.MaxInt64 {
			return c.fail("", name, "offset %d is beyond any file", off)
		}
		t.Offset = int64(off)
		h.tensors = append(h.tensors, t)
	}
	return nil
}

// pad rounds n up to a multiple of align (a power of 2); ok is false on
// overflow.
func pad(n, align int64) (int64, bool) {
	if n > math.MaxInt64-(align-1) {
		return 0, false
	}
	return (n + align - 1) &^ (align - 1), true
}

// layout places the data section and checks every tensor's offset the way
// ggml does: each equals the running sum of the previous tensors' sizes,
// each padded to the alignment, and the data lies inside the file.
func (h *header) layout(c *cursor) error {
	var ok bool
	h.dataOffset, ok = pad(c.pos, h.alignment)
	if len(h.tensors) > 0 && (!ok || h.dataOffset > c.size) {
		return c.fail("", "", "data section at byte %d (header end %d padded to %d) starts beyond the end of the %d-byte file", h.dataOffset, c.pos, h.alignment, c.size)
	}
	var next int64
	for i := range h.tensors {
		t := &h.tensors[i]
		if t.Offset != next {
			return c.fail("", t.Name, "offset %d is not where the previous tensor ends, padded to the alignment %d (expected %d)", t.Offset, h.alignment, next)
		}
		if t.Size > c.size-h.dataOffset-t.Offset {
			return c.fail("", t.Name, "%d bytes at data offset %d run past the end of the %d-byte file", t.Size, t.Offset, c.size)
		}
		t.FileOffset = h.dataOffset + t.Offset
		if next, ok = pad(t.Offset+t.Size, h.alignment); !ok {
			return c.fail("", t.Name, "data offsets overflow")
		}
	}
	h.tensors = slices.Clip(h.tensors)
	return nil
}
