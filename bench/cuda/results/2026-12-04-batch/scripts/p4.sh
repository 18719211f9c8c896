#!/bin/bash
# Call 4 of 2026-12-04 afternoon (issue 18): Go CPU profiles of bench batch at widths 8 and 1
# (Pool.Decode's host time grows with the width). .devbin/p4/bin.tar.xz = lbrx.
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); A=/tmp/a; W=/tmp/w; M=$W/model; mkdir -p $A $W/gg
tar xJf $R/.devbin/p4/bin.tar.xz -C $A && tar xJf $R/.devbin/c/gguf-py.tar.xz -C $W/gg
export PATH=/opt/torch/.venv/bin:$PATH
( PYTHONPATH=$W/gg/gguf-py timeout 150 python3 $R/.devbin/c/llama_gguf.py random $M >$W/model.log 2>&1 &&
  timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$W/model.log 2>&1; echo "model rc=$? at $(el)s" )
for w in 8 1; do timeout 60 $A/lbrx bench batch $M/q4 --device cuda:0 --width $w --steps 400 --cpuprofile $OUT/w$w.prof; done
echo "end at $(el)s"
