#!/bin/bash
C=$(cd "$(dirname "$0")" && pwd); R=$(cd "$C/../.." && pwd); A=/tmp/ab; mkdir -p $A; L=$OUT; T0=$(date +%s)
cp $C/*.xz $A/ && xz -d $A/*.xz && chmod +x $A/lbrx-*
W=/tmp/w; M=$W/model
if [ ! -d $M/q4 ]; then mkdir -p $W/llama.cpp; tar xJf $R/.devbin/c/llama.cpp-src.tar.xz -C $W/llama.cpp && PYTHONPATH=$W/llama.cpp/gguf-py timeout 150 python3 $R/.devbin/c/llama_gguf.py random $M >$L/model.log 2>&1 && timeout 100 $A/lbrx-main quantize $M/hf $M/q4 --bits 4 --group-size 32 >>$L/model.log 2>&1; fi
echo "model at $(( $(date +%s)-T0 ))s"
for r in 1 2; do for b in c3 main; do
  timeout 40 $A/lbrx-$b bench decode $M/q4 --prompt 512 --tokens 2 --device cuda:0 --json > $L/pp-$b-$r.json 2>>$L/err.log
  timeout 40 $A/lbrx-$b bench decode $M/q4 --prompt 8 --tokens 128 --device cuda:0 --json > $L/tg-$b-$r.json 2>>$L/err.log
  echo "$b r$r pp $(grep -o '"prefill_tokens_per_s":[0-9.]*' $L/pp-$b-$r.json) tg $(grep -o '"decode_tokens_per_s":[0-9.]*' $L/tg-$b-$r.json)"
done; done
timeout 40 $A/lbrx-main bench decode $M/q4 --prompt 512 --tokens 2 --device cuda:0 --json --profile > $L/pp-main-prof.json 2>>$L/err.log
timeout 40 $A/lbrx-c3 bench decode $M/q4 --prompt 512 --tokens 2 --device cuda:0 --json --profile > $L/pp-c3-prof.json 2>>$L/err.log
tail -3 $L/err.log; echo "end $(( $(date +%s)-T0 ))s"
