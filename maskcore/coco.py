"""Drop-in replacement for ``pycocotools.mask``, built on maskcore's RLE core.

``from maskcore import coco as mask_utils`` gives ``encode``, ``decode``, ``area``,
``toBbox``, ``iou``, ``merge`` and ``frPyObjects`` with the argument and return
types of pycocotools (checked against 2.0.11): COCO RLE dicts carry ``bytes``
counts, masks come back Fortran-ordered, and every value is identical. Where
pycocotools misbehaves (wrong numbers, garbage memory, a hang or a crash),
this module raises a ValueError / TypeError naming the argument, or gives the
right answer; each such case is listed under "Differences" below.

What pycocotools.mask does (2.0.11 with numpy 2), pinned by experiment
--------------------------------------------------------------------------
encode(bimask)
    A 2D array gives one dict ``{'size': [h, w], 'counts': bytes}``; a 3D
    ``(h, w, n)`` array gives a list of n such dicts (``[]`` for n = 0); any other
    ndim silently returns None. The array must be uint8 or bool and Fortran
    contiguous (a C-ordered 2D mask raises "ndarray is not Fortran contiguous").
    A run ends wherever the byte value changes, so a mask of 0 and one other value
    (0/255) encodes like 0/1, but a mask holding 1 and 2 gets a run break between
    them. 0x0 and 0xN masks encode as counts ``b'0'``.
decode(rleObjs)
    Exactly a ``list`` means many (``(h, w, n)`` uint8, Fortran order, the size of
    the first RLE used for all); anything else is one RLE (``(h, w)`` uint8,
    Fortran order: a view of an ``(h, w, 1)`` array). Counts may be ``bytes`` or
    ``str``; uncompressed int-list counts raise TypeError; a tuple raises TypeError.
    Counts summing to more than h*w raise ValueError ("Invalid RLE mask
    representation"); fewer leave the tail of the mask as uninitialised memory.
    ``decode([])`` returns an array with a garbage first dimension.
area(rleObjs)
    A list gives a uint32 array ``(n,)`` (``(0,)`` for ``[]``); one dict gives a
    ``numpy.uint32`` scalar. Sums wrap modulo 2**32. With numpy 2, a list of 256 or
    more RLEs raises OverflowError (a leftover ``np.array((n,), dtype=uint8)``).
toBbox(rleObjs)
    A list gives float64 ``(n, 4)`` C-ordered ``[x, y, w, h]`` rows (``(0, 4)`` for
    ``[]``); one dict gives float64 ``(4,)``. An empty mask gives zeros. Pixel
    positions are computed in 32-bit arithmetic.
iou(dt, gt, iscrowd)
    Three positional arguments, iscrowd required: ``np.array(iscrowd, uint8)``, so
    a list, tuple or 1D array of bools/ints works, None raises TypeError and a 2D
    array raises ValueError; its length must equal len(gt) (AssertionError).
    dt and gt are each an ``(n, 4)`` ndarray of boxes, a list of 4-element lists
    or arrays (boxes) or a list of RLE dicts; a single dict, a tuple or a 1D box
    raise. If either is empty the result is the list ``[]``; otherwise a float64
    ``(len(dt), len(gt))`` matrix in Fortran order. Boxes and RLEs cannot be
    mixed. IoU is intersection / union, or intersection / area(dt) against a
    crowd gt; 0 when they do not meet (both empty included). Box IoU is done in
    doubles: widths ``min(x+w) - max(x)``, <= 0 meaning no overlap, NaN passing
    through ``fmin``/``fmax``. RLEs of different sizes give -1 where their boxes
    overlap, 0 elsewhere.
merge(rleObjs, intersect=0)
    A list of dicts gives one dict (union, or intersection if ``intersect``). One
    element is returned re-encoded unchanged; ``[]`` gives ``{'size': [0, 0],
    'counts': b''}``; RLEs of different sizes give that same empty-size dict.
    Counts that do not sum to h*w can make it loop forever. ``intersect=None``
    raises TypeError.
RLEs with empty runs past the first (valid; frPyObjects keeps them from
uncompressed counts): toBbox can drop the last foreground run, iou can differ from
the masks' IoU, and merge can write past its output buffer and corrupt the heap.
frPyObjects(pyobj, h, w)
    Routes on the type of ``pyobj`` and of ``pyobj[0]``: a float64 ``(n, 4)``
    ndarray is boxes (other dtypes raise ValueError, and the raw buffer is read as
    if C-contiguous, so Fortran-ordered or sliced arrays give wrong boxes); a list
    whose first element has length 4 is boxes too but then raises TypeError (only
    ndarrays reach the rasterizer); a list whose first element is longer is
    polygons, every element (a list, tuple or 1-D array; whatever its length) giving
    one dict; a first element shorter than 4 raises (a bare Exception); a list of
    dicts, or one dict, is uncompressed RLE whose own ``size`` is kept (h and w are
    ignored) and whose counts are re-encoded exactly as given, even when they do
    not sum to h*w; compressed (string) counts raise ValueError; a flat list of
    numbers raises TypeError (``len()`` of its first number: the code meant for one
    flat polygon or box is unreachable); ``[]`` raises IndexError. A negative h or
    w raises OverflowError; float h and w are truncated.
    Polygons: each vertex goes to a 5x finer grid, ``X = (int)(5 x + 0.5)`` (C
    truncation, so negative values round up); each edge is walked as a digital line
    on that grid, and every step of the walk across the centre line of a pixel
    column c in [0, w) toggles that column from row ``ceil((Y - 2) / 5)`` (clipped
    to [0, h]; Y the walk's upper fine y there) down, where two toggles cancel.
    An odd number of coordinates drops the last one; polygons of 0, 1 or 2 points
    (a 2-point polygon is walked out and back) and repeated points paint nothing
    extra; parts outside the image are clipped. NaN or infinite coordinates are
    undefined behaviour in C (observed: the process is killed allocating memory),
    as are coordinates past about +-4e8 (32-bit overflow); the walk stores one
    point per fine step, so a polygon spanning 1e8 pixels needs gigabytes. With
    ``w == 0`` the column bound wraps around and the result is an invalid RLE;
    counts are 32-bit, so images of 2**32 pixels or more come out wrong.
    Boxes are rasterized as 4-point polygons with pycocotools' x5 upsampling. For
    ``[x, y, bw, bh]`` let ``X(v) = trunc(5 v + 0.5)``: column c is covered when
    ``min(X(x), X(x+bw)) <= 5c + 2 < max(...)`` and, for ``Y`` = ``X(y)`` and
    ``X(y+bh)`` (a negative Y counted as Y + 1), the covered rows run from
    ``ceil(clip((Y + 0.5) / 5 - 0.5, 0, h))`` of one edge to that of the other. With
    ``w == 0`` the column bound wraps around and the result is an invalid RLE.

Differences here (each one a pycocotools defect or a missing feature)
-----------------------------------------------------------------------
- Every RLE read is validated: counts that do not sum to h*w, or a malformed
  string, raise ValueError (pycocotools decodes garbage, loops or crashes).
- ``encode`` accepts any memory layout (C, Fortran, strided, negative strides,
  read-only), any bool/integer/float dtype and treats every nonzero value as
  foreground, so ``[[1, 2]]`` is one run of two pixels. A mask that is not 2D or
  3D raises ValueError (pycocotools returns None).
- ``decode([])`` and ``decode`` of RLEs of different sizes raise ValueError.
  decode, area, toBbox, iou and merge also accept uncompressed (int-list)
  counts, maskcore ``RLE`` objects, tuples and ``RLEBatch``.
- ``area`` and ``toBbox`` give the right answer past 2**32 pixels (``area`` then
  returns uint64 instead of uint32) and ``area`` works for 256+ RLEs.
- ``merge`` of RLEs of different sizes raises ValueError.
- RLEs with empty interior runs give the same toBbox, iou and merge as the
  canonical RLE of the same mask (pycocotools: wrong boxes / IoUs, heap corruption).
- ``iou`` of RLEs of different sizes raises ValueError (pycocotools: -1);
  ``iscrowd`` may be None (no crowd) and a wrong length raises ValueError
  (pycocotools: AssertionError); a 1D box or a flat 4-number list is one box; a
  single dict is one RLE; bad input types raise TypeError (pycocotools: a bare
  Exception, of which TypeError is a subclass).
- ``frPyObjects``: boxes may be any real ndarray (or list, or single 4-list)
  and are read by value, whatever their layout; boxes must be finite
  (ValueError); ``w == 0`` gives a valid empty RLE; compressed dicts are passed
  through (validated); ``[]`` gives ``[]``; h and w must be non-negative
  integers (ValueError; a non-integral float such as 3.5 raises TypeError where
  pycocotools truncates it) and are only used for boxes and polygons.
- ``frPyObjects`` polygons give pycocotools' bytes for every input it handles
  (checked on random polygons and every polygon of the shared COCO / LVIS files),
  and also: an odd number of coordinates, or a NaN, infinite or out-of-range
  (beyond +-2e8) coordinate, raises ValueError naming the polygon and the point;
  one flat list of numbers (other than 4) is one polygon and gives one dict; a
  list whose first polygon has fewer than 3 points (0, 1 or 2; 2 only when some
  element is not 4 numbers long, else the list is boxes) gives a dict per polygon
  (pycocotools raises); ``(N, 2)`` arrays or nested ``[[x, y], ...]`` lists are
  polygons too; ``w == 0`` gives a valid empty RLE; images of 2**32 pixels or more
  get 64-bit counts (the right mask).
"""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Iterable, cast, overload

