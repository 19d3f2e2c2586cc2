"""Short, obviously-correct numpy references for maskcore.metrics (no peer inside: a peer's
edge cases, such as OpenCV asserting on an empty array, must not decide what the reference says)."""
import math

import numpy as np


def counts(a, b):
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    return int((a & b).sum()), int(a.sum()), int(b.sum())


def iou(a, b, empty=0.0):
    i, na, nb = counts(a, b)
    u = na + nb - i
    return i / u if u else empty


def dice(a, b, empty=0.0):
    i, na, nb = counts(a, b)
    return 2 * i / (na + nb) if na + nb else empty


def iou_matrix(a_list, b_list, fn=iou, empty=0.0):
    return np.array([[fn(a, b, empty) for b in b_list] for a in a_list], np.float64).reshape(len(a_list), len(b_list))


def confusion(gt, pred, k, ignore=None):
    g = np.asarray(gt, np.int64).ravel()
    p = np.asarray(pred, np.int64).ravel()
    if ignore is not None:
        keep = g != ignore
        g, p = g[keep], p[keep]
    return np.bincount(g * k + p, minlength=k * k).reshape(k, k)


def mask_to_boundary(mask, dilation_ratio=0.02):
    """Boundary IoU's reference definition (Cheng et al. 2021, boundary_iou repo):
    d = int(round(ratio * diagonal)), at least 1; the mask minus its erosion by the
    (2d+1) x (2d+1) square, with everything outside the image counted as background (the repo
    pads one zero ring and erodes d times with a 3x3 square). An empty (0-pixel) mask has an
    empty boundary."""
    mask = np.asarray(mask, np.uint8)
    h, w = mask.shape
    if mask.size == 0:
        return mask.copy()
    d = max(int(round(dilation_ratio * math.sqrt(h ** 2 + w ** 2))), 1)
    padded = np.pad(mask, d)
    rows = np.lib.stride_tricks.sliding_window_view(padded, 2 * d + 1, axis=0).min(axis=-1)
    eroded = np.lib.stride_tricks.sliding_window_view(rows, 2 * d + 1, axis=1).min(axis=-1)
    return mask - eroded


def boundary_iou(gt, dt, dilation_ratio=0.02, empty=0.0):
    bg, bd = mask_to_boundary(gt, dilation_ratio), mask_to_boundary(dt, dilation_ratio)
    inter = int(((bg * bd) > 0).sum())
    union = int(((bg + bd) > 0).sum())
    return inter / union if union else empty
