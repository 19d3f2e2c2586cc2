"""Polygon rasterization with a declared rule: masks, label-map painting, RLE.

Coordinates are (x, y) floats in COCO's convention: (0, 0) is the top-left corner
of the top-left pixel, and pixel (row r, column c) covers [c, c+1) x [r, r+1).

A polygon argument is one object: a COCO flat list ``[x0, y0, x1, y1, ...]``, an
``(N, 2)`` array of (x, y) rows, or a list of those (the parts of a multi-part
object; each part is closed implicitly). A list of lists is always read as parts,
as in COCO's ``segmentation``. The parts are combined by ``fill_rule``: with
``"evenodd"`` a ring inside another is a hole, with ``"nonzero"`` a ring wound the
same way as its outer ring is not.

Rules (``rule=``), on the example square with corners (1, 1) and (4, 4)::

    center     pixels whose centre (c + .5, r + .5) is inside; a centre exactly on
               an edge is decided by the top-left rule: it counts as inside when it
               lies on a left edge or on a top horizontal edge (formally: the point
               p + (eps, eps^2) is tested). Adjacent polygons sharing an edge
               partition the pixels. Square: rows/cols 1..3, 9 pixels.
    coco       bit-identical to pycocotools (frPyObjects, merge, decode): its
               5x-upsampled boundary walk; the parts are unioned whatever
               fill_rule says. Square: 9 pixels.
    inclusive  OpenCV's cv2.fillPoly(lineType=8): here, as in OpenCV, the vertex
               (x, y) is the CENTRE of pixel (row y, column x); the filled interior
               plus the 8-connected line of every edge. Non-integer vertices are
               rounded to the nearest integer (ties to even) first. Square: rows and
               columns 1..4, 16 pixels.
    touched    every pixel whose closed square [c, c+1] x [r, r+1] meets the closed
               filled area or any edge (all-touched / conservative rasterization).
               Square: rows/cols 0..4, 25 pixels.

Fewer than three points: "center" paints nothing (no area); "coco" follows
pycocotools (nothing); "inclusive" follows OpenCV (the line between two points,
the pixel of one point); "touched" paints the squares the segment or point meets.
Zero-area and self-intersecting polygons follow the same rules (self-intersection
by the fill rule).

Functions: :func:`rasterize` (dense mask), :func:`rasterize_rle` and
:func:`rasterize_rle_batch` (COCO RLE straight from the edges, no dense buffer; the batch
form converts a whole dataset in one native call), :func:`paint`, :func:`paint_many`,
:func:`paint_mask` and :func:`stroke` (label maps, one lock rule), :func:`draw_rgb`
(colour images).

Exactness: "center" and "touched" snap coordinates to 1/256 pixel (round to
nearest, ties to even) and decide every comparison exactly in integers
(csrc/raster/scan.hpp); a scan by rows and the column-major RLE agree exactly.
Coordinates must be finite with ``|v| <= 2**40`` (2e8 for "coco", pycocotools'
own range).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence, cast

import numpy as np

from . import _core
from . import _validate as _v
from .rle import RLE, RLEBatch

if TYPE_CHECKING:
    from ._typing import ArrayLike, LabelMap, NDArray

__all__ = ["rasterize", "rasterize_rle", "rasterize_rle_batch", "paint", "paint_many", "paint_mask", "stroke", "draw_rgb"]

# One native entry per operation (csrc/bindings/bind_raster.cpp). Each takes the caller's own
# arguments when they are in the kernel's forms (COCO lists or float64 arrays, exact ints, the
# rule names) and returns None for anything else; the arguments are then brought to those forms
# by maskcore/_validate.py, which explains what it cannot convert, and the same entry is called
# again (it cannot decline them then).


def rasterize(polygons: Any, height: int, width: int, *, rule: str = "center", fill_rule: str = "evenodd", value: int = 1,
              out: NDArray[Any] | None = None) -> np.ndarray:
    """Fill one (possibly multi-part) polygon into a dense mask.

    Parameters
    ----------
    polygons : flat list, (N, 2) array, or list of those
        The object's parts (see the module docstring).
    height, width : int
        Mask size.
    rule : {"center", "coco", "inclusive", "touched"}
        Which pixels count as inside (module docstring).
    fill_rule : {"evenodd", "nonzero"}
        How parts and self-intersections combine (ignored by "coco", which unions).
    value : int
        Written into the pixels inside; all others are set to 0.
    out : ndarray, optional
        (height, width) integer or bool array, any layout, overwritten in place.

    Returns
    -------
    ndarray
        ``out``, or a new C-ordered uint8 (height, width) array.

    Raises
    ------
    ValueError
        Unknown rule, odd-length or ragged parts, NaN / inf / too large coordinates,
        wrong ``out`` shape. TypeError for non-numeric input. OverflowError when
        ``value`` does not fit ``out``.

    Examples
    --------
    >>> import maskcore
    >>> sq = [1, 1, 4, 1, 4, 4, 1, 4]
    >>> [int(maskcore.rasterize(sq, 6, 6, rule=r).sum()) for r in ("center", "inclusive", "touched")]
    [9, 16, 25]
    """
    try:
        got = _core.raster_fill(polygons, height, width, rule, fill_rule, value, out)
        if got is None:
            got = _rasterize(polygons, height, width, rule, fill_rule, value, out)
    except _v.KernelError as exc:
        raise _v.scan_error(exc, height, width, rule) from None
    return got


def _rasterize(polygons: Any, height: Any, width: Any, rule: Any, fill_rule: Any, value: Any, out: Any) -> np.ndarray:
    """rasterize's arguments brought to the kernel's forms (or explained), and the one call."""
    h, w = _v.raster_size(height, width)
    rule, fill_rule = _v.raster_rule(rule), _v.fill_rule(fill_rule)
    parts = _v.raster_polygons(polygons)
    out = np.empty((h, w), np.uint8) if out is None else _out(out, h, w)
    bits = _v.label_value(value, out.dtype, "value")
    # The kernel writes native unsigned bit patterns: bool and signed arrays through a view,
    # byte-swapped ones through a native copy.
    target = out if out.dtype.isnative else np.empty((h, w), out.dtype.newbyteorder("="))
    got = _core.raster_fill(parts, h, w, rule, fill_rule, bits,
                            target if target.dtype.kind == "u" else target.view(f"u{out.dtype.itemsize}"))
    assert got is not None  # (the canonical forms are the kernel's own)
    if target is not out:
        np.copyto(out, target)
    return out


def _out(out: object, h: int, w: int) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out: expected a numpy array, got {type(out).__name__}")
    if out.shape != (h, w):
        raise ValueError(f"out: expected shape {(h, w)}, got {out.shape}")
    if out.dtype.kind not in "uib":
        raise TypeError(f"out: expected an integer or bool array, got dtype {out.dtype}")
    if not out.flags.writeable:
        raise ValueError("out: array is read-only")
    return _v.aligned_output(out, "out")


def rasterize_rle(polygons: Any, height: int, width: int, *, rule: str = "center", fill_rule: str = "evenodd") -> RLE:
    """The mask :func:`rasterize` gives, as a COCO :class:`~maskcore.RLE`, built from
    the edges directly: memory O(edges + runs), never a dense height x width buffer
    (a polygon on a 100,000 x 100,000 canvas takes megabytes).

    Parameters
    ----------
    polygons : list or ndarray
        As in :func:`rasterize`: a COCO flat list, a list of parts, or (N, 2) arrays of
        (x, y) vertices; every part is one ring of the same mask (holes by ``fill_rule``).
    height, width : int
        The mask's size, each in [0, 2**31).
    rule : {"center", "coco", "inclusive", "touched"}, default "center"
        Which pixels a polygon covers (see :func:`rasterize`); ``"coco"`` gives
        pycocotools' ``frPyObjects`` mask (each part rasterized, then their union).
    fill_rule : {"evenodd", "nonzero"}, default "evenodd"
        Inside test for overlapping parts and self-intersections (not used by ``"coco"``).

    Returns
    -------
    RLE
        The ``height x width`` mask's COCO runs.

    Examples
    --------
    >>> import maskcore
    >>> maskcore.rasterize_rle([1, 1, 4, 1, 4, 4, 1, 4], 6, 6).counts.tolist()
    [7, 3, 3, 3, 3, 3, 14]
    """
    try:
        counts = _core.raster_rle(polygons, height, width, rule, fill_rule)
        if counts is None:
            height, width = _v.raster_size(height, width)
            rule, fill_rule = _v.raster_rule(rule), _v.fill_rule(fill_rule)
            counts = _core.raster_rle(_v.raster_polygons(polygons), height, width, rule, fill_rule)
            assert counts is not None  # (the canonical forms are the kernel's own)
    except _v.KernelError as exc:
        raise _v.scan_error(exc, height, width, rule) from None
    return RLE._wrap(counts, height, width)


def rasterize_rle_batch(objects: Iterable[Any], height: int | ArrayLike, width: int | ArrayLike, *, rule: str = "center",
                        fill_rule: str = "evenodd") -> RLEBatch:
    """:func:`rasterize_rle` of many objects in one native call, as an :class:`~maskcore.RLEBatch`.

    Per-call overhead is fixed, so a dataset's annotations (thousands of small polygons)
    are best converted in one batch: this is the fast way from COCO ``segmentation``
    lists to RLE.

    Parameters
    ----------
    objects : list
        One entry per object, each as :func:`rasterize_rle` takes it (a COCO flat list,
        a list of parts, an (N, 2) array).
    height, width : int or sequence of int
        One size for every object, or one per object (e.g. each annotation's image).
    rule, fill_rule
        As in :func:`rasterize`.

    Returns
    -------
    RLEBatch
        ``batch[i] == rasterize_rle(objects[i], height[i], width[i], ...)``.

    Examples
    --------
    >>> import maskcore
    >>> b = maskcore.rasterize_rle_batch([[1, 1, 4, 1, 4, 4, 1, 4], [[0, 0, 2, 0, 0, 2]]], 6, 6)
    >>> [r.area for r in b]
    [9, 1]
    """
    rule, fill_rule = _v.raster_rule(rule), _v.fill_rule(fill_rule)
    objs = objects if isinstance(objects, list) else list(objects)
    n = len(objs)
    hs, ws = _sizes(height, n, "height"), _sizes(width, n, "width")
    try:
        got = _core.raster_rle_batch(objs, hs, ws, rule, fill_rule)
        if got is None:
            got = _core.raster_rle_batch([_object_parts(o, i) for i, o in enumerate(objs)], hs, ws, rule, fill_rule)
    except _v.KernelError as exc:
        i = _v.kernel_info(exc).item
        raise _v.scan_error(exc, int(hs[i]), int(ws[i]), rule) from None
    return RLEBatch._wrap(got[0], got[1], np.stack([hs, ws], 1) if n else np.zeros((0, 2), np.int64))


def _object_parts(o: Any, i: int) -> list[NDArray[np.float64]]:
    """Object i of rasterize_rle_batch in the kernel's form; messages name the object."""
    try:
        return _v.raster_polygons(o)
    except (TypeError, ValueError) as e:
        raise type(e)(f"objects[{i}]: {e}") from None


def _sizes(v: Any, n: int, name: str) -> NDArray[np.int64]:
    """``height=`` / ``width=`` of rasterize_rle_batch: an int or one int per object, as int64."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        a = np.full(n, int(v), np.int64)
    else:
        if not isinstance(v, (list, tuple, np.ndarray)):
            raise TypeError(f"{name}: expected an int or a sequence of {n} ints (one per object), "
                            f"got {type(v).__name__} {_v._describe(v)}")
        a = _v.int_array(v, name)
        if a.shape[0] != n:
            raise ValueError(f"{name}: expected an int or {n} ints (one per object), got {a.shape[0]}")
    if (a < 0).any() or (a >= 2**31).any():
        raise ValueError(f"{name}: expected values in [0, 2**31), got {int(a.min())}..{int(a.max())}")
    return np.ascontiguousarray(a, np.int64)


def paint(label_map: LabelMap, polygons: Any, label: int, *, rule: str = "center", fill_rule: str = "evenodd",
          mode: str = "over", locked: Iterable[int] | None = None) -> LabelMap:
    """Write ``label`` into the pixels of a polygon, in place.

    The lock rule (shared by every painting function in maskcore): a selected
    pixel holding ``v`` is written iff ``v`` is not in ``locked`` and
    (``mode == "over"`` or ``v == 0``). ``mode="under"`` draws behind what is there
    (only background, 0, is painted); ``locked`` labels are never overwritten.

    Parameters
    ----------
    label_map : ndarray
        2D integer array (uint8 ... uint64, or signed: labels and locks are then compared and
        written by value), any layout; modified in place.
    polygons, rule, fill_rule
        As in :func:`rasterize`.
    label : int
        Must fit the map's dtype.
    mode : {"over", "under"}
    locked : iterable of int, optional

    Returns
    -------
    ndarray
        ``label_map``.
    """
    lm, dt, bits, over, locks = _v.paint_args(label_map, label, mode, locked)
    try:
        if _core.raster_paint(polygons, lm, cast(int, bits), rule, fill_rule, over, locks) is None:
            rule, fill_rule = _v.raster_rule(rule), _v.fill_rule(fill_rule)
            got = _core.raster_paint(_v.raster_polygons(polygons), lm, cast(int, bits), rule, fill_rule, over, locks)
            assert got is not None  # (the canonical forms are the kernel's own)
    except _v.KernelError as exc:
        raise _v.scan_error(exc, lm.shape[0], lm.shape[1], rule) from None
    return label_map


def paint_mask(label_map: LabelMap, mask: ArrayLike, label: int, *, mode: str = "over",
               locked: Iterable[int] | None = None) -> LabelMap:
    """:func:`paint` with the selection given as a mask instead of polygons.

    Parameters
    ----------
    label_map : ndarray
        A 2D unsigned or signed integer label map (uint8 to uint64), written in place; any
        layout.
    mask : ndarray
        bool or uint8 0/1, the map's shape: the pixels to paint.
    label : int
        The value written; it must fit ``label_map``'s dtype.
    mode : {"over", "under"}, default "over"
        "over" writes every selected pixel; "under" only those that are 0 (drawing behind).
    locked : iterable of int, optional
        Values never overwritten (layer locking), whatever ``mode`` says.

    Returns
    -------
    ndarray
        ``label_map`` itself.
    """
    lm, _, bits, over, locks = _v.paint_args(label_map, label, mode, locked)
    m = _v.mask_array(mask)
    if m.shape != lm.shape:
        raise ValueError(f"mask: expected shape {lm.shape}, got {m.shape}")
    if m.size and m.max() > 1:
        raise ValueError("mask: expected 0/1 values (use mask != 0)")
    _core.paint_mask(lm, m, cast(int, bits), over, locks)
    return label_map


def paint_many(label_map: LabelMap, items: Iterable[tuple[Any, int]], *, order: str = "later_wins",
               priority: Iterable[int] | None = None, rule: str = "center", fill_rule: str = "evenodd",
               mode: str = "over", locked: Iterable[int] | None = None) -> LabelMap:
    """Paint many ``(polygons, label)`` items in one native call.

    Parameters
    ----------
    items : iterable of (polygons, label)
    order : {"later_wins", "priority"}
        "later_wins": items are painted in sequence, so a later item overwrites an
        earlier one where they overlap. "priority": items are painted from the
        lowest to the highest class priority (ties: in sequence), so where items
        overlap the higher-priority label wins.
    priority : sequence of int
        With ``order="priority"``: labels from highest to lowest priority; labels
        not listed rank below all listed ones.
    rule, fill_rule, mode, locked
        As in :func:`paint`; ``mode`` and ``locked`` apply to every write.

    Returns
    -------
    ndarray
        ``label_map``.
    """
    lm, dt, _, over, locks = _v.paint_args(label_map, None, mode, locked, has_label=False)
    seq: list[int] = []  # with order="priority": the painting order of the items
    try:
        # The caller's list as it is (labels checked against the unsigned view, so signed maps
        # take the canonical form: their labels' bit patterns).
        if order == "later_wins" and priority is None and type(items) is list and dt.kind == "u" and \
                _core.raster_paint_many(items, lm, rule, fill_rule, over, locks) is not None:
            return label_map
        rule, fill_rule = _v.raster_rule(rule), _v.fill_rule(fill_rule)
        _v.choice(order, ("later_wins", "priority"), "order")
        canon = []
        for i, item in enumerate(items):
            try:
                polys, label = item
            except (TypeError, ValueError):
                raise TypeError(f"items[{i}]: expected a (polygons, label) pair, got {_v._describe(item)}") from None
            canon.append((_v.raster_polygons(polys, f"items[{i}]"), _v.label_value(label, dt, f"items[{i}] label")))
        if order == "priority":
            if priority is None:
                raise ValueError("priority: expected a sequence of labels with order='priority'")
            rank: dict[int, int] = {}
            for k, lab in enumerate(priority):
                rank.setdefault(_v.integer(lab, "priority value"), k)
            low = len(rank)
            # Lowest priority first (ties: in sequence): where items overlap, the higher one is painted last.
            seq = sorted(range(len(canon)), key=lambda j: (-rank.get(canon[j][1], low), j))
            canon = [canon[j] for j in seq]
        elif priority is not None:
            raise ValueError("priority: only used with order='priority'")
        got = _core.raster_paint_many(canon, lm, rule, fill_rule, over, locks)
        assert got is not None  # (the canonical forms are the kernel's own)
    except _v.KernelError as exc:
        if seq:  # the item's index in the caller's sequence
            exc.args = (*exc.args[:4], seq[exc.args[4]], *exc.args[5:])
        raise _v.scan_error(exc, lm.shape[0], lm.shape[1], rule, "items") from None
    return label_map


def stroke(label_map: LabelMap, points: Sequence[Any] | NDArray[Any], width: float, label: int, *, mode: str = "over",
           locked: Iterable[int] | None = None) -> LabelMap:
    """Paint a freehand pen stroke: a thick polyline with round caps and joins.

    Painted pixels are those whose centre (c + .5, r + .5) is within distance
    ``<= width / 2`` of the polyline through ``points`` (evaluated in double
    precision); one point paints a disc. The eraser is ``label=0``, which still
    respects ``locked``. Lock rule and ``mode`` as in :func:`paint`.

    Parameters
    ----------
    points : (N, 2) array or flat list x0, y0, x1, y1, ...
    width : float
        Brush diameter in pixels, finite and >= 0.

    Returns
    -------
    ndarray
        ``label_map``.
    """
    lm, dt, bits, over, locks = _v.paint_args(label_map, label, mode, locked)
    if isinstance(points, (list, tuple)) and len(points) and not _v._is_number(points[0]):
        points = np.asarray(points, dtype=np.float64)
    parts = _v.raster_polygons(points, "points") if len(points) else []
    flat = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0)
    if isinstance(width, (bool, np.bool_)) or not isinstance(width, (int, float, np.integer, np.floating)):
        raise TypeError(f"width: expected a number, got {_v._describe(width)}")
    if not (0 <= float(width) <= 2.0**40):
        raise ValueError(f"width: expected a width in pixels in [0, 2**40], got {width!r}")
    try:
        _core.stroke_paint(flat, lm, float(width), cast(int, bits), over, locks)
    except _v.KernelError as exc:
        raise _v.stroke_error(exc) from None
    return label_map


def draw_rgb(image: NDArray[Any], polygons: Any, color: ArrayLike, *, rule: str = "center",
             fill_rule: str = "evenodd") -> NDArray[Any]:
    """Write ``color`` into the pixels of a polygon in an (H, W, C) image, in place.

    The Labelbox-style ``polygon.draw(height, width, color)`` is
    ``draw_rgb(np.zeros((h, w, 3), np.uint8), polygon, color)``.

    Parameters
    ----------
    image : ndarray
        (H, W, C) array of any numeric dtype, any layout.
    color : sequence of C numbers (or one number for every channel)
        Cast to the image's dtype (must be representable exactly).

    Returns
    -------
    ndarray
        ``image``.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image: expected a numpy array, got {type(image).__name__}")
    if image.ndim != 3:
        raise ValueError(f"image: expected an (H, W, C) array, got shape {image.shape}")
    if image.dtype.kind not in "biuf" or image.dtype.itemsize not in (1, 2, 4, 8):
        raise TypeError(f"image: expected a bool, integer or float array (items of 1, 2, 4 or 8 bytes), "
                        f"got dtype {image.dtype}")
    if not image.flags.writeable:
        raise ValueError("image: array is read-only")
    _v.aligned_output(image, "image")
    col = _v.color_value(color, image.dtype, image.shape[2])
    try:
        if _core.raster_color(image, polygons, col, rule, fill_rule) is None:
            rule, fill_rule = _v.raster_rule(rule), _v.fill_rule(fill_rule)
            got = _core.raster_color(image, _v.raster_polygons(polygons), col, rule, fill_rule)
            assert got is not None  # (the canonical forms are the kernel's own)
    except _v.KernelError as exc:
        raise _v.scan_error(exc, image.shape[0], image.shape[1], rule) from None
    return image
