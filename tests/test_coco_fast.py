"""maskcore.coco's per-call fast path (csrc/bindings/bind_coco.cpp) against pycocotools
and against the general path it falls back to: area, toBbox and merge of plain COCO
dicts (bytes or str counts, one dict or a list) give pycocotools' values and types;
anything the fast path does not take (tuples, RLE objects, bad strings, other sizes)
goes through the general path and keeps its results and messages."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import maskcore
from maskcore import _core
from maskcore import coco as mc

pm = pytest.importorskip("pycocotools.mask")


def _masks(seed, n, h, w):
    rng = np.random.default_rng(seed)
    out = np.zeros((h, w, n), np.uint8, order="F")
    for i in range(n):
        if h and w:
            y0, x0 = rng.integers(0, h), rng.integers(0, w)
            out[y0:y0 + rng.integers(0, h + 1), x0:x0 + rng.integers(0, w + 1), i] = 1
            out[..., i] |= (rng.random((h, w)) < rng.choice([0.0, 0.05, 0.5])).astype(np.uint8)
    return out


@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(0, 33), st.integers(0, 33), st.booleans())
def test_fast_path_equals_pycocotools(seed, n, h, w, as_str):
    rles = pm.encode(_masks(seed, n, h, w))
    if as_str:
        rles = [{"size": r["size"], "counts": r["counts"].decode("ascii")} for r in rles]
    for one in rles:
        a = mc.area(one)
        assert type(a) is np.uint32 and a == pm.area(one)
        b = mc.toBbox(one)
        assert b.dtype == np.float64 and b.shape == (4,)
        np.testing.assert_array_equal(b, pm.toBbox(one))
    a = mc.area(rles)
    assert a.dtype == np.uint32
    np.testing.assert_array_equal(a, pm.area(rles))
    np.testing.assert_array_equal(mc.toBbox(rles), pm.toBbox(rles))
    for inter in (0, 1):
        assert mc.merge(rles, intersect=inter) == pm.merge(rles, intersect=inter)


def test_fast_path_takes_only_plain_dicts():
    r = pm.encode(_masks(1, 1, 7, 9))[0]
    assert _core.coco_fast(0, r) is not None
    assert _core.coco_fast(0, [r, r]) is not None
    for other in ({"size": (7, 9), "counts": r["counts"]}, {"size": [7, 9], "counts": [63]},
                  {"size": [7, 9], "counts": b"bad!"}, {"size": [7, 10], "counts": r["counts"]},
                  {"size": [2**20, 2**12], "counts": r["counts"]}, (r,), maskcore.RLE.from_coco(r)):
        assert _core.coco_fast(0, other) is None
        assert _core.coco_fast(0, [r, other]) is None
    assert _core.coco_fast(2, [r, {"size": [9, 7], "counts": r["counts"]}]) is None  # sizes differ
    assert _core.coco_fast(2, []) is None


def test_bad_strings_keep_the_general_paths_errors():
    r = pm.encode(_masks(2, 1, 7, 9))[0]
    bad = {"size": [7, 10], "counts": r["counts"]}  # counts do not sum to h * w
    for f in (mc.area, mc.toBbox):
        with pytest.raises(ValueError, match="height\\*width"):
            f(bad)
        with pytest.raises(ValueError, match="height\\*width"):
            f([r, bad])
    with pytest.raises(ValueError):
        mc.merge([r, bad])
