// The ops of a decoder-only transformer's forward pass that are not
// elementwise or matmuls: rms_norm, rope, causal_attention (core's op
// conventions: core/ops_norm.go, ops_rope.go, ops_attention.go), and the
// copy behind concat (core/ops_concat.go), which grows a KV cache.
// f16/bf16 compute in f32 and round once on store.
#include "lbrx_reduce.h"

// rms_norm: one threadgroup per row. The sum of squares is folded across
// the threadgroup, then every thread scales its strided slice of the row.
template <typename D>
static inline void lbrx_rms_norm(device const typename D::storage* x, device const typename D::storage* w,
                                 device typename D::storage* out, constant RMSNormParams& p,
                                 threadgroup float* scratch, uint row, uint tid, uint nthreads, uint sg,
                                 uint lane) {
    if (row >= p.rows) {
        return;  // the whole threadgroup: no barrier is skipped by part of it
    }
    device const typename D::storage* xr = x + row * p.cols;
    device typename D::storage* yr = out + row * p.cols;
    float ss = 0.0f;
    for (uint c = tid; c < p.cols; c += nthreads) {
        float v = D::load(xr[c]);
        ss += v * v;
    }
    ss = lbrx_tg_fold<lbrx_red_sum>(ss, scratch, sg, lane, nthreads);
    // Like core (and Hugging Face), the inverse root is one value that
    // scales x before w does.
    float inv = 1.0f / sqrt(ss / float(p.cols) + p.eps);
    for (uint c = tid; c < p.cols; c += nthreads) {
        yr[c] = D::store(D::load(xr[c]) * inv * D::load(w[c]));
    }
}

#define LBRX_RMS_NORM(SFX, D)                                                                      \
    kernel void rms_norm_##SFX(device const D::storage* x [[buffer(0)]],                         \
                               device const D::storage* w [[buffer(1)]],                         \
                               device D::storage* out [[buffer(2)]],                             \
                               constant RMSNormParams& p [[buffer(3)]],                          \
                               threadgroup float* scratch [[threadgroup(0)]],                    \
                               uint row [[threadgroup_position_in_grid]],                        \
                               uint tid [[thread_position_in_threadgroup]],                      \
                               uint nthreads [[threads_per_threadgroup]],                        \
                               uint sg [[simdgroup_index_in_threadgroup]],                       \
                               uint lane [[thread_index_in_simdgroup]]) {                        \
        lbrx_rms_norm<D>(x, w, out, p, scratch, row, tid, nthreads, sg, lane);                     \
    }

LBRX_RMS_NORM(f32, lbrx_f32)
LBRX_RMS_NORM(f16, lbrx_f16)
LBRX_RMS_NORM(bf16, lbrx_bf16)

// rope (rotate-half): one thread per rotation pair (j, j + half_dim) of a
// head vector, so each element is read and written once.
template <typename D>
static inline void lbrx_rope(device const typename D::storage* x, device const float* cs, device const float* sn,
                             device typename D::storage* out, constant RoPEParams& p, uint i) {
    if (i >= p.pairs) {
        return;
    }
    uint hd = p.half_dim;
    uint vec = i / hd;
    uint j = i % hd;
    uint t = (vec / p.heads) % p.positions * hd + j;
    float c = cs[t];
    float s = sn[t];
    uint b = vec * 2u * hd + j;
    float x1 = D::load(x[b]);
    float x2 = D::load(x[b + hd]);
    out[b] = D::store(x1 * c - x2 * s);
    out[b + hd] = D::store(x2 * c + x1 * s);
}

#define LBRX_ROPE(SFX, D)                                                                          \
    kernel void rope_##SFX(device const D::storage* x [[buffer(0)]],                             \
                           device const float* cs [[buffer(1)]],                                  \
                           device const float* sn [[buffer(2)]],                                  \
                           device D::storage* out [[buffer(3)]],                                  \
                           constant RoPEParams& p [[buffer(4)]],                                  \
                           uint i [[thread_position_in_grid]]) {                                  \
        lbrx_rope<D>(x, cs, sn, out, p, i);                                                        \
    }

