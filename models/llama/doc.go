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
package llama
