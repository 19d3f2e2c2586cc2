"""Mask quality metrics: IoU, Dice, boundary IoU, confusion matrices, panoptic quality.

Inputs
------
Binary masks may be given densely (bool or uint8 0/1 arrays ``(H, W)`` in any
layout) or as RLEs (:class:`~maskcore.RLE`, COCO dicts). "Many masks" is a list
of either, an :class:`~maskcore.RLEBatch`, or a dense ``(H, W, N)`` stack (the
layout of :func:`maskcore.encode`). Two single masks give a float; as soon as
either side is a list the result is a ``(len(a), len(b))`` float64 matrix. Lists
of dense masks are encoded to RLE first (one pass over each mask), and the pairs
are counted on the runs with bounding-box pruning: no N x M x H x W array.

Empty masks
-----------
A pair whose union is empty (both masks empty) has IoU and Dice 0.0 by default,
as pycocotools' ``iou`` gives, so the numbers equal COCO evaluation's. ``empty=``
chooses another value (``empty=1.0`` for agreement studies, ``float('nan')``).

Semantic maps
-------------
:func:`confusion_matrix` counts ``cm[g, p]`` (rows ground truth, columns
prediction, int64) in one pass over two label maps; :func:`semantic_scores` turns
it into per-class IoU / Dice and accuracies; :class:`ConfusionAccumulator` sums
matrices over many images.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence, cast

import numpy as np

from . import _core
from . import _validate as _v
from . import rle as _rle
from .rle import RLE, RLEBatch

if TYPE_CHECKING:
    from ._typing import ArrayLike, Masks, NDArray

__all__ = [
    "iou",
    "dice",
    "boundary",
    "boundary_iou",
    "confusion_matrix",
    "semantic_scores",
    "SemanticScores",
    "ConfusionAccumulator",
    "panoptic_quality",
    "PanopticResult",
    "rgb_to_id",
    "match_instances",
    "Matching",
    "annotator_agreement",
    "Agreement",
]


# ---- inputs ----------------------------------------------------------------------------------

def _dense_2d(x: object, name: str) -> np.ndarray | None:
    """``x`` as a numpy array when it is one dense (H, W) mask (any array-like), else None."""
    if not _v.is_array(x):
        return None
    x = _v.array_like(x, name)
    return x if x.dtype.kind in "bu" and x.ndim == 2 else None


def _masks(x: Any, name: str, threads: int) -> tuple[RLEBatch, bool]:
    """(batch, single) for a dense mask, a dense (H, W, N) stack, RLE(s) or a list of either."""
    if _v.is_array(x):
        m = _v.mask_array(x, name, ndims=(2, 3))
        r = _rle.encode(m, threads=threads)
        return (_rle._as_batch(r, name)[0], True) if m.ndim == 2 else (cast(RLEBatch, r), False)
    if isinstance(x, (list, tuple)) and any(_v.is_array(e) for e in x):
        items: list[Any] = []
        for i, e in enumerate(x):
            if _v.is_array(e):
                items.append(_rle.encode(_v.mask_array(e, f"{name}[{i}]")))
            elif isinstance(e, RLE):
                items.append(e)
            elif isinstance(e, dict):
                items.append(RLE.from_coco(e))
            else:
                raise TypeError(f"{name}[{i}]: expected a mask array or an RLE, got {type(e).__name__}")
        return RLEBatch.from_list(items), False
    return _rle._as_batch(x, name)


def _dense_pair(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int]:
    """(|a & b|, |a|, |b|) of two dense masks of one shape, in one native pass."""
    ma, mb = _v.mask_array(a, "a"), _v.mask_array(b, "b")
    if ma.shape != mb.shape:
        raise ValueError(f"a and b: shapes differ, {ma.shape} and {mb.shape}")
    try:
        return _core.metrics_count_pair(ma, mb)
    except _v.KernelError as exc:  # which operand, where and what: the kernel's ErrorInfo
        raise _v.binary_error(exc, ("a", "b"), (ma.shape, mb.shape)) from None


def _pair_counts(a: Masks, b: Masks, threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """IoU matrix and the areas of both sides (as float64 columns/rows), single flag."""
    ba, sa = _masks(a, "a", threads)
    bb, sb = _masks(b, "b", threads)
    m = _rle._iou(ba, bb, threads=threads)
    area_a = np.asarray(_rle.area(ba, threads=threads), np.float64).reshape(-1, 1)
    area_b = np.asarray(_rle.area(bb, threads=threads), np.float64).reshape(1, -1)
    return m, area_a, area_b, sa and sb


def _intersections(m: NDArray[np.float64], area_a: NDArray[np.float64], area_b: NDArray[np.float64]) -> NDArray[np.float64]:
    # The IoU kernel returns inter / (A + B - inter) as a double; inter is an integer
    # below 2^53, so inter = IoU (A + B) / (1 + IoU) rounded is exact (the relative error
    # of the double is ~1e-16, far below 0.5 / inter for any mask that fits in memory).
    return np.rint(m * (area_a + area_b) / (1.0 + m))


# ---- IoU and Dice ----------------------------------------------------------------------------

def iou(a: Masks, b: Masks, iscrowd: ArrayLike | None = None, *, empty: float = 0.0,
        threads: int | None = None) -> float | NDArray[np.float64]:
    """Intersection over union of binary masks: dense arrays, RLEs, or lists of either.

    Parameters
    ----------
    a, b : ndarray, RLE, dict, RLEBatch or list
        One mask each (a bool / uint8 0/1 ``(H, W)`` array, an :class:`~maskcore.RLE`
        or a COCO RLE dict), or many (a list of those, an :class:`~maskcore.RLEBatch`,
        or an ``(H, W, N)`` dense stack). All masks must have one size. ``a`` are the
        rows of the result (detections), ``b`` the columns (ground truth).
    iscrowd : sequence of bool, optional
        One flag per mask of ``b``: against a crowd region the union is the area of
        the ``a`` mask (COCO: a detection inside a crowd is not penalized).
    empty : float, default 0.0
        The value of a pair whose union is empty (0.0 as in pycocotools).
    threads : int, optional
        Threads (default: every core); the result does not depend on it.

    Returns
    -------
    float or ndarray
        A float when both ``a`` and ``b`` are single masks, else a float64
        ``(len(a), len(b))`` matrix.

    Raises
    ------
    ValueError
        Masks of different sizes, non-binary uint8 values, bad ``iscrowd`` length.
    TypeError
        Inputs of another type.

    Notes
    -----
    Two dense masks are counted in one SIMD pass over both. Everything else goes
    through RLE: dense lists are encoded first, then pairs whose boxes do not overlap
    cost nothing and the rest are counted on bit columns (maskcore.rle._iou).
    Values equal ``pycocotools.mask.iou`` on the same RLEs, bit for bit.

    Examples
    --------
    >>> import numpy as np, maskcore
    >>> a = np.zeros((6, 6), bool); a[1:5, 1:5] = True
    >>> b = np.zeros((6, 6), bool); b[2:6, 2:6] = True
    >>> round(maskcore.iou(a, b), 6)   # 9 / 23
    0.391304
    """
    empty = _v.real(empty, "empty")
    th = _v.threads(threads)
    da, db = _dense_2d(a, "a"), _dense_2d(b, "b")
    if iscrowd is None and da is not None and db is not None:
        inter, na, nb = _dense_pair(da, db)
        union = na + nb - inter
        return inter / union if union else empty
    ba, sa = _masks(a, "a", th)
    bb, sb = _masks(b, "b", th)
    m = _rle._iou(ba, bb, iscrowd, threads=th)
    if empty != 0.0 and m.size:
        area_a = np.asarray(_rle.area(ba, threads=th)).reshape(-1, 1)
        area_b = np.asarray(_rle.area(bb, threads=th)).reshape(1, -1)
        crowd = np.zeros(len(bb), bool) if iscrowd is None else np.asarray(iscrowd).reshape(1, -1) != 0
        union_empty = np.where(crowd, area_a == 0, (area_a == 0) & (area_b == 0))
        m[union_empty] = empty
    return float(m[0, 0]) if sa and sb else m


def dice(a: Masks, b: Masks, *, empty: float = 0.0, threads: int | None = None) -> float | NDArray[np.float64]:
    """Dice coefficient (F1, Sørensen) ``2 |A & B| / (|A| + |B|)`` of binary masks.

    Takes the same inputs as :func:`iou` and returns a float for two single masks,
    a float64 ``(len(a), len(b))`` matrix otherwise.

    Parameters
    ----------
    a, b : ndarray, RLE, dict, RLEBatch or list
        As in :func:`iou`.
    empty : float, default 0.0
        The value when both masks are empty.
    threads : int, optional
        Threads (default: every core).

    Notes
    -----
    ``dice = 2 iou / (1 + iou)`` for every pair. For lists the intersections are
    recovered exactly (integers) from the RLE IoU matrix and the areas.

    Examples
    --------
    >>> import numpy as np, maskcore
    >>> gt = np.zeros((5, 4), bool); pred = np.zeros((5, 4), bool)
    >>> for r, c in [(0, 2), (1, 1), (1, 2), (1, 3), (3, 1), (4, 1)]: gt[r, c] = True
    >>> pred[:] = gt; pred[4, 1] = False
    >>> maskcore.dice(gt, pred) == 10 / 11
    True
    """
    empty = _v.real(empty, "empty")
    th = _v.threads(threads)
    da, db = _dense_2d(a, "a"), _dense_2d(b, "b")
    if da is not None and db is not None:
        inter, na, nb = _dense_pair(da, db)
        return 2 * inter / (na + nb) if na + nb else empty
    m, area_a, area_b, single = _pair_counts(a, b, th)
    total = area_a + area_b
    inter = _intersections(m, area_a, area_b)
    d = np.divide(2.0 * inter, total, out=np.full(m.shape, empty), where=total > 0)
    return float(d[0, 0]) if single else d


# ---- boundary IoU ----------------------------------------------------------------------------

def _dilation(h: int, w: int, dilation_ratio: float) -> int:
    r = _v.real(dilation_ratio, "dilation_ratio")
    if not (r >= 0.0 and math.isfinite(r)):
        raise ValueError(f"dilation_ratio: expected a finite float >= 0, got {dilation_ratio!r}")
    # As the reference: int(round(ratio * diagonal)), at least 1 (Python's round: half to even).
    # A band wider than the image erodes every pixel, as max(h, w) + 1 does: the cap keeps
    # d an int the kernel takes (1e300 overflowed int64) without changing the result.
    cap = max(h, w) + 1
    d = r * math.sqrt(h * h + w * w)
    return cap if d >= cap else max(int(round(d)), 1)


def _boundaries(batch: RLEBatch, dilation_ratio: float, threads: int) -> RLEBatch:
    sizes = batch._sizes
    if len(sizes) and not (sizes == sizes[0]).all():
        i = int(np.flatnonzero((sizes != sizes[0]).any(axis=1))[0])
        raise ValueError(f"masks must have one size: {tuple(sizes[0])} and {tuple(sizes[i])}")
    h, w = (int(v) for v in sizes[0]) if len(sizes) else (0, 0)
    d = _dilation(h, w, dilation_ratio)
    flat, offsets = _core.metrics_boundary(batch._counts, batch._offsets, sizes, d, threads)
    return RLEBatch._wrap(flat, offsets, sizes)


def _boundary_batch(x: Masks, name: str, dilation_ratio: Any, threads: int, transposed: bool = False
                    ) -> tuple[RLEBatch, bool]:
    """(boundaries, single) of a mask, a list of masks or RLEs, as ``_boundaries(_masks(x))``.

    A dense mask or a list of dense masks of one shape takes one native call that
    encodes each mask and takes its boundary in the same task (no intermediate batch
    of full RLEs, no per-mask Python work); anything else goes through ``_masks``.
    """
    dense = None
    if isinstance(x, np.ndarray) and x.ndim == 2:
        dense, single = [_v.mask_array(x, name)], True
    elif isinstance(x, (list, tuple)) and x and all(isinstance(e, np.ndarray) for e in x):
        dense, single = [_v.mask_array(e, f"{name}[{i}]") for i, e in enumerate(x)], False
    if dense is not None and all(m.shape == dense[0].shape for m in dense):
        h, w = dense[0].shape
        d = _dilation(h, w, dilation_ratio)
        try:
            flat, offsets = _core.metrics_boundary_dense(dense, d, threads)
        except _v.KernelError as exc:  # a value other than 0/1: the encoder's ErrorInfo (column-major)
            i = _v.kernel_info(exc).item
            raise _v.encode_error(exc, name if single else f"{name}[{i}]", (h, w), transposed=transposed,
                                  hint=" (use mask != 0 for 0/255 masks)") from None
        return RLEBatch._wrap(flat, offsets, np.tile(np.array([h, w], np.int64), (len(dense), 1))), single
    batch, single = _masks(x, name, threads)
    return _boundaries(batch, dilation_ratio, threads), single


def _fortran_views(a: Masks, b: Masks) -> tuple[Masks, Masks]:
    """(a, b), or their transposes when both are C-ordered dense masks of one shape.

    Boundary IoU does not change when both masks are transposed (the erosion is by a square and
    d depends on the diagonal only), and the transposed view of a C-ordered mask is Fortran-ordered:
    the column runs COCO RLE stores are then its memory order, encoded without a transpose.
    """
    def dense(x: Masks) -> list[np.ndarray] | None:
        if isinstance(x, np.ndarray):
            return [x]
        if isinstance(x, (list, tuple)) and x and all(isinstance(e, np.ndarray) for e in x):
            return list(x)
        return None

    da, db = dense(a), dense(b)
    if da is None or db is None:
        return a, b
    ms = da + db
    if not all(m.ndim == 2 and m.shape == ms[0].shape and m.flags.c_contiguous and not m.flags.f_contiguous
               for m in ms):
        return a, b
    t: Callable[[Any], Any] = lambda x: x.T if isinstance(x, np.ndarray) else [m.T for m in x]  # noqa: E731
    return t(a), t(b)


def boundary(mask: Masks, *, dilation_ratio: float = 0.02, threads: int | None = None) -> RLE | RLEBatch:
    """The inner boundary band of a mask as Boundary IoU defines it (Cheng et al., CVPR 2021).

    The pixels of the mask within Chebyshev distance ``d`` of a background pixel or of
    the image border, with ``d = max(1, round(dilation_ratio * sqrt(H^2 + W^2)))``:
    exactly ``mask - erode(pad(mask, 1 zero), 3x3, iterations=d)`` of the reference
    implementation, computed on the RLE's runs (work proportional to the mask's box).

    Parameters
    ----------
    mask : ndarray, RLE, dict, RLEBatch or list
        One mask or many (as in :func:`iou`).
    dilation_ratio : float, default 0.02
        Band width as a fraction of the image diagonal.

    Returns
    -------
    RLE or RLEBatch
    """
    th = _v.threads(threads)
    out, single = _boundary_batch(mask, "mask", dilation_ratio, th)
    return out[0] if single else out


def boundary_iou(a: Masks, b: Masks, dilation_ratio: float = 0.02, *, empty: float = 0.0,
                 threads: int | None = None) -> float | NDArray[np.float64]:
    """Boundary IoU (Cheng, Girshick, Dollár, Berg, Kirillov, CVPR 2021).

    ``|Bg & Bp| / |Bg | Bp|`` where ``B`` is each mask's inner band of width
    ``d = max(1, round(dilation_ratio * image diagonal))`` (:func:`boundary`). Equals
    the reference implementation (``mask_to_boundary`` with ``cv2.erode`` on a
    zero-padded mask) exactly.

    Parameters
    ----------
    a, b : ndarray, RLE, dict, RLEBatch or list
        As in :func:`iou` (single masks -> float, lists -> ``(len(a), len(b))`` matrix).
    dilation_ratio : float, default 0.02
    empty : float, default 0.0
        The value when both boundaries are empty (both masks empty). The reference
        divides 0 by 0 there (NaN with a warning).
    threads : int, optional

    Notes
    -----
    The ``3x3`` erosion iterated ``d`` times is one erosion by a ``(2d+1)``-square,
    separable into a vertical pass (each column run shrinks by ``d`` at both ends) and
    a horizontal pass (one "last zero column" per row), so each mask costs
    ``(box width + d) x box height``; the boundaries are RLEs and their IoU is the RLE
    IoU matrix. A dense mask is encoded to RLE first (in the same native task as its
    boundary, for a list of dense masks of one shape).
    """
    empty = _v.real(empty, "empty")
    th = _v.threads(threads)
    ta, tb = _fortran_views(a, b)
    transposed = ta is not a
    ga, sa = _boundary_batch(ta, "a", dilation_ratio, th, transposed)
    gb, sb = _boundary_batch(tb, "b", dilation_ratio, th, transposed)
    if len(ga) and len(gb) and tuple(ga._sizes[0]) != tuple(gb._sizes[0]):
        raise ValueError(f"a and b: sizes differ, {tuple(ga._sizes[0])} and {tuple(gb._sizes[0])}")
    return iou(ga[0] if sa else ga, gb[0] if sb else gb, empty=empty, threads=th)


# ---- semantic maps ---------------------------------------------------------------------------

def _common_dtype(g: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if g.dtype == p.dtype:
        return g, p
    dt = np.promote_types(g.dtype, p.dtype)
    return g.astype(dt), p.astype(dt)


def confusion_matrix(gt: ArrayLike, pred: ArrayLike, num_classes: int, ignore_index: int | None = None, *,
                     threads: int | None = None) -> NDArray[np.int64]:
    """Confusion matrix of two semantic label maps, in one pass over both.

    Parameters
    ----------
    gt, pred : ndarray
        Label maps of one shape (uint8, uint16 or uint32; other non-negative integer
        dtypes and bool are converted, a copy). 2D; other ranks are reshaped (a copy if
        not contiguous). Any memory layout.
    num_classes : int
        K: labels are 0 .. K-1, 1 <= K <= 46340 (K*K <= 2^31: the kernel's per-strip
        uint32 bins; ``maskcore._validate.MAX_CLASSES``).
    ignore_index : int, optional
        Pixels whose ground truth equals it are skipped (whatever the prediction).
    threads : int, optional
        Threads over horizontal strips (default: every core); the result does not
        depend on it.

    Returns
    -------
    ndarray
        int64 ``(K, K)``: ``cm[g, p]`` = pixels with ground truth ``g`` predicted as
        ``p`` (rows are ground truth, as in scikit-learn).

    Raises
    ------
    ValueError
        Shapes differ, or a value >= ``num_classes`` is found (other than an ignored
        ground truth); the message gives the value and its position. Out-of-range
        values are an error rather than skipped: a prediction with a class the matrix
        cannot hold is a bug to see, and ``ignore_index`` covers the void label.
    """
    g, p = _v.class_map(gt, "gt"), _v.class_map(pred, "pred")
    if g.shape != p.shape:
        raise ValueError(f"gt and pred: shapes differ, {np.shape(gt)} and {np.shape(pred)}")
    k = _v.num_classes(num_classes)
    ign = -1 if ignore_index is None else _v.integer(ignore_index, "ignore_index")
    g, p = _common_dtype(g, p)
    try:
        return _core.metrics_confusion(g, p, k, ign if ign >= 0 else -1, _v.threads(threads))
    except _v.KernelError as exc:  # which map, where and what: the kernel's ErrorInfo
        raise _v.class_value_error(exc, ("gt", "pred"), g.shape, k, None if ignore_index is None else ign) from None


@dataclass
class SemanticScores:
    """Scores of a confusion matrix (rows ground truth). Per-class arrays have K entries.

    A class absent from both ground truth and prediction (empty union) has NaN IoU and
    Dice and is left out of the means; a class absent from the ground truth has NaN
    ``class_accuracy``.
    """

    confusion: np.ndarray
    iou: np.ndarray
    dice: np.ndarray
    class_accuracy: np.ndarray
    pixel_accuracy: float
    mean_iou: float
    mean_dice: float
    mean_class_accuracy: float
    frequency_weighted_iou: float

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}


def _nanmean(x: np.ndarray) -> float:
    ok = ~np.isnan(x)
    return float(x[ok].mean()) if ok.any() else float("nan")


def semantic_scores(cm_or_gt: ArrayLike, pred: ArrayLike | None = None, num_classes: int | None = None, *,
                    ignore_index: int | None = None, threads: int | None = None) -> SemanticScores:
    """Per-class IoU and Dice, pixel accuracy and their means.

    Parameters
    ----------
    cm_or_gt : ndarray
        A ``(K, K)`` confusion matrix (rows ground truth), or a ground-truth label map
        when ``pred`` is given.
    pred : ndarray, optional
        Prediction label map; then ``num_classes`` is required and
        :func:`confusion_matrix` is computed first.

    Returns
    -------
    SemanticScores
        ``iou[c] = cm[c,c] / (row_c + col_c - cm[c,c])``, ``dice[c] = 2 cm[c,c] /
        (row_c + col_c)``, ``class_accuracy[c] = cm[c,c] / row_c`` (recall),
        ``pixel_accuracy = trace / total``; means skip NaN (absent classes).
    """
    if pred is not None:
        if num_classes is None:
            raise TypeError("num_classes: required when a label map and pred are given")
        cm = confusion_matrix(cm_or_gt, pred, num_classes, ignore_index, threads=threads)
    else:
        cm = _v.confusion_counts(cm_or_gt, "cm_or_gt")
    cmf = cm.astype(np.float64)
    tp = np.diag(cmf)
    rows, cols = cmf.sum(axis=1), cmf.sum(axis=0)
    union = rows + cols - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        iou_ = np.where(union > 0, tp / union, np.nan)
        dice_ = np.where(rows + cols > 0, 2 * tp / (rows + cols), np.nan)
        acc = np.where(rows > 0, tp / rows, np.nan)
    total = cmf.sum()
    freq = rows / total if total else rows
    present = ~np.isnan(iou_)
    return SemanticScores(
        confusion=cm, iou=iou_, dice=dice_, class_accuracy=acc,
        pixel_accuracy=float(tp.sum() / total) if total else float("nan"),
        mean_iou=_nanmean(iou_), mean_dice=_nanmean(dice_), mean_class_accuracy=_nanmean(acc),
        frequency_weighted_iou=float((freq[present] * iou_[present]).sum()) if total else float("nan"),
    )


class ConfusionAccumulator:
    """Streaming confusion matrix over many images: ``update(gt, pred)`` per image.

    Parameters
    ----------
    num_classes : int
    ignore_index : int, optional
    threads : int, optional

    Examples
    --------
    >>> import numpy as np, maskcore
    >>> acc = maskcore.ConfusionAccumulator(3)
    >>> acc.update(np.array([[0, 1]], np.uint8), np.array([[0, 2]], np.uint8))
    >>> acc.matrix.tolist()
    [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
    """

    def __init__(self, num_classes: int, ignore_index: int | None = None, *, threads: int | None = None) -> None:
        self.num_classes = _v.num_classes(num_classes)
        if ignore_index is not None:
            _v.integer(ignore_index, "ignore_index")
        self.ignore_index = ignore_index
        self.threads = threads
        self.matrix = np.zeros((self.num_classes, self.num_classes), np.int64)
        self.images = 0

    def update(self, gt: ArrayLike, pred: ArrayLike) -> None:
        """Adds one image's confusion matrix."""
        self.matrix += confusion_matrix(gt, pred, self.num_classes, self.ignore_index, threads=self.threads)
        self.images += 1

    def reset(self) -> None:
        self.matrix[:] = 0
        self.images = 0

    def scores(self) -> SemanticScores:
        return semantic_scores(self.matrix.copy())


# ---- panoptic quality ------------------------------------------------------------------------

def rgb_to_id(rgb: ArrayLike) -> NDArray[np.uint32]:
    """COCO panoptic PNG pixels to segment ids, as panopticapi reads them.

    Parameters
    ----------
    rgb : array_like
        An ``(H, W, 3)`` (or ``(H, W, 4)``: alpha ignored) integer image, e.g. a panoptic
        PNG opened with Pillow in RGB mode.

    Returns
    -------
    ndarray
        uint32 ``(H, W)``: ``R + 256 G + 256^2 B`` per pixel (0 is unlabeled / void).
    """
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] < 3:
        raise ValueError(f"rgb: expected an (H, W, 3) array, got shape {a.shape}")
    a = a[..., :3].astype(np.uint32)
    return cast("NDArray[np.uint32]", a[..., 0] + (a[..., 1] << 8) + (a[..., 2] << 16))


