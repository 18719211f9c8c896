#!/usr/bin/env python3
"""lbrx's CUDA GEMM next to PyTorch's torch.matmul on the same GPU.

For each configuration (f32 with TF32 off and on, bf16, f16) it runs
`lbrx bench matmul --device DEV --json` and times torch.matmul on operands
of the same shape, the same way: warm-up runs, then RUNS timed runs, each
synchronised, reporting TFLOP/s of the mean and of the best run. It prints
one JSON object per configuration and then a Markdown table of the mean
figures, lbrx / torch, which is what README.md quotes.

Usage: python3 bench/torch_gemm.py --lbrx PATH [--device cuda:0] [--size 8192]
       [--runs 30] [--warmup 3]
(`go tool mage gemmtorch` builds lbrx and runs this.)
"""
import argparse
import json
import subprocess
import sys
import time

import torch

CONFIGS = [  # (label, lbrx dtype, torch dtype, TF32)
    ("f32 (TF32 off)", "f32", torch.float32, False),
    ("f32 (TF32 on)", "f32", torch.float32, True),
    ("bf16", "bf16", torch.bfloat16, False),
    ("f16", "f16", torch.float16, False),
]


def time_torch(n, dtype, tf32, runs, warmup, device):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    gen = torch.Generator(device="cpu").manual_seed(1)
    a = (torch.rand(n, n, generator=gen) * 2 - 1).to(dtype).to(device)
    b = (torch.rand(n, n, generator=gen) * 2 - 1).to(dtype).to(device)
    for _ in range(warmup):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        torch.matmul(a, b)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return times


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lbrx", required=True, help="the lbrx binary")
    p.add_argument("--device", default="cuda:0")
    p.add_argument("--size", type=int, default=8192)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    args = p.parse_args()
    n = args.size
    flops = 2.0 * n * n * n
    rows = []
    for label, ldt, tdt, tf32 in CONFIGS:
        cmd = [args.lbrx, "bench", "matmul", "--device", args.device, "--m", str(n), "--n", str(n), "--k", str(n),
               "--dtype", ldt, "--runs", str(args.runs), "--min-time", "0", "--json"]
        if tf32:
            cmd.append("--tf32")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        lb = json.loads(out)
        # lbrx bench warms up once; the torch side gets --warmup runs.
        tt = time_torch(n, tdt, tf32, args.runs, args.warmup, torch.device("cuda", int(args.device.split(":")[1]) if ":" in args.device else 0))
        res = {
            "config": label, "size": n, "runs": args.runs,
            "lbrx_tflops_mean": flops / lb["mean_seconds"] / 1e12, "lbrx_tflops_best": flops / lb["seconds"] / 1e12,
            "torch_tflops_mean": flops / (sum(tt) / len(tt)) / 1e12, "torch_tflops_best": flops / min(tt) / 1e12,
            "torch": torch.__version__, "gpu": torch.cuda.get_device_name(0),
        }
        print(json.dumps(res))
        rows.append(res)
    print()
    print("| GPU | " + " | ".join(r["config"] for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    cells = []
    for r in rows:
        ratio = r["lbrx_tflops_mean"] / r["torch_tflops_mean"]
        cells.append("%.1f / %.1f (%.2f×)" % (r["lbrx_tflops_mean"] / 1, r["torch_tflops_mean"], ratio))
    print("| %s | %s |" % (rows[0]["gpu"], " | ".join(cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
