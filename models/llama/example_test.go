package llama_test

import (
	"context"
	"fmt"

	"github.com/lbrx/lbrx/core"
	"github.com/lbrx/lbrx/models/llama"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Running a Hugging Face checkpoint: load it, compute the prompt's logits
// and keep generating from a cache. (A model directory is needed, so this
// example is compiled but not run.)
func ExampleLoad() {
	m := must(llama.Load("path/to/Llama-3.2-1B", llama.Options{Device: core.CPU()}))
	defer func() { _ = m.Close() }()
	logits := must(m.Forward([]int{128000, 791, 6460}, nil)) // [3, vocab]
	fmt.Println(logits.Shape())
	st := must(m.Generate([]int{128000, 791}, llama.GenerateOptions{MaxTokens: 16, Sampling: llama.Sampling{Temperature: 0.7, TopP: 0.9, Seed: 1}},
		func(id int) bool { fmt.Print(id, " "); return true }))
	fmt.Printf("\n%.1f tokens/s\n", st.DecodeRate())
}

// A model from tensors held in memory: one layer, every weight zero except
// the norms, so each logit is zero and greedy sampling picks token 0.
func ExampleNew() {
	cfg := must(llama.ParseConfig([]byte(`{"hidden_size": 8, "num_hidden_layers": 1,
		"num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 16, "vocab_size": 10}`)))
	t := map[string]*core.Array{}
	zeros := func(name string, shape ...int) { t[name] = must(core.Zeros[float32](shape...)).Array() }
	ones := func(name string, n int) { t[name] = must(core.Full[float32](1, n)).Array() }
	zeros("model.embed_tokens.weight", 10, 8)
	zeros("lm_head.weight", 10, 8)
	ones("model.norm.weight", 8)
	ones("model.layers.0.input_layernorm.weight", 8)
	ones("model.layers.0.post_attention_layernorm.weight", 8)
	zeros("model.layers.0.self_attn.q_proj.weight", 8, 8)
	zeros("model.layers.0.self_attn.k_proj.weight", 4, 8)
	zeros("model.layers.0.self_attn.v_proj.weight", 4, 8)
	zeros("model.layers.0.self_attn.o_proj.weight", 8, 8)
	zeros("model.layers.0.mlp.gate_proj.weight", 16, 8)
	zeros("model.layers.0.mlp.up_proj.weight", 16, 8)
	zeros("model.layers.0.mlp.down_proj.weight", 8, 16)
	m := must(llama.New(cfg, t, llama.Options{Device: core.CPU()}))
	logits := must(m.Forward([]int{3, 1, 4}, nil))
	fmt.Println(logits.Shape(), m.DType())
	var out []int
	_ = must(m.Generate([]int{3}, llama.GenerateOptions{MaxTokens: 3}, func(id int) bool { out = append(out, id); return true }))
	fmt.Println(out)
	// Output:
	// [3 10] F32
	// [0 0 0]
}

// Drawing from logits: greedy takes the largest; with a temperature the
// seeded generator makes the draw reproducible.
func ExampleSampler() {
	logits := []float32{0.1, 2.5, -1, 2.4}
	greedy := must(llama.NewSampler(llama.Sampling{}))
	fmt.Println(must(greedy.Next(logits)))
	a := must(llama.NewSampler(llama.Sampling{Temperature: 0.8, TopP: 0.9, Seed: 42}))
	b := must(llama.NewSampler(llama.Sampling{Temperature: 0.8, TopP: 0.9, Seed: 42}))
	fmt.Println(must(a.Next(logits)) == must(b.Next(logits)))
	// Output:
	// 1
	// true
}

// The architectures config.json's model_type can name, and what a config
// gets when it asks one for a feature it lacks.
func ExampleArchitectures() {
	fmt.Println(llama.Architectures())
	_, err := llama.ParseConfig([]byte(`{"model_type": "llama", "sliding_window": 4096, "hidden_size": 8,
		"num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16, "vocab_size": 10}`))
	fmt.Println(err)
	// Output:
	// [gemma2 gemma3_text llama mistral phi3 qwen2 qwen3]
	// sliding_window is set, but lbrx's llama architecture does not implement it
}

// Tensor parallelism over two CPU ranks in this process; with GPUs the
// communicators come from cuda.NewNCCLGroup instead. (A model directory is
// needed, so this example is compiled but not run.)
func ExampleLoadParallel() {
	g := must(core.NewLocalGroup(core.CPU(), core.CPU()))
	comms := []core.Communicator{must(g.Rank(0)), must(g.Rank(1))}
	p := must(llama.LoadParallel("path/to/Llama-3.2-1B", comms, llama.Options{}))
	defer func() { _ = p.Close() }()
	logits := must(p.Forward(context.Background(), []int{128000, 791, 6460}, nil)) // [3, vocab], rank 0's copy
	fmt.Println(logits.Shape())
}
