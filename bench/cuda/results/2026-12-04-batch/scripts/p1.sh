#!/bin/bash
# Call 1 of 2026-12-04 afternoon (issue 18): where the 8-row serve pass spends its time.
# From the repository root with .devbin/p1/bin.tar.xz (lbrx, serve.test) and .devbin/c
# (gguf-py.tar.xz, llama_gguf.py): the 1B-shaped random model quantized to 4 bits (g32),
# lbrx bench batch at widths 1 and 8 (8 sequences, and 1 sequence padded to 8) with the
# recorded pass's per-op graph profile, then the serve engine benchmark.
T0=$(date +%s); el() { echo $(( $(date +%s)-T0 )); }
R=$(pwd); A=/tmp/a; W=/tmp/w; M=$W/model; mkdir -p $A $W/gg
tar xJf $R/.devbin/${BIN:-p1}/bin.tar.xz -C $A && tar xJf $R/.devbin/c/gguf-py.tar.xz -C $W/gg
export PATH=/opt/torch/.venv/bin:$PATH
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
if [ ! -d $M/q4 ]; then
  PYTHONPATH=$W/gg/gguf-py timeout 150 python3 $R/.devbin/c/llama_gguf.py random $M >$W/model.log 2>&1 &&
  timeout 100 $A/lbrx quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$W/model.log 2>&1; echo "model rc=$? at $(el)s"; tail -3 $W/model.log
fi
for w in "1 1" "8 8" "8 1"; do set -- $w
  echo "== bench batch width $1 seqs $2"; timeout 60 $A/lbrx bench batch $M/q4 --device cuda:0 --width $1 --seqs $2 --steps 64 --profile
done 2>&1 | tee $OUT/batch-profile.txt
echo "profiles at $(el)s"
for i in 1 2; do ( cd serve && LBRX_DEVICE=cuda LBRX_BENCH_MODEL=$M/q4 timeout 60 $A/serve.test -test.run '^$' -test.bench 'BenchmarkEngine/q4/c=(1/vary|8/padded)' -test.benchtime 5x 2>&1 | grep -E '^Benchmark|FAIL' ); done | tee $OUT/engine.txt
echo "end at $(el)s"
