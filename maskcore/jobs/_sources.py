"""Where a job's items come from: a dataset path (+ format) as a list of small, picklable items,
and the loading of one item into a :class:`Sample` inside a task.

The driver lists items cheaply (a COCO file is parsed once and its annotations grouped by image;
a folder of label PNGs is listed, not read); the pixels are decoded in the tasks, which is where
the time goes at scale. Three sources live here because the jobs need them per item:

``"coco"``
    A COCO instances JSON (``images``, ``annotations``, ``categories``). An item is one image
    with its annotations (file order). Masks: polygons by pycocotools' rule
    (:func:`maskcore.coco.frPyObjects`), RLEs as given.
``"coco-panoptic"``
    A COCO panoptic JSON plus its PNG folder (``masks=``; default: the folder named as the JSON's
    stem, or the only sibling folder holding the first PNG). Segment id = R + 256 G + 256^2 B.
``"labels"``
    A folder of label-map PNGs (any depth, sorted by relative path): the pixel value is the class
    id. Palette (P) PNGs are read as indices, 16-bit PNGs as uint16. Categories come from
    ``labels=`` when given, else the values seen.

Every other format name goes to :func:`maskcore.io.read` (the formats layer), whose records
(``image_id``, ``file_name``, ``height``, ``width``, ``segments``) become the items.
A folder never has its format guessed: it needs ``format=``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

import numpy as np

from ._files import read_png
from ._run import ItemFailure

__all__ = ["Item", "Sample", "Source", "open_source", "LOCAL_FORMATS"]

LOCAL_FORMATS = ("coco", "coco-panoptic", "labels")


@dataclass
class Item:
    """One image of a source: ``name`` (stable, used for output names and reports), ``path`` (the
    file holding its pixels or annotations) and a ``payload`` (format-specific, picklable)."""

    name: str
    path: str
    kind: str
    payload: Any = None
    image_id: Any = None

    def __str__(self) -> str:
        return self.name


@dataclass
class Sample:
    """One loaded image. ``label_map``: the (H, W) class map of a ``labels`` source or the
    segment-id map of a panoptic one, else None. Segments: ``masks`` (list of RLE), ``ids``,
    ``category_ids``, ``iscrowd``, ``scores`` (None for ground truth), ``annotations`` (the
    source's dicts, for declared fields)."""

    name: str
    image_id: Any
    file_name: str
    height: int
    width: int
    label_map: Optional[np.ndarray] = None
    masks: list[Any] = field(default_factory=list)
    ids: list[Any] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)
    iscrowd: list[bool] = field(default_factory=list)
    scores: Optional[list[float]] = None
    annotations: Optional[list[Any]] = None
    source_kind: str = ""

    def class_map(self, background: int = 0) -> np.ndarray:
        """(H, W) int64 class ids: a labels source's map as is; segments painted in order (later
        wins; crowd segments first so that instances are drawn over them)."""
        if self.source_kind == "labels":
            assert self.label_map is not None
            return self.label_map.astype(np.int64, copy=False)
        from .. import rle as _rle

        out = np.full((self.height, self.width), background, np.int64)
        order = sorted(range(len(self.masks)), key=lambda k: (not self.iscrowd[k], k))
        for k in order:
            m = _rle.decode(self.masks[k]).view(bool)
            out[m] = self.category_ids[k]
        return out

    def instance_map(self) -> np.ndarray:
        """(H, W) int64: 1 + the segment's position, painted in order (later wins); 0 = none."""
        from .. import rle as _rle

        if self.source_kind == "coco-panoptic":
            pos = {int(i): k + 1 for k, i in enumerate(self.ids)}
            lm = self.label_map
            assert lm is not None
            out = np.zeros(lm.shape, np.int64)
            for i, k in pos.items():
                out[lm == i] = k
            return out
        out = np.zeros((self.height, self.width), np.int64)
        for k, m in enumerate(self.masks):
            out[_rle.decode(m).view(bool)] = k + 1
        return out


