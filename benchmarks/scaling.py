"""Two-worker scaling, measured in interleaved pairs beside the machine's own ceiling.

On a shared VM a one-worker run and a two-worker run timed minutes apart can see different
hosts, so these alternate them run by run and report the median of the per-pair ratios; beside
it, ``ceiling()``: the same ratio for hashing (which releases the GIL and shares nothing) at
that moment, i.e. how much of a second core the machine gives.

    python benchmarks/scaling.py dask-label [--size 20000] [--chunks 4096] [--pairs 5]

``dask-label``: ``maskcore.dask.label`` of the blob mask of the dask benchmark family (held in
memory, 8-connectivity; the timed run includes the relabel of every block, as the family's
rows) on dask's threaded scheduler with 1 and 2 workers. The COCO evaluation has its own mode
(``benchmarks/cocoeval_workloads.py --scaling``) and the dataset jobs theirs
(``benchmarks/jobs_100k.py``).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _checkout  # noqa: E402,F401  (an installed maskcore wins over this checkout)


def ceiling(rounds: int = 5) -> float:
    """Median ratio of one thread hashing 2 x 32 MiB to two threads hashing 32 MiB each."""
    blob = os.urandom(32 << 20)
    ratios = []
    with ThreadPoolExecutor(2) as pool:
        for _ in range(rounds):
            t0 = time.perf_counter()
            hashlib.sha256(blob).digest(), hashlib.sha256(blob).digest()
            t1 = time.perf_counter()
            list(pool.map(lambda b: hashlib.sha256(b).digest(), (blob, blob)))
            t2 = time.perf_counter()
            ratios.append((t1 - t0) / (t2 - t1))
    return statistics.median(ratios)


def pairs(one: Callable[[], object], two: Callable[[], object], n: int) -> str:
    """Times one() and two() alternately n times (after one warm-up of each): a summary line."""
    one(), two()
    t1, t2 = [], []
    for _ in range(n):
        for f, acc in ((one, t1), (two, t2)):
            t0 = time.perf_counter()
            f()
            acc.append(time.perf_counter() - t0)
    ratio = statistics.median(a / b for a, b in zip(t1, t2))
    return (f"1: {statistics.median(t1):.3f} s, 2: {statistics.median(t2):.3f} s -> {ratio:.2f}x "
            f"(median of {n} interleaved pairs; machine ceiling now {ceiling():.2f}x)")


def dask_label(size: int, chunks: int, n: int) -> str:
    import dask

    import maskcore.dask as md
    from cases.dask import persisted
    arr, _ = persisted((size, size), chunks, 64)

    def run(workers: int) -> Callable[[], object]:
        def f() -> object:
            with dask.config.set(scheduler="threads", num_workers=workers):
                labels, count = md.label(arr, connectivity=8)
                return int(labels.max().compute()), count
        return f
    return f"maskcore.dask.label {size}x{size}, chunks {chunks}, workers " + pairs(run(1), run(2), n)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["dask-label", "ceiling"])
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--chunks", type=int, default=4096)
    ap.add_argument("--pairs", type=int, default=5)
    args = ap.parse_args(argv)
    if args.what == "ceiling":
        print(f"two-thread ceiling now: {ceiling():.2f}x")
    else:
        print(dask_label(args.size, args.chunks, args.pairs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
