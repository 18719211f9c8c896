package llama

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"

	"github.com/lbrx/lbrx/core"
)

// Config is the part of a Hugging Face config.json a decoder needs. The
// fields after DType describe the features that set the architectures
// apart (Arch names the one they came from); a Config filled by another
// reader (a GGUF file's metadata, say) runs the same way.
type Config struct {
	HiddenSize       int
	NumLayers        int
	NumHeads         int
	NumKVHeads       int
	HeadDim          int
	IntermediateSize int
	VocabSize        int
	RMSNormEps       float64
	// Rope describes the rotary embedding's frequencies.
	Rope Rope
	// MaxPositions is max_position_embeddings (informational: longer
	// sequences run, as in transformers).
	MaxPositions      int
	TieWordEmbeddings bool
	// AttentionBias and MLPBias say the projections carry biases.
	AttentionBias, MLPBias bool
	// BOS and EOS token ids (EOS may list several; -1 when absent).
	BOS int
	EOS []int
	// DType is the config's "dtype" ("torch_dtype" before transformers 5);
	// Invalid when absent.
	DType core.DType
	// GGMLRopeOrder says the Q and K projections' rows are in the order
	// llama.cpp's converter writes for ggml's adjacent-pair rope (per head,
	// row 2i+j holds Hugging Face row j*HeadDim/2+i). Forward puts each
	// head's outputs back in Hugging Face order before the rope, a copy of
	// the activations only (see LoadGGUF).
	GGMLRopeOrder bool

	// Arch is the registered architecture ("llama", "qwen2", ...; see
	// Architectures).
	Arch string
	// HiddenAct is the MLP's gate activation: "silu" or "gelu_tanh".
	HiddenAct string
	// QKVBias says q, k and v (not o) carry biases (Qwen2).
	QKVBias bool
	// QKNorm applies an RMSNorm over each head of the queries and keys
	// before rope (q_norm, k_norm: Qwen3, Gemma 3).
	QKNorm bool
	// NormPlusOne says RMSNorm weights w scale by 1 + w (Gemma).
	NormPlusOne bool
	// SandwichNorm adds norms after attention and around the MLP
	// (post_attention_layernorm after attention, pre_ and
	// post_feedforward_layernorm: Gemma 2 and 3).
	SandwichNorm bool
	// EmbedScale multiplies the embeddings (Gemma: sqrt(hidden)); 0 is none.
	EmbedScale float64
	// AttnScale multiplies the attention scores; 0 means 1/sqrt(HeadDim).
	AttnScale float64
	// AttnSoftCap and FinalSoftCap bound the attention scores and the
	// final logits to ±cap by cap*tanh(x/cap); 0 is none.
	AttnSoftCap, FinalSoftCap float64
	// SlidingWindow is how many positions (its own included) a query of a
	// sliding-window layer sees; 0 is none.
	SlidingWindow int
	// Sliding marks the sliding-window layers (len NumLayers; nil is none).
	Sliding []bool
	// LocalRope, when set, is the rotary embedding of the sliding-window
	// layers (Gemma 3's local base frequency).
	LocalRope *Rope
	// RotaryDim is how many leading dimensions of each head rope rotates
	// (partial rotary embeddings); HeadDim when all.
	RotaryDim int
	// FusedQKV and FusedGateUp say the checkpoint stores q, k, v as one
	// qkv_proj and gate, up as one gate_up_proj (Phi-3).
	FusedQKV, FusedGateUp bool
}

// Rope is a rotary embedding's parameters.
type Rope struct {
	Theta float64
	// Type is "default", "linear" or "llama3".
	Type string
	// Factor scales positions ("linear") or long wavelengths ("llama3").
	Factor float64
	// LowFreqFactor, HighFreqFactor and OriginalMaxPositions are llama3's.
	LowFreqFactor, HighFreqFactor float64
	OriginalMaxPositions          int
	// FreqFactors, when set, divide each pair's frequency (HeadDim/2
	// values: GGUF's rope_freqs tensor, llama.cpp's form of Llama 3.1
	// scaling).
	FreqFactors []float32
}

