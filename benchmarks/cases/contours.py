"""Mask-to-polygon cases: maskcore.find_polygons (pixel-centre and exact crack rings) against
cv2.findContours (RETR_CCOMP with CHAIN_APPROX_SIMPLE and NONE, single-threaded),
skimage.measure.find_contours and rasterio.features.shapes (the pixel-edge, lossless peer).

Inputs: a 1024x1024 blob mask (overlapping ellipses with holes), a 3840x2160 mask with a few
thousand objects (discs and rings), and every ground-truth annotation of the COCO val2014 sample
in ../shared/data decoded to a mask first (outside the timed call; the timed call traces them all).
"""

from __future__ import annotations

import functools
import json
from typing import Iterator

import numpy as np

from . import Case, NoData, data_dir, module, _maskcore
from . import rng as _rng, scalar as _scalar


# --------------------------------------------------------------------------------------------
# Inputs (deterministic, cached)


def _ellipse(mask, cy, cx, a, b, theta, value=1):
    h, w = mask.shape
    r = int(np.ceil(max(a, b))) + 1
    y0, y1, x0, x1 = max(0, int(cy) - r), min(h, int(cy) + r + 1), max(0, int(cx) - r), min(w, int(cx) + r + 1)
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    dy, dx = yy + 0.5 - cy, xx + 0.5 - cx
    c, s = np.cos(theta), np.sin(theta)
    inside = ((dx * c + dy * s) / a) ** 2 + ((-dx * s + dy * c) / b) ** 2 <= 1
    mask[y0:y1, x0:x1][inside] = value


@functools.lru_cache(maxsize=None)
def blob(h: int, w: int) -> np.ndarray:
    """A few large overlapping ellipses with elliptic holes and islands: long, smooth boundaries."""
    g = _rng("contours-blob", h, w)
    m = np.zeros((h, w), np.uint8)
    s = min(h, w)
    for _ in range(6):
        _ellipse(m, g.uniform(0.2, 0.8) * h, g.uniform(0.2, 0.8) * w, g.uniform(0.1, 0.3) * s,
                 g.uniform(0.1, 0.3) * s, g.uniform(0, np.pi))
    for _ in range(8):
        _ellipse(m, g.uniform(0.2, 0.8) * h, g.uniform(0.2, 0.8) * w, g.uniform(0.02, 0.06) * s,
                 g.uniform(0.02, 0.06) * s, g.uniform(0, np.pi), value=0)
    for _ in range(4):
        _ellipse(m, g.uniform(0.2, 0.8) * h, g.uniform(0.2, 0.8) * w, g.uniform(0.005, 0.015) * s,
                 g.uniform(0.005, 0.015) * s, g.uniform(0, np.pi))
    m.flags.writeable = False
    return m


@functools.lru_cache(maxsize=None)
def many_objects(h: int, w: int, n: int) -> np.ndarray:
    """n discs and ellipses of radius 2..40 px, a fifth of them rings (a hole each)."""
    g = _rng("contours-many", h, w, n)
    m = np.zeros((h, w), np.uint8)
    for _ in range(n):
        cy, cx = g.uniform(0, h), g.uniform(0, w)
        a = float(np.exp(g.uniform(np.log(2), np.log(40))))
        b = a * g.uniform(0.5, 1.0)
        t = g.uniform(0, np.pi)
        _ellipse(m, cy, cx, a, b, t)
        if a > 6 and g.random() < 0.2:
            _ellipse(m, cy, cx, a / 2.5, b / 2.5, t, value=0)
    m.flags.writeable = False
    return m


@functools.lru_cache(maxsize=None)
def coco_gt_masks(limit: int) -> tuple:
    """Every annotation of the COCO val2014 sample's ground truth as a dense mask (C order)."""
    path = data_dir() / "coco_val2014_first100" / "instances_val2014_gt.json"
    if not path.is_file():
        raise NoData(f"real-data case needs {path} (../shared/data is absent here; set MASKCORE_BENCH_DATA)")
    doc = json.loads(path.read_text())
    conv = module("maskcore.coco", "maskcore.coco is not importable")
    sizes = {im["id"]: (im["height"], im["width"]) for im in doc["images"]}
    out = []
    for a in doc["annotations"][:limit]:
        h, w = sizes[a["image_id"]]
        seg = a["segmentation"]
        rle = conv.merge(conv.frPyObjects(seg, h, w)) if isinstance(seg, list) else conv.frPyObjects(seg, h, w)
        out.append(np.ascontiguousarray(conv.decode(rle)))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Peers and checks


def _cv2():
    cv2 = module("cv2", "OpenCV (cv2) is not installed")
    cv2.setNumThreads(1)
    return cv2


def _cv2_rings(m, approx):
    cv2 = _cv2()
    contours, hierarchy = cv2.findContours(m, cv2.RETR_CCOMP, approx)
    if not contours:
        return 0, 0, []
    outer = int((hierarchy[0][:, 3] < 0).sum())
    return outer, len(contours) - outer, contours


def _vertex_sets(rings):
    return sorted(tuple(sorted(set(map(tuple, np.asarray(r).reshape(-1, 2).astype(np.int64).tolist()))))
                  for r in rings)


def _check_centre(masks):
    """Default mode: OpenCV's outer / hole counts and vertex sets."""
    def check(result):
        cv2 = _cv2()
        for m, polys in zip(masks(), result):
            outer, holes, theirs = _cv2_rings(m, cv2.CHAIN_APPROX_SIMPLE)
            assert (len(polys), sum(len(p.holes) for p in polys)) == (outer, holes), "ring counts differ from cv2"
            assert _vertex_sets([r - 0.5 for p in polys for r in p.rings]) == _vertex_sets(theirs), \
                "vertex sets differ from cv2"
    return check


