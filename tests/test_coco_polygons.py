"""maskcore.coco.frPyObjects on polygons against pycocotools.mask.frPyObjects (2.0.11):
the same dicts, byte for byte (counts strings and sizes), on random polygons (hypothesis
and a seeded sweep), on every polygon of the COCO / LVIS JSON files in ../shared/data,
and the same merged RLE per multi-polygon object. Where pycocotools raises or misbehaves
(a flat polygon, a short first polygon, NaN, odd lengths, w == 0, 2**32+ pixels) the
expected value comes from pycocotools' own frPoly (``pycocotools._mask.frPoly``) or from
an exact identity, and the departures documented in maskcore/coco.py are pinned.
"""
import json

import numpy as np
import pycocotools.mask as M
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pycocotools import _mask as M_core

from maskcore import coco as C

from paths import SHARED_DATA as SHARED

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def same(ours, theirs):
    """Equal dicts (or lists of dicts): the same size list and the same counts bytes."""
    if isinstance(theirs, dict):
        theirs, ours = [theirs], [ours]
    assert isinstance(ours, list) and len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a["size"] == [int(v) for v in b["size"]]
        assert isinstance(a["counts"], bytes)
        assert a["counts"] == b["counts"]


def check(polys, h, w):
    same(C.frPyObjects(polys, h, w), M.frPyObjects(polys, h, w))


# ---- random polygons --------------------------------------------------------------------

KINDS = ("int", "frac", "tenths", "sliver", "far", "negative", "repeated", "collinear")


