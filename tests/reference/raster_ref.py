"""Slow, exact references for maskcore.raster's rules (pure Python integers).

Coordinates are snapped as the kernel does (X = round(256 x), ties to even, Python's
round), then every predicate is decided on integers (the same as fractions.Fraction
on X / 256, without the cost).
"""
from __future__ import annotations

import numpy as np


def _parts(parts):
    """[[(X, Y), ...], ...] snapped to 1/256 pixel."""
    return [[(round(float(x) * 256), round(float(y) * 256)) for x, y in np.asarray(p, float).reshape(-1, 2)]
            for p in parts]


def _edges(parts):
    for p in _parts(parts):
        for i in range(len(p)):
            yield p[i], p[(i + 1) % len(p)]


def center(parts, h, w, fill_rule="evenodd"):
    """Pixel (r, c) is in iff p + (eps, eps^2), p = its centre, is inside: rightward ray,
    an edge crosses the line y = py iff exactly one end has y <= py, and counts iff its
    crossing x > px (a crossing exactly at px is left of p + eps)."""
    out = np.zeros((h, w), np.uint8)
    edges = list(_edges(parts))
    for r in range(h):
        py = 256 * r + 128
        for c in range(w):
            px = 256 * c + 128
            wind = 0
            for (xa, ya), (xb, yb) in edges:
                if (ya <= py) == (yb <= py):
                    continue
                d = 1 if yb > ya else -1
                # x_cross > px  <=>  xa + (py - ya)(xb - xa)/(yb - ya) > px
                num = (xa - px) * (yb - ya) + (py - ya) * (xb - xa)
                if num != 0 and (num > 0) == (yb > ya):
                    wind += d if fill_rule == "nonzero" else 1
            out[r, c] = (wind % 2 == 1) if fill_rule == "evenodd" else wind != 0
    return out


def _segment_meets_box(a, b, x0, y0, x1, y1):
    """Closed segment a-b meets the closed box [x0, x1] x [y0, y1] (Liang-Barsky, exact)."""
    from fractions import Fraction
    t0, t1 = Fraction(0), Fraction(1)
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if p == 0:
            if q < 0:
                return False
            continue
        t = Fraction(q, p)
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def touched(parts, h, w, fill_rule="evenodd"):
    """Closed pixel squares meeting the closed filled area or any edge."""
    out = center(parts, h, w, fill_rule)
    for a, b in _edges(parts):
        for r in range(h):
            for c in range(w):
                if not out[r, c] and _segment_meets_box(a, b, 256 * c, 256 * r, 256 * c + 256, 256 * r + 256):
                    out[r, c] = 1
    return out


def stroke(points, width, h, w):
    """Pixel centres within distance <= width / 2 of the polyline (double precision)."""
    pts = np.asarray(points, float).reshape(-1, 2)
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    best = np.full((h, w), np.inf)
    segs = [(pts[0], pts[0])] if len(pts) == 1 else list(zip(pts[:-1], pts[1:]))
    for p, q in segs:
        d = q - p
        L = d @ d
        t = np.zeros_like(xx) if L == 0 else np.clip(((xx - p[0]) * d[0] + (yy - p[1]) * d[1]) / L, 0, 1)
        best = np.minimum(best, np.hypot(xx - (p[0] + t * d[0]), yy - (p[1] + t * d[1])))
    return (best <= width / 2).astype(np.uint8)


def paint(label_map, selected, label, mode="over", locked=()):
    """The lock rule: a selected pixel holding v is written iff v not in locked and (over or v == 0)."""
    out = label_map.copy()
    v = out[selected]
    ok = ~np.isin(v, list(locked)) & ((mode == "over") | (v == 0))
    v[ok] = label
    out[selected] = v
    return out
