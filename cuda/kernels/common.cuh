// Shared definitions for every lbrx CUDA kernel module. NVRTC compiles each
// module as this header followed by the module's source; no CUDA headers
// are included, so the kernels build with any NVRTC and no include path.

typedef signed char i8;
typedef unsigned char u8;
typedef short i16;
typedef unsigned short u16;
typedef int i32;
typedef unsigned int u32;
typedef long long i64;
typedef unsigned long long u64;
typedef float f32;
typedef double f64;

// f16 and bf16 are distinct storage types so that overloads pick the right
// conversion; arithmetic happens in float.
struct f16 { u16 x; };
struct bf16 { u16 x; };

__device__ __forceinline__ float h2f(u16 h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}
__device__ __forceinline__ u16 f2h(float f) {
    u16 h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}
__device__ __forceinline__ u16 d2h(double d) {
    u16 h;
    asm("cvt.rn.f16.f64 %0, %1;" : "=h"(h) : "d"(d));
    return h;
}
__device__ __forceinline__ float b2f(u16 b) { return __uint_as_float(((u32)b) << 16); }
// Round to nearest even; NaN stays a quiet NaN with its sign, as core does.
__device__ __forceinline__ u16 f2b(float f) {
    u32 u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u16)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (u16)(u >> 16);
}

// Loads widen to the compute type, stores narrow from it.
__device__ __forceinline__ float ld(const f16* p, i64 i) { return h2f(p[i].x); }
__device__ __forceinline__ float ld(const bf16* p, i64 i) { return b2f(p[i].x); }
__device__ __forceinline__ float ld(const f32* p, i64 i) { return p[i]; }
__device__ __forceinline__ double ld(const f64* p, i64 i) { return p[i]; }
__device__ __forceinline__ i8 ld(const i8* p, i64 i) { return p[i]; }
__device__ __forceinline__ u8 ld(const u8* p, i64 i) { return p[i]; }
__device__ __forceinline__ i16 ld(const i16* p, i64 i) { return p[i]; }
__device__ __forceinline__ i32 ld(const i32* p, i64 i) { return p[i]; }
__device__ __forceinline__ i64 ld(const i64* p, i64 i) { return p[i]; }
__device__ __forceinline__ u32 ld(const u32* p, i64 i) { return p[i]; }
__device__ __forceinline__ bool ld(const bool* p, i64 i) { return p[i]; }

__device__ __forceinline__ void st(f16* p, i64 i, float v) { p[i].x = f2h(v); }
__device__ __forceinline__ void st(f16* p, i64 i, double v) { p[i].x = d2h(v); }
__device__ __forceinline__ void st(bf16* p, i64 i, float v) { p[i].x = f2b(v); }
__device__ __forceinline__ void st(bf16* p, i64 i, double v) { p[i].x = f2b((float)v); }
template <class T, class V> __device__ __forceinline__ void st(T* p, i64 i, V v) { p[i] = (T)v; }
template <class V> __device__ __forceinline__ void st(bool* p, i64 i, V v) { p[i] = v != 0; }
__device__ __forceinline__ void st(f16* p, i64 i, bool v) { p[i].x = f2h(v ? 1.0f : 0.0f); }
__device__ __forceinline__ void st(bf16* p, i64 i, bool v) { p[i].x = f2b(v ? 1.0f : 0.0f); }

