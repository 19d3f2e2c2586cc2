"""maskcore.rasterize / rasterize_rle: every rule against its exact reference
(tests/reference/raster_ref.py), the partition property, RLE == encode(dense)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import maskcore
from maskcore import draw_rgb, paint, paint_many, rasterize, rasterize_rle
from reference import raster_ref as ref
from strategies import fixture_settings, layouts, raster_polygons

RULES = ("center", "coco", "inclusive", "touched")


def small_case(max_side=12, **kw):
    return st.tuples(st.integers(0, max_side), st.integers(0, max_side)).flatmap(
        lambda hw: st.tuples(st.just(hw[0]), st.just(hw[1]), raster_polygons(hw[0], hw[1], **kw)))


# ---- worked examples ---------------------------------------------------------------------

def test_square_per_rule():
    sq = [1, 1, 4, 1, 4, 4, 1, 4]
    got = {r: rasterize(sq, 6, 6, rule=r) for r in RULES}
    assert {r: int(m.sum()) for r, m in got.items()} == {"center": 9, "coco": 9, "inclusive": 16, "touched": 25}
    assert got["inclusive"][1:5, 1:5].all()  # rows and columns 1..4, as cv2.fillPoly
    assert got["center"][1:4, 1:4].all()
    assert got["touched"][0:5, 0:5].all()


def test_top_left_rule_on_centres():
    # A square whose edges run through pixel centres: left/top centres in, right/bottom out.
    m = rasterize([1.5, 1.5, 4.5, 1.5, 4.5, 4.5, 1.5, 4.5], 6, 6)
    assert m[1:4, 1:4].all() and m.sum() == 9


def test_input_forms_agree():
    tri = [[0.5, 0.5], [9.2, 1.0], [4.0, 8.7]]
    flat = [v for p in tri for v in p]
    ref_m = rasterize(flat, 10, 10)
    for form in (np.array(tri), np.array(flat), [flat], [np.array(tri)], tuple(flat), [tuple(flat)]):
        np.testing.assert_array_equal(rasterize(form, 10, 10), ref_m)


def test_out_any_layout_and_dtype():
    poly = [0.2, 0.3, 7.7, 1.1, 5.0, 6.9]
    want = rasterize(poly, 8, 9) * 7
    for dt in (np.uint8, np.uint16, np.int32, np.uint64, np.int8):
        base = np.full((8, 9), 3, dt)
        for out in layouts(base, dtypes=(dt,)).values():
            if not out.flags.writeable:
                continue
            got = rasterize(poly, 8, 9, value=7, out=out)
            assert got is out
            np.testing.assert_array_equal(out, want.astype(dt))
    b = np.zeros((8, 9), bool)
    rasterize(poly, 8, 9, out=b)
    np.testing.assert_array_equal(b, want > 0)
    for dt in (np.uint16, np.int32, np.uint64):
        out = np.full((8, 9), 3, np.dtype(dt).newbyteorder("S"))
        for rule in RULES:
            rasterize(poly, 8, 9, rule=rule, value=7, out=out)
            np.testing.assert_array_equal(out, rasterize(poly, 8, 9, rule=rule) * 7)  # byte-swapped out


# ---- the rules against their references ------------------------------------------------

@given(small_case(), st.sampled_from(["evenodd", "nonzero"]))
def test_center_matches_reference(case, fill):
    h, w, parts = case
    np.testing.assert_array_equal(rasterize(parts, h, w, fill_rule=fill), ref.center(parts, h, w, fill))


@given(small_case(max_side=9, max_points=5), st.sampled_from(["evenodd", "nonzero"]))
def test_touched_matches_reference(case, fill):
    h, w, parts = case
    np.testing.assert_array_equal(rasterize(parts, h, w, rule="touched", fill_rule=fill),
                                  ref.touched(parts, h, w, fill))


def test_touched_matches_shapely():
    shapely = pytest.importorskip("shapely")
    from shapely.geometry import Polygon, box
    rng = np.random.default_rng(5)
    for _ in range(60):
        h, w = rng.integers(1, 14, 2)
        k = rng.integers(3, 9)
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))  # star-shaped: simple
        rad = rng.uniform(0.5, 6, k)
        cx, cy = rng.uniform(-2, w + 2), rng.uniform(-2, h + 2)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
        # The kernel snaps to 1/256 pixel: give shapely the same polygon.
        pts = np.round(pts * 2) / 2 if rng.random() < 0.3 else np.round(pts * 256) / 256
        poly = Polygon(pts)
        if not poly.is_valid:
            continue
        want = np.array([[box(c, r, c + 1, r + 1).intersects(poly) for c in range(w)] for r in range(h)])
        np.testing.assert_array_equal(rasterize(pts, h, w, rule="touched"), want.astype(np.uint8))


def test_inclusive_matches_cv2_fillpoly():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(1)
    for t in range(900):
        h, w = rng.integers(1, 40, 2)
        spread = (0, 1, 10, 1000)[t % 4]  # inside the image, then far outside (clipped edges)
        parts = [np.stack([rng.integers(-spread * w, (spread + 1) * w, k),
                           rng.integers(-spread * h, (spread + 1) * h, k)], 1) if spread else
                 np.stack([rng.integers(0, w, k), rng.integers(0, h, k)], 1)
                 for k in rng.integers(1, 9, rng.integers(1, 3))]
        m = np.zeros((h, w), np.uint8)
        cv2.fillPoly(m, [p.astype(np.int32) for p in parts], 1, lineType=8)
        np.testing.assert_array_equal(rasterize([p.astype(float) for p in parts], h, w, rule="inclusive"), m)


def test_inclusive_large_images_match_cv2_fillpoly():
    """Images beyond FillRows' 2 MiB are zeroed in batches of rows, then painted: the same
    pixels (noisy stars with horizontal runs, staircases, edges far outside), any dtype."""
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(5)
    h, w = 1500, 1450
    for t in range(6):
        n = 400
        if t % 2:
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            r = rng.uniform(0.2, 0.8) * 700 * (1 + 0.05 * rng.uniform(-1, 1, n))
            p = np.round(np.stack([w / 2 + r * np.cos(ang), h / 2 + r * np.sin(ang)], 1))
        else:
            steps = rng.integers(-50, 51, (n, 2))
            steps[::2, 1] = 0
            p = np.cumsum(steps, 0) + [w // 2, h // 2]
        p = p.astype(np.int32)
        want = np.zeros((h, w), np.uint8)
        cv2.fillPoly(want, [p], 1)
        for dt, v in ((np.uint8, 1), (np.uint16, 700), (np.uint32, 7)):
            out = np.full((h, w), 3, dt)
            rasterize(p.astype(float), h, w, rule="inclusive", value=v, out=out)
            np.testing.assert_array_equal(out, want.astype(dt) * v)
        lm = np.zeros((h, w), np.uint8)
        maskcore.paint(lm, p.astype(float) + 0.25, 1)
        np.testing.assert_array_equal(rasterize(p.astype(float) + 0.25, h, w), lm)


def test_inclusive_outline_joins_at_vertices_and_borders():
    """The scan unites each edge's line with its fill span and a line's last row with the
    edge leaving that end downwards: polygons with many horizontal edges (staircases),
    vertices on the image border and just outside it (lines cut there stay apart), and
    self-intersecting bowties (two edges crossing inside a stretch), through the dense
    writer, painting and RLE, against cv2.fillPoly."""
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(7)
    for t in range(300):
        h, w = rng.integers(5, 60, 2)
        k = int(rng.integers(3, 16))
        if t % 3 == 0:  # staircase: alternating horizontal and vertical or sloped steps
            xs = np.cumsum(rng.integers(-4, 5, k)) + w // 2
            ys = np.cumsum(rng.integers(0, 4, k)) + rng.integers(-3, 3)
            p = np.stack([np.repeat(xs, 2)[1:], np.repeat(ys, 2)[:-1]], 1)
        elif t % 3 == 1:  # vertices on the border or one pixel beyond it
            p = np.stack([rng.choice([-1, 0, w - 1, w, int(rng.integers(0, w))], k),
                          rng.choice([-1, 0, h - 1, h, int(rng.integers(0, h))], k)], 1)
        else:  # bowtie: two long edges crossing
            a, b = rng.integers(0, w, 2), rng.integers(0, h, 2)
            p = np.array([[a[0], b[0]], [a[1], h - 1 - b[0]], [a[1], b[1]], [a[0], h - 1 - b[1]]])
        want = np.zeros((h, w), np.uint8)
        cv2.fillPoly(want, [p.astype(np.int32)], 1, lineType=8)
        pf = p.astype(float)
        np.testing.assert_array_equal(rasterize(pf, h, w, rule="inclusive"), want)
        assert rasterize_rle(pf, h, w, rule="inclusive") == maskcore.encode(want)
        lm = np.zeros((h, w), np.uint32)
        np.testing.assert_array_equal(maskcore.paint(lm, pf, 3, rule="inclusive"), 3 * want)


def test_inclusive_rounds_non_integer_vertices():
    pts = np.array([[1.4, 0.6], [7.5, 2.5], [3.2, 6.49]])
    np.testing.assert_array_equal(rasterize(pts, 9, 9, rule="inclusive"),
                                  rasterize(np.round(pts), 9, 9, rule="inclusive"))


def _star(rng, n, h, w):
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = min(h, w) * (0.45 + 0.1 * np.sin(5 * ang)) + rng.uniform(-2, 2, n)
    return np.round(np.stack([w / 2 + r * np.cos(ang), h / 2 + r * np.sin(ang)], 1))


@pytest.mark.parametrize("n, h, w", [(60, 97, 131), (700, 400, 300), (3000, 600, 1100)])
def test_inclusive_long_outlines_every_sink(n, h, w):
    """Outlines with thousands of line rows (more than one batch of line runs) through every
    writer: the dense mask and painting (lines drawn apart from the fill), strided outputs and
    RLE (lines scanned with the rows), the lock rule and colour images."""
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(n)
    p = _star(rng, n, h, w) + rng.integers(-w // 3, w // 3, 2)  # partly outside: clipped lines
    want = np.zeros((h, w), np.uint8)
    cv2.fillPoly(want, [p.astype(np.int32)], 1, lineType=8)
    np.testing.assert_array_equal(rasterize(p, h, w, rule="inclusive"), want)
    strided = np.zeros((h, 2 * w), np.uint16)[:, ::2]
    np.testing.assert_array_equal(rasterize(p, h, w, rule="inclusive", out=strided), want)
    assert rasterize_rle(p, h, w, rule="inclusive") == maskcore.encode(want)
    lm = rng.integers(0, 3, (h, w)).astype(np.uint16)
    expect = ref.paint(lm, want.astype(bool), 7, "under", [2])
    np.testing.assert_array_equal(maskcore.paint(lm, p, 7, rule="inclusive", mode="under", locked=[2]), expect)
    rgb = maskcore.draw_rgb(np.zeros((h, w, 3), np.uint8), p, (1, 2, 3), rule="inclusive")
    np.testing.assert_array_equal(rgb, want[:, :, None] * np.array([1, 2, 3], np.uint8))


def test_coco_matches_pycocotools():
    M = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(2)
    for t in range(300):
        h, w = (int(v) for v in rng.integers(1, 50, 2))
        parts = [rng.uniform(-5, 55, 2 * k).tolist() for k in rng.integers(3, 9, rng.integers(1, 3))]
        want = maskcore.RLE.from_coco(M.merge(M.frPyObjects(parts, h, w))).decode()
        np.testing.assert_array_equal(rasterize(parts, h, w, rule="coco"), want)
        np.testing.assert_array_equal(rasterize_rle(parts, h, w, rule="coco").decode(), want)


@given(small_case(max_side=20), st.sampled_from(RULES), st.sampled_from(["evenodd", "nonzero"]))
def test_rle_equals_encode_of_dense(case, rule, fill):
    h, w, parts = case
    if rule == "coco":
        parts = [[min(max(v, -1e6), 1e6) for v in p] for p in parts]  # pycocotools' range
    dense = rasterize(parts, h, w, rule=rule, fill_rule=fill)
    want = maskcore.encode(dense)
    assert rasterize_rle(parts, h, w, rule=rule, fill_rule=fill) == want  # lists: the one-call path
    arrays = [np.asarray(p, np.float64) for p in parts]
    assert rasterize_rle(arrays, h, w, rule=rule, fill_rule=fill) == want  # the validating path


@given(st.integers(0, 40), st.integers(0, 40), st.lists(st.lists(st.floats(-8, 48), min_size=0, max_size=24)
       .map(lambda p: p[:len(p) // 2 * 2]), min_size=0, max_size=4), st.integers(0, 3))
def test_coco_into_every_sink_equals_its_rle(h, w, parts, seed):
    """The coco rule through the scan engine's sinks (coco_rows: the union's column runs as row
    spans) writes exactly the pixels of its RLE (the counts pycocotools' frPyObjects + merge
    give), into a dense mask of any layout and dtype, a label map under the lock rule, an RGB
    image, and paint_many."""
    want = rasterize_rle(parts, h, w, rule="coco").decode().astype(bool)
    np.testing.assert_array_equal(rasterize(parts, h, w, rule="coco"), want.astype(np.uint8))
    for out, v in [(np.full((w, h), 7, np.int16).T, -3), (np.full((h, 2 * w), 9, ">u4")[:, ::2], 5),
                   (np.ones((h, w), bool), 1)]:
        got = rasterize(parts, h, w, rule="coco", value=v, out=out)
        np.testing.assert_array_equal(got, np.where(want, v, 0).astype(out.dtype))
    g = np.random.default_rng(seed)
    lm = g.integers(0, 4, (h, w)).astype(np.uint16)
    exp = lm.copy()
    exp[want & (exp != 2)] = 3
    paint(lm, parts, 3, rule="coco", locked=[2])
    np.testing.assert_array_equal(lm, exp)
    img = np.zeros((h, w, 3), np.float32)
    draw_rgb(img, parts, (1, 2, 3), rule="coco")
    np.testing.assert_array_equal(img, np.where(want[..., None], np.float32([1, 2, 3]), 0))
    lm2 = np.zeros((h, w), np.uint8)
    paint_many(lm2, [(parts, 1), ([[2, 2, 30, 4, 9, 33]], 2)], rule="coco")
    exp2 = want.astype(np.uint8)
    exp2[rasterize_rle([[2, 2, 30, 4, 9, 33]], h, w, rule="coco").decode().astype(bool)] = 2
    np.testing.assert_array_equal(lm2, exp2)


@given(small_case(max_side=16), st.sampled_from(["center", "inclusive", "touched"]))
@fixture_settings()
def test_every_isa_identical(isa, case, rule):
    h, w, parts = case
    with maskcore.use_isa("scalar"):
        want = rasterize(parts, h, w, rule=rule)
    np.testing.assert_array_equal(rasterize(parts, h, w, rule=rule), want)


# ---- partition --------------------------------------------------------------------------

def _coverage(cells, h, w):
    cover = np.zeros((h, w), np.int64)
    for cell in cells:
        cover += rasterize(cell, h, w)
    return cover


@pytest.mark.parametrize("seed", range(6))
def test_partition_jittered_grid(seed):
    rng = np.random.default_rng(seed)
    h, w, n = 37, 41, 6
    xs = np.linspace(-1, w + 1, n + 1)
    ys = np.linspace(-1, h + 1, n + 1)
    gx, gy = np.meshgrid(xs, ys)
    jit = rng.uniform(-2.5, 2.5, gx.shape + (2,))
    if seed % 2:
        jit = np.round(jit * 2) / 2  # vertices on centres and edges: ties everywhere
    jit[0, :] = jit[-1, :] = jit[:, 0] = jit[:, -1] = 0
    px, py = gx + jit[..., 0], gy + jit[..., 1]
    cells = [[px[i, j], py[i, j], px[i, j + 1], py[i, j + 1], px[i + 1, j + 1], py[i + 1, j + 1],
              px[i + 1, j], py[i + 1, j]] for i in range(n) for j in range(n)]
    assert (_coverage(cells, h, w) == 1).all()


@pytest.mark.parametrize("seed", range(6))
def test_partition_triangle_fan(seed):
    rng = np.random.default_rng(seed)
    h, w = 29, 33
    c = rng.integers(2, 60, 2) / 2  # centre on a pixel centre or edge
    ring = [(-1, -1)] + [(x, -1) for x in np.sort(rng.uniform(-1, w + 1, 5))] + [(w + 1, -1)] + \
           [(w + 1, y) for y in np.sort(rng.uniform(-1, h + 1, 5))] + [(w + 1, h + 1)] + \
           [(x, h + 1) for x in np.sort(rng.uniform(-1, w + 1, 5))[::-1]] + [(-1, h + 1)] + \
           [(-1, y) for y in np.sort(rng.uniform(-1, h + 1, 5))[::-1]]
    ring = [tuple(np.round(np.array(p) * 2) / 2) if seed % 2 else p for p in ring]
    cells = [[c[0], c[1], *ring[i], *ring[(i + 1) % len(ring)]] for i in range(len(ring))]
    assert (_coverage(cells, h, w) == 1).all()


@pytest.mark.parametrize("seed", range(4))
def test_partition_voronoi_cells(seed):
    spatial = pytest.importorskip("scipy.spatial")
    rng = np.random.default_rng(seed)
    h, w = 31, 35
    sites = rng.uniform(0, [w, h], (12, 2))
    far = np.array([[-1e4, -1e4], [1e4, -1e4], [1e4, 1e4], [-1e4, 1e4]])
    vor = spatial.Voronoi(np.vstack([sites, far]))
    cells = []
    for i in range(len(sites)):
        reg = vor.regions[vor.point_region[i]]
        assert -1 not in reg
        cells.append(vor.vertices[reg])
    assert (_coverage(cells, h, w) == 1).all()


def test_shared_edges_with_paint_many():
    # Two triangles split a square along its diagonal through pixel centres.
    lm = np.zeros((10, 10), np.uint8)
    a, b = [0.5, 0.5, 9.5, 0.5, 9.5, 9.5], [0.5, 0.5, 9.5, 9.5, 0.5, 9.5]
    maskcore.paint_many(lm, [(a, 1), (b, 2)])
    assert (rasterize(a, 10, 10) & rasterize(b, 10, 10)).sum() == 0
    assert ((lm > 0) == rasterize([0.5, 0.5, 9.5, 0.5, 9.5, 9.5, 0.5, 9.5], 10, 10).astype(bool)).all()


# ---- degenerate and far-away input ------------------------------------------------------

def test_fewer_than_three_points():
    for pts in ([], [3.5, 3.5], [1.0, 1.0, 6.0, 4.0]):
        assert rasterize(pts, 8, 8).sum() == 0
        assert rasterize(pts, 8, 8, rule="coco").sum() == 0
    assert rasterize([2.0, 2.0], 8, 8, rule="touched").sum() == 4  # the point touches 4 squares
    assert rasterize([2.5, 2.5], 8, 8, rule="touched").sum() == 1
    assert rasterize([2.0, 2.0], 8, 8, rule="inclusive").sum() == 1  # cv2: one pixel
    np.testing.assert_array_equal(rasterize([1.0, 1.0, 5.0, 3.0], 8, 8, rule="touched"),
                                  ref.touched([[1.0, 1.0, 5.0, 3.0]], 8, 8))
    line = rasterize([1.0, 1.0, 5.0, 3.0], 8, 8, rule="inclusive")
    assert sorted(map(tuple, np.argwhere(line))) == [(1, 1), (1, 2), (2, 3), (2, 4), (3, 5)]


def test_zero_area_repeated_and_collinear():
    assert rasterize([1, 1, 5, 5, 9, 9], 10, 10).sum() == 0
    assert rasterize([1, 1, 1, 1, 1, 1, 1, 1], 10, 10).sum() == 0
    sq = [1, 1, 4, 1, 4, 1, 4, 4, 2.5, 4, 1, 4]  # repeated and collinear points
    np.testing.assert_array_equal(rasterize(sq, 6, 6), rasterize([1, 1, 4, 1, 4, 4, 1, 4], 6, 6))


def test_empty_input_and_sizes():
    assert rasterize([], 5, 4).shape == (5, 4) and rasterize([], 5, 4).sum() == 0
    assert rasterize([[]], 5, 4).sum() == 0
    for rule in RULES:
        assert rasterize([0, 0, 3, 0, 0, 3], 0, 4, rule=rule).shape == (0, 4)
        assert rasterize_rle([0, 0, 3, 0, 0, 3], 4, 0, rule=rule).counts.tolist() == [0]


def test_far_vertices():
    big = [-1e12, -1e12, 1e12, -1e12, 0.0, 1e12]
    for fill in ("evenodd", "nonzero"):
        np.testing.assert_array_equal(rasterize(big, 7, 9, fill_rule=fill), ref.center([big], 7, 9, fill))
    assert rasterize(big, 7, 9).all() and rasterize(big, 7, 9, rule="touched").all()
    assert rasterize(big, 7, 9, rule="inclusive").all()
    sliver = [-1e12, 3.5, 1e12, 3.5, 1e12, 3.5 + 2**-8]
    np.testing.assert_array_equal(rasterize(sliver, 7, 9), ref.center([sliver], 7, 9))


def test_huge_canvas_rle():
    n = 100_000
    tri = [0.0, 0.0, float(n), 0.0, 0.0, float(n)]
    r = rasterize_rle(tri, n, n)
    # Centres (c + .5, r + .5) with c + r + 1 < n, plus the tie c + r + 1 == n on the
    # hypotenuse (a right edge: excluded).
    assert r.area == n * (n - 1) // 2
    t = rasterize_rle(tri, n, n, rule="touched")
    assert t.area == n * (n + 1) // 2 + (n - 1)  # (closed squares meeting the closed triangle)


# ---- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("bad, err, match", [
    ([0, 0, 1, float("nan"), 2, 2], ValueError, "finite"),
    ([0, 0, 1, float("inf"), 2, 2], ValueError, "finite"),
    ([0, 0, 1, 2e12, 2, 2], ValueError, "2\\*\\*40"),
    ([0, 0, 1, 1, 2], ValueError, "even"),
    ([[0, 0, 1, 1, 2, 2], [0, 0, 1]], ValueError, "even"),
    ([[0, 0, 1, 1], [0, [1], 2, 3]], TypeError, None),
    (np.zeros((3, 3)), ValueError, "shape"),
    ("0 0 1 1", TypeError, None),
    (None, TypeError, None),
    ([0, 0, 1, "a", 2, 2], TypeError, None),
])
def test_bad_polygons(bad, err, match):
    for rule in ("center", "touched", "inclusive"):
        with pytest.raises(err, match=match):
            rasterize(bad, 5, 5, rule=rule)
        with pytest.raises(err, match=match):
            rasterize_rle(bad, 5, 5, rule=rule)


def test_bad_options():
    p = [0, 0, 4, 0, 0, 4]
    with pytest.raises(ValueError, match="rule"):
        rasterize(p, 5, 5, rule="centre")
    with pytest.raises(ValueError, match="fill_rule"):
        rasterize(p, 5, 5, fill_rule="winding")
    with pytest.raises(ValueError, match="out"):
        rasterize(p, 5, 5, out=np.zeros((5, 4), np.uint8))
    with pytest.raises(TypeError, match="out"):
        rasterize(p, 5, 5, out=np.zeros((5, 5), np.float32))
    with pytest.raises(OverflowError, match="value"):
        rasterize(p, 5, 5, value=256)
    with pytest.raises(ValueError, match="size"):
        rasterize(p, -1, 5)
    with pytest.raises(TypeError):
        rasterize(p, 5.0, 5)


def test_rasterize_rle_fast_path_declines_to_the_checked_path():
    """rasterize_rle's one-call path takes only lists, exact ints and rule names; everything
    else gets the same answer or the same error through the validating path."""
    p = [0, 0, 4, 0, 0, 4]
    want = rasterize_rle(p, 5, 6, rule="coco")
    for h, w in [(np.int64(5), 6), (5, np.uint16(6))]:
        assert rasterize_rle(p, h, w, rule="coco") == want
        assert rasterize_rle(np.asarray(p, np.float64), h, w, rule="coco") == want
    assert rasterize_rle([p], 5, 6, rule=np.str_("coco")) == want
    for bad, err, match in [((p, -1, 5), ValueError, "size"), ((p, True, 5), TypeError, None),
                            ((p, 2**70, 5), (ValueError, OverflowError), None)]:
        with pytest.raises(err, match=match):
            rasterize_rle(*bad)
    with pytest.raises(ValueError, match="rule"):
        rasterize_rle(p, 5, 5, rule="centre")
    with pytest.raises(ValueError, match="fill_rule"):
        rasterize_rle(p, 5, 5, fill_rule="winding")
    with pytest.raises(ValueError, match="even number"):
        rasterize_rle([0, 0, 4, 0, 0], 5, 5, rule="coco")
    with pytest.raises(ValueError, match="finite"):
        rasterize_rle([0, 0, 4, 0, float("nan"), 4], 5, 5, rule="coco")
    r = rasterize_rle(p, 5, 6, rule="coco")
    assert r.counts.dtype == np.uint32 and not r.counts.flags.writeable
    with pytest.raises(TypeError, match="positional"):
        maskcore._core.raster_rle(p, 5, 6)
    assert maskcore._core.raster_rle(p, 5, 6, "coco", "evenodd").tolist() == want.counts.tolist()
    assert maskcore._core.raster_rle(p, 5, 6, "centre", "evenodd") is None  # the validating path explains


def test_rasterize_rle_fast_path_builds_the_same_rle():
    # COCO lists with int sizes are taken by raster_rle as they are (counts from C++, wrapped by RLE._wrap);
    # an array and numpy ints take the validating path.
    import pickle
    p = [[1, 1, 4.5, 1, 4, 4, 1, 4], [5, 5, 6.5, 5, 6, 6.5]]
    for rule in ["coco", "center"]:
        fast = rasterize_rle(p, 6, 7, rule=rule)
        slow = rasterize_rle([np.asarray(q, float) for q in p], np.int64(6), np.int64(7), rule=rule)
        assert type(fast) is maskcore.RLE and fast == slow and fast.shape == (6, 7)
        assert type(fast.height) is int and type(fast.width) is int
        assert fast.counts.dtype == np.uint32 and not fast.counts.flags.writeable
        assert pickle.loads(pickle.dumps(fast)) == fast and hash(fast) == hash(slow)


def test_rasterize_fast_path_equals_the_checked_path(monkeypatch):
    """rasterize's entry (raster_fill) on the caller's arguments gives what it gives on their
    canonical form (_validate): the same pixels, the same returned object, the same errors; it
    declines what it does not
    take (numpy ints, non-native or read-only out, values out's dtype cannot hold); every rule,
    coco included, is one call."""
    polys = [[0.2, 0.3, 7.7, 1.1, 5.0, 6.9], np.array([[1, 1], [6, 2], [3, 7.5]]),
             [[0, 0, 8, 0, 8, 8, 0, 8], [2, 2, 5, 2, 5, 5]], np.array([1.0, 1, 6, 2, 3, 7]), [], [[]]]
    outs = [None, np.full((8, 9), 3, np.uint8), np.full((9, 8), 3, np.int16).T, np.zeros((8, 9), bool),
            np.full((8, 18), 5, np.uint32)[:, ::2], np.full((8, 9), 1, np.int64), np.full((8, 9), 1, ">u2")]
    values = [1, 0, 255, -1, 2**15, 2**40, -(2**63)]
    checked = {}
    fast = maskcore._core.raster_fill

    def canonical_only(p, *a):  # declines all but the canonical polygons (a list of float64 arrays)
        return fast(p, *a) if type(p) is list and all(type(q) is np.ndarray for q in p) else None
    for slow in (False, True):
        if slow:
            monkeypatch.setattr(maskcore._core, "raster_fill", canonical_only)
        for i, p in enumerate(polys):
            for rule in RULES:
                for j, o in enumerate(outs):
                    for v in values:
                        out = None if o is None else o.copy() if o.flags.c_contiguous else o
                        try:
                            got = rasterize(p, 8, 9, rule=rule, fill_rule="nonzero", value=v, out=out)
                            res = (got.dtype.str, got.tolist(), got is out if out is not None else True)
                        except (OverflowError, ValueError, TypeError) as e:
                            res = (type(e), str(e))
                        key = (i, rule, j, v)
                        if slow:
                            assert res == checked[key], key
                        else:
                            checked[key] = res
    assert fast([0, 0, 4, 0, 0, 4], 5, 6, "inclusive", "evenodd", 1, None).shape == (5, 6)
    for args in [(np.int64(5), 6), (5, 6.0), (5, 2**31)]:
        assert fast([0, 0, 4, 0, 0, 4], *args, "inclusive", "evenodd", 1, None) is None
    assert fast([0, 0, 4, 0, 0, 4], 5, 6, "coco", "evenodd", 1, None).tolist() == rasterize(
        [0, 0, 4, 0, 0, 4], 5, 6, rule="coco").tolist()
    assert fast([0, 0, 4, 0, 0, 4], 5, 6, "center", "evenodd", True, None) is None
    ro = np.zeros((5, 6), np.uint8)
    ro.flags.writeable = False
    assert fast([0, 0, 4, 0, 0, 4], 5, 6, "center", "evenodd", 1, ro) is None
    with pytest.raises(maskcore._core.KernelError):  # the kernel's ErrorInfo; rasterize() words it
        fast([0, 0, 4, 0, float("nan"), 4], 5, 6, "center", "evenodd", 1, None)
    with pytest.raises(ValueError, match="point 2 has x = nan; expected a finite"):
        rasterize([0, 0, 4, 0, float("nan"), 4], 5, 6)
    with pytest.raises(TypeError, match="positional"):
        fast([0, 0, 4, 0, 0, 4], 5, 6)


# ---- batches ----------------------------------------------------------------------------

@given(st.lists(small_case(max_side=14), max_size=5), st.sampled_from(RULES), st.sampled_from(["evenodd", "nonzero"]))
def test_rasterize_rle_batch_equals_one_by_one(cases, rule, fill):
    if rule == "coco":
        cases = [(h, w, [[min(max(v, -1e6), 1e6) for v in p] for p in parts]) for h, w, parts in cases]
    objs = [parts for _, _, parts in cases]
    hs, ws = [h for h, _, _ in cases], [w for _, w, _ in cases]
    b = maskcore.rasterize_rle_batch(objs, hs, ws, rule=rule, fill_rule=fill)
    assert len(b) == len(cases)
    for i, (h, w, parts) in enumerate(cases):
        assert b[i] == rasterize_rle(parts, h, w, rule=rule, fill_rule=fill)
    # arrays and tuples take the validating path
    b2 = maskcore.rasterize_rle_batch([[np.asarray(p, float) for p in o] for o in objs], hs, ws, rule=rule,
                                      fill_rule=fill)
    assert [r for r in b2] == [r for r in b]


def test_rasterize_rle_batch_sizes_and_errors():
    tri = [0.5, 0.5, 5.5, 0.5, 0.5, 5.5]
    b = maskcore.rasterize_rle_batch([tri, [tri]], 6, 7)
    assert [r.shape for r in b] == [(6, 7), (6, 7)] and b[0] == b[1]
    assert len(maskcore.rasterize_rle_batch([], 3, 3)) == 0
    with pytest.raises(ValueError, match="objects\\[1\\].*finite"):
        maskcore.rasterize_rle_batch([tri, [0, 0, 1, float("nan"), 2, 2]], 6, 7)
    with pytest.raises(ValueError, match="objects\\[0\\].*even"):
        maskcore.rasterize_rle_batch([[0, 0, 1]], 6, 7)
    with pytest.raises(ValueError, match="height"):
        maskcore.rasterize_rle_batch([tri, tri], [6], 7)
    with pytest.raises(ValueError, match="width"):
        maskcore.rasterize_rle_batch([tri], 6, -1)
    with pytest.raises(ValueError, match="rule"):
        maskcore.rasterize_rle_batch([tri], 6, 6, rule="any")
