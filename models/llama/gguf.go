package llama

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
)

// isGGUF reports whether path is a file starting with GGUF's magic.
func isGGUF(path string) bool {
	f, err := os.Open(path) //nolint:gosec // the caller names the model to load
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return false
	}
	return string(magic[:]) == gguf.Magic
}

// LoadGGUF opens a GGUF model (llama.cpp's format): the hyper-parameters
// come from the "<arch>.*" metadata, the weights stay in the file's
// types as views of its mapping (block types as core quantized arrays,
// F32/F16/BF16 as plain arrays). Nothing is read but the header until
// the model runs, except a rope_freqs tensor (a few hundred bytes).
func LoadGGUF(path string, opts Options) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	cfg, tensors, err := FromGGUF(f)
	if err == nil {
		var m *Model
		if m, err = New(cfg, tensors, opts); err == nil {
			m.closer = f.Close
			return m, nil
		}
	}
	_ = f.Close()
	return nil, fmt.Errorf("%s: %w", path, err)
}

// FromGGUF translates an open GGUF model into what New takes: the Config
// its metadata describes and its tensors under Hugging Face names
// ("blk.0.attn_q.weight" -> "model.layers.0.self_attn.q_proj.weight"),
// each checked against the shape the metadata implies. The arrays view
// f's mapping: f must stay open while they are used.
func FromGGUF(f *gguf.File) (Config, map[string]*core.Array, error) {
	kv, ok := f.Get("general.architecture")
	archName, isStr := kv.Value.(string)
	if !ok || !isStr {
		return Config{}, nil, errors.New(`key "general.architecture" is missing or not a string`)
	}
	arch, ok := ggufArchs[archName]
	if !ok {
		return Config{}, nil, fmt.Errorf("key \"general.architecture\" = %q: not an architecture lbrx runs from GGUF (%s)", archName, strings.Join(ggufArchNames(), ", "))
	}
	k := ggufKeys{f: f, prefix: archName + "."}
	cfg, err := k.config()
	if err != nil {
		return Config{}, nil, err
	}
	// Every layer needs its tensors: a layer count the file cannot hold
	// fails here, before anything is sized by it.
	perLayer := 0
	for _, t := range arch.block {
		if !t.optional {
			perLayer++
		}
	}
	if n := len(f.Names()); cfg.NumLayers*perLayer > n {
		return Config{}, nil, k.errorf("block_count", "= %d: %d layers need %d tensors each, the file holds %d tensors", cfg.NumLayers, cfg.NumLayers, perLayer, n)
	}
	cfg.GGMLRopeOrder = arch.permutedQK
	if arch.keys != nil {
		if err := arch.keys(k, &cfg); err != nil {
			return Config{}, nil, err
		}
	}
	// The architecture registry (arch.go) supplies what config.json would
	// have said implicitly: the name, the MLP activation and the features
	// its Setup fixes (biases, q/k norms, fused projections, Gemma's norms
	// and embedding scale, the sliding-layer pattern).
	if a := ArchOfGGUF(archName); a != nil {
		cfg.Arch, cfg.HiddenAct = a.Name, a.Act
		if a.Setup != nil {
			if err := a.Setup(&cfg, rawConfig{}); err != nil {
				return Config{}, nil, fmt.Errorf("key \"general.architecture\" = %q: %w", archName, err)
			}
		}
		if cfg.RotaryDim != cfg.HeadDim && !slices.Contains(a.Features, "partial_rotary_factor") {
			return Config{}, nil, k.errorf("rope.dimension_count", "= %d: rope over part of the head (%d) is not supported for %s", cfg.RotaryDim, cfg.HeadDim, archName)
		}
	}
	if err := k.slidingPattern(&cfg); err != nil {
		return Config{}, nil, err
	}
	if arch.normShift {
		cfg.NormPlusOne = false // the converter stored 1 + w
	}
	if cfg.Rope.FreqFactors, err = ropeFreqs(f, cfg.RotaryDim); err != nil {
		return Config{}, nil, err
	}
	want := map[string]ggufTensor{}
	var order []string
	add := func(t ggufTensor, gname, hname string) {
		want[gname+".weight"] = ggufTensor{gguf: gname + ".weight", hf: hname + ".weight", shape: t.shape, optional: t.optional}
		order = append(order, gname+".weight")
		if t.bias {
			shape := t.shape
			want[gname+".bias"] = ggufTensor{gguf: gname + ".bias", hf: hname + ".bias", shape: func(c Config) core.Shape { return shape(c)[:1] }, optional: true}
		}
	}
	for _, t := range arch.global {
		add(t, t.gguf, t.hf)
	}
	for i := range cfg.NumLayers {
		for _, t := range arch.block {
			add(t, fmt.Sprintf("blk.%d.%s", i, t.gguf), fmt.Sprintf("model.layers.%d.%s", i, t.hf))
		}
	}
	tensors := map[string]*core.Array{}
	for _, ti := range f.Tensors() {
		if ti.Name == ggufRopeFreqs {
			continue
		}
		t, ok := want[ti.Name]
		if !ok {
			return Config{}, nil, fmt.Errorf("tensor %q is not part of a %s model with %d layers", ti.Name, archName, cfg.NumLayers)
		}
		if s := t.shape(cfg); !ti.Shape.Equal(s) {
			return Config{}, nil, fmt.Errorf("tensor %q has shape %v (ggml ne %v), the metadata implies %v", ti.Name, ti.Shape, ti.Ne, s)
		}
		a, err := f.Array(ti.Name)
		if err != nil {
			return Config{}, nil, err
		}
		if a.Quant() == nil && !a.DType().IsFloat() {
			return Config{}, nil, fmt.Errorf("tensor %q is %v, want a float or block type", ti.Name, ti.Type)
		}
		tensors[t.hf] = a
	}
	for _, name := range order {
		t := want[name]
		if _, ok := tensors[t.hf]; !ok && !t.optional {
			return Config{}, nil, fmt.Errorf("tensor %q is missing", name)
		}
	}
	// llama.cpp ties the output to the embedding when output.weight is
	// absent (LLM_TENSOR_OUTPUT is TENSOR_DUPLICATED from TOKEN_EMBD).
	_, hasOutput := tensors["lm_head.weight"]
	cfg.TieWordEmbeddings = !hasOutput
	// Biases are there when the file has them (llama.cpp loads them as
	// optional tensors); New then requires every one of the group.
	has := func(name string) bool { _, ok := tensors["model.layers.0."+name+".bias"]; return ok }
	cfg.QKVBias = cfg.QKVBias || has("self_attn.q_proj") || has("self_attn.qkv_proj")
	cfg.AttentionBias = cfg.AttentionBias || has("self_attn.o_proj")
	cfg.MLPBias = cfg.MLPBias || has("mlp.down_proj")
	return cfg, tensors, nil
}

