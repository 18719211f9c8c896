#!/bin/bash
# Phase 1 (run from the repository root with .devbin/final = bin.tar.xz of
# cuda.test, integration.test, models_llama.test, serve.test and lbrx, and
# .devbin/c = data.tar.xz (../shared/testdata's archs, chat, gguf,
# gguf-models, safetensors), llama.cpp-src.tar.xz, llama_gguf.py): start
# the llama.cpp CUDA build and the model in the background (/tmp lasts
# while the machine stays warm), run every GPU test suite meanwhile, the
# serve engine benchmark, wait for the build.
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); C=$R/.devbin/final; A=/tmp/a; mkdir -p $A
L=$OUT/logs; mkdir -p $L
tar xJf $C/bin.tar.xz -C $A && tar xJf $R/.devbin/c/data.tar.xz -C $A && echo "unpacked at $(el)s"
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1 PATH=/opt/torch/.venv/bin:$PATH
W=/tmp/lbrx-side; M=$W/model; mkdir -p $W/llama.cpp
tar xJf $R/.devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp
( cd $W/llama.cpp && cmake -S . -B build -G Ninja -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF >$L/cmake.log 2>&1 && nice cmake --build build -j12 --target llama-bench llama-quantize >$L/build.log 2>&1; echo "llama.cpp build rc=$? at $(el)s" ) > $L/build-status.txt 2>&1 &
BUILD=$!
( PYTHONPATH=$W/llama.cpp/gguf-py timeout 150 python3 $R/.devbin/c/llama_gguf.py random $M >$L/model.log 2>&1 &&
  { timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$L/model.log 2>&1 & timeout 100 $A/lbrx quantize $M/hf $M/q8 --bits 8 --group-size 32 >>$L/model.log 2>&1; wait; }; echo "model rc=$? at $(el)s" ) &
MK=$!
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $L/$n.log) FAIL lines"; }
t cuda cuda 330 $A/cuda.test -test.v -test.skip 'Test(Quantized|GGML|QMM|QMVI|GMVI)' & P1=$!
t cudaq cuda 330 $A/cuda.test -test.v -test.run 'Test(Quantized|GGML|QMM)' & P5=$!
t cudai cuda 330 $A/cuda.test -test.v -test.run 'Test(QMVI|GMVI)' & P6=$!
t integ integration 300 $A/integration.test -test.v & P2=$!
t llama models/llama 240 $A/models_llama.test -test.v & P3=$!
LBRX_DEVICE=cuda t serve serve 200 $A/serve.test -test.v & P4=$!
wait $MK $P1 $P2 $P3 $P4 $P5 $P6
echo "tests done at $(el)s"
LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 t bench serve 90 $A/serve.test -test.run '^$' -test.bench 'BenchmarkEngine/q4' -test.benchtime 5x
grep -h "^Benchmark" $L/bench*.log
grep -hE "^(ok|FAIL|PASS)" $L/*.log | head
grep -h -B2 -A12 -- '--- FAIL' $L/cuda.log $L/cudaq.log $L/cudai.log $L/integ.log $L/llama.log $L/serve.log | head -60
wait $BUILD; cat $L/build-status.txt; tail -3 $L/build.log
echo "end at $(el)s"
