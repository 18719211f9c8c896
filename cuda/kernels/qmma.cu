// Affine 4/8-bit quantized products for 2 to 32 activation rows of f16 or
// bf16 on tensor cores (mma.sync m16n8k16, sm_80 and later): y[m, n] =
// sum_k x[m, k] * (s*q + b)[n, k], W in MLX's affine layout (FORMATS.md
// section 2). A block of QMMA_WARPS warps takes 16 output rows; its warps
// split K in blocks of four 16-byte chunks per row, and each chunk is
// dequantized once into A fragments that serve every 8-row tile of x
// (qmm.cu re-reads x from shared memory for every code and every row).
//
// A dot product does not care in which order its k terms pair up, so
// the fragments use a k order of their own: lane (g, t) of the warp
// (g = lane/4, t = lane%4) loads chunk t of a k block for output rows g
// and g+8, and mma step s takes codes 4s..4s+3 of each lane's chunk as
// the fragment's k columns 2t, 2t+1, 2t+8, 2t+9. The B fragment wants x
// at the same k, which are then x[row g][chunk t's columns 4s..4s+3]: a
// lane's x for all steps is one contiguous run of its chunk's columns.
// Each output is a sum in a fixed order (k blocks in turn per warp, then
// the warps in turn), whatever M is or the other rows hold, so a row's
// result does not depend on the batch (as qmm.cu's). The kernels start
// with pdl_entry, so pdl.go's list may take them.

#define QMMA_WARPS 8

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800

// Two floats as a packed pair (lo in the low half), rounded to nearest.
__device__ __forceinline__ u32 qmma_pack(float lo, float hi, const f16*) {
    u32 d;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    return d;
}
__device__ __forceinline__ u32 qmma_pack(float lo, float hi, const bf16*) {
    u32 d;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    return d;
}

// c += A (16x16, row) * B (16x8, col), f32 accumulators.
__device__ __forceinline__ void qmma_mma(float* c, const u32* a, u32 b0, u32 b1, const f16*) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ __forceinline__ void qmma_mma(float* c, const u32* a, u32 b0, u32 b1, const bf16*) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Code i (LSB first in each word) of a 16-byte chunk.
template <int BITS>
__device__ __forceinline__ float qmma_code(const u32* q, int i) {
    constexpr int PW = 32 / BITS;
    return (float)((q[i / PW] >> (BITS * (i % PW))) & ((1u << BITS) - 1u));
}

template <int BITS, class T, class S>
__device__ __forceinline__ void qmma_affine(const T* x, const uint4* w, const S* scales, const S* biases, T* y, i32 M,
                                            i32 N, i32 K, i32 gs) {
    constexpr int PER = 128 / BITS;  // codes per chunk
    constexpr int STEPS = PER / 4;   // mma steps per chunk: 4 codes of it per lane each
    __shared__ float red[QMMA_WARPS][4][4][32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int g = lane >> 2, t = lane & 3;
    const i32 n0 = blockIdx.x * 16;
    // Rows past N compute a copy of the last row, never stored.
    const i32 ra = min(n0 + g, N - 1), rb = min(n0 + g + 8, N - 1);
    const u32 chunks = (u32)K / PER;
    const int gshift = __ffs(gs) - 1;
    const u32 groups = (u32)K >> gshift;
    const int nt = (M + 7) >> 3;  // 8-row tiles of x
    float acc[4][4];
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
        for (int i = 0; i < 4; ++i) acc[j][i] = 0.f;
    // The loop is warp-uniform (mma.sync wants every lane); a lane whose
    // chunk is past K contributes zeros.
    for (u32 c0 = (u32)warp * 4; c0 < chunks; c0 += QMMA_WARPS * 4) {
        const u32 c = c0 + t;
        const bool in = c < chunks;
        u32 wa[4] = {0u, 0u, 0u, 0u}, wb[4] = {0u, 0u, 0u, 0u};
        float sa = 0.f, ba = 0.f, sb = 0.f, bb = 0.f;
        if (in) {
            const uint4 qa = w[(u64)ra * chunks + c], qb = w[(u64)rb * chunks + c];
            wa[0] = qa.x; wa[1] = qa.y; wa[2] = qa.z; wa[3] = qa.w;
            wb[0] = qb.x; wb[1] = qb.y; wb[2] = qb.z; wb[3] = qb.w;
            const u32 gi = (c * PER) >> gshift;
            sa = ld(scales, (i64)((u64)ra * groups + gi));
            ba = ld(biases, (i64)((u64)ra * groups + gi));
            sb = ld(scales, (i64)((u64)rb * groups + gi));
            bb = ld(biases, (i64)((u64)rb * groups + gi));
        }
        u32 a[STEPS][4];
#pragma unroll
        for (int s = 0; s < STEPS; ++s) {
            float va[4], vb[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                va[i] = fmaf(sa, qmma_code<BITS>(wa, 4 * s + i), ba);
                vb[i] = fmaf(sb, qmma_code<BITS>(wb, 4 * s + i), bb);
            }
            a[s][0] = qmma_pack(va[0], va[1], x);
            a[s][1] = qmma_pack(vb[0], vb[1], x);
            a[s][2] = qmma_pack(va[2], va[3], x);
            a[s][3] = qmma_pack(vb[2], vb[3], x);
        }
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            if (j >= nt) continue;  // warp-uniform; not break, so the loop unrolls
            const i32 r = j * 8 + g;
            u32 xw[PER / 2];  // the chunk's PER columns of x row r, as pairs
            if (in && r < M) {
                const uint4* xp = (const uint4*)(x + ((i64)r * K + (i64)c * PER));
#pragma unroll
                for (int i = 0; i < PER / 8; ++i) {
                    const uint4 v = xp[i];
                    xw[4 * i] = v.x;
                    xw[4 * i + 1] = v.y;
                    xw[4 * i + 2] = v.z;
                    xw[4 * i + 3] = v.w;
                }
            } else {
#pragma unroll
                for (int i = 0; i < PER / 2; ++i) xw[i] = 0u;
            }
#pragma unroll
            for (int s = 0; s < STEPS; ++s) qmma_mma(acc[j], a[s], xw[2 * s], xw[2 * s + 1], x);
        }
    }
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
        for (int i = 0; i < 4; ++i) red[warp][j][i][lane] = acc[j][i];
    __syncthreads();
    if (warp != 0) return;
    for (int j = 0; j < nt; ++j)
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            float v = 0.f;
#pragma unroll
            for (int u = 0; u < QMMA_WARPS; ++u) v += red[u][j][i][lane];
            const i32 n = n0 + g + (i >= 2 ? 8 : 0), m = j * 8 + 2 * t + (i & 1);
            if (n < N && m < M) st(y, (i64)m * N + n, v);
        }
}

#define QMMA(BITS, T, S) LBRX_IF(T, QMMA_(BITS, T, S))
#define QMMA_(BITS, T, S)                                                                                       \
    extern "C" __global__ void __launch_bounds__(QMMA_WARPS * 32)                                              \
        qmma_affine##BITS##_##T##_##S(const T* x, const uint4* w, const S* scales, const S* biases, T* y, i32 M, \
                                      i32 N, i32 K, i32 gs) {                                                  \
        pdl_entry();                                                                                           \
        qmma_affine<BITS, T, S>(x, w, scales, biases, y, M, N, K, gs);                                         \
    }
#define QMMA_T(BITS, T) QMMA(BITS, T, f32) QMMA(BITS, T, f16) QMMA(BITS, T, bf16)
QMMA_T(4, f16) QMMA_T(4, bf16)
QMMA_T(8, f16) QMMA_T(8, bf16)

#endif
