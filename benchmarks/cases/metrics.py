"""Metric cases: confusion matrices of semantic maps (vs ``np.bincount`` and a read-once
reference), boundary IoU (vs the reference's dense OpenCV erosion), IoU matrices of 1080p masks
(vs pycocotools on RLE and a dense numpy computation) and panoptic quality on the COCO panoptic
samples (vs a panopticapi-style numpy computation).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from . import Case, NoData, data_dir, module, _maskcore, _pycoco
from . import rng as _rng, scalar as _scalar
from reference.panoptic_ref import np_panoptic  # tests/reference (on sys.path: see cases/__init__.py)

from .rle import coco_dicts, mc_batch, np_iou, object_counts, object_masks


# --------------------------------------------------------------------------------------------
# Inputs


@functools.lru_cache(maxsize=None)
def label_maps(h: int, w: int, k: int, pattern: str) -> tuple:
    """Two uint8 label maps with ``k`` classes. ``regions``: a Voronoi partition (400 seeds,
    computed at 1/8 resolution and upscaled), the prediction from jittered seeds with 5 % of the
    regions relabeled: like a segmentation model's output. ``noise``: independent uniform labels
    (every pixel a new pair: the worst case for run merging)."""
    rng = _rng("labels", h, w, k, pattern)
    if pattern == "noise":
        g = rng.integers(0, k, (h, w), dtype=np.uint8)
        p = rng.integers(0, k, (h, w), dtype=np.uint8)
    else:
        sh, sw = max(1, h // 8), max(1, w // 8)
        n = 400
        seeds = rng.uniform(0, 1, (n, 2)) * (sh, sw)
        cls = rng.integers(0, k, n)
        moved = seeds + rng.normal(0, 0.6, seeds.shape)
        pcls = np.where(rng.random(n) < 0.05, rng.integers(0, k, n), cls)
        yy, xx = np.mgrid[:sh, :sw]

        def voronoi(s, c):
            best = np.full((sh, sw), np.inf)
            out = np.zeros((sh, sw), np.uint8)
            for (sy, sx), ci in zip(s, c):
                d = (yy - sy) ** 2 + (xx - sx) ** 2
                closer = d < best
                best[closer] = d[closer]
                out[closer] = ci
            return np.repeat(np.repeat(out, 8, 0), 8, 1)[:h, :w]

        g, p = np.ascontiguousarray(voronoi(seeds, cls)), np.ascontiguousarray(voronoi(moved, pcls))
    g.flags.writeable = False
    p.flags.writeable = False
    return g, p


def np_confusion(g, p, k):
    return np.bincount(g.astype(np.int64).ravel() * k + p.ravel(), minlength=k * k).reshape(k, k)


def np_boundary(mask, ratio):
    """Boundary IoU's reference mask_to_boundary: pad one zero ring, erode d times with 3x3."""
    cv2 = module("cv2", "OpenCV (cv2) is not installed")
    h, w = mask.shape
    d = max(int(round(ratio * math.sqrt(h * h + w * w))), 1)
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    eroded = cv2.erode(padded, np.ones((3, 3), np.uint8), iterations=d)[1:h + 1, 1:w + 1]
    return mask - eroded


def np_boundary_iou(a, b, ratio):
    ba, bb = np_boundary(a, ratio), np_boundary(b, ratio)
    inter = int(np.count_nonzero(ba & bb))
    union = int(np.count_nonzero(ba | bb))
    return inter / union if union else 0.0


# --------------------------------------------------------------------------------------------
# Checks


def _check_equal(want_fn, tol=0.0):
    def check(result):
        want = want_fn()
        got = np.asarray(result)
        assert got.shape == want.shape, f"shape {got.shape}, want {want.shape}"
        bad = np.flatnonzero((np.abs(got - want) > tol).ravel())
        assert bad.size == 0, f"{bad.size} of {got.size} values differ; first: got {got.ravel()[bad[0]]}, " \
                              f"want {want.ravel()[bad[0]]}"
    return check


# --------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Sizes:
    confusion: tuple  # (h, w, k)
    boundary: tuple  # (n, h, w): n pairs
    iou: tuple  # (n, h, w): n x n matrix


FULL = Sizes(confusion=(4000, 4000, 150), boundary=(100, 480, 640), iou=(100, 1080, 1920))
QUICK = Sizes(confusion=(1000, 1000, 150), boundary=(20, 480, 640), iou=(30, 480, 640))


