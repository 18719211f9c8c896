// Quantized products y[m, n] = sum_k x[m, k] * W[n, k] with W in ggml's
// block formats, read in place: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL
// (32-value blocks) and Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (256-value
// super-blocks). Layouts: ggml-common.h, FORMATS.md; core/gguf/dequant.go
// is the reference decoder these kernels are tested against.
//
// Every type is read through one interface: a "chunk" is 32 consecutive
// values of a row (a whole 32-value block, or one eighth of a super-block),
// decoded into eight words of four byte-sized codes u (code j is byte j%4
// of word j/4) and, for each half of 16 values, a scale a and offset b
// with value = a*u + b. The K-quants' 16-value sub-scales (Q2_K, Q3_K,
// Q6_K) are why there are two halves.
//
// gmv_*: matrix-vector (decode: up to 8 activation rows), each warp
// computing a few outputs, its lanes splitting K, so every weight byte is
// read once. gmm_*: matrix-matrix
// (prefill), a tile of 64 activation rows by 128 outputs per block; each
// step decodes a 128x32 slice of W into shared memory (never a full copy)
// and runs FMAs from shared memory.

#define GMV_WARPS 8

__device__ __forceinline__ float gld(const f32* p, i64 i) { return p[i]; }
__device__ __forceinline__ float gld(const f16* p, i64 i) { return h2f(p[i].x); }
__device__ __forceinline__ float gld(const bf16* p, i64 i) { return b2f(p[i].x); }

// Block fields. Blocks of 18, 22, 34, 110 or 210 bytes are only 2-byte
// aligned, so 32-bit words are assembled from halves (A2); the other types
// are 4-byte aligned and read words directly.
template <bool A4>
__device__ __forceinline__ u32 w32(const u8* p) {
    if (A4) return *(const u32*)p;
    const u16* h = (const u16*)p;
    return (u32)h[0] | ((u32)h[1] << 16);
}
__device__ __forceinline__ float f16at(const u8* p) { return h2f(*(const u16*)p); }

// Byte b (0..3) of w as a float, exactly (2^23 + byte, less 2^23; a PRMT
// and a subtraction instead of the slower integer conversion).
__device__ __forceinline__ float gbyte(u32 w, int b) {
    return __uint_as_float(__byte_perm(w, 0x4B000000u, 0x7540u | (u32)b)) - 8388608.f;
}
// Byte b of w as 128 + byte, in one PRMT: the byte lands in the mantissa
// under 128's exponent. Only for bytes below 128 (codes of 7 bits or less).
__device__ __forceinline__ float gbyte128(u32 w, int b) {
    return __uint_as_float(__byte_perm(w, 0x43000000u, 0x7054u | ((u32)b << 8)));
}

// Spreads 4 bits (t, 0..15) to bit 0 of each byte: bit i of t -> bit 8*i.
__device__ __forceinline__ u32 spread4(u32 t) { return (t * 0x00204081u) & 0x01010101u; }

// The nibble order of Q4_0-style 16-byte code arrays: byte j holds value j
// (low nibble) and value j+16 (high). Word i of the chunk: values
// 4i..4i+3, from the low nibbles of qs word i (i < 4) or the high nibbles
// of qs word i-4.
template <bool A4>
__device__ __forceinline__ u32 nib_word(const u8* qs, int i) {
    const u32 q = w32<A4>(qs + 4 * (i & 3));
    return i < 4 ? q & 0x0F0F0F0Fu : (q >> 4) & 0x0F0F0F0Fu;
}

// Each type: QK values and BYTES bytes a block, SUBS = QK/32 chunks, A4 if
// blocks are 4-byte aligned, SMALL if codes fit 7 bits, UNIT chunks that
// share their code bytes (a 2-bit byte holds values of four chunks, a
// 4-bit byte of two), and decode(blk, u, j, w, a, b) for chunk s = u*UNIT
// + j of block blk. The matrix-vector kernel unrolls j, so the loads of a
// unit's shared bytes are issued once.

struct TQ4_0 {
    static constexpr int QK = 32, BYTES = 18, SUBS = 1, UNIT = 1;
    static constexpr bool A4 = false, SMALL = true;
    static __device__ __forceinline__ void decode(const u8* p, u32, int, u32* w, float* a, float* b) {
        const float d = f16at(p);
#pragma unroll
        for (int i = 0; i < 8; ++i) w[i] = nib_word<A4>(p + 2, i);
        a[0] = a[1] = d;
        b[0] = b[1] = -8.f * d;
    }
};

struct TQ4_1 {
    static constexpr int QK = 32, BYTES = 20, SUBS = 1, UNIT = 1;
    static constexpr bool A4 = true, SMALL = true;
    static __device__ __forceinline__ void decode(const u8* p, u32, int, u32* w, float* a, float* b) {
        const float d = f16at(p), m = f16at(p + 2);
#pragma unroll
        for (int i = 0; i < 8; ++i) w[i] = nib_word<A4>(p + 4, i);
        a[0] = a[1] = d;
        b[0] = b[1] = m;
    }
};

