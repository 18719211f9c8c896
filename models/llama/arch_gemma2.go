package llama

import "math"

// Gemma 2: GELU-tanh MLP, (1 + w) RMSNorms before and after attention and
// MLP, embeddings scaled by sqrt(hidden), soft-capped attention scores
// and logits, query_pre_attn_scalar's score scale, and sliding-window
// layers alternating with full ones (the first slides).
func init() {
	register(&Arch{
		Name: "gemma2", Classes: []string{"Gemma2ForCausalLM"}, GGUF: "gemma2", Act: "gelu_tanh",
		Features: []string{"attention_bias", "sliding_window", "attn_logit_softcapping", "final_logit_softcapping", "query_pre_attn_scalar"},
		Setup: func(c *Config, r rawConfig) error {
			gemma(c)
			return layerTypes(r, c, func(i int) bool { return i%2 == 0 })
		},
	})
}

// gemma sets what Gemma 2 and 3 share.
func gemma(c *Config) {
	c.NormPlusOne, c.SandwichNorm = true, true
	c.EmbedScale = math.Sqrt(float64(c.HiddenSize))
}
