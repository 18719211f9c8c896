#!/bin/bash
# The serve engine (1B 4-bit) with the serve test binaries of 1594896 (4.9x measured last session), 5dc97cd and main, alternating.
R=$(pwd); A=/tmp/a; mkdir -p $A; T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
tar xJf .devbin/bis/bin.tar.xz -C $A; tar xJf .devbin/eng/bin.tar.xz -C $A; W=/tmp/w; M=$W/model; mkdir -p $W/llama.cpp
tar xJf .devbin/c2/llama.cpp-src.tar.xz -C $W/llama.cpp ./gguf-py
PYTHONPATH=$W/llama.cpp/gguf-py timeout 150 python3 .devbin/c2/llama_gguf.py random $M >$OUT/model.log 2>&1 && timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$OUT/model.log 2>&1; echo "model at $(el)s"
cd $R/serve && for i in 1 2; do for c in 1594896 5dc97cd main; do echo "== $c round $i at $(el)s"; LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 timeout 60 $A/serve-$c.test -test.run '^$' -test.bench 'BenchmarkEngine/q4' -test.benchtime 5x 2>&1 | grep -E '^Benchmark|FAIL'; done; done
echo "end at $(el)s"
