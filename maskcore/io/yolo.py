"""Ultralytics YOLO segmentation labels (``format="yolo-seg"``).

One ``<stem>.txt`` per image, one line per object: ``class x1 y1 x2 y2 ...`` with x divided by
the image width and y by its height. The file holds no image size, so sizes come from
``sizes=`` (``{stem or file name: (height, width)}``) or ``images=`` (a folder whose image
files, matched by stem, are opened for their size only); a label file without a size is an
error (never guessed).

Reading (``path``: a folder of txt files, or one txt): ``category_ids`` are the class numbers,
``ids`` the line numbers (1-based), one :class:`Segments` row per line. A line's polygon is
rasterized at ``(x * width, y * height)`` with maskcore's ``rule`` (default ``"center"``: pixel
centres inside the polygon, the rule whose exact crack polygons read back identically;
Ultralytics itself draws with ``cv2.fillPoly``, which is ``rule="inclusive"`` after rounding
to whole pixels). Refused: an odd number of coordinates, fewer than 3 points, a class that is
not a non-negative integer, a coordinate outside [0, 1] (``clip=True`` clips it instead),
text that is not a number.

Writing: each segment's exact crack contours (holes joined by zero-width bridges, YOLO has no
holes), normalized and printed with ``decimals`` digits; the file names are the image file
names' stems. The normalization is lossy: the writer returns a report ``{"vertices_moved",
"pixels_changed", "segments_changed"}`` counting vertices whose ``x * width`` / ``y * height``
after printing is not the original corner, and the pixels where reading the files back (with
``rule``) differs from the masks.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence, Union

import numpy as np
from numpy.typing import NDArray

from ..dataset import Category, Dataset, ImageRecord
from ..raster import rasterize_rle_batch
from ..rle import RLEBatch
from ..segments import Segments
from ._common import FormatError, fail, new_dataset, side, write_atomic

if TYPE_CHECKING:
    from ._common import StrPath

__all__ = ["read_yolo", "write_yolo"]

_IMAGE_EXT = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def _size_table(sizes: Optional[Mapping[Any, Any]], images: Optional[StrPath],
                files: Sequence[Path]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    if sizes is not None:
        if not isinstance(sizes, dict):
            raise TypeError(f"sizes: expected {{stem: (height, width)}}, got {type(sizes).__name__}")
        for k, v in sizes.items():
            try:
                h, w = v
            except (TypeError, ValueError):
                raise ValueError(f"sizes[{k!r}]: expected (height, width), got {v!r}") from None
            out[Path(str(k)).stem] = (side("sizes", f"[{k!r}] height", h), side("sizes", f"[{k!r}] width", w))
    if images is not None:
        from PIL import Image
        folder = Path(images)
        for f in files:
            if f.stem in out:
                continue
            for ext in _IMAGE_EXT:
                img = folder / (f.stem + ext)
                if img.is_file():
                    try:
                        with Image.open(img) as im:
                            w, h = im.size
                    except (OSError, SyntaxError) as e:
                        raise FormatError(f"{img}: not a readable image ({e})") from None
                    out[f.stem] = (h, w)
                    break
    return out


def read_yolo(path: StrPath, *, sizes: Optional[Mapping[Any, Any]] = None, images: Optional[StrPath] = None,
              rule: str = "center", clip: bool = False,
              categories: Union[Iterable[Category], Mapping[int, str], None] = None) -> Dataset:
    """Read YOLO-seg label files (module docstring)."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(path.glob("*.txt"))
    if not files:
        raise FormatError(f"{path}: no .txt label files")
    if sizes is None and images is None:
        raise ValueError(f"{path}: YOLO-seg labels hold no image size; give sizes={{stem: (height, width)}} or "
                         "images=<folder of the images> (sizes are never guessed)")
    table = _size_table(sizes, images, files)
    records: list[ImageRecord] = []
    classes: set[int] = set()
    for k, f in enumerate(files):
        if f.stem not in table:
            raise FormatError(f"{f}: no image size for '{f.stem}' (not in sizes=, no image of that stem in images=)")
        h, w = table[f.stem]
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise FormatError(f"{f}: not UTF-8 text ({e.reason} at byte {e.start})") from None
        polys: list[NDArray[np.float64]] = []
        cls: list[int] = []
        for ln, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            try:
                c = int(parts[0])
            except ValueError:
                raise fail(f, f"line {ln} class", "a non-negative integer", parts[0]) from None
            if c < 0:
                raise fail(f, f"line {ln} class", "a non-negative integer", c)
            try:
                v = np.array([float(x) for x in parts[1:]], np.float64)
            except ValueError:
                bad = next(x for x in parts[1:] if not _is_float(x))
                raise fail(f, f"line {ln} coordinates", "numbers", bad) from None
            if v.size % 2 or v.size < 6:
                raise fail(f, f"line {ln} coordinates", "an even count of at least 6 (3 points)", f"<{v.size} numbers>")
            if not np.isfinite(v).all() or ((v < 0) | (v > 1)).any():
                if not clip or not np.isfinite(v).all():
                    bad = v[~np.isfinite(v) | (v < 0) | (v > 1)][0]
                    raise fail(f, f"line {ln} coordinates", "normalized values in [0, 1] (or clip=True)", float(bad))
                v = np.clip(v, 0.0, 1.0)
            xy = v.reshape(-1, 2) * np.array([w, h], np.float64)
            polys.append(xy)
            cls.append(c)
        batch = rasterize_rle_batch(polys, h, w, rule=rule) if polys else None
        segs = Segments(batch, np.arange(1, len(polys) + 1), cls, height=h, width=w) if polys else Segments.empty(h, w)
        classes.update(cls)
        records.append(ImageRecord(k + 1, f.stem, h, w, {"label_file": f.name}, segs))
    if categories is None:
        cats = [Category(c, str(c)) for c in sorted(classes)]
    else:
        cats = ([Category(int(i), str(n)) for i, n in categories.items()] if isinstance(categories, Mapping)
                else list(categories))
        known = {c.id for c in cats}
        missing = sorted(classes - known)
        if missing:
            raise ValueError(f"{path}: class {missing[0]} has no category in categories=")
    return new_dataset(path, records, cats, metadata={"rule": rule})