def _id_map(x: Any, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)) or hasattr(x, "__fspath__"):
        from PIL import Image  # optional: only for paths
        with Image.open(x) as im:
            x = np.asarray(im.convert("RGB"))
    a = np.asarray(x)
    if a.ndim == 3:
        return rgb_to_id(a)
    if a.ndim != 2 or a.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected an (H, W) integer id map or an (H, W, 3) RGB PNG, got "
                         f"{a.dtype} {a.shape}")
    if a.size and a.min() < 0:
        raise ValueError(f"{name}: segment ids must be >= 0")
    return a


@dataclass
class PanopticResult:
    """PQ / SQ / RQ over all classes, things and stuff (dicts with ``pq, sq, rq, n``), and per
    class (``pq, sq, rq, tp, fp, fn, iou``: the panopticapi statistics)."""

    all: dict[str, float]
    things: dict[str, float]
    stuff: dict[str, float]
    per_class: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def pq(self) -> float:
        return self.all["pq"]

    @property
    def sq(self) -> float:
        return self.all["sq"]

    @property
    def rq(self) -> float:
        return self.all["rq"]

    def to_dict(self) -> dict[str, Any]:
        return {"all": self.all, "things": self.things, "stuff": self.stuff,
                "per_class": {int(k): v for k, v in self.per_class.items()}}


