// Tile routines shared by matmul.metal and quant.metal: a 32x32 output
// tile per threadgroup, K stepped by 16, out-of-range A/B elements loaded as
// 0 and out-of-range C elements never stored, so every M, N, K (K == 0
// too) is handled. Operands come through loader objects (at(row, col) ->
// float), so the quantized kernels reuse the tiles with a dequantizing B.
#ifndef LBRX_TILE_H
#define LBRX_TILE_H

#include "lbrx_common.h"

#define LBRX_TILE 32
#define LBRX_TK 16
#define LBRX_LD 36  // padded row length (floats) of the 32-wide tiles

// A(m, k) of a dense, optionally transposed operand.
template <typename D>
struct lbrx_dense_a {
    device const typename D::storage* p;
    uint ld;
    bool trans;
    inline float at(uint m, uint k) const { return D::load(trans ? p[k * ld + m] : p[m * ld + k]); }
};

// B(k, n) of a dense, optionally transposed operand.
template <typename D>
struct lbrx_dense_b {
    device const typename D::storage* p;
    uint ld;
    bool trans;
    inline float at(uint k, uint n) const { return D::load(trans ? p[n * ld + k] : p[k * ld + n]); }
};

// threadgroup(0) layout: As [16][36] (k-major), Bs [16][36]: 4608 bytes.
// 256 threads as 16x16; thread (tx, ty) owns C rows ty, ty+16 and columns
// tx, tx+16 of the tile.
template <typename D, typename LA, typename LB>
static inline void lbrx_mm_tiled(thread const LA& la, thread const LB& lb, device typename D::storage* c, uint ldc,
                                 uint M, uint N, uint K, threadgroup float* tg, uint2 tgid, uint2 tid) {
    threadgroup float* as = tg;
    threadgroup float* bs = tg + LBRX_TK * LBRX_LD;
    uint tx = tid.x;
    uint ty = tid.y;
    uint l = ty * 16 + tx;
    uint row0 = tgid.y * LBRX_TILE;
    uint col0 = tgid.x * LBRX_TILE;
    float acc00 = 0.0f, acc01 = 0.0f, acc10 = 0.0f, acc11 = 0.0f;
    for (uint k0 = 0; k0 < K; k0 += LBRX_TK) {
        for (uint e = l; e < LBRX_TILE * LBRX_TK; e += 256) {
            uint m = e / LBRX_TK, k = e % LBRX_TK;
            uint gm = row0 + m, gk = k0 + k;
            as[k * LBRX_LD + m] = (gm < M && gk < K) ? la.at(gm, gk) : 0.0f;
            uint kb = e / LBRX_TILE, n = e % LBRX_TILE;
            uint gkb = k0 + kb, gn = col0 + n;
            bs[kb * LBRX_LD + n] = (gkb < K && gn < N) ? lb.at(gkb, gn) : 0.0f;
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
        for (uint kk = 0; kk < LBRX_TK; kk++) {
            float a0 = as[kk * LBRX_LD + ty];
            float a1 = as[kk * LBRX_LD + ty + 16];
            float b0 = bs[kk * LBRX_LD + tx];
            float b1 = bs[kk * LBRX_LD + tx + 16];
            acc00 += a0 * b0;
            acc01 += a0 * b1;
            acc10 += a1 * b0;
            acc11 += a1 * b1;
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
    }
    uint r0 = row0 + ty, r1 = row0 + ty + 16;
    uint c0 = col0 + tx, c1 = col0 + tx + 16;
    if (r0 < M && c0 < N) c[r0 * ldc + c0] = D::store(acc00);
    if (r0 < M && c1 < N) c[r0 * ldc + c1] = D::store(acc01);
    if (r1 < M && c0 < N) c[r1 * ldc + c0] = D::store(acc10);
    if (r1 < M && c1 < N) c[r1 * ldc + c1] = D::store(acc11);
}

// threadgroup(0) layout: As [32][20] (m-major), Bs [16][36], Cs [32][36]:
// 9472 bytes. 128 threads = 4 simdgroups in a 2x2 arrangement, each owning
// a 16x16 quarter of the tile as 2x2 simdgroup_float8x8 accumulators. The
// result goes through Cs so that edge tiles store only in-range elements.
template <typename D, typename LA, typename LB>
static inline void lbrx_mm_simd(thread const LA& la, thread const LB& lb, device typename D::storage* c, uint ldc,
                                uint M, uint N, uint K, threadgroup float* tg, uint2 tgid, uint lid, uint sg) {
    const uint lda = LBRX_TK + 4;
    threadgroup float* as = tg;
    threadgroup float* bs = tg + LBRX_TILE * lda;
    threadgroup float* cs = bs + LBRX_TK * LBRX_LD;
    uint sr = sg / 2, sc = sg % 2;
    uint row0 = tgid.y * LBRX_TILE;
    uint col0 = tgid.x * LBRX_TILE;
    simdgroup_float8x8 acc[2][2];
    for (uint i = 0; i < 2; i++) {
        for (uint j = 0; j < 2; j++) {
            acc[i][j] = make_filled_simdgroup_matrix<float, 8, 8>(0.0f);
        }
    }
    for (uint k0 = 0; k0 < K; k0 += LBRX_TK) {
        for (uint e = lid; e < LBRX_TILE * LBRX_TK; e += 128) {
            uint m = e / LBRX_TK, k = e % LBRX_TK;
            uint gm = row0 + m, gk = k0 + k;
            as[m * lda + k] = (gm < M && gk < K) ? la.at(gm, gk) : 0.0f;
            uint kb = e / LBRX_TILE, n = e % LBRX_TILE;
            uint gkb = k0 + kb, gn = col0 + n;
            bs[kb * LBRX_LD + n] = (gkb < K && gn < N) ? lb.at(gkb, gn) : 0.0f;
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
        for (uint kk = 0; kk < LBRX_TK; kk += 8) {
            simdgroup_float8x8 a[2];
            simdgroup_float8x8 b[2];
            for (uint i = 0; i < 2; i++) {
                simdgroup_load(a[i], as + (sr * 16 + i * 8) * lda + kk, lda);
                simdgroup_load(b[i], bs + kk * LBRX_LD + sc * 16 + i * 8, LBRX_LD);
            }
            for (uint i = 0; i < 2; i++) {
                for (uint j = 0; j < 2; j++) {
                    simdgroup_multiply_accumulate(acc[i][j], a[i], b[j], acc[i][j]);
                }
            }
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
    }
    for (uint i = 0; i < 2; i++) {
        for (uint j = 0; j < 2; j++) {
            simdgroup_store(acc[i][j], cs + (sr * 16 + i * 8) * LBRX_LD + sc * 16 + j * 8, LBRX_LD);
        }
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
    for (uint e = lid; e < LBRX_TILE * LBRX_TILE; e += 128) {
        uint m = e / LBRX_TILE, n = e % LBRX_TILE;
        if (row0 + m < M && col0 + n < N) {
            c[(row0 + m) * ldc + col0 + n] = D::store(cs[m * LBRX_LD + n]);
        }
    }
}

#endif
