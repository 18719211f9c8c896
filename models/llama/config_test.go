package llama

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/testfiles"
)

func TestReadTinyLlamaConfig(t *testing.T) {
	c, err := ReadConfig(testfiles.Path(t, "safetensors", "tiny-llama", "config.json"))
	require.NoError(t, err)
	assert.Equal(t, Config{
		HiddenSize: 64, NumLayers: 2, NumHeads: 4, NumKVHeads: 2, HeadDim: 16,
		IntermediateSize: 160, VocabSize: 256, RMSNormEps: 1e-5,
		Rope:         Rope{Theta: 10000, Type: "default", Factor: 1},
		MaxPositions: 128, BOS: 1, EOS: []int{2}, DType: core.F32,
		Arch: "llama", HiddenAct: "silu", RotaryDim: 16,
	}, c)
}

// A transformers 4 Llama 3.1 config: rope_theta and rope_scaling apart,
// a list of EOS ids, torch_dtype, no head_dim.
const llama31 = `{
  "model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
  "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
  "vocab_size": 128256, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
  "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
  "torch_dtype": "bfloat16", "tie_word_embeddings": false, "max_position_embeddings": 131072
}`

func TestParseLlama31Config(t *testing.T) {
	c, err := ParseConfig([]byte(llama31))
	require.NoError(t, err)
	assert.Equal(t, 128, c.HeadDim)
	assert.Equal(t, 8, c.NumKVHeads)
	assert.Equal(t, Rope{Theta: 500000, Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}, c.Rope)
	assert.Equal(t, []int{128001, 128008, 128009}, c.EOS)
	assert.Equal(t, core.BF16, c.DType)
}

// Llama 3's scaling divides long wavelengths (beyond the original 8192
// context) by the factor, keeps short ones (below 8192/4), and blends in
// between; each band is checked against the formula in float64.
func TestLlama3InverseFrequencies(t *testing.T) {
	c, err := ParseConfig([]byte(llama31))
	require.NoError(t, err)
	base := Rope{Theta: 500000, Type: "default", Factor: 1}.invFreq(128)
	inv := c.Rope.invFreq(128)
	var low, mid, high int
	for i, f := range base {
		wave := 2 * math.Pi / float64(f)
		var want float64
		switch {
		case wave < 8192/4.0:
			want, high = float64(f), high+1
		case wave > 8192:
			want, low = float64(f)/8, low+1
		default:
			s := (8192/wave - 1) / (4 - 1)
			want, mid = (1-s)*float64(f)/8+s*float64(f), mid+1
		}
		assert.InEpsilon(t, want, float64(inv[i]), 1e-6, "frequency %d", i)
	}
	assert.Positive(t, low)
	assert.Positive(t, mid)
	assert.Positive(t, high)
	// Default frequencies: theta^(-2i/d).
	for i, f := range base {
		assert.InEpsilon(t, math.Pow(500000, -float64(2*i)/128), float64(f), 1e-6)
	}
	lin := Rope{Theta: 10000, Type: "linear", Factor: 4}.invFreq(8)
	def := Rope{Theta: 10000, Type: "default", Factor: 1}.invFreq(8)
	for i := range lin {
		assert.InEpsilon(t, float64(def[i])/4, float64(lin[i]), 1e-6)
	}
}

func TestParseRopeParametersV5(t *testing.T) {
	c, err := ParseConfig([]byte(`{"hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
		"intermediate_size": 4, "vocab_size": 10, "head_dim": 6,
		"rope_parameters": {"rope_theta": 1000.0, "rope_type": "linear", "factor": 2.0}, "eos_token_id": null}`))
	require.NoError(t, err)
	assert.Equal(t, Rope{Theta: 1000, Type: "linear", Factor: 2}, c.Rope)
	assert.Equal(t, 6, c.HeadDim)
	assert.Equal(t, 2, c.NumKVHeads, "defaults to the query heads")
	assert.Nil(t, c.EOS)
	assert.Equal(t, -1, c.BOS)
	assert.Equal(t, core.Invalid, c.DType)
}

