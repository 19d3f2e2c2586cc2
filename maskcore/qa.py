"""Quality checks for label maps, instance masks and COCO files.

:func:`validate` checks one mask (a label map, an RGB color-coded mask, or instance
masks) and returns a :class:`Report`; :func:`validate_batch` adds class-share
anomalies across images; :func:`validate_coco` checks a COCO instances dict.

Every problem is a :class:`Problem` with a ``kind`` (a stable string to filter on),
a human ``message`` and where it is: ``bbox`` as ``(min_row, min_col,
max_row_exclusive, max_col_exclusive)`` (COCO boxes stay ``[x, y, w, h]`` only inside
messages about COCO fields), ``count`` (pixels), and the offending ``value``,
``instance`` or ``image``/``annotation`` ids. Reports are JSON-serializable
(``to_dict()``, ``to_json()``).

Problem kinds
-------------
``unknown_label``      values not in ``labels``
``off_palette``        RGB colors not in ``palette`` (away from edges)
``antialiased_edge``   off-palette colors / unknown values on edges between two
                       allowed classes: blended (anti-aliased, feathered) edges
``empty``              a mask (or every instance) without foreground
``split_instance``     an instance made of more than one connected component
``small_component``    a connected component smaller than ``min_size`` pixels
``overlap``            two instances sharing pixels where overlap is forbidden
``area_mismatch`` / ``bbox_mismatch``   declared COCO fields disagree with the pixels
``class_share_anomaly``  (batches) a class's share in an image far from the batch's
COCO files: ``polygon_too_few_points``, ``polygon_odd_length``, ``rle_size_mismatch``,
``rle_invalid``, ``unknown_category``, ``unknown_image``, ``bad_segmentation``.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import numpy as np

from . import _validate as _v
from . import coco as _coco
from . import rle as _rle
from .components import label
from .rle import RLE

__all__ = ["Problem", "Report", "BatchReport", "validate", "validate_batch", "validate_coco", "class_share_anomalies"]


@dataclass
class Problem:
    """One finding. ``bbox`` is ``(min_row, min_col, max_row_excl, max_col_excl)``."""

    kind: str
    message: str
    bbox: Optional[tuple] = None
    count: Optional[int] = None
    value: Any = None
    instance: Optional[int] = None
    image: Any = None
    annotation: Any = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Report:
    """What :func:`validate` found: ``problems`` and the class pixel ``histogram``
    (value -> pixel count; RGB masks with a palette: palette index -> count)."""

    shape: tuple
    problems: list = field(default_factory=list)
    histogram: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def kinds(self) -> set:
        return {p.kind for p in self.problems}

    def of_kind(self, kind: str) -> list:
        return [p for p in self.problems if p.kind == kind]

    def to_dict(self) -> dict:
        return {"shape": list(self.shape), "ok": self.ok, "problems": [p.to_dict() for p in self.problems],
                "histogram": {str(k): int(v) for k, v in self.histogram.items()}}

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)


@dataclass
class BatchReport:
    """:func:`validate_batch`: one :class:`Report` per image, the pooled histogram, and
    ``anomalies`` (``class_share_anomaly`` problems with ``image`` set)."""

    reports: list
    histogram: dict
    anomalies: list

    @property
    def ok(self) -> bool:
        return not self.anomalies and all(r.ok for r in self.reports)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "reports": [r.to_dict() for r in self.reports],
                "histogram": {str(k): int(v) for k, v in self.histogram.items()},
                "anomalies": [p.to_dict() for p in self.anomalies]}

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)


# ---- helpers ---------------------------------------------------------------------------------

def _components(image: np.ndarray, connectivity: int, background=0):
    """Connected components (:func:`maskcore.label`, equal values join) of a bool mask or a label
    map: (labels 1..n in raster order, n, stats with ``area``, ``bbox`` and ``value`` per component)."""
    labels, n, stats = label(image, connectivity=connectivity, background=background, return_stats=True)
    return labels, n, stats


def _bbox(sel: np.ndarray) -> tuple:
    rows = np.flatnonzero(sel.any(axis=1))
    cols = np.flatnonzero(sel.any(axis=0))
    if rows.size == 0:
        return (0, 0, 0, 0)
    return (int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def _window_minmax(x: np.ndarray, valid: np.ndarray, radius: int):
    """Per-channel min and max of x (H, W, C) over the valid pixels of each (2r+1)^2
    window; where a window has no valid pixel, lo > hi."""
    lo = np.where(valid[..., None], x, np.iinfo(np.int64).max)
    hi = np.where(valid[..., None], x, np.iinfo(np.int64).min)
    for arr, op in ((lo, np.minimum), (hi, np.maximum)):
        for axis in (0, 1):
            src = arr.copy()
            n = src.shape[axis]
            for s in range(1, min(radius, n - 1) + 1):
                a = np.moveaxis(arr, axis, 0)
                b = np.moveaxis(src, axis, 0)
                op(a[s:], b[:-s], out=a[s:])
                op(a[:-s], b[s:], out=a[:-s])
    return lo, hi


def _stray_values(keys: np.ndarray, channels: np.ndarray, allowed: np.ndarray, what: str, kind_other: str,
                  edge_radius: int, show=lambda v: v) -> list:
    """Problems for pixels whose key is not allowed. Those whose value lies between the
    values of two different allowed classes within ``edge_radius`` (per channel: inside
    the box of the allowed neighbours, and the neighbours differ) are blends, and so is
    every pixel of a connected group of bad pixels that is at least half blends (wide
    bands): one ``antialiased_edge`` problem; the rest are reported per value."""
    out = []
    ok = np.isin(keys, allowed)
    if ok.all():
        return out
    bad = ~ok
    lo, hi = _window_minmax(channels, ok, edge_radius)
    inside = ((lo <= channels) & (channels <= hi)).all(axis=-1)
    edge = bad & inside & (lo < hi).any(axis=-1)
    if edge.any():
        # A band of blends can be wider than the window: a connected group of bad pixels
        # that is mostly blend is a blended edge as a whole.
        lab, n, _ = _components(bad, 8)
        share = np.bincount(lab[edge], minlength=n + 1) / np.maximum(np.bincount(lab.ravel(), minlength=n + 1), 1)
        edge = bad & (share >= 0.5)[lab]
    if edge.any():
        vals = np.unique(keys[edge])
        out.append(Problem("antialiased_edge",
                           f"{int(edge.sum())} pixels of {vals.size} {what}s not allowed lie between the values "
                           f"of two allowed classes next to them (blended / anti-aliased edges)",
                           bbox=_bbox(edge), count=int(edge.sum()),
                           value=[show(v) for v in vals[:16].tolist()]))
    rest = bad & ~edge
    if rest.any():
        vals, counts = np.unique(keys[rest], return_counts=True)
        order = np.argsort(-counts, kind="stable")
        for j in order[:32].tolist():
            sel = rest & (keys == vals[j])
            out.append(Problem(kind_other, f"{what} {show(vals[j].item())} is not allowed ({int(counts[j])} pixels)",
                               bbox=_bbox(sel), count=int(counts[j]), value=show(vals[j].item())))
        if len(vals) > 32:
            out.append(Problem(kind_other, f"... and {len(vals) - 32} more {what}s not allowed",
                               count=int(counts[order[32:]].sum())))
    return out


def _rgb_key(rgb: np.ndarray) -> np.ndarray:
    a = rgb.astype(np.uint32)
    return a[..., 0] | (a[..., 1] << 8) | (a[..., 2] << 16)


def _show_rgb(key: int) -> list:
    return [key & 255, (key >> 8) & 255, (key >> 16) & 255]


def _instance_masks(instances, shape):
    """[(instance id, bool mask)] from an id map (0 = none) or a list of masks / RLEs."""
    if isinstance(instances, np.ndarray) and instances.ndim == 2 and instances.dtype.kind in "iu" and \
            (instances.dtype != np.uint8 or instances.max(initial=0) > 1):
        if instances.shape != shape:
            raise ValueError(f"instances: id map shape {instances.shape} differs from mask shape {shape}")
        return [(int(i), instances == i) for i in np.unique(instances).tolist() if i != 0], True
    if isinstance(instances, np.ndarray):
        items = [instances] if instances.ndim == 2 else [instances[..., k] for k in range(instances.shape[-1])]
    else:
        items = list(instances)
    out = []
    for k, m in enumerate(items):
        if isinstance(m, (RLE, dict)):
            m = _rle.decode(m if isinstance(m, RLE) else RLE.from_coco(m))
        m = np.asarray(m)
        if m.shape != shape:
            raise ValueError(f"instances[{k}]: shape {m.shape} differs from mask shape {shape}")
        out.append((k, m != 0))
    return out, False


def _coco_box(sel: np.ndarray):
    r0, c0, r1, c1 = _bbox(sel)
    return [c0, r0, c1 - c0, r1 - r0]


def _check_declared(ann: dict, sel: np.ndarray, area: int, problems: list, *, area_tol: float, bbox_tol: float,
                    **where):
    """Declared COCO ``area`` / ``bbox`` against the mask. Polygon areas and boxes are
    real-valued and the rasterized mask differs from them by about a pixel per edge
    (more for thin parts), so: area within ``area_tol`` (relative) + a quarter of the
    mask box's perimeter (half a pixel per boundary pixel, roughly), box edges within
    ``bbox_tol`` pixels + 10 % of the box's larger side. With these defaults the
    COCO instances files in ../shared/data report nothing (a 4 x 28 pixel object
    has polygon area 106.6 and 91 pixels). Crowd annotations' areas are not checked
    (COCO computed them otherwise)."""
    if "area" in ann and ann["area"] is not None and not ann.get("iscrowd", 0):
        dec = float(ann["area"])
        _, _, mw, mh = _coco_box(sel)
        if abs(dec - area) > area_tol * area + (mw + mh) / 2:
            problems.append(Problem("area_mismatch", f"declared area {dec:g} but the mask has {area} pixels",
                                    bbox=_bbox(sel) if area else None, count=area, value=dec, **where))
    if "bbox" in ann and ann["bbox"] is not None and area:
        x, y, w, h = (float(v) for v in ann["bbox"])
        mx, my, mw, mh = _coco_box(sel)
        err = max(abs(x - mx), abs(y - my), abs((x + w) - (mx + mw)), abs((y + h) - (my + mh)))
        if err > bbox_tol + 0.1 * max(w, h, mw, mh):
            problems.append(Problem("bbox_mismatch", f"declared bbox [x, y, w, h] = {[x, y, w, h]} but the "
                                    f"mask's is {[mx, my, mw, mh]}", bbox=_bbox(sel), count=area,
                                    value=[x, y, w, h], **where))


# ---- validate --------------------------------------------------------------------------------

def validate(mask, *, labels=None, palette=None, instances=None, annotations=None, min_size=0, connectivity=8,
             background=0, allow_overlap=False, edge_radius=2, area_tolerance=0.1, bbox_tolerance=2.0) -> Report:
    """Check a mask and report every problem found, with where it is.

    Parameters
    ----------
    mask : ndarray
        ``(H, W)`` label map (any integer or bool dtype), or ``(H, W, 3)`` RGB
        color-coded mask (then ``palette`` says which colors are classes).
    labels : iterable of int, optional
        Allowed values of a label map (``background`` included if it is allowed).
        Unknown values on the edge between two allowed classes are reported as one
        ``antialiased_edge`` problem, others as ``unknown_label`` per value.
    palette : (P, 3) array-like or dict, optional
        Allowed RGB colors (a dict color -> class is accepted: its keys). Off-palette
        pixels within ``edge_radius`` of two different palette colors are
        ``antialiased_edge``, the rest ``off_palette`` per color. The histogram and
        component checks then run on palette indices.
    instances : ndarray or list, optional
        Instance masks of the image: an ``(H, W)`` id map (0 = none), a list of binary
        masks / RLEs, or an ``(H, W, N)`` stack. Checked for empty instances, more than
        one connected component (``split_instance``), components under ``min_size``,
        and, unless ``allow_overlap``, overlaps between list entries.
    annotations : list of dict, optional
        COCO fields (``area``, ``bbox`` [x, y, w, h]) declared for ``instances``: by
        position for a list, by ``"id"`` for an id map. Polygon areas and boxes are
        not pixel counts: ``area`` may differ by ``area_tolerance`` (relative)
        + a quarter of the box perimeter, box edges by ``bbox_tolerance`` pixels +
        10 % of the box's larger side.
    min_size : int, default 0
        Components (of each class of the label map, and of each instance) with fewer
        pixels are reported as ``small_component`` (tiny islands). 0 disables it.
    connectivity : {4, 8}, default 8
    background : int or RGB triple, default 0
        The label map value (for RGB masks: color, default black when it is in the
        palette) that is not a class: skipped by the component checks; a mask holding
        only it is ``empty``.

    Returns
    -------
    Report
        ``problems`` and the class pixel ``histogram``; ``report.ok`` when none.
    """
    conn = _v.connectivity(connectivity, 2)
    min_size = _v.integer(min_size, "min_size")
    a = np.asarray(mask)
    problems: list = []
    if a.ndim == 3 and a.shape[2] in (3, 4):
        if palette is None:
            raise ValueError("palette: required for an RGB mask (the allowed colors)")
        pal = np.asarray(list(palette.keys()) if isinstance(palette, dict) else palette)
        if pal.ndim != 2 or pal.shape[1] != 3:
            raise ValueError(f"palette: expected (P, 3) RGB colors, got shape {pal.shape}")
        keys = _rgb_key(a[..., :3])
        pal_keys = np.unique(_rgb_key(pal.astype(np.uint8)))
        problems += _stray_values(keys, a[..., :3].astype(np.int64), pal_keys, "color", "off_palette",
                                  edge_radius, _show_rgb)
        label_map = np.searchsorted(pal_keys, keys).astype(np.int64)
        label_map[~np.isin(keys, pal_keys)] = -1
        # Background of an RGB mask: the color `background` (an RGB triple), default
        # black when black is in the palette; otherwise every palette color is a class.
        bg_color = np.asarray(background if np.ndim(background) == 1 else (0, 0, 0), np.uint8)
        bg_key = _rgb_key(bg_color[None, :])[0]
        bg = int(np.searchsorted(pal_keys, bg_key)) if bg_key in pal_keys else -2
        hist_keys = {tuple(_show_rgb(int(k))): int(c) for k, c in
                     zip(*np.unique(keys[label_map >= 0], return_counts=True))}
        histogram = hist_keys
    elif a.ndim == 2:
        if a.dtype == np.bool_:
            a = a.view(np.uint8)
        if a.dtype.kind not in "iu":
            raise TypeError(f"mask: expected an integer label map or an RGB array, got dtype {a.dtype}")
        label_map = a
        bg = background
        if a.dtype.kind == "u" and a.dtype.itemsize <= 2:  # a count per possible value: no sort
            counts = np.bincount(a.ravel(), minlength=1)
            vals = np.flatnonzero(counts)
            counts = counts[vals]
        else:
            vals, counts = np.unique(a, return_counts=True)
        histogram = {int(v): int(c) for v, c in zip(vals.tolist(), counts.tolist())}
        if labels is not None:
            allowed = np.unique(np.asarray(list(labels), np.int64))
            if not np.isin(vals.astype(np.int64), allowed).all():  # only then look at the pixels
                wide = a.astype(np.int64)
                problems += _stray_values(wide, wide[..., None], allowed, "value", "unknown_label", edge_radius)
                label_map = np.where(np.isin(wide, allowed), wide, -1)  # components: allowed classes only
    else:
        raise ValueError(f"mask: expected (H, W) or (H, W, 3), got shape {a.shape}")
    shape = a.shape[:2]
    if a.size == 0 or not (label_map != bg).any():
        problems.append(Problem("empty", "the mask has no foreground (only background)", count=0))
    if min_size > 0:
        _, _, stats = _components(label_map, conn, background=bg)
        for v, s, b in zip(stats["value"].tolist(), stats["area"].tolist(), stats["bbox"].tolist()):
            if s < min_size and v >= 0:  # -1: values outside the allowed labels, reported above
                show = _show_rgb(int(pal_keys[v])) if a.ndim == 3 else v
                problems.append(Problem("small_component", f"a component of class {show} has {s} pixels "
                                        f"(< min_size = {min_size})", bbox=tuple(b), count=s, value=show))
    if instances is not None:
        inst, is_map = _instance_masks(instances, shape)
        by_id = {}
        if annotations is not None:
            anns = list(annotations)
            if is_map:
                by_id = {int(x["id"]): x for x in anns}
            else:
                if len(anns) != len(inst):
                    raise ValueError(f"annotations: expected {len(inst)} (one per instance), got {len(anns)}")
                by_id = dict(enumerate(anns))
        for iid, sel in inst:
            area = int(sel.sum())
            if area == 0:
                problems.append(Problem("empty", f"instance {iid} has no pixels", count=0, instance=iid))
            else:
                _, n, stats = _components(sel, conn)
                if n > 1:
                    sizes, boxes = stats["area"], [tuple(b) for b in stats["bbox"].tolist()]
                    problems.append(Problem("split_instance", f"instance {iid} has {n} connected components "
                                            f"(sizes {sorted(sizes.tolist(), reverse=True)[:8]})",
                                            bbox=_bbox(sel), count=n, instance=iid))
                    if min_size > 0:
                        for s, b in zip(sizes.tolist(), boxes):
                            if s < min_size:
                                problems.append(Problem("small_component", f"a component of instance {iid} has "
                                                        f"{s} pixels (< min_size = {min_size})", bbox=b, count=s,
                                                        instance=iid))
                elif min_size > 0 and area < min_size:
                    problems.append(Problem("small_component", f"instance {iid} has {area} pixels (< min_size = "
                                            f"{min_size})", bbox=_bbox(sel), count=area, instance=iid))
            if iid in by_id:
                _check_declared(by_id[iid], sel, area, problems, area_tol=area_tolerance,
                                bbox_tol=bbox_tolerance, instance=iid)
        if not is_map and not allow_overlap and len(inst) > 1:
            cover = np.zeros(shape, np.int32)
            for _, sel in inst:
                cover += sel
            if (cover > 1).any():
                for i in range(len(inst)):
                    for j in range(i + 1, len(inst)):
                        both = inst[i][1] & inst[j][1]
                        if both.any():
                            problems.append(Problem("overlap", f"instances {inst[i][0]} and {inst[j][0]} share "
                                                    f"{int(both.sum())} pixels", bbox=_bbox(both),
                                                    count=int(both.sum()), value=[inst[i][0], inst[j][0]]))
    return Report(shape=tuple(int(s) for s in shape), problems=problems, histogram=histogram)


def validate_batch(masks, *, z=3.0, min_share_delta=0.25, **kwargs) -> BatchReport:
    """:func:`validate` on each mask, plus class-share anomalies across the batch.

    A class's share in an image is its pixel count over the image's pixels. It is an
    anomaly when it differs from the batch mean share of that class by more than
    ``z`` standard deviations (of the other images) and by more than
    ``min_share_delta`` (absolute), e.g. a class that covers half of one image but
    2 % of every other. Keyword arguments go to :func:`validate`.
    """
    reports = [validate(m, **kwargs) for m in masks]
    pooled: dict = {}
    for r in reports:
        for k, c in r.histogram.items():
            pooled[k] = pooled.get(k, 0) + c
    anomalies = class_share_anomalies([r.histogram for r in reports], z=z, min_share_delta=min_share_delta)
    return BatchReport(reports=reports, histogram=pooled, anomalies=anomalies)


def class_share_anomalies(histograms, *, z=3.0, min_share_delta=0.25, names=None) -> list:
    """``class_share_anomaly`` problems of a batch of class histograms (one dict class -> pixel
    count per image), the rule of :func:`validate_batch`: a class's share in an image is an
    anomaly when it differs from the mean share of that class in the *other* images by more than
    ``z`` of their standard deviations and by more than ``min_share_delta``. Needs 3 images.

    The leave-one-out mean and standard deviation come from the batch's sums and sums of
    squares (O(images x classes), so a 100,000-image dataset costs one pass). ``names``: what
    the messages call each image (default its position); ``image`` is always the position.
    """
    hists = list(histograms)
    n = len(hists)
    out: list = []
    if n < 3:
        return out
    keys = sorted({k for h in hists for k in h}, key=str)
    col = {k: j for j, k in enumerate(keys)}
    counts = np.zeros((n, len(keys)))
    for i, h in enumerate(hists):
        for k, c in h.items():
            counts[i, col[k]] = c
    totals = counts.sum(axis=1, keepdims=True)
    shares = counts / np.where(totals > 0, totals, 1)
    s1, s2 = shares.sum(axis=0), (shares * shares).sum(axis=0)
    for i in range(n):
        mean = (s1 - shares[i]) / (n - 1)
        var = np.maximum((s2 - shares[i] * shares[i]) / (n - 1) - mean * mean, 0.0)
        std = np.sqrt(var)
        dev = np.abs(shares[i] - mean)
        for j in np.flatnonzero((dev > min_share_delta) & (dev > z * std)).tolist():
            k = keys[j]
            who = i if names is None else names[i]
            out.append(Problem("class_share_anomaly",
                               f"class {k} covers {shares[i, j]:.1%} of image {who} but "
                               f"{mean[j]:.1%} +- {std[j]:.1%} of the others",
                               value=k if not isinstance(k, tuple) else list(k), image=i,
                               count=int(counts[i, j])))
    return out


# ---- COCO ------------------------------------------------------------------------------------

def validate_coco(coco, *, allow_overlap=True, area_tolerance=0.1, bbox_tolerance=2.0) -> Report:
    """Check a COCO instances dict (as ``json.load`` gives it).

    Checks each annotation: ``image_id`` and ``category_id`` exist; polygons have
    at least 3 points and an even number of coordinates; RLE ``size`` equals the
    image's ``[height, width]`` and its counts are valid; the mask is not empty; the
    declared ``bbox`` and ``area`` agree with the mask (tolerances as in
    :func:`validate`); with ``allow_overlap=False``, non-crowd annotations of one
    image do not overlap. Masks come from ``maskcore.coco.frPyObjects`` (pycocotools'
    rasterization).

    Returns
    -------
    Report
        ``shape`` is ``(0, 0)``; ``histogram`` counts annotations per category id.
        Problems carry ``image`` and ``annotation`` ids.
    """
    if not isinstance(coco, dict):
        raise TypeError(f"coco: expected a dict (a loaded COCO json), got {type(coco).__name__}")
    images = {im["id"]: im for im in coco.get("images", [])}
    cats = {c["id"] for c in coco.get("categories", [])}
    problems: list = []
    hist: dict = {}
    per_image: dict = {}
    for k, ann in enumerate(coco.get("annotations", [])):
        aid = ann.get("id", k)
        iid = ann.get("image_id")
        where = {"image": iid, "annotation": aid}
        cid = ann.get("category_id")
        hist[cid] = hist.get(cid, 0) + 1
        if cid not in cats:
            problems.append(Problem("unknown_category", f"annotation {aid}: category_id {cid} is not in "
                                    f"categories", value=cid, **where))
        if iid not in images:
            problems.append(Problem("unknown_image", f"annotation {aid}: image_id {iid} is not in images",
                                    value=iid, **where))
            continue
        h, w = int(images[iid]["height"]), int(images[iid]["width"])
        seg = ann.get("segmentation")
        rle = None
        if isinstance(seg, list):
            polys = []
            for j, p in enumerate(seg):
                n = len(p) if hasattr(p, "__len__") else -1
                if n % 2:
                    problems.append(Problem("polygon_odd_length", f"annotation {aid}: polygon {j} has an odd "
                                            f"number of coordinates ({n})", count=n, **where))
                elif n < 6:
                    problems.append(Problem("polygon_too_few_points", f"annotation {aid}: polygon {j} has "
                                            f"{n // 2} points (< 3)", count=n // 2, **where))
                else:
                    polys.append(p)
            if polys:
                try:
                    rle = _coco.merge(_coco.frPyObjects(polys, h, w))
                except (TypeError, ValueError) as exc:
                    problems.append(Problem("bad_segmentation", f"annotation {aid}: {exc}", **where))
        elif isinstance(seg, dict):
            size = seg.get("size")
            if not (isinstance(size, (list, tuple)) and len(size) == 2 and [int(size[0]), int(size[1])] == [h, w]):
                problems.append(Problem("rle_size_mismatch", f"annotation {aid}: RLE size {size} but the image is "
                                        f"[{h}, {w}]", value=size, **where))
            else:
                try:
                    rle = RLE.from_coco(seg)
                except (TypeError, ValueError) as exc:
                    problems.append(Problem("rle_invalid", f"annotation {aid}: {exc}", **where))
        else:
            problems.append(Problem("bad_segmentation", f"annotation {aid}: segmentation is "
                                    f"{type(seg).__name__}, expected polygons or an RLE", **where))
        if rle is None:
            continue
        r = rle if isinstance(rle, RLE) else RLE.from_coco(rle)
        area = r.area
        if area == 0:
            problems.append(Problem("empty", f"annotation {aid}: the mask has no pixels", count=0, **where))
            continue
        sel = _rle.decode(r).astype(bool)
        _check_declared(ann, sel, area, problems, area_tol=area_tolerance, bbox_tol=bbox_tolerance, **where)
        if not allow_overlap and not ann.get("iscrowd", 0):
            per_image.setdefault(iid, []).append((aid, r))
    for iid, items in per_image.items():
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                both = items[i][1] & items[j][1]
                if both.area:
                    sel = _rle.decode(both).astype(bool)
                    problems.append(Problem("overlap", f"annotations {items[i][0]} and {items[j][0]} share "
                                            f"{both.area} pixels", bbox=_bbox(sel), count=both.area,
                                            value=[items[i][0], items[j][0]], image=iid))
    return Report(shape=(0, 0), problems=problems, histogram=hist)