// Q5_0/Q5_1: bit j of qh is the fifth bit of value j.
template <bool A4>
__device__ __forceinline__ void q5_words(const u8* qs, u32 qh, u32* w) {
#pragma unroll
    for (int i = 0; i < 8; ++i) w[i] = nib_word<A4>(qs, i) | (spread4((qh >> (4 * i)) & 15u) << 4);
}

struct TQ5_0 {
    static constexpr int QK = 32, BYTES = 22, SUBS = 1, UNIT = 1;
    static constexpr bool A4 = false, SMALL = true;
    static __device__ __forceinline__ void decode(const u8* p, u32, int, u32* w, float* a, float* b) {
        const float d = f16at(p);
        q5_words<A4>(p + 6, w32<A4>(p + 2), w);
        a[0] = a[1] = d;
        b[0] = b[1] = -16.f * d;
    }
};

struct TQ5_1 {
    static constexpr int QK = 32, BYTES = 24, SUBS = 1, UNIT = 1;
    static constexpr bool A4 = true, SMALL = true;
    static __device__ __forceinline__ void decode(const u8* p, u32, int, u32* w, float* a, float* b) {
        const float d = f16at(p), m = f16at(p + 2);
        q5_words<A4>(p + 8, w32<A4>(p + 4), w);
        a[0] = a[1] = d;
        b[0] = b[1] = m;
    }
};

// Q8_0: int8 codes, flipped to unsigned (q + 128).
struct TQ8_0 {
    static constexpr int QK = 32, BYTES = 34, SUBS = 1, UNIT = 1;
    static constexpr bool A4 = false, SMALL = false;
    static __device__ __forceinline__ void decode(const u8* p, u32, int, u32* w, float* a, float* b) {
        const float d = f16at(p);
#pragma unroll
        for (int i = 0; i < 8; ++i) w[i] = w32<A4>(p + 2 + 4 * i) ^ 0x80808080u;
        a[0] = a[1] = d;
        b[0] = b[1] = -128.f * d;
    }
};

// IQ4_NL: each nibble indexes a 16-entry codebook; the codes are the
// codebook values + 128 as bytes, looked up four at a time with PRMT (the
// table is four words; bit 3 of a nibble picks the upper pair).
__device__ __forceinline__ u32 iq4nl_lookup(u32 nibbles) {
    // kvalues_iq4nl + 128, little-endian: 1 24 45 63 | 79 93 106 118 |
    // 129 141 153 166 | 181 197 217 241.
    const u32 t0 = 0x3F2D1801u, t1 = 0x766A5D4Fu, t2 = 0xA6998D81u, t3 = 0xF1D9C5B5u;
    // One nibble a byte -> four selector nibbles.
    const u32 sel = __byte_perm(nibbles | (nibbles >> 4), 0, 0x4420);
    const u32 lo = __byte_perm(t0, t1, sel & 0x7777u), hi = __byte_perm(t2, t3, sel & 0x7777u);
    return __byte_perm(lo, hi, 0x3210u | ((sel & 0x8888u) >> 1));
}

struct TIQ4_NL {
    static constexpr int QK = 32, BYTES = 18, SUBS = 1, UNIT = 1;
    static constexpr bool A4 = false, SMALL = false;
    static __device__ __forceinline__ void decode(const u8* p, u32, int, u32* w, float* a, float* b) {
        const float d = f16at(p);
#pragma unroll
        for (int i = 0; i < 8; ++i) w[i] = iq4nl_lookup(nib_word<A4>(p + 2, i));
        a[0] = a[1] = d;
        b[0] = b[1] = -128.f * d;
    }
};

// Q2_K {scales[16], qs[64], d, dmin}: chunk s = 4h + j (unit h) takes bits
// 2j..2j+1 of qs[32h..32h+31]; half g of it uses scales[2s+g] (low nibble:
// scale, high: min).
struct TQ2_K {
    static constexpr int QK = 256, BYTES = 84, SUBS = 8, UNIT = 4;
    static constexpr bool A4 = true, SMALL = true;
    static __device__ __forceinline__ void decode(const u8* p, u32 u, int j, u32* w, float* a, float* b) {
        const u8* qs = p + 16 + 32 * u;
#pragma unroll
        for (int i = 0; i < 8; ++i) w[i] = (w32<A4>(qs + 4 * i) >> (2 * j)) & 0x03030303u;
        const float d = f16at(p + 80), dmin = f16at(p + 82);
        const int s = 4 * (int)u + j;
#pragma unroll
        for (int g = 0; g < 2; ++g) {
            const u32 sc = p[2 * s + g];
            a[g] = d * (float)(sc & 15u);
            b[g] = -dmin * (float)(sc >> 4);
        }
    }
};

