#!/bin/bash
# Phase 1 of issue 18 (run from the repository root with .devbin/qmm/b.tar.xz = cuda.test,
# serve.test, models_llama.test, integration.test, lbrx of branch serve-qmm, and .devbin/c):
# the 1B model in the background while the GPU suites run in parallel (cuda quantized/QMM/QMVI/QMMI
# strict, models/llama, serve, integration), then on a quiet GPU BenchmarkQMM (m8), the serve engine
# A/B (default = integer several-row kernels, LBRX_CUDA_QMMI=off = qmm.cu) two rounds alternating,
# and lbrx bench decode q4 (one row).
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); A=/tmp/a; mkdir -p $A; L=$OUT/logs; mkdir -p $L
tar xJf .devbin/qmm/b.tar.xz -C $A && tar xJf .devbin/c/data.tar.xz -C $A && echo "unpacked at $(el)s"
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1
W=/tmp/w; M=$W/model; mkdir -p $W/llama.cpp
tar xJf .devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp ./gguf-py
( PYTHONPATH=$W/llama.cpp/gguf-py timeout 150 python3 .devbin/c/llama_gguf.py random $M >$L/model.log 2>&1 && timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$L/model.log 2>&1; echo "model rc=$? at $(el)s" ) &
MK=$!
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $L/$n.log) FAIL, $(grep -c -- '--- PASS' $L/$n.log) PASS lines"; }
LBRX_STRICT=1 t cudaq cuda 200 $A/cuda.test -test.v -test.run 'Test(QMVI|QMMI|QMM|Quantized|PDL)' & P1=$!
t llama models/llama 200 $A/models_llama.test -test.v & P2=$!
LBRX_DEVICE=cuda t serve serve 200 $A/serve.test -test.v & P3=$!
t integ integration 200 $A/integration.test -test.v -test.run 'Parity' & P4=$!
wait $MK $P1 $P2 $P3 $P4; echo "tests done at $(el)s"
grep -h -B2 -A10 -- '--- FAIL' $L/cudaq.log $L/llama.log $L/serve.log $L/integ.log | head -60
( cd cuda && timeout 90 $A/cuda.test -test.run '^$' -test.bench 'BenchmarkQMM/m8/' -test.benchtime 200x 2>&1 | grep -E '^Benchmark|FAIL' ) | tee $L/qmm-bench.txt
echo "qmm bench done at $(el)s"
cd $R/serve && for i in 1 2; do for v in on off; do
  if [ $v = on ]; then unset LBRX_CUDA_QMMI; else export LBRX_CUDA_QMMI=off; fi
  echo "== qmmi $v round $i at $(el)s"; LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 timeout 60 $A/serve.test -test.run '^$' -test.bench 'BenchmarkEngine/q4' -test.benchtime 5x 2>&1 | grep -E '^Benchmark|FAIL'
done; done | tee $L/engine-ab.txt
unset LBRX_CUDA_QMMI
for i in 1 2; do timeout 40 $A/lbrx bench decode $M/q4 --prompt 8 --tokens 128 --device cuda:0 --json; done | tee $L/decode.txt
echo "end at $(el)s"