def random_polygon(rng, kind, k, h, w):
    """k points of one flavour, as a flat list of Python floats (what JSON gives)."""
    H, W = max(h, 1), max(w, 1)
    if kind == "int":
        xy = np.stack([rng.integers(-3, W + 4, k), rng.integers(-3, H + 4, k)], 1).astype(float)
    elif kind == "frac":
        xy = np.stack([rng.uniform(-2, W + 2, k), rng.uniform(-2, H + 2, k)], 1)
    elif kind == "tenths":  # 5 x + 0.5 lands on (or next to) integers: the rounding ties
        xy = np.stack([rng.integers(-20, 10 * W + 20, k), rng.integers(-20, 10 * H + 20, k)], 1) / 10.0
    elif kind == "sliver":  # a thin needle or a speck: steps of a fraction of a pixel
        base = np.array([rng.uniform(0, W), rng.uniform(0, H)])
        direction = rng.normal(size=2) * rng.choice([0.01, 1.0, 30.0])
        xy = base + np.outer(rng.uniform(0, 1, k), direction) + rng.normal(scale=1e-3, size=(k, 2))
    elif kind == "far":  # mostly outside the image, on every side
        xy = rng.uniform(-1500, 1500, (k, 2)) + np.array([W, H]) / 2
    elif kind == "negative":
        xy = -rng.uniform(0, 30, (k, 2)) + rng.choice([0.0, 3.0], 2)
    elif kind == "repeated":  # repeated points (zero-length edges), consecutive or not
        pts = np.stack([rng.uniform(-2, W + 2, k), rng.uniform(-2, H + 2, k)], 1)
        xy = pts[np.sort(rng.integers(0, max(1, k // 2), k))]
    else:  # collinear points (a polygon of zero area) with a detour
        t = np.sort(rng.uniform(0, 1, k))
        xy = np.stack([t * W, t * H], 1)
        xy[rng.integers(0, k)] += rng.uniform(-3, 3, 2)
    return [float(v) for v in xy.reshape(-1)]


@st.composite
def cases(draw):
    h = draw(st.one_of(st.sampled_from((0, 1, 2, 7)), st.integers(0, 200)))
    w = draw(st.one_of(st.sampled_from((1, 2, 7)), st.integers(1, 200)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.sampled_from((1, 1, 2, 3)))
    polys = [random_polygon(rng, draw(st.sampled_from(KINDS)), draw(st.integers(3, 50)), h, w)
             for _ in range(n)]
    return polys, h, w


@given(cases())
def test_random_polygons(case):
    polys, h, w = case
    check(polys, h, w)
    # the object: the union of its polygons, as COCO.annToRLE computes it
    same(C.merge(C.frPyObjects(polys, h, w)), M.merge(M.frPyObjects(polys, h, w)))


@given(st.integers(0, 2**32 - 1))
def test_random_polygons_as_arrays(seed):
    """A list of 1-D float arrays (pycocotools reads them too) and of (N, 2) arrays
    (maskcore only) give the same as the lists."""
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 120, 2))
    polys = [random_polygon(rng, KINDS[i % len(KINDS)], int(rng.integers(3, 30)), h, w) for i in range(3)]
    expected = M.frPyObjects(polys, h, w)
    same(C.frPyObjects([np.array(p) for p in polys], h, w), expected)
    same(C.frPyObjects([np.array(p, np.float32).astype(float) for p in polys], h, w),
         M.frPyObjects([np.array(p, np.float32).astype(float) for p in polys], h, w))
    same(C.frPyObjects([np.array(p).reshape(-1, 2) for p in polys], h, w), expected)
    same(C.frPyObjects([tuple(p) for p in polys], h, w), expected)
    same(C.frPyObjects([np.array(p)[::-1][::-1] for p in polys], h, w), expected)


def test_seeded_sweep():
    """Thousands of small cases: every kind on small images, where each rounding rule
    decides many pixels."""
    rng = np.random.default_rng(20240601)
    for i in range(4000):
        h, w = (int(v) for v in rng.integers(0, 40, 2))
        w = max(w, 1)
        kind = KINDS[i % len(KINDS)]
        polys = [random_polygon(rng, kind, int(rng.integers(3, 12)), h, w)]
        check(polys, h, w)


def test_long_x_major_edges():
    """Edges crossing hundreds of columns (the x-major walk is evaluated in vectorized blocks
    of 128 columns): shallow slopes of both signs, rows clipped above and below the image,
    and the last column's crossing on the image's bottom edge."""
    rng = np.random.default_rng(11)
    for i in range(60):
        h, w = int(rng.integers(1, 60)), int(rng.integers(100, 700))
        x0, x1 = rng.uniform(-50, 0.3 * w), rng.uniform(0.7 * w, w + 50)
        ya, yb = rng.uniform(-20, h + 20, 2)
        dy = rng.uniform(0.2, 6)
        polys = [[x0, ya, x1, yb, x1, yb + dy, x0, ya + dy]]
        if i % 3 == 0:
            polys.append([x1, float(h) - 0.1, x0, float(h) + 0.3, 0.5 * (x0 + x1), float(h) - 3])
        check(polys, h, w)


def test_integer_lattice_triangles():
    """Every triangle with vertices on a 0.2-pixel lattice around a 3 x 3 image: each
    vertex lands exactly on a fine grid point."""
    rng = np.random.default_rng(7)
    pts = np.arange(-2, 17) / 5.0
    for _ in range(1500):
        check([[float(v) for v in rng.choice(pts, 6)]], 3, 3)


# ---- pycocotools' special cases -------------------------------------------------------------

P = [1.5, 1.5, 6.2, 1.0, 4.0, 7.5]


def test_short_and_degenerate_polygons_after_the_first():
    """0, 1 and 2 points (2: out and back) and repeated points paint nothing extra."""
    for extra in ([], [3.0, 4.0], [1, 1, 8, 8], [2.5, 2.5, 2.5, 2.5, 2.5, 2.5], [1, 1, 1, 1, 6, 1, 6, 6, 6, 6],
                  [0, 0, 9, 9, 0, 0, 9, 9]):
        check([P, extra], 10, 10)


def test_flat_polygon_is_one_polygon():
    """Departure: pycocotools raises TypeError (len() of a float); its code means frPoly."""
    with pytest.raises(TypeError):
        M.frPyObjects(P, 10, 10)
    same(C.frPyObjects(P, 10, 10), M_core.frPoly([P], 10, 10)[0])
    same(C.frPyObjects([float(v) for v in range(6)] + [2.0, 9.0], 12, 9), M_core.frPoly([list(range(6)) + [2, 9]], 12, 9)[0])
    assert C.frPyObjects([1, 2, 3, 4], 10, 10) == C.frPyObjects([[1, 2, 3, 4]], 10, 10)[0]  # 4 numbers: a box


def test_short_first_polygon():
    """Departure: pycocotools raises when the first polygon has fewer than 4 numbers,
    or exactly 4 while others are longer (then it reads the list as boxes)."""
    for polys in ([[], P], [[1, 2], P], [[1, 1, 8, 8], P]):
        with pytest.raises(Exception):
            M.frPyObjects(polys, 10, 10)
        same(C.frPyObjects(polys, 10, 10), M_core.frPoly(polys, 10, 10))
    # all of 4 numbers: boxes, as in pycocotools
    assert C.frPyObjects([[1, 1, 8, 8]], 10, 10) == C.frPyObjects(np.array([[1, 1, 8, 8]], float), 10, 10)


def test_inputs_pycocotools_converts():
    """Ints, bools, numpy scalars, float32 arrays, tuples, numeric strings: whatever
    np.array(p, float64) reads."""
    polys = [[1, 1, 6, 1, 6, 6], [True, 0, 5, 1, 3, 4, 0, 2], [np.float32(1.25), np.int64(2), 7.5, 3, 2, 9],
             ("1.5", "1", "7", "2", "3", "8")]
    check(polys, 10, 10)
    check([np.array(p, np.float64) for p in polys[:3]], 10, 10)
    check([np.array([0.5, 0.5, 7.3, 1.1, 3.3, 8.8], np.float32)], 10, 10)


def test_big_coordinates():
    """Far outside but within pycocotools' 32-bit arithmetic."""
    check([[-20000.5, 3, 25000.25, 5.5, 7, 30000], [4, -40000, 4.5, 40000, 5, 1]], 50, 60)
    check([[1e5, 1e5, -1e5, 1e5, 0.3, -1e5]], 20, 20)


def test_empty_sizes():
    """h == 0 gives pycocotools' b'0'; w == 0 (pycocotools: an invalid RLE) gives the
    valid empty one."""
    check([P, [0, 0, 5, 0, 5, 5]], 0, 10)
    for h in (0, 1, 10):
        out = C.frPyObjects([P], h, 0)
        assert out == [{"size": [h, 0], "counts": b"0"}]
        assert C.decode(out).shape == (h, 0, 1)


def test_image_of_2_31_to_2_32_pixels():
    """pycocotools is right up to 2**32 - 1 pixels (its counts are 32-bit)."""
    h, w = 70000, 40000  # 2.8e9
    check([[10.3, 69990, 39990.2, 5.5, 39995, 69999.9, 20000, 35000.5], [39000, 69000, 39999.9, 69999.9, 39999, 60000]], h, w)


def test_image_of_2_32_pixels_and_more():
    """Departure: pycocotools' counts wrap; maskcore's are the same runs with the tail
    run extended by the extra columns (the polygon lies in the first 50)."""
    polys = [[3.2, 69990, 45.5, 17.7, 48, 69999.9], [10, 10, 20, 10, 20, 20, 10, 20]]
    small = C.frPyObjects(polys, 70000, 50)
    big = C.frPyObjects(polys, 70000, 70000)
    same(small, M.frPyObjects(polys, 70000, 50))
    for s, b in zip(small, big):
        assert b["size"] == [70000, 70000]
        cs = C.RLE.from_coco(s).counts.astype(np.uint64)
        cb = C.RLE.from_coco(b).counts
        assert cb.dtype == np.uint64
        tail = 70000 * (70000 - 50)
        expected = np.append(cs, np.uint64(tail)) if len(cs) % 2 == 0 else np.append(cs[:-1], cs[-1] + np.uint64(tail))
        np.testing.assert_array_equal(cb, expected)


# ---- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, message", [
    ([[1, 1, np.nan, 5, 6, 6]], r"pyobj\[0\]: point 1 has x = nan"),
    ([P, [1, 1, 5, np.inf, 6, 6]], r"pyobj\[1\]: point 1 has y = inf"),
    ([1, 1, 5, 5, -np.inf, 6], r"pyobj: point 2 has x = -inf"),
    ([[1, 1, 5, 5, 2.5e8, 6]], r"pyobj\[0\]: point 2 has x = 250000000.0; expected a finite coordinate with \|v\| <= 2e8"),
    ([np.array([1, 1, 5, 5, 3, np.nan])], r"pyobj\[0\]: point 2 has y = nan"),
    ([P + [3.0]], r"pyobj\[0\]: expected an even number of coordinates \(x, y pairs\), got 7"),
    ([P, [1, 2, 3, 4, 5]], r"pyobj\[1\]: expected an even number"),
    ([1, 2, 3, 4, 5], r"pyobj: expected an even number"),
    ([np.zeros((4, 3))], r"pyobj\[0\]: expected a flat sequence .* got shape \(4, 3\)"),
])
def test_bad_polygons_raise_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        C.frPyObjects(bad, 10, 10)


@pytest.mark.parametrize("bad", [[P, [1, 2, "x", 4, 5, 6]], [P, 5], [P, "abcdef"], [P, [1, 2, None, 4, 5, 6]],
                                 [P, {"a": 1}]])
def test_bad_polygons_raise_type_error(bad):
    with pytest.raises(TypeError, match=r"pyobj\[1\]: expected a polygon"):
        C.frPyObjects(bad, 10, 10)


def test_bad_sizes():
    with pytest.raises(ValueError, match="h must be >= 0"):
        C.frPyObjects([P], -1, 10)
    with pytest.raises(TypeError, match="w must be an int"):
        C.frPyObjects([P], 10, 3.5)
    same(C.frPyObjects([P], np.int32(10), 10.0), M.frPyObjects([P], 10, 10))
    with pytest.raises(OverflowError):
        C.frPyObjects([P], 2**40, 2**40)


# ---- the real data -----------------------------------------------------------------------

def _annotations():
    """(file, segmentation, height, width) of every polygon annotation in ../shared/data."""
    out = []
    for path in sorted(SHARED.rglob("*.json")):
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict) or not isinstance(doc.get("annotations"), list):
            continue
        images = {im["id"]: im for im in doc.get("images", []) if isinstance(im, dict)}
        for a in doc["annotations"]:
            seg = a.get("segmentation") if isinstance(a, dict) else None
            if isinstance(seg, list) and seg and a.get("image_id") in images:
                im = images[a["image_id"]]
                out.append((str(path.relative_to(SHARED)), seg, im["height"], im["width"]))
    return out