// Q3_K {hmask[32], qs[64], scales[12], d}: as Q2_K for the low two bits,
// bit s of hmask[l] the third (set: no -4), 6-bit scales less 32 packed in
// 12 bytes (low nibbles in bytes 0..7, high two bits in bytes 8..11).
struct TQ3_K {
    static constexpr int QK = 256, BYTES = 110, SUBS = 8, UNIT = 4;
    static constexpr bool A4 = false, SMALL = true;
    static __device__ __forceinline__ void decode(const u8* p, u32 u, int j, u32* w, float* a, float* b) {
        const u8* qs = p + 32 + 32 * u;
        const int s = 4 * (int)u + j;
#pragma unroll
        for (int i = 0; i < 8; ++i)
            w[i] = ((w32<A4>(qs + 4 * i) >> (2 * j)) & 0x03030303u) | (((w32<A4>(p + 4 * i) >> s) & 0x01010101u) << 2);
        // Scales 2s and 2s+1 sit in bytes 2(s&1), 2(s&1)+1 of unpacked
        // word s>>1: low nibbles from word (s>>1)&1 (shifted by 4 for the
        // upper two words), high bits from bits 2(s>>1).. of word 2.
        const int ws = s >> 1;
        u32 lo = w32<A4>(p + 96 + 4 * (ws & 1));
        if (ws >= 2) lo >>= 4;
        const u32 word = (lo & 0x0F0F0F0Fu) | (((w32<A4>(p + 104) >> (2 * ws)) & 0x03030303u) << 4);
        const float d = f16at(p + 108);
#pragma unroll
        for (int g = 0; g < 2; ++g) {
            const int sc = (int)((word >> (8 * (2 * (s & 1) + g))) & 0xFFu) - 32;
            a[g] = d * (float)sc;
            b[g] = -4.f * a[g];
        }
    }
};

// The 6-bit scale and min j of Q4_K/Q5_K from their 12 packed bytes q,
// read as three words and selected without branching (the chunks of a
// warp take both halves of the rule).
__device__ __forceinline__ void scale_min_k4(const u8* q, int j, u32& sc, u32& m) {
    const int sh = 8 * (j & 3);
    const u32 b0 = (*(const u32*)q >> sh) & 255u, b1 = (*(const u32*)(q + 4) >> sh) & 255u,
              b2 = (*(const u32*)(q + 8) >> sh) & 255u;
    sc = j < 4 ? b0 & 63u : (b2 & 15u) | ((b0 >> 6) << 4);
    m = j < 4 ? b1 & 63u : (b2 >> 4) | ((b1 >> 6) << 4);
}

// Q4_K {d, dmin, scales[12], qs[128]}: chunk s = 2u + j takes the low
// (j = 0) or high (j = 1) nibbles of qs[32u..], with scale/min s.
struct TQ4_K {
    static constexpr int QK = 256, BYTES = 144, SUBS = 8, UNIT = 2;
    static constexpr bool A4 = true, SMALL = true;
    static __device__ __forceinline__ void decode(const u8* p, u32 u, int j, u32* w, float* a, float* b) {
        const u8* qs = p + 16 + 32 * u;
#pragma unroll
        for (int i = 0; i < 8; ++i) w[i] = (w32<A4>(qs + 4 * i) >> (4 * j)) & 0x0F0F0F0Fu;
        u32 sc, m;
        scale_min_k4(p + 4, 2 * (int)u + j, sc, m);
        a[0] = a[1] = f16at(p) * (float)sc;
        b[0] = b[1] = -f16at(p + 2) * (float)m;
    }
};

// Q5_K {d, dmin, scales[12], qh[32], qs[128]}: Q4_K plus bit s of qh[l].
struct TQ5_K {
    static constexpr int QK = 256, BYTES = 176, SUBS = 8, UNIT = 2;
    static constexpr bool A4 = true, SMALL = true;
    static __device__ __forceinline__ void decode(const u8* p, u32 u, int j, u32* w, float* a, float* b) {
        const u8* qs = p + 48 + 32 * u;
        const int s = 2 * (int)u + j;
#pragma unroll
        for (int i = 0; i < 8; ++i)
            w[i] = ((w32<A4>(qs + 4 * i) >> (4 * j)) & 0x0F0F0F0Fu) | (((w32<A4>(p + 16 + 4 * i) >> s) & 0x01010101u) << 4);
        u32 sc, m;
        scale_min_k4(p + 4, s, sc, m);
        a[0] = a[1] = f16at(p) * (float)sc;
        b[0] = b[1] = -f16at(p + 2) * (float)m;
    }
};

// Q6_K {ql[128], qh[64], scales[16] (int8), d}: chunk s = 4h + t (unit
// h) takes nibble t>>1 of ql[64h + 32(t&1) + l] and bits 2t..2t+1 of
// qh[32h + l]; value = d*scale*(q - 32), scale 8h + 2t + g for half g.
struct TQ6_K {
    static constexpr int QK = 256, BYTES = 210, SUBS = 8, UNIT = 4;
    static constexpr bool A4 = false, SMALL = true;
    static __device__ __forceinline__ void decode(const u8* p, u32 u, int t, u32* w, float* a, float* b) {
        const u8* ql = p + 64 * u + 32 * (t & 1);
        const u8* qh = p + 128 + 32 * u;
        const int sl = 4 * (t >> 1), shh = 2 * t;
#pragma unroll
        for (int i = 0; i < 8; ++i)
            w[i] = ((w32<A4>(ql + 4 * i) >> sl) & 0x0F0F0F0Fu) | (((w32<A4>(qh + 4 * i) >> shh) & 0x03030303u) << 4);
        const float d = f16at(p + 208);
#pragma unroll
        for (int g = 0; g < 2; ++g) {
            a[g] = d * (float)(i8)p[192 + 8 * u + 2 * t + g];
            b[g] = -32.f * a[g];
        }
    }
};

