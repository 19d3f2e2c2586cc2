"""COCO RLE cases: encode, decode, batch encode, area, bbox, IoU, merge, the string codec and the
real COCO evaluation data, against pycocotools, plain numpy and memory-bandwidth references.

COCO RLE in one paragraph (see ``pycocotools/mask.py``): the mask is flattened in column-major
(Fortran) order and stored as alternating run lengths starting with a (possibly empty) run of
zeros; the "compressed" string form stores each count (minus the count two places back, from the
fourth on) as 5-bit little-endian groups with a continuation bit, offset into printable ASCII.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import Any, Iterator, Optional

import numpy as np

from . import (Case, NoData, NotInstalled, SEED, Unavailable, data_dir, _maskcore, _maskcore_coco,
               _pycoco, _pycoco_codec, _pycoco_private)
from . import have as _have, rng as _rng, scalar as _scalar


# --------------------------------------------------------------------------------------------
# Plain-numpy (and pure-Python) COCO RLE: the naive baselines and the oracles for ``check``


def np_encode(mask: np.ndarray) -> np.ndarray:
    """(H, W) 0/1 array in any layout -> COCO counts (column-major runs, zeros first)."""
    flat = mask.ravel(order="F")
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    counts = np.diff(np.concatenate(([0], change, [flat.size])))
    if flat.size and flat[0]:
        counts = np.concatenate(([0], counts))
    return counts.astype(np.uint32)


def np_decode_flat(counts: np.ndarray, dtype=np.uint8) -> np.ndarray:
    """COCO counts -> the column-major flattened mask."""
    values = (np.arange(len(counts)) & 1).astype(dtype)
    return np.repeat(values, counts)


def np_decode(counts: np.ndarray, h: int, w: int, order: str = "F") -> np.ndarray:
    m = np_decode_flat(counts).reshape(w, h).T  # an F-ordered view
    return m if order == "F" else np.ascontiguousarray(m)


def np_area(counts: np.ndarray) -> int:
    return int(counts[1::2].sum(dtype=np.int64))


def np_bbox(counts: np.ndarray, h: int) -> np.ndarray:
    """COCO [x, y, w, h]; like pycocotools, a run that crosses a column spans all rows."""
    ends = np.cumsum(counts, dtype=np.int64)
    first = (ends - counts)[1::2]
    last = ends[1::2] - 1
    keep = counts[1::2] > 0
    first, last = first[keep], last[keep]
    if first.size == 0:
        return np.zeros(4, np.int64)
    xs, ys = np.divmod(first, h)
    xe, ye = np.divmod(last, h)
    x0, x1 = xs.min(), xe.max()
    if (xs != xe).any():
        y0, y1 = 0, h - 1
    else:
        y0, y1 = ys.min(), ye.max()
    return np.array([x0, y0, x1 - x0 + 1, y1 - y0 + 1], np.int64)


def np_iou(dt: list, gt: list) -> np.ndarray:
    """IoU matrix from decoded masks: bit-pack each flattened mask, then AND + popcount per pair
    (a float32 matrix product is shorter but needs 1.2 MB per 640x480 mask)."""
    def packed(counts_list):
        return np.stack([np.packbits(np_decode_flat(c)) for c in counts_list])

    d, g = packed(dt), packed(gt)
    area_d = np.array([np_area(c) for c in dt], np.float64)
    area_g = np.array([np_area(c) for c in gt], np.float64)
    inter = np.stack([_popcount_rows(np.bitwise_and(row, g)) for row in d]).astype(np.float64)
    union = area_d[:, None] + area_g[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _popcount_rows(bits: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(bits).sum(axis=1, dtype=np.int64)
    return np.unpackbits(bits, axis=1).sum(axis=1, dtype=np.int64)


def np_merge(counts_list: list) -> np.ndarray:
    flat = np.logical_or.reduce([np_decode_flat(c).view(bool) for c in counts_list])
    return np_encode(flat.view(np.uint8)[:, None])  # (n, 1): F-ravel of a column is itself


def py_to_string(counts) -> bytes:
    """COCO's compressed string, as in pycocotools' rleToString (pure Python, one count at a time:
    the codec is inherently sequential, so numpy has nothing to vectorize)."""
    out = bytearray()
    cnts = [int(c) for c in counts]
    for i, x in enumerate(cnts):
        if i > 2:
            x -= cnts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5  # arithmetic shift, as in C for the negative deltas
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(c + 48)
    return bytes(out)


def py_from_string(s) -> np.ndarray:
    """Inverse of :func:`py_to_string` (pycocotools' rleFrString)."""
    if isinstance(s, str):
        s = s.encode("ascii")
    cnts: list = []
    p, n = 0, len(s)
    while p < n:
        x = k = 0
        more = True
        while more:
            c = s[p] - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(cnts) > 2:
            x += cnts[-2]
        cnts.append(x)
    return np.asarray(cnts, np.uint64)


# --------------------------------------------------------------------------------------------
# Deterministic inputs (cached)


def _fill_ellipse(mask, cy, cx, a, b, theta):
    h, w = mask.shape
    r = max(a, b)
    y0, y1 = max(0, int(cy - r)), min(h, int(math.ceil(cy + r)) + 1)
    x0, x1 = max(0, int(cx - r)), min(w, int(math.ceil(cx + r)) + 1)
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.ogrid[y0:y1, x0:x1]
    dy, dx = yy - cy, xx - cx
    c, s = math.cos(theta), math.sin(theta)
    u = (dx * c + dy * s) / a
    v = (dy * c - dx * s) / b
    mask[y0:y1, x0:x1] |= (u * u + v * v <= 1.0).view(np.uint8)


@functools.lru_cache(maxsize=None)
def blob_mask(h: int, w: int) -> np.ndarray:
    """Rotated filled ellipses added until >= 30 % of the pixels are set (a few dozen shapes)."""
    rng = _rng("blob", h, w)
    m = np.zeros((h, w), np.uint8)
    base = math.sqrt(0.009 * h * w / math.pi)
    while np.count_nonzero(m) < 0.30 * h * w:
        a = base * rng.uniform(0.5, 1.6)
        b = a * rng.uniform(0.35, 1.0)
        _fill_ellipse(m, rng.uniform(0, h), rng.uniform(0, w), a, b, rng.uniform(0, math.pi))
    m.flags.writeable = False
    return m


@functools.lru_cache(maxsize=None)
def noise_mask(h: int, w: int) -> np.ndarray:
    """Bernoulli(0.5) pixels: mean run length 2, the worst case for RLE and branch prediction."""
    m = (_rng("noise", h, w).random((h, w)) < 0.5).view(np.uint8)
    m.flags.writeable = False
    return m


@functools.lru_cache(maxsize=None)
def frame(pattern: str, h: int, w: int, order: str) -> np.ndarray:
    m = blob_mask(h, w) if pattern == "blob" else noise_mask(h, w)
    m = np.ascontiguousarray(m) if order == "C" else np.asfortranarray(m)
    m.flags.writeable = False
    return m


@functools.lru_cache(maxsize=None)
def frame_counts(pattern: str, h: int, w: int) -> np.ndarray:
    return np_encode(frame(pattern, h, w, "F"))


@functools.lru_cache(maxsize=None)
def object_masks(tag: str, n: int, h: int, w: int) -> np.ndarray:
    """``n`` instance masks, (n, h, w) C-order: each 1-3 overlapping rotated ellipses around a
    centre, sizes log-uniform from small to large objects like COCO's. ``tag="dt"`` masks are
    jittered copies of ``tag="gt"`` ones (shifted, rescaled) plus a few strays, so the IoU matrix
    has realistic overlaps."""
    rng = _rng("objects", n, h, w)  # shared by dt and gt: same objects
    jitter = _rng("jitter", tag, n, h, w)
    out = np.zeros((n, h, w), np.uint8)
    for i in range(n):
        cy, cx = rng.uniform(0.1 * h, 0.9 * h), rng.uniform(0.1 * w, 0.9 * w)
        size = math.exp(rng.uniform(math.log(8), math.log(0.3 * min(h, w))))
        parts = [
            (rng.normal(0, 0.4 * size), rng.normal(0, 0.4 * size), size * rng.uniform(0.5, 1.0),
             rng.uniform(0.3, 1.0), rng.uniform(0, math.pi))
            for _ in range(int(rng.integers(1, 4)))
        ]
        if tag == "dt":
            if jitter.random() < 0.15:  # a stray detection somewhere else
                cy, cx = jitter.uniform(0.1 * h, 0.9 * h), jitter.uniform(0.1 * w, 0.9 * w)
            cy += jitter.normal(0, 0.15 * size)
            cx += jitter.normal(0, 0.15 * size)
            scale = jitter.uniform(0.8, 1.2)
        else:
            scale = 1.0
        for oy, ox, a, ratio, theta in parts:
            a *= scale
            _fill_ellipse(out[i], cy + oy, cx + ox, max(a, 1.5), max(a * ratio, 1.5), theta)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=None)
