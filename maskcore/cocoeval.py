"""COCO evaluation: a drop-in ``COCOeval`` for segm, bbox and boundary AP.

``from maskcore.cocoeval import COCOeval`` replaces ``from pycocotools.cocoeval import
COCOeval``: the same constructor, ``params`` (same fields and defaults), ``evaluate()``,
``accumulate(p=None)``, ``summarize()``, ``stats``, ``eval`` (``precision`` ``[TxRxKxAxM]``,
``recall`` ``[TxKxAxM]``, ``scores``) and ``evalImgs``, with every number bit-identical to
pycocotools 2.0.x (``np.array_equal``, not ``allclose``): the per-image work is done by the
same float64 operations in the same order, in native code (``csrc/eval``), in parallel over
images and categories, with the same result for every thread count.

The rules that decide the numbers, all as pycocotools has them:

* Detections of one image (and category, when ``useCats``) are ordered by score, highest
  first, by a stable sort on ``-score`` (numpy's mergesort): equal scores keep the order in
  which the results list them (with ``useCats=0``: by the position of their category in
  ``params.catIds``, then listing order). NaN scores go last. The list is cut at
  ``maxDets[-1]``.
* Ground truths are ordered not-ignored first (stable). A ground truth is ignored when it is a
  crowd (``iscrowd`` truthy; for ``"segm"`` and ``"bbox"`` the ``ignore`` field is replaced by
  it, as pycocotools does; ``"boundary"`` ORs the two, as the boundary-iou-api does) or its
  ``area`` field lies outside the area range.
* IoU: masks' run-length IoU; a crowd's union is the detection's area. Boxes: pycocotools'
  float64 ``bbIou``. Boundary (``iouType="boundary"``, Cheng et al., CVPR 2021,
  ``dilation_ratio=0.02``): for a non-crowd ground truth ``min(mask IoU, boundary IoU)``, for
  a crowd the mask IoU, as boundary-iou-api's ``COCOeval``.
* Greedy matching per IoU threshold ``t``: each detection in score order takes the best
  ground truth with ``IoU >= min(t, 1 - 1e-10)``, skipping non-crowd ground truths already
  taken (a detection id > 0 stored), and stopping at the ignored ones once it holds a
  not-ignored one. Matches store ids: a ground truth of id 0 counts as unmatched, a
  detection of id <= 0 does not take its ground truth away (pycocotools' behaviour).
  An unmatched detection outside the area range is ignored.
* accumulate: per category, area range and ``maxDet``, the first ``maxDet`` detections of each
  image, concatenated in image order, ordered by a stable sort on ``-score`` (ties: image
  order, then rank); cumulative sums of true and false positives; recall ``tp / npig``;
  precision ``tp / (fp + tp + eps)`` (``eps = np.spacing(1)``), made non-increasing from the
  end; for each recall threshold the first index whose recall reaches it
  (``searchsorted(side="left")``): its precision and score, 0 past the last detection; -1
  where a category has no ground truth left.
* summarize: pycocotools' 12 numbers (the mean of the entries > -1, or -1), printed the same.

Inputs: ``cocoGt`` / ``cocoDt`` may be pycocotools ``COCO`` objects (``cocoGt.loadRes(...)``
results too; anything with ``imgToAnns``, ``anns``, ``imgs``, ``getImgIds`` and ``getCatIds``),
a COCO dict, or a path to a JSON file; ``cocoDt`` may also be a list of results or a results
JSON file (loaded by pycocotools' ``loadRes`` rules). An object with a
``__maskcore_coco__()`` method returning a COCO dict is taken through that method (the hook for
maskcore ``Dataset``\\ s). Annotations are read, never modified (pycocotools rewrites
``segmentation`` and adds ``ignore`` in place).

Compressed RLE strings (``iouType="segm"``) are decoded image by image inside the evaluator,
so only one image's runs are in memory at a time; a string is checked when its image and
category are evaluated against ground truth (pycocotools decodes a corrupt string to garbage
without a word; here it raises ``ValueError`` naming the annotation).

Departures, where pycocotools fails or computes garbage: masks of different sizes in one
image raise ``ValueError`` (pycocotools gives IoU -1); boxes with NaN or infinite values raise
``ValueError``; a polygon list that is empty is an empty mask (pycocotools raises
``IndexError``); ``iouType="keypoints"`` raises ``NotImplementedError``.
"""
from __future__ import annotations

import copy
import datetime
import json
import math
import os
import time
from bisect import bisect_right
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, Callable, Optional, Protocol, Union

import numpy as np
from numpy.typing import NDArray

from . import _core
from . import _validate as _v
from . import rle as _rle
from .rle import RLE, RLEBatch

__all__ = ["COCOeval", "Params"]

_KINDS = {"bbox": 0, "segm": 1, "boundary": 2}


class CocoLike(Protocol):
    """What evaluation reads of a pycocotools ``COCO`` object (or anything shaped so)."""

    imgToAnns: Any
    anns: Any
    imgs: Any

    def getImgIds(self) -> Any: ...

    def getCatIds(self) -> Any: ...


#: What ``COCOeval`` takes for ``cocoGt`` / ``cocoDt``: a COCO object, a COCO dict, a path to
#: a COCO JSON file (a results JSON for ``cocoDt``), a list of results (``cocoDt``), or an
#: object with ``__maskcore_coco__()``.
CocoSource = Union[CocoLike, dict[str, Any], list[dict[str, Any]], str, "os.PathLike[str]", Any]
_Batch = tuple[NDArray[Any], NDArray[np.int64], NDArray[np.int64]]


