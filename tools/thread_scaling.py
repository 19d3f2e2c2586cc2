"""Two-thread scaling of SLIC on this machine, measured in interleaved pairs.

The benchmark harness times each row's rounds back to back, so on a shared VM a
threads=1 row and a threads=2 row can see different hosts. This script alternates
them call by call and reports the median of the per-pair ratios, beside the same
measurement for a compute-bound loop that shares nothing (the machine's own ceiling
for two threads at that moment; needs numba).

    python tools/thread_scaling.py [--pairs 9] [--size 4000]
"""
import argparse
import sys
import statistics
import time
from pathlib import Path

import numpy as np

import maskcore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from cases.superpixels import COMPACTNESS, ITERATIONS, REGION, photo  # noqa: E402


def _ceiling():
    """A compute-bound loop (no memory traffic) on 1 and 2 threads, or None without numba."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(parallel=True)
    def spin(n):
        acc = np.zeros(64)
        for k in numba.prange(64):
            x = 0.0
            for i in range(n):
                x = x * 1.0000001 + 1e-9 * i
            acc[k] = x
        return acc.sum()

    spin(10)

    def run(threads):
        numba.set_num_threads(threads)
        spin(1_500_000)
    return run


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=9)
    ap.add_argument("--size", type=int, default=4000)
    args = ap.parse_args()
    img = photo(args.size, args.size, "coco")
    kw = dict(region_size=REGION, compactness=COMPACTNESS, iterations=ITERATIONS)
    sps = {t: maskcore.Superpixels(img, threads=t) for t in (1, 2)}
    rows = {
        "maskcore.slic (fresh call)": lambda t: maskcore.slic(img, threads=t, **kw),
        "Superpixels.compute (re-run)": lambda t: sps[t].compute(threads=t, **kw),
    }
    ceiling = _ceiling()
    if ceiling is not None:
        rows["compute-bound numba loop (ceiling)"] = ceiling
    for fn in rows.values():  # warm up: kept buffers, the pool, the JIT
        fn(1), fn(2)
    times = {(name, t): [] for name in rows for t in (1, 2)}
    for _ in range(args.pairs):
        for name, fn in rows.items():
            for t in (1, 2):
                times[(name, t)].append(_time(lambda: fn(t)))
    print(f"{args.size}x{args.size} RGB, region_size={REGION}, {ITERATIONS} iterations; "
          f"{args.pairs} interleaved pairs")
    print(f"  {'':36} {'1 thread':>9} {'2 threads':>9} {'pair ratio: median':>19} {'min':>5} {'max':>5}")
    for name in rows:
        one, two = times[(name, 1)], times[(name, 2)]
        ratios = [a / b for a, b in zip(one, two)]
        print(f"  {name:36} {statistics.median(one):8.3f}s {statistics.median(two):8.3f}s "
              f"{statistics.median(ratios):18.2f}x {min(ratios):4.2f}x {max(ratios):4.2f}x")


if __name__ == "__main__":
    main()
