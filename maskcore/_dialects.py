"""Other run-length dialects: Kaggle's "start length" strings and CVAT-style row runs.

Both are converted to and from :class:`maskcore.RLE` using only maskcore's public API and
numpy; they are re-exported from :mod:`maskcore.rle`.

Kaggle
    A string of whitespace-separated integer pairs ``start length``, one pair per run of
    foreground pixels, with ``start`` 1-indexed into the flattened mask. Most Kaggle
    competitions number pixels top to bottom, then left to right (column-major, Fortran
    order, ``order="F"``, the default, and COCO's order too); some number them row by row
    (``order="C"``). An empty mask is the empty string.

Row runs (CVAT)
    Run lengths over the row-major (C order) flattening, alternating and starting with a
    run of zeros that is empty (0) when the first pixel is set, either over the whole image
    or over the tight bounding box of the foreground, given as ``(x0, y0, x1, y1)`` with
    both corners inclusive. This is CVAT's mask shape: its ``points`` are these runs
    followed by ``left, top, right, bottom``.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Literal, cast, overload

import numpy as np

from . import _validate as _v

if TYPE_CHECKING:
    from types import ModuleType

    from ._typing import ArrayLike, NDArray
    from .rle import RLE

__all__ = ["to_kaggle", "from_kaggle", "to_row_runs", "from_row_runs"]

_ORDERS = ("F", "C")


def _core() -> ModuleType:
    # Imported lazily: maskcore.rle imports this module while maskcore is initialising.
    import maskcore

    return maskcore


def _check_order(order: object) -> str:
    if not isinstance(order, str) or order not in _ORDERS:
        raise ValueError(f"order must be 'F' or 'C', got {order!r}")
    return order


def _as_rle(x: Any, name: str = "x") -> RLE:
    """An RLE from an RLE or a 2-D binary mask (validated by maskcore.encode)."""
    mc = _core()
    if isinstance(x, mc.RLE):
        counts = np.asarray(x.counts)
        if counts.size > 1 and not counts[1:].all():
            # interior empty runs (legal in a constructed RLE) would split maximal runs:
            # OR with the empty mask, which the core returns in canonical form
            h, w = x.shape
            x = x | _rle_from_counts([h * w], h, w)
        return cast("RLE", x)
    if isinstance(x, np.ndarray) or hasattr(x, "__array__") or isinstance(x, (list, tuple)):
        arr = np.asarray(x)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a 2-D mask or a maskcore.RLE, got an array with "
                             f"ndim={arr.ndim} (shape {arr.shape})")
        return cast("RLE", mc.encode(arr))
    raise TypeError(f"{name} must be a 2-D binary mask or a maskcore.RLE, "
                    f"got {type(x).__name__}")


def _check_shape(shape: object) -> tuple[int, int]:
    return _v.shape_pair(shape, "shape")


def _counts_from_foreground(starts: ArrayLike, lengths: ArrayLike, total: int) -> NDArray[np.int64]:
    """COCO counts over a flattening of ``total`` pixels from sorted, disjoint 0-indexed
    foreground runs; touching runs are joined so that no interior run is empty."""
    starts = np.asarray(starts, np.int64)
    lengths = np.asarray(lengths, np.int64)
    if starts.size:
        ends = starts + lengths
        # join runs that touch (start == previous end): the zero run between them is empty
        keep = np.ones(starts.size, bool)
        keep[1:] = starts[1:] != ends[:-1]
        group = np.cumsum(keep) - 1
        new_starts = starts[keep]
        new_ends = np.zeros(new_starts.size, np.int64)
        np.maximum.at(new_ends, group, ends)
        starts, ends = new_starts, new_ends
        gaps = starts - np.concatenate([[0], ends[:-1]])
        counts = np.empty(2 * starts.size, np.int64)
        counts[0::2] = gaps
        counts[1::2] = ends - starts
        tail = total - int(ends[-1])
        if tail:
            counts = np.append(counts, tail)
    else:
        counts = np.array([total], np.int64)
    return counts


def _rle_from_counts(counts: ArrayLike, h: int, w: int) -> RLE:
    mc = _core()
    counts = np.asarray(counts, np.int64)
    dtype = np.uint64 if h * w >= 2**32 else np.uint32
    return cast("RLE", mc.RLE(counts.astype(dtype), h, w))


def _rle_from_c_runs(counts: ArrayLike, h: int, w: int) -> RLE:
    """RLE of an (h, w) mask whose row-major flattening has COCO-style ``counts``.

    The C flattening of an (h, w) mask is the Fortran flattening of its (w, h) transpose,
    so the counts describe the transpose; it is decoded and re-encoded through a
    transposed (Fortran-ordered) view, which maskcore.encode accepts without a copy.
    """
    mc = _core()
    transposed = _rle_from_counts(counts, w, h).decode()
    return cast("RLE", mc.encode(transposed.T))


def _c_counts(rle: RLE) -> NDArray[np.int64]:
    """COCO-style counts (int64) of the row-major flattening of ``rle``'s mask."""
    mc = _core()
    dense = rle.decode()
    return np.asarray(mc.encode(dense.T).counts, np.int64)


