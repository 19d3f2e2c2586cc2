"""A slow, plain reference for maskcore.slic: the same seeding, distance (an exact
integer color distance rounded to float32, then float32 operation for operation,
truncated to its top 20 bits), exact integer center sums, iteration count and
connectivity step as csrc/slic (see slic.hpp), written window by window in numpy so
that it is easy to check against the paper.

Input is the planar int16 feature array the native code clusters
(``maskcore.superpixels._features``) and the grid (``_grid``), so the CIELAB
conversion is tested separately (against scikit-image).
"""
from __future__ import annotations

import math

import numpy as np

f32 = np.float32


def _gradient(feat, y, x):
    _, h, w = feat.shape
    xl, xr = max(x - 1, 0), min(x + 1, w - 1)
    yu, yd = max(y - 1, 0), min(y + 1, h - 1)
    f = feat.astype(np.int64)
    return int(((f[:, y, xr] - f[:, y, xl]) ** 2).sum() + ((f[:, yd, x] - f[:, yu, x]) ** 2).sum())


def seeds(feat, ny, nx):
    """Grid cell centers moved to the lowest gradient of their 3x3 neighbourhood."""
    _, h, w = feat.shape
    out = []
    for i in range(ny):
        for j in range(nx):
            y, x = (2 * i + 1) * h // (2 * ny), (2 * j + 1) * w // (2 * nx)
            by, bx, bg = y, x, _gradient(feat, y, x)
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < h and 0 <= xx < w:
                        g = _gradient(feat, yy, xx)
                        if g < bg:
                            by, bx, bg = yy, xx, g
            out.append((by, bx))
    return out


KEEP = np.uint32(0xFFFFF000)  # D's bits that decide: sign, exponent, 11 mantissa bits


def assign(feat, cy, cx, color, wc, ws, step, mask):
    """One assignment pass: (labels, -2 where no window reached, -1 outside mask).

    A center takes a pixel when its truncated D is strictly below the pixel's best so
    far (centers in index order: ties keep the earlier one); the truncated D's are
    non-negative floats compared as their unsigned bits."""
    nc, h, w = feat.shape
    R = max(1, math.ceil(step))
    best = np.full((h, w), 0xFFFFFFFF, np.uint32)
    lab = np.full((h, w), -2, np.int32)
    if mask is not None:
        best[~mask] = 0  # nothing is below
        lab[~mask] = -1
    ff = feat.astype(np.int64)
    for k in range(len(cy)):
        ry, rx = math.floor(float(cy[k]) + 0.5), math.floor(float(cx[k]) + 0.5)
        ya, yb = max(0, ry - R), min(h, ry + R + 1)
        xa, xb = max(0, rx - R), min(w, rx + R + 1)
        if ya >= yb or xa >= xb:
            continue
        dx = np.arange(xa, xb).astype(f32) - cx[k]
        dy = np.arange(ya, yb).astype(f32) - cy[k]
        sx, sy = (dx * dx) * ws, (dy * dy) * ws
        dc = np.zeros((yb - ya, xb - xa), np.int64)
        for c in range(nc):
            d = ff[c, ya:yb, xa:xb] - int(color[k, c])
            dc = dc + d * d
        d = dc.astype(f32) * wc[k] + (sx[None, :] + sy[:, None])
        t = d.view(np.uint32) & KEEP
        b = best[ya:yb, xa:xb]
        lt = t < b
        b[lt] = t[lt]
        lab[ya:yb, xa:xb][lt] = k
    return lab


def _find(parent, a):
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def _unite(parent, a, b):
    a, b = _find(parent, a), _find(parent, b)
    if a != b:
        parent[max(a, b)] = min(a, b)