// Eight consecutive values of p from element i (16-byte aligned) as
// floats, and eight floats stored as T at a 16-byte aligned address: the
// vector loads and stores of the quantized product kernels.
__device__ __forceinline__ void ld8(const f32* p, i64 i, float* v) {
    const float4 a = *(const float4*)(p + i), b = *(const float4*)(p + i + 4);
    v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w; v[4] = b.x; v[5] = b.y; v[6] = b.z; v[7] = b.w;
}
__device__ __forceinline__ void ld8(const f16* p, i64 i, float* v) {
    const uint4 a = *(const uint4*)(p + i);
    const u32 w[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
    for (int j = 0; j < 4; ++j) { v[2 * j] = h2f((u16)(w[j] & 0xffff)); v[2 * j + 1] = h2f((u16)(w[j] >> 16)); }
}
__device__ __forceinline__ void ld8(const bf16* p, i64 i, float* v) {
    const uint4 a = *(const uint4*)(p + i);
    const u32 w[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
    for (int j = 0; j < 4; ++j) { v[2 * j] = __uint_as_float(w[j] << 16); v[2 * j + 1] = __uint_as_float(w[j] & 0xffff0000u); }
}
__device__ __forceinline__ void st8(f32* p, const float* e) {
    *(float4*)p = make_float4(e[0], e[1], e[2], e[3]);
    *(float4*)(p + 4) = make_float4(e[4], e[5], e[6], e[7]);
}
__device__ __forceinline__ void st8(f16* p, const float* e) {
    uint4 u;
    u.x = (u32)f2h(e[0]) | ((u32)f2h(e[1]) << 16);
    u.y = (u32)f2h(e[2]) | ((u32)f2h(e[3]) << 16);
    u.z = (u32)f2h(e[4]) | ((u32)f2h(e[5]) << 16);
    u.w = (u32)f2h(e[6]) | ((u32)f2h(e[7]) << 16);
    *(uint4*)p = u;
}
__device__ __forceinline__ void st8(bf16* p, const float* e) {
    uint4 u;
    u.x = (u32)f2b(e[0]) | ((u32)f2b(e[1]) << 16);
    u.y = (u32)f2b(e[2]) | ((u32)f2b(e[3]) << 16);
    u.z = (u32)f2b(e[4]) | ((u32)f2b(e[5]) << 16);
    u.w = (u32)f2b(e[6]) | ((u32)f2b(e[7]) << 16);
    *(uint4*)p = u;
}

// Compute type of each storage type.
template <class T> struct CT { typedef T type; };
template <> struct CT<f16> { typedef float type; };
template <> struct CT<bf16> { typedef float type; };

// Layout describes up to three strided operands over one shape, already
// collapsed by the host (adjacent dimensions merged where every operand
// allows it). Strides and offsets are in elements. Mirrors layout in
// layout.go byte for byte.
#define MAXRANK 8
struct Layout {
    i32 rank;
    i32 pad;
    i64 n;
    i64 shape[MAXRANK];
    i64 st[3][MAXRANK];
    i64 off[3];
};

// Offsets of linear element i in each operand.
__device__ __forceinline__ void offsets(const Layout& L, i64 i, i64& o0, i64& o1, i64& o2) {
    o0 = L.off[0]; o1 = L.off[1]; o2 = L.off[2];
    for (int d = L.rank - 1; d >= 0; --d) {
        i64 s = L.shape[d];
        i64 q = i / s;
        i64 r = i - q * s;
        i = q;
        o0 += r * L.st[0][d];
        o1 += r * L.st[1][d];
        o2 += r * L.st[2][d];
    }
}

#define GRID_LOOP(i, n) \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

// Programmatic dependent launch (sm_90+): a kernel the host launches with
// programmatic stream serialization (module.go, pdlKernels) may start
// while the kernel before it is still finishing. pdl_entry, its first
// statement, waits until that kernel has completed and its writes are
// visible (griddepcontrol.wait), so nothing below it can race, and then
// lets the next kernel start launching (launch_dependents): kernel
// launches overlap the tail of the kernel before instead of following it.
// A kernel launched without the attribute passes both at once.
__device__ __forceinline__ void pdl_entry() {
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Warp and block reductions.
__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
// warp_sum_scatter<V>: the warp sums of V values a lane (V a power of
// two up to 32) in 2V-1 shuffles where V warp_sums take 5V: at each
// step a lane keeps half of its values and adds the partner's half
// (lane ^ O) to them, sending the other half, until one value is left,
// which then takes warp_sum's remaining steps. Lane l ends with the sum
// of value l / (32 / V) (warp_scatter_index). Each sum is warp_sum's bit
// for bit: the same partials meet at the same steps, in the same order
// (the lane's own first), so a kernel may use either and its rows still
// match a one-row kernel's (the several-row integer products).
template <int V, int O>
struct WarpScatter {
    static __device__ __forceinline__ float run(const float (&v)[V], int lane) {
        if constexpr (V == 1) {
            float x = v[0];
#pragma unroll
            for (int o = O; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
            return x;
        } else {
            static_assert(O > 0, "warp_sum_scatter: more values than lanes");
            const bool hi = (lane & O) != 0;
            float k[V / 2];
#pragma unroll
            for (int i = 0; i < V / 2; ++i) {
                const float send = hi ? v[i] : v[i + V / 2];
                const float keep = hi ? v[i + V / 2] : v[i];
                k[i] = keep + __shfl_xor_sync(0xffffffffu, send, O);
            }
            return WarpScatter<V / 2, O / 2>::run(k, lane);
        }
    }
};
template <int V>
__device__ __forceinline__ float warp_sum_scatter(const float (&v)[V], int lane) {
    static_assert(V >= 1 && V <= 32 && (V & (V - 1)) == 0, "warp_sum_scatter: V must be a power of two up to 32");
    return WarpScatter<V, 16>::run(v, lane);
}
// warp_scatter_index<V>(lane) is the value whose sum warp_sum_scatter<V>
// leaves in lane (every 32/V lanes hold the same one).
template <int V>
__device__ __forceinline__ int warp_scatter_index(int lane) { return lane / (32 / V); }
__device__ __forceinline__ double warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Math in the compute type (float for f32/f16/bf16, double for f64).
__device__ __forceinline__ float m_exp(float x) { return expf(x); }
__device__ __forceinline__ double m_exp(double x) { return exp(x); }
__device__ __forceinline__ float m_log(float x) { return logf(x); }
__device__ __forceinline__ double m_log(double x) { return log(x); }
__device__ __forceinline__ float m_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double m_sqrt(double x) { return sqrt(x); }
__device__ __forceinline__ float m_sin(float x) { return sinf(x); }
__device__ __forceinline__ double m_sin(double x) { return sin(x); }
__device__ __forceinline__ float m_cos(float x) { return cosf(x); }
__device__ __forceinline__ double m_cos(double x) { return cos(x); }
__device__ __forceinline__ float m_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double m_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float m_erf(float x) { return erff(x); }
__device__ __forceinline__ double m_erf(double x) { return erf(x); }
__device__ __forceinline__ float m_pow(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double m_pow(double x, double y) { return pow(x, y); }
__device__ __forceinline__ float m_abs(float x) { return fabsf(x); }
__device__ __forceinline__ double m_abs(double x) { return fabs(x); }
template <class C> __device__ __forceinline__ C m_abs(C x) { return x < 0 ? (C)(-x) : x; }
template <class C> __device__ __forceinline__ bool is_nan(C x) { return x != x; }


// Per-dtype compilation: a module is compiled for one dtype at a time (the
// host defines LBRX_WANT_<dtype> as 1), and LBRX_IF(T, text) keeps text only
// for that dtype. Compiling every instantiation at once takes NVRTC tens of
// seconds; one dtype's share takes a second or two. LBRX_WANT_ALL keeps
// everything (for syntax checks).
#ifdef LBRX_WANT_ALL
#define LBRX_WANT_f32 1
#define LBRX_WANT_f64 1
#define LBRX_WANT_f16 1
#define LBRX_WANT_bf16 1
#define LBRX_WANT_i8 1
#define LBRX_WANT_u8 1
#define LBRX_WANT_i16 1
#define LBRX_WANT_i32 1
#define LBRX_WANT_i64 1
#define LBRX_WANT_u32 1
#define LBRX_WANT_bool 1
#endif
#define LBRX_CAT(a, b) LBRX_CAT_(a, b)
#define LBRX_CAT_(a, b) a##b
#define LBRX_IF(T, ...) LBRX_CAT(LBRX_IF_IS_, LBRX_WANT_##T)(__VA_ARGS__)
#define LBRX_IF_IS_1(...) __VA_ARGS__
#define LBRX_IF_IS_LBRX_WANT_f32(...)
#define LBRX_IF_IS_LBRX_WANT_f64(...)
#define LBRX_IF_IS_LBRX_WANT_f16(...)
#define LBRX_IF_IS_LBRX_WANT_bf16(...)
#define LBRX_IF_IS_LBRX_WANT_i8(...)
#define LBRX_IF_IS_LBRX_WANT_u8(...)
#define LBRX_IF_IS_LBRX_WANT_i16(...)
#define LBRX_IF_IS_LBRX_WANT_i32(...)
#define LBRX_IF_IS_LBRX_WANT_i64(...)
#define LBRX_IF_IS_LBRX_WANT_u32(...)
#define LBRX_IF_IS_LBRX_WANT_bool(...)

// Integer dot products for the one-row quantized products (qmvi_*,
// gmvi_*): dp4a multiplies four byte pairs and adds them to c; _us reads
// a's bytes as unsigned (weight codes) and b's as signed (activation
// codes), _ss both as signed.
__device__ __forceinline__ int dp4a_us(u32 a, u32 b, int c) {
    int d;
    asm("dp4a.u32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
    return d;
}
__device__ __forceinline__ int dp4a_ss(u32 a, u32 b, int c) {
    int d;
    asm("dp4a.s32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
    return d;
}

// One activation row quantized to 8 bits in shared memory, as the CPU's
// integer kernels quantize it (quant/act_q8.go, quantizeQ8Go, the spec):
// blocks of 32 values with d = max|x|/127 and codes q = round(x/d) (ties
// to even) in [-127, 127], x ~ d*q. q holds the codes as bytes, four a
// word, in value order, or with PAIRS each 8 values as their even ones
// then their odd ones (the order of the low and high nibbles of an MLX
// 4-bit word); s holds the sum of the codes of each 16 values. ACTQ_MAXK
// bounds K (the host checks). ActQ8T<TK> holds TK columns of a row (a
// kernel that needs no shared copy declares a small one).
#define ACTQ_MAXK 8192
template <int TK>
struct alignas(16) ActQ8T {
    u32 q[TK / 4];
    float d[TK / 32];
    int s[TK / 16];
};
typedef ActQ8T<ACTQ_MAXK> ActQ8;

// Four codes as bytes of a word: the low byte of each float 1.5*2^23 + q
// is q in two's complement.
__device__ __forceinline__ u32 pack_codes(float a, float b, float c, float e) {
    return __byte_perm(__byte_perm(__float_as_uint(a), __float_as_uint(b), 0x0040u),
                       __byte_perm(__float_as_uint(c), __float_as_uint(e), 0x0040u), 0x5410u);
}

// ActQ8At writes rows into shared ActQ8T tiles, ActQ8Flat into flat
// global arrays (codes, scales and sums of one row after another).
template <class A> struct ActQ8At {
    A* a;
    __device__ u32* q(u32 r) const { return a[r].q; }
    __device__ float* d(u32 r) const { return a[r].d; }
    __device__ int* s(u32 r) const { return a[r].s; }
};
struct ActQ8Flat {
    u32* q_;
    float* d_;
    int* s_;
    u32 K;
    __device__ u32* q(u32 r) const { return q_ + r * (K / 4); }
    __device__ float* d(u32 r) const { return d_ + r * (K / 32); }
    __device__ int* s(u32 r) const { return s_ + r * (K / 16); }
};

// act_q8_into quantizes rows rows of K values each (K a multiple of 32),
// row r at x + r*ldx (16-byte aligned), into row r of a, every thread of the
// block taking 8 values at a time (four threads of a warp a block of 32),
// and synchronises the block: every thread must call it. Rounding follows
// quantizeQ8Go step for step: max|x| compared as bits (so a NaN wins),
// d = amax/127 and id = 127/amax as IEEE divisions, the product x*id
// rounded to float (no FMA) and then to an integer by adding 1.5*2^23.
// |x*id| cannot round past 127 (|x| <= amax), so the CPU's clamp never
// applies and is left out. A block holding a NaN or an infinity gets
// d = NaN and zero codes; one whose max|x| is zero, or so small that
// 127/max|x| overflows, d = 0 and zero codes. A block's codes depend on
// its 32 values only, whichever rows and columns a call takes.
template <bool PAIRS, class T, class Sink>
__device__ __forceinline__ void act_q8_into(const T* __restrict__ x, u32 ldx, u32 K, u32 rows, const Sink& a) {
    const u32 total = rows * K;
    for (u32 base = 0; base < total; base += blockDim.x * 8) {  // the same trip count in every thread
        const u32 i = base + threadIdx.x * 8;
        const bool on = i < total;  // the same for the four threads of a block: K is a multiple of 32
        const u32 r = on ? i / K : 0, j = i - r * K;
        float v[8];
        if (on) {
            ld8(x, (i64)r * ldx + j, v);
        } else {
#pragma unroll
            for (int e = 0; e < 8; ++e) v[e] = 0.f;
        }
        u32 m = 0;
#pragma unroll
        for (int e = 0; e < 8; ++e) {
            const u32 b = __float_as_uint(v[e]) & 0x7fffffffu;
            m = b > m ? b : m;
        }
#pragma unroll
        for (int o = 1; o <= 2; o <<= 1) {
            const u32 b = __shfl_xor_sync(0xffffffffu, m, o);
            m = b > m ? b : m;
        }
        float d = 0.f, id = 0.f;
        bool codes = false;
        if (m >= 0x7f800000u) {
            d = __uint_as_float(0x7fc00000u);
        } else if (m != 0) {
            const float amax = __uint_as_float(m);
            id = 127.f / amax;
            if (id <= 3.40282347e38f) {
                d = amax / 127.f;
                codes = true;
            }
        }
        u32 w0 = 0, w1 = 0;
        if (codes) {
            float f[8];
#pragma unroll
            for (int e = 0; e < 8; ++e) {
                // Explicit rounding modifiers: never contracted to an FMA.
                asm("mul.rn.f32 %0, %1, %2;" : "=f"(f[e]) : "f"(v[e]), "f"(id));
                asm("add.rn.f32 %0, %0, 0f4B400000;" : "+f"(f[e]));  // + 1.5*2^23
            }
            if (PAIRS) {
                w0 = pack_codes(f[0], f[2], f[4], f[6]);
                w1 = pack_codes(f[1], f[3], f[5], f[7]);
            } else {
                w0 = pack_codes(f[0], f[1], f[2], f[3]);
                w1 = pack_codes(f[4], f[5], f[6], f[7]);
            }
        }
        int s = dp4a_ss(w1, 0x01010101u, dp4a_ss(w0, 0x01010101u, 0));
        s += __shfl_xor_sync(0xffffffffu, s, 1);
        if (on) {
            u32* q = a.q(r);
            q[j / 4] = w0;
            q[j / 4 + 1] = w1;
            if ((threadIdx.x & 1) == 0) a.s(r)[j / 16] = s;
            if ((threadIdx.x & 3) == 0) a.d(r)[j / 32] = d;
        }
    }
    __syncthreads();
}

// act_q8_rows quantizes into shared tiles a[0, rows).
template <bool PAIRS, class T, class A>
__device__ __forceinline__ void act_q8_rows(const T* __restrict__ x, u32 ldx, u32 K, u32 rows, A* a) {
    act_q8_into<PAIRS>(x, ldx, K, rows, ActQ8At<A>{a});
}

// act_q8 quantizes one row x[0, K) into a (act_q8_rows).
template <bool PAIRS, class T>
__device__ __forceinline__ void act_q8(const T* __restrict__ x, u32 K, ActQ8& a) {
    act_q8_rows<PAIRS>(x, K, K, 1, &a);
}