// rawConfig mirrors config.json with the fields' JSON spellings.
type rawConfig struct {
	HiddenSize          *int            `json:"hidden_size"`
	NumLayers           *int            `json:"num_hidden_layers"`
	NumHeads            *int            `json:"num_attention_heads"`
	NumKVHeads          *int            `json:"num_key_value_heads"`
	HeadDim             *int            `json:"head_dim"`
	IntermediateSize    *int            `json:"intermediate_size"`
	VocabSize           *int            `json:"vocab_size"`
	RMSNormEps          *float64        `json:"rms_norm_eps"`
	RopeTheta           *float64        `json:"rope_theta"`
	RopeParameters      map[string]any  `json:"rope_parameters"`
	RopeScaling         map[string]any  `json:"rope_scaling"`
	RopeLocalBaseFreq   *float64        `json:"rope_local_base_freq"`
	PartialRotaryFactor *float64        `json:"partial_rotary_factor"`
	MaxPositions        int             `json:"max_position_embeddings"`
	TieWordEmbeddings   bool            `json:"tie_word_embeddings"`
	AttentionBias       bool            `json:"attention_bias"`
	MLPBias             bool            `json:"mlp_bias"`
	BOS                 json.RawMessage `json:"bos_token_id"`
	EOS                 json.RawMessage `json:"eos_token_id"`
	DType               string          `json:"dtype"`
	TorchDType          string          `json:"torch_dtype"`
	HiddenAct           string          `json:"hidden_act"`
	HiddenActivation    string          `json:"hidden_activation"`
	ModelType           string          `json:"model_type"`
	Architectures       []string        `json:"architectures"`
	SlidingWindow       *int            `json:"sliding_window"`
	UseSlidingWindow    *bool           `json:"use_sliding_window"`
	MaxWindowLayers     *int            `json:"max_window_layers"`
	LayerTypes          []string        `json:"layer_types"`
	SlidingPattern      *int            `json:"sliding_window_pattern"`
	SlidingPatternV5    *int            `json:"_sliding_window_pattern"`
	AttnSoftCap         *float64        `json:"attn_logit_softcapping"`
	FinalSoftCap        *float64        `json:"final_logit_softcapping"`
	QueryPreAttnScalar  *float64        `json:"query_pre_attn_scalar"`
	Bidirectional       *bool           `json:"use_bidirectional_attention"`
}

// ReadConfig reads and validates a config.json.
func ReadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path) //nolint:gosec // the caller names the model to load
	if err != nil {
		return Config{}, err
	}
	c, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses and validates the text of a config.json: the
