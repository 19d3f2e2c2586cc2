"""COCO panoptic (``format="coco-panoptic"``): a JSON file + one RGB PNG per image.

Reading
-------
The JSON has ``images``, ``annotations`` (one per image: ``image_id``, ``file_name`` of its PNG,
``segments_info``) and ``categories`` (with ``isthing`` and ``color``). A PNG pixel's segment id
is ``R + 256*G + 256**2*B`` (panopticapi's ``rgb2id``); 0 is void (no segment). Each image's
segments are read in one native pass over its PNG, rows in ``segments_info`` order with
``ids`` the segment ids, ``category_ids``, ``iscrowd`` and the other ``segments_info`` fields
(except ``area`` and ``bbox``, recomputed) in ``attributes``. A segment listed but absent from
the PNG is kept with an empty mask. Refused, naming the file and the value: a PNG whose size
differs from the image's ``height``/``width``, a PNG that is not RGB, a pixel id missing from
``segments_info``, an image without an annotation (or two), a category id not in
``categories``. The PNG folder is ``png_dir=``, by default the JSON's stem beside it
(``panoptic_val2017.json`` -> ``panoptic_val2017/``), as the COCO panoptic release lays it out.

Writing
-------
One PNG per image (name: ``metadata["panoptic_file_name"]`` when read from a panoptic file, else
the image file name's stem + ``.png``) in ``png_dir`` and the JSON. Panoptic segments cannot
overlap: ``overlap=`` ("error" by default) is :meth:`Segments.to_label_map`'s rule. Segment ids
must be in 1 .. 2**24 - 1 (three bytes).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np
from numpy.typing import NDArray

from ..dataset import Dataset, ImageRecord
from ..segments import Segments
from ._common import FormatError, fail, load_json, new_dataset, read_png, side, want_int, write_json, write_png
from .coco import _categories, _category_json

if TYPE_CHECKING:
    from ._common import StrPath

__all__ = ["read_panoptic", "write_panoptic"]

_INFO_KEYS = ("id", "category_id", "iscrowd", "area", "bbox")


def _png_dir(path: Path, png_dir: Optional[StrPath]) -> Path:
    return Path(png_dir) if png_dir is not None else path.with_suffix("")


def read_panoptic(path: StrPath, *, png_dir: Optional[StrPath] = None, threads: Optional[int] = None) -> Dataset:
    """Read a COCO panoptic JSON and its PNGs (module docstring)."""
    path = Path(path)
    obj = load_json(path)
    if not isinstance(obj, dict):
        raise fail(path, "", "a JSON object with images, annotations, categories", f"<{type(obj).__name__}>")
    for k in ("images", "annotations", "categories"):
        if not isinstance(obj.get(k), list):
            raise fail(path, k, "a list", f"<{type(obj.get(k)).__name__}>")
    cats = _categories(path, obj["categories"])
    cat_ids = {c.id for c in cats}
    pngs = _png_dir(path, png_dir)
    by_image: dict[int, tuple[int, dict[str, Any]]] = {}
    for i, a in enumerate(obj["annotations"]):
        if not isinstance(a, dict):
            raise fail(path, f"annotations[{i}]", "an object", f"<{type(a).__name__}>")
        if "image_id" not in a:
            raise fail(path, f"annotations[{i}].image_id", "an image id", "<missing>")
        iid = want_int(path, f"annotations[{i}].image_id", a["image_id"])
        if iid in by_image:
            raise fail(path, f"annotations[{i}].image_id", "one annotation per image", iid)
        by_image[iid] = (i, a)
    records: list[ImageRecord] = []
    for k, im in enumerate(obj["images"]):
        if not isinstance(im, dict):
            raise fail(path, f"images[{k}]", "an object", f"<{type(im).__name__}>")
        for key in ("id", "height", "width"):
            if key not in im:
                raise fail(path, f"images[{k}].{key}", f"the image's {key}", "<missing>")
        iid = want_int(path, f"images[{k}].id", im["id"])
        h = side(path, f"images[{k}].height", im["height"])
        w = side(path, f"images[{k}].width", im["width"])
        fn = im.get("file_name", "")
        if not isinstance(fn, str):
            raise fail(path, f"images[{k}].file_name", "a string", fn)
        meta = {key: v for key, v in im.items() if key not in ("id", "file_name", "height", "width")}
        if iid not in by_image:
            raise fail(path, f"images[{k}]", "an annotation for every image", f"<no annotation for image {iid}>")
        i, a = by_image.pop(iid)
        png = a.get("file_name")
        if not isinstance(png, str) or not png:
            raise fail(path, f"annotations[{i}].file_name", "the PNG's file name", png)
        meta["panoptic_file_name"] = png
        extra = {key: v for key, v in a.items() if key not in ("image_id", "file_name", "segments_info")}
        if extra:
            meta["panoptic_annotation"] = extra
        infos = a.get("segments_info")
        if not isinstance(infos, list):
            raise fail(path, f"annotations[{i}].segments_info", "a list", f"<{type(infos).__name__}>")
        table: dict[int, dict[str, Any]] = {}
        order: list[int] = []
        for j, s in enumerate(infos):
            where = f"annotations[{i}].segments_info[{j}]"
            if not isinstance(s, dict):
                raise fail(path, where, "an object", f"<{type(s).__name__}>")
            for key in ("id", "category_id"):
                if key not in s:
                    raise fail(path, f"{where}.{key}", f"a {key}", "<missing>")
            sid = want_int(path, f"{where}.id", s["id"], 1, 2**24 - 1)
            cid = want_int(path, f"{where}.category_id", s["category_id"])
            if cid not in cat_ids:
                raise fail(path, f"{where}.category_id", "the id of a category in 'categories'", cid)
            crowd = s.get("iscrowd", 0)
            if crowd not in (0, 1) or isinstance(crowd, float):
                raise fail(path, f"{where}.iscrowd", "0 or 1", crowd)
            if sid in table:
                raise fail(path, f"{where}.id", "distinct segment ids", sid)
            table[sid] = {"category_id": cid, "iscrowd": bool(crowd),
                          "attributes": {key: v for key, v in s.items() if key not in _INFO_KEYS}}
            order.append(sid)
        pixels, mode, _ = read_png(pngs / png, modes=("RGB",), expect_size=(h, w), field="png")
        segs = _segments_from_ids(pixels, table, order, pngs / png, threads)
        records.append(ImageRecord(iid, fn, h, w, meta, segs))
    if by_image:
        iid, (i, _) = next(iter(by_image.items()))
        raise fail(path, f"annotations[{i}].image_id", "the id of an image in 'images'", iid)
    metadata = {k: v for k, v in obj.items() if k not in ("images", "annotations", "categories")}
    return new_dataset(path, records, cats, metadata=metadata)


def _segments_from_ids(rgb: NDArray[np.uint8], table: dict[int, dict[str, Any]], order: list[int], png: Path,
                       threads: Optional[int]) -> Segments:
    """Segments of an RGB id PNG (one native pass), rows in ``order``."""
    colors = [((sid & 255, (sid >> 8) & 255, (sid >> 16) & 255), dict(id=sid, **table[sid])) for sid in order]
    try:
        segs: Segments = Segments.from_rgb(rgb, colors, background=(0, 0, 0), threads=threads)
        return segs
    except ValueError as e:
        msg = str(e)
        if "colours not in the colour table" in msg:
            r, c = (int(v) for v in np.argwhere(_missing(rgb, order))[0])
            px = rgb[r, c].astype(np.int64)
            sid = int(px[0] + 256 * px[1] + 65536 * px[2])
            n = int(_missing(rgb, order).sum())
            raise FormatError(f"{png}: segment id {sid} (at (row, col) ({r}, {c}); {n} pixels with ids missing) is not "
                              "in segments_info") from None
        raise


def _missing(rgb: NDArray[np.uint8], order: Sequence[int]) -> NDArray[np.bool_]:
    c = rgb.astype(np.int64)
    ids = c[..., 0] + 256 * c[..., 1] + 65536 * c[..., 2]
    missing: NDArray[np.bool_] = ~np.isin(ids, np.array(list(order) + [0], np.int64))
    return missing


def write_panoptic(dataset: Dataset, path: StrPath, *, png_dir: Optional[StrPath] = None, overlap: str = "error",
                   priority: Optional[Sequence[int]] = None) -> None:
    """Write a COCO panoptic JSON and its PNGs (module docstring)."""
    path = Path(path)
    pngs = _png_dir(path, png_dir)
    anns: list[dict[str, Any]] = []
    written: set[str] = set()
    for rec in dataset:
        s = rec.segments
        bad = (s.ids < 1) | (s.ids > 2**24 - 1)
        if bad.any():
            raise ValueError(f"ids: image {rec.image_id}: segment id {int(s.ids[bad][0])} does not fit a panoptic "
                             "PNG (1 .. 2**24 - 1)")
        png = rec.metadata.get("panoptic_file_name") or (Path(rec.file_name).stem or str(rec.image_id)) + ".png"
        if png in written:
            raise ValueError(f"png: two images would write {png}")
        written.add(png)
        ids = s.to_label_map(np.uint32, overlap=overlap, priority=priority) if len(s) else \
            np.zeros((rec.height, rec.width), np.uint32)
        rgb = np.stack([ids & 255, (ids >> 8) & 255, (ids >> 16) & 255], -1).astype(np.uint8)
        write_png(pngs / png, rgb)
        area, bbox = s.area.tolist(), s.bbox.tolist()
        infos: list[dict[str, Any]] = []
        for i in range(len(s)):
            d: dict[str, Any] = {"id": int(s.ids[i]), "category_id": int(s.category_ids[i]), "iscrowd": int(s.iscrowd[i]),
                 "bbox": [int(v) for v in bbox[i]], "area": int(area[i])}
            if s.has_attributes():
                d.update(s.attributes[i])
            infos.append(d)
        a: dict[str, Any] = {"image_id": rec.image_id, "file_name": png, "segments_info": infos}
        a.update(rec.metadata.get("panoptic_annotation", {}))
        anns.append(a)
    images = [dict({"id": r.image_id, "file_name": r.file_name, "height": r.height, "width": r.width},
                   **{k: v for k, v in r.metadata.items() if k not in ("panoptic_file_name", "panoptic_annotation")})
              for r in dataset]
    cats: list[dict[str, Any]] = []
    for c in dataset.categories:
        d = _category_json(c)
        d["isthing"] = int(c.isthing)
        cats.append(d)
    out = dict(dataset.metadata)
    out.update({"images": images, "annotations": anns, "categories": cats})
    write_json(path, out)