func TestParseConfigErrors(t *testing.T) {
	ok := `"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10`
	for cfg, want := range map[string]string{
		`{`:                                  "not valid JSON",
		`{"num_hidden_layers": 1}`:           "hidden_size is missing",
		`{` + ok + `, "model_type": "gpt2"}`: `model_type "gpt2" is not supported`,
		`{` + ok + `, "hidden_act": "gelu"}`: `hidden_act "gelu" is not supported`,
		// Keys that change the computation, set for an architecture
		// without them (a Mistral config read as a Llama, say).
		`{` + ok + `, "model_type": "llama", "sliding_window": 4096}`:                                                     "sliding_window is set, but lbrx's llama architecture does not implement it",
		`{` + ok + `, "model_type": "mistral", "sliding_window": 4, "attn_logit_softcapping": 5}`:                         "attn_logit_softcapping is set, but lbrx's mistral",
		`{` + ok + `, "model_type": "qwen3", "final_logit_softcapping": 30}`:                                              "final_logit_softcapping is set, but lbrx's qwen3",
		`{` + ok + `, "model_type": "llama", "query_pre_attn_scalar": 64}`:                                                "query_pre_attn_scalar is set",
		`{` + ok + `, "model_type": "llama", "partial_rotary_factor": 0.5}`:                                               "partial_rotary_factor is set",
		`{` + ok + `, "model_type": "qwen2", "attention_bias": true}`:                                                     "attention_bias is set, but lbrx's qwen2",
		`{` + ok + `, "model_type": "gemma2", "rope_local_base_freq": 10000}`:                                             "rope_local_base_freq is set, but lbrx's gemma2",
		`{` + ok + `, "model_type": "mistral", "sliding_window": 0}`:                                                      "sliding_window = 0",
		`{` + ok + `, "model_type": "mistral", "sliding_window": 4, "layer_types": ["full_attention"]}`:                   "layer_types lists 1 layers",
		`{` + ok + `, "model_type": "mistral", "sliding_window": 4, "layer_types": ["full_attention", "chunked"]}`:        `layer_types[1] = "chunked"`,
		`{` + ok + `, "model_type": "gemma3_text", "layer_types": ["full_attention", "sliding_attention"]}`:               "sliding_window is not set",
		`{` + ok + `, "model_type": "gemma3_text", "use_bidirectional_attention": true}`:                                  "use_bidirectional_attention",
		`{` + ok + `, "model_type": "qwen2", "architectures": ["Qwen2MoeForCausalLM"]}`:                                   "not a qwen2 causal language model",
		`{` + ok + `, "architectures": ["GPT2LMHeadModel"]}`:                                                              "not supported and model_type is absent",
		`{` + ok + `, "model_type": "phi3", "rope_parameters": {"rope_type": "longrope", "rope_theta": 10000}}`:           `rope_type "longrope" is not supported`,
		`{` + ok + `, "model_type": "phi3", "rope_parameters": {"rope_theta": 1e4, "partial_rotary_factor": 0.1}}`:        "partial_rotary_factor = 0.1",
		`{` + ok + `, "model_type": "gemma2", "hidden_activation": "relu"}`:                                               `hidden_activation "relu"`,
		`{` + ok + `, "num_key_value_heads": 3}`:                                                                          "must divide",
		`{` + ok + `, "head_dim": 7}`:                                                                                     "must be even",
		`{` + ok + `, "rms_norm_eps": -1}`:                                                                                "non-negative",
		`{` + ok + `, "rope_theta": 0}`:                                                                                   "rope_theta",
		`{` + ok + `, "rope_scaling": {"rope_type": "yarn", "factor": 4}}`:                                                "not supported",
		`{` + ok + `, "rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 4, "high_freq_factor": 1}}`: "inconsistent",
		`{` + ok + `, "rope_scaling": {"rope_type": "linear", "factor": "x"}}`:                                            "not a number",
		`{` + ok + `, "eos_token_id": "x"}`:                                                                               "eos_token_id",
		`{` + ok + `, "dtype": "int8"}`:                                                                                   "dtype",
		`{"hidden_size": 0, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10}`:  "hidden_size = 0",
		`{"hidden_size": 63, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10}`: "not a multiple",
	} {
		_, err := ParseConfig([]byte(cfg))
		require.ErrorContains(t, err, want, cfg)
	}
	_, err := ReadConfig("/nonexistent/config.json")
	require.Error(t, err)
}

