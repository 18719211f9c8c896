// Quantized y = x * W^T for MLX affine 2/4/8-bit and GGML Q8_0/Q4_0 weights
// (docs/FORMATS.md sections 2 and 3), and the other ggml block types (at
// the end of the file). qmv_*: matrix-vector, one simdgroup
// per 4 rows of W, lanes striding along K, simd_sum per row. qmm_*: the
// tiled matmul of matmul.metal with B(k, n) = dequantized W(n, k).
#include "lbrx_tile.h"

// x(m, k) of the activations.
template <typename D>
struct lbrx_x_a {
    device const typename D::storage* p;
    uint ld;
    inline float at(uint m, uint k) const { return D::load(p[m * ld + k]); }
};

// W(n, k) of MLX affine weights: codes LSB-first in uint32 words along the
// row, w = scale * q + bias per group of gs elements.
template <typename D, uint BITS>
struct lbrx_affine_b {
    device const uint* w;
    device const typename D::storage* scales;
    device const typename D::storage* biases;
    uint nwords;
    uint ngroups;
    uint gs;
    inline float at(uint k, uint n) const {
        const uint per = 32 / BITS;
        uint word = w[n * nwords + k / per];
        uint q = (word >> ((k % per) * BITS)) & ((1u << BITS) - 1u);
        uint g = n * ngroups + k / gs;
        return D::load(scales[g]) * float(q) + D::load(biases[g]);
    }
};

static inline float lbrx_f16_at(device const uchar* b) {
    return float(as_type<half>(ushort(uint(b[0]) | (uint(b[1]) << 8))));
}

static inline int lbrx_i8(uchar v) { return v >= 128 ? int(v) - 256 : int(v); }

// W(n, k) of GGML blocks of 32: KIND 8 = Q8_0 {f16 d; int8 qs[32]},
// KIND 4 = Q4_0 {f16 d; u8 qs[16]} with low nibble = j, high = j + 16.
template <uint KIND>
struct lbrx_ggml_b {
    device const uchar* w;
    uint nb;
    inline float at(uint k, uint n) const {
        const uint bsz = KIND == 8 ? 34u : 18u;
        device const uchar* blk = w + (n * nb + k / 32) * bsz;
        uint j = k % 32;
        float d = lbrx_f16_at(blk);
        if (KIND == 8) {
            return d * float(lbrx_i8(blk[2 + j]));
        }
        uchar byte = blk[2 + (j % 16)];
        int nib = j < 16 ? int(byte & 15) : int(byte >> 4);
        return d * float(nib - 8);
    }
};

template <typename D, uint BITS>
static inline void lbrx_qmv_affine(device const uint* w, device const typename D::storage* scales,
                                   device const typename D::storage* biases, device const typename D::storage* x,
                                   device typename D::storage* y, constant QuantParams& p, uint3 tgid, uint sg,
                                   uint lane) {
    const uint per = 32 / BITS;
    const uint mask = (1u << BITS) - 1u;
    uint m = tgid.y;
    uint nwords = p.K / per;
    uint ngroups = p.K / p.group_size;
    device const typename D::storage* xr = x + m * p.x_row_stride;
    for (uint r = 0; r < 4; r++) {
        uint n = tgid.x * 8 + sg * 4 + r;
        float acc = 0.0f;
        if (n < p.N) {
            device const uint* wr = w + n * nwords;
            for (uint wi = lane; wi < nwords; wi += 32) {
                uint word = wr[wi];
                uint k0 = wi * per;
                uint g = n * ngroups + k0 / p.group_size;
                float qx = 0.0f, sx = 0.0f;
                for (uint j = 0; j < per; j++) {
                    float xv = D::load(xr[k0 + j]);
                    qx += float((word >> (j * BITS)) & mask) * xv;
                    sx += xv;
                }
                acc += D::load(scales[g]) * qx + D::load(biases[g]) * sx;
            }
        }
        acc = simd_sum(acc);
        if (lane == 0 && n < p.N) {
            y[m * p.N + n] = D::store(acc);
        }
    }
}

