package llama

// Phi-3 (and Phi-4-mini): Llama with q, k, v stored as one qkv_proj and
// gate, up as one gate_up_proj, a sliding window in every layer when set,
// and optionally a partial rotary embedding.
func init() {
	register(&Arch{
		Name: "phi3", Classes: []string{"Phi3ForCausalLM"}, GGUF: "phi3", Act: "silu",
		Features: []string{"sliding_window", "partial_rotary_factor"},
		Setup: func(c *Config, _ rawConfig) error {
			c.FusedQKV, c.FusedGateUp = true, true
			return nil
		},
	})
}
