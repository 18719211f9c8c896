#!/bin/bash
# Final call 2, right after g1 on the still-warm machine: both tools side by side (side_by_side.sh).
R=$(pwd); A=/tmp/a; W=/tmp/lbrx-side
[ -x $W/llama.cpp/build/bin/llama-bench ] || { echo "llama.cpp build missing: the machine was not warm"; exit 3; }
mkdir -p $A/sbs && cp $A/lbrx $A/sbs/lbrx && cp $R/.devbin/c/llama_gguf.py $R/.devbin/c/llama.cpp-src.tar.xz $A/sbs/
LBRX_WORK=$W LBRX_SKIP_EAGER=1 LBRX_GGUF="Q8_0 Q4_0 Q4_K_M" timeout 500 bash $R/bench/cuda/side_by_side.sh $A/sbs $OUT/sbs 2>&1 | tail -40