// Matrix-vector: each warp computes ROWS outputs for up to MAXM activation
// rows, its lanes taking units (UNIT chunks) c, c+32, ... of all ROWS
// rows, so one load of x serves ROWS rows and every lane has work for any
// K of a few thousand. Per half g of a chunk,
// sum x*(a*u + b) = a*sum(x*u) + b*sum(x); SMALL codes come out as 128+u,
// whose 128 comes off through sum(x) too.
template <class B, int MAXM, int ROWS, class T>
__device__ __forceinline__ void gmv(const T* __restrict__ x, const u8* __restrict__ wq, T* __restrict__ y,
                                    i32 M, i32 N, i32 K) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const u32 n0 = (blockIdx.x * GMV_WARPS + warp) * ROWS;
    if (n0 >= (u32)N) return;  // the whole warp: nothing below synchronises the block
    constexpr u32 UPB = B::SUBS / B::UNIT;  // units per block
    const u32 units = (u32)K / 32 / B::UNIT;
    const u32 rowBytes = (u32)K / B::QK * B::BYTES;
    const u8* rows[ROWS];  // a partial last warp repeats row N-1
#pragma unroll
    for (int r = 0; r < ROWS; ++r) rows[r] = wq + (u64)(n0 + r < (u32)N ? n0 + r : (u32)N - 1) * rowBytes;
    float acc[MAXM][ROWS];
#pragma unroll
    for (int m = 0; m < MAXM; ++m)
#pragma unroll
        for (int r = 0; r < ROWS; ++r) acc[m][r] = 0.f;
    constexpr float OFF = B::SMALL ? 128.f : 0.f;
    for (u32 c = lane; c < units; c += 32) {
        const u32 blk = c / UPB, u = c % UPB;
#pragma unroll
        for (int j = 0; j < B::UNIT; ++j) {
            const u32 chunk = c * B::UNIT + j;
            float v[ROWS][32], a[ROWS][2], b[ROWS][2];
#pragma unroll
            for (int r = 0; r < ROWS; ++r) {
                u32 w[8];
                B::decode(rows[r] + blk * B::BYTES, u, j, w, a[r], b[r]);
#pragma unroll
                for (int i = 0; i < 8; ++i)
#pragma unroll
                    for (int e = 0; e < 4; ++e) v[r][4 * i + e] = B::SMALL ? gbyte128(w[i], e) : gbyte(w[i], e);
#pragma unroll
                for (int g = 0; g < 2; ++g) b[r][g] -= OFF * a[r][g];
            }
#pragma unroll
            for (int m = 0; m < MAXM; ++m) {
                if (m >= M) continue;  // not break: the loop must unroll to keep acc in registers
                float xv[32];
#pragma unroll
                for (int h = 0; h < 4; ++h) ld8(x, (i64)m * K + (i64)(chunk * 32 + h * 8), xv + h * 8);
                float xs[2] = {0.f, 0.f};
#pragma unroll
                for (int e = 0; e < 32; ++e) xs[e >> 4] += xv[e];
#pragma unroll
                for (int r = 0; r < ROWS; ++r) {
#pragma unroll
                    for (int g = 0; g < 2; ++g) {
                        float d0 = 0.f, d1 = 0.f;
#pragma unroll
                        for (int e = 0; e < 16; e += 2) {
                            d0 = fmaf(xv[16 * g + e], v[r][16 * g + e], d0);
                            d1 = fmaf(xv[16 * g + e + 1], v[r][16 * g + e + 1], d1);
                        }
                        acc[m][r] += a[r][g] * (d0 + d1) + b[r][g] * xs[g];
                    }
                }
            }
        }
    }
#pragma unroll
    for (int m = 0; m < MAXM; ++m)
#pragma unroll
        for (int r = 0; r < ROWS; ++r) {
            const float t = warp_sum(acc[m][r]);
            if (lane == 0 && m < M && n0 + r < (u32)N) st(y, (i64)m * N + n0 + r, t);
        }
}

