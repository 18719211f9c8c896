package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// IndexName is the file naming the shards of a sharded model.
const IndexName = "model.safetensors.index.json"

// maxIndexSize bounds the index file read into memory.
const maxIndexSize = 256 << 20

func isIndexName(p string) bool { return strings.HasSuffix(p, ".safetensors.index.json") }

// openSharded reads the index and every shard's header, and checks that
// the index and the shards agree tensor for tensor.
func (f *File) openSharded(idx string) error {
	st, err := os.Stat(idx)
	if err != nil {
		return err
	}
	if st.Size() > maxIndexSize {
		return fmt.Errorf("safetensors index %s: %d bytes exceeds the %d-byte limit", idx, st.Size(), maxIndexSize)
	}
	raw, err := os.ReadFile(idx) //nolint:gosec // the caller's model index, size checked above
	if err != nil {
		return err
	}
	var ix struct {
		Metadata  map[string]json.RawMessage `json:"metadata"`
		WeightMap map[string]string          `json:"weight_map"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&ix); err != nil {
		return fmt.Errorf("safetensors index %s: %w", idx, err)
	}
	if len(ix.WeightMap) == 0 {
		return fmt.Errorf("safetensors index %s: weight_map is missing or empty", idx)
	}
	dir := filepath.Dir(idx)
	byFile := map[string][]string{}
	for name, file := range ix.WeightMap {
		if file == "" || file != filepath.Base(file) || file == "." || file == ".." || strings.ContainsAny(file, `/\`) {
			return fmt.Errorf("safetensors index %s: tensor %q: shard %q is not a plain file name in the index's directory", idx, name, file)
		}
		byFile[file] = append(byFile[file], name)
	}
	files := make([]string, 0, len(byFile))
	for fn := range byFile {
		files = append(files, fn)
	}
	sort.Strings(files)
	meta := map[string]string{}
	for _, fn := range files {
		p := filepath.Join(dir, fn)
		h, err := readHeaderFile(p)
		if err != nil {
			return err
		}
		sh := &shard{path: p}
		f.shards = append(f.shards, sh)
		for k, v := range h.meta {
			if _, ok := meta[k]; !ok {
				meta[k] = v
			}
		}
		in := map[string]bool{}
		for i := range h.infos {
			t := &h.infos[i]
			if ix.WeightMap[t.Name] != fn {
				return fmt.Errorf("safetensors index %s: tensor %q is stored in %s but the index maps it to %q", idx, t.Name, fn, ix.WeightMap[t.Name])
			}
			in[t.Name] = true
			if err := f.add(t, sh); err != nil {
				return err
			}
		}
		for _, name := range byFile[fn] {
			if !in[name] {
				return fmt.Errorf("safetensors index %s: tensor %q is mapped to %s, which does not hold it", idx, name, fn)
			}
		}
	}
	for k, v := range ix.Metadata {
		if _, ok := meta[k]; ok {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			meta[k] = s
		} else {
			meta[k] = string(v)
		}
	}
	f.meta = meta
	return nil
}
