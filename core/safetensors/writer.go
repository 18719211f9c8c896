package safetensors

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/lbrx/lbrx/core"
)

// Writer collects tensors and writes them as a safetensors file or a
// sharded model. It holds references to the arrays, never copies of their
// data: bytes are streamed from each array's storage when written.
type Writer struct {
	entries []entry
	names   map[string]bool
	meta    map[string]string
}

type entry struct {
	name string
	a    *core.Array
	size int64
}

// NewWriter returns an empty Writer.
func NewWriter() *Writer { return &Writer{names: map[string]bool{}} }

// Add queues a under name. Names must be unique, non-empty, and not the
// reserved "__metadata__" (the reference writer accepts it and produces a
// file it cannot read back).
func (w *Writer) Add(name string, a *core.Array) error {
	switch {
	case name == "":
		return fmt.Errorf("safetensors writer: empty tensor name")
	case name == metadataKey:
		return fmt.Errorf("safetensors writer: tensor name %q is reserved for the metadata", name)
	case w.names[name]:
		return fmt.Errorf("safetensors writer: tensor %q added twice", name)
	case a == nil:
		return fmt.Errorf("safetensors writer: tensor %q is nil", name)
	case !a.DType().Valid():
		return fmt.Errorf("safetensors writer: tensor %q has invalid dtype %v", name, a.DType())
	}
	if a.Quant() != nil {
		return fmt.Errorf("safetensors writer: tensor %q holds quantized codes; add its codes, scales and biases as separate plain tensors", name)
	}
	w.names[name] = true
	w.entries = append(w.entries, entry{name: name, a: a, size: int64(a.NumElements()) * int64(a.DType().Size())})
	return nil
}

// SetMetadata sets the header's __metadata__ (nil for none).
func (w *Writer) SetMetadata(m map[string]string) {
	w.meta = nil
	if m != nil {
		w.meta = make(map[string]string, len(m))
		for k, v := range m {
			w.meta[k] = v
		}
	}
}

// sorted returns the entries in the reference writer's order: largest
// dtype alignment first, then by name.
func (w *Writer) sorted() []entry {
	es := slices.Clone(w.entries)
	slices.SortFunc(es, func(x, y entry) int {
		if c := cmp.Compare(rankOf(y.a.DType()), rankOf(x.a.DType())); c != 0 {
			return c
		}
		return cmp.Compare(x.name, y.name)
	})
	return es
}

// hdrEntry is one tensor as the header describes it.
type hdrEntry struct {
	name, dtype string
	shape       []int
	size        int64
}

func headerEntries(es []entry) []hdrEntry {
	out := make([]hdrEntry, len(es))
	for i, e := range es {
		out[i] = hdrEntry{e.name, e.a.DType().String(), e.a.Shape(), e.size}
	}
	return out
}

// buildHeader returns the 8-byte size and the space-padded JSON header.
func buildHeader(es []hdrEntry, meta map[string]string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	str := func(s string) {
		_ = enc.Encode(s) // strings always encode
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('{')
	first := true
	if meta != nil {
		b.WriteString(`"__metadata__":{`)
		keys := make([]string, 0, len(meta))
		for k := range meta {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			str(k)
			b.WriteByte(':')
			str(meta[k])
		}
		b.WriteByte('}')
		first = false
	}
	var off int64
	for _, e := range es {
		if !first {
			b.WriteByte(',')
		}
		first = false
		str(e.name)
		b.WriteString(`:{"dtype":"` + e.dtype + `","shape":[`)
		for i, d := range e.shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, off+e.size)
		off += e.size
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	if b.Len() > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors writer: header of %d bytes exceeds the format's %d-byte limit; shard the model", b.Len(), MaxHeaderSize)
	}
	out := make([]byte, 8, 8+b.Len())
	binary.LittleEndian.PutUint64(out, uint64(b.Len()))
	return append(out, b.Bytes()...), nil
}

// WriteTo writes the file to dst, streaming each tensor's bytes.
func (w *Writer) WriteTo(dst io.Writer) (int64, error) {
	return writeEntries(dst, w.sorted(), w.meta)
}

func writeEntries(dst io.Writer, es []entry, meta map[string]string) (int64, error) {
	hdr, err := buildHeader(headerEntries(es), meta)
	if err != nil {
		return 0, err
	}
	n, err := dst.Write(hdr)
	total := int64(n)
	if err != nil {
		return total, err
	}
	for _, e := range es {
		// Bytes aliases host storage of contiguous arrays; strided views and
		// device arrays are gathered one tensor at a time.
		b, err := e.a.Bytes()
		if err != nil {
			return total, fmt.Errorf("safetensors writer: tensor %q: %w", e.name, err)
		}
		n, err := dst.Write(b)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// WriteFile writes the file atomically: into a temporary file in the same
// directory, renamed over path once complete.
func (w *Writer) WriteFile(path string) error {
	return writeAtomic(path, func(bw io.Writer) error {
		_, err := w.WriteTo(bw)
		return err
	})
}

func writeAtomic(path string, write func(io.Writer) error) (err error) {
	tmp, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}

// WriteSharded writes the tensors into dir as model-0000N-of-0000M.safetensors
// files of at most maxShardBytes of tensor data each (a single larger
// tensor gets a shard of its own) and model.safetensors.index.json, as
// Hugging Face save_pretrained does. Every shard carries the metadata.
func (w *Writer) WriteSharded(dir string, maxShardBytes int64) error {
	if maxShardBytes <= 0 {
		return fmt.Errorf("safetensors writer: shard size %d must be positive", maxShardBytes)
	}
	if err := os.MkdirAll(dir, 0o777); err != nil { //nolint:gosec // the umask decides, as for mkdir(1)
		return err
	}
	var shards [][]entry
	var cur []entry
	var curSize, total int64
	for _, e := range w.sorted() {
		if len(cur) > 0 && curSize+e.size > maxShardBytes {
			shards = append(shards, cur)
			cur, curSize = nil, 0
		}
		cur = append(cur, e)
		curSize += e.size
		total += e.size
	}
	if len(cur) > 0 || len(shards) == 0 {
		shards = append(shards, cur)
	}
	weightMap := map[string]string{}
	for i, es := range shards {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		for _, e := range es {
			weightMap[e.name] = name
		}
		err := writeAtomic(filepath.Join(dir, name), func(bw io.Writer) error {
			_, err := writeEntries(bw, es, w.meta)
			return err
		})
		if err != nil {
			return err
		}
	}
	idx := struct {
		Metadata  map[string]any    `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}{map[string]any{"total_size": total}, weightMap}
	js, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, IndexName), func(bw io.Writer) error {
		_, err := bw.Write(append(js, '\n'))
		return err
	})
}

// createTemp creates a new file dir/prefix<random> with mode 0666 less
// the umask, the mode os.Create gives (os.CreateTemp's 0600 would survive
// the rename and leave the finished file unreadable to others).
func createTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36)) //nolint:gosec // a unique name, not a secret
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)      //nolint:gosec // umask applies, as for os.Create
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("create a temporary file in %s: too many name collisions", dir)
}