@pytest.fixture(scope="module")
def annotations():
    if not SHARED.is_dir():
        pytest.skip(f"../shared/data is absent: the real COCO / LVIS files are expected at {SHARED}")
    anns = _annotations()
    assert len(anns) > 1000 and sum(len(s) for _, s, _, _ in anns) > 2000
    return anns


def test_every_shared_polygon(annotations, isa):
    """Per annotation, as COCO.annToRLE does: frPyObjects, then merge."""
    files = set()
    for name, seg, h, w in annotations:
        ours, theirs = C.frPyObjects(seg, h, w), M.frPyObjects(seg, h, w)
        same(ours, theirs)
        same(C.merge(ours), M.merge(theirs))
        files.add(name)
    assert any("lvis" in f for f in files) and any("coco" in f for f in files)


def test_every_shared_polygon_transposed(annotations):
    """The same polygons with x and y swapped on the transposed image: another set of
    edge directions and roundings."""
    for _, seg, h, w in annotations[::3]:
        swapped = [[p[i ^ 1] for i in range(len(p))] for p in seg]
        check(swapped, w, h)


def test_every_shared_polygon_rasterize_rle(annotations, isa):
    """maskcore.rasterize_rle(rule="coco") (one object: parts unioned) == pycocotools'
    merge(frPyObjects) on every real annotation, and so is its dense rasterize (every tenth); and
    the other rules' RLE == encode(dense)."""
    import maskcore
    wants = []
    for i, (_, seg, h, w) in enumerate(annotations):
        want = M.merge(M.frPyObjects(seg, h, w))
        got = maskcore.rasterize_rle(seg, h, w, rule="coco")
        assert got.to_string() == want["counts"], i
        wants.append(want["counts"])
        if i % 10 == 0:
            # the dense mask through the scan engine's row sink (coco_rows) == the RLE
            assert maskcore.encode(maskcore.rasterize(seg, h, w, rule="coco")) == got, i
            for rule in ("center", "touched", "inclusive"):
                assert maskcore.rasterize_rle(seg, h, w, rule=rule) == maskcore.encode(
                    maskcore.rasterize(seg, h, w, rule=rule)), (i, rule)
    batch = maskcore.rasterize_rle_batch([s for _, s, _, _ in annotations], [h for _, _, h, _ in annotations],
                                         [w for _, _, _, w in annotations], rule="coco")
    assert [r.to_string() for r in batch] == wants


