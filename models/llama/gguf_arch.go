package llama

import (
	"math"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/core/gguf"
)

// ggufArch says how one GGUF general.architecture maps onto Config and
// the Hugging Face tensor names New expects, as llama.cpp's converter
// (convert_hf_to_gguf.py) and loader (llama-arch.cpp, llama-model.cpp)
// define it. Adding an architecture that New runs is one entry in
// ggufArchs; the features config.json would imply (biases, q/k norms,
// fused projections, Gemma's norms) come from the architecture registry
// (arch.go) through its Setup.
type ggufArch struct {
	// permutedQK: llama.cpp's converter reorders the rows of Q and K
	// (per head, pairs (i, i+d/2) made adjacent) for ggml's "normal"
	// rope; Forward restores Hugging Face order on the projections'
	// outputs (Config.GGMLRopeOrder). Architectures on ggml's NEOX rope
	// keep Hugging Face's order.
	permutedQK bool
	// normShift: the converter stores RMSNorm weights w as 1 + w (Gemma),
	// so they are read as plain weights (Config.NormPlusOne off).
	normShift bool
	// global and block list the tensors; block names hold the layer as
	// "blk.N." in GGUF and "model.layers.N." in Hugging Face.
	global, block []ggufTensor
	// keys reads the architecture's own metadata into c after the shared
	// keys and before the registry's Setup (nil: none).
	keys func(k ggufKeys, c *Config) error
	// put returns those keys for WriteGGUF (nil: none).
	put func(arch string, c Config) []gguf.KV
}

// ggufTensor is one GGUF tensor name (without ".weight"/".bias"), its
// Hugging Face name and its row-major shape under a config.
type ggufTensor struct {
	gguf, hf string
	shape    func(c Config) core.Shape
	// optional tensors may be absent (output: tied to the embedding).
	optional bool
	// bias: the tensor may also come with a ".bias" of shape[0].
	bias bool
}

func hidden(c Config) core.Shape   { return core.Shape{c.HiddenSize} }
func headNorm(c Config) core.Shape { return core.Shape{c.HeadDim} }
func qShape(c Config) core.Shape   { return core.Shape{c.NumHeads * c.HeadDim, c.HiddenSize} }
func kvShape(c Config) core.Shape  { return core.Shape{c.NumKVHeads * c.HeadDim, c.HiddenSize} }
func oShape(c Config) core.Shape   { return core.Shape{c.HiddenSize, c.NumHeads * c.HeadDim} }
func upShape(c Config) core.Shape  { return core.Shape{c.IntermediateSize, c.HiddenSize} }
func downShape(c Config) core.Shape {
	return core.Shape{c.HiddenSize, c.IntermediateSize}
}
func vocabShape(c Config) core.Shape { return core.Shape{c.VocabSize, c.HiddenSize} }
func qkvShape(c Config) core.Shape {
	return core.Shape{(c.NumHeads + 2*c.NumKVHeads) * c.HeadDim, c.HiddenSize}
}
func gateUpShape(c Config) core.Shape { return core.Shape{2 * c.IntermediateSize, c.HiddenSize} }

