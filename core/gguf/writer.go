package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/lbrx/lbrx/core"
)

// Writer builds a GGUF v3 file the way ggml's writer (gguf.cpp) lays one
// out: header, metadata in the order set, tensor infos in the order added,
// the data section at the next multiple of the alignment, and each
// tensor's bytes padded with zeros to the alignment. Tensor bytes are
// produced one tensor at a time while writing, so a model need not be
// held in memory whole.
type Writer struct {
	kvs     []KV
	tensors []pending
	names   map[string]bool
	align   int64
}

type pending struct {
	info TensorInfo
	data func() ([]byte, error)
}

// NewWriter returns an empty writer (alignment 32 until general.alignment
// is set).
func NewWriter() *Writer {
	return &Writer{names: map[string]bool{}, align: DefaultAlignment}
}

// Set adds a metadata pair. Like ggml's gguf_set_*, setting a key that
// exists removes the old pair and appends the new one, so the key moves
// to the end (llama-quantize relies on this for general.file_type).
// Value must hold the Go type Type names (for arrays, a slice of
// ElemType's: []string, []int32, ...).
func (w *Writer) Set(kv KV) error {
	if kv.Key == "" {
		return errors.New("gguf writer: empty metadata key")
	}
	if err := checkGoType(kv); err != nil {
		return fmt.Errorf("gguf writer: key %q: %w", kv.Key, err)
	}
	if kv.Key == AlignmentKey {
		a, _ := kv.Value.(uint32)
		if kv.Type != Uint32 || a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("gguf writer: key %q: must be a u32 power of 2, is %v %v", kv.Key, kv.Type, kv.Value)
		}
		w.align = int64(a)
	}
	w.kvs = slices.DeleteFunc(w.kvs, func(o KV) bool { return o.Key == kv.Key })
	w.kvs = append(w.kvs, kv)
	return nil
}

// KVs returns the metadata set so far, in file order.
func (w *Writer) KVs() []KV { return slices.Clone(w.kvs) }

// AddTensor queues a tensor of ggml type t and row-major shape (the
// reverse of ggml's ne). data is called once, while writing, and must
// return exactly the tensor's byte size (Type.RowBytes of the last
// dimension times the other dimensions).
func (w *Writer) AddTensor(name string, t Type, shape core.Shape, data func() ([]byte, error)) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("gguf writer: tensor %q: %s", name, fmt.Sprintf(format, a...))
	}
	switch {
	case name == "":
		return errors.New("gguf writer: empty tensor name")
	case len(name) >= MaxNameLen:
		return fail("name is %d bytes, ggml's limit is %d", len(name), MaxNameLen-1)
	case w.names[name]:
		return fail("duplicate tensor name")
	case len(shape) > MaxDims:
		return fail("%d dimensions, more than ggml's %d", len(shape), MaxDims)
	case data == nil:
		return fail("no data")
	}
	if err := shape.Validate(); err != nil {
		return fail("%v", err)
	}
	ne := make([]int64, len(shape))
	for i, d := range shape {
		ne[len(shape)-1-i] = int64(d)
	}
	ne0 := int64(1)
	if len(ne) > 0 {
		ne0 = ne[0]
	}
	row, err := t.RowBytes(ne0)
	if err != nil {
		return fail("%v", err)
	}
	var rows int64 = 1
	for _, d := range ne[min(1, len(ne)):] {
		rows *= d
	}
	if ne0 == 0 {
		rows = 0
	}
	info := TensorInfo{Name: name, Type: t, Ne: ne, Shape: shape.Clone(), Size: row * rows, NumElements: int64(shape.NumElements())}
	w.names[name] = true
	w.tensors = append(w.tensors, pending{info: info, data: data})
	return nil
}

// Tensors returns the queued tensors' infos with the offsets they will
// have (Offset relative to the data section; FileOffset is not set).
func (w *Writer) Tensors() []TensorInfo {
	out := make([]TensorInfo, len(w.tensors))
	var off int64
	for i, p := range w.tensors {
		out[i] = p.info.clone()
		out[i].Offset = off
		off = alignUp(off+p.info.Size, w.align)
	}
	return out
}

func alignUp(n, a int64) int64 { return (n + a - 1) &^ (a - 1) }

// WriteFile writes the file to path through a temporary file in the same
// directory, renamed into place only when complete.
func (w *Writer) WriteFile(path string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = w.WriteTo(tmp); err != nil {
		return fmt.Errorf("gguf writer %s: %w", path, err)
	}
	err = tmp.Close()
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}

