// Elementwise kernels: binary ops with broadcasting, unary ops, casts.
// One thread per output element (see README.md for the dispatch).
#include "lbrx_common.h"

// Binary ops on f32 values. maximum/minimum propagate NaN (fmax would not).
struct lbrx_op_add { static inline float f(float a, float b) { return a + b; } };
struct lbrx_op_sub { static inline float f(float a, float b) { return a - b; } };
struct lbrx_op_mul { static inline float f(float a, float b) { return a * b; } };
struct lbrx_op_div { static inline float f(float a, float b) { return a / b; } };
struct lbrx_op_maximum {
    static inline float f(float a, float b) { return (isnan(a) || isnan(b)) ? a + b : (a > b ? a : b); }
};
struct lbrx_op_minimum {
    static inline float f(float a, float b) { return (isnan(a) || isnan(b)) ? a + b : (a < b ? a : b); }
};
// pow with C semantics for negative bases: integral exponents give a signed
// result, others NaN (metal::pow leaves x < 0 undefined).
struct lbrx_op_pow {
    static inline float f(float a, float b) {
        if (b == 0.0f) {
            return 1.0f;
        }
        if (a >= 0.0f || isnan(a)) {
            return pow(a, b);
        }
        if (isinf(b)) {
            return pow(-a, b);
        }
        if (floor(b) != b) {
            return as_type<float>(0x7fc00000u);
        }
        float r = pow(-a, b);
        return fmod(b, 2.0f) != 0.0f ? -r : r;
    }
};

template <typename D, typename Op>
static inline void lbrx_binary(device const typename D::storage* a, device const typename D::storage* b,
                               device typename D::storage* out, constant BinaryParams& p, uint i) {
    if (i >= p.n) {
        return;
    }
    int ia = lbrx_strided(i, p.rank, p.shape, p.a_strides, p.a_offset);
    int ib = lbrx_strided(i, p.rank, p.shape, p.b_strides, p.b_offset);
    out[i] = D::store(Op::f(D::load(a[ia]), D::load(b[ib])));
}

#define LBRX_BINARY(OP, SFX, D)                                                                     \
    kernel void binary_##OP##_##SFX(device const D::storage* a [[buffer(0)]],                       \
                                    device const D::storage* b [[buffer(1)]],                       \
                                    device D::storage* out [[buffer(2)]],                           \
                                    constant BinaryParams& p [[buffer(3)]],                         \
                                    uint i [[thread_position_in_grid]]) {                           \
        lbrx_binary<D, lbrx_op_##OP>(a, b, out, p, i);                                              \
    }
#define LBRX_BINARY_ALL(OP) LBRX_BINARY(OP, f32, lbrx_f32) LBRX_BINARY(OP, f16, lbrx_f16) LBRX_BINARY(OP, bf16, lbrx_bf16)

LBRX_BINARY_ALL(add)
LBRX_BINARY_ALL(sub)
LBRX_BINARY_ALL(mul)
LBRX_BINARY_ALL(div)
LBRX_BINARY_ALL(maximum)
LBRX_BINARY_ALL(minimum)
LBRX_BINARY_ALL(pow)

// Unary ops on f32 values.
struct lbrx_op_neg { static inline float f(float x) { return -x; } };
struct lbrx_op_abs { static inline float f(float x) { return fabs(x); } };
struct lbrx_op_exp { static inline float f(float x) { return exp(x); } };
struct lbrx_op_log { static inline float f(float x) { return log(x); } };
struct lbrx_op_sqrt { static inline float f(float x) { return sqrt(x); } };
struct lbrx_op_rsqrt { static inline float f(float x) { return 1.0f / sqrt(x); } };
struct lbrx_op_sin { static inline float f(float x) { return sin(x); } };
struct lbrx_op_cos { static inline float f(float x) { return cos(x); } };
struct lbrx_op_tanh { static inline float f(float x) { return tanh(x); } };
struct lbrx_op_sigmoid { static inline float f(float x) { return 1.0f / (1.0f + exp(-x)); } };
struct lbrx_op_relu { static inline float f(float x) { return x > 0.0f ? x : (isnan(x) ? x : 0.0f); } };
struct lbrx_op_gelu { static inline float f(float x) { return 0.5f * x * lbrx_erfc(-x * 0.70710678118654752f); } };
struct lbrx_op_gelu_tanh {
    static inline float f(float x) {
        float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1.0f + tanh(u));
    }
};
struct lbrx_op_silu { static inline float f(float x) { return x / (1.0f + exp(-x)); } };

template <typename S, typename D, typename Op>
static inline void lbrx_unary(device const typename S::storage* in, device typename D::storage* out,
                              constant UnaryParams& p, uint i) {
    if (i >= p.n) {
        return;
    }
    out[i] = D::store(Op::f(S::load(in[lbrx_strided(i, p.rank, p.shape, p.strides, p.offset)])));
}

#define LBRX_UNARY(OP, SFX, D)                                                                      \
    kernel void unary_##OP##_##SFX(device const D::storage* in [[buffer(0)]],                       \
                                   device D::storage* out [[buffer(1)]],                            \
                                   constant UnaryParams& p [[buffer(2)]],                           \
                                   uint i [[thread_position_in_grid]]) {                            \
        lbrx_unary<D, D, lbrx_op_##OP>(in, out, p, i);                                              \
    }
#define LBRX_UNARY_ALL(OP) LBRX_UNARY(OP, f32, lbrx_f32) LBRX_UNARY(OP, f16, lbrx_f16) LBRX_UNARY(OP, bf16, lbrx_bf16)

LBRX_UNARY_ALL(neg)
LBRX_UNARY_ALL(abs)
LBRX_UNARY_ALL(exp)
LBRX_UNARY_ALL(log)
LBRX_UNARY_ALL(sqrt)
LBRX_UNARY_ALL(rsqrt)
LBRX_UNARY_ALL(sin)
LBRX_UNARY_ALL(cos)
LBRX_UNARY_ALL(tanh)
LBRX_UNARY_ALL(sigmoid)
LBRX_UNARY_ALL(relu)
LBRX_UNARY_ALL(gelu)
LBRX_UNARY_ALL(gelu_tanh)
LBRX_UNARY_ALL(silu)

// Casts: widen to f32 exactly, then round to the destination.
struct lbrx_op_id { static inline float f(float x) { return x; } };

#define LBRX_CAST(SS, S, DS, D)                                                                     \
    kernel void cast_##SS##_##DS(device const S::storage* in [[buffer(0)]],                         \
                                 device D::storage* out [[buffer(1)]],                              \
                                 constant UnaryParams& p [[buffer(2)]],                             \
                                 uint i [[thread_position_in_grid]]) {                              \
        lbrx_unary<S, D, lbrx_op_id>(in, out, p, i);                                                \
    }

LBRX_CAST(f32, lbrx_f32, f16, lbrx_f16)
LBRX_CAST(f32, lbrx_f32, bf16, lbrx_bf16)
LBRX_CAST(f16, lbrx_f16, f32, lbrx_f32)
LBRX_CAST(f16, lbrx_f16, bf16, lbrx_bf16)
LBRX_CAST(bf16, lbrx_bf16, f32, lbrx_f32)
LBRX_CAST(bf16, lbrx_bf16, f16, lbrx_f16)
