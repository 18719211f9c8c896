#!/bin/bash
# Call 7 of 2026-12-04 afternoon (issue 18): the final head (host embedding rows through
# quant.DequantizeFloat32Into, project's switch). The models/llama, serve and integration suites,
# then the serve engine and the HTTP benchmark, one round each. .devbin/p7/bin.tar.xz =
# models_llama.test, serve.test, integration.test, lbrx; .devbin/c as in p2.sh.
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); A=/tmp/a; W=/tmp/w; M=$W/model; L=$OUT/logs; mkdir -p $A $W/gg $L
tar xJf $R/.devbin/p7/bin.tar.xz -C $A && tar xJf $R/.devbin/c/data.tar.xz -C $A && tar xJf $R/.devbin/c/gguf-py.tar.xz -C $W/gg && echo "unpacked at $(el)s"
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1 PATH=/opt/torch/.venv/bin:$PATH
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
( PYTHONPATH=$W/gg/gguf-py timeout 150 python3 $R/.devbin/c/llama_gguf.py random $M >$W/model.log 2>&1 &&
  timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$W/model.log 2>&1; echo "model rc=$? at $(el)s" ) &
MK=$!
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $L/$n.log) FAIL, $(grep -c -- '--- PASS' $L/$n.log) PASS lines"; }
t llama models/llama 300 $A/models_llama.test -test.v & P2=$!
LBRX_DEVICE=cuda t serve serve 240 $A/serve.test -test.v & P3=$!
t integ integration 300 $A/integration.test -test.v & P4=$!
wait $MK $P2 $P3 $P4
echo "tests done at $(el)s"
grep -h -B2 -A12 -- '--- FAIL' $L/*.log | grep -v -- '--- PASS' | head -60
for w in "1 1" "8 8"; do set -- $w
  echo "== bench batch width $1 seqs $2"; timeout 60 $A/lbrx bench batch $M/q4 --device cuda:0 --width $1 --seqs $2 --steps 64
done 2>&1 | tee $L/batch-profile.txt
echo "batch at $(el)s"
( cd serve && LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 timeout 100 $A/serve.test -test.v -test.run 'TestVaryWidthMatchesAloneOnBenchModel' 2>&1 | grep -E -- '--- |^ok|FAIL|Error' | head -20 )
for i in 1; do ( cd serve && LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 timeout 60 $A/serve.test -test.run '^$' -test.bench 'BenchmarkEngine/q4' -test.benchtime 5x 2>&1 | grep -E '^Benchmark|FAIL' ); done | tee $L/engine.txt
( cd serve && LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 timeout 90 $A/serve.test -test.run '^$' -test.bench 'BenchmarkServe/q4' -test.benchtime 5x 2>&1 | grep -E '^Benchmark|FAIL' ) | tee $L/serve-http.txt
echo "end at $(el)s"
