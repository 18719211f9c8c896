package llama

// Qwen2 and Qwen2.5: Llama with biases on q, k and v.
func init() {
	register(&Arch{
		Name: "qwen2", Classes: []string{"Qwen2ForCausalLM"}, GGUF: "qwen2", Act: "silu",
		Features: []string{"sliding_window"},
		Setup: func(c *Config, r rawConfig) error {
			c.QKVBias = true
			return qwenWindow(c, r)
		},
	})
}

// qwenWindow applies Qwen's use_sliding_window: without it sliding_window
// is ignored (transformers does the same); with it, and no layer_types,
// the layers from max_window_layers on slide.
func qwenWindow(c *Config, r rawConfig) error {
	if r.UseSlidingWindow == nil || !*r.UseSlidingWindow {
		c.SlidingWindow = 0
		if r.LayerTypes == nil {
			return nil
		}
	}
	from := c.NumLayers
	if r.MaxWindowLayers != nil {
		from = *r.MaxWindowLayers
	}
	return layerTypes(r, c, func(i int) bool { return i >= from })
}
