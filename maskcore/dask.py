"""Image-scale masks on Dask arrays: chunked labeling, statistics, RLE, polygons and QA.

Every function takes a dask array (from zarr with ``da.from_zarr``, from a memmap or
TIFF with ``da.from_array``, or any other graph), works block by block with the
native kernels (``threads=1`` inside each task), and gives the same result as the
whole-array function of maskcore:

==============================  ==================================================
:func:`label`                   ``maskcore.label`` (same partition, same numbering)
:func:`component_stats`         ``maskcore.component_stats``
:func:`encode`                  ``maskcore.encode`` (COCO RLE, uint64 counts past 2**32 pixels)
:func:`find_polygons`           ``maskcore.find_polygons(exact=True)`` / ``find_polygons_labels``
:func:`validate`                the per-map checks of ``maskcore.validate``
==============================  ==================================================

How labeling works (no serial chain of offsets, a graph of O(blocks) tasks):

1. every block is labeled on its own (ids 1..n_b); the task returns n_b, each local
   label's first pixel as a global raster index, the source value there, and the
   block's faces (its first and last slice along every axis) -- never the labels;
2. block b's ids become block-unique by adding the exclusive prefix sum of the
   counts (computed once the counts are known: no task waits for another block);
3. for each seam (a chunk boundary along one axis) the facing slices of all blocks
   are joined into two planes and a native kernel lists the (id, id) pairs that touch
   across it under the connectivity (diagonal block neighbours are in-plane offsets
   of one seam, so they need no case of their own);
4. one union-find over the pairs; each set's root is its member with the earliest
   first pixel, and sorting the roots by it gives the numbering of ``maskcore.label``
   on the whole array (raster order of each component's first pixel);
5. the labels stay lazy: each output block labels its input block again and maps it
   through its lookup table (local id -> final number).

Steps 1-4 run when :func:`label` is called (memory: the faces and a few int64 per
local component); step 5 runs when the labels are computed. Results do not depend on
the chunking, the scheduler (threads, processes, synchronous, dask.distributed) or
the number of workers.

Install: ``pip install 'maskcore[dask]'`` (dask[array]; distributed for clusters).
"""
from __future__ import annotations

import itertools
import math
from collections import OrderedDict
from typing import Any, Iterable, Literal, Optional, Sequence, Union, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

try:
    import dask.array as da
    from dask.base import compute, tokenize
    from dask.delayed import Delayed, delayed
    from dask.highlevelgraph import HighLevelGraph
except ImportError as exc:  # pragma: no cover - exercised only without dask
    raise ImportError("maskcore.dask needs dask: install the extra with pip install 'maskcore[dask]' "
                      "(dask[array], distributed)") from exc

from . import _core
from . import _validate as _v
from .components import _background, _stats_array
from .components import label as _label_np
from .contours import Polygon
from .contours import find_polygons_labels as _polys_np
from .qa import Problem, Report
from .rle import RLE
from .rle import encode as _encode_np

__all__ = ["label", "component_stats", "encode", "find_polygons", "validate"]

