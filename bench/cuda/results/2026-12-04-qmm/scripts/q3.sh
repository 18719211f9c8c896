#!/bin/bash
# Phase 3 of issue 18, NOT RUN by the helper (device budget spent): for the lead. From the
# repository root with .devbin/qmm/b3.tar.xz (cuda.test, serve.test, lbrx of serve-qmm a217284)
# and .devbin/c; about 200 s. The integer kernels' tests (strict, block mode included), the
# vary-width invariance test, BenchmarkQMM m8, then the engine A/B/C: default (qmvi_act),
# LBRX_CUDA_QMMI_BLOCK=on (K <= 2048 quantized in every block), LBRX_CUDA_QMMI=off (qmm.cu), two
# rounds alternating, and lbrx bench decode q4 twice.
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); A=/tmp/qa3; rm -rf $A; mkdir -p $A; L=$OUT/logs; mkdir -p $L
tar xJf .devbin/qmm/b3.tar.xz -C $A && tar xJf .devbin/c/data.tar.xz -C $A && echo "unpacked at $(el)s"
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1
W=/tmp/qmmw3; rm -rf $W; M=$W/model; mkdir -p $W/llama.cpp
tar xJf .devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp ./gguf-py
( PYTHONPATH=$W/llama.cpp/gguf-py timeout 150 python3 .devbin/c/llama_gguf.py random $M >$L/model.log 2>&1 && timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$L/model.log 2>&1; echo "model rc=$? at $(el)s" ) &
MK=$!
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $L/$n.log) FAIL, $(grep -c -- '--- PASS' $L/$n.log) PASS lines"; }
LBRX_STRICT=1 t cudaq cuda 150 $A/cuda.test -test.v -test.run 'Test(QMVI|QMMI|QMM|Quantized)'
wait $MK; grep -h -B2 -A12 -- '--- FAIL' $L/cudaq.log | grep -v -- '--- PASS' | head -30
export LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4
t vary serve 100 $A/serve.test -test.v -test.run 'TestVaryWidthMatchesAloneOnBenchModel'
LBRX_CUDA_QMMI_BLOCK=on t vary-block serve 100 $A/serve.test -test.v -test.run 'TestVaryWidthMatchesAloneOnBenchModel'
( cd cuda && timeout 60 $A/cuda.test -test.run '^$' -test.bench 'BenchmarkQMM/m8/.*/(int|intb)-r2w8' -test.benchtime 200x 2>&1 | grep -E '^Benchmark|FAIL' ) | tee $L/qmm-bench.txt
cd $R/serve && for i in 1 2; do for v in default block off; do
  case $v in default) E="";; block) E="LBRX_CUDA_QMMI_BLOCK=on";; off) E="LBRX_CUDA_QMMI=off";; esac
  echo "== $v round $i at $(el)s"; env $E timeout 60 $A/serve.test -test.run '^$' -test.bench 'BenchmarkEngine/q4' -test.benchtime 5x 2>&1 | grep -E '^Benchmark|FAIL'
done; done | tee $L/engine-ab.txt
for i in 1 2; do timeout 40 $A/lbrx bench decode $M/q4 --prompt 8 --tokens 128 --device cuda:0 --json; done | tee $L/decode.txt
echo "end at $(el)s"
