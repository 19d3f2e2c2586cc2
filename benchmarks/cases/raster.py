"""Polygon rasterization benchmarks: maskcore (default ISA and forced scalar) against OpenCV
(cv2.fillPoly, one thread), scikit-image (skimage.draw.polygon), PIL (ImageDraw.polygon) and
pycocotools (frPyObjects, + merge) on the same polygons, with an ``np.copyto`` reference for
the dense outputs (writing the finished mask once: no rasterizer that writes every pixel can beat
it by much).

Dense groups time "a fresh mask in a preallocated buffer": maskcore's ``rasterize(out=)`` writes
every pixel once; the peers clear the buffer and draw (cv2, skimage) or allocate an image (PIL).
maskcore's "center" rule and the peers' rules differ on boundary pixels, so peer rows are checked
by IoU (> 0.9: small polygons differ mostly on the boundary) against maskcore's mask and the "inclusive" row (cv2.fillPoly's pixels) exactly
against cv2.
"""
from __future__ import annotations

import functools
import json
from typing import Iterator

import numpy as np

from . import Case, NoData, NotInstalled, _maskcore, _maskcore_coco, _pycoco, data_dir, module, rng, scalar

FULL_BIG = (1024, 1024, 200)
FULL_HUGE = (2160, 3840, 2000)
QUICK_BIG = (256, 256, 60)
QUICK_HUGE = (540, 960, 300)


def star(n: int, h: int, w: int, cover: float, seed) -> np.ndarray:
    """An (n, 2) star-shaped (simple) polygon centred in an h x w image whose area is about
    ``cover`` of the image, shaped like an annotation outline: the radius varies smoothly
    (two low harmonics, +-20%) plus 0.3 pixel of noise per vertex."""
    g = rng("raster star", n, h, w, seed)
    ang = np.sort(g.uniform(0, 2 * np.pi, n))
    p1, p2 = g.uniform(0, 2 * np.pi, 2)
    r0 = np.sqrt(cover * h * w / np.pi)
    r = r0 * (1 + 0.12 * np.sin(3 * ang + p1) + 0.08 * np.sin(7 * ang + p2)) + g.uniform(-0.3, 0.3, n)
    return np.stack([w / 2 + r * np.cos(ang), h / 2 + r * np.sin(ang)], 1)


def _cv2():
    cv2 = module("cv2", "OpenCV (cv2) is not installed")
    cv2.setNumThreads(1)
    return cv2


def _iou_check(want):
    def check(result):
        got = np.asarray(result) != 0
        inter = np.logical_and(got, want).sum()
        union = np.logical_or(got, want).sum()
        assert union and inter / union > 0.9, f"IoU {inter / max(union, 1):.4f} with maskcore's mask"
    return check


def _exact_check(want):
    def check(result):
        np.testing.assert_array_equal(np.asarray(result) != 0, want)
    return check


