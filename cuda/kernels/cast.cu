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

// Casts follow core's rules (core/ops_cast.go): float -> integer truncates
// toward zero, saturates to the type's range and maps NaN to 0; float ->
// float and integer -> f16/bf16 round once (through a round-to-odd float32
// where the source is wider than float32); integer -> integer wraps;
// anything -> bool is value != 0.
template <class S> struct IsFloat { static constexpr bool v = false; };
template <> struct IsFloat<f32> { static constexpr bool v = true; };
template <> struct IsFloat<f64> { static constexpr bool v = true; };
template <> struct IsFloat<f16> { static constexpr bool v = true; };
template <> struct IsFloat<bf16> { static constexpr bool v = true; };
template <class D> struct IsHalf { static constexpr bool v = false; };
template <> struct IsHalf<f16> { static constexpr bool v = true; };
template <> struct IsHalf<bf16> { static constexpr bool v = true; };
template <class D> struct IntRange { static constexpr bool is = false; static constexpr double lo = 0, hi = 0; };
#define RANGE(T, L, H) \
    template <> struct IntRange<T> { static constexpr bool is = true; static constexpr double lo = L, hi = H; };
RANGE(i8, -128.0, 127.0)
RANGE(u8, 0.0, 255.0)
RANGE(i16, -32768.0, 32767.0)
RANGE(i32, -2147483648.0, 2147483647.0)
RANGE(i64, -9223372036854775808.0, 9223372036854775807.0)
RANGE(u32, 0.0, 4294967295.0)

template <class D, class C>
__device__ __forceinline__ D sat_int(C v) {
    if (v != v) return (D)0;
    if (v <= (C)IntRange<D>::lo) return (D)IntRange<D>::lo;
    if (v >= (C)IntRange<D>::hi) return (D)IntRange<D>::hi;
    return (D)v;
}

// A double rounded to float with the lost bits folded into the last bit
// (round to odd), so that rounding it again to f16/bf16 rounds only once.
__device__ __forceinline__ float round_odd(double v) {
    float r = __double2float_rz(v);
    if ((double)r != v) r = __uint_as_float(__float_as_uint(r) | 1u);
    return r;
}

template <class S, class D>
__device__ __forceinline__ void cast(const S* a, D* out, const Layout& L) {
    typedef typename CT<D>::type C;
    GRID_LOOP(i, L.n) {
        i64 o0, o1, o2;
        offsets(L, i, o0, o1, o2);
        const auto v = ld(a, o0);
        if constexpr (IsFloat<S>::v && IntRange<D>::is) {
            out[i] = sat_int<D>(v);
        } else if constexpr (IsHalf<D>::v && (sizeof(S) >= 4 && !IsFloat<S>::v || sizeof(v) == 8)) {
            // 32/64-bit integers and f64: round once via round-to-odd.
            st(out, i, round_odd((double)v));
        } else {
            st(out, i, (C)v);
        }
    }
}

#define CAST(S, D) LBRX_IF(S, CAST_(S, D))
#define CAST_(S, D) \
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
