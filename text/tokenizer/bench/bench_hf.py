"""Time Hugging Face tokenizers (the Rust library through its Python
bindings) on the texts `bench gen` wrote; prints the JSON lines `bench run`
prints. One thread: run with RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false.

    python3 bench_hf.py DATA_DIR NAME=PATH [NAME=PATH ...] [--rounds N]

PATH is a tokenizer.json (or .json.gz) file or a directory holding one.
"""
import gzip
import hashlib
import json
import os
import struct
import sys
import time

from tokenizers import Tokenizer


def load(path):
    if os.path.isdir(path):
        for name in ("tokenizer.json", "tokenizer.json.gz"):
            if os.path.exists(os.path.join(path, name)):
                path = os.path.join(path, name)
                break
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return Tokenizer.from_str(f.read().decode("utf-8"))


def main():
    args = sys.argv[1:]
    rounds = 5
    if "--rounds" in args:
        i = args.index("--rounds")
        rounds = int(args[i + 1])
        del args[i : i + 2]
    data, toks = args[0], args[1:]
    for nt in toks:
        name, path = nt.split("=", 1)
        tok = load(path)
        for text in ("english", "mixed"):
            with open(os.path.join(data, text + ".txt"), "rb") as f:
                raw = f.read()
            s = raw.decode("utf-8")
            times = []
            ids = None
            for _ in range(rounds + 1):
                t0 = time.perf_counter()
                ids = tok.encode(s, add_special_tokens=False).ids
                times.append(time.perf_counter() - t0)
            rest = sorted(times[1:])
            med = rest[len(rest) // 2]
            h = hashlib.sha256(b"".join(struct.pack("<I", i) for i in ids)).hexdigest()
            print(json.dumps({"tool": "hf-tokenizers", "tokenizer": name, "text": text, "bytes": len(raw),
                              "tokens": len(ids), "ids_sha256": h, "first_s": times[0], "median_s": med,
                              "mb_per_s": len(raw) / med / 1e6}), flush=True)


if __name__ == "__main__":
    main()
