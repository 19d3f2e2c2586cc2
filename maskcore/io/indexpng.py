"""Index PNGs + a segments JSON (``format="index-png"``), Scale Nucleus' segmentation model.

Layout
------
One JSON file (the ``path``) and one 8- or 16-bit single-channel PNG per image, whose pixel
value is the index of a segment (Nucleus' ``Segment(label, index, metadata)``)::

    {"format": "index-png", "flavour": "instance",          # "semantic" | "instance" | "panoptic"
     "background": 0,                                       # the value that is no segment (null: none)
     "categories": [{"id": 1, "name": "car"}, ...],
     "items": [{"image_id": 1, "file_name": "a.jpg", "mask": "masks/a.png",
                "height": 480, "width": 640, "bit_depth": 8, "metadata": {...},
                "segments": [{"index": 3, "label": "car", "category_id": 1,
                              "iscrowd": false, "metadata": {...}}, ...]}]}

``mask`` is relative to the JSON's folder. A segment names its category by ``category_id`` or
by ``label`` (a category name; both given must agree). ``bit_depth`` (optional) declares 8 or 16.
Palette PNGs are read as their indices (never through colours); RGB PNGs are refused.

Category ids (the rule of maskcore.io's table formats, ``_table.py``; reader and writer follow
the same one, so whatever is written reads back): a segment without ``category_id`` or
``label`` has category 0, and 0 that is not among ``categories`` means "no category" (written as
no ``category_id``). Any other id not among ``categories`` is refused by the reader and by the
writer, naming the image and segment, unless both are given ``strict=False``: the reader then
keeps it and lists it in ``dataset.metadata["unknown_category_ids"]``. The writer writes
``label`` only for a category whose name no other category has (two categories may share a name;
``category_id`` then says which).

Reading: ``ids`` are the pixel values (``index``), rows in increasing index order (one native
pass per PNG), ``attributes`` the segment's ``metadata``; an image's ``metadata`` is kept in
the record. Refused, naming the file and value: a pixel value missing from ``segments``, a PNG
size different from ``height``/``width``, a 16-bit PNG where ``bit_depth`` is 8, an unknown
``label`` or ``category_id`` (above), an index outside 0..65535.

Writing: ids must be in 1..65535 (8-bit PNG when all ids fit 255, else 16-bit; ``renumber=True``
numbers each image's segments 1..n and keeps the old id in ``metadata["source_id"]``); segments may
not overlap unless ``overlap=`` says how (:meth:`Segments.to_label_map`). Masks go to
``mask_dir`` (default ``masks/`` beside the JSON), named by the image file's stem.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np

from ..dataset import Dataset
from ..segments import Segments
from ._common import encode_png, fail, read_png, want_int
from ._table import CategoryFields, Item, load_items, read_table, row_category, row_crowd, row_metadata, write_table

if TYPE_CHECKING:
    from ..dataset import ImageRecord
    from ._common import StrPath

__all__ = ["read_index_png", "write_index_png"]

FLAVOURS = ("semantic", "instance", "panoptic")


def read_index_png(path: StrPath, *, strict: bool = True, threads: Optional[int] = None) -> Dataset:
    """Read an index-PNG dataset (module docstring).

    Parameters
    ----------
    path : str or Path
        The segments JSON.
    strict : bool
        True (default): a segment whose ``category_id`` is neither a category's nor 0 is an
        error. False: it is kept and listed in ``dataset.metadata["unknown_category_ids"]``.
    threads : int, optional
        Images decoded in parallel (PNG decoding and the label-map pass release the GIL).
    """
    path = Path(path)
    obj, cats, items = read_table(path, "segments", strict=strict)
    flavour = obj.get("flavour", "instance")
    if flavour not in FLAVOURS:
        raise fail(path, "flavour", f"one of {', '.join(FLAVOURS)}", flavour)
    bg: Optional[int] = obj.get("background", 0)
    if bg is not None:
        bg = want_int(path, "background", bg, 0, 65535)
    for item in items:
        depth = item.raw.get("bit_depth")
        if depth is not None and depth not in (8, 16):
            raise fail(path, f"{item.where}.bit_depth", "8 or 16", depth)
        table: dict[int, dict[str, Any]] = {}
        for j, s in enumerate(item.rows):
            ws = f"{item.where}.segments[{j}]"
            if "index" not in s:
                raise fail(path, f"{ws}.index", "the segment's pixel value", "<missing>")
            idx = want_int(path, f"{ws}.index", s["index"], 0, 65535)
            if idx in table:
                raise fail(path, f"{ws}.index", "distinct indices", idx)
            table[idx] = {"category_id": row_category(cats, ws, s, "label"), "iscrowd": row_crowd(path, ws, s),
                          "attributes": row_metadata(path, ws, s)}
        item.table = (table, depth)

    def build(item: Item) -> Segments:
        table, depth = item.table
        png = item.png
        pixels, mode, _ = read_png(png, modes=("L", "P", "I;16", "I;16B", "I;16L", "I", "1"),
                                   expect_size=(item.height, item.width), field="mask")
        if mode == "I":
            if pixels.size and (pixels.min() < 0 or pixels.max() > 65535):
                raise fail(png, "pixels", "values in 0..65535", int(pixels.max()))
            pixels = pixels.astype(np.uint16)
        if depth == 8 and pixels.dtype != np.uint8 and mode != "1":
            raise fail(png, "bit_depth", "an 8-bit PNG (the JSON declares bit_depth 8)", f"<{mode} PNG>")
        if mode == "1":
            pixels = pixels.astype(np.uint8)
        # (segments.py annotates background as int; it takes None, "every value is a segment")
        return Segments.from_label_map(pixels, table, background=bg, threads=1)  # type: ignore[arg-type, unused-ignore]

    metadata = {k: v for k, v in obj.items() if k not in ("items", "categories", "background", "flavour", "format")}
    metadata.update(flavour=flavour, background=bg)
    return load_items(path, obj, cats, items, build, threads=threads, metadata=metadata)


def write_index_png(dataset: Dataset, path: StrPath, *, mask_dir: str = "masks", flavour: Optional[str] = None,
                    overlap: str = "error", priority: Optional[Sequence[int]] = None, renumber: bool = False,
                    strict: bool = True, threads: Optional[int] = None) -> None:
    """Write index PNGs and the segments JSON (module docstring).

    ``renumber=True`` writes each image's segments as indices 1..n in row order (for ids that
    do not fit 16 bits, such as COCO annotation ids); the original id goes to the segment's
    ``metadata["source_id"]``. Without it, ids are written exactly or refused. A category id
    that is neither a category's nor 0 is refused unless ``strict=False`` (then reading needs
    ``strict=False`` too). ``threads``: images painted, encoded and written in parallel."""
    flavour = flavour or dataset.metadata.get("flavour", "instance")
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour: expected one of {', '.join(FLAVOURS)}, got {flavour!r}")

    cat_fields = CategoryFields(dataset, strict, "label")

    def render(k: int, rec: ImageRecord) -> tuple[bytes, dict[str, Any]]:
        s = rec.segments
        if renumber and len(s):
            attrs = [dict(a, source_id=int(i)) for a, i in zip(s.attributes, s.ids.tolist())]
            s = s.with_columns(ids=np.arange(1, len(s) + 1), attributes=attrs)
        bad = (s.ids < 1) | (s.ids > 65535)
        if bad.any():
            raise ValueError(f"ids: image {rec.image_id}: segment id {int(s.ids[bad][0])} does not fit an index PNG "
                             "(1..65535); renumber the segments first (renumber=True)")
        dt = np.uint8 if not len(s) or int(s.ids.max()) <= 255 else np.uint16
        lab = s._label_map(dt, overlap, priority, False) if len(s) else np.zeros((rec.height, rec.width), dt)
        segs: list[dict[str, Any]] = []
        for i, (sid, cid) in enumerate(zip(s.ids.tolist(), s.category_ids.tolist())):
            d = {"index": sid, **cat_fields(cid, rec.image_id, i)}
            if s.iscrowd[i]:
                d["iscrowd"] = True
            if s.has_attributes() and s.attributes[i]:
                d["metadata"] = s.attributes[i]
            segs.append(d)
        return encode_png(lab), {"bit_depth": 8 if dt == np.uint8 else 16, "segments": segs}

    header = {k: v for k, v in dataset.metadata.items() if k not in ("flavour", "background", "unknown_category_ids")}
    header.update({"format": "index-png", "flavour": flavour, "background": 0})
    write_table(dataset, path, header, render, mask_dir=mask_dir, threads=threads)