# Block index (one int per axis), a block's start (its first pixel's coordinates), and
# the partial statistics of a block: (ids, area, minima, exclusive maxima, coordinate sums).
BlockIndex = tuple[int, ...]
Start = tuple[int, ...]
Partial = tuple[NDArray[np.uint64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]
# One face of a block along an axis: (first slice, last slice, their source values or None).
Face = tuple[NDArray[Any], NDArray[Any], Optional[NDArray[np.uint64]], Optional[NDArray[np.uint64]]]

_U32_MAX = 2**32 - 1
_REACH = {4: 0, 8: 2, 6: 0, 18: 1, 26: 2}  # in-plane offsets allowed across a seam (csrc/chunked)


# ---------------------------------------------------------------------------------
# input checks and geometry


def _as_dask(x: Any, name: str) -> da.Array:
    """A dask array for x (numpy and array-likes are wrapped with dask's auto chunks)."""
    if isinstance(x, da.Array):
        return x
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        wrapped: da.Array = da.from_array(x)
        return wrapped
    raise TypeError(f"{name}: expected a dask array (or an array-like), got {type(x).__name__}")


def _check_image(img: da.Array, name: str, ndims: tuple[int, ...] = (2, 3)) -> None:
    if img.ndim not in ndims:
        want = " or ".join(f"{d}D" for d in ndims)
        raise ValueError(f"{name}: expected a {want} array, got {img.ndim}D with shape {img.shape}")
    if img.dtype != np.bool_ and img.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected bool or integers, got dtype {img.dtype} (threshold or cast it first)")
    if any(math.isnan(s) for c in img.chunks for s in c):
        raise ValueError(f"{name}: unknown chunk sizes (call compute_chunk_sizes() first)")


def _no_empty_chunks(img: da.Array) -> da.Array:
    """The array without zero-length chunks (they would hide the faces of their
    neighbours); the identical array when it has none."""
    if all(s > 0 for c in img.chunks for s in c) or img.size == 0:
        return img
    out: da.Array = img.rechunk(tuple(tuple(s for s in c if s > 0) or (0,) for c in img.chunks))
    return out


def _offsets(chunks: Sequence[Sequence[int]]) -> list[NDArray[np.int64]]:
    """Per axis, the start of every chunk."""
    return [np.concatenate([[0], np.cumsum(c)[:-1]]).astype(np.int64) for c in chunks]


def _block_indices(numblocks: Sequence[int]) -> list[BlockIndex]:
    return list(itertools.product(*[range(n) for n in numblocks]))


def _global_index(flat_local: NDArray[np.int64], block_shape: tuple[int, ...], start: Start,
                  shape: tuple[int, ...]) -> NDArray[np.int64]:
    """C-order flat indices inside a block -> C-order flat indices in the whole array."""
    coords = np.unravel_index(flat_local, block_shape)
    g = np.zeros(flat_local.shape, np.int64)
    for c, s, full in zip(coords, start, shape):
        g = g * full + (c.astype(np.int64) + s)
    return g


# ---------------------------------------------------------------------------------
# label


def _dense(block: Any) -> NDArray[Any]:
    """The block as a numpy array; broadcast blocks (zero strides, as ``da.zeros`` and
    ``da.full`` make them) are copied, which the native scans read ~100x faster."""
    block = np.asarray(block)
    if block.size > 1 and 0 in block.strides:
        block = np.ascontiguousarray(block)
    return block


def _label_block(block: Any, conn: int, background: int, binary: bool) -> tuple[NDArray[Any], int]:
    return _label_np(_dense(block), connectivity=conn, background=background, binary=binary, threads=1)


def _summary(block: Any, start: Start, shape: tuple[int, ...], conn: int, background: int, binary: bool,
             multi: bool) -> tuple[int, NDArray[np.int64], Optional[NDArray[Any]], list[Face]]:
    """Pass 1 on one block: (n, first pixels (global), values or None, faces)."""
    block = _dense(block)
    lab, n = _label_block(block, conn, background, binary)
    try:
        first_local = _core.chunked_first_pixels(lab, n)
    except _v.KernelError as exc:
        raise _v.chunked_first_error(exc, lab.shape, n) from None
    first = _global_index(first_local, block.shape, start, shape)
    values = block[np.unravel_index(first_local, block.shape)] if multi else None
    faces: list[Face] = []
    for d in range(block.ndim):
        lo = np.ascontiguousarray(np.take(lab, 0, axis=d))
        hi = np.ascontiguousarray(np.take(lab, -1, axis=d))
        if multi:
            klo = np.take(block, 0, axis=d).astype(np.uint64)
            khi = np.take(block, -1, axis=d).astype(np.uint64)
        else:
            klo = khi = None
        faces.append((lo, hi, klo, khi))
    return n, first, values, faces


def _relabel(block: Any, lut: NDArray[np.unsignedinteger[Any]], conn: int, background: int,
             binary: bool) -> NDArray[np.unsignedinteger[Any]]:
    """Pass 2 on one block: label it again and map local ids through lut."""
    lab, n = _label_block(block, conn, background, binary)
    if n != lut.shape[0] - 1:  # the block changed between the passes (a non-deterministic source)
        raise RuntimeError(f"maskcore.dask.label: a block gave {n} components in pass 2, {lut.shape[0] - 1} "
                           "in pass 1; the input must give the same values each time it is computed")
    if lab.dtype == lut.dtype:
        # In place (out[i] depends on lab[i] alone); mode="clip" skips numpy's buffering of
        # an out that overlaps the indices (every local id indexes lut: nothing is clipped).
        return np.take(lut, lab, out=lab, mode="clip")
    return np.take(lut, lab)


def _block_stats(block: Any, lut: NDArray[np.unsignedinteger[Any]], start: Start, conn: int, background: int,
                 binary: bool) -> Partial:
    """Fused statistics of one output block from its input block: (ids, area, lo, hi, sums)."""
    lab, n, st = _label_np(_dense(block), connectivity=conn, background=background, binary=binary,
                           return_stats=True, threads=1)
    if n != lut.shape[0] - 1:
        raise RuntimeError("maskcore.dask: the input gave other values in a later pass")
    return _partial_from_stats(st, lut[1:].astype(np.uint64), start, block.ndim)


def _partial_from_stats(st: NDArray[np.void], ids: NDArray[np.uint64], start: Start, nd: int) -> Partial:
    """Per-block partial statistics from a component_stats table over local
    coordinates: global ids, area, bbox minima and exclusive maxima, and the exact
    integer coordinate sums (centroid * area rounds back to the integer sum exactly
    while it is below 2**52: a block's local sums are far below)."""
    area = st["area"].astype(np.int64)
    keep = area > 0
    area = area[keep]
    st = st[keep]
    off = np.asarray(start, np.int64)
    bbox = st["bbox"].astype(np.int64)
    lo = bbox[:, :nd] + off
    hi = bbox[:, nd:] + off
    sums = np.rint(st["centroid"] * area[:, None]).astype(np.int64) + area[:, None] * off
    return ids[keep], area, lo, hi, sums


_REGISTRY: "OrderedDict[str, dict[str, Any]]" = OrderedDict()  # labels.name -> how it was made (for fused passes)


def _remember(name: str, info: dict[str, Any]) -> None:
    _REGISTRY[name] = info
    while len(_REGISTRY) > 32:
        _REGISTRY.popitem(last=False)


def label(image: Union[da.Array, ArrayLike], *, connectivity: Optional[int] = None, background: int = 0, binary: Optional[bool] = None,
          scheduler: Any = None) -> tuple[da.Array, int]:
    """Label the connected components of a chunked 2D image or 3D volume.

    The result equals ``maskcore.label`` on the whole array: the same components,
    numbered the same way (1..n in raster order of each component's first pixel,
    scikit-image's and scipy's numbering), so it can be swapped in.

    Parameters
    ----------
    image : dask array, (H, W) or (Z, Y, X), bool or integers
        Bool: binary. Integers: multi-label (touching pixels join when their values
        are equal), unless ``binary=True``. Any chunking (zero-length chunks too);
        numpy arrays are wrapped with ``da.from_array``. Computed twice: once now
        (pass 1) and once when the labels are computed, so it must give the same
        values each time (zarr, memmap, a deterministic graph; ``persist()`` it
        first when it is expensive to compute).
    connectivity : int, optional
        4 or 8 in 2D, 6, 18 or 26 in 3D (scikit-image's 1..ndim accepted); default
        the full neighbourhood (8 / 26), as ``maskcore.label``.
    background : int, default 0
        The value that is not part of any component.
    binary : bool, optional
        For integer images: every value other than ``background`` is one class.
        Default: False (bool images are always binary).
    scheduler : optional
        Passed to ``dask.compute`` for pass 1 (default: dask's current scheduler,
        e.g. an active ``dask.distributed.Client``).

    Returns
    -------
    labels : dask array, the image's shape and chunks
        uint32, or uint64 when n exceeds 2**32 - 1 (``maskcore.label`` chooses uint64
        by the pixel count instead; the values are equal). Lazy: each block is
        labeled again and mapped through a lookup table when computed.
    n : int
        The number of components.

    Raises
    ------
    TypeError
        For float or complex images, or a non-array input.
    ValueError
        For an image that is not 2D or 3D, an unsupported connectivity, a background
        outside the dtype's range, unknown chunk sizes.

    Notes
    -----
    Pass 1 keeps in memory (where ``label`` is called) the faces of every block
    (about 12 bytes per pixel on chunk borders), 8-16 bytes per component piece per
    block, and the pairs across seams; the graph has O(blocks) tasks. Each block
    needs the memory of ``maskcore.label`` on it (about 4 bytes per pixel plus
    scratch).

    Examples
    --------
    >>> import numpy as np, dask.array as da, maskcore.dask
    >>> m = da.from_array(np.eye(6, dtype=bool), chunks=2)
    >>> lab, n = maskcore.dask.label(m)
    >>> n, maskcore.dask.label(m, connectivity=4)[1]
    (1, 6)
    """
    result: tuple[da.Array, int] = _label(image, connectivity, background, binary, scheduler)["result"]
    return result


def _label(image: Any, connectivity: Optional[int], background: int, binary: Optional[bool],
           scheduler: Any) -> dict[str, Any]:
    """Passes 1-4 of :func:`label`; what a fused later pass needs (the registry's entry),
    with ``result`` = (labels, n)."""
    src = _as_dask(image, "image")
    _check_image(src, "image")
    ndim = src.ndim
    conn = _v.connectivity(connectivity, ndim)
    is_bool = src.dtype == np.bool_
    if binary is not None and not isinstance(binary, (bool, np.bool_)):
        raise TypeError(f"binary: expected a bool or None, got {binary!r}")
    bin_mode = bool(binary) or is_bool
    multi = not bin_mode
    _background(background, src.dtype)  # checks the range
    bg = int(background)
    if src.size == 0:
        out = da.zeros(src.shape, chunks=src.chunks, dtype=np.uint32)
        return {"result": (out, 0), "n": 0}
    img = _no_empty_chunks(src)
    shape = img.shape
    starts = _offsets(img.chunks)
    idx = _block_indices(img.numblocks)
    blocks = img.to_delayed(optimize_graph=True)
    tasks = [delayed(_summary, pure=True)(blocks[b], tuple(int(starts[a][b[a]]) for a in range(ndim)), shape,
                                               conn, bg, bin_mode, multi) for b in idx]
    summaries = compute(*tasks, scheduler=scheduler) if scheduler is not None else compute(*tasks)
    by_block = dict(zip(idx, summaries))
    counts = np.array([s[0] for s in summaries], np.int64)
    off_list = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    off = dict(zip(idx, off_list.tolist()))
    N = int(counts.sum())
    first = np.zeros(N + 1, np.int64)
    first[1:] = np.concatenate([s[1] for s in summaries]) if N else np.zeros(0, np.int64)
    values: Optional[NDArray[Any]] = None
    if multi:
        values = np.concatenate([s[2] for s in summaries]) if N else np.zeros(0, src.dtype)
    faces = {b: s[3] for b, s in by_block.items()}
    pairs = _seam_pairs(faces, off, img.numblocks, conn, multi)
    pa = np.ascontiguousarray(pairs[0::2])
    pb = np.ascontiguousarray(pairs[1::2])
    try:
        final, n = _core.chunked_merge_numbering(first, pa, pb)
    except _v.KernelError as exc:
        raise _v.chunked_pairs_error(exc, N) from None
    out_dtype = np.uint32 if n <= _U32_MAX else np.uint64
    final = final.astype(out_dtype, copy=False)
    comp_values: Optional[NDArray[Any]] = None
    if multi:
        comp_values = np.zeros(n, src.dtype)
        comp_values[final[1:].astype(np.int64) - 1] = values
    luts: dict[BlockIndex, NDArray[np.unsignedinteger[Any]]] = {}
    for b, o, c in zip(idx, off_list.tolist(), counts.tolist()):
        lut = np.empty(c + 1, out_dtype)
        lut[0] = 0
        lut[1:] = final[o + 1:o + 1 + c]
        luts[b] = lut
    name = "maskcore-label-" + tokenize(img.name, conn, bg, bin_mode)
    layer: dict[Any, Any] = {(name,) + b: (_relabel, (img.name,) + b, luts[b], conn, bg, bin_mode) for b in idx}
    # (dask's Array does not match dask's own DaskCollection protocol under mypy: __dask_scheduler__)
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[img])  # type: ignore[list-item]
    labels = da.Array(graph, name, img.chunks, dtype=out_dtype)
    if labels.chunks != src.chunks:
        labels = labels.rechunk(src.chunks)
    info = {"image": img, "luts": luts, "starts": starts, "conn": conn, "bg": bg, "binary": bin_mode, "n": n,
            "values": comp_values, "chunks": img.chunks}
    _remember(labels.name, info)
    info["result"] = (labels, int(n))
    return info


