// Package quant converts between float formats (f32, f16, bf16) and
// quantizes weights: MLX's group-wise affine layout and ggml's Q8_0, Q4_0
// and Q4_1 blocks, with quantized matrix multiplication on the CPU.
package quant
