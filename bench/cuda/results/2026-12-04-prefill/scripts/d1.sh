#!/bin/bash
# cuda-speed5: tests (quantized/GGML/QMM/Matmul/QGEMM/graph profile, models/llama, integration, lbrx bench decode --profile on CUDA)
# while the 1B-shaped model and its GGUF files are made; then prefill 512 per GGUF type and LBRX_CUDA_QGEMM mode, and the decode step profiles.
R=$(pwd); A=/tmp/a; O=/tmp/o; mkdir -p $A $O; T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
pack() { tar czf $OUT/out.tar.gz -C $O . ; }
tar xJf .devbin/cs5/b.tar.xz -C $A && tar xJf .devbin/c/data.tar.xz -C $A && echo "unpacked at $(el)s" | tee -a $O/log.txt
W=/tmp/w; M=$W/model; mkdir -p $W/llama.cpp; tar xJf .devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp ./gguf-py
nvidia-smi --query-gpu=name,driver_version --format=csv > $O/gpu.txt
( PYTHONPATH=$W/llama.cpp/gguf-py timeout 150 python3 .devbin/c/llama_gguf.py random $M >$O/model.log 2>&1
  for q in Q4_0 Q8_0 Q4_K_M; do timeout 100 $A/lbrx quantize $M/hf $M/model-$q.gguf --type $(echo $q | tr A-Z a-z) >>$O/model.log 2>&1 & done
  timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$O/model.log 2>&1; wait; echo "model done at $(el)s" >> $O/log.txt ) &
MK=$!
export LBRX_SHARED=$A/shared LBRX_REQUIRE_SHARED=1
t() { local n=$1 d=$2 to=$3; shift 3; local s=$(date +%s); ( cd $R/$d && LBRX_STRICT=1 timeout $to "$@" ) >$O/test-$n.log 2>&1; local rc=$?; echo "$n rc=$rc $(( $(date +%s)-s ))s (at $(el)s): $(grep -c -- '--- FAIL' $O/test-$n.log) FAIL, $(grep -c -- '--- PASS' $O/test-$n.log) PASS lines" | tee -a $O/log.txt; }
t cudaq cuda 170 $A/cuda.test -test.v -test.run 'Test(Quantized|GGML|QMM|Matmul|QGEMM|GraphProfile|Spans)' & P1=$!
t llama models/llama 150 $A/models_llama.test -test.v & P2=$!
t integ integration 150 $A/integration.test -test.v & P3=$!
t lbrx tools/lbrx 150 $A/lbrx.test -test.v -test.run 'TestBenchDecodeJSON|TestSummarizeGraphStep' & P4=$!
wait $P1 $P2 $P3 $P4 $MK; echo "tests done at $(el)s" | tee -a $O/log.txt
grep -h -B2 -A12 -- '--- FAIL' $O/test-*.log | head -60
pack
unset LBRX_STRICT
b() { local tag=$1 mode=$2 f=$3; shift 3; LBRX_CUDA_QGEMM=$mode timeout 60 $A/lbrx bench decode $M/$f "$@" --device cuda:0 --json > $O/pp-$tag-$mode.json 2>$O/pp-$tag-$mode.err
  echo "$tag $mode $(python3 -c "import json;r=json.load(open('$O/pp-$tag-$mode.json'));print(round(r['prefill_tokens_per_s'],1), round(r['decode_tokens_per_s'],1))" 2>&1) (at $(el)s)" | tee -a $O/prefill.txt; }
for r in 1 2; do for q in Q4_0 Q8_0 Q4_K_M; do for mode in tf32 fp32; do b gguf-$q-r$r $mode model-$q.gguf --prompt 512 --tokens 2; done; done; done
for q in Q4_0 Q8_0 Q4_K_M; do for mode in f16 bf16; do b gguf-$q-r1 $mode model-$q.gguf --prompt 512 --tokens 2; done; done
for mode in tf32 fp32; do b q4f32-r1 $mode q4 --prompt 512 --tokens 2 --dtype f32; done
pack
for f in q4 model-Q4_0.gguf; do timeout 90 $A/lbrx bench decode $M/$f --prompt 8 --tokens 128 --device cuda:0 --profile --json > $O/profile-$f.json 2>$O/profile-$f.err; echo "profile $f rc=$? at $(el)s" | tee -a $O/log.txt; done
pack; echo "end at $(el)s"
