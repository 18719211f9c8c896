package llama

import "github.com/lbrx/lbrx/core/gguf"

// typeChooser returns the ggml type of a 2-D tensor: its GGUF base name
// ("attn_v", "output", ...), its layer (-1 outside the layers) and its
// row length (before llama-quantize's fallback for blocks that do not
// divide a row).
type typeChooser func(name string, layer, ncols int) gguf.Type

// ggufMix is one of llama-quantize's K-quant mixes: a default type and
// the rules of llama_tensor_get_type_impl (llama-quant.cpp) that apply to
// it for dense models without an importance matrix.
type ggufMix struct {
	def      gguf.Type
	fileType uint32
	// attnV and ffnDown are the types of layer i of n for the value (or
	// fused qkv) projection and the down projection.
	attnV, ffnDown func(i, n int) gguf.Type
	// attnOutput is the output projection's type.
	attnOutput gguf.Type
}

// useMoreBits is llama.cpp's choice of layers that get more bits: the
// first and last eighth and every third in between.
func useMoreBits(i, n int) bool {
	return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2
}

var ggufMixes = map[string]ggufMix{
	"q3_k_m": {
		def: gguf.Q3K, fileType: 12, attnOutput: gguf.Q4K,
		attnV: func(i, _ int) gguf.Type {
			if i < 2 {
				return gguf.Q5K
			}
			return gguf.Q4K
		},
		ffnDown: func(i, n int) gguf.Type {
			if i < n/16 {
				return gguf.Q5K
			}
			return gguf.Q4K
		},
	},
	"q4_k_m": {
		def: gguf.Q4K, fileType: 15, attnOutput: gguf.Q4K,
		attnV:   q6kWhereMoreBits(gguf.Q4K),
		ffnDown: q6kWhereMoreBits(gguf.Q4K),
	},
	"q5_k_m": {
		def: gguf.Q5K, fileType: 17, attnOutput: gguf.Q5K,
		attnV:   q6kWhereMoreBits(gguf.Q5K),
		ffnDown: q6kWhereMoreBits(gguf.Q5K),
	},
}

// q6kWhereMoreBits is llama-quantize's rule for the value and down
// projections of the _M mixes: Q6_K in the layers use_more_bits picks,
// def elsewhere.
func q6kWhereMoreBits(def gguf.Type) func(i, n int) gguf.Type {
	return func(i, n int) gguf.Type {
		if useMoreBits(i, n) {
			return gguf.Q6K
		}
		return def
	}
}

// chooser applies the mix to a model: the output (or, tied, the
// embedding that serves as output) in Q6_K unless its rows do not take
// the default type's blocks (then Q8_0); the value and down projections
// by layer; the values of the models llama.cpp calls 70B (80 layers:
// Llama with grouped keys, Qwen2) one step up.
func (m ggufMix) chooser(cfg Config) typeChooser {
	seventyB := cfg.NumLayers == 80 && ((cfg.NumHeads != cfg.NumKVHeads && (cfg.Arch == "" || cfg.Arch == "llama")) || cfg.Arch == "qwen2")
	return func(name string, layer, ncols int) gguf.Type {
		switch {
		case name == "output" || (name == "token_embd" && cfg.TieWordEmbeddings):
			if ncols%m.def.BlockSize() != 0 {
				return gguf.Q8_0
			}
			return gguf.Q6K
		case name == "attn_v" || name == "attn_qkv":
			t := m.attnV(layer, cfg.NumLayers)
			if seventyB && (t == gguf.Q3K || t == gguf.Q4K) {
				t = gguf.Q5K
			}
			return t
		case name == "ffn_down":
			return m.ffnDown(layer, cfg.NumLayers)
		case name == "attn_output":
			return m.attnOutput
		}
		return m.def
	}
}
