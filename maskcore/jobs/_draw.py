"""Pictures of the jobs: class colours, overlays with outlines and a legend, crops, bar plots.

Everything is numpy + Pillow and deterministic: a class's colour is a function of its id alone
(or the category's own ``color``), so the same class has the same colour in every picture, run
and scheduler.
"""
from __future__ import annotations

import colorsys
from typing import Any, Optional

import numpy as np

from ._files import need_pillow

__all__ = ["class_color", "colorize", "overlay", "outline", "add_legend", "crop_box", "bar_plot", "fit"]

GOLDEN = 0.618033988749895


def class_color(cid: int, categories: Optional[dict[int, Any]] = None) -> tuple[int, int, int]:
    """The RGB colour of class ``cid``: the category's ``color`` when it has one, else a hue
    stepped by the golden ratio from the id (neighbouring ids get distant hues)."""
    if categories is not None:
        c = categories.get(int(cid))
        col = c.get("color") if isinstance(c, dict) else None
        if isinstance(col, (list, tuple)) and len(col) == 3:
            return int(col[0]) & 255, int(col[1]) & 255, int(col[2]) & 255
    h = (int(cid) * GOLDEN) % 1.0
    s = 0.55 + 0.35 * ((int(cid) * 7) % 3) / 2
    r, g, b = colorsys.hsv_to_rgb(h, s, 0.95)
    return (int(r * 255 + 0.5), int(g * 255 + 0.5), int(b * 255 + 0.5))


def colorize(class_map: np.ndarray, categories: Optional[dict[int, Any]] = None, background: int = 0) -> np.ndarray:
    """(H, W, 3) uint8: each class in its colour, background black."""
    vals = np.unique(class_map)
    out = np.zeros(class_map.shape + (3,), np.uint8)
    for v in vals.tolist():
        if v != background:
            out[class_map == v] = class_color(v, categories)
    return out


def outline(id_map: np.ndarray) -> np.ndarray:
    """bool (H, W): pixels whose right or lower neighbour has another id (4-connected edges),
    and the edges of any nonzero region at the image border are not drawn."""
    e = np.zeros(id_map.shape, bool)
    if id_map.size == 0:
        return e
    d = id_map[:, 1:] != id_map[:, :-1]
    e[:, 1:] |= d
    e[:, :-1] |= d
    d = id_map[1:, :] != id_map[:-1, :]
    e[1:, :] |= d
    e[:-1, :] |= d
    return e


def overlay(image: Optional[np.ndarray], class_map: np.ndarray, instance_map: Optional[np.ndarray] = None,
            categories: Optional[dict[int, Any]] = None, alpha: float = 0.45, background: int = 0) -> np.ndarray:
    """The photo (or mid grey when None) with the classes blended in at ``alpha`` and outlines
    (instance edges when ``instance_map`` is given, else class edges) in the full class colour."""
    h, w = class_map.shape
    if image is None:
        base = np.full((h, w, 3), 96, np.uint8)
    else:
        base = image[..., :3]
        if base.shape[:2] != (h, w):
            raise ValueError(f"image: size {base.shape[1]}x{base.shape[0]} differs from the mask's {w}x{h}")
    col = colorize(class_map, categories, background)
    fg = class_map != background
    out = base.copy()
    a256 = int(round(alpha * 256))
    mix = base[fg].astype(np.uint16) * (256 - a256) + col[fg].astype(np.uint16) * a256 + 128
    out[fg] = (mix >> 8).astype(np.uint8)
    edges = outline(instance_map if instance_map is not None else class_map) & fg
    out[edges] = col[edges]
    return out


def _font(size: int = 12) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def add_legend(img: np.ndarray, classes: list[int], categories: Optional[dict[int, Any]] = None,
               names: Optional[dict[int, str]] = None) -> np.ndarray:
    """``img`` with a legend strip below: a swatch and the name of each class in ``classes``."""
    Image = need_pillow()
    from PIL import ImageDraw

    font = _font(12)
    h, w = img.shape[:2]
    w = max(w, 120)
    entries = [(c, (names or {}).get(int(c), str(c))) for c in classes]
    # lay out left to right, wrapping
    rows: list[list[tuple[int, str, int]]] = []
    row: list[tuple[int, str, int]] = []
    x = 6
    for c, name in entries:
        tw = int(font.getlength(name)) if hasattr(font, "getlength") else 7 * len(name)
        need = 16 + tw + 12
        if row and x + need > w:
            rows.append(row)
            row, x = [], 6
        row.append((c, name, x))
        x += need
    if row:
        rows.append(row)
    lh = 18
    canvas = Image.new("RGB", (w, h + lh * len(rows) + (6 if rows else 0)), (255, 255, 255))
    canvas.paste(Image.fromarray(np.ascontiguousarray(img)), (0, 0))
    d = ImageDraw.Draw(canvas)
    for r, row in enumerate(rows):
        y = h + 4 + r * lh
        for c, name, x in row:
            d.rectangle([x, y + 2, x + 11, y + 13], fill=class_color(c, categories), outline=(0, 0, 0))
            d.text((x + 16, y + 1), name, fill=(0, 0, 0), font=font)
    return np.asarray(canvas)


