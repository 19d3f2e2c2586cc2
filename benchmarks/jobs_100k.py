"""The dataset jobs at scale, run by hand (not part of the pytest run):

    python benchmarks/jobs_100k.py [--n 100000] [--where /tmp/maskcore-100k] [--workers 1 2]
                                   [--jobs validate convert loop profile datumaro]
                                   [--datumaro-python /tmp/dmenv/bin/python]

1. Makes a dataset of ``n`` label-map PNGs by replicating the real label maps of ../shared/data
   (benchmarks/cases/jobs.py: Cityscapes 256x128, LIP, Mapillary 100x100, Potsdam 512x512, VOC
   500x375; hard links, so every file is decoded for real).
2. ``validate``: ``maskcore.jobs.validate(folder, format="labels", labels=0..255, min_island=10)``
   with ``--scheduler threads`` and 1 and 2 workers: images/s, and the 1 -> 2 scaling.
3. ``loop``: the same per-image work in a plain Python loop (no Dask): the Dask overhead.
4. ``convert``: ``maskcore.jobs.convert(folder, ..., format="labels", to="index-png")`` (PNG
   decode + one native pass per map + index PNG encode), 1 and 2 workers.
5. ``profile``: cProfile of validate (synchronous) over the first 5,000 images: the share of time
   in PNG decode/encode, JSON, maskcore's native kernels, numpy and the rest.
6. ``datumaro``: the peer, in its own virtualenv (pip install datumaro there; it pins Pillow and
   opencv-python-headless versions that differ from this environment's): import the same folder
   as "common_semantic_segmentation" and (a) run its SegmentationValidator, (b) export it as
   "voc_segmentation" masks. Its time per image on a subset (``--datumaro-n``), extrapolated.

Every timing is one run (the machine is shared: re-run rows near a target); figures go to
benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _checkout  # noqa: E402,F401  (an installed maskcore wins over this checkout)

from cases.jobs import LABEL_MAPS, replicate_label_maps  # noqa: E402


def _data() -> Path:
    env = os.environ.get("MASKCORE_BENCH_DATA")
    cands = [Path(env)] if env else []
    cands += [HERE.parents[1] / "shared" / "data", HERE.parents[2] / "shared" / "data"]
    for c in cands:
        if c.is_dir():
            return c
    sys.exit("no ../shared/data (set MASKCORE_BENCH_DATA)")


def _validate(folder, **kw):
    from maskcore import jobs

    return jobs.validate(folder, format="labels", labels=list(range(256)), min_island=10, shard_size=64, **kw)


def run_validate(folder, n, workers):
    rows = []
    for w in workers:
        t = time.perf_counter()
        res = _validate(folder, scheduler="threads", workers=w)
        dt = time.perf_counter() - t
        assert res.summary["images_checked"] == n, res.summary
        rows.append((f"validate threads, {w} worker(s)", dt, n / dt))
    return rows


def run_loop(folder, n):
    from maskcore.jobs import _jobs as J, _run, _sources

    opts = {"labels": list(range(256)), "min_island": 10, "connectivity": 8, "background": 0,
            "allow_overlap": True, "category_ids": [], "categories": []}
    t = time.perf_counter()
    src = _sources.open_source(folder, "labels")
    with _run.kernel_threads(1):
        out = [J._validate_item(it, opts) for it in src.items]
    dt = time.perf_counter() - t
    assert len(out) == n
    t = time.perf_counter()
    res = _validate(folder, scheduler="threads", workers=1)
    dt2 = time.perf_counter() - t
    assert res.summary["images_checked"] == n
    return [("plain loop, same per-image work (1 thread)", dt, n / dt),
            ("validate threads, 1 worker (same run)", dt2, n / dt2),
            (f"Dask + reduce overhead: {100 * (dt2 / dt - 1):+.1f} %", dt2 - dt, 0.0)]


def run_convert(folder, n, workers, where):
    from maskcore import jobs

    rows = []
    for w in workers:
        out = where / f"convert-{w}"
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()
        res = jobs.convert(folder, out / "segments.json", format="labels", to="index-png", scheduler="threads",
                           workers=w, shard_size=64)
        dt = time.perf_counter() - t
        assert res.summary["written"] == n and not res.errors, res.summary
        rows.append((f"convert labels -> index-png, {w} worker(s)", dt, n / dt))
    return rows


CATEGORIES = [  # (label, test on a pstats key (file, line, name))
    ("PNG decode/encode (Pillow)", lambda f, name: ("PIL" in f) or name in (
        "<method 'decode' of 'ImagingDecoder' objects>", "<method 'encode' of 'ImagingEncoder' objects>")),
    ("JSON", lambda f, name: "json" in f),
    ("maskcore native kernels", lambda f, name: "maskcore._core" in name),
    ("numpy", lambda f, name: "numpy" in f or "numpy" in name),
]


def run_profile(folder, n):
    sub = Path(tempfile.mkdtemp(prefix="maskcore-prof-")) / "labels"
    sub.mkdir()
    files = sorted(folder.glob("*.png"))[:n]
    for f in files:
        os.link(f, sub / f.name)
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    _validate(sub, scheduler="synchronous")
    prof.disable()
    total = time.perf_counter() - t
    st = pstats.Stats(prof)
    share = {c: 0.0 for c, _ in CATEGORIES}
    for (f, line, name), (cc, nc, tt, ct, callers) in st.stats.items():
        for c, test in CATEGORIES:
            if test(f, name):
                share[c] += tt
                break
    rows = [(f"profile ({len(files)} images, synchronous): total", total, len(files) / total)]
    for c, v in share.items():
        rows.append((f"  {c}", v, 100 * v / total))
    rest = total - sum(share.values())
    rows.append(("  the rest (Python: jobs, qa, dask)", rest, 100 * rest / total))
    shutil.rmtree(sub.parent, ignore_errors=True)
    return rows


DATUMARO_SCRIPT = r"""
import json, sys, time, shutil
from pathlib import Path
root, n, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
import datumaro as dm
from datumaro.components.validator import TaskType
from datumaro.plugins.validators import SegmentationValidator
t = time.perf_counter()
ds = dm.Dataset.import_from(str(root), "common_semantic_segmentation")
items = list(ds)  # load every item (masks decoded lazily: force them)
for it in items:
    for a in it.annotations:
        a.image
