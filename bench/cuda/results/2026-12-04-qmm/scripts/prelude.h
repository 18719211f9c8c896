// prelude.h: the CUDA built-ins NVRTC provides, for a clang-14 syntax check of cuda/kernels (ck.sh);
// only declarations good enough for -nocudainc -nocudalib device-only PTX, never linked.
#define __device__ __attribute__((device))
#define __global__ __attribute__((global))
#define __host__ __attribute__((host))
#define __shared__ __attribute__((shared))
#define __constant__ __attribute__((constant))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))
#define CUDA_VERSION 12000
typedef unsigned long size_t;
#include <__clang_cuda_builtin_vars.h>
#include <__clang_cuda_libdevice_declares.h>
#include <__clang_cuda_device_functions.h>
__device__ inline int __shfl_xor_sync(unsigned m, int v, int l, int w = 32) { return __nvvm_shfl_sync_bfly_i32(m, v, l, 0x1f); }
__device__ inline unsigned __shfl_xor_sync(unsigned m, unsigned v, int l, int w = 32) { return __nvvm_shfl_sync_bfly_i32(m, v, l, 0x1f); }
__device__ inline float __shfl_xor_sync(unsigned m, float v, int l, int w = 32) { return __nvvm_shfl_sync_bfly_f32(m, v, l, 0x1f); }
__device__ inline double __shfl_xor_sync(unsigned m, double v, int l, int w = 32) { return v; }
__device__ inline int __shfl_sync(unsigned m, int v, int l, int w = 32) { return __nvvm_shfl_sync_idx_i32(m, v, l, 0x1f); }
__device__ inline unsigned __shfl_sync(unsigned m, unsigned v, int l, int w = 32) { return __nvvm_shfl_sync_idx_i32(m, v, l, 0x1f); }
__device__ inline float __shfl_sync(unsigned m, float v, int l, int w = 32) { return __nvvm_shfl_sync_idx_f32(m, v, l, 0x1f); }
__device__ inline int __shfl_down_sync(unsigned m, int v, int l, int w = 32) { return __nvvm_shfl_sync_down_i32(m, v, l, 0x1f); }
__device__ inline float __shfl_down_sync(unsigned m, float v, int l, int w = 32) { return __nvvm_shfl_sync_down_f32(m, v, l, 0x1f); }
__device__ inline unsigned __ballot_sync(unsigned m, int p) { return __nvvm_vote_ballot_sync(m, p); }
__device__ inline void __syncwarp(unsigned m = 0xffffffffu) { __nvvm_bar_warp_sync(m); }
struct __attribute__((aligned(16))) uint4 { unsigned x, y, z, w; };
struct __attribute__((aligned(8))) uint2 { unsigned x, y; };
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };
struct __attribute__((aligned(8))) float2 { float x, y; };
struct __attribute__((aligned(16))) int4 { int x, y, z, w; };
__device__ inline float expf(float x) { return __nv_expf(x); }
__device__ inline double exp(double x) { return __nv_exp(x); }
__device__ inline float logf(float x) { return __nv_logf(x); }
__device__ inline double log(double x) { return __nv_log(x); }
__device__ inline float sqrtf(float x) { return __nv_sqrtf(x); }
__device__ inline double sqrt(double x) { return __nv_sqrt(x); }
__device__ inline float sinf(float x) { return __nv_sinf(x); }
__device__ inline double sin(double x) { return __nv_sin(x); }
__device__ inline float cosf(float x) { return __nv_cosf(x); }
__device__ inline double cos(double x) { return __nv_cos(x); }
__device__ inline float tanhf(float x) { return __nv_tanhf(x); }
__device__ inline double tanh(double x) { return __nv_tanh(x); }
__device__ inline float erff(float x) { return __nv_erff(x); }
__device__ inline double erf(double x) { return __nv_erf(x); }
__device__ inline float fabsf(float x) { return __nv_fabsf(x); }
__device__ inline double fabs(double x) { return __nv_fabs(x); }
__device__ inline float floorf(float x) { return __nv_floorf(x); }
__device__ inline double floor(double x) { return __nv_floor(x); }
__device__ inline float ceilf(float x) { return __nv_ceilf(x); }
__device__ inline double ceil(double x) { return __nv_ceil(x); }
__device__ inline float rintf(float x) { return __nv_rintf(x); }
__device__ inline double rint(double x) { return __nv_rint(x); }
__device__ inline float roundf(float x) { return __nv_roundf(x); }
__device__ inline double round(double x) { return __nv_round(x); }
__device__ inline float truncf(float x) { return __nv_truncf(x); }
__device__ inline double trunc(double x) { return __nv_trunc(x); }
__device__ inline float exp2f(float x) { return __nv_exp2f(x); }
__device__ inline double exp2(double x) { return __nv_exp2(x); }
__device__ inline float log2f(float x) { return __nv_log2f(x); }
__device__ inline double log2(double x) { return __nv_log2(x); }
__device__ inline float rsqrtf(float x) { return __nv_rsqrtf(x); }
__device__ inline double rsqrt(double x) { return __nv_rsqrt(x); }
__device__ inline float expm1f(float x) { return __nv_expm1f(x); }
__device__ inline double expm1(double x) { return __nv_expm1(x); }
__device__ inline float log1pf(float x) { return __nv_log1pf(x); }
__device__ inline double log1p(double x) { return __nv_log1p(x); }
__device__ inline float sinhf(float x) { return __nv_sinhf(x); }
__device__ inline double sinh(double x) { return __nv_sinh(x); }
__device__ inline float coshf(float x) { return __nv_coshf(x); }
__device__ inline double cosh(double x) { return __nv_cosh(x); }
__device__ inline float tanf(float x) { return __nv_tanf(x); }
__device__ inline double tan(double x) { return __nv_tan(x); }
__device__ inline float atanf(float x) { return __nv_atanf(x); }
__device__ inline double atan(double x) { return __nv_atan(x); }
__device__ inline float asinf(float x) { return __nv_asinf(x); }
__device__ inline double asin(double x) { return __nv_asin(x); }
__device__ inline float acosf(float x) { return __nv_acosf(x); }
__device__ inline double acos(double x) { return __nv_acos(x); }
__device__ inline float powf(float x, float y) { return __nv_powf(x,y); }
__device__ inline double pow(double x, double y) { return __nv_pow(x,y); }
__device__ inline float fmodf(float x, float y) { return __nv_fmodf(x,y); }
__device__ inline double fmod(double x, double y) { return __nv_fmod(x,y); }
__device__ inline float fminf(float x, float y) { return __nv_fminf(x,y); }
__device__ inline double fmin(double x, double y) { return __nv_fmin(x,y); }
__device__ inline float fmaxf(float x, float y) { return __nv_fmaxf(x,y); }
__device__ inline double fmax(double x, double y) { return __nv_fmax(x,y); }
__device__ inline float atan2f(float x, float y) { return __nv_atan2f(x,y); }
__device__ inline double atan2(double x, double y) { return __nv_atan2(x,y); }
__device__ inline float copysignf(float x, float y) { return __nv_copysignf(x,y); }
__device__ inline double copysign(double x, double y) { return __nv_copysign(x,y); }
__device__ inline float4 make_float4(float a,float b,float c,float d){return {a,b,c,d};}
__device__ inline float2 make_float2(float a,float b){return {a,b};}
__device__ inline uint4 make_uint4(unsigned a,unsigned b,unsigned c,unsigned d){return {a,b,c,d};}
__device__ inline int min(int a,int b){return a<b?a:b;}
__device__ inline unsigned min(unsigned a,unsigned b){return a<b?a:b;}
__device__ inline int max(int a,int b){return a>b?a:b;}
__device__ inline unsigned max(unsigned a,unsigned b){return a>b?a:b;}
__device__ inline long long min(long long a,long long b){return a<b?a:b;}
__device__ inline long long max(long long a,long long b){return a>b?a:b;}
__device__ inline float min(float a,float b){return fminf(a,b);}
__device__ inline float max(float a,float b){return fmaxf(a,b);}
__device__ inline float fmaf(float a,float b,float c){return __nv_fmaf(a,b,c);}
__device__ inline double fma(double a,double b,double c){return __nv_fma(a,b,c);}