// readArchConfig reads the config.json of ../shared/testdata/archs/<arch>.
func readArchConfig(t *testing.T, arch string) Config {
	t.Helper()
	c, err := ReadConfig(testfiles.Path(t, "archs", arch, "config.json"))
	require.NoError(t, err)
	require.Equal(t, arch, strings.TrimSuffix(c.Arch, "_text"))
	return c
}

// sevenLayers is the start of a config.json with seven layers.
const sevenLayers = `"hidden_size": 64, "num_hidden_layers": 7, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10`

func TestParseMistralConfig(t *testing.T) {
	c := readArchConfig(t, "mistral")
	assert.Equal(t, 5, c.SlidingWindow)
	assert.Equal(t, []bool{true, true}, c.Sliding, "Mistral slides in every layer")
	c, err := ParseConfig([]byte(`{` + sevenLayers + `, "architectures": ["MistralForCausalLM"], "sliding_window": 8}`))
	require.NoError(t, err)
	assert.Equal(t, "mistral", c.Arch, "the class names the architecture when model_type is absent")
}

func TestParseQwen2Config(t *testing.T) {
	c := readArchConfig(t, "qwen2")
	assert.True(t, c.QKVBias)
	assert.False(t, c.AttentionBias, "no bias on o_proj")
	assert.Nil(t, c.Sliding)
	// transformers 4: the layers from max_window_layers on slide, and only
	// with use_sliding_window.
	c, err := ParseConfig([]byte(`{` + sevenLayers + `, "model_type": "qwen2", "sliding_window": 32, "use_sliding_window": true, "max_window_layers": 5}`))
	require.NoError(t, err)
	assert.Equal(t, []bool{false, false, false, false, false, true, true}, c.Sliding)
	c, err = ParseConfig([]byte(`{` + sevenLayers + `, "model_type": "qwen2", "sliding_window": 32, "use_sliding_window": false}`))
	require.NoError(t, err)
	assert.Nil(t, c.Sliding, "Qwen ignores sliding_window without use_sliding_window")
	assert.Zero(t, c.SlidingWindow)
}

func TestParseQwen3Config(t *testing.T) {
	c := readArchConfig(t, "qwen3")
	assert.True(t, c.QKNorm)
	assert.False(t, c.QKVBias)
	assert.True(t, c.TieWordEmbeddings)
}

func TestParsePhi3Config(t *testing.T) {
	c := readArchConfig(t, "phi3")
	assert.True(t, c.FusedQKV && c.FusedGateUp)
	assert.Equal(t, 16, c.RotaryDim)
	assert.Nil(t, c.Sliding, "sliding_window: null")
	c, err := ParseConfig([]byte(`{` + sevenLayers + `, "model_type": "phi3", "partial_rotary_factor": 0.75, "head_dim": 16}`))
	require.NoError(t, err)
	assert.Equal(t, 12, c.RotaryDim)
}

