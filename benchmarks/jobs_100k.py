"""The dataset jobs at scale, run by hand (not part of the pytest run):

    python benchmarks/jobs_100k.py [--n 100000] [--where /tmp/maskcore-jobs-bench] [--workers 1 2]
                                   [--schedulers threads processes]
                                   [--jobs validate loop tasks convert profile datumaro]
                                   [--datumaro-python /tmp/dmenv/bin/python]
    python benchmarks/jobs_100k.py --quick      # 2,000 images: validate, loop, tasks (a few minutes)

1. Makes a dataset of ``n`` label-map PNGs by replicating the real label maps of ../shared/data
   (benchmarks/cases/jobs.py: Cityscapes 256x128, LIP, Mapillary 100x100, Potsdam 512x512, VOC
   500x375; hard links, so every file is decoded for real).
2. ``validate``: ``maskcore.jobs.validate(folder, format="labels", labels=0..255, min_island=10)``
   with each ``--schedulers`` and each ``--workers``: wall, images/s, and CPU time per image
   split into the parent (threads: the main thread, which runs Dask's scheduler loop, the
   progress and the reduce; processes: the parent process) and the workers (threads: the other
   threads of the process; processes: the child processes), so the figures mean something on a
   loaded machine too: the parent's share is the serial part, and a worker CPU per image that
   grows with the worker count is contention (the GIL with threads, or a busy host).
3. ``loop``: the same per-image work in a plain Python loop (no Dask) beside the job with
   ``--scheduler threads --workers 1``, alternated (loop, job, loop, job), both warm (dask
   imported and a small job run first): the Dask overhead, as the median wall and CPU ratio.
4. ``tasks``: the per-task cost of the local schedulers (a trivial item function, 20,000 items,
   shard sizes 1, 16, 64): why items are batched in shards.
5. ``convert``: ``maskcore.jobs.convert(folder, ..., format="labels", to="index-png")`` (PNG
   decode + one native pass per map + index PNG encode), threads, each ``--workers``.
6. ``profile``: cProfile of validate (synchronous) over the first 5,000 images: the share of time
   in PNG decode/encode, JSON, maskcore's native kernels, numpy and the rest.
7. ``datumaro``: the peer, in its own virtualenv (pip install datumaro there; it pins Pillow and
   opencv-python-headless versions that differ from this environment's): import the same folder
   as "common_semantic_segmentation" and (a) run its SegmentationValidator, (b) export it as
   "voc_segmentation" masks. Its time per image on a subset (``--datumaro-n``), extrapolated.

8. ``pairs``: the issue's scaling figure, for ``validate`` and ``convert`` (labels -> index-png)
   with each ``--schedulers``: 1 vs 2 workers timed alternately (``--pairs`` interleaved pairs,
   median of the per-pair ratios; benchmarks/scaling.py), printed beside the machine's two-thread
   ceiling measured right after. And the load-independent bound: the *serial share* from CPU
   time, s = serial CPU / all CPU of a 1-worker run, and Amdahl's bound 1 / (s + (1 - s) / 2) for
   two workers. Serial CPU: processes -- the parent process (the driver: graph, pickles, reduce,
   the sharded write's join); threads -- the main thread plus the part of the worker threads'
   CPU spent holding the GIL, i.e. outside maskcore's native calls and zlib's inflate (which
   release it) and file-system calls (open, rename, mkdir...: CPython releases it around each),
   counted by timing those calls with thread_time in a synchronous run; reads and writes of open
   files are counted as serial, and so is the driver's share of the synchronous run.

The last line, ``SUMMARY ...``, is the one to paste: validate, workers=1 vs 2 per scheduler
(wall seconds and the 1 -> 2 ratio), the Dask overhead, and the load average while it ran.
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

from cases import data_dir  # noqa: E402
from cases.jobs import LABEL_MAPS, replicate_label_maps  # noqa: E402


def _data() -> Path:
    d = data_dir()
    if not d.is_dir():
        sys.exit(f"no real data at {d} (set MASKCORE_BENCH_DATA)")
    return d


def _validate(folder, **kw):
    from maskcore import jobs

    return jobs.validate(folder, format="labels", labels=list(range(256)), min_island=10, shard_size=64, **kw)


def _measure(fn):
    """Run fn(); return (result, wall s, main-thread CPU s, this process's CPU s, children's CPU s).
    Children's CPU counts the processes that ended during the call (the processes scheduler's
    pool is shut down with the job)."""
    c0, m0, w0 = os.times(), time.thread_time(), time.perf_counter()
    res = fn()
    w1, m1, c1 = time.perf_counter(), time.thread_time(), os.times()
    return (res, w1 - w0, m1 - m0, (c1.user - c0.user) + (c1.system - c0.system),
            (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system))


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


SUMMARY: dict = {}


def _warm(folder):
    """A 64-image job first: the imports (dask, its config) and first-call costs stay out of the timings."""
    tmp = Path(tempfile.mkdtemp(prefix="maskcore-warm-")) / "labels"
    tmp.mkdir()
    for f in sorted(folder.glob("*.png"))[:64]:
        os.link(f, tmp / f.name)
    _validate(tmp, scheduler="threads", workers=1)
    shutil.rmtree(tmp.parent, ignore_errors=True)


def run_validate(folder, n, workers, schedulers):
    """Rows: (what, seconds, images/s, parent CPU ms/img, workers CPU ms/img)."""
    _warm(folder)
    rows = []
    for sched in schedulers:
        walls = {}
        for w in workers:
            res, wall, main, proc, child = _measure(lambda: _validate(folder, scheduler=sched, workers=w))
            assert res.summary["images_checked"] == n, res.summary
            parent, work = (main, proc - main) if sched == "threads" else (proc, child)
            walls[w] = wall
            rows.append((f"validate {sched}, {w} worker(s) [load {_load()}]", wall, n / wall,
                         1e3 * parent / n, 1e3 * work / n))
        if 1 in walls and 2 in walls:
            SUMMARY[sched] = (walls[1], walls[2])
            rows.append((f"  {sched}: scaling 1 -> 2 workers {walls[1] / walls[2]:.2f}x", 0.0, 0.0, None, None))
    return rows


def run_loop(folder, n):
    """The plain loop and the job (threads, 1 worker), warm and alternated: the Dask overhead."""
    import statistics

    from maskcore.jobs import _jobs as J, _run, _sources

    opts = {"labels": list(range(256)), "min_island": 10, "connectivity": 8, "background": 0,
            "allow_overlap": True, "category_ids": [], "categories": [], "lean": 8}  # as validate() makes them

    def loop():
        src = _sources.open_source(folder, "labels")
        with _run.kernel_threads(1):
            return [J._validate_item(it, opts) for it in src.items]

    def job():
        return _validate(folder, scheduler="threads", workers=1)

    _warm(folder)
    t = {"loop": [], "job": []}
    for _ in range(2):
        for name, fn in (("loop", loop), ("job", job)):
            res, wall, main, proc, child = _measure(fn)
            assert (len(res) if name == "loop" else res.summary["images_checked"]) == n
            t[name].append((wall, proc))
    med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in t.items()}
    (lw, lc), (jw, jc) = med["loop"], med["job"]
    SUMMARY["overhead"] = (100 * (jw / lw - 1), 100 * (jc / lc - 1))
    return [(f"plain loop, same per-image work (1 thread), median of 2 [load {_load()}]", lw, n / lw, 1e3 * lc / n,
             None),
            ("validate threads, 1 worker (alternated with the loop), median of 2", jw, n / jw, 1e3 * jc / n, None),
            (f"Dask + reduce overhead: wall {SUMMARY['overhead'][0]:+.1f} %, CPU {SUMMARY['overhead'][1]:+.1f} %",
             jw - lw, 0.0, None, None)]


def _noop(x):
    return x


def run_tasks(n=20_000):
    """The per-task cost of the local schedulers: a trivial function over n items."""
    from maskcore.jobs import run_items

    rows = []
    for sched in ("threads", "synchronous"):
        for shard in (1, 16, 64):
            _, wall, main, proc, child = _measure(lambda: run_items(range(n), _noop, scheduler=sched, workers=1,
                                                                    shard_size=shard))
            tasks = -(-n // shard)
            rows.append((f"tasks: {sched}, shard_size {shard} ({tasks} tasks): us per task", wall,
                         1e6 * wall / tasks, 1e3 * proc / n, None))
    return rows


def _convert(folder, out, **kw):
    from maskcore import jobs

    shutil.rmtree(out, ignore_errors=True)
    return jobs.convert(folder, out / "segments.json", format="labels", to="index-png", shard_size=64, **kw)


def gil_free_cpu(fn, syscalls=True):
    """(result, thread CPU s of fn() in this thread, the part of it inside calls that release the
    GIL): every maskcore._core function and zlib's Decompress.decompress, wrapped for the call,
    and with ``syscalls`` the file-system calls the jobs make (open, os.open / replace / mkdir /
    unlink / link / stat: CPython releases the GIL around each; a file's read / write methods
    are not wrapped and count as held)."""
    import builtins
    import zlib

    from maskcore import _core

    acc = [0.0]

    def timed(f):
        def g(*a, **k):
            t = time.thread_time()
            try:
                return f(*a, **k)
            finally:
                acc[0] += time.thread_time() - t
        return g

    saved = {name: getattr(_core, name) for name in dir(_core)
             if not name.startswith("_") and callable(getattr(_core, name)) and not isinstance(getattr(_core, name), type)}
    real = zlib.decompressobj

    class _Inflate:
        def __init__(self, *a, **k):
            self._d = real(*a, **k)

        def decompress(self, *a, **k):
            return timed(self._d.decompress)(*a, **k)

        def __getattr__(self, name):
            return getattr(self._d, name)

    sys_saved = [(os, n, getattr(os, n)) for n in ("open", "replace", "mkdir", "unlink", "link", "stat")]
    sys_saved.append((builtins, "open", builtins.open))
    try:
        for name, f in saved.items():
            setattr(_core, name, timed(f))
        if syscalls:
            for mod, n, f in sys_saved:
                setattr(mod, n, timed(f))
        zlib.decompressobj = _Inflate
        t = time.thread_time()
        res = fn()
        total = time.thread_time() - t
    finally:
        for name, f in saved.items():
            setattr(_core, name, f)
        for mod, n, f in sys_saved:
            setattr(mod, n, f)
        zlib.decompressobj = real
    return res, total, acc[0]


def serial_share(job, sched, folder, where):
    """(s, Amdahl's two-worker bound, how) from CPU time of one 1-worker run (see the docstring)."""
    fn = (lambda **kw: _validate(folder, **kw)) if job == "validate" else \
        (lambda **kw: _convert(folder, where / "convert-serial", **kw))
    if sched == "processes":
        _, wall, main, proc, child = _measure(lambda: fn(scheduler="processes", workers=1))
        s = proc / (proc + child)
        how = f"parent {proc:.2f} s CPU, child {child:.2f} s"
    else:
        _, wall, main, proc, child = _measure(lambda: fn(scheduler="threads", workers=1))
        _, tot, free = gil_free_cpu(lambda: fn(scheduler="synchronous"))
        held = 1 - free / tot  # of the per-item work, run synchronously
        work = proc - main
        s = (main + held * work) / proc
        # Amdahl treats the GIL-held part as run alone; but one thread's GIL-free part overlaps
        # the other's GIL-held part, so two threads can reach min(2, 1 / s) at best
        how = (f"main thread {main:.2f} s CPU, workers {work:.2f} s of which {100 * held:.0f} % hold the GIL; "
               f"with overlap at most {min(2.0, 1 / s):.2f}x")
    return s, 1 / (s + (1 - s) / 2), how


def run_pairs(folder, n, schedulers, npairs, where):
    from scaling import pairs

    rows = []
    for job in ("validate", "convert"):
        for sched in schedulers:
            def one(w):
                if job == "validate":
                    return lambda: _validate(folder, scheduler=sched, workers=w)
                return lambda: _convert(folder, where / f"convert-pairs-{w}", scheduler=sched, workers=w)
            line = pairs(one(1), one(2), npairs)
            s, bound, how = serial_share(job, sched, folder, where)
            SUMMARY[f"{job} {sched}"] = f"{line}; serial share {100 * s:.1f} % -> Amdahl bound {bound:.2f}x"
            rows.append((f"{job} {sched} 1 -> 2 workers: {line} [load {_load()}]", 0.0, 0.0))
            rows.append((f"  {job} {sched}: serial share {100 * s:.1f} % of CPU ({how}) -> Amdahl bound "
                         f"{bound:.2f}x", 0.0, 0.0))
    return rows


def run_convert(folder, n, workers, where):
    from maskcore import jobs

    rows = []
    for w in workers:
        out = where / f"convert-{w}"
        shutil.rmtree(out, ignore_errors=True)
        res, dt, main, proc, child = _measure(lambda: jobs.convert(
            folder, out / "segments.json", format="labels", to="index-png", scheduler="threads", workers=w,
            shard_size=64))
        assert res.summary["written"] == n and not res.errors, res.summary
        rows.append((f"convert labels -> index-png, threads, {w} worker(s)", dt, n / dt, 1e3 * main / n,
                     1e3 * (proc - main) / n))
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


def _subset(folder: Path, where: Path, n: int, total: int) -> Path:
    """The first n images of the dataset, in their own folder (links)."""
    if n >= total:
        return folder
    sub = where / f"first-{n}" / "labels"
    if not sub.is_dir():
        sub.mkdir(parents=True)
        for f in sorted(folder.glob("*.png"))[:n]:
            os.link(f, sub / f.name)
    return sub


def _row(what, sec, rate, parent=None, work=None):
    cpu = "" if parent is None else f" {parent:>9.3f}" + ("" if work is None else f" {work:>9.3f}")
    return f"{what:<72} {sec:>9.2f} {rate:>11.1f}{cpu}"


def summary_line(n: int, load0: str) -> str:
    parts = [f"SUMMARY jobs validate n={n}"]
    for k in [k for k in SUMMARY if " " in k]:
        parts.append(f"{k}: {SUMMARY[k]}")
    for sched in ("threads", "processes"):
        if sched in SUMMARY:
            w1, w2 = SUMMARY[sched]
            parts.append(f"{sched}: workers=1 {w1:.1f} s, workers=2 {w2:.1f} s, ratio {w1 / w2:.2f}x")
    if "overhead" in SUMMARY:
        parts.append(f"Dask overhead vs plain loop: wall {SUMMARY['overhead'][0]:+.1f} %, "
                     f"CPU {SUMMARY['overhead'][1]:+.1f} %")
    parts.append(f"load avg {load0} -> {_load()} on {os.cpu_count()} CPUs")
    return " | ".join(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=None, help="images (100,000; --quick: 2,000)")
    ap.add_argument("--quick", action="store_true", help="2,000 images; validate, loop and tasks only")
    ap.add_argument("--where", default=str(Path(tempfile.gettempdir()) / "maskcore-jobs-bench"))
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--schedulers", nargs="+", default=["threads", "processes"])
    ap.add_argument("--jobs", nargs="+", default=None,
                    help="validate loop tasks convert profile datumaro pairs (--quick: validate loop tasks pairs)")
    ap.add_argument("--profile-n", type=int, default=5000)
    ap.add_argument("--loop-n", type=int, default=None, help="images for the loop-vs-Dask rows (default --n)")
    ap.add_argument("--datumaro-n", type=int, default=5000)
    ap.add_argument("--pairs", type=int, default=5, help="interleaved 1-/2-worker pairs of the pairs job")
    ap.add_argument("--datumaro-python", default="/tmp/dmenv/bin/python")
    args = ap.parse_args(argv)
    n_all = args.n or (2000 if args.quick else 100_000)
    jobs = args.jobs or (["validate", "loop", "tasks", "pairs"] if args.quick else
                         ["validate", "loop", "tasks", "convert", "profile", "datumaro", "pairs"])
    load0 = _load()
    where = Path(args.where) / str(n_all)  # one dataset per size
    t = time.perf_counter()
    folder = replicate_label_maps(n_all, where, _data())
    print(f"# {n_all} label-map PNGs in {folder} ({time.perf_counter() - t:.1f} s to make); "
          f"sources: {', '.join(Path(p).name for p in LABEL_MAPS)}", flush=True)
    import maskcore

    print(f"# maskcore {maskcore.__version__}, ISA {maskcore.get_isa() if hasattr(maskcore, 'get_isa') else '?'}, "
          f"{os.cpu_count()} CPUs, load average {load0}", flush=True)
    print(f"# CPU ms/img: parent = the main thread (threads) or the parent process (processes); workers = the "
          f"worker threads or child processes", flush=True)
    print(f"{'what':<72} {'seconds':>9} {'img/s or %':>11} {'CPU ms/img':>9} {'workers':>9}")
    for job in jobs:
        if job == "validate":
            rows = run_validate(folder, n_all, args.workers, args.schedulers)
        elif job == "loop":
            n = min(args.loop_n or n_all, n_all)
            rows = run_loop(_subset(folder, where, n, n_all), n)
        elif job == "tasks":
            rows = run_tasks()
        elif job == "convert":
            try:
                rows = run_convert(folder, n_all, args.workers, where)
                if len(rows) >= 2:
                    rows.append((f"  scaling 1 -> 2 workers: {rows[0][1] / rows[1][1]:.2f}x", 0.0, 0.0))
            except Exception as exc:  # noqa: BLE001 - a report line, not a crash
                rows = [(f"convert unavailable: {type(exc).__name__}: {exc}"[:120], 0.0, 0.0)]
        elif job == "pairs":
            _warm(folder)
            rows = run_pairs(folder, n_all, args.schedulers, args.pairs, where)
        elif job == "profile":
            rows = run_profile(folder, min(args.profile_n, n_all))
        elif job == "datumaro":
            rows = run_datumaro(folder, min(args.datumaro_n, n_all), where, args.datumaro_python)
        else:
            sys.exit(f"--jobs: unknown {job!r}")
        for r in rows:
            print(_row(*r), flush=True)
    print(summary_line(n_all, load0), flush=True)


if __name__ == "__main__":
    main()
