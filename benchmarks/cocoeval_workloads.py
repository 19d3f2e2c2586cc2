"""The issue's full COCO-evaluation workloads, each row in a child process (time and peak memory).

    python benchmarks/cocoeval_workloads.py [--workload a b] [--kind segm bbox] [--repeats 3]
                                            [--slice-b 10] [--rows ...]

Workloads (built by benchmarks/cases/cocoeval.py from ../shared/data, cached as JSON in
``$TMPDIR/maskcore-cocoeval``): (a) the val2014 ground truth and fake results replicated to
5,000 images; (b) 300 dense 1024x1024 images of 300-1,000 objects and as many detections
(``maxDets = [1, 100, 1000]``). pycocotools on all of (b) would take hours (its matching is a
Python loop over every detection x ground truth x threshold x area range), so (b) also runs on
its first ``--slice-b`` images, where every row runs and the ratios to pycocotools are measured.

Each row is one child process: it loads the inputs the way the library's users do
(``COCO(gt.json)`` and ``loadRes(results)``; faster-coco-eval with its own ``COCO``), then times
``evaluate()`` + ``accumulate()`` of a fresh evaluator ``--repeats`` times (fresh inputs each
time; pycocotools once) and reports the median. Peak memory: the child resets its peak RSS after
loading (``/proc/self/clear_refs``), so "peak" is the most resident memory during evaluation,
and "added" is that minus the resident memory before it.

``--scaling N``: instead of the rows, N interleaved pairs of maskcore ``threads=1`` /
``threads=2`` evaluations (evaluate + accumulate, fresh evaluators on one loaded pair of COCO
objects) per workload and kind, in one process, and the median of the per-pair ratios; beside
it the machine's own two-thread ceiling at that moment (hashing, which releases the GIL, on
one thread vs two), since a shared VM may not give the second core.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROWS = ("pycocotools", "faster-coco-eval", "maskcore threads=1", "maskcore threads=2", "maskcore [scalar] threads=1")
DENSE_MAXDETS = [1, 100, 1000]


def cache_dir() -> Path:
    d = Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "maskcore-cocoeval"
    d.mkdir(parents=True, exist_ok=True)
    return d


def build(workload: str, slice_b: int) -> dict:
    """Paths of gt / segm / bbox JSON for workload 'a', 'b' and 'b-slice'."""
    sys.path.insert(0, str(HERE))
    import _checkout  # noqa: F401  (an installed maskcore wins over this checkout)
    import cases.cocoeval as cc
    out = {}
    d = cache_dir()
    names = {"a": ("a5000", lambda: cc.coco_like(5000, "segm")[0]),
             "b": ("b300", None), "b-slice": (f"b300-first{slice_b}", None)}
    tag = names[workload][0]
    paths = {k: d / f"{tag}_{k}.json" for k in ("gt", "segm", "bbox")}
    if not all(p.is_file() for p in paths.values()):
        if workload == "a":
            gt, segm = cc.coco_like(5000, "segm")
            _, bbox = cc.coco_like(5000, "bbox")
        else:
            gt, segm, bbox = cc.dense(300)
            if workload == "b-slice":
                keep = {im["id"] for im in gt["images"][:slice_b]}
                gt = dict(gt, images=[im for im in gt["images"] if im["id"] in keep],
                          annotations=[a for a in gt["annotations"] if a["image_id"] in keep])
                segm = [r for r in segm if r["image_id"] in keep]
                bbox = [r for r in bbox if r["image_id"] in keep]
        for k, v in (("gt", gt), ("segm", segm), ("bbox", bbox)):
            paths[k].write_text(json.dumps(v))
    out.update({k: str(p) for k, p in paths.items()})
    return out


# ---- the child ----------------------------------------------------------------------------------

def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def child(row: str, gt_path: str, dt_path: str, kind: str, max_dets, repeats: int) -> dict:
    quiet = contextlib.redirect_stdout(io.StringIO())
    threads = 2 if "threads=2" in row else 1
    if row == "faster-coco-eval":
        import faster_coco_eval as fce

        def load():
            g = fce.COCO(gt_path)
            return g, g.loadRes(dt_path)

        def make(g, d):
            return fce.COCOeval_faster(g, d, kind, separate_eval=True)
    else:
        from pycocotools.coco import COCO

        def load():
            g = COCO(gt_path)
            return g, g.loadRes(dt_path)

        if row == "pycocotools":
            from pycocotools.cocoeval import COCOeval as make_cls

            def make(g, d):
                return make_cls(g, d, kind)
        else:
            sys.path.insert(0, str(HERE))
            import _checkout  # noqa: F401
            import maskcore
            from maskcore.cocoeval import COCOeval
            if "scalar" in row:
                maskcore.set_isa("scalar")

            def make(g, d):
                return COCOeval(g, d, kind, threads=threads)
    times, peak, added, stats = [], 0, 0, None
    for _ in range(repeats):
        with quiet:
            g, d = load()
        before = _status("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
        t0 = time.perf_counter()
        with quiet:
            e = make(g, d)
            if max_dets:
                e.params.maxDets = list(max_dets)
            e.evaluate()
            e.accumulate()
        times.append(time.perf_counter() - t0)
        hwm = _status("VmHWM")
        peak, added = max(peak, hwm), max(added, hwm - before)
        with quiet:
            e.summarize()
        stats = [float(v) for v in list(e.stats)[:12]]
        del e, g, d
    return {"median": statistics.median(times), "times": times, "peak": peak, "added": added, "stats": stats}


# ---- two-thread scaling, interleaved ------------------------------------------------------------

def scaling(paths: dict, kind: str, max_dets, n_pairs: int) -> str:
    from pycocotools.coco import COCO
    import maskcore  # noqa: F401  (through _checkout)
    from maskcore.cocoeval import COCOeval
    from scaling import pairs
    with contextlib.redirect_stdout(io.StringIO()):
        g = COCO(paths["gt"])
        d = g.loadRes(paths[kind])

    def run(threads: int):
        def once() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                e = COCOeval(g, d, kind, threads=threads)
                if max_dets:
                    e.params.maxDets = list(max_dets)
                e.evaluate()
                e.accumulate()
        return once
    return "threads " + pairs(run(1), run(2), n_pairs)


# ---- the parent ---------------------------------------------------------------------------------

def run_row(row, paths, kind, max_dets, repeats, env):
    cmd = [sys.executable, __file__, "--child", row, paths["gt"], paths[kind], kind, json.dumps(max_dets),
           str(1 if row == "pycocotools" else repeats)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        return {"error": res.stderr.strip().splitlines()[-1] if res.stderr.strip() else f"exit {res.returncode}"}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--child", nargs=6, metavar=("ROW", "GT", "DT", "KIND", "MAXDETS", "REPEATS"))
    ap.add_argument("--workload", nargs="+", default=["a", "b-slice", "b"], choices=["a", "b", "b-slice"])
    ap.add_argument("--kind", nargs="+", default=["segm", "bbox"], choices=["segm", "bbox"])
    ap.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--slice-b", type=int, default=10)
    ap.add_argument("--scaling", type=int, metavar="PAIRS", help="threads=1 vs threads=2, interleaved (see above)")
    args = ap.parse_args(argv)
    if args.child:
        row, gt, dt, kind, md, reps = args.child
        print(json.dumps(child(row, gt, dt, kind, json.loads(md), int(reps))))
        return 0
    sys.path.insert(0, str(HERE))
    import _checkout
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(_checkout.pythonpath() + [os.environ.get("PYTHONPATH", "")]))
    for wl in args.workload:
        paths = build(wl, args.slice_b)
        max_dets = None if wl == "a" else DENSE_MAXDETS
        for kind in args.kind:
            if args.scaling:
                print(f"({wl}) {kind}: {scaling(paths, kind, max_dets, args.scaling)}", flush=True)
                continue
            print(f"\n({wl}) {kind}: {Path(paths['gt']).name}")
            print(f"  {'row':32} {'median':>10} {'pyco/x':>8} {'fce/x':>8} {'peak MiB':>9} {'added MiB':>10}")
            results = {}
            for row in args.rows:
                if wl == "b" and row == "pycocotools":
                    continue  # hours; see the slice
                results[row] = r = run_row(row, paths, kind, max_dets, args.repeats, env)
                if "error" in r:
                    print(f"  {row:32} ERROR {r['error']}")
                    continue
                py, fc = results.get("pycocotools", {}), results.get("faster-coco-eval", {})
                rp = f"{py['median'] / r['median']:7.2f}x" if "median" in py else ""
                rf = f"{fc['median'] / r['median']:7.2f}x" if "median" in fc else ""
                print(f"  {row:32} {r['median']:9.3f}s {rp:>8} {rf:>8} {r['peak'] / 2**20:9.0f} "
                      f"{r['added'] / 2**20:10.0f}", flush=True)
            ref = results.get("pycocotools", {}).get("stats")
            for row, r in results.items():
                if ref and r.get("stats") and row != "pycocotools" and r["stats"] != ref:
                    print(f"  note: {row} stats differ from pycocotools: {r['stats']} vs {ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
