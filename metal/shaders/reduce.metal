// Reductions (sum, max, min, mean) and softmax over the last axis: one
// threadgroup per row; each thread folds a strided slice of the row, then
// simd_sum/simd_max/simd_min fold each simdgroup, and simdgroup 0 folds the
// per-simdgroup partials left in threadgroup memory (32 floats).
#include "lbrx_reduce.h"

// max/min drop NaN (fmax semantics); a NaN anywhere in the row is carried
// separately so that the result is NaN, as the CPU reference gives.
template <typename D, typename R>
static inline void lbrx_reduce(device const typename D::storage* in, device typename D::storage* out,
                               constant ReduceParams& p, threadgroup float* scratch, uint row, uint tid,
                               uint nthreads, uint sg, uint lane) {
    device const typename D::storage* x = in + row * p.row_stride;
    float acc = R::init();
    float nan = 0.0f;
    for (uint c = tid; c < p.cols; c += nthreads) {
        float v = D::load(x[c]);
        if (isnan(v)) {
            nan = 1.0f;
        }
        acc = R::fold(acc, v);
    }
    acc = lbrx_tg_fold<R>(acc, scratch, sg, lane, nthreads);
    nan = lbrx_tg_fold<lbrx_red_max>(nan, scratch, sg, lane, nthreads);
    if (tid == 0) {
        float r = R::finish(acc, p.cols);
        out[row] = D::store(nan > 0.0f ? as_type<float>(0x7fc00000u) : r);
    }
}

#define LBRX_REDUCE(OP, SFX, D)                                                                     \
    kernel void reduce_##OP##_##SFX(device const D::storage* in [[buffer(0)]],                      \
                                    device D::storage* out [[buffer(1)]],                           \
                                    constant ReduceParams& p [[buffer(2)]],                         \
                                    threadgroup float* scratch [[threadgroup(0)]],                  \
                                    uint row [[threadgroup_position_in_grid]],                      \
                                    uint tid [[thread_position_in_threadgroup]],                    \
                                    uint nthreads [[threads_per_threadgroup]],                      \
                                    uint sg [[simdgroup_index_in_threadgroup]],                     \
                                    uint lane [[thread_index_in_simdgroup]]) {                      \
        lbrx_reduce<D, lbrx_red_##OP>(in, out, p, scratch, row, tid, nthreads, sg, lane);           \
    }
#define LBRX_REDUCE_ALL(OP) LBRX_REDUCE(OP, f32, lbrx_f32) LBRX_REDUCE(OP, f16, lbrx_f16) LBRX_REDUCE(OP, bf16, lbrx_bf16)

LBRX_REDUCE_ALL(sum)
LBRX_REDUCE_ALL(mean)
LBRX_REDUCE_ALL(max)
LBRX_REDUCE_ALL(min)

// softmax(x) = exp(x - max) / sum(exp(x - max)), three passes over the
// row; LOG gives log_softmax(x) = x - max - log(sum(exp(x - max))).
template <typename D, bool LOG>
static inline void lbrx_softmax(device const typename D::storage* in, device typename D::storage* out,
                                constant ReduceParams& p, threadgroup float* scratch, uint row, uint tid,
                                uint nthreads, uint sg, uint lane) {
    device const typename D::storage* x = in + row * p.row_stride;
    device typename D::storage* y = out + row * p.cols;
    float m = -INFINITY;
    float nan = 0.0f;
    for (uint c = tid; c < p.cols; c += nthreads) {
        float v = D::load(x[c]);
        if (isnan(v)) {
            nan = 1.0f;
        }
        m = max(m, v);
    }
    m = lbrx_tg_fold<lbrx_red_max>(m, scratch, sg, lane, nthreads);
    nan = lbrx_tg_fold<lbrx_red_max>(nan, scratch, sg, lane, nthreads);
    if (nan > 0.0f) {
        m = as_type<float>(0x7fc00000u);
    }
    float s = 0.0f;
    for (uint c = tid; c < p.cols; c += nthreads) {
        s += exp(D::load(x[c]) - m);
    }
    s = lbrx_tg_fold<lbrx_red_sum>(s, scratch, sg, lane, nthreads);
    if (LOG) {
        float ls = m + log(s);
        for (uint c = tid; c < p.cols; c += nthreads) {
            y[c] = D::store(D::load(x[c]) - ls);
        }
        return;
    }
    float inv = 1.0f / s;
    for (uint c = tid; c < p.cols; c += nthreads) {
        y[c] = D::store(exp(D::load(x[c]) - m) * inv);
    }
}

#define LBRX_SOFTMAX(NAME, LOG, SFX, D)                                                              \
    kernel void NAME##_##SFX(device const D::storage* in [[buffer(0)]],                            \
                              device D::storage* out [[buffer(1)]],                                 \
                              constant ReduceParams& p [[buffer(2)]],                               \
                              threadgroup float* scratch [[threadgroup(0)]],                        \
                              uint row [[threadgroup_position_in_grid]],                            \
                              uint tid [[thread_position_in_threadgroup]],                          \
                              uint nthreads [[threads_per_threadgroup]],                            \
                              uint sg [[simdgroup_index_in_threadgroup]],                           \
                              uint lane [[thread_index_in_simdgroup]]) {                            \
        lbrx_softmax<D, LOG>(in, out, p, scratch, row, tid, nthreads, sg, lane);                    \
    }

LBRX_SOFTMAX(softmax, false, f32, lbrx_f32)
LBRX_SOFTMAX(softmax, false, f16, lbrx_f16)
LBRX_SOFTMAX(softmax, false, bf16, lbrx_bf16)
LBRX_SOFTMAX(log_softmax, true, f32, lbrx_f32)
LBRX_SOFTMAX(log_softmax, true, f16, lbrx_f16)
LBRX_SOFTMAX(log_softmax, true, bf16, lbrx_bf16)
