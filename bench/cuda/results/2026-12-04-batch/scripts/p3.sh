#!/bin/bash
# Call 3 of 2026-12-04 afternoon (issue 18): call 2's suites and benchmarks after the scatter
# reduction in the several-row integer kernels (warp_sum's bits in fewer shuffles); the A/B adds
# LBRX_CUDA_QMMI_BLOCK=on. .devbin/p3/bin.tar.xz = cuda.test, models_llama.test, serve.test,
# integration.test, lbrx.test, lbrx; .devbin/c = data.tar.xz (shared testdata), gguf-py.tar.xz,
# llama_gguf.py.
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); A=/tmp/a; W=/tmp/w; M=$W/model; L=$OUT/logs; mkdir -p $A $W/gg $L
tar xJf $R/.devbin/p3/bin.tar.xz -C $A && tar xJf $R/.devbin/c/data.tar.xz -C $A && tar xJf $R/.devbin/c/gguf-py.tar.xz -C $W/gg && echo "unpacked at $(el)s"
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1 PATH=/opt/torch/.venv/bin:$PATH
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
( PYTHONPATH=$W/gg/gguf-py timeout 150 python3 $R/.devbin/c/llama_gguf.py random $M >$W/model.log 2>&1 &&
  timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$W/model.log 2>&1; echo "model rc=$? at $(el)s" ) &
MK=$!
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $L/$n.log) FAIL, $(grep -c -- '--- PASS' $L/$n.log) PASS lines"; }
t cudap cuda 300 $A/cuda.test -test.v -test.run 'TestQuantizedMatmulParts|TestQMMI|TestQMVI|TestQuantized|TestQMM' & P1=$!
t llama models/llama 300 $A/models_llama.test -test.v & P2=$!
LBRX_DEVICE=cuda t serve serve 240 $A/serve.test -test.v & P3=$!
t integ integration 300 $A/integration.test -test.v & P4=$!
t lbrx tools/lbrx 200 $A/lbrx.test -test.v -test.run 'TestBenchBatch|TestBenchDecode' & P5=$!
wait $MK $P1 $P2 $P3 $P4 $P5
echo "tests done at $(el)s"
grep -h -B2 -A12 -- '--- FAIL' $L/*.log | grep -v -- '--- PASS' | head -60
for w in "1 1" "8 8"; do set -- $w
  echo "== bench batch width $1 seqs $2"; timeout 60 $A/lbrx bench batch $M/q4 --device cuda:0 --width $1 --seqs $2 --steps 64 --profile
done 2>&1 | tee $L/batch-profile.txt
for v in default r4w8 r2w4 block off; do
  case $v in default) E="";; block) E="LBRX_CUDA_QMMI_BLOCK=on";; *) E="LBRX_CUDA_QMMI=$v";; esac
  for w in 8 1; do echo -n "qmmi=$v width $w: "; env $E timeout 30 $A/lbrx bench batch $M/q4 --device cuda:0 --width $w --steps 64 | grep 'decode step'; done
done 2>&1 | tee $L/qmmi-ab.txt
echo "batch at $(el)s"
( cd serve && LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 timeout 100 $A/serve.test -test.v -test.run 'TestVaryWidthMatchesAloneOnBenchModel' 2>&1 | grep -E -- '--- |^ok|FAIL|Error' | head -20 )
for i in 1 2; do ( cd serve && LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 timeout 60 $A/serve.test -test.run '^$' -test.bench 'BenchmarkEngine/q4' -test.benchtime 5x 2>&1 | grep -E '^Benchmark|FAIL' ); done | tee $L/engine.txt
echo "end at $(el)s"