def _confusion_cases(h, w, k, pattern) -> Iterator[Case]:
    g = f"confusion {k} classes {w}x{h} uint8 ({pattern})"

    @functools.lru_cache(maxsize=None)
    def want():
        return np_confusion(*label_maps(h, w, k, pattern), k)

    check = _check_equal(want)

    def mc(threads):
        def setup():
            f = _maskcore().confusion_matrix
            a, b = label_maps(h, w, k, pattern)
            return lambda: f(a, b, k, threads=threads)
        return setup

    def npy():
        a, b = label_maps(h, w, k, pattern)
        return lambda: np_confusion(a, b, k)

    def ref():
        a, b = label_maps(h, w, k, pattern)
        return lambda: (np.count_nonzero(a), np.count_nonzero(b))

    yield Case(g, "maskcore threads=1", mc(1), check)
    yield Case(g, "maskcore threads=2", mc(2), check)
    yield Case(g, "maskcore [scalar] threads=1", lambda: _scalar(mc(1)()), check)
    yield Case(g, "numpy np.bincount(gt * K + pred)", npy, check, kind="numpy")
    yield Case(g, "ref: np.count_nonzero of both maps (read bandwidth)", ref, kind="ref")


def _boundary_cases(n, h, w) -> Iterator[Case]:
    g = f"boundary IoU {n} pairs {w}x{h}"
    ratio = 0.02

    @functools.lru_cache(maxsize=None)
    def want():
        a, b = object_masks("gt", n, h, w), object_masks("dt", n, h, w)
        return np.array([np_boundary_iou(a[i], b[i], ratio) for i in range(n)])

    check = _check_equal(want, 1e-9)

    def mc(threads, form):
        def setup():
            f = _maskcore().boundary_iou
            if form == "rle":
                a, b = mc_batch(("objects", "gt", n, h, w), (h, w)), mc_batch(("objects", "dt", n, h, w), (h, w))
            else:
                a, b = list(object_masks("gt", n, h, w)), list(object_masks("dt", n, h, w))
            # The n x n matrix (boxes prune the pairs that cannot meet); its diagonal is the n pairs.
            return lambda: np.diagonal(f(a, b, ratio, threads=threads)).copy()
        return setup

    def cv():
        cv2 = module("cv2", "OpenCV (cv2) is not installed")
        a, b = object_masks("gt", n, h, w), object_masks("dt", n, h, w)

        def run():
            prev = cv2.getNumThreads()
            cv2.setNumThreads(1)
            try:
                return np.array([np_boundary_iou(a[i], b[i], ratio) for i in range(n)])
            finally:
                cv2.setNumThreads(prev)
        return run

    yield Case(g, "maskcore threads=1 (dense masks in)", mc(1, "dense"), check)
    yield Case(g, "maskcore threads=1 (RLE in)", mc(1, "rle"), check)
    yield Case(g, "maskcore threads=2 (RLE in)", mc(2, "rle"), check)
    yield Case(g, "maskcore [scalar] threads=1 (RLE in)", lambda: _scalar(mc(1, "rle")()), check)
    yield Case(g, "OpenCV cv2.erode (reference mask_to_boundary), 1 thread", cv, check, kind="peer")


def _iou_cases(n, h, w) -> Iterator[Case]:
    g = f"iou matrix {n}x{n} {w}x{h} (metrics)"
    dkey, gkey = ("objects", "dt", n, h, w), ("objects", "gt", n, h, w)

    @functools.lru_cache(maxsize=None)
    def want():
        return np_iou(object_counts("dt", n, h, w), object_counts("gt", n, h, w))

    check = _check_equal(want, 1e-12)

    def mc_rle(threads):
        def setup():
            f = _maskcore().iou
            a, b = mc_batch(dkey, (h, w)), mc_batch(gkey, (h, w))
            return lambda: f(a, b, threads=threads)
        return setup

    def mc_dense(threads):
        def setup():
            f = _maskcore().iou
            a, b = list(object_masks("dt", n, h, w)), list(object_masks("gt", n, h, w))
            return lambda: f(a, b, threads=threads)
        return setup

    def pycoco():
        iou = _pycoco().iou
        a, b = coco_dicts(dkey), coco_dicts(gkey)
        return lambda: iou(a, b, [0] * n)

    def npy():
        a, b = object_masks("dt", n, h, w), object_masks("gt", n, h, w)

        def run():  # dense: bit-pack each mask, AND + popcount per pair
            pa = np.packbits(a.reshape(n, -1), axis=1)
            pb = np.packbits(b.reshape(n, -1), axis=1)
            area_a = a.reshape(n, -1).sum(axis=1, dtype=np.int64).astype(np.float64)
            area_b = b.reshape(n, -1).sum(axis=1, dtype=np.int64).astype(np.float64)
            pop = np.bitwise_count if hasattr(np, "bitwise_count") else None
            inter = np.empty((n, n))
            for i in range(n):
                x = np.bitwise_and(pa[i], pb)
                inter[i] = pop(x).sum(axis=1) if pop else np.unpackbits(x, axis=1).sum(axis=1)
            union = area_a[:, None] + area_b[None, :] - inter
            return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        return run

    yield Case(g, "maskcore threads=1 (RLE in)", mc_rle(1), check)
    yield Case(g, "maskcore threads=2 (RLE in)", mc_rle(2), check)
    yield Case(g, "maskcore [scalar] threads=1 (RLE in)", lambda: _scalar(mc_rle(1)()), check)
    yield Case(g, "maskcore threads=1 (dense masks in, incl. encode)", mc_dense(1), check)
    yield Case(g, "pycocotools (RLE)", pycoco, check, kind="pycocotools")
    yield Case(g, "numpy dense (packbits, AND, popcount)", npy, check, kind="numpy")