LBRX_ROPE(f32, lbrx_f32)
LBRX_ROPE(f16, lbrx_f16)
LBRX_ROPE(bf16, lbrx_bf16)

// causal_attention: one threadgroup per query row (batch, position, head).
// The query row is staged in threadgroup memory; keys are visited in
// chunks of LBRX_ATT_CHUNK whose scores sit in threadgroup memory, with
// the running maximum m and denominator l rescaled between chunks (online
// softmax), so any number of cached keys fits. Simdgroup s takes keys s,
// s + nsg, ... of a chunk: each score is its dot product with lanes over
// the head dimensions (coalesced key reads, one simd_sum), and its lanes
// accumulate those keys' weighted values, lane i owning dimensions i,
// i + 32, ... (at most LBRX_ATT_LANE_DIMS). The simdgroups' partial sums
// meet in threadgroup memory at the end.
//
// Threadgroup memory (floats): q [d] | scores [LBRX_ATT_CHUNK] | fold
// scratch [32] | partial outputs [nsg * d].
#define LBRX_ATT_MAX_HEAD 512
#define LBRX_ATT_CHUNK 1024
#define LBRX_ATT_LANE_DIMS 16  // LBRX_ATT_MAX_HEAD / 32

template <typename D>
static inline void lbrx_attention(device const typename D::storage* q, device const typename D::storage* k,
                                  device const typename D::storage* v, device typename D::storage* out,
                                  constant AttentionParams& p, threadgroup float* tg, uint row, uint tid,
                                  uint nthreads, uint sg, uint lane) {
    if (row >= p.rows) {
        return;  // the whole threadgroup
    }
    uint d = p.d;
    threadgroup float* qs = tg;
    threadgroup float* sc = qs + d;
    threadgroup float* scratch = sc + LBRX_ATT_CHUNK;
    threadgroup float* part = scratch + 32;
    uint h = row % p.hq;
    uint bi = row / p.hq;  // batch*tq + query index
    uint i = bi % p.tq;
    uint b = bi / p.tq;
    uint g = h / (p.hq / p.hkv);
    uint last = i + p.tk - p.tq;  // keys first..last are visible
    uint first = p.window > 0 && last >= p.window ? last - p.window + 1 : 0;
    uint pos = p.hkv * d;         // elements between key positions
    device const typename D::storage* kb = k + b * p.tk * pos + g * d;
    device const typename D::storage* vb = v + b * p.tk * pos + g * d;
    device const typename D::storage* qr = q + row * d;
    for (uint e = tid; e < d; e += nthreads) {
        qs[e] = D::load(qr[e]);
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
    uint nsg = (nthreads + 31) / 32;
    float acc[LBRX_ATT_LANE_DIMS];
    for (uint a = 0; a < LBRX_ATT_LANE_DIMS; a++) {
        acc[a] = 0.0f;
    }
    float m = -INFINITY;
    float l = 0.0f;
    for (uint j0 = first; j0 <= last; j0 += LBRX_ATT_CHUNK) {
        uint n = min(uint(LBRX_ATT_CHUNK), last + 1 - j0);
        for (uint j = sg; j < n; j += nsg) {
            device const typename D::storage* kr = kb + (j0 + j) * pos;
            float s = 0.0f;
            for (uint e = lane; e < d; e += 32) {
                s += qs[e] * D::load(kr[e]);
            }
            s = simd_sum(s);
            if (lane == 0) {
                s *= p.scale;
                if (p.softcap > 0.0f) {
                    s = p.softcap * tanh(s / p.softcap);
                }
                sc[j] = s;
            }
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
        float cm = -INFINITY;
        for (uint j = tid; j < n; j += nthreads) {
            cm = max(cm, sc[j]);
        }
        cm = lbrx_tg_fold<lbrx_red_max>(cm, scratch, sg, lane, nthreads);
        float nm = max(m, cm);
        float alpha = exp(m - nm);  // 0 on the first chunk (m = -inf)
        float ps = 0.0f;
        for (uint j = tid; j < n; j += nthreads) {
            float e = exp(sc[j] - nm);
            sc[j] = e;
            ps += e;
        }
        // The fold's barriers also publish the probabilities in sc.
        ps = lbrx_tg_fold<lbrx_red_sum>(ps, scratch, sg, lane, nthreads);
        l = l * alpha + ps;
        for (uint a = 0; a < LBRX_ATT_LANE_DIMS; a++) {
            acc[a] *= alpha;
        }
        for (uint j = sg; j < n; j += nsg) {
            float pj = sc[j];
            device const typename D::storage* vr = vb + (j0 + j) * pos;
            for (uint a = 0; a < LBRX_ATT_LANE_DIMS; a++) {
                uint e = lane + 32 * a;
                if (e >= d) {
                    break;
                }
                acc[a] += pj * D::load(vr[e]);
            }
        }
        m = nm;
        threadgroup_barrier(mem_flags::mem_threadgroup);  // sc is rewritten by the next chunk
    }
    for (uint a = 0; a < LBRX_ATT_LANE_DIMS; a++) {
        uint e = lane + 32 * a;
        if (e >= d) {
            break;
        }
        part[sg * d + e] = acc[a];
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
    device typename D::storage* o = out + row * d;
    for (uint e = tid; e < d; e += nthreads) {
        float s = 0.0f;
        for (uint r = 0; r < nsg; r++) {
            s += part[r * d + e];
        }
        o[e] = D::store(s / l);
    }
}

#define LBRX_ATTENTION(SFX, D)                                                                     \
    kernel void causal_attention_##SFX(device const D::storage* q [[buffer(0)]],                 \
                                       device const D::storage* k [[buffer(1)]],                 \
                                       device const D::storage* v [[buffer(2)]],                 \
                                       device D::storage* out [[buffer(3)]],                     \
                                       constant AttentionParams& p [[buffer(4)]],                \
                                       threadgroup float* tg [[threadgroup(0)]],                 \
                                       uint row [[threadgroup_position_in_grid]],                \
                                       uint tid [[thread_position_in_threadgroup]],              \
                                       uint nthreads [[threads_per_threadgroup]],                \
                                       uint sg [[simdgroup_index_in_threadgroup]],               \
                                       uint lane [[thread_index_in_simdgroup]]) {                \
        lbrx_attention<D>(q, k, v, out, p, tg, row, tid, nthreads, sg, lane);                      \
    }

LBRX_ATTENTION(f32, lbrx_f32)
LBRX_ATTENTION(f16, lbrx_f16)
LBRX_ATTENTION(bf16, lbrx_bf16)

// concat: copies one (possibly strided) input into its blocks of the
// contiguous output, one thread per element. Only the bits move, so one
// kernel per element size serves every dtype of that size.
template <typename T>
static inline void lbrx_concat(device const T* in, device T* out, constant ConcatParams& p, uint i) {
    if (i >= p.n) {
        return;
    }
    uint dst = p.dst_offset + (i / p.block) * p.dst_stride + i % p.block;
    out[dst] = in[lbrx_strided(i, p.rank, p.shape, p.strides, p.offset)];
}

#define LBRX_CONCAT(SFX, T)                                                                        \
    kernel void concat_##SFX(device const T* in [[buffer(0)]],                                   \
                             device T* out [[buffer(1)]],                                         \
                             constant ConcatParams& p [[buffer(2)]],                              \
                             uint i [[thread_position_in_grid]]) {                                \
        lbrx_concat<T>(in, out, p, i);                                                             \
    }

LBRX_CONCAT(x8, uchar)
LBRX_CONCAT(x16, ushort)
LBRX_CONCAT(x32, uint)
LBRX_CONCAT(x64, ulong)