def _categories(categories: Any) -> dict[int, dict[str, Any]]:
    if isinstance(categories, dict):
        cats = {_v.integer(k, "categories key"): v for k, v in categories.items()}
    else:
        if isinstance(categories, (str, bytes)) or not hasattr(categories, "__iter__"):
            raise TypeError(f"categories: expected a list of dicts or a dict, got {type(categories).__name__}")
        cats = {}
        for i, c in enumerate(categories):
            if not isinstance(c, dict) or "id" not in c:
                raise TypeError(f"categories[{i}]: expected a dict with an 'id', got {_v._describe(c)}")
            cats[_v.integer(c["id"], f"categories[{i}]['id']")] = c
    for k, c in cats.items():
        if not isinstance(c, dict) or "isthing" not in c:
            raise ValueError(f"categories: category {k} needs an 'isthing' field")
    return cats


def _pq_image(gt: Any, pred: Any, gt_segs: Sequence[dict[str, Any]], pred_segs: Sequence[dict[str, Any]],
              cats: dict[int, dict[str, Any]], stats: dict[int, list[Any]], image: int) -> None:
    """Adds one image's tp / fp / fn / iou per category to stats (panopticapi's rules)."""
    g, p = _id_map(gt, "gt"), _id_map(pred, "pred")
    if g.shape != p.shape:
        raise ValueError(f"image {image}: gt and pred shapes differ, {g.shape} and {p.shape}")
    for name, m in (("gt", g), ("pred", p)):
        if m.size and m.max() > 0xFFFFFFFF:
            raise ValueError(f"image {image}: {name} segment ids must fit in uint32")
    gseg = _v.segments_info(gt_segs, f"gt_segments[{image}]", crowd=True)
    pseg = _v.segments_info(pred_segs, f"pred_segments[{image}]", crowd=False)
    # The sparse contingency table of the two id maps, keys (gt id, pred id) ascending: the
    # order of panopticapi's np.unique over gt * 2^24 + pred, so IoU sums add up alike.
    keys, cnt = _core.metrics_pair_table(g.astype(np.uint32, copy=False), p.astype(np.uint32, copy=False))
    gk, pk = (keys >> np.uint64(32)).astype(np.int64), (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)
    cnt = cnt.astype(np.int64)
    gu, gi = np.unique(gk, return_inverse=True)
    pu, pi = np.unique(pk, return_inverse=True)
    g_area = dict(zip(gu.tolist(), np.bincount(gi, weights=cnt).astype(np.int64).tolist()))
    p_area = dict(zip(pu.tolist(), np.bincount(pi, weights=cnt).astype(np.int64).tolist()))
    for pid in pu.tolist():
        if pid != 0 and pid not in pseg:
            raise ValueError(f"image {image}: pred segment id {pid} is in the PNG but not in segments_info")
    for pid, s in pseg.items():
        if pid not in p_area:
            raise ValueError(f"image {image}: pred segment {pid} is in segments_info but not in the PNG")
        if int(s["category_id"]) not in cats:
            raise ValueError(f"image {image}: pred segment {pid} has unknown category_id {s['category_id']}")
    void = {b: n for a, b, n in zip(gk.tolist(), pk.tolist(), cnt.tolist()) if a == 0}
    inter = {}
    g_matched, p_matched = set(), set()
    for a, b, n in zip(gk.tolist(), pk.tolist(), cnt.tolist()):
        inter[(a, b)] = n
        if a not in gseg or b not in pseg:
            continue
        ga = gseg[a]
        if int(ga.get("iscrowd", 0)) == 1 or int(ga["category_id"]) != int(pseg[b]["category_id"]):
            continue
        v = n / (p_area[b] + g_area[a] - n - void.get(b, 0))
        if v > 0.5:
            st = stats.setdefault(int(ga["category_id"]), [0, 0, 0, 0.0])
            st[0] += 1
            st[3] += v
            g_matched.add(a)
            p_matched.add(b)
    crowd_of = {}
    for a, s in gseg.items():  # segments_info order, as panopticapi iterates its dict
        if a in g_matched:
            continue
        if int(s.get("iscrowd", 0)) == 1:
            crowd_of[int(s["category_id"])] = a  # the last crowd segment of a category wins, as there
            continue
        stats.setdefault(int(s["category_id"]), [0, 0, 0, 0.0])[2] += 1
    for b, s in pseg.items():
        if b in p_matched:
            continue
        c = int(s["category_id"])
        n = void.get(b, 0) + (inter.get((crowd_of[c], b), 0) if c in crowd_of else 0)
        if n / p_area[b] > 0.5:
            continue
        stats.setdefault(c, [0, 0, 0, 0.0])[1] += 1