func ggufArchNames() []string {
	out := make([]string, 0, len(ggufArchs))
	for n := range ggufArchs {
		out = append(out, n)
	}
	return out
}

// ggufKeys reads "<arch>.*" metadata with errors naming the key.
type ggufKeys struct {
	f      *gguf.File
	prefix string
}

// errorf reports a problem with "<arch>.<key>".
func (k ggufKeys) errorf(key, format string, a ...any) error {
	return fmt.Errorf("key %q %s", k.prefix+key, fmt.Sprintf(format, a...))
}

// slidingPattern applies "<arch>.attention.sliding_window_pattern" when
// the model has a window: one flag per layer (bool or integer array), or
// a period n where layer i slides unless i%n == n-1 (llama.cpp's
// set_swa_pattern).
func (k ggufKeys) slidingPattern(c *Config) error {
	key := "attention.sliding_window_pattern"
	kv, ok := k.f.Get(k.prefix + key)
	if !ok || c.SlidingWindow == 0 {
		return nil
	}
	var flags []bool
	switch v := kv.Value.(type) {
	case []bool:
		flags = slices.Clone(v)
	case []int32:
		for _, x := range v {
			flags = append(flags, x != 0)
		}
	case []uint32:
		for _, x := range v {
			flags = append(flags, x != 0)
		}
	default:
		n, err := k.integer(k.prefix+key, true, 0)
		if err != nil {
			return err
		}
		flags = make([]bool, c.NumLayers)
		for i := range flags {
			flags[i] = n == 0 || i%n < n-1
		}
	}
	if len(flags) != c.NumLayers {
		return k.errorf(key, "lists %d layers, the model has %d", len(flags), c.NumLayers)
	}
	c.Sliding = flags
	return nil
}

