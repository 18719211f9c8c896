package gguf

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/lbrx/lbrx/core"
)

// File is an open GGUF file. Its methods are safe for concurrent use.
type File struct {
	path string
	h    *header
	kv   map[string]int
	ti   map[string]int
	mode core.LoadMode

	once   sync.Once
	mu     sync.Mutex
	src    core.FileSource
	err    error
	closed bool
}

// Option configures Open.
type Option func(*File)

// WithLoadMode chooses how tensor bytes are read: core.LoadAuto (the
// default: mmap where supported), core.LoadMmap or core.LoadReadAt.
func WithLoadMode(m core.LoadMode) Option { return func(f *File) { f.mode = m } }

// Open reads and validates the header of the GGUF file at path. Tensor
// data is not read.
func Open(path string, opts ...Option) (*File, error) {
	fh, err := os.Open(path) //nolint:gosec // opening the caller's model file is the point
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	h, err := parse(path, fh, st.Size())
	if err != nil {
		return nil, err
	}
	f := &File{path: path, h: h, kv: make(map[string]int, len(h.kvs)), ti: make(map[string]int, len(h.tensors))}
	for i, kv := range h.kvs {
		f.kv[kv.Key] = i
	}
	for i, t := range h.tensors {
		f.ti[t.Name] = i
	}
	for _, o := range opts {
		o(f)
	}
	return f, nil
}

// Path returns the file's path.
func (f *File) Path() string { return f.path }

// Version is the GGUF version (2 or 3).
func (f *File) Version() uint32 { return f.h.version }

// Alignment is the data alignment (general.alignment, default 32).
func (f *File) Alignment() int64 { return f.h.alignment }

// DataOffset is the file offset of the data section.
func (f *File) DataOffset() int64 { return f.h.dataOffset }

// KVs returns the metadata in file order.
func (f *File) KVs() []KV { return slices.Clone(f.h.kvs) }

// Get returns the metadata value of key.
func (f *File) Get(key string) (KV, bool) {
	i, ok := f.kv[key]
	if !ok {
		return KV{}, false
	}
	return f.h.kvs[i], true
}

// Tensors returns the tensor infos in file order.
func (f *File) Tensors() []TensorInfo {
	out := make([]TensorInfo, len(f.h.tensors))
	for i, t := range f.h.tensors {
		out[i] = t.clone()
	}
	return out
}

// Names lists the tensor names, sorted.
func (f *File) Names() []string {
	out := make([]string, 0, len(f.h.tensors))
	for _, t := range f.h.tensors {
		out = append(out, t.Name)
	}
	slices.Sort(out)
	return out
}