def panoptic_quality(gt: Any, pred: Any, categories: Any, *, gt_segments: Sequence[Any],
                     pred_segments: Sequence[Any]) -> PanopticResult:
    """Panoptic quality (Kirillov et al., CVPR 2019) with the COCO panoptic rules.

    Parameters
    ----------
    gt, pred : ndarray, path, or list of them
        One image or a list of images (the dataset). Each is an ``(H, W)`` integer
        segment-id map, an ``(H, W, 3)`` COCO panoptic PNG array (id = R + 256 G +
        256^2 B), or a path to such a PNG. Id 0 is void (unlabeled).
    categories : list of dict or dict
        COCO categories (``id``, ``isthing``), or a dict id -> category.
    gt_segments, pred_segments : list of dict, or a list of such lists
        ``segments_info`` of each image (``id``, ``category_id``, ``iscrowd`` for gt).

    Returns
    -------
    PanopticResult
        ``all``, ``things``, ``stuff``: ``{"pq", "sq", "rq", "n"}`` (n = classes
        counted); ``per_class[id]``: ``pq, sq, rq, tp, fp, fn, iou``.

    Notes
    -----
    The rules of panopticapi's ``pq_compute``: a gt and a pred segment of one category
    match when ``IoU > 0.5``, the union leaving out the pred's pixels on void; crowd gt
    segments never match and are not false negatives; an unmatched pred segment is
    not a false positive when more than half of it lies on void or on the (last listed)
    crowd segment of its category. Per-class ``pq = iou / (tp + fp/2 + fn/2)``,
    ``sq = iou / tp`` (0 when tp = 0), ``rq = tp / (tp + fp/2 + fn/2)``; classes with
    ``tp + fp + fn == 0`` are left out of the averages (``n`` says how many count;
    NaN when none). Differences: areas come from the pixels for gt too (panopticapi
    reads the gt JSON's ``area``, equal for valid files); a gt id in the PNG without a
    segment is ignored (as there), a pred one raises ValueError (a KeyError there).
    Intersections come from one native pass over both id maps that merges runs of
    equal (gt, pred) pairs and sorts the runs (no 64-bit key per pixel, no np.unique).
    """
    cats = _categories(categories)
    many = isinstance(gt, (list, tuple))
    gts, preds = (list(gt), list(pred)) if many else ([gt], [pred])
    gsegs, psegs = (list(gt_segments), list(pred_segments)) if many else ([gt_segments], [pred_segments])
    if not (len(gts) == len(preds) == len(gsegs) == len(psegs)):
        raise ValueError(f"gt, pred, gt_segments, pred_segments: expected one entry per image, got "
                         f"{len(gts)}, {len(preds)}, {len(gsegs)}, {len(psegs)}")
    stats: dict[int, list[Any]] = {}
    for i in range(len(gts)):
        _pq_image(gts[i], preds[i], gsegs[i], psegs[i], cats, stats, i)

    def average(isthing: bool | None) -> tuple[dict[str, float], dict[int, dict[str, Any]]]:
        pq = sq = rq = 0.0
        n = 0
        per = {}
        for cid, c in cats.items():
            if isthing is not None and (int(c["isthing"]) == 1) != isthing:
                continue
            tp, fp, fn, s = stats.get(cid, [0, 0, 0, 0.0])
            if tp + fp + fn == 0:
                per[cid] = {"pq": 0.0, "sq": 0.0, "rq": 0.0, "tp": 0, "fp": 0, "fn": 0, "iou": 0.0}
                continue
            n += 1
            d = tp + 0.5 * fp + 0.5 * fn
            per[cid] = {"pq": s / d, "sq": s / tp if tp else 0.0, "rq": tp / d, "tp": tp, "fp": fp, "fn": fn,
                        "iou": s}
            pq += per[cid]["pq"]
            sq += per[cid]["sq"]
            rq += per[cid]["rq"]
        nan = float("nan")
        return {"pq": pq / n if n else nan, "sq": sq / n if n else nan, "rq": rq / n if n else nan, "n": n}, per

    all_, per = average(None)
    return PanopticResult(all=all_, things=average(True)[0], stuff=average(False)[0], per_class=per)


