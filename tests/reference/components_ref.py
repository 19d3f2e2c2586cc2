"""Obviously-correct connected-component labeling: a breadth-first flood fill from each
unlabeled foreground pixel, visited in C (raster) order, so labels come out 1..n in
raster order of each component's first pixel. Pure Python: small inputs only."""
from collections import deque
from itertools import product

import numpy as np


def offsets(ndim: int, rank: int):
    """Neighbour offsets whose number of nonzero coordinates is 1..rank (scikit-image's
    connectivity): rank 1 = 4 / 6 neighbours, 2 = 8 / 18, 3 = 26."""
    return [d for d in product((-1, 0, 1), repeat=ndim) if 0 < sum(map(abs, d)) <= rank]


def label(image, rank: int, background=0, binary=False):
    img = np.asarray(image)
    out = np.zeros(img.shape, np.int64)
    fg = img != background
    nbrs = offsets(img.ndim, rank)
    n = 0
    for start in np.ndindex(*img.shape):
        if not fg[start] or out[start]:
            continue
        n += 1
        out[start] = n
        queue = deque([start])
        while queue:
            p = queue.popleft()
            for d in nbrs:
                q = tuple(a + b for a, b in zip(p, d))
                if all(0 <= c < s for c, s in zip(q, img.shape)) and fg[q] and not out[q]:
                    if binary or img[q] == img[p]:
                        out[q] = n
                        queue.append(q)
    return out, n


def stats(labels, n):
    """area, bbox (mins then exclusive maxes, axis order), centroid per label 1..n."""
    rows = []
    for k in range(1, n + 1):
        coords = np.argwhere(labels == k)
        rows.append((len(coords), tuple(coords.min(0)) + tuple(coords.max(0) + 1), tuple(coords.mean(0))))
    return rows