func TestParseGemma2Config(t *testing.T) {
	c := readArchConfig(t, "gemma2")
	assert.Equal(t, "gelu_tanh", c.HiddenAct)
	assert.True(t, c.NormPlusOne && c.SandwichNorm)
	assert.Equal(t, []bool{true, false}, c.Sliding)
	assert.Equal(t, 4, c.SlidingWindow)
	assert.InDelta(t, 8, c.EmbedScale, 0)
	assert.InDelta(t, 0.25, c.AttnScale, 0)
	assert.InDelta(t, 50, c.AttnSoftCap, 0)
	assert.InDelta(t, 30, c.FinalSoftCap, 0)
	// Without layer_types every other layer slides, the first included.
	c, err := ParseConfig([]byte(`{` + sevenLayers + `, "model_type": "gemma2", "sliding_window": 16}`))
	require.NoError(t, err)
	assert.Equal(t, []bool{true, false, true, false, true, false, true}, c.Sliding)
}

func TestParseGemma3Config(t *testing.T) {
	c := readArchConfig(t, "gemma3")
	assert.True(t, c.QKNorm && c.NormPlusOne && c.SandwichNorm)
	assert.InDelta(t, 1e6, c.Rope.Theta, 0)
	require.NotNil(t, c.LocalRope)
	assert.InDelta(t, 1e4, c.LocalRope.Theta, 0)
	assert.Zero(t, c.AttnSoftCap)
	// transformers 4: no layer_types (five local layers to one global),
	// rope_local_base_freq beside rope_theta and rope_scaling.
	c, err := ParseConfig([]byte(`{` + sevenLayers + `, "model_type": "gemma3_text", "sliding_window": 512, "rope_theta": 1000000, "rope_local_base_freq": 10000, "rope_scaling": {"rope_type": "linear", "factor": 8}}`))
	require.NoError(t, err)
	assert.Equal(t, []bool{true, true, true, true, true, false, true}, c.Sliding)
	assert.Equal(t, Rope{Theta: 1e6, Type: "linear", Factor: 8}, c.Rope)
	assert.Equal(t, &Rope{Theta: 1e4, Type: "default", Factor: 1}, c.LocalRope)
}

func TestArchitectureRegistry(t *testing.T) {
	assert.Equal(t, []string{"gemma2", "gemma3_text", "llama", "mistral", "phi3", "qwen2", "qwen3"}, Architectures())
	assert.Equal(t, "qwen2", ArchOfGGUF("qwen2").Name)
	assert.Equal(t, "llama", ArchOfGGUF("llama").Name)
	assert.Nil(t, ArchOfGGUF("gpt2"))
}

// A Config from another reader (GGUF metadata) gets its architecture's
// fixed features and default layer pattern from Configure.
func TestArchConfigure(t *testing.T) {
	c := Config{HiddenSize: 64, NumLayers: 3, NumHeads: 4, NumKVHeads: 2, HeadDim: 16, SlidingWindow: 8}
	require.NoError(t, ArchOfGGUF("gemma2").Configure(&c))
	assert.True(t, c.NormPlusOne && c.SandwichNorm)
	assert.InDelta(t, 8, c.EmbedScale, 0)
	assert.Equal(t, "gelu_tanh", c.HiddenAct)
	assert.Equal(t, []bool{true, false, true}, c.Sliding)
	assert.Equal(t, 16, c.RotaryDim)

	c = Config{HiddenSize: 64, NumLayers: 2, NumHeads: 4, NumKVHeads: 2, HeadDim: 16, SlidingWindow: 8, Sliding: []bool{false, true}}
	require.NoError(t, ArchOfGGUF("gemma2").Configure(&c))
	assert.Equal(t, []bool{false, true}, c.Sliding, "the reader's layer kinds are kept")

	c = Config{HiddenSize: 64, NumLayers: 2, NumHeads: 4, NumKVHeads: 2, HeadDim: 16}
	require.NoError(t, ArchOfGGUF("qwen2").Configure(&c))
	assert.True(t, c.QKVBias)
	c = Config{HiddenSize: 64, NumLayers: 2, NumHeads: 4, NumKVHeads: 2, HeadDim: 16, AttnSoftCap: 30}
	require.ErrorContains(t, ArchOfGGUF("llama").Configure(&c), "attn_logit_softcapping is set, but lbrx's llama")
}