# ---- instance matching and agreement ---------------------------------------------------------

@dataclass
class Matching:
    """One-to-one matches between ground-truth and predicted instances.

    ``pairs``: (k, 2) int64 rows ``(gt index, pred index)``; ``ious``: their IoUs;
    ``unmatched_gt`` / ``unmatched_pred``: indices left over; ``iou_matrix``: all IoUs.
    """

    pairs: np.ndarray
    ious: np.ndarray
    unmatched_gt: np.ndarray
    unmatched_pred: np.ndarray
    iou_matrix: np.ndarray

    @property
    def mean_iou(self) -> float:
        return float(self.ious.mean()) if self.ious.size else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {"pairs": self.pairs.tolist(), "ious": self.ious.tolist(),
                "unmatched_gt": self.unmatched_gt.tolist(), "unmatched_pred": self.unmatched_pred.tolist(),
                "mean_iou": self.mean_iou}


def _greedy(m: np.ndarray, thr: float) -> tuple[NDArray[np.int64], np.ndarray]:
    gi, pj = np.nonzero(m >= thr)
    if gi.size == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0)
    order = np.lexsort((pj, gi, -m[gi, pj]))  # IoU descending, then gt, then pred index
    used_g, used_p, pairs = set(), set(), []
    for t in order.tolist():
        a, b = int(gi[t]), int(pj[t])
        if a in used_g or b in used_p:
            continue
        used_g.add(a)
        used_p.add(b)
        pairs.append((a, b))
    pairs.sort()
    p = np.array(pairs, np.int64).reshape(-1, 2)
    return p, m[p[:, 0], p[:, 1]] if len(p) else np.zeros(0)