# ---- panoptic ----------------------------------------------------------------------------------

OFFSET = 256 ** 3


@functools.lru_cache(maxsize=None)
def panoptic_samples() -> tuple:
    """(categories, [(gt ids, pred ids, gt segments, pred segments)]) for the 13 Labelbox COCO
    panoptic PNGs; predictions are the gt with segments shifted, shrunk, relabeled or dropped."""
    root = data_dir() / "coco_val2017_panoptic20_labelbox"
    if not (root / "panoptic_val2017_subset.json").exists():
        raise NoData(f"{root} is absent")
    Image = module("PIL.Image", "Pillow is not installed")
    d = json.loads((root / "panoptic_val2017_subset.json").read_text())
    out = []
    for k, ann in enumerate(d["annotations"]):
        rgb = np.asarray(Image.open(root / "panoptic_masks" / ann["file_name"]).convert("RGB")).astype(np.uint32)
        ids = rgb[..., 0] + (rgb[..., 1] << 8) + (rgb[..., 2] << 16)
        rng = _rng("panoptic", k)
        pred = np.zeros_like(ids)
        psegs = []
        cats = sorted({s["category_id"] for s in ann["segments_info"]})
        for j, s in enumerate(ann["segments_info"]):
            m = ids == s["id"]
            act = rng.integers(0, 5)
            if act == 0:
                continue
            if act == 1:
                m = np.roll(m, int(rng.integers(-12, 13)), axis=1)
            pred[m] = 1000 + j
            psegs.append({"id": 1000 + j, "category_id": int(rng.choice(cats)) if act == 2 else s["category_id"]})
        present = set(np.unique(pred).tolist())
        out.append((ids, pred, ann["segments_info"], [s for s in psegs if s["id"] in present]))
    return d["categories"], out


def _panoptic_cases() -> Iterator[Case]:
    g = "panoptic quality 13 COCO panoptic images (Labelbox sample) vs perturbed copies"

    @functools.lru_cache(maxsize=None)
    def want():
        cats, items = panoptic_samples()
        return np.array(np_panoptic(items, cats)[0]["all"][0])

    def check(result):
        got = result.pq if hasattr(result, "pq") else result[0]["all"][0]
        assert abs(got - float(want())) <= 1e-12, (got, float(want()))

    def mc():
        f = _maskcore().panoptic_quality
        cats, items = panoptic_samples()
        gts, preds = [i[0] for i in items], [i[1] for i in items]
        gs, ps = [i[2] for i in items], [i[3] for i in items]
        return lambda: f(gts, preds, cats, gt_segments=gs, pred_segments=ps)

    def npy():
        cats, items = panoptic_samples()
        return lambda: np_panoptic(items, cats)

    yield Case(g, "maskcore", mc, check)
    yield Case(g, "maskcore [scalar]", lambda: _scalar(mc()), check)
    yield Case(g, "numpy (panopticapi-style: np.unique of gt * 2^24 + pred, dicts)", npy, check, kind="numpy")


def cases(quick: bool = False) -> list:
    s = QUICK if quick else FULL
    out: list = []
    for pattern in ("regions", "noise"):
        out += _confusion_cases(*s.confusion, pattern)
    out += _boundary_cases(*s.boundary)
    out += _iou_cases(*s.iou)
    out += _panoptic_cases()
    return out
