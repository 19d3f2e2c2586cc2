"""maskcore.metrics (IoU, Dice, confusion matrices, boundary IoU) against the numpy / OpenCV
references in tests/reference/metrics_ref.py, on every ISA."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import maskcore
from reference import metrics_ref as ref
from strategies import LAYOUT_NAMES, fixture_settings, layout, mask_lists, mask_pairs, shapes


def rect(h, w, r0, c0, r1, c1):
    m = np.zeros((h, w), bool)
    m[r0:r1 + 1, c0:c1 + 1] = True
    return m


# ---- worked examples --------------------------------------------------------------------------

def test_rectangles_worked_example():
    a, b = rect(6, 6, 1, 1, 4, 4), rect(6, 6, 2, 2, 5, 5)
    assert maskcore.iou(a, b) == 9 / 23
    assert maskcore.dice(a, b) == 0.5625
    ra, rb = maskcore.encode(a), maskcore.encode(b)
    assert maskcore.iou(ra, rb) == 9 / 23
    assert maskcore.dice(ra, rb) == 0.5625


def test_leaf_worked_example():
    gt = np.zeros((5, 4), bool)
    for r, c in [(0, 2), (1, 1), (1, 2), (1, 3), (3, 1), (4, 1)]:
        gt[r, c] = True
    pred = gt.copy()
    pred[4, 1] = False
    assert maskcore.dice(gt, pred) == 10 / 11
    assert maskcore.dice([gt], [pred])[0, 0] == 10 / 11


# ---- IoU / Dice -------------------------------------------------------------------------------

@fixture_settings()
@given(mask_pairs(), st.sampled_from(LAYOUT_NAMES), st.sampled_from(LAYOUT_NAMES))
def test_pair_matches_reference(isa, pair, la, lb):
    a, b = pair
    va, vb = layout(a, la), layout(b, lb, np.bool_)
    assert maskcore.iou(va, vb) == ref.iou(a, b)
    assert maskcore.dice(va, vb) == ref.dice(a, b)
    assert maskcore.iou(maskcore.encode(a), maskcore.encode(b)) == ref.iou(a, b)
    assert maskcore.dice(maskcore.encode(a), maskcore.encode(b)) == ref.dice(a, b)


@fixture_settings()
@given(mask_lists(max_size=4), st.integers(0, 4), st.sampled_from(("dense", "rle", "batch", "stack")))
def test_matrix_matches_reference(isa, ms, split, form):
    a, b = ms[:split], ms[split:]
    def conv(x):
        if form == "dense":
            return list(x)
        if form == "rle":
            return [maskcore.encode(m) for m in x]
        if form == "batch":
            return maskcore.RLEBatch([maskcore.encode(m) for m in x])
        h, w = ms[0].shape if ms else (0, 0)
        return np.stack(x, axis=-1) if x else np.zeros((h, w, 0), np.uint8)
    for empty in (0.0, 1.0):
        got_i = maskcore.iou(conv(a), conv(b), empty=empty)
        got_d = maskcore.dice(conv(a), conv(b), empty=empty)
        assert got_i.shape == (len(a), len(b))
        np.testing.assert_array_equal(got_i, ref.iou_matrix(a, b, ref.iou, empty))
        np.testing.assert_array_equal(got_d, ref.iou_matrix(a, b, ref.dice, empty))


@fixture_settings()
@given(mask_pairs())
def test_properties(isa, pair):
    a, b = pair
    i, d = maskcore.iou(a, b), maskcore.dice(a, b)
    assert 0.0 <= i <= 1.0 and 0.0 <= d <= 1.0
    assert i == maskcore.iou(b, a) and d == maskcore.dice(b, a)
    assert math.isclose(d, 2 * i / (1 + i), rel_tol=1e-12, abs_tol=1e-15)
    if a.any():
        assert maskcore.iou(a, a) == 1.0 and maskcore.dice(a, a) == 1.0


@pytest.mark.parametrize("empty", [0.0, 1.0, float("nan")])
def test_empty_convention(empty):
    z = np.zeros((4, 5), bool)
    one = z.copy()
    one[1, 1] = True
    for f in (maskcore.iou, maskcore.dice):
        for x, y in ((z, z), (maskcore.encode(z), maskcore.encode(z))):
            v = f(x, y, empty=empty)
            assert v == empty or (math.isnan(empty) and math.isnan(v))
        assert f(z, one, empty=empty) == 0.0
        m = f([z, one], [z], empty=empty)
        assert m[1, 0] == 0.0 and (m[0, 0] == empty or math.isnan(empty))
    assert maskcore.iou(z, z) == 0.0  # the default, as pycocotools


def test_iou_keeps_rle_api():
    a = maskcore.encode(rect(8, 8, 0, 0, 3, 3))
    b = maskcore.encode(rect(8, 8, 0, 0, 1, 1))
    assert maskcore.iou(a, b) == 0.25
    assert maskcore.iou([b], [a], [True])[0, 0] == 1.0  # crowd: the union is the detection (b)
    assert maskcore.iou(a.to_coco(), [b.to_coco()]).shape == (1, 1)


def test_iou_bad_input():
    a = np.zeros((3, 3), np.uint8)
    b = a.copy()
    b[1, 2] = 3
    with pytest.raises(ValueError, match=r"b: expected a binary mask.*found 3 at \(1, 2\)"):
        maskcore.iou(a, b)
    with pytest.raises(ValueError, match="shapes differ"):
        maskcore.dice(a, np.zeros((3, 4), bool))
    with pytest.raises(TypeError, match="bool or uint8"):
        maskcore.iou(a.astype(np.float32), a)
    with pytest.raises(TypeError, match="empty"):
        maskcore.iou(a, a, empty="x")
    with pytest.raises(ValueError):
        maskcore.iou([a], [np.zeros((4, 4), bool)])


def test_threads_do_not_change_results():
    rng = np.random.default_rng(1)
    ms = [(rng.random((70, 90)) < 0.3) for _ in range(12)]
    np.testing.assert_array_equal(maskcore.iou(ms, ms, threads=1), maskcore.iou(ms, ms, threads=4))
    np.testing.assert_array_equal(maskcore.dice(ms, ms, threads=1), maskcore.dice(ms, ms, threads=4))


# ---- confusion matrix ---------------------------------------------------------------------------

@st.composite
def label_pairs(draw, dtype=np.uint8):
    h, w = draw(shapes(max_area=5000))
    k = draw(st.sampled_from((1, 2, 3, 7, 150, 256) if dtype == np.uint8 else (1, 5, 300, 1000)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):  # coherent: blocks of one label, as label maps are
        bs = draw(st.integers(1, 40))
        g = np.kron(rng.integers(0, k, (h // bs + 1, w // bs + 1)), np.ones((bs, bs), np.int64))[:h, :w]
        p = g.copy()
        flip = rng.random((h, w)) < draw(st.sampled_from((0.0, 0.01, 0.2)))
        p[flip] = rng.integers(0, k, int(flip.sum()))
    else:
        g, p = rng.integers(0, k, (h, w)), rng.integers(0, k, (h, w))
    return g.astype(dtype), p.astype(dtype), k


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32])
def test_confusion_matches_bincount(isa, dtype):
    @fixture_settings(max_examples=25)
    @given(label_pairs(dtype), st.sampled_from(("C", "F", "strided", "negative")), st.booleans())
    def check(lp, lay, use_ignore):
        g, p, k = lp
        ignore = (k - 1 if k > 1 else 0) if use_ignore else None
        view = {"C": np.ascontiguousarray, "F": np.asfortranarray, "strided": lambda x: np.repeat(x, 2, 1)[:, ::2],
                "negative": lambda x: np.ascontiguousarray(x[::-1, ::-1])[::-1, ::-1]}[lay]
        got = maskcore.confusion_matrix(view(g), view(p), k, ignore)
        assert got.dtype == np.int64 and got.shape == (k, k)
        np.testing.assert_array_equal(got, ref.confusion(g, p, k, ignore))
        np.testing.assert_array_equal(maskcore.confusion_matrix(g, p, k, ignore, threads=3), got)
    check()


def _alternating(pairs, n):
    """n pixels cycling through `pairs` (every pixel a new pair: the noise path)."""
    idx = np.arange(n) % len(pairs)
    arr = np.array(pairs, np.uint8)
    return arr[idx, 0], arr[idx, 1]


@pytest.mark.parametrize("repeats", [65534, 65535, 65536, 65537, 2 * 65535, 2 * 65535 + 1, 3 * 65536])
def test_confusion_sub_counter_flush(isa, repeats):
    # Noise blocks count single pixels in uint16 sub-tables flushed every <= 65535
    # increments each. Two alternating pairs put every increment of one pair in one
    # sub-table (pixel j -> sub-table j % 2): counts around 2^16 cross a flush.
    for pairs in ([(3, 4), (5, 6)], [(3, 4), (3, 4), (5, 6), (7, 7)], [(1, 2), (2, 1), (1, 2), (2, 1), (0, 0)]):
        g, p = _alternating(pairs, repeats * len(pairs))
        for k, ignore in ((8, None), (150, None), (8, 5), (8, 255), (256, 7), (300, None)):
            got = maskcore.confusion_matrix(g.reshape(1, -1), p.reshape(1, -1), k, ignore, threads=1)
            np.testing.assert_array_equal(got, ref.confusion(g, p, k, ignore))


@pytest.mark.parametrize("k", [1, 2, 150, 253, 254, 255, 256, 257, 1000])
def test_confusion_table_layouts(isa, k):
    # K <= 254: compact (K + 2) x (K + 1) table; K >= 255: 256 x 256; uint16 maps: K x K.
    rng = np.random.default_rng(k)
    hi = min(k, 256)
    g = rng.integers(0, hi, (37, 129)).astype(np.uint8)
    p = rng.integers(0, hi, (37, 129)).astype(np.uint8)
    g[:5] = p[:5] = hi - 1  # a run of the last class
    for ignore in (None, 0, hi - 1, 254, 255, 1000):
        want = ref.confusion(g, p, k, ignore)
        np.testing.assert_array_equal(maskcore.confusion_matrix(g, p, k, ignore), want)
        np.testing.assert_array_equal(
            maskcore.confusion_matrix(g.astype(np.uint16), p.astype(np.uint16), k, ignore), want)
    # K = 65536 (every uint16 value) would need K * K > 2^31 bins: refused up front.
    g16 = np.zeros((4, 4), np.uint16)
    with pytest.raises(ValueError, match="num_classes"):
        maskcore.confusion_matrix(g16, g16, 65536)


@pytest.mark.parametrize("bad", ["gt", "pred"])
def test_confusion_out_of_range_in_noise_blocks(isa, bad):
    # Out-of-range values inside noise-like blocks land in the table's error row /
    # column (compact layout) or outside K x K (full layout).
    rng = np.random.default_rng(7)
    for k in (5, 150, 255):
        g = rng.integers(0, k, (50, 200)).astype(np.uint8)
        p = rng.integers(0, k, (50, 200)).astype(np.uint8)
        (g if bad == "gt" else p)[31, 77] = min(k + 3, 255) if k < 255 else 255
        v = int((g if bad == "gt" else p)[31, 77])
        with pytest.raises(ValueError, match=rf"{bad}: value {v} at \(31, 77\) is >= num_classes={k}"):
            maskcore.confusion_matrix(g, p, k)
        if bad == "gt":  # the same value as ignore_index: no error, pixel skipped
            want = ref.confusion(g, p, k, v)
            np.testing.assert_array_equal(maskcore.confusion_matrix(g, p, k, ignore_index=v), want)


def test_confusion_mixed_layouts_and_dtypes():
    rng = np.random.default_rng(3)
    g = rng.integers(0, 20, (65, 33)).astype(np.uint8)
    p = rng.integers(0, 20, (65, 33)).astype(np.int64)
    want = ref.confusion(g, p, 20)
    np.testing.assert_array_equal(maskcore.confusion_matrix(np.asfortranarray(g), p, 20), want)
    np.testing.assert_array_equal(maskcore.confusion_matrix(g.ravel(), p.ravel(), 20), want)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32])
def test_confusion_out_of_range_raises(dtype):
    g = np.zeros((4, 5), dtype)
    p = g.copy()
    p[2, 3] = 9
    with pytest.raises(ValueError, match=r"pred: value 9 at \(2, 3\) is >= num_classes=5"):
        maskcore.confusion_matrix(g, p, 5)
    g[1, 1] = 7
    with pytest.raises(ValueError, match=r"gt: value 7 at \(1, 1\)"):
        maskcore.confusion_matrix(g, g, 5)
    # an ignored ground truth is skipped whatever the prediction says
    g2 = np.full((3, 3), 255 if dtype == np.uint8 else 999, dtype)
    cm = maskcore.confusion_matrix(g2, np.full((3, 3), 200, dtype), 5, ignore_index=int(g2[0, 0]))
    assert cm.sum() == 0


def test_confusion_bad_arguments():
    g = np.zeros((2, 2), np.uint8)
    with pytest.raises(ValueError, match="num_classes"):
        maskcore.confusion_matrix(g, g, 0)
    with pytest.raises(ValueError, match="shapes differ"):
        maskcore.confusion_matrix(g, np.zeros((2, 3), np.uint8), 2)
    with pytest.raises(TypeError, match="integer label map"):
        maskcore.confusion_matrix(g.astype(float), g, 2)
    with pytest.raises(ValueError, match=">= 0"):
        maskcore.confusion_matrix(g.astype(np.int32) - 1, g, 2)


def test_semantic_scores_and_accumulator():
    gt = np.array([[0, 0, 1, 1], [2, 2, 1, 1]], np.uint8)
    pr = np.array([[0, 1, 1, 1], [2, 0, 1, 1]], np.uint8)
    s = maskcore.semantic_scores(gt, pr, 4)
    cm = s.confusion
    assert cm.tolist() == [[1, 1, 0, 0], [0, 4, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    np.testing.assert_allclose(s.iou[:3], [1 / 3, 4 / 5, 1 / 2])
    assert math.isnan(s.iou[3]) and math.isnan(s.dice[3])  # absent class: NaN, not in the mean
    assert s.mean_iou == pytest.approx((1 / 3 + 4 / 5 + 1 / 2) / 3)
    np.testing.assert_allclose(s.dice[:3], [2 / 4, 8 / 9, 2 / 3])
    assert s.pixel_accuracy == 6 / 8
    acc = maskcore.ConfusionAccumulator(4)
    acc.update(gt, pr)
    acc.update(gt, gt)
    assert acc.images == 2
    np.testing.assert_array_equal(acc.matrix, cm + maskcore.confusion_matrix(gt, gt, 4))
    assert acc.scores().pixel_accuracy == 14 / 16
    assert isinstance(s.to_dict()["iou"], list)


# ---- boundary IoU -------------------------------------------------------------------------------

@fixture_settings()
@given(mask_pairs(), st.sampled_from((0.0, 0.02, 0.05, 0.1, 0.3, 2.0)))
def test_boundary_iou_matches_reference(isa, pair, ratio):
    a, b = pair
    got = maskcore.boundary_iou(a, b, ratio)
    assert got == ref.boundary_iou(a, b, ratio)
    if a.size:
        np.testing.assert_array_equal(maskcore.decode(maskcore.boundary(a, dilation_ratio=ratio)),
                                      ref.mask_to_boundary(a, ratio))


@fixture_settings(max_examples=40)
@given(mask_pairs(), st.sampled_from((0.0, 0.02, 0.05, 0.3)))
def test_boundary_reference_is_boundary_iou_api(pair, ratio):
    """The numpy reference equals the boundary-iou-api's own recipe (one zero ring, cv2.erode d
    times) wherever OpenCV accepts the input (it asserts on 0-pixel arrays)."""
    cv2 = pytest.importorskip("cv2")
    a, _ = pair
    if a.size == 0:
        return
    h, w = a.shape
    d = max(int(round(ratio * math.sqrt(h ** 2 + w ** 2))), 1)
    m = a.astype(np.uint8)
    padded = cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    eroded = cv2.erode(padded, np.ones((3, 3), np.uint8), iterations=d)[1:h + 1, 1:w + 1]
    np.testing.assert_array_equal(ref.mask_to_boundary(a, ratio), m - eroded)


@fixture_settings(max_examples=20)
@given(mask_lists(max_size=4, min_side=1))
def test_boundary_iou_matrix(isa, ms):
    got = maskcore.boundary_iou(ms, [maskcore.encode(m) for m in ms], 0.05, empty=1.0)
    np.testing.assert_array_equal(got, ref.iou_matrix(ms, ms, lambda x, y, e: ref.boundary_iou(x, y, 0.05, e), 1.0))


@fixture_settings(max_examples=30)
@given(mask_lists(max_size=4), st.sampled_from(LAYOUT_NAMES), st.sampled_from((np.uint8, np.bool_)),
       st.sampled_from((0.0, 0.05, 0.3)))
def test_boundary_of_dense_lists_equals_rle_path(isa, ms, lay, dtype, ratio):
    # Dense masks of one shape take the fused native path (encode + boundary per
    # task); RLEs take encode, then boundaries of the batch. Both must agree exactly.
    dense = [layout(m, lay, dtype) for m in ms]
    rles = [maskcore.encode(np.asarray(m, np.uint8)) for m in ms]
    if ms:
        got, want = maskcore.boundary(dense, dilation_ratio=ratio), maskcore.boundary(rles, dilation_ratio=ratio)
        assert [list(r.counts) for r in got] == [list(r.counts) for r in want]
        assert list(maskcore.boundary(dense[0], dilation_ratio=ratio).counts) == list(want[0].counts)
        for threads in (1, 3):
            np.testing.assert_array_equal(maskcore.boundary_iou(dense, dense[::-1], ratio, threads=threads),
                                          maskcore.boundary_iou(rles, rles[::-1], ratio, threads=threads))


def test_boundary_dense_bad_values_and_shapes():
    a = np.zeros((6, 7), np.uint8)
    b = a.copy()
    b[2, 3] = 2
    with pytest.raises(ValueError, match="0 and 1"):
        maskcore.boundary_iou([a, b], [a], 0.1)
    with pytest.raises(ValueError, match="0 and 1"):
        maskcore.boundary(b)
    # masks of different shapes in one list: the general path's message
    with pytest.raises(ValueError, match="one size"):
        maskcore.boundary([a, np.zeros((7, 6), np.uint8)])
    # an empty (0 x n) mask
    assert maskcore.boundary(np.zeros((0, 5), np.uint8)).shape == (0, 5)


def test_boundary_iou_real_masks(shared_data):
    import json
    res = json.loads((shared_data / "coco_val2014_first100" / "instances_val2014_fakesegm_results.json").read_text())
    rles = [maskcore.RLE.from_coco(r["segmentation"]) for r in res[:40]]
    for r0, r1 in zip(rles[::2], rles[1::2]):
        if r0.shape != r1.shape:
            continue
        a, b = maskcore.decode(r0), maskcore.decode(r1)
        for ratio in (0.02, 0.005):
            assert abs(maskcore.boundary_iou(r0, r1, ratio) - ref.boundary_iou(a, b, ratio)) <= 1e-9
            assert maskcore.boundary_iou(a, a, ratio) == (1.0 if a.any() else 0.0)


# ---- sparse contingency table (panoptic ids) -----------------------------------------------------

@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32])
@pytest.mark.parametrize("distinct", [3, 5000])
def test_pair_table_matches_unique(dtype, distinct):
    from maskcore import _core
    rng = np.random.default_rng(distinct)
    hi = min(distinct, np.iinfo(dtype).max)
    a = rng.integers(0, hi, (97, 131)).astype(dtype)
    b = rng.integers(0, hi, (97, 131)).astype(dtype)
    if dtype == np.uint32:
        a[0, 0], b[0, 0] = 2**32 - 1, 2**32 - 2  # the top of the range
    keys, counts = _core.metrics_pair_table(np.asfortranarray(a), b[:, ::-1].copy()[:, ::-1])
    u, c = np.unique(a.astype(np.uint64) << np.uint64(32) | b.astype(np.uint64), return_counts=True)
    np.testing.assert_array_equal(keys, u)
    np.testing.assert_array_equal(counts, c)