import numpy as np

from . import _core, _validate
from .rle import RLE, RLEBatch, _batch_from_dicts
from .rle import area as _area
from .rle import bbox as _bbox
from .rle import decode as _decode
from .rle import _encode as _encode_bytes
from .rle import _iou
from .rle import merge as _merge

if TYPE_CHECKING:
    from ._typing import ArrayLike, NDArray

__all__ = ["encode", "decode", "area", "toBbox", "iou", "merge", "frPyObjects"]

# ---- conversions ----------------------------------------------------------------------

def _dict(r: RLE) -> dict[str, Any]:
    return {"size": [r.height, r.width], "counts": r.to_string()}


def _dicts(batch: RLEBatch) -> list[dict[str, Any]]:
    return [{"size": d["size"], "counts": d["counts"].encode("ascii")} for d in batch.to_coco()]


def _one(obj: object, name: str) -> RLE:
    if isinstance(obj, RLE):
        return obj
    if isinstance(obj, dict):
        return RLE.from_coco(obj)
    raise TypeError(f"{name}: expected an RLE dict {{'size': [h, w], 'counts': ...}}, got {type(obj).__name__}")


def _many(objs: Any, name: str) -> RLEBatch:
    if isinstance(objs, RLEBatch):
        return objs
    objs = objs if isinstance(objs, list) else list(objs)
    batch = _batch_from_dicts(objs, _validate.CORES)  # the common case: compressed dicts
    if batch is not None:
        return batch
    for i, o in enumerate(objs):
        if not isinstance(o, (dict, RLE)):
            raise TypeError(f"{name}[{i}]: expected an RLE dict, got {type(o).__name__}")
    if all(isinstance(o, dict) for o in objs):
        return RLEBatch.from_coco(objs)
    return RLEBatch([_one(o, f"{name}[{i}]") for i, o in enumerate(objs)])


