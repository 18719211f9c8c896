// Transformer kernels: rms_norm, rope and causal_attention, with core's op
// conventions (core/ops_norm.go, ops_rope.go, ops_attention.go). Inputs are
// contiguous; compute is in CT<T> (float for f16/bf16), rounding once on
// store. Kernel names: <op>_<dtype>.

__device__ __forceinline__ float neg_inf(float) { return __int_as_float(0xff800000); }
__device__ __forceinline__ double neg_inf(double) { return __longlong_as_double(0xfff0000000000000ULL); }

// Block-wide sum (warp shuffles, then one value per warp in shared memory).
template <class C>
__device__ __forceinline__ C block_sum(C v) {
    __shared__ C sh[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    if (lane == 0) sh[w] = v;
    __syncthreads();
    v = 0;
    for (int i = 0; i < nw; ++i) v += sh[i];
    __syncthreads();
    return v;
}

template <class C>
__device__ __forceinline__ C block_max(C v) {
    __shared__ C sh[32];
    for (int o = 16; o > 0; o >>= 1) { C u = __shfl_xor_sync(0xffffffffu, v, o); v = u > v ? u : v; }
    const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    if (lane == 0) sh[w] = v;
    __syncthreads();
    v = sh[0];
    for (int i = 1; i < nw; ++i) v = sh[i] > v ? sh[i] : v;
    __syncthreads();
    return v;
}

// A value rounded to the storage type T and widened back: what storing
// it and loading it again gives.
__device__ __forceinline__ float rnd(const f16*, float v) { return h2f(f2h(v)); }
__device__ __forceinline__ float rnd(const bf16*, float v) { return b2f(f2b(v)); }
template <class T, class C> __device__ __forceinline__ C rnd(const T*, C v) { return v; }

// norm_row: one block per row of d values, y = s / sqrt(mean(s^2) + eps) * w
// with s = x, or with ADD s = x + r rounded to T (stored into sum too, as
// a separate add leaves it). Rows of up to NORM_PER values a thread keep
// s and w in registers, their loads issued together: a decode step's
// single-row norm then waits for memory twice instead of once per value.
// The squares add up in the same order either way (thread t: t, t+bd,
// ...), so rms_norm and add_rms_norm agree with add then rms_norm.
#define NORM_PER 16
template <class T, bool ADD>
__device__ __forceinline__ void norm_row(const T* x, const T* r, const T* w, T* sum, T* out, i64 d, double eps) {
    typedef typename CT<T>::type C;
    const i64 bd = blockDim.x;
    C ss = 0;
    if (d <= NORM_PER * bd) {
        C v[NORM_PER], wv[NORM_PER];
#pragma unroll
        for (int i = 0; i < NORM_PER; ++i) {
            const i64 j = threadIdx.x + i * bd;
            C a = 0;
            wv[i] = 0;
            if (j < d) {
                a = ld(x, j);
                wv[i] = ld(w, j);
                if (ADD) {
                    a = rnd(x, a + (C)ld(r, j));
                    st(sum, j, a);
                }
            }
            v[i] = a;
            ss += a * a;
        }
        ss = block_sum(ss);
        const C inv = (C)(1.0 / sqrt((double)ss / (double)d + eps));
#pragma unroll
        for (int i = 0; i < NORM_PER; ++i) {
            const i64 j = threadIdx.x + i * bd;
            if (j < d) st(out, j, v[i] * inv * wv[i]);
        }
        return;
    }
    for (i64 j = threadIdx.x; j < d; j += bd) {
        C a = ld(x, j);
        if (ADD) {
            a = rnd(x, a + (C)ld(r, j));
            st(sum, j, a);
        }
        ss += a * a;
    }
    ss = block_sum(ss);
    const C inv = (C)(1.0 / sqrt((double)ss / (double)d + eps));
    const T* src = ADD ? (const T*)sum : x;
    for (i64 j = threadIdx.x; j < d; j += bd) st(out, j, (C)ld(src, j) * inv * (C)ld(w, j));
}

template <class T>
__device__ __forceinline__ void rms_norm(const T* x, const T* w, T* out, i64 d, double eps) {
    const i64 o = (i64)blockIdx.x * d;
    norm_row<T, false>(x + o, (const T*)0, w, (T*)0, out + o, d, eps);
}

// add_rms_norm: rows of d of n values; the sums go to out[0..n), the
// norms to out[n..2n).
template <class T>
__device__ __forceinline__ void add_rms_norm(const T* x, const T* r, const T* w, T* out, i64 d, i64 n, double eps) {
    const i64 o = (i64)blockIdx.x * d;
    norm_row<T, true>(x + o, r + o, w, out + o, out + n + o, d, eps);
}

// rope_cache: grid-stride over the pairs (j, j+half) of every head vector
// of qkv [t, h + 2*hkv heads, 2*half]: query heads rotate into q, key
// heads rotate into row pos+token of kc, value heads copy into row
// pos+token of vc. A position outside the cache writes nothing.
template <class T>
__device__ __forceinline__ void rope_cache(const T* qkv, const float* cs, const float* sn, const int* pos, T* kc,
                                           T* vc, T* q, i64 t, i64 h, i64 hkv, i64 half, i64 cap) {
    typedef typename CT<T>::type C;
    // The position is checked after the loads that do not depend on it,
    // so that they wait for memory together.
    const i64 p = pos[0];
    const i64 heads = h + 2 * hkv, d = 2 * half, total = t * heads * half;
    for (i64 e = (i64)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (i64)gridDim.x * blockDim.x) {
        const i64 i = e / half, j = e % half, tok = i / heads, hh = i % heads;
        const T* src = qkv + i * d;
        const T r1 = src[j], r2 = src[j + half];
        const C c = cs[tok * half + j], s = sn[tok * half + j];
        if (p < 0 || p + t > cap) return;
        if (hh >= h + hkv) {
            T* dst = vc + ((p + tok) * hkv + (hh - h - hkv)) * d;
            dst[j] = r1;
            dst[j + half] = r2;
            continue;
        }
        T* dst = hh < h ? q + (tok * h + hh) * d : kc + ((p + tok) * hkv + (hh - h)) * d;
        const C x1 = ld(&r1, 0), x2 = ld(&r2, 0);
        st(dst, j, x1 * c - x2 * s);
        st(dst, j + half, x2 * c + x1 * s);
    }
}

// Grid-stride over pairs: vector i (of n, each [half*2]) at position
// (i / heads) % t rotates pair (j, j+half) by the table's angle.
template <class T>
__device__ __forceinline__ void rope(const T* x, const float* cs, const float* sn, T* out, i64 n, i64 t, i64 heads, i64 half) {
    typedef typename CT<T>::type C;
    const i64 total = n * half;
    for (i64 e = (i64)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (i64)gridDim.x * blockDim.x) {
        const i64 i = e / half, j = e % half, pos = (i / heads) % t;
        const C c = cs[pos * half + j], s = sn[pos * half + j];
        const i64 b = i * 2 * half;
        const C x1 = ld(x, b + j), x2 = ld(x, b + j + half);
        st(out, b + j, x1 * c - x2 * s);
        st(out, b + j + half, x2 * c + x1 * s);
    }
}

// Eight consecutive values widened to the compute type, in one 16-byte
// load for 16-bit types (two for f32, plain loads for f64).
__device__ __forceinline__ void ld8v(const f16* p, float* v) {
    const uint4 a = *(const uint4*)p;
    const u32 w[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
    for (int j = 0; j < 4; ++j) { v[2 * j] = h2f((u16)(w[j] & 0xffff)); v[2 * j + 1] = h2f((u16)(w[j] >> 16)); }
}
__device__ __forceinline__ void ld8v(const bf16* p, float* v) {
    const uint4 a = *(const uint4*)p;
    const u32 w[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
    for (int j = 0; j < 4; ++j) { v[2 * j] = __uint_as_float(w[j] << 16); v[2 * j + 1] = __uint_as_float(w[j] & 0xffff0000u); }
}
__device__ __forceinline__ void ld8v(const f32* p, float* v) {
    const float4 a = *(const float4*)p, b = *(const float4*)(p + 4);
    v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w; v[4] = b.x; v[5] = b.y; v[6] = b.z; v[7] = b.w;
}
__device__ __forceinline__ void ld8v(const f64* p, double* v) {
#pragma unroll
    for (int j = 0; j < 8; ++j) v[j] = p[j];
}

// The dot product of the query in shared memory with key row kr, adding
// in index order; 16-byte loads where the row allows (a multiple of 8
// values at an aligned address), which issue together instead of one
// load of 2 bytes after the other.
template <class T, class C>
__device__ __forceinline__ C dot_row(const C* qs, const T* kr, i64 d) {
    C s = 0;
    if ((d & 7) == 0 && (((unsigned long long)kr) & 15) == 0) {
#pragma unroll 4
        for (i64 e = 0; e < d; e += 8) {
            C kv[8];
            ld8v(kr + e, kv);
#pragma unroll
            for (int u = 0; u < 8; ++u) s += qs[e + u] * kv[u];
        }
        return s;
    }
    for (i64 e = 0; e < d; ++e) s += qs[e] * (C)ld(kr, e);
    return s;
}

// One block per query row (batch, position, head), blockDim 128, head size
// d <= 512. Keys are visited in chunks of ATT_CHUNK whose scores sit in
// shared memory, with the running maximum and sum rescaled between chunks
// (online softmax); thread t accumulates output dims t, t+128, ...
// window > 0 limits query i to keys last-window+1..last (a sliding
// window); softcap > 0 maps each scaled score s to softcap*tanh(s/softcap).
#define ATT_CHUNK 1024
#define ATT_DIMS 4
//
// Where key j of the query's sequence sits is the keys functor's: the
// row keys(j) of k and v, rows of hkv*d values (DenseKeys for a
// sequence's contiguous cache, PagedKeys for a paged one). attend is one
// query row's work; attention finds its row from the block index.
struct DenseKeys {
    i64 base;  // the sequence's first row
    __device__ __forceinline__ i64 operator()(i64 j) const { return base + j; }
};
struct PagedKeys {
    const int* blocks;  // the sequence's block table
    i64 bs;             // positions a block
    __device__ __forceinline__ i64 operator()(i64 j) const { return (i64)blocks[j / bs] * bs + j % bs; }
};
template <class T, class K>
__device__ __forceinline__ void attend(const T* qrow, const T* k, const T* v, T* orow, K keys, i64 first, i64 last,
                                       i64 hkv, i64 g, i64 d, double scale, double softcap) {
    typedef typename CT<T>::type C;
    __shared__ C qs[128 * ATT_DIMS];
    __shared__ C sc[ATT_CHUNK];
    for (i64 e = threadIdx.x; e < d; e += blockDim.x) qs[e] = ld(qrow, e);
    __syncthreads();
    C acc[ATT_DIMS];
    for (int a = 0; a < ATT_DIMS; ++a) acc[a] = 0;
    C m = neg_inf((C)0), l = 0;
    // Short heads (d <= blockDim/2, as 64 of 128): the value sums split
    // the keys between groups of d threads instead of idling the rest.
    const int groups = 2 * d <= (i64)blockDim.x ? (int)(blockDim.x / d) : 1;
    const T* kb = k + g * d;
    const T* vb = v + g * d;
    const i64 stride = hkv * d;
    for (i64 j0 = first; j0 <= last; j0 += ATT_CHUNK) {
        const i64 n = min((i64)ATT_CHUNK, last + 1 - j0);
        C cm = neg_inf((C)0);
        for (i64 j = threadIdx.x; j < n; j += blockDim.x) {
            C s = dot_row(qs, kb + keys(j0 + j) * stride, d);
            s *= (C)scale;
            if (softcap > 0) s = (C)softcap * m_tanh(s / (C)softcap);
            sc[j] = s;
            cm = s > cm ? s : cm;
        }
        cm = block_max(cm);  // also a barrier: sc is complete
        const C nm = cm > m ? cm : m;
        const C alpha = m_exp(m - nm);  // exp(-inf) = 0 on the first chunk
        C ps = 0;
        for (i64 j = threadIdx.x; j < n; j += blockDim.x) { C p = m_exp(sc[j] - nm); sc[j] = p; ps += p; }
        ps = block_sum(ps);  // barrier: sc holds probabilities
        l = l * alpha + ps;
        if (groups > 1) {
            // Thread t sums dim t % d over keys t/d, t/d + groups, ...
            const i64 e = threadIdx.x % d;
            if (threadIdx.x / d < groups) {
                C s = acc[0] * alpha;
#pragma unroll 4
                for (i64 j = threadIdx.x / d; j < n; j += groups) s += sc[j] * (C)ld(vb + keys(j0 + j) * stride, e);
                acc[0] = s;
            }
        } else {
            for (int a = 0; a < ATT_DIMS; ++a) {
                const i64 e = threadIdx.x + (i64)a * blockDim.x;
                if (e >= d) break;
                C s = acc[a] * alpha;
                for (i64 j = 0; j < n; ++j) s += sc[j] * (C)ld(vb + keys(j0 + j) * stride, e);
                acc[a] = s;
            }
        }
        m = nm;
        __syncthreads();  // sc is rewritten by the next chunk
    }
    if (groups > 1) {
        // The groups' partial sums meet in sc, free after the last chunk.
        sc[threadIdx.x] = acc[0];
        __syncthreads();
        if (threadIdx.x < d) {
            C s = 0;
            for (int q = 0; q < groups; ++q) s += sc[q * d + threadIdx.x];
            st(orow, threadIdx.x, s / l);
        }
        return;
    }
    for (int a = 0; a < ATT_DIMS; ++a) {
        const i64 e = threadIdx.x + (i64)a * blockDim.x;
        if (e < d) st(orow, e, acc[a] / l);
    }
}

// Decode attention with vector loads (attend_vec): one block of ATTV_THREADS
// per query row, keys in chunks of ATT_CHUNK with the online softmax of
// attend, but a key or value row is read by a group of L lanes (d/8
// rounded up to a power of two, at most 32), 8 values a lane in one
// 16-byte load (two for f32), and each group takes ATTV_UNROLL keys a step
// whose loads are issued before any is used (keys past the chunk re-read
// its last row and count for nothing), for the scores and again for the
// value sums; each group's partial value sums meet in shared memory
// at the end. attend's value sums have a thread read 2 bytes a key, one
// key after the other (d = 64: 68 loads in a row at 136 keys): the H200's
// f16 decode attention grew from 15 to 31 µs a layer over positions
// 8..136, ~0.12 µs a key, about one memory round trip a load, where f32's
// grew 14 to 17 (~0.024 µs a key, about four loads overlapping: its
// loop's #pragma unroll 4 taking). That f16's loop stayed rolled under
// NVRTC is inferred from those slopes (clang-14's PTX rolls it for both
// dtypes); attend_vec does not depend on it. Needs d % 8 == 0, d <=
// ATTV_MAX_HEAD and 16-byte aligned q, k, v and out (the host checks);
// f32, f16 and bf16 only. Every thread runs the same loop trips, so the
// group shuffles see full warps. Compiled only with LBRX_ATTV (the host
// defines it unless LBRX_CUDA_DECODE_ATTENTION=old), so that the switch
// also keeps this code away from NVRTC.
//
// The score step also asks L2 for the same keys' value rows
// (prefetch_l2), so that the value step, which needs the probabilities
// first, finds them there instead of waiting for DRAM again.
#ifdef LBRX_ATTV
#define ATTV_THREADS 256
#define ATTV_UNROLL 8
#define ATTV_MAX_HEAD 256
__device__ __forceinline__ void prefetch_l2(const void* p) { asm volatile("prefetch.global.L2 [%0];" ::"l"(p)); }
template <class T, class K>
__device__ __forceinline__ void attend_vec(const T* qrow, const T* k, const T* v, T* orow, K keys, i64 first,
                                           i64 last, i64 hkv, i64 g, i64 dd, double scale, double softcap) {
    const int d = (int)dd;
    __shared__ float sc[ATT_CHUNK];
    __shared__ float part[ATTV_THREADS * 8];
    const int dl = d >> 3;  // lanes holding values
    int L = 1;
    while (L < dl) L <<= 1;
    const int lane = threadIdx.x & (L - 1), grp = threadIdx.x / L, ngrp = ATTV_THREADS / L;
    const bool on = lane < dl;
    // Lanes past d/8 read lane 0's values (keeping every load unconditional,
    // so that a step's loads issue together) and add nothing.
    const int e0 = on ? lane * 8 : 0;
    float qv[8], acc[8];
    ld8v(qrow + e0, qv);
#pragma unroll
    for (int e = 0; e < 8; ++e) { qv[e] = on ? qv[e] : 0.0f; acc[e] = 0; }
    const T* kb = k + g * d + e0;
    const T* vb = v + g * d + e0;
    const i64 stride = hkv * d;
    float m = neg_inf(0.0f), l = 0;
    for (i64 j0 = first; j0 <= last; j0 += ATT_CHUNK) {
        const int n = (int)min((i64)ATT_CHUNK, last + 1 - j0);
        float cm = neg_inf(0.0f);
        for (int jb = 0; jb < n; jb += ngrp * ATTV_UNROLL) {
            float kv[ATTV_UNROLL][8];
#pragma unroll
            for (int u = 0; u < ATTV_UNROLL; ++u) {
                const i64 r = keys(j0 + min(jb + grp + u * ngrp, n - 1)) * stride;
                ld8v(kb + r, kv[u]);
                prefetch_l2(vb + r);
            }
#pragma unroll
            for (int u = 0; u < ATTV_UNROLL; ++u) {
                float s = 0;
#pragma unroll
                for (int e = 0; e < 8; ++e) s += qv[e] * kv[u][e];
                s = on ? s : 0.0f;  // not 0 * an infinite key value
                for (int o = L >> 1; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
                s *= (float)scale;
                if (softcap > 0) s = (float)softcap * m_tanh(s / (float)softcap);
                const int j = jb + grp + u * ngrp;
                if (j < n) {
                    if (lane == 0) sc[j] = s;
                    cm = s > cm ? s : cm;
                }
            }
        }
        cm = block_max(cm);  // also a barrier: sc is complete
        const float nm = cm > m ? cm : m;
        const float alpha = m_exp(m - nm);  // exp(-inf) = 0 on the first chunk
        float ps = 0;
        for (int j = threadIdx.x; j < n; j += ATTV_THREADS) { const float p = m_exp(sc[j] - nm); sc[j] = p; ps += p; }
        ps = block_sum(ps);  // barrier: sc holds probabilities
        l = l * alpha + ps;
#pragma unroll
        for (int e = 0; e < 8; ++e) acc[e] *= alpha;
        for (int jb = 0; jb < n; jb += ngrp * ATTV_UNROLL) {
            float vv[ATTV_UNROLL][8];
#pragma unroll
            for (int u = 0; u < ATTV_UNROLL; ++u) ld8v(vb + keys(j0 + min(jb + grp + u * ngrp, n - 1)) * stride, vv[u]);
#pragma unroll
            for (int u = 0; u < ATTV_UNROLL; ++u) {
                const int j = jb + grp + u * ngrp;
                const float p = j < n ? sc[j] : 0.0f;
#pragma unroll
                for (int e = 0; e < 8; ++e) acc[e] += p * vv[u][e];
            }
        }
        m = nm;
        __syncthreads();  // sc is rewritten by the next chunk
    }
    if (on) {
#pragma unroll
        for (int e = 0; e < 8; ++e) part[grp * d + e0 + e] = acc[e];
    }
    __syncthreads();
    for (int e = threadIdx.x; e < d; e += ATTV_THREADS) {
        float s = 0;
        for (int q = 0; q < ngrp; ++q) s += part[q * d + e];
        st(orow, e, s / l);
    }
}
#endif  // LBRX_ATTV

// attend_row is one query row's attention through attend, or with VEC
// through attend_vec (float compute types only: its branch is not
// instantiated otherwise).
template <bool VEC, class T, class K>
__device__ __forceinline__ void attend_row(const T* qrow, const T* k, const T* v, T* orow, K keys, i64 first, i64 last,
                                           i64 hkv, i64 g, i64 d, double scale, double softcap) {
#ifdef LBRX_ATTV
    if constexpr (VEC) {
        attend_vec(qrow, k, v, orow, keys, first, last, hkv, g, d, scale, softcap);
    } else
#endif
    {
        attend(qrow, k, v, orow, keys, first, last, hkv, g, d, scale, softcap);
    }
}

template <class T, bool VEC = false>
__device__ __forceinline__ void attention(const T* q, const T* k, const T* v, T* out, i64 tq, i64 hq, i64 tk,
                                          i64 hkv, i64 d, double scale, i64 window, double softcap) {
    const i64 row = blockIdx.x;             // ((b*tq)+i)*hq + h
    const i64 h = row % hq, bi = row / hq;  // bi = b*tq + i
    const i64 i = bi % tq, b = bi / tq;
    const i64 last = i + tk - tq;           // keys first..last are visible
    const i64 first = window > 0 && last >= window ? last - window + 1 : 0;
    attend_row<VEC>(q + row * d, k, v, out + row * d, DenseKeys{b * tk}, first, last, hkv, h / (hq / hkv), d, scale,
                    softcap);
}

// Decode attention over a paged cache: one block per (batch row, head),
// the row's query at position pos[b] attending its sequence's keys
// through its block table (m entries) into k and v [nb, bs, hkv, d]. A
// padding row (pos < 0), a position past the table or a block outside
// [0, nb) gives zeros.
template <class T, bool VEC = false>
__device__ __forceinline__ void paged_attention(const T* q, const T* k, const T* v, const int* table, const int* pos,
                                                T* out, i64 hq, i64 hkv, i64 d, i64 nb, i64 bs, i64 m, double scale,
                                                i64 window, double softcap) {
    typedef typename CT<T>::type C;
    const i64 row = blockIdx.x;  // b*hq + h
    const i64 h = row % hq, b = row / hq;
    const i64 p = pos[b];
    const int* blocks = table + b * m;
    int ok = p >= 0 && p < m * bs;
    if (ok) {
        for (i64 e = threadIdx.x; e <= p / bs; e += blockDim.x) {
            if (blocks[e] < 0 || blocks[e] >= nb) ok = 0;
        }
    }
    ok = __syncthreads_and(ok);
    T* orow = out + row * d;
    if (!ok) {
        for (i64 e = threadIdx.x; e < d; e += blockDim.x) st(orow, e, (C)0);
        return;
    }
    const i64 first = window > 0 && p >= window ? p - window + 1 : 0;
    attend_row<VEC>(q + row * d, k, v, orow, PagedKeys{blocks, bs}, first, p, hkv, h / (hq / hkv), d, scale, softcap);
}

// Prefill attention: one warp per query row (batch, position, head), the
// lanes splitting the head's d <= 32*ATT_LANE_DIMS dims, keys visited one
// at a time with an online softmax kept in registers. A key row is one
// coalesced load for the warp and is read by the rows of its group from
// L2, where the one-block-per-row kernel above had each thread walk a
// different key row. Rows are ordered so that a block's warps share a
// position and a key/value head. window and softcap as in attention.
#define ATT_LANE_DIMS 4
template <class T>
__device__ __forceinline__ void attention_warp(const T* q, const T* k, const T* v, T* out, i64 rows, i64 tq, i64 hq,
                                               i64 tk, i64 hkv, i64 d, double scale, i64 window, double softcap) {
    typedef typename CT<T>::type C;
    const i64 row = (i64)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (row >= rows) return;
    const int lane = threadIdx.x & 31;
    const i64 h = row % hq, bi = row / hq;
    const i64 i = bi % tq, b = bi / tq;
    const i64 g = h / (hq / hkv);
    const i64 last = i + tk - tq;
    const i64 first = window > 0 && last >= window ? last - window + 1 : 0;
    const T* qrow = q + row * d;
    const T* kb = k + b * tk * hkv * d + g * d;
    const T* vb = v + b * tk * hkv * d + g * d;
    C qv[ATT_LANE_DIMS], acc[ATT_LANE_DIMS];
    for (int a = 0; a < ATT_LANE_DIMS; ++a) {
        const i64 e = lane + 32 * a;
        qv[a] = e < d ? (C)ld(qrow, e) * (C)scale : (C)0;
        acc[a] = 0;
    }
    C m = neg_inf((C)0), l = 0;
    for (i64 j = first; j <= last; ++j) {
        const T* kr = kb + j * hkv * d;
        C s = 0;
        for (int a = 0; a < ATT_LANE_DIMS; ++a) {
            const i64 e = lane + 32 * a;
            if (e < d) s += qv[a] * (C)ld(kr, e);
        }
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        if (softcap > 0) s = (C)softcap * m_tanh(s / (C)softcap);  // s is already scaled (qv)
        const C nm = s > m ? s : m;
        const C alpha = m_exp(m - nm), p = m_exp(s - nm);
        l = l * alpha + p;
        const T* vr = vb + j * hkv * d;
        for (int a = 0; a < ATT_LANE_DIMS; ++a) {
            const i64 e = lane + 32 * a;
            if (e < d) acc[a] = acc[a] * alpha + p * (C)ld(vr, e);
        }
        m = nm;
    }
    T* orow = out + row * d;
    for (int a = 0; a < ATT_LANE_DIMS; ++a) {
        const i64 e = lane + 32 * a;
        if (e < d) st(orow, e, acc[a] / l);
    }
}

#define TRANSFORMER(T) LBRX_IF(T, TRANSFORMER_(T))
#define TRANSFORMER_(T)                                                                                               \
    extern "C" __global__ void rms_norm_##T(const T* x, const T* w, T* out, i64 d, double eps) {                    \
        pdl_entry();                                                                                                  \
        rms_norm(x, w, out, d, eps);                                                                                  \
    }                                                                                                                 \
    extern "C" __global__ void add_rms_norm_##T(const T* x, const T* r, const T* w, T* out, i64 d, i64 n,           \
                                                double eps) {                                                         \
        pdl_entry();                                                                                                  \
        add_rms_norm(x, r, w, out, d, n, eps);                                                                        \
    }                                                                                                                 \
    extern "C" __global__ void rope_cache_##T(const T* qkv, const float* c, const float* s, const int* pos, T* kc,    \
                                              T* vc, T* q, i64 t, i64 h, i64 hkv, i64 half, i64 cap) {                \
        pdl_entry();                                                                                                  \
        rope_cache(qkv, c, s, pos, kc, vc, q, t, h, hkv, half, cap);                                                  \
    }                                                                                                                 \
    extern "C" __global__ void rope_##T(const T* x, const float* c, const float* s, T* out, i64 n, i64 t, i64 heads, \
                                        i64 half) {                                                                   \
        pdl_entry();                                                                                                  \
        rope(x, c, s, out, n, t, heads, half);                                                                        \
    }                                                                                                                 \
    extern "C" __global__ void causal_attention_##T(const T* q, const T* k, const T* v, T* out, i64 tq, i64 hq,      \
                                                    i64 tk, i64 hkv, i64 d, double scale, i64 window,                 \
                                                    double softcap) {                                                 \
        attention(q, k, v, out, tq, hq, tk, hkv, d, scale, window, softcap);                                          \
    }                                                                                                                 \
    extern "C" __global__ void cached_attention_##T(const T* q, const T* k, const T* v, const int* pos, T* out,       \
                                                    i64 tq, i64 hq, i64 cap, i64 hkv, i64 d, double scale,            \
                                                    i64 window, double softcap) {                                     \
        pdl_entry();                                                                                                  \
        const i64 tk = (i64)pos[0] + tq;                                                                              \
        if (pos[0] < 0 || tk > cap) return;                                                                           \
        attention(q, k, v, out, tq, hq, tk, hkv, d, scale, window, softcap);                                          \
    }                                                                                                                 \
    extern "C" __global__ void causal_attention_warp_##T(const T* q, const T* k, const T* v, T* out, i64 rows,        \
                                                         i64 tq, i64 hq, i64 tk, i64 hkv, i64 d, double scale,        \
                                                         i64 window, double softcap) {                                \
        attention_warp(q, k, v, out, rows, tq, hq, tk, hkv, d, scale, window, softcap);                               \
    }                                                                                                                 \
    extern "C" __global__ void cached_attention_warp_##T(const T* q, const T* k, const T* v, const int* pos, T* out,  \
                                                         i64 tq, i64 hq, i64 cap, i64 hkv, i64 d, double scale,       \
                                                         i64 window, double softcap) {                                \
        pdl_entry();                                                                                                  \
        const i64 tk = (i64)pos[0] + tq;                                                                              \
        if (pos[0] < 0 || tk > cap) return;                                                                           \
        attention_warp(q, k, v, out, tq * hq, tq, hq, tk, hkv, d, scale, window, softcap);                            \
    }                                                                                                                 \
    extern "C" __global__ void paged_attention_##T(const T* q, const T* k, const T* v, const int* table,              \
                                                   const int* pos, T* out, i64 hq, i64 hkv, i64 d, i64 nb, i64 bs,   \
                                                   i64 m, double scale, i64 window, double softcap) {                \
        paged_attention(q, k, v, table, pos, out, hq, hkv, d, nb, bs, m, scale, window, softcap);                    \
    }                                                                                                                 \
    extern "C" __global__ void scatter_rows_##T(const T* src, const int* idx, T* dst, i64 row, i64 b, i64 n) {        \
        const i64 total = b * row;                                                                                    \
        for (i64 e = (i64)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (i64)gridDim.x * blockDim.x) {       \
            const i64 i = idx[e / row];                                                                               \
            if (i >= 0 && i < n) dst[i * row + e % row] = src[e];                                                     \
        }                                                                                                             \
    }                                                                                                                 \
    extern "C" __global__ void gather_rows_##T(const T* src, const int* idx, T* dst, i64 row, i64 t, i64 n) {         \
        const i64 total = t * row;                                                                                    \
        for (i64 e = (i64)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (i64)gridDim.x * blockDim.x) {       \
            const i64 i = idx[e / row];                                                                               \
            if (i >= 0 && i < n) dst[e] = src[i * row + e % row]; else st(dst, e, 0.0f);                               \
        }                                                                                                             \
    }                                                                                                                 \
    extern "C" __global__ void write_rows_##T(const T* src, const int* pos, T* dst, i64 row, i64 t, i64 cap) {        \
        pdl_entry();                                                                                                  \
        const i64 p = pos[0];                                                                                         \
        if (p < 0 || p + t > cap) return;                                                                             \
        T* o = dst + p * row;                                                                                         \
        const i64 n = t * row;                                                                                        \
        for (i64 e = (i64)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (i64)gridDim.x * blockDim.x) o[e] = src[e]; \
    }