class Params:
    """Evaluation parameters, pycocotools' fields and defaults.

    ``imgIds``, ``catIds`` (all, set from ``cocoGt``), ``iouThrs`` (0.5:0.05:0.95),
    ``recThrs`` (0:0.01:1), ``maxDets`` ([1, 10, 100]), ``areaRng`` / ``areaRngLbl``
    (all, small < 32^2, medium < 96^2, large), ``useCats`` (1), ``iouType`` and the
    deprecated ``useSegm`` (None).
    """

    def setDetParams(self) -> None:
        self.imgIds = []
        self.catIds = []
        # linspace, as pycocotools (arange's points drift above the round values)
        self.iouThrs = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
        self.recThrs = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
        self.maxDets = [1, 10, 100]
        self.areaRng = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
        self.areaRngLbl = ["all", "small", "medium", "large"]
        self.useCats = 1

    def setKpParams(self) -> None:
        self.imgIds = []
        self.catIds = []
        self.iouThrs = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
        self.recThrs = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
        self.maxDets = [20]
        self.areaRng = [[0 ** 2, 1e5 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
        self.areaRngLbl = ["all", "medium", "large"]
        self.useCats = 1
        self.kpt_oks_sigmas = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87,
                                        .87, .89, .89]) / 10.0

    imgIds: list[Any]
    catIds: list[Any]
    iouThrs: NDArray[np.float64]
    recThrs: NDArray[np.float64]
    maxDets: list[int]
    areaRng: list[list[float]]
    areaRngLbl: list[str]
    useCats: int
    iouType: str
    useSegm: Optional[int]

    def __init__(self, iouType: str = "segm") -> None:
        if iouType in ("segm", "bbox", "boundary"):
            self.setDetParams()
        elif iouType == "keypoints":
            self.setKpParams()
        else:
            raise ValueError(f"iouType: expected 'segm', 'bbox', 'boundary' or 'keypoints', got {iouType!r}")
        self.iouType = iouType
        self.useSegm = None  # deprecated, as in pycocotools


# ---- sources: COCO objects, dicts, paths ------------------------------------------------------

class _Index:
    """The parts of pycocotools' ``COCO`` that evaluation reads, for a dict or a JSON file."""

    def __init__(self, dataset: dict[str, Any], name: str) -> None:
        if not isinstance(dataset, dict):
            raise TypeError(f"{name}: expected a COCO dict, got {type(dataset).__name__}")
        self.dataset = dataset
        self.anns: dict[Any, dict[str, Any]] = {}
        self.imgs: dict[Any, dict[str, Any]] = {}
        self.cats: dict[Any, dict[str, Any]] = {}
        self.imgToAnns: defaultdict[Any, list[dict[str, Any]]] = defaultdict(list)
        for ann in dataset.get("annotations", []):
            self.imgToAnns[ann["image_id"]].append(ann)
            self.anns[ann["id"]] = ann
        for img in dataset.get("images", []):
            self.imgs[img["id"]] = img
        for cat in dataset.get("categories", []):
            self.cats[cat["id"]] = cat

    def getImgIds(self) -> list[Any]:
        return list(self.imgs.keys())

    def getCatIds(self) -> list[Any]:
        return list(self.cats.keys())

    def loadRes(self, results: list[dict[str, Any]]) -> _Index:
        return _load_results(self, results, "cocoDt")


def _read_json(path: Union[str, "os.PathLike[str]"], name: str) -> Any:
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {os.fspath(path)!r}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name}: {os.fspath(path)!r} is not JSON: {exc}") from None


def _as_source(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if hasattr(obj, "__maskcore_coco__"):  # maskcore Datasets (and anything else) exporting COCO
        return _Index(obj.__maskcore_coco__(), name)
    if all(hasattr(obj, a) for a in ("imgToAnns", "anns", "imgs", "getImgIds", "getCatIds")):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        obj = _read_json(obj, name)
    if isinstance(obj, dict):
        return _Index(obj, name)
    raise TypeError(f"{name}: expected a pycocotools COCO object, a COCO dict or a path to a COCO JSON file, "
                    f"got {type(obj).__name__}")


def _load_results(gt: Any, results: Any, name: str) -> _Index:
    """pycocotools' ``COCO.loadRes`` on a list of results (copies; the input is not modified)."""
    if not isinstance(results, list):
        raise TypeError(f"{name}: expected a list of results, got {type(results).__name__}")
    img_ids = set(gt.getImgIds())
    unknown = [r.get("image_id") for r in results if r.get("image_id") not in img_ids]
    if unknown:
        raise ValueError(f"{name}: results for image_id {unknown[0]!r} not in the ground truth")
    anns = [dict(r) for r in results]
    if anns and "bbox" in anns[0] and not anns[0]["bbox"] == []:
        for i, ann in enumerate(anns):
            bb = ann["bbox"]
            x1, x2, y1, y2 = bb[0], bb[0] + bb[2], bb[1], bb[1] + bb[3]
            if "segmentation" not in ann:
                ann["segmentation"] = [[x1, y1, x1, y2, x2, y2, x2, y1]]
            ann["area"] = bb[2] * bb[3]
            ann["id"] = i + 1
            ann["iscrowd"] = 0
    elif anns and "segmentation" in anns[0]:
        try:
            batch = RLEBatch.from_coco([a["segmentation"] for a in anns])
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"{name}: results: {str(exc).replace('rles[', 'results[')}") from None
        from . import rle as _rle
        areas = _rle.area(batch)
        boxes = _rle.bbox(batch).astype(np.float64)
        for i, ann in enumerate(anns):
            ann["area"] = int(areas[i])
            if "bbox" not in ann:
                ann["bbox"] = boxes[i].tolist()
            ann["id"] = i + 1
            ann["iscrowd"] = 0
    elif anns:
        raise ValueError(f"{name}: results need 'bbox' or 'segmentation' (keypoints are not supported)")
    dataset = {"images": list(gt.imgs.values()), "annotations": anns,
               "categories": list(getattr(gt, "cats", {}).values())}
    return _Index(dataset, name)


def _as_results(obj: Any, gt: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, list):
        return _load_results(gt, obj, name)
    if isinstance(obj, (str, os.PathLike)):
        data = _read_json(obj, name)
        return _load_results(gt, data, name) if isinstance(data, list) else _Index(data, name)
    return _as_source(obj, name)


