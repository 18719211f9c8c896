// Quantized matrix-vector products y[m, n] = sum_k x[m, k] * W[n, k] with W
// in MLX's affine layout (codes LSB-first in uint32 words along each row,
// w = scale*q + bias per group) or in ggml's Q8_0/Q4_0 blocks, and
// dequantization of the affine layout for its matrix-matrix path (which
// then runs through cuBLAS; ggml blocks have their own matrix-matrix
// kernel in ggml.cu). FORMATS.md sections 2 and 3 give the layouts.

#define QMV_MAXM 8   // x rows per launch
#define QMV_WARPS 8  // warps per block

__device__ __forceinline__ float ldf(const f32* p, i64 i) { return p[i]; }
__device__ __forceinline__ float ldf(const f16* p, i64 i) { return h2f(p[i].x); }
__device__ __forceinline__ float ldf(const bf16* p, i64 i) { return b2f(p[i].x); }

// A value rounded to the storage type T and widened back.
__device__ __forceinline__ float rnd_as(const f16*, float v) { return h2f(f2h(v)); }
__device__ __forceinline__ float rnd_as(const bf16*, float v) { return b2f(f2b(v)); }
__device__ __forceinline__ float rnd_as(const f32*, float v) { return v; }

// Eight x values of activation row m from element i (a multiple of 8):
// x [M, K] itself, or with GLU the gated activation silu(g) * u of
// x = [g | u] [M, 2K], rounded to T as silu_mul would store it
// (silu_mul_matmul: the down projection reads it without a pass of its
// own).
template <bool GLU, class T>
__device__ __forceinline__ void ld8x(const T* x, i64 m, i64 K, i64 i, float* v) {
    if (!GLU) {
        ld8(x, m * K + i, v);
        return;
    }
    float g[8], u[8];
    ld8(x, m * 2 * K + i, g);
    ld8(x, m * 2 * K + K + i, u);
#pragma unroll
    for (int j = 0; j < 8; ++j) v[j] = rnd_as(x, g[j] / (1.f + m_exp(-g[j])) * u[j]);
}

// Code k of a byte-per-code word as a float: PRMT builds the float
// 2^23 + byte (0x4B0000bb) in one instruction and a subtraction leaves the
// byte, avoiding the integer-to-float unit, which runs at a quarter of the
// FMA rate and bounds these kernels otherwise.
__device__ __forceinline__ float byte_to_float(u32 w, int k) {
    return __uint_as_float(__byte_perm(w, 0x4B000000u, 0x7540u | (u32)k)) - 8388608.f;
}

// Sixteen bytes of codes as floats: 32 4-bit codes (low nibbles give the
// even codes of each word, high nibbles the odd ones) or 16 8-bit codes.
// 4-bit codes come out as 128+q: PRMT puts the nibble's byte under the
// exponent of 128 (0x43000000 | q<<16 is 128 + q exactly), which saves the
// subtraction; the caller takes 128*sum(x) off the dot product once per
// chunk. 8-bit codes would reach the exponent that way, so they use
// byte_to_float.
template <int BITS>
__device__ __forceinline__ void codes_to_float(const uint4& q, float* v) {
    const u32 w[4] = {q.x, q.y, q.z, q.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        if (BITS == 4) {
            const u32 lo = w[i] & 0x0F0F0F0Fu, hi = (w[i] >> 4) & 0x0F0F0F0Fu;
#pragma unroll
            for (int b = 0; b < 4; ++b) {
                // Selector: byte 2 from the code's byte b, byte 3 = 0x43
                // (byte 7 of the pair), bytes 0 and 1 zero (bytes 4, 5).
                v[i * 8 + 2 * b] = __uint_as_float(__byte_perm(lo, 0x43000000u, 0x7054u | ((u32)b << 8)));
                v[i * 8 + 2 * b + 1] = __uint_as_float(__byte_perm(hi, 0x43000000u, 0x7054u | ((u32)b << 8)));
            }
        } else {
#pragma unroll
            for (int b = 0; b < 4; ++b) v[i * 4 + b] = byte_to_float(w[i], b);
        }
    }
}

// codeBias is what codes_to_float adds to each code.
template <int BITS> struct CodeBias { static constexpr float v = 0.f; };
template <> struct CodeBias<4> { static constexpr float v = 128.f; };

// Weights are read once: load them around L1, which then keeps x.
__device__ __forceinline__ uint4 ld_stream(const uint4* p) {
    uint4 v;
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
        : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
        : "l"(p));
    return v;
}

// One 16-byte chunk of one output row's affine codes q (scale s, bias b)
// against the PER inputs xv whose sum is xs: s·Σx·code + b·Σx, the dot in
// two chains with codes_to_float's offset (CodeBias) taken back out. The
// matrix-vector kernels all sum a chunk this way.
template <int BITS, int PER>
__device__ __forceinline__ float affine_chunk(const float* xv, float xs, const uint4& q, float s, float b) {
    float v[PER];
    codes_to_float<BITS>(q, v);
    float d0 = 0.f, d1 = 0.f;
#pragma unroll
    for (int j = 0; j < PER; j += 2) {
        d0 = fmaf(xv[j], v[j], d0);
        d1 = fmaf(xv[j + 1], v[j + 1], d1);
    }
    return s * ((d0 + d1) - CodeBias<BITS>::v * xs) + b * xs;
}

// Affine matrix-vector for 4- and 8-bit codes. A block of QMV_WARPS warps
// computes ROWS outputs for up to MAXM activation rows, its threads
// splitting K: each takes 16-byte chunks of codes (32 4-bit or 16 8-bit
// values, inside one group because group sizes are multiples of 32) from
// all ROWS rows, so one load of x feeds ROWS rows; per group,
// sum x*(s*q+b) = s*sum(x*q) + b*sum(x). With PF the next chunk's codes
// are loaded before the current one is used, so each thread keeps two
// loads in flight. Partial sums meet in shared memory.
template <int BITS, int MAXM, int ROWS, bool PF, class T, class S, bool GLU = false>
__device__ __forceinline__ void qmv_affine(const T* x, const uint4* w, const S* scales, const S* biases, T* y,
                                           i32 M, i32 N, i32 K, i32 gs) {
    const u32 n0 = blockIdx.x * ROWS;
    constexpr int PER = 128 / BITS;   // codes per 16-byte chunk
    const u32 chunks = (u32)K / PER;  // chunks per row
    // Group sizes are powers of two (the host checks), so the group of a
    // chunk is a shift, and every offset fits 32 bits (checked too): the
    // loop then spends no instructions on division or 64-bit indices.
    const int gshift = __ffs(gs) - 1;
    const u32 groups = (u32)K >> gshift;
    u32 woff[ROWS], soff[ROWS];  // row offsets; a partial last block repeats row N-1
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
        const u32 n = n0 + r < (u32)N ? n0 + r : (u32)N - 1;
        woff[r] = n * chunks;
        soff[r] = n * groups;
    }
    float acc[MAXM][ROWS];
