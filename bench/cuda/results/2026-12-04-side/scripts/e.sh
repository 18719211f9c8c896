#!/bin/bash
# The serve engine on the 1B-shaped 4-bit model on a quiet machine (nothing else running), then lbrx decode q4 once more.
R=$(pwd); A=/tmp/a; mkdir -p $A; T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
tar xJf .devbin/eng/bin.tar.xz -C $A; W=/tmp/w; M=$W/model; mkdir -p $W/llama.cpp
tar xJf .devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp ./gguf-py
PYTHONPATH=$W/llama.cpp/gguf-py timeout 150 python3 .devbin/c/llama_gguf.py random $M >$OUT/model.log 2>&1 && timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$OUT/model.log 2>&1; echo "model at $(el)s"
cd $R/serve && for i in 1 2; do LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 timeout 100 $A/serve.test -test.run '^$' -test.bench 'BenchmarkEngine/q4' -test.benchtime 5x 2>&1 | grep -E '^Benchmark|ok|FAIL'; done
for i in 1 2; do timeout 40 $A/lbrx bench decode $M/q4 --prompt 8 --tokens 128 --device cuda:0 --json; done
echo "end at $(el)s"