// architecture comes from model_type (or, without it, architectures; a
// config naming neither is a Llama), the shared keys are read here and
// the architecture fixes its own features. A key that changes the
// computation and that the architecture does not implement is an error
// naming it.
func ParseConfig(b []byte) (Config, error) {
	var r rawConfig
	if err := json.Unmarshal(b, &r); err != nil {
		return Config{}, fmt.Errorf("config is not valid JSON: %w", err)
	}
	a, err := archOf(r)
	if err != nil {
		return Config{}, err
	}
	c := Config{Arch: a.Name, HiddenAct: a.Act}
	for _, f := range []struct {
		name string
		src  *int
		dst  *int
	}{
		{"hidden_size", r.HiddenSize, &c.HiddenSize},
		{"num_hidden_layers", r.NumLayers, &c.NumLayers},
		{"num_attention_heads", r.NumHeads, &c.NumHeads},
		{"intermediate_size", r.IntermediateSize, &c.IntermediateSize},
		{"vocab_size", r.VocabSize, &c.VocabSize},
	} {
		if f.src == nil {
			return Config{}, fmt.Errorf("%s is missing", f.name)
		}
		if *f.src <= 0 || *f.src > 1<<24 {
			return Config{}, fmt.Errorf("%s = %d must be in [1, 2^24]", f.name, *f.src)
		}
		*f.dst = *f.src
	}
	if c.HiddenAct, err = activation(r, c.HiddenAct); err != nil {
		return Config{}, err
	}
	c.NumKVHeads = c.NumHeads
	if r.NumKVHeads != nil {
		c.NumKVHeads = *r.NumKVHeads
	}
	if c.NumKVHeads <= 0 || c.NumHeads%c.NumKVHeads != 0 {
		return Config{}, fmt.Errorf("num_key_value_heads = %d must divide num_attention_heads = %d", c.NumKVHeads, c.NumHeads)
	}
	c.HeadDim = c.HiddenSize / c.NumHeads
	if r.HeadDim != nil {
		c.HeadDim = *r.HeadDim
	} else if c.HiddenSize%c.NumHeads != 0 {
		return Config{}, fmt.Errorf("hidden_size = %d is not a multiple of num_attention_heads = %d and head_dim is not given", c.HiddenSize, c.NumHeads)
	}
	if c.HeadDim <= 0 || c.HeadDim%2 != 0 || c.HeadDim > 1<<16 {
		return Config{}, fmt.Errorf("head_dim = %d must be even and positive (rotary embeddings rotate pairs)", c.HeadDim)
	}
	c.RMSNormEps = 1e-6
	if r.RMSNormEps != nil {
		c.RMSNormEps = *r.RMSNormEps
	}
	if c.RMSNormEps < 0 || math.IsNaN(c.RMSNormEps) {
		return Config{}, fmt.Errorf("rms_norm_eps = %v must be non-negative", c.RMSNormEps)
	}
	if err := parseRopes(r, &c); err != nil {
		return Config{}, err
	}
	c.MaxPositions = r.MaxPositions
	c.TieWordEmbeddings = r.TieWordEmbeddings
	c.AttentionBias, c.MLPBias = r.AttentionBias, r.MLPBias
	if c.BOS, err = oneID(r.BOS, "bos_token_id"); err != nil {
		return Config{}, err
	}
	if c.EOS, err = ids(r.EOS, "eos_token_id"); err != nil {
		return Config{}, err
	}
	dt := r.DType
	if dt == "" {
		dt = r.TorchDType
	}
	switch dt {
	case "":
	case "float32":
		c.DType = core.F32
	case "float16":
		c.DType = core.F16
	case "bfloat16":
		c.DType = core.BF16
	default:
		return Config{}, fmt.Errorf("dtype %q is not float32, float16 or bfloat16", dt)
	}
	if err := parseFeatures(r, &c); err != nil {
		return Config{}, err
	}
	if a.Setup != nil {
		if err := a.Setup(&c, r); err != nil {
			return Config{}, err
		}
	}
	if err := a.check(r, &c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// activation reads hidden_activation (Gemma's spelling) or hidden_act,
// the architecture's default def when both are absent.
func activation(r rawConfig, def string) (string, error) {
	key, v := "hidden_activation", r.HiddenActivation
	if v == "" {
		key, v = "hidden_act", r.HiddenAct
	}
	switch v {
	case "":
		return def, nil
	case "silu", "swish":
		return "silu", nil
	case "gelu_pytorch_tanh", "gelu_tanh":
		return "gelu_tanh", nil
	}
	return "", fmt.Errorf("%s %q is not supported (silu, gelu_pytorch_tanh)", key, v)
}

// parseFeatures reads the keys only some architectures implement; check
// then refuses those the architecture lacks.
func parseFeatures(r rawConfig, c *Config) error {
	pos := func(key string, v *float64, dst *float64) error {
		if v == nil {
			return nil
		}
		if !(*v > 0) || math.IsInf(*v, 0) {
			return fmt.Errorf("%s = %v must be a positive number or null", key, *v)
		}
		*dst = *v
		return nil
	}
	if err := pos("attn_logit_softcapping", r.AttnSoftCap, &c.AttnSoftCap); err != nil {
		return err
	}
	if err := pos("final_logit_softcapping", r.FinalSoftCap, &c.FinalSoftCap); err != nil {
		return err
	}
	var qs float64
	if err := pos("query_pre_attn_scalar", r.QueryPreAttnScalar, &qs); err != nil {
		return err
	}
	if qs > 0 {
		c.AttnScale = 1 / math.Sqrt(qs)
	}
	if r.SlidingWindow != nil {
		if *r.SlidingWindow <= 0 || *r.SlidingWindow > 1<<30 {
			return fmt.Errorf("sliding_window = %d must be in [1, 2^30] or null", *r.SlidingWindow)
		}
		c.SlidingWindow = *r.SlidingWindow
	}
	if r.Bidirectional != nil && *r.Bidirectional {
		return errors.New("use_bidirectional_attention = true is not supported (causal decoders only)")
	}
	return nil
}

// layerTypes returns which layers slide: from layer_types when the config
// lists them, else from def (the architecture's default pattern; nil is
// every layer when a window is set).
func layerTypes(r rawConfig, c *Config, def func(i int) bool) error {
	if r.LayerTypes != nil {
		if len(r.LayerTypes) != c.NumLayers {
			return fmt.Errorf("layer_types lists %d layers, num_hidden_layers = %d", len(r.LayerTypes), c.NumLayers)
		}
		c.Sliding = make([]bool, c.NumLayers)
		for i, t := range r.LayerTypes {
			switch t {
			case "full_attention":
			case "sliding_attention":
				c.Sliding[i] = true
			default:
				return fmt.Errorf("layer_types[%d] = %q is not supported (full_attention, sliding_attention)", i, t)
			}
		}
	} else if c.SlidingWindow > 0 {
		c.Sliding = make([]bool, c.NumLayers)
		for i := range c.Sliding {
			c.Sliding[i] = def == nil || def(i)
		}
	}
	if c.SlidingWindow == 0 {
		if slices.Contains(c.Sliding, true) {
			return errors.New("layer_types has sliding_attention layers but sliding_window is not set")
		}
		c.Sliding = nil
	}
	return nil
}

// parseRopes reads rope_parameters (transformers 5: one set, or one per
// layer type) or rope_theta, rope_scaling and rope_local_base_freq
// (transformers 4), and partial_rotary_factor.
func parseRopes(r rawConfig, c *Config) error {
	params := r.RopeParameters
	if params == nil {
		params = r.RopeScaling
	}
	var local map[string]any
	if full, ok := params["full_attention"].(map[string]any); ok {
		local, _ = params["sliding_attention"].(map[string]any)
		params = full
	}
	var err error
	if c.Rope, err = parseRope(params, r.RopeTheta); err != nil {
		return err
	}
	switch {
	case local != nil:
		lr, err := parseRope(local, nil)
		if err != nil {
			return fmt.Errorf("rope_parameters.sliding_attention: %w", err)
		}
		if !reflect.DeepEqual(lr, c.Rope) {
			c.LocalRope = &lr
		}
	case r.RopeLocalBaseFreq != nil:
		lr, err := parseRope(nil, r.RopeLocalBaseFreq)
		if err != nil {
			return fmt.Errorf("rope_local_base_freq: %w", err)
		}
		c.LocalRope = &lr
	}
	factor := 1.0
	if r.PartialRotaryFactor != nil {
		factor = *r.PartialRotaryFactor
	}
	if v, ok := params["partial_rotary_factor"]; ok && v != nil {
		if factor, ok = v.(float64); !ok {
			return fmt.Errorf("rope parameter partial_rotary_factor = %v is not a number", v)
		}
	}
	c.RotaryDim = int(float64(c.HeadDim) * factor)
	if !(factor > 0 && factor <= 1) || c.RotaryDim == 0 || c.RotaryDim%2 != 0 {
		return fmt.Errorf("partial_rotary_factor = %v gives %d rotary dimensions of head_dim %d, want an even number in [2, head_dim]", factor, c.RotaryDim, c.HeadDim)
	}
	return nil
}

// parseRope reads one set of rope parameters, theta (rope_theta outside
// them) when they do not name it.
func parseRope(params map[string]any, theta *float64) (Rope, error) {
	p := Rope{Theta: 10000, Type: "default", Factor: 1}
	if theta != nil {
		p.Theta = *theta
	}
	num := func(key string, dst *float64) error {
		v, ok := params[key]
		if !ok || v == nil {
			return nil
		}
		f, ok := v.(float64)
		if !ok {
			return fmt.Errorf("rope parameter %s = %v is not a number", key, v)
		}
		*dst = f
		return nil
	}
	if params != nil {
		if err := num("rope_theta", &p.Theta); err != nil {
			return Rope{}, err
		}
		t, _ := params["rope_type"].(string)
		if t == "" {
			t, _ = params["type"].(string)
		}
		if t != "" {
			p.Type = t
		}
	}
	if p.Theta <= 0 || math.IsNaN(p.Theta) || math.IsInf(p.Theta, 0) {
		return Rope{}, fmt.Errorf("rope_theta = %v must be positive", p.Theta)
	}
	switch p.Type {
	case "default":
		return p, nil
	case "linear", "llama3":
	default:
		return Rope{}, fmt.Errorf("rope_type %q is not supported (default, linear, llama3)", p.Type)
	}
	if err := num("factor", &p.Factor); err != nil {
		return Rope{}, err
	}
	if p.Factor <= 0 || math.IsNaN(p.Factor) {
		return Rope{}, fmt.Errorf("rope factor = %v must be positive", p.Factor)
	}
	if p.Type == "linear" {
		return p, nil
	}
	p.LowFreqFactor, p.HighFreqFactor = 1, 4
	var omp float64 = 8192
	for _, e := range []error{num("low_freq_factor", &p.LowFreqFactor), num("high_freq_factor", &p.HighFreqFactor), num("original_max_position_embeddings", &omp)} {
		if e != nil {
			return Rope{}, e
		}
	}
	if p.HighFreqFactor <= p.LowFreqFactor || p.LowFreqFactor <= 0 || omp < 1 || omp > 1<<30 {
		return Rope{}, fmt.Errorf("llama3 rope parameters low_freq_factor = %v, high_freq_factor = %v, original_max_position_embeddings = %v are inconsistent", p.LowFreqFactor, p.HighFreqFactor, omp)
	}
	p.OriginalMaxPositions = int(omp)
	return p, nil
}

// oneID reads a token id that may be null or absent (-1).
func oneID(m json.RawMessage, key string) (int, error) {
	v, err := ids(m, key)
	if err != nil || len(v) == 0 {
		return -1, err
	}
	return v[0], nil
}

// ids reads a token id or a list of them.
func ids(m json.RawMessage, key string) ([]int, error) {
	if len(m) == 0 || string(m) == "null" {
		return nil, nil
	}
	var one int
	if err := json.Unmarshal(m, &one); err == nil {
		return []int{one}, nil
	}
	var many []int
	if err := json.Unmarshal(m, &many); err != nil {
		return nil, errors.New(key + " is neither a token id nor a list of them")
	}
	return many, nil
}