def _dense_cases(group: str, h: int, w: int, polys: list, labels: list) -> Iterator[Case]:
    """One group: polygons (each an (n, 2) float array) painted with labels into an h x w map."""
    mc = _maskcore()
    many = len(polys) > 1
    want_center = np.zeros((h, w), np.uint8)
    if many:
        mc.paint_many(want_center, list(zip(polys, labels)))
    else:
        mc.rasterize(polys[0], h, w, out=want_center)
    # The peers read (x, y) as a pixel CENTRE: the same polygon in their convention is p - 0.5
    # (integer vertices for cv2, as users pass them).
    centred = [p - 0.5 for p in polys]
    ints = [np.round(p).astype(np.int32) for p in centred]

    @functools.lru_cache(maxsize=None)
    def want_cv2():
        cv2 = _cv2()
        m = np.zeros((h, w), np.uint8)
        for p, lab in zip(ints, labels):
            cv2.fillPoly(m, [p], int(lab))
        return m

    def mc_center():
        buf = np.empty((h, w), np.uint8)
        if many:
            items = list(zip(polys, labels))

            def run():
                buf.fill(0)
                return mc.paint_many(buf, items)
            return run
        return lambda: mc.rasterize(polys[0], h, w, out=buf)

    def mc_inclusive():
        buf = np.empty((h, w), np.uint8)
        fl = [p.astype(np.float64) for p in ints]
        if many:
            items = list(zip(fl, labels))

            def run():
                buf.fill(0)
                return mc.paint_many(buf, items, rule="inclusive")
            return run
        return lambda: mc.rasterize(fl[0], h, w, rule="inclusive", out=buf)

    def cv():
        cv2, buf = _cv2(), np.empty((h, w), np.uint8)
        fill = cv2.fillPoly

        def run():
            buf.fill(0)
            for p, lab in zip(ints, labels):
                fill(buf, [p], lab)
            return buf
        return run

    def sk():
        draw = module("skimage.draw", "scikit-image is not installed")
        buf = np.empty((h, w), np.uint8)

        def run():
            buf.fill(0)
            for p, lab in zip(centred, labels):
                rr, cc = draw.polygon(p[:, 1], p[:, 0], (h, w))
                buf[rr, cc] = lab
            return buf
        return run

    def pil():
        Image = module("PIL.Image", "PIL is not installed")
        ImageDraw = module("PIL.ImageDraw", "PIL is not installed")
        pts = [[tuple(v) for v in p.tolist()] for p in centred]

        def run():
            img = Image.new("L", (w, h), 0)
            d = ImageDraw.Draw(img)
            for p, lab in zip(pts, labels):
                d.polygon(p, fill=int(lab))
            return np.asarray(img)
        return run

    def ref():
        buf = np.empty((h, w), np.uint8)
        return lambda: np.copyto(buf, want_center)

    def check_inclusive(result):
        np.testing.assert_array_equal(np.asarray(result), want_cv2())

    def check_peer(result):
        _iou_check(want_center != 0)(result)

    yield Case(group, "maskcore (center)", mc_center, _exact_check(want_center != 0))
    yield Case(group, "maskcore [scalar] (center)", lambda: scalar(mc_center()), _exact_check(want_center != 0))
    yield Case(group, "maskcore (inclusive = cv2.fillPoly's pixels)", mc_inclusive,
               lambda r: check_inclusive(r) if _have_cv2() else None)
    yield Case(group, "cv2.fillPoly (1 thread)", cv, check_peer, kind="peer")
    yield Case(group, "skimage.draw.polygon", sk, check_peer, kind="peer")
    yield Case(group, "PIL ImageDraw.polygon", pil, check_peer, kind="peer")
    yield Case(group, "ref: np.copyto of the mask", ref, None, kind="ref")


def _have_cv2() -> bool:
    try:
        _cv2()
    except NotInstalled:
        return False
    return True


# ---- real data: every COCO / LVIS polygon annotation in ../shared/data -----------------------

@functools.lru_cache(maxsize=None)
def real_polygons() -> tuple:
    """(segmentation, h, w) of every polygon annotation of the COCO and LVIS files."""
    root = data_dir()
    if not root.is_dir():
        raise NoData(f"real-data case needs {root} (../shared/data is absent here; set MASKCORE_BENCH_DATA)")
    out = []
    for path in sorted(root.rglob("*.json")):
        if "coco" not in str(path) and "lvis" not in str(path):
            continue
        try:
            doc = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError):
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("annotations"), list):
            continue
        images = {im["id"]: im for im in doc.get("images", []) if isinstance(im, dict)}
        for a in doc["annotations"]:
            seg = a.get("segmentation") if isinstance(a, dict) else None
            if isinstance(seg, list) and seg and a.get("image_id") in images:
                im = images[a["image_id"]]
                out.append((seg, int(im["height"]), int(im["width"])))
    if not out:
        raise NoData(f"no COCO / LVIS polygon annotations under {root}")
    return tuple(out)


