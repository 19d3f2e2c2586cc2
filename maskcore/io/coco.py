"""COCO instances files and result lists (``format="coco"``).

Reading
-------
An instances file is a JSON object with ``images``, ``annotations`` and ``categories``; a
result file is a JSON list of annotations (``loadRes``' input). The bytes are walked once by a
native reader (``csrc/segments/coco_json.hpp``): annotation fields go to columns, polygon
coordinates to one float64 buffer, RLE strings stay byte spans, and no Python object is made
per coordinate or per annotation. Masks are then built natively, in parallel:

* polygons: every part with pycocotools' rule (``rleFrPoly``, bit for bit) and their union, as
  ``COCO.annToRLE`` gives (holes cannot be expressed: parts are unioned);
* compressed RLE strings as they are; uncompressed (``counts`` lists, COCO's crowd regions)
  with their counts kept verbatim (pycocotools does not canonicalize them either).

So ``read(f, "coco")`` masks equal ``COCO(f).annToRLE(ann)`` byte for byte. ``iscrowd`` and
``score`` are columns; ``area`` and ``bbox`` are dropped (recomputed from the masks when
needed and on write); any other annotation field is kept verbatim in the segment's
``attributes``. Image fields other than ``id``, ``file_name``, ``height`` and ``width`` go to
the record's ``metadata``; category fields other than ``id``, ``name``, ``supercategory``,
``isthing`` and ``color`` to the category's ``attributes``; other top-level keys (``info``,
``licenses``, ...) to ``dataset.metadata``. Segments are grouped by image in the order of
``images``, annotations of one image in file order. The RLE size of an annotation must equal
its image's size.

Result lists carry no image sizes: give ``images=`` (a Dataset, a COCO instances file or
``{image_id: (height, width)}``), or every result must be an RLE (its size is then the image's);
a polygon result without sizes is refused (never guessed). Results without ``id`` are numbered
``1..n`` as ``loadRes`` does. Images of a result list are those the results name, in order of
first appearance, unless ``images=`` gives them.

Writing
-------
``write(ds, path, "coco", segmentation="auto" | "rle" | "polygon")``: ``"rle"`` writes every mask
as a compressed RLE; ``"polygon"`` writes polygons traced with maskcore's exact (crack) contours,
checked to read back identical under pycocotools' rule, and raises ValueError for a mask that
polygons cannot hold exactly (holes, since COCO unions parts; or a shape pycocotools' rule
rasterizes differently); ``"auto"`` (default) writes polygons where they hold the mask exactly
and the segment is not a crowd, RLE otherwise. ``area`` is the mask's pixel count and ``bbox``
``toBbox`` of the mask. A dataset read from a result list is written back as a list (set
``results=``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import numpy as np
from numpy.typing import NDArray

from .. import _core
from .. import _validate as _v
from ..dataset import Category, Dataset
from ..rle import RLEBatch
from ..segments import _take
from ._common import FormatError, fail, side, want_int, write_json

if TYPE_CHECKING:
    from typing import TypeAlias

    from ..rle import RLE
    from ._common import StrPath

    # What read_coco's images= takes: a Dataset, a COCO instances file, or {image_id: (h, w)}.
    ImageSizes: TypeAlias = Union[Dataset, StrPath, "dict[Any, Any]"]

__all__ = ["read_coco", "write_coco"]

_KIND_POLY, _KIND_STR, _KIND_COUNTS, _KIND_BOXES, _KIND_NONE = 0, 1, 2, 3, 4
_IMG_KEYS = ("id", "file_name", "height", "width")
_CAT_KEYS = ("id", "name", "supercategory", "isthing", "color")
RESULTS_KEY = "coco_results"


def _categories(path: StrPath, cats: Any) -> list[Category]:
    if not isinstance(cats, list):
        raise fail(path, "categories", "a list", f"<{type(cats).__name__}>")
    out: list[Category] = []
    seen: set[int] = set()
    for i, c in enumerate(cats):
        if not isinstance(c, dict):
            raise fail(path, f"categories[{i}]", "an object", f"<{type(c).__name__}>")
        if "id" not in c:
            raise fail(path, f"categories[{i}].id", "a category id", "<missing>")
        cid = want_int(path, f"categories[{i}].id", c["id"])
        if cid in seen:
            raise fail(path, f"categories[{i}].id", "distinct category ids", cid)
        seen.add(cid)
        name = c.get("name", "")
        if not isinstance(name, str):
            raise fail(path, f"categories[{i}].name", "a string", name)
        sup = c.get("supercategory", "")
        if not isinstance(sup, str):
            raise fail(path, f"categories[{i}].supercategory", "a string", sup)
        isthing = c.get("isthing", True)
        if isthing not in (0, 1, True, False) or isinstance(isthing, float):
            raise fail(path, f"categories[{i}].isthing", "0 or 1", isthing)
        color = c.get("color")
        if color is not None:
            if (not isinstance(color, list) or len(color) != 3
                    or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= 255 for x in color)):
                raise fail(path, f"categories[{i}].color", "[r, g, b] integers in 0..255", color)
            color = tuple(color)
        out.append(Category(cid, name, sup, bool(isthing), color, {k: v for k, v in c.items() if k not in _CAT_KEYS}))
    return out


def _images(path: StrPath, imgs: Any) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], list[str],
                                               list[dict[str, Any]]]:
    if not isinstance(imgs, list):
        raise fail(path, "images", "a list", f"<{type(imgs).__name__}>")
    ids = np.zeros(len(imgs), np.int64)
    hs = np.zeros(len(imgs), np.int64)
    ws = np.zeros(len(imgs), np.int64)
    names: list[str] = []
    meta: list[dict[str, Any]] = []
    for i, im in enumerate(imgs):
        if not isinstance(im, dict):
            raise fail(path, f"images[{i}]", "an object", f"<{type(im).__name__}>")
        for k in ("id", "height", "width"):
            if k not in im:
                raise fail(path, f"images[{i}].{k}", f"the image's {k}", "<missing>")
        ids[i] = want_int(path, f"images[{i}].id", im["id"])
        hs[i] = side(path, f"images[{i}].height", im["height"])
        ws[i] = side(path, f"images[{i}].width", im["width"])
        fn = im.get("file_name", "")
        if not isinstance(fn, str):
            raise fail(path, f"images[{i}].file_name", "a string", fn)
        names.append(fn)
        meta.append({k: v for k, v in im.items() if k not in _IMG_KEYS})
    u, c = np.unique(ids, return_counts=True)
    if (c > 1).any():
        raise fail(path, "images[].id", "distinct image ids", int(u[c > 1][0]))
    return ids, hs, ws, names, meta


def _sizes_from(images: ImageSizes, path: StrPath) -> dict[int, tuple[int, int]]:
    """{image_id: (h, w)} from a Dataset, a COCO file or a dict."""
    from .. import io
    if isinstance(images, (str, Path)):
        images = io.read(images, "coco")
    if isinstance(images, Dataset):
        return {int(i): (int(h), int(w)) for i, h, w in zip(images.image_ids, images._h, images._w)}
    if isinstance(images, dict):
        out: dict[int, tuple[int, int]] = {}
        for k, v in images.items():
            try:
                h, w = v
            except (TypeError, ValueError):
                raise ValueError(f"images[{k!r}]: expected (height, width), got {v!r}") from None
            out[_v.integer(k, "images key")] = (side(path, f"images[{k}] height", h), side(path, f"images[{k}] width", w))
        return out
    raise TypeError(f"images: expected a Dataset, a COCO file path or {{image_id: (height, width)}}, got "
                    f"{type(images).__name__}")


def read_coco(path: StrPath, *, images: Optional[ImageSizes] = None, strict: bool = True,
              threads: Optional[int] = None) -> Dataset:
    """Read a COCO instances file or result list (module docstring: the semantics).

    Parameters
    ----------
    path : str or Path
    images : Dataset, path or dict, optional
        Image sizes for a result list (``{image_id: (height, width)}``, a COCO instances file
        or a Dataset); its categories are used too.
    strict : bool
        True (default): an annotation whose ``category_id`` is not among the categories is an
        error. False: it is kept, and ``dataset.metadata["unknown_category_ids"]`` lists the ids.
    threads : int, optional
        Threads for building the masks (default: every core); the result does not depend on it.

    Raises
    ------
    FormatError (a ValueError)
        Naming the file, the field (``annotations[17].segmentation.size``) and the value.
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        spans, is_list, list_span = _core.coco_json_top(data)
    except ValueError as e:
        raise FormatError(f"{path}: {e}") from None
    top: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    if is_list:
        begin, end = list_span
        metadata[RESULTS_KEY] = True
    else:
        for ks, ke, vs, ve in spans.tolist():
            try:
                key = json.loads(data[ks - 1:ke + 1])
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise FormatError(f"{path}: a top-level key at byte {ks - 1}: invalid JSON ({e})") from None
            if key == "annotations":
                begin, end = vs, ve
                top[key] = None
            else:
                try:
                    top[key] = json.loads(data[vs:ve])
                except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
                    raise FormatError(f"{path}: {key}: invalid JSON ({e})") from None
        for k in ("images", "annotations"):
            if k not in top:
                raise fail(path, k, f"a top-level '{k}' list (a COCO instances file)", "<missing>")
        metadata.update({k: v for k, v in top.items() if k not in ("images", "annotations", "categories")})
    try:
        ann = _core.coco_json_annotations(data, begin, end)
    except ValueError as e:
        raise FormatError(f"{path}: {e}") from None
    cols = ann.columns()
    n = len(ann)
    ints, present, kind = cols["ints"], cols["present"], cols["kind"]
    for bit, name in ((2, "image_id"), (4, "category_id"), (32, "segmentation")):
        miss = np.flatnonzero((present & bit) == 0)
        if miss.size:
            raise fail(path, f"annotations[{int(miss[0])}].{name}", f"a {name}", "<missing>")
    if is_list:
        no_id = (present & 1) == 0
        if no_id.any():
            ints[no_id, 0] = np.flatnonzero(no_id) + 1
    else:
        miss = np.flatnonzero((present & 1) == 0)
        if miss.size:
            raise fail(path, f"annotations[{int(miss[0])}].id", "an annotation id", "<missing>")
    image_ids = ints[:, 1]
    categories: list[Category] = []
    order: list[int]
    if is_list:
        if images is not None:
            if isinstance(images, (str, Path)):
                images = read_coco(images)
            sizes = _sizes_from(images, path)
            if isinstance(images, Dataset):
                categories = list(images.categories)
            order = list(sizes) if isinstance(images, Dataset) else list(dict.fromkeys(image_ids.tolist()))
            ids = np.array(order, np.int64)
            known = np.isin(image_ids, ids)
            if not known.all():
                i = int(np.flatnonzero(~known)[0])
                raise fail(path, f"[{i}].image_id", "an image id that images= has", int(image_ids[i]))
            hs = np.array([sizes[i][0] for i in order], np.int64)
            ws = np.array([sizes[i][1] for i in order], np.int64)
        else:
            order = list(dict.fromkeys(image_ids.tolist()))
            ids = np.array(order, np.int64)
            rle = cols["rle"]
            is_rle = (kind == _KIND_STR) | (kind == _KIND_COUNTS)
            if not is_rle.all():
                i = int(np.flatnonzero(~is_rle)[0])
                raise fail(path, f"[{i}].segmentation", "an RLE (a result list has no image sizes: give images= to "
                           "read polygons)", "<polygons>")
            first: dict[int, tuple[int, int]] = {}
            for i, (img, h, w) in enumerate(zip(image_ids.tolist(), rle[:, 0].tolist(), rle[:, 1].tolist())):
                first.setdefault(img, (h, w))
            hs = np.array([first[i][0] for i in order], np.int64)
            ws = np.array([first[i][1] for i in order], np.int64)
        names = [""] * len(order)
        meta: list[dict[str, Any]] = [{} for _ in order]
    else:
        ids, hs, ws, names, meta = _images(path, top["images"])
        categories = _categories(path, top.get("categories", []))
    # annotation -> image position
    sorter = np.argsort(ids, kind="stable")
    pos = np.searchsorted(ids, image_ids, sorter=sorter)
    pos = np.minimum(pos, max(len(ids) - 1, 0))
    img_pos = sorter[pos] if len(ids) else np.zeros(n, np.int64)
    bad = (ids[img_pos] != image_ids) if len(ids) else np.ones(n, bool)
    if n and bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise fail(path, f"annotations[{i}].image_id", "the id of an image in 'images'", int(image_ids[i]))
    cat_ids = ints[:, 2]
    if categories or not is_list:
        known = np.isin(cat_ids, np.array([c.id for c in categories], np.int64))
        if not known.all():
            i = int(np.flatnonzero(~known)[0])
            if strict:
                raise fail(path, f"annotations[{i}].category_id", "the id of a category in 'categories' (or "
                           "strict=False to keep it)", int(cat_ids[i]))
            metadata["unknown_category_ids"] = sorted(set(cat_ids[~known].tolist()))
    boxes = np.flatnonzero(kind == _KIND_BOXES)
    if boxes.size:
        raise fail(path, f"annotations[{int(boxes[0])}].segmentation", "polygons of at least 3 points (a first part "
                   "of exactly 4 numbers is read as a box [x, y, w, h] by pycocotools; refused as ambiguous)",
                   "<4 numbers>")
    # extra fields -> attributes (read from the bytes, which are then dropped before the masks)
    attrs: Optional[list[dict[str, Any]]] = None
    extra = cols["extra"]
    if extra.size:
        attrs = [{} for _ in range(n)]
        for a, ks, ke, vs, ve in extra.tolist():
            try:
                key = json.loads(data[ks - 1:ke + 1])
                attrs[a][key] = json.loads(data[vs:ve])
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
                raise FormatError(f"{path}: annotations[{a}]: invalid JSON value ({e})") from None
    del data  # the masks need only the parsed columns: the file's bytes are not held while they are built
    try:
        flat, offsets = ann.masks(np.ascontiguousarray(hs[img_pos]), np.ascontiguousarray(ws[img_pos]),
                                  _v.threads(threads))
    except ValueError as e:
        raise FormatError(f"{path}: {e}") from None
    del ann
    sizes = np.stack([hs[img_pos], ws[img_pos]], 1) if n else np.zeros((0, 2), np.int64)
    batch = RLEBatch._wrap(flat, offsets, np.ascontiguousarray(sizes, np.int64))
    scores = cols["score"] if ((present & 16) != 0).any() else None
    # group by image (stable: file order within an image)
    by_image = np.argsort(img_pos, kind="stable")
    identity = bool(n == 0 or np.array_equal(by_image, np.arange(n)))
    if not identity:
        batch = _take(batch, by_image)
        attrs = None if attrs is None else [attrs[i] for i in by_image.tolist()]
    seg_off = np.zeros(len(ids) + 1, np.int64)
    np.cumsum(np.bincount(img_pos, minlength=len(ids)) if n else np.zeros(len(ids), np.int64), out=seg_off[1:])

    def pick(a: NDArray[Any]) -> NDArray[Any]:
        return a if identity else a[by_image]

    return Dataset._from_columns(
        categories=categories, image_ids=ids, file_names=names, heights=hs, widths=ws, image_meta=meta,
        seg_offsets=seg_off, counts=batch.counts, run_offsets=batch.offsets,
        ids=np.ascontiguousarray(pick(ints[:, 0])), category_ids=np.ascontiguousarray(pick(cat_ids)),
        iscrowd=np.ascontiguousarray(pick(ints[:, 3])).astype(np.bool_),
        scores=None if scores is None else np.ascontiguousarray(pick(scores)), attributes=attrs, metadata=metadata)