class Source:
    """A dataset opened for a job: ``items`` (in file order), ``categories`` (list of COCO-style
    dicts: id, name, and isthing / color when the source has them), ``kind`` and ``path``."""

    def __init__(self, path: PathLike, kind: str, items: list[Item], categories: list[dict[str, Any]],
                 problems: Optional[list[dict[str, Any]]] = None, dataset: Any = None) -> None:
        self.path = str(path)
        self.kind = kind
        self.items = items
        self.categories = categories
        self.problems = problems or []  # dataset-level problems found while listing (dicts)
        self.dataset = dataset

    def category_names(self) -> dict[int, str]:
        return {int(c["id"]): str(c.get("name", c["id"])) for c in self.categories}

    def __len__(self) -> int:
        return len(self.items)


def _load_json(path: PathLike) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError, UnicodeError) as exc:
        raise SourceError(f"cannot read {path}: {exc}") from None


class SourceError(ValueError):
    """The dataset itself cannot be read (exit code 2 on the command line)."""


def _sniff_json(path: PathLike, data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("annotations"), list):
        anns = data["annotations"]
        if anns and isinstance(anns[0], dict) and "segments_info" in anns[0]:
            return "coco-panoptic"
        if isinstance(data.get("images"), list):
            return "coco"
    raise SourceError(f"{path}: cannot tell the format from the content (expected a COCO instances or "
                      f"panoptic JSON); give it with --from / format=")


def open_source(path: PathLike, format: Optional[str] = None, *, masks: Optional[PathLike] = None,
                labels: Any = None, names: Optional[dict[Any, Any]] = None, **options: Any) -> Source:
    """Open ``path`` as a job source (see the module docstring for the formats). ``names``: class
    value -> name for a ``labels`` folder (its categories: the keys of ``names`` and ``labels``)."""
    p = Path(path)
    if not p.exists():
        raise SourceError(f"{path}: no such file or directory")
    if format is None:
        if p.is_dir():
            raise SourceError(f"{path}: a folder's format is never guessed; give it with --from / format= "
                              f"({', '.join(LOCAL_FORMATS)} or a maskcore.io format)")
        if p.suffix.lower() != ".json":
            raise SourceError(f"{path}: cannot tell the format of a {p.suffix or 'suffix-less'} file; give it "
                              f"with --from / format=")
        data = _load_json(p)
        format = _sniff_json(p, data)
    else:
        data = None
    if format == "coco":
        return _coco_source(p, data if data is not None else _load_json(p))
    if format == "coco-panoptic":
        return _panoptic_source(p, data if data is not None else _load_json(p), masks)
    if format == "labels":
        return _labels_source(p, labels, names)
    return _io_source(p, format, options)


# ---- COCO instances ----------------------------------------------------------------------------

