// Quantized y = x * W^T for MLX affine 2/4/8-bit and GGML Q8_0/Q4_0 weights
// (docs/FORMATS.md sections 2 and 3). qmv_*: matrix-vector, one simdgroup
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