// How the integer kernel (gmvi) folds a type's offset b: types whose b is
// a whole multiple OFF of a (b = -OFF*a: Q4_0's 8, Q5_0's 16, and the 128
// of Q8_0's and IQ4_NL's codes flipped to unsigned) take it off the
// integer sum, sum((u - OFF)*c) exactly, as the CPU's integer kernels do;
// the others add b*d*sum(c) in float. ONE marks types whose two halves
// share a and b (every type but Q2_K, Q3_K and Q6_K).
template <class B> struct GInt { static constexpr int OFF = 0; static constexpr bool ONE = true; };
template <> struct GInt<TQ4_0> { static constexpr int OFF = 8; static constexpr bool ONE = true; };
template <> struct GInt<TQ5_0> { static constexpr int OFF = 16; static constexpr bool ONE = true; };
template <> struct GInt<TQ8_0> { static constexpr int OFF = 128; static constexpr bool ONE = true; };
template <> struct GInt<TIQ4_NL> { static constexpr int OFF = 128; static constexpr bool ONE = true; };
template <> struct GInt<TQ2_K> { static constexpr int OFF = 0; static constexpr bool ONE = false; };
template <> struct GInt<TQ3_K> { static constexpr int OFF = 0; static constexpr bool ONE = false; };
template <> struct GInt<TQ6_K> { static constexpr int OFF = 0; static constexpr bool ONE = false; };

// Matrix-vector for one activation row with integer dot products: gmv's
// warps (ROWS outputs a warp, lanes taking units c, c+32, ...), but x is
// first quantized to 8-bit blocks of 32 in shared memory by the whole
// block (act_q8), one block per chunk, and each word of four codes u
// meets four activation codes in one dp4a. Per half g of a chunk
// (activation scale d, codes c): sum x*(a*u + b) ~ a*(d*sum(u*c)) +
// b*(d*sum(c)), exactly sum w*(d*c). With EARLY the lane's first unit of
// every row is prefetched into L1 before pdl_entry (the host checks that
// no kernel writes the weight).
template <class B, int ROWS, bool EARLY, class T>
__device__ __forceinline__ void gmvi(const T* __restrict__ x, const u8* __restrict__ wq, T* __restrict__ y,
                                     i32 N, i32 K) {
    __shared__ ActQ8 xq;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const u32 n0 = (blockIdx.x * (blockDim.x >> 5) + warp) * ROWS;
    const bool live = n0 < (u32)N;  // a warp past N still quantizes its share of x
    constexpr u32 UPB = B::SUBS / B::UNIT;  // units per block
    const u32 units = (u32)K / 32 / B::UNIT;
    const u32 rowBytes = (u32)K / B::QK * B::BYTES;
    const u8* rows[ROWS];  // a partial last warp repeats row N-1
#pragma unroll
    for (int r = 0; r < ROWS; ++r) rows[r] = wq + (u64)(n0 + r < (u32)N ? n0 + r : (u32)N - 1) * rowBytes;
    if (EARLY) {
        if (live && (u32)lane < units) {
            const u32 blk = (u32)lane / UPB;
#pragma unroll
            for (int r = 0; r < ROWS; ++r) {
                const u8* p = rows[r] + blk * B::BYTES;
                asm volatile("prefetch.global.L1 [%0];" ::"l"(p));
                asm volatile("prefetch.global.L1 [%0];" ::"l"(p + B::BYTES - 1));
            }
        }
        pdl_entry();
    }
    act_q8<false>(x, (u32)K, xq);
    if (!live) return;
    float acc[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; ++r) acc[r] = 0.f;
    for (u32 c = lane; c < units; c += 32) {
        const u32 blk = c / UPB, u = c % UPB;
#pragma unroll
        for (int j = 0; j < B::UNIT; ++j) {
            const u32 chunk = c * B::UNIT + j;
            const uint4 x0 = ((const uint4*)xq.q)[2 * chunk], x1 = ((const uint4*)xq.q)[2 * chunk + 1];
            const u32 xw[8] = {x0.x, x0.y, x0.z, x0.w, x1.x, x1.y, x1.z, x1.w};
            const float d = xq.d[chunk];
            const int c0 = xq.s[2 * chunk], c1 = xq.s[2 * chunk + 1];
#pragma unroll
            for (int r = 0; r < ROWS; ++r) {
                u32 w[8];
                float a[2], b[2];
                B::decode(rows[r] + blk * B::BYTES, u, j, w, a, b);
                int t0 = 0, t1 = 0;
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    t0 = dp4a_us(w[i], xw[i], t0);
                    t1 = dp4a_us(w[4 + i], xw[4 + i], t1);
                }
                if (GInt<B>::OFF != 0) {
                    acc[r] += a[0] * (d * (float)(t0 + t1 - GInt<B>::OFF * (c0 + c1)));
                } else if (GInt<B>::ONE) {
                    acc[r] += a[0] * (d * (float)(t0 + t1)) + b[0] * (d * (float)(c0 + c1));
                } else {
                    acc[r] += a[0] * (d * (float)t0) + b[0] * (d * (float)c0) + a[1] * (d * (float)t1) +
                              b[1] * (d * (float)c1);
                }
            }
        }
    }
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
        const float t = warp_sum(acc[r]);
        if (lane == 0 && n0 + r < (u32)N) st(y, (i64)(n0 + r), t);
    }
}