def _is_float(x: str) -> bool:
    try:
        float(x)
        return True
    except ValueError:
        return False


def write_yolo(dataset: Dataset, path: StrPath, *, decimals: int = 6, rule: str = "center") -> dict[str, int]:
    """Write one txt per image into the folder ``path`` (module docstring); returns the report."""
    from ..contours import _bridged, find_polygons
    path = Path(path)
    report = {"vertices_moved": 0, "pixels_changed": 0, "segments_changed": 0}
    for rec in dataset:
        s = rec.segments
        h, w = rec.height, rec.width
        if h == 0 or w == 0:
            raise ValueError(f"image {rec.image_id}: YOLO-seg cannot normalize by an empty size {h}x{w}")
        lines: list[str] = []
        back_polys: list[list[NDArray[np.float64]]] = []
        back_rows: list[int] = []
        scale = np.array([w, h], np.float64)
        for i, m in enumerate(s.masks):
            polys = find_polygons(m.decode(), exact=True)
            parts: list[NDArray[np.float64]] = []
            for p in polys:
                ring = _bridged(p) if p.holes else p.outer
                norm = ring / scale
                text = [f"{t:.{decimals}f}" for t in norm.reshape(-1)]
                lines.append(" ".join([str(int(s.category_ids[i]))] + text))
                again = np.array([float(t) for t in text]).reshape(-1, 2) * scale
                report["vertices_moved"] += int((again != ring).any(axis=1).sum())
                parts.append(again)
            back_polys.append(parts)
            back_rows.append(i)
        # what reading the file back gives, per segment (its lines unioned), against the mask
        for i, parts in zip(back_rows, back_polys):
            m = s.masks[i]
            if parts:
                got = RLEBatch(list(rasterize_rle_batch(parts, h, w, rule=rule)))
                from ..rle import merge
                u = merge(list(got))
            else:
                u = None
            diff = m.area if u is None else (m ^ u).area
            if diff:
                report["pixels_changed"] += int(diff)
                report["segments_changed"] += 1
        name = (Path(rec.file_name).stem or str(rec.image_id)) + ".txt"
        data = ("\n".join(lines) + ("\n" if lines else "")).encode()
        write_atomic(path / name, lambda f: f.write(data))  # called before the next iteration
    return report
