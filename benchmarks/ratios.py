"""Quick ratio check for CI: a few rows per family, maskcore against its reference row, in
one process, interleaved; prints the ratio table and exits 1 when a ratio falls below half
of its target (a regression such as a kernel silently falling back to scalar, not noise).

    python benchmarks/ratios.py [--family NAME ...] [--rounds N] [--strict]

Each row takes the case ``mc`` and the case ``ref`` of one group of the quick benchmark
cases (``benchmarks/cases``, the same inputs ``maskcore bench --quick`` uses, results
checked), times them alternately ``--rounds`` times (each sample loops a call for at least
~5 ms) and reports ``ratio = median(ref) / median(mc)``: > 1 means maskcore is faster. A row
below its limit is measured up to twice more and keeps its best ratio (shared CI machines).
``target`` is the project's target for that comparison where the quick input is the
target's input scaled down; the exit code is 1 when ``ratio < target / 2`` (a row against
``maskcore [scalar]``: below max(target / 2, 1.4), since a silent fallback to scalar gives
~1.0 there whatever the target) (``--strict``:
``ratio < target``). A row whose peer is not installed or whose data is absent is skipped
and says why. About 2-4 s per family on a 2-core VM.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _checkout  # noqa: E402,F401  (an installed maskcore wins over this checkout)

import cases as _cases  # noqa: E402

# (family, group, maskcore row, reference row, target: ref time / maskcore time)
ROWS = [
    ("rle", "encode blob 1920x1080 F-order", "maskcore", "pycocotools", 5.0),
    ("rle", "decode blob 1920x1080 F-order", "maskcore (out= F array)", "pycocotools", 5.0),
    ("rle", "area 1000 RLEs 640x480", "maskcore.coco (list of dicts)", "pycocotools (chunks of 255: numpy-2 OverflowError at >=256)", 1.0),
    ("rle", "iou 30x30 640x480", "maskcore threads=1", "pycocotools", 3.0),
    ("rle", "encode blob 1920x1080 F-order", "maskcore", "maskcore [scalar]", 2.0),
    ("raster", "raster dense: one 300-vertex polygon on 960x540", "maskcore (center)", "cv2.fillPoly (1 thread)", 1.0),
    ("raster", "raster dense: one 300-vertex polygon on 960x540", "maskcore (inclusive = cv2.fillPoly's pixels)", "cv2.fillPoly (1 thread)", 1.0),
    ("components", "label blobs 1024x1024 8-conn", "maskcore threads=1", "OpenCV connectedComponents (1 thread)", 1.2),
    ("components", "label volume multi-label 64^3 6-conn", "maskcore threads=1", "cc3d.connected_components (multi-label)", 1.5),
    ("components", "label volume D99 atlas 245x347x275 26-conn", "maskcore threads=1", "cc3d.connected_components (multi-label)", 1.5),
    ("components", "label volume D99 atlas 245x347x275 26-conn, Fortran order (as nibabel loads it)", "maskcore threads=1",
     "cc3d.connected_components (multi-label)", 1.5),
    ("superpixels", "slic 1000x1000 region_size=20 (~2500 segments, 10 iterations)", "maskcore threads=1", "fast_slic SlicAvx2 subsample_stride=1 (same work)", 2.0),
    ("superpixels", "slic 1000x1000 region_size=20 (~2500 segments, 10 iterations)", "maskcore threads=1", "maskcore [scalar] threads=1", 2.0),
    ("contours", "find_polygons 250 objects 960x540", "maskcore", "cv2.findContours CCOMP SIMPLE", 1.0),
    ("metrics", "confusion 150 classes 1000x1000 uint8 (regions)", "maskcore threads=1", "numpy np.bincount(gt * K + pred)", 10.0),
    # noise: one table increment per pixel (the scatter floor); 3x bincount at 1000^2, ~6x at 4000^2
    ("metrics", "confusion 150 classes 1000x1000 uint8 (noise)", "maskcore threads=1", "numpy np.bincount(gt * K + pred)", 3.0),
    ("metrics", "iou matrix 30x30 640x480 (metrics)", "maskcore threads=1 (RLE in)", "pycocotools (RLE)", 3.0),
]


def _sample(fn, min_time=5e-3) -> float:
    """Seconds per call, one sample looping fn for at least min_time."""
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        t = time.perf_counter() - t0
        if t >= min_time:
            return t / n


def measure(mc_fn, ref_fn, rounds: int) -> "tuple[float, float]":
    a, b = [], []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        mc_fn(), ref_fn()
        for _ in range(rounds):
            a.append(_sample(mc_fn))
            b.append(_sample(ref_fn))
    finally:
        if gc_was:
            gc.enable()
    return statistics.median(a), statistics.median(b)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", action="append", help="only these families (repeatable)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--strict", action="store_true", help="fail below the target itself, not half of it")
    args = ap.parse_args(argv)
    import maskcore

    print(f"maskcore {maskcore.__version__}, isa {maskcore.get_isa()} (best {maskcore._core.best_isa()}), "
          f"quick inputs, {args.rounds} interleaved rounds, ratio = ref / maskcore (> 1: maskcore faster)")
    by_family: dict = {}
    for fam, *rest in ROWS:
        if args.family and fam not in args.family:
            continue
        by_family.setdefault(fam, []).append(rest)
    failed = 0
    print(f"{'family':12s} {'maskcore row vs reference row':78s} {'maskcore':>10s} {'ref':>10s} {'ratio':>6s} {'target':>6s}")
    for fam, rows in by_family.items():
        found = {(c.group, c.name): c for c in _cases.cases(quick=True, family=fam)}
        for group, mc_name, ref_name, target in rows:
            label = f"{group[:40]} | {mc_name[:16]} vs {ref_name[:16]}"
            try:
                cm, cr = found[(group, mc_name)], found[(group, ref_name)]
                mc_fn, ref_fn = cm.setup(), cr.setup()
                if cm.check is not None:
                    cm.check(mc_fn())
            except KeyError as exc:
                print(f"{fam:12s} {label:78s} missing case {exc}")
                failed += 1
                continue
            except _cases.Unavailable as exc:
                print(f"{fam:12s} {label:78s} skipped: {exc}")
                continue
            limit = target if args.strict else target / 2
            if "[scalar]" in ref_name and not args.strict:  # catches a fallback to scalar (~1.0x)
                limit = max(limit, 1.4)
            tm, tr = measure(mc_fn, ref_fn, args.rounds)
            for _ in range(2):  # below the limit: measure again (a busy machine), keep the best
                if tr / tm >= limit:
                    break
                tm2, tr2 = measure(mc_fn, ref_fn, args.rounds)
                if tr2 / tm2 > tr / tm:
                    tm, tr = tm2, tr2
            ratio = tr / tm
            bad = ratio < limit
            failed += bad
            print(f"{fam:12s} {label:78s} {tm * 1e3:8.3f}ms {tr * 1e3:8.3f}ms {ratio:6.2f} {target:6.1f}"
                  + ("  FAIL" if bad else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