# --- Kaggle ----------------------------------------------------------------------------

def to_kaggle(x: RLE | ArrayLike, *, order: str = "F") -> str:
    """Kaggle run-length string of a binary mask.

    Parameters
    ----------
    x : maskcore.RLE or array_like of shape (H, W)
        The mask: an RLE, or a bool / uint8 0-1 array in any memory layout.
    order : {"F", "C"}, default "F"
        Pixel numbering: ``"F"`` counts down each column, then across columns
        (column-major, as most Kaggle competitions and COCO do); ``"C"`` counts along each
        row, then down rows.

    Returns
    -------
    str
        Space-separated pairs ``start length``, one per maximal run of foreground pixels,
        in increasing order, with ``start`` 1-indexed into the flattened mask. An empty
        mask gives ``""``.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.array([[1, 1, 0],
    ...               [0, 1, 1]], np.uint8)
    >>> to_kaggle(m)              # flattened down columns: 1 0 1 1 0 1
    '1 1 3 2 6 1'
    >>> to_kaggle(m, order="C")   # flattened along rows: 1 1 0 0 1 1
    '1 2 5 2'
    """
    order = _check_order(order)
    rle = _as_rle(x)
    counts = (np.asarray(rle.counts, np.int64) if order == "F" else _c_counts(rle))
    ends = np.cumsum(counts)
    lengths = counts[1::2]
    starts = ends[0::2][: lengths.size] + 1      # a foreground run starts where a zero run ends
    nz = lengths > 0                              # only the all-ones [0, n] has no empty run
    pairs = np.stack([starts[nz], lengths[nz]], axis=1).ravel()
    return " ".join(map(str, pairs.tolist()))


_INT_TOKEN = re.compile(r"[+-]?[0-9]+\Z")


def from_kaggle(s: str | bytes | bytearray, shape: tuple[int, int], *, order: str = "F") -> RLE:
    """RLE from a Kaggle run-length string.

    Parameters
    ----------
    s : str or bytes
        Whitespace-separated integer pairs ``start length`` (``start`` 1-indexed into the
        flattened mask, ``length >= 1``), sorted by ``start`` and not overlapping. Runs
        that touch are joined. ``""`` is the empty mask.
    shape : tuple of int
        ``(height, width)`` of the mask.
    order : {"F", "C"}, default "F"
        Pixel numbering used by ``s`` (see :func:`to_kaggle`).

    Returns
    -------
    maskcore.RLE

    Raises
    ------
    TypeError
        If ``s`` is not a str / bytes, or ``shape`` does not hold integers.
    ValueError
        Naming the offending token of ``s``: a token that is not a base-10 integer, an
        odd number of tokens, ``start < 1``, ``length < 1``, a run that starts before the
        previous one ends (unsorted or overlapping) or that ends past ``height * width``;
        or a negative ``shape`` or a bad ``order``.
    OverflowError
        If ``height * width`` does not fit in int64.

    Examples
    --------
    >>> from_kaggle("1 1 3 2 6 1", (2, 3)).decode()
    array([[1, 1, 0],
           [0, 1, 1]], dtype=uint8)
    """
    order = _check_order(order)
    h, w = _check_shape(shape)
    if isinstance(s, (bytes, bytearray)):
        try:
            s = s.decode("ascii")
        except UnicodeDecodeError as e:
            raise ValueError(f"s: non-ASCII byte at position {e.start}: "
                             f"{bytes(e.object[e.start:e.start + 1])!r}") from None
    if not isinstance(s, str):
        raise TypeError(f"s must be a str or bytes, got {type(s).__name__}")
    tokens = s.split()
    for i, tok in enumerate(tokens):
        if not _INT_TOKEN.match(tok) or not tok.isascii():
            raise ValueError(f"s: token {i} ({tok!r}) is not an integer")
    if len(tokens) % 2:
        raise ValueError(f"s: expected 'start length' pairs but got an odd number of tokens "
                         f"({len(tokens)}); the last token {tokens[-1]!r} has no length")
    total = h * w
    starts = []
    lengths = []
    prev_end = 0                                  # 0-indexed end (exclusive) of previous run
    for k in range(0, len(tokens), 2):
        start, length = int(tokens[k]), int(tokens[k + 1])
        if start < 1:
            raise ValueError(f"s: token {k} (start {tokens[k]!r}) must be >= 1 "
                             f"(Kaggle starts are 1-indexed)")
        if length < 1:
            raise ValueError(f"s: token {k + 1} (length {tokens[k + 1]!r} of the run starting "
                             f"at {start}) must be >= 1")
        if start - 1 < prev_end:
            raise ValueError(f"s: token {k} (start {tokens[k]!r}) overlaps or precedes the "
                             f"previous run, which ends at pixel {prev_end} (1-indexed); runs "
                             f"must be sorted and disjoint")
        end = start - 1 + length
        if end > total:
            raise ValueError(f"s: token {k + 1} (length {tokens[k + 1]!r}): the run starting at "
                             f"{start} ends at pixel {end}, past height * width = {total} "
                             f"for shape {(h, w)}")
        starts.append(start - 1)
        lengths.append(length)
        prev_end = end
    counts = _counts_from_foreground(starts, lengths, total)
    if order == "F":
        return _rle_from_counts(counts, h, w)
    return _rle_from_c_runs(counts, h, w)


