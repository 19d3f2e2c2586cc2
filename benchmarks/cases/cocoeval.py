"""COCO evaluation cases: ``evaluate()`` + ``accumulate()`` of maskcore.cocoeval.COCOeval (1 and 2
threads, and forced to scalar) beside pycocotools' COCOeval and faster-coco-eval's
COCOeval_faster (``separate_eval=True``), segm and bbox, on two workloads built from the real
data; and mask NMS beside a Python loop over ``pycocotools.mask.iou``.

Workloads (deterministic):

* (a) COCO-like: the val2014 ground truth (66 images) and cocoapi's fake segm / bbox results,
  replicated (new image and annotation ids) to ``n`` images.
* (b) dense: 1024x1024 images with 300-1,000 instances each in 5 categories, shapes taken from
  the real COCO / LVIS polygons (scaled and placed at random), ground truth as RLE; as many
  detections: 90 % of the objects found again (moved by ~2 px and rescaled by 0.9-1.1, which
  changes their shape's rasterization), 10 % false positives, scores rounded to 0.01 (ties);
  ``maxDets = [1, 100, 1000]`` so that every detection counts.

The harness uses sizes that let pycocotools run a few times: full (a) 200 images and (b) 2
images of 300-1,000 objects, quick (a) 66 images and (b) 2 images of 300 objects. The issue's full workloads
((a) 5,000 images, (b) 300 images) and peak memory run in child processes from
``benchmarks/cocoeval_workloads.py``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import json
from typing import Iterator

import numpy as np

from . import Case, NoData, data_dir, module, _maskcore
from . import rng as _rng, scalar as _scalar

DENSE_SIDE = 1024
DENSE_CATS = 5
DENSE_MAXDETS = [1, 100, 1000]


def quiet():
    return contextlib.redirect_stdout(io.StringIO())


# --------------------------------------------------------------------------------------------
# Workloads


def _read(rel: str):
    path = data_dir() / rel
    if not path.is_file():
        raise NoData(f"{path} is missing")
    return json.loads(path.read_text())


@functools.lru_cache(maxsize=None)
def coco_like(n_images: int, kind: str) -> tuple:
    """(gt dict, results list): val2014 ground truth and fake ``kind`` results replicated."""
    gt = _read("coco_val2014_first100/instances_val2014_gt.json")
    res = _read(f"coco_val2014_first100/instances_val2014_fake{kind}_results.json")
    base = sorted(gt["images"], key=lambda im: im["id"])
    by_img_gt, by_img_dt = {}, {}
    for a in gt["annotations"]:
        by_img_gt.setdefault(a["image_id"], []).append(a)
    for r in res:
        by_img_dt.setdefault(r["image_id"], []).append(r)
    images, anns, results = [], [], []
    for k in range(n_images):
        src = base[k % len(base)]
        new_id = (k // len(base)) * 10_000_000 + src["id"]
        images.append(dict(src, id=new_id))
        for a in by_img_gt.get(src["id"], []):
            anns.append(dict(a, id=len(anns) + 1, image_id=new_id))
        for r in by_img_dt.get(src["id"], []):
            results.append(dict(r, image_id=new_id))
    return {"images": images, "annotations": anns, "categories": gt["categories"]}, results


@functools.lru_cache(maxsize=None)
def real_shapes() -> list:
    """Non-crowd polygons of the shared COCO / LVIS ground truths, each scaled to its box as
    [0, 1]^2, as lists of (k, 2) arrays (one per part)."""
    shapes = []
    for rel in ("coco_val2014_first100/instances_val2014_gt.json",
                "coco_mini_train2017_annotations/instances_train2017.json",
                "lvis_val_100/lvis_val_gt.json"):
        for a in _read(rel)["annotations"]:
            seg = a["segmentation"]
            if a.get("iscrowd", 0) or not isinstance(seg, list) or not seg:
                continue
            x, y, w, h = a["bbox"]
            if w < 4 or h < 4:
                continue
            parts = [(np.asarray(p, np.float64).reshape(-1, 2) - (x, y)) / (w, h) for p in seg if len(p) >= 6]
            if parts:
                shapes.append(parts)
    return shapes


def _place(shape, x0, y0, w, h):
    return [(p * (w, h) + (x0, y0)).ravel().tolist() for p in shape]


@functools.lru_cache(maxsize=None)
def dense(n_images: int, lo: int = 300, hi: int = 1000) -> tuple:
    """(gt dict, segm results, bbox results) of workload (b)."""
    mc = _maskcore()
    shapes = real_shapes()
    rng = _rng("cocoeval dense", n_images, lo, hi)
    S = DENSE_SIDE
    images, gpolys, gmeta, dpolys, dmeta = [], [], [], [], []
    for i in range(n_images):
        images.append({"id": i + 1, "height": S, "width": S, "file_name": f"{i + 1}.jpg"})
        n = int(rng.integers(lo, hi + 1))
        side = np.exp(rng.uniform(np.log(8), np.log(160), n))
        aspect = np.exp(rng.uniform(-0.5, 0.5, n))
        w, h = side * aspect, side / aspect
        x0, y0 = rng.uniform(0, S - w), rng.uniform(0, S - h)
        which = rng.integers(0, len(shapes), n)
        cats = rng.integers(1, DENSE_CATS + 1, n)
        found = rng.random(n) < 0.9
        for j in range(n):
            gpolys.append(_place(shapes[which[j]], x0[j], y0[j], w[j], h[j]))
            gmeta.append((i + 1, int(cats[j])))
            if found[j]:
                s = rng.uniform(0.9, 1.1)
                dx, dy = rng.normal(0, 2, 2)
                cx, cy = x0[j] + w[j] / 2 + dx, y0[j] + h[j] / 2 + dy
                dpolys.append(_place(shapes[which[j]], cx - s * w[j] / 2, cy - s * h[j] / 2, s * w[j], s * h[j]))
                dmeta.append((i + 1, int(cats[j]) if rng.random() > 0.05 else int(rng.integers(1, DENSE_CATS + 1))))
        for _ in range(n - int(found.sum())):  # false positives: as many detections as objects
            sw, sh = rng.uniform(8, 120, 2)
            dpolys.append(_place(shapes[int(rng.integers(0, len(shapes)))], rng.uniform(0, S - sw),
                                 rng.uniform(0, S - sh), sw, sh))
            dmeta.append((i + 1, int(rng.integers(1, DENSE_CATS + 1))))
    g = mc.rasterize_rle_batch(gpolys, S, S, rule="coco")
    d = mc.rasterize_rle_batch(dpolys, S, S, rule="coco")
    garea, gbox = mc.area(g), mc.bbox(g).astype(np.float64)
    dbox = mc.bbox(d).astype(np.float64)
    scores = np.round(rng.uniform(0, 1, len(dmeta)), 2)
    anns = [{"id": k + 1, "image_id": im, "category_id": c, "segmentation": seg, "area": float(garea[k]),
             "bbox": gbox[k].tolist(), "iscrowd": 0}
            for k, ((im, c), seg) in enumerate(zip(gmeta, g.to_coco()))]
    segm = [{"image_id": im, "category_id": c, "segmentation": seg, "score": float(scores[k])}
            for k, ((im, c), seg) in enumerate(zip(dmeta, d.to_coco()))]
    bbox = [{"image_id": im, "category_id": c, "bbox": dbox[k].tolist(), "score": float(scores[k])}
            for k, (im, c) in enumerate(dmeta)]
    cats = [{"id": c, "name": f"shape{c}"} for c in range(1, DENSE_CATS + 1)]
    return {"images": images, "annotations": anns, "categories": cats}, segm, bbox


# --------------------------------------------------------------------------------------------
# Rows


def pycoco_objects(gt: dict, results: list):
    coco_mod = module("pycocotools.coco", "pycocotools is not installed")
    with quiet():
        g = coco_mod.COCO()
        g.dataset = copy.deepcopy(gt)
        g.createIndex()
        d = g.loadRes(copy.deepcopy(results))
    return g, d


def fce_objects(gt: dict, results: list):
    fce = module("faster_coco_eval", "faster-coco-eval is not installed")
    with quiet():
        g = fce.COCO(copy.deepcopy(gt))
        d = g.loadRes(copy.deepcopy(results))
    return g, d


def run_eval(make, g, d, kind, max_dets=None):
    """evaluate() + accumulate() of a fresh evaluator; returns it."""
    with quiet():
        e = make(g, d, kind)
        if max_dets is not None:
            e.params.maxDets = list(max_dets)
        e.evaluate()
        e.accumulate()
    return e


def maker(row: str, threads=None):
    if row == "maskcore":
        cocoeval = module("maskcore.cocoeval", "maskcore is not importable")
        return lambda g, d, kind: cocoeval.COCOeval(g, d, kind, threads=threads)
    if row == "pycocotools":
        return module("pycocotools.cocoeval", "pycocotools is not installed").COCOeval
    if row == "faster-coco-eval":
        fce = module("faster_coco_eval", "faster-coco-eval is not installed")
        return lambda g, d, kind: fce.COCOeval_faster(g, d, kind, separate_eval=True)
    raise ValueError(row)


_REF: dict = {}


def _eval_cases(group: str, inputs, kind: str, max_dets) -> Iterator[Case]:
    """Rows of one group; the pycocotools row's result is the oracle of the others."""

    def want():
        if group not in _REF:
            gt, res = inputs()
            _REF[group] = run_eval(maker("pycocotools"), *pycoco_objects(gt, res), kind, max_dets).eval
        return _REF[group]

    def check_exact(e):
        w = want()
        for key in ("precision", "recall", "scores"):
            assert np.array_equal(e.eval[key], w[key]), f"{key} differs from pycocotools"

    def check_close(e):
        w = want()
        valid = w["precision"] > -1
        got = np.asarray(e.eval["precision"])
        assert got.shape == w["precision"].shape
        diff = float(np.abs(got[valid] - w["precision"][valid]).mean()) if valid.any() else 0.0
        assert diff < 1e-2, f"mean precision differs from pycocotools by {diff:.2e}"

    def row(name, which, threads=None, force_scalar=False, objects=pycoco_objects, check=check_exact, kind_=None):
        def setup():
            gt, res = inputs()
            make = maker(which, threads)
            g, d = objects(gt, res)  # built once: evaluate() reads them (pycocotools also rewrites them)
            fn = lambda: run_eval(make, g, d, kind, max_dets)  # noqa: E731
            return _scalar(fn) if force_scalar else fn
        return Case(group, name, setup, check, kind_ or "maskcore")

    def keep(e):  # the pycocotools row's own result becomes the oracle (no second pycocotools run)
        _REF.setdefault(group, e.eval)

    yield row("pycocotools COCOeval", "pycocotools", check=keep, kind_="pycocotools")
    yield row("faster-coco-eval COCOeval_faster (separate_eval)", "faster-coco-eval", objects=fce_objects,
              check=check_close, kind_="peer")
    yield row("maskcore threads=1", "maskcore", threads=1)
    yield row("maskcore threads=2", "maskcore", threads=2)
    yield row("maskcore [scalar] threads=1", "maskcore", threads=1, force_scalar=True)