// The tensors in llama.cpp's names (llama-arch.cpp LLM_TENSOR_*).
var (
	ggufGlobal = []ggufTensor{
		{gguf: "token_embd", hf: "model.embed_tokens", shape: vocabShape},
		{gguf: "output_norm", hf: "model.norm", shape: hidden},
		{gguf: "output", hf: "lm_head", shape: vocabShape, optional: true},
	}
	attnNorm = ggufTensor{gguf: "attn_norm", hf: "input_layernorm", shape: hidden}
	attnQKVO = []ggufTensor{
		{gguf: "attn_q", hf: "self_attn.q_proj", shape: qShape, bias: true},
		{gguf: "attn_k", hf: "self_attn.k_proj", shape: kvShape, bias: true},
		{gguf: "attn_v", hf: "self_attn.v_proj", shape: kvShape, bias: true},
		{gguf: "attn_output", hf: "self_attn.o_proj", shape: oShape, bias: true},
	}
	qkNorms = []ggufTensor{
		{gguf: "attn_q_norm", hf: "self_attn.q_norm", shape: headNorm},
		{gguf: "attn_k_norm", hf: "self_attn.k_norm", shape: headNorm},
	}
	mlp = []ggufTensor{
		{gguf: "ffn_gate", hf: "mlp.gate_proj", shape: upShape, bias: true},
		{gguf: "ffn_up", hf: "mlp.up_proj", shape: upShape, bias: true},
		{gguf: "ffn_down", hf: "mlp.down_proj", shape: downShape, bias: true},
	}
	// llamaBlock is a Llama layer: ffn_norm is the norm before the MLP,
	// Hugging Face's post_attention_layernorm.
	llamaBlock = join([]ggufTensor{attnNorm}, attnQKVO,
		[]ggufTensor{{gguf: "ffn_norm", hf: "post_attention_layernorm", shape: hidden}}, mlp)
	// gemmaBlock has Gemma's four norms: post_attention_norm after
	// attention, ffn_norm before the MLP and post_ffw_norm after it.
	gemmaBlock = join([]ggufTensor{attnNorm}, attnQKVO, []ggufTensor{
		{gguf: "post_attention_norm", hf: "post_attention_layernorm", shape: hidden},
		{gguf: "ffn_norm", hf: "pre_feedforward_layernorm", shape: hidden},
		{gguf: "post_ffw_norm", hf: "post_feedforward_layernorm", shape: hidden},
	}, mlp)
	// phi3Block stores q, k, v as one attn_qkv and gate, up as one ffn_up
	// (gate rows first), as Phi-3's checkpoints do.
	phi3Block = []ggufTensor{
		attnNorm,
		{gguf: "attn_qkv", hf: "self_attn.qkv_proj", shape: qkvShape, bias: true},
		{gguf: "attn_output", hf: "self_attn.o_proj", shape: oShape, bias: true},
		{gguf: "ffn_norm", hf: "post_attention_layernorm", shape: hidden},
		{gguf: "ffn_up", hf: "mlp.gate_up_proj", shape: gateUpShape, bias: true},
		{gguf: "ffn_down", hf: "mlp.down_proj", shape: downShape, bias: true},
	}
)

