"""Connected components of 2D images and 3D volumes, their statistics, and the
instance tools built on them.

:func:`label` numbers the connected components of an image 1..n in raster (C)
order of each component's first pixel, background 0: the numbering of
``skimage.measure.label`` and ``scipy.ndimage.label``, whatever the thread count.
Bool images are binary (touching foreground pixels join); integer images are
multi-label (touching pixels join when their values are equal), so a semantic map
splits into instances of every class in one call. Connectivity counts neighbours:
4 or 8 in 2D (H, W), 6, 18 or 26 in 3D (Z, Y, X); the default is the full
neighbourhood (8 / 26), as in scikit-image.

:func:`component_stats` gives per label the area, the bounding box
``(min_row, min_col, max_row_exclusive, max_col_exclusive)`` (in 3D the Z axis
first: ``(min_z, min_row, min_col, max_z, max_row, max_col)``, maxima exclusive)
and the centroid (float64, in axis order); ``label(..., return_stats=True)``
gives the same from the labeling pass, with the source value of each component.

Instance tools: :func:`split_instances`, :func:`remove_small`,
:func:`largest_components`, :func:`fill_holes`, :func:`disconnected_instances`.
They treat 0 as background.

The kernel is a run-based two-scan labeling with union-find over runs (He, Chao &
Suzuki 2008), SIMD run finding and painting, strips over threads (see
``csrc/ccl/ccl.hpp``). The GIL is released while it runs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Literal, overload

import numpy as np

from . import _core
from . import _validate as _v

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from ._typing import ArrayLike, NDArray

__all__ = ["label", "component_stats", "split_instances", "remove_small", "largest_components", "fill_holes",
           "disconnected_instances"]

_U32_MAX = 2**32 - 1


def _stats_array(records: np.ndarray, ndim: int, value_dtype: DTypeLike | None = None) -> NDArray[np.void]:
    """The kernel's packed statistics records (flat uint8) viewed as the structured
    array, without a copy (layout in csrc/ccl/ccl.hpp, ``Stats``)."""
    fields: list[tuple[Any, ...]] = [("area", np.int64), ("bbox", np.int64, (2 * ndim,)), ("centroid", np.float64, (ndim,))]
    if value_dtype is not None:
        fields.append(("value", value_dtype))
    return records.view(np.dtype(fields))


@overload
def label(image: ArrayLike, *, connectivity: int | None = None, background: int = 0, binary: bool = False,
          out_dtype: DTypeLike | None = None, return_stats: Literal[False] = False,
          threads: int | None = None) -> tuple[NDArray[Any], int]: ...
@overload
def label(image: ArrayLike, *, connectivity: int | None = None, background: int = 0, binary: bool = False,
          out_dtype: DTypeLike | None = None, return_stats: Literal[True],
          threads: int | None = None) -> tuple[NDArray[Any], int, NDArray[np.void]]: ...
@overload
def label(image: ArrayLike, *, connectivity: int | None = None, background: int = 0, binary: bool = False,
          out_dtype: DTypeLike | None = None, return_stats: bool,
          threads: int | None = None) -> tuple[NDArray[Any], int] | tuple[NDArray[Any], int, NDArray[np.void]]: ...
def label(image: ArrayLike, *, connectivity: int | None = None, background: int = 0, binary: bool = False,
          out_dtype: DTypeLike | None = None, return_stats: bool = False,
          threads: int | None = None) -> tuple[NDArray[Any], int] | tuple[NDArray[Any], int, NDArray[np.void]]:
    """Label the connected components of a 2D image or a 3D volume.

    Parameters
    ----------
    image : (H, W) or (Z, Y, X) array of bool or integers, any memory layout
        Bool: binary (True is foreground). Integers: multi-label, touching pixels
        join when their values are equal; pixels equal to ``background`` are 0 in the
        output. Never copied (except to fix a non-native byte order, and a
        Fortran-ordered image with ``return_stats=True``, copied into C order in
        blocks: without statistics it is labeled in its own order and the labels are
        renumbered and written transposed).
    connectivity : int, optional
        Neighbours that touch: 4 or 8 in 2D, 6, 18 or 26 in 3D. scikit-image's
        1..ndim is accepted too (1 -> 4 / 6, 2 -> 8 / 18, 3 -> 26). Default: the full
        neighbourhood, 8 in 2D and 26 in 3D (scikit-image's default).
    background : int, default 0
        The value that is not part of any component. Must be representable in the
        image's dtype (for bool images, 0/False or 1/True).
    binary : bool, default False
        For integer images: every value other than ``background`` is one foreground
        class (bool images are always binary).
    out_dtype : numpy integer dtype, optional
        Output dtype. Default uint32, or uint64 when the image has 2**32 pixels or
        more (only then can n exceed uint32). Any integer dtype may be asked for; an
        OverflowError is raised when n does not fit it (labels never wrap).
    return_stats : bool, default False
        Also return the per-component statistics (as :func:`component_stats`, plus a
        ``value`` field with each component's source value for integer images that are
        not labeled ``binary``), computed from the labeling pass.
    threads : int, optional
        Threads to use (default: every usable core). The result never depends on it.

    Returns
    -------
    labels : ndarray of out_dtype, the image's shape, C-ordered
        0 for background, 1..n numbered in raster (C) order of each component's first
        pixel: identical to ``skimage.measure.label`` and ``scipy.ndimage.label``.
    n : int
        The number of components.
    stats : structured ndarray, only with ``return_stats=True``
        One row per label 1..n; see :func:`component_stats`.

    Raises
    ------
    TypeError
        For float, complex or object images (threshold or cast them first), or a
        non-integer ``out_dtype``.
    ValueError
        For an image that is not 2D or 3D, an unsupported connectivity, a
        ``background`` outside the dtype's range.
    OverflowError
        When n does not fit ``out_dtype``.

    Notes
    -----
    Empty images (a zero-length axis) give an empty label image and n = 0.
    OpenCV and cc3d number 8-connected 2D components in another order; maskcore
    keeps the raster-order contract with every algorithm and thread count.

    Memory: besides the output, labeling needs scratch of about 16 bytes per run of
    equal pixels (a 2048 x 2048 noise image: ~40 MB). Each calling thread keeps its
    scratch for the next call, so repeated calls do not page-fault fresh memory, unless
    it grew past 256 MB, in which case it is released after the call.

    Examples
    --------
    >>> import numpy as np, maskcore
    >>> m = np.array([[1, 0, 1],
    ...               [0, 1, 0]], bool)
    >>> maskcore.label(m, connectivity=4)[1], maskcore.label(m)[1]
    (3, 1)
    >>> labels, n = maskcore.label(np.array([[1, 1, 2], [0, 2, 2]]))
    >>> labels.tolist(), n
    ([[1, 1, 2], [0, 2, 2]], 2)
    """
    view, src_dtype = _v.label_image(image)
    is_bool = src_dtype == np.bool_
    ndim = view.ndim
    conn = _v.connectivity(connectivity, ndim)
    nthreads = _v.threads(threads)
    bg = _background(background, src_dtype)
    want = None if out_dtype is None else _out_dtype(out_dtype)
    wide = view.size > _U32_MAX or (want is not None and want.itemsize == 8)
    labels, n, st = _core.ccl_label(view, conn, bool(binary or is_bool), bg, nthreads, bool(return_stats), wide)
    if want is not None and want != labels.dtype:
        hi = np.iinfo(want).max
        if n > hi:
            raise OverflowError(f"out_dtype: {n} components do not fit {want} (max {hi})")
        labels = labels.view(want) if want.itemsize == labels.dtype.itemsize else labels.astype(want)
    if not return_stats:
        return labels, n
    multi = not (binary or is_bool)
    stats = _stats_array(st, ndim, src_dtype if multi else None)
    return labels, n, stats


def _background(background: object, dtype: np.dtype[Any]) -> int:
    """background as the unsigned bit pattern of ``dtype``."""
    if isinstance(background, (bool, np.bool_)):
        background = int(background)
    b = _v.integer(background, "background")
    info = np.iinfo(np.uint8) if dtype == np.bool_ else np.iinfo(dtype)
    lo, hi = (0, 1) if dtype == np.bool_ else (info.min, info.max)
    if not lo <= b <= hi:
        raise ValueError(f"background: {b} is outside the range of the image's dtype {dtype} [{lo}, {hi}]")
    return b % (1 << (8 * max(dtype.itemsize, 1)))


def _out_dtype(out_dtype: Any) -> np.dtype[Any]:
    try:
        dt: np.dtype[Any] = np.dtype(out_dtype)
    except TypeError:
        raise TypeError(f"out_dtype: expected a numpy integer dtype, got {out_dtype!r}") from None
    if dt.kind not in "iu":
        raise TypeError(f"out_dtype: expected an integer dtype, got {dt}")
    return dt.newbyteorder("=") if not dt.isnative else dt


def component_stats(labels: ArrayLike, n: int | None = None) -> NDArray[np.void]:
    """Area, bounding box and centroid of every label 1..n of a label image.

    Parameters
    ----------
    labels : (H, W) or (Z, Y, X) array of non-negative integers, any layout
        A label image, e.g. from :func:`label`; 0 is background. Pixels of one label
        need not be connected.
    n : int, optional
        Report labels 1..n (default: ``labels.max()``). A label above n is an error.

    Returns
    -------
    stats : structured ndarray of n rows (row i is label i + 1) with fields
        ``area`` (int64): the pixel (voxel) count;
        ``bbox`` (int64, 4 or 6): ``(min_row, min_col, max_row, max_col)`` in 2D,
        ``(min_z, min_row, min_col, max_z, max_row, max_col)`` in 3D, maxima
        exclusive (as ``regionprops``' ``bbox``);
        ``centroid`` (float64, 2 or 3): the mean coordinate in axis order.
        A label with no pixel has area 0, bbox zeros and centroid NaN.

    Raises
    ------
    TypeError
        For non-integer labels.
    ValueError
        For negative labels, labels above ``n``, or an image that is not 2D or 3D.

    Examples
    --------
    >>> import numpy as np, maskcore
    >>> s = maskcore.component_stats(np.array([[1, 1, 0], [0, 2, 2]]))
    >>> s["area"].tolist(), s["bbox"].tolist(), s["centroid"].tolist()
    ([2, 2], [[0, 0, 1, 2], [1, 1, 2, 3]], [[0.0, 0.5], [1.0, 1.5]])
    """
    view, dtype = _v.label_image(labels, "labels")
    if dtype.kind == "i" and view.size:
        low = view.view(dtype).min()
        if low < 0:
            raise ValueError(f"labels: expected non-negative labels, got {low}")
    if n is None:
        n = int(view.max()) if view.size else 0
        if n > _v.INT64_MAX:
            pos = _v.position(int(np.argmax(view)), view.shape)
            raise ValueError(f"labels: value {n} at {pos} is too large (labels are 1 .. n, n < 2**63)")
    else:
        n = _v.integer(n, "n")
        if not 0 <= n <= _v.INT64_MAX:
            raise ValueError(f"n: expected 0 .. 2**63 - 1, got {n}")
    return _stats_array(_core.ccl_stats(view, n), view.ndim)


def split_instances(semantic: ArrayLike, classes: Iterable[int] | NDArray[Any] | None = None, *, connectivity: int | None = None,
                    start_id: int = 1, threads: int | None = None) -> tuple[NDArray[Any], dict[int, int]]:
    """Split a semantic map into instances: one id per connected piece of each class.

    Parameters
    ----------
    semantic : (H, W) or (Z, Y, X) integer array, any layout
        Class values; 0 is background (never an instance).
    classes : iterable of int, optional
        The classes to split (default: every nonzero value). Pixels of other classes
        are 0 in the instance map.
    connectivity : int, optional
        As in :func:`label` (default 8 in 2D, 26 in 3D).
    start_id : int, default 1
        The first instance id (>= 1). Ids are consecutive from it, in raster order of
        each instance's first pixel, across all classes.
    threads : int, optional
        As in :func:`label`.

    Returns
    -------
    instances : ndarray, the input's shape, C-ordered
        uint32 (uint64 when the last id needs it); 0 where there is no instance.
    table : dict
        Instance id -> class value.

    Examples
    --------
    >>> import numpy as np, maskcore
    >>> leaf = np.zeros((5, 5), np.uint8)
    >>> leaf[0, 2] = 1; leaf[1, 1:4] = 1; leaf[3:5, 1] = 1
    >>> inst, table = maskcore.split_instances(leaf, connectivity=4, start_id=11)
    >>> table
    {11: 1, 12: 1}
    >>> np.argwhere(inst == 12).tolist()
    [[3, 1], [4, 1]]
    """
    if isinstance(semantic, np.ndarray) and semantic.dtype.kind == "b":
        raise TypeError("semantic: expected an integer class map, got dtype bool (use maskcore.label for masks)")
    start = _v.integer(start_id, "start_id")
    if start < 1:
        raise ValueError(f"start_id: expected >= 1 (0 is background), got {start}")
    labels, n, stats = label(semantic, connectivity=connectivity, return_stats=True, threads=threads)
    values = stats["value"]
    if classes is None:
        keep = np.ones(n, bool)
    else:
        wanted = np.asarray(list(classes) if not isinstance(classes, np.ndarray) else classes)
        if wanted.size and wanted.dtype.kind not in "iu":
            raise TypeError(f"classes: expected integers, got dtype {wanted.dtype}")
        keep = np.isin(values, wanted)
    m = int(keep.sum())
    last = start + m - 1
    dtype = np.uint32 if last <= _U32_MAX else np.uint64
    ids = np.arange(start, start + m, dtype=np.uint64).astype(dtype)
    if classes is None and start == 1 and labels.dtype == dtype:
        out = labels
    else:
        lut = np.zeros(n + 1, dtype)
        lut[1:][keep] = ids
        out = lut[labels]
    table = dict(zip(ids.tolist(), values[keep].tolist()))
    return out, table


def _keep(source: np.ndarray, labels: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """source where the component is kept, else 0 (False); bool in, bool out."""
    lut = np.zeros(keep.shape[0] + 1, bool)
    lut[1:] = keep
    kept: NDArray[np.bool_] = lut[labels]
    if source.dtype == np.bool_:
        return kept
    out = np.zeros(source.shape, source.dtype)
    np.copyto(out, source, where=kept)
    return out


def remove_small(mask_or_labels: ArrayLike, min_size: int, *, connectivity: int | None = None,
                 threads: int | None = None) -> NDArray[Any]:
    """Remove connected components smaller than ``min_size`` pixels (dust, tiny islands).

    Parameters
    ----------
    mask_or_labels : (H, W) or (Z, Y, X) bool or integer array
        A bool mask, or a label map whose components are the connected pieces of each
        nonzero value (as :func:`label` splits them).
    min_size : int
        Components with fewer pixels are removed; those with ``min_size`` or more stay
        (``skimage.morphology.remove_small_objects`` keeps the same ones).
    connectivity : int, optional
        As in :func:`label` (default 8 in 2D, 26 in 3D).
    threads : int, optional
        As in :func:`label`.

    Returns
    -------
    ndarray, the input's shape and dtype, C-ordered
        A new array: removed pixels are False / 0, the rest as in the input.
    """
    size = _v.integer(min_size, "min_size")
    if size < 0:
        raise ValueError(f"min_size: expected >= 0, got {size}")
    src = np.asarray(mask_or_labels)
    labels, n, stats = label(src, connectivity=connectivity, return_stats=True, threads=threads)
    return _keep(src, labels, stats["area"] >= size)


def largest_components(mask_or_labels: ArrayLike, k: int = 1, *, connectivity: int | None = None,
                       threads: int | None = None) -> NDArray[Any]:
    """Keep the ``k`` largest connected components (of each value, for a label map).

    Parameters
    ----------
    mask_or_labels : (H, W) or (Z, Y, X) bool or integer array
        A bool mask (the k largest blobs stay), or a label map (for every nonzero
        value, the k largest of its connected pieces stay).
    k : int, default 1
        How many to keep (>= 0). Ties in area go to the component whose first pixel
        comes first in raster order.
    connectivity : int, optional
        As in :func:`label` (default 8 in 2D, 26 in 3D).
    threads : int, optional
        As in :func:`label`.

    Returns
    -------
    ndarray, the input's shape and dtype, C-ordered
        A new array with the other components set to False / 0.
    """
    keep_k = _v.integer(k, "k")
    if keep_k < 0:
        raise ValueError(f"k: expected >= 0, got {keep_k}")
    src = np.asarray(mask_or_labels)
    labels, n, stats = label(src, connectivity=connectivity, return_stats=True, threads=threads)
    group = stats["value"] if "value" in (stats.dtype.names or ()) else np.zeros(n, np.int64)
    order = np.lexsort((np.arange(n), -stats["area"], group))  # by group, area descending, then raster order
    sorted_group = group[order]
    first = np.r_[True, sorted_group[1:] != sorted_group[:-1]] if n else np.zeros(0, bool)
    starts = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else np.zeros(0, np.int64)
    rank = np.arange(n) - starts
    keep = np.zeros(n, bool)
    keep[order] = rank < keep_k
    return _keep(src, labels, keep)


def fill_holes(mask: ArrayLike, *, connectivity: int | None = None, threads: int | None = None) -> NDArray[Any]:
    """Fill the holes of a mask: background regions not connected to the image border.

    Parameters
    ----------
    mask : (H, W) or (Z, Y, X) bool array (or integers, nonzero is foreground)
    connectivity : int, optional
        The connectivity of the *background*: two background pixels are in the same
        region when they touch this way. Default: the face neighbours only, 4 in 2D
        and 6 in 3D, which is ``scipy.ndimage.binary_fill_holes``' default; 8 (26)
        equals it with a full structuring element.
    threads : int, optional
        As in :func:`label`.

    Returns
    -------
    bool ndarray, the mask's shape, C-ordered
    """
    view, dtype = _v.label_image(mask, "mask")
    conn = _v.connectivity(connectivity, view.ndim, default="minimal")
    fg = view if dtype == np.bool_ else (view != 0).view(np.uint8)
    # The background's components: label with the foreground (1) as background.
    labels, n, stats = label(fg.view(np.bool_), connectivity=conn, background=True, return_stats=True,
                             threads=threads)
    bbox = stats["bbox"]
    nd = view.ndim
    shape = np.array(view.shape)
    touches = (bbox[:, :nd] == 0).any(axis=1) | (bbox[:, nd:] == shape).any(axis=1)
    lut = np.zeros(n + 1, bool)
    lut[1:] = ~touches
    out: NDArray[np.bool_] = lut[labels]
    out |= fg.view(np.bool_)
    return out


def disconnected_instances(instance_map: ArrayLike, *, connectivity: int | None = None,
                           threads: int | None = None) -> dict[int, int]:
    """The instance ids whose pixels form more than one connected component.

    The QA check "one instance, one blob": an annotation tool or a merge can leave
    one id on several separate pieces.

    Parameters
    ----------
    instance_map : (H, W) or (Z, Y, X) integer array
        Instance ids; 0 is background.
    connectivity : int, optional
        As in :func:`label` (default 8 in 2D, 26 in 3D).
    threads : int, optional
        As in :func:`label`.

    Returns
    -------
    dict
        id -> number of components, for every id with two or more, in increasing id
        order. Empty when every instance is one piece.

    Examples
    --------
    >>> import numpy as np, maskcore
    >>> m = np.array([[5, 0, 5], [0, 0, 0], [7, 7, 0]])
    >>> maskcore.disconnected_instances(m)
    {5: 2}
    """
    if isinstance(instance_map, np.ndarray) and instance_map.dtype.kind == "b":
        raise TypeError("instance_map: expected integer ids, got dtype bool")
    _, n, stats = label(instance_map, connectivity=connectivity, return_stats=True, threads=threads)
    ids, counts = np.unique(stats["value"], return_counts=True)
    many = counts > 1
    return dict(zip(ids[many].tolist(), counts[many].tolist()))
