package quant

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/safetensors"
)

// mlx-lm's tensor suffixes for a quantized layer <path>: codes in
// <path>.weight, parameters in <path>.scales and <path>.biases.
const (
	suffixWeight = ".weight"
	suffixScales = ".scales"
	suffixBiases = ".biases"
)

// AddToWriter queues a under name in w. A quantized MLX affine array named
// "<path>.weight" becomes three tensors as mlx-lm stores them:
// <path>.weight (U32 codes [out, in*bits/32]), <path>.scales and
// <path>.biases ([out, in/group_size] in the model dtype); zero-point form
// is converted to biases first. Plain arrays are queued as they are. ggml
// blocks have no mlx-lm form: convert them with BlocksToAffine.
func AddToWriter(w *safetensors.Writer, name string, a *core.Array) error {
	qi := a.Quant()
	if qi == nil {
		return w.Add(name, a)
	}
	if qi.Scheme != core.SchemeAffine {
		return fmt.Errorf("save %q: %s blocks have no mlx-lm layout (convert with BlocksToAffine)", name, qi.Scheme)
	}
	if !strings.HasSuffix(name, suffixWeight) {
		return fmt.Errorf("save %q: a quantized tensor's name must end in %q (mlx-lm finds <path>.scales beside it)", name, suffixWeight)
	}
	a, err := WithBiases(a)
	if err != nil {
		return fmt.Errorf("save %q: %w", name, err)
	}
	qi = a.Quant()
	path := strings.TrimSuffix(name, suffixWeight)
	// The codes are written without their metadata: the file's own
	// structure (the .scales beside them) is what marks them quantized.
	codes, err := a.WithMetadata(core.Metadata{Name: name})
	if err != nil {
		return err
	}
	if err := w.Add(name, codes); err != nil {
		return err
	}
	if err := w.Add(path+suffixScales, qi.Scales); err != nil {
		return err
	}
	return w.Add(path+suffixBiases, qi.Biases)
}

// SetQuantizationConfig adds mlx-lm's quantization entries to a model
// config: "quantization": {"group_size", "bits", "mode": "affine"}, copied
// to "quantization_config" (mlx_lm/utils.py).
func SetQuantizationConfig(config map[string]any, bits, groupSize int) {
	q := map[string]any{"group_size": groupSize, "bits": bits, "mode": "affine"}
	config["quantization"] = q
	config["quantization_config"] = q
}

// ReadConfig reads a config.json keeping every number's exact text, so
// that writing it back changes nothing but what the caller changed.
func ReadConfig(path string) (map[string]any, error) {
	b, err := os.ReadFile(path) //nolint:gosec // reading the config the caller named is the point
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var cfg map[string]any
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if cfg == nil {
		return nil, fmt.Errorf("config %s: not a JSON object", path)
	}
	return cfg, nil
}

// WriteConfig writes a config as indented JSON.
func WriteConfig(path string, config map[string]any) error {
	b, err := json.MarshalIndent(config, "", "  ")
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o666) //nolint:gosec // readable as os.Create makes it (the umask decides)
}

// Model is a model directory or safetensors file loaded with its
// quantized layers reassembled.
type Model struct {
	// Tensors maps names to arrays. A quantized layer appears once, as
	// "<path>.weight", with Metadata.Quant holding its scales and biases;
	// "<path>.scales" and "<path>.biases" are not listed separately.
	Tensors map[string]*core.Array
	// Config is config.json (nil when there is none).
	Config map[string]any
	file   *safetensors.File
}

// Close releases the underlying files; arrays that view the mapping must
// not be used afterwards.
func (m *Model) Close() error { return m.file.Close() }

