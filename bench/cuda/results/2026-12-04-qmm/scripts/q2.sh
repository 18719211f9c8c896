#!/bin/bash
# Phase 2 of issue 18 (repository root; .devbin/qmm/b.tar.xz = cuda.test, serve.test,
# models_llama.test, integration.test, lbrx of serve-qmm with x quantized once per product
# (qmvi_act) for the several-row kernels; .devbin/c): model in the background while the cuda
# quantized/QMM/QMVI/QMMI/PDL suites (strict) and integration's parity run, then on a quiet GPU:
# serve's vary-width invariance test on the 1B q4 model (new, and with LBRX_CUDA_QMMI=off where it
# is expected to fail), BenchmarkQMM m8, the engine A/B/C (default r2w8, r4w8, off) two rounds,
# lbrx bench decode q4 twice.
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); A=/tmp/qa; rm -rf $A; mkdir -p $A; L=$OUT/logs; mkdir -p $L
tar xJf .devbin/qmm/b.tar.xz -C $A && tar xJf .devbin/c/data.tar.xz -C $A && echo "unpacked at $(el)s"
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1
W=/tmp/qmmw; rm -rf $W; M=$W/model; mkdir -p $W/llama.cpp
tar xJf .devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp ./gguf-py
( PYTHONPATH=$W/llama.cpp/gguf-py timeout 150 python3 .devbin/c/llama_gguf.py random $M >$L/model.log 2>&1 && timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$L/model.log 2>&1; echo "model rc=$? at $(el)s" ) &
MK=$!
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $L/$n.log) FAIL, $(grep -c -- '--- PASS' $L/$n.log) PASS lines"; }
LBRX_STRICT=1 t cudaq cuda 200 $A/cuda.test -test.v -test.run 'Test(QMVI|QMMI|QMM|Quantized|PDL|GMVI)' & P1=$!
t integ integration 200 $A/integration.test -test.v -test.run 'Parity' & P4=$!
wait $MK $P1 $P4; echo "tests done at $(el)s"
grep -h -B2 -A12 -- '--- FAIL' $L/cudaq.log $L/integ.log | grep -v -- '--- PASS' | head -40
export LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4
t vary serve 100 $A/serve.test -test.v -test.run 'TestVaryWidthMatchesAloneOnBenchModel'
LBRX_CUDA_QMMI=off t vary-off serve 100 $A/serve.test -test.v -test.run 'TestVaryWidthMatchesAloneOnBenchModel'
grep -h -A4 -- '--- FAIL' $L/vary-off.log | head -8
( cd cuda && timeout 60 $A/cuda.test -test.run '^$' -test.bench 'BenchmarkQMM/m8/' -test.benchtime 200x 2>&1 | grep -E '^Benchmark|FAIL' ) > $L/qmm-bench.txt
echo "qmm bench done at $(el)s"; grep -E "int-r2w8|int-r4w8|mma|simt" $L/qmm-bench.txt | awk '{print $1, $NF, $(NF-1)}'
cd $R/serve && for i in 1 2; do for v in r2w8 r4w8 off; do
  echo "== qmmi $v round $i at $(el)s"; LBRX_CUDA_QMMI=$v timeout 60 $A/serve.test -test.run '^$' -test.bench 'BenchmarkEngine/q4' -test.benchtime 5x 2>&1 | grep -E '^Benchmark|FAIL'
done; done | tee $L/engine-ab.txt
for i in 1 2; do timeout 40 $A/lbrx bench decode $M/q4 --prompt 8 --tokens 128 --device cuda:0 --json; done | tee $L/decode.txt
echo "end at $(el)s"
