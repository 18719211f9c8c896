#!/bin/bash
# cuda-speed4 call 3: integer kernels without the gated variant, default launch r2w8: tests + decode A/B.
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); A=/tmp/a; mkdir -p $A; L=/tmp/out; mkdir -p $L; LIMIT=${LIMIT:-135}
trap 'tar cJf $OUT/all.tar.xz -C /tmp out' EXIT
tar xJf $R/.devbin/speed4/b.tar.xz -C $A && tar xJf $R/.devbin/c/data.tar.xz -C $A && echo "unpacked at $(el)s"
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1 PATH=/opt/torch/.venv/bin:$PATH
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv > $L/gpu.txt
W=/tmp/lbrx-side; M=$W/model; mkdir -p $W/llama.cpp
tar xJf $R/.devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp ./gguf-py
( PYTHONPATH=$W/llama.cpp/gguf-py timeout 60 python3 $R/.devbin/c/llama_gguf.py random $M --hidden 2048 --layers 16 --heads 32 --kv-heads 8 --inter 8192 --vocab 32000 >$L/model.log 2>&1
  echo "model rc=$? at $(el)s"
  for q in "q4 --bits 4 --group-size 32" "q8 --bits 8 --group-size 32" "model-Q8_0.gguf --type q8_0" "model-Q4_0.gguf --type q4_0"; do
    set -- $q; o=$1; shift; timeout 60 $A/lbrx quantize $M/hf $M/$o "$@" >>$L/model.log 2>&1 &
  done; wait; echo "quantized at $(el)s"; ls $M ) > $L/model-status.txt 2>&1 &
MK=$!
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $L/$n.log) FAIL, $(grep -c -- '--- PASS' $L/$n.log) PASS"; }
t cuda-new cuda 100 $A/cuda.test -test.v -test.run 'Test(QMVI|GMVI|PDL|LaunchConfig)' & P1=$!
t llama models/llama 100 $A/models_llama.test -test.v -test.run 'Fused|Step|Recorded|Quantized|Cached' & P4=$!
wait $P1 $P4 $MK
cat $L/model-status.txt
echo "tests done at $(el)s"
grep -h -B3 -A15 -- '--- FAIL' $L/cuda-new.log $L/llama.log | head -40
b() { local n=$1 e=$2 d=$3; shift 3; [ $(el) -lt $LIMIT ] || return 0
  env $e timeout 30 $A/lbrx bench decode $M/$d --prompt 8 --tokens 128 --device cuda:0 --json "$@" >$L/b-$n.json 2>>$L/bench.log
  python3 -c "import json,sys;d=json.load(open('$L/b-$n.json'));print('%-24s %8.1f tok/s p50 %.3f ms' % ('$n', d['decode_tokens_per_s'], d.get('ms_per_token_p50',0)))" 2>/dev/null || echo "$n failed"; }
echo "load $(cat /proc/loadavg)"
for rep in 1 2 3; do
  for m in q4:q4 q8:q8 gQ4_0:model-Q4_0.gguf gQ8_0:model-Q8_0.gguf; do
    b ${m%%:*}-int$rep X=1 ${m#*:}; b ${m%%:*}-flt$rep LBRX_CUDA_QMVI=off ${m#*:}
    [ $rep -le 2 ] && b ${m%%:*}-alt$rep "LBRX_CUDA_QMVI=r2w4,r1w8" ${m#*:}
  done
done
b f16 X=1 hf
echo "end at $(el)s, load $(cat /proc/loadavg)"