def _real_cases() -> Iterator[Case]:
    g = "raster real: every COCO + LVIS polygon annotation -> RLE (one object each)"

    @functools.lru_cache(maxsize=None)
    def want():
        coco = _maskcore_coco()  # bit-identical to pycocotools (tests/test_coco_polygons.py)
        return [coco.merge(coco.frPyObjects(s, h, w))["counts"] for s, h, w in real_polygons()]

    def check_rles(result):
        for i, (r, c) in enumerate(zip(result, want())):
            assert r.to_string() == c, f"annotation {i} differs from pycocotools"

    def check_dicts(result):
        for i, (d, c) in enumerate(zip(result, want())):
            assert d["counts"] == c, f"annotation {i} differs from pycocotools"

    def mc(rule):
        def setup():
            f, anns = _maskcore().rasterize_rle, real_polygons()
            return lambda: [f(s, h, w, rule=rule) for s, h, w in anns]
        return setup

    def mcoco():
        coco, anns = _maskcore_coco(), real_polygons()
        fr, merge = coco.frPyObjects, coco.merge
        return lambda: [merge(fr(s, h, w)) for s, h, w in anns]

    def pc(with_merge):
        def setup():
            pm, anns = _pycoco(), real_polygons()
            fr, merge = pm.frPyObjects, pm.merge
            if with_merge:
                return lambda: [merge(fr(s, h, w)) for s, h, w in anns]
            return lambda: [fr(s, h, w) for s, h, w in anns]
        return setup

    def mc_batch(rule):
        def setup():
            f, anns = _maskcore().rasterize_rle_batch, real_polygons()
            segs, hs, ws = [s for s, _, _ in anns], [h for _, h, _ in anns], [w for _, _, w in anns]
            return lambda: f(segs, hs, ws, rule=rule)
        return setup

    yield Case(g, "maskcore rasterize_rle_batch(rule='coco') (one call)", mc_batch("coco"), check_rles)
    yield Case(g, "maskcore rasterize_rle(rule='coco')", mc("coco"), check_rles)
    yield Case(g, "maskcore [scalar] rasterize_rle(rule='coco')", lambda: scalar(mc("coco")()), check_rles)
    yield Case(g, "maskcore rasterize_rle(rule='center')", mc("center"), None)
    yield Case(g, "maskcore rasterize_rle_batch(rule='center') (one call)", mc_batch("center"), None)
    yield Case(g, "maskcore.coco merge(frPyObjects)", mcoco, check_dicts, kind="maskcore.coco")
    yield Case(g, "pycocotools frPyObjects", pc(False), None, kind="pycocotools")
    yield Case(g, "pycocotools merge(frPyObjects)", pc(True), check_dicts, kind="pycocotools")


