// Strided copies (gather any view into contiguous storage) and casts
// between every pair of dtypes. Kernel names: copy_<bytes>,
// cast_<from>_<to>.

template <class T>
__device__ __forceinline__ void gather(const T* a, T* out, const Layout& L) {
    if (L.rank == 1 && L.st[0][0] == 1) {
        const T* pa = a + L.off[0];
        GRID_LOOP(i, L.n) out[i] = pa[i];
        return;
    }
    GRID_LOOP(i, L.n) {
        i64 o0, o1, o2;
        offsets(L, i, o0, o1, o2);
        out[i] = a[o0];
    }
}

extern "C" __global__ void copy_1(const u8* a, u8* out, Layout L) { gather(a, out, L); }
extern "C" __global__ void copy_2(const u16* a, u16* out, Layout L) { gather(a, out, L); }
extern "C" __global__ void copy_4(const u32* a, u32* out, Layout L) { gather(a, out, L); }
extern "C" __global__ void copy_8(const u64* a, u64* out, Layout L) { gather(a, out, L); }

// A value in the destination's compute type; float and double go to an
// integer through C's conversion (truncation toward zero), as Go's does.
template <class S, class D>
__device__ __forceinline__ void cast(const S* a, D* out, const Layout& L) {
    typedef typename CT<D>::type C;
    GRID_LOOP(i, L.n) {
        i64 o0, o1, o2;
        offsets(L, i, o0, o1, o2);
        st(out, i, (C)ld(a, o0));
    }
}

#define CAST(S, D) \
    extern "C" __global__ void cast_##S##_##D(const S* a, D* out, Layout L) { cast<S, D>(a, out, L); }
#define CAST_FROM(S) \
    CAST(S, f32) CAST(S, f64) CAST(S, f16) CAST(S, bf16) CAST(S, i8) CAST(S, u8) CAST(S, i16) CAST(S, i32) CAST(S, i64) CAST(S, u32) CAST(S, bool)
CAST_FROM(f32)
CAST_FROM(f64)
CAST_FROM(f16)
CAST_FROM(bf16)
CAST_FROM(i8)
CAST_FROM(u8)
CAST_FROM(i16)
CAST_FROM(i32)
CAST_FROM(i64)
CAST_FROM(u32)
CAST_FROM(bool)
