#!/bin/bash
# Final call 1 of 2026-12-04 (run from the repository root with .devbin/final = bin.tar.xz of
# cuda.test, integration.test, models_llama.test, serve.test, lbrx.test and lbrx, and .devbin/c =
# data.tar.xz, llama.cpp-src.tar.xz, llama_gguf.py): the llama.cpp CUDA build and the model in the
# background, every GPU suite in parallel meanwhile, then the new paths' A/B benchmarks: decode
# attention (vec/old), the serve engine (integer several-row default / QMMI_BLOCK=on / qmm.cu),
# pipelined greedy decode (on/off).
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); C=$R/.devbin/final; A=/tmp/a; mkdir -p $A
L=$OUT/logs; mkdir -p $L
tar xJf $C/bin.tar.xz -C $A && tar xJf $R/.devbin/c/data.tar.xz -C $A && echo "unpacked at $(el)s"
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1 PATH=/opt/torch/.venv/bin:$PATH
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
W=/tmp/lbrx-side; M=$W/model; mkdir -p $W/llama.cpp
tar xJf $R/.devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp
( cd $W/llama.cpp && cmake -S . -B build -G Ninja -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF >$L/cmake.log 2>&1 && nice cmake --build build -j12 --target llama-bench llama-quantize >$L/build.log 2>&1; echo "llama.cpp build rc=$? at $(el)s" ) > $L/build-status.txt 2>&1 &
BUILD=$!
( PYTHONPATH=$W/llama.cpp/gguf-py timeout 150 python3 $R/.devbin/c/llama_gguf.py random $M >$L/model.log 2>&1 &&
  { timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$L/model.log 2>&1 & timeout 100 $A/lbrx quantize $M/hf $M/q8 --bits 8 --group-size 32 >>$L/model.log 2>&1; wait; }; echo "model rc=$? at $(el)s" ) &
MK=$!
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $L/$n.log) FAIL, $(grep -c -- '--- PASS' $L/$n.log) PASS lines"; }
t cuda cuda 330 $A/cuda.test -test.v -test.skip 'Test(Quantized|GGML|QMM|QMVI|GMVI|QGEMM)' & P1=$!
t cudaq cuda 330 $A/cuda.test -test.v -test.run 'Test(Quantized|GGML|QMM|QGEMM)' & P5=$!
t cudai cuda 330 $A/cuda.test -test.v -test.run 'Test(QMVI|GMVI)' & P6=$!
t integ integration 300 $A/integration.test -test.v & P2=$!
t llama models/llama 300 $A/models_llama.test -test.v & P3=$!
t lbrx tools/lbrx 240 $A/lbrx.test -test.v -test.run 'TestBenchDecode|TestSummarize' & P7=$!
LBRX_DEVICE=cuda t serve serve 240 $A/serve.test -test.v & P4=$!
wait $MK $P1 $P2 $P3 $P4 $P5 $P6 $P7
echo "tests done at $(el)s"
grep -h -B2 -A12 -- '--- FAIL' $L/cuda.log $L/cudaq.log $L/cudai.log $L/integ.log $L/llama.log $L/serve.log $L/lbrx.log | grep -v -- '--- PASS' | head -50
( cd cuda && timeout 100 $A/cuda.test -test.run '^$' -test.bench 'BenchmarkCachedAttention' -test.benchtime 20x 2>&1 | grep -E '^Benchmark|FAIL' ) > $L/attn-bench.txt
echo "attention bench at $(el)s"; cat $L/attn-bench.txt
export LBRX_BENCH_MODEL=$M/q4
for i in 1 2; do for v in default block off; do
  case $v in default) E="";; block) E="LBRX_CUDA_QMMI_BLOCK=on";; off) E="LBRX_CUDA_QMMI=off";; esac
  echo "== engine $v round $i"; ( cd serve && env LBRX_DEVICE=cuda $E timeout 60 $A/serve.test -test.run '^$' -test.bench 'BenchmarkEngine/q4' -test.benchtime 5x 2>&1 | grep -E '^Benchmark|FAIL' )
done; done | tee $L/engine-ab.txt
echo "engine at $(el)s"
for i in 1 2 3; do for p in on off; do echo -n "pipeline=$p "; LBRX_DECODE_PIPELINE=$p timeout 40 $A/lbrx bench decode $M/q4 --prompt 8 --tokens 128 --device cuda:0 --json; done; done | tee $L/pipeline.txt
wait $BUILD; cat $L/build-status.txt; tail -2 $L/build.log
echo "end at $(el)s"
