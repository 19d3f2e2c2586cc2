"""maskcore.coco against pycocotools.mask (the oracle: same types, dtypes, shapes,
memory order, values and bytes), plus the documented departures where pycocotools
is wrong. Each departure test says in its docstring what pycocotools does instead.
"""
import numpy as np
import pycocotools.mask as M
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maskcore import RLE, RLEBatch
from maskcore import coco as C
from strategies import LAYOUT_NAMES, layout, masks, shapes

EXAMPLES = settings(max_examples=50, deadline=None)

# pycocotools' decode warns under numpy 2 (its Masks.__array__ takes no copy=).
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


# ---- helpers ---------------------------------------------------------------------------

def F(m):
    return np.asfortranarray(np.asarray(m, dtype=np.uint8))


def same_dict(got, want):
    assert type(got) is dict and set(got) == {"size", "counts"}
    assert type(got["counts"]) is bytes
    assert type(got["size"]) is list and all(type(v) is int for v in got["size"])
    assert got == want


def same_dicts(got, want):
    assert type(got) is list and len(got) == len(want)
    for g, w in zip(got, want):
        same_dict(g, w)


def same_array(got, want):
    assert type(got) is type(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    if isinstance(want, np.ndarray):
        assert got.flags.f_contiguous == want.flags.f_contiguous
        assert got.flags.c_contiguous == want.flags.c_contiguous
    np.testing.assert_array_equal(got, want)


@st.composite
def mask_list(draw, min_n=0, max_n=5, shape=None, max_area=3000):
    shape = shape or draw(shapes(max_area=max_area))
    n = draw(st.integers(min_n, max_n))
    return [draw(masks(shape=shape)) for _ in range(n)]


FIXED_SHAPES = [(0, 0), (0, 5), (5, 0), (1, 1), (1, 17), (17, 1), (15, 16), (16, 17),
                (31, 33), (32, 32), (63, 65), (64, 64), (65, 63)]


def fixed_masks():
    rng = np.random.default_rng(1)
    for h, w in FIXED_SHAPES:
        yield np.zeros((h, w), np.uint8)
        yield np.ones((h, w), np.uint8)
        yield (np.add.outer(np.arange(h), np.arange(w)) % 2).astype(np.uint8)
        yield (rng.random((h, w)) < 0.5).astype(np.uint8)


# ---- encode -------------------------------------------------------------------------------

@EXAMPLES
@given(masks(), st.sampled_from(LAYOUT_NAMES), st.sampled_from([np.uint8, np.bool_]))
def test_encode_2d_any_layout(mask, layout_name, dtype):
    same_dict(C.encode(layout(mask, layout_name, dtype)), M.encode(F(mask)))


@pytest.mark.parametrize("i", range(len(FIXED_SHAPES) * 4))
def test_encode_decode_fixed_shapes(i):
    mask = list(fixed_masks())[i]
    want = M.encode(F(mask))
    same_dict(C.encode(mask), want)
    same_array(C.decode(want), M.decode(want))
    same_array(C.area(want), M.area(want))
    same_array(C.toBbox(want), M.toBbox(want))


@EXAMPLES
@given(mask_list(), st.sampled_from("CF"))
def test_encode_3d(ms, order):
    h, w = ms[0].shape if ms else (3, 4)
    stack = np.stack(ms, axis=-1) if ms else np.zeros((h, w, 0), np.uint8)
    same_dicts(C.encode(np.asarray(stack, order=order)), M.encode(F(stack)))


@EXAMPLES
@given(masks(), st.sampled_from([2, 7, 255]))
def test_encode_zero_and_one_other_value(mask, value):
    """0/v masks encode like 0/1, as in pycocotools."""
    same_dict(C.encode(mask * np.uint8(value)), M.encode(F(mask * np.uint8(value))))


def test_encode_nonzero_is_foreground():
    """Departure: pycocotools starts a new run wherever the byte value changes, so
    [[1, 2]] becomes two runs of 1 (b'011'); maskcore.coco treats nonzero as foreground."""
    m = np.array([[1], [2], [0], [3]], np.uint8)
    assert M.encode(F(m))["counts"] != M.encode(F(m != 0))["counts"]
    same_dict(C.encode(m), M.encode(F(m != 0)))
    same_dict(C.encode(m.astype(np.int64)), M.encode(F(m != 0)))
    same_dict(C.encode(m.astype(np.float32) / 2), M.encode(F(m != 0)))


def test_encode_bad_ndim():
    """Departure: pycocotools returns None for a 1D or 4D array."""
    with pytest.raises(ValueError, match="bimask"):
        C.encode(np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="bimask"):
        C.encode(np.zeros((2, 2, 2, 2), np.uint8))


# ---- decode, area, toBbox -----------------------------------------------------------------

@EXAMPLES
@given(masks(), st.booleans())
def test_single_dict_functions(mask, as_str):
    r = M.encode(F(mask))
    q = {"size": r["size"], "counts": r["counts"].decode()} if as_str else r
    same_array(C.decode(q), M.decode(q))
    a = C.area(q)
    assert type(a) is np.uint32 and a == M.area(q)
    same_array(C.toBbox(q), M.toBbox(q))
    same_dict(C.merge([q]), M.merge([q]))


@EXAMPLES
@given(mask_list(min_n=1))
def test_list_functions(ms):
    rs = [M.encode(F(m)) for m in ms]
    same_array(C.decode(rs), M.decode(rs))
    same_array(C.area(rs), M.area(rs))
    same_array(C.toBbox(rs), M.toBbox(rs))


def test_empty_lists():
    same_array(C.area([]), M.area([]))
    same_array(C.toBbox([]), M.toBbox([]))
    same_dict(C.merge([]), M.merge([]))


def test_accepts_maskcore_objects_and_uncompressed():
    """Extension: pycocotools' decode/area/toBbox raise TypeError for int-list counts."""
    m = np.eye(5, dtype=np.uint8)
    r = M.encode(F(m))
    unc = {"size": [5, 5], "counts": RLE.from_coco(r).counts.tolist()}
    for q in (unc, RLE.from_coco(r)):
        same_array(C.decode(q), M.decode(r))
        assert C.area(q) == M.area(r)
    batch = RLEBatch.from_coco([r, r])
    same_array(C.decode(batch), M.decode([r, r]))
    same_array(C.toBbox((r, r)), M.toBbox([r, r]))


# ---- merge ------------------------------------------------------------------------------

@EXAMPLES
@given(mask_list(min_n=1, max_n=4), st.sampled_from([False, True, 0, 1]))
def test_merge(ms, intersect):
    rs = [M.encode(F(m)) for m in ms]
    same_dict(C.merge(rs, intersect), M.merge(rs, intersect))
    same_dict(C.merge(rs, intersect=intersect), M.merge(rs, intersect=intersect))


def test_merge_different_sizes():
    """Departure: pycocotools returns {'size': [0, 0], 'counts': b''} for RLEs of different sizes."""
    a, b = M.encode(F(np.ones((3, 4)))), M.encode(F(np.ones((4, 3))))
    assert M.merge([a, b]) == {"size": [0, 0], "counts": b""}
    with pytest.raises(ValueError, match="rles"):
        C.merge([a, b])


# ---- iou ----------------------------------------------------------------------------------

@st.composite
def iou_case(draw):
    shape = draw(shapes(max_area=2000))
    dt = draw(mask_list(shape=shape, max_n=4))
    gt = draw(mask_list(shape=shape, max_n=4))
    crowd = draw(st.lists(st.integers(0, 1), min_size=len(gt), max_size=len(gt)))
    kind = draw(st.sampled_from(["list", "tuple", "array", "bool"]))
    crowd = {"list": crowd, "tuple": tuple(crowd), "array": np.array(crowd, np.uint8),
             "bool": [bool(c) for c in crowd]}[kind]
    return dt, gt, crowd


@EXAMPLES
@given(iou_case())
def test_iou_rles(case):
    dt, gt, crowd = case
    d = [M.encode(F(m)) for m in dt]
    g = [M.encode(F(m)) for m in gt]
    want = M.iou(d, g, crowd)
    got = C.iou(d, g, crowd)
    if isinstance(want, list):
        assert got == [] and type(got) is list
    else:
        same_array(got, want)


def test_iou_empty_inputs():
    r = M.encode(F(np.ones((2, 2))))
    for dt, gt, crowd in (([], [r], [0]), ([r], [], []), ([], [], []), (np.zeros((0, 4)), [], [])):
        assert M.iou(dt, gt, crowd) == [] and C.iou(dt, gt, crowd) == []
        assert type(C.iou(dt, gt, crowd)) is list


def test_iou_size_mismatch():
    """Departure: pycocotools gives -1 where the boxes of RLEs of different sizes overlap (else 0)."""
    a, b = M.encode(F(np.ones((3, 4)))), M.encode(F(np.ones((4, 4))))
    assert M.iou([a], [b], [0])[0, 0] == -1
    with pytest.raises(ValueError):
        C.iou([a], [b], [0])


def test_iou_iscrowd_checks():
    """Departures: pycocotools raises TypeError for iscrowd=None and AssertionError for a
    wrong length; maskcore.coco treats None as no crowd and raises ValueError."""
    r = M.encode(F(np.eye(3)))
    same_array(C.iou([r], [r, r], None), M.iou([r], [r, r], [0, 0]))
    with pytest.raises(ValueError, match="pyiscrowd"):
        C.iou([r], [r], [0, 0])
    with pytest.raises(TypeError):
        C.iou([r], [[0, 0, 1, 1]], [0])


box_values = st.one_of(
    st.integers(-20, 60).map(float),
    st.floats(-20, 60, allow_nan=False),
    st.integers(-200, 600).map(lambda v: v / 10),
)
boxes = st.lists(st.lists(box_values, min_size=4, max_size=4), min_size=0, max_size=6)


@EXAMPLES
@given(boxes, boxes, st.data())
def test_iou_boxes(dt, gt, data):
    crowd = data.draw(st.lists(st.integers(0, 1), min_size=len(gt), max_size=len(gt)))
    for d, g in ((dt, gt), (np.array(dt).reshape(-1, 4), np.array(gt).reshape(-1, 4))):
        want = M.iou(d, g, crowd)
        got = C.iou(d, g, crowd)
        if isinstance(want, list):
            assert got == []
        else:
            same_array(got, want)


def test_iou_boxes_nan_and_degenerate():
    dt = np.array([[np.nan, 0, 2, 2], [0, 0, 0, 2], [0, 0, -2, -2], [1, 1, np.inf, 1]])
    gt = np.array([[1, 1, 2, 2], [0, 0, 0, 2], [-1, -1, -2, -2], [0, 0, 3, 3]])
    for crowd in ([0, 0, 0, 0], [1, 1, 1, 1]):
        want = M.iou(dt, gt, crowd)
        got = C.iou(dt, gt, crowd)
        assert got.flags.f_contiguous and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


# ---- frPyObjects ------------------------------------------------------------------------

def _box_sweep(n, seed):
    rng = np.random.default_rng(seed)
    for i in range(n):
        h, w = int(rng.integers(0, 40)), int(rng.integers(1, 40))
        kind = i % 4
        if kind == 0:
            b = rng.integers(-8, 45, 4).astype(float)
        elif kind == 1:
            b = rng.uniform(-8, 45, 4)
        elif kind == 2:
            b = rng.integers(-80, 450, 4) / 10.0
        else:
            b = rng.integers(-160, 900, 4) / 20.0
        if i % 7 == 0:
            b[2] = -b[2]
        if i % 11 == 0:
            b[3] = 0.0
        yield b, h, w


def test_frpyobjects_boxes_sweep():
    """Thousands of integer, fractional, negative-size, degenerate and partly outside boxes."""
    for b, h, w in _box_sweep(4000, 0):
        same_dicts(C.frPyObjects(b[None], h, w), M.frPyObjects(b[None], h, w))


@EXAMPLES
@given(boxes, st.integers(0, 50), st.integers(1, 50))
def test_frpyobjects_boxes(bs, h, w):
    arr = np.array(bs, dtype=np.float64).reshape(-1, 4)
    want = M.frPyObjects(arr, h, w)
    same_dicts(C.frPyObjects(arr, h, w), want)
    if bs:
        same_dicts(C.frPyObjects(bs, h, w), want)  # pycocotools: TypeError for lists
        same_dict(C.frPyObjects(bs[0], h, w), want[0])  # pycocotools: TypeError
        same_dict(C.frPyObjects(arr[0], h, w), want[0])  # pycocotools: ValueError (1D)
        same_dicts(C.frPyObjects(np.asfortranarray(arr), h, w), want)


def test_frpyobjects_boxes_layout_and_dtype():
    """Departure: pycocotools reads the raw buffer of the box array as C-ordered float64,
    so a Fortran-ordered or sliced array gives wrong boxes and int arrays raise."""
    b = np.array([[0, 0, 2, 2], [1, 1, 3, 1]], float)
    want = M.frPyObjects(b, 5, 5)
    assert M.frPyObjects(np.asfortranarray(b), 5, 5) != want
    same_dicts(C.frPyObjects(np.asfortranarray(b), 5, 5), want)
    same_dicts(C.frPyObjects(np.hstack([b, b])[:, :4], 5, 5), want)
    same_dicts(C.frPyObjects(b.astype(np.int32), 5, 5), want)
    same_dicts(C.frPyObjects(np.zeros((0, 4)), 5, 5), M.frPyObjects(np.zeros((0, 4)), 5, 5))


def test_frpyobjects_box_zero_width_image():
    """Departure: with w == 0 pycocotools' column bound (w - 1, unsigned) wraps, so boxes
    give counts that do not sum to 0; maskcore.coco gives the empty 0-width RLE."""
    b = np.array([[0.0, 0.0, 22.0, 7.0]])
    assert M.frPyObjects(b, 16, 0)[0]["counts"] != b"0"
    same_dicts(C.frPyObjects(b, 16, 0), [{"size": [16, 0], "counts": b"0"}])


def test_frpyobjects_bad_boxes_and_sizes():
    """Departures: pycocotools has undefined behaviour for NaN boxes and raises
    OverflowError for a negative h or w."""
    with pytest.raises(ValueError, match="finite"):
        C.frPyObjects(np.array([[np.nan, 0, 1, 1]]), 4, 4)
    with pytest.raises(ValueError, match="h must be >= 0"):
        C.frPyObjects(np.array([[0.0, 0, 1, 1]]), -3, 4)
    with pytest.raises(ValueError, match=r"shape \(n, 4\)"):
        C.frPyObjects(np.zeros((1, 5)), 4, 4)


@EXAMPLES
@given(mask_list(min_n=1, max_n=3))
def test_frpyobjects_uncompressed(ms):
    unc = [{"size": list(m.shape), "counts": RLE.from_coco(M.encode(F(m))).counts.tolist()} for m in ms]
    same_dicts(C.frPyObjects(unc, 7, 9), M.frPyObjects(unc, 7, 9))
    same_dict(C.frPyObjects(unc[0], 7, 9), M.frPyObjects(unc[0], 7, 9))
    arr = {"size": unc[0]["size"], "counts": np.array(unc[0]["counts"])}
    same_dict(C.frPyObjects(arr, 1, 1), M.frPyObjects(arr, 1, 1))


def test_frpyobjects_uncompressed_noncanonical():
    """Counts with empty runs inside are re-encoded as given, like pycocotools."""
    for counts in ([4, 0, 2, 1, 2, 3], [0, 0, 0, 12], [12, 0], [0, 12, 0]):
        d = {"size": [3, 4], "counts": counts}
        same_dict(C.frPyObjects(d, 3, 4), M.frPyObjects(d, 3, 4))
        same_array(C.decode(C.frPyObjects(d, 3, 4)), M.decode(M.frPyObjects(d, 3, 4)))


def test_frpyobjects_compressed_passthrough():
    """Extension: pycocotools raises ValueError for a compressed dict; maskcore.coco
    returns it (validated) with bytes counts."""
    r = M.encode(F(np.eye(4)))
    same_dict(C.frPyObjects(r, 4, 4), r)
    same_dict(C.frPyObjects({"size": [4, 4], "counts": r["counts"].decode()}, 4, 4), r)
    same_dicts(C.frPyObjects([r, r], 4, 4), [r, r])
    assert C.frPyObjects([], 4, 4) == []


# ---- invalid RLEs and big sizes ---------------------------------------------------------

BAD = [{"size": [3, 4], "counts": b"3"}, {"size": [3, 4], "counts": b"c0"},
       {"size": [3, 4], "counts": [4, 2]}]


@pytest.mark.parametrize("bad", BAD, ids=["short", "long", "uncompressed"])
def test_counts_not_summing_to_hw(bad):
    """Departure: pycocotools decodes garbage (uninitialised memory) for short counts,
    may loop forever in merge, and frPyObjects re-encodes the bad counts unchecked."""
    good = M.encode(F(np.ones((3, 4))))
    calls = [lambda: C.decode(bad), lambda: C.decode([good, bad]), lambda: C.area(bad),
             lambda: C.area([good, bad]), lambda: C.toBbox([bad]), lambda: C.merge([good, bad]),
             lambda: C.iou([bad], [good], [0]), lambda: C.frPyObjects(bad, 3, 4)]
    for call in calls:
        with pytest.raises(ValueError):
            call()


def test_decode_empty_and_mixed_sizes():
    """Departure: pycocotools' decode([]) returns an array with a garbage first dimension,
    and a list of different sizes is decoded with the first size (garbage)."""
    with pytest.raises(ValueError):
        C.decode([])
    a, b = M.encode(F(np.ones((3, 4)))), M.encode(F(np.ones((4, 4))))
    with pytest.raises(ValueError):
        C.decode([a, b])


def test_area_many_rles():
    """Departure: pycocotools 2.0.11 with numpy 2 raises OverflowError for 256+ RLEs."""
    rs = [M.encode(F(np.eye(5) * (i % 2))) for i in range(300)]
    a = C.area(rs)
    assert a.dtype == np.uint32 and a.shape == (300,)
    np.testing.assert_array_equal(a, np.concatenate([M.area(rs[:200]), M.area(rs[200:])]))


def test_area_and_bbox_past_2_32():
    """Departure: pycocotools sums areas and positions in 32-bit unsigned ints, which
    wrap past 2**32 pixels; maskcore.coco gives the right numbers (area as uint64)."""
    n = 2**32 + 5
    full = {"size": [1, n], "counts": RLE([0, n], 1, n).to_string()}
    tail = {"size": [1, n], "counts": RLE([2**32, 5], 1, n).to_string()}
    a = C.area(full)
    assert type(a) is np.uint64 and a == n
    assert C.area([full, tail]).tolist() == [n, 5] and C.area([full, tail]).dtype == np.uint64
    assert C.toBbox(tail).tolist() == [2**32, 0, 5, 1]
    assert C.toBbox([full]).tolist() == [[0, 0, n, 1]]


def test_empty_interior_runs_give_the_right_answer():
    """Departure: for RLEs with empty runs past the first (valid, and what frPyObjects
    keeps from uncompressed counts), pycocotools' toBbox drops a trailing run, its iou
    disagrees with the mask's, and its merge can write past its buffer (heap corruption;
    not called here). maskcore.coco answers as for the canonical RLE of the same mask."""
    rng = np.random.default_rng(3)
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(1, 8, 2))
        a, b = ((rng.random((h, w)) < 0.4).astype(np.uint8) for _ in range(2))
        ca, cb = M.encode(F(a)), M.encode(F(b))
        padded = []
        for r in (ca, cb):
            c = RLE.from_coco(r).counts.tolist()
            for _ in range(3):
                k = int(rng.integers(1, len(c) + 1))
                c[k:k] = [0, 0]
            padded.append({"size": [h, w], "counts": RLE(c, h, w).to_string()})
        pa, pb = padded
        same_array(C.decode(pa), M.decode(ca))
        same_array(C.toBbox(pa), M.toBbox(ca))
        assert C.area(pa) == M.area(ca)
        for crowd in ([0], [1]):
            same_array(C.iou([pa], [pb], crowd), M.iou([ca], [cb], crowd))
        for intersect in (False, True):
            same_dict(C.merge([pa, pb], intersect), M.merge([ca, cb], intersect))
