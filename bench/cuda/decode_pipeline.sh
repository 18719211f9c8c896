#!/bin/bash
# The GPU checks of the pipelined greedy decode (models/llama/pipe.go) in one
# call: its tests and the tests it touches on CUDA, then `lbrx bench decode`
# of the 1B-shaped 4-bit model (tg128, prompt 8) with LBRX_DECODE_PIPELINE on
# and off, alternating, 3 runs each, and a summary.
#
# usage: decode_pipeline.sh BIN C OUT
#   BIN holds linux/amd64 cuda.test, llama.test, integration.test and lbrx
#   (built with CGO_ENABLED=0); C holds llama_gguf.py, llama.cpp-src.tar.xz
#   (for gguf-py) and data.tar.xz (shared/testdata), as the lead's .devbin/c.
#   OUT receives 7 files: summary.txt, model.log, cuda.log, llama.log,
#   integration.log, bench.log and bench.jsonl (each run's JSON, one a line,
#   with "env" and "run" added).
# About 4-6 minutes on an H200 (model ~35 s and quantization while the tests
# run; NVRTC compiles each kernel module on first use).
set -uo pipefail
BIN=$(cd "$1" && pwd); C=$(cd "$2" && pwd); OUT=$3; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
W=${LBRX_WORK:-/tmp/lbrx-pipe}; mkdir -p "$W/l" "$W/d"
export PATH=/opt/torch/.venv/bin:$PATH # python3 with numpy, as side_by_side.sh
tar xJf "$C/llama.cpp-src.tar.xz" -C "$W/l"
tar xJf "$C/data.tar.xz" -C "$W/d"
export LBRX_SHARED=$W/d/shared
S=$OUT/summary.txt; : >"$S"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee -a "$S"

M=$W/model
( [ -d "$M/q4" ] || { PYTHONPATH=$W/l/gguf-py python3 "$C/llama_gguf.py" random "$M" --hidden 2048 --layers 16 \
    --heads 32 --kv-heads 8 --inter 8192 --vocab 32000 && "$BIN/lbrx" quantize "$M/hf" "$M/q4" --bits 4 --group-size 32; } ) \
  >"$OUT/model.log" 2>&1 &
MP=$!

t() { # name, binary, seconds, -test.run filter
  (cd "$BIN" && timeout "$3" "./$2" -test.v -test.run "$4" >"$OUT/$1.log" 2>&1); local rc=$?
  echo "$1 rc=$rc ($(grep -c -- '^--- PASS\|^    --- PASS' "$OUT/$1.log") passed, $(grep -c -- '--- FAIL' "$OUT/$1.log") failed, $(grep -c -- '--- SKIP' "$OUT/$1.log") skipped)" | tee -a "$S"
  grep -- '--- FAIL\|--- SKIP\|pipeline is tested on the CPU only' "$OUT/$1.log" | head -20 | tee -a "$S"
}
t cuda cuda.test 120 'TestGatherRowsMatchesCPU|TestCopyToHostLaterIsStreamOrdered|TestGraph'
t llama llama.test 180 'TestPipe|TestUsePipe|TestArchitecturesPipelinedDecode|TestRecordedDecodeEqualsEager|TestRecordedStepFollowsCacheGrowth|TestArchitecturesRecordedStepEqualsForward|TestGenerate'
t integration integration.test 150 'TestParity|TestTinyLlamaOnEveryDevice|TestArchitecturesOnEveryDevice'

wait $MP || { echo "model creation failed" | tee -a "$S"; tail -20 "$OUT/model.log"; exit 1; }
: >"$OUT/bench.jsonl"
for r in 1 2 3; do
  for p in on off; do
    LBRX_DECODE_PIPELINE=$p timeout 60 "$BIN/lbrx" bench decode "$M/q4" --prompt 8 --tokens 128 --device cuda:0 --json \
      >"$W/bench.json" 2>>"$OUT/bench.log" || { echo "bench $p $r failed" | tee -a "$S"; continue; }
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["env"]=sys.argv[2]; r["run"]=int(sys.argv[3]); print(json.dumps(r))' \
      "$W/bench.json" "$p" "$r" >>"$OUT/bench.jsonl"
  done
done
python3 - "$OUT" <<'PY' | tee -a "$S"
import json, os, sys, statistics
out = sys.argv[1]
by = {}
for line in open(os.path.join(out, "bench.jsonl")):
    r = json.loads(line)
    p = r["env"]
    by.setdefault(p, []).append(r)
    print(f"LBRX_DECODE_PIPELINE={p} run {r['run']}: pipeline={r.get('pipeline')} generated={r['generated_tokens']} "
          f"decode {r['decode_tokens_per_s']:.1f} tok/s p50 {r['ms_per_token_p50']:.3f} ms p99 {r['ms_per_token_p99']:.3f} ms")
for p, rs in by.items():
    print(f"{p}: median decode {statistics.median(r['decode_tokens_per_s'] for r in rs):.1f} tok/s, "
          f"median p50 {statistics.median(r['ms_per_token_p50'] for r in rs):.3f} ms over {len(rs)} runs")
if "on" in by and "off" in by:
    on = statistics.median(r['decode_tokens_per_s'] for r in by["on"])
    off = statistics.median(r['decode_tokens_per_s'] for r in by["off"])
    print(f"pipeline on/off: {on/off:.3f}x (llama.cpp Q4_0 tg128 on the H200 was ~1109-1115 tok/s)")
PY