// Matrix-matrix: a block of 256 threads computes y[m0..m0+64, n0..n0+128].
// Per step of 32 columns: threads 0..127 decode one W row's chunk each
// into ws (k-major), threads 128..255 load x's 64x32 slice into xs; then
// each thread accumulates a 4x8 tile of outputs (rows ty*4.., columns
// tx*4.. and 64+tx*4..) from shared memory.
#define GMM_BM 64
#define GMM_BN 128
template <class B, class T>
__device__ __forceinline__ void gmm(const T* __restrict__ x, const u8* __restrict__ wq, T* __restrict__ y,
                                    i32 M, i32 N, i32 K) {
    __shared__ float xs[32][GMM_BM + 4];
    __shared__ float ws[32][GMM_BN + 4];
    const int t = threadIdx.x;
    // A 1-D grid: consecutive blocks share an x tile and walk along N.
    const u32 tilesN = ((u32)N + GMM_BN - 1) / GMM_BN;
    const int m0 = (int)(blockIdx.x / tilesN) * GMM_BM, n0 = (int)(blockIdx.x % tilesN) * GMM_BN;
    const u32 rowBytes = (u32)K / B::QK * B::BYTES;
    const int ty = t >> 4, tx = t & 15;
    float acc[4][8];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;
    const u32 chunks = (u32)K / 32;
    for (u32 c = 0; c < chunks; ++c) {
        if (t < GMM_BN) {
            const int n = n0 + t;
            if (n < N) {
                u32 w[8];
                float a[2], b[2];
                B::decode(wq + (u64)n * rowBytes + (c / B::SUBS) * B::BYTES, (c % B::SUBS) / B::UNIT, (int)(c % B::UNIT), w, a, b);
#pragma unroll
                for (int i = 0; i < 8; ++i)
#pragma unroll
                    for (int j = 0; j < 4; ++j) ws[4 * i + j][t] = fmaf(a[i >> 2], gbyte(w[i], j), b[i >> 2]);
            } else {
#pragma unroll
                for (int j = 0; j < 32; ++j) ws[j][t] = 0.f;
            }
        } else {
            // 64 rows x 32 columns: thread u loads row u/2, 16 columns.
            const int u = t - GMM_BN, row = u >> 1, col = (u & 1) * 16;
            float v[16];
            if (m0 + row < M) {
                ld8(x, (i64)(m0 + row) * K + c * 32 + col, v);
                ld8(x, (i64)(m0 + row) * K + c * 32 + col + 8, v + 8);
            } else {
#pragma unroll
                for (int j = 0; j < 16; ++j) v[j] = 0.f;
            }
#pragma unroll
            for (int j = 0; j < 16; ++j) xs[col + j][row] = v[j];
        }
        __syncthreads();
#pragma unroll 8
        for (int kk = 0; kk < 32; ++kk) {
            const float4 xa = *(const float4*)&xs[kk][ty * 4];
            const float4 wa = *(const float4*)&ws[kk][tx * 4];
            const float4 wb = *(const float4*)&ws[kk][64 + tx * 4];
            const float xr[4] = {xa.x, xa.y, xa.z, xa.w};
            const float wr[8] = {wa.x, wa.y, wa.z, wa.w, wb.x, wb.y, wb.z, wb.w};
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(xr[i], wr[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int m = m0 + ty * 4 + i;
        if (m >= M) continue;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const int n = n0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + j - 4);
            if (n < N) st(y, (i64)m * N + n, acc[i][j]);
        }
    }
}

// Matrix-matrix on tensor cores, for f16/bf16 activations on sm_80 and
// newer: the same 64x128 output tile, 64 columns of K per step. Every
// thread decodes one 32-value chunk of one W row (rows t/2, chunk t%2)
// into ws and loads 16 values of x into xs, both as 16-bit values with K
// contiguous; then each of the 8 warps (2 along M, 4 along N) runs
// mma.sync m16n8k16 with f32 accumulators over its 32x32 sub-tile. W is
// rounded to x's dtype in shared memory, as a dequantize-then-GEMM path
// would round it, never written to global memory. Rows are padded to 72
// elements (144 bytes) so the fragment loads of a warp hit 32 distinct
// banks.
#define GTC_BK 64
#define GTC_LD 72

// Two floats rounded to x's 16-bit type and packed (lo in the low half) in
// one cvt (sm_80 and newer).
__device__ __forceinline__ u32 pack2(const f16*, float lo, float hi) {
    u32 d;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    return d;
}
__device__ __forceinline__ u32 pack2(const bf16*, float lo, float hi) {
    u32 d;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    return d;
}

template <class T> struct Mma;
template <> struct Mma<f16> {
    static __device__ __forceinline__ void run(float* c, const u32* a, const u32* b) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
};
template <> struct Mma<bf16> {
    static __device__ __forceinline__ void run(float* c, const u32* a, const u32* b) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
};

template <class B, class T>
__device__ __forceinline__ void gmm_tc(const T* __restrict__ x, const u8* __restrict__ wq, T* __restrict__ y,
                                       i32 M, i32 N, i32 K) {
#if __CUDA_ARCH__ >= 800
    __shared__ uint4 xs4[GMM_BM * GTC_LD / 8];
    __shared__ uint4 ws4[GMM_BN * GTC_LD / 8];
    u16* xs = (u16*)xs4;
    u16* ws = (u16*)ws4;
    const int t = threadIdx.x, lane = t & 31, warp = t >> 5;
    const u32 tilesN = ((u32)N + GMM_BN - 1) / GMM_BN;
    const int m0 = (int)(blockIdx.x / tilesN) * GMM_BM, n0 = (int)(blockIdx.x % tilesN) * GMM_BN;
    const u32 rowBytes = (u32)K / B::QK * B::BYTES;
    const u32 chunks = (u32)K / 32;
    const int wm = warp & 1, wn = warp >> 1, g = lane >> 2, tig = lane & 3;
    float acc[2][4][4];
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;
    const int wrow = t >> 1, xrow = t >> 2;
    for (u32 c0 = 0; c0 < chunks; c0 += 2) {
        {
            // W: row wrow, chunk c0 + (t & 1).
            const int n = n0 + wrow;
            const u32 c = c0 + (t & 1);
            u32 packed[16];
            if (n < N && c < chunks) {
                u32 w[8];
                float a[2], b[2];
                B::decode(wq + (u64)n * rowBytes + (c / B::SUBS) * B::BYTES, (c % B::SUBS) / B::UNIT, (int)(c % B::UNIT), w, a, b);
#pragma unroll
                for (int i = 0; i < 8; ++i)
#pragma unroll
                    for (int j = 0; j < 4; j += 2)
                        packed[2 * i + j / 2] = pack2(x, fmaf(a[i >> 2], gbyte(w[i], j), b[i >> 2]),
                                                      fmaf(a[i >> 2], gbyte(w[i], j + 1), b[i >> 2]));
            } else {
#pragma unroll
                for (int i = 0; i < 16; ++i) packed[i] = 0u;
            }
            uint4* d4 = (uint4*)(ws + wrow * GTC_LD + (t & 1) * 32);
#pragma unroll
            for (int q = 0; q < 4; ++q) {
                uint4 v;
                v.x = packed[4 * q]; v.y = packed[4 * q + 1]; v.z = packed[4 * q + 2]; v.w = packed[4 * q + 3];
                d4[q] = v;
            }
        }
        {
            // x: row xrow, 16 values at column 16*(t & 3) of the step.
            const u32 c = c0 + ((t & 3) >> 1);
            uint4 v0, v1;
            v0.x = v0.y = v0.z = v0.w = 0u;
            v1 = v0;
            if (m0 + xrow < M && c < chunks) {
                const uint4* src = (const uint4*)(x + (i64)(m0 + xrow) * K + c * 32 + (t & 1) * 16);
                v0 = src[0];
                v1 = src[1];
            }
            uint4* d4 = (uint4*)(xs + xrow * GTC_LD + (t & 3) * 16);
            d4[0] = v0;
            d4[1] = v1;
        }
        __syncthreads();
#pragma unroll
        for (int ks = 0; ks < GTC_BK; ks += 16) {
            u32 af[2][4], bfr[4][2];
#pragma unroll
            for (int mi = 0; mi < 2; ++mi) {
                const u16* p = xs + (wm * 32 + mi * 16 + g) * GTC_LD + ks + tig * 2;
                af[mi][0] = *(const u32*)p;
                af[mi][1] = *(const u32*)(p + 8 * GTC_LD);
                af[mi][2] = *(const u32*)(p + 8);
                af[mi][3] = *(const u32*)(p + 8 * GTC_LD + 8);
            }
#pragma unroll
            for (int ni = 0; ni < 4; ++ni) {
                const u16* q = ws + (wn * 32 + ni * 8 + g) * GTC_LD + ks + tig * 2;
                bfr[ni][0] = *(const u32*)q;
                bfr[ni][1] = *(const u32*)(q + 8);
            }
#pragma unroll
            for (int mi = 0; mi < 2; ++mi)
#pragma unroll
                for (int ni = 0; ni < 4; ++ni) Mma<T>::run(acc[mi][ni], af[mi], bfr[ni]);
        }
        __syncthreads();
    }
    // Accumulator e of tile (mi, ni): row g (+8 for e >= 2), column 2*tig + e%2.
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
        for (int ni = 0; ni < 4; ++ni)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int m = m0 + wm * 32 + mi * 16 + g + (e >> 1) * 8;
                const int n = n0 + wn * 32 + ni * 8 + tig * 2 + (e & 1);
                if (m < M && n < N) st(y, (i64)m * N + n, acc[mi][ni][e]);
            }
#endif
}

