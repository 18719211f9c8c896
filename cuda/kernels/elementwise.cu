// Elementwise kernels: binary ops with broadcasting (operands arrive as
// strided views whose broadcast dimensions have stride 0), comparisons,
// where, and unary math. Kernel names are <op>_<dtype>.

struct OpAdd { template <class C> __device__ C operator()(C a, C b) const { return a + b; } };
struct OpSub { template <class C> __device__ C operator()(C a, C b) const { return a - b; } };
struct OpMul { template <class C> __device__ C operator()(C a, C b) const { return a * b; } };
struct OpDiv { template <class C> __device__ C operator()(C a, C b) const { return a / b; } };
struct OpPow { template <class C> __device__ C operator()(C a, C b) const { return m_pow(a, b); } };
// maximum and minimum propagate NaN, as numpy's do.
struct OpMax { template <class C> __device__ C operator()(C a, C b) const { return is_nan(a) ? a : is_nan(b) ? b : (a > b ? a : b); } };
struct OpMin { template <class C> __device__ C operator()(C a, C b) const { return is_nan(a) ? a : is_nan(b) ? b : (a < b ? a : b); } };
struct OpEq { template <class C> __device__ bool operator()(C a, C b) const { return a == b; } };
struct OpNe { template <class C> __device__ bool operator()(C a, C b) const { return a != b; } };
struct OpLt { template <class C> __device__ bool operator()(C a, C b) const { return a < b; } };
struct OpLe { template <class C> __device__ bool operator()(C a, C b) const { return a <= b; } };
struct OpGt { template <class C> __device__ bool operator()(C a, C b) const { return a > b; } };
struct OpGe { template <class C> __device__ bool operator()(C a, C b) const { return a >= b; } };

template <class T, class O, class F>
__device__ __forceinline__ void binary(const T* a, const T* b, O* out, const Layout& L) {
    F f;
    if (L.rank == 1 && L.st[0][0] == 1 && L.st[1][0] == 1) {
        const T* pa = a + L.off[0];
        const T* pb = b + L.off[1];
        GRID_LOOP(i, L.n) st(out, i, f(ld(pa, i), ld(pb, i)));
        return;
    }
    GRID_LOOP(i, L.n) {
        i64 o0, o1, o2;
        offsets(L, i, o0, o1, o2);
        st(out, i, f(ld(a, o0), ld(b, o1)));
    }
}

#define BIN(op, F, T) LBRX_IF(T, BIN_(op, F, T))
#define BIN_(op, F, T) \
    extern "C" __global__ void op##_##T(const T* a, const T* b, T* out, Layout L) { binary<T, T, F>(a, b, out, L); }
#define CMP(op, F, T) LBRX_IF(T, CMP_(op, F, T))
#define CMP_(op, F, T) \
    extern "C" __global__ void op##_##T(const T* a, const T* b, bool* out, Layout L) { binary<T, bool, F>(a, b, out, L); }

#define FLOATS(X, ...) X(__VA_ARGS__, f32) X(__VA_ARGS__, f64) X(__VA_ARGS__, f16) X(__VA_ARGS__, bf16)
#define INTS(X, ...) X(__VA_ARGS__, i8) X(__VA_ARGS__, u8) X(__VA_ARGS__, i16) X(__VA_ARGS__, i32) X(__VA_ARGS__, i64) X(__VA_ARGS__, u32)
#define NUMS(X, ...) FLOATS(X, __VA_ARGS__) INTS(X, __VA_ARGS__)

#define BIN2(op, F, T) BIN(op, F, T)
#define CMP2(op, F, T) CMP(op, F, T)
NUMS(BIN2, add, OpAdd)
NUMS(BIN2, sub, OpSub)
NUMS(BIN2, mul, OpMul)
NUMS(BIN2, maximum, OpMax)
NUMS(BIN2, minimum, OpMin)
FLOATS(BIN2, div, OpDiv)
// Integer division truncates toward zero and x/0 is 0 (core's rule); -1
// negates with wrap-around, where MIN/-1 would overflow.
struct OpIDiv {
    template <class C> __device__ C operator()(C a, C b) const {
        return b == 0 ? (C)0 : b == (C)-1 ? (C)(0 - (u64)a) : (C)(a / b);
    }
};
INTS(BIN2, div, OpIDiv)
FLOATS(BIN2, pow, OpPow)
NUMS(CMP2, eq, OpEq)
NUMS(CMP2, ne, OpNe)
NUMS(CMP2, lt, OpLt)
NUMS(CMP2, le, OpLe)
NUMS(CMP2, gt, OpGt)
NUMS(CMP2, ge, OpGe)

