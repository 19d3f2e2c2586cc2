"""maskcore.find_polygons / find_polygons_labels: round trips, components, hierarchy.

Exact mode is checked by filling the rings back with the pixel-centre even-odd rule
(tests/reference/contours_ref.py; every round trip goes through ``rasterize_center_evenodd``
so another rasterizer can be added in one place) and comparing with the mask, and the
components with scipy.ndimage.label. Default mode against OpenCV is in
test_contours_vs_cv2.py; simplification and export in test_contours_simplify.py.
"""
import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st

import maskcore
from maskcore import Polygon, find_polygons, find_polygons_labels

from reference.contours_ref import rasterize_center_evenodd, signed_area
from strategies import fixture_settings, label_maps, layout, layout_names, masks

STRUCT = {4: None, 8: np.ones((3, 3), bool)}


def rasterizers():
    """Every rasterizer the round trip must hold for: (name, rings, h, w) -> mask."""
    return [("reference", rasterize_center_evenodd),
            ("maskcore.rasterize", lambda rings, h, w: maskcore.rasterize(rings, h, w, rule="center",
                                                                          fill_rule="evenodd"))]


def check_exact(m, polys, connectivity):
    """The rings fill back to m; one polygon per component in label order, each filling back
    to its component; orientation; hierarchy consistent with the fills."""
    m = np.asarray(m, np.uint8)
    h, w = m.shape
    rings = [r for p in polys for r in p.rings]
    for _, fill in rasterizers():
        np.testing.assert_array_equal(fill(rings, h, w), m)
    lab, n = ndi.label(m, STRUCT[connectivity])
    assert len(polys) == n
    counts = np.bincount(lab.ravel(), minlength=n + 1)
    for i, p in enumerate(polys):
        assert isinstance(p, Polygon)
        comp = lab == i + 1
        assert p.area == counts[i + 1]
        np.testing.assert_array_equal(rasterize_center_evenodd(p.rings, h, w), comp)
        assert p.outer.dtype == np.float64 and p.outer.ndim == 2 and p.outer.shape[1] == 2
        assert signed_area(p.outer) > 0
        assert all(signed_area(hole) < 0 for hole in p.holes)
        assert signed_area(p.outer) + sum(signed_area(hh) for hh in p.holes) == p.area
        for ring in p.rings:  # crack rings: corners, axis-aligned, no collinear points
            assert np.all(ring == np.round(ring)) and len(ring) >= 4 and len(ring) % 2 == 0
            d = np.roll(ring, -1, axis=0) - ring
            assert np.all((d[:, 0] == 0) != (d[:, 1] == 0))
            assert np.all((d[:, 0] == 0) != (np.roll(d, 1, axis=0)[:, 0] == 0))  # alternate: turns only
        if p.parent is None:
            assert p.parent_hole is None
        else:
            assert 0 <= p.parent < i  # a hole's first pixel comes before what it holds
            hole = polys[p.parent].holes[p.parent_hole]
            inside = rasterize_center_evenodd([hole], h, w).astype(bool)
            assert inside[comp].all()
    # Holes: every bounded background component (dual connectivity) is exactly one hole.
    bg, nb = ndi.label(1 - m, STRUCT[12 - connectivity])
    border = set(np.unique(np.concatenate([bg[0], bg[-1], bg[:, 0], bg[:, -1]]))) if m.size else set()
    assert sum(len(p.holes) for p in polys) == nb - len(border - {0})


@fixture_settings()
@given(m=masks(max_area=2500), connectivity=st.sampled_from((4, 8)))
def test_exact_round_trip(isa, m, connectivity):
    polys = find_polygons(m, exact=True, connectivity=connectivity)
    check_exact(m, polys, connectivity)