def _seam_pairs(faces: dict[BlockIndex, list[Face]], off: dict[BlockIndex, int], numblocks: Sequence[int],
                conn: int, multi: bool) -> NDArray[np.uint64]:
    """Every (id, id) pair that touches across a seam, flat [u0, v0, u1, v1, ...]."""
    ndim = len(numblocks)
    reach = _REACH[conn]
    out: list[NDArray[np.uint64]] = [np.zeros(0, np.uint64)]
    for d in range(ndim):
        other = [a for a in range(ndim) if a != d]
        for j in range(1, numblocks[d]):
            def slab(jj: int) -> list[BlockIndex]:
                grid: list[BlockIndex] = []
                for rest in itertools.product(*[range(numblocks[a]) for a in other]):
                    b = [0] * ndim
                    b[d] = jj
                    for a, r in zip(other, rest):
                        b[a] = r
                    grid.append(tuple(b))
                return grid

            planes: list[tuple[NDArray[np.uint64], Optional[NDArray[np.uint64]]]] = []
            for jj, side in ((j - 1, 1), (j, 0)):
                ids_parts: list[NDArray[np.uint64]] = []
                key_parts: list[Any] = []
                for b in slab(jj):
                    lo, hi, klo, khi = faces[b][d]
                    f = (lo if side == 0 else hi)
                    g = f.astype(np.uint64)
                    g[f != 0] += np.uint64(off[b])
                    ids_parts.append(g)
                    key_parts.append(klo if side == 0 else khi)
                planes.append((_join(ids_parts, numblocks, other), _join(key_parts, numblocks, other) if multi
                               else None))
            (a_ids, a_keys), (b_ids, b_keys) = planes
            P, Q = (1, a_ids.size) if a_ids.ndim == 1 else a_ids.shape
            if a_ids.size == 0:
                continue
            out.append(_core.chunked_seam_pairs(a_ids.reshape(-1), b_ids.reshape(-1),
                                                None if a_keys is None else a_keys.reshape(-1),
                                                None if b_keys is None else b_keys.reshape(-1), P, Q, reach))
    return np.concatenate(out)


def _join(parts: list[Any], numblocks: Sequence[int], other: Sequence[int]) -> NDArray[Any]:
    """Faces of a slab of blocks (listed in C order over the other axes) -> one plane."""
    if len(other) == 1:
        return np.ascontiguousarray(np.concatenate(parts))
    n0, n1 = numblocks[other[0]], numblocks[other[1]]
    rows = [np.concatenate(parts[i * n1:(i + 1) * n1], axis=1) for i in range(n0)]
    return np.ascontiguousarray(np.concatenate(rows, axis=0))


