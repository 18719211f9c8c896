// Package quant converts between float formats (f32, f16, bf16) and
// quantizes weights: MLX's group-wise affine layout and ggml's block
// formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, the K-quants Q2_K..Q6_K and
// IQ4_NL), with quantized matrix multiplication on the CPU and mlx-lm's
// on-disk layout for quantized models.
//
// # Layouts (what GPU backends must read)
//
// MLX affine (core.SchemeAffine), produced by Quantize exactly as MLX's
// CPU backend does: a U32 array [..., K*bits/32] of codes whose
// Metadata.Quant carries Bits, GroupSize, the logical Shape [..., K] and
// Scales and Biases [..., K/GroupSize] in the input's dtype. Each row is
// one continuous bit stream, least significant bit first: code j occupies
// bits [j*bits, (j+1)*bits) of the row read as little-endian uint32 words
// (for 3, 5 and 6 bits a code may straddle two words). A group is whole
// words (GroupSize*bits is a multiple of 32). Value = scale*q + bias;
// scales are negative for about half the groups.
//
// ggml blocks (core.SchemeQ8_0 ... SchemeIQ4_NL): a U8 array
// [..., K/BlockValues*BlockBytes] of raw blocks, exactly as GGUF stores
// them (32-value blocks, 256-value super-blocks for the K-quants; layouts
// in ggml-common.h and FORMATS.md section 4, decoded by core/gguf).
// AsBlocks marks bytes already in memory (a mapped file) without a copy.
// BlocksToAffine and Prepare repack Q8_0/Q4_0/Q4_1 losslessly into the
// affine layout with group size 32; the other schemes are multiplied in
// place (BlockWeight).
//
// # Quantized matmul
//
// MatMul(x, w) computes y = x @ W^T for w of logical shape [N, K] without
// forming the dequantized W: per group it evaluates
// scale*Σ(q*x) + bias*Σx, with Σx computed once per input row. Prepare
// returns a reusable Weight whose MatMul works on plain slices. On amd64
// with AVX2 and FMA the 4- and 8-bit rows run in assembly (build tag
// noasm disables it), and batches of four input rows share each 4-bit
// block's decoding; with AVX-512 (F and DQ) the matrix-vector product
// takes four weight rows per call (a quarter of the row range apart, so
// the four code streams run on through memory), sharing each load of x,
// with the bias term as a separate dot per row; other widths and CPUs use
// unrolled Go loops. Large products are split over GOMAXPROCS goroutines
// by output rows.
//
// ggml blocks are multiplied in place (BlockWeight): batches below 32
// input rows run fused row kernels that unpack each block's scales in
// registers (AVX2+FMA, AVX-512 and NEON assembly for every scheme, Go
// loops elsewhere) with each weight row
// read once and kept in L1 across the rows; larger batches decode a
// 64-row panel of the weight at a time and multiply it with core.MatMul.
//
// Quantize and the f16/bf16 slice conversions also have amd64 vector
// paths (AVX, F16C, AVX2) that are tested bit for bit against the scalar
// code.
package quant