@fixture_settings()
@given(m=masks(max_area=2500), connectivity=st.sampled_from((4, 8)))
def test_default_mode_components(isa, m, connectivity):
    """Centre mode has the same components, holes, hierarchy and areas as exact mode; every
    point is the centre of a pixel of its component."""
    exact = find_polygons(m, exact=True, connectivity=connectivity)
    cen = find_polygons(m, connectivity=connectivity)
    assert len(cen) == len(exact)
    lab, _ = ndi.label(m, STRUCT[connectivity])
    for i, (p, q) in enumerate(zip(cen, exact)):
        assert (p.parent, p.parent_hole, p.area, len(p.holes)) == (q.parent, q.parent_hole, q.area, len(q.holes))
        for ring in p.rings:
            assert len(ring) >= 1 and np.all(ring - 0.5 == np.round(ring - 0.5))
            c = (ring - 0.5).astype(np.int64)
            assert np.all(lab[c[:, 1], c[:, 0]] == i + 1)
        if len(p.outer) >= 3 and abs(signed_area(p.outer)) > 0:
            assert signed_area(p.outer) > 0


@fixture_settings()
@given(m=masks(max_area=1500), name=layout_names, exact=st.booleans())
def test_layouts_and_dtypes(isa, m, name, exact):
    want = find_polygons(m, exact=exact)
    for dtype in (np.uint8, np.bool_):
        got = find_polygons(layout(m, name, dtype), exact=exact)
        assert len(got) == len(want)
        for p, q in zip(got, want):
            assert all(np.array_equal(a, b) for a, b in zip(p.rings, q.rings))


@given(m=masks(max_area=1500))
def test_every_isa_identical(m):
    results = []
    for name in maskcore.available_isas():
        with maskcore.use_isa(name):
            results.append([r.tolist() for p in find_polygons(m, exact=True) for r in p.rings])
    assert all(r == results[0] for r in results)


# ---- named cases


def exact_rings(m, connectivity=8):
    polys = find_polygons(np.array(m, np.uint8), exact=True, connectivity=connectivity)
    check_exact(np.array(m, np.uint8), polys, connectivity)
    return polys


def test_empty_and_degenerate_shapes():
    for shape in ((0, 0), (0, 5), (5, 0), (3, 4)):
        assert find_polygons(np.zeros(shape, bool)) == []
        assert find_polygons(np.zeros(shape, bool), exact=True) == []
        assert find_polygons_labels(np.zeros(shape, np.int32)) == {}
    assert find_polygons(np.zeros((0, 0), bool), return_iou=True) == ([], 0.0)
    assert find_polygons(np.zeros((3, 3), bool), exact=True, return_iou=True) == ([], 0.0)


def test_single_pixel():
    p, = exact_rings([[1]])
    assert p.outer.tolist() == [[0, 0], [1, 0], [1, 1], [0, 1]]
    q, = find_polygons(np.array([[0, 0], [0, 1]], bool))
    assert q.outer.tolist() == [[1.5, 1.5]] and q.area == 1


def test_full_image_and_border():
    p, = exact_rings(np.ones((3, 5)))
    assert p.outer.tolist() == [[0, 0], [5, 0], [5, 3], [0, 3]]
    q, = find_polygons(np.ones((3, 5), bool))
    assert sorted(map(tuple, q.outer.tolist())) == sorted([(0.5, 0.5), (4.5, 0.5), (4.5, 2.5), (0.5, 2.5)])
    m = np.zeros((6, 6), np.uint8)
    m[0, :] = m[:, 0] = m[-1, 2:] = m[3:, -1] = 1
    exact_rings(m, 4)
    exact_rings(m, 8)


def test_donut_and_nested_donuts():
    m = np.zeros((11, 11), np.uint8)
    m[1:10, 1:10] = 1
    m[3:8, 3:8] = 0       # hole of the outer donut
    m[4:7, 4:7] = 1       # island in the hole
    m[5, 5] = 0           # hole in the island
    polys = exact_rings(m)
    assert len(polys) == 2
    outer, island = polys
    assert (outer.parent, len(outer.holes)) == (None, 1)
    assert (island.parent, island.parent_hole, len(island.holes)) == (0, 0, 1)
    assert outer.holes[0].tolist() == [[3, 3], [3, 8], [8, 8], [8, 3]]
    assert island.holes[0].tolist() == [[5, 5], [5, 6], [6, 6], [6, 5]]
    # two holes, islands in the second
    m = np.zeros((7, 12), np.uint8)
    m[0:7, 0:12] = 1
    m[2:5, 2:5] = 0
    m[2:5, 7:11] = 0
    m[3, 8] = 1
    polys = exact_rings(m)
    assert [(p.parent, p.parent_hole) for p in polys] == [(None, None), (0, 1)]