def object_counts(tag: str, n: int, h: int, w: int) -> tuple:
    masks = object_masks(tag, n, h, w)
    return tuple(np_encode(m) for m in masks)


def _ellipse_counts(h, w, cy, cx, a, b, theta) -> np.ndarray:
    """COCO counts of a filled rotated ellipse computed column by column in run space (no raster):
    each column of a convex shape is one interval, the roots of a quadratic in y."""
    c, s = math.cos(theta), math.sin(theta)
    A = s * s / (a * a) + c * c / (b * b)
    r = max(a, b)
    x = np.arange(max(0, int(cx - r)), min(w, int(math.ceil(cx + r)) + 1))
    dx = x - cx
    B = 2 * dx * c * s * (1 / (a * a) - 1 / (b * b))
    C = dx * dx * (c * c / (a * a) + s * s / (b * b)) - 1
    disc = B * B - 4 * A * C
    ok = disc >= 0
    x, B, root = x[ok], B[ok], np.sqrt(disc[ok])
    ylo = np.clip(np.ceil(cy + (-B - root) / (2 * A)), 0, h).astype(np.int64)
    yhi = np.clip(np.floor(cy + (-B + root) / (2 * A)) + 1, 0, h).astype(np.int64)
    ok = yhi > ylo
    starts, ends = x[ok] * h + ylo[ok], x[ok] * h + yhi[ok]
    if starts.size == 0:
        return np.array([h * w], np.uint32)
    joined = starts[1:] == ends[:-1]  # a column ending at row h-1 followed by one starting at 0
    starts = starts[np.concatenate(([True], ~joined))]
    ends = ends[np.concatenate((~joined, [True]))]
    counts = np.empty(2 * starts.size + 1, np.int64)
    counts[0:-1:2] = starts - np.concatenate(([0], ends[:-1]))
    counts[1::2] = ends - starts
    counts[-1] = h * w - ends[-1]
    return counts.astype(np.uint32)