#pragma unroll
    for (int m = 0; m < MAXM; ++m)
#pragma unroll
        for (int r = 0; r < ROWS; ++r) acc[m][r] = 0.f;

    uint4 q[ROWS];
    float s[ROWS], b[ROWS];
    u32 c = threadIdx.x;
#define QMV_LOAD(cc, Q, SS, BB)                                  \
    {                                                            \
        const u32 g_ = ((cc) * PER) >> gshift;                   \
        _Pragma("unroll") for (int r = 0; r < ROWS; ++r) {       \
            Q[r] = ld_stream(w + (woff[r] + (cc)));              \
            SS[r] = ldf(scales, soff[r] + g_);                   \
            BB[r] = ldf(biases, soff[r] + g_);                   \
        }                                                        \
    }
    if (c < chunks) QMV_LOAD(c, q, s, b)
    while (c < chunks) {
        const u32 cn = c + blockDim.x;
        uint4 qn[ROWS];
        float sn[ROWS], bn[ROWS];
        if (PF && cn < chunks) QMV_LOAD(cn, qn, sn, bn)
#pragma unroll
        for (int m = 0; m < MAXM; ++m) {
            if (m >= M) break;
            float xv[PER];
            float xs = 0.f;
#pragma unroll
            for (int h = 0; h < PER / 8; ++h) ld8x<GLU>(x, (i64)m, (i64)K, (i64)(c * PER + h * 8), xv + h * 8);
#pragma unroll
            for (int j = 0; j < PER; ++j) xs += xv[j];
#pragma unroll
            for (int r = 0; r < ROWS; ++r) acc[m][r] += affine_chunk<BITS, PER>(xv, xs, q[r], s[r], b[r]);
        }
        if (PF) {
#pragma unroll
            for (int r = 0; r < ROWS; ++r) { q[r] = qn[r]; s[r] = sn[r]; b[r] = bn[r]; }
        } else if (cn < chunks) {
            QMV_LOAD(cn, q, s, b)
        }
        c = cn;
    }
#undef QMV_LOAD
    __shared__ float part[QMV_WARPS][MAXM * ROWS];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
    for (int m = 0; m < MAXM; ++m)
#pragma unroll
        for (int r = 0; r < ROWS; ++r) {
            const float v = warp_sum(acc[m][r]);
            if (lane == 0) part[warp][m * ROWS + r] = v;
        }
    __syncthreads();
    const int t = threadIdx.x, m = t / ROWS, r = t % ROWS;
    if (t < MAXM * ROWS && m < M && n0 + r < (u32)N) {
        float v = 0.f;
#pragma unroll
        for (int i = 0; i < QMV_WARPS; ++i) v += part[i][t];
        st(y, (i64)m * N + n0 + r, v);
    }
}

// _1rR[p]: one activation row, R outputs per block (more rows share each
// load of x), p with prefetching; _8: up to 8 activation rows, 4 outputs
// per block (the accumulators are MAXM*ROWS registers). Only the variants
// worth keeping are instantiated (README: 16 rows and prefetching measured
// slower on an H100).
#define QMV1(BITS, R, PF, SUF, T, S)                                                                               \
    extern "C" __global__ void __launch_bounds__(QMV_WARPS * 32)                                                   \
        qmv_affine##BITS##_1r##R##SUF##_##T##_##S(const T* x, const uint4* w, const S* scales, const S* biases, T* y, \
                                                  i32 M, i32 N, i32 K, i32 gs) {                                   \
        pdl_entry();                                                                                               \
        qmv_affine<BITS, 1, R, PF, T, S>(x, w, scales, biases, y, M, N, K, gs);                                    \
    }
// _1r8g: _1r8 reading silu(g) * u from x = [g | u] (silu_mul_matmul).
#define QMV1G(BITS, T, S)                                                                                          \
    extern "C" __global__ void __launch_bounds__(QMV_WARPS * 32)                                                   \
        qmv_affine##BITS##_1r8g_##T##_##S(const T* x, const uint4* w, const S* scales, const S* biases, T* y,     \
                                           i32 M, i32 N, i32 K, i32 gs) {                                          \
        pdl_entry();                                                                                               \
        qmv_affine<BITS, 1, 8, false, T, S, true>(x, w, scales, biases, y, M, N, K, gs);                          \
    }
#define QMV(BITS, T, S) LBRX_IF(T, QMV_(BITS, T, S))
#define QMV_(BITS, T, S)                                                                                    \
    QMV1(BITS, 4, false, , T, S) QMV1(BITS, 8, false, , T, S) QMV1G(BITS, T, S)                            \
    extern "C" __global__ void __launch_bounds__(QMV_WARPS * 32)                                           \
        qmv_affine##BITS##_8_##T##_##S(const T* x, const uint4* w, const S* scales, const S* biases, T* y, \
                                       i32 M, i32 N, i32 K, i32 gs) {                                      \
        pdl_entry();                                                                                        \
        qmv_affine<BITS, 8, 4, false, T, S>(x, w, scales, biases, y, M, N, K, gs);                          \
    }
#define QMV_T(BITS, T) QMV(BITS, T, f32) QMV(BITS, T, f16) QMV(BITS, T, bf16)
QMV_T(4, f32) QMV_T(4, f16) QMV_T(4, bf16)
QMV_T(8, f32) QMV_T(8, f16) QMV_T(8, bf16)

