#!/bin/sh
# Runs the throughput comparison on a machine with Python tokenizers and no
# Go: DIR holds the prebuilt bench binary (CGO_ENABLED=0 go build -o
# DIR/tokbench ./tokenizer/bench), bench_hf.py, this script, data/ (from
# `bench gen`) and tok/<name>/ (tokenizer.json or tokenizer.json.gz per
# tokenizer). One thread each. Usage: sh device.sh DIR OUTDIR
set -eu
dir=$1
out=$2
toks=""
hf=""
cd "$dir"
for t in tok/*/; do
	n=$(basename "$t")
	toks="$toks -tok $n=$t"
	hf="$hf $n=$t"
done
python3 -c 'import tokenizers, platform; print("tokenizers", tokenizers.__version__, "python", platform.python_version())' >"$out/versions.txt"
grep -m1 'model name' /proc/cpuinfo >>"$out/versions.txt" || true
# shellcheck disable=SC2086
GOMAXPROCS=1 ./tokbench run -data data -rounds 3 $toks >"$out/lbrx.jsonl"
# shellcheck disable=SC2086
RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false python3 bench_hf.py data $hf --rounds 3 >"$out/hf.jsonl"
./tokbench compare "$out/lbrx.jsonl" "$out/hf.jsonl" | tee "$out/table.md"
