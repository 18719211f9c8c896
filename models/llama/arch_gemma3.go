package llama

// Gemma 3 (the text model): Gemma 2's layout with q/k norms instead of
// attention soft-capping, and local (sliding) layers with their own rope
// base, five local to one global unless layer_types says otherwise.
func init() {
	register(&Arch{
		Name: "gemma3_text", ModelTypes: []string{"gemma3"}, Classes: []string{"Gemma3ForCausalLM"}, GGUF: "gemma3", Act: "gelu_tanh",
		Features: []string{"attention_bias", "sliding_window", "attn_logit_softcapping", "final_logit_softcapping", "query_pre_attn_scalar", "rope_local_base_freq"},
		Setup: func(c *Config, r rawConfig) error {
			gemma(c)
			c.QKNorm = true
			pattern := 6
			for _, p := range []*int{r.SlidingPattern, r.SlidingPatternV5} {
				if p != nil && *p > 0 {
					pattern = *p
				}
			}
			return layerTypes(r, c, func(i int) bool { return (i+1)%pattern != 0 })
		},
	})
}