# ---- gathering and parsing ------------------------------------------------------------------

def _take(flat: NDArray[Any], offsets: NDArray[np.int64], sizes: NDArray[np.int64], idx: Any) -> _Batch:
    """(flat, offsets, sizes) of the RLEs idx of a batch, in that order (numpy gathers)."""
    idx = np.asarray(idx, np.int64)
    lens = (offsets[1:] - offsets[:-1])[idx]
    new = np.zeros(idx.size + 1, np.int64)
    np.cumsum(lens, out=new[1:])
    starts = offsets[:-1][idx]
    pos = np.arange(new[-1], dtype=np.int64) + np.repeat(starts - new[:-1], lens)
    return np.ascontiguousarray(flat[pos]), new, np.ascontiguousarray(sizes[idx])


def _concat(parts: list[_Batch]) -> _Batch:
    """One batch (flat, offsets, sizes) from (flat, offsets, sizes) parts, counts uint64 if any part is."""
    dt = np.uint64 if any(p[0].dtype == np.uint64 for p in parts) else np.uint32
    flats = [p[0].astype(dt, copy=False) for p in parts]
    if flats:  # into pooled memory: a large fresh array costs page faults on every call
        flat = _core.pooled_empty(dt, [sum(f.size for f in flats)])
        np.concatenate(flats, out=flat)
    else:
        flat = np.zeros(0, dt)
    offs, base = [np.zeros(1, np.int64)], 0
    for p in parts:
        offs.append(p[1][1:] + base)
        base += int(p[1][-1])
    sizes = [p[2] for p in parts]
    return (flat, np.concatenate(offs),
            np.concatenate(sizes) if sizes else np.zeros((0, 2), np.int64))