// Dequantization of W into a dense [N, K] matrix of T for the
// matrix-matrix path (then cuBLAS): a thread per 32-value chunk, values
// fmaf(a, u, b) rounded once to T, as gmm_tc rounds them in shared memory,
// stored 8 at a time (16 bytes for f16/bf16).
template <class B, class T>
__device__ __forceinline__ void dequant_ggml(const u8* __restrict__ wq, T* __restrict__ out, i64 chunks, i32 K) {
    const u32 cpr = (u32)K / 32;  // chunks per row
    const u32 rowBytes = (u32)K / B::QK * B::BYTES;
    GRID_LOOP(c, chunks) {
        const i64 n = c / cpr;
        const u32 cr = (u32)(c - n * cpr);
        u32 w[8];
        float a[2], b[2];
        B::decode(wq + n * rowBytes + (cr / B::SUBS) * B::BYTES, (cr % B::SUBS) / B::UNIT, (int)(cr % B::UNIT), w, a, b);
        T* o = out + c * 32;
#pragma unroll
        for (int h = 0; h < 4; ++h) {
            float e[8];
#pragma unroll
            for (int i = 0; i < 8; ++i) {
                const int v = 8 * h + i;  // value v: byte v%4 of word v/4, half v/16
                e[i] = fmaf(a[v >> 4], gbyte(w[v >> 2], v & 3), b[v >> 4]);
            }
            st8(o + 8 * h, e);
        }
    }
}