// WriteTo writes the whole file to dst.
func (w *Writer) WriteTo(dst io.Writer) (int64, error) {
	cw := &countWriter{w: bufio.NewWriterSize(dst, 1<<20)}
	e := encoder{w: cw}
	e.raw([]byte(Magic))
	e.u32(3)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(w.kvs)))
	for _, kv := range w.kvs {
		e.str(kv.Key)
		e.u32(uint32(kv.Type))
		if kv.Type == Array {
			e.u32(uint32(kv.ElemType))
			e.array(kv.ElemType, kv.Value)
		} else {
			e.scalar(kv.Type, kv.Value)
		}
	}
	for _, ti := range w.Tensors() {
		e.str(ti.Name)
		e.u32(uint32(len(ti.Ne)))
		for _, d := range ti.Ne {
			e.u64(uint64(d))
		}
		e.u32(uint32(ti.Type))
		e.u64(uint64(ti.Offset))
	}
	e.pad(w.align)
	for _, p := range w.tensors {
		if e.err != nil {
			break
		}
		b, err := p.data()
		if err != nil {
			return cw.n, fmt.Errorf("tensor %q: %w", p.info.Name, err)
		}
		if int64(len(b)) != p.info.Size {
			return cw.n, fmt.Errorf("tensor %q: data is %d bytes, its type %v and shape %v take %d", p.info.Name, len(b), p.info.Type, p.info.Shape, p.info.Size)
		}
		e.raw(b)
		e.pad(w.align)
	}
	if e.err == nil {
		e.err = cw.w.Flush()
	}
	return cw.n, e.err
}

type countWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// encoder writes little-endian GGUF fields, keeping the first error.
type encoder struct {
	w   *countWriter
	err error
}

func (e *encoder) raw(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *encoder) u32(v uint32) { e.raw(binary.LittleEndian.AppendUint32(nil, v)) }
func (e *encoder) u64(v uint64) { e.raw(binary.LittleEndian.AppendUint64(nil, v)) }

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}

func (e *encoder) pad(align int64) {
	if r := e.w.n % align; r != 0 {
		e.raw(make([]byte, align-r))
	}
}

func (e *encoder) scalar(t ValueType, v any) {
	switch x := v.(type) {
	case uint8:
		e.raw([]byte{x})
	case int8:
		e.raw([]byte{byte(x)})
	case uint16:
		e.raw(binary.LittleEndian.AppendUint16(nil, x))
	case int16:
		e.raw(binary.LittleEndian.AppendUint16(nil, uint16(x)))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case bool:
		b := byte(0)
		if x {
			b = 1
		}
		e.raw([]byte{b})
	case string:
		e.str(x)
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	default:
		e.err = fmt.Errorf("value %T is not a %v", v, t) // checkValue rules this out
	}
}

func (e *encoder) array(t ValueType, v any) {
	writeAll := func(n int, at func(int) any) {
		e.u64(uint64(n))
		for i := range n {
			e.scalar(t, at(i))
		}
	}
	switch a := v.(type) {
	case []uint8:
		writeAll(len(a), func(i int) any { return a[i] })
	case []int8:
		writeAll(len(a), func(i int) any { return a[i] })
	case []uint16:
		writeAll(len(a), func(i int) any { return a[i] })
	case []int16:
		writeAll(len(a), func(i int) any { return a[i] })
	case []uint32:
		writeAll(len(a), func(i int) any { return a[i] })
	case []int32:
		writeAll(len(a), func(i int) any { return a[i] })
	case []float32:
		writeAll(len(a), func(i int) any { return a[i] })
	case []bool:
		writeAll(len(a), func(i int) any { return a[i] })
	case []string:
		writeAll(len(a), func(i int) any { return a[i] })
	case []uint64:
		writeAll(len(a), func(i int) any { return a[i] })
	case []int64:
		writeAll(len(a), func(i int) any { return a[i] })
	case []float64:
		writeAll(len(a), func(i int) any { return a[i] })
	default:
		e.err = fmt.Errorf("value %T is not an array of %v", v, t)
	}
}

// goTypes are the Go types of each value type, as the reader returns them.
var goTypes = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "", "uint64", "int64", "float64"}

// checkGoType reports a value whose Go type does not match its declared
// value type (the reader's forms: uint32 for Uint32, []string for an array
// of String, ...).
func checkGoType(kv KV) error {
	if !kv.Type.valid() {
		return fmt.Errorf("unknown value type %d", kv.Type)
	}
	if kv.Type != Array {
		if got := fmt.Sprintf("%T", kv.Value); got != goTypes[kv.Type] {
			return fmt.Errorf("value %T does not match type %v (want %s)", kv.Value, kv.Type, goTypes[kv.Type])
		}
		return nil
	}
	if !kv.ElemType.valid() || kv.ElemType == Array {
		return fmt.Errorf("array element type %v is not a scalar type", kv.ElemType)
	}
	if got, want := fmt.Sprintf("%T", kv.Value), "[]"+goTypes[kv.ElemType]; got != want {
		return fmt.Errorf("value %T does not match an array of %v (want %s)", kv.Value, kv.ElemType, want)
	}
	return nil
}
