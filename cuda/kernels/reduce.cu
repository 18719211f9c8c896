// Row reductions and softmax. The host arranges the input as a contiguous
// [rows, cols] matrix whose rows are reduced (the reduced axes last); one
// block reduces one row. Kernel names: <op>_<dtype>, argmax_<dtype>_<index
// dtype>.

struct RSum { template <class C> __device__ C operator()(C a, C b) const { return a + b; } };
struct RMax { template <class C> __device__ C operator()(C a, C b) const { return is_nan(a) ? a : is_nan(b) ? b : (a > b ? a : b); } };
struct RMin { template <class C> __device__ C operator()(C a, C b) const { return is_nan(a) ? a : is_nan(b) ? b : (a < b ? a : b); } };

// Reduces v over the block with f; every thread gets the result.
template <class C, class F>
__device__ __forceinline__ C block_reduce(C v, F f) {
    __shared__ C sh[32];
    for (int o = 16; o > 0; o >>= 1) v = f(v, __shfl_xor_sync(0xffffffffu, v, o));
    const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    if (lane == 0) sh[w] = v;
    __syncthreads();
    v = sh[0];
    for (int i = 1; i < nw; ++i) v = f(v, sh[i]);
    __syncthreads();
    return v;
}

template <class T, class F>
__device__ __forceinline__ void row_fold(const T* a, T* out, i64 cols, F f, int mean) {
    typedef typename CT<T>::type C;
    const T* row = a + (i64)blockIdx.x * cols;
    C acc;
    bool have = false;
    for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
        C x = ld(row, j);
        acc = have ? f(acc, x) : x;
        have = true;
    }
    // Threads past the row's end contribute a copy of element 0, which is
    // neutral for max/min; sums start from zero instead.
    if (!have) acc = mean >= 0 ? (C)0 : (C)ld(row, 0);
    acc = block_reduce(acc, f);
    if (threadIdx.x == 0) {
        if (mean == 1) acc = acc / (C)cols;
        st(out, blockIdx.x, acc);
    }
}

// var: the squared deviations' sum over count-ddof, NaN when that is not
// positive (core's rule).
template <class T>
__device__ __forceinline__ void row_var(const T* a, T* out, i64 cols, double ddof) {
    typedef typename CT<T>::type C;
    const T* row = a + (i64)blockIdx.x * cols;
    C s = 0;
    for (i64 j = threadIdx.x; j < cols; j += blockDim.x) s += ld(row, j);
    const C mean = block_reduce(s, RSum()) / (C)cols;
    C q = 0;
    for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
        C d = ld(row, j) - mean;
        q += d * d;
    }
    q = block_reduce(q, RSum());
    const C n = (C)cols - (C)ddof;
    if (threadIdx.x == 0) st(out, blockIdx.x, n > (C)0 ? q / n : (C)__int_as_float(0x7fc00000));
}

// argmax/argmin: the first index of the extreme value; a NaN wins, as in
// numpy. bi == none marks a thread that has seen no element.
template <class C, bool MAX>
__device__ __forceinline__ bool arg_better(C x, i64 xi, C b, i64 bi, i64 none) {
    if (xi == none) return false;
    if (bi == none) return true;
    if (is_nan(x)) return !is_nan(b) || xi < bi;
    if (is_nan(b)) return false;
    return (MAX ? x > b : x < b) || (x == b && xi < bi);
}

template <class T, class I, bool MAX>
__device__ __forceinline__ void row_arg(const T* a, I* out, i64 cols) {
    typedef typename CT<T>::type C;
    const T* row = a + (i64)blockIdx.x * cols;
    const i64 none = cols;
    C best = 0;
    i64 bi = none;
    for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
        C x = ld(row, j);
        if (arg_better<C, MAX>(x, j, best, bi, none)) { best = x; bi = j; }
    }
    for (int o = 16; o > 0; o >>= 1) {
        C ob = __shfl_xor_sync(0xffffffffu, best, o);
        i64 oi = __shfl_xor_sync(0xffffffffu, bi, o);
        if (arg_better<C, MAX>(ob, oi, best, bi, none)) { best = ob; bi = oi; }
    }
    __shared__ C sb[32];
    __shared__ i64 si[32];
    const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    if (lane == 0) { sb[w] = best; si[w] = bi; }
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int i = 1; i < nw; ++i)
            if (arg_better<C, MAX>(sb[i], si[i], best, bi, none)) { best = sb[i]; bi = si[i]; }
        out[blockIdx.x] = (I)bi;
    }
}

template <class T, bool LOG>
__device__ __forceinline__ void row_softmax(const T* a, T* out, i64 cols) {
    typedef typename CT<T>::type C;
    const T* row = a + (i64)blockIdx.x * cols;
    T* orow = out + (i64)blockIdx.x * cols;
    C m = ld(row, 0);
    for (i64 j = threadIdx.x; j < cols; j += blockDim.x) m = RMax()(m, (C)ld(row, j));
    m = block_reduce(m, RMax());
    C s = 0;
    for (i64 j = threadIdx.x; j < cols; j += blockDim.x) s += m_exp((C)ld(row, j) - m);
    s = block_reduce(s, RSum());
    if (LOG) {
        const C ls = m_log(s);
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) st(orow, j, (C)ld(row, j) - m - ls);
    } else {
        const C inv = (C)1 / s;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) st(orow, j, m_exp((C)ld(row, j) - m) * inv);
    }
}

#define RED(T) LBRX_IF(T, RED_(T))
#define RED_(T)                                                                                                     \
    extern "C" __global__ void sum_##T(const T* a, T* out, i64 cols) { row_fold(a, out, cols, RSum(), 0); }        \
    extern "C" __global__ void mean_##T(const T* a, T* out, i64 cols) { row_fold(a, out, cols, RSum(), 1); }       \
    extern "C" __global__ void max_##T(const T* a, T* out, i64 cols) { row_fold(a, out, cols, RMax(), -1); }       \
    extern "C" __global__ void min_##T(const T* a, T* out, i64 cols) { row_fold(a, out, cols, RMin(), -1); }       \
    extern "C" __global__ void var_##T(const T* a, T* out, i64 cols, double ddof) { row_var(a, out, cols, ddof); } \
    extern "C" __global__ void argmax_##T##_i64(const T* a, i64* out, i64 cols) { pdl_entry(); row_arg<T, i64, true>(a, out, cols); } \
    extern "C" __global__ void argmax_##T##_i32(const T* a, i32* out, i64 cols) { pdl_entry(); row_arg<T, i32, true>(a, out, cols); } \
    extern "C" __global__ void argmin_##T##_i64(const T* a, i64* out, i64 cols) { row_arg<T, i64, false>(a, out, cols); } \
    extern "C" __global__ void argmin_##T##_i32(const T* a, i32* out, i64 cols) { row_arg<T, i32, false>(a, out, cols); } \
    extern "C" __global__ void softmax_##T(const T* a, T* out, i64 cols) { row_softmax<T, false>(a, out, cols); }  \
    extern "C" __global__ void log_softmax_##T(const T* a, T* out, i64 cols) { row_softmax<T, true>(a, out, cols); }
RED(f32)
RED(f64)
RED(f16)
RED(bf16)
