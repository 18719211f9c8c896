// Kernel parameter structs shared by every lbrx Metal kernel.
//
// This header is valid MSL and valid C++: the MSL check compiles it as C++,
// and metal/params.go mirrors every struct byte for byte (a Go test compares
// sizeof/offsetof from a C++ build of this file with unsafe.Sizeof/Offsetof).
// Only 32-bit fields, so no struct has padding the two languages could
// disagree on. Keep field order, types and sizes in step with params.go.
#ifndef LBRX_PARAMS_H
#define LBRX_PARAMS_H

#ifndef __METAL_VERSION__
#include <cstdint>
typedef uint32_t uint;
#endif

#define LBRX_MAX_RANK 8

// Matmul flags.
#define LBRX_TRANS_A 1u
#define LBRX_TRANS_B 2u

// Elementwise one-input kernels (unary_*, cast_*): out[i] for i < n, out is
// contiguous row-major over shape[0..rank); the input element of output
// coordinate c is in[offset + sum(c[d]*strides[d])] (strides in elements,
// may be 0 or negative).
struct UnaryParams {
    uint n;
    uint rank;
    uint offset;
    uint pad0;
    uint shape[LBRX_MAX_RANK];
    int strides[LBRX_MAX_RANK];
};

// Elementwise binary kernels with broadcasting: as UnaryParams, one stride
// set per input; a broadcast dimension has stride 0.
struct BinaryParams {
    uint n;
    uint rank;
    uint a_offset;
    uint b_offset;
    uint shape[LBRX_MAX_RANK];
    int a_strides[LBRX_MAX_RANK];
    int b_strides[LBRX_MAX_RANK];
};

// Reductions and softmax over the last axis of a [rows, cols] input whose
// rows start row_stride elements apart (elements of a row are contiguous).
struct ReduceParams {
    uint rows;
    uint cols;
    uint row_stride;
    uint pad0;
};

// C[z] = op(A[z]) x op(B[z]) for z < batch; A is MxK, B is KxN, C is MxN.
// A(m,k) = a[z*a_batch_stride + m*lda + k], or a[... + k*lda + m] with
// LBRX_TRANS_A; B(k,n) = b[z*b_batch_stride + k*ldb + n], or
// b[... + n*ldb + k] with LBRX_TRANS_B; C(m,n) = c[z*c_batch_stride + m*ldc + n].
// A batch stride of 0 broadcasts that operand over the batch.
struct MatmulParams {
    uint M;
    uint N;
    uint K;
    uint batch;
    uint lda;
    uint ldb;
    uint ldc;
    uint flags;
    uint a_batch_stride;
    uint b_batch_stride;
    uint c_batch_stride;
    uint pad0;
};

// Quantized y = x * W^T: x is [M, K] (rows x_row_stride elements apart),
// W is [N, K] quantized along K, y is [M, N] contiguous.
// MLX affine: group_size in {32, 64, 128}, bits in {2, 4, 8}; W's codes are
// uint32 words [N, K*bits/32], scales and biases [N, K/group_size].
// GGML Q8_0/Q4_0: group_size is 32 and bits is ignored; W is N rows of
// K/32 blocks each.
struct QuantParams {
    uint M;
    uint N;
    uint K;
    uint group_size;
    uint bits;
    uint x_row_stride;
    uint pad0;
    uint pad1;
};

// rms_norm over rows rows of cols contiguous elements (row r starts at
// r*cols, as does its output row): y = x / sqrt(mean(x^2) + eps) * w.
struct RMSNormParams {
    uint rows;
    uint cols;
    float eps;
    uint pad0;
};

// rope over pairs = n*half_dim rotation pairs: head vector i (of n, each
// 2*half_dim contiguous elements) sits at position (i / heads) % positions
// and rotates its pair (j, j + half_dim) by row position, column j of the
// [positions, half_dim] f32 cos/sin tables.
struct RoPEParams {
    uint pairs;
    uint half_dim;
    uint heads;
    uint positions;
};

// causal_attention: rows = batch*tq*hq query rows of d elements; q is
// [batch, tq, hq, d], k and v [batch, tk, hkv, d], out like q, all
// contiguous. Query i of a batch sees keys 0..i+tk-tq; query head h reads
// key/value head h/(hq/hkv). scale multiplies the dot products. window > 0
// narrows query i to keys i+tk-tq-window+1..i+tk-tq (a sliding window);
// softcap > 0 maps each scaled score s to softcap*tanh(s/softcap).
struct AttentionParams {
    uint rows;
    uint tq;
    uint hq;
    uint tk;
    uint hkv;
    uint d;
    float scale;
    uint window;
    float softcap;
    uint pad0;
};

// concat_*: copies one input into its place in the output. Input element i
// (row-major over shape[0..rank), at in[offset + sum(c[d]*strides[d])] as
// in UnaryParams) goes to out[dst_offset + (i / block)*dst_stride + i % block]:
// the input is outer blocks of block elements, dst_stride apart in the
// output.
struct ConcatParams {
    uint n;
    uint rank;
    uint offset;
    uint block;
    uint dst_offset;
    uint dst_stride;
    uint pad0;
    uint pad1;
    uint shape[LBRX_MAX_RANK];
    int strides[LBRX_MAX_RANK];
};

#endif
