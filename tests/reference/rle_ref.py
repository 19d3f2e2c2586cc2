"""COCO run-length encoding in a few lines of numpy: the oracle for maskcore.RLE.

Format (pycocotools' ``maskApi.c``): the mask is flattened in column-major (Fortran)
order; ``counts`` are the lengths of the maximal constant runs, alternating and starting
with a run of zeros, which is empty (length 0) when the first pixel is set. No other run
is empty. An empty-area mask (0 x W, H x 0) has counts ``[0]`` as in pycocotools.

Everything here works on dense masks and Python integers; it is meant to be read, not
to be fast.
"""

import numpy as np

__all__ = [
    "encode", "decode", "area", "bbox", "iou", "iou_matrix", "merge",
    "to_string", "from_string", "row_runs",
]


def encode(mask):
    """Counts (int64) of a 2-D binary mask, COCO convention (column-major runs)."""
    flat = np.asarray(mask).astype(bool).ravel(order="F")
    if flat.size == 0:
        return np.zeros(1, np.int64)
    edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1          # where neighbours differ
    counts = np.diff(np.concatenate([[0], edges, [flat.size]]))  # run lengths
    if flat[0]:
        counts = np.concatenate([[0], counts])                   # empty leading zero run
    return counts.astype(np.int64)


def decode(counts, h, w):
    """Dense (h, w) uint8 mask from counts."""
    counts = np.asarray(counts, dtype=np.int64)
    values = (np.arange(counts.size) % 2).astype(np.uint8)      # 0, 1, 0, 1, ...
    flat = np.repeat(values, counts)
    assert flat.size == h * w, "counts do not sum to h*w"
    return flat.reshape((h, w), order="F")


def area(mask):
    return int(np.count_nonzero(mask))


def bbox(mask):
    """COCO [x, y, w, h] (int64) of the foreground; zeros for an empty mask."""
    mask = np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return np.zeros(4, np.int64)
    return np.array([cols[0], rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1],
                    np.int64)


def iou(a, b, crowd=False):
    """pycocotools' IoU: intersection / union, or intersection / area(a) when b is a
    crowd region; 0.0 when the intersection is empty (so also when the union is)."""
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    inter = np.count_nonzero(a & b)
    if inter == 0:
        return 0.0
    union = np.count_nonzero(a) if crowd else np.count_nonzero(a | b)
    return inter / union


def iou_matrix(dts, gts, iscrowd=None):
    """(len(dts), len(gts)) float64 matrix; iscrowd[j] marks gts[j] as crowd."""
    if iscrowd is None:
        iscrowd = [False] * len(gts)
    out = np.zeros((len(dts), len(gts)), np.float64)
    for i, d in enumerate(dts):
        for j, g in enumerate(gts):
            out[i, j] = iou(d, g, bool(iscrowd[j]))
    return out


def merge(masks, intersect=False):
    masks = [np.asarray(m, dtype=bool) for m in masks]
    op = np.logical_and if intersect else np.logical_or
    return op.reduce(masks).astype(np.uint8)


# --- COCO compressed strings -------------------------------------------------------
# Each count is written as a little-endian sequence of 5-bit groups, one character per
# group: character = 48 + group, plus 32 when another group follows ("continuation").
# The value is signed: the top bit (16) of the last group is its sign, extended upward.
# From the fourth count on (index >= 3), what is written is the difference to the count
# two places earlier (the previous run of the same colour), which is small for smooth
# shapes. The alphabet is therefore the 64 characters chr(48) .. chr(111).

def to_string(counts):
    """bytes: COCO compressed string of counts."""
    counts = [int(c) for c in counts]
    out = []
    for i, value in enumerate(counts):
        x = value - counts[i - 2] if i >= 3 else value
        while True:
            group = x & 0x1F
            x >>= 5                                   # arithmetic shift (floor)
            # Stop once the remaining bits are pure sign extension of this group.
            done = (x == -1) if group & 0x10 else (x == 0)
            out.append(48 + group + (0 if done else 0x20))
            if done:
                break
    return bytes(out)


def from_string(s):
    """list of int counts from a COCO compressed string (bytes or str)."""
    if isinstance(s, str):
        s = s.encode("ascii")
    counts = []
    pos = 0
    while pos < len(s):
        x = 0
        shift = 0
        while True:
            c = s[pos] - 48
            if not 0 <= c < 64:
                raise ValueError(f"character {chr(s[pos])!r} outside the COCO alphabet")
            pos += 1
            x |= (c & 0x1F) << shift
            shift += 5
            if not c & 0x20:
                if c & 0x10:
                    x -= 1 << shift                  # sign-extend the last group
                break
            if pos == len(s):
                raise ValueError("string ends in the middle of a value")
        if len(counts) >= 3:
            x += counts[-2]
        counts.append(x)
    return counts


def row_runs(mask):
    """Row-major (C order) run lengths starting with a possibly empty zero run, as CVAT
    writes them (no trailing entry; an empty mask gives [])."""
    flat = np.asarray(mask).astype(bool).ravel(order="C")
    if flat.size == 0:
        return np.zeros(0, np.int64)
    edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    runs = np.diff(np.concatenate([[0], edges, [flat.size]]))
    if flat[0]:
        runs = np.concatenate([[0], runs])
    return runs.astype(np.int64)