def _is_many(x: object) -> bool:
    return isinstance(x, (list, tuple, RLEBatch))


# ---- the pycocotools.mask API -------------------------------------------------------------

def encode(bimask: ArrayLike) -> dict[str, Any] | list[dict[str, Any]]:
    """Encode a binary mask ``(h, w)`` or a stack ``(h, w, n)`` as COCO RLE.

    Returns ``{'size': [h, w], 'counts': bytes}`` for 2D input, a list of such
    dicts for 3D input. Any layout and any bool/number dtype is accepted; every
    nonzero value is foreground.
    """
    m = np.asarray(bimask)
    if m.ndim not in (2, 3):
        raise ValueError(f"bimask: expected a 2D (h, w) or 3D (h, w, n) array, got shape {m.shape}")
    if m.dtype.kind not in "biuf":
        raise TypeError(f"bimask: expected a bool or numeric array, got dtype {m.dtype}")
    if m.dtype.kind == "b" or m.dtype == np.uint8:  # the kernel takes nonzero bytes as foreground
        r = _encode_bytes(_validate.mask_array(m, "bimask", ndims=(2, 3)), False)
    else:
        r = _encode_bytes(np.not_equal(m, 0).view(np.uint8), False)
    return _dict(cast(RLE, r)) if m.ndim == 2 else _dicts(cast(RLEBatch, r))