# ---------------------------------------------------------------------------------
# component statistics


_DIRECT_MAX = 1 << 20  # labels a block's stats table may span before the ids are compacted


def _generic_block_stats(block: Any, start: Start) -> Partial:
    """Partial statistics of one block of any label image: one native pass over the
    block with the ids shifted (or compacted) so that the table spans only the ids
    the block can hold."""
    block = np.asarray(block)
    nd = block.ndim
    empty: Partial = (np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros((0, nd), np.int64),
             np.zeros((0, nd), np.int64), np.zeros((0, nd), np.int64))
    if block.size == 0:
        return empty
    if block.dtype.kind == "i":
        low = block.min()
        if low < 0:
            raise ValueError(f"labels: expected non-negative labels, got {low}")
    top = int(block.max())
    if top == 0:
        return empty
    if top <= _DIRECT_MAX:
        st = _stats_array(_core.ccl_stats(_v.label_image(block, "labels")[0], top), nd)
        return _partial_from_stats(st, np.arange(1, top + 1, dtype=np.uint64), start, nd)
    fg = block != 0
    base = int(block[fg].min()) - 1
    if top - base <= max(_DIRECT_MAX, block.size):
        shifted = np.where(fg, block - block.dtype.type(base), 0).astype(np.uint64)
        st = _stats_array(_core.ccl_stats(shifted, top - base), nd)
        return _partial_from_stats(st, np.arange(base + 1, top + 1, dtype=np.uint64), start, nd)
    ids, inv = np.unique(block, return_inverse=True)
    compact = inv.reshape(block.shape).astype(np.uint64)
    if ids[0] != 0:
        compact += np.uint64(1)
        ids = np.concatenate([[0], ids])
    st = _stats_array(_core.ccl_stats(compact, len(ids) - 1), nd)
    return _partial_from_stats(st, ids[1:].astype(np.uint64), start, nd)


def component_stats(labels: Union[da.Array, ArrayLike], n: Optional[int] = None, *, scheduler: Any = None) -> NDArray[np.void]:
    """Area, bounding box and centroid of every label 1..n of a chunked label image.

    Equal to ``maskcore.component_stats`` on the whole array. Each block is read in
    one native pass (for labels made by :func:`label`, fused with the block's
    relabeling: the statistics come from labeling the input block); the per-block
    partials (area, box, integer coordinate sums per label) are reduced where this
    function is called.

    Parameters
    ----------
    labels : dask array, (H, W) or (Z, Y, X), non-negative integers
        A label image, e.g. from :func:`label`; 0 is background; a label's pixels
        need not be connected.
    n : int, optional
        Report labels 1..n (default: the largest label). A label above n is an error.
    scheduler : optional
        Passed to ``dask.compute``.

    Returns
    -------
    stats : structured ndarray of n rows, as ``maskcore.component_stats``
        ``area`` int64, ``bbox`` int64 ``(min_row, min_col, max_row, max_col)`` (3D:
        Z first; maxima exclusive), ``centroid`` float64. Labels without pixels: area
        0, bbox zeros, centroid NaN.

    Notes
    -----
    Centroids are exact: the coordinate sums are integers (exact in int64), and the
    centroid is the float64 quotient sum / area, the same division as
    ``maskcore.component_stats``, whose float64 sums are exact below 2**53; so the
    results are bit-identical while each label's coordinate sum stays below 2**53
    (e.g. any label of a 10**5 x 10**5 image).

    Raises
    ------
    TypeError, ValueError
        As ``maskcore.component_stats`` (float labels; negative labels, labels above
        ``n``, an array that is not 2D or 3D).
    """
    lab = _as_dask(labels, "labels")
    _check_image(lab, "labels")
    if lab.dtype == np.bool_:
        lab = lab.astype(np.uint8)
    nd = lab.ndim
    if n is not None:
        n = _v.integer(n, "n")
        if n < 0:
            raise ValueError(f"n: expected >= 0, got {n}")
    info = _REGISTRY.get(lab.name)
    if info is not None:
        img = info["image"]
        starts = info["starts"]
        idx = _block_indices(img.numblocks)
        blocks = img.to_delayed(optimize_graph=True)
        tasks = [delayed(_block_stats, pure=True)(blocks[b], info["luts"][b],
                                                       tuple(int(starts[a][b[a]]) for a in range(nd)),
                                                       info["conn"], info["bg"], info["binary"]) for b in idx]
    else:
        lab = _no_empty_chunks(lab)
        starts = _offsets(lab.chunks)
        idx = _block_indices(lab.numblocks)
        blocks = lab.to_delayed(optimize_graph=True)
        tasks = [delayed(_generic_block_stats, pure=True)(blocks[b], tuple(int(starts[a][b[a]])
                                                                                for a in range(nd))) for b in idx]
    parts = compute(*tasks, scheduler=scheduler) if scheduler is not None else compute(*tasks)
    return _reduce_stats(parts, nd, n)


def _reduce_stats(parts: Sequence[Partial], nd: int, n: Optional[int]) -> NDArray[np.void]:
    ids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.uint64)
    top = int(ids.max()) if ids.size else 0
    if n is None:
        n = top
    elif top > n:
        raise ValueError(f"labels: value {top} exceeds n = {n}")
    fields: list[tuple[Any, ...]] = [("area", np.int64), ("bbox", np.int64, (2 * nd,)), ("centroid", np.float64, (nd,))]
    out = np.zeros(n, np.dtype(fields))
    out["centroid"] = np.nan
    if not ids.size:
        return out
    area = np.concatenate([p[1] for p in parts])
    lo = np.concatenate([p[2] for p in parts])
    hi = np.concatenate([p[3] for p in parts])
    sums = np.concatenate([p[4] for p in parts])
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    rows = ids[starts].astype(np.int64) - 1
    tot = np.add.reduceat(area[order], starts)
    out["area"][rows] = tot
    bbox = np.concatenate([np.minimum.reduceat(lo[order], starts, axis=0),
                           np.maximum.reduceat(hi[order], starts, axis=0)], axis=1)
    out["bbox"][rows] = bbox
    s = np.add.reduceat(sums[order], starts, axis=0)
    out["centroid"][rows] = s.astype(np.float64) / tot.astype(np.float64)[:, None]
    return out


# ---------------------------------------------------------------------------------
# COCO RLE


