// Fused kernels (core/ops_fused.go): one launch where a model would run
// two. Operands are contiguous; compute in CT<T>, one rounding on store.

#define FUSED(T) LBRX_IF(T, FUSED_(T))
#define FUSED_(T)                                                                                     \
    extern "C" __global__ void silu_mul_##T(const T* g, const T* u, T* out, i64 n) {                 \
        pdl_entry();                                                                                  \
        typedef CT<T>::type C;                                                                        \
        for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) { \
            const C x = ld(g, i);                                                                     \
            st(out, i, x / ((C)1 + m_exp(-x)) * (C)ld(u, i));                                         \
        }                                                                                             \
    }
FUSED(f32)
FUSED(f64)
FUSED(f16)
FUSED(bf16)
