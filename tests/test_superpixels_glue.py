"""The editor glue: Superpixels (the slider object), select_superpixels and
paint_superpixels with the layer-lock rule shared with polygon painting."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import maskcore


def photo():
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[::4, ::4])  # 128 x 128


def test_superpixels_compute_equals_slic():
    img = photo()
    sp = maskcore.Superpixels(img)
    assert sp.labels is None and sp.n_segments == 0 and sp.shape == (128, 128)
    with pytest.raises(ValueError, match="compute"):
        sp.boundaries()
    for rs in (8, 16, 5, 32):  # moving the slider both ways
        labels = sp.compute(region_size=rs)
        np.testing.assert_array_equal(labels, maskcore.slic(img, region_size=rs))
        assert sp.labels is labels and sp.n_segments == labels.max() + 1
    labels = sp.compute(n_segments=50, compactness="auto", threads=1)
    np.testing.assert_array_equal(labels, maskcore.slic(img, n_segments=50, compactness="auto"))


def _address(a):
    return a.__array_interface__["data"][0]


def test_superpixels_rerun_equals_fresh_and_never_overwrites(isa):
    """The slider path reuses the workspace: every re-run equals a fresh call, with and
    without a mask, in both directions of the slider and for several thread counts, and an
    array the caller holds (or a view of it) is never overwritten."""
    img = photo()
    mask = np.zeros(img.shape[:2], bool)
    mask[10:110, 5:120] = True
    for m in (None, mask):
        sp = maskcore.Superpixels(img, mask=m)
        kept = []
        for i, rs in enumerate((8, 16, 5, 32, 11, 8)):
            threads = 1 + i % 3
            fresh = maskcore.slic(img, region_size=rs, mask=m, threads=threads)
            sp.compute(region_size=rs, threads=threads)  # the result dropped
            labels = sp.compute(region_size=rs, threads=threads)
            np.testing.assert_array_equal(labels, fresh)
            kept.append((labels[::3], labels.copy()[::3]))  # a view keeps it alive
            del labels
            np.testing.assert_array_equal(sp.compute(region_size=rs + 3), maskcore.slic(img, region_size=rs + 3, mask=m))
            assert all(_address(sp.labels) != _address(v.base) for v, _ in kept)
        for view, copy in kept:
            np.testing.assert_array_equal(view, copy)  # never overwritten
        held = sp.compute(n_segments=40, compactness="auto")
        again = sp.compute(n_segments=40, compactness="auto")
        assert again is not held and not np.shares_memory(again, held)
        np.testing.assert_array_equal(again, held)


def test_slic_run_out_checks():
    from maskcore import _core
    from maskcore.superpixels import _features

    feat, q = _features(photo(), 1)
    args = (feat, None, 4, 4, 32.0, 10.0, q, 3, True, 256.0, 1)
    expect, k = _core.slic_run(*args)
    out = np.full((128, 128), 7, np.int32)
    got, k2 = _core.slic_run(*args, out, _core.SlicWorkspace())
    assert got is out and k2 == k
    np.testing.assert_array_equal(out, expect)
    for bad in (np.zeros((128, 128), np.int64), np.zeros((128, 127), np.int32), np.zeros((128, 256), np.int32)[:, ::2],
                np.zeros((128, 128), np.int32).T.copy(order="F"), [[0]]):
        with pytest.raises(ValueError, match="out"):
            _core.slic_run(*args, bad)
    ro = np.zeros((128, 128), np.int32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out"):
        _core.slic_run(*args, ro)


def test_superpixels_mask_is_kept():
    img = photo()
    mask = np.zeros(img.shape[:2], bool)
    mask[20:100, 30:90] = True
    sp = maskcore.Superpixels(img, mask=mask)
    for rs in (10, 20):
        np.testing.assert_array_equal(sp.compute(region_size=rs), maskcore.slic(img, region_size=rs, mask=mask))


def test_boundaries_match_skimage_thick():
    from skimage.segmentation import find_boundaries

    sp = maskcore.Superpixels(photo())
    labels = sp.compute(region_size=12)
    np.testing.assert_array_equal(sp.boundaries(), find_boundaries(labels, mode="thick"))


def test_mean_colors():
    img = photo()
    sp = maskcore.Superpixels(img)
    labels = sp.compute(region_size=16)
    means = sp.mean_colors()
    assert means.shape == (sp.n_segments, 3) and means.dtype == np.float64
    for k in (0, sp.n_segments // 2, sp.n_segments - 1):
        np.testing.assert_allclose(means[k], img[labels == k].mean(axis=0))
    gray = img[..., 0].astype(np.float32)
    sp = maskcore.Superpixels(gray)
    labels = sp.compute(region_size=16)
    np.testing.assert_allclose(sp.mean_colors()[:, 0], [gray[labels == k].mean() for k in range(sp.n_segments)],
                               rtol=1e-6)


def test_select_superpixels():
    labels = np.array([[0, 0, 1], [2, 1, 1], [-1, 2, 3]], np.int32)
    np.testing.assert_array_equal(maskcore.select_superpixels(labels, [(2.5, 0.1)]), labels == 1)
    np.testing.assert_array_equal(maskcore.select_superpixels(labels, [(0, 0), (2.99, 2.99)]),
                                  (labels == 0) | (labels == 3))
    np.testing.assert_array_equal(maskcore.select_superpixels(labels, np.array([0.5, 2.5])), np.zeros((3, 3), bool))
    np.testing.assert_array_equal(maskcore.select_superpixels(labels, np.zeros((0, 2))), np.zeros((3, 3), bool))
    for bad in ([(3.0, 0)], [(0, -0.01)], [(np.nan, 0)]):
        with pytest.raises(ValueError, match="outside"):
            maskcore.select_superpixels(labels, bad)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        maskcore.select_superpixels(labels, [(1, 2, 3)])
    with pytest.raises(TypeError, match="integer"):
        maskcore.select_superpixels(labels.astype(float), [(0, 0)])


def paint_reference(label_map, labels, ids, label, mode, locked):
    out = label_map.copy()
    lk = set(locked or ())
    for (r, c), v in np.ndenumerate(label_map):
        if labels[r, c] in ids and int(v) not in lk and (mode == "over" or v == 0):
            out[r, c] = label
    return out


@given(seed=st.integers(0, 2**32 - 1), mode=st.sampled_from(["over", "under"]),
       locked=st.one_of(st.none(), st.lists(st.integers(0, 4), max_size=3)),
       ids=st.lists(st.integers(0, 12), max_size=5), label=st.integers(0, 5),
       dtype=st.sampled_from([np.uint8, np.int32, np.uint16, np.int64]))
def test_paint_lock_rule(seed, mode, locked, ids, label, dtype):
    rng = np.random.default_rng(seed)
    labels = rng.integers(-1, 10, (9, 11)).astype(np.int32)
    label_map = rng.integers(0, 5, (9, 11)).astype(dtype)
    expect = paint_reference(label_map, labels, set(ids), label, mode, locked)
    out = maskcore.paint_superpixels(label_map, labels, ids if ids else [], label, mode=mode, locked=locked)
    assert out is label_map
    np.testing.assert_array_equal(label_map, expect)


def test_paint_details():
    labels = np.array([[0, 0, 1], [1, 2, 2]], np.int32)
    lm = np.array([[0, 3, 0], [1, 0, 2]], np.uint8)
    maskcore.paint_superpixels(lm, labels, 0, 9)  # a single id, mode over
    np.testing.assert_array_equal(lm, [[9, 9, 0], [1, 0, 2]])
    maskcore.paint_superpixels(lm, labels, [1, 2], 4, mode="under", locked={2})
    np.testing.assert_array_equal(lm, [[9, 9, 4], [1, 4, 2]])
    f = np.asfortranarray(np.zeros((2, 3), np.int32))
    maskcore.paint_superpixels(f, labels, [2], 7)
    np.testing.assert_array_equal(f, [[0, 0, 0], [0, 7, 7]])
    with pytest.raises(OverflowError, match="label"):
        maskcore.paint_superpixels(lm, labels, [0], 256)
    with pytest.raises(ValueError, match="mode"):
        maskcore.paint_superpixels(lm, labels, [0], 1, mode="replace")
    with pytest.raises(ValueError, match="shape"):
        maskcore.paint_superpixels(lm[:1], labels, [0], 1)
    ro = lm.copy()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        maskcore.paint_superpixels(ro, labels, [0], 1)
    with pytest.raises(TypeError, match="label"):
        maskcore.paint_superpixels(lm, labels, [0], 1.5)
    with pytest.raises(ValueError, match=r"segment_ids\[1\]"):
        maskcore.paint_superpixels(lm, labels, [0, -1], 1)


def test_select_superpixels_few_and_many_clicks_equal_isin():
    rng = np.random.default_rng(5)
    labels = rng.integers(-1, 40, (37, 29)).astype(np.int32)
    for n in (1, 2, 8, 9, 30):
        rows, cols = rng.integers(0, 37, n), rng.integers(0, 29, n)
        pts = np.stack([cols + 0.5, rows + 0.5], 1)
        ids = labels[rows, cols]
        np.testing.assert_array_equal(maskcore.select_superpixels(labels, pts), np.isin(labels, ids[ids >= 0]))
