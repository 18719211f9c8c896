#!/bin/bash
# cuda-speed4 call 2: GPU tests (integer + gated kernels), the 1B model, decode A/B, profiles.
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); A=/tmp/a; mkdir -p $A; L=/tmp/out; mkdir -p $L; LIMIT=${LIMIT:-290}
trap 'tar cJf $OUT/all.tar.xz -C /tmp out' EXIT
tar xJf $R/.devbin/speed4/b.tar.xz -C $A && tar xJf $R/.devbin/c/data.tar.xz -C $A && echo "unpacked at $(el)s"
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1 PATH=/opt/torch/.venv/bin:$PATH
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv > $L/gpu.txt
W=/tmp/lbrx-side; M=$W/model; mkdir -p $W/llama.cpp
tar xJf $R/.devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp ./gguf-py
( PYTHONPATH=$W/llama.cpp/gguf-py timeout 100 python3 $R/.devbin/c/llama_gguf.py random $M --hidden 2048 --layers 16 --heads 32 --kv-heads 8 --inter 8192 --vocab 32000 >$L/model.log 2>&1
  echo "model rc=$? at $(el)s"
  ( GOMAXPROCS=8 nice -n 19 timeout 250 $A/lbrx quantize $M/hf $M/model-Q4_K.gguf --type q4_k >$L/q4k.log 2>&1; echo "q4_k rc=$? at $(el)s" ) &
  for q in "q4 --bits 4 --group-size 32" "q8 --bits 8 --group-size 32" "model-Q8_0.gguf --type q8_0" "model-Q4_0.gguf --type q4_0"; do
    set -- $q; o=$1; shift; timeout 120 $A/lbrx quantize $M/hf $M/$o "$@" >>$L/model.log 2>&1 &
  done; wait; echo "quantized at $(el)s"; ls $M ) > $L/model-status.txt 2>&1 &
MK=$!
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && timeout $to "$@" ) >$L/$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $L/$n.log) FAIL, $(grep -c -- '--- PASS' $L/$n.log) PASS"; }
t cuda-new cuda 150 $A/cuda.test -test.v -test.run 'Test(QMVI|GMVI|PDL|LaunchConfig)' & P1=$!
t cuda-glu cuda 150 $A/cuda.test -test.v -test.run 'Test(SiLUMul|Fused|Graph)' & P2=$!
t integ integration 150 $A/integration.test -test.v -test.run 'Test(Parity|AllowLists)' & P3=$!
t llama models/llama 150 $A/models_llama.test -test.v -test.run 'Fused|Step|Recorded|Pool|Batch|Quantized|Cached|Generate' & P4=$!
wait $P1 $P2 $P3 $P4
echo "tests done at $(el)s"
grep -h -B3 -A15 -- '--- FAIL' $L/cuda-new.log $L/cuda-glu.log $L/integ.log $L/llama.log | head -60
while [ ! -d $M/q8 ] || [ ! -f $M/model-Q4_0.gguf ] || [ ! -f $M/model-Q8_0.gguf ]; do sleep 2; [ $(el) -lt 200 ] || break; done
sleep 3; cat $L/model-status.txt
b() { local n=$1 e=$2 d=$3; shift 3; [ $(el) -lt $LIMIT ] || return 0
  env $e timeout 40 $A/lbrx bench decode $M/$d --prompt 8 --tokens 128 --device cuda:0 --json "$@" >$L/b-$n.json 2>>$L/bench.log
  python3 -c "import json,sys;d=json.load(open('$L/b-$n.json'));print('%-24s %8.1f tok/s p50 %.3f ms' % ('$n', d['decode_tokens_per_s'], d.get('ms_per_token_p50',0)))" 2>/dev/null || echo "$n failed"; }
echo "load $(cat /proc/loadavg)"
b f16 X=1 hf
for rep in 1 2 3 4; do
  b q4-int$rep X=1 q4; b q4-flt$rep LBRX_CUDA_QMVI=off q4; b q4-nq$rep LBRX_CUDA_GLU=nq q4
  b q8-int$rep X=1 q8; b q8-flt$rep LBRX_CUDA_QMVI=off q8; b q8-nq$rep LBRX_CUDA_GLU=nq q8
  for g in Q8_0 Q4_0; do b g$g-int$rep X=1 model-$g.gguf; b g$g-flt$rep LBRX_CUDA_QMVI=off model-$g.gguf; done
done
for g in Q8_0 Q4_0; do for rep in 1 2; do b g$g-h-int$rep X=1 model-$g.gguf --dtype f16; b g$g-h-flt$rep LBRX_CUDA_QMVI=off model-$g.gguf --dtype f16; done; done
for rep in 1 2; do b q4-f32-int$rep X=1 q4 --dtype f32; b q8-f32-int$rep X=1 q8 --dtype f32; done
for v in "r2w4,r1w8" r1w8 r4w8; do for rep in 1 2; do b q4-$v-$rep LBRX_CUDA_QMVI=$v q4; b q8-$v-$rep LBRX_CUDA_QMVI=$v q8; b gQ4_0-$v-$rep LBRX_CUDA_QMVI=$v model-Q4_0.gguf; done; done
b q4-prof X=1 q4 --profile; b q4-flt-prof LBRX_CUDA_QMVI=off q4 --profile; b gQ4_0-prof X=1 model-Q4_0.gguf --profile; b gQ4_0-h-prof X=1 model-Q4_0.gguf --dtype f16 --profile
while [ ! -f $M/model-Q4_K.gguf ] && [ $(el) -lt 280 ]; do sleep 2; done; sleep 2
for rep in 1 2 3; do b gQ4_K-int$rep X=1 model-Q4_K.gguf; b gQ4_K-flt$rep LBRX_CUDA_QMVI=off model-Q4_K.gguf; b gQ4_K-h-int$rep X=1 model-Q4_K.gguf --dtype f16; b gQ4_K-h-flt$rep LBRX_CUDA_QMVI=off model-Q4_K.gguf --dtype f16; done
cat $L/model-status.txt | tail -3
echo "end at $(el)s, load $(cat /proc/loadavg)"
