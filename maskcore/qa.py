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
import numbers
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence

import numpy as np

from . import _validate as _v
from . import rle as _rle
from .components import label
from .raster import rasterize_rle
from .rle import RLE, RLEBatch

if TYPE_CHECKING:
    from ._typing import ArrayLike, NDArray

__all__ = ["Problem", "Report", "BatchReport", "validate", "validate_batch", "validate_coco", "class_share_anomalies"]


@dataclass
class Problem:
    """One finding. ``bbox`` is ``(min_row, min_col, max_row_excl, max_col_excl)``."""

    kind: str
    message: str
    bbox: Optional[tuple[int, ...]] = None
    count: Optional[int] = None
    value: Any = None
    instance: Optional[int] = None
    image: Any = None
    annotation: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Report:
    """What :func:`validate` found: ``problems`` and the class pixel ``histogram``
    (value -> pixel count; RGB masks with a palette: palette index -> count)."""

    shape: tuple[int, ...]
    problems: list[Problem] = field(default_factory=list)
    histogram: dict[Any, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def kinds(self) -> set[str]:
        return {p.kind for p in self.problems}

    def of_kind(self, kind: str) -> list[Problem]:
        return [p for p in self.problems if p.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {"shape": list(self.shape), "ok": self.ok, "problems": [p.to_dict() for p in self.problems],
                "histogram": {str(k): int(v) for k, v in self.histogram.items()}}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)


@dataclass
class BatchReport:
    """:func:`validate_batch`: one :class:`Report` per image, the pooled histogram, and
    ``anomalies`` (``class_share_anomaly`` problems with ``image`` set)."""

    reports: list[Report]
    histogram: dict[Any, int]
    anomalies: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.anomalies and all(r.ok for r in self.reports)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reports": [r.to_dict() for r in self.reports],
                "histogram": {str(k): int(v) for k, v in self.histogram.items()},
                "anomalies": [p.to_dict() for p in self.anomalies]}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)


# ---- helpers ---------------------------------------------------------------------------------

def _components(image: np.ndarray, connectivity: int, background: Any = 0) -> tuple[NDArray[Any], int, NDArray[np.void]]:
    """Connected components (:func:`maskcore.label`, equal values join) of a bool mask or a label
    map: (labels 1..n in raster order, n, stats with ``area``, ``bbox`` and ``value`` per component)."""
    labels, n, stats = label(image, connectivity=connectivity, background=background, return_stats=True)
    return labels, n, stats