template <uint KIND>
static inline void lbrx_qmv_ggml(device const uchar* w, device const float* x, device float* y,
                                 constant QuantParams& p, uint3 tgid, uint sg, uint lane) {
    const uint bsz = KIND == 8 ? 34u : 18u;
    uint m = tgid.y;
    uint nb = p.K / 32;
    device const float* xr = x + m * p.x_row_stride;
    for (uint r = 0; r < 4; r++) {
        uint n = tgid.x * 8 + sg * 4 + r;
        float acc = 0.0f;
        if (n < p.N) {
            for (uint b = lane; b < nb; b += 32) {
                device const uchar* blk = w + (n * nb + b) * bsz;
                device const float* xb = xr + b * 32;
                float s = 0.0f;
                if (KIND == 8) {
                    for (uint j = 0; j < 32; j++) {
                        s += float(lbrx_i8(blk[2 + j])) * xb[j];
                    }
                } else {
                    for (uint j = 0; j < 16; j++) {
                        uchar byte = blk[2 + j];
                        s += float(int(byte & 15) - 8) * xb[j] + float(int(byte >> 4) - 8) * xb[j + 16];
                    }
                }
                acc += lbrx_f16_at(blk) * s;
            }
        }
        acc = simd_sum(acc);
        if (lane == 0 && n < p.N) {
            y[m * p.N + n] = acc;
        }
    }
}

#define LBRX_QAFFINE(B, SFX, D)                                                                     \
    kernel void qmv_affine##B##_##SFX(                                                              \
        device const uint* w [[buffer(0)]], device const D::storage* scales [[buffer(1)]],          \
        device const D::storage* biases [[buffer(2)]], device const D::storage* x [[buffer(3)]],    \
        device D::storage* y [[buffer(4)]], constant QuantParams& p [[buffer(5)]],                  \
        uint3 tgid [[threadgroup_position_in_grid]], uint sg [[simdgroup_index_in_threadgroup]],    \
        uint lane [[thread_index_in_simdgroup]]) {                                                  \
        lbrx_qmv_affine<D, B>(w, scales, biases, x, y, p, tgid, sg, lane);                          \
    }                                                                                               \
    kernel void qmm_affine##B##_##SFX(                                                              \
        device const uint* w [[buffer(0)]], device const D::storage* scales [[buffer(1)]],          \
        device const D::storage* biases [[buffer(2)]], device const D::storage* x [[buffer(3)]],    \
        device D::storage* y [[buffer(4)]], constant QuantParams& p [[buffer(5)]],                  \
        threadgroup float* tg [[threadgroup(0)]], uint3 tgid [[threadgroup_position_in_grid]],      \
        uint3 tid [[thread_position_in_threadgroup]]) {                                             \
        lbrx_x_a<D> la = {x, p.x_row_stride};                                                       \
        lbrx_affine_b<D, B> lb = {w, scales, biases, p.K * B / 32, p.K / p.group_size, p.group_size}; \
        lbrx_mm_tiled<D>(la, lb, y, p.N, p.M, p.N, p.K, tg, uint2(tgid.x, tgid.y), uint2(tid.x, tid.y)); \
    }

LBRX_QAFFINE(2, f32, lbrx_f32)
LBRX_QAFFINE(2, f16, lbrx_f16)
LBRX_QAFFINE(2, bf16, lbrx_bf16)
LBRX_QAFFINE(4, f32, lbrx_f32)
LBRX_QAFFINE(4, f16, lbrx_f16)
LBRX_QAFFINE(4, bf16, lbrx_bf16)
LBRX_QAFFINE(8, f32, lbrx_f32)
LBRX_QAFFINE(8, f16, lbrx_f16)
LBRX_QAFFINE(8, bf16, lbrx_bf16)

