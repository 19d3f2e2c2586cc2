"""Exact references for maskcore.contours, in a few lines of numpy.

``rasterize_center_evenodd`` fills rings with the pixel-centre, even-odd rule: the
centre (c + .5, r + .5) of pixel (r, c) is inside when an odd number of ring edges
cross its row at x <= c + .5 (an edge from y0 to y1 counts for the rows whose centre
lies in [min(y0, y1), max(y0, y1)), so a vertex on a row's centre line is counted
once). For rings with integer vertices (pixel corners) no centre is ever on an edge,
and this is the plain crossing-number test.

``chain_vertices`` is OpenCV's pixel chain in maskcore's coordinates (+0.5).
"""
import numpy as np

__all__ = ["rasterize_center_evenodd", "fill_objects", "iou", "signed_area"]


def rasterize_center_evenodd(rings, h, w, *, vectorized=True):
    """(h, w) uint8: even-odd fill of all ``rings`` together (each an (N, 2) array of x, y).

    ``vectorized`` takes the prefix-sum path for rings of axis-aligned edges between
    integer points (crack rings); the per-edge loop below gives the same result.
    """
    rings = [np.asarray(r, np.float64).reshape(-1, 2) for r in rings]
    if vectorized and all(_axis_aligned_integer(r) for r in rings):
        return _rasterize_cracks(rings, h, w)
    out = np.zeros((h, w), np.uint8)
    cy = np.arange(h) + 0.5
    cx = np.arange(w) + 0.5
    for ring in rings:
        ring = np.asarray(ring, np.float64).reshape(-1, 2)
        x0, y0 = ring[:, 0], ring[:, 1]
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        for a, b, c, d in zip(x0, y0, x1, y1):
            if b == d:
                continue
            rows = (cy >= min(b, d)) & (cy < max(b, d))
            xc = a + (cy[rows] - b) * (c - a) / (d - b)
            out[rows] ^= (xc[:, None] <= cx[None, :]).astype(np.uint8)
    return out


def _axis_aligned_integer(ring):
    nxt = np.roll(ring, -1, axis=0)
    return bool(np.all(ring == np.round(ring)) and np.all((ring[:, 0] == nxt[:, 0]) | (ring[:, 1] == nxt[:, 1])))


def _rasterize_cracks(rings, h, w):
    """The same rule for rings of horizontal and vertical edges between integer points, vectorized:
    a vertical edge at x from y0 to y1 flips the rows in [y0, y1) at every column c >= x, so the
    parity is a 2-D prefix sum of +1 at (y0, x) and (y1, x)."""
    grid = np.zeros((h + 1, w + 1), np.int64)
    for ring in rings:
        if len(ring) == 0:
            continue
        nxt = np.roll(ring, -1, axis=0)
        vert = ring[:, 0] == nxt[:, 0]
        x = np.clip(ring[vert, 0], 0, w).astype(np.int64)
        for y in (ring[vert, 1], nxt[vert, 1]):
            np.add.at(grid, (np.clip(y, 0, h).astype(np.int64), x), 1)
    parity = np.cumsum(np.cumsum(grid, axis=0), axis=1) & 1
    return parity[:h, :w].astype(np.uint8)


def fill_objects(polygons, h, w):
    """OR over polygons of each polygon's even-odd fill (outer ring and holes)."""
    out = np.zeros((h, w), np.uint8)
    for p in polygons:
        out |= rasterize_center_evenodd(p.rings, h, w)
    return out


def iou(a, b):
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = np.logical_or(a, b).sum()
    return 0.0 if union == 0 else np.logical_and(a, b).sum() / union  # pycocotools' convention


def signed_area(ring):
    """Shoelace area of (x, y) as given: positive = counter-clockwise in maskcore's sense."""
    x, y = np.asarray(ring, np.float64).T
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