def _bbox(sel: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(sel.any(axis=1))
    cols = np.flatnonzero(sel.any(axis=0))
    if rows.size == 0:
        return (0, 0, 0, 0)
    return (int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def _window_minmax(x: np.ndarray, valid: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
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
                  edge_radius: int, show: Callable[[Any], Any] = lambda v: v) -> list[Problem]:
    """Problems for pixels whose key is not allowed. Those whose value lies between the
    values of two different allowed classes within ``edge_radius`` (per channel: inside
    the box of the allowed neighbours, and the neighbours differ) are blends, and so is
    every pixel of a connected group of bad pixels that is at least half blends (wide
    bands): one ``antialiased_edge`` problem; the rest are reported per value."""
    out: list[Problem] = []
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


def _histogram_from_components(stats: NDArray[np.void], size: int, background: Any) -> dict[Any, int]:
    """value -> pixels of a label map from its components (``background`` skipped by them: its
    count is what they leave), in increasing value order, as ``np.unique`` gives."""
    values, areas = stats["value"], stats["area"]
    hist: dict[Any, int] = {}
    if values.size and values.dtype.kind == "u" and values.dtype.itemsize <= 2:
        sums = np.bincount(values, weights=areas)  # float64: exact (areas sum to < 2**53 pixels)
        present = np.flatnonzero(sums)  # every component has an area >= 1
        hist = dict(zip(present.tolist(), sums[present].astype(np.int64).tolist()))
    elif values.size:
        order = np.argsort(values, kind="stable")
        values, areas = values[order], areas[order]
        first = np.empty(values.size, bool)  # where a run of one value starts (np.r_ costs 30 us a call)
        first[0] = True
        np.not_equal(values[1:], values[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        hist = dict(zip(values[starts].tolist(), np.add.reduceat(areas, starts).tolist()))
    rest = int(size) - int(areas.sum())
    if rest:
        hist[int(background)] = rest
        hist = dict(sorted(hist.items()))
    return hist


def _label_map_report(a: np.ndarray, conn: int, min_size: int, background: Any) -> tuple[list[Problem], dict[Any, int]]:
    """:func:`validate` of an integer (H, W) map ``a`` without ``labels=``, ``palette=`` or
    ``instances=`` and with ``min_size`` > 0 (arguments already checked): its problems and
    histogram. The components are needed anyway, so the histogram is their areas summed per
    value (every pixel but the background's is in one component) and the map is empty when there
    is none: the map is read once, by the kernel, with the GIL released. The dataset jobs call it
    per label map (the rest of validate's work per call is Python holding the GIL)."""
    problems: list[Problem] = []
    _, n, stats = _components(a, conn, background=background)
    histogram = _histogram_from_components(stats, a.size, background)
    if a.size == 0 or n == 0:
        problems.append(Problem("empty", "the mask has no foreground (only background)", count=0))
    for v, s, b in zip(stats["value"].tolist(), stats["area"].tolist(), stats["bbox"].tolist()):
        if s < min_size and v != -1:  # -1: validate's key of values outside labels= (none here)
            problems.append(Problem("small_component", f"a component of class {v} has {s} pixels "
                                    f"(< min_size = {min_size})", bbox=tuple(b), count=s, value=v))
    return problems, histogram


def _free_key(allowed: np.ndarray) -> int:
    """An int64 key that is not in ``allowed`` (sorted, unique): -1 when free, as before."""
    if -1 not in allowed:
        return -1
    lo = np.iinfo(np.int64).min
    if allowed[0] > lo:
        return lo
    gaps = np.flatnonzero(np.diff(allowed) > 1)  # allowed[0] == int64 min: a gap after some key
    return int(allowed[gaps[0]]) + 1 if gaps.size else int(allowed[-1]) + 1


def _key_of(value, dtype, key, default):
    """``background`` as a key, or ``default`` when the map's dtype cannot hold it."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        info = np.iinfo(dtype)
        if info.min <= int(value) <= info.max:
            return int(key(np.array(int(value), dtype)))
    return default


def _rgb_key(rgb: np.ndarray) -> np.ndarray:
    a = rgb.astype(np.uint32)
    return a[..., 0] | (a[..., 1] << 8) | (a[..., 2] << 16)


def _show_rgb(key: int) -> list[int]:
    return [key & 255, (key >> 8) & 255, (key >> 16) & 255]


def _instance_masks(instances: Any, shape: tuple[int, ...]) -> tuple[list[tuple[int, NDArray[np.bool_]]], bool]:
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


def _box_rc(box: Any) -> tuple[int, int, int, int]:
    """COCO [x, y, w, h] -> (min_row, min_col, max_row_exclusive, max_col_exclusive)."""
    x, y, w, h = (int(v) for v in box)
    return (y, x, y + h, x + w)


def _coco_box(sel: np.ndarray) -> list[int]:
    r0, c0, r1, c1 = _bbox(sel)
    return [c0, r0, c1 - c0, r1 - r0]


def _check_declared(ann: dict[str, Any], sel: Any, area: int, problems: list[Problem], *, area_tol: float,
                    bbox_tol: float, name: str, **where: Any) -> None:
    """Declared COCO ``area`` / ``bbox`` against the mask. Polygon areas and boxes are
    real-valued and the rasterized mask differs from them by about a pixel per edge
    (more for thin parts), so: area within ``area_tol`` (relative) + a quarter of the
    mask box's perimeter (half a pixel per boundary pixel, roughly), box edges within
    ``bbox_tol`` pixels + 10 % of the box's larger side. With these defaults the
    COCO instances files in ../shared/data report nothing (a 4 x 28 pixel object
    has polygon area 106.6 and 91 pixels). Crowd annotations' areas are not checked
    (COCO computed them otherwise). ``sel`` is the dense mask or, from the runs, its
    COCO box [x, y, w, h] (a tuple); ``name`` names the annotation in messages."""
    box = tuple(int(v) for v in sel) if isinstance(sel, tuple) else None
    if "area" in ann and ann["area"] is not None and not ann.get("iscrowd", 0):
        dec = _v.json_number(ann["area"], f"{name}['area']")
        _, _, mw, mh = box or _coco_box(sel)
        if abs(dec - area) > area_tol * area + (mw + mh) / 2:
            problems.append(Problem("area_mismatch", f"declared area {dec:g} but the mask has {area} pixels",
                                    bbox=_box_rc(box or _coco_box(sel)) if area else None, count=area, value=dec,
                                    **where))
    if "bbox" in ann and ann["bbox"] is not None:
        x, y, w, h = _v.json_box(ann["bbox"], f"{name}['bbox']")
        if not area:
            return
        mx, my, mw, mh = box or _coco_box(sel)
        err = max(abs(x - mx), abs(y - my), abs((x + w) - (mx + mw)), abs((y + h) - (my + mh)))
        if err > bbox_tol + 0.1 * max(w, h, mw, mh):
            problems.append(Problem("bbox_mismatch", f"declared bbox [x, y, w, h] = {[x, y, w, h]} but the "
                                    f"mask's is {[mx, my, mw, mh]}", bbox=_box_rc((mx, my, mw, mh)), count=area,
                                    value=[x, y, w, h], **where))


# ---- validate --------------------------------------------------------------------------------

def validate(mask: ArrayLike, *, labels: Iterable[int] | None = None, palette: ArrayLike | dict[Any, Any] | None = None,
             instances: Any = None, annotations: Iterable[dict[str, Any]] | None = None, min_size: int = 0,
             connectivity: int = 8, background: int | Sequence[int] = 0, allow_overlap: bool = False,
             edge_radius: int = 2, area_tolerance: float = 0.1, bbox_tolerance: float = 2.0) -> Report:
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
    min_size = _v.non_negative(min_size, "min_size")
    edge_radius = _v.non_negative(edge_radius, "edge_radius")
    area_tolerance = _v.finite_real(area_tolerance, "area_tolerance", low=0)
    bbox_tolerance = _v.finite_real(bbox_tolerance, "bbox_tolerance", low=0)
    a = np.asarray(mask)
    problems: list[Problem] = []
    stray, shown = -1, None  # label maps with labels=: the key of values not allowed, key -> value
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
        if labels is None and min_size > 0 and instances is None and annotations is None:
            problems, histogram = _label_map_report(a, conn, min_size, bg)
            return Report(shape=tuple(int(s) for s in a.shape[:2]), problems=problems, histogram=histogram)
        if a.dtype.kind == "u" and a.dtype.itemsize <= 2:  # a count per possible value: no sort
            counts = np.bincount(a.ravel(), minlength=1)
            vals = np.flatnonzero(counts)
            counts = counts[vals]
        else:
            vals, counts = np.unique(a, return_counts=True)
        histogram = {int(v): int(c) for v, c in zip(vals.tolist(), counts.tolist())}
        if labels is not None:
            allowed_in = _v.int_values(labels, "labels")
            # Keys: the values as int64, order kept; uint64 maps through v ^ 2**63 (the
            # values >= 2**63 would wrap to negatives), and `show` maps keys back.
            if a.dtype == np.uint64:
                def key(x):
                    return (np.asarray(x, np.uint64) ^ np.uint64(2**63)).view(np.int64)

                def show(k):
                    return int(k) + 2**63
                allowed_in = [v for v in allowed_in if 0 <= v < 2**64]
            else:
                def key(x):
                    return np.asarray(x, np.int64)
                show = int
                allowed_in = [v for v in allowed_in if -2**63 <= v < 2**63]
            allowed = np.unique(key(np.array(allowed_in, np.uint64 if a.dtype == np.uint64 else np.int64)))
            wide = key(a)
            problems += _stray_values(wide, wide[..., None], allowed, "value", "unknown_label", edge_radius, show)
            # components: allowed classes only; the others get a key that is not allowed
            stray = _free_key(allowed)
            label_map = np.where(np.isin(wide, allowed), wide, stray)
            bg = _key_of(bg, a.dtype, key, stray)
            shown = show
    else:
        raise ValueError(f"mask: expected (H, W) or (H, W, 3), got shape {a.shape}")
    shape = a.shape[:2]
    if a.size == 0 or not (label_map != bg).any():
        problems.append(Problem("empty", "the mask has no foreground (only background)", count=0))
    if min_size > 0:
        _, _, stats = _components(label_map, conn, background=bg)
        for v, s, b in zip(stats["value"].tolist(), stats["area"].tolist(), stats["bbox"].tolist()):
            if s < min_size and v != stray:  # values outside the allowed labels, reported above
                shown_v: Any = _show_rgb(int(pal_keys[v])) if a.ndim == 3 else (shown(v) if shown else v)
                problems.append(Problem("small_component", f"a component of class {shown_v} has {s} pixels "
                                        f"(< min_size = {min_size})", bbox=tuple(b), count=s, value=shown_v))
    if annotations is not None and instances is None:
        raise ValueError("annotations: given without instances (they declare the instances' area and bbox)")
    if instances is not None:
        inst, is_map = _instance_masks(instances, shape)
        by_id, ann_names = {}, {}
        if annotations is not None:
            if isinstance(annotations, (str, bytes, dict)) or not hasattr(annotations, "__iter__"):
                raise TypeError(f"annotations: expected a list of dicts, got {type(annotations).__name__}")
            anns = list(annotations)
            for k, x in enumerate(anns):
                if not isinstance(x, dict):
                    raise TypeError(f"annotations[{k}]: expected a dict, got {type(x).__name__} {_v._describe(x)}")
            if is_map:
                for k, x in enumerate(anns):
                    if "id" not in x:
                        raise ValueError(f"annotations[{k}]: 'id' is missing (an id map matches annotations by id)")
                    i = _v.integer(x["id"], f"annotations[{k}]['id']")
                    by_id[i], ann_names[i] = x, f"annotations[{k}]"
            else:
                if len(anns) != len(inst):
                    raise ValueError(f"annotations: expected {len(inst)} (one per instance), got {len(anns)}")
                by_id = dict(enumerate(anns))
                ann_names = {k: f"annotations[{k}]" for k in range(len(anns))}
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
                                bbox_tol=bbox_tolerance, name=ann_names[iid], instance=iid)
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


def validate_batch(masks: Iterable[ArrayLike], *, z: float = 3.0, min_share_delta: float = 0.25, **kwargs: Any) -> BatchReport:
    """:func:`validate` on each mask, plus class-share anomalies across the batch.

    A class's share in an image is its pixel count over the image's pixels. It is an
    anomaly when it differs from the batch mean share of that class by more than
    ``z`` standard deviations (of the other images) and by more than
    ``min_share_delta`` (absolute), e.g. a class that covers half of one image but
    2 % of every other.

    Parameters
    ----------
    masks : iterable of ndarray
        Label maps (each as :func:`validate` takes it).
    z : float, default 3.0
        How many standard deviations of the other images' shares make an anomaly.
    min_share_delta : float, default 0.25
        The least absolute share difference that counts (small classes vary a lot).
    **kwargs
        Passed to :func:`validate` for every mask (``labels=``, ``min_size=``, ...).

    Returns
    -------
    BatchReport
        The per-image reports, the pooled class histogram and the anomalies (needs at
        least 3 images).
    """
    reports = [validate(m, **kwargs) for m in masks]
    pooled: dict[Any, int] = {}
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
    # one flat pass over the (image, class) pairs, then whole-matrix arithmetic: the same
    # elementwise operations, in the same order, as one image at a time (the same bits)
    rows = [i for i, h in enumerate(hists) for _ in range(len(h))]
    cols = [col[k] for h in hists for k in h]
    vals = [c for h in hists for c in h.values()]
    counts = np.zeros((n, len(keys)))
    counts[np.array(rows, np.intp), np.array(cols, np.intp)] = np.array(vals, np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    shares = counts / np.where(totals > 0, totals, 1)
    s1, s2 = shares.sum(axis=0), (shares * shares).sum(axis=0)
    mean = (s1 - shares) / (n - 1)
    var = np.maximum((s2 - shares * shares) / (n - 1) - mean * mean, 0.0)
    std = np.sqrt(var)
    dev = np.abs(shares - mean)
    for i, j in zip(*(x.tolist() for x in np.nonzero((dev > min_share_delta) & (dev > z * std)))):
        k = keys[j]
        who = i if names is None else names[i]
        out.append(Problem("class_share_anomaly",
                           f"class {k} covers {shares[i, j]:.1%} of image {who} but "
                           f"{mean[i, j]:.1%} +- {std[i, j]:.1%} of the others",
                           value=k if not isinstance(k, tuple) else list(k), image=i,
                           count=int(counts[i, j])))
    return out


# ---- COCO ------------------------------------------------------------------------------------

def validate_coco(coco: dict[str, Any], *, allow_overlap: bool = True, area_tolerance: float = 0.1,
                  bbox_tolerance: float = 2.0) -> Report:
    """Check a COCO instances dict (as ``json.load`` gives it).

    Checks each annotation: ``image_id`` and ``category_id`` exist; polygons have
    at least 3 points and an even number of coordinates; RLE ``size`` equals the
    image's ``[height, width]`` and its counts are valid; the mask is not empty; the
    declared ``bbox`` and ``area`` agree with the mask (tolerances as in
    :func:`validate`); with ``allow_overlap=False``, non-crowd annotations of one
    image do not overlap. Masks are pycocotools' rasterization
    (``maskcore.rasterize_rle(..., rule="coco")``, equal to ``frPyObjects`` + ``merge``).

    Work and memory follow the annotations, not the images' declared sizes: masks stay
    runs (an RLE of a polygon holds runs only in the columns it spans), areas and
    boxes come from the runs, and overlaps are looked for only between annotations
    whose boxes meet (the IoU kernel prunes by box), then intersected on the runs.

    Parameters
    ----------
    coco : dict
        The document: ``images`` (dicts with ``id``, ``height``, ``width``),
        ``categories`` (dicts with ``id``) and ``annotations`` (dicts), each a list
        (missing: empty).
    allow_overlap : bool, default True
    area_tolerance, bbox_tolerance : float
        As in :func:`validate`.

    Returns
    -------
    Report
        ``shape`` is ``(0, 0)``; ``histogram`` counts annotations per category id.
        Problems carry ``image`` and ``annotation`` ids.

    Raises
    ------
    TypeError, ValueError
        When the document is not a COCO instances file: a field of the wrong type
        (a top-level list, ``images`` not a list, an annotation that is not a dict, an
        id that is not an int or str, a non-numeric or non-finite ``height``,
        ``width``, ``area`` or ``bbox``, an RLE ``size`` that is not two ints), a
        missing required field (an image's ``id``, ``height`` or ``width``, a
        category's ``id``), a ``bbox`` that is not 4 numbers, or an image side
        beyond 2**31 - 1. The message names the field (``images[3]['height']``)
        and the value. ``maskcore check-coco`` prints it as one line, exit code 2.
    """
    if not isinstance(coco, dict):
        raise TypeError(f"coco: expected a dict (a COCO instances document), got {type(coco).__name__}")
    area_tolerance = _v.finite_real(area_tolerance, "area_tolerance", low=0)
    bbox_tolerance = _v.finite_real(bbox_tolerance, "bbox_tolerance", low=0)
    images: dict = {}
    for k, im in enumerate(_coco_list(coco, "images")):
        name = f"images[{k}]"
        iid = _coco_id(_coco_field(im, "id", name), f"{name}['id']")
        h = _v.json_size(_coco_field(im, "height", name), f"{name}['height']")
        w = _v.json_size(_coco_field(im, "width", name), f"{name}['width']")
        if h * w > 2**63 - 1:
            raise ValueError(f"{name}: {h} x {w} pixels do not fit in int64")
        images[iid] = (h, w)
    cats = {_coco_id(_coco_field(c, "id", f"categories[{k}]"), f"categories[{k}]['id']")
            for k, c in enumerate(_coco_list(coco, "categories"))}
    problems: list[Problem] = []
    hist: dict[Any, int] = {}
    per_image: dict[Any, list[Any]] = {}
    for k, ann in enumerate(_coco_list(coco, "annotations")):
        name = f"annotations[{k}]"
        if not isinstance(ann, dict):
            raise TypeError(f"{name}: expected a dict, got {type(ann).__name__} {_v._describe(ann)}")
        aid = _coco_id(ann["id"], f"{name}['id']") if "id" in ann else k
        iid = _coco_id(ann.get("image_id"), f"{name}['image_id']", none=True)
        cid = _coco_id(ann.get("category_id"), f"{name}['category_id']", none=True)
        where = {"image": iid, "annotation": aid}
        hist[cid] = hist.get(cid, 0) + 1
        if cid not in cats:
            problems.append(Problem("unknown_category", f"annotation {aid}: category_id {cid} is not in "
                                    f"categories", value=cid, **where))
        if iid not in images:
            problems.append(Problem("unknown_image", f"annotation {aid}: image_id {iid} is not in images",
                                    value=iid, **where))
            continue
        h, w = images[iid]
        seg = ann.get("segmentation")
        r = None
        if isinstance(seg, list):
            polys = []
            for j, p in enumerate(seg):
                n = len(p) if isinstance(p, (list, tuple)) else -1
                if n < 0:
                    problems.append(Problem("bad_segmentation", f"annotation {aid}: polygon {j} is "
                                            f"{type(p).__name__}, expected a list of numbers", **where))
                elif n % 2:
                    problems.append(Problem("polygon_odd_length", f"annotation {aid}: polygon {j} has an odd "
                                            f"number of coordinates ({n})", count=n, **where))
                elif n < 6:
                    problems.append(Problem("polygon_too_few_points", f"annotation {aid}: polygon {j} has "
                                            f"{n // 2} points (< 3)", count=n // 2, **where))
                else:
                    polys.append(p)
            if polys:
                try:
                    r = rasterize_rle(polys, h, w, rule="coco")
                except (TypeError, ValueError, OverflowError) as exc:
                    problems.append(Problem("bad_segmentation", f"annotation {aid}: {exc}", **where))
        elif isinstance(seg, dict):
            size = seg.get("size")
            if not isinstance(size, (list, tuple)) or len(size) != 2:
                raise TypeError(f"{name}['segmentation']['size']: expected [height, width], got "
                                f"{type(size).__name__} {_v._describe(size)}")
            sh = _v.json_size(size[0], f"{name}['segmentation']['size'][0]", limit=2**63 - 1)
            sw = _v.json_size(size[1], f"{name}['segmentation']['size'][1]", limit=2**63 - 1)
            if (sh, sw) != (h, w):
                problems.append(Problem("rle_size_mismatch", f"annotation {aid}: RLE size {[sh, sw]} but the image "
                                        f"is [{h}, {w}]", value=[sh, sw], **where))
            else:
                try:
                    r = RLE.from_coco(seg)
                except (TypeError, ValueError, OverflowError) as exc:
                    problems.append(Problem("rle_invalid", f"annotation {aid}: {exc}", **where))
        else:
            problems.append(Problem("bad_segmentation", f"annotation {aid}: segmentation is "
                                    f"{type(seg).__name__}, expected polygons or an RLE", **where))
        if r is None:
            continue
        area = r.area
        if area == 0:
            problems.append(Problem("empty", f"annotation {aid}: the mask has no pixels", count=0, **where))
            continue
        box = tuple(int(v) for v in r.bbox)  # COCO [x, y, w, h], from the runs
        _check_declared(ann, box, area, problems, area_tol=area_tolerance, bbox_tol=bbox_tolerance, name=name,
                        **where)
        if not allow_overlap and not ann.get("iscrowd", 0):
            per_image.setdefault(iid, []).append((aid, r))
    for iid, items in per_image.items():
        problems += _overlaps(iid, items)
    return Report(shape=(0, 0), problems=problems, histogram=hist)


_OVERLAP_BLOCK = 512  # rows of the IoU matrix at a time: 512 x n float64 (12 MB at n = 3,000)


def _overlaps(iid, items: list) -> list:
    """``overlap`` problems between the RLEs of one image: pairs whose IoU is > 0 (the
    kernel skips pairs whose boxes do not meet), intersected on the runs."""
    out: list = []
    if len(items) < 2:
        return out
    batch = RLEBatch.from_list([r for _, r in items])
    for i0 in range(0, len(items), _OVERLAP_BLOCK):
        block = RLEBatch.from_list([r for _, r in items[i0:i0 + _OVERLAP_BLOCK]])
        m = _rle._iou(block, batch, threads=1 if len(items) < 64 else None)
        rows, cols = np.nonzero(m > 0)
        pairs = [(a, b) for a, b in zip((rows + i0).tolist(), cols.tolist()) if b > a]
        if not pairs:
            continue
        both = [items[a][1] & items[b][1] for a, b in pairs]
        areas, boxes = _rle.area(both).tolist(), _rle.bbox(both).tolist()  # one call each
        for (a, b), n, box in zip(pairs, areas, boxes):
            out.append(Problem("overlap", f"annotations {items[a][0]} and {items[b][0]} share {n} pixels",
                               bbox=_box_rc(box), count=n, value=[items[a][0], items[b][0]], image=iid))
    return out


def _coco_list(coco: dict, key: str) -> list:
    v = coco.get(key, [])
    if v is None:
        return []
    if not isinstance(v, list):
        raise TypeError(f"coco['{key}']: expected a list, got {type(v).__name__} {_v._describe(v)}")
    return v


def _coco_field(obj, key: str, name: str):
    if not isinstance(obj, dict):
        raise TypeError(f"{name}: expected a dict, got {type(obj).__name__} {_v._describe(obj)}")
    if key not in obj:
        raise ValueError(f"{name}: '{key}' is missing")
    return obj[key]


def _coco_id(value, name: str, *, none: bool = False):
    """A COCO id: an int (not bool) or a str; None too when ``none`` (a missing reference)."""
    if (value is None and none) or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int or str id, got {type(value).__name__} {_v._describe(value)}")
    return int(value)