def match_instances(gt: Masks, pred: Masks, iou_threshold: float = 0.5, *, threads: int | None = None) -> Matching:
    """Match ground-truth and predicted instance masks one to one by IoU.

    Greedy: pairs with ``IoU >= iou_threshold`` are taken in order of decreasing IoU
    (ties: lower gt index, then lower pred index), each mask at most once. For
    thresholds above 0.5 and non-overlapping instances every mask has at most one
    candidate, so greedy equals any optimal (Hungarian) matching; below 0.5 greedy is
    what COCO evaluation does.

    Parameters
    ----------
    gt, pred : list of masks, RLEBatch, or (H, W, N) stack
        As in :func:`iou`.
    iou_threshold : float, default 0.5

    Returns
    -------
    Matching
    """
    thr = _v.real(iou_threshold, "iou_threshold")
    if not 0.0 <= thr <= 1.0 or thr != thr:
        raise ValueError(f"iou_threshold: expected a value in [0, 1], got {iou_threshold!r}")
    th = _v.threads(threads)
    bg, _ = _masks(gt, "gt", th)
    bp, _ = _masks(pred, "pred", th)
    m = np.zeros((len(bg), len(bp))) if not (len(bg) and len(bp)) else _rle._iou(bg, bp, threads=th)
    if thr == 0.0:
        thr = np.nextafter(0.0, 1.0)  # IoU 0 is no overlap: never a match
    pairs, ious = _greedy(m, thr)
    ug = np.setdiff1d(np.arange(len(bg)), pairs[:, 0]).astype(np.int64)
    up = np.setdiff1d(np.arange(len(bp)), pairs[:, 1]).astype(np.int64)
    return Matching(pairs, np.asarray(ious, np.float64), ug, up, m)


