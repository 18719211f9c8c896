// Affine 4/8-bit quantized products for a few activation rows (a decode
// batch): y[m, n] = sum_k x[m, k] * (s*q + b)[n, k] for M <= QMM_MAXM rows
// of x, W in MLX's affine layout (FORMATS.md section 2). One warp per
// output row n, its lanes taking 16-byte chunks of the row's codes in
// turn, so a row of any width keeps every lane busy (quant.cu's
// block-per-rows kernel leaves most threads idle on rows of 2048 4-bit
// codes). Each chunk is dequantized once into registers and used for all
// M rows of x, which the block stages in shared memory as floats, one
// tile of QMM_TILE columns at a time, converted once for its 8 warps;
// tiles are padded by 4 floats after every 32 so that the lanes' 16-byte
// reads of consecutive chunks fall in distinct banks.

#define QMM_MAXM 8
#define QMM_WARPS 8
#define QMM_TILE 1024

// The shared-memory index of tile column i.
__device__ __forceinline__ int qmm_pad(int i) { return i + ((i >> 5) << 2); }

// The 16-byte chunk of codes, LSB first in each word, as s*q + b.
template <int BITS>
__device__ __forceinline__ void qmm_dequant(const uint4& q, float s, float b, float* v) {
    const u32 w[4] = {q.x, q.y, q.z, q.w};
    constexpr int PW = 32 / BITS;  // codes per word
    constexpr u32 MASK = (1u << BITS) - 1;
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < PW; ++j) v[i * PW + j] = fmaf(s, (float)((w[i] >> (BITS * j)) & MASK), b);
}

template <int BITS, class T, class S>
__device__ __forceinline__ void qmm_affine(const T* x, const uint4* w, const S* scales, const S* biases, T* y, i32 M,
                                           i32 N, i32 K, i32 gs) {
    constexpr int PER = 128 / BITS;  // codes per chunk
    // The x tile, padded; declared as float4 for its 16-byte alignment.
    __shared__ float4 xs4[QMM_MAXM][(QMM_TILE + QMM_TILE / 8) / 4];
    float(*xs)[QMM_TILE + QMM_TILE / 8] = (float(*)[QMM_TILE + QMM_TILE / 8])xs4;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const i32 n = blockIdx.x * QMM_WARPS + warp;
    const bool live = n < N;
    const u32 chunks = (u32)K / PER;
    const int gshift = __ffs(gs) - 1;
    const u32 groups = (u32)K >> gshift;
    const uint4* wr = w + (u64)(live ? n : 0) * chunks;
    const u64 soff = (u64)(live ? n : 0) * groups;
    float acc[QMM_MAXM];
#pragma unroll
    for (int m = 0; m < QMM_MAXM; ++m) acc[m] = 0.f;
    for (i32 k0 = 0; k0 < K; k0 += QMM_TILE) {
        const i32 tk = min((i32)QMM_TILE, K - k0);  // a multiple of 16: K*BITS is of 128
        __syncthreads();                            // the last tile is read
        for (i32 i = threadIdx.x; i < M * (tk / 8); i += blockDim.x) {
            const i32 m = i / (tk / 8), kk = (i % (tk / 8)) * 8;
            float v[8];
            ld8(x, (i64)m * K + k0 + kk, v);
            float* d = &xs[m][qmm_pad(kk)];  // 8 columns never straddle a padded run of 32
#pragma unroll
            for (int j = 0; j < 8; ++j) d[j] = v[j];
        }
        __syncthreads();
        if (!live) continue;
        for (u32 c = (u32)k0 / PER + lane; c < (u32)(k0 + tk) / PER; c += 32) {
            const u32 g = (c * PER) >> gshift;
            float wv[PER];
            qmm_dequant<BITS>(wr[c], ld(scales, (i64)(soff + g)), ld(biases, (i64)(soff + g)), wv);
            const int base = qmm_pad((int)(c * PER - (u32)k0));
#pragma unroll
            for (int m = 0; m < QMM_MAXM; ++m) {
                if (m >= M) break;
                const float4* xp = (const float4*)&xs[m][base];
                float d0 = 0.f, d1 = 0.f;
#pragma unroll
                for (int j = 0; j < PER / 4; j += 2) {
                    const float4 a = xp[j], b = xp[j + 1];
                    d0 = fmaf(wv[4 * j], a.x, d0);
                    d0 = fmaf(wv[4 * j + 1], a.y, d0);
                    d0 = fmaf(wv[4 * j + 2], a.z, d0);
                    d0 = fmaf(wv[4 * j + 3], a.w, d0);
                    d1 = fmaf(wv[4 * j + 4], b.x, d1);
                    d1 = fmaf(wv[4 * j + 5], b.y, d1);
                    d1 = fmaf(wv[4 * j + 6], b.z, d1);
                    d1 = fmaf(wv[4 * j + 7], b.w, d1);
                }
                acc[m] += d0 + d1;
            }
        }
    }
#pragma unroll
    for (int m = 0; m < QMM_MAXM; ++m) {
        float v = acc[m];
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
        if (lane == 0 && live && m < M) st(y, (i64)m * N + n, v);
    }
}

#define QMM(BITS, T, S) LBRX_IF(T, QMM_(BITS, T, S))
#define QMM_(BITS, T, S)                                                                                       \
    extern "C" __global__ void __launch_bounds__(QMM_WARPS * 32)                                              \
        qmm_affine##BITS##_##T##_##S(const T* x, const uint4* w, const S* scales, const S* biases, T* y, i32 M, \
                                     i32 N, i32 K, i32 gs) {                                                  \
        qmm_affine<BITS, T, S>(x, w, scales, biases, y, M, N, K, gs);                                         \
    }
#define QMM_T(BITS, T) QMM(BITS, T, f32) QMM(BITS, T, f16) QMM(BITS, T, bf16)
QMM_T(4, f32) QMM_T(4, f16) QMM_T(4, bf16)
QMM_T(8, f32) QMM_T(8, f16) QMM_T(8, bf16)