def _coco_source(p: Path, data: Any) -> Source:
    if not isinstance(data, dict):
        raise SourceError(f"{p}: expected a COCO instances dict at the top level, got {type(data).__name__}")
    images: Any = data.get("images")
    anns = data.get("annotations", [])
    cats = data.get("categories", [])
    for name, v in (("images", images), ("annotations", anns), ("categories", cats)):
        if not isinstance(v, list):
            raise SourceError(f"{p}: field {name!r} must be a list, got {type(v).__name__}")
    problems: list[dict[str, Any]] = []
    by_image: dict[Any, list[Any]] = {}
    seen = set()
    order = []
    for k, im in enumerate(images):
        if not isinstance(im, dict) or "id" not in im:
            problems.append({"kind": "bad_image", "file": str(p), "field": f"images[{k}]",
                             "message": f"images[{k}] is not a dict with an 'id'"})
            continue
        try:
            hash(im["id"])
        except TypeError:
            problems.append({"kind": "bad_image", "file": str(p), "field": f"images[{k}].id",
                             "message": f"images[{k}].id is not a usable id: {im['id']!r}"[:300]})
            continue
        if im["id"] in seen:
            problems.append({"kind": "duplicate_image", "file": str(p), "field": f"images[{k}].id",
                             "message": f"image id {im['id']!r} is listed twice", "image": im["id"]})
            continue
        seen.add(im["id"])
        order.append(im)
        by_image[im["id"]] = []
    for k, a in enumerate(anns):
        iid = a.get("image_id") if isinstance(a, dict) else None
        try:
            target = by_image.get(iid)
        except TypeError:
            target = None
        if target is None:
            problems.append({"kind": "unknown_image", "file": str(p), "field": f"annotations[{k}].image_id",
                             "message": f"annotation {a.get('id', k) if isinstance(a, dict) else k}: image_id "
                                        f"{iid!r} is not in images"[:300],
                             "annotation": a.get("id", k) if isinstance(a, dict) else k})
            continue
        target.append(a)
    items = []
    for im in order:
        name = str(im.get("file_name") or im["id"])
        items.append(Item(name=name, path=str(p), kind="coco",
                          payload={"image": im, "annotations": by_image[im["id"]]},
                          image_id=im["id"]))
    return Source(p, "coco", items, [c for c in cats if isinstance(c, dict) and "id" in c], problems)


def load_coco(item: Item) -> Sample:
    from .. import coco as _coco
    from ..rle import RLE

    im = item.payload["image"]
    try:
        h, w = int(im["height"]), int(im["width"])
    except (KeyError, TypeError, ValueError):
        raise ItemFailure(item.path, f"images[id={im.get('id')}].height/width",
                          [im.get("height"), im.get("width")], "image size missing or not an integer") from None
    masks: list[RLE] = []
    ids: list[Any] = []
    cids: list[int] = []
    crowd: list[bool] = []
    scores: list[float] = []
    for k, a in enumerate(item.payload["annotations"]):
        seg = a.get("segmentation")
        try:
            if isinstance(seg, list):
                polys = [q for q in seg if hasattr(q, "__len__") and len(q) >= 6 and len(q) % 2 == 0]
                empty: Any = _coco.encode(np.zeros((h, w, 1), np.uint8, order="F")) if not polys else None
                r: Any = _coco.merge(_coco.frPyObjects(polys, h, w)) if polys else empty[0]
                rle = RLE.from_coco(r)
            elif isinstance(seg, dict):
                d: Any = _coco.frPyObjects(seg, h, w) if isinstance(seg.get("counts"), list) else seg
                rle = RLE.from_coco(d)
                if (rle.height, rle.width) != (h, w):
                    raise ValueError(f"RLE size {[rle.height, rle.width]} but the image is [{h}, {w}]")
            else:
                raise TypeError(f"segmentation is {type(seg).__name__}, expected polygons or an RLE")
        except (TypeError, ValueError) as exc:
            raise ItemFailure(item.path, f"annotations[id={a.get('id', k)}].segmentation",
                              None, str(exc).splitlines()[0][:300]) from None
        masks.append(rle)
        ids.append(a.get("id", k))
        cids.append(int(a.get("category_id", 0)))
        crowd.append(bool(a.get("iscrowd", 0)))
        if "score" in a:
            scores.append(float(a["score"]))
    return Sample(item.name, item.image_id, str(im.get("file_name", "")), h, w, None, masks, ids, cids, crowd,
                  scores if scores and len(scores) == len(masks) else None, item.payload["annotations"], "coco")


# ---- COCO panoptic -----------------------------------------------------------------------------