// integer returns key's value; def is returned when it is absent and not
// required.
func (k ggufKeys) integer(key string, required bool, def int) (int, error) {
	kv, ok := k.f.Get(key)
	if !ok {
		if required {
			return 0, fmt.Errorf("key %q is missing", key)
		}
		return def, nil
	}
	var v int64
	switch x := kv.Value.(type) {
	case uint8:
		v = int64(x)
	case int8:
		v = int64(x)
	case uint16:
		v = int64(x)
	case int16:
		v = int64(x)
	case uint32:
		v = int64(x)
	case int32:
		v = int64(x)
	case uint64:
		if x > math.MaxInt32 {
			return 0, fmt.Errorf("key %q = %d is out of range", key, x)
		}
		v = int64(x)
	case int64:
		v = x
	default:
		return 0, fmt.Errorf("key %q is %v, want an integer", key, kv.Type)
	}
	if v < 0 || v > math.MaxInt32 {
		return 0, fmt.Errorf("key %q = %d is out of range", key, v)
	}
	return int(v), nil
}

func (k ggufKeys) float(key string, required bool, def float64) (float64, error) {
	kv, ok := k.f.Get(key)
	if !ok {
		if required {
			return 0, fmt.Errorf("key %q is missing", key)
		}
		return def, nil
	}
	switch x := kv.Value.(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	}
	return 0, fmt.Errorf("key %q is %v, want a float", key, kv.Type)
}

// size reads a required dimension in [1, 2^24], as ParseConfig bounds
// config.json's.
func (k ggufKeys) size(key string, required bool, def int) (int, error) {
	v, err := k.integer(key, required, def)
	if err != nil {
		return 0, err
	}
	if v <= 0 || v > 1<<24 {
		return 0, fmt.Errorf("key %q = %d must be in [1, 2^24]", key, v)
	}
	return v, nil
}

// config reads the hyper-parameters llama.cpp's llm_load_hparams reads
// for a Llama-style model.
func (k ggufKeys) config() (Config, error) {
	var c Config
	p := k.prefix
	var err error
	for _, f := range []struct {
		key string
		dst *int
	}{
		{p + "embedding_length", &c.HiddenSize},
		{p + "block_count", &c.NumLayers},
		{p + "attention.head_count", &c.NumHeads},
		{p + "feed_forward_length", &c.IntermediateSize},
		{p + "context_length", &c.MaxPositions},
	} {
		if *f.dst, err = k.size(f.key, true, 0); err != nil {
			return Config{}, err
		}
	}
	if c.NumKVHeads, err = k.size(p+"attention.head_count_kv", false, c.NumHeads); err != nil {
		return Config{}, err
	}
	if c.NumHeads%c.NumKVHeads != 0 {
		return Config{}, fmt.Errorf("key %q = %d must divide %q = %d", p+"attention.head_count_kv", c.NumKVHeads, p+"attention.head_count", c.NumHeads)
	}
	def := c.HiddenSize / c.NumHeads
	if c.HeadDim, err = k.size(p+"attention.key_length", false, def); err != nil {
		return Config{}, err
	}
	if c.HeadDim%2 != 0 {
		return Config{}, fmt.Errorf("key %q: head size %d must be even (rotary embeddings rotate pairs)", p+"attention.key_length", c.HeadDim)
	}
	if v, err := k.size(p+"attention.value_length", false, c.HeadDim); err != nil {
		return Config{}, err
	} else if v != c.HeadDim {
		return Config{}, fmt.Errorf("key %q = %d differs from the key length %d (not supported)", p+"attention.value_length", v, c.HeadDim)
	}
	if c.RotaryDim, err = k.size(p+"rope.dimension_count", false, c.HeadDim); err != nil {
		return Config{}, err
	}
	if c.RotaryDim > c.HeadDim || c.RotaryDim%2 != 0 {
		return Config{}, k.errorf("rope.dimension_count", "= %d must be even and at most the head size %d", c.RotaryDim, c.HeadDim)
	}
	if c.RMSNormEps, err = k.float(p+"attention.layer_norm_rms_epsilon", true, 0); err != nil {
		return Config{}, err
	}
	if c.RMSNormEps < 0 || math.IsNaN(c.RMSNormEps) {
		return Config{}, fmt.Errorf("key %q = %v must be non-negative", p+"attention.layer_norm_rms_epsilon", c.RMSNormEps)
	}
	if c.Rope, err = k.rope(); err != nil {
		return Config{}, err
	}
	if c.VocabSize, err = k.vocab(); err != nil {
		return Config{}, err
	}
	c.BOS, c.EOS = -1, nil
	if _, ok := k.f.Get("tokenizer.ggml.bos_token_id"); ok {
		if c.BOS, err = k.integer("tokenizer.ggml.bos_token_id", true, 0); err != nil {
			return Config{}, err
		}
	}
	for _, key := range []string{"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"} {
		if _, ok := k.f.Get(key); !ok {
			continue
		}
		id, err := k.integer(key, true, 0)
		if err != nil {
			return Config{}, err
		}
		if len(c.EOS) == 0 || c.EOS[0] != id {
			c.EOS = append(c.EOS, id)
		}
	}
	return c, nil
}