def decode(rleObjs: dict[str, Any] | RLE | Iterable[dict[str, Any] | RLE] | RLEBatch) -> NDArray[np.uint8]:
    """Decode one RLE dict to ``(h, w)`` or a list to ``(h, w, n)``; uint8, Fortran order."""
    if _is_many(rleObjs):
        batch = _many(rleObjs, "rleObjs")
        if len(batch) == 0:
            raise ValueError("rleObjs: an empty list has no size to decode to")
        h, w = (int(v) for v in batch.sizes[0])
        return _decode(batch, out=np.empty((h, w, len(batch)), np.uint8, order="F"))
    r = _one(rleObjs, "rleObjs")
    return _decode(r, out=np.empty(r.shape, np.uint8, order="F"))


def _area_dtype(a: int | NDArray[np.int64]) -> type[np.uint32] | type[np.uint64]:
    return np.uint32 if (np.size(a) == 0 or int(np.max(a)) < 2**32) else np.uint64


@overload
def area(rleObjs: dict[str, Any] | RLE) -> np.uint32 | np.uint64: ...
@overload
def area(rleObjs: list[Any] | tuple[Any, ...] | RLEBatch) -> NDArray[Any]: ...
def area(rleObjs: Any) -> np.uint32 | np.uint64 | NDArray[Any]:
    """Foreground pixel counts: uint32 ``(n,)`` for a list, ``numpy.uint32`` for one dict
    (uint64 if an area reaches 2**32)."""
    fast = _core.coco_fast(0, rleObjs)  # plain dicts, one or a list (None: the general path)
    if fast is not None:
        return np.uint32(fast) if type(fast) is int else fast
    if _is_many(rleObjs):
        a = _area(_many(rleObjs, "rleObjs"))
        return a.astype(_area_dtype(a))
    a = _area(_one(rleObjs, "rleObjs"))
    return _area_dtype(a)(a)


def toBbox(rleObjs: Any) -> NDArray[np.float64]:
    """COCO boxes ``[x, y, w, h]``: float64 ``(n, 4)`` for a list, ``(4,)`` for one dict."""
    fast = _core.coco_fast(1, rleObjs)
    if fast is not None:
        return fast
    if _is_many(rleObjs):
        return _bbox(_many(rleObjs, "rleObjs")).astype(np.float64)
    return _bbox(_one(rleObjs, "rleObjs")).astype(np.float64)


def _iou_operand(objs: object, name: str) -> tuple[str, Any]:
    """('empty', None), ('box', float64 (n, 4)) or ('rle', RLEBatch)."""
    if isinstance(objs, (dict, RLE)):
        return "rle", _many([objs], name)
    if isinstance(objs, RLEBatch):
        return ("empty", None) if len(objs) == 0 else ("rle", objs)
    if isinstance(objs, np.ndarray):
        if objs.size == 0 and objs.ndim <= 2:
            return "empty", None
        return "box", _boxes_array(objs, name)
    if isinstance(objs, (list, tuple)):
        if len(objs) == 0:
            return "empty", None
        if type(objs[0]) is dict:
            batch = _batch_from_dicts(objs if isinstance(objs, list) else list(objs), _validate.CORES)
            if batch is not None:
                return "rle", batch
        if all(isinstance(o, (dict, RLE)) for o in objs):
            return "rle", _many(objs, name)
        if any(isinstance(o, (dict, RLE)) for o in objs):
            raise TypeError(f"{name}: a list must hold only RLE dicts or only boxes")
        return "box", _boxes_array(objs, name)
    raise TypeError(f"{name}: expected RLE dicts (a list), boxes (an (n, 4) array or a list "
                    f"of 4-lists), got {type(objs).__name__}")


