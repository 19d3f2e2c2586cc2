"""Painting into label maps: paint, paint_many, paint_mask, stroke, draw_rgb, and the
lock rule they share (tests/reference/raster_ref.py: paint)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import maskcore
from maskcore import draw_rgb, paint, paint_many, paint_mask, rasterize, stroke
from reference import raster_ref as ref
from strategies import layouts, raster_polygons

DTYPES = (np.uint8, np.uint16, np.uint32, np.uint64)


def _label_map(rng, h, w, dtype, nlabels=4):
    return rng.integers(0, nlabels, (h, w)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rule", ["center", "coco", "inclusive", "touched"])
def test_paint_lock_rule(dtype, rule):
    rng = np.random.default_rng(3)
    for t in range(20):
        h, w = rng.integers(1, 30, 2)
        poly = rng.uniform(-3, max(h, w) + 3, 2 * rng.integers(3, 8)).tolist()
        lm = _label_map(rng, h, w, dtype)
        mode = ("over", "under")[t % 2]
        locked = [] if t % 3 == 0 else list(rng.choice(4, rng.integers(1, 3), replace=False))
        sel = rasterize(poly, h, w, rule=rule).astype(bool)
        want = ref.paint(lm, sel, 9, mode, locked)
        got = paint(lm, poly, 9, rule=rule, mode=mode, locked=locked)
        assert got is lm
        np.testing.assert_array_equal(lm, want)


def test_paint_any_layout():
    poly = [0.3, 0.2, 11.5, 2.0, 6.0, 9.7]
    base = np.arange(10 * 12).reshape(10, 12).astype(np.uint16) % 3
    want = ref.paint(base, rasterize(poly, 10, 12).astype(bool), 7, "under", [2])
    for name, lm in layouts(base, dtypes=(np.uint16,)).items():
        if not lm.flags.writeable:
            with pytest.raises(ValueError, match="read-only"):
                paint(lm, poly, 7)
            continue
        paint(lm, poly, 7, mode="under", locked={2})
        np.testing.assert_array_equal(lm, want, err_msg=name)


@given(st.integers(1, 14), st.integers(1, 14), st.data())
def test_paint_many_later_wins_is_sequential_paint(h, w, data):
    items = [(data.draw(raster_polygons(h, w, max_parts=2, max_points=5)), data.draw(st.integers(0, 5)))
             for _ in range(data.draw(st.integers(0, 4)))]
    locked = data.draw(st.sets(st.integers(0, 5), max_size=2))
    mode = data.draw(st.sampled_from(["over", "under"]))
    start = np.random.default_rng(h * 31 + w).integers(0, 3, (h, w)).astype(np.uint8)
    want = start.copy()
    for polys, label in items:
        paint(want, polys, label, mode=mode, locked=locked)
    got = paint_many(start.copy(), items, mode=mode, locked=locked)
    np.testing.assert_array_equal(got, want)


def test_paint_many_priority():
    big, small = [0, 0, 10, 0, 10, 10, 0, 10], [2, 2, 6, 2, 6, 6, 2, 6]
    lm = np.zeros((10, 10), np.uint8)
    # person (5) outranks road (1) whatever the order of the items.
    paint_many(lm, [(small, 5), (big, 1)], order="priority", priority=[5, 1])
    assert (lm[2:6, 2:6] == 5).all() and (lm == 1).sum() == 100 - 16
    lm[:] = 0
    paint_many(lm, [(small, 5), (big, 1)])  # later wins
    assert (lm == 1).all()
    lm[:] = 0
    paint_many(lm, [(small, 5), (big, 1)], order="priority", priority=[1])  # 5 unlisted: lowest
    assert (lm == 1).all()
    with pytest.raises(ValueError, match="priority"):
        paint_many(lm, [(small, 5)], order="priority")
    with pytest.raises(ValueError, match="order"):
        paint_many(lm, [(small, 5)], order="first_wins")
    with pytest.raises(TypeError, match="items\\[0\\]"):
        paint_many(lm, [small])
    with pytest.raises(OverflowError, match="items\\[0\\] label"):
        paint_many(lm, [(small, 256)])


def test_paint_many_coco_rule():
    a, b = [0.5, 0.5, 8, 1, 4, 7], [3, 3, 9, 3, 9, 9]
    lm = np.zeros((10, 10), np.uint8)
    paint_many(lm, [(a, 1), ([b], 2)], rule="coco")
    want = np.zeros((10, 10), np.uint8)
    paint(want, a, 1, rule="coco")
    paint(want, [b], 2, rule="coco")
    np.testing.assert_array_equal(lm, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_paint_mask(dtype):
    rng = np.random.default_rng(4)
    lm = _label_map(rng, 17, 33, dtype)
    sel = rng.random((17, 33)) < 0.4
    for mode, locked in (("over", []), ("under", []), ("over", [1, 3]), ("under", [0])):
        want = ref.paint(lm, sel, 2, mode, locked)
        got = paint_mask(lm.copy(), sel, 2, mode=mode, locked=locked)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(paint_mask(lm.copy(), np.asfortranarray(sel.view(np.uint8)), 2, mode=mode,
                                                 locked=locked), want)
    with pytest.raises(ValueError, match="shape"):
        paint_mask(lm, sel[:, 1:], 1)
    with pytest.raises(ValueError, match="0/1"):
        paint_mask(lm, sel.astype(np.uint8) * 2, 1)


def test_stroke_matches_reference():
    rng = np.random.default_rng(6)
    for t in range(60):
        h, w = rng.integers(1, 40, 2)
        pts = rng.uniform(-5, max(h, w) + 5, (rng.integers(1, 6), 2))
        width = float(rng.uniform(0.2, 9))
        lm = np.zeros((h, w), np.uint8)
        stroke(lm, pts, width, 3)
        np.testing.assert_array_equal(lm, ref.stroke(pts, width, h, w) * 3)


def test_stroke_disc_eraser_and_locks():
    lm = np.zeros((11, 11), np.uint8)
    stroke(lm, [5.5, 5.5], 5, 1)  # a disc of radius 2.5 around a pixel centre
    assert lm.sum() == (ref.stroke([[5.5, 5.5]], 5, 11, 11)).sum() == 21
    lm[5, :] = 2
    stroke(lm, [[0, 5.5], [11, 5.5]], 3, 0, locked=[2])  # eraser keeps locked labels
    assert (lm[5] == 2).all() and (lm[4] == 0).all() and lm[3].sum() == 3
    stroke(lm, np.array([[0.0, 5.5], [11.0, 5.5]]), 1, 4, mode="under")
    assert (lm[5] == 2).all()
    with pytest.raises(ValueError, match="width"):
        stroke(lm, [1, 1], -1, 1)
    with pytest.raises(ValueError, match="width"):
        stroke(lm, [1, 1], float("nan"), 1)
    with pytest.raises(ValueError, match="finite"):
        stroke(lm, [1, float("inf")], 1, 1)
    stroke(lm, [], 3, 1)  # nothing


def test_draw_rgb():
    img = np.zeros((12, 15, 3), np.uint8)
    poly = [[1.2, 0.5, 13, 2, 7, 11.5]]
    out = draw_rgb(img, poly, (255, 128, 3))
    assert out is img
    sel = rasterize(poly, 12, 15).astype(bool)
    assert (img[sel] == [255, 128, 3]).all() and (img[~sel] == 0).all()
    f = np.zeros((12, 15, 4), np.float32, order="F")[:, ::-1]
    draw_rgb(f, poly, 0.5, rule="touched")
    assert (f[rasterize(poly, 12, 15, rule="touched").astype(bool)] == 0.5).all()
    c = np.zeros((12, 15, 3), np.uint16)
    draw_rgb(c, poly, (1, 2, 3), rule="coco")
    assert (c[rasterize(poly, 12, 15, rule="coco").astype(bool)] == [1, 2, 3]).all()
    with pytest.raises(ValueError, match="color"):
        draw_rgb(img, poly, (256, 0, 0))
    with pytest.raises(ValueError, match="image"):
        draw_rgb(np.zeros((4, 4), np.uint8), poly, 1)


def test_bad_label_maps_and_labels():
    poly = [0, 0, 3, 0, 0, 3]
    with pytest.raises(TypeError, match="label_map"):
        paint(np.zeros((4, 4), np.float32), poly, 1)
    with pytest.raises(TypeError, match="label_map"):
        paint([[0, 0]], poly, 1)
    with pytest.raises(OverflowError, match="label"):
        paint(np.zeros((4, 4), np.int8), poly, 200)
    with pytest.raises(ValueError, match="label_map"):
        paint(np.zeros((4, 4, 1), np.uint8), poly, 1)
    with pytest.raises(OverflowError, match="label"):
        paint(np.zeros((4, 4), np.uint8), poly, 300)
    with pytest.raises(OverflowError, match="label"):
        paint(np.zeros((4, 4), np.uint16), poly, -1)
    with pytest.raises(ValueError, match="mode"):
        paint(np.zeros((4, 4), np.uint8), poly, 1, mode="behind")
    with pytest.raises(TypeError, match="locked"):
        paint(np.zeros((4, 4), np.uint8), poly, 1, locked=3)
    lm = np.zeros((4, 4), np.uint32)
    paint(lm, poly, 2**32 - 1, locked=[2**40, -5])  # out-of-range locks can never match
    assert lm.max() == 2**32 - 1


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64])
def test_signed_label_maps(dtype):
    """Signed maps are painted through their unsigned view: labels and locks by value."""
    poly = [0, 0, 4, 0, 4, 4, 0, 4]
    lm = np.zeros((5, 5), dtype)
    lm[1, 1] = -3
    lm[2, 2] = 5
    paint(lm, poly, -1, locked=[-3])
    want = np.zeros((5, 5), dtype)
    want[:4, :4] = -1
    want[1, 1] = -3
    np.testing.assert_array_equal(lm, want)
    paint_many(lm, [(poly, 7)], mode="under")  # the checked path: no background left under it
    np.testing.assert_array_equal(lm, want)
    stroke(lm, [(4.5, 0.5), (4.5, 4.5)], 1, -2)
    want[:, 4] = -2
    np.testing.assert_array_equal(lm, want)


def test_every_entry_takes_the_callers_forms_as_their_canonical_ones(monkeypatch):
    """Each raster operation has one native entry, which takes the caller's arguments as they are
    when it can (COCO lists, float64 arrays, lists of those, rule names) and otherwise their
    canonical form from _validate (a list of float64 arrays per object): both give the same
    pixels, runs and errors."""
    from maskcore import _core, rasterize_rle, rasterize_rle_batch

    def canon(p):
        return type(p) is list and all(type(q) is np.ndarray and q.dtype == np.float64 for q in p)
    only = {  # entry -> (where its polygons are, how a canonical argument looks)
        "raster_fill": (0, canon), "raster_rle": (0, canon), "raster_paint": (0, canon),
        "raster_color": (1, canon), "raster_rle_batch": (0, lambda objs: all(canon(o) for o in objs)),
        "raster_paint_many": (0, lambda items: all(type(t) is tuple and canon(t[0]) for t in items)),
    }
    real = {name: getattr(_core, name) for name in only}

    def guarded(name):
        at, ok = only[name]
        return lambda *a: real[name](*a) if ok(a[at]) else None
    objects = [[1.5, 1, 9, 2, 6.5, 8], [[0, 0, 8, 0, 8, 8, 0, 8], [2, 2, 5, 2, 5, 5]],
               np.array([[1, 1], [6, 2], [3, 7.5]]), [np.array([0.0, 0, 5, 1, 2, 6]), [7, 7, 9, 7, 9, 9]],
               (3, 3, 7, 3, 5, 7), [np.array([[1, 1], [9, 1], [5, 9]], np.int32)], [], [[]],
               [0, 0, 5, float("nan"), 2, 6], [0, 0, 5], "square"]

    def run():
        out = []
        for rule in ("center", "touched", "inclusive", "coco"):
            for i, p in enumerate(objects):
                def call(f):
                    try:
                        r = f()
                        out.append(r.tolist() if isinstance(r, np.ndarray) else r)
                    except (TypeError, ValueError, OverflowError) as e:
                        out.append((type(e), str(e)))
                call(lambda: rasterize(p, 10, 11, rule=rule, fill_rule="nonzero"))
                call(lambda: rasterize_rle(p, 10, 11, rule=rule).counts)
                call(lambda: paint(np.full((10, 11), 2, np.int16), p, -3, rule=rule, locked=[5]))
                call(lambda: draw_rgb(np.zeros((10, 11, 3), np.uint8), p, (1, 2, 3), rule=rule))
                call(lambda: paint_many(np.zeros((10, 11), np.uint16), [(p, 4), ([2, 2, 8, 2, 8, 8], 5)], rule=rule))
                call(lambda: paint_many(np.zeros((10, 11), np.uint16), [([2, 2, 8, 2, 8, 8], 5), (p, 4)], rule=rule,
                                        order="priority", priority=[4, 5]))
                call(lambda: rasterize_rle_batch([p, [1, 1, 5, 1, 5, 5]], 10, 11, rule=rule).counts)
        return out
    want = run()
    for name in only:
        monkeypatch.setattr(_core, name, guarded(name))
    assert run() == want