def crop_box(shape: tuple[int, ...], bbox_xywh: Any, margin: float = 0.5,
             min_side: int = 32) -> tuple[int, int, int, int]:
    """(r0, r1, c0, c1) of a crop around a COCO box, grown by ``margin`` of its size on each side
    (at least ``min_side`` pixels square where the image allows), inside the image."""
    h, w = shape
    x, y, bw, bh = (float(v) for v in bbox_xywh)
    cx, cy = x + bw / 2, y + bh / 2
    sw = max(bw * (1 + 2 * margin), min_side)
    sh = max(bh * (1 + 2 * margin), min_side)
    c0, c1 = int(max(0, np.floor(cx - sw / 2))), int(min(w, np.ceil(cx + sw / 2)))
    r0, r1 = int(max(0, np.floor(cy - sh / 2))), int(min(h, np.ceil(cy + sh / 2)))
    return r0, max(r1, r0 + 1) if h else r1, c0, max(c1, c0 + 1) if w else c1


def fit(img: np.ndarray, max_side: int) -> np.ndarray:
    """Scale ``img`` so its longer side is ``max_side`` (nearest neighbour: pixels stay visible
    when enlarging; box filter when shrinking)."""
    Image = need_pillow()
    h, w = img.shape[:2]
    if h == 0 or w == 0:
        return img
    s = max_side / max(h, w)
    nw, nh = max(1, int(round(w * s))), max(1, int(round(h * s)))
    im = Image.fromarray(np.ascontiguousarray(img))
    im = im.resize((nw, nh), Image.NEAREST if s >= 1 else Image.BOX)
    return np.array(im)  # writable


def bar_plot(labels: list[Any], values: list[Any], colors: list[Any], title: str, width: int = 760, bar_h: int = 16,
             log: bool = False, unit: str = "") -> np.ndarray:
    """A horizontal bar chart as an (H, W, 3) uint8 image: one bar per label, its value printed."""
    Image = need_pillow()
    from PIL import ImageDraw

    font = _font(12)
    tfont = _font(14)
    n = len(labels)
    label_w = min(240, max([int(font.getlength(str(s))) for s in labels] + [40]) + 12)
    top = 30
    H = top + n * (bar_h + 4) + 26
    canvas = Image.new("RGB", (width, H), (255, 255, 255))
    d = ImageDraw.Draw(canvas)
    d.text((8, 6), title, fill=(20, 20, 20), font=tfont)
    vmax = max([float(v) for v in values] + [1.0])
    span = width - label_w - 90

    def scale(v: Any) -> float:
        v = float(v)
        if log:
            return span * (np.log10(1 + v) / np.log10(1 + vmax)) if vmax > 0 else 0
        return span * v / vmax

    for k, (lab, v, col) in enumerate(zip(labels, values, colors)):
        y = top + k * (bar_h + 4)
        text = str(lab)
        while font.getlength(text) > label_w - 10 and len(text) > 4:
            text = text[:-2]
        if text != str(lab):
            text = text[:-1] + "…"
        d.text((6, y + 1), text, fill=(30, 30, 30), font=font)
        x0 = label_w
        d.rectangle([x0, y, x0 + max(1, int(scale(v))), y + bar_h], fill=tuple(col), outline=(60, 60, 60))
        d.text((x0 + int(scale(v)) + 6, y + 1), f"{v:,}{unit}" if isinstance(v, int) else f"{v:.3g}{unit}",
               fill=(30, 30, 30), font=font)
    d.line([label_w, top - 2, label_w, top + n * (bar_h + 4)], fill=(0, 0, 0))
    if log:
        d.text((label_w, H - 20), "log scale", fill=(110, 110, 110), font=font)
    return np.asarray(canvas)
