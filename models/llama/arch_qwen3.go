package llama

// Qwen3: Qwen2 without the q, k, v biases and with an RMSNorm over each
// query and key head.
func init() {
	register(&Arch{
		Name: "qwen3", Classes: []string{"Qwen3ForCausalLM"}, GGUF: "qwen3", Act: "silu",
		Features: []string{"attention_bias", "sliding_window"},
		Setup: func(c *Config, r rawConfig) error {
			c.QKNorm = true
			return qwenWindow(c, r)
		},
	})
}