def _fill_cracks(rings, h, w):
    """Pixel-centre even-odd fill of crack rings (axis-aligned, integer vertices)."""
    grid = np.zeros((h + 1, w + 1), np.int64)
    for ring in rings:
        nxt = np.roll(ring, -1, axis=0)
        vert = ring[:, 0] == nxt[:, 0]
        x = ring[vert, 0].astype(np.int64)
        for y in (ring[vert, 1], nxt[vert, 1]):
            np.add.at(grid, (y.astype(np.int64), x), 1)
    return (np.cumsum(np.cumsum(grid, axis=0), axis=1) & 1)[:h, :w].astype(np.uint8)


def _check_exact(masks):
    def check(result):
        for m, polys in zip(masks(), result):
            filled = _fill_cracks([r for p in polys for r in p.rings], *m.shape)
            assert np.array_equal(filled, m), "exact rings do not fill back to the mask"
    return check


def _check_count(masks):
    """A peer that yields one item per component: the count of 8-connected components."""
    def check(result):
        mc = _maskcore()
        for m, items in zip(masks(), result):
            assert len(items) == len(mc.find_polygons(m, exact=True)), "component count differs"
    return check


# --------------------------------------------------------------------------------------------
# Cases


def _group_cases(title, masks) -> Iterator[Case]:
    """Two groups for a list of masks (``masks()`` returns it): default mode and exact mode."""

    def over(fn):
        def setup():
            ms = masks()
            return lambda: [fn(m) for m in ms]
        return setup

    def mc(**kw):
        def fn(m, _f=None):
            return _maskcore().find_polygons(m, **kw)
        return fn

    def cv2_call(approx_name):
        def setup():
            cv2, ms = _cv2(), masks()
            approx = getattr(cv2, approx_name)
            return lambda: [cv2.findContours(m, cv2.RETR_CCOMP, approx) for m in ms]
        return setup

    def skimage_setup():
        measure = module("skimage.measure", "scikit-image is not installed")
        ms = masks()
        return lambda: [measure.find_contours(m, 0.5) for m in ms]

    def rasterio_setup():
        features = module("rasterio.features", "rasterio is not installed")
        ms = masks()
        return lambda: [list(features.shapes(m, mask=m.view(bool), connectivity=8)) for m in ms]

    def ref_setup():
        ms = masks()
        return lambda: [np.count_nonzero(m) for m in ms]

    g = f"find_polygons {title}"
    yield Case(g, "maskcore", over(mc()), _check_centre(masks))
    yield Case(g, "maskcore [scalar]", lambda: _scalar(over(mc())()), _check_centre(masks))
    yield Case(g, "cv2.findContours CCOMP SIMPLE", cv2_call("CHAIN_APPROX_SIMPLE"), kind="peer")
    yield Case(g, "cv2.findContours CCOMP NONE", cv2_call("CHAIN_APPROX_NONE"), kind="peer")
    yield Case(g, "skimage.measure.find_contours", skimage_setup, kind="peer")
    yield Case(g, "ref: np.count_nonzero (read bandwidth)", ref_setup, kind="ref")

    g = f"find_polygons exact {title}"
    yield Case(g, "maskcore exact=True", over(mc(exact=True)), _check_exact(masks))
    yield Case(g, "maskcore exact=True [scalar]", lambda: _scalar(over(mc(exact=True))()), _check_exact(masks))
    yield Case(g, "rasterio.features.shapes (pixel edges)", rasterio_setup, _check_count(masks), kind="peer")
    yield Case(g, "cv2.findContours CCOMP SIMPLE", cv2_call("CHAIN_APPROX_SIMPLE"), kind="peer")
    yield Case(g, "ref: np.count_nonzero (read bandwidth)", ref_setup, kind="ref")


def _labels_cases(h, w) -> Iterator[Case]:
    """find_polygons_labels on a real 1024x1024 land-cover label map against one find_polygons per label."""
    def labels():
        path = data_dir() / "semantic_mmseg_samples" / "loveda" / "ann_dir" / "0.png"
        if not path.is_file():
            raise NoData(f"real-data case needs {path}")
        Image = module("PIL.Image", "Pillow is not installed")
        return np.asarray(Image.open(path))

    g = "find_polygons_labels LoveDA 1024x1024 (exact)"

    def mc_setup():
        lab = labels()
        return lambda: _maskcore().find_polygons_labels(lab, exact=True)

    def per_label_setup():
        lab = labels()
        values = [v for v in np.unique(lab) if v != 0]
        return lambda: {int(v): _maskcore().find_polygons(lab == v, exact=True) for v in values}

    def check(result):
        lab = labels()
        for v, polys in result.items():
            assert np.array_equal(_fill_cracks([r for p in polys for r in p.rings], *lab.shape), lab == v)

    yield Case(g, "maskcore find_polygons_labels", mc_setup, check)
    yield Case(g, "maskcore find_polygons per label (lab == v)", per_label_setup, check, kind="numpy")


def cases(quick: bool = False) -> list:
    blob_hw = (256, 256) if quick else (1024, 1024)
    many = (540, 960, 250) if quick else (2160, 3840, 4000)
    coco_n = 100 if quick else 10**9
    out: list = []
    out += _group_cases(f"blob {blob_hw[1]}x{blob_hw[0]}", lambda: [blob(*blob_hw)])
    out += _group_cases(f"{many[2]} objects {many[1]}x{many[0]}", lambda: [many_objects(*many)])
    out += _group_cases("COCO val2014 GT masks (each annotation)", lambda: coco_gt_masks(coco_n))
    out += _labels_cases(1024, 1024)
    return out