#define LBRX_QGGML(KIND, NAME)                                                                      \
    kernel void qmv_##NAME##_f32(device const uchar* w [[buffer(0)]], device const float* x [[buffer(1)]], \
                                 device float* y [[buffer(2)]], constant QuantParams& p [[buffer(3)]], \
                                 uint3 tgid [[threadgroup_position_in_grid]],                       \
                                 uint sg [[simdgroup_index_in_threadgroup]],                        \
                                 uint lane [[thread_index_in_simdgroup]]) {                         \
        lbrx_qmv_ggml<KIND>(w, x, y, p, tgid, sg, lane);                                            \
    }                                                                                               \
    kernel void qmm_##NAME##_f32(device const uchar* w [[buffer(0)]], device const float* x [[buffer(1)]], \
                                 device float* y [[buffer(2)]], constant QuantParams& p [[buffer(3)]], \
                                 threadgroup float* tg [[threadgroup(0)]],                          \
                                 uint3 tgid [[threadgroup_position_in_grid]],                       \
                                 uint3 tid [[thread_position_in_threadgroup]]) {                    \
        lbrx_x_a<lbrx_f32> la = {x, p.x_row_stride};                                                \
        lbrx_ggml_b<KIND> lb = {w, p.K / 32};                                                       \
        lbrx_mm_tiled<lbrx_f32>(la, lb, y, p.N, p.M, p.N, p.K, tg, uint2(tgid.x, tgid.y), uint2(tid.x, tid.y)); \
    }

LBRX_QGGML(8, q8_0)
LBRX_QGGML(4, q4_0)

// The other ggml block types of GGUF models, read in place: Q4_1, Q5_0,
// Q5_1, IQ4_NL (32-value blocks) and Q2_K, Q3_K, Q4_K, Q5_K, Q6_K
// (256-value super-blocks), for x in f32, f16 and bf16.
// Layouts: ggml-common.h, docs/FORMATS.md; core/gguf/dequant.go is the
// reference decoder the MSL check compares against.
//
// lbrx_gvalue<T> decodes value j of one block, with ggml's own rounding
// (each product rounded before the next addition). qmv_<type>_<dt>: one
// simdgroup per 4 rows of W, lanes taking 32-value chunks along K (so each
// block is fetched once), simd_sum per row. qmm_<type>_<dt>: the tiled
// matmul of lbrx_tile.h with B(k, n) = W(n, k) decoded into threadgroup
// memory a tile at a time (never a full dequantized copy).

#define LBRX_G_Q4_1 0
#define LBRX_G_Q5_0 1
#define LBRX_G_Q5_1 2
#define LBRX_G_IQ4_NL 3
#define LBRX_G_Q2_K 4
#define LBRX_G_Q3_K 5
#define LBRX_G_Q4_K 6
#define LBRX_G_Q5_K 7
#define LBRX_G_Q6_K 8

// Values and bytes per block of each type.
static inline uint lbrx_gqk(uint t) { return t >= LBRX_G_Q2_K ? 256u : 32u; }
static inline uint lbrx_gbytes(uint t) {
    switch (t) {
    case LBRX_G_Q4_1: return 20u;
    case LBRX_G_Q5_0: return 22u;
    case LBRX_G_Q5_1: return 24u;
    case LBRX_G_IQ4_NL: return 18u;
    case LBRX_G_Q2_K: return 84u;
    case LBRX_G_Q3_K: return 110u;
    case LBRX_G_Q4_K: return 144u;
    case LBRX_G_Q5_K: return 176u;
    default: return 210u;  // Q6_K
    }
}

static inline uint lbrx_gu32(device const uchar* b) {
    return uint(b[0]) | (uint(b[1]) << 8) | (uint(b[2]) << 16) | (uint(b[3]) << 24);
}

// Value j (0..15) or j+16 of a Q4_0-style nibble array.
static inline uint lbrx_gnib(device const uchar* qs, uint j) {
    uchar b = qs[j % 16];
    return j < 16 ? uint(b & 15) : uint(b >> 4);
}

// The 6-bit scale and min j of Q4_K/Q5_K from their 12 packed bytes.
static inline void lbrx_gscale_min(device const uchar* q, uint j, thread uint& sc, thread uint& m) {
    if (j < 4) {
        sc = uint(q[j] & 63);
        m = uint(q[j + 4] & 63);
    } else {
        sc = uint(q[j + 4] & 15) | (uint(q[j - 4] >> 6) << 4);
        m = uint(q[j + 4] >> 4) | (uint(q[j] >> 6) << 4);
    }
}

