#!/bin/bash
# Decode and prefill speed of lbrx next to llama.cpp on one CUDA GPU, in one
# session, on the same random 1B-shaped Llama (hidden 2048, 16 layers, 32
# heads / 8 KV heads of 64, intermediate 8192, vocabulary 32000) in f16,
# 8-bit and 4-bit (lbrx's affine g32 weights next to llama.cpp's Q8_0/Q4_0
# GGUF files, and lbrx running those GGUF files too): llama-bench tg128
# and pp512 against
# `lbrx bench decode --prompt 8 --tokens 128` and `--prompt 512 --tokens 2`.
#
# usage: side_by_side.sh DIR OUT
#   DIR holds: lbrx (linux/amd64 build of ./tools/lbrx), llama.cpp-src.tar.xz
#   (llama.cpp's sources, e.g. from the npm package node-llama-cpp 3.22.1, see
#   ../shared/tools/README.md) and llama_gguf.py (../shared/tools).
#   OUT receives the JSON of every run and the logs.
# Needs nvcc, cmake, ninja, python3 with numpy. Set LBRX_SKIP_LLAMACPP=1 to
# run lbrx alone, LBRX_PROFILE=1 to add a per-op profile of one decode step,
# LBRX_SKIP_EAGER=1 to leave out the op-by-op (--eager) decode runs,
# LBRX_WHILE_BUILDING to a command to run while llama.cpp builds (timed runs
# wait for a quiet CPU).
set -euo pipefail
DIR=$(cd "$1" && pwd); OUT=$2; mkdir -p "$OUT"
W=${LBRX_WORK:-/tmp/lbrx-side}; mkdir -p "$W"
export PATH=/opt/torch/.venv/bin:$PATH
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv | tee "$OUT/gpu.txt"

[ -d "$W/llama.cpp" ] || { mkdir -p "$W/llama.cpp" && tar xJf "$DIR/llama.cpp-src.tar.xz" -C "$W/llama.cpp"; }
if [ -z "${LBRX_SKIP_LLAMACPP:-}" ] && [ ! -x "$W/llama.cpp/build/bin/llama-bench" ]; then
  ( cd "$W/llama.cpp" && cmake -S . -B build -G Ninja -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
      -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
      -DLLAMA_BUILD_SERVER=OFF >"$OUT/cmake.log" 2>&1 &&
    cmake --build build -j16 --target llama-bench llama-quantize >"$OUT/build.log" 2>&1 ) &
  BUILD=$!
fi

# The model in both formats (same weights), then both tools' quantizations.
M=$W/model
[ -f "$M/model-f16.gguf" ] || PYTHONPATH=$W/llama.cpp/gguf-py python3 "$DIR/llama_gguf.py" random "$M" >"$OUT/model.log" 2>&1
QP=()
for b in 8 4; do
  [ -d "$M/q$b" ] || { "$DIR/lbrx" quantize "$M/hf" "$M/q$b" --bits $b --group-size 32 >>"$OUT/model.log" 2>&1 & QP+=($!); }
done
for p in "${QP[@]}"; do wait "$p"; done

# Correctness runs that need no quiet CPU go while llama.cpp builds.
if [ -n "${LBRX_WHILE_BUILDING:-}" ]; then bash -c "$LBRX_WHILE_BUILDING" || echo "LBRX_WHILE_BUILDING failed"; fi

if [ -n "${BUILD:-}" ]; then wait $BUILD || { tail -30 "$OUT/build.log"; exit 1; }; fi
# The GGUF files both tools run: llama-quantize's when llama.cpp is built,
# else lbrx's own (`lbrx quantize --type`, every 2-D weight in the type as
# llama-quantize --pure does; llama-quantize keeps the output in Q6_K for
# Q4_0). LBRX_GGUF names the types (default Q8_0 Q4_0; Q4_K_M works too).
B=$W/llama.cpp/build/bin
for q in ${LBRX_GGUF-Q8_0 Q4_0}; do
  [ -f "$M/model-$q.gguf" ] && continue
  if [ -x "$B/llama-quantize" ]; then "$B/llama-quantize" "$M/model-f16.gguf" "$M/model-$q.gguf" $q >>"$OUT/model.log" 2>&1
  else "$DIR/lbrx" quantize "$M/hf" "$M/model-$q.gguf" --type "$(echo $q | tr A-Z a-z)" >>"$OUT/model.log" 2>&1; echo "model-$q.gguf: lbrx quantize" >>"$OUT/model.log"; fi
