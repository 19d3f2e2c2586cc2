"""find_polygons(simplify=eps, return_iou=True), and the COCO / YOLO export helpers.

Simplified rings keep a subsequence of the original vertices, stay simple where the
original ring was (shapely), never cross another ring of the same polygon, keep every hole
inside the outer ring, and the reported IoU equals the IoU of the reference pixel-centre
even-odd fill (tests/reference/contours_ref.py) against the mask.
"""
import json

import numpy as np
from maskcore import coco as pcm
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LinearRing
from shapely.geometry import Polygon as ShapelyPolygon

import maskcore
from maskcore import find_polygons, find_polygons_labels, to_coco_segmentation, to_yolo

from reference.contours_ref import fill_objects, iou, rasterize_center_evenodd
from strategies import fixture_settings, masks


def is_subsequence(small, big):
    big = [tuple(p) for p in big.tolist()]
    n = len(big)
    pts = [tuple(p) for p in small.tolist()]
    if not pts:
        return True
    # the simplified ring starts at some occurrence of its first point
    for start in [i for i, p in enumerate(big) if p == pts[0]]:
        k = 0
        for j in range(n):
            if k < len(pts) and big[(start + j) % n] == pts[k]:
                k += 1
        if k == len(pts):
            return True
    return False


def ring_ok(r):
    return len(r) >= 3 and len({tuple(p) for p in r.tolist()}) >= 3


def check_simplified(m, orig, simp, eps):
    assert len(simp) == len(orig)
    for p, q in zip(simp, orig):
        assert (p.parent, p.parent_hole, p.area, len(p.holes)) == (q.parent, q.parent_hole, q.area, len(q.holes))
        for a, b in zip(p.rings, q.rings):
            assert is_subsequence(a, b)
            assert len(a) >= min(len(b), 3)
            if ring_ok(b) and LinearRing(b).is_simple:
                assert LinearRing(a).is_simple
        rings = [LinearRing(r) if ring_ok(r) else None for r in p.rings]
        orig_rings = [LinearRing(r) if ring_ok(r) else None for r in q.rings]
        for i in range(len(rings)):
            for j in range(i + 1, len(rings)):
                if rings[i] is None or rings[j] is None:
                    continue
                if orig_rings[i].crosses(orig_rings[j]) or orig_rings[i].intersection(orig_rings[j]).length:
                    continue  # centre chains of diagonal pixels may share stretches already
                assert not rings[i].crosses(rings[j])
                # no overlap along a stretch either: they may share points only
                assert rings[i].intersection(rings[j]).length == 0
        if all(r is not None for r in rings) and ShapelyPolygon(q.outer, q.holes).is_valid:
            assert ShapelyPolygon(p.outer, p.holes).is_valid


@fixture_settings()
@given(m=masks(min_side=1, max_area=2000), eps=st.sampled_from((0.5, 1.0, 1.5, 2.5, 6.0)),
       exact=st.booleans(), connectivity=st.sampled_from((4, 8)))
def test_simplify_keeps_topology_and_reports_iou(isa, m, eps, exact, connectivity):
    orig = find_polygons(m, exact=exact, connectivity=connectivity)
    simp, reported = find_polygons(m, exact=exact, connectivity=connectivity, simplify=eps, return_iou=True)
    check_simplified(m, orig, simp, eps)
    measured = iou(fill_objects(simp, *m.shape), m)
    assert reported == pytest.approx(measured, abs=1e-12)


def test_reported_iou_without_simplification():
    rng = np.random.default_rng(5)
    for _ in range(30):
        m = (rng.random((rng.integers(1, 30), rng.integers(1, 30))) < 0.6).astype(np.uint8)
        polys, v = find_polygons(m, exact=True, return_iou=True)
        assert v == 1.0
        polys, v = find_polygons(m, return_iou=True)
        assert v == pytest.approx(iou(fill_objects(polys, *m.shape), m), abs=1e-12)


def test_reference_fill_paths_agree():
    rng = np.random.default_rng(11)
    for _ in range(20):
        m = (rng.random((rng.integers(1, 20), rng.integers(1, 20))) < 0.5).astype(np.uint8)
        rings = [r for p in find_polygons(m, exact=True) for r in p.rings]
        fast = rasterize_center_evenodd(rings, *m.shape)
        slow = rasterize_center_evenodd(rings, *m.shape, vectorized=False)
        np.testing.assert_array_equal(fast, slow)
        np.testing.assert_array_equal(fast, m)