def _boxes_array(objs: object, name: str) -> NDArray[np.float64]:
    try:
        b = np.array(objs, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected boxes [x, y, w, h] as numbers, got {_describe(objs)}") from None
    if b.ndim == 1 and b.shape[0] == 4:
        b = b.reshape(1, 4)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name}: boxes must have shape (n, 4), got {b.shape}")
    return b


_describe = _validate._describe  # (the one value formatter of the messages)


def _box_iou(dt: np.ndarray, gt: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """pycocotools' bbIou in numpy, operation for operation (same doubles, same NaN rules)."""
    D = dt[:, None, :]
    G = gt[None, :, :]
    with np.errstate(all="ignore"):
        da = D[..., 2] * D[..., 3]
        ga = G[..., 2] * G[..., 3]
        w = np.fmin(D[..., 2] + D[..., 0], G[..., 2] + G[..., 0]) - np.fmax(D[..., 0], G[..., 0])
        h = np.fmin(D[..., 3] + D[..., 1], G[..., 3] + G[..., 1]) - np.fmax(D[..., 1], G[..., 1])
        i = w * h
        u = np.where(crowd[None, :] != 0, da, (da + ga) - i)
        o = i / u
    o[(w <= 0) | (h <= 0)] = 0.0
    return np.asfortranarray(o)


def iou(dt: Any, gt: Any, pyiscrowd: ArrayLike | None = None) -> NDArray[np.float64] | list[Any]:
    """IoU matrix ``(len(dt), len(gt))`` (float64, Fortran order) between detections and
    ground truth, both RLE dicts or both boxes; ``[]`` if either is empty.

    ``pyiscrowd[j]`` nonzero marks ``gt[j]`` as a crowd region: the union is then the
    detection's area. None means no crowd.
    """
    kind_d, d = _iou_operand(dt, "dt")
    kind_g, g = _iou_operand(gt, "gt")
    n = 0 if kind_g == "empty" else len(g)
    if pyiscrowd is None:
        crowd = np.zeros(n, np.uint8)
    else:
        try:
            crowd = np.array(pyiscrowd, dtype=np.uint8)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"pyiscrowd: expected one 0/1 flag per gt, got {_describe(pyiscrowd)} ({exc})") from None
        if crowd.ndim != 1 or crowd.shape[0] != n:
            raise ValueError(f"pyiscrowd: expected {n} flags (one per gt), got shape {crowd.shape}")
    if kind_d == "empty" or kind_g == "empty":
        return []
    if kind_d != kind_g:
        raise TypeError(f"dt and gt must both be RLEs or both be boxes, got dt: {kind_d}, gt: {kind_g}")
    if kind_d == "box":
        return _box_iou(d, g, crowd)
    return np.asfortranarray(_iou(d, g, crowd))


def merge(rleObjs: Any, intersect: int | bool = 0) -> dict[str, Any]:
    """Union (or with ``intersect`` true, intersection) of a list of RLE dicts of one size."""
    if not _is_many(rleObjs):
        return _dict(_one(rleObjs, "rleObjs"))
    fast = _core.coco_fast(3 if intersect else 2, rleObjs)
    if fast is not None:
        return fast
    batch = _many(rleObjs, "rleObjs")
    if len(batch) == 0:
        return {"size": [0, 0], "counts": b""}  # pycocotools' value for an empty list
    if len(batch) == 1:
        return _dict(batch[0])
    return _dict(_merge(batch, intersect=bool(intersect)))


