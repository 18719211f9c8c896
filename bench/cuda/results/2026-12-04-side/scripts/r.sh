#!/bin/bash
# After the fix 6a8a799: the quantized, integer, PDL, integration and models/llama suites again (.devbin/fix = bin.tar.xz of those test binaries).
R=$(pwd); A=/tmp/a; mkdir -p $A; L=$OUT; T0=$(date +%s)
tar xJf .devbin/fix/bin.tar.xz -C $A && tar xJf .devbin/c/data.tar.xz -C $A
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s: $(grep -c -- '--- FAIL' $L/$n.log) FAIL lines"; }
t cudaq cuda 200 $A/cuda.test -test.v -test.run 'Test(Quantized|GGML|QMM|SiLUMulMatmul)' &
t cudai cuda 200 $A/cuda.test -test.v -test.run 'Test(QMVI|GMVI|PDL)' &
t integ integration 200 $A/integration.test -test.v &
t llama models/llama 200 $A/models_llama.test -test.v &
wait
grep -h -B2 -A10 -- '--- FAIL' $L/*.log | head -40
for f in $L/*.log; do grep -c -- '--- PASS' $f; done