def _block_runs(block: Any, start: tuple[int, int], height: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The runs of ones of one block, cut at its column ends, as [start, end) indices
    into the column-major flattening of the whole mask (int64 pairs)."""
    block = _dense(block)
    h = block.shape[0]
    if block.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    counts = _encode_np(block).counts.astype(np.int64)
    ends = np.cumsum(counts)
    s = ends[0::2][:len(ends[1::2])]  # a ones run k spans [ends[2k], ends[2k + 1])
    e = ends[1::2]
    keep = e > s
    s, e = s[keep], e[keep]
    cs, ce = s // h, (e - 1) // h
    pieces = ce - cs + 1
    if (pieces > 1).any():
        rep = np.repeat(np.arange(len(s)), pieces)
        first_of = np.cumsum(pieces) - pieces
        col = cs[rep] + (np.arange(rep.size) - first_of[rep])
        s = np.maximum(s[rep], col * h)
        e = np.minimum(e[rep], (col + 1) * h)
    else:
        col = cs
    base = (start[1] + col) * height + start[0] - col * h
    return s + base, e + base


def encode(mask: Union[da.Array, ArrayLike], *, scheduler: Any = None) -> RLE:
    """The COCO RLE of a chunked 2D mask, without a dense copy of the whole mask.

    Each block is encoded by the native encoder; its runs of ones, cut at the block's
    column ends and placed in the whole mask's column-major order, are merged where
    they meet across block seams. Memory: 16 bytes per run piece (a run crossing a
    chunk row boundary counts once per chunk).

    Parameters
    ----------
    mask : dask array (H, W) of bool or uint8 0/1
    scheduler : optional
        Passed to ``dask.compute``.

    Returns
    -------
    RLE
        Equal to ``maskcore.encode(mask.compute())``: counts uint32, uint64 when the
        mask has 2**32 pixels or more.

    Raises
    ------
    ValueError
        For a mask that is not 2D or a uint8 value other than 0 and 1.
    TypeError
        For other dtypes.
    """
    m = _as_dask(mask, "mask")
    if m.ndim != 2:
        raise ValueError(f"mask: expected a 2D array, got {m.ndim}D with shape {m.shape}")
    if m.dtype != np.bool_ and m.dtype != np.uint8:
        raise TypeError(f"mask: expected bool or uint8 0/1, got dtype {m.dtype}")
    H, W = (int(s) for s in m.shape)
    if m.size == 0:
        return RLE.from_mask(np.zeros((H, W), bool))
    m = _no_empty_chunks(m)
    starts = _offsets(m.chunks)
    idx = _block_indices(m.numblocks)
    blocks = m.to_delayed(optimize_graph=True)
    tasks = [delayed(_block_runs, pure=True)(blocks[b], (int(starts[0][b[0]]), int(starts[1][b[1]])), H)
             for b in idx]
    parts: list[Optional[tuple[NDArray[np.int64], NDArray[np.int64]]]] = list(_compute(tasks, scheduler))
    # Column bands (one column of blocks) cover consecutive ranges of the column-major order,
    # so each band's pieces are sorted on their own (pieces of one block are in order already;
    # the blocks of a band interleave column by column), and the bands are concatenated.
    rows = m.numblocks[0]
    band_s: list[NDArray[np.int64]] = []
    band_e: list[NDArray[np.int64]] = []
    for j in range(m.numblocks[1]):
        band = [part for i in range(rows) if (part := parts[i * m.numblocks[1] + j]) is not None]
        for i in range(rows):
            parts[i * m.numblocks[1] + j] = None
        bs = np.concatenate([p[0] for p in band])
        be = np.concatenate([p[1] for p in band])
        del band
        if rows > 1:
            order = np.argsort(bs, kind="stable")
            bs, be = bs[order], be[order]
            del order
        band_s.append(bs)
        band_e.append(be)
    s = np.concatenate(band_s)
    del band_s
    e = np.concatenate(band_e)
    del band_e
    if s.size:
        new = np.empty(s.size, bool)  # a run continues where the previous piece ends
        new[0] = True
        np.not_equal(s[1:], e[:-1], out=new[1:])
        s = s[new]
        new[:-1] = new[1:]
        new[-1] = True
        e = e[new]
        del new
    total = H * W
    dtype = np.uint32 if total < 2**32 else np.uint64
    counts = np.empty(2 * s.size + 1, dtype)
    zeros = counts[0::2]
    zeros[0] = s[0] if s.size else total
    if s.size:
        np.subtract(s[1:], e[:-1], out=zeros[1:s.size], casting="unsafe")
        np.subtract(e, s, out=counts[1::2], casting="unsafe")
        zeros[s.size] = total - e[-1]
        if zeros[s.size] == 0:
            counts = counts[:-1]
    return RLE._wrap(counts, H, W)  # canonical by construction: no empty run but the first


# ---------------------------------------------------------------------------------
# polygons


def _trace_block(block: Any, start: tuple[int, int], conn: int) -> dict[int, list[Polygon]]:
    """Exact rings of every piece of every component id in one block of global ids,
    shifted to global (x, y): {id: [Polygon, ...]}."""
    block = np.asarray(block)
    out: dict[int, list[Polygon]] = {}
    if block.size == 0:
        return out
    shift = np.array([start[1], start[0]], np.float64)
    for gid, polys in _polys_np(block, connectivity=conn, exact=True).items():
        out[gid] = [Polygon(p.outer + shift, [h + shift for h in p.holes], None, None, p.area, gid) for p in polys]
    return out


def _stitch(pieces: Sequence[Polygon], seam_x: NDArray[np.int64], seam_y: NDArray[np.int64],
            conn: int) -> tuple[list[NDArray[np.float64]], list[NDArray[np.float64]]]:
    """Rings of one component from its pieces in several blocks.

    Every piece's rings keep the component on one side of every edge (outer rings
    with positive shoelace area, holes negative, as ``maskcore.find_polygons``).
    Edges on a seam line between two pixels of the component appear twice, in
    opposite directions, one from each side: they are cut into unit edges and
    removed in pairs. What is left is the component's boundary, chained into rings;
    at a vertex where the boundary touches itself (two edges leave it) the chain
    turns so that diagonal pixels of the component stay joined for 8-connectivity
    and apart for 4, as the whole-array tracer does."""
    a_list: list[NDArray[Any]] = []
    b_list: list[NDArray[Any]] = []
    for p in pieces:
        for r in p.rings:
            a_list.append(r)
            b_list.append(np.roll(r, -1, axis=0))
    a = np.concatenate(a_list).astype(np.int64)
    b = np.concatenate(b_list).astype(np.int64)
    # seam segments -> unit edges
    vert = a[:, 0] == b[:, 0]
    on_seam = (vert & np.isin(a[:, 0], seam_x)) | (~vert & np.isin(a[:, 1], seam_y))
    sa, sb = a[on_seam], b[on_seam]
    a, b = a[~on_seam], b[~on_seam]
    if sa.size:
        length = np.abs(sb - sa).sum(axis=1)
        step = np.sign(sb - sa)
        rep = np.repeat(np.arange(len(sa)), length)
        k = np.arange(rep.size) - (np.cumsum(length) - length)[rep]
        ua = sa[rep] + step[rep] * k[:, None]
        ub = ua + step[rep]
        # an undirected unit edge seen twice (once each way) is interior: drop both
        lo = np.minimum(ua, ub)
        horiz = (ua[:, 1] == ub[:, 1]).astype(np.int64)
        key = np.stack([lo[:, 0], lo[:, 1], horiz], axis=1)
        _, inv, cnt = np.unique(key, axis=0, return_inverse=True, return_counts=True)
        keep = cnt[inv.reshape(-1)] == 1
        a = np.concatenate([a, ua[keep]])
        b = np.concatenate([b, ub[keep]])
    E = len(a)
    # successor of each edge: an edge leaving its end vertex
    W = int(max(a[:, 0].max(), b[:, 0].max())) + 2
    ka = a[:, 1] * W + a[:, 0]
    kb = b[:, 1] * W + b[:, 0]
    order = np.argsort(ka, kind="stable")
    sorted_ka = ka[order]
    left = np.searchsorted(sorted_ka, kb, "left")
    right = np.searchsorted(sorted_ka, kb, "right")
    succ = order[left]
    two = np.flatnonzero(right - left == 2)
    if two.size:
        c1, c2 = order[left[two]], order[left[two] + 1]
        din = np.sign(b[two] - a[two])
        d1 = np.sign(b[c1] - a[c1])
        # cross > 0: c1 turns clockwise on screen (x right, y down). The component lies
        # on the right of every edge on screen (outer rings run clockwise on screen,
        # which is the positive shoelace area with y down), so a right turn hugs the
        # same pixel (4-connectivity keeps diagonal pixels apart) and a left turn passes
        # over to the diagonal pixel (8-connectivity joins it).
        cross = din[:, 0] * d1[:, 1] - din[:, 1] * d1[:, 0]
        right_turn = cross > 0
        want_right = conn == 4
        succ[two] = np.where(right_turn == want_right, c1, c2)
    # cycles: the least edge index of each cycle, by doubling
    cid = np.arange(E)
    p = succ.copy()
    span = 1
    while span < E:
        cid = np.minimum(cid, cid[p])
        p = p[p]
        span *= 2
    head = cid == np.arange(E)
    # positions along each ring: steps to the ring's last edge (the one before its head)
    nxt = succ.copy()
    last = head[succ]
    nxt[last] = np.flatnonzero(last)
    r = (~last).astype(np.int64)
    span = 1
    while span < E:
        r = r + r[nxt]
        nxt = nxt[nxt]
        span *= 2
    seq = np.lexsort((-r, cid))
    cid_s = cid[seq]
    starts = np.flatnonzero(np.r_[True, cid_s[1:] != cid_s[:-1]])
    ends = np.r_[starts[1:], E]
    rings: list[NDArray[np.float64]] = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        idx = seq[s:e]
        va = a[idx]
        d = np.sign(b[idx] - va)
        turn = np.any(d != np.roll(d, 1, axis=0), axis=1)  # keep corners only
        ring = va[turn]
        j = np.lexsort((ring[:, 0], ring[:, 1]))[0]
        rings.append(np.roll(ring, -j, axis=0).astype(np.float64))
    outer: list[NDArray[np.float64]] = []
    holes: list[NDArray[np.float64]] = []
    for ring in rings:
        x, y = ring[:, 0], ring[:, 1]
        area2 = np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)
        (outer if area2 > 0 else holes).append(ring)
    holes.sort(key=lambda h: (h[0, 1], h[0, 0]))
    return outer, holes


def _first_corner(ring: NDArray[Any]) -> NDArray[Any]:
    """(x, y) of a ring's top-left vertex (least y, then least x)."""
    j = int(np.lexsort((ring[:, 0], ring[:, 1]))[0])
    corner: NDArray[Any] = ring[j]
    return corner