def _panoptic_source(p: Path, data: Any, masks: Optional[PathLike]) -> Source:
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise SourceError(f"{p}: expected a COCO panoptic dict with an 'annotations' list")
    anns = data["annotations"]
    if masks is None:
        cand = p.with_suffix("")
        if not cand.is_dir():
            first = anns[0].get("file_name") if anns and isinstance(anns[0], dict) else None
            dirs = [d for d in sorted(p.parent.iterdir()) if d.is_dir() and first and (d / first).is_file()]
            if len(dirs) != 1:
                raise SourceError(f"{p}: cannot find the panoptic PNG folder (not {cand.name}/, and "
                                  f"{len(dirs)} sibling folders hold {first!r}); give it with --masks")
            cand = dirs[0]
        masks = cand
    masks = Path(masks)
    images = {im.get("id"): im for im in data.get("images", []) if isinstance(im, dict)}
    items = []
    for k, a in enumerate(anns):
        if not isinstance(a, dict) or "file_name" not in a:
            raise SourceError(f"{p}: annotations[{k}] has no 'file_name'")
        im = images.get(a.get("image_id"), {})
        items.append(Item(name=str(a["file_name"]), path=str(masks / a["file_name"]), kind="coco-panoptic",
                          payload={"annotation": a, "image": im}, image_id=a.get("image_id")))
    return Source(p, "coco-panoptic", items, [c for c in data.get("categories", []) if isinstance(c, dict)])


def load_panoptic(item: Item) -> Sample:
    from ..metrics import rgb_to_id
    from ..rle import encode

    rgb = read_png(item.path)
    if rgb.ndim != 3:
        raise ItemFailure(item.path, "", f"shape {list(rgb.shape)}", "a panoptic PNG must be RGB")
    ids_map = rgb_to_id(rgb).astype(np.int64)
    a = item.payload["annotation"]
    infos = a.get("segments_info", [])
    present = set(np.unique(ids_map).tolist())
    masks, ids, cids, crowd = [], [], [], []
    for k, s in enumerate(infos):
        try:
            sid = int(s["id"])
            cid = int(s["category_id"])
        except (KeyError, TypeError, ValueError):
            raise ItemFailure(item.path, f"segments_info[{k}]", None, "segment without an integer id / "
                              "category_id") from None
        masks.append(encode(ids_map == sid))
        ids.append(sid)
        cids.append(cid)
        crowd.append(bool(s.get("iscrowd", 0)))
        present.discard(sid)
    present.discard(0)
    if present:
        raise ItemFailure(item.path, "segments_info", sorted(present)[:8],
                          f"{len(present)} segment ids in the PNG are not in segments_info")
    h, w = ids_map.shape
    return Sample(item.name, item.image_id, str(item.payload["image"].get("file_name", item.name)), h, w, ids_map,
                  masks, ids, cids, crowd, None, infos, "coco-panoptic")


# ---- label-map folders ----------------------------------------------------------------------------

def _labels_source(p: Path, labels: Any, names: Optional[dict[Any, Any]] = None) -> Source:
    if not p.is_dir():
        raise SourceError(f"{p}: format 'labels' needs a folder of label-map PNGs")
    files = sorted(str(f.relative_to(p)) for f in p.rglob("*.png") if not f.name.startswith("."))
    if not files:
        raise SourceError(f"{p}: no .png files in this folder")
    items = [Item(name=f, path=str(p / f), kind="labels") for f in files]
    names = {int(k): str(v) for k, v in (names or {}).items()}
    ids = sorted(set(names) | {int(v) for v in (labels or [])})
    cats = [{"id": v, "name": names.get(v, str(v))} for v in ids]
    return Source(p, "labels", items, cats)


def load_labels(item: Item) -> Sample:
    lm = read_png(item.path)
    if lm.ndim != 2:
        raise ItemFailure(item.path, "", f"shape {list(lm.shape)}", "a label map must have one channel "
                          "(or a palette); this PNG is RGB")
    h, w = lm.shape
    return Sample(item.name, item.name, item.name, h, w, lm, source_kind="labels")


# ---- anything else: the formats layer ------------------------------------------------------------

