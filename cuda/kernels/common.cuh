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