@functools.lru_cache(maxsize=None)
def many_counts(n: int, h: int, w: int) -> tuple:
    """``n`` single-object RLEs (rotated ellipses of COCO-like, log-uniform sizes) at (h, w)."""
    rng = _rng("many", n, h, w)
    out = []
    for _ in range(n):
        size = math.exp(rng.uniform(math.log(4), math.log(0.45 * min(h, w))))
        out.append(_ellipse_counts(h, w, rng.uniform(0, h), rng.uniform(0, w), size,
                                   max(size * rng.uniform(0.3, 1.0), 1.0), rng.uniform(0, math.pi)))
    return tuple(out)


def _to_coco_dicts(counts_list, h, w) -> list:
    """Compressed COCO dicts built by pycocotools when present (so the strings are the reference
    format), else by maskcore, else by the pure-Python codec."""
    if _have(_pycoco):
        return _pycoco().frPyObjects([{"size": [h, w], "counts": c.tolist()} for c in counts_list], h, w)
    if _have(_maskcore):
        mc = _maskcore()
        return [mc.RLE(c, h, w).to_coco() for c in counts_list]
    return [{"size": [h, w], "counts": py_to_string(c).decode("ascii")} for c in counts_list]


@functools.lru_cache(maxsize=None)
def coco_dicts(key: tuple) -> list:
    kind, args = key[0], key[1:]
    if kind == "frame":
        pattern, h, w = args
        return _to_coco_dicts([frame_counts(pattern, h, w)], h, w)
    if kind == "objects":
        tag, n, h, w = args
        return _to_coco_dicts(object_counts(tag, n, h, w), h, w)
    if kind == "many":
        n, h, w = args
        return _to_coco_dicts(many_counts(n, h, w), h, w)
    raise KeyError(key)


def _counts_of(key: tuple) -> tuple:
    kind, args = key[0], key[1:]
    if kind == "frame":
        return (frame_counts(*args),)
    if kind == "objects":
        return object_counts(*args)
    return many_counts(*args)


@functools.lru_cache(maxsize=None)
def mc_rles(key: tuple, shape: tuple) -> list:
    mc = _maskcore()
    return [mc.RLE(c, *shape) for c in _counts_of(key)]


@functools.lru_cache(maxsize=None)
def mc_batch(key: tuple, shape: tuple):
    return _maskcore().RLEBatch.from_list(mc_rles(key, shape))


# --------------------------------------------------------------------------------------------
# Normalising results for ``check``


def _counts_from(x) -> np.ndarray:
    if isinstance(x, dict):
        c = x["counts"]
        if isinstance(c, (str, bytes)):
            return py_from_string(c) if len(c) < 200_000 or not _have(_pycoco) else np_encode(
                _pycoco().decode(x))
        return np.asarray(c)
    if hasattr(x, "counts"):
        return np.asarray(x.counts)
    return np.asarray(x)


