"""Oracle for maskcore.Segments: one `==` per value, each mask encoded on its own."""
import numpy as np

from .rle_ref import encode as encode_ref


def label_map_segments(labels, background=0):
    """[(value, counts)] for every distinct value but background, increasing."""
    out = []
    for v in np.unique(labels):
        if background is not None and v == background:
            continue
        out.append((int(v), encode_ref(labels == v)))
    return out


def paint(shape, masks, values, dtype):
    """Later rows win: masks (list of bool arrays) painted in order."""
    out = np.zeros(shape, dtype)
    for m, v in zip(masks, values):
        out[m] = v
    return out