t_load = time.perf_counter() - t
t = time.perf_counter()
rep = SegmentationValidator().validate(ds)
t_val = time.perf_counter() - t
t = time.perf_counter()
shutil.rmtree(out, ignore_errors=True)
ds.export(str(out), "voc_segmentation", save_media=False)
t_exp = time.perf_counter() - t
print(json.dumps({"items": len(items), "load": t_load, "validate": t_val, "export": t_exp,
                  "version": dm.__version__}))
"""


def _datumaro_dataset(folder: Path, n: int, where: Path) -> Path:
    """The first n label maps as datumaro's common_semantic_segmentation layout: images/ (the maps
    themselves stand in for photos: datumaro needs an image per mask) + masks/ + dataset_meta.json."""
    root = where / f"dm-{n}"
    if root.exists():
        return root
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for f in sorted(folder.glob("*.png"))[:n]:
        os.link(f, root / "masks" / f.name)
        os.link(f, root / "images" / f.name)
    # datumaro reads these masks as colours: grey maps as (v, v, v), palette maps as their palette's
    # colours; declare every colour the source maps use, one label each.
    import numpy as np
    from PIL import Image

    colours = []
    for f in sorted(folder.glob("*.png"))[:len(LABEL_MAPS)]:
        im = Image.open(f)
        used = np.unique(np.asarray(im)).tolist()
        pal = im.getpalette() if im.mode == "P" else None
        for v in used:
            col = pal[3 * v:3 * v + 3] if pal else [v, v, v]
            if col not in colours:
                colours.append(col)
    labels = {f"c{k}": col for k, col in enumerate(colours)}
    meta = {"label_map": {str(i): name for i, name in enumerate(labels)},
            "segmentation_colors": [labels[name] for name in labels]}
    (root / "dataset_meta.json").write_text(json.dumps(meta))
    return root


def run_datumaro(folder, n, where, python):
    if not python or not Path(python).exists():
        return [("datumaro: no virtualenv with datumaro (--datumaro-python)", 0.0, 0.0)]
    root = _datumaro_dataset(folder, n, where)
    r = subprocess.run([python, "-c", DATUMARO_SCRIPT, str(root), str(n), str(where / "dm-out")],
                       capture_output=True, text=True, timeout=3600)
    if r.returncode:
        return [(f"datumaro failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}",
                 0.0, 0.0)]
    d = json.loads(r.stdout.strip().splitlines()[-1])
    k = d["items"]
    return [(f"datumaro {d['version']} import+decode ({k} images)", d["load"], k / d["load"]),
            (f"datumaro SegmentationValidator ({k} images, after import)", d["validate"], k / d["validate"]),
            (f"datumaro import+validate ({k} images)", d["load"] + d["validate"], k / (d["load"] + d["validate"])),
            (f"datumaro export voc_segmentation ({k} images, after import)", d["export"], k / d["export"]),
            (f"datumaro import+export ({k} images)", d["load"] + d["export"], k / (d["load"] + d["export"]))]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--where", default=str(Path(tempfile.gettempdir()) / "maskcore-jobs-bench"))
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--jobs", nargs="+", default=["validate", "loop", "convert", "profile", "datumaro"])
    ap.add_argument("--profile-n", type=int, default=5000)
    ap.add_argument("--loop-n", type=int, default=None, help="images for the loop-vs-Dask rows (default --n)")
    ap.add_argument("--datumaro-n", type=int, default=5000)
    ap.add_argument("--datumaro-python", default="/tmp/dmenv/bin/python")
    args = ap.parse_args(argv)
    where = Path(args.where) / str(args.n)  # one dataset per size
    t = time.perf_counter()
    folder = replicate_label_maps(args.n, where, _data())
    print(f"# {args.n} label-map PNGs in {folder} ({time.perf_counter() - t:.1f} s to make); "
          f"sources: {', '.join(Path(p).name for p in LABEL_MAPS)}", flush=True)
    import maskcore

    print(f"# maskcore {maskcore.__version__}, ISA {maskcore.get_isa() if hasattr(maskcore, 'get_isa') else '?'}, "
          f"{os.cpu_count()} CPUs", flush=True)
    print(f"{'what':<62} {'seconds':>9} {'img/s or %':>11}")
    for job in args.jobs:
        if job == "validate":
            rows = run_validate(folder, args.n, args.workers)
            if len(rows) >= 2:
                rows.append((f"scaling 1 -> 2 workers: {rows[0][1] / rows[1][1]:.2f}x", 0.0, 0.0))
        elif job == "loop":
            n = min(args.loop_n or args.n, args.n)
            sub = folder
            if n < args.n:  # the first n images, in their own folder (links)
                sub = where / f"loop-{n}" / "labels"
                if not sub.is_dir():
                    sub.mkdir(parents=True)
                    for f in sorted(folder.glob("*.png"))[:n]:
                        os.link(f, sub / f.name)
            rows = run_loop(sub, n)
        elif job == "convert":
            try:
                rows = run_convert(folder, args.n, args.workers, where)
                if len(rows) >= 2:
                    rows.append((f"scaling 1 -> 2 workers: {rows[0][1] / rows[1][1]:.2f}x", 0.0, 0.0))
            except Exception as exc:  # noqa: BLE001 - a report line, not a crash
                rows = [(f"convert unavailable: {type(exc).__name__}: {exc}"[:120], 0.0, 0.0)]
        elif job == "profile":
            rows = run_profile(folder, min(args.profile_n, args.n))
        elif job == "datumaro":
            rows = run_datumaro(folder, min(args.datumaro_n, args.n), where, args.datumaro_python)
        else:
            sys.exit(f"--jobs: unknown {job!r}")
        for what, sec, rate in rows:
            print(f"{what:<62} {sec:>9.2f} {rate:>11.1f}", flush=True)


if __name__ == "__main__":
    main()
