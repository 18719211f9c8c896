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

#endif