# --- CVAT-style row runs -----------------------------------------------------------------
# Matched against CVAT's server-side converter, cvat/apps/dataset_manager/formats/
# transformations.py (MaskConverter.dm_mask_to_cvat_rle / MaskConverter.rle /
# cvat_rle_to_dm_rle): the mask is cropped to its tight box
# [top:bottom + 1, left:right + 1], flattened row by row (reshape(-1), C order), run-length
# encoded with a leading 0 inserted when the first pixel is set, and the shape's points are
# those runs followed by [left, top, right, bottom], both corners inclusive. CVAT's own
# reader takes w = right - left + 1, h = bottom - top + 1 from that box.

def _box_of(rle: RLE) -> tuple[int, int, int, int]:
    x, y, bw, bh = (int(v) for v in rle.bbox)
    return x, y, x + bw - 1, y + bh - 1


@overload
def to_row_runs(x: RLE | ArrayLike, *, box: Literal[False] = False) -> NDArray[np.int64]: ...
@overload
def to_row_runs(x: RLE | ArrayLike, *, box: Literal[True]) -> tuple[NDArray[np.int64], tuple[int, int, int, int]]: ...
@overload
def to_row_runs(x: RLE | ArrayLike, *, box: bool) -> NDArray[np.int64] | tuple[NDArray[np.int64], tuple[int, int, int, int]]: ...
def to_row_runs(x: RLE | ArrayLike, *, box: bool = False) -> NDArray[np.int64] | tuple[NDArray[np.int64], tuple[int, int, int, int]]:
    """Row-major run lengths of a binary mask, over the whole image or its tight box.

    Parameters
    ----------
    x : maskcore.RLE or array_like of shape (H, W)
        The mask: an RLE, or a bool / uint8 0-1 array in any memory layout.
    box : bool, default False
        If False, the runs cover the whole image. If True, they cover only the tight
        bounding box of the foreground, as CVAT stores masks.

    Returns
    -------
    runs : numpy.ndarray of int64
        Lengths of the maximal constant runs of the row-major (C order) flattening,
        alternating and starting with a run of zeros, which is 0 when the first pixel is
        set; no other run is 0. They sum to ``H * W`` (or to the box's area). A mask with no
        pixels gives an empty array.
    box : tuple of 4 int
        Only when ``box=True``: ``(x0, y0, x1, y1)``, the box's left column, top row,
        right column and bottom row, all inclusive (CVAT's ``left, top, right, bottom``).
        CVAT's ``points`` are ``[*runs, x0, y0, x1, y1]``.

    Raises
    ------
    ValueError
        With ``box=True`` on a mask with no foreground, which has no tight box.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((4, 5), np.uint8); m[1, 2] = m[2, 2] = m[2, 3] = 1
    >>> to_row_runs(m)
    array([7, 1, 4, 2, 6])
    >>> to_row_runs(m, box=True)      # box rows: [1 0], [1 1]
    (array([0, 1, 1, 2]), (2, 1, 3, 2))
    """
    rle = _as_rle(x)
    h, w = rle.shape
    if not box:
        if h * w == 0:
            return np.zeros(0, np.int64)
        return _c_counts(rle)
    if rle.area == 0:
        raise ValueError(f"x has no foreground pixels, so it has no tight box; use box=False "
                         f"for an empty mask of shape {(h, w)}")
    x0, y0, x1, y1 = _box_of(rle)
    crop = rle.decode()[y0:y1 + 1, x0:x1 + 1]
    mc = _core()
    runs = np.asarray(mc.encode(crop.T).counts, np.int64)
    return runs, (x0, y0, x1, y1)


