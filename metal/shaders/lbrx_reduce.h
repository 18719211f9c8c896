// Threadgroup-wide folds shared by the row kernels (reduce.metal,
// transformer.metal): sum/mean/max/min traits and lbrx_tg_fold, which folds
// each simdgroup with simd_sum/simd_max/simd_min and then the
// per-simdgroup partials left in threadgroup memory (32 floats).
#ifndef LBRX_REDUCE_H
#define LBRX_REDUCE_H

#include "lbrx_common.h"

struct lbrx_red_sum {
    static inline float init() { return 0.0f; }
    static inline float fold(float a, float b) { return a + b; }
    static inline float simd(float a) { return simd_sum(a); }
    static inline float finish(float a, uint n) { return a; }
};
struct lbrx_red_mean {
    static inline float init() { return 0.0f; }
    static inline float fold(float a, float b) { return a + b; }
    static inline float simd(float a) { return simd_sum(a); }
    static inline float finish(float a, uint n) { return a / float(n); }
};
struct lbrx_red_max {
    static inline float init() { return -INFINITY; }
    static inline float fold(float a, float b) { return max(a, b); }
    static inline float simd(float a) { return simd_max(a); }
    static inline float finish(float a, uint n) { return a; }
};
struct lbrx_red_min {
    static inline float init() { return INFINITY; }
    static inline float fold(float a, float b) { return min(a, b); }
    static inline float simd(float a) { return simd_min(a); }
    static inline float finish(float a, uint n) { return a; }
};

// Threadgroup-wide fold of v; every thread gets the result. scratch holds
// one float per simdgroup; the trailing barrier lets the caller reuse it.
template <typename R>
static inline float lbrx_tg_fold(float v, threadgroup float* scratch, uint sg, uint lane, uint nthreads) {
    uint nsg = (nthreads + 31) / 32;
    v = R::simd(v);
    if (lane == 0) {
        scratch[sg] = v;
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
    float w = lane < nsg ? scratch[lane] : R::init();
    w = R::simd(w);
    threadgroup_barrier(mem_flags::mem_threadgroup);
    return w;
}

#endif
