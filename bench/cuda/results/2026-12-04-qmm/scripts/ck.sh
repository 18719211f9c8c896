#!/bin/bash
# ck.sh MODULE DT: syntax-check a kernel module as cuda/module.go's kernelSource assembles it
# (LBRX_WANT_<dt>, common.cuh, MODULE.cu) with clang-14 to PTX, no CUDA headers or libdevice
# (prelude.h stands in for NVRTC's built-ins). E.g. for dt in f16 f32 bf16; do ck.sh quant $dt; done
m=$1; dt=$2; here=$(cd "$(dirname "$0")" && pwd); d=${KERNELS:-$(git -C "$here" rev-parse --show-toplevel)/cuda/kernels}
{ cat "$here/prelude.h"; echo "#define LBRX_WANT_$dt 1"; cat $d/common.cuh; echo "#line 1 \"$m.cu\""; cat $d/$m.cu; } > /tmp/ck_${m}_$dt.cu
clang++-14 -x cuda --cuda-gpu-arch=${ARCH:-sm_80} -nocudainc -nocudalib --cuda-device-only -std=c++17 -O2 \
  -Xclang -target-feature -Xclang +ptx70 -S -o /tmp/ck_${m}_$dt.ptx /tmp/ck_${m}_$dt.cu 2>&1 | grep -E "error" | head -20
echo "$m $dt rc=${PIPESTATUS[0]}"