def _same_counts(got, want, what="counts"):
    got = _counts_from(got)
    assert got.shape == want.shape and np.array_equal(got.astype(np.uint64), want.astype(np.uint64)), (
        f"{what}: got {got.size} runs {got[:8]}..., want {want.size} runs {want[:8]}...")


def _check_counts(want_fn):
    def check(result):
        _same_counts(result, want_fn())
    return check


def _check_counts_list(want_fn):
    def check(result):
        want = want_fn()
        got = list(result)
        assert len(got) == len(want), f"got {len(got)} RLEs, want {len(want)}"
        for i, (g, w_) in enumerate(zip(got, want)):
            _same_counts(g, w_, what=f"RLE {i}")
    return check


def _check_array(want_fn, order=None, exact=True):
    def check(result):
        want = want_fn()
        got = np.asarray(result)
        assert got.shape == want.shape, f"shape {got.shape}, want {want.shape}"
        if exact:
            bad = np.flatnonzero((got != want).ravel())
        else:
            bad = np.flatnonzero((np.abs(got - want) > 1e-12).ravel())
        assert bad.size == 0, (f"{bad.size} of {got.size} values differ; first at index "
                               f"{np.unravel_index(bad[0], got.shape)}: got {got.ravel()[bad[0]]}, "
                               f"want {want.ravel()[bad[0]]}")
        if order == "C":
            assert got.flags.c_contiguous, "result is not C-contiguous"
        if order == "F":
            assert got.flags.f_contiguous, "result is not F-contiguous"
    return check


def _check_string(want_fn):
    def check(result):
        if isinstance(result, list):  # pycocotools' _toString returns a list of dicts
            result = result[0]["counts"]
        if isinstance(result, str):
            result = result.encode("ascii")
        want = want_fn()
        assert bytes(result) == want, f"got {bytes(result)[:24]!r}..., want {want[:24]!r}..."
    return check


# --------------------------------------------------------------------------------------------
# The groups


@dataclass(frozen=True)
class Sizes:
    frames: tuple  # (h, w) for encode / decode
    batch: tuple  # (n, h, w) for batch encode
    many: tuple  # (n, h, w) for area / bbox / batch codec
    iou: tuple  # (n, h, w): n x n IoU matrix
    merge: tuple  # (n, h, w)
    codec: tuple  # (h, w) of the blob used for the single-RLE string codec


FULL = Sizes(frames=((1080, 1920), (4000, 4000)), batch=(100, 480, 640), many=(10_000, 480, 640),
             iou=(100, 480, 640), merge=(10, 480, 640), codec=(4000, 4000))
QUICK = Sizes(frames=((480, 640), (1080, 1920)), batch=(20, 480, 640), many=(1_000, 480, 640),
              iou=(30, 480, 640), merge=(10, 480, 640), codec=(1080, 1920))


def _res(h, w):
    return f"{w}x{h}"


def _encode_cases(pattern, h, w, order) -> Iterator[Case]:
    g = f"encode {pattern} {_res(h, w)} {order}-order"
    src = functools.partial(frame, pattern, h, w, order)
    want = functools.partial(frame_counts, pattern, h, w)

    def mc():
        encode, m = _maskcore().encode, src()
        return lambda: encode(m)

    def pc():
        encode, m = _pycoco().encode, src()
        if order == "F":
            return lambda: encode(m)
        return lambda: encode(np.asfortranarray(m))  # what a user with a C-order mask must do

    def npy():
        m = src()
        return lambda: np_encode(m)

    def ref():
        m = src()
        return lambda: np.count_nonzero(m)

    yield Case(g, "maskcore", mc, _check_counts(want))
    yield Case(g, "maskcore [scalar]", lambda: _scalar(mc()), _check_counts(want))
    yield Case(g, "pycocotools" if order == "F" else "pycocotools (incl. np.asfortranarray)", pc,
               _check_counts(want), kind="pycocotools")
    yield Case(g, "numpy", npy, _check_counts(want), kind="numpy")
    yield Case(g, "ref: np.count_nonzero (read bandwidth)", ref, kind="ref")