def _nest(polys: Sequence[Polygon]) -> list[Polygon]:
    """``polys`` (one label's, in raster order) with ``parent`` / ``parent_hole`` set as
    ``maskcore.find_polygons`` sets them: the polygon, and which of its holes, whose hole is
    the innermost one holding the polygon's first pixel (None: the unbounded background).

    A horizontal sweep along the centre line of each row where a polygon starts: the holes'
    vertical crack edges crossing that line, in x order, open and close the holes' intervals
    (rings never cross, so the intervals nest: a crossing of the hole on top of the stack
    closes it, any other opens one), and the first pixel's centre (x + 0.5, never on a crack
    line) lies in the hole on top of the stack when it is reached."""
    holes = [(i, j, np.asarray(h)) for i, p in enumerate(polys) for j, h in enumerate(p.holes)]
    if not holes:
        return [Polygon(p.outer, p.holes, None, None, p.area, p.label) for p in polys]
    firsts = np.array([_first_corner(np.asarray(p.outer)) for p in polys], np.float64)
    q_rows = firsts[:, 1].astype(np.int64)
    wanted = np.unique(q_rows)
    xs: list[NDArray[np.int64]] = []
    rows: list[NDArray[np.int64]] = []
    hid: list[NDArray[np.int64]] = []
    for k, (_, _, ring) in enumerate(holes):
        a = ring.astype(np.int64)
        b = np.roll(a, -1, axis=0)
        vert = (a[:, 0] == b[:, 0]) & (a[:, 1] != b[:, 1])
        x, lo, hi = a[vert, 0], np.minimum(a[vert, 1], b[vert, 1]), np.maximum(a[vert, 1], b[vert, 1])
        n = hi - lo
        r = np.repeat(lo, n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
        keep = np.isin(r, wanted)
        xs.append(np.repeat(x, n)[keep])
        rows.append(r[keep])
        hid.append(np.full(int(keep.sum()), k, np.int64))
    # events: crossings (kind 0, at integer x) and queries (kind 1, at x + 0.5), by row then x
    ev_row = np.concatenate(rows + [q_rows])
    ev_x2 = np.concatenate([2 * x for x in xs] + [2 * firsts[:, 0].astype(np.int64) + 1])
    ev_id = np.concatenate(hid + [np.arange(len(polys), dtype=np.int64)])
    n_cross = ev_row.size - len(polys)
    order = np.lexsort((ev_x2, ev_row))
    parent_of: list[Optional[int]] = [None] * len(polys)
    stack: list[int] = []
    row: Optional[int] = None
    for e, r, ident in zip(order.tolist(), ev_row[order].tolist(), ev_id[order].tolist()):
        if r != row:
            stack, row = [], r
        if e >= n_cross:  # a polygon's first pixel
            parent_of[ident] = stack[-1] if stack else None
        elif stack and stack[-1] == ident:
            stack.pop()
        else:
            stack.append(ident)
    out: list[Polygon] = []
    for p, k in zip(polys, parent_of):
        par, ph = (None, None) if k is None else (holes[k][0], holes[k][1])
        out.append(Polygon(p.outer, p.holes, par, ph, p.area, p.label))
    return out


def find_polygons(image: Union[da.Array, ArrayLike], *, connectivity: int = 8, exact: bool = True,
                  scheduler: Any = None) -> Union[list[Polygon], dict[int, list[Polygon]]]:
    """Exact polygons (with holes) of a chunked binary mask or label map, with the
    rings of components that cross block seams merged.

    Parameters
    ----------
    image : dask array (H, W)
        Bool (or uint8 0/1) mask: the components of the mask. Other integers: a label
        map, traced label by label as ``maskcore.find_polygons_labels`` does (0 is
        background).
    connectivity : {8, 4}
        As ``maskcore.find_polygons``: the foreground's connectivity (the background
        and the holes use the other one).
    exact : True
        Crack rings on pixel corners, which rasterize back to the mask exactly with the
        pixel-centre even-odd rule. Only exact rings can be merged across seams;
        False raises ValueError.
    scheduler : optional
        Passed to ``dask.compute``.

    Returns
    -------
    list of Polygon (mask) or dict label -> list of Polygon (label map)
        One Polygon per connected component, in raster order of its first pixel (the
        order of ``maskcore.find_polygons``): ``outer`` counter-clockwise (positive
        shoelace area), ``holes`` clockwise in raster order of their first corner,
        ``area`` the pixel count, ``label`` 1 or the label value. The rings are the
        same point sets as the whole-array tracer's (a merged ring may start at
        another vertex: this one starts at its top-left corner); ``parent`` and
        ``parent_hole`` as ``maskcore.find_polygons`` gives them (the index, in the same
        list, of the polygon in one of whose holes this one lies, and which hole; None
        in the unbounded background), found by one sweep along the rows where
        components start (:func:`_nest`).

    Notes
    -----
    Components inside one block are traced there and kept as they are. A component
    whose pixels lie in several blocks is traced piecewise in each and its pieces'
    rings are joined: seam edges shared by two of its pixels cancel, and the rest is
    chained into rings (numpy, vectorized; memory about 100 bytes per boundary edge
    of the crossing components, gathered where this function is called).
    """
    if exact is not True:
        raise ValueError(f"exact: only exact=True rings can be merged across chunks, got {exact!r}")
    img = _as_dask(image, "image")
    if img.ndim != 2:
        raise ValueError(f"image: expected a 2D array, got {img.ndim}D with shape {img.shape}")
    _check_image(img, "image", (2,))
    conn = _v.connectivity(connectivity, 2, default="full")
    is_mask = img.dtype == np.bool_
    if img.dtype == np.uint8 and not is_mask:
        top = int(img.max().compute(scheduler=scheduler) if scheduler else img.max().compute()) if img.size else 0
        if top <= 1:
            is_mask = True
    if img.size == 0:
        return [] if is_mask else {}
    info = _label(img, conn, 0, None, scheduler)
    labels, n = info["result"]
    values = info["values"]
    lab = _no_empty_chunks(labels)
    starts = _offsets(lab.chunks)
    idx = _block_indices(lab.numblocks)
    blocks = lab.to_delayed(optimize_graph=True)
    tasks = [delayed(_trace_block, pure=True)(blocks[b], (int(starts[0][b[0]]), int(starts[1][b[1]])), conn)
             for b in idx]
    parts = compute(*tasks, scheduler=scheduler) if scheduler is not None else compute(*tasks)
    pieces: dict[int, list[Polygon]] = {}
    for part in parts:
        for gid, polys in part.items():
            pieces.setdefault(gid, []).extend(polys)
    seam_x = starts[1][1:].astype(np.int64)
    seam_y = starts[0][1:].astype(np.int64)
    result: list[Polygon] = []
    for gid in range(1, n + 1):
        ps = pieces[gid]
        value = 1 if values is None else values[gid - 1].item()
        if len(ps) == 1:
            p = ps[0]
            result.append(Polygon(p.outer, p.holes, None, None, p.area, value))
            continue
        outer, holes = _stitch(ps, seam_x, seam_y, conn)
        if len(outer) != 1:  # pragma: no cover - the boundary of one component has one outer ring
            raise RuntimeError(f"maskcore.dask.find_polygons: component {gid} gave {len(outer)} outer rings")
        result.append(Polygon(outer[0], holes, None, None, sum(p.area for p in ps), value))
    if is_mask:
        return _nest(result)
    out: dict[int, list[Polygon]] = {}
    for p in result:
        out.setdefault(p.label, []).append(p)
    return {k: _nest(out[k]) for k in sorted(out)}


# ---------------------------------------------------------------------------------
# QA


def _block_hist(block: Any) -> tuple[NDArray[Any], NDArray[np.intp]]:
    vals, counts = np.unique(np.asarray(block), return_counts=True)
    return vals, counts


def _block_boxes(block: Any, start: tuple[int, int], values: Sequence[int]) -> list[tuple[int, ...]]:
    """For each of `values` present in the block: (value, min_row, min_col, max_row, max_col)."""
    block = np.asarray(block)
    out: list[tuple[int, ...]] = []
    for v in values:
        rows = np.flatnonzero((block == v).any(axis=1))
        if rows.size:
            cols = np.flatnonzero((block == v).any(axis=0))
            out.append((v, start[0] + int(rows[0]), start[1] + int(cols[0]), start[0] + int(rows[-1]) + 1,
                        start[1] + int(cols[-1]) + 1))
    return out


def _compute(tasks: Sequence[Delayed], scheduler: Any) -> tuple[Any, ...]:
    done: tuple[Any, ...] = compute(*tasks, scheduler=scheduler) if scheduler is not None else compute(*tasks)
    return done


def _components_of(img: da.Array, conn: int, background: int,
                   scheduler: Any) -> tuple[int, NDArray[Any], NDArray[np.void]]:
    """(n, value per component, stats) of a chunked label map, components of each value."""
    info = _label(img, conn, background, False if img.dtype != np.bool_ else None, scheduler)
    labels, n = info["result"]
    stats = component_stats(labels, n, scheduler=scheduler)
    values = info["values"] if info["values"] is not None else np.ones(n, np.int64)
    return n, values, stats


def validate(mask: Union[da.Array, ArrayLike], *, labels: Optional[Iterable[int]] = None,
             instances: Union[da.Array, ArrayLike, None] = None, min_size: int = 0,
             connectivity: int = 8, background: int = 0, scheduler: Any = None) -> Report:
    """The per-map checks of ``maskcore.validate`` over a chunked label map.

    Parameters
    ----------
    mask : dask array (H, W) of integers or bool
        A label map (RGB masks: use ``maskcore.validate`` on tiles).
    labels : iterable of int, optional
        Allowed values (``background`` included if it is allowed). Every other value is
        an ``unknown_label`` problem (count and bounding box per value, the 32 most
        frequent; the telling apart of anti-aliased edges, which needs a pixel
        neighbourhood, is left to ``maskcore.validate``).
    instances : dask array (H, W) of integers, optional
        An instance id map (0 = none): ids made of more than one connected component
        are ``split_instance`` problems (with ``min_size``, their pieces and whole
        instances under it are ``small_component``).
    min_size : int, default 0
        Components of each allowed class with fewer pixels are ``small_component``
        (tiny islands). 0 disables it.
    connectivity : {4, 8}, default 8
    background : int, default 0
        The value that is not a class (skipped by the component checks).
    scheduler : optional
        Passed to ``dask.compute``.

    Returns
    -------
    Report
        As ``maskcore.validate``: ``problems`` (kinds ``unknown_label``, ``empty``,
        ``small_component``, ``split_instance``; boxes ``(min_row, min_col,
        max_row_excl, max_col_excl)``) and the value ``histogram``, computed block by
        block (per-block histograms, labels and statistics reduced across blocks).
    """
    conn = _v.connectivity(connectivity, 2)
    min_size = _v.integer(min_size, "min_size")
    a = _as_dask(mask, "mask")
    if a.ndim != 2:
        raise ValueError(f"mask: expected an (H, W) label map, got shape {a.shape}")
    _check_image(a, "mask", (2,))
    if a.dtype == np.bool_:
        a = a.astype(np.uint8)
    a = _no_empty_chunks(a)
    starts = _offsets(a.chunks)
    idx = _block_indices(a.numblocks)
    blocks = a.to_delayed(optimize_graph=True)
    parts = _compute([delayed(_block_hist, pure=True)(blocks[b]) for b in idx], scheduler)
    hist: dict[int, int] = {}
    for vals, counts in parts:
        for v, c in zip(vals.tolist(), counts.tolist()):
            hist[v] = hist.get(v, 0) + c
    histogram = {int(v): int(hist[v]) for v in sorted(hist)}
    problems: list[Problem] = []
    allowed = None
    if labels is not None:
        allowed = set(np.unique(np.asarray(list(labels), np.int64)).tolist())
        unknown = sorted((v for v in histogram if v not in allowed), key=lambda v: -histogram[v])
        if unknown:
            shown = unknown[:32]
            boxes = _compute([delayed(_block_boxes, pure=True)(
                blocks[b], (int(starts[0][b[0]]), int(starts[1][b[1]])), shown) for b in idx], scheduler)
            box: dict[int, tuple[int, int, int, int]] = {}
            for part in boxes:
                for v, r0, c0, r1, c1 in part:
                    o = box.get(v)
                    box[v] = (r0, c0, r1, c1) if o is None else (min(o[0], r0), min(o[1], c0), max(o[2], r1),
                                                                   max(o[3], c1))
            for v in shown:
                problems.append(Problem("unknown_label", f"value {v} is not allowed ({histogram[v]} pixels)",
                                        bbox=tuple(int(x) for x in box[v]), count=histogram[v], value=v))
            if len(unknown) > 32:
                problems.append(Problem("unknown_label", f"... and {len(unknown) - 32} more values not allowed",
                                        count=int(sum(histogram[v] for v in unknown[32:]))))
    if a.size == 0 or all(v == background for v in histogram):
        problems.append(Problem("empty", "the mask has no foreground (only background)", count=0))
    if min_size > 0 and a.size:
        n, values, stats = _components_of(a, conn, background, scheduler)
        for v, s, b in zip(values.tolist(), stats["area"].tolist(), stats["bbox"].tolist()):
            if s < min_size and (allowed is None or v in allowed):
                problems.append(Problem("small_component", f"a component of class {v} has {s} pixels "
                                        f"(< min_size = {min_size})", bbox=tuple(b), count=s, value=v))
    if instances is not None:
        inst = _as_dask(instances, "instances")
        if inst.shape != a.shape:
            raise ValueError(f"instances: id map shape {inst.shape} differs from mask shape {a.shape}")
        _check_image(inst, "instances", (2,))
        if inst.size:
            n, values, stats = _components_of(inst, conn, 0, scheduler)
            order = np.argsort(values, kind="stable")
            vals = values[order]
            cut = np.flatnonzero(np.r_[True, vals[1:] != vals[:-1]]) if n else np.zeros(0, np.int64)
            for s, e in zip(cut.tolist(), np.r_[cut[1:], n].tolist()):
                iid = int(vals[s])
                rows = order[s:e]
                sizes = stats["area"][rows]
                bb = stats["bbox"][rows]
                if e - s > 1:
                    whole = (int(bb[:, 0].min()), int(bb[:, 1].min()), int(bb[:, 2].max()), int(bb[:, 3].max()))
                    problems.append(Problem("split_instance", f"instance {iid} has {e - s} connected components "
                                            f"(sizes {sorted(sizes.tolist(), reverse=True)[:8]})", bbox=whole,
                                            count=e - s, instance=iid))
                    if min_size > 0:
                        for sz, b in zip(sizes.tolist(), bb.tolist()):
                            if sz < min_size:
                                problems.append(Problem("small_component", f"a component of instance {iid} has "
                                                        f"{sz} pixels (< min_size = {min_size})", bbox=tuple(b),
                                                        count=sz, instance=iid))
                elif min_size > 0 and int(sizes[0]) < min_size:
                    problems.append(Problem("small_component", f"instance {iid} has {int(sizes[0])} pixels "
                                            f"(< min_size = {min_size})", bbox=tuple(bb[0].tolist()),
                                            count=int(sizes[0]), instance=iid))
    return Report(shape=tuple(int(s) for s in a.shape), problems=problems, histogram=histogram)