# ---- writing ------------------------------------------------------------------------------------

def _number(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def polygons_exact(rle: RLE) -> list[list[int | float]] | None:
    """COCO polygon parts that read back (pycocotools' rule) to exactly this mask, or None."""
    from ..contours import find_polygons
    from ..raster import rasterize_rle
    m = rle.decode()
    polys = find_polygons(m, exact=True)
    if any(p.holes for p in polys):
        return None
    parts = [[_number(v) for v in p.outer.reshape(-1).tolist()] for p in polys]
    if any(len(p) < 6 for p in parts):
        return None
    h, w = rle.shape
    back = rasterize_rle(parts, h, w, rule="coco") if parts else None
    if (back is None and rle.area) or (back is not None and back != rle):
        return None
    return parts


def write_coco(dataset: Dataset, path: StrPath, *, segmentation: str = "auto", results: Optional[bool] = None,
               indent: Optional[int] = None) -> None:
    """Write a COCO instances file (or a result list). See the module docstring.

    Parameters
    ----------
    segmentation : {"auto", "rle", "polygon"}
    results : bool, optional
        Write a result list (default: when the dataset was read from one).
    indent : int, optional
        JSON indentation (default: compact).
    """
    _v.choice(segmentation, ("auto", "rle", "polygon"), "segmentation")
    if results is None:
        results = bool(dataset.metadata.get(RESULTS_KEY))
    anns: list[dict[str, Any]] = []
    for rec in dataset:
        s = rec.segments
        if len(s) == 0:
            continue
        coco = s.masks.to_coco()
        area = s.area.tolist()
        bbox = s.bbox.tolist()
        scores = None if s.scores is None else s.scores.tolist()
        attrs = s.attributes if s.has_attributes() else None
        for i in range(len(s)):
            seg: Any = coco[i]
            if segmentation != "rle" and not bool(s.iscrowd[i]):
                parts = polygons_exact(s.masks[i])
                if parts is not None:
                    seg = parts
                elif segmentation == "polygon":
                    raise ValueError(f"segmentation='polygon': image {rec.image_id}, segment {i} (id "
                                     f"{int(s.ids[i])}) cannot be written as COCO polygons exactly (holes, or a shape "
                                     "pycocotools rasterizes differently); use segmentation='auto' or 'rle'")
            elif segmentation == "polygon":
                raise ValueError(f"segmentation='polygon': image {rec.image_id}, segment {i} is a crowd region, "
                                 "which COCO stores as RLE; use segmentation='auto'")
            a: dict[str, Any] = {"id": int(s.ids[i]), "image_id": rec.image_id, "category_id": int(s.category_ids[i]),
                 "segmentation": seg, "area": int(area[i]), "bbox": bbox[i], "iscrowd": int(s.iscrowd[i])}
            if scores is not None and not np.isnan(scores[i]):
                a["score"] = scores[i]
            if attrs is not None:
                for k, v in attrs[i].items():
                    if k in a:
                        raise ValueError(f"attributes: image {rec.image_id}, segment {i}: key {k!r} would overwrite "
                                         "a COCO field")
                    a[k] = v
            anns.append(a)
    if results:
        write_json(path, anns, indent)
        return
    out = {k: v for k, v in dataset.metadata.items() if k not in (RESULTS_KEY, "unknown_category_ids")}
    out["images"] = [dict({"id": r_id, "file_name": fn, "height": int(h), "width": int(w)}, **m)
                     for r_id, fn, h, w, m in zip(dataset.image_ids.tolist(), dataset._file_names, dataset._h,
                                                  dataset._w, dataset._image_meta)]
    out["annotations"] = anns
    out["categories"] = [_category_json(c) for c in dataset.categories]
    write_json(path, out, indent)


def _category_json(c: Category) -> dict[str, Any]:
    d: dict[str, Any] = {"id": c.id, "name": c.name, "supercategory": c.supercategory}
    if not c.isthing:
        d["isthing"] = 0
    if c.color is not None:
        d["color"] = list(c.color)
    d.update(c.attributes)
    return d
