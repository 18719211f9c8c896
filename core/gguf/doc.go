// Package gguf reads GGUF files (versions 2 and 3), the model format of
// ggml and llama.cpp, and dequantizes ggml's tensor types to float32.
//
// Open parses the header (metadata, tensor infos) with every count and
// length checked against the file size before anything is allocated, and
// validates it as ggml's own reader (gguf.cpp) does; see docs/FORMATS.md
// section 3. Tensor data is mapped (or read with pread, see WithLoadMode)
// only when a tensor is loaded.
//
// Shapes: GGUF stores dimensions in ggml ne order, innermost first.
// TensorInfo.Shape is the reverse, the row-major (numpy) shape: a tensor
// with ne = [4096, 32000] has Shape [32000, 4096].
//
// Tensor types: F32, F16, BF16, F64, I8, I16, I32 and I64 load as core
// arrays without copying (Array). The block types core names a scheme for
// (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K, IQ4_NL) load as their raw
// blocks, also without copying (U8, with core.QuantizationInfo attached). Every type Dequantize
// supports (the plain types, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K,
// Q8_K, IQ4_NL, MXFP4) also loads as float32 values (Float32). Other ggml
// types (the IQ2/IQ3/IQ1 families, TQ*) are listed with their sizes, and
// loading their values reports them as unsupported.
//
// Type constants follow ggml's names without the underscore Go style
// rejects before letters (Q4K is GGML_TYPE_Q4_K, IQ4NL is
// GGML_TYPE_IQ4_NL); Type.String returns ggml's spelling.
//
// Writer writes GGUF v3 files as ggml's writer lays them out (it
// rewrites ggml's own reference files byte for byte), streaming each
// tensor's bytes from a callback so a model need not sit in memory.
//
// The block decoders are exported for reuse: Dequantize(t, src, dst)
// decodes whole blocks of any supported type, bit-exact with ggml's
// to_float; Type.BlockSize and Type.BlockBytes give the layout.
package gguf