def _decode_cases(pattern, h, w, order) -> Iterator[Case]:
    g = f"decode {pattern} {_res(h, w)} {order}-order"
    want = functools.partial(frame, pattern, h, w, "F")
    counts = functools.partial(frame_counts, pattern, h, w)
    check = _check_array(want, order=order)

    def mc():
        rle = mc_rles(("frame", pattern, h, w), (h, w))[0]
        decode = _maskcore().decode
        if order == "C":
            return lambda: decode(rle)
        out = np.empty((h, w), np.uint8, order="F")
        return lambda: decode(rle, out=out)

    def pc():
        d = coco_dicts(("frame", pattern, h, w))[0]
        decode = _pycoco().decode  # returns Fortran order
        if order == "F":
            return lambda: decode(d)
        return lambda: np.ascontiguousarray(decode(d))

    def npy():
        c = counts()
        return lambda: np_decode(c, h, w, order)

    def ref():
        if order == "F":
            c = counts()
            values = (np.arange(len(c)) & 1).astype(np.uint8)
            return lambda: np.repeat(values, c)
        m, dst = frame(pattern, h, w, "C"), np.empty((h, w), np.uint8)
        return lambda: np.copyto(dst, m)

    yield Case(g, "maskcore" + (" (out= F array)" if order == "F" else ""), mc, check)
    yield Case(g, "maskcore [scalar]", lambda: _scalar(mc()), check)
    yield Case(g, "pycocotools" if order == "F" else "pycocotools (incl. np.ascontiguousarray)", pc,
               check, kind="pycocotools")
    yield Case(g, "numpy (np.repeat)", npy, check, kind="numpy")
    if order == "F":
        yield Case(g, "ref: np.repeat(values, counts) (write bandwidth)", ref, kind="ref")
    else:
        yield Case(g, "ref: np.copyto(dst, mask) (copy bandwidth)", ref, kind="ref")


def _batch_encode_cases(n, h, w, layout) -> Iterator[Case]:
    g = f"encode batch {n}x {_res(h, w)} " + ("(H,W,N) F-order" if layout == "F" else
                                              "(N,H,W) C-order .transpose(1,2,0)")

    def src():
        stack = object_masks("gt", n, h, w)  # (N, H, W) C-order
        return np.asfortranarray(stack.transpose(1, 2, 0)) if layout == "F" else stack.transpose(1, 2, 0)

    want = functools.partial(object_counts, "gt", n, h, w)
    check = _check_counts_list(want)

    def mc(threads):
        def setup():
            encode, m = _maskcore().encode, src()
            return lambda: encode(m, threads=threads)
        return setup

    def mcoco():
        encode, m = _maskcore_coco().encode, src()
        return lambda: encode(m)

    def pc():
        encode, m = _pycoco().encode, src()
        if layout == "F":
            return lambda: encode(m)
        return lambda: encode(np.asfortranarray(m))

    def npy():
        m = src()
        return lambda: [np_encode(m[:, :, i]) for i in range(m.shape[2])]

    def ref():
        m = src()
        return lambda: np.count_nonzero(m)

    yield Case(g, "maskcore threads=1", mc(1), check)
    yield Case(g, "maskcore threads=2", mc(2), check)
    yield Case(g, "maskcore [scalar] threads=1", lambda: _scalar(mc(1)()), check)
    if layout == "F":
        yield Case(g, "maskcore.coco", mcoco, check, kind="maskcore.coco")
    yield Case(g, "pycocotools" if layout == "F" else "pycocotools (incl. np.asfortranarray)", pc,
               check, kind="pycocotools")
    yield Case(g, "numpy (loop over masks)", npy, check, kind="numpy")
    yield Case(g, "ref: np.count_nonzero (read bandwidth)", ref, kind="ref")


@functools.lru_cache(maxsize=None)
def pycoco_area_chunk() -> Optional[int]:
    """pycocotools 2.0.11 ``area()`` of >= 256 RLEs raises OverflowError under numpy 2 (it sizes a
    uint8-typed count); return the chunk size that works around it, or None if it does not."""
    pm = _pycoco()
    probe = pm.encode(np.zeros((1, 1, 256), np.uint8, order="F"))
    try:
        pm.area(probe)
    except OverflowError:
        return 255
    return None


