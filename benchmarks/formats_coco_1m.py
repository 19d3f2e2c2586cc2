"""A COCO instances file with a million polygon annotations, loaded into masks: maskcore against
pycocotools, time and peak memory, each loader in its own child process.

    python benchmarks/formats_coco_1m.py                 # 1,000,000 annotations
    python benchmarks/formats_coco_1m.py --n 100000      # smaller
    python benchmarks/formats_coco_1m.py --rounds 3      # median of 3 child runs per row

The file is made by ``cases.formats.replicated_coco`` (the real polygon annotations of
../shared/data copied over as many images as needed; cached in $MASKCORE_BENCH_CACHE or the
temporary folder, about 0.5 KB per annotation). Each row runs in a fresh ``python -c`` child that
imports its library, then times the load; the child reports its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) with the bytes of the imports alone subtracted
(measured in the same child before loading), so the figures compare the load itself.

Rows:
* ``maskcore io.read`` — ``maskcore.io.read(f, "coco")``: every mask built (a Dataset of runs);
* ``pycocotools`` — ``COCO(f)`` and ``annToRLE`` of every annotation (the RLEs kept in a list, as
  a user who wants the masks keeps them).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import _checkout  # noqa: E402  (an installed maskcore wins over this checkout)

CHILD = r"""
import contextlib, io, json, resource, sys, time
sys.path[:0] = {paths!r}
which, path = {which!r}, {path!r}
if which == "maskcore":
    import maskcore, maskcore.io
else:
    import numpy
    from pycocotools.coco import COCO
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if which == "maskcore":
    ds = maskcore.io.read(path, "coco")
    n = ds.segments_count
else:
    with contextlib.redirect_stdout(io.StringIO()):
        c = COCO(path)
    rles = [c.annToRLE(a) for a in c.dataset["annotations"]]
    n = len(rles)
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"n": n, "seconds": dt, "peak_kb": peak, "base_kb": base}}))
"""


def run(which: str, path: Path) -> dict:
    code = CHILD.format(paths=_checkout.pythonpath(), which=which, path=str(path))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=str(ROOT))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from cases.formats import replicated_coco
    path = replicated_coco(args.n)
    print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB, {args.n} polygon annotations)")
    rows = {}
    for which in ("maskcore", "pycocotools"):
        res = [run(which, path) for _ in range(args.rounds)]
        assert all(r["n"] == args.n for r in res), res
        rows[which] = {"seconds": statistics.median(r["seconds"] for r in res),
                       "peak_mb": statistics.median((r["peak_kb"] - r["base_kb"]) / 1024 for r in res),
                       "peak_total_mb": statistics.median(r["peak_kb"] / 1024 for r in res)}
        r = rows[which]
        print(f"{which:12s} {r['seconds']:8.2f} s   peak RSS {r['peak_total_mb']:8.0f} MB "
              f"({r['peak_mb']:.0f} MB above the imports)")
    m, p = rows["maskcore"], rows["pycocotools"]
    print(f"speed-up {p['seconds'] / m['seconds']:.1f}x; memory (above imports) {m['peak_mb'] / p['peak_mb']:.2f} of "
          f"pycocotools'; total peak {m['peak_total_mb'] / p['peak_total_mb']:.2f}")
    return rows


if __name__ == "__main__":
    main()