// Affine matrix-vector for one activation row, a warp per ROWS outputs:
// the lanes split K in 16-byte chunks of codes, two chunks in flight per
// lane, and the partial sums meet in warp shuffles (no shared memory, no
// barrier). qmv_affine's block of 8 warps splitting K leaves most threads
// idle when K is a decode step's 2048 (64 chunks of 4-bit codes a row for
// 256 threads) and waits at a barrier for the few that work; here every
// lane has a chunk whenever K*BITS >= 4096 and warps finish on their own.
// The sums are taken in another order than qmv_affine's, so outputs
// differ from it in the last bits.
template <int BITS, int ROWS, bool EARLY, class T, class S>
__device__ __forceinline__ void qmv_affine_w(const T* __restrict__ x, const uint4* __restrict__ w,
                                             const S* __restrict__ scales, const S* __restrict__ biases,
                                             T* __restrict__ y, i32 N, i32 K, i32 gs) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const u32 n0 = (blockIdx.x * (blockDim.x >> 5) + warp) * ROWS;
    if (n0 >= (u32)N) return;  // the whole warp: nothing below synchronises the block
    constexpr int PER = 128 / BITS;   // codes per 16-byte chunk
    const u32 chunks = (u32)K / PER;  // chunks per row
    const int gshift = __ffs(gs) - 1;
    const u32 groups = (u32)K >> gshift;
    u32 woff[ROWS], soff[ROWS];  // a partial last warp repeats row N-1
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
        const u32 n = n0 + r < (u32)N ? n0 + r : (u32)N - 1;
        woff[r] = n * chunks;
        soff[r] = n * groups;
    }
    float acc[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; ++r) acc[r] = 0.f;
    // One chunk c of every row: its codes, scale and bias are loaded by
    // the caller (QMVW_LOAD) so that two chunks' loads are in flight.
#define QMVW_LOAD(cc, Q, SS, BB)                                    \
    {                                                               \
        const u32 g_ = ((cc) * PER) >> gshift;                      \
        _Pragma("unroll") for (int r = 0; r < ROWS; ++r) {          \
            Q[r] = ld_stream(w + (woff[r] + (cc)));                 \
            SS[r] = ldf(scales, (i64)(soff[r] + g_));               \
            BB[r] = ldf(biases, (i64)(soff[r] + g_));               \
        }                                                           \
    }
    auto dot = [&](u32 cc, const uint4* q, const float* s, const float* b) {
        float xv[PER];
#pragma unroll
        for (int h = 0; h < PER / 8; ++h) ld8(x, (i64)(cc * PER + h * 8), xv + h * 8);
        float xs = 0.f;
#pragma unroll
        for (int j = 0; j < PER; ++j) xs += xv[j];
#pragma unroll
        for (int r = 0; r < ROWS; ++r) acc[r] += affine_chunk<BITS, PER>(xv, xs, q[r], s[r], b[r]);
    };
    // Chunks c and c+32 of every row are in flight together. With EARLY
    // the first pair is loaded before pdl_entry: the weights are not an
    // output of the kernel before (the host checks: qmvEarly), so their
    // first round trip overlaps that kernel's tail; x is read after.
    u32 c = lane;
    uint4 q0[ROWS], q1[ROWS];
    float s0[ROWS], b0[ROWS], s1[ROWS], b1[ROWS];
    if (c < chunks) QMVW_LOAD(c, q0, s0, b0)
    if (c + 32 < chunks) QMVW_LOAD(c + 32, q1, s1, b1)
    if (EARLY) pdl_entry();
    while (c < chunks) {
        dot(c, q0, s0, b0);
        if (c + 32 < chunks) dot(c + 32, q1, s1, b1);
        c += 64;
        if (c < chunks) QMVW_LOAD(c, q0, s0, b0)
        if (c + 32 < chunks) QMVW_LOAD(c + 32, q1, s1, b1)
    }
#undef QMVW_LOAD
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
        const float v = warp_sum(acc[r]);
        if (lane == 0 && n0 + r < (u32)N) st(y, (i64)(n0 + r), v);
    }
}

// qmv_affine<BITS>_w<R>: one activation row, R outputs a warp, any
// number of warps a block (the host picks 4); _w<R>e loads its first
// chunks before pdl_entry (EARLY).
#define QMVW1(BITS, R, T, S)                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                           \
        qmv_affine##BITS##_w##R##_##T##_##S(const T* x, const uint4* w, const S* scales, const S* biases, T* y, \
                                            i32 N, i32 K, i32 gs) {                                             \
        pdl_entry();                                                                                            \
        qmv_affine_w<BITS, R, false, T, S>(x, w, scales, biases, y, N, K, gs);                                 \
    }                                                                                                           \
    extern "C" __global__ void __launch_bounds__(256)                                                           \
        qmv_affine##BITS##_w##R##e_##T##_##S(const T* x, const uint4* w, const S* scales, const S* biases, T* y, \
                                             i32 N, i32 K, i32 gs) {                                            \
        qmv_affine_w<BITS, R, true, T, S>(x, w, scales, biases, y, N, K, gs);                                  \
    }
#define QMVW(BITS, T, S) LBRX_IF(T, QMVW1(BITS, 1, T, S) QMVW1(BITS, 2, T, S) QMVW1(BITS, 4, T, S))
#define QMVW_T(BITS, T) QMVW(BITS, T, f32) QMVW(BITS, T, f16) QMVW(BITS, T, bf16)
QMVW_T(4, f32) QMVW_T(4, f16) QMVW_T(4, bf16)
QMVW_T(8, f32) QMVW_T(8, f16) QMVW_T(8, bf16)

