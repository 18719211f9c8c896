#!/bin/bash
# cuda-speed4 call: GPU tests of the integer kernels, the 1B model, decode A/B.
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); A=/tmp/a; mkdir -p $A; L=$OUT; LIMIT=${LIMIT:-430}
tar xJf $R/.devbin/speed4/b.tar.xz -C $A && tar xJf $R/.devbin/c/data.tar.xz -C $A && echo "unpacked at $(el)s"
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1 PATH=/opt/torch/.venv/bin:$PATH
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv > $L/gpu.txt
W=/tmp/lbrx-side; M=$W/model; mkdir -p $W/llama.cpp
tar xJf $R/.devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp ./gguf-py
( PYTHONPATH=$W/llama.cpp/gguf-py timeout 150 python3 $R/.devbin/c/llama_gguf.py random $M --hidden 2048 --layers 16 --heads 32 --kv-heads 8 --inter 8192 --vocab 32000 >$L/model.log 2>&1
  echo "model rc=$? at $(el)s"
  for q in "q4 --bits 4 --group-size 32" "q8 --bits 8 --group-size 32" "model-Q8_0.gguf --type q8_0" "model-Q4_0.gguf --type q4_0" "model-Q4_K.gguf --type q4_k"; do
    set -- $q; o=$1; shift; timeout 120 $A/lbrx quantize $M/hf $M/$o "$@" >>$L/model.log 2>&1 &
  done; wait; echo "quantized at $(el)s"; ls $M ) > $L/model-status.txt 2>&1 &
MK=$!
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && LBRX_STRICT=1 timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $L/$n.log) FAIL, $(grep -c -- '--- PASS' $L/$n.log) PASS"; }
t cuda-new cuda 200 $A/cuda.test -test.v -test.run 'Test(QMVI|GMVI|PDL|LaunchConfig)' & P1=$!
t cuda-old cuda 200 $A/cuda.test -test.v -test.run 'Test(QuantizedMatmul|GGMLMatmul|SiLUMulMatmul)' & P2=$!
t integ integration 200 $A/integration.test -test.v -test.run 'Test(Parity|AllowLists)' & P3=$!
t llama models/llama 200 $A/models_llama.test -test.v -test.run 'Fused|Step|Recorded|Pool|Batch|Quantized|Cached|Generate' & P4=$!
wait $P1 $P2 $P3 $P4 $MK
cat $L/model-status.txt
echo "tests done at $(el)s"
grep -h -B3 -A15 -- '--- FAIL' $L/cuda-new.log $L/cuda-old.log $L/integ.log $L/llama.log | head -80
# Decode A/B: b NAME ENV DIR [flags]
b() { local n=$1 e=$2 d=$3; shift 3; [ $(el) -lt $LIMIT ] || return 0
  env $e timeout 60 $A/lbrx bench decode $M/$d --prompt 8 --tokens 128 --device cuda:0 --json "$@" >$L/b-$n.json 2>>$L/bench.log
  python3 -c "import json,sys;d=json.load(open('$L/b-$n.json'));print('%-22s %8.1f tok/s p50 %.3f ms' % ('$n', d['decode_tokens_per_s'], d.get('ms_per_token_p50',0)))" 2>/dev/null || echo "$n failed"; }
echo "load $(cat /proc/loadavg)"
b f16 "X=1" hf
for rep in 1 2; do
  b q4-int$rep "X=1" q4; b q4-flt$rep LBRX_CUDA_QMVI=off q4
  b q8-int$rep "X=1" q8; b q8-flt$rep LBRX_CUDA_QMVI=off q8
  for g in Q8_0 Q4_0 Q4_K; do
    b g$g-int$rep "X=1" model-$g.gguf; b g$g-flt$rep LBRX_CUDA_QMVI=off model-$g.gguf
    b g$g-h-int$rep "X=1" model-$g.gguf --dtype f16; b g$g-h-flt$rep LBRX_CUDA_QMVI=off model-$g.gguf --dtype f16
  done
done
for v in r1w4 r2w8 r4w8 r1w8 r4w4 "r2w4,r2w8" "r2w4,r1w4" "r1w4,r2w8"; do
  b q4-$v LBRX_CUDA_QMVI=$v q4; b q8-$v LBRX_CUDA_QMVI=$v q8; b gQ4_0-h-$v LBRX_CUDA_QMVI=$v model-Q4_0.gguf --dtype f16
done
b q4-prof "X=1" q4 --profile; b q4-flt-prof LBRX_CUDA_QMVI=off q4 --profile
echo "end at $(el)s, load $(cat /proc/loadavg)"
