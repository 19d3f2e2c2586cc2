"""The dataset jobs. Each is: open the source(s) in the driver (cheap listing), one pure function
per item run as a Dask graph of shard tasks (:func:`maskcore.jobs._run.run_items`), and a reduce
in the driver in item order (so results are the same bytes for every scheduler)."""
from __future__ import annotations

import base64
import functools
import json
import math
from dataclasses import dataclass, field
import os
from pathlib import Path
from typing import Any, Iterable, Optional, Union

import numpy as np

from . import _draw
from ._files import atomic_write_text, staged_output, complete, encode_png, read_image, write_png
from ._run import FailFast, ItemError, ItemFailure, JobError, kernel_threads, run_items
from ._sources import Item, Source, SourceError, canonical, image_path, load, open_source

PathLike = Union[str, "os.PathLike[str]"]
Json = dict[str, Any]
Labels = Optional[Iterable[int]]
Names = Optional[dict[Any, Any]]

__all__ = ["JobResult", "convert", "validate", "evaluate", "compare", "render", "stats", "superpixels"]


@dataclass
class JobResult:
    """What a job did. ``errors``: items that could not be handled (:class:`ItemError`);
    ``problems``: findings about the data (validate); ``summary``: the job's figures;
    ``outputs``: files written; ``skipped``: outputs already complete (``resume``).
    ``exit_code``: 0 clean, 1 problems found or items failed (2 is for the command line's
    usage errors and unreadable inputs, raised as exceptions here)."""

    job: str
    source: str
    items: int
    errors: list[ItemError] = field(default_factory=list)
    problems: list[Json] = field(default_factory=list)
    summary: Json = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    skipped: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> Json:
        return {"job": self.job, "source": self.source, "items": self.items, "ok": self.ok,
                "failed": len(self.errors), "errors": [e.to_dict() for e in self.errors],
                "problems": self.problems, "summary": self.summary, "outputs": self.outputs,
                "skipped": self.skipped}

    def to_json(self, **kw: Any) -> str:
        kw.setdefault("indent", 1)
        d = self.to_dict()
        try:  # most results hold no NaN and no numpy keys: encoded as they are (numpy scalars by _scalar)
            return json.dumps(d, allow_nan=False, default=_scalar, **kw)
        except (ValueError, TypeError):  # a NaN / inf (-> null) or a key json refuses: cleaned first
            return json.dumps(_clean(d), allow_nan=False, **kw)


def _scalar(x: Any) -> Any:
    """json.dumps' default=: numpy scalars as Python numbers (NaN still raises: allow_nan=False)."""
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"{type(x).__name__} is not JSON serializable")


