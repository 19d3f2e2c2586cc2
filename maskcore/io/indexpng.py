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

Reading: ``ids`` are the pixel values (``index``), rows in increasing index order (one native
pass per PNG), ``attributes`` the segment's ``metadata``; an image's ``metadata`` is kept in
the record. Refused, naming the file and value: a pixel value missing from ``segments``, a PNG
size different from ``height``/``width``, a 16-bit PNG where ``bit_depth`` is 8, an unknown
``label`` or ``category_id``, an index outside 0..65535.

Writing: ids must be in 1..65535 (8-bit PNG when all ids fit 255, else 16-bit; ``renumber=True``
numbers each image's segments 1..n and keeps the old id in ``metadata["source_id"]``); segments may
not overlap unless ``overlap=`` says how (:meth:`Segments.to_label_map`). Masks go to
``mask_dir`` (default ``masks/`` beside the JSON), named by the image file's stem.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..dataset import Category, Dataset, ImageRecord
from ..segments import Segments
from ._common import (FormatError, encode_png, fail, load_json, parallel_map, read_png, side, want_int, write_bytes,
                      write_json)
from .coco import _categories, _category_json

__all__ = ["read_index_png", "write_index_png"]

FLAVOURS = ("semantic", "instance", "panoptic")


def read_index_png(path, *, threads=None) -> Dataset:
    # threads: images decoded in parallel (PNG decoding and the label-map pass release the GIL).
    """Read an index-PNG dataset (module docstring)."""
    path = Path(path)
    obj = load_json(path)
    if not isinstance(obj, dict) or not isinstance(obj.get("items"), list):
        raise fail(path, "items", "a JSON object with an 'items' list", f"<{type(obj).__name__}>")
    cats = _categories(path, obj.get("categories", []))
    by_name = {}
    for c in cats:
        by_name.setdefault(c.name, c.id)
    cat_ids = {c.id for c in cats}
    flavour = obj.get("flavour", "instance")
    if flavour not in FLAVOURS:
        raise fail(path, "flavour", f"one of {', '.join(FLAVOURS)}", flavour)
    bg = obj.get("background", 0)
    if bg is not None:
        bg = want_int(path, "background", bg, 0, 65535)
    jobs = []
    for k, it in enumerate(obj["items"]):
        w_ = f"items[{k}]"
        if not isinstance(it, dict):
            raise fail(path, w_, "an object", f"<{type(it).__name__}>")
        for key in ("mask", "height", "width", "segments"):
            if key not in it:
                raise fail(path, f"{w_}.{key}", f"the item's {key}", "<missing>")
        iid = want_int(path, f"{w_}.image_id", it.get("image_id", k + 1))
        h, w = side(path, f"{w_}.height", it["height"]), side(path, f"{w_}.width", it["width"])
        mask = it["mask"]
        if not isinstance(mask, str):
            raise fail(path, f"{w_}.mask", "a PNG path", mask)
        depth = it.get("bit_depth")
        if depth is not None and depth not in (8, 16):
            raise fail(path, f"{w_}.bit_depth", "8 or 16", depth)
        fn = it.get("file_name", "")
        if not isinstance(fn, str):
            raise fail(path, f"{w_}.file_name", "a string", fn)
        meta = it.get("metadata", {})
        if not isinstance(meta, dict):
            raise fail(path, f"{w_}.metadata", "an object", f"<{type(meta).__name__}>")
        segs_json = it["segments"]
        if not isinstance(segs_json, list):
            raise fail(path, f"{w_}.segments", "a list", f"<{type(segs_json).__name__}>")
        table = {}
        for j, s in enumerate(segs_json):
            ws = f"{w_}.segments[{j}]"
            if not isinstance(s, dict):
                raise fail(path, ws, "an object", f"<{type(s).__name__}>")
            if "index" not in s:
                raise fail(path, f"{ws}.index", "the segment's pixel value", "<missing>")
            idx = want_int(path, f"{ws}.index", s["index"], 0, 65535)
            if idx in table:
                raise fail(path, f"{ws}.index", "distinct indices", idx)
            cid = s.get("category_id")
            if cid is not None:
                cid = want_int(path, f"{ws}.category_id", cid)
                if cid not in cat_ids:
                    raise fail(path, f"{ws}.category_id", "the id of a category in 'categories'", cid)
            label = s.get("label")
            if label is not None:
                if not isinstance(label, str):
                    raise fail(path, f"{ws}.label", "a category name", label)
                if label not in by_name:
                    raise fail(path, f"{ws}.label", "the name of a category in 'categories'", label)
                if cid is not None and by_name[label] != cid:
                    raise fail(path, f"{ws}.label", f"the name of category {cid}", label)
                cid = by_name[label]
            crowd = s.get("iscrowd", False)
            if crowd not in (0, 1, True, False) or isinstance(crowd, float):
                raise fail(path, f"{ws}.iscrowd", "a bool", crowd)
            md = s.get("metadata", {})
            if not isinstance(md, dict):
                raise fail(path, f"{ws}.metadata", "an object", f"<{type(md).__name__}>")
            table[idx] = {"category_id": 0 if cid is None else cid, "iscrowd": bool(crowd), "attributes": md}
        jobs.append((path.parent / mask, table, h, w, depth, w_, iid, fn, dict(meta, mask_file=mask)))

    def load(job):
        png, table, h, w, depth, w_, iid, fn, meta = job
        pixels, mode, _ = read_png(png, modes=("L", "P", "I;16", "I;16B", "I;16L", "I", "1"), expect_size=(h, w),
                                   field="mask")
        if mode == "I":
            if pixels.size and (pixels.min() < 0 or pixels.max() > 65535):
                raise fail(png, "pixels", "values in 0..65535", int(pixels.max()))
            pixels = pixels.astype(np.uint16)
        if depth == 8 and pixels.dtype != np.uint8 and mode != "1":
            raise fail(png, "bit_depth", "an 8-bit PNG (the JSON declares bit_depth 8)", f"<{mode} PNG>")
        if mode == "1":
            pixels = pixels.astype(np.uint8)
        try:
            segs = Segments.from_label_map(pixels, table, background=bg, threads=1)
        except ValueError as e:
            raise FormatError(f"{png}: {e} (values missing from {path.name} {w_}.segments)") from None
        return ImageRecord(iid, fn, h, w, meta, segs)

    records = parallel_map(load, jobs, threads)
    metadata = {k: v for k, v in obj.items() if k not in ("items", "categories", "background", "flavour", "format")}
    metadata.update(flavour=flavour, background=bg)
    return Dataset(records, cats, metadata=metadata)


def write_index_png(dataset: Dataset, path, *, mask_dir="masks", flavour=None, overlap: str = "error",
                    priority=None, renumber: bool = False, threads=None) -> None:
    """Write index PNGs and the segments JSON (module docstring).

    ``renumber=True`` writes each image's segments as indices 1..n in row order (for ids that
    do not fit 16 bits, such as COCO annotation ids); the original id goes to the segment's
    ``metadata["source_id"]``. Without it, ids are written exactly or refused."""
    path = Path(path)
    flavour = flavour or dataset.metadata.get("flavour", "instance")
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour: expected one of {', '.join(FLAVOURS)}, got {flavour!r}")
    names = {c.id: c.name for c in dataset.categories}

    def render(k):
        rec = dataset[k]
        s = rec.segments
        if renumber and len(s):
            attrs = [dict(a, source_id=int(i)) for a, i in zip(s.attributes, s.ids.tolist())]
            s = s.with_columns(ids=np.arange(1, len(s) + 1), attributes=attrs)
        bad = (s.ids < 1) | (s.ids > 65535)
        if bad.any():
            raise ValueError(f"ids: image {rec.image_id}: segment id {int(s.ids[bad][0])} does not fit an index PNG "
                             "(1..65535); renumber the segments first (renumber=True)")
        dt = np.uint8 if not len(s) or int(s.ids.max()) <= 255 else np.uint16
        mask = rec.metadata.get("mask_file") or f"{mask_dir}/{Path(rec.file_name).stem or rec.image_id}.png"
        lab = s.to_label_map(dt, overlap=overlap, priority=priority) if len(s) else np.zeros((rec.height, rec.width), dt)
        data = encode_png(lab)
        segs = []
        for i in range(len(s)):
            d = {"index": int(s.ids[i]), "category_id": int(s.category_ids[i])}
            if int(s.category_ids[i]) in names:
                d["label"] = names[int(s.category_ids[i])]
            if s.iscrowd[i]:
                d["iscrowd"] = True
            if s.has_attributes() and s.attributes[i]:
                d["metadata"] = s.attributes[i]
            segs.append(d)
        item = {"image_id": rec.image_id, "file_name": rec.file_name, "mask": mask, "height": rec.height,
                "width": rec.width, "bit_depth": 8 if dt == np.uint8 else 16, "segments": segs}
        meta = {k: v for k, v in rec.metadata.items() if k != "mask_file"}
        if meta:
            item["metadata"] = meta
        return item, data

    items, written = [], set()
    for k0 in range(0, len(dataset), 256):  # rendered in parallel, 256 images at a time
        for item, data in parallel_map(render, range(k0, min(k0 + 256, len(dataset))), threads):
            if item["mask"] in written:
                raise ValueError(f"mask: two images would write {item['mask']}")
            written.add(item["mask"])
            write_bytes(path.parent / item["mask"], data)
            items.append(item)
    out = {k: v for k, v in dataset.metadata.items() if k not in ("flavour", "background")}
    out.update({"format": "index-png", "flavour": flavour, "background": 0,
                "categories": [_category_json(c) for c in dataset.categories], "items": items})
    write_json(path, out)
