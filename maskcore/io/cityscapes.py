"""Cityscapes ground truth (``format="cityscapes"``): ``*_gtFine_instanceIds.png``.

A pixel of an instanceIds PNG (16-bit) holds ``class_id * 1000 + instance`` for an instance of a
class that has instances, or the plain ``class_id`` (< 1000) for stuff and for thing pixels
not split into instances (crowds / groups). Reading (``path``: a folder searched recursively,
or one PNG): one segment per distinct value except 0 ("unlabeled"), ``ids`` = the pixel value
exactly, ``category_ids`` = ``value // 1000`` when ``value >= 1000`` else ``value``,
``iscrowd`` = a value < 1000 of a class with instances. ``image_id`` counts from 1 in sorted
path order, ``file_name`` is the ``leftImg8bit`` name. Categories are Cityscapes' 34 labels
(``isthing`` = has instances, ``color`` its colour). An 8-bit instanceIds PNG is read too (all
values < 256); RGB is refused. ``*_labelIds.png`` beside it is not needed (it is the class of
every pixel, which the instance values already give).

Writing: ``<stem>_gtFine_instanceIds.png`` (16-bit, :meth:`Segments.to_label_map` of the ids,
which must be in 1..65535) and ``<stem>_gtFine_labelIds.png`` (8-bit, the category of every
pixel) into ``path``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

from ..dataset import Category, Dataset, ImageRecord
from ..segments import Segments
from ._common import FormatError, new_dataset, read_png, write_png

if TYPE_CHECKING:
    from ._common import StrPath

__all__ = ["read_cityscapes", "write_cityscapes", "LABELS"]

# (id, name, category, has instances, colour) — Cityscapes' labels.py table.
LABELS = (
    (0, "unlabeled", "void", False, (0, 0, 0)), (1, "ego vehicle", "void", False, (0, 0, 0)),
    (2, "rectification border", "void", False, (0, 0, 0)), (3, "out of roi", "void", False, (0, 0, 0)),
    (4, "static", "void", False, (0, 0, 0)), (5, "dynamic", "void", False, (111, 74, 0)),
    (6, "ground", "void", False, (81, 0, 81)), (7, "road", "flat", False, (128, 64, 128)),
    (8, "sidewalk", "flat", False, (244, 35, 232)), (9, "parking", "flat", False, (250, 170, 160)),
    (10, "rail track", "flat", False, (230, 150, 140)), (11, "building", "construction", False, (70, 70, 70)),
    (12, "wall", "construction", False, (102, 102, 156)), (13, "fence", "construction", False, (190, 153, 153)),
    (14, "guard rail", "construction", False, (180, 165, 180)), (15, "bridge", "construction", False, (150, 100, 100)),
    (16, "tunnel", "construction", False, (150, 120, 90)), (17, "pole", "object", False, (153, 153, 153)),
    (18, "polegroup", "object", False, (153, 153, 153)), (19, "traffic light", "object", False, (250, 170, 30)),
    (20, "traffic sign", "object", False, (220, 220, 0)), (21, "vegetation", "nature", False, (107, 142, 35)),
    (22, "terrain", "nature", False, (152, 251, 152)), (23, "sky", "sky", False, (70, 130, 180)),
    (24, "person", "human", True, (220, 20, 60)), (25, "rider", "human", True, (255, 0, 0)),
    (26, "car", "vehicle", True, (0, 0, 142)), (27, "truck", "vehicle", True, (0, 0, 70)),
    (28, "bus", "vehicle", True, (0, 60, 100)), (29, "caravan", "vehicle", True, (0, 0, 90)),
    (30, "trailer", "vehicle", True, (0, 0, 110)), (31, "train", "vehicle", True, (0, 80, 100)),
    (32, "motorcycle", "vehicle", True, (0, 0, 230)), (33, "bicycle", "vehicle", True, (119, 11, 32)),
)
_HAS_INSTANCES = np.array([lab[3] for lab in LABELS] + [False] * 256, bool)


def _categories() -> list[Category]:
    return [Category(i, n, c, t, col) for i, n, c, t, col in LABELS]


def read_cityscapes(path: StrPath, *, threads: Optional[int] = None) -> Dataset:
    """Read Cityscapes instanceIds PNGs (module docstring)."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(path.rglob("*_instanceIds.png"))
    if not files:
        raise FormatError(f"{path}: no *_instanceIds.png files")
    records = []
    for k, png in enumerate(files):
        pixels, mode, _ = read_png(png, modes=("I;16", "I;16B", "I;16L", "I", "L"), field="image")
        if mode == "I":
            if pixels.size and (pixels.min() < 0 or pixels.max() > 65535):
                raise FormatError(f"{png}: pixels: expected values in 0..65535, got {int(pixels.min())}..{int(pixels.max())}")
            pixels = pixels.astype(np.uint16)
        h, w = pixels.shape
        segs = Segments.from_label_map(pixels, background=0, threads=threads)
        v = segs.ids
        cls = np.where(v >= 1000, v // 1000, v)
        bad = cls > 33
        if bad.any():
            raise FormatError(f"{png}: pixel value {int(v[bad][0])}: class {int(cls[bad][0])} is not a Cityscapes label id")
        crowd = (v < 1000) & _HAS_INSTANCES[np.minimum(cls, 289)]
        segs = segs.with_columns(category_ids=cls, iscrowd=crowd)
        stem = png.name[: -len("_instanceIds.png")]
        if stem.endswith("_gtFine"):
            stem = stem[: -len("_gtFine")]
        records.append(ImageRecord(k + 1, stem + "_leftImg8bit.png", h, w,
                                   {"instance_file": str(png.relative_to(path)) if path.is_dir() else png.name}, segs))
    return new_dataset(path, records, _categories())


def write_cityscapes(dataset: Dataset, path: StrPath, *, overlap: str = "error",
                     priority: Optional[Sequence[int]] = None) -> None:
    """Write instanceIds and labelIds PNGs (module docstring)."""
    path = Path(path)
    for rec in dataset:
        s = rec.segments
        bad = (s.ids < 1) | (s.ids > 65535)
        if bad.any():
            raise ValueError(f"ids: image {rec.image_id}: id {int(s.ids[bad][0])} does not fit an instanceIds PNG "
                             "(1..65535)")
        cls = np.where(s.ids >= 1000, s.ids // 1000, s.ids)
        bad = cls > 33
        if bad.any():
            raise ValueError(f"ids: image {rec.image_id}: id {int(s.ids[bad][0])} is not class*1000+instance or a class "
                             "(0..33) of Cityscapes' label table")
        rel = rec.metadata.get("instance_file")
        stem = Path(rec.file_name).name
        stem = stem[: -len("_leftImg8bit.png")] if stem.endswith("_leftImg8bit.png") else (Path(stem).stem or str(rec.image_id))
        inst_name = rel if rel else f"{stem}_gtFine_instanceIds.png"
        inst = s.to_label_map(np.uint16, overlap=overlap, priority=priority) if len(s) else \
            np.zeros((rec.height, rec.width), np.uint16)
        write_png(path / inst_name, inst)
        cats = s.category_ids
        if len(s) and ((cats < 0) | (cats > 255)).any():
            raise ValueError(f"category_ids: image {rec.image_id}: a category does not fit labelIds (0..255)")
        labels = s.to_semantic_map(np.uint8, overlap=overlap, priority=priority) if len(s) else \
            np.zeros((rec.height, rec.width), np.uint8)
        write_png(path / inst_name.replace("_instanceIds.png", "_labelIds.png"), labels)
