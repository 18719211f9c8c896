// Helpers shared by every lbrx Metal kernel: dtype load/store traits,
// strided indexing, and the math MSL lacks (erfc). Everything here is
// static inline so that the run-time source build, which concatenates all
// files into one translation unit, has exactly one definition.
#ifndef LBRX_COMMON_H
#define LBRX_COMMON_H

#include <metal_stdlib>
#include "lbrx_params.h"

using namespace metal;

// bfloat16 travels as its raw 16 bits (MSL 3.0 has no bfloat type).
static inline float lbrx_bf16_to_f32(ushort b) { return as_type<float>(uint(b) << 16); }

// Round to nearest even; NaN stays NaN (quiet bit forced, sign kept).
static inline ushort lbrx_f32_to_bf16(float f) {
    uint u = as_type<uint>(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        return ushort((u >> 16) | 0x40u);
    }
    u += 0x7fffu + ((u >> 16) & 1u);
    return ushort(u >> 16);
}

// Dtype traits: storage type in device memory, widening load, rounding store.
struct lbrx_f32 {
    typedef float storage;
    static inline float load(float v) { return v; }
    static inline float store(float f) { return f; }
};
struct lbrx_f16 {
    typedef half storage;
    static inline float load(half v) { return float(v); }
    static inline half store(float f) { return half(f); }
};
struct lbrx_bf16 {
    typedef ushort storage;
    static inline float load(ushort v) { return lbrx_bf16_to_f32(v); }
    static inline ushort store(float f) { return lbrx_f32_to_bf16(f); }
};

// Element index of output element i (row-major over shape) in a strided input.
static inline int lbrx_strided(uint i, uint rank, constant uint* shape, constant int* strides, uint offset) {
    if (rank == 1) {  // merged contiguous or simply strided: no division
        return int(offset) + int(i) * strides[0];
    }
    int idx = int(offset);
    for (int d = int(rank) - 1; d >= 0; --d) {
        uint s = shape[d];
        uint c = i % s;
        i /= s;
        idx += int(c) * strides[d];
    }
    return idx;
}

// Complementary error function, fractional error below 1.2e-7 for every
// x (the Chebyshev fit of Numerical Recipes' erfcc); MSL has no erf.
static inline float lbrx_erfc(float x) {
    float z = fabs(x);
    float t = 1.0f / (1.0f + 0.5f * z);
    float p = -0.82215223f + t * 0.17087277f;
    p = 1.48851587f + t * p;
    p = -1.13520398f + t * p;
    p = 0.27886807f + t * p;
    p = -0.18628806f + t * p;
    p = 0.09678418f + t * p;
    p = 0.37409196f + t * p;
    p = 1.00002368f + t * p;
    float r = t * exp(-z * z - 1.26551223f + t * p);
    return x >= 0.0f ? r : 2.0f - r;
}

#endif
