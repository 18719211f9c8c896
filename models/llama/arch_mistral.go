package llama

// Mistral: Llama with sliding-window attention in every layer. (GGUF
// files of Mistral 7B say "llama" and carry no window, so no GGUF name.)
func init() {
	register(&Arch{
		Name: "mistral", Classes: []string{"MistralForCausalLM"}, Act: "silu",
		Features: []string{"sliding_window"},
	})
}