template <uint T>
static inline float lbrx_gvalue(device const uchar* b, uint j) {
    if (T == LBRX_G_Q4_1) {
        return lbrx_f16_at(b) * float(lbrx_gnib(b + 4, j)) + lbrx_f16_at(b + 2);
    }
    if (T == LBRX_G_Q5_0 || T == LBRX_G_Q5_1) {
        // Bit j of qh is the fifth bit of value j.
        uint off = T == LBRX_G_Q5_0 ? 2u : 4u;
        uint q = lbrx_gnib(b + off + 4, j) | (((lbrx_gu32(b + off) >> j) & 1u) << 4);
        if (T == LBRX_G_Q5_0) {
            return float(int(q) - 16) * lbrx_f16_at(b);
        }
        return lbrx_f16_at(b) * float(q) + lbrx_f16_at(b + 2);
    }
    if (T == LBRX_G_IQ4_NL) {
        const int kv[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
        return lbrx_f16_at(b) * float(kv[lbrx_gnib(b + 2, j)]);
    }
    // K-quants: j = 128*h + r.
    uint h = j / 128, r = j % 128;
    if (T == LBRX_G_Q2_K) {
        // {scales[16], qs[64], d, dmin}: bits 2(r/32) of qs[32h + r%32],
        // scale/min byte 8h + 2(r/32) + (r%32)/16.
        uint sc = uint(b[8 * h + 2 * (r / 32) + (r % 32) / 16]);
        uint q = (uint(b[16 + 32 * h + r % 32]) >> (2 * (r / 32))) & 3u;
        float dl = lbrx_f16_at(b + 80) * float(sc & 15), ml = lbrx_f16_at(b + 82) * float(sc >> 4);
        return dl * float(q) - ml;
    }
    if (T == LBRX_G_Q3_K) {
        // {hmask[32], qs[64], scales[12], d}: low bits as Q2_K, bit
        // 4h + r/32 of hmask[r%32] (clear: -4), 6-bit scales less 32.
        uint is = 8 * h + 2 * (r / 32) + (r % 32) / 16;
        uint lo = is < 8 ? uint(b[96 + is] & 15) : uint(b[96 + is - 8] >> 4);
        uint hi = (uint(b[104 + is % 4]) >> (2 * (is / 4))) & 3u;
        int sc = int(lo | (hi << 4)) - 32;
        int q = int((uint(b[32 + 32 * h + r % 32]) >> (2 * (r / 32))) & 3u);
        if ((uint(b[r % 32]) & (1u << (4 * h + r / 32))) == 0) {
            q -= 4;
        }
        return (lbrx_f16_at(b + 108) * float(sc)) * float(q);
    }
    if (T == LBRX_G_Q4_K || T == LBRX_G_Q5_K) {
        // Pairs of 32: j = 64p + 32hi + l, scale/min 2p + hi, low (hi = 0)
        // or high nibble of qs[32p + l]; Q5_K adds bit 2p + hi of qh[l].
        uint p = j / 64, hi = (j % 64) / 32, l = j % 32, is = 2 * p + hi;
        uint sc, m;
        lbrx_gscale_min(b + 4, is, sc, m);
        uint qo = T == LBRX_G_Q4_K ? 16u : 48u;
        uint qb = uint(b[qo + 32 * p + l]);
        uint q = hi ? qb >> 4 : qb & 15;
        if (T == LBRX_G_Q5_K) {
            q |= ((uint(b[16 + l]) >> is) & 1u) << 4;
        }
        float d1 = lbrx_f16_at(b) * float(sc), m1 = lbrx_f16_at(b + 2) * float(m);
        return d1 * float(q) - m1;
    }
    // Q6_K {ql[128], qh[64], scales[16] (int8), d}: r = 32t + l takes
    // nibble t/2 of ql[64h + 32(t%2) + l] and bits 2t of qh[32h + l].
    uint t = r / 32, l = r % 32;
    uint ql = uint(b[64 * h + 32 * (t % 2) + l]);
    uint q = (t >= 2 ? ql >> 4 : ql & 15) | (((uint(b[128 + 32 * h + l]) >> (2 * t)) & 3u) << 4);
    int sc = lbrx_i8(b[192 + 8 * h + l / 16 + 2 * t]);
    return (lbrx_f16_at(b + 208) * float(sc)) * float(int(q) - 32);
}

// B(k, n) = W(n, k) of ggml blocks, nb blocks per row.
template <uint T>
struct lbrx_gblock_b {
    device const uchar* w;
    uint nb;
    inline float at(uint k, uint n) const {
        uint qk = lbrx_gqk(T);
        return lbrx_gvalue<T>(w + (n * nb + k / qk) * lbrx_gbytes(T), k % qk);
    }
};

// 64 threads = 2 simdgroups of 4 rows each; lane c takes 32-value chunks
// c, c+32, ... of the row.
template <typename D, uint T>
static inline void lbrx_qmv_gblock(device const uchar* w, device const typename D::storage* x,
                                   device typename D::storage* y, constant QuantParams& p, uint3 tgid, uint sg,
                                   uint lane) {
    const uint qk = lbrx_gqk(T), bsz = lbrx_gbytes(T);
    uint m = tgid.y;
    uint nb = p.K / qk;
    uint chunks = p.K / 32;
    device const typename D::storage* xr = x + m * p.x_row_stride;
    for (uint r = 0; r < 4; r++) {
        uint n = tgid.x * 8 + sg * 4 + r;
        float acc = 0.0f;
        if (n < p.N) {
            for (uint c = lane; c < chunks; c += 32) {
                uint k0 = c * 32;
                device const uchar* blk = w + (n * nb + k0 / qk) * bsz;
                uint j0 = k0 % qk;
                float s = 0.0f;
                for (uint j = 0; j < 32; j++) {
                    s += lbrx_gvalue<T>(blk, j0 + j) * D::load(xr[k0 + j]);
                }
                acc += s;
            }
        }
        acc = simd_sum(acc);
        if (lane == 0 && n < p.N) {
            y[m * p.N + n] = D::store(acc);
        }
    }
}

#define LBRX_GBLOCK(T, NAME, SFX, D)                                                                  \
    kernel void qmv_##NAME##_##SFX(device const uchar* w [[buffer(0)]], device const D::storage* x [[buffer(1)]], \
                                   device D::storage* y [[buffer(2)]], constant QuantParams& p [[buffer(3)]], \
                                   uint3 tgid [[threadgroup_position_in_grid]],                      \
                                   uint sg [[simdgroup_index_in_threadgroup]],                       \
                                   uint lane [[thread_index_in_simdgroup]]) {                        \
        lbrx_qmv_gblock<D, T>(w, x, y, p, tgid, sg, lane);                                           \
    }                                                                                                \
    kernel void qmm_##NAME##_##SFX(device const uchar* w [[buffer(0)]], device const D::storage* x [[buffer(1)]], \
                                   device D::storage* y [[buffer(2)]], constant QuantParams& p [[buffer(3)]], \
                                   threadgroup float* tg [[threadgroup(0)]],                         \
                                   uint3 tgid [[threadgroup_position_in_grid]],                      \
                                   uint3 tid [[thread_position_in_threadgroup]]) {                   \
        lbrx_x_a<D> la = {x, p.x_row_stride};                                                        \
        lbrx_gblock_b<T> lb = {w, p.K / lbrx_gqk(T)};                                                \
        lbrx_mm_tiled<D>(la, lb, y, p.N, p.M, p.N, p.K, tg, uint2(tgid.x, tgid.y), uint2(tid.x, tid.y)); \
    }
#define LBRX_GBLOCK_DT(T, NAME)                                                                      \
    LBRX_GBLOCK(T, NAME, f32, lbrx_f32) LBRX_GBLOCK(T, NAME, f16, lbrx_f16) LBRX_GBLOCK(T, NAME, bf16, lbrx_bf16)

LBRX_GBLOCK_DT(LBRX_G_Q4_1, q4_1)
LBRX_GBLOCK_DT(LBRX_G_Q5_0, q5_0)
LBRX_GBLOCK_DT(LBRX_G_Q5_1, q5_1)
LBRX_GBLOCK_DT(LBRX_G_IQ4_NL, iq4_nl)
LBRX_GBLOCK_DT(LBRX_G_Q2_K, q2_k)
LBRX_GBLOCK_DT(LBRX_G_Q3_K, q3_k)
LBRX_GBLOCK_DT(LBRX_G_Q4_K, q4_k)
LBRX_GBLOCK_DT(LBRX_G_Q5_K, q5_k)
LBRX_GBLOCK_DT(LBRX_G_Q6_K, q6_k)
