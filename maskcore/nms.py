"""Greedy non-maximum suppression of masks by mask IoU."""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from . import _validate as _v
from .rle import RLE, RLEBatch, _as_batch, encode

__all__ = ["mask_nms"]


def _masks(masks: Any, threads: int) -> RLEBatch:
    if isinstance(masks, np.ndarray):
        if masks.ndim != 3:
            raise ValueError(f"masks: expected a dense (N, H, W) stack, got shape {masks.shape}")
        if masks.shape[0] == 0:
            return RLEBatch()
        batch = encode(np.moveaxis(masks, 0, -1), threads=threads)  # (H, W, N) view: planes stay contiguous
        assert isinstance(batch, RLEBatch)  # a 3D input encodes to a batch
        return batch
    if isinstance(masks, (list, tuple)) and masks and all(isinstance(m, np.ndarray) for m in masks):
        return _masks(np.stack(masks), threads)
    if isinstance(masks, (list, tuple)) and not masks:
        return RLEBatch()
    batch, single = _as_batch(masks, "masks")
    return batch


def mask_nms(masks: Any, scores: ArrayLike, iou_threshold: float = 0.5, *,
             threads: Optional[int] = None) -> NDArray[np.int64]:
    """Greedy non-maximum suppression of masks, as box NMS but with mask IoU.

    Masks are visited by score, highest first; equal scores keep their input order (a
    stable sort; NaN scores last). A mask is kept unless a kept mask before it has an IoU
    greater than ``iou_threshold`` with it; every mask it overlaps by more is then
    suppressed.

    Parameters
    ----------
    masks : list of RLE or COCO RLE dicts, RLEBatch, or ndarray (N, H, W)
        One size for all. Dense stacks (bool or uint8 0/1) are encoded to RLE first.
    scores : array_like of float, (N,)
    iou_threshold : float, default 0.5
        Suppress when IoU > iou_threshold (IoU = intersection / union on the runs; an
        empty union gives 0).
    threads : int, optional
        Threads for the IoU blocks (default: every core); the result does not depend on it.

    Returns
    -------
    ndarray of int64
        Indices of the kept masks, by decreasing score.

    Notes
    -----
    The IoUs are the RLE IoU matrix (boxes prune disjoint pairs, bit columns count the
    rest), computed by blocks of up to 128 live masks (in score order) against the live
    masks after them: masks suppressed by one block drop out of the next, and memory stays
    at one block (at most 2^22 values) whatever N.

    Examples
    --------
    >>> import numpy as np, maskcore
    >>> m = np.zeros((3, 8, 8), bool); m[0, :4] = m[1, :5] = m[2, 5:] = True
    >>> maskcore.mask_nms(m, [0.9, 0.8, 0.7]).tolist()
    [0, 2]
    """
    th = _v.threads(threads)
    thr = _v.real(iou_threshold, "iou_threshold")
    if math.isnan(thr):
        raise ValueError(f"iou_threshold: expected a number, got {iou_threshold!r}")
    batch = _masks(masks, th)
    n = len(batch)
    s = np.asarray(scores)
    if s.dtype.kind not in "fiub" or s.ndim != 1:
        raise ValueError(f"scores: expected a 1D array of numbers, got dtype {s.dtype} and shape {s.shape}")
    s = np.ascontiguousarray(s, dtype=np.float64)
    if s.size != n:
        raise ValueError(f"scores: expected {n} scores (one per mask), got {s.size}")
    if n == 0:
        return np.zeros(0, np.int64)
    sizes = batch._sizes
    if not (sizes == sizes[0]).all():
        i = int(np.flatnonzero((sizes != sizes[0]).any(axis=1))[0])
        raise ValueError(f"masks: expected one size, masks[0] is {tuple(sizes[0])} and masks[{i}] is {tuple(sizes[i])}")
    return _core.eval_mask_nms((batch._counts, batch._offsets, batch._sizes), s, thr, th)
