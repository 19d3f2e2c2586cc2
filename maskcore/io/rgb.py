"""RGB colour masks with a colour table (``format="rgb"``) and Labelbox NDJSON mask rows
(``format="labelbox-ndjson"``).

``"rgb"`` — Labelbox's ``MaskData`` + ``Mask(mask=..., color=(r, g, b))`` model: one composite
RGB PNG per image, several features (segments) sharing it, each with its own colour. The
table is a JSON file (the ``path``)::

    {"format": "rgb", "background": [0, 0, 0],
     "categories": [{"id": 1, "name": "car"}],
     "items": [{"image_id": 1, "file_name": "a.jpg", "mask": "masks/a.png",
                "height": 480, "width": 640, "metadata": {...},
                "features": [{"color": [255, 0, 0], "id": 1, "category_id": 1,
                              "name": "car", "classifications": [...], ...}]}]}

Reading: one native pass per PNG (:meth:`Segments.from_rgb`); rows in ``features`` order,
``ids`` the features' ``id`` (default 1..n), ``category_ids`` their ``category_id`` (or the
category named by ``name``), ``iscrowd`` their ``iscrowd`` (default false); the feature's colour and every other key (``name``, ``uuid``,
``schemaId``, nested ``classifications``, ...) kept verbatim in ``attributes``. Exact colours
only: a pixel whose colour is neither a feature's nor ``background`` raises (count, first
position, colour) unless ``snap="nearest"`` (anti-aliased exports), which reports what moved
in the record's ``metadata["snap_report"]``. Two features of one colour are refused (they could not be told
apart). Palette PNGs are refused (they are indices: use "index-png" or "voc"); RGBA is read as
RGB only when alpha is 255 everywhere.

Writing: each segment's colour is its ``attributes["color"]``, or else a distinct colour made
from its row number; overlapping segments need ``overlap=`` (:meth:`Segments.to_rgb`).

Category ids follow the rule of ``"index-png"`` (0 = no category; other ids not among
``categories`` refused by reader and writer alike unless ``strict=False``); a feature's
``name`` is Labelbox's free text: it gives the category of that name when there is no
``category_id``, and is otherwise kept as it is.

``"labelbox-ndjson"`` — offline rows of a Labelbox export, one JSON object per line::

    {"uuid": "...", "dataRow": {"id": "..."}, "name": "car" | "schemaId": "...",
     "mask": {"png": "local/path.png" | "url": "file:///...", "color": [r, g, b]},
     "classifications": [...]}

Rows are grouped by ``dataRow.id`` (images in order of first appearance, ``image_id`` 1, 2,
..., the data row id in ``metadata``); each row is one segment: the pixels of its colour
(default white, Labelbox's binary masks) in its PNG. Masks behind an http(s) URL cannot be read
offline and are refused with that reason. Writing makes one composite PNG per data row beside
the NDJSON (``masks/``) and one row per segment.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np
from numpy.typing import NDArray

from ..dataset import Category, Dataset, ImageRecord
from ..rle import RLEBatch
from ..segments import Segments
from ._common import FormatError, encode_png, fail, new_dataset, read_png, want_int, write_atomic, write_png
from ._table import CategoryFields, Item, load_items, read_table, row_category, row_crowd, write_table

if TYPE_CHECKING:
    from typing import TypeAlias

    from ._common import StrPath

    RGB: TypeAlias = "tuple[int, int, int]"
    # (colour, {"id": ..., "category_id": ..., ...}): a row of Segments.from_rgb's colour table
    ColorRow: TypeAlias = "tuple[RGB, dict[str, Any]]"

__all__ = ["read_rgb", "write_rgb", "read_labelbox_ndjson", "write_labelbox_ndjson"]


def _rgb_pixels(png: Path, expect_size: Optional[tuple[int, int]] = None) -> NDArray[np.uint8]:
    pixels, mode, _ = read_png(png, modes=("RGB", "RGBA", "P", "L"), expect_size=expect_size, field="mask")
    if mode == "P":
        raise fail(png, "mode", "an RGB PNG (a palette PNG holds indices: read it with format='index-png' or "
                   "'voc')", "P")
    if mode == "L":
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    if mode == "RGBA":
        if (pixels[..., 3] != 255).any():
            raise fail(png, "alpha", "an opaque RGBA PNG (alpha 255 everywhere) or RGB", "<transparent pixels>")
        pixels = np.ascontiguousarray(pixels[..., :3])
    return pixels


def _color_of(path: StrPath, where: str, c: Any) -> RGB:
    if (not isinstance(c, (list, tuple)) or len(c) != 3
            or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= 255 for x in c)):
        raise fail(path, where, "[r, g, b] integers in 0..255", c)
    return (c[0], c[1], c[2])


def _segments(png: Path, pixels: NDArray[np.uint8], colors: list[ColorRow], snap: Optional[str],
              background: Optional[RGB], where: str) -> Segments:
    try:
        segs: Segments = Segments.from_rgb(pixels, colors, snap=snap, background=background)
        return segs
    except ValueError as e:
        raise FormatError(f"{png}: {e} ({where})") from None


def read_rgb(path: StrPath, *, snap: Optional[str] = None, strict: bool = True, threads: Optional[int] = None) -> Dataset:
    """Read RGB colour masks and their colour table (module docstring).

    ``strict``: as :func:`maskcore.io.read_index_png` (a ``category_id`` that is neither a
    category's nor 0). ``threads``: images decoded in parallel."""
    path = Path(path)
    obj, cats, items = read_table(path, "features", strict=strict)
    bg_json = obj.get("background", [0, 0, 0])
    bg = None if bg_json is None else _color_of(path, "background", bg_json)
    for item in items:
        colors: list[ColorRow] = []
        for j, f in enumerate(item.rows):
            wf = f"{item.where}.features[{j}]"
            if "color" not in f:
                raise fail(path, f"{wf}.color", "the feature's colour", "<missing>")
            col = _color_of(path, f"{wf}.color", f["color"])
            sid = want_int(path, f"{wf}.id", f.get("id", j + 1))
            cid = row_category(cats, wf, f, "name", name_binds=False)
            attrs = {key: v for key, v in f.items() if key not in ("id", "category_id", "iscrowd")}
            attrs["color"] = list(col)
            colors.append((col, {"id": sid, "category_id": cid, "iscrowd": row_crowd(path, wf, f), "attributes": attrs}))
        item.table = colors

    def build(item: Item) -> Segments:
        segs: Segments = Segments.from_rgb(_rgb_pixels(item.png, (item.height, item.width)), item.table, snap=snap,
                                 background=bg)
        if snap is not None:
            item.extra["snap_report"] = segs.report
        return segs

    return load_items(path, obj, cats, items, build, threads=threads,
                      metadata={"background": None if bg is None else list(bg)})


def _auto_color(i: int) -> RGB:
    """A distinct, non-black colour for row i (its bits spread like VOC's palette, offset by 1)."""
    c, r, g, b = i + 1, 0, 0, 0
    for j in range(8):
        r |= ((c >> 0) & 1) << (7 - j)
        g |= ((c >> 1) & 1) << (7 - j)
        b |= ((c >> 2) & 1) << (7 - j)
        c >>= 3
    if c:  # beyond 2**24 - 1 rows
        raise ValueError("rgb: more than 2**24 - 1 segments in one image cannot have distinct colours")
    return (r, g, b)


def _colors(s: Segments) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = []
    seen: set[tuple[int, ...]] = set()
    for i in range(len(s)):
        a = s.attributes[i] if s.has_attributes() else {}
        col: tuple[int, ...] = tuple(a["color"]) if "color" in a else _auto_color(i)
        if col in seen or col == (0, 0, 0):
            raise ValueError(f"rgb: segment {i} (id {int(s.ids[i])}) has colour {col}, which is black or used by "
                             "another segment")
        seen.add(col)
        out.append(col)
    return out


def write_rgb(dataset: Dataset, path: StrPath, *, mask_dir: str = "masks", overlap: str = "error",
              priority: Optional[Sequence[int]] = None, strict: bool = True, threads: Optional[int] = None) -> None:
    """Write composite RGB PNGs and the colour table (module docstring). ``strict``: as
    :func:`maskcore.io.write_index_png`."""

    cat_fields = CategoryFields(dataset, strict, None)

    def render(k: int, rec: ImageRecord) -> tuple[bytes, dict[str, Any]]:
        s = rec.segments
        cols = _colors(s)
        rgb = s.to_rgb(np.array(cols, np.int64).reshape(-1, 3), overlap=overlap, priority=priority) if len(s) else \
            np.zeros((rec.height, rec.width, 3), np.uint8)
        feats: list[dict[str, Any]] = []
        for i, (sid, cid) in enumerate(zip(s.ids.tolist(), s.category_ids.tolist())):
            f: dict[str, Any] = {"id": sid, **cat_fields(cid, rec.image_id, i)}
            if s.iscrowd[i]:
                f["iscrowd"] = True
            if s.has_attributes():
                f.update(s.attributes[i])
            f["color"] = list(cols[i])
            feats.append(f)
        return encode_png(rgb), {"features": feats}

    write_table(dataset, path, {"format": "rgb", "background": [0, 0, 0]}, render, mask_dir=mask_dir, threads=threads)


# ---- Labelbox NDJSON --------------------------------------------------------------------------------

def _local(path: Path, where: str, mask: dict[str, Any]) -> Path:
    if "png" in mask:
        ref = mask["png"]
    elif "url" in mask or "instanceURI" in mask:
        ref = mask.get("url", mask.get("instanceURI"))
    else:
        raise fail(path, f"{where}.mask", "a 'png' path or a 'url'", "<neither>")
    if not isinstance(ref, str):
        raise fail(path, f"{where}.mask", "a path string", ref)
    u = urlparse(ref)
    if u.scheme in ("http", "https"):
        raise FormatError(f"{path}: {where}.mask: {ref[:80]} is on the network; maskcore reads Labelbox exports "
                          "offline only (download the masks and give their local paths as 'png')")
    if u.scheme == "file":
        return Path(unquote(u.path))
    return path.parent / ref


def read_labelbox_ndjson(path: StrPath, *, snap: Optional[str] = None) -> Dataset:
    """Read Labelbox NDJSON mask rows with local mask PNGs (module docstring)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise FormatError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    groups: dict[str, list[tuple[int, Path, RGB, dict[str, Any]]]] = {}
    for ln, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise FormatError(f"{path}: line {ln}: invalid JSON ({e.msg})") from None
        where = f"line {ln}"
        if not isinstance(row, dict):
            raise fail(path, where, "a JSON object", f"<{type(row).__name__}>")
        dr = row.get("dataRow")
        if not isinstance(dr, dict) or not isinstance(dr.get("id"), str):
            raise fail(path, f"{where}.dataRow.id", "a data row id string", dr)
        mask = row.get("mask")
        if not isinstance(mask, dict):
            raise fail(path, f"{where}.mask", "an object", f"<{type(mask).__name__}>")
        png = _local(path, where, mask)
        col = _color_of(path, f"{where}.mask.color", mask.get("color", mask.get("colorRGB", [255, 255, 255])))
        groups.setdefault(dr["id"], []).append((ln, png, col, row))
    names: dict[Any, int] = {}
    records: list[ImageRecord] = []
    for k, (drid, rows) in enumerate(groups.items()):
        by_png: dict[Path, list[tuple[int, RGB, dict[str, Any]]]] = {}
        for ln, png, col, row in rows:
            by_png.setdefault(png, []).append((ln, col, row))
        pieces: list[Segments] = []
        size: Optional[tuple[int, ...]] = None
        for png, items in by_png.items():
            pixels = _rgb_pixels(png)
            if size is not None and pixels.shape[:2] != size:
                raise fail(png, "size", f"{size[1]}x{size[0]} like the data row's other masks",
                           f"<{pixels.shape[1]}x{pixels.shape[0]}>")
            size = pixels.shape[:2]
            colors: list[ColorRow] = []
            for ln, col, row in items:
                name = row.get("name", row.get("schemaId", ""))
                cid = names.setdefault(name, len(names) + 1)
                attrs = {key: v for key, v in row.items() if key not in ("dataRow", "mask")}
                attrs["mask"] = {key: v for key, v in row["mask"].items()}
                colors.append((col, {"id": ln, "category_id": cid, "attributes": attrs}))
            segs = _segments(png, pixels, colors, snap, (0, 0, 0) if (0, 0, 0) not in [c for c, _ in colors] else None,
                             f"rows of data row {drid}")
            pieces.append(segs)
        assert size is not None  # (a group has at least one row)
        h, w = size
        masks = RLEBatch([m for p in pieces for m in p.masks])
        s = Segments(masks, np.concatenate([p.ids for p in pieces]), np.concatenate([p.category_ids for p in pieces]),
                     attributes=[a for p in pieces for a in p.attributes], height=h, width=w)
        order = np.argsort(s.ids, kind="stable")
        s = s[order]
        s = s.with_columns(ids=np.arange(1, len(s) + 1))
        records.append(ImageRecord(k + 1, drid, h, w, {"data_row_id": drid}, s))
    cats = [Category(i, str(n)) for n, i in names.items()]
    return new_dataset(path, records, cats)


def write_labelbox_ndjson(dataset: Dataset, path: StrPath, *, mask_dir: str = "masks", overlap: str = "error") -> None:
    """Write NDJSON rows and one composite PNG per data row (module docstring)."""
    path = Path(path)
    names = {c.id: c.name for c in dataset.categories}
    lines: list[str] = []
    for rec in dataset:
        s = rec.segments
        cols = _colors(s.with_columns(attributes=[{"color": a["mask"]["color"]} if "mask" in a and "color" in a["mask"]
                                                  else {} for a in s.attributes]))
        drid = rec.metadata.get("data_row_id", str(rec.image_id))
        png = f"{mask_dir}/{drid}.png"
        rgb = s.to_rgb(np.array(cols, np.int64).reshape(-1, 3), overlap=overlap) if len(s) else \
            np.zeros((rec.height, rec.width, 3), np.uint8)
        write_png(path.parent / png, rgb)
        for i in range(len(s)):
            a = dict(s.attributes[i]) if s.has_attributes() else {}
            a.pop("mask", None)
            row: dict[str, Any] = {"dataRow": {"id": drid}}
            row.update(a)
            row.setdefault("name", names.get(int(s.category_ids[i]), str(int(s.category_ids[i]))))
            row["mask"] = {"png": png, "color": list(cols[i])}
            lines.append(json.dumps(row, ensure_ascii=False))
    data = ("\n".join(lines) + "\n").encode()
    write_atomic(path, lambda f: f.write(data))