// Affine products for one to 8 activation rows with integer dot products
// (qmvi_affine<BITS>_r<R>[e] for one row, qmvi_affine<BITS>_m<M>_r<R>[e]
// for up to M): qmv_affine_w's warps (R outputs a warp, lanes splitting K
// in 16-byte chunks, two chunks in flight a lane), but x is quantized to
// 8-bit blocks of 32 (act_q8_into; the host keeps K <= ACTQ_MAXK and a
// multiple of 32) and each code word meets four activation codes in one
// dp4a instead of four conversions and FMAs. Per chunk of one group
// (scale s, bias b) and its activation block (scale d, codes c):
// sum x*(s*q + b) ~ s*(d*sum(q*c)) + b*(d*sum(c)), which is exactly
// sum w*(d*c): the product with the activation as the CPU's integer
// kernels round it. 4-bit chunks are one block of 32 (x in PAIRS order,
// matching the words' low and high nibbles); 8-bit chunks half a block.
//
// One row (GX false) is quantized by every block into its shared memory,
// and so are up to 8 rows of at most QMVI_BLOCK_K columns in the _m8b
// instances (LBRX_CUDA_QMMI_BLOCK, for narrow products where a separate
// quantizing kernel may cost more than it saves).
// Several rows (GX true, a decode batch) are quantized once by
// qmvi_act<BITS> into global memory (flat rows of codes, scales and sums
// of 16 codes), which each block reads through L1: quantizing 8 rows in
// every block of a wide product cost more than the product. Each chunk of
// codes is loaded and unpacked once and dp4a'd against every row's codes.
// Each row's arithmetic is the one-row kernel's, term for term in the
// same order with explicitly rounded operations (no contraction a
// compiler could choose per instance), so row i of an M-row product is
// the same bits as the one-row product of row i alone: a greedy decode
// does not depend on the batch around it.
struct XQ8 {
    const u32* __restrict__ q;    // [M, K/4] codes
    const float* __restrict__ d;  // [M, K/32] scales
    const int* __restrict__ s;    // [M, K/16] sums of 16 codes
};
template <int BITS, int ROWS, int M, int TK, bool GX, bool EARLY, class T, class S>
__device__ __forceinline__ void qmvi_affine(const T* __restrict__ x, XQ8 g, const uint4* __restrict__ w,
                                            const S* __restrict__ scales, const S* __restrict__ biases,
                                            T* __restrict__ y, i32 mr, i32 N, i32 K, i32 gs, i32 n1, i32 n2) {
    __shared__ ActQ8T<GX ? 32 : TK> xq[GX ? 1 : M];  // K <= TK (the host checks)
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const u32 n0 = (blockIdx.x * (blockDim.x >> 5) + warp) * ROWS;
    // A warp past N still quantizes its share of x: the block synchronises.
    const bool live = n0 < (u32)N;
    constexpr int PER = 128 / BITS;   // codes per 16-byte chunk
    const u32 chunks = (u32)K / PER;  // chunks per row
    const int gshift = __ffs(gs) - 1;
    const u32 groups = (u32)K >> gshift;
    u32 woff[ROWS], soff[ROWS];  // a partial last warp repeats row N-1
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
        const u32 n = n0 + r < (u32)N ? n0 + r : (u32)N - 1;
        woff[r] = n * chunks;
        soff[r] = n * groups;
    }
    float acc[M][ROWS];
#pragma unroll
    for (int m = 0; m < M; ++m)
#pragma unroll
        for (int r = 0; r < ROWS; ++r) acc[m][r] = 0.f;
#define QMVI_LOAD(cc, Q, SS, BB)                                    \
    {                                                               \
        const u32 g_ = ((cc) * PER) >> gshift;                      \
        _Pragma("unroll") for (int r = 0; r < ROWS; ++r) {          \
            Q[r] = ld_stream(w + (woff[r] + (cc)));                 \
            SS[r] = ldf(scales, (i64)(soff[r] + g_));               \
            BB[r] = ldf(biases, (i64)(soff[r] + g_));               \
        }                                                           \
    }
    // Activation row m's codes, scales and sums.
    auto xrow = [&](int m, const u32*& q, const float*& d, const int*& s) {
        if (GX) {
            q = g.q + (u32)m * ((u32)K / 4);
            d = g.d + (u32)m * ((u32)K / 32);
            s = g.s + (u32)m * ((u32)K / 16);
        } else {
            q = xq[m].q;
            d = xq[m].d;
            s = xq[m].s;
        }
    };
    // Chunk cc of every output row against every activation row:
    // acc += s*(d*t) + b*(d*sum(c)).
    auto dot = [&](u32 cc, const uint4* q, const float* s, const float* b) {
        if (BITS == 4) {
            u32 qw[ROWS][8];  // low then high nibbles of each word, unpacked once
#pragma unroll
            for (int r = 0; r < ROWS; ++r) {
                const u32 v[4] = {q[r].x, q[r].y, q[r].z, q[r].w};
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    qw[r][2 * i] = v[i] & 0x0F0F0F0Fu;
                    qw[r][2 * i + 1] = (v[i] >> 4) & 0x0F0F0F0Fu;
                }
            }
#pragma unroll
            for (int m = 0; m < M; ++m) {
                if (m >= mr) break;
                const u32* xqm;
                const float* xdm;
                const int* xsm;
                xrow(m, xqm, xdm, xsm);
                const uint4 x0 = ((const uint4*)xqm)[2 * cc], x1 = ((const uint4*)xqm)[2 * cc + 1];
                const u32 xw[8] = {x0.x, x0.y, x0.z, x0.w, x1.x, x1.y, x1.z, x1.w};
                const float d = xdm[cc], ds = __fmul_rn(d, (float)(xsm[2 * cc] + xsm[2 * cc + 1]));
#pragma unroll
                for (int r = 0; r < ROWS; ++r) {
                    int t = 0;
#pragma unroll
                    for (int i = 0; i < 8; ++i) t = dp4a_us(qw[r][i], xw[i], t);
                    acc[m][r] = __fadd_rn(acc[m][r], __fmaf_rn(s[r], __fmul_rn(d, (float)t), __fmul_rn(b[r], ds)));
                }
            }
        } else {
#pragma unroll
            for (int m = 0; m < M; ++m) {
                if (m >= mr) break;
                const u32* xqm;
                const float* xdm;
                const int* xsm;
                xrow(m, xqm, xdm, xsm);
                const uint4 xv = ((const uint4*)xqm)[cc];
                const float d = xdm[cc >> 1], ds = __fmul_rn(d, (float)xsm[cc]);
#pragma unroll
                for (int r = 0; r < ROWS; ++r) {
                    int t = dp4a_us(q[r].x, xv.x, 0);
                    t = dp4a_us(q[r].y, xv.y, t);
                    t = dp4a_us(q[r].z, xv.z, t);
                    t = dp4a_us(q[r].w, xv.w, t);
                    acc[m][r] = __fadd_rn(acc[m][r], __fmaf_rn(s[r], __fmul_rn(d, (float)t), __fmul_rn(b[r], ds)));
                }
            }
        }
    };
    // As in qmv_affine_w, chunks c and c+32 are in flight together, and
    // with EARLY the first pair is loaded before pdl_entry.
    u32 c = lane;
    uint4 q0[ROWS], q1[ROWS];
    float s0[ROWS], b0[ROWS], s1[ROWS], b1[ROWS];
    if (live && c < chunks) QMVI_LOAD(c, q0, s0, b0)
    if (live && c + 32 < chunks) QMVI_LOAD(c + 32, q1, s1, b1)
    if (EARLY) pdl_entry();
    if (!GX) act_q8_rows<BITS == 4>(x, (u32)K, (u32)K, (u32)mr, xq);
    if (!live) return;
    while (c < chunks) {
        dot(c, q0, s0, b0);
        if (c + 32 < chunks) dot(c + 32, q1, s1, b1);
        c += 64;
        if (c < chunks) QMVI_LOAD(c, q0, s0, b0)
        if (c + 32 < chunks) QMVI_LOAD(c + 32, q1, s1, b1)
    }