func join(parts ...[]ggufTensor) []ggufTensor {
	var out []ggufTensor
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// ggufArchs are the architectures LoadGGUF runs, by general.architecture.
// "llama" covers Mistral too: llama.cpp's converter writes Mistral-style
// models as "llama" (and llama.cpp runs them without a sliding window).
var ggufArchs = map[string]ggufArch{
	"llama":  {permutedQK: true, global: ggufGlobal, block: llamaBlock},
	"qwen2":  {global: ggufGlobal, block: llamaBlock},
	"qwen3":  {global: ggufGlobal, block: join(llamaBlock, qkNorms)},
	"phi3":   {global: ggufGlobal, block: phi3Block, keys: windowKeys, put: putWindow},
	"gemma2": {normShift: true, global: ggufGlobal, block: gemmaBlock, keys: gemma2Keys, put: putGemma},
	"gemma3": {normShift: true, global: ggufGlobal, block: join(gemmaBlock, qkNorms), keys: gemma3Keys, put: putGemma},
}

// ggufRopeFreqs is the tensor llama.cpp's converter writes for Llama 3.1
// rope scaling: one divisor per rotated pair.
const ggufRopeFreqs = "rope_freqs.weight"

// windowKeys reads "<arch>.attention.sliding_window" (Phi-3: every layer
// slides when it is set).
func windowKeys(k ggufKeys, c *Config) error {
	var err error
	if _, ok := k.f.Get(k.prefix + "attention.sliding_window"); ok {
		c.SlidingWindow, err = k.size(k.prefix+"attention.sliding_window", true, 0)
	}
	return err
}

func putWindow(arch string, c Config) []gguf.KV {
	if c.SlidingWindow == 0 {
		return nil
	}
	return []gguf.KV{{Key: arch + ".attention.sliding_window", Type: gguf.Uint32, Value: uint32(c.SlidingWindow)}}
}

// gemmaScale is llama.cpp's query scale for Gemma 2 and 3 (it does not
// read query_pre_attn_scalar): 1/sqrt(head_dim), except for the 27B
// models (46 and 62 layers), 1/sqrt(hidden/heads).
func gemmaScale(c *Config, layers27B int) {
	d := float64(c.HeadDim)
	if c.NumLayers == layers27B {
		d = float64(c.HiddenSize / c.NumHeads)
	}
	c.AttnScale = 1 / math.Sqrt(d)
}

// gemma2Keys: the window (4096 when absent, as llama.cpp assumes), the
// soft caps, and the local layers' rope base (the global one unless
// rope.freq_base_swa says otherwise).
func gemma2Keys(k ggufKeys, c *Config) error {
	c.SlidingWindow = 4096
	if err := windowKeys(k, c); err != nil {
		return err
	}
	if err := softCaps(k, c); err != nil {
		return err
	}
	gemmaScale(c, 46)
	return localRope(k, c, c.Rope.Theta)
}

// gemma3Keys: as Gemma 2 without the attention soft cap, a window only
// when the key is set, and local layers at base 10000 by default.
func gemma3Keys(k ggufKeys, c *Config) error {
	if err := windowKeys(k, c); err != nil {
		return err
	}
	if err := softCaps(k, c); err != nil {
		return err
	}
	gemmaScale(c, 62)
	return localRope(k, c, 10000)
}

func softCaps(k ggufKeys, c *Config) error {
	for _, f := range []struct {
		key string
		dst *float64
	}{{"attn_logit_softcapping", &c.AttnSoftCap}, {"final_logit_softcapping", &c.FinalSoftCap}} {
		v, err := k.float(k.prefix+f.key, false, 0)
		if err != nil {
			return err
		}
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return k.errorf(f.key, "= %v must be a positive number (or absent)", v)
		}
		*f.dst = v
	}
	return nil
}

// localRope sets the sliding layers' rope from rope.freq_base_swa (def
// when absent); the scaling applies to the global layers only.
func localRope(k ggufKeys, c *Config, def float64) error {
	base, err := k.float(k.prefix+"rope.freq_base_swa", false, def)
	if err != nil {
		return err
	}
	if !(base > 0) || math.IsInf(base, 0) {
		return k.errorf("rope.freq_base_swa", "= %v must be positive", base)
	}
	if lr := (Rope{Theta: base, Type: "default", Factor: 1}); lr.Theta != c.Rope.Theta || c.Rope.Type != "default" {
		c.LocalRope = &lr
	}
	return nil
}

// putGemma writes what gemma2Keys and gemma3Keys read.
func putGemma(arch string, c Config) []gguf.KV {
	kvs := putWindow(arch, c)
	f32 := func(k string, v float64) gguf.KV {
		return gguf.KV{Key: arch + "." + k, Type: gguf.Float32, Value: float32(v)}
	}
	if c.AttnSoftCap > 0 {
		kvs = append(kvs, f32("attn_logit_softcapping", c.AttnSoftCap))
	}
	if c.FinalSoftCap > 0 {
		kvs = append(kvs, f32("final_logit_softcapping", c.FinalSoftCap))
	}
	if c.LocalRope != nil {
		kvs = append(kvs, f32("rope.freq_base_swa", c.LocalRope.Theta))
	}
	if c.Sliding != nil {
		// Which layers slide, as llama.cpp reads it
		// (attention.sliding_window_pattern as one bool per layer).
		kvs = append(kvs, gguf.KV{Key: arch + ".attention.sliding_window_pattern", Type: gguf.Array, ElemType: gguf.Bool, Value: append([]bool(nil), c.Sliding...)})
	}
	return kvs
}