def _many_cases(op, n, h, w) -> Iterator[Case]:
    g = f"{op} {n} RLEs {_res(h, w)}"
    key = ("many", n, h, w)
    counts = functools.partial(many_counts, n, h, w)

    @functools.lru_cache(maxsize=None)
    def want():
        if op == "area":
            return np.array([np_area(c) for c in counts()], np.int64)
        return np.stack([np_bbox(c, h) for c in counts()])

    check = _check_array(want)

    def mc(threads=None):
        def setup():
            fn, batch = getattr(_maskcore(), op), mc_batch(key, (h, w))
            if threads is None:
                return lambda: fn(batch)
            return lambda: fn(batch, threads=threads)
        return setup

    def mcoco():
        fn = getattr(_maskcore_coco(), "area" if op == "area" else "toBbox")
        dicts = coco_dicts(key)
        return lambda: fn(dicts)

    chunk = None
    if op == "area" and _have(_pycoco):
        chunk = pycoco_area_chunk()

    def pc():
        pm = _pycoco()
        dicts = coco_dicts(key)
        if op == "bbox":
            return lambda: pm.toBbox(dicts)
        if chunk is None:
            return lambda: pm.area(dicts)
        return lambda: np.concatenate([pm.area(dicts[i:i + chunk]) for i in range(0, len(dicts), chunk)])

    def npy():
        cs = counts()
        if op == "area":
            return lambda: np.array([np_area(c) for c in cs], np.int64)
        return lambda: np.stack([np_bbox(c, h) for c in cs])

    def ref():
        flat = np.concatenate(counts())
        return lambda: flat.sum()

    pc_name = "pycocotools" if op == "area" else "pycocotools (toBbox)"
    if chunk is not None:
        pc_name += f" (chunks of {chunk}: numpy-2 OverflowError at >=256)"
    yield Case(g, "maskcore (RLEBatch)", mc(), check)
    yield Case(g, "maskcore (RLEBatch) threads=2", mc(2), check)
    yield Case(g, "maskcore [scalar] (RLEBatch)", lambda: _scalar(mc()()), check)
    yield Case(g, "maskcore.coco (list of dicts)", mcoco, check, kind="maskcore.coco")
    yield Case(g, pc_name, pc, check, kind="pycocotools")
    yield Case(g, "numpy (loop over RLEs)", npy, check, kind="numpy")
    yield Case(g, "ref: flat counts .sum() (read bandwidth)", ref, kind="ref")


def _iou_cases(n, h, w) -> Iterator[Case]:
    g = f"iou {n}x{n} {_res(h, w)}"
    dkey, gkey = ("objects", "dt", n, h, w), ("objects", "gt", n, h, w)

    @functools.lru_cache(maxsize=None)
    def want():
        return np_iou(object_counts("dt", n, h, w), object_counts("gt", n, h, w))

    check = _check_array(want, exact=False)

    def mc(threads):
        def setup():
            iou = _maskcore().iou
            a, b = mc_batch(dkey, (h, w)), mc_batch(gkey, (h, w))
            return lambda: iou(a, b, threads=threads)
        return setup

    def coco_like(mod):
        def setup():
            iou = mod().iou
            a, b = coco_dicts(dkey), coco_dicts(gkey)
            crowd = [0] * n
            return lambda: iou(a, b, crowd)
        return setup

    def npy():
        a, b = object_counts("dt", n, h, w), object_counts("gt", n, h, w)
        return lambda: np_iou(a, b)

    yield Case(g, "maskcore threads=1", mc(1), check)
    yield Case(g, "maskcore threads=2", mc(2), check)
    yield Case(g, "maskcore [scalar] threads=1", lambda: _scalar(mc(1)()), check)
    yield Case(g, "maskcore.coco", coco_like(_maskcore_coco), check, kind="maskcore.coco")
    yield Case(g, "pycocotools", coco_like(_pycoco), check, kind="pycocotools")
    yield Case(g, "numpy (decode + packbits, AND, popcount)", npy, check, kind="numpy")


def _merge_cases(n, h, w) -> Iterator[Case]:
    g = f"merge {n} masks {_res(h, w)}"
    key = ("objects", "gt", n, h, w)

    @functools.lru_cache(maxsize=None)
    def want():
        return np_merge(object_counts("gt", n, h, w))

    check = _check_counts(want)

    def mc():
        merge, rles = _maskcore().merge, mc_rles(key, (h, w))
        return lambda: merge(rles)

    def coco_like(mod):
        def setup():
            merge, dicts = mod().merge, coco_dicts(key)
            return lambda: merge(dicts)
        return setup

    def npy():
        cs = object_counts("gt", n, h, w)
        return lambda: np_merge(cs)

    yield Case(g, "maskcore", mc, check)
    yield Case(g, "maskcore [scalar]", lambda: _scalar(mc()), check)
    yield Case(g, "maskcore.coco", coco_like(_maskcore_coco), check, kind="maskcore.coco")
    yield Case(g, "pycocotools", coco_like(_pycoco), check, kind="pycocotools")
    yield Case(g, "numpy (decode + OR + encode)", npy, check, kind="numpy")


# The string codec. pycocotools' public functions never run the codec alone (area() = parse + sum,
# decode() = parse + raster, encode() = raster scan + format), so its rows call the two Cython
# helpers that pycocotools.mask itself uses, exactly the codec: ``_mask._toString(RLEs)`` formats
# already-parsed C RLEs into {"size", "counts": bytes} dicts and ``_mask._frString(dicts)`` parses
# strings into C RLEs. Both are private names; if a pycocotools release drops them the rows show
# "not installed".