TRANSFORMER(f32)
TRANSFORMER(f64)
TRANSFORMER(f16)
TRANSFORMER(bf16)

// The attend_vec kernels, for the dtypes whose compute type is float.
#define TRANSFORMER_VEC(T) LBRX_IF(T, TRANSFORMER_VEC_(T))
#define TRANSFORMER_VEC_(T)                                                                                           \
    extern "C" __global__ void __launch_bounds__(ATTV_THREADS)                                                        \
        cached_attention_vec_##T(const T* q, const T* k, const T* v, const int* pos, T* out, i64 tq, i64 hq, i64 cap, \
                                 i64 hkv, i64 d, double scale, i64 window, double softcap) {                          \
        pdl_entry();                                                                                                  \
        const i64 tk = (i64)pos[0] + tq;                                                                              \
        if (pos[0] < 0 || tk > cap) return;                                                                           \
        attention<T, true>(q, k, v, out, tq, hq, tk, hkv, d, scale, window, softcap);                                 \
    }                                                                                                                 \
    extern "C" __global__ void __launch_bounds__(ATTV_THREADS)                                                        \
        paged_attention_vec_##T(const T* q, const T* k, const T* v, const int* table, const int* pos, T* out, i64 hq, \
                                i64 hkv, i64 d, i64 nb, i64 bs, i64 m, double scale, i64 window, double softcap) {    \
        paged_attention<T, true>(q, k, v, table, pos, out, hq, hkv, d, nb, bs, m, scale, window, softcap);            \
    }
#ifdef LBRX_ATTV
TRANSFORMER_VEC(f32)
TRANSFORMER_VEC(f16)
TRANSFORMER_VEC(bf16)
#endif
