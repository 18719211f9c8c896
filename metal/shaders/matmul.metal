// Dense matmul: a threadgroup-memory tiled kernel for every GPU
// (matmul_<dt>) and a simdgroup_matrix kernel for Apple7+ (matmul_simd_<dt>),
// both over the tile routines of lbrx_tile.h.
#include "lbrx_tile.h"

#define LBRX_MATMUL_ARGS(D)                                                                         \
    device const D::storage* a [[buffer(0)]], device const D::storage* b [[buffer(1)]],             \
        device D::storage* c [[buffer(2)]], constant MatmulParams& p [[buffer(3)]],                 \
        threadgroup float* tg [[threadgroup(0)]], uint3 tgid [[threadgroup_position_in_grid]]

#define LBRX_MATMUL(SFX, D)                                                                         \
    kernel void matmul_##SFX(LBRX_MATMUL_ARGS(D), uint3 tid [[thread_position_in_threadgroup]]) {   \
        lbrx_dense_a<D> la = {a + tgid.z * p.a_batch_stride, p.lda, (p.flags & LBRX_TRANS_A) != 0}; \
        lbrx_dense_b<D> lb = {b + tgid.z * p.b_batch_stride, p.ldb, (p.flags & LBRX_TRANS_B) != 0}; \
        lbrx_mm_tiled<D>(la, lb, c + tgid.z * p.c_batch_stride, p.ldc, p.M, p.N, p.K, tg,           \
                         uint2(tgid.x, tgid.y), uint2(tid.x, tid.y));                               \
    }                                                                                               \
    kernel void matmul_simd_##SFX(LBRX_MATMUL_ARGS(D), uint lid [[thread_index_in_threadgroup]],    \
                                  uint sg [[simdgroup_index_in_threadgroup]]) {                     \
        lbrx_dense_a<D> la = {a + tgid.z * p.a_batch_stride, p.lda, (p.flags & LBRX_TRANS_A) != 0}; \
        lbrx_dense_b<D> lb = {b + tgid.z * p.b_batch_stride, p.ldb, (p.flags & LBRX_TRANS_B) != 0}; \
        lbrx_mm_simd<D>(la, lb, c + tgid.z * p.c_batch_stride, p.ldc, p.M, p.N, p.K, tg,            \
                        uint2(tgid.x, tgid.y), lid, sg);                                            \
    }

LBRX_MATMUL(f32, lbrx_f32)
LBRX_MATMUL(f16, lbrx_f16)
LBRX_MATMUL(bf16, lbrx_bf16)