def _as_runs(runs: ArrayLike) -> NDArray[np.int64]:
    # whole-valued floats appear in JSON round trips (CVAT serialises points as floats)
    return _v.int_array(runs, "runs", whole_floats=True)


def _check_box(box: Iterable[Any], h: int, w: int) -> tuple[int, int, int, int]:
    try:
        vals = list(box)
    except TypeError:
        raise TypeError(f"box must be (x0, y0, x1, y1) or None, got {box!r}") from None
    if len(vals) != 4:
        raise ValueError(f"box must have 4 values (x0, y0, x1, y1), got {len(vals)}: {box!r}")
    out = []
    for name, v in zip(("x0", "y0", "x1", "y1"), vals):
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            v = int(v)                       # CVAT serialises points as floats
        out.append(_v.integer(v, f"box: {name}"))
    x0, y0, x1, y1 = out
    if not (0 <= x0 <= x1 < w and 0 <= y0 <= y1 < h):
        raise ValueError(f"box (x0, y0, x1, y1) = {tuple(out)} must satisfy "
                         f"0 <= x0 <= x1 < width and 0 <= y0 <= y1 < height for shape {(h, w)}")
    return x0, y0, x1, y1


def from_row_runs(runs: ArrayLike, shape: tuple[int, int], *, box: Iterable[float] | None = None) -> RLE:
    """RLE from row-major run lengths over the whole image or a box (CVAT-style).

    Parameters
    ----------
    runs : sequence of int
        Lengths of alternating runs of the row-major (C order) flattening, starting with
        a run of zeros (0 when the first pixel is set). Runs of length 0 elsewhere are
        allowed and join their neighbours. They must sum to the area covered (``H * W``, or
        the box's area): every pixel is covered, including a trailing run of zeros.
    shape : tuple of int
        ``(height, width)`` of the whole image.
    box : tuple of 4 int, optional
        ``(x0, y0, x1, y1)``, inclusive, as returned by ``to_row_runs(..., box=True)``
        and stored by CVAT as the last four ``points``: the runs then cover only that box
        and the rest of the image is background. Whole-valued floats are accepted since
        CVAT's JSON stores points as floats.

    Returns
    -------
    maskcore.RLE

    Raises
    ------
    TypeError
        If a run, a box coordinate or a ``shape`` entry is not an integer.
    ValueError
        Naming the offending value: a negative run, runs not summing to the covered area,
        a box outside the image or with ``x1 < x0`` / ``y1 < y0``, a negative ``shape``.

    Examples
    --------
    >>> points = [0, 1, 1, 2, 2, 1, 3, 2]            # a CVAT mask shape's points
    >>> from_row_runs(points[:-4], (4, 5), box=points[-4:]).decode()
    array([[0, 0, 0, 0, 0],
           [0, 0, 1, 0, 0],
           [0, 0, 1, 1, 0],
           [0, 0, 0, 0, 0]], dtype=uint8)
    """
    h, w = _check_shape(shape)
    arr = _as_runs(runs)
    if box is None:
        bh, bw = h, w
    else:
        x0, y0, x1, y1 = _check_box(box, h, w)
        bh, bw = y1 - y0 + 1, x1 - x0 + 1
    total = bh * bw
    if arr.size and int(arr.max()) > total:
        s = None                                 # one run alone is longer than the area
    elif arr.size <= (2**63 - 1) // max(total, 1):
        s = int(arr.sum())                       # every run <= total: int64 cannot wrap
    else:
        s = sum(arr.tolist())
    if s != total:
        where = "height * width" if box is None else "the box's area (x1-x0+1)*(y1-y0+1)"
        raise ValueError(f"runs must sum to {where} = {total}, got sum(runs) = "
                         f"{sum(arr.tolist())} ({arr.size} runs)")
    if total == 0:
        counts = np.zeros(1, np.int64)
    else:
        # canonical COCO-style counts: merge interior empty runs into their neighbours
        values = np.arange(arr.size) % 2
        ends = np.cumsum(arr)
        starts = ends - arr
        fg = (values == 1) & (arr > 0)
        counts = _counts_from_foreground(starts[fg], arr[fg], total)
    if box is None:
        return _rle_from_c_runs(counts, h, w)
    crop = _rle_from_c_runs(counts, bh, bw).decode()
    full = np.zeros((h, w), np.uint8)
    full[y0:y1 + 1, x0:x1 + 1] = crop
    return cast("RLE", _core().encode(full))