def test_checkerboard_diagonals_follow_connectivity():
    m = [[1, 0], [0, 1]]
    p8 = exact_rings(m, 8)
    assert len(p8) == 1 and p8[0].area == 2
    # the outer ring passes the shared corner (1, 1) twice
    assert [tuple(v) for v in p8[0].outer.tolist()].count((1.0, 1.0)) == 2
    p4 = exact_rings(m, 4)
    assert len(p4) == 2 and [len(p.outer) for p in p4] == [4, 4]
    # a ring of diagonal pixels around a centre: 8-connected it encloses a 4-connected
    # hole made of one pixel; 4-connected it is four pixels and no hole
    d = [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    p8 = exact_rings(d, 8)
    assert len(p8) == 1 and len(p8[0].holes) == 1 and p8[0].holes[0].tolist() == [[1, 1], [1, 2], [2, 2], [2, 1]]
    p4 = exact_rings(d, 4)
    assert len(p4) == 4 and all(not p.holes for p in p4)
    # the dual: a hole of two background pixels touching at a corner is one hole with
    # connectivity 4 (its ring passes the corner twice) and two holes with 8
    m = np.ones((4, 4), np.uint8)
    m[1, 1] = m[2, 2] = 0
    p4, = exact_rings(m, 4)
    assert len(p4.holes) == 1 and [tuple(v) for v in p4.holes[0].tolist()].count((2.0, 2.0)) == 2
    p8, = exact_rings(m, 8)
    assert len(p8.holes) == 2
    rng = np.random.default_rng(3)
    for _ in range(20):
        c = ((np.add.outer(np.arange(9), np.arange(13)) % 2) & (rng.random((9, 13)) < 0.8)).astype(np.uint8)
        exact_rings(c, 4)
        exact_rings(c, 8)


def test_one_pixel_lines():
    m = np.zeros((5, 7), np.uint8)
    m[2, 1:6] = 1
    p, = exact_rings(m)
    assert p.outer.tolist() == [[1, 2], [6, 2], [6, 3], [1, 3]]
    q, = find_polygons(m)
    assert q.outer.tolist() == [[1.5, 2.5], [5.5, 2.5]]
    m = np.eye(6, dtype=np.uint8)
    assert len(exact_rings(m, 8)) == 1 and len(exact_rings(m, 4)) == 6
    q, = find_polygons(m)
    assert sorted(q.outer.tolist()) == [[0.5, 0.5], [5.5, 5.5]]


def test_min_area_reparents():
    m = np.zeros((11, 11), np.uint8)
    m[0:11, 0:11] = 1
    m[2:9, 2:9] = 0
    m[3:8, 3:8] = 1       # a thin ring (area 16) ...
    m[4:7, 4:7] = 0
    m[5, 5] = 1           # ... holding one pixel
    polys = find_polygons(m, exact=True)
    assert [p.area for p in polys] == [72, 16, 1]
    assert [(p.parent, p.parent_hole) for p in polys] == [(None, None), (0, 0), (1, 0)]
    kept = find_polygons(m, exact=True, min_area=10)
    assert [(p.area, p.parent, p.parent_hole) for p in kept] == [(72, None, None), (16, 0, 0)]
    kept = find_polygons(m, exact=True, min_area=20)
    assert [(p.area, p.parent, p.parent_hole) for p in kept] == [(72, None, None)]
    m2 = m.copy()
    m2[3:8, 3:8] = 0
    m2[3, 3] = 1
    m2[5, 5] = 1
    kept = find_polygons(m2, exact=True, min_area=2)
    assert [(p.area, p.parent, p.parent_hole) for p in kept] == [(72, None, None)]
    kept = find_polygons(m, exact=True, min_area=17)
    assert len(kept) == 1


# ---- label maps


@fixture_settings()
@given(lab=label_maps(), connectivity=st.sampled_from((4, 8)), exact=st.booleans())
def test_labels_match_binary_per_label(isa, lab, connectivity, exact):
    got = find_polygons_labels(lab, connectivity=connectivity, exact=exact)
    values = [int(v) for v in np.unique(lab) if v != 0]
    assert list(got) == values
    for v in values:
        want = find_polygons(lab == v, connectivity=connectivity, exact=exact)
        assert len(got[v]) == len(want)
        for p, q in zip(got[v], want):
            assert p.label == v
            assert (p.parent, p.parent_hole, p.area) == (q.parent, q.parent_hole, q.area)
            assert len(p.rings) == len(q.rings)
            assert all(np.array_equal(a, b) for a, b in zip(p.rings, q.rings))


def test_labels_layouts_and_bool():
    lab = np.array([[1, 1, 2, 0], [3, 0, 2, 2], [3, 3, 0, 7]], np.int64)
    want = find_polygons_labels(lab, exact=True)
    for view in (np.asfortranarray(lab), lab[::-1, ::-1][::-1, ::-1], lab.astype(np.uint64), lab.astype(np.int8)):
        got = find_polygons_labels(view, exact=True)
        assert list(got) == list(want)
        for v in got:
            assert [p.outer.tolist() for p in got[v]] == [p.outer.tolist() for p in want[v]]
    b = find_polygons_labels(lab > 1, exact=True)
    assert list(b) == [1] and len(b[1]) == 1 and len(find_polygons_labels(lab > 1, connectivity=4)[1]) == 2


# ---- bad input


def test_bad_input():
    with pytest.raises(ValueError, match=r"mask: expected a 2D array, got 3D"):
        find_polygons(np.zeros((2, 2, 2), bool))
    with pytest.raises(ValueError, match=r"mask: expected only 0 and 1, got 255 at \(row 1, col 2\)"):
        m = np.zeros((3, 4), np.uint8)
        m[1, 2] = 255
        find_polygons(m)
    with pytest.raises(TypeError, match=r"mask: expected a bool or uint8 array, got dtype float64"):
        find_polygons(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="mask: expected a numpy array"):
        find_polygons("mask")
    with pytest.raises(ValueError, match="connectivity: expected one of 4, 8 for a 2D image .*got 6"):
        find_polygons(np.zeros((2, 2), bool), connectivity=6)
    with pytest.raises(TypeError, match="connectivity: expected an int"):
        find_polygons(np.zeros((2, 2), bool), connectivity=8.0)
    with pytest.raises(ValueError, match="simplify: expected a finite tolerance >= 0"):
        find_polygons(np.zeros((2, 2), bool), simplify=-1)
    with pytest.raises(ValueError, match="min_area: expected an int >= 0"):
        find_polygons(np.zeros((2, 2), bool), min_area=-1)
    with pytest.raises(TypeError, match="labels: expected an integer array, got dtype float32"):
        find_polygons_labels(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="labels: expected a 2D array"):
        find_polygons_labels(np.zeros(3, np.int32))
    with pytest.raises(OverflowError, match="labels: value"):
        find_polygons_labels(np.full((2, 2), 2**64 - 1, np.uint64))
    with pytest.raises(ValueError, match="mask: expected a uint8 array"):
        maskcore._core.contour_trace(np.zeros((2, 2), np.int32), True, 8, True)


def test_size_limit_and_broadcast_views():
    huge = np.broadcast_to(np.zeros(1, bool), (50000, 50000))  # no memory behind it
    with pytest.raises(OverflowError, match=r"mask: 50000x50000 is too large"):
        find_polygons(huge)
    with pytest.raises(OverflowError, match=r"labels: 50000x50000 is too large"):
        find_polygons_labels(np.broadcast_to(np.zeros(1, np.int32), (50000, 50000)))
    p, = find_polygons(np.broadcast_to(np.ones(1, bool), (3, 5)), exact=True)
    assert p.outer.tolist() == [[0, 0], [5, 0], [5, 3], [0, 3]]