def test_every_shared_polygon_fused_dicts(annotations):
    """_core.coco_poly_dicts (the one-call path offered to maskcore.coco.frPyObjects) gives
    pycocotools' dicts on every real annotation, and declines what it does not parse."""
    from maskcore import _core
    for _, seg, h, w in annotations:
        assert _core.coco_poly_dicts(seg, h, w) == M.frPyObjects(seg, h, w)
    assert _core.coco_poly_dicts([[1.0, 2.0, 3.0]], 5, 5) is None  # odd length
    assert _core.coco_poly_dicts([np.zeros(6)], 5, 5) is None
    assert _core.coco_poly_dicts([[1, 2, 3, 4, 5, True]], 5, 5) is None
    assert _core.coco_poly_dicts([[], [0, 0, 4, 0, 0, 4]], 5, 5) == C.frPyObjects([[], [0, 0, 4, 0, 0, 4]], 5, 5)
    with pytest.raises(_core.KernelError) as e:  # the kernel's ErrorInfo: polygon 0, coordinate 3 (y of point 1)
        _core.coco_poly_dicts([[0, 0, 1, float("nan"), 2, 2]], 5, 5)
    from maskcore import _validate
    info = _validate.kernel_info(e.value)
    assert (info.status, info.item, info.at) == ("invalid_value", 0, 3) and info.coordinate != info.coordinate
    with pytest.raises(ValueError, match=r"^pyobj\[0\]: point 1 has y = nan"):  # worded by _validate
        C.frPyObjects([[0, 0, 1, float("nan"), 2, 2]], 5, 5)
