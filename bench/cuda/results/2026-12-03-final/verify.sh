#!/bin/bash
# Final verification call of main: all GPU test suites in parallel while the
# 1B model is made, then the serve engine benchmark and lbrx bench decode
# (lbrx alone; llama.cpp's figures are from earlier calls of the day).
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
C=$(cd "$(dirname "$0")" && pwd); R=$(cd "$C/../.." && pwd); A=/tmp/a; mkdir -p $A
L=$OUT/logs; mkdir -p $L
tar xJf $C/bin.tar.xz -C $A && tar xJf $R/.devbin/c/data.tar.xz -C $A && echo "unpacked at $(el)s"
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1 PATH=/opt/torch/.venv/bin:$PATH
W=/tmp/w; M=$W/model; mkdir -p $W/llama.cpp
( tar xJf $R/.devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp && PYTHONPATH=$W/llama.cpp/gguf-py timeout 150 python3 $R/.devbin/c/llama_gguf.py random $M >$L/model.log 2>&1 &&
  { timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$L/model.log 2>&1 & timeout 100 $A/lbrx quantize $M/hf $M/q8 --bits 8 --group-size 32 >>$L/model.log 2>&1; wait; }; echo "model rc=$? at $(el)s" ) &
MK=$!
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $L/$n.log) FAIL lines"; }
t cuda cuda 280 $A/cuda.test -test.v -test.skip 'Test(Quantized|GGML|QMM)' & P1=$!
t cudaq cuda 280 $A/cuda.test -test.v -test.run 'Test(Quantized|GGML|QMM)' & P5=$!
t integ integration 200 $A/integration.test -test.v & P2=$!
t llama models/llama 200 $A/models_llama.test -test.v & P3=$!
LBRX_DEVICE=cuda t serve serve 150 $A/serve.test -test.v & P4=$!
wait $MK $P1 $P2 $P3 $P4 $P5
echo "tests done at $(el)s"
LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 t bench serve 90 $A/serve.test -test.run '^$' -test.bench 'BenchmarkEngine/q4' -test.benchtime 5x
[ -n "$EXTRA_ENV" ] && ( export $EXTRA_ENV; LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 t bench2 serve 90 $A/serve.test -test.run '^$' -test.bench 'BenchmarkEngine/q4' -test.benchtime 5x )
for v in q4 q8; do timeout 40 $A/lbrx bench decode $M/$v --prompt 8 --tokens 128 --device cuda:0 --json >$L/tg-$v.json 2>>$L/bench.err; timeout 40 $A/lbrx bench decode $M/$v --prompt 512 --tokens 2 --device cuda:0 --json >$L/pp-$v.json 2>>$L/bench.err; done
echo "benches done at $(el)s"
grep -h "^Benchmark" $L/bench*.log
grep -hE "^(ok|FAIL|PASS)" $L/*.log | head
grep -h -- '--- FAIL' $L/*.log | head -30
grep -h -B2 -A12 -- '--- FAIL' $L/cuda.log $L/cudaq.log $L/integ.log $L/llama.log $L/serve.log | head -60
cat $L/tg-*.json $L/pp-*.json | head -40
echo "end at $(el)s"
