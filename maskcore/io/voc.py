"""Pascal VOC segmentation PNGs (``format="voc"``).

``SegmentationClass/<name>.png`` holds each pixel's class index and
``SegmentationObject/<name>.png`` its object index, both as palette ('P') PNGs. Indices are read
as indices, never through the palette's colours; 0 is background, 255 the void boundary.

Reading (``path``: a VOC root holding ``SegmentationClass/``, or that folder, or one PNG):

* class PNG only: one segment per class present (``ids`` = ``category_ids`` = the class index);
* with the object PNG beside it (``SegmentationObject/`` of the same root; ``objects=False``
  ignores it): one segment per object index 1..254, ``ids`` = the object index, its category the
  class of its pixels (an object spanning two classes is refused, naming both);
* void (255) pixels become one segment with id 255, category 255 and ``iscrowd=True`` (COCO's
  "ignore" flag), so that writing back restores them; ``void=False`` drops them instead.

Images are ordered by file name; ``image_id`` counts from 1 in that order and ``file_name`` is
``<name>.jpg`` (VOC's JPEGImages name). Categories are VOC's 20 classes + background and void.
A PNG that is not a palette or 8-bit grayscale image is refused.

Writing: the class PNG (every segment's category, :meth:`Segments.to_semantic_map`; categories
must be 0..255) with the standard VOC palette, and, when ``objects=True`` (default: when the
dataset has instance ids other than its categories), the object PNG (ids 1..255).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np
from numpy.typing import NDArray

from ..dataset import Category, Dataset, ImageRecord
from ..segments import Segments
from ._common import FormatError, fail, new_dataset, read_png, write_png

if TYPE_CHECKING:
    from ._common import StrPath

__all__ = ["read_voc", "write_voc", "voc_palette", "VOC_CLASSES"]

VOC_CLASSES = ("background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
               "tvmonitor")


def voc_palette(n: int = 256) -> NDArray[np.uint8]:
    """VOC's colour map: class k's colour spreads k's bits over the high bits of R, G and B
    (bit 0 -> R bit 7, bit 1 -> G bit 7, bit 2 -> B bit 7, bit 3 -> R bit 6, ...)."""
    pal = np.zeros((n, 3), np.uint8)
    for k in range(n):
        c, r, g, b = k, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal[k] = (r, g, b)
    return pal


def _categories() -> list[Category]:
    pal = voc_palette().tolist()
    cats = [Category(i, n, "", i > 0, (pal[i][0], pal[i][1], pal[i][2])) for i, n in enumerate(VOC_CLASSES)]
    cats.append(Category(255, "void", "", False, (pal[255][0], pal[255][1], pal[255][2])))
    return cats


def _pngs(path: Path) -> tuple[Path, list[Path]]:
    if path.is_file():
        return path.parent, [path]
    folder = path / "SegmentationClass" if (path / "SegmentationClass").is_dir() else path
    files = sorted(folder.glob("*.png"))
    if not files:
        raise FormatError(f"{path}: no PNG files (expected a VOC root with SegmentationClass/ or a folder of PNGs)")
    return folder, files


def _indices(png: Path) -> NDArray[np.uint8]:
    pixels, mode, _ = read_png(png, modes=("P", "L"), field="image")
    return pixels.astype(np.uint8, copy=False)


def read_voc(path: StrPath, *, objects: bool = True, void: bool = True, threads: Optional[int] = None) -> Dataset:
    """Read VOC class (and object) PNGs (module docstring)."""
    path = Path(path)
    folder, files = _pngs(path)
    obj_folder = folder.parent / "SegmentationObject"
    cats = _categories()
    records = []
    has_objects = False
    for k, png in enumerate(files):
        cls = _indices(png)
        h, w = cls.shape
        obj_png = obj_folder / png.name
        if objects and obj_png.is_file():
            obj = _indices(obj_png)
            if obj.shape != cls.shape:
                raise fail(obj_png, "size", f"{w}x{h} like {png.name}", f"<{obj.shape[1]}x{obj.shape[0]}>")
            segs = Segments.from_label_map(obj, background=0, threads=threads)
            # each object's class: every pixel of the object must have one class
            cats_of: list[int] = []
            for sid, m in zip(segs.ids.tolist(), segs.masks):
                values = np.unique(cls[m.decode().astype(bool)])
                if sid == 255:
                    values = values[values != 255] if (values == 255).any() else values
                    cats_of.append(255)
                    continue
                if values.size != 1:
                    raise fail(obj_png, f"object {sid}", "one class per object",
                               f"<classes {values.tolist()} in {png.name}>")
                cats_of.append(int(values[0]))
            segs = segs.with_columns(category_ids=cats_of, iscrowd=segs.ids == 255)
            has_objects = True
            # class pixels outside every object (classes without objects) are kept as class segments
            rest = cls.copy()
            rest[obj != 0] = 0
            if rest.any():
                extra = Segments.from_semantic_map(rest, threads=threads)
                clash = np.isin(extra.ids, segs.ids)
                if clash.any():
                    raise fail(png, "class", "class pixels outside objects to have ids distinct from object ids",
                               int(extra.ids[clash][0]))
                segs = _concat(segs, extra.with_columns(iscrowd=extra.ids == 255,
                                                        attributes=[{"voc": "class-only"}] * len(extra)))
        else:
            segs = Segments.from_semantic_map(cls, threads=threads)
            segs = segs.with_columns(iscrowd=segs.ids == 255)
        if not void:
            segs = segs[segs.ids != 255]
        records.append(ImageRecord(k + 1, png.stem + ".jpg", h, w, {}, segs))
    return new_dataset(path, records, cats, metadata={"voc_objects": has_objects})


def _concat(a: Segments, b: Segments) -> Segments:
    from ..rle import RLEBatch
    masks = RLEBatch(list(a.masks) + list(b.masks))
    return Segments(masks, np.concatenate([a.ids, b.ids]), np.concatenate([a.category_ids, b.category_ids]),
                    np.concatenate([a.iscrowd, b.iscrowd]), None,
                    (a.attributes + b.attributes) if (a.has_attributes() or b.has_attributes()) else None,
                    height=a.height, width=a.width)


def write_voc(dataset: Dataset, path: StrPath, *, objects: Optional[bool] = None, overlap: str = "error",
              priority: Optional[Sequence[int]] = None) -> None:
    """Write SegmentationClass (and SegmentationObject) PNGs under ``path`` (module docstring)."""
    path = Path(path)
    pal = voc_palette().reshape(-1).tolist()
    for rec in dataset:
        s = rec.segments
        bad = (s.category_ids < 0) | (s.category_ids > 255)
        if bad.any():
            raise ValueError(f"category_ids: image {rec.image_id}: category {int(s.category_ids[bad][0])} does not fit "
                             "a VOC class PNG (0..255)")
        name = Path(rec.file_name).stem or str(rec.image_id)
        cls = s.to_semantic_map(np.uint8, overlap=overlap, priority=priority) if len(s) else \
            np.zeros((rec.height, rec.width), np.uint8)
        write_png(path / "SegmentationClass" / f"{name}.png", cls, palette=pal)
        inst = objects if objects is not None else (bool(dataset.metadata.get("voc_objects"))
                                                    or not np.array_equal(s.ids, s.category_ids))
        if inst:
            keep = s[np.array([a.get("voc") != "class-only" for a in s.attributes], bool)] if s.has_attributes() else s
            bad = (keep.ids < 1) | (keep.ids > 255)
            if bad.any():
                raise ValueError(f"ids: image {rec.image_id}: object id {int(keep.ids[bad][0])} does not fit a VOC object "
                                 "PNG (1..255)")
            obj = keep.to_label_map(np.uint8, overlap=overlap, priority=priority) if len(keep) else \
                np.zeros((rec.height, rec.width), np.uint8)
            write_png(path / "SegmentationObject" / f"{name}.png", obj, palette=pal)