def _editor_cases(side: int) -> Iterator[Case]:
    """Editor latency (issue 19): one pen stroke (20 points, width 9, label 7 locked) and one
    10-vertex polygon paint on a side x side uint16 label map, per call, against the cheapest
    numpy/OpenCV way (the same work on the shape's bounding box: a uint8 scratch drawn by
    cv2 and a masked assignment that skips the locked label); and one 10-vertex rasterize on
    1024x1024 against cv2.fillPoly into fresh zeros (integer vertices, rule "inclusive": the same pixels). Results checked: the stroke and paint rows
    leave the same map where the rules coincide (strokes: the pixels differ on the rim, so the
    check is the painted-pixel count within 10 %)."""
    g = rng("editor", side)
    c = side / 2
    pts = np.cumsum(g.normal(0, 3, (20, 2)), 0) + c
    ang = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    poly = np.stack([c + 0.075 * side * np.cos(ang), c + 0.05 * side * np.sin(ang)], 1)
    poly10 = np.round(np.stack([512 + 300 * np.cos(ang), 512 + 200 * np.sin(ang)], 1))  # cv2 takes integers

    def label_map():
        lm = np.zeros((side, side), np.uint16)
        q = side // 4
        lm[q:3 * q, q:3 * q] = 7
        return lm

    def painted(result):
        return int(np.count_nonzero(np.asarray(result) == 3))

    def check_stroke(want):
        def check(result):
            n = painted(result)
            assert abs(n - want) <= 0.1 * want + 20, (n, want)
        return check

    def mc_stroke():
        mc, lm = _maskcore(), label_map()
        return lambda: mc.stroke(lm, pts, 9, 3, locked=[7])

    def cv_stroke():
        cv2, lm = _cv2(), label_map()
        x0, y0 = np.floor(pts.min(0) - 5).astype(int)
        x1, y1 = np.ceil(pts.max(0) + 6).astype(int)
        q = np.round(pts - (x0, y0)).astype(np.int32)

        def run():
            sub = lm[y0:y1, x0:x1]
            tmp = np.zeros(sub.shape, np.uint8)
            cv2.polylines(tmp, [q], False, 1, thickness=9)
            sub[(tmp != 0) & (sub != 7)] = 3
            return lm
        return run

    want = painted(_maskcore().stroke(label_map(), pts, 9, 3, locked=[7]))
    gs = f"editor: one pen stroke (20 points, width 9, 1 locked label) on a {side}x{side} uint16 map"
    yield Case(gs, "maskcore stroke", mc_stroke, check_stroke(want))
    yield Case(gs, "maskcore [scalar] stroke", lambda: scalar(mc_stroke()), check_stroke(want))
    yield Case(gs, "numpy + cv2.polylines on the bounding box", cv_stroke, check_stroke(want), kind="peer")

    def mc_paint():
        mc, lm = _maskcore(), label_map()
        return lambda: mc.paint(lm, poly, 3, locked=[7], rule="inclusive")

    def cv_paint():
        cv2, lm = _cv2(), label_map()
        x0, y0 = np.floor(poly.min(0)).astype(int)
        x1, y1 = np.ceil(poly.max(0) + 1).astype(int)
        q = np.round(poly - (x0, y0)).astype(np.int32)

        def run():
            sub = lm[y0:y1, x0:x1]
            tmp = np.zeros(sub.shape, np.uint8)
            cv2.fillPoly(tmp, [q], 1)
            sub[(tmp != 0) & (sub != 7)] = 3
            return lm
        return run

    want = painted(_maskcore().paint(label_map(), poly, 3, locked=[7], rule="inclusive"))
    gp = f"editor: one 10-vertex polygon paint (1 locked label) on a {side}x{side} uint16 map"
    yield Case(gp, "maskcore paint", mc_paint, check_stroke(want))
    yield Case(gp, "maskcore [scalar] paint", lambda: scalar(mc_paint()), check_stroke(want))
    yield Case(gp, "numpy + cv2.fillPoly on the bounding box", cv_paint, check_stroke(want), kind="peer")

    def mc_raster():
        mc = _maskcore()
        return lambda: mc.rasterize(poly10, 1024, 1024, rule="inclusive")

    def cv_raster():
        cv2 = _cv2()
        q = np.round(poly10).astype(np.int32)
        return lambda: cv2.fillPoly(np.zeros((1024, 1024), np.uint8), [q], 1)

    want_r = _maskcore().rasterize(poly10, 1024, 1024, rule="inclusive") != 0
    gr = "editor: one 10-vertex rasterize on 1024x1024 (fresh output)"
    yield Case(gr, "maskcore rasterize", mc_raster, _exact_check(want_r))
    yield Case(gr, "maskcore [scalar] rasterize", lambda: scalar(mc_raster()), _exact_check(want_r))
    yield Case(gr, "cv2.fillPoly into np.zeros", cv_raster, _exact_check(want_r), kind="peer")


def cases(quick: bool = False) -> list:
    out: list = []
    out += list(_editor_cases(1000 if quick else 4000))
    if not quick:  # issue 19's case: one 500-vertex polygon on 4000x4000
        out += list(_dense_cases("raster dense: one 500-vertex polygon on 4000x4000", 4000, 4000,
                                 [star(500, 4000, 4000, 0.3, 2)], [1]))
    h, w, n = QUICK_BIG if quick else FULL_BIG
    out += list(_dense_cases(f"raster dense: one {n}-vertex polygon, ~25% of {w}x{h}", h, w,
                             [star(n, h, w, 0.25, 0)], [1]))
    k = 20 if quick else 100
    g = rng("raster small", h, w)
    small = [star(20, 64, 64, 0.3, i) + g.uniform(0, [w - 64, h - 64]) for i in range(k)]
    out += list(_dense_cases(f"raster dense: {k} polygons of 20 vertices on {w}x{h} (labels 1..{k})", h, w,
                             small, list(range(1, k + 1))))
    h, w, n = QUICK_HUGE if quick else FULL_HUGE
    out += list(_dense_cases(f"raster dense: one {n}-vertex polygon on {w}x{h}", h, w,
                             [star(n, h, w, 0.3, 1)], [1]))
    out += list(_real_cases())
    return out
