package llama

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/lbrx/lbrx/core"
)

// Config is the part of a Hugging Face config.json a Llama model needs.
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
	HiddenSize        *int            `json:"hidden_size"`
	NumLayers         *int            `json:"num_hidden_layers"`
	NumHeads          *int            `json:"num_attention_heads"`
	NumKVHeads        *int            `json:"num_key_value_heads"`
	HeadDim           *int            `json:"head_dim"`
	IntermediateSize  *int            `json:"intermediate_size"`
	VocabSize         *int            `json:"vocab_size"`
	RMSNormEps        *float64        `json:"rms_norm_eps"`
	RopeTheta         *float64        `json:"rope_theta"`
	RopeParameters    map[string]any  `json:"rope_parameters"`
	RopeScaling       map[string]any  `json:"rope_scaling"`
	MaxPositions      int             `json:"max_position_embeddings"`
	TieWordEmbeddings bool            `json:"tie_word_embeddings"`
	AttentionBias     bool            `json:"attention_bias"`
	MLPBias           bool            `json:"mlp_bias"`
	BOS               json.RawMessage `json:"bos_token_id"`
	EOS               json.RawMessage `json:"eos_token_id"`
	DType             string          `json:"dtype"`
	TorchDType        string          `json:"torch_dtype"`
	HiddenAct         string          `json:"hidden_act"`
	ModelType         string          `json:"model_type"`
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

// ParseConfig parses and validates the text of a config.json.
func ParseConfig(b []byte) (Config, error) {
	var r rawConfig
	if err := json.Unmarshal(b, &r); err != nil {
		return Config{}, fmt.Errorf("config is not valid JSON: %w", err)
	}
	if r.ModelType != "" && r.ModelType != "llama" && r.ModelType != "mistral" {
		return Config{}, fmt.Errorf("model_type %q is not a Llama architecture", r.ModelType)
	}
	if r.HiddenAct != "" && r.HiddenAct != "silu" {
		return Config{}, fmt.Errorf("hidden_act %q is not supported (silu only)", r.HiddenAct)
	}
	var c Config
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
	var err error
	if c.Rope, err = parseRope(r); err != nil {
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
	return c, nil
}

// parseRope reads rope_parameters (transformers 5) or rope_theta and
// rope_scaling (transformers 4).
func parseRope(r rawConfig) (Rope, error) {
	p := Rope{Theta: 10000, Type: "default", Factor: 1}
	params := r.RopeParameters
	if params == nil {
		params = r.RopeScaling
	}
	if r.RopeTheta != nil {
		p.Theta = *r.RopeTheta
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
