package llama

import (
	"github.com/lbrx/lbrx/core"
)

// ggufArch says how one GGUF general.architecture maps onto Config and
// the Hugging Face tensor names New expects. Adding an architecture that
// New runs is one entry in ggufArchs.
type ggufArch struct {
	// permutedQK: llama.cpp's converter reorders the rows of Q and K
	// (per head, pairs (i, i+d/2) made adjacent) for ggml's "normal"
	// rope; Forward restores Hugging Face order on the projections'
	// outputs (Config.GGMLRopeOrder).
	permutedQK bool
	// global and block list the tensors; block names hold the layer as
	// "blk.N." in GGUF and "model.layers.N." in Hugging Face.
	global, block []ggufTensor
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

func hidden(c Config) core.Shape  { return core.Shape{c.HiddenSize} }
func qShape(c Config) core.Shape  { return core.Shape{c.NumHeads * c.HeadDim, c.HiddenSize} }
func kvShape(c Config) core.Shape { return core.Shape{c.NumKVHeads * c.HeadDim, c.HiddenSize} }
func oShape(c Config) core.Shape  { return core.Shape{c.HiddenSize, c.NumHeads * c.HeadDim} }
func upShape(c Config) core.Shape { return core.Shape{c.IntermediateSize, c.HiddenSize} }
func downShape(c Config) core.Shape {
	return core.Shape{c.HiddenSize, c.IntermediateSize}
}
func vocabShape(c Config) core.Shape { return core.Shape{c.VocabSize, c.HiddenSize} }

// llamaBlock is a Llama decoder layer in llama.cpp's names
// (llama-arch.cpp LLM_TENSOR_*).
var llamaBlock = []ggufTensor{
	{gguf: "attn_norm", hf: "input_layernorm", shape: hidden},
	{gguf: "attn_q", hf: "self_attn.q_proj", shape: qShape, bias: true},
	{gguf: "attn_k", hf: "self_attn.k_proj", shape: kvShape, bias: true},
	{gguf: "attn_v", hf: "self_attn.v_proj", shape: kvShape, bias: true},
	{gguf: "attn_output", hf: "self_attn.o_proj", shape: oShape, bias: true},
	{gguf: "ffn_norm", hf: "post_attention_layernorm", shape: hidden},
	{gguf: "ffn_gate", hf: "mlp.gate_proj", shape: upShape, bias: true},
	{gguf: "ffn_up", hf: "mlp.up_proj", shape: upShape, bias: true},
	{gguf: "ffn_down", hf: "mlp.down_proj", shape: downShape, bias: true},
}

var llamaGlobal = []ggufTensor{
	{gguf: "token_embd", hf: "model.embed_tokens", shape: vocabShape},
	{gguf: "output_norm", hf: "model.norm", shape: hidden},
	{gguf: "output", hf: "lm_head", shape: vocabShape, optional: true},
}

// ggufArchs are the architectures LoadGGUF runs. "llama" covers Mistral
// too: llama.cpp's converter writes Mistral-style models as "llama".
var ggufArchs = map[string]ggufArch{
	"llama": {permutedQK: true, global: llamaGlobal, block: llamaBlock},
}

// ggufRopeFreqs is the tensor llama.cpp's converter writes for Llama 3.1
// rope scaling: one divisor per rotated pair.
const ggufRopeFreqs = "rope_freqs.weight"