#undef QMVI_LOAD
    // Outputs [0, n1), [n1, n2) and [n2, N) are parts, each [mr, width]
    // whole, one after another (n1 = n2 = N: one [mr, N]).
    auto store = [&](int m, u32 n, float v) {
        i64 at;
        if (n < (u32)n1)
            at = (i64)m * n1 + n;
        else if (n < (u32)n2)
            at = (i64)mr * n1 + (i64)m * (n2 - n1) + (n - n1);
        else
            at = (i64)mr * n2 + (i64)m * (N - n2) + (n - n2);
        st(y, at, v);
    };
    constexpr int V = M * ROWS;
    if constexpr (M > 1 && V <= 32 && (V & (V - 1)) == 0) {
        // Several rows: one scatter reduction of all M*ROWS sums, each
        // warp_sum's bits in fewer shuffles.
        float flat[V];
#pragma unroll
        for (int m = 0; m < M; ++m)
#pragma unroll
            for (int r = 0; r < ROWS; ++r) flat[m * ROWS + r] = acc[m][r];
        const float v = warp_sum_scatter<V>(flat, lane);
        const int j = warp_scatter_index<V>(lane), m = j / ROWS, r = j % ROWS;
        if (lane % (32 / V) == 0 && m < mr && n0 + r < (u32)N) store(m, n0 + r, v);
    } else {
#pragma unroll
        for (int m = 0; m < M; ++m) {
            if (m >= mr) break;
#pragma unroll
            for (int r = 0; r < ROWS; ++r) {
                const float v = warp_sum(acc[m][r]);
                if (lane == 0 && n0 + r < (u32)N) store(m, n0 + r, v);
            }
        }
    }
}

// qmvi_affine<BITS>_r<R>: one row, R outputs a warp, any number of warps
// a block (the host picks, qmviShape); _r<R>e loads its first chunks
// before pdl_entry.
#define QMVI1(BITS, R, T, S)                                                                                       \
    extern "C" __global__ void __launch_bounds__(256)                                                            \
        qmvi_affine##BITS##_r##R##_##T##_##S(const T* x, const uint4* w, const S* scales, const S* biases, T* y, \
                                             i32 N, i32 K, i32 gs) {                                             \
        pdl_entry();                                                                                             \
        qmvi_affine<BITS, R, 1, ACTQ_MAXK, false, false, T, S>(x, XQ8{}, w, scales, biases, y, 1, N, K, gs, N, N);               \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(256)                                                            \
        qmvi_affine##BITS##_r##R##e_##T##_##S(const T* x, const uint4* w, const S* scales, const S* biases, T* y, \
                                              i32 N, i32 K, i32 gs) {                                            \
        qmvi_affine<BITS, R, 1, ACTQ_MAXK, false, true, T, S>(x, XQ8{}, w, scales, biases, y, 1, N, K, gs, N, N);                \
    }
#define QMVI(BITS, T, S) LBRX_IF(T, QMVI1(BITS, 1, T, S) QMVI1(BITS, 2, T, S) QMVI1(BITS, 4, T, S))
#define QMVI_T(BITS, T) QMVI(BITS, T, f32) QMVI(BITS, T, f16) QMVI(BITS, T, bf16)
QMVI_T(4, f32) QMVI_T(4, f16) QMVI_T(4, bf16)
QMVI_T(8, f32) QMVI_T(8, f16) QMVI_T(8, bf16)

// qmvi_act<BITS>: total values of x [M, K] (K a multiple of 32, so no
// block of 32 straddles two rows) quantized as the one-row kernels do, in
// PAIRS order for 4-bit codes, into flat arrays: codes q[total/4], scales
// d[total/32], sums of 16 codes s[total/16]; 256 threads a block, 2048
// values each.
#define QMVI_ACT(BITS, T)                                                                                       \
    extern "C" __global__ void __launch_bounds__(256)                                                            \
        qmvi_act##BITS##_##T(const T* x, u32* q, float* d, int* s, i32 total) {                                 \
        pdl_entry();                                                                                             \
        const u32 base = blockIdx.x * (blockDim.x * 8), cnt = min(blockDim.x * 8, (u32)total - base);           \
        act_q8_into<BITS == 4>(x + base, cnt, cnt, 1, ActQ8Flat{q + base / 4, d + base / 32, s + base / 16, cnt}); \
    }
LBRX_IF(f32, QMVI_ACT(4, f32) QMVI_ACT(8, f32))
LBRX_IF(f16, QMVI_ACT(4, f16) QMVI_ACT(8, f16))
LBRX_IF(bf16, QMVI_ACT(4, bf16) QMVI_ACT(8, bf16))