def _codec_single_cases(h, w) -> Iterator[Case]:
    key = ("frame", "blob", h, w)
    counts = functools.partial(frame_counts, "blob", h, w)

    @functools.lru_cache(maxsize=None)
    def want_bytes():
        return py_to_string(counts())

    def coco_dict():
        # the input dict has str counts, as json.load gives them
        return {"size": [h, w], "counts": want_bytes().decode("ascii")}

    g = f"to_string blob {_res(h, w)} (1 RLE)"

    def mc_to():
        rle = mc_rles(key, (h, w))[0]
        return rle.to_string

    def pc_to():
        to_string, rles = _pycoco_codec("_toString"), _pycoco_codec("_frString")([coco_dict()])
        return lambda: to_string(rles)

    def py_to():
        c = counts()
        return lambda: py_to_string(c)

    yield Case(g, "maskcore RLE.to_string()", mc_to, _check_string(want_bytes))
    yield Case(g, "maskcore [scalar]", lambda: _scalar(mc_to()), _check_string(want_bytes))
    yield Case(g, "pycocotools (_mask._toString)", pc_to, _check_string(want_bytes), kind="pycocotools")
    yield Case(g, "pure Python", py_to, _check_string(want_bytes), kind="numpy")

    g = f"from_string blob {_res(h, w)} (1 RLE)"
    check = _check_counts(counts)

    def mc_from():
        from_coco, d = _maskcore().RLE.from_coco, coco_dict()
        return lambda: from_coco(d)

    def pc_from():
        fr, d = _pycoco_codec("_frString"), coco_dict()
        return lambda: fr([d])

    def py_from():
        s = coco_dict()["counts"]
        return lambda: py_from_string(s)

    yield Case(g, "maskcore RLE.from_coco(str counts)", mc_from, check)
    yield Case(g, "maskcore [scalar]", lambda: _scalar(mc_from()), check)
    yield Case(g, "pycocotools (_mask._frString)", pc_from, None, kind="pycocotools")
    yield Case(g, "pure Python", py_from, check, kind="numpy")


def _codec_batch_cases(n, h, w) -> Iterator[Case]:
    key = ("many", n, h, w)

    def dicts_str():
        # json.load gives str counts; pycocotools hands out bytes
        return [{"size": d["size"], "counts": d["counts"].decode("ascii") if isinstance(d["counts"], bytes)
                 else d["counts"]} for d in coco_dicts(key)]

    def want_strings():
        return [d["counts"] for d in dicts_str()]

    def check_dicts(result):
        want = want_strings()
        got = [d["counts"] for d in result]
        got = [s.decode("ascii") if isinstance(s, bytes) else s for s in got]
        assert len(got) == len(want) and got == want, "COCO strings differ from pycocotools'"

    def check_batch(result):
        want = many_counts(n, h, w)
        assert len(result) == len(want)
        assert np.array_equal(np.asarray(result.counts), np.concatenate(want))
        assert np.array_equal(np.asarray(result.offsets), np.concatenate(([0], np.cumsum([len(c) for c in want]))))

    g = f"to_coco {n} RLEs {_res(h, w)}"

    def mc_to():
        return mc_batch(key, (h, w)).to_coco

    def pc_to():
        to_string, rles = _pycoco_codec("_toString"), _pycoco_codec("_frString")(dicts_str())
        return lambda: to_string(rles)

    yield Case(g, "maskcore RLEBatch.to_coco()", mc_to, check_dicts)
    yield Case(g, "maskcore [scalar]", lambda: _scalar(mc_to()), check_dicts)
    yield Case(g, "pycocotools (_mask._toString)", pc_to, check_dicts, kind="pycocotools")

    g = f"from_coco {n} RLEs {_res(h, w)}"

    def mc_from():
        from_coco, ds = _maskcore().RLEBatch.from_coco, dicts_str()
        return lambda: from_coco(ds)

    def pc_from():
        fr, ds = _pycoco_codec("_frString"), dicts_str()
        return lambda: fr(ds)

    yield Case(g, "maskcore RLEBatch.from_coco()", mc_from, check_batch)
    yield Case(g, "maskcore [scalar]", lambda: _scalar(mc_from()), check_batch)
    yield Case(g, "pycocotools (_mask._frString)", pc_from, None, kind="pycocotools")


# Real data: the COCOeval inner loop, one iou(dt, gt, iscrowd) call per (image, category) over the
# fake segmentation results shipped with the COCO API. Many small calls: per-call overhead counts.

REAL_DIR = "coco_val2014_first100"