@dataclass
class Agreement:
    """Inter-annotator agreement: ``per_image`` (one dict per image: matched,
    unmatched_a, unmatched_b, mean_iou) and the pooled totals (mean IoU over all
    matched pairs of all images)."""

    per_image: list[dict[str, Any]]
    matched: int
    unmatched_a: int
    unmatched_b: int
    mean_iou: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def annotator_agreement(a: Sequence[Masks], b: Sequence[Masks], iou_threshold: float = 0.5, *,
                        threads: int | None = None) -> Agreement:
    """Agreement between two annotation sets of the same images.

    Parameters
    ----------
    a, b : list
        One entry per image: the instance masks of that image from each annotator (any
        form :func:`match_instances` takes; an empty list for none).
    iou_threshold : float, default 0.5

    Returns
    -------
    Agreement
        Per image and pooled: matched pairs, unmatched counts on each side, and the
        mean IoU of the matched pairs (NaN when nothing matched).
    """
    if len(a) != len(b):
        raise ValueError(f"a and b: expected the same number of images, got {len(a)} and {len(b)}")
    per, all_ious = [], []
    for i, (x, y) in enumerate(zip(a, b)):
        mt = match_instances(x, y, iou_threshold, threads=threads)
        per.append({"image": i, "matched": len(mt.pairs), "unmatched_a": len(mt.unmatched_gt),
                    "unmatched_b": len(mt.unmatched_pred), "mean_iou": mt.mean_iou})
        all_ious.append(mt.ious)
    ious = np.concatenate(all_ious) if all_ious else np.zeros(0)
    return Agreement(per, int(sum(p["matched"] for p in per)), int(sum(p["unmatched_a"] for p in per)),
                     int(sum(p["unmatched_b"] for p in per)), float(ious.mean()) if ious.size else float("nan"))
