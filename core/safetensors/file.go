package safetensors

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/lbrx/lbrx/core"
)

// File is an open safetensors file or sharded model directory. Its
// methods are safe for concurrent use.
type File struct {
	path   string
	shards []*shard
	infos  map[string]*TensorInfo
	shard  map[string]*shard // tensor name -> its shard
	names  []string
	meta   map[string]string
	mode   core.LoadMode
}

// shard is one file of a model; its FileSource is opened on first use, so
// that Open reads nothing but headers.
type shard struct {
	path   string
	once   sync.Once
	src    core.FileSource
	err    error
	mu     sync.Mutex
	closed bool
}

// Option configures Open.
type Option func(*File)

// WithLoadMode chooses how tensor bytes are read: core.LoadAuto (the
// default: mmap where supported), core.LoadMmap or core.LoadReadAt (pread
// into heap memory, for files that should not be mapped).
func WithLoadMode(m core.LoadMode) Option { return func(f *File) { f.mode = m } }

// openFile is os.Open, replaceable by tests that count the bytes Open reads.
var openFile = func(path string) (readerAtFile, error) {
	return os.Open(path) //nolint:gosec // opening the caller's model file is the point
}

type readerAtFile interface {
	ReadAt(p []byte, off int64) (int, error)
	Stat() (os.FileInfo, error)
	Close() error
}

// Open opens a .safetensors file, a directory holding
// model.safetensors.index.json (a sharded model) or model.safetensors, or
// an index file itself. It reads and validates the headers only.
func Open(path string, opts ...Option) (*File, error) {
	f := &File{path: path, infos: map[string]*TensorInfo{}, shard: map[string]*shard{}}
	for _, o := range opts {
		o(f)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	idx := ""
	switch {
	case st.IsDir():
		idx = filepath.Join(path, IndexName)
		if _, err := os.Stat(idx); err != nil {
			single := filepath.Join(path, "model.safetensors")
			if _, err2 := os.Stat(single); err2 != nil {
				return nil, fmt.Errorf("safetensors %s: directory holds neither %s nor model.safetensors", path, IndexName)
			}
			idx = ""
			path = single
		}
	case isIndexName(path):
		idx = path
	}
	if idx != "" {
		if err := f.openSharded(idx); err != nil {
			return nil, err
		}
	} else {
		h, err := readHeaderFile(path)
		if err != nil {
			return nil, err
		}
		sh := &shard{path: path}
		f.shards = []*shard{sh}
		f.meta = h.meta
		for i := range h.infos {
			if err := f.add(&h.infos[i], sh); err != nil {
				return nil, err
			}
		}
	}
	f.names = make([]string, 0, len(f.infos))
	for n := range f.infos {
		f.names = append(f.names, n)
	}
	slices.Sort(f.names)
	if f.meta == nil {
		f.meta = map[string]string{}
	}
	return f, nil
}

func (f *File) add(t *TensorInfo, sh *shard) error {
	if _, dup := f.infos[t.Name]; dup {
		return formatErr(sh.path, t.Name, "tensor appears in two shards")
	}
	f.infos[t.Name], f.shard[t.Name] = t, sh
	return nil
}

// readHeaderFile opens path, reads its header and closes it again.
func readHeaderFile(path string) (*header, error) {
	fh, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	return readHeader(path, fh, st.Size())
}

// Path returns the path given to Open.
func (f *File) Path() string { return f.path }

// Names lists every tensor, sorted.
func (f *File) Names() []string { return slices.Clone(f.names) }

// Info describes the named tensor.
func (f *File) Info(name string) (TensorInfo, bool) {
	t, ok := f.infos[name]
	if !ok {
		return TensorInfo{}, false
	}
	c := *t
	c.Shape = t.Shape.Clone()
	return c, true
}

// Metadata returns the header's __metadata__ (for a sharded model, the
// shards' metadata merged with the index's "metadata", non-string values
// as JSON text).
func (f *File) Metadata() map[string]string {
	m := make(map[string]string, len(f.meta))
	for k, v := range f.meta {
		m[k] = v
	}
	return m
}

// Shards lists the files holding the tensors.
func (f *File) Shards() []string {
	out := make([]string, len(f.shards))
	for i, s := range f.shards {
		out[i] = s.path
	}
	return out
}

func (f *File) lookup(name string) (*TensorInfo, *shard, error) {
	t, ok := f.infos[name]
	if !ok {
		return nil, nil, fmt.Errorf("safetensors %s: no tensor %q", f.path, name)
	}
	return t, f.shard[name], nil
}

func (s *shard) source(mode core.LoadMode) (core.FileSource, error) {
	s.once.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			s.err = fmt.Errorf("safetensors %s: file is closed", s.path)
			return
		}
		s.src, s.err = core.OpenFileSource(s.path, mode)
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("safetensors %s: file is closed", s.path)
	}
	return s.src, s.err
}

// Array loads the named tensor: a view of the mapped file when its offset
// is aligned to the element size, otherwise (or in LoadReadAt mode) a copy
// in heap memory. Its metadata carries the tensor name. Tensors of types
// lbrx cannot hold (F8_*, U16, U64, ...) give an error naming the dtype;
// Bytes still reads them.
func (f *File) Array(name string) (*core.Array, error) {
	t, sh, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if !t.Type.Valid() {
		return nil, fmt.Errorf("safetensors %s: tensor %q: dtype %s is valid safetensors but lbrx cannot hold it as an array (use Bytes)", t.File, name, t.DType)
	}
	src, err := sh.source(f.mode)
	if err != nil {
		return nil, err
	}
	a, err := src.Array(t.Type, t.Shape, t.Offset)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: tensor %q: %w", t.File, name, err)
	}
	return a.WithMetadata(core.Metadata{Name: name})
}

// Bytes returns the named tensor's raw little-endian bytes, for any dtype.
// With a mapped file the slice aliases the mapping: do not write to it,
// and do not use it after Close.
func (f *File) Bytes(name string) ([]byte, error) {
	t, sh, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	src, err := sh.source(f.mode)
	if err != nil {
		return nil, err
	}
	return src.ReadBytes(t.Offset, t.Size)
}

// Tensor loads the named tensor as a Tensor[T]; T must match its dtype.
func Tensor[T core.Element](f *File, name string) (*core.Tensor[T], error) {
	a, err := f.Array(name)
	if err != nil {
		return nil, err
	}
	t, err := core.As[T](a)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", f.path, err)
	}
	return t, nil
}

// Close releases the files. Tensors loaded from a mapped file must not be
// used afterwards (heap copies stay valid); to keep using them, skip Close
// and the mapping is released when the last tensor is garbage.
func (f *File) Close() error {
	var first error
	for _, s := range f.shards {
		s.mu.Lock()
		s.closed = true
		src := s.src
		s.src = nil
		s.mu.Unlock()
		if src != nil {
			if err := src.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}