def connect(lab, enforce, min_size):
    """Connectivity enforcement and raster-order numbering (slic.hpp, step 4)."""
    h, w = lab.shape
    flat = lab.ravel()
    out = np.full(h * w, -1, np.int32)
    if not enforce:
        ids = {}
        for i, v in enumerate(flat):
            if v != -1:
                out[i] = ids.setdefault(int(v), len(ids))
        return out.reshape(h, w)
    parent = list(range(h * w))
    inside = flat != -1
    for p in range(h * w):
        if not inside[p]:
            continue
        y, x = divmod(p, w)
        if x > 0 and flat[p - 1] == flat[p]:
            _unite(parent, p - 1, p)
        if y > 0 and flat[p - w] == flat[p]:
            _unite(parent, p - w, p)
    while True:
        roots = [_find(parent, p) if inside[p] else -1 for p in range(h * w)]
        size = {}
        for r in roots:
            if r >= 0:
                size[r] = size.get(r, 0) + 1
        small = {g for g, s in size.items() if s < min_size}
        if not small:
            break
        target = {}
        for p in range(h * w):
            if not inside[p]:
                continue
            y, x = divmod(p, w)
            g = roots[p]
            for q in ((p - 1,) if x > 0 else ()) + ((p - w,) if y > 0 else ()):
                o = roots[q]
                if o < 0 or o == g:
                    continue
                for a, b in ((g, o), (o, g)):  # a small group's target: its largest neighbour, first on ties
                    if a in small and (a not in target or size[b] > size[target[a]]):
                        target[a] = b
        if not target:
            break
        for g in sorted(target):
            _unite(parent, g, target[g])
    ids = {}
    for p in range(h * w):
        if inside[p]:
            out[p] = ids.setdefault(_find(parent, p), len(ids))
    return out.reshape(h, w)


def slic_ref(feat, ny, nx, step, compactness, scale, iterations, enforce, min_size, mask=None):
    """Labels for planar int16 features (C, H, W); compactness <= 0 means SLICO."""
    nc = feat.shape[0]
    K = ny * nx
    slico = not compactness > 0
    mask = None if mask is None else np.asarray(mask, bool)
    pts = seeds(feat, ny, nx)
    cy = np.array([p[0] for p in pts], np.float64).astype(f32)
    cx = np.array([p[1] for p in pts], np.float64).astype(f32)
    color = np.array([[feat[c, y, x] for c in range(nc)] for y, x in pts], np.int64).reshape(K, nc)
    wc = np.full(K, f32(1.0 / ((10.0 * scale) * (10.0 * scale))) if slico else f32(1), f32)
    t = compactness * scale / step
    ws = f32(min(1.0 / (step * step) if slico else t * t, float(np.finfo(f32).max)))
    lab = None
    for it in range(iterations):
        lab = assign(feat, cy, cx, color, wc, ws, step, mask)
        if it + 1 == iterations:
            break
        ys, xs = np.nonzero(lab >= 0)
        ks = lab[ys, xs].astype(np.int64)
        n = np.bincount(ks, minlength=K)
        sy = np.bincount(ks, weights=ys, minlength=K)
        sx = np.bincount(ks, weights=xs, minlength=K)
        sf = [np.bincount(ks, weights=feat[c, ys, xs].astype(np.float64), minlength=K) for c in range(nc)]
        if slico:
            dc = np.zeros(len(ks), np.int64)
            for c in range(nc):
                d = feat[c, ys, xs].astype(np.int64) - color[ks, c]
                dc = dc + d * d
            mdc = np.zeros(K, f32)
            np.maximum.at(mdc, ks, dc.astype(f32))
        for k in np.flatnonzero(n):
            cy[k] = f32(int(sy[k]) / int(n[k]))
            cx[k] = f32(int(sx[k]) / int(n[k]))
            for c in range(nc):  # the nearest integer to the mean, halves up
                color[k, c] = (2 * int(sf[c][k]) + int(n[k])) // (2 * int(n[k]))
            if slico:
                wc[k] = f32(1) / max(mdc[k], f32(1))
    return connect(lab, enforce, min_size)