// qmvi_affine<BITS>_m<M>_r<R>[e]: mr <= M rows, quantized by qmvi_act
// (xq, xd, xs), times W into y [mr, N], or with n1 < N or n2 < N into
// the parts [mr, n1], [mr, n2-n1], [mr, N-n2] one after another (the
// stacked q/k/v or gate/up weights of core's quantized_matmul_parts).
#define QMMI1(BITS, M, R, T, S)                                                                                  \
    extern "C" __global__ void __launch_bounds__(256) qmvi_affine##BITS##_m##M##_r##R##_##T##_##S(             \
        const u32* xq, const float* xd, const int* xs, const uint4* w, const S* scales, const S* biases, T* y,  \
        i32 mr, i32 N, i32 K, i32 gs, i32 n1, i32 n2) {                                                         \
        pdl_entry();                                                                                           \
        qmvi_affine<BITS, R, M, 32, true, false, T, S>((const T*)nullptr, XQ8{xq, xd, xs}, w, scales, biases, y, mr, N, \
                                                  K, gs, n1, n2);                                                      \
    }                                                                                                          \
    extern "C" __global__ void __launch_bounds__(256) qmvi_affine##BITS##_m##M##_r##R##e_##T##_##S(            \
        const u32* xq, const float* xd, const int* xs, const uint4* w, const S* scales, const S* biases, T* y,  \
        i32 mr, i32 N, i32 K, i32 gs, i32 n1, i32 n2) {                                                         \
        qmvi_affine<BITS, R, M, 32, true, true, T, S>((const T*)nullptr, XQ8{xq, xd, xs}, w, scales, biases, y, mr, N, \
                                                 K, gs, n1, n2);                                                       \
    }
#define QMMI_M(BITS, M, T, S) QMMI1(BITS, M, 2, T, S) QMMI1(BITS, M, 4, T, S)
#define QMMI(BITS, T, S) LBRX_IF(T, QMMI_M(BITS, 2, T, S) QMMI_M(BITS, 4, T, S) QMMI_M(BITS, 8, T, S))
#define QMMI_T(BITS, T) QMMI(BITS, T, f32) QMMI(BITS, T, f16) QMMI(BITS, T, bf16)
QMMI_T(4, f32) QMMI_T(4, f16) QMMI_T(4, bf16)
QMMI_T(8, f32) QMMI_T(8, f16) QMMI_T(8, bf16)

// ggml Q4_0/Q8_0 matrix-vector, organised like the affine kernel: a block
// computes ROWS outputs, its threads splitting K, each taking one 32-value
// ggml block from every row per step so one load of x serves ROWS rows.
// Blocks are 18 or 34 bytes, so only 2-byte aligned: they are read as u16
// and reassembled into words. Q4_0 codes come out as 128+q (as in the
// affine kernel) and Q8_0 codes, offset to unsigned, as 2^23+128+q; the
// offsets and ggml's -8 come off once per block through sum(x).
template <bool Q4>
__device__ __forceinline__ void ggml_block(const u16* p, float& d, float* v) {
    d = h2f(p[0]);
    constexpr int NW = Q4 ? 4 : 8;  // 32-bit words of codes
    u32 w[NW];
#pragma unroll
    for (int i = 0; i < NW; ++i) w[i] = (u32)p[1 + 2 * i] | ((u32)p[2 + 2 * i] << 16);
    if (Q4) {
        // Byte j of qs holds element j (low nibble) and j+16 (high).
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const u32 lo = w[i] & 0x0F0F0F0Fu, hi = (w[i] >> 4) & 0x0F0F0F0Fu;
#pragma unroll
            for (int b = 0; b < 4; ++b) {
                v[4 * i + b] = __uint_as_float(__byte_perm(lo, 0x43000000u, 0x7054u | ((u32)b << 8)));
                v[16 + 4 * i + b] = __uint_as_float(__byte_perm(hi, 0x43000000u, 0x7054u | ((u32)b << 8)));
            }
        }
    } else {
#pragma unroll
        for (int i = 0; i < 8; ++i) {
            const u32 u = w[i] ^ 0x80808080u;  // int8 q -> q+128 as a byte
#pragma unroll
            for (int b = 0; b < 4; ++b) v[4 * i + b] = byte_to_float(u, b);
        }
    }
}

template <bool Q4, int MAXM, int ROWS, class T>
__device__ __forceinline__ void qmv_ggml(const T* x, const u16* w, T* y, i32 M, i32 N, i32 K) {
    const u32 n0 = blockIdx.x * ROWS;
    constexpr int BW = Q4 ? 9 : 17;             // block size in u16 words
    constexpr float OFF = Q4 ? 136.f : 128.f;   // code offset: 128+8 or 128
    const u32 blocks = (u32)K / 32;
    u32 woff[ROWS];  // row offsets in u16 words (32 bits: the host checks)
#pragma unroll
    for (int r = 0; r < ROWS; ++r) woff[r] = (n0 + r < (u32)N ? n0 + r : (u32)N - 1) * blocks * BW;
    float acc[MAXM][ROWS];
#pragma unroll
    for (int m = 0; m < MAXM; ++m)
#pragma unroll
        for (int r = 0; r < ROWS; ++r) acc[m][r] = 0.f;
    for (u32 c = threadIdx.x; c < blocks; c += blockDim.x) {
        float d[ROWS], v[ROWS][32];
#pragma unroll
        for (int r = 0; r < ROWS; ++r) ggml_block<Q4>(w + (woff[r] + c * BW), d[r], v[r]);
#pragma unroll
        for (int m = 0; m < MAXM; ++m) {
            if (m >= M) break;
            float xv[32];
            float xs = 0.f;
#pragma unroll
            for (int h = 0; h < 4; ++h) ld8(x, (i64)m * K + (i64)(c * 32 + h * 8), xv + h * 8);
#pragma unroll
            for (int j = 0; j < 32; ++j) xs += xv[j];
#pragma unroll
            for (int r = 0; r < ROWS; ++r) {
                float d0 = 0.f, d1 = 0.f;
#pragma unroll
                for (int j = 0; j < 32; j += 2) {
                    d0 = fmaf(xv[j], v[r][j], d0);
                    d1 = fmaf(xv[j + 1], v[r][j + 1], d1);
                }
                acc[m][r] += d[r] * ((d0 + d1) - OFF * xs);
            }
        }
    }
    __shared__ float part[QMV_WARPS][MAXM * ROWS];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
    for (int m = 0; m < MAXM; ++m)
#pragma unroll
        for (int r = 0; r < ROWS; ++r) {
            const float t = warp_sum(acc[m][r]);
            if (lane == 0) part[warp][m * ROWS + r] = t;
        }
    __syncthreads();
    const int t = threadIdx.x, m = t / ROWS, r = t % ROWS;
    if (t < MAXM * ROWS && m < M && n0 + r < (u32)N) {
        float s = 0.f;
#pragma unroll
        for (int i = 0; i < QMV_WARPS; ++i) s += part[i][t];
        st(y, (i64)m * N + n0 + r, s);
    }
}