// Info describes the named tensor.
func (f *File) Info(name string) (TensorInfo, bool) {
	i, ok := f.ti[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.h.tensors[i].clone(), true
}

func (t TensorInfo) clone() TensorInfo {
	t.Ne, t.Shape = slices.Clone(t.Ne), t.Shape.Clone()
	return t
}

func (f *File) lookup(name string) (*TensorInfo, core.FileSource, error) {
	i, ok := f.ti[name]
	if !ok {
		return nil, nil, fmt.Errorf("gguf %s: no tensor %q", f.path, name)
	}
	f.once.Do(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.closed {
			f.src, f.err = core.OpenFileSource(f.path, f.mode)
		}
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, nil, fmt.Errorf("gguf %s: file is closed", f.path)
	}
	if f.err != nil {
		return nil, nil, f.err
	}
	return &f.h.tensors[i], f.src, nil
}

// plainTypes maps ggml's plain types to core dtypes.
var plainTypes = map[Type]core.DType{
	F32: core.F32, F16: core.F16, BF16: core.BF16, F64: core.F64,
	I8: core.I8, I16: core.I16, I32: core.I32, I64: core.I64,
}

// blockSchemes are the block types core describes with QuantizationInfo
// (GroupSize is the type's block size: 32, or 256 for the K-quants).
var blockSchemes = map[Type]struct {
	scheme core.Scheme
	bits   int
}{
	Q8_0: {core.SchemeQ8_0, 8}, Q4_0: {core.SchemeQ4_0, 4}, Q4_1: {core.SchemeQ4_1, 4},
	Q5_0: {core.SchemeQ5_0, 5}, Q5_1: {core.SchemeQ5_1, 5}, IQ4NL: {core.SchemeIQ4_NL, 4},
	Q2K: {core.SchemeQ2_K, 2}, Q3K: {core.SchemeQ3_K, 3}, Q4K: {core.SchemeQ4_K, 4},
	Q5K: {core.SchemeQ5_K, 5}, Q6K: {core.SchemeQ6_K, 6},
}

// SchemeOf returns the core scheme of a ggml block type (Q4_K ->
// core.SchemeQ4_K); ok is false for plain types and for block types core
// does not name.
func SchemeOf(t Type) (core.Scheme, bool) {
	bs, ok := blockSchemes[t]
	return bs.scheme, ok
}

// TypeOf is SchemeOf's inverse: the ggml type of a core block scheme.
func TypeOf(s core.Scheme) (Type, bool) {
	for t, bs := range blockSchemes {
		if bs.scheme == s {
			return t, true
		}
	}
	return 0, false
}

// Array loads the named tensor without copying where possible. Plain types
// (F32, F16, BF16, F64, I8..I64) give an array of that dtype with the
// row-major Shape. The block types core names a scheme for (Q8_0, Q4_0,
// Q4_1, Q5_0, Q5_1, Q2_K..Q6_K, IQ4_NL) give their raw blocks as U8
// [rows..., row bytes] with QuantizationInfo (Scheme, Bits, GroupSize =
// the block size, the logical Shape). Other types are an error: use
// Float32.
func (f *File) Array(name string) (*core.Array, error) {
	t, src, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	meta := core.Metadata{Name: name}
	var a *core.Array
	if d, ok := plainTypes[t.Type]; ok {
		a, err = src.Array(d, t.Shape, t.FileOffset)
	} else if bs, ok := blockSchemes[t.Type]; ok {
		row, _ := t.Type.RowBytes(t.Ne[0]) // validated by Open
		shape := t.Shape.Clone()
		shape[len(shape)-1] = int(row)
		meta.Quant = &core.QuantizationInfo{Scheme: bs.scheme, Bits: bs.bits, GroupSize: t.Type.BlockSize(), Shape: t.Shape.Clone()}
		a, err = src.Array(core.U8, shape, t.FileOffset)
	} else {
		return nil, fmt.Errorf("gguf %s: tensor %q: type %v has no lbrx array form (use Float32 to dequantize, or Bytes)", f.path, name, t.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("gguf %s: tensor %q: %w", f.path, name, err)
	}
	return a.WithMetadata(meta)
}

// Bytes returns the named tensor's stored bytes. With a mapped file the
// slice aliases the mapping: do not write to it or use it after Close.
func (f *File) Bytes(name string) ([]byte, error) {
	t, src, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	return src.ReadBytes(t.FileOffset, t.Size)
}

// Float32 returns the named tensor's values dequantized to float32 (ggml's
// to_float, bit for bit), in a new tensor with the row-major Shape.
func (f *File) Float32(name string) (*core.Tensor[float32], error) {
	t, src, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if !Supported(t.Type) {
		return nil, fmt.Errorf("gguf %s: tensor %q: dequantizing ggml type %v is not supported", f.path, name, t.Type)
	}
	b, err := src.ReadBytes(t.FileOffset, t.Size)
	if err != nil {
		return nil, fmt.Errorf("gguf %s: tensor %q: %w", f.path, name, err)
	}
	out, err := core.Zeros[float32](t.Shape...)
	if err != nil {
		return nil, fmt.Errorf("gguf %s: tensor %q: %w", f.path, name, err)
	}
	dst, err := out.Data()
	if err != nil {
		return nil, err
	}
	err = Dequantize(t.Type, b, dst)
	runtime.KeepAlive(src) // b may point into the mapping src owns
	if err != nil {
		return nil, fmt.Errorf("gguf %s: tensor %q: %w", f.path, name, err)
	}
	return out.WithMetadata(core.Metadata{Name: name})
}

// Close releases the file. Tensors loaded from a mapped file must not be
// used afterwards (copies and Float32 results stay valid).
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	if f.src == nil {
		return nil
	}
	err := f.src.Close()
	f.src = nil
	return err
}

// Tensor loads the named plain-typed tensor as a Tensor[T]; T must match
// its type (float32 for F32, Float16 for F16, ...).
func Tensor[T core.Element](f *File, name string) (*core.Tensor[T], error) {
	a, err := f.Array(name)
	if err != nil {
		return nil, err
	}
	t, err := core.As[T](a)
	if err != nil {
		return nil, fmt.Errorf("gguf %s: %w", f.path, err)
	}
	return t, nil
}