func (k ggufKeys) rope() (Rope, error) {
	r := Rope{Type: "default", Factor: 1}
	p := k.prefix
	var err error
	if r.Theta, err = k.float(p+"rope.freq_base", false, 10000); err != nil {
		return Rope{}, err
	}
	if r.Theta <= 0 || math.IsNaN(r.Theta) || math.IsInf(r.Theta, 0) {
		return Rope{}, fmt.Errorf("key %q = %v must be positive", p+"rope.freq_base", r.Theta)
	}
	typ := "none"
	if kv, ok := k.f.Get(p + "rope.scaling.type"); ok {
		s, isStr := kv.Value.(string)
		if !isStr {
			return Rope{}, fmt.Errorf("key %q is %v, want a string", p+"rope.scaling.type", kv.Type)
		}
		typ = s
	}
	switch typ {
	case "none", "":
		return r, nil
	case "linear":
	default:
		return Rope{}, fmt.Errorf("key %q = %q is not supported (none, linear; Llama 3.1 scaling comes as rope_freqs.weight)", p+"rope.scaling.type", typ)
	}
	r.Type = "linear"
	if r.Factor, err = k.float(p+"rope.scaling.factor", true, 0); err != nil {
		return Rope{}, err
	}
	if r.Factor <= 0 || math.IsNaN(r.Factor) || math.IsInf(r.Factor, 0) {
		return Rope{}, fmt.Errorf("key %q = %v must be positive", p+"rope.scaling.factor", r.Factor)
	}
	return r, nil
}

// vocab is the vocabulary size: the token list's length, else
// "<arch>.vocab_size", else the embedding's rows.
func (k ggufKeys) vocab() (int, error) {
	if kv, ok := k.f.Get("tokenizer.ggml.tokens"); ok {
		toks, isList := kv.Value.([]string)
		if !isList {
			return 0, fmt.Errorf(`key "tokenizer.ggml.tokens" is %v, want an array of strings`, kv)
		}
		if len(toks) == 0 || len(toks) > 1<<24 {
			return 0, fmt.Errorf(`key "tokenizer.ggml.tokens" holds %d tokens, want [1, 2^24]`, len(toks))
		}
		return len(toks), nil
	}
	if _, ok := k.f.Get(k.prefix + "vocab_size"); ok {
		return k.size(k.prefix+"vocab_size", true, 0)
	}
	ti, ok := k.f.Info("token_embd.weight")
	if !ok || len(ti.Shape) != 2 || ti.Shape[0] <= 0 {
		return 0, errors.New(`no vocabulary size: neither key "tokenizer.ggml.tokens", key "` + k.prefix + `vocab_size" nor a 2-D tensor "token_embd.weight"`)
	}
	return ti.Shape[0], nil
}

// ropeFreqs reads llama.cpp's rope_freqs tensor (Llama 3.1 scaling: one
// divisor per rotated pair), nil when absent.
func ropeFreqs(f *gguf.File, headDim int) ([]float32, error) {
	ti, ok := f.Info(ggufRopeFreqs)
	if !ok {
		return nil, nil
	}
	if !ti.Shape.Equal(core.Shape{headDim / 2}) {
		return nil, fmt.Errorf("tensor %q has shape %v, want [%d] (half the head size)", ggufRopeFreqs, ti.Shape, headDim/2)
	}
	t, err := f.Float32(ggufRopeFreqs)
	if err != nil {
		return nil, err
	}
	v, err := t.Values()
	if err != nil {
		return nil, err
	}
	for i, x := range v {
		if !(x > 0) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("tensor %q: factor %d = %v must be positive", ggufRopeFreqs, i, x)
		}
	}
	return v, nil
}
