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

// Decoding several sequences in one pass: each has its own cache and
// prompt; every step stacks their next tokens into one batch. A nil
// cache pads the batch to a fixed width, which keeps each row's logits
// independent of the others (see ForwardBatch). (A model directory is
// needed, so this example is compiled but not run.)
func ExampleModel_ForwardBatch() {
	m := must(llama.Load("path/to/Llama-3.2-1B", llama.Options{}))
	defer func() { _ = m.Close() }()
	prompts := [][]int{{128000, 791}, {128000, 9906, 1917}}
	caches := []*llama.Cache{m.NewCache(), m.NewCache(), nil} // width 3, one row padding
	next := []int{0, 0, 0}
	for i, p := range prompts {
		must(m.ForwardLast(p, caches[i]))
		next[i] = 13 // the token sampled from ForwardLast's logits
	}
	logits := must(m.ForwardBatch(next, caches)) // [3, vocab]; row 2 is padding
	fmt.Println(logits.Shape(), caches[0].Len(), caches[1].Len())
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

// Decoding two sequences as one batch over a paged KV cache (what a
// server does each step): reserve room per sequence, prefill each
// prompt, then run one token of every sequence per pass; a nil row is
// padding. The same zero model as ExampleNew, so every logit is zero.
func ExamplePool() {
	cfg := must(llama.ParseConfig([]byte(`{"hidden_size": 8, "num_hidden_layers": 1,
		"num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 16, "vocab_size": 10}`)))
	t := map[string]*core.Array{}
	for name, shape := range map[string][]int{
		"model.embed_tokens.weight": {10, 8}, "lm_head.weight": {10, 8},
		"model.layers.0.self_attn.q_proj.weight": {8, 8}, "model.layers.0.self_attn.k_proj.weight": {4, 8},
		"model.layers.0.self_attn.v_proj.weight": {4, 8}, "model.layers.0.self_attn.o_proj.weight": {8, 8},
		"model.layers.0.mlp.gate_proj.weight": {16, 8}, "model.layers.0.mlp.up_proj.weight": {16, 8},
		"model.layers.0.mlp.down_proj.weight": {8, 16},
	} {
		t[name] = must(core.Zeros[float32](shape...)).Array()
	}
	for _, name := range []string{"model.norm.weight", "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight"} {
		t[name] = must(core.Full[float32](1, 8)).Array()
	}
	m := must(llama.New(cfg, t, llama.Options{Device: core.CPU()}))
	pool := must(m.NewPool(64, 0))
	defer func() { _ = pool.Close() }()
	a, b := must(pool.Add(20)), must(pool.Add(40)) // prompt + tokens to generate
	_ = must(pool.Prefill(a, []int{3, 1, 4}))
	_ = must(pool.Prefill(b, []int{1, 5}))
	for range 3 {
		logits := must(pool.Decode([]int{7, 0, 2}, []*llama.PoolSeq{a, nil, b}))
		fmt.Println(logits.Shape(), a.Len(), b.Len())
	}
	pool.Remove(a) // its blocks go back to the pool
	// Output:
	// [3 10] 4 3
	// [3 10] 5 4
	// [3 10] 6 5
}