# ---- frPyObjects ----------------------------------------------------------------------------

def _dim(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"frPyObjects: {name} must be an int, got {value!r}")
    if isinstance(value, numbers.Integral):
        v = int(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        v = int(cast(float, value))
    else:
        raise TypeError(f"frPyObjects: {name} must be an int, got {_describe(value)}")
    if v < 0:
        raise ValueError(f"frPyObjects: {name} must be >= 0, got {v}")
    return v


def _box_rle(box: Iterable[float], h: int, w: int) -> RLE:
    """The rectangle pycocotools' rleFrBbox paints for one box (see the module notes)."""
    x, y, bw, bh = (float(v) for v in box)
    xe, ye = x + bw, y + bh
    # X(v) = trunc(5 v + 0.5), the polygon's upsampled vertex; clipped first so huge
    # values stay exact ints (columns and rows outside the image do not matter).
    xlim, ylim = 5.0 * w + 10.0, 5.0 * h + 10.0
    X0, X1 = (math.trunc(min(max(5.0 * v + 0.5, -10.0), xlim)) for v in (x, xe))
    Y0, Y1 = (math.trunc(min(max(5.0 * v + 0.5, -10.0), ylim)) for v in (y, ye))
    if X0 > X1:
        X0, X1 = X1, X0
    c0 = max(0, -((2 - X0) // 5))  # first c with 5c + 2 >= X0
    c1 = min(w, -((2 - X1) // 5))  # one past the last c with 5c + 2 < X1

    def row(Y: int) -> int:
        v = Y if Y >= 0 else Y + 1  # C's (int)(Y + .5) truncates towards zero
        yd = (float(v) + 0.5) / 5.0 - 0.5
        return math.ceil(min(max(yd, 0.0), float(h)))

    r0, r1 = sorted((row(Y0), row(Y1)))
    n, hh = c1 - c0, r1 - r0
    if n <= 0 or hh <= 0:
        counts = [h * w]
    elif hh == h:
        counts = [c0 * h, n * h] + ([(w - c1) * h] if c1 < w else [])
    else:
        counts = np.empty(2 * n, dtype=np.uint64)
        counts[0::2] = h - hh
        counts[1::2] = hh
        counts[0] = c0 * h + r0
        tail = (h - r1) + (w - c1) * h
        counts = np.append(counts, np.uint64(tail)) if tail > 0 else counts
    return RLE(counts, h, w)


def _boxes_to_rles(boxes: np.ndarray, h: int, w: int) -> list[dict[str, Any]]:
    if not np.isfinite(boxes).all():
        i = int(np.flatnonzero(~np.isfinite(boxes).all(axis=1))[0])
        raise ValueError(f"frPyObjects: boxes must be finite, got box {i} = {boxes[i].tolist()}")
    return [_dict(_box_rle(b, h, w)) for b in boxes]


def _rle_dict(obj: dict[str, Any], name: str) -> dict[str, Any]:
    if "counts" not in obj or "size" not in obj:
        raise ValueError(f"frPyObjects: {name} needs 'size' and 'counts', got keys {sorted(map(str, obj))}")
    return _dict(RLE.from_coco(obj))


def _is_seq(x: object) -> bool:
    return isinstance(x, (list, tuple, np.ndarray))


def _is_box(x: Any) -> bool:
    """A flat 4-number sequence (an (N, 2) array or a list of pairs is a polygon)."""
    if isinstance(x, np.ndarray):
        return x.ndim == 1 and x.shape[0] == 4
    return _is_seq(x) and len(x) == 4 and not _is_seq(x[0])


def _polygon_dicts(polys: Any, h: Any, w: Any, nested: bool) -> list[dict[str, Any]]:
    """pycocotools' frPoly: one RLE dict per polygon (csrc/raster/coco_poly.hpp)."""
    if type(h) is not int or type(w) is not int or h < 0 or w < 0:
        h, w = _dim(h, "h"), _dim(w, "w")
    # Lists of float / int lists (COCO JSON) are parsed, rasterized and encoded in one native
    # call; the rest, and anything wrong, go through _validate.
    # (A single flat polygon takes the validating path, whose messages name it without an index.)
    try:
        if nested and (dicts := _core.coco_poly_dicts(polys, h, w)) is not None:
            return dicts
        flat, offsets = _validate.coco_polygons(polys, "pyobj", nested)
        strings = _core.coco_poly_strings(flat, offsets, h, w)
    except _validate.KernelError as exc:
        raise _validate.polygon_error(exc, "pyobj", nested, h, w) from None
    return [{"size": [h, w], "counts": c} for c in strings]


def frPyObjects(pyobj: Any, h: int, w: int) -> dict[str, Any] | list[dict[str, Any]]:
    """Convert polygons, boxes or RLE dicts to compressed COCO RLE dicts.

    Parameters
    ----------
    pyobj
        Polygons: a list of polygons, each a flat list ``[x0, y0, x1, y1, ...]``
        (or tuple, 1-D array, ``(N, 2)`` array) gives a list of dicts, one per
        polygon (merge them for one object: ``merge(frPyObjects(segm, h, w))``);
        one flat list of more than 4 numbers gives one dict. Boxes ``[x, y, w, h]``:
        an ``(n, 4)`` array or a list of 4-lists (a list of dicts comes back) or one
        4-list / ``(4,)`` array (one dict); a list whose elements all have 4 numbers
        is boxes, as in pycocotools. Or uncompressed / compressed RLE dicts, a list or
        one dict (their own ``size`` is used).
    h, w : int
        Image size for polygons and boxes.

    Returns
    -------
    dict or list of dict
        ``{'size': [h, w], 'counts': bytes}``, the bytes of pycocotools' for the
        same input.

    Raises
    ------
    ValueError
        A polygon with an odd number of coordinates, or a coordinate that is NaN,
        infinite or beyond +-2e8; a negative h or w.
    TypeError
        Unsupported input (e.g. a polygon holding something other than numbers).

    Notes
    -----
    Polygons are rasterized by pycocotools' rule (the x5 upsampled boundary walk of
    ``rleFrPoly``; see ``csrc/raster/coco_poly.hpp``) straight to run lengths, in
    time proportional to the columns crossed, not to the mask or the polygon's
    extent outside the image.
    """
    if isinstance(pyobj, dict):
        return _rle_dict(pyobj, "pyobj")
    if isinstance(pyobj, RLE):
        return _dict(pyobj)
    if isinstance(pyobj, np.ndarray):
        boxes = _boxes_array(pyobj, "pyobj") if pyobj.size or pyobj.ndim != 2 else np.zeros((0, 4))
        out = _boxes_to_rles(boxes, _dim(h, "h"), _dim(w, "w"))
        return out[0] if pyobj.ndim == 1 else out
    if not isinstance(pyobj, list):
        raise TypeError(f"frPyObjects: expected an (n, 4) array, a list of boxes or RLE dicts, "
                        f"or one RLE dict, got {type(pyobj).__name__}")
    if len(pyobj) == 0:
        return []
    first = pyobj[0]
    if isinstance(first, (dict, RLE)):
        return [_rle_dict(o, f"pyobj[{i}]") if isinstance(o, dict) else _dict(_one(o, f"pyobj[{i}]"))
                for i, o in enumerate(pyobj)]
    if _is_seq(first):
        if _is_box(first) and all(_is_box(o) for o in pyobj):
            return _boxes_to_rles(_boxes_array(pyobj, "pyobj"), _dim(h, "h"), _dim(w, "w"))
        return _polygon_dicts(pyobj, h, w, nested=True)
    if isinstance(first, numbers.Real):
        if len(pyobj) == 4:
            return _boxes_to_rles(_boxes_array([pyobj], "pyobj"), _dim(h, "h"), _dim(w, "w"))[0]
        return _polygon_dicts([pyobj], h, w, nested=False)[0]
    raise TypeError(f"frPyObjects: unsupported element type {type(first).__name__} in pyobj")