// _1: one activation row, 4 outputs per block; _8: up to 8 rows, 2
// outputs per block.
#define QMVG(T) LBRX_IF(T, QMVG_(T))
#define QMVG_(T)                                                                                                       \
    extern "C" __global__ void __launch_bounds__(QMV_WARPS * 32)                                                      \
        qmv_q8_0_1_##T(const T* x, const u16* w, T* y, i32 M, i32 N, i32 K) { pdl_entry(); qmv_ggml<false, 1, 4, T>(x, w, y, M, N, K); } \
    extern "C" __global__ void __launch_bounds__(QMV_WARPS * 32)                                                      \
        qmv_q4_0_1_##T(const T* x, const u16* w, T* y, i32 M, i32 N, i32 K) { pdl_entry(); qmv_ggml<true, 1, 4, T>(x, w, y, M, N, K); }  \
    extern "C" __global__ void __launch_bounds__(QMV_WARPS * 32)                                                      \
        qmv_q8_0_8_##T(const T* x, const u16* w, T* y, i32 M, i32 N, i32 K) { pdl_entry(); qmv_ggml<false, 8, 2, T>(x, w, y, M, N, K); } \
    extern "C" __global__ void __launch_bounds__(QMV_WARPS * 32)                                                      \
        qmv_q4_0_8_##T(const T* x, const u16* w, T* y, i32 M, i32 N, i32 K) { pdl_entry(); qmv_ggml<true, 8, 2, T>(x, w, y, M, N, K); }
QMVG(f32) QMVG(f16) QMVG(bf16)

// Dequantization to a dense [N, K] matrix in the activations' dtype, for
// the matrix-matrix path and for codes of any width (2..8 bits): element k
// of a row is bits [k*BITS, (k+1)*BITS) of the row's LSB-first bit stream.
template <class S, class T>
__device__ __forceinline__ void dequant_affine(const u32* w, const S* scales, const S* biases, T* out,
                                               i32 N, i32 K, i32 gs, i32 bits) {
    const i64 wpr = (i64)K * bits / 32;  // words per row
    GRID_LOOP(i, (i64)N * K) {
        const i64 n = i / K, k = i - n * K;
        const i64 bit = k * bits;
        const u32* row = w + n * wpr;
        u64 word = row[bit >> 5];
        if (((bit & 31) + bits) > 32) word |= (u64)row[(bit >> 5) + 1] << 32;
        const u32 q = (u32)(word >> (bit & 31)) & ((1u << bits) - 1u);
        const i64 g = n * (K / gs) + k / gs;
        st(out, i, ldf(scales, g) * (float)q + ldf(biases, g));
    }
}


// The same for 4- and 8-bit codes, a thread per 16-byte chunk of codes
// (32 or 16 values, inside one group: the host checks that groups are
// powers of two of at least 32 values and rows whole chunks), read once
// and written as 16-byte stores of 8 values of T (8 f32 values as two).
// Each value is fmaf(scale, q, bias), the contraction NVRTC makes of
// dequant_affine's scale * q + bias.
template <int BITS, class S, class T>
__device__ __forceinline__ void dequant_affine_v(const uint4* __restrict__ w, const S* __restrict__ scales,
                                                 const S* __restrict__ biases, T* __restrict__ out, i64 chunks,
                                                 i32 K, i32 gs) {
    constexpr int PER = 128 / BITS;
    const int gshift = __ffs(gs) - 1;
    const u32 cpr = (u32)K / PER;  // chunks per row
    GRID_LOOP(c, chunks) {
        const i64 n = c / cpr;
        const u32 cr = (u32)(c - n * cpr);
        const i64 g = n * ((u32)K >> gshift) + ((cr * PER) >> gshift);
        const float s = ldf(scales, g), b = ldf(biases, g);
        const uint4 q = ld_stream(w + c);
        float v[PER];
        codes_to_float<BITS>(q, v);
        T* o = out + c * PER;
#pragma unroll
        for (int j = 0; j < PER; j += 8) {
            float e[8];
#pragma unroll
            for (int i = 0; i < 8; ++i) e[i] = fmaf(s, v[j + i] - CodeBias<BITS>::v, b);
            st8(o + j, e);
        }
    }
}

#define DQV(BITS, S, T) LBRX_IF(T, DQV_(BITS, S, T))
#define DQV_(BITS, S, T)                                                                                        \
    extern "C" __global__ void dequant_affine##BITS##_##S##_##T(const uint4* w, const S* scales, const S* biases, \
                                                              T* out, i64 chunks, i32 K, i32 gs) {            \
        dequant_affine_v<BITS, S, T>(w, scales, biases, out, chunks, K, gs);                                   \
    }
#define DQV_T(T) DQV(4, f32, T) DQV(4, f16, T) DQV(4, bf16, T) DQV(8, f32, T) DQV(8, f16, T) DQV(8, bf16, T)
DQV_T(f32) DQV_T(f16) DQV_T(bf16)

#define DQ(S, T) LBRX_IF(T, DQ_(S, T))
#define DQ_(S, T)                                                                                               \
    extern "C" __global__ void dequant_affine_##S##_##T(const u32* w, const S* scales, const S* biases, T* out, \
                                                         i32 N, i32 K, i32 gs, i32 bits) {                     \
        dequant_affine<S, T>(w, scales, biases, out, N, K, gs, bits);                                           \
    }
#define DQ_T(T) DQ(f32, T) DQ(f16, T) DQ(bf16, T)
DQ_T(f32) DQ_T(f16) DQ_T(bf16)