done
lb() { # name, then lbrx bench decode flags
  local n=$1; shift
  "$DIR/lbrx" bench decode "$@" --device cuda:0 --json >"$OUT/lbrx-$n.json" 2>>"$OUT/lbrx.log" || echo "lbrx $n failed" | tee -a "$OUT/lbrx.log"
}
# A variant is NAME:PATH[:FLAGS], FLAGS comma-separated extra bench flags;
# each GGUF file runs with its default (f32) activations and, as gguf16-*,
# with --dtype f16.
GV=""; for q in ${LBRX_GGUF-Q8_0 Q4_0}; do GV="$GV gguf-$q:model-$q.gguf gguf16-$q:model-$q.gguf:--dtype,f16"; done
for v in ${LBRX_VARIANTS:-f16:hf q8:q8 q4:q4$GV}; do
  IFS=: read -r n p fl <<<"$v"; d=$M/$p; fl=(${fl//,/ })
  lb "$n-tg" "$d" --prompt 8 --tokens 128 ${LBRX_PROFILE:+--profile} "${fl[@]}"
  [ -n "${LBRX_SKIP_EAGER:-}" ] || lb "$n-tg-eager" "$d" --prompt 8 --tokens 128 --eager "${fl[@]}"
  lb "$n-pp" "$d" --prompt 512 --tokens 2 ${LBRX_PROFILE:+--profile} "${fl[@]}"
done

if [ -z "${LBRX_SKIP_LLAMACPP:-}" ]; then
  for q in f16 ${LBRX_GGUF-Q8_0 Q4_0}; do
    "$B/llama-bench" -m "$M/model-$q.gguf" -ngl 99 -p 512 -n 128 -o json >"$OUT/llamacpp-$q.json" 2>>"$OUT/llamacpp.log"
  done
fi

# The table: tokens/s, and lbrx over llama.cpp.
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
def lbrx(n):
    try: return json.load(open(f"{out}/lbrx-{n}.json"))
    except Exception: return None
def lcpp(q):
    try: r = json.load(open(f"{out}/llamacpp-{q}.json"))
    except Exception: return {}
    return {("pp" if x["n_gen"] == 0 else "tg"): x["avg_ts"] for x in r}
print(f"{'weights':10} {'llama.cpp tg128':>16} {'lbrx decode':>12} {'ratio':>6} {'llama.cpp pp512':>16} {'lbrx pp512':>11} {'ratio':>6}")
rows = [("f16", "f16"), ("q8", "Q8_0"), ("q4", "Q4_0")]
rows += [(f"{g}-{q}", q) for q in os.environ.get("LBRX_GGUF", "Q8_0 Q4_0").split() for g in ("gguf", "gguf16")]
for n, q in rows:
    t, p, l = lbrx(n + "-tg"), lbrx(n + "-pp"), lcpp(q)
    td = t["decode_tokens_per_s"] if t else float("nan"); pr = p["prefill_tokens_per_s"] if p else float("nan")
    lt, lp = l.get("tg", float("nan")), l.get("pp", float("nan"))
    print(f"{n:10} {lt:16.1f} {td:12.1f} {td/lt:6.2f} {lp:16.1f} {pr:11.1f} {pr/lp:6.3f}")
names = [n for n, _ in rows]
for n in names:
    e = lbrx(n + "-tg-eager")
    if e: print(f"{n}: lbrx decode op by op (--eager) {e['decode_tokens_per_s']:.1f} tok/s, p50 {e['ms_per_token_p50']:.3f} ms")
for n, key, what in [(n, k, w) for n in names for k, w in (("tg", "one decode step (op by op)"), ("pp", "prefill 512 (op by op)"))]:
    t = lbrx(f"{n}-{key}")
    p = t and (t.get("profile") if key == "tg" else t.get("prefill_profile"))
    if p:
        print(f"\n{n}: {what} {p['wall_ms']:.3f} ms wall (queued after {p.get('queued_ms', 0):.3f}), {p['ops']} ops, "
              f"{p['gpu_ms']:.3f} ms GPU, {p.get('pool_misses', 0)} pool misses, {p.get('gc_cycles', 0)} GC; top ops:")
        for o in p["by_op"][:6]:
            print(f"  {o['op']:42} x{o['count']:<4} GPU {o['gpu_ms']:.3f} ms  host {o['host_ms']:.3f} ms")
PY
