// Package llama runs decoder-only language models of the Llama family and
// its relatives on any lbrx device: Llama 2 and 3, TinyLlama, SmolLM, and
// the architectures registered beside them (Architectures lists them; see
// Architectures below).
//
// # Loading
//
// Load reads a Hugging Face model directory: config.json and one or more
// .safetensors files (float32, float16 or bfloat16), or the MLX-layout
// quantized directory that `lbrx quantize` and mlx-lm write (a layer is
// ".weight" codes with ".scales" and ".biases", and config.json carries
// "quantization"). Weights stay views of the mapped files on the CPU;
// quantized layers multiply through core.QuantizedMatMulOp and are never
// dequantized in full.
//
// # GGUF
//
// Load also opens a GGUF file (LoadGGUF; FromGGUF is the translation
// alone). A table per general.architecture (gguf_arch.go: "llama", which
// also covers Mistral-style files, "qwen2", "qwen3", "phi3", "gemma2",
// "gemma3") maps the "<arch>.*" metadata onto
// Config (context_length, embedding_length, block_count,
// feed_forward_length, attention.head_count[_kv], attention.key_length,
// attention.layer_norm_rms_epsilon, rope.freq_base, rope.scaling.*; the
// vocabulary size from tokenizer.ggml.tokens, <arch>.vocab_size or the
// embedding) and llama.cpp's tensor names onto Hugging Face's
// (blk.N.attn_q.weight -> model.layers.N.self_attn.q_proj.weight), with
// each tensor's shape checked against the metadata. Weights are views of
// the file's mapping in their own types: block types (Q4_0 ... Q6_K,
// IQ4_NL) as core quantized arrays run by quantized_matmul, F32/F16/BF16
// as plain arrays. A missing output.weight ties the output to the
// embedding, as in llama.cpp; a rope_freqs tensor (Llama 3.1 scaling)
// becomes Rope.FreqFactors. The registry's Setup adds what an
// architecture always has; the rest follows llama.cpp's reading of the
// file: Gemma's norms are stored as 1 + w by the converter (read as they
// are), Gemma's query scale is llama.cpp's (1/sqrt(head_dim)) and its
// sliding layers follow attention.sliding_window_pattern or the default
// period, Phi-3's attn_qkv and ffn_up are the fused projections.
//
// llama.cpp's converter permutes the rows of Q and K so that ggml's
// adjacent-pair rope computes Hugging Face's half-split rope. lbrx undoes
// this on the activations, not on the weights: x W^T with W's rows
// permuted is x W^T with its outputs permuted, so after the Q and K
// projections Forward reorders each head back (Config.GGMLRopeOrder, one
// strided copy of [T, heads, head_dim] on the device) and runs the usual
// rope. We chose this over un-permuting rows at load, which would copy
// and read Q and K (about a tenth of a Llama's weights) and so break
// "loading maps without reading", and over an interleaved rope mode,
// which needs a new kernel per backend (CPU, CUDA, Metal) for what one
// existing copy op does; the copy costs 2*T*(heads+kv_heads)*head_dim
// values per layer, negligible beside the matmuls. The CPU is the
// exception: there a decode step's small ops cost their setup more than
// their arithmetic, so one core op, rope_ggml, reads the pairs in ggml's
// order and writes the rotated heads in Hugging Face's (bit for bit the
// copy then rope; q/k norms or a partial rotary keep the copy). On a device that
// stacks q/k/v (merge.go: the weights are copied there anyway) the rows
// are put back in Hugging Face's order as they are stacked (hfRowOrder),
// so such a layer needs neither the copy nor a separate rope and cache
// write: it runs rope_cache like a safetensors model.
//
// WriteGGUF is the reverse: a Hugging Face model laid out as llama.cpp's
// converter followed by `llama-quantize --pure` lays it out (`lbrx
// quantize SRC DST.gguf --type ...`).
//
// # Forward pass
//
// The network is Hugging Face's LlamaForCausalLM for one sequence:
//
//	h = embed(ids)
//	for each layer:
//	    x = rms_norm(h);  q, k, v = x Wq, x Wk, x Wv  (rope on q and k)
//	    h = h + causal_attention(q, cache(k), cache(v)) Wo
//	    x = rms_norm(h);  h = h + (silu(x Wgate) * x Wup) Wdown
//	logits = rms_norm(h) Wlm_head   (the embedding when tied)
//
// with the variations a Config switches on: biases on q, k, v (and o),
// per-head q/k RMSNorm before rope, sliding-window layers (attention and
// cache), soft-capped attention scores and logits, (1 + w) RMSNorm
// weights, norms after attention and around the MLP, GELU-tanh instead of
// SiLU, an embedding scale, a score scale other than 1/sqrt(head_dim),
// a separate rope base for sliding layers, partial rotary embeddings,
// fused qkv and gate_up weights (split into views at load).
//
// Every step is a core op (rms_norm, rope, causal_attention, matmul or
// quantized_matmul, silu, mul, add, concat), so a device runs the kernels
// it has and falls back to the CPU per op for the rest. The embedding
// lookup alone always runs on the host, from the mapped table, so that
// only the prompt's rows travel to the device.
// Activations keep the model's dtype (that of its norm weights) unless
// Options.DType says otherwise.
//
// # Rotary embeddings
//
// Frequencies follow transformers' rope_init_fn for the types "default",
// "linear" and "llama3", read from config.json's "rope_parameters" (v5)
// or "rope_theta" + "rope_scaling" (v4). Other types are refused at load.
//
// # Architectures
//
// An architecture is one arch_<name>.go file registering an Arch: the
// model_type and transformers class that name it in config.json, its
// name in GGUF files, the optional config.json keys it implements and a
// Setup that sets the Config features it always has. The forward pass
// reads only the Config, so a GGUF reader (or any other) builds a Config
// and hands New tensors under Hugging Face's names. A config key that
// changes the computation and that the architecture does not implement
// (sliding_window for a Llama, say) is an error naming it.
//
// # Generation
//
// A Cache holds each layer's keys and values; Forward appends to it, so a
// prompt is prefilled in one call and each new token costs one more.
// Generate samples greedily (temperature 0) or with temperature and
// top-p from a seeded generator, so a seed reproduces a run.
//
// # Tensor parallelism
//
// NewParallel and LoadParallel split a model over the ranks of a group of
// core.Communicator (one device each) in the Megatron layout: attention
// heads and MLP columns per rank, an all-reduce after the row-parallel
// o_proj and down_proj, vocabulary-split embedding and lm_head. Row shards
// are views of the source tensors (of the file's mapping, quantized or
// not); column shards are copied, quantized ones cut at block or group
// boundaries only. Parallel.Forward and Parallel.Generate run one
// goroutine per rank.
package llama
