"""LabelMe JSON (``format="labelme"``): one JSON per image with its shapes.

Reading (``path``: one JSON, or a folder of them read in sorted order): ``imageHeight`` /
``imageWidth`` are the size (required), ``imagePath`` the file name; ``image_id`` counts from 1.
Mask shapes, one :class:`Segments` row each in file order (``ids`` 1..n):

* ``"polygon"``: rasterized with ``rule=`` (default ``"inclusive"``: boundary pixels included,
  the convention of LabelMe's own PIL drawing with an outline; not bit-identical to PIL);
* ``"rectangle"``: the two corner points as an axis-aligned polygon, same rule;
* ``"mask"`` (LabelMe >= 5.2): a base64 PNG of the box between the two points, exact.

``"circle"``, ``"line"``, ``"linestrip"``, ``"point"`` are not masks: skipped, counted in
``dataset.metadata["skipped_shapes"]``. Categories are the labels in order of first
appearance (ids 1..k). ``group_id``, ``flags``, ``description`` and other shape keys are kept in
``attributes``; other top-level keys (``version``, ``flags``, not ``imageData``) in the record's
metadata.

Writing (``path``: a folder): one JSON per image, every segment as a ``"mask"`` shape over its
tight box (exact), ``imageData`` null.
"""
from __future__ import annotations

import base64
import io as _io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..dataset import Category, Dataset, ImageRecord
from ..raster import rasterize_rle
from ..rle import RLE, RLEBatch
from ..segments import Segments
from ._common import MAX_PIXELS, FormatError, fail, load_json, new_dataset, side, write_json

if TYPE_CHECKING:
    from ._common import StrPath

__all__ = ["read_labelme", "write_labelme"]

_SKIP = ("circle", "line", "linestrip", "point", "points")
_SHAPE_KEYS = ("label", "points", "shape_type", "mask")


def _points(path: StrPath, where: str, pts: Any) -> NDArray[np.float64]:
    if not isinstance(pts, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                        for v in p) for p in pts):
        raise fail(path, where, "a list of [x, y] numbers", pts if not isinstance(pts, list) else f"<{str(pts)[:60]}>")
    xy = np.array(pts, np.float64).reshape(-1, 2)
    if not np.isfinite(xy).all():
        raise fail(path, where, "finite coordinates", "<nan or inf>")
    return xy


def _mask_png(path: StrPath, where: str, b64: Any, bh: int, bw: int) -> NDArray[np.bool_]:
    from PIL import Image
    if not isinstance(b64, str):
        raise fail(path, where, "a base64 PNG string", f"<{type(b64).__name__}>")
    try:
        raw = base64.b64decode(b64, validate=True)
        with Image.open(_io.BytesIO(raw)) as im:
            if im.size[0] * im.size[1] > MAX_PIXELS:
                raise fail(path, where, f"at most {MAX_PIXELS} pixels", f"<{im.size}>")
            arr = np.asarray(im.convert("L")) if im.mode not in ("1", "L") else np.asarray(im)
    except FormatError:
        raise
    except Exception as e:
        raise FormatError(f"{path}: {where}: not a base64 PNG ({e})") from None
    if arr.shape != (bh, bw):
        raise fail(path, where, f"a {bw}x{bh} mask (the box of its points)", f"<{arr.shape[1]}x{arr.shape[0]}>")
    nonzero: NDArray[np.bool_] = arr != 0
    return nonzero


