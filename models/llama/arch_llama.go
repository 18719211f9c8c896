package llama

// Llama 2 and 3, TinyLlama, SmolLM: the base every other architecture
// here varies.
func init() {
	register(&Arch{
		Name: "llama", Classes: []string{"LlamaForCausalLM"}, GGUF: "llama", Act: "silu",
		Features: []string{"attention_bias", "mlp_bias"},
	})
}
