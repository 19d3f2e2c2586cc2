"""Issue 14, defect 4: arrays whose items are not aligned for their dtype.

A uint16 label map viewed from a byte buffer at offset 1 (``raw[1:].view(np.uint16)``)
passed the stride checks, and UBSan stopped on the misaligned loads and stores in
paint, stroke, paint_many, rasterize(out=), draw_rgb, label, component_stats,
confusion_matrix and find_polygons_labels. Now (maskcore/_validate.py) an input is
copied to an aligned array (documented: ``_validate.aligned``) and an array written in
place is refused with ValueError naming the parameter; the bindings re-check.

Run these under the sanitizer build too: ``bash tools/sanitize.sh tests/test_hostile_unaligned.py``.
"""
import numpy as np
import pytest

import maskcore
from maskcore import _core


def unaligned(a):
    """A copy of ``a`` whose data sits one byte past an aligned address."""
    a = np.ascontiguousarray(a)
    raw = np.zeros(a.nbytes + 1, np.uint8)
    u = raw[1:].view(a.dtype).reshape(a.shape)
    u[...] = a
    assert not u.flags.aligned or a.dtype.itemsize == 1
    return u


def _labels(dtype=np.uint16, shape=(30, 40), k=5, seed=0):
    return np.random.default_rng(seed).integers(0, k, shape).astype(dtype)


SQUARE = np.array([[3.0, 3.0], [20.0, 3.0], [20.0, 17.0], [3.0, 17.0]])


# ---- inputs: copied, same answer as the aligned array


@pytest.mark.parametrize("dtype", [np.uint16, np.int32, np.uint64])
def test_label_and_component_stats(dtype):
    a = _labels(dtype)
    u = unaligned(a)
    la, na = maskcore.label(a)
    lu, nu = maskcore.label(u)
    assert na == nu and np.array_equal(la, lu)
    sa, su = maskcore.component_stats(la), maskcore.component_stats(unaligned(la))
    assert all(np.array_equal(sa[f], su[f]) for f in sa.dtype.names)


@pytest.mark.parametrize("dtype", [np.uint16, np.uint32, np.int64])
def test_confusion_matrix(dtype):
    g, p = _labels(dtype, seed=1), _labels(dtype, seed=2)
    expect = maskcore.confusion_matrix(g, p, 5)
    assert np.array_equal(maskcore.confusion_matrix(unaligned(g), unaligned(p), 5), expect)


@pytest.mark.parametrize("dtype", [np.uint16, np.int32, np.int64])
def test_find_polygons_labels(dtype):
    a = _labels(dtype, k=3)
    expect = maskcore.find_polygons_labels(a)
    got = maskcore.find_polygons_labels(unaligned(a))
    assert list(got) == list(expect)
    for k in expect:
        assert len(got[k]) == len(expect[k])
        for x, y in zip(expect[k], got[k]):
            assert all(np.array_equal(r, s) for r, s in zip(x.rings, y.rings))


def test_slic_and_superpixel_labels():
    img = np.random.default_rng(0).random((40, 50)).astype(np.float32)
    expect = maskcore.slic(img, n_segments=10)
    assert np.array_equal(maskcore.slic(unaligned(img), n_segments=10), expect)
    lm = np.zeros((40, 50), np.uint16)
    got = maskcore.paint_superpixels(lm.copy(), unaligned(expect), [0, 1], 7)
    assert np.array_equal(got, maskcore.paint_superpixels(lm.copy(), expect, [0, 1], 7))


def test_polygons_and_counts():
    u = unaligned(SQUARE)
    expect = maskcore.rasterize([SQUARE], 24, 24)
    assert np.array_equal(maskcore.rasterize([u], 24, 24), expect)
    assert np.array_equal(maskcore.rasterize(u, 24, 24), expect)
    assert maskcore.rasterize_rle([u], 24, 24) == maskcore.encode(expect)
    r = maskcore.encode(expect)
    counts = unaligned(r.counts.astype(np.uint32))
    assert maskcore.RLE(counts, 24, 24) == r
    assert maskcore.RLE.from_coco({"size": [24, 24], "counts": counts}) == r


# ---- arrays written in place: refused, naming the parameter


def _unaligned_map(dtype=np.uint16):
    return unaligned(np.zeros((24, 24), dtype))


@pytest.mark.parametrize("call", [
    lambda m: maskcore.paint(m, [SQUARE], 3),
    lambda m: maskcore.paint(m, [SQUARE], 3, rule="coco"),
    lambda m: maskcore.stroke(m, SQUARE, 2.0, 3),
    lambda m: maskcore.paint_many(m, [([SQUARE], 3)]),
    lambda m: maskcore.paint_many(m, [([SQUARE.ravel().tolist()], 3)]),
    lambda m: maskcore.paint_mask(m, np.ones((24, 24), bool), 3),
    lambda m: maskcore.paint_superpixels(m, np.zeros((24, 24), np.int32), [0], 3),
], ids=["paint", "paint-coco", "stroke", "paint_many", "paint_many-lists", "paint_mask", "paint_superpixels"])
def test_painting_into_an_unaligned_map_is_refused(call):
    m = _unaligned_map()
    with pytest.raises(ValueError, match=r"label_map: the array's items are not aligned for uint16"):
        call(m)
    assert not m.any()


@pytest.mark.parametrize("polys", [[SQUARE], SQUARE.ravel().tolist(), [SQUARE.ravel().tolist()]])
@pytest.mark.parametrize("rule", ["center", "coco", "inclusive"])
def test_rasterize_out_unaligned_is_refused(polys, rule):
    out = _unaligned_map(np.int32)
    with pytest.raises(ValueError, match=r"out: the array's items are not aligned for int32"):
        maskcore.rasterize(polys, 24, 24, rule=rule, out=out)


@pytest.mark.parametrize("rule", ["center", "coco"])
def test_draw_rgb_unaligned_is_refused(rule):
    img = unaligned(np.zeros((24, 24, 3), np.uint16))
    with pytest.raises(ValueError, match=r"image: the array's items are not aligned for uint16"):
        maskcore.draw_rgb(img, [SQUARE], (1, 2, 3), rule=rule)


def test_bindings_recheck():
    """A direct call into _core with an unaligned array raises instead of reading it."""
    u = unaligned(_labels(np.uint16))
    with pytest.raises(ValueError, match="aligned"):
        _core.ccl_stats(u, 5)
    with pytest.raises(ValueError, match="aligned"):
        _core.raster_paint([], u, 1, "center", "evenodd", True, np.zeros(0, np.uint64))
    assert _core.raster_fill([SQUARE], 24, 24, "center", "evenodd", 1, _unaligned_map()) is None