def _clean(x: Any) -> Any:
    """JSON-ready: NaN / inf -> None, numpy scalars -> Python, tuples -> lists, keys -> str."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _split(results: list[Any]) -> tuple[list[Any], list[ItemError]]:
    ok: list[Any] = []
    errs: list[ItemError] = []
    for r in results:
        (errs if isinstance(r, ItemError) else ok).append(r)
    return ok, errs


def _resumed(job: str, json_path: Optional[PathLike], *others: Optional[PathLike]) -> Optional[JobResult]:
    """``resume``: the result read back from ``json_path`` when it and every other output given
    (not None) are complete, else None."""
    outs = [p for p in (json_path, *others) if p is not None]
    if json_path is None or not all(complete(p) for p in outs):
        return None
    with open(json_path, encoding="utf-8") as f:
        d = json.load(f)
    return JobResult(job, d["source"], d["items"], [ItemError(**e) for e in d["errors"]], d["problems"], d["summary"],
                     d["outputs"], skipped=len(outs))


def _publish(res: JobResult, json_path: Optional[PathLike]) -> JobResult:
    """Write the result to ``json_path`` (when given; atomically), listed among its outputs."""
    if json_path is not None:
        res.outputs.append(str(json_path))
        atomic_write_text(json_path, res.to_json())
    return res


def _common(scheduler: Any, workers: Optional[int], shard_size: int, fail_fast: bool, progress: bool) -> Json:
    return dict(scheduler=scheduler, workers=workers, shard_size=shard_size, fail_fast=fail_fast, progress=progress)


def _rc_to_xywh(b: Any) -> Optional[list[int]]:
    if b is None:
        return None
    r0, c0, r1, c1 = (int(v) for v in b)
    return [c0, r0, c1 - c0, r1 - r0]


def _problem_dict(p: Any, image: Any, annotation: Any = None) -> Json:
    d: Json = {"image": image, "kind": p.kind, "message": p.message}
    if p.bbox is not None:
        d["bbox_xywh"] = _rc_to_xywh(p.bbox)
    if p.count is not None:
        d["count"] = int(p.count)
    if p.value is not None:
        d["value"] = p.value
    ann = annotation if annotation is not None else p.annotation
    if ann is not None:
        d["annotation"] = ann
    return d


# ---- validate ---------------------------------------------------------------------------------------

SEVERITY = {  # the report's order of the worst problems (higher first); unknown kinds rank 1
    "unknown_label": 5, "off_palette": 5, "rle_invalid": 5, "rle_size_mismatch": 5, "bad_segmentation": 5,
    "unknown_category": 5, "unknown_image": 5, "bad_image": 5, "duplicate_image": 5,
    "antialiased_edge": 4, "overlap": 4, "area_mismatch": 3, "bbox_mismatch": 3, "empty": 3,
    "polygon_odd_length": 4, "polygon_too_few_points": 4,
    "split_instance": 2, "small_component": 2, "class_share_anomaly": 2,
}


@functools.lru_cache(maxsize=8)
def _allowed_table(labels: tuple[int, ...]) -> np.ndarray:
    """A lookup table value -> allowed, for the values of 8- and 16-bit label maps."""
    table = np.zeros(1 << 16, bool)
    table[[v for v in labels if 0 <= v < 1 << 16]] = True
    return table


@functools.lru_cache(maxsize=8)
def _allows_every(labels: tuple[int, ...], itemsize: int) -> bool:
    """``labels`` holds every value of an unsigned map of ``itemsize`` bytes (1 or 2)."""
    return bool(_allowed_table(labels)[:1 << (8 * itemsize)].all())


def _only_allowed(label_map: np.ndarray, labels: Optional[list[int]]) -> bool:
    """Every value of a uint8 / uint16 map is in ``labels``: then qa.validate's per-pixel pass
    over the values not allowed (its ``labels=``) finds nothing, and the job skips it. That pass
    (the labels checked as ints, the map widened to int64, two ``np.isin``) was half the per-image
    time of a clean dataset, most of it Python holding the GIL."""
    if labels is None or label_map.dtype.kind != "u" or label_map.dtype.itemsize > 2 or label_map.size == 0:
        return False
    table = _allowed_table(tuple(labels))
    if _allows_every(tuple(labels), label_map.dtype.itemsize):  # e.g. labels 0..255 and a uint8 map: no pass
        return True
    if table[int(label_map.min()):int(label_map.max()) + 1].all():  # every value in the map's range is allowed
        return True
    present = np.flatnonzero(np.bincount(label_map.ravel(), minlength=1))
    return bool(table[present].all())


def _validate_item(item: Item, opts: Json) -> Json:
    from .. import qa

    s = load(item)
    probs: list[Json] = []
    bg = opts["background"]
    if s.source_kind == "labels":
        assert s.label_map is not None
        labels, lm = opts["labels"], s.label_map
        lean = opts["lean"] if "lean" in opts else _lean(opts["min_island"], opts["connectivity"])
        if lean and lm.ndim == 2 and lm.dtype.kind in "iu" and _only_allowed(lm, labels):
            # what qa.validate(lm, min_size=..., connectivity=..., background=...) does for such a
            # map, without re-checking the job's arguments per image (the driver checked them)
            found, histogram = qa._label_map_report(lm, lean, opts["min_island"], bg)
        else:
            rep = qa.validate(lm, labels=None if _only_allowed(lm, labels) else labels,
                              min_size=opts["min_island"], connectivity=opts["connectivity"], background=bg)
            found, histogram = rep.problems, rep.histogram
        probs = [_problem_dict(p, s.name) for p in found]
        hist = {int(k): int(v) for k, v in histogram.items()}
        return {"name": s.name, "shape": [s.height, s.width], "segments": len(hist) - (bg in hist),
                "histogram": hist, "problems": probs}
    cm = s.class_map(bg)
    # Split-instance checks only where one part was declared: a non-crowd segment of a single
    # polygon or an RLE (several polygons are parts the annotator drew apart on purpose).
    anns = s.annotations or []
    elig = []
    for k in range(len(s.masks)):
        seg = anns[k].get("segmentation") if k < len(anns) and isinstance(anns[k], dict) else None
        if s.iscrowd[k] or (isinstance(seg, list) and len(seg) > 1):
            continue
        elig.append(k)
    labels = None
    if s.source_kind != "coco" and opts["category_ids"]:
        labels = sorted(set(opts["category_ids"]) | {bg})
    declared = None
    if s.source_kind == "coco-panoptic":
        declared = [anns[k] if isinstance(anns[k], dict) else {} for k in elig]
    rep = qa.validate(cm, labels=labels, instances=[s.masks[k] for k in elig], annotations=declared,
                      min_size=opts["min_island"], connectivity=opts["connectivity"], background=bg,
                      allow_overlap=opts["allow_overlap"])
    seen = set()
    for p in rep.problems:
        ann = s.ids[elig[p.instance]] if p.instance is not None else None
        if p.kind == "overlap" and isinstance(p.value, list):
            p.value = [s.ids[elig[int(v)]] for v in p.value]
            p.message = f"segments {p.value[0]} and {p.value[1]} share {p.count} pixels"
        elif ann is not None:
            p.message = p.message.replace(f"instance {p.instance} ", f"segment {ann} ")
        if p.kind == "empty" and ann is None and not s.masks:
            p.message = "the image has no segments"
        probs.append(_problem_dict(p, s.name, ann))
        seen.add((p.kind, ann))
    if s.source_kind == "coco":
        mini = {"images": [item.payload["image"]], "annotations": anns, "categories": opts["categories"]}
        structural = []
        for p in qa.validate_coco(mini, allow_overlap=True).problems:
            if (p.kind, p.annotation) not in seen:
                structural.append(_problem_dict(p, s.name))
        # a segmentation that does not parse loads as an empty mask: its "empty" is that problem again
        bad = {p.get("annotation") for p in structural if p["kind"] in ("polygon_odd_length", "polygon_too_few_points",
                                                                         "bad_segmentation", "rle_invalid",
                                                                         "rle_size_mismatch")}
        probs = [p for p in probs if not (p["kind"] == "empty" and p.get("annotation") in bad)] + structural
    vals, counts = np.unique(cm, return_counts=True)
    hist = {int(v): int(c) for v, c in zip(vals.tolist(), counts.tolist())}
    return {"name": s.name, "shape": [s.height, s.width], "segments": len(s.masks), "histogram": hist,
            "problems": probs}


def _lean(min_island: Any, connectivity: Any) -> int:
    """The connectivity (4 or 8) for :func:`maskcore.qa._label_map_report` on the label maps of a
    validate job, when its arguments pass qa.validate's checks and ask for components; else 0
    (every image goes through qa.validate, which reports the bad argument per image as before)."""
    from .. import _validate as _v

    try:
        if _v.non_negative(min_island, "min_size") > 0:
            return int(_v.connectivity(connectivity, 2))
    except (TypeError, ValueError):
        pass
    return 0


def _rank(problems: list[Json]) -> list[int]:
    return sorted(range(len(problems)), key=lambda k: (-SEVERITY.get(problems[k]["kind"], 1),
                                                       -int(problems[k].get("count") or 0), k))


def validate(src: PathLike, *, format: Optional[str] = None, labels: Labels = None, names: Names = None,
             min_island: int = 0, connectivity: int = 8, background: int = 0, allow_overlap: bool = True,
             z: float = 3.0, min_share_delta: float = 0.25, share_anomalies: Optional[bool] = None,
             report: Optional[PathLike] = None, json_path: Optional[PathLike] = None,
             images: Optional[PathLike] = None, masks: Optional[PathLike] = None, thumbnails: int = 12,
             scheduler: Any = None, workers: Optional[int] = None, shard_size: int = 16, fail_fast: bool = False,
             progress: bool = False, resume: bool = False, title: Optional[str] = None) -> JobResult:
    """Check every image of a dataset with :func:`maskcore.validate` / :func:`maskcore.validate_coco`.

    Parameters
    ----------
    src : path
        A COCO instances or panoptic JSON, a folder of label PNGs (``format="labels"``), or any
        :func:`maskcore.io.read` format.
    labels : iterable of int, optional
        Allowed class values (label maps): others are ``unknown_label`` (or ``antialiased_edge``
        when they lie between two allowed classes). Panoptic sources use their categories.
    min_island : int, default 0
        Connected components (per class, and per instance) under this many pixels are reported
        as ``small_component``. 0 disables it.
    allow_overlap : bool, default True
        False: overlapping instances of one image are reported.
    z, min_share_delta : float
        Class-share anomalies across images (:func:`maskcore.qa.class_share_anomalies`; a
        class's share of the image's pixels, background included).
    share_anomalies : bool, optional
        Look for them; default: for label maps and panoptic sources (every image holds most
        classes), not for COCO instances (most classes are in a few images, so a share far from
        the others' is the rule there, not a defect).
    report : path, optional
        Write the self-contained HTML report there (``images``: the photos' folder, for the
        thumbnails; without it the thumbnails show the classes over grey).
    json_path : path, optional
        Write :meth:`JobResult.to_json` there.
    thumbnails : int, default 12
        How many of the worst problems get a cropped picture in the report.
    scheduler, workers, shard_size, fail_fast, progress
        See :mod:`maskcore.jobs`.
    resume : bool
        When every requested output already exists, read the result back from ``json_path``
        instead of running (needs ``json_path``).

    Returns
    -------
    JobResult
        ``problems`` (dicts: image, kind, message, bbox_xywh, count, value, annotation), worst
        first; ``summary``: images, segments, problems per kind, the pooled class histogram
        (class -> pixels) and per-image rows.
    """
    from .. import qa

    done = _resumed("validate", json_path, report) if resume else None
    if done is not None:
        return done
    source = open_source(src, format, masks=masks, labels=labels, names=names)
    cats = source.categories
    opts = {"labels": None if labels is None else sorted(int(v) for v in labels), "min_island": int(min_island),
            "connectivity": connectivity, "background": background, "allow_overlap": bool(allow_overlap),
            "category_ids": [int(c["id"]) for c in cats], "categories": cats, "lean": _lean(min_island, connectivity)}
    results = run_items(source.items, functools.partial(_validate_item, opts=opts), desc="validate",
                        **_common(scheduler, workers, shard_size, fail_fast, progress))
    rows, errors = _split(results)
    problems = [dict(p, image=str(source.path)) if "image" not in p else dict(p) for p in source.problems]
    for r in rows:
        problems += r["problems"]
    look = source.kind in ("labels", "coco-panoptic") if share_anomalies is None else bool(share_anomalies)
    if look:
        for p in qa.class_share_anomalies([r["histogram"] for r in rows], z=z, min_share_delta=min_share_delta,
                                          names=[r["name"] for r in rows]):
            if p.value != background:
                problems.append(_problem_dict(p, rows[p.image]["name"]))
    order = _rank(problems)
    problems = [problems[k] for k in order]
    pooled: dict[int, int] = {}
    for r in rows:
        for k, v in r["histogram"].items():
            pooled[k] = pooled.get(k, 0) + v
    kinds: dict[str, int] = {}
    for p in problems:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    names = source.category_names()
    summary = {
        "format": source.kind, "images": len(source.items), "images_checked": len(rows),
        "images_failed": len(errors), "segments": int(sum(r["segments"] for r in rows)),
        "problems": len(problems), "problems_by_kind": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        "images_with_problems": len({p["image"] for p in problems}),
        "histogram": {int(k): int(v) for k, v in sorted(pooled.items())},
        "class_names": {int(k): names.get(int(k), "background" if k == background else str(k))
                        for k in sorted(pooled)},
        "per_image": [{"image": r["name"], "shape": r["shape"], "segments": r["segments"],
                       "problems": len(r["problems"])} for r in rows],
    }
    res = JobResult("validate", str(src), len(source.items), errors, problems, summary)
    if report is not None:
        from ._report import html_report

        worst = _thumbs(source, problems, images, cats, thumbnails, background,
                        **_common(scheduler, workers, shard_size, False, False))
        res.outputs.append(str(report))
        atomic_write_text(report, html_report(res, worst, cats, title=title))
    return _publish(res, json_path)


def _thumb_item(job: tuple[Item, Json], cats_by_id: dict[int, Any], images_dir: Optional[PathLike],
                background: int) -> str:
    item, problem = job
    s = load(item)
    cm = s.class_map(background)
    inst = s.instance_map() if s.masks else None
    photo = None
    if images_dir is not None:
        pth = image_path(images_dir, s)
        if pth is not None:
            photo = read_image(pth)
            if photo.shape[:2] != cm.shape:
                photo = None
    box = problem.get("bbox_xywh")
    if box is None or box[2] == 0 or box[3] == 0:
        r0, r1, c0, c1 = 0, cm.shape[0], 0, cm.shape[1]
        mark = None
    else:
        r0, r1, c0, c1 = _draw.crop_box(cm.shape, box)
        mark = (box[0] - c0, box[1] - r0, box[2], box[3])
    crop = _draw.overlay(None if photo is None else photo[r0:r1, c0:c1], cm[r0:r1, c0:c1],
                         None if inst is None else inst[r0:r1, c0:c1], cats_by_id, background=background)
    side = 180
    scale = side / max(crop.shape[:2]) if crop.size else 1.0
    crop = np.array(_draw.fit(crop, side)) if crop.size else np.zeros((side, side, 3), np.uint8)
    if mark is not None:  # the problem's box, in red, over the scaled crop
        x, y, w, h = (v * scale for v in mark)
        x0, y0 = int(max(0, math.floor(x))), int(max(0, math.floor(y)))
        x1 = int(min(crop.shape[1] - 1, math.ceil(x + w) - 1))
        y1 = int(min(crop.shape[0] - 1, math.ceil(y + h) - 1))
        red = np.array([255, 0, 40], np.uint8)
        crop[y0:y1 + 1, [x0, x1]] = red
        crop[[y0, y1], x0:x1 + 1] = red
    return base64.b64encode(encode_png(crop)).decode("ascii")


def _thumbs(source: Source, problems: list[Json], images_dir: Optional[PathLike], cats: list[Json], k: int,
            background: int, **common: Any) -> list[tuple[Json, Optional[str], Optional[str]]]:
    by_name = {it.name: it for it in source.items}
    # One of each kind first (the kinds by severity, each kind's worst), then the next of each...
    queues: dict[str, list[Json]] = {}
    for p in problems:
        if p.get("image") in by_name:
            queues.setdefault(p["kind"], []).append(p)
    chosen: list[Json] = []
    depth = 0
    while len(chosen) < max(0, int(k)) and any(len(q) > depth for q in queues.values()):
        for q in queues.values():
            if len(q) > depth and len(chosen) < int(k):
                chosen.append(q[depth])
        depth += 1
    if not chosen:
        return []
    cats_by_id = {int(c["id"]): c for c in cats}
    jobs = [(by_name[p["image"]], p) for p in chosen]
    pics = run_items(jobs, functools.partial(_thumb_item, cats_by_id=cats_by_id, images_dir=images_dir,
                                             background=background), **common)
    return [(p, None, pic.why) if isinstance(pic, ItemError) else (p, pic, None) for p, pic in zip(chosen, pics)]


# ---- stats -------------------------------------------------------------------------------------------

def _stats_item(item: Item, background: int) -> Json:
    s = load(item)
    per: dict[int, list[int]] = {}
    if s.source_kind == "labels":
        assert s.label_map is not None
        vals, counts = np.unique(s.label_map, return_counts=True)
        for v, c in zip(vals.tolist(), counts.tolist()):
            if v != background:
                per[int(v)] = [1, int(c)]
        areas: list[int] = []
    else:
        from ..rle import area

        areas = area(s.masks).tolist() if s.masks else []
        for cid, a in zip(s.category_ids, areas):
            e = per.setdefault(int(cid), [0, 0])
            e[0] += 1
            e[1] += int(a)
    return {"name": s.name, "shape": [s.height, s.width], "segments": len(s.masks) if s.masks else len(per),
            "per_class": per, "areas": [[int(c), int(a)] for c, a in zip(s.category_ids, areas)]}


def stats(src: PathLike, *, format: Optional[str] = None, masks: Optional[PathLike] = None, labels: Labels = None,
          names: Names = None, background: int = 0, json_path: Optional[PathLike] = None, scheduler: Any = None,
          workers: Optional[int] = None, shard_size: int = 16, fail_fast: bool = False, progress: bool = False,
          resume: bool = False) -> JobResult:
    """Images, segments, classes, areas and the class histogram of a dataset.

    ``summary``: ``images``, ``segments``, ``pixels`` (all images), ``classes`` (one row per
    class: id, name, images it appears in, segments, pixels, segment area min / median / max),
    ``image_sizes`` (size -> count). Label maps count one segment per class per image.
    """
    done = _resumed("stats", json_path) if resume else None
    if done is not None:
        return done
    source = open_source(src, format, masks=masks, labels=labels, names=names)
    results = run_items(source.items, functools.partial(_stats_item, background=background), desc="stats",
                        **_common(scheduler, workers, shard_size, fail_fast, progress))
    rows, errors = _split(results)
    names = source.category_names()
    per: dict[int, list[int]] = {}
    areas: dict[int, list[int]] = {}
    sizes: dict[str, int] = {}
    for r in rows:
        key = f"{r['shape'][1]}x{r['shape'][0]}"
        sizes[key] = sizes.get(key, 0) + 1
        for cid, (n, px) in r["per_class"].items():
            e = per.setdefault(int(cid), [0, 0, 0])
            e[0] += 1
            e[1] += n
            e[2] += px
        for cid, a in r["areas"]:
            areas.setdefault(cid, []).append(a)
    classes = []
    for cid in sorted(per):
        a = np.asarray(areas.get(cid, []), np.int64)
        row = {"id": cid, "name": names.get(cid, str(cid)), "images": per[cid][0], "segments": per[cid][1],
               "pixels": per[cid][2]}
        if a.size:
            row.update(area_min=int(a.min()), area_median=float(np.median(a)), area_max=int(a.max()))
        classes.append(row)
    summary = {"format": source.kind, "images": len(source.items), "images_read": len(rows),
               "images_failed": len(errors), "segments": int(sum(r["segments"] for r in rows)),
               "pixels": int(sum(r["shape"][0] * r["shape"][1] for r in rows)), "classes": classes,
               "categories_declared": len(source.categories),
               "image_sizes": dict(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])))}
    res = JobResult("stats", str(src), len(source.items), errors, [], summary)
    return _publish(res, json_path)


# ---- render ------------------------------------------------------------------------------------------

def _out_name(name: str, suffix: str = ".png") -> str:
    return str(Path(name).with_suffix("")).replace("/", "__") + suffix


def _render_item(item: Item, images_dir: Optional[PathLike], out_dir: PathLike, cats_by_id: dict[int, Any],
                 names: dict[int, str], background: int, resume: bool, alpha: float) -> Json:
    dst = Path(out_dir) / _out_name(item.name)
    if resume and complete(dst):
        return {"name": item.name, "output": str(dst), "skipped": True}
    s = load(item)
    photo = None
    if images_dir is not None:
        pth = image_path(images_dir, s)
        if pth is None:
            raise ItemFailure(item.name, "file_name", s.file_name or s.name, f"no photo for it in {images_dir}")
        photo = read_image(pth)
        if photo.shape[:2] != (s.height, s.width):
            raise ItemFailure(str(pth), "size", [photo.shape[1], photo.shape[0]],
                              f"the photo's size differs from the annotation's {s.width}x{s.height}")
    cm = s.class_map(background)
    inst = s.instance_map() if s.masks else None
    pic = _draw.overlay(photo, cm, inst, cats_by_id, alpha=alpha, background=background)
    present = [int(v) for v in np.unique(cm).tolist() if v != background]
    pic = _draw.add_legend(pic, present, cats_by_id, names)
    write_png(dst, pic)
    return {"name": item.name, "output": str(dst), "skipped": False}


def render(src: PathLike, *, images: Optional[PathLike] = None, out: PathLike, format: Optional[str] = None,
           masks: Optional[PathLike] = None, labels: Labels = None, names: Names = None, background: int = 0,
           alpha: float = 0.45, scheduler: Any = None, workers: Optional[int] = None, shard_size: int = 8,
           fail_fast: bool = False, progress: bool = False, resume: bool = False) -> JobResult:
    """Overlay PNGs, one per image, in ``out``: the photo (from ``images``; mid grey without it)
    with the classes blended in, instance outlines in the class colour, and a legend of the
    classes present. Colours are deterministic per class (:func:`maskcore.jobs._draw.class_color`).
    Output names: the image's name with ``/`` -> ``__`` and ``.png``."""
    source = open_source(src, format, masks=masks, labels=labels, names=names)
    cats_by_id = {int(c["id"]): c for c in source.categories}
    Path(out).mkdir(parents=True, exist_ok=True)
    fn = functools.partial(_render_item, images_dir=images, out_dir=str(out), cats_by_id=cats_by_id,
                           names=source.category_names(), background=background, resume=resume, alpha=alpha)
    results = run_items(source.items, fn, desc="render", **_common(scheduler, workers, shard_size, fail_fast, progress))
    rows, errors = _split(results)
    res = JobResult("render", str(src), len(source.items), errors, [],
                    {"images": len(source.items), "written": sum(not r["skipped"] for r in rows),
                     "out": str(out)}, [r["output"] for r in rows], sum(r["skipped"] for r in rows))
    return res


# ---- superpixels -----------------------------------------------------------------------------------------

def _superpixels_item(path: str, out_dir: PathLike, region_size: int, compactness: float, resume: bool) -> Json:
    from ..superpixels import slic

    stem = Path(path).stem
    lab_p, ov_p = Path(out_dir) / f"{stem}_labels.png", Path(out_dir) / f"{stem}_overlay.png"
    if resume and complete(lab_p) and complete(ov_p):
        return {"name": path, "outputs": [str(lab_p), str(ov_p)], "segments": None, "skipped": True}
    img = read_image(path)
    labels = slic(img, region_size=region_size, compactness=compactness, threads=1)
    n = int(labels.max()) + 1 if labels.size else 0
    if n > 65536:
        raise ItemFailure(path, "region_size", region_size, f"{n} superpixels do not fit a 16-bit PNG")
    ov = img.copy()
    ov[_draw.outline(labels)] = (255, 230, 0)
    write_png(lab_p, labels.astype(np.uint16))
    write_png(ov_p, ov)
    return {"name": path, "outputs": [str(lab_p), str(ov_p)], "segments": n, "skipped": False}


def superpixels(images: Iterable[PathLike], *, region_size: int, out: PathLike, compactness: float = 10.0,
                scheduler: Any = None, workers: Optional[int] = None, shard_size: int = 2, fail_fast: bool = False,
                progress: bool = False, resume: bool = False) -> JobResult:
    """SLIC superpixels (:func:`maskcore.slic`, ``threads=1`` per task) of each image: writes
    ``<stem>_labels.png`` (16-bit label PNG, labels 0..K-1) and ``<stem>_overlay.png`` (the
    image with the superpixel boundaries in yellow) to ``out``."""
    paths = [str(p) for p in images]
    stems = [Path(p).stem for p in paths]
    dup = {s for s in stems if stems.count(s) > 1}
    if dup:
        raise ValueError(f"images: several inputs share the stem {sorted(dup)[0]!r} (their outputs would collide)")
    Path(out).mkdir(parents=True, exist_ok=True)
    fn = functools.partial(_superpixels_item, out_dir=str(out), region_size=region_size, compactness=compactness,
                           resume=resume)
    results = run_items(paths, fn, desc="superpixels", **_common(scheduler, workers, shard_size, fail_fast, progress))
    rows, errors = _split(results)
    return JobResult("superpixels", ",".join(paths[:3]) + ("..." if len(paths) > 3 else ""), len(paths), errors, [],
                     {"images": len(paths), "segments": {r["name"]: r["segments"] for r in rows},
                      "out": str(out)}, [o for r in rows for o in r["outputs"]], sum(r["skipped"] for r in rows))


# ---- compare --------------------------------------------------------------------------------------------

def _pair_counts(a: np.ndarray, b: np.ndarray) -> dict[tuple[int, int], int]:
    """Pixel counts of every (class in a, class in b) pair: dict (ca, cb) -> count."""
    a = a.astype(np.int64, copy=False).ravel()
    b = b.astype(np.int64, copy=False).ravel()
    if a.size == 0:
        return {}
    ua, ia = np.unique(a, return_inverse=True)
    ub, ib = np.unique(b, return_inverse=True)
    key = ia.astype(np.int64) * len(ub) + ib
    k, c = np.unique(key, return_counts=True)
    return {(int(ua[x // len(ub)]), int(ub[x % len(ub)])): int(n) for x, n in zip(k.tolist(), c.tolist())}


def _compare_item(pair: tuple[Item, Item], background: int, ignore: Optional[int]) -> Json:
    from ..metrics import boundary_iou, match_instances

    ia, ib = pair
    sa, sb = load(ia), load(ib)
    if (sa.height, sa.width) != (sb.height, sb.width):
        raise ItemFailure(ib.name, "size", [sb.width, sb.height], f"A's image is {sa.width}x{sa.height}")
    ca, cb = sa.class_map(background), sb.class_map(background)
    pairs = _pair_counts(ca, cb)
    if ignore is not None:
        pairs = {k: v for k, v in pairs.items() if ignore not in k}
    classes = sorted({k[0] for k in pairs} | {k[1] for k in pairs})
    per = {}
    for c in classes:
        if c == background:
            continue
        inter = sum(v for (x, y), v in pairs.items() if x == c and y == c)
        na = sum(v for (x, _), v in pairs.items() if x == c)
        nb = sum(v for (_, y), v in pairs.items() if y == c)
        biou = float(boundary_iou(ca == c, cb == c, threads=1))
        per[c] = [inter, na, nb, biou]
    ious = [i / (a + b - i) for i, a, b, _ in per.values() if a + b - i > 0]
    row = {"image": sa.name, "classes": per, "mean_iou": float(np.mean(ious)) if ious else 1.0,
           "mean_boundary_iou": float(np.mean([v[3] for v in per.values()])) if per else 1.0,
           "pixel_agreement": sum(v for (x, y), v in pairs.items() if x == y) / max(1, sum(pairs.values()))}
    if sa.masks or sb.masks:
        m = match_instances(list(sa.masks), list(sb.masks), 0.5, threads=1)
        row["instances"] = {"matched": len(m.pairs), "only_a": len(m.unmatched_gt), "only_b": len(m.unmatched_pred),
                            "mean_iou": float(m.mean_iou) if len(m.pairs) else None}
    return row


def _pairs(sa: Source, sb: Source) -> tuple[list[tuple[Item, Item]], list[ItemError]]:
    def key(it: Item) -> str:
        return str(it.name)

    bmap = {key(it): it for it in sb.items}
    pairs, missing = [], []
    for it in sa.items:
        other = bmap.pop(key(it), None)
        if other is None:
            missing.append(ItemError(it.name, "", None, f"not in {sb.path}"))
        else:
            pairs.append((it, other))
    for name in bmap:
        missing.append(ItemError(name, "", None, f"only in {sb.path}, not in {sa.path}"))
    return pairs, missing


def compare(a: PathLike, b: PathLike, *, format: Optional[str] = None, format_b: Optional[str] = None,
            masks: Optional[PathLike] = None, masks_b: Optional[PathLike] = None, labels: Labels = None,
            names: Names = None, background: int = 0, ignore: Optional[int] = None,
            json_path: Optional[PathLike] = None, scheduler: Any = None, workers: Optional[int] = None,
            shard_size: int = 8, fail_fast: bool = False, progress: bool = False, resume: bool = False) -> JobResult:
    """Inter-annotator agreement between two annotations of the same images (matched by name).

    Per image: per class IoU, Dice and boundary IoU of the class masks, the image's mean IoU,
    pixel agreement, and (instance sources) instances matched at IoU > 0.5. Pooled per class:
    IoU = sum of intersections / sum of unions, Dice likewise. ``summary["per_image"]`` is sorted
    by mean IoU, the images that disagree most first. ``ignore``: a class value left out of both.
    Images present in only one side are item errors.
    """
    done = _resumed("compare", json_path) if resume else None
    if done is not None:
        return done
    sa = open_source(a, format, masks=masks, labels=labels, names=names)
    sb = open_source(b, format_b or format, masks=masks_b, labels=labels, names=names)
    pairs, missing = _pairs(sa, sb)
    if fail_fast and missing:
        raise FailFast(missing[0])
    results = run_items(pairs, functools.partial(_compare_item, background=background, ignore=ignore),
                        desc="compare", **_common(scheduler, workers, shard_size, fail_fast, progress))
    rows, errors = _split(results)
    names = {**sb.category_names(), **sa.category_names()}
    pooled: dict[int, list[Any]] = {}
    for r in rows:
        for c, (i, na, nb, bi) in r["classes"].items():
            e = pooled.setdefault(int(c), [0, 0, 0, 0.0, 0])
            e[0] += i
            e[1] += na
            e[2] += nb
            e[3] += bi
            e[4] += 1
    per_class = []
    for c in sorted(pooled):
        i, na, nb, bsum, n = pooled[c]
        per_class.append({"id": c, "name": names.get(c, str(c)), "iou": i / (na + nb - i) if na + nb - i else None,
                          "dice": 2 * i / (na + nb) if na + nb else None, "boundary_iou": bsum / n if n else None,
                          "pixels_a": na, "pixels_b": nb, "images": n})
    order = sorted(range(len(rows)), key=lambda k: (rows[k]["mean_iou"], k))
    inst = [r["instances"] for r in rows if "instances" in r]
    summary = {"images": len(pairs), "compared": len(rows), "per_class": per_class,
               "mean_iou": float(np.mean([r["mean_iou"] for r in rows])) if rows else None,
               "pixel_agreement": float(np.mean([r["pixel_agreement"] for r in rows])) if rows else None,
               "per_image": [{"image": rows[k]["image"], "mean_iou": rows[k]["mean_iou"],
                              "mean_boundary_iou": rows[k]["mean_boundary_iou"],
                              "pixel_agreement": rows[k]["pixel_agreement"],
                              **({"instances": rows[k]["instances"]} if "instances" in rows[k] else {})}
                             for k in order]}
    if inst:
        summary["instances"] = {"matched": sum(x["matched"] for x in inst), "only_a": sum(x["only_a"] for x in inst),
                                "only_b": sum(x["only_b"] for x in inst)}
    res = JobResult("compare", f"{a} vs {b}", len(sa.items), missing + errors, [], summary)
    return _publish(res, json_path)


# ---- evaluate --------------------------------------------------------------------------------------------

def _semantic_item(pair: tuple[Item, Item], ignore: Optional[int], background: int) -> list[list[int]]:
    ia, ib = pair
    sa, sb = load(ia), load(ib)
    if (sa.height, sa.width) != (sb.height, sb.width):
        raise ItemFailure(ib.name, "size", [sb.width, sb.height], f"the ground truth is {sa.width}x{sa.height}")
    pc = _pair_counts(sa.class_map(background), sb.class_map(background))
    if ignore is not None:
        pc = {k: v for k, v in pc.items() if k[0] != ignore}
    return [[g, p, n] for (g, p), n in sorted(pc.items())]


def _panoptic_item(pair: tuple[Item, Item], cats: list[Json]) -> dict[int, list[Any]]:
    from ..metrics import panoptic_quality

    ia, ib = pair
    sa, sb = load(ia), load(ib)
    if sa.source_kind != "coco-panoptic" or sb.source_kind != "coco-panoptic":
        raise ItemFailure(ia.name, "format", [sa.source_kind, sb.source_kind], "--task panoptic needs two "
                          "coco-panoptic sources")
    r = panoptic_quality(sa.label_map, sb.label_map, cats, gt_segments=sa.annotations or [],
                         pred_segments=sb.annotations or [])
    return {int(c): [v["tp"], v["fp"], v["fn"], v["iou"]] for c, v in r.per_class.items()
            if v["tp"] + v["fp"] + v["fn"]}


def _cocoeval_task(gt_path: str, pred_path: str, iou_type: str) -> list[float]:
    """One task: maskcore.cocoeval.COCOeval on the two files (its own threads: the whole
    evaluation is this one task); its printout is kept off stdout."""
    import contextlib
    import io

    from .. import _validate as _v

    try:
        from ..cocoeval import COCOeval
    except ImportError as exc:
        raise JobError(f"--iou-type {iou_type} needs maskcore.cocoeval, which this build lacks ({exc})") from None
    with contextlib.redirect_stdout(io.StringIO()):  # COCOeval prints its progress, as pycocotools'
        ev = COCOeval(str(gt_path), str(pred_path), iouType=iou_type, threads=_v._usable_cores())
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(x) for x in np.asarray(ev.stats).ravel()]


COCO_STAT_NAMES = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


def evaluate(gt: PathLike, pred: PathLike, *, task: str = "instances", iou_type: str = "segm",
             format: Optional[str] = None, format_pred: Optional[str] = None, masks: Optional[PathLike] = None,
             masks_pred: Optional[PathLike] = None, labels: Labels = None, names: Names = None,
             ignore: Optional[int] = None, background: int = 0, json_path: Optional[PathLike] = None,
             scheduler: Any = None, workers: Optional[int] = None, shard_size: int = 8, fail_fast: bool = False,
             progress: bool = False, resume: bool = False) -> JobResult:
    """Predictions against ground truth.

    ``task="instances"``: COCO AP through :class:`maskcore.cocoeval.COCOeval` (``iou_type``
    ``"segm"``, ``"bbox"`` or ``"boundary"``; ``gt`` a COCO instances JSON, ``pred`` a results
    list); one task (COCOeval's accumulation is global). ``task="semantic"``: the confusion
    matrix over all images (rows ground truth; ``ignore``: a ground-truth value left out), per
    class IoU / Dice and mIoU (:func:`maskcore.semantic_scores`). ``task="panoptic"``: PQ / SQ /
    RQ with COCO's rules (:func:`maskcore.panoptic_quality` per image, statistics summed).
    """
    from ..metrics import semantic_scores

    done = _resumed("eval", json_path) if resume else None
    if done is not None:
        return done
    common = _common(scheduler, workers, shard_size, fail_fast, progress)
    if task in ("instances", "instance", "coco"):
        if iou_type not in ("segm", "bbox", "boundary"):
            raise ValueError(f"iou_type: expected 'segm', 'bbox' or 'boundary', got {iou_type!r}")
        out = run_items([(str(gt), str(pred), iou_type)], _star_cocoeval, **dict(common, shard_size=1))
        if isinstance(out[0], ItemError):
            raise JobError(f"COCO evaluation failed: {out[0]}")
        st = out[0]
        summary = {"task": "instances", "iou_type": iou_type,
                   "stats": {n: v for n, v in zip(COCO_STAT_NAMES, st)}}
        res = JobResult("eval", f"{gt} vs {pred}", 1, [], [], summary)
    elif task in ("semantic", "panoptic"):
        sa = open_source(gt, format, masks=masks, labels=labels, names=names)
        sb = open_source(pred, format_pred or format, masks=masks_pred, labels=labels, names=names)
        pairs, missing = _pairs(sa, sb)
        if fail_fast and missing:
            raise FailFast(missing[0])
        names = sa.category_names()
        if task == "semantic":
            results = run_items(pairs, functools.partial(_semantic_item, ignore=ignore, background=background),
                                desc="eval", **common)
            rows, errors = _split(results)
            tot: dict[Any, Any] = {}
            for r in rows:
                for g, p, n in r:
                    tot[(g, p)] = tot.get((g, p), 0) + n
            classes = sorted({k[0] for k in tot} | {k[1] for k in tot} | set(labels or []))
            if ignore is not None:
                classes = [c for c in classes if c != ignore]
            ix = {c: i for i, c in enumerate(classes)}
            cm = np.zeros((len(classes), len(classes)), np.int64)
            for (g, p), n in tot.items():
                if g in ix and p in ix:
                    cm[ix[g], ix[p]] += n
            sc = semantic_scores(cm)
            summary = {"task": "semantic", "classes": classes,
                       "class_names": [names.get(c, str(c)) for c in classes],
                       "confusion": cm.tolist(), "iou": sc.iou.tolist(), "dice": sc.dice.tolist(),
                       "mean_iou": sc.mean_iou, "mean_dice": sc.mean_dice, "pixel_accuracy": sc.pixel_accuracy}
        else:
            cats = sa.categories
            results = run_items(pairs, functools.partial(_panoptic_item, cats=cats), desc="eval", **common)
            rows, errors = _split(results)
            tot = {}
            for r in rows:
                for c, (tp, fp, fn, s) in r.items():
                    e = tot.setdefault(c, [0, 0, 0, 0.0])
                    e[0] += tp
                    e[1] += fp
                    e[2] += fn
                    e[3] += s
            summary = {"task": "panoptic", **_pq_summary(tot, cats, names)}
        res = JobResult("eval", f"{gt} vs {pred}", len(sa.items), missing + errors, [], summary)
    else:
        raise ValueError(f"task: expected 'instances', 'semantic' or 'panoptic', got {task!r}")
    return _publish(res, json_path)


def _star_cocoeval(args: tuple[str, str, str]) -> list[float]:
    return _cocoeval_task(*args)


def _pq_summary(tot: dict[int, list[Any]], cats: list[Json], names: dict[int, str]) -> Json:
    isthing = {int(c["id"]): int(c.get("isthing", 1)) == 1 for c in cats}
    per: dict[int, Json] = {}
    groups: dict[str, list[Json]] = {"all": [], "things": [], "stuff": []}
    for c in sorted(tot):
        tp, fp, fn, s = tot[c]
        d = tp + 0.5 * fp + 0.5 * fn
        row = {"name": names.get(c, str(c)), "pq": s / d, "sq": s / tp if tp else 0.0, "rq": tp / d,
               "tp": tp, "fp": fp, "fn": fn}
        per[c] = row
        groups["all"].append(row)
        groups["things" if isthing.get(c, True) else "stuff"].append(row)
    out: Json = {}
    for g, rows in groups.items():
        n = len(rows)
        out[g] = {k: (sum(r[k] for r in rows) / n if n else None) for k in ("pq", "sq", "rq")}
        out[g]["n"] = n
    out["per_class"] = per
    return out


# ---- convert -------------------------------------------------------------------------------------------

def _labels_runs_item(item: Item, background: int = 0) -> Json:
    """One label map -> its segments' runs (one native pass; ``background`` is no segment), as
    plain arrays: compact (a dataset of 100k maps is held as runs, not pixels) and safe to pickle
    across processes."""
    from .. import Segments

    s = load(item)
    seg = Segments.from_semantic_map(s.label_map, background=background, threads=1)
    b = seg.masks
    return {"name": s.name, "height": s.height, "width": s.width, "counts": np.array(b.counts),
            "offsets": np.array(b.offsets), "sizes": np.array(b.sizes), "ids": np.array(seg.ids),
            "category_ids": np.array(seg.category_ids)}


def _io_convert(args: tuple[str, str, Json, str, str, Json]) -> int:
    """One task: maskcore.io.read, then maskcore.io.write into a staged output published at
    ``dst`` (the dataset never crosses a process boundary; on a cluster the worker writes ``dst``
    itself, so it must see the same file system)."""
    from .. import io as mio

    src, fmt, read_opts, dst, to, write_opts = args
    read: Any = mio.read  # the formats layer is not annotated yet
    try:
        ds = read(src, fmt, **read_opts)
    except ImportError as exc:
        raise JobError(f"maskcore.io cannot read {fmt!r} in this build: {exc}") from None
    except (OSError, ValueError, TypeError, KeyError) as exc:  # FormatError is a ValueError
        raise SourceError(f"cannot read {src} as {fmt!r}: {str(exc).splitlines()[0][:500]}") from None
    _write(ds, dst, to, write_opts)
    return len(ds)


def _write(ds: Any, dst: PathLike, to: str, write_opts: Json) -> None:
    from .. import io as mio

    try:
        with staged_output(dst) as tmp:
            write: Any = mio.write  # the formats layer is not annotated yet
            write(ds, str(tmp), to, **write_opts)
    except ImportError as exc:
        raise JobError(f"maskcore.io cannot write {to!r} in this build: {exc}") from None


def convert(src: PathLike, dst: PathLike, *, to: str, format: Optional[str] = None, masks: Optional[PathLike] = None,
            labels: Labels = None, names: Names = None, background: int = 0, read_options: Optional[Json] = None,
            scheduler: Any = None, workers: Optional[int] = None, shard_size: int = 16, fail_fast: bool = False,
            progress: bool = False, resume: bool = False, **options: Any) -> JobResult:
    """Any reader to any writer of :mod:`maskcore.io`, as a Dask graph.

    A ``maskcore.io`` format (``format``, or told from a JSON's content) is read whole by
    :func:`maskcore.io.read` and written by :func:`maskcore.io.write` (``to``, ``options``) in one
    task (every segment attribute and dataset field kept; the reader checks the file and names
    what is wrong: :class:`SourceError`). A ``labels`` folder is read per image in shard tasks
    (a corrupt PNG is an item error, left out of the output; exit code 1), one segment per
    class (``background``, default 0, is no segment); ``index-png`` and ``rgb`` outputs are
    written by the shard tasks too (the driver joins their JSON items), other formats by the
    driver. The output is
    staged under a temporary name and published at ``dst`` when complete (sibling files first, ``dst`` last); ``resume``: an existing ``dst``
    is complete and skipped. ``masks``: a panoptic source's PNG folder; ``read_options``: the
    reader's options.
    """
    try:
        from .. import io as mio
    except ImportError as exc:
        raise JobError(f"convert needs the formats layer (maskcore.io), which this build lacks: {exc}") from None
    if resume and complete(dst):
        return JobResult("convert", str(src), 0, [], [], {"to": to, "dst": str(dst), "skipped": True}, [str(dst)],
                         skipped=1)
    if to not in mio.FORMATS:
        raise ValueError(f"to: expected one of {', '.join(mio.FORMATS)}, got {to!r}")
    common = _common(scheduler, workers, shard_size, fail_fast, progress)
    if format != "labels":
        if format is None:
            try:
                format = mio.detect(src)
            except ValueError as exc:
                raise SourceError(str(exc)) from None
        opts = dict(read_options or {})
        if masks is not None:
            opts["png_dir"] = str(masks)
        # one task reads and writes the whole dataset: the format's own threads, as many as --workers
        out = run_items([(str(src), format, opts, str(dst), to, options)], _io_convert, threads=workers,
                        **dict(common, shard_size=1))
        if isinstance(out[0], ItemError):
            raise SourceError(f"cannot convert {src} ({format!r}) to {to!r}: {out[0].why}")
        errors: list[ItemError] = []
        kind, n, written = format, out[0], out[0]
    else:
        source = open_source(src, format, masks=masks, labels=labels, names=names)
        results = run_items(source.items, functools.partial(_labels_runs_item, background=background), desc="convert",
                            **common)
        samples, errors = _split(results)
        cats = _categories(samples, source)
        if to in SHARDED_WRITERS and samples:
            _write_sharded(samples, cats, dst, to, options, common)
        else:
            ds = _to_dataset(samples, cats)
            with kernel_threads(workers):  # the writer's threads (PNG encoding): as many as --workers
                _write(ds, dst, to, options)
        kind, n, written = source.kind, len(source.items), len(samples)
    return JobResult("convert", str(src), n, errors, [],
                     {"from": kind, "to": to, "dst": str(dst), "images": n, "written": written}, [str(dst)])


def _categories(rows: list[Json], source: Source) -> list[Any]:
    """The converted dataset's categories: the source's, plus any class value seen without one
    (named by its value), by id."""
    from .. import Category

    cats = [Category(id=int(c["id"]), name=str(c.get("name", c["id"]))) for c in source.categories]
    known = {c.id for c in cats}
    seen = np.unique(np.concatenate([r["category_ids"] for r in rows])) if rows else np.zeros(0, np.int64)
    cats += [Category(id=v, name=str(v)) for v in seen.tolist() if v not in known]
    return sorted(cats, key=lambda c: c.id)


def _to_dataset(rows: list[Json], cats: list[Any], start: int = 0) -> Any:
    """The label maps' runs (:func:`_labels_runs_item`) as a :class:`maskcore.Dataset`: one
    segment per class; image ids ``start + 1``... in file order; ``cats``: :func:`_categories`."""
    from .. import Dataset, Segments
    from ..dataset import ImageRecord
    from ..rle import RLEBatch

    make_segments: Any = Segments  # not annotated yet
    images = []
    for k, r in enumerate(rows):
        masks = RLEBatch.from_arrays(canonical(r["counts"]), canonical(r["offsets"]), canonical(r["sizes"]))
        seg = make_segments(masks, ids=canonical(r["ids"]), category_ids=canonical(r["category_ids"]), height=r["height"],
                       width=r["width"])
        images.append(ImageRecord(image_id=start + k + 1, file_name=r["name"], height=r["height"], width=r["width"],
                                  metadata={}, segments=seg))
    return Dataset(images, cats)


# Writers that write one file per image and one JSON ({header..., "categories", "items": [one per
# image]}) through maskcore.io's table writer: each shard task writes its images' files and a
# shard JSON into the job's staging folder, and the driver joins the shards' items into the one
# JSON. The rest is written whole by the driver.
SHARDED_WRITERS = ("index-png", "rgb")


def _write_shard(job: tuple[list[Json], int, list[Any], str, str, Json]) -> tuple[Json, list[Json]]:
    """One task of a sharded write: the shard's images as a Dataset (ids from ``start + 1``, the
    job's categories), written by maskcore.io into ``stage`` under a shard JSON name (the image
    files land where the whole dataset's would: their paths are relative to the JSON's folder);
    returns the JSON's top level and its items, and removes the shard JSON."""
    from .. import io as mio

    rows, start, cats, shard_json, to, options = job
    path = Path(shard_json)
    write: Any = mio.write  # the formats layer is not annotated yet
    write(_to_dataset(rows, cats, start), str(path), to, **options)
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    path.unlink()
    items = doc.pop("items")
    return doc, items


def _write_sharded(rows: list[Json], cats: list[Any], dst: PathLike, to: str, options: Json, common: Json) -> None:
    """Every shard's files written by its task into one staging folder, the joined JSON by the
    driver, all published at ``dst`` when complete (:class:`staged_output`). The bytes are those
    of one :func:`maskcore.io.write` of the whole dataset, whatever the shards: the items are the
    same dicts in the same order, dumped by the same function."""
    from ..io._common import write_json

    size = common["shard_size"]
    with staged_output(dst) as tmp:
        tmp = Path(tmp)
        jobs = [(rows[i:i + size], i, cats, str(tmp.with_name(f".shard-{i // size:07d}-{tmp.name}")), to, options)
                for i in range(0, len(rows), size)]
        out = run_items(jobs, _write_shard, **dict(common, shard_size=1, fail_fast=False, progress=False))
        head: Optional[Json] = None
        items: list[Json] = []
        for r in out:
            if isinstance(r, ItemError):  # a writer's refusal (an id that does not fit, ...): as io.write raises it
                if r.why.startswith("ValueError: "):
                    raise ValueError(r.why[len("ValueError: "):])
                raise JobError(f"writing {to!r} failed: {r.why}")
            head = head if head is not None else r[0]
            items += r[1]
        seen: set[str] = set()
        for it in items:  # the whole-dataset writer refuses two images writing one file; shards cannot see it
            if it["mask"] in seen:
                raise ValueError(f"mask: two images would write {it['mask']}")
            seen.add(it["mask"])
        assert head is not None  # rows is not empty: one shard at least
        head["items"] = items
        write_json(tmp, head)