// where(cond, a, b): operand 0 is the BOOL condition.
#define WHERE(T) LBRX_IF(T, WHERE_(T))
#define WHERE_(T) \
    extern "C" __global__ void where_##T(const bool* c, const T* a, const T* b, T* out, Layout L) { \
        GRID_LOOP(i, L.n) {                                                                     \
            i64 o0, o1, o2;                                                                     \
            offsets(L, i, o0, o1, o2);                                                          \
            out[i] = c[o0] ? a[o1] : b[o2];                                                     \
        }                                                                                       \
    }
#define WHERE2(_, T) WHERE(T)
NUMS(WHERE2, _)
WHERE(bool)

struct OpNeg { template <class C> __device__ C operator()(C x) const { return -x; } };
struct OpAbs { template <class C> __device__ C operator()(C x) const { return m_abs(x); } };
struct OpExp { template <class C> __device__ C operator()(C x) const { return m_exp(x); } };
struct OpLog { template <class C> __device__ C operator()(C x) const { return m_log(x); } };
struct OpSqrt { template <class C> __device__ C operator()(C x) const { return m_sqrt(x); } };
// 1/sqrt rather than the rsqrt instruction, which is not correctly rounded.
struct OpRsqrt { template <class C> __device__ C operator()(C x) const { return (C)1 / m_sqrt(x); } };
struct OpSin { template <class C> __device__ C operator()(C x) const { return m_sin(x); } };
struct OpCos { template <class C> __device__ C operator()(C x) const { return m_cos(x); } };
struct OpTanh { template <class C> __device__ C operator()(C x) const { return m_tanh(x); } };
struct OpSigmoid { template <class C> __device__ C operator()(C x) const { return (C)1 / ((C)1 + m_exp(-x)); } };
struct OpRelu { template <class C> __device__ C operator()(C x) const { return x > (C)0 ? x : (C)0; } };
struct OpSilu { template <class C> __device__ C operator()(C x) const { return x / ((C)1 + m_exp(-x)); } };
struct OpGelu {
    template <class C> __device__ C operator()(C x) const {
        return (C)0.5 * x * ((C)1 + m_erf(x * (C)0.70710678118654752440));
    }
};
struct OpGeluTanh {
    template <class C> __device__ C operator()(C x) const {
        return (C)0.5 * x * ((C)1 + m_tanh((C)0.79788456080286535588 * (x + (C)0.044715 * x * x * x)));
    }
};

template <class T, class F>
__device__ __forceinline__ void unary(const T* a, T* out, const Layout& L) {
    F f;
    typedef typename CT<T>::type C;
    if (L.rank == 1 && L.st[0][0] == 1) {
        const T* pa = a + L.off[0];
        GRID_LOOP(i, L.n) st(out, i, (C)f(ld(pa, i)));
        return;
    }
    GRID_LOOP(i, L.n) {
        i64 o0, o1, o2;
        offsets(L, i, o0, o1, o2);
        st(out, i, (C)f(ld(a, o0)));
    }
}

#define UN(op, F, T) LBRX_IF(T, UN_(op, F, T))
#define UN_(op, F, T) \
    extern "C" __global__ void op##_##T(const T* a, T* out, Layout L) { unary<T, F>(a, out, L); }
FLOATS(UN, neg, OpNeg)
UN(neg, OpNeg, i8) UN(neg, OpNeg, i16) UN(neg, OpNeg, i32) UN(neg, OpNeg, i64)
FLOATS(UN, abs, OpAbs)
UN(abs, OpAbs, i8) UN(abs, OpAbs, i16) UN(abs, OpAbs, i32) UN(abs, OpAbs, i64) UN(abs, OpAbs, u8) UN(abs, OpAbs, u32)
INTS(UN, relu, OpRelu)
FLOATS(UN, exp, OpExp)
FLOATS(UN, log, OpLog)
FLOATS(UN, sqrt, OpSqrt)
FLOATS(UN, rsqrt, OpRsqrt)
FLOATS(UN, sin, OpSin)
FLOATS(UN, cos, OpCos)
FLOATS(UN, tanh, OpTanh)
FLOATS(UN, sigmoid, OpSigmoid)
FLOATS(UN, relu, OpRelu)

FLOATS(UN, silu, OpSilu)
FLOATS(UN, gelu, OpGelu)
FLOATS(UN, gelu_tanh, OpGeluTanh)
