"""Kaggle run-length CSV (``format="kaggle-csv"``): ``ImageId,EncodedPixels[,ClassId]``.

Each row is one mask of one image: ``EncodedPixels`` is ``start length`` pairs with 1-indexed
starts (:func:`maskcore.rle.from_kaggle`); an empty value is an image without masks. Pixel
order ``order="F"`` (down columns first, the default of most competitions and of COCO) or
``"C"`` (along rows). The CSV holds no image size: ``shape=(height, width)`` for every image or
``sizes={image_id: (height, width)}`` (refused otherwise, never guessed). Column names are
matched case-insensitively; ``image_column`` / ``pixels_column`` / ``class_column`` name others.

Reading: images in order of first appearance (``image_id`` 1, 2, ... with ``file_name`` =
the ImageId text), rows in file order with ``ids`` 1..n per image and ``category_ids`` from the
class column (0 without one); any other column is kept verbatim (a string) in ``attributes``.
Refused, naming the line and the value: a malformed run string (from_kaggle's checks), a
missing column, a class that is not an integer.

Writing: one row per segment (``ImageId`` = the file name, ``EncodedPixels``, ``ClassId`` when
any category is non-zero), an image without segments as one row with empty pixels.
``class_column``: True / False writes the ``ClassId`` column or not; a string writes it under
that name (what ``read(..., class_column=name)`` reads back).
"""
from __future__ import annotations

import csv
import io as _io
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Union

import numpy as np

from ..dataset import Category, Dataset, ImageRecord
from ..rle import RLE, RLEBatch, from_kaggle, to_kaggle
from ..segments import Segments
from ._common import FormatError, fail, new_dataset, side, write_atomic

if TYPE_CHECKING:
    from ._common import StrPath

__all__ = ["read_kaggle", "write_kaggle"]


def _find_column(header: Sequence[str], wanted: Sequence[str]) -> Optional[int]:
    low = [h.strip().lower() for h in header]
    for w in wanted:
        if w.lower() in low:
            return low.index(w.lower())
    return None


def _column(header: Sequence[str], wanted: Sequence[str], name: str, path: StrPath) -> int:
    i = _find_column(header, wanted)
    if i is None:
        raise fail(path, "header", f"a {name} column (one of {', '.join(wanted)})", ",".join(header))
    return i


def read_kaggle(path: StrPath, *, shape: Optional[tuple[int, int]] = None,
                sizes: Optional[Mapping[str, tuple[int, int]]] = None, order: str = "F",
                image_column: Optional[str] = None, pixels_column: Optional[str] = None,
                class_column: Optional[str] = None) -> Dataset:
    """Read a Kaggle run-length CSV (module docstring)."""
    path = Path(path)
    if shape is None and sizes is None:
        raise ValueError(f"{path}: a Kaggle CSV holds no image size; give shape=(height, width) or "
                         "sizes={image_id: (height, width)} (sizes are never guessed)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise FormatError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    rows = list(csv.reader(_io.StringIO(text)))
    if not rows:
        raise fail(path, "header", "a header row", "<empty file>")
    header = rows[0]
    ci = _column(header, [image_column] if image_column else ["ImageId", "id", "image_id", "img"], "image", path)
    cp = _column(header, [pixels_column] if pixels_column else ["EncodedPixels", "rle_mask", "rle", "predicted"],
                 "pixels", path)
    cc = (_column(header, [class_column], "class", path) if class_column
          else _find_column(header, ["ClassId", "class_id", "class"]))
    others = [i for i in range(len(header)) if i not in (ci, cp, cc)]
    images: dict[str, tuple[int, int, list[tuple[RLE, int, dict[str, str]]]]] = {}
    for ln, row in enumerate(rows[1:], 2):
        if not row:
            continue
        if len(row) != len(header):
            raise fail(path, f"line {ln}", f"{len(header)} fields", f"<{len(row)} fields>")
        img = row[ci]
        if img not in images:
            if sizes is not None:
                if img not in sizes:
                    raise fail(path, f"line {ln} {header[ci]}", "an image listed in sizes=", img)
                h, w = sizes[img]
            else:
                assert shape is not None  # (one of the two was checked above)
                h, w = shape
            images[img] = (side(path, f"size of {img} height", h), side(path, f"size of {img} width", w), [])
        h, w, segs = images[img]
        px = row[cp].strip()
        if not px:
            continue
        try:
            rle = from_kaggle(px, (h, w), order=order)
        except (ValueError, TypeError) as e:
            raise FormatError(f"{path}: line {ln} {header[cp]}: {e}") from None
        cls = 0
        if cc is not None:
            try:
                cls = int(row[cc])
            except ValueError:
                raise fail(path, f"line {ln} {header[cc]}", "an integer class", row[cc]) from None
        segs.append((rle, cls, {header[i]: row[i] for i in others}))
    records: list[ImageRecord] = []
    classes: set[int] = set()
    for k, (img, (h, w, segs)) in enumerate(images.items()):
        if segs:
            s = Segments(RLEBatch([r for r, _, _ in segs]), np.arange(1, len(segs) + 1), [c for _, c, _ in segs],
                         attributes=[a for _, _, a in segs] if others else None, height=h, width=w)
            classes.update(c for _, c, _ in segs)
        else:
            s = Segments.empty(h, w)
        records.append(ImageRecord(k + 1, img, h, w, {}, s))
    return new_dataset(path, records, [Category(c, str(c)) for c in sorted(classes)],
                   metadata={"order": order, "columns": header})


def write_kaggle(dataset: Dataset, path: StrPath, *, order: str = "F",
                 class_column: Union[bool, str, None] = None) -> None:
    """Write a Kaggle run-length CSV (module docstring)."""
    with_class = class_column if class_column is not None else any(
        len(r.segments) and (r.segments.category_ids != 0).any() for r in dataset)
    out = _io.StringIO()
    wr = csv.writer(out, lineterminator="\n")
    class_name = class_column if isinstance(class_column, str) and class_column else "ClassId"
    wr.writerow(["ImageId", "EncodedPixels"] + ([class_name] if with_class else []))
    for rec in dataset:
        s = rec.segments
        if not len(s):
            wr.writerow([rec.file_name, ""] + ([""] if with_class else []))
        for i, m in enumerate(s.masks):
            wr.writerow([rec.file_name, to_kaggle(m, order=order)] + ([int(s.category_ids[i])] if with_class else []))
    data = out.getvalue().encode()
    write_atomic(path, lambda f: f.write(data))