def _parse_masks(anns: list[dict[str, Any]], src: Any, threads: int, name: str, lazy: bool = False,
                 hw: Optional[NDArray[np.int64]] = None) -> tuple[Any, ...]:
    """The masks of the annotations as one batch, by pycocotools' ``annToRLE`` rules:
    polygons by its rasterization rule (merged parts) at the image's size, uncompressed RLE
    converted, compressed RLE as is. Returns (flat, offsets, sizes, index, strings):
    annotation i is mask index[i] of the batch (index None: i itself). With ``lazy``,
    compressed strings are not decoded here: strings[i] is the annotation's RLE dict
    (index[i] = -1), decoded by the evaluator when its image is evaluated; else strings
    is None. Last, whether a compressed RLE has h * w >= 2^32 (uint64 counts). ``hw``:
    each annotation's image (height, width) if the caller has them (-1: not in src.imgs)."""
    from . import coco as _coco
    from .raster import rasterize_rle_batch
    n = len(anns)
    segms = list(map(itemgetter("segmentation"), anns))
    kind, big = _core.eval_segm_kinds(segms)  # 0 compressed RLE, 1 polygons, 2 anything else
    compressed, polys, other = (np.flatnonzero(kind == k).tolist() for k in range(3))
    parts, order = [], []
    strings = None
    if lazy and compressed:
        if len(compressed) == n:
            strings = segms
        else:
            strings = [None] * n
            for i in compressed:
                strings[i] = segms[i]
        compressed = []
    # Uncompressed RLE (crowds): pycocotools keeps the counts as given (frPyObjects encodes
    # them and iou decodes them back), so they are the runs; the batch checks their sums.
    plain = [i for i in other if type(segms[i]) is dict and type(segms[i].get("counts")) is list
             and type(segms[i].get("size")) is list]
    if plain:
        try:
            lists = [segms[i]["counts"] for i in plain]
            lens = np.fromiter(map(len, lists), np.int64, count=len(lists))
            offs = np.zeros(len(lists) + 1, np.int64)
            np.cumsum(lens, out=offs[1:])
            counts = np.fromiter(chain.from_iterable(lists), np.int64, count=int(offs[-1]))
            b = RLEBatch.from_arrays(counts, offs, [segms[i]["size"] for i in plain])
        except (TypeError, ValueError, OverflowError):
            pass  # the general path names the problem
        else:
            parts.append((b._counts, b._offsets, b._sizes))
            order += plain
            done = set(plain)
            other = [i for i in other if i not in done]
    if compressed:
        objs = segms if len(compressed) == n else [segms[i] for i in compressed]
        try:
            parts.append(_core.eval_rle_dicts(objs, threads))
        except _v.KernelError as exc:
            info = _v.kernel_info(exc)
            if info.status != "invalid_argument":  # a string that does not decode: the kernel says where
                h, w = objs[info.item]["size"]
                where = f"{name}: annotation {anns[compressed[info.item]].get('id')!r}: segmentation['counts']"
                raise _v.string_error(exc, where, h * w) from None
            # a dict outside the fast path's form (a tuple size, numpy ints, ...): the general
            # reader, one dict at a time, canonicalizes it or says what is wrong, naming the annotation
            b = RLEBatch([_rle._from_coco(objs[j], f"{name}: annotation {anns[i].get('id')!r}: segmentation")
                          for j, i in enumerate(compressed)])
            parts.append((b._counts, b._offsets, b._sizes))
        order += compressed
    if polys:
        if hw is None:
            ids = list(map(itemgetter("image_id"), anns if len(polys) == n else [anns[i] for i in polys]))
            imgs = src.imgs
            dims = {im: (imgs[im]["height"], imgs[im]["width"]) for im in set(ids)}
            sel = np.array([dims[im] for im in ids], np.int64).reshape(-1, 2)
        else:
            sel = hw if len(polys) == n else hw[polys]
            if sel.size and sel.min() < 0:  # an image the source does not have: as pycocotools fails
                raise KeyError(anns[polys[int(np.flatnonzero(sel[:, 0] < 0)[0])]]["image_id"])
        hs, ws = np.ascontiguousarray(sel[:, 0]), np.ascontiguousarray(sel[:, 1])
        objs = segms if len(polys) == n else [segms[i] for i in polys]
        # With threads, chunks rasterize at once (the rasterizer releases the GIL).
        chunks = min(threads, max(1, len(polys) // 4096))
        bounds = np.linspace(0, len(polys), chunks + 1).astype(int).tolist()

        def raster(c: int) -> RLEBatch:
            lo, hi = bounds[c], bounds[c + 1]
            return rasterize_rle_batch(objs[lo:hi], hs[lo:hi], ws[lo:hi], rule="coco")
        try:
            if chunks > 1:
                with ThreadPoolExecutor(chunks - 1) as pool:
                    rest = [pool.submit(raster, c) for c in range(1, chunks)]
                    bs = [raster(0)] + [f.result() for f in rest]
            else:
                bs = [raster(0)]
        except (TypeError, ValueError):
            bs = None  # odd lengths, non-numbers, bad sizes: one at a time, by pycocotools' rules
        if bs is None:
            other += polys
        else:
            parts += [(b._counts, b._offsets, b._sizes) for b in bs]
            order += polys
    if other:
        dicts: list[dict[str, Any]] = []
        for i in other:
            segm = anns[i]["segmentation"]
            d: Any
            if isinstance(segm, list):
                img = src.imgs[anns[i]["image_id"]]
                h, w = img["height"], img["width"]
                rles = _coco.frPyObjects(segm, h, w) if segm else []
                if rles:
                    d = _coco.merge(rles)
                else:  # an empty polygon list: the empty mask (3D input: a list of one)
                    d = _coco.encode(np.zeros((h, w, 1), np.uint8, order="F"))[0]  # type: ignore[index]
            elif isinstance(segm, dict):
                img = src.imgs[anns[i]["image_id"]]
                d = _coco.frPyObjects(segm, img["height"], img["width"])
            else:
                raise TypeError(f"{name}: annotation {anns[i].get('id')!r}: segmentation must be a polygon list "
                                f"or an RLE dict, got {type(segm).__name__}")
            dicts.append(d)
        b = RLEBatch.from_coco(dicts, threads=threads)
        parts.append((b._counts, b._offsets, b._sizes))
        order += other
    if not parts:
        flat, offsets, sizes = np.zeros(0, np.uint32), np.zeros(1, np.int64), np.zeros((0, 2), np.int64)
    else:
        flat, offsets, sizes = parts[0] if len(parts) == 1 else _concat(parts)
    if len(order) == n and order == list(range(n)):
        return flat, offsets, sizes, None, strings, big
    index = np.full(n, -1, np.int64)  # annotation i is mask index[i] of the batch
    index[np.asarray(order, np.int64)] = np.arange(len(order))
    return flat, offsets, sizes, index, strings, big


# The smallest part of a pipelined evaluation, in annotations (both sides).
_PART = 4096


def _image_dims(src: Any, img_ids: list[Any], img_pos: NDArray[np.int64]) -> NDArray[np.int64]:
    """(n, 2) int64: the (height, width) of each annotation's image, from its position in
    img_ids (-1 where src.imgs has no such image)."""
    imgs = src.imgs
    table = np.array([(t.get("height", -1), t.get("width", -1)) if (t := imgs.get(im)) is not None else (-1, -1)
                      for im in img_ids], np.int64).reshape(-1, 2)
    return table[img_pos]


def _boundaries(masks: _Batch, threads: int, dilation_ratio: float = 0.02) -> _Batch:
    """The boundary band of each mask (maskcore.metrics.boundary), d from each mask's size."""
    from .metrics import _dilation
    flat, offsets, sizes = masks
    n = sizes.shape[0]
    if n == 0:
        return masks
    keys = sizes[:, 0] * (int(sizes[:, 1].max()) + 1) + sizes[:, 1]
    uniq, inv = np.unique(keys, return_inverse=True)
    parts, order = [], []
    for u in range(uniq.size):
        idx = np.flatnonzero(inv == u)
        f, o, s = _take(flat, offsets, sizes, idx) if uniq.size > 1 else masks
        h, w = (int(v) for v in s[0])
        bf, bo = _core.metrics_boundary(f, o, s, _dilation(h, w, dilation_ratio), threads)
        parts.append((bf, bo, s))
        order.append(idx)
    if len(parts) == 1:
        return parts[0]
    flat2, off2, sizes2 = _concat(parts)
    inverse = np.empty(n, np.int64)
    inverse[np.concatenate(order)] = np.arange(n)
    return _take(flat2, off2, sizes2, inverse)


def _boxes(anns: list[dict[str, Any]], name: str) -> NDArray[np.float64]:
    try:
        boxes = np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(len(anns), 4)
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"{name}: every annotation needs a 'bbox' of 4 numbers ({exc})") from None
    if not np.isfinite(boxes).all():
        i = int(np.flatnonzero(~np.isfinite(boxes).all(axis=1))[0])
        raise ValueError(f"{name}: annotation {anns[i].get('id')!r} has a non-finite bbox {anns[i]['bbox']!r}")
    return boxes


# ---- the evaluator ----------------------------------------------------------------------------

class COCOeval:
    """pycocotools' ``COCOeval``, bit-identical, in native code (see the module docstring).

    Parameters
    ----------
    cocoGt : pycocotools.coco.COCO, dict or path, optional
        Ground truth.
    cocoDt : COCO (e.g. ``cocoGt.loadRes(...)``), dict, list of results or path, optional
        Detections.
    iouType : {"segm", "bbox", "boundary"}
        ``"keypoints"`` raises ``NotImplementedError``.
    threads : int, optional
        Threads over images and categories (default: every core). Results do not depend on it.

    Attributes
    ----------
    params : Params
    evalImgs : list
        pycocotools' per image, category and area range dicts (``None`` where the image has
        neither ground truth nor detection of the category); built on first access (a second
        matching pass that keeps every match), not by ``evaluate()``.
    eval : dict
        After ``accumulate()``: ``params``, ``counts``, ``date``, ``precision``, ``recall``,
        ``scores``.
    stats : ndarray
        After ``summarize()``: the 12 numbers.
    ious : dict
        ``{(imgId, catId): IoU matrix}`` as pycocotools keeps them, computed on first access.
    """

    def __init__(self, cocoGt: CocoSource = None, cocoDt: CocoSource = None, iouType: str = "segm", *,
                 threads: Optional[int] = None) -> None:
        if iouType == "keypoints":
            raise NotImplementedError("iouType='keypoints' is not implemented by maskcore.cocoeval "
                                      "(use pycocotools.cocoeval for keypoints)")
        if not iouType:
            print("iouType not specified. use default iouType segm")
            iouType = "segm"
        if iouType not in _KINDS:
            raise ValueError(f"iouType: expected 'segm', 'bbox' or 'boundary', got {iouType!r}")
        self.threads = _v.threads(threads)
        self.cocoGt = _as_source(cocoGt, "cocoGt")
        self.cocoDt = _as_results(cocoDt, self.cocoGt, "cocoDt") if cocoGt is not None else _as_source(
            cocoDt, "cocoDt")
        self.params = Params(iouType=iouType)
        self._paramsEval: Any = {}  # a Params after evaluate(), as pycocotools
        self.stats: Any = []  # an ndarray after summarize(), as pycocotools
        self.eval: dict[str, Any] = {}
        self._result: Any = None
        self._evalImgs: Optional[list[Optional[dict[str, Any]]]] = None
        self._ious: Optional[dict[Any, Any]] = None
        self._data: Any = None
        if self.cocoGt is not None:
            self.params.imgIds = sorted(self.cocoGt.getImgIds())
            self.params.catIds = sorted(self.cocoGt.getCatIds())

    # -- evaluate -----------------------------------------------------------------------------

    def _gather(self, src: Any, p: Params, cat_ids: list[Any], img_ids: list[Any], name: str,
                gt: bool) -> tuple[list[dict[str, Any]], NDArray[np.int64], dict[str, Any]]:
        """The annotations of each evaluation unit, in pycocotools' order, grouped: (anns,
        off, fields), unit u's annotations anns[off[u]:off[u + 1]], fields their columns."""
        I0 = len(img_ids)
        n_groups = (len(cat_ids) if p.useCats else 1) * I0
        K = max(len(p.catIds), 1)
        by_image = src.imgToAnns
        if not isinstance(by_image, dict):
            get = by_image.get if hasattr(by_image, "get") else by_image.__getitem__
            by_image = {img: list(get(img) or ()) for img in img_ids}
        if p.useCats or len(set(p.catIds)) == len(p.catIds):
            cat_pos = {c: k for k, c in enumerate(cat_ids if p.useCats else p.catIds)}
            lookup = src.anns if isinstance(src.anns, dict) else dict(src.anns)
            boxes = p.iouType == "bbox"
            try:  # sorted by unit, stably, in native code
                got = _core.eval_gather(by_image, list(img_ids), lookup, cat_pos, bool(p.useCats), K, gt,
                                        p.iouType == "boundary", boxes)
            except KeyError as exc:
                raise KeyError(f"{name}: {exc.args[0]}") from None
            except ValueError as exc:  # a bad bbox, named by its annotation
                raise ValueError(f"{name}: {exc}") from None
            anns, keys = got[0], got[1]
            names = ("area", "id", "crowd", "ignore") if gt else ("area", "id", "score")
            fields = dict(zip(names + (("box",) if boxes else ()), got[2:]))
            if boxes:
                fields["box"] = fields["box"].reshape(-1)
        else:  # useCats=0 with a category listed twice: its annotations come twice, as in pycocotools
            anns, keys, fields = self._gather_repeated(src, p, by_image, img_ids, K, name, gt)
        group = keys if p.useCats else keys // K
        fields["img"] = keys % I0 if p.useCats else keys // K  # the annotation's image position
        off = np.zeros(n_groups + 1, np.int64)
        np.cumsum(np.bincount(group, minlength=n_groups)[:n_groups], out=off[1:])
        return anns, off, fields

    @staticmethod
    def _gather_repeated(src: Any, p: Params, by_image: dict[Any, Any], img_ids: list[Any], K: int, name: str,
                         gt: bool) -> tuple[list[dict[str, Any]], NDArray[np.int64], dict[str, Any]]:
        cat_pos = defaultdict(list)
        for k, c in enumerate(p.catIds):
            cat_pos[c].append(k)
        anns, keys = [], []
        for i, img in enumerate(img_ids):
            for a in by_image.get(img) or ():
                a = src.anns[a["id"]]
                for k in cat_pos.get(a["category_id"], ()):
                    anns.append(a)
                    keys.append(i * K + k)
        order = np.argsort(np.asarray(keys, np.int64), kind="stable")
        anns = [anns[j] for j in order.tolist()]
        keys = np.asarray(keys, np.int64)[order]
        n = len(anns)
        fields = {"area": np.empty(n, np.float64), "id": np.empty(n, np.int64)}
        try:
            fields["area"][:] = list(map(itemgetter("area"), anns))
            fields["id"][:] = list(map(itemgetter("id"), anns))
            if gt:
                crowd = [a.get("iscrowd", 0) for a in anns]
                fields["crowd"] = np.array([int(c) != 0 for c in crowd], np.uint8)
                if p.iouType == "boundary":
                    fields["ignore"] = np.array([bool(a.get("ignore", 0) or c) for a, c in zip(anns, crowd)], np.uint8)
                else:
                    fields["ignore"] = np.array([bool(c) for c in crowd], np.uint8)
            else:
                fields["score"] = np.array(list(map(itemgetter("score"), anns)), np.float64).reshape(n)
            if p.iouType == "bbox":
                fields["box"] = _boxes(anns, name).reshape(-1)
        except KeyError as exc:
            raise KeyError(f"{name}: an annotation has no {exc.args[0]!r}") from None
        return anns, keys, fields

    def _prepare(self) -> None:
        """Gather both sides' annotations by unit and split the units into parts (consecutive
        group ranges of about equal size): their masks are parsed part by part (_part_masks)."""
        p = self.params
        if self.cocoGt is None or self.cocoDt is None:
            raise ValueError("COCOeval: cocoGt and cocoDt are needed to evaluate")
        img_ids = list(p.imgIds)
        cat_ids = list(p.catIds) if p.useCats else [-1]
        gt_anns, gt_off, gt = self._gather(self.cocoGt, p, cat_ids, img_ids, "cocoGt", True)
        dt_anns, dt_off, dt = self._gather(self.cocoDt, p, cat_ids, img_ids, "cocoDt", False)
        if p.iouType != "bbox":
            gt["hw"] = _image_dims(self.cocoGt, img_ids, gt["img"])
            dt["hw"] = _image_dims(self.cocoDt, img_ids, dt["img"])
        self._data = (gt_anns, gt_off, gt, dt_anns, dt_off, dt)
        # Parts: one, unless masks are parsed and there is a second thread: then ~8 per thread of
        # at least _PART annotations each (see _run).
        groups = len(gt_off) - 1
        total = gt_off + dt_off
        n = 1 if p.iouType == "bbox" or self.threads == 1 else int(min(8 * self.threads, total[-1] // _PART))
        cuts = np.searchsorted(total, np.linspace(0, total[-1], max(n, 1) + 1)[1:-1]).tolist()
        bounds = sorted(set([0] + [int(c) for c in cuts if 0 < c < groups] + [groups]))
        self._parts = list(zip(bounds[:-1], bounds[1:])) if groups else [(0, 0)]
        self._masks: list[Any] = [None] * len(self._parts)

    def _part_masks(self, c: int, threads: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """Part c's masks, both sides: {"masks", "strings"[, "bounds"]} for its annotations
        (positions relative to the part's first annotation)."""
        p = self.params
        g0, g1 = self._parts[c]
        gt_anns, gt_off, gt, dt_anns, dt_off, dt = self._data
        if p.iouType == "bbox":
            return {"masks": None}, {"masks": None}
        a0, a1, b0, b1 = gt_off[g0], gt_off[g1], dt_off[g0], dt_off[g1]
        # segm: compressed strings are decoded image by image in the evaluator (only one
        # image's runs at a time); boundary needs every mask's band first.
        lazy = p.iouType == "segm"
        gm = _parse_masks(gt_anns[a0:a1], self.cocoGt, threads, "cocoGt", lazy, gt["hw"][a0:a1])
        dm = _parse_masks(dt_anns[b0:b1], self.cocoDt, threads, "cocoDt", lazy, dt["hw"][b0:b1])
        if gm[0].dtype == np.uint64 or dm[0].dtype == np.uint64 or gm[5] or dm[5]:
            gm, dm = ((m[0].astype(np.uint64),) + tuple(m[1:]) for m in (gm, dm))
        gs: dict[str, Any] = {"masks": gm[:4], "strings": gm[4]}
        ds: dict[str, Any] = {"masks": dm[:4], "strings": dm[4]}
        if p.iouType == "boundary":  # each boundary at its mask's batch position
            for side, m in ((gs, gm), (ds, dm)):
                b = _boundaries(m[:3], threads)
                side["bounds"] = (b[0].astype(gm[0].dtype, copy=False),) + tuple(b[1:3]) + (m[3],)
        return gs, ds

    def _part_eval(self, c: int, detail: bool, threads: int) -> Any:
        """Match part c's units (its masks parsed) on ``threads`` threads."""
        p = self.params
        g0, g1 = self._parts[c]
        gt_anns, gt_off, gt, dt_anns, dt_off, dt = self._data
        a0, a1, b0, b1 = gt_off[g0], gt_off[g1], dt_off[g0], dt_off[g1]
        gs, ds = self._masks[c]
        sides = []
        for fields, masks, lo, hi in ((gt, gs, a0, a1), (dt, ds, b0, b1)):
            side = {k: v[4 * lo:4 * hi] if k == "box" else v[lo:hi] for k, v in fields.items()}
            side.update(masks)
            sides.append(side)
        thr = np.ascontiguousarray(p.iouThrs, dtype=np.float64).reshape(-1)
        rng = np.ascontiguousarray(p.areaRng, dtype=np.float64).reshape(-1, 2)
        try:
            return _core.eval_evaluate(_KINDS[p.iouType], thr, rng, int(p.maxDets[-1]), gt_off[g0:g1 + 1] - a0,
                                       dt_off[g0:g1 + 1] - b0, sides[0], sides[1], threads, detail)
        except _v.KernelError as exc:  # the kernel's ErrorInfo says which annotation
            raise _v.eval_error(exc, gt_anns[a0:a1], dt_anns[b0:b1]) from None

    def _join(self, results: list[Any]) -> Any:
        if len(results) == 1:
            return results[0]
        dt_off = self._data[4]
        return _core.eval_concat(results, np.array([dt_off[g0] for g0, _ in self._parts], np.int64))

    def _run(self, detail: bool) -> Any:
        """Parse (where not yet parsed) and match every part. One part: in turn, each step on
        all threads. Several: each part parsed then matched on one thread, ``threads`` parts at
        a time, so that one part's reading of the Python objects (it holds the GIL) overlaps
        another's rasterizing and matching (native, the GIL released)."""
        def part(c: int, threads: int) -> Any:
            if self._masks[c] is None:
                self._masks[c] = self._part_masks(c, threads)
            return self._part_eval(c, detail, threads)
        if len(self._parts) == 1:
            return part(0, self.threads)
        with ThreadPoolExecutor(self.threads) as pool:
            return self._join(list(pool.map(part, range(len(self._parts)), repeat(1))))

    def evaluate(self) -> None:
        """Match detections to ground truths on every image and category (pycocotools' evaluate)."""
        tic = time.time()
        print("Running per image evaluation...")
        p = self.params
        if p.useSegm is not None:
            p.iouType = "segm" if p.useSegm == 1 else "bbox"
            print(f"useSegm (deprecated) is not None. Running {p.iouType} evaluation")
        print(f"Evaluate annotation type *{p.iouType}*")
        if p.iouType == "keypoints":
            raise NotImplementedError("iouType='keypoints' is not implemented by maskcore.cocoeval")
        p.imgIds = list(np.unique(p.imgIds))
        if p.useCats:
            p.catIds = list(np.unique(p.catIds))
        p.maxDets = sorted(p.maxDets)
        self.params = p
        self._prepare()
        self._result = self._run(False)
        self._evalImgs = None
        self._ious = None
        self.eval = {}
        self._paramsEval = copy.deepcopy(self.params)
        print(f"DONE (t={time.time() - tic:0.2f}s).")

    # -- lazily: evalImgs and ious ------------------------------------------------------------

    @property
    def evalImgs(self) -> list[Optional[dict[str, Any]]]:
        if self._evalImgs is None:
            self._evalImgs = self._build_eval_imgs() if self._result is not None else []
        return self._evalImgs

    @evalImgs.setter
    def evalImgs(self, value: list[Optional[dict[str, Any]]]) -> None:
        self._evalImgs = value

    def _build_eval_imgs(self) -> list[Optional[dict[str, Any]]]:
        pe = self._paramsEval
        saved, self.params = self.params, pe
        try:
            r = self._run(True)
        finally:
            self.params = saved
        gt_anns, gt_off, gt, dt_anns, dt_off, dt = self._data
        cat_ids = pe.catIds if pe.useCats else [-1]
        I0, A0, T = len(pe.imgIds), len(pe.areaRng), len(pe.iouThrs)
        kept_off, kept, score = r.kept_off, r.kept, r.score
        code, match, nonempty = r.code, r.match, r.nonempty
        max_det = pe.maxDets[-1]
        out: list[Optional[dict[str, Any]]] = []
        for k, cat in enumerate(cat_ids):
            for a, rng in enumerate(pe.areaRng):
                for i, img in enumerate(pe.imgIds):
                    g = k * I0 + i
                    if not nonempty[g]:
                        out.append(None)
                        continue
                    g0, g1 = gt_off[g], gt_off[g + 1]
                    s0, s1 = kept_off[g], kept_off[g + 1]
                    area = gt["area"][g0:g1]
                    ig = (gt["ignore"][g0:g1].astype(bool) | (area < rng[0]) | (area > rng[1])).astype(np.int64)
                    gorder = np.argsort(ig, kind="mergesort")
                    gt_ids = gt["id"][g0:g1][gorder]
                    dt_ids = dt["id"][kept[s0:s1]]
                    m = match[s0:s1, a, :].T  # T x D: rank of the matched gt or -1
                    D, G = s1 - s0, g1 - g0
                    dtm = np.zeros((T, D))
                    hit = m >= 0
                    dtm[hit] = gt_ids[m[hit]]
                    gtm = np.zeros((T, G))
                    for t in range(T):
                        for d in np.flatnonzero(hit[t]):
                            gtm[t, m[t, d]] = dt_ids[d]
                    out.append({
                        "image_id": img,
                        "category_id": cat,
                        "aRng": rng,
                        "maxDet": max_det,
                        "dtIds": dt_ids.tolist(),
                        "gtIds": gt_ids.tolist(),
                        "dtMatches": dtm,
                        "gtMatches": gtm,
                        "dtScores": score[s0:s1].tolist(),
                        "gtIgnore": ig[gorder],
                        "dtIgnore": code[s0:s1, a, :].T == 0,
                    })
        return out

    @property
    def ious(self) -> dict[Any, Any]:
        if self._ious is None:
            self._ious = self._compute_ious() if self._result is not None else {}
        return self._ious

    @ious.setter
    def ious(self, value: dict[Any, Any]) -> None:
        self._ious = value

    def _compute_ious(self) -> dict[Any, Any]:
        from . import coco as _coco
        from .rle import iou as _rle_iou
        pe = self._paramsEval
        gt_anns, gt_off, gt, dt_anns, dt_off, dt = self._data
        r = self._result
        cat_ids = pe.catIds if pe.useCats else [-1]
        I0 = len(pe.imgIds)
        starts = [g0 for g0, _ in self._parts]
        out: dict[Any, Any] = {}
        for k, cat in enumerate(cat_ids):
            for i, img in enumerate(pe.imgIds):
                g = k * I0 + i
                g0, g1 = gt_off[g], gt_off[g + 1]
                sel = r.kept[r.kept_off[g]:r.kept_off[g + 1]]
                if g1 == g0 and dt_off[g + 1] == dt_off[g]:
                    out[img, cat] = []
                    continue
                if g1 == g0 or sel.size == 0:
                    out[img, cat] = np.minimum([], []) if pe.iouType == "boundary" else []
                    continue
                crowd = gt["crowd"][g0:g1]
                if pe.iouType == "bbox":
                    boxes_d, boxes_g = dt["box"].reshape(-1, 4), gt["box"].reshape(-1, 4)
                    out[img, cat] = _coco.iou(boxes_d[sel], boxes_g[g0:g1], crowd.tolist())
                    continue

                def batch(side: dict[str, Any], key: str, idx: NDArray[np.int64]) -> RLEBatch:
                    m, strs = side[key], side.get("strings") if key == "masks" else None
                    pos = idx if m[3] is None else m[3][idx]
                    if strs is None or all(strs[i] is None for i in idx):
                        return RLEBatch._wrap(*_take(m[0], m[1], m[2], pos))
                    whole = RLEBatch._wrap(m[0], m[1], m[2])
                    return RLEBatch([whole[int(q)] if strs[i] is None else RLE.from_coco(strs[i])
                                     for i, q in zip(idx.tolist(), pos.tolist())])
                c = bisect_right(starts, g) - 1  # the part holding unit g; its masks start at its first annotation
                gs, ds = self._masks[c]
                gidx, didx = np.arange(g0, g1) - gt_off[starts[c]], sel - dt_off[starts[c]]
                v = _rle_iou(batch(ds, "masks", didx), batch(gs, "masks", gidx), crowd.astype(bool))
                if pe.iouType == "boundary":
                    b = _rle_iou(batch(ds, "bounds", didx), batch(gs, "bounds", gidx), crowd.astype(bool))
                    v[:, crowd == 0] = np.minimum(v[:, crowd == 0], b[:, crowd == 0])
                out[img, cat] = v
        return out

    # -- accumulate ---------------------------------------------------------------------------

    def accumulate(self, p: Optional[Params] = None) -> None:
        """Precision / recall over images (pycocotools' accumulate), into ``self.eval``."""
        print("Accumulating evaluation results...")
        tic = time.time()
        if self._result is None:
            raise RuntimeError("Please run evaluate() first")
        if p is None:
            p = self.params
        p.catIds = p.catIds if p.useCats == 1 else [-1]
        T, R = len(p.iouThrs), len(p.recThrs)
        K = len(p.catIds) if p.useCats else 1
        A, M = len(p.areaRng), len(p.maxDets)
        precision = -np.ones((T, R, K, A, M))
        recall = -np.ones((T, K, A, M))
        scores = -np.ones((T, R, K, A, M))
        pe = self._paramsEval
        cat_ids = pe.catIds if pe.useCats else [-1]
        set_k, set_a = set(cat_ids), set(map(tuple, pe.areaRng))
        set_m, set_i = set(pe.maxDets), set(pe.imgIds)
        k_list = [n for n, k in enumerate(p.catIds) if k in set_k]
        m_list = [m for m in p.maxDets if m in set_m]
        a_list = [n for n, a in enumerate(map(tuple, p.areaRng)) if a in set_a]
        i_list = [n for n, i in enumerate(p.imgIds) if i in set_i]
        I0, A0 = len(pe.imgIds), len(pe.areaRng)
        n_eval = len(cat_ids) * A0 * I0
        if k_list and a_list and i_list and m_list:
            last = max(k_list) * A0 * I0 + max(a_list) * I0 + max(i_list)
            if last >= n_eval:
                raise IndexError(f"accumulate: params select evalImgs[{last}] of {n_eval} (evaluate() ran with "
                                 "other imgIds / catIds / areaRng)")
            if len(pe.iouThrs) > T:
                raise IndexError(f"accumulate: p.iouThrs has {T} thresholds, evaluate() used {len(pe.iouThrs)}")
        rec = np.ascontiguousarray(p.recThrs, dtype=np.float64).reshape(-1)

        def as64(v: list[int]) -> NDArray[np.int64]:
            return np.asarray(v, dtype=np.int64).reshape(-1)
        _core.eval_accumulate(self._result, as64(k_list), as64(a_list), as64(i_list), as64(m_list), A0, I0, rec,
                              precision, recall, scores, self.threads)
        self.eval = {
            "params": p,
            "counts": [T, R, K, A, M],
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "precision": precision,
            "recall": recall,
            "scores": scores,
        }
        print(f"DONE (t={time.time() - tic:0.2f}s).")

    # -- summarize ----------------------------------------------------------------------------

    def _summarize(self, ap: int = 1, iouThr: Optional[float] = None, areaRng: str = "all",
                   maxDets: int = 100) -> float:
        p = self.params
        line = " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}"
        title = "Average Precision" if ap == 1 else "Average Recall"
        kind = "(AP)" if ap == 1 else "(AR)"
        iou = f"{p.iouThrs[0]:0.2f}:{p.iouThrs[-1]:0.2f}" if iouThr is None else f"{iouThr:0.2f}"
        aind = [i for i, lbl in enumerate(p.areaRngLbl) if lbl == areaRng]
        mind = [i for i, m in enumerate(p.maxDets) if m == maxDets]
        if ap == 1:
            s = self.eval["precision"]  # T x R x K x A x M
            if iouThr is not None:
                s = s[np.where(iouThr == p.iouThrs)[0]]
            s = s[:, :, :, aind, mind]
        else:
            s = self.eval["recall"]  # T x K x A x M
            if iouThr is not None:
                s = s[np.where(iouThr == p.iouThrs)[0]]
            s = s[:, :, aind, mind]
        valid = s[s > -1]
        mean = -1 if len(valid) == 0 else np.mean(valid)
        print(line.format(title, kind, iou, areaRng, maxDets, mean))
        return mean

    def summarize(self) -> None:
        """The 12 COCO numbers into ``self.stats``, printed as pycocotools prints them.

        Valid for the default parameters only (as pycocotools): ``maxDets`` needs 3 entries
        and ``areaRngLbl`` the labels 'all', 'small', 'medium', 'large'.
        """
        if not self.eval:
            raise Exception("Please run accumulate() first")
        md = self.params.maxDets
        S = self._summarize
        stats = np.zeros((12,))
        stats[0] = S(1)
        stats[1] = S(1, iouThr=.5, maxDets=md[2])
        stats[2] = S(1, iouThr=.75, maxDets=md[2])
        stats[3] = S(1, areaRng="small", maxDets=md[2])
        stats[4] = S(1, areaRng="medium", maxDets=md[2])
        stats[5] = S(1, areaRng="large", maxDets=md[2])
        stats[6] = S(0, maxDets=md[0])
        stats[7] = S(0, maxDets=md[1])
        stats[8] = S(0, maxDets=md[2])
        stats[9] = S(0, areaRng="small", maxDets=md[2])
        stats[10] = S(0, areaRng="medium", maxDets=md[2])
        stats[11] = S(0, areaRng="large", maxDets=md[2])
        self.stats = stats