def read_labelme(path: StrPath, *, rule: str = "inclusive") -> Dataset:
    """Read LabelMe JSON files (module docstring)."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(path.glob("*.json"))
    if not files:
        raise FormatError(f"{path}: no .json files")
    cats: dict[str, int] = {}
    records: list[ImageRecord] = []
    skipped = 0
    for k, f in enumerate(files):
        obj = load_json(f)
        if not isinstance(obj, dict):
            raise fail(f, "", "a JSON object", f"<{type(obj).__name__}>")
        for key in ("imageHeight", "imageWidth", "shapes"):
            if key not in obj:
                raise fail(f, key, f"the image's {key}", "<missing>")
        h, w = side(f, "imageHeight", obj["imageHeight"]), side(f, "imageWidth", obj["imageWidth"])
        shapes = obj["shapes"]
        if not isinstance(shapes, list):
            raise fail(f, "shapes", "a list", f"<{type(shapes).__name__}>")
        rles: list[RLE] = []
        cls: list[int] = []
        attrs: list[dict[str, Any]] = []
        for j, sh in enumerate(shapes):
            ws = f"shapes[{j}]"
            if not isinstance(sh, dict):
                raise fail(f, ws, "an object", f"<{type(sh).__name__}>")
            kind = sh.get("shape_type") or "polygon"
            if kind in _SKIP:
                skipped += 1
                continue
            label = sh.get("label")
            if not isinstance(label, str):
                raise fail(f, f"{ws}.label", "a string", label)
            xy = _points(f, f"{ws}.points", sh.get("points"))
            if kind == "polygon":
                if len(xy) < 3:
                    raise fail(f, f"{ws}.points", "at least 3 points for a polygon", f"<{len(xy)} points>")
                rles.append(rasterize_rle(xy, h, w, rule=rule))
            elif kind == "rectangle":
                if len(xy) != 2:
                    raise fail(f, f"{ws}.points", "2 corner points for a rectangle", f"<{len(xy)} points>")
                (x0, y0), (x1, y1) = xy.min(0), xy.max(0)
                rles.append(rasterize_rle(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), h, w, rule=rule))
            elif kind == "mask":
                if len(xy) != 2:
                    raise fail(f, f"{ws}.points", "2 box corners for a mask", f"<{len(xy)} points>")
                (x0, y0), (x1, y1) = np.rint(xy.min(0)).astype(int), np.rint(xy.max(0)).astype(int)
                if x0 < 0 or y0 < 0 or x1 >= w or y1 >= h:
                    raise fail(f, f"{ws}.points", f"a box inside the {w}x{h} image", xy.tolist())
                m = np.zeros((h, w), bool)
                m[y0:y1 + 1, x0:x1 + 1] = _mask_png(f, f"{ws}.mask", sh.get("mask"), y1 - y0 + 1, x1 - x0 + 1)
                rles.append(RLE.from_mask(m))
            else:
                raise fail(f, f"{ws}.shape_type", "polygon, rectangle or mask (or a skipped non-mask type)", kind)
            cls.append(cats.setdefault(label, len(cats) + 1))
            attrs.append({key: v for key, v in sh.items() if key not in _SHAPE_KEYS})
        s = Segments(RLEBatch(rles), np.arange(1, len(rles) + 1), cls, attributes=attrs if any(attrs) else None,
                     height=h, width=w) if rles else Segments.empty(h, w)
        meta = {key: v for key, v in obj.items() if key not in ("shapes", "imageData", "imageHeight", "imageWidth",
                                                              "imagePath")}
        meta["json_file"] = f.name
        fn = obj.get("imagePath") or ""
        records.append(ImageRecord(k + 1, fn if isinstance(fn, str) else str(fn), h, w, meta, s))
    return new_dataset(path, records, [Category(i, n) for n, i in cats.items()],
                   metadata={"skipped_shapes": skipped, "rule": rule})


def write_labelme(dataset: Dataset, path: StrPath, *, version: str = "5.2.1") -> None:
    """Write one LabelMe JSON per image into the folder ``path`` (module docstring)."""
    from PIL import Image
    path = Path(path)
    names = {c.id: c.name for c in dataset.categories}
    for rec in dataset:
        s = rec.segments
        shapes: list[dict[str, Any]] = []
        for i, m in enumerate(s.masks):
            if m.area == 0:
                continue
            x, y, bw, bh = (int(v) for v in m.bbox)
            crop = m.decode()[y:y + bh, x:x + bw]
            buf = _io.BytesIO()
            Image.fromarray(crop.astype(np.uint8) * 255, "L").convert("1").save(buf, format="PNG")
            sh: dict[str, Any] = {"label": names.get(int(s.category_ids[i]), str(int(s.category_ids[i]))),
                  "points": [[x, y], [x + bw - 1, y + bh - 1]], "shape_type": "mask",
                  "mask": base64.b64encode(buf.getvalue()).decode("ascii")}
            if s.has_attributes():
                sh.update({k: v for k, v in s.attributes[i].items() if k not in _SHAPE_KEYS})
            sh.setdefault("group_id", None)
            sh.setdefault("flags", {})
            shapes.append(sh)
        meta = {k: v for k, v in rec.metadata.items() if k != "json_file"}
        out = {"version": meta.pop("version", version), "flags": meta.pop("flags", {}), "shapes": shapes,
               "imagePath": rec.file_name, "imageData": None, "imageHeight": rec.height, "imageWidth": rec.width}
        out.update(meta)
        name = rec.metadata.get("json_file") or f"{Path(rec.file_name).stem or rec.image_id}.json"
        write_json(path / name, out, indent=2)