# ---- mask NMS ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def nms_inputs(n: int, side: int) -> tuple:
    """n RLE masks (side x side): n / 2 objects from the real shapes, each detected twice
    (moved and rescaled a little), scores rounded to 0.01."""
    mc = _maskcore()
    shapes = real_shapes()
    rng = _rng("nms", n, side)
    polys = []
    for _ in range(n // 2):
        sz = np.exp(rng.uniform(np.log(16), np.log(300)))
        w, h = sz * np.exp(rng.uniform(-0.4, 0.4, 2))
        x0, y0 = rng.uniform(0, side - w), rng.uniform(0, side - h)
        shape = shapes[int(rng.integers(0, len(shapes)))]
        for _ in range(2):
            s = rng.uniform(0.85, 1.15)
            dx, dy = rng.normal(0, 3, 2)
            polys.append(_place(shape, x0 + dx, y0 + dy, s * w, s * h))
    polys = polys[:n]
    batch = mc.rasterize_rle_batch(polys, side, side, rule="coco")
    scores = np.round(rng.uniform(0, 1, len(polys)), 2)
    return batch, scores


def py_nms(rles, scores, thr):
    """Greedy NMS in Python: each kept mask's IoUs with the live later masks, one
    ``pycocotools.mask.iou`` call per kept mask."""
    M = module("pycocotools.mask", "pycocotools is not installed")
    order = np.argsort(-np.asarray(scores), kind="stable")
    alive = np.ones(len(rles), bool)
    keep = []
    for r, i in enumerate(order):
        if not alive[i]:
            continue
        keep.append(int(i))
        later = [int(j) for j in order[r + 1:] if alive[j]]
        if later:
            ious = np.asarray(M.iou([rles[j] for j in later], [rles[i]], [0])).ravel()
            alive[np.asarray(later)[ious > thr]] = False
    return np.array(keep, np.int64)


def _nms_cases(n: int, side: int) -> Iterator[Case]:
    group = f"mask_nms {n} RLE masks {side}x{side}"

    @functools.lru_cache(maxsize=None)
    def want():
        batch, scores = nms_inputs(n, side)
        return py_nms([{"size": [side, side], "counts": c["counts"].encode()} for c in batch.to_coco()], scores, 0.5)

    def check(got):
        assert np.array_equal(got, want()), "kept indices differ from the Python loop"

    def mc_row(threads, force_scalar=False):
        def setup():
            mc = _maskcore()
            batch, scores = nms_inputs(n, side)
            fn = lambda: mc.mask_nms(batch, scores, 0.5, threads=threads)  # noqa: E731
            return _scalar(fn) if force_scalar else fn
        return setup

    def py_setup():
        batch, scores = nms_inputs(n, side)
        rles = [{"size": [side, side], "counts": c["counts"].encode()} for c in batch.to_coco()]
        module("pycocotools.mask", "pycocotools is not installed")
        return lambda: py_nms(rles, scores, 0.5)

    yield Case(group, "python loop over pycocotools.mask.iou", py_setup, check, "pycocotools")
    yield Case(group, "maskcore threads=1", mc_row(1), check)
    yield Case(group, "maskcore threads=2", mc_row(2), check)
    yield Case(group, "maskcore [scalar] threads=1", mc_row(1, True), check)


# --------------------------------------------------------------------------------------------


def cases(quick: bool) -> Iterator[Case]:
    # pycocotools must run here several times (and once in CI's smoke run): the sizes
    # are in benchmarks/cocoeval_workloads.py.
    n_a = 66 if quick else 200
    n_b, lo, hi = (2, 300, 300) if quick else (2, 300, 1000)
    for kind in ("segm", "bbox"):
        yield from _eval_cases(f"cocoeval {kind}: (a) val2014 x {n_a} images",
                               functools.partial(coco_like, n_a, kind), kind, None)
    for kind in ("segm", "bbox"):
        def inputs(kind=kind):
            gt, segm, bbox = dense(n_b, lo, hi)
            return gt, (segm if kind == "segm" else bbox)
        yield from _eval_cases(f"cocoeval {kind}: (b) dense {n_b} images 1024x1024, {lo}-{hi} objects",
                               inputs, kind, DENSE_MAXDETS)
    yield from _nms_cases(200 if quick else 1000, 1024)