def test_simplify_disc_with_hole():
    yy, xx = np.mgrid[:80, :80]
    m = (((yy - 40) ** 2 + (xx - 40) ** 2 < 900) & ~((yy - 40) ** 2 + (xx - 45) ** 2 < 100)).astype(np.uint8)
    orig = find_polygons(m, exact=True)
    counts = {}
    for eps in (0.5, 1, 2, 5, 20, 100):
        simp, v = find_polygons(m, exact=True, simplify=eps, return_iou=True)
        check_simplified(m, orig, simp, eps)
        counts[eps] = sum(len(r) for r in simp[0].rings)
        assert 0 < v <= 1
    assert counts[0.5] < sum(len(r) for r in orig[0].rings) and counts[20] <= 8


def test_simplify_keeps_holes_inside():
    # a thin frame with holes hugging its outer side: shortcuts of the outer ring must not
    # pass beyond a hole
    m = np.ones((40, 40), np.uint8)
    m[2:38:4, 2:5] = 0
    m[3:37, 30:36] = 0
    for eps in (1, 3, 10, 50):
        check_simplified(m, find_polygons(m, exact=True), find_polygons(m, exact=True, simplify=eps), eps)


def test_labels_simplify():
    lab = np.zeros((30, 30), np.int32)
    lab[2:20, 2:20] = 3
    lab[10:28, 12:28] = 9
    got = find_polygons_labels(lab, exact=True, simplify=2.0)
    assert sorted(got) == [3, 9]
    for v, polys in got.items():
        check_simplified(lab == v, find_polygons(lab == v, exact=True), polys, 2.0)


# ---- export


def test_coco_segmentation_round_trips_through_pycocotools():
    m = np.zeros((20, 24), np.uint8)
    m[2:8, 3:10] = 1          # plain
    m[10:19, 10:22] = 1
    m[13:16, 14:18] = 0       # with a hole
    polys = find_polygons(m, exact=True)
    segs = to_coco_segmentation(polys, 20, 24)
    json.dumps(segs)
    assert isinstance(segs[0], list) and isinstance(segs[1], dict)
    # the object with a hole is its exact RLE
    rle = maskcore.RLE.from_coco(segs[1])
    comp = np.zeros_like(m)
    comp[10:19, 10:22] = 1
    comp[13:16, 14:18] = 0
    np.testing.assert_array_equal(rle.decode(), comp)
    # the plain polygon: flat list, which pycocotools (here maskcore.coco, bit-identical) fills
    flat = segs[0][0]
    assert len(flat) == 2 * len(polys[0].outer)
    dec = pcm.decode(pcm.merge(pcm.frPyObjects(segs[0], 20, 24)))
    assert dec[2:8, 3:10].sum() >= 6 * 7 - 2 * (6 + 7)  # pycocotools' own rule, close to the box
    # bridges: one flat polygon per object, holes spliced in
    b = to_coco_segmentation(polys, 20, 24, holes="bridge")
    assert all(isinstance(s, list) and len(s) == 1 for s in b)
    ring = np.asarray(b[1][0]).reshape(-1, 2)
    assert len(ring) == len(polys[1].outer) + len(polys[1].holes[0]) + 2
    filled = rasterize_center_evenodd([ring], 20, 24)
    np.testing.assert_array_equal(filled, comp)  # a zero-width bridge covers no pixel centre


def test_coco_segmentation_bad_input():
    with pytest.raises(ValueError, match="holes: expected 'rle' or 'bridge'"):
        to_coco_segmentation([], 2, 2, holes="drop")
    with pytest.raises(TypeError, match=r"polygons\[0\]: expected a Polygon"):
        to_coco_segmentation([np.zeros((3, 2))], 2, 2)
    with pytest.raises(ValueError, match="size"):
        to_coco_segmentation([], -1, 2)


def test_yolo_lines():
    m = np.zeros((10, 20), np.uint8)
    m[0:5, 0:10] = 1
    polys = find_polygons(m, exact=True)
    lines = to_yolo({2: polys}, 10, 20)
    assert lines == ["2 0.000000 0.000000 0.500000 0.000000 0.500000 0.500000 0.000000 0.500000"]
    assert to_yolo([(0, polys), (1, polys[0])], 10, 20, decimals=2) == [
        "0 0.00 0.00 0.50 0.00 0.50 0.50 0.00 0.50", "1 0.00 0.00 0.50 0.00 0.50 0.50 0.00 0.50"]
    lab = np.zeros((8, 8), np.uint8)
    lab[1:7, 1:7] = 1
    lab[3:5, 3:5] = 0
    lines = to_yolo(find_polygons_labels(lab, exact=True), 8, 8)
    vals = [float(t) for t in lines[0].split()[1:]]
    assert len(lines) == 1 and all(0 <= t <= 1 for t in vals) and len(vals) == 2 * (4 + 4 + 2)
    with pytest.raises(ValueError, match="non-empty image"):
        to_yolo({0: polys}, 0, 5)
