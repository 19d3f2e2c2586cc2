"""SLIC superpixels and the glue an annotation editor needs.

:func:`slic` cuts an image into compact, color-homogeneous segments (Achanta et al.,
TPAMI 2012; SLICO with ``compactness="auto"``). :class:`Superpixels` keeps the
converted image so that a segment-size slider re-runs only the clustering.
:func:`select_superpixels` turns clicks into a mask, :func:`paint_superpixels` writes
a class into a label map under the layer-lock rule shared with polygon painting.

Labels are int32, 0..K-1, numbered in raster order of each segment's first pixel;
pixels outside ``mask=`` are -1. Results are identical for every instruction set and
thread count: the color conversion is fixed point, the clustering decides with an
exact integer color distance and float32 operations in a fixed order per pixel, and
sums in exact integers.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from . import _core
from . import _validate as _v
from .raster import paint_mask

if TYPE_CHECKING:
    from ._typing import ArrayLike, LabelMap, NDArray

__all__ = ["slic", "Superpixels", "select_superpixels", "paint_superpixels"]

_QMAX = 16383  # quantized |feature| bound (int16 with headroom)
_QMAX_EXP = math.frexp(_QMAX)[1]  # 2**(_QMAX_EXP - 1) <= _QMAX < 2**_QMAX_EXP
_KMAX = 50  # the feature scale the kernel sees is at most 2**50 (see _features)
_DEFAULT_SEGMENTS = 100


def _features(image: np.ndarray, threads: int) -> tuple[np.ndarray, float]:
    """Planar int16 features (C, H, W) and their scale q (feature = round(value * q))."""
    img = image if image.ndim == 3 else image[:, :, None]
    if img.shape[2] == 0:
        raise ValueError(f"image: expected at least one channel, got shape {image.shape}")
    feats = _core.pooled_empty(np.int16, (img.shape[2],) + img.shape[:2])  # np.empty (large: pooled memory)
    if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3:
        return _core.slic_lab(image, threads, feats), float(_core.slic_lab_scale)
    if img.dtype.kind == "b":
        img = img.view(np.uint8)
    if img.dtype.kind == "f":
        finite = np.isfinite(img)
        if not finite.all():
            i = np.argwhere(~finite)[0]
            raise ValueError(f"image: expected finite values, got {img[tuple(i)]!r} at {tuple(int(v) for v in i)}")
    top = float(np.max(np.abs(img.astype(np.float64)))) if img.dtype.kind == "f" or img.dtype.itemsize > 1 \
        else float(img.max())
    # feature = round(value * 2**k), the largest k with top * 2**k <= _QMAX. k comes
    # from the exponent (frexp), not from log2(_QMAX / top), which is infinite for
    # subnormal values (np.full(.., 1e-310) overflowed), and the values are scaled by
    # ldexp, exact for any k. The scale the kernel weighs compactness with is capped at
    # 2**_KMAX: beyond it the colour term is already below float32 resolution beside the
    # spatial one (compactness * scale / step is squared in float32), as it is for
    # values this small at any larger scale.
    if top > 0:
        k = _QMAX_EXP - math.frexp(top)[1]
        while math.ldexp(top, k) > _QMAX:
            k -= 1
        while math.ldexp(top, k + 1) <= _QMAX:
            k += 1
    else:
        k = 0
    for c in range(img.shape[2]):
        np.rint(np.ldexp(img[:, :, c].astype(np.float64, copy=False), k), out=feats[c], casting="unsafe")
    return feats, math.ldexp(1.0, min(k, _KMAX))


def _grid(h: int, w: int, region_size: int | None, n_segments: int | None) -> tuple[int, int]:
    """The seed grid (ny, nx) for a region size or a segment request."""
    if region_size is not None and n_segments is not None:
        raise TypeError("slic: give region_size= or n_segments=, not both")
    if region_size is not None:
        s = _v.finite_real(region_size, "region_size", low=1)
        ny = min(h, max(1, math.floor(h / s + 0.5)))
        nx = min(w, max(1, math.floor(w / s + 0.5)))
    else:
        n = _DEFAULT_SEGMENTS if n_segments is None else _v.integer(n_segments, "n_segments")
        if n < 1:
            raise ValueError(f"n_segments: expected an int >= 1, got {n}")
        n = min(n, h * w)
        s = math.sqrt(h * w / n)
        ny = min(h, max(1, math.floor(h / s + 0.5)))
        nx = min(w, max(1, math.floor(n / ny + 0.5)))
    if ny * nx > 2**31 - 1:
        raise OverflowError(f"{'region_size' if region_size is not None else 'n_segments'}: "
                            f"{ny} x {nx} seeds do not fit in int32 labels")
    return ny, nx


class Superpixels:
    """An image converted once for SLIC, clustered again at every :meth:`compute`.

    ``Superpixels(image)`` does the color conversion (CIELAB for RGB uint8) and keeps
    it; :meth:`compute` runs :func:`slic` on it with new options (the segment-size
    slider), so moving the slider skips the conversion and reuses the clustering's
    work buffers (grown as needed, freed with the object).

    Parameters
    ----------
    image : ndarray
        As for :func:`slic`.
    mask : ndarray of bool or uint8, optional
        As for :func:`slic`; kept for every :meth:`compute`.
    threads : int, optional
        Threads for the conversion (None: every usable core).

    Attributes
    ----------
    labels : ndarray of int32 or None
        The labels of the last :meth:`compute` (None before). A compute writes its
        result into the previous labels array when nothing else references it
        (neither the array returned earlier nor a view of it is alive), saving the
        allocation of a fresh (H, W) array; an array you keep is never changed.
    n_segments : int
        Their number of segments K (0 before the first compute).

    Examples
    --------
    >>> import numpy as np, maskcore
    >>> sp = maskcore.Superpixels(np.zeros((40, 60, 3), np.uint8))
    >>> labels = sp.compute(region_size=20)
    >>> labels.shape, labels.dtype, sp.n_segments == int(labels.max()) + 1
    ((40, 60), dtype('int32'), True)
    """

    def __init__(self, image: ArrayLike, *, mask: ArrayLike | None = None, threads: int | None = None) -> None:
        image = _v.image_array(image)
        nthreads = _v.threads(threads)
        self._image = image
        self._features, self._scale = _features(image, nthreads)
        self._mask = _mask(mask, image.shape[:2])
        self._workspace: _core.SlicWorkspace | None = _core.SlicWorkspace()  # the clustering's buffers, reused by every compute
        self.labels: NDArray[np.int32] | None = None
        self.n_segments = 0

    @property
    def shape(self) -> tuple[int, int]:
        return self._image.shape[:2]

    def compute(self, *, region_size: int | None = None, n_segments: int | None = None, compactness: float | str = 10.0,
                iterations: int = 10, enforce_connectivity: bool = True, min_size_factor: float = 0.25,
                threads: int | None = None) -> NDArray[np.int32]:
        """Cluster again with these options (see :func:`slic`); sets and returns :attr:`labels`."""
        h, w = self.shape
        ny, nx = _grid(h, w, region_size, n_segments)
        if isinstance(compactness, str):
            if compactness != "auto":
                raise ValueError(f"compactness: expected a number > 0 or 'auto', got {compactness!r}")
            m = 0.0
        else:
            m = _v.finite_real(compactness, "compactness", low=0, low_open=True)
        it = _v.integer(iterations, "iterations")
        if not 1 <= it <= 2**31 - 1:
            raise ValueError(f"iterations: expected an int in 1 .. 2**31 - 1, got {it}")
        msf = _v.finite_real(min_size_factor, "min_size_factor", low=0)
        step = max(h / ny, w / nx)
        area = h * w / (ny * nx)
        nthreads = _v.threads(threads)
        # A new labels array every run (large ones come from the pool of dropped outputs, so a
        # re-run reuses the memory of labels the caller let go of; csrc/bindings/pool.cpp).
        labels: NDArray[np.int32]
        labels, k = _core.slic_run(self._features, self._mask, ny, nx, step, m, self._scale, it,
                                   bool(enforce_connectivity), msf * area, nthreads, None, self._workspace)
        self.labels, self.n_segments = labels, int(k)
        return labels

    def boundaries(self) -> np.ndarray:
        """A bool (H, W) mask of the pixels with a 4-neighbour in another segment (both
        sides of every boundary, scikit-image's ``find_boundaries(mode="thick")``)."""
        lab = self._computed()
        out = np.zeros(lab.shape, bool)
        dx = lab[:, 1:] != lab[:, :-1]
        dy = lab[1:, :] != lab[:-1, :]
        out[:, 1:] |= dx
        out[:, :-1] |= dx
        out[1:, :] |= dy
        out[:-1, :] |= dy
        return out

    def mean_colors(self) -> np.ndarray:
        """The mean of the input image over each segment: float64 (K, C) (C = 1 for a
        2D image), in the image's own units (RGB for RGB input). Row k is segment k."""
        lab = self._computed()
        img = self._image if self._image.ndim == 3 else self._image[:, :, None]
        inside = lab >= 0
        idx = lab[inside]
        k = self.n_segments
        count = np.bincount(idx, minlength=k).astype(np.float64)
        out = np.empty((k, img.shape[2]), np.float64)
        for c in range(img.shape[2]):
            out[:, c] = np.bincount(idx, weights=img[:, :, c][inside].astype(np.float64), minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            return out / count[:, None]

    def _computed(self) -> np.ndarray:
        if self.labels is None:
            raise ValueError("Superpixels: call compute() first")
        return self.labels


def _mask(mask: ArrayLike | None, shape: tuple[int, ...]) -> NDArray[np.uint8] | None:
    if mask is None:
        return None
    m = _v.mask_array(mask, "mask")
    if m.shape != tuple(shape):
        raise ValueError(f"mask: expected shape {tuple(shape)} (the image's), got {m.shape}")
    return np.ascontiguousarray(m != 0, dtype=np.uint8)


def slic(image: ArrayLike, *, region_size: int | None = None, n_segments: int | None = None,
         compactness: float | str = 10.0, iterations: int = 10, enforce_connectivity: bool = True,
         min_size_factor: float = 0.25, mask: ArrayLike | None = None, threads: int | None = None) -> NDArray[np.int32]:
    """SLIC superpixels: int32 labels 0..K-1 (K = ``labels.max() + 1``).

    Seeds on a grid move to the lowest gradient of their 3x3 neighbourhood; each
    center takes the pixels within its step S (a 2S x 2S window) that are closer to
    it than to any other center under ``D = dc + (m / S)^2 ds`` (dc the squared color
    distance, ds the squared distance in pixels, m = ``compactness``); centers move
    to the means of their pixels; ``iterations`` rounds. Then fragments not
    4-connected to their segment and smaller than ``min_size_factor * S^2`` merge
    into a neighbour (Achanta et al., TPAMI 2012).

    Parameters
    ----------
    image : ndarray, (H, W) or (H, W, C)
        RGB uint8 (H, W, 3) is converted to CIELAB (fixed point, D65, within
        0.15 Lab units of ``skimage.color.rgb2lab``). Any other image is used as its values: grayscale,
        float, N-channel (so ``compactness`` is in the image's units; for a float
        image in [0, 1] use about 0.1; an RGBA image is 4 channels: pass
        ``image[..., :3]``). Any memory layout, not copied (features are built
        once, 2 bytes per pixel per channel). NaN and infinity are rejected.
    region_size : float, optional
        The grid step S in pixels (the editor's slider): about (H / S) x (W / S)
        seeds; larger, fewer and larger segments. Must be >= 1.
    n_segments : int, optional
        A request for about this many segments (>= 1); requests above H * W are
        clamped to H * W. Give region_size or n_segments, not both; neither means
        ``n_segments=100``. The grid is ny = round(H / S) rows of nx = round(n / ny)
        seeds with S = sqrt(H * W / n); the achieved count after connectivity
        enforcement is ``labels.max() + 1`` (typically within 20% of the request
        on photos; fewer on flat images, where small fragments merge).
    compactness : float > 0 or "auto"
        m: larger values favor square segments over color adherence. "auto" is
        SLICO: each cluster's color term is normalized by its largest color
        distance of the previous iteration.
    iterations : int
        Rounds of assignment and update (>= 1; 10 as in the paper).
    enforce_connectivity : bool
        Merge orphan fragments (below) so that every segment is 4-connected. When
        False, labels are the clusters as assigned (a cluster may be split).
    min_size_factor : float
        Fragments smaller than ``min_size_factor * H * W / (number of seeds)`` (about
        ``min_size_factor * S^2``) merge into their largest neighbouring segment
        (the first met in raster order on ties); so does a group of merged
        fragments still below that size.
        No segment is smaller unless it has no neighbour (the whole image, or an
        island of ``mask``).
    mask : ndarray of bool or uint8, optional
        Superpixels only inside (nonzero); pixels outside get -1 and are never
        merged into. Seeds stay on the image's grid: a cell mostly outside the
        mask may leave its inside pixels to neighbouring centers.
    threads : int, optional
        Threads (None: every usable core). Labels do not depend on it.

    Returns
    -------
    labels : ndarray of int32, (H, W), C-ordered
        Segment ids 0..K-1 in raster order of their first pixel; -1 outside mask.

    Raises
    ------
    ValueError
        Empty image, NaN or infinity, region_size < 1, n_segments < 1,
        compactness <= 0, iterations < 1, a mask of another shape.
    TypeError
        A non-numeric image or option, or both region_size and n_segments.
    OverflowError
        More than 2^31 - 1 seeds.

    Notes
    -----
    Color distances use CIELAB * 64 in int16 (other inputs: value * q, q the power of
    two that maps the largest magnitude near 16383) against integer center colors
    (the rounded means); the distance D is compared at 20 bits (float32 with 11
    mantissa bits), ties going to the earlier center. The windows extend
    R = ceil(S) pixels around each rounded center. See csrc/slic/slic.hpp for the
    exact arithmetic.

    The labels and the features (2 bytes per pixel and channel) of a large image take
    their memory from a small pool that keeps what such arrays free (at most 256 MiB,
    process-wide), and each calling thread keeps the clustering's work buffers (at most
    64 MiB), so a loop that drops each result reuses that memory without page faults.

    Examples
    --------
    >>> import numpy as np, maskcore
    >>> img = np.zeros((30, 60, 3), np.uint8); img[:, 30:] = 255
    >>> labels = maskcore.slic(img, n_segments=2)
    >>> int(labels[0, 0]), int(labels[0, 59]), int(labels.max()) + 1
    (0, 1, 2)
    """
    sp = Superpixels(image, mask=mask, threads=threads)
    sp._workspace = None  # the calling thread's buffers, kept by the binding between calls
    return sp.compute(
        region_size=region_size, n_segments=n_segments, compactness=compactness, iterations=iterations,
        enforce_connectivity=enforce_connectivity, min_size_factor=min_size_factor, threads=threads)


def _segment_lut(labels: np.ndarray, segment_ids: int | Iterable[int] | ArrayLike, name: str) -> NDArray[np.bool_]:
    """A bool lookup over labels + 1 (index 0 is the outside label -1) of the ids."""
    ids = _v.int_array(segment_ids, name) if not np.isscalar(segment_ids) else \
        np.array([_v.integer(segment_ids, name)], np.int64)
    top = int(labels.max()) if labels.size else -1
    lut = np.zeros(max(top, -1) + 2, bool)
    ids = ids[ids <= top]
    lut[ids + 1] = True
    return lut


def _lookup(lut: np.ndarray, labels: np.ndarray) -> np.ndarray:
    if labels.size and int(labels.min()) < -1:
        raise ValueError(f"labels: expected values >= -1, got {int(labels.min())}")
    return lut[labels.astype(np.int64, copy=False) + 1]


def select_superpixels(labels: ArrayLike, points: ArrayLike) -> NDArray[np.bool_]:
    """The bool mask of the segments under the clicked points.

    Parameters
    ----------
    labels : ndarray of int, (H, W)
        Segment ids (from :func:`slic`; -1 is outside and never selected).
    points : array-like of (x, y)
        (N, 2) or flat x0, y0, x1, y1, ...: pixel (r, c) covers [c, c + 1) x [r, r + 1)
        (COCO's convention). Points outside the image raise ValueError.

    Returns
    -------
    mask : ndarray of bool, (H, W)
    """
    labels = _v.label_array(labels)
    rows, cols = _v.points_xy(points, labels.shape)
    ids = labels[rows, cols]
    ids = np.unique(ids[ids >= 0])
    if len(ids) <= 8:  # a click or a few: one compare pass per segment, no lookup table
        mask = np.zeros(labels.shape, bool) if len(ids) == 0 else labels == ids[0]
        for i in ids[1:]:
            mask |= labels == i
        return mask
    return _lookup(_segment_lut(labels, ids, "points"), labels)


def paint_superpixels(label_map: LabelMap, labels: ArrayLike, segment_ids: int | Iterable[int] | ArrayLike, label: int, *,
                      mode: str = "over", locked: Iterable[int] | None = None) -> LabelMap:
    """Write ``label`` into ``label_map`` (in place) over the segments ``segment_ids``.

    The lock rule (shared with polygon painting): a selected pixel whose current
    value is v is written iff v is not in ``locked`` and (mode == "over" or v == 0).

    Parameters
    ----------
    label_map : ndarray of int, (H, W)
        The annotation being edited; written in place.
    labels : ndarray of int, (H, W)
        Segment ids (from :func:`slic`).
    segment_ids : int or sequence of int
        The segments to paint (e.g. ``labels[y, x]`` of clicked points); ids not in
        ``labels`` select nothing.
    label : int
        The value to write; must fit label_map's dtype.
    mode : {"over", "under"}
        "over" writes over any unlocked value; "under" writes only where v == 0.
    locked : iterable of int, optional
        Values that are never overwritten.

    Returns
    -------
    label_map : the same array.
    """
    labels = _v.label_array(labels)
    if not isinstance(label_map, np.ndarray) or label_map.shape != labels.shape:
        raise ValueError(f"label_map: expected the labels' shape {labels.shape}, got "
                         f"{getattr(label_map, 'shape', type(label_map).__name__)}")
    sel = _lookup(_segment_lut(labels, segment_ids, "segment_ids"), labels)
    paint_mask(label_map, sel, label, mode=mode, locked=locked)
    return label_map
