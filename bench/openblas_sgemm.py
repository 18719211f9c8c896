"""Times numpy's float32 matmul (OpenBLAS sgemm) on square sizes.

Prints one JSON object per size in the format of `lbrx bench matmul
--json`. mage bench runs it with /usr/bin/python3, OPENBLAS_NUM_THREADS
set, and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed so OpenBLAS picks its
kernel for this CPU itself.
"""
import json
import os
import sys
import time

import numpy as np


def main():
    sizes = [int(s) for s in sys.argv[1].split(",")]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    min_time = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", "0"))
    rng = np.random.default_rng(1)
    for n in sizes:
        a = rng.random((n, n), dtype=np.float32) * 2 - 1
        b = rng.random((n, n), dtype=np.float32) * 2 - 1
        c = np.empty((n, n), dtype=np.float32)
        np.matmul(a, b, out=c)
        best, count, start = float("inf"), 0, time.perf_counter()
        while count < runs or time.perf_counter() - start < min_time:
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            best = min(best, time.perf_counter() - t0)
            count += 1
        print(json.dumps({
            "op": "matmul", "impl": "openblas", "m": n, "n": n, "k": n, "dtype": "f32",
            "device": "cpu", "threads": threads, "runs": count, "seconds": best,
            "gflops": 2 * n**3 / best / 1e9, "gbps": 12 * n * n / best / 1e9,
        }), flush=True)


if __name__ == "__main__":
    main()
