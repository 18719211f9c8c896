package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/lbrx/lbrx/core/gguf"
	"github.com/lbrx/lbrx/core/safetensors"
)

func init() {
	commands["inspect"] = &command{
		summary: "list the tensors and metadata of a .safetensors file, sharded model directory or .gguf file",
		args:    []string{"PATH"},
		setup:   inspectSetup,
	}
}

// modelInfo is what inspect prints, and its --json form.
type modelInfo struct {
	Path       string        `json:"path"`
	Format     string        `json:"format"`
	Version    uint32        `json:"version,omitempty"`
	Alignment  int64         `json:"alignment,omitempty"`
	DataOffset int64         `json:"data_offset,omitempty"`
	Shards     []string      `json:"shards,omitempty"`
	Model      *modelSummary `json:"model,omitempty"` // GGUF models
	Metadata   []metaEntry   `json:"metadata"`
	Tensors    []tensorInfo  `json:"tensors"`
}

type metaEntry struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
	text  string
}

type tensorInfo struct {
	Name   string  `json:"name"`
	DType  string  `json:"dtype"`
	Shape  []int   `json:"shape"`
	Ne     []int64 `json:"ne,omitempty"` // GGUF: ggml order, innermost first
	Offset int64   `json:"offset"`       // absolute, in File
	Size   int64   `json:"size"`
	File   string  `json:"file,omitempty"`
}

func inspectSetup(fs *flag.FlagSet) runFunc {
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	return func(pos []string, stdout, _ io.Writer) error {
		info, err := inspect(pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(info)
		}
		return printInfo(stdout, info)
	}
}

func inspect(path string) (*modelInfo, error) {
	if err := checkInput(path, inputTensors); err != nil {
		return nil, err
	}
	if format, err := sniff(path); err == nil && format == formatGGUF {
		return inspectGGUF(path)
	}
	return inspectSafetensors(path)
}

func inspectSafetensors(path string) (*modelInfo, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info := &modelInfo{Path: path, Format: "safetensors", Metadata: []metaEntry{}, Tensors: []tensorInfo{}}
	if sh := f.Shards(); len(sh) > 1 {
		for _, s := range sh {
			info.Shards = append(info.Shards, filepath.Base(s))
		}
	}
	meta := f.Metadata()
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		info.Metadata = append(info.Metadata, metaEntry{Key: k, Type: "str", Value: meta[k], text: fmt.Sprintf("%q", meta[k])})
	}
	// Data order: the order of the bytes in each file.
	ts := make([]safetensors.TensorInfo, 0, len(f.Names()))
	for _, n := range f.Names() {
		t, _ := f.Info(n)
		ts = append(ts, t)
	}
	slices.SortStableFunc(ts, func(a, b safetensors.TensorInfo) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return int(a.Offset - b.Offset)
	})
	for _, t := range ts {
		ti := tensorInfo{Name: t.Name, DType: t.DType, Shape: []int(t.Shape), Offset: t.Offset, Size: t.Size}
		if ti.Shape == nil {
			ti.Shape = []int{}
		}
		if len(info.Shards) > 0 {
			ti.File = filepath.Base(t.File)
		}
		info.Tensors = append(info.Tensors, ti)
	}
	return info, nil
}

func inspectGGUF(path string) (*modelInfo, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info := &modelInfo{Path: path, Format: "gguf", Version: f.Version(), Alignment: f.Alignment(),
		DataOffset: f.DataOffset(), Metadata: []metaEntry{}, Tensors: []tensorInfo{}, Model: summarizeModel(f)}
	for _, kv := range f.KVs() {
		typ := kv.Type.String()
		if kv.Type == gguf.Array {
			typ = "arr[" + kv.ElemType.String() + "]"
		}
		info.Metadata = append(info.Metadata, metaEntry{Key: kv.Key, Type: typ, Value: jsonSafe(kv.Value), text: kv.String()})
	}
	for _, t := range f.Tensors() {
		info.Tensors = append(info.Tensors, tensorInfo{Name: t.Name, DType: t.Type.String(), Shape: []int(t.Shape),
			Ne: t.Ne, Offset: t.FileOffset, Size: t.Size})
	}
	return info, nil
}

// jsonSafe replaces non-finite floats, which JSON cannot hold, by strings.
func jsonSafe(v any) any {
	f := func(x float64) any {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x)
		}
		return x
	}
	switch x := v.(type) {
	case float32:
		return f(float64(x))
	case float64:
		return f(x)
	case []float32:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = f(float64(e))
		}
		return out
	case []float64:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = f(e)
		}
		return out
	case []uint8:
		out := make([]int, len(x)) // not base64, as encoding/json would write []byte
		for i, e := range x {
			out[i] = int(e)
		}
		return out
	}
	return v
}

func printInfo(w io.Writer, info *modelInfo) error {
	fmt.Fprintf(w, "file:    %s\n", info.Path)
	switch info.Format {
	case "gguf":
		fmt.Fprintf(w, "format:  GGUF v%d, alignment %d, data at byte %d\n", info.Version, info.Alignment, info.DataOffset)
		if info.Model != nil {
			fmt.Fprintf(w, "model:   %s\n", info.Model)
		}
	default:
		if len(info.Shards) > 0 {
			fmt.Fprintf(w, "format:  safetensors, %d shards\n", len(info.Shards))
		} else {
			fmt.Fprintf(w, "format:  safetensors\n")
		}
	}
	var total int64
	for _, t := range info.Tensors {
		total += t.Size
	}
	fmt.Fprintf(w, "tensors: %d (%d bytes)\n", len(info.Tensors), total)
	fmt.Fprintf(w, "\nmetadata (%d):\n", len(info.Metadata))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range info.Metadata {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.Key, m.Type, strings.ReplaceAll(m.text, "\n", `\n`))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "NAME\tDTYPE\tSHAPE\tOFFSET\tSIZE\t"
	if len(info.Shards) > 0 {
		header += "FILE\t"
	}
	fmt.Fprintln(tw, header)
	for _, t := range info.Tensors {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t", t.Name, t.DType, shapeString(t.Shape), t.Offset, t.Size)
		if len(info.Shards) > 0 {
			fmt.Fprintf(tw, "%s\t", t.File)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