// Eight consecutive weights from element i (a multiple of 8), read once:
// loaded around L1 as the codes of qmv are.
__device__ __forceinline__ void ld8w(const f32* p, i64 i, float* v) {
    const uint4 a = ld_stream((const uint4*)(p + i)), b = ld_stream((const uint4*)(p + i + 4));
    v[0] = __uint_as_float(a.x); v[1] = __uint_as_float(a.y); v[2] = __uint_as_float(a.z); v[3] = __uint_as_float(a.w);
    v[4] = __uint_as_float(b.x); v[5] = __uint_as_float(b.y); v[6] = __uint_as_float(b.z); v[7] = __uint_as_float(b.w);
}
__device__ __forceinline__ void ld8w(const f16* p, i64 i, float* v) {
    const uint4 a = ld_stream((const uint4*)(p + i));
    const u32 w[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
    for (int j = 0; j < 4; ++j) { v[2 * j] = h2f((u16)(w[j] & 0xffff)); v[2 * j + 1] = h2f((u16)(w[j] >> 16)); }
}
__device__ __forceinline__ void ld8w(const bf16* p, i64 i, float* v) {
    const uint4 a = ld_stream((const uint4*)(p + i));
    const u32 w[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
    for (int j = 0; j < 4; ++j) { v[2 * j] = __uint_as_float(w[j] << 16); v[2 * j + 1] = __uint_as_float(w[j] & 0xffff0000u); }
}

// Dense matrix-vector y[n] = sum_k x[k] * W[n, k] for one activation row
// (a decode step's projection with float weights W [N, K], K a multiple
// of 8, 16-byte aligned rows): qmv's layout, GEMV_ROWS rows a block of
// QMV_WARPS warps sharing each load of x, the threads splitting K in
// 8-value chunks, partial sums meeting in shared memory. Accumulates in
// float (double for f64 is left to cuBLAS).
#define GEMV_ROWS 8
template <class T, bool GLU>
__device__ __forceinline__ void gemv(const T* x, const T* w, T* y, i32 N, i32 K) {
    const u32 n0 = blockIdx.x * GEMV_ROWS;
    const u32 chunks = (u32)K / 8;
    const T* wr[GEMV_ROWS];
#pragma unroll
    for (int r = 0; r < GEMV_ROWS; ++r) {
        const u32 n = n0 + r < (u32)N ? n0 + r : (u32)N - 1;  // a partial last block repeats row N-1
        wr[r] = w + (i64)n * K;
    }
    float acc[GEMV_ROWS];
#pragma unroll
    for (int r = 0; r < GEMV_ROWS; ++r) acc[r] = 0.f;
    for (u32 c = threadIdx.x; c < chunks; c += blockDim.x) {
        float xv[8];
        ld8x<GLU>(x, 0, (i64)K, (i64)c * 8, xv);
        float wv[GEMV_ROWS][8];
#pragma unroll
        for (int r = 0; r < GEMV_ROWS; ++r) ld8w(wr[r], (i64)c * 8, wv[r]);
#pragma unroll
        for (int r = 0; r < GEMV_ROWS; ++r) {
            float d0 = 0.f, d1 = 0.f;
#pragma unroll
            for (int j = 0; j < 8; j += 2) {
                d0 = fmaf(xv[j], wv[r][j], d0);
                d1 = fmaf(xv[j + 1], wv[r][j + 1], d1);
            }
            acc[r] += d0 + d1;
        }
    }
    __shared__ float part[QMV_WARPS][GEMV_ROWS];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
    for (int r = 0; r < GEMV_ROWS; ++r) {
        const float v = warp_sum(acc[r]);
        if (lane == 0) part[warp][r] = v;
    }
    __syncthreads();
    const int t = threadIdx.x;
    if (t < GEMV_ROWS && n0 + t < (u32)N) {
        float v = 0.f;
#pragma unroll
        for (int i = 0; i < QMV_WARPS; ++i) v += part[i][t];
        st(y, (i64)n0 + t, v);
    }
}

#define GEMV(T) LBRX_IF(T, GEMV_(T))
#define GEMV_(T)                                                                                   \
    extern "C" __global__ void __launch_bounds__(QMV_WARPS * 32) gemv_##T(const T* x, const T* w, T* y, i32 N, \
                                                                          i32 K) {                 \
        pdl_entry();                                                                               \
        gemv<T, false>(x, w, y, N, K);                                                             \
    }                                                                                              \
    extern "C" __global__ void __launch_bounds__(QMV_WARPS * 32) gemv_glu_##T(const T* x, const T* w, T* y,   \
                                                                              i32 N, i32 K) {      \
        pdl_entry();                                                                               \
        gemv<T, true>(x, w, y, N, K);                                                              \
    }
GEMV(f32)
GEMV(f16)
GEMV(bf16)

// qmvi_affine<BITS>_m8b_r<R>[e]: mr <= 8 rows of x [mr, K], K <= QMVI_BLOCK_K,
// quantized by every block into shared memory (22.5 KiB), times W into
// y [mr, N] (or parts, n1 and n2 as above).
#define QMVI_BLOCK_K 2048
#define QMMIB1(BITS, R, T, S)                                                                                    \
    extern "C" __global__ void __launch_bounds__(256) qmvi_affine##BITS##_m8b_r##R##_##T##_##S(                \
        const T* x, const uint4* w, const S* scales, const S* biases, T* y, i32 mr, i32 N, i32 K, i32 gs,       \
        i32 n1, i32 n2) {                                                                                      \
        pdl_entry();                                                                                           \
        qmvi_affine<BITS, R, 8, QMVI_BLOCK_K, false, false, T, S>(x, XQ8{}, w, scales, biases, y, mr, N, K, gs, n1, n2); \
    }                                                                                                          \
    extern "C" __global__ void __launch_bounds__(256) qmvi_affine##BITS##_m8b_r##R##e_##T##_##S(               \
        const T* x, const uint4* w, const S* scales, const S* biases, T* y, i32 mr, i32 N, i32 K, i32 gs,       \
        i32 n1, i32 n2) {                                                                                      \
        qmvi_affine<BITS, R, 8, QMVI_BLOCK_K, false, true, T, S>(x, XQ8{}, w, scales, biases, y, mr, N, K, gs, n1, n2); \
    }
#define QMMIB(BITS, T, S) LBRX_IF(T, QMMIB1(BITS, 2, T, S) QMMIB1(BITS, 4, T, S))
#define QMMIB_T(BITS, T) QMMIB(BITS, T, f32) QMMIB(BITS, T, f16) QMMIB(BITS, T, bf16)
QMMIB_T(4, f32) QMMIB_T(4, f16) QMMIB_T(4, bf16)
QMMIB_T(8, f32) QMMIB_T(8, f16) QMMIB_T(8, bf16)