// quantParams reads the bits and group size of layer path from an mlx-lm
// config: a per-layer entry under the module path (a params dict, or false
// for an unquantized layer) overrides the global one.
func quantParams(config map[string]any, path string) (bits, group int, err error) {
	q, ok := config["quantization"].(map[string]any)
	if !ok {
		q, ok = config["quantization_config"].(map[string]any)
	}
	if !ok {
		return 0, 0, errors.New(`config.json has no "quantization" entry`)
	}
	if o, ok := q[path].(map[string]any); ok {
		q = o
	}
	num := func(key string) (int, error) {
		switch v := q[key].(type) {
		case json.Number:
			i, err := v.Int64()
			return int(i), err
		case float64:
			return int(v), nil
		case int:
			return v, nil
		}
		return 0, fmt.Errorf("quantization entry for %q lacks an integer %q", path, key)
	}
	if bits, err = num("bits"); err != nil {
		return 0, 0, err
	}
	if group, err = num("group_size"); err != nil {
		return 0, 0, err
	}
	if m, ok := q["mode"].(string); ok && m != "affine" {
		return 0, 0, fmt.Errorf("quantization mode %q of %q is not supported (only affine)", m, path)
	}
	return bits, group, CheckParams(bits, group)
}

// LoadModel opens a model directory (config.json beside one or more
// .safetensors files) or a single .safetensors file and reassembles
// mlx-lm's quantized layers: a layer is quantized when <path>.scales
// exists, with bits and group size from config.json's "quantization".
// Tensors are views of the mapped files where possible.
func LoadModel(path string) (*Model, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	m := &Model{Tensors: map[string]*core.Array{}, file: f}
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	cfgPath := filepath.Join(dir, "config.json")
	if _, err := os.Stat(cfgPath); err == nil {
		if m.Config, err = ReadConfig(cfgPath); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	if err := m.load(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return m, nil
}

func (m *Model) load(f *safetensors.File) error {
	names := f.Names()
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasSuffix(n, suffixScales) || strings.HasSuffix(n, suffixBiases) {
			p := strings.TrimSuffix(strings.TrimSuffix(n, suffixScales), suffixBiases)
			if has[p+suffixScales] && has[p+suffixWeight] {
				continue // part of a quantized layer, attached to its weight
			}
		}
		a, err := f.Array(n)
		if err != nil {
			return err
		}
		if p, ok := strings.CutSuffix(n, suffixWeight); ok && has[p+suffixScales] {
			if a, err = m.assemble(f, p, a); err != nil {
				return fmt.Errorf("tensor %q: %w", n, err)
			}
		}
		m.Tensors[n] = a
	}
	return nil
}

func (m *Model) assemble(f *safetensors.File, path string, codes *core.Array) (*core.Array, error) {
	if m.Config == nil {
		return nil, errors.New("quantized layer (a .scales tensor exists) but no config.json gives its bits and group size")
	}
	bits, group, err := quantParams(m.Config, path)
	if err != nil {
		return nil, err
	}
	scales, err := f.Array(path + suffixScales)
	if err != nil {
		return nil, err
	}
	if _, ok := f.Info(path + suffixBiases); !ok {
		return nil, fmt.Errorf("%s has no %s beside %s", path, suffixBiases, suffixScales)
	}
	biases, err := f.Array(path + suffixBiases)
	if err != nil {
		return nil, err
	}
	cs, ss := codes.Shape(), scales.Shape()
	if codes.DType() != core.U32 || len(cs) < 1 || len(ss) != len(cs) || !biases.Shape().Equal(ss) || biases.DType() != scales.DType() {
		return nil, fmt.Errorf("codes %v, scales %v and biases %v do not form an mlx-lm quantized layer", codes, scales, biases)
	}
	k := cs[len(cs)-1] * 32 / bits
	if cs[len(cs)-1]*32%bits != 0 || ss[len(ss)-1]*group != k || !cs[:len(cs)-1].Equal(ss[:len(ss)-1]) {
		return nil, fmt.Errorf("codes %v and scales %v do not match %d bits in groups of %d (w.shape[-1]*32/bits must equal scales.shape[-1]*group_size)", cs, ss, bits, group)
	}
	shape := cs.Clone()
	shape[len(shape)-1] = k
	meta := codes.Metadata()
	meta.Quant = &core.QuantizationInfo{Scheme: core.SchemeAffine, Bits: bits, GroupSize: group, Shape: shape, Scales: scales, Biases: biases}
	return codes.WithMetadata(meta)
}