def _io_source(p: Path, format: str, options: dict[str, Any]) -> Source:
    try:
        from .. import io as mio
    except ImportError:
        raise SourceError(f"format {format!r} needs maskcore.io (the formats layer), which this build lacks; "
                          f"the jobs read {', '.join(LOCAL_FORMATS)} themselves") from None
    try:
        read: Any = mio.read  # the formats layer is not annotated yet
        ds = read(str(p), format=format, **options)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise SourceError(f"cannot read {p} as {format!r}: {exc}") from None
    cats = []
    for c in getattr(ds, "categories", []) or []:
        if isinstance(c, dict):
            cats.append(c)
        else:
            d = {"id": int(c.id), "name": str(getattr(c, "name", c.id))}
            for k in ("supercategory", "isthing", "color"):
                if getattr(c, k, None) is not None:
                    d[k] = getattr(c, k)
            cats.append(d)
    items = []
    for rec in ds:
        name = str(getattr(rec, "file_name", None) or getattr(rec, "image_id"))
        seg = rec.segments
        b = seg.masks
        # plain arrays, not the record: compact, and they cross process boundaries intact
        payload = {"file_name": str(rec.file_name), "height": int(rec.height), "width": int(rec.width),
                   "counts": np.array(b.counts), "offsets": np.array(b.offsets), "sizes": np.array(b.sizes),
                   "ids": np.array(seg.ids), "category_ids": np.array(seg.category_ids),
                   "iscrowd": np.array(seg.iscrowd), "scores": None if seg.scores is None else np.array(seg.scores),
                   "attributes": list(seg.attributes)}
        items.append(Item(name=name, path=str(p), kind="io", payload=payload, image_id=int(rec.image_id)))
    return Source(p, format, items, cats, dataset=ds)


def canonical(a: np.ndarray) -> np.ndarray:
    """``a`` with numpy's own dtype object for its type. An array that crossed a process boundary
    (pickled: Dask's processes scheduler, distributed workers) carries an equal but distinct dtype
    object, which maskcore's bindings reject ("wrong dtype int64": they compare dtypes by
    identity); a view with the canonical dtype costs nothing. The canonical dtypes are looked up
    by ``dtype.str`` (parsing the name with ``np.dtype`` each call cost ~10 us per array held
    under the GIL, five arrays per image in convert), and ``a`` itself is returned when its dtype
    already is the canonical one."""
    dt = a.dtype
    if dt.kind not in "iub":
        return a
    canon = _CANONICAL.get(dt.str)
    if canon is None:
        canon = _CANONICAL.setdefault(dt.str, np.dtype(dt.name))
    return a if dt is canon else a.view(canon)


_CANONICAL: dict[str, np.dtype[Any]] = {}


def load_io(item: Item) -> Sample:
    from ..rle import RLEBatch

    d = item.payload
    masks = list(RLEBatch.from_arrays(canonical(d["counts"]), canonical(d["offsets"]), canonical(d["sizes"])))
    scores = d["scores"]
    return Sample(item.name, item.image_id, d["file_name"], d["height"], d["width"], None, masks,
                  d["ids"].tolist(), d["category_ids"].tolist(), [bool(x) for x in d["iscrowd"].tolist()],
                  None if scores is None else scores.tolist(), [{} for _ in masks], "io")


LOADERS = {"coco": load_coco, "coco-panoptic": load_panoptic, "labels": load_labels, "io": load_io}


def load(item: Item) -> Sample:
    return LOADERS[item.kind](item)


def image_path(images_dir: PathLike, sample: Sample) -> Optional[Path]:
    """The photo of a sample under ``images_dir``: its file name, else its stem with a usual suffix."""
    d = Path(images_dir)
    cands = []
    if sample.file_name:
        cands.append(d / sample.file_name)
        stem = Path(sample.file_name).with_suffix("")
    else:
        stem = Path(sample.name).with_suffix("")
    for ext in (".jpg", ".jpeg", ".png", ".JPG", ".PNG", ".tif", ".bmp"):
        cands.append(d / (str(stem) + ext))
        cands.append(d / (stem.name + ext))
    for c in cands:
        if c.is_file():
            return c
    return None


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default