@functools.lru_cache(maxsize=None)
def real_eval_pairs() -> tuple:
    root = data_dir() / REAL_DIR
    dt_path, gt_path = root / "instances_val2014_fakesegm_results.json", root / "instances_val2014_gt.json"
    if not (dt_path.is_file() and gt_path.is_file()):
        raise NoData(f"real-data case needs {dt_path} and {gt_path} (../shared/data is absent here; "
                     f"set MASKCORE_BENCH_DATA to its location)")
    dts = json.loads(dt_path.read_text())
    gt = json.loads(gt_path.read_text())
    sizes = {im["id"]: (im["height"], im["width"]) for im in gt["images"]}
    # ground truth comes as polygons, uncompressed RLE (crowds) or compressed RLE: convert with the
    # pycocotools-compatible frPyObjects (pycocotools, else maskcore.coco), untimed
    conv = _pycoco() if _have(_pycoco) else _maskcore_coco()
    gts: dict = {}
    for a in gt["annotations"]:
        h, w = sizes[a["image_id"]]
        seg = a["segmentation"]
        if isinstance(seg, list):
            rle = conv.merge(conv.frPyObjects(seg, h, w))
        elif isinstance(seg["counts"], list):
            rle = conv.frPyObjects(seg, h, w)
        else:
            rle = seg
        gts.setdefault((a["image_id"], a["category_id"]), []).append((rle, a.get("iscrowd", 0)))
    dtd: dict = {}
    for d in dts:
        dtd.setdefault((d["image_id"], d["category_id"]), []).append(d["segmentation"])
    pairs = []
    for k in sorted(set(gts) & set(dtd)):
        g = gts[k]
        pairs.append((dtd[k], [r for r, _ in g], [int(c) for _, c in g]))
    return tuple(pairs)


def _str_counts(d):
    c = d["counts"]
    return {"size": list(d["size"]), "counts": c.decode("ascii") if isinstance(c, bytes) else c}


def _real_cases() -> Iterator[Case]:
    g = "iou real: COCOeval loop, val2014 first 100 (fakesegm dt vs gt, per image+category)"

    @functools.lru_cache(maxsize=None)
    def want():
        pm = _pycoco()
        return [np.asarray(pm.iou(d, t, c)) for d, t, c in real_eval_pairs()]

    def check(result):
        if not _have(_pycoco):
            return
        for i, (got, w_) in enumerate(zip(result, want())):
            got = np.asarray(got, np.float64).reshape(w_.shape)
            bad = np.argwhere(np.abs(got - w_) > 1e-12)
            assert bad.size == 0, (f"pair {i} ({len(bad)} of {got.size} differ): at {tuple(bad[0])} "
                                   f"got {got[tuple(bad[0])]}, pycocotools {w_[tuple(bad[0])]}")

    def mc(threads=None):
        def setup():
            mcm = _maskcore()
            pairs = [(mcm.RLEBatch.from_coco([_str_counts(x) for x in d]),
                      mcm.RLEBatch.from_coco([_str_counts(x) for x in t]), np.asarray(c, bool))
                     for d, t, c in real_eval_pairs()]
            iou = mcm.iou
            if threads is None:
                return lambda: [iou(d, t, c) for d, t, c in pairs]
            return lambda: [iou(d, t, c, threads=threads) for d, t, c in pairs]
        return setup

    def coco_like(mod):
        def setup():
            iou, pairs = mod().iou, real_eval_pairs()
            return lambda: [iou(d, t, c) for d, t, c in pairs]
        return setup

    yield Case(g, "maskcore (RLEBatch per image)", mc(), check)
    yield Case(g, "maskcore (RLEBatch per image) threads=1", mc(1), check)
    yield Case(g, "maskcore.coco (dicts)", coco_like(_maskcore_coco), check, kind="maskcore.coco")
    yield Case(g, "pycocotools (dicts)", coco_like(_pycoco), None, kind="pycocotools")


# --------------------------------------------------------------------------------------------


def cases(quick: bool = False) -> list:
    """Every case, grouped; ``quick`` uses :data:`QUICK` sizes."""
    s = QUICK if quick else FULL
    out: list = []
    for h, w in s.frames:
        for pattern in ("blob", "noise"):
            for order in ("F", "C"):
                out += _encode_cases(pattern, h, w, order)
    for h, w in s.frames:
        for pattern in ("blob", "noise"):
            for order in ("F", "C"):
                out += _decode_cases(pattern, h, w, order)
    for layout in ("F", "C"):
        out += _batch_encode_cases(*s.batch, layout)
    out += _many_cases("area", *s.many)
    out += _many_cases("bbox", *s.many)
    out += _iou_cases(*s.iou)
    out += _merge_cases(*s.merge)
    out += _codec_single_cases(*s.codec)
    out += _codec_batch_cases(*s.many)
    out += _real_cases()
    return out