// Per type and activation dtype: gmv_<type>_1 (one activation row, 4
// outputs per warp; _1r1, _1r2: 1 or 2, for more warps on short
// products), gmv_<type>_8 (up to 8 rows, 2 outputs per warp),
// gmm_<type> (any number of rows), and for f16/bf16 gmt_<type> (the
// tensor-core gmm).
// gmvi_<type>_r<R>[e]: one activation row with integer dot products, R
// outputs a warp, any number of warps a block (the host picks, qmviShape);
// e prefetches the first weight bytes before pdl_entry.
#define GMVI1(NAME, B, R, T)                                                                                         \
    extern "C" __global__ void __launch_bounds__(256)                                                               \
        gmvi_##NAME##_r##R##_##T(const T* x, const u8* w, T* y, i32 N, i32 K) { pdl_entry(); gmvi<B, R, false, T>(x, w, y, N, K); } \
    extern "C" __global__ void __launch_bounds__(256)                                                               \
        gmvi_##NAME##_r##R##e_##T(const T* x, const u8* w, T* y, i32 N, i32 K) { gmvi<B, R, true, T>(x, w, y, N, K); }
#define GGML_KERNELS(NAME, B, T)                                                                                     \
    extern "C" __global__ void __launch_bounds__(GMV_WARPS * 32)                                                    \
        gmv_##NAME##_1_##T(const T* x, const u8* w, T* y, i32 M, i32 N, i32 K) { pdl_entry(); gmv<B, 1, 4, T>(x, w, y, M, N, K); } \
    extern "C" __global__ void __launch_bounds__(GMV_WARPS * 32)                                                    \
        gmv_##NAME##_8_##T(const T* x, const u8* w, T* y, i32 M, i32 N, i32 K) { pdl_entry(); gmv<B, 8, 2, T>(x, w, y, M, N, K); } \
    extern "C" __global__ void __launch_bounds__(GMV_WARPS * 32)                                                    \
        gmv_##NAME##_1r1_##T(const T* x, const u8* w, T* y, i32 M, i32 N, i32 K) { pdl_entry(); gmv<B, 1, 1, T>(x, w, y, M, N, K); } \
    extern "C" __global__ void __launch_bounds__(GMV_WARPS * 32)                                                    \
        gmv_##NAME##_1r2_##T(const T* x, const u8* w, T* y, i32 M, i32 N, i32 K) { pdl_entry(); gmv<B, 1, 2, T>(x, w, y, M, N, K); } \
    GMVI1(NAME, B, 1, T) GMVI1(NAME, B, 2, T) GMVI1(NAME, B, 4, T)                                                 \
    extern "C" __global__ void __launch_bounds__(256)                                                               \
        gmm_##NAME##_##T(const T* x, const u8* w, T* y, i32 M, i32 N, i32 K) { gmm<B, T>(x, w, y, M, N, K); } \
    extern "C" __global__ void dequant_##NAME##_##T(const u8* w, T* out, i64 chunks, i32 K) {                      \
        dequant_ggml<B, T>(w, out, chunks, K);                                                                      \
    }
#define GGML_TC(NAME, B, T)                                                                                         \
    extern "C" __global__ void __launch_bounds__(256)                                                               \
        gmt_##NAME##_##T(const T* x, const u8* w, T* y, i32 M, i32 N, i32 K) { gmm_tc<B, T>(x, w, y, M, N, K); }
#define GGML_EACH(F, T)                                                                                 \
    F(q4_0, TQ4_0, T) F(q4_1, TQ4_1, T) F(q5_0, TQ5_0, T) F(q5_1, TQ5_1, T) F(q8_0, TQ8_0, T)           \
    F(iq4_nl, TIQ4_NL, T) F(q2_k, TQ2_K, T) F(q3_k, TQ3_K, T) F(q4_k, TQ4_K, T) F(q5_k, TQ5_K, T)      \
    F(q6_k, TQ6_K, T)
LBRX_IF(f32, GGML_EACH(GGML_KERNELS, f32))
LBRX_IF(f16, GGML_EACH(GGML_KERNELS, f16) GGML_EACH(GGML_TC, f16))
LBRX_IF(bf16, GGML_EACH(GGML_KERNELS, bf16) GGML_EACH(GGML_TC, bf16))
