"""The run-length dialects in maskcore.rle (maskcore/_dialects.py): Kaggle "start length"
strings and CVAT-style row runs, against dense numpy versions written here, hand-worked
examples, and hostile input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import maskcore
from maskcore.rle import from_kaggle, from_row_runs, to_kaggle, to_row_runs
from reference import rle_ref as ref
from strategies import fixture_settings, layouts, masks


def kaggle_dense(mask, order):
    """1-indexed (start, length) pairs of the foreground runs, straight from the pixels."""
    flat = np.concatenate([[0], np.asarray(mask, bool).ravel(order=order).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(flat))
    starts, ends = edges[0::2], edges[1::2]
    return " ".join(f"{s + 1} {e - s}" for s, e in zip(starts, ends))


# --- Kaggle -----------------------------------------------------------------------------------

@fixture_settings()
@given(masks(), st.sampled_from("FC"))
def test_kaggle_matches_dense_and_roundtrips(isa, m, order):
    s = to_kaggle(m, order=order)
    assert s == kaggle_dense(m, order)
    rle = maskcore.encode(m)
    assert to_kaggle(rle, order=order) == s
    back = from_kaggle(s, m.shape, order=order)
    assert isinstance(back, maskcore.RLE)
    assert back == rle
    np.testing.assert_array_equal(back.decode(), m)
    if order == "F":
        assert to_kaggle(m) == s                     # F is the default


@fixture_settings(max_examples=20)
@given(masks(max_area=2000))
def test_kaggle_any_layout(isa, m):
    expected = kaggle_dense(m, "F"), kaggle_dense(m, "C")
    for name, view in layouts(m).items():
        assert (to_kaggle(view), to_kaggle(view, order="C")) == expected, name


def test_kaggle_hand_worked():
    m = np.array([[1, 1, 0],
                  [0, 1, 1]], np.uint8)
    # down the columns: 1 0 | 1 1 | 0 1 ; along the rows: 1 1 0 | 0 1 1
    assert to_kaggle(m) == "1 1 3 2 6 1"
    assert to_kaggle(m, order="C") == "1 2 5 2"
    np.testing.assert_array_equal(from_kaggle("1 1 3 2 6 1", (2, 3)).decode(), m)
    np.testing.assert_array_equal(from_kaggle("1 2 5 2", (2, 3), order="C").decode(), m)
    # whitespace of any kind, bytes, leading '+'
    np.testing.assert_array_equal(from_kaggle(b" 1 1\n3\t2  6 +1 ", (2, 3)).decode(), m)


def test_noncanonical_rle_input():
    # Constructed RLEs may hold empty interior runs; output runs are still maximal.
    r = maskcore.RLE([1, 2, 0, 1, 0, 0, 2], 3, 2)      # column-major 0 1 1 1 0 0
    assert to_kaggle(r) == "2 3"
    assert to_kaggle(r, order="C") == "2 2 5 1"       # rows: [0 1] [1 0] [1 0]
    assert to_row_runs(r).tolist() == [1, 2, 1, 1, 1]
    assert to_row_runs(r, box=True)[0].tolist() == [1, 2, 1, 1, 1]


def test_kaggle_edge_cases():
    assert to_kaggle(np.zeros((3, 4), np.uint8)) == ""
    assert to_kaggle(np.ones((3, 4), np.uint8)) == "1 12"
    assert to_kaggle(np.zeros((0, 4), np.uint8)) == ""
    assert from_kaggle("", (3, 4)) == maskcore.encode(np.zeros((3, 4), np.uint8))
    assert from_kaggle("   ", (0, 0)).shape == (0, 0)
    assert from_kaggle("1 12", (3, 4), order="C") == maskcore.encode(np.ones((3, 4), np.uint8))
    # touching runs are one run
    joined = from_kaggle("1 2 3 2", (5, 1))
    np.testing.assert_array_equal(joined.decode().ravel(), [1, 1, 1, 1, 0])
    assert to_kaggle(joined) == "1 4"
    # last pixel
    np.testing.assert_array_equal(from_kaggle("6 1", (2, 3)).decode(), [[0, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(from_kaggle("6 1", (2, 3), order="C").decode(),
                                  [[0, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(from_kaggle("2 1", (2, 3), order="C").decode(),
                                  [[0, 1, 0], [0, 0, 0]])


@pytest.mark.parametrize("s, token", [
    ("1 a", "'a'"), ("1.5 2", "'1.5'"), ("1 2e3", "'2e3'"), ("0x1 2", "'0x1'"),
    ("1 2 3 ½", "'½'"), ("1 -", "'-'"), ("١ 1", "'١'"),
])
def test_kaggle_non_integer_tokens(s, token):
    with pytest.raises(ValueError, match=f"token.*{token}"):
        from_kaggle(s, (4, 4))


@pytest.mark.parametrize("s, token", [
    ("1 2 3", "'3'"),                    # odd count: the start without a length
    ("0 2", "'0'"), ("-3 2", "'-3'"),    # start < 1
    ("1 0", "'0'"), ("2 -1", "'-1'"),    # length < 1
    ("1 3 2 2", "'2'"),                  # overlaps the previous run
    ("5 1 1 1", "'1'"),                  # unsorted
    ("1 2 2 1", "'2'"),                  # overlaps by one pixel
    ("15 3", "'3'"),                     # runs past h*w = 16
    ("17 1", "'1'"),                     # starts past h*w
    ("1 99999999999999999999999", "'99999999999999999999999'"),
])
def test_kaggle_hostile_runs(s, token):
    with pytest.raises(ValueError, match=f"token.*{token}"):
        from_kaggle(s, (4, 4))


def test_kaggle_bad_arguments():
    for s in (123, None, [1, 2], np.array([1, 2])):
        with pytest.raises(TypeError, match="s must be"):
            from_kaggle(s, (2, 2))
    with pytest.raises(ValueError, match="s: non-ASCII"):
        from_kaggle(b"1 \xff", (2, 2))
    for order in ("X", "c", None, 1):
        with pytest.raises(ValueError, match="order"):
            from_kaggle("1 1", (2, 2), order=order)
        with pytest.raises(ValueError, match="order"):
            to_kaggle(np.zeros((2, 2), np.uint8), order=order)
    for shape in ((-1, 3), (3, -2)):
        with pytest.raises(ValueError, match="shape.*-"):
            from_kaggle("1 1", shape)
    for shape in ((2.5, 3), ("2", 3), (True, 3)):
        with pytest.raises(TypeError, match="shape"):
            from_kaggle("1 1", shape)
    for shape in ((3,), (1, 2, 3), 5):
        with pytest.raises(ValueError, match="shape"):
            from_kaggle("1 1", shape)
    with pytest.raises(OverflowError, match="shape"):
        from_kaggle("1 1", (2**40, 2**40))
    with pytest.raises((ValueError, TypeError), match="x"):
        to_kaggle(np.zeros(5, np.uint8))
    with pytest.raises(TypeError):
        to_kaggle("1 1")
    with pytest.raises(ValueError, match="mask.*2"):
        to_kaggle(np.full((2, 2), 2, np.uint8))       # validated by maskcore.encode


# --- row runs (CVAT) -----------------------------------------------------------------------------

@fixture_settings()
@given(masks())
def test_row_runs_match_dense_and_roundtrip(isa, m):
    rle = maskcore.encode(m)
    runs = to_row_runs(m)
    assert runs.dtype == np.int64
    assert runs.tolist() == ref.row_runs(m).tolist()
    assert to_row_runs(rle).tolist() == runs.tolist()
    assert int(runs.sum()) == m.size
    assert from_row_runs(runs, m.shape) == rle
    assert from_row_runs(runs.tolist(), m.shape) == rle
    if ref.area(m) == 0:
        with pytest.raises(ValueError, match="x has no foreground"):
            to_row_runs(m, box=True)
        return
    bruns, box = to_row_runs(rle, box=True)
    x, y, w, h = ref.bbox(m).tolist()
    assert box == (x, y, x + w - 1, y + h - 1)
    assert all(type(v) is int for v in box)
    crop = m[y:y + h, x:x + w]
    assert bruns.tolist() == ref.row_runs(crop).tolist()
    assert int(bruns.sum()) == w * h
    assert from_row_runs(bruns, m.shape, box=box) == rle
    # CVAT's serialisation: points = runs + [left, top, right, bottom], floats in JSON
    points = [float(v) for v in bruns.tolist() + list(box)]
    assert from_row_runs(points[:-4], m.shape, box=points[-4:]) == rle


def test_row_runs_hand_worked():
    m = np.zeros((4, 5), np.uint8)
    m[1, 2] = m[2, 2] = m[2, 3] = 1
    # rows: 00000 00100 00110 00000 -> 7 zeros, 1 one, 4 zeros, 2 ones, 6 zeros
    assert to_row_runs(m).tolist() == [7, 1, 4, 2, 6]
    runs, box = to_row_runs(m, box=True)
    # tight box columns 2..3, rows 1..2: [1 0] [1 1]
    assert runs.tolist() == [0, 1, 1, 2]
    assert box == (2, 1, 3, 2)
    points = [0, 1, 1, 2, 2, 1, 3, 2]              # the CVAT shape's points
    np.testing.assert_array_equal(from_row_runs(points[:-4], (4, 5), box=points[-4:]).decode(), m)
    np.testing.assert_array_equal(from_row_runs([7, 1, 4, 2, 6], (4, 5)).decode(), m)
    # a mask whose box starts with a background pixel
    m2 = np.zeros((3, 3), np.uint8)
    m2[0, 2] = m2[2, 0] = 1
    runs, box = to_row_runs(m2, box=True)
    assert box == (0, 0, 2, 2) and runs.tolist() == [2, 1, 3, 1, 2]


def test_row_runs_edge_cases():
    assert to_row_runs(np.zeros((0, 0), np.uint8)).tolist() == []
    assert to_row_runs(np.zeros((3, 0), np.uint8)).tolist() == []
    assert from_row_runs([], (0, 4)).shape == (0, 4)
    assert to_row_runs(np.ones((2, 2), np.uint8)).tolist() == [0, 4]
    assert to_row_runs(np.ones((2, 2), np.uint8), box=True)[0].tolist() == [0, 4]
    single = np.zeros((4, 4), np.uint8)
    single[3, 1] = 1
    runs, box = to_row_runs(single, box=True)
    assert runs.tolist() == [0, 1] and box == (1, 3, 1, 3)
    # empty interior runs are allowed and join their neighbours
    a = from_row_runs([0, 0, 0, 2, 0, 1, 3], (2, 3))
    np.testing.assert_array_equal(a.decode(), [[1, 1, 1], [0, 0, 0]])
    assert a == maskcore.encode(np.array([[1, 1, 1], [0, 0, 0]], np.uint8))
    with pytest.raises(ValueError, match="no foreground"):
        to_row_runs(np.zeros((2, 2), bool), box=True)


@pytest.mark.parametrize("runs, exc, pattern", [
    ([1, -1, 6], ValueError, r"runs\[1\].*-1"),
    ([1, 2], ValueError, r"sum.*6.*3|6.*sum"),
    ([4, 4], ValueError, r"sum"),
    ([2**62, 2**62, 2**62, 2**62], ValueError, r"sum"),
    ([1.5, 4.5], TypeError, r"runs\[0\].*1.5"),
    ([1, float("nan"), 5], TypeError, r"runs\[1\]"),
    (["1", "5"], TypeError, r"runs"),
    ([[1, 5]], ValueError, r"runs.*1-D"),
    ("1 5", TypeError, r"runs"),
    ([1, None, 5], TypeError, r"runs\[1\]"),
    ([2**64, 1], OverflowError, r"runs\[0\]"),
    (np.array([2**63, 1], np.uint64), OverflowError, r"runs\[0\]"),
    (np.array([True, False]), TypeError, r"runs.*bool"),
])
def test_row_runs_hostile(runs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        from_row_runs(runs, (2, 3))


@pytest.mark.parametrize("box, exc", [
    ((0, 0, 3, 1), ValueError),          # x1 past the width
    ((0, 0, 2, 2), ValueError),          # y1 past the height
    ((2, 0, 1, 1), ValueError),          # x1 < x0
    ((0, 1, 2, 0), ValueError),          # y1 < y0
    ((-1, 0, 1, 1), ValueError),
    ((0, 0, 1), ValueError),
    ((0.5, 0, 1, 1), TypeError),
    (("0", 0, 1, 1), TypeError),
    (5, TypeError),
])
def test_row_runs_bad_box(box, exc):
    with pytest.raises(exc, match="box"):
        from_row_runs([0, 4], (2, 3), box=box)


def test_row_runs_box_area_mismatch():
    with pytest.raises(ValueError, match="box's area.*4"):
        from_row_runs([0, 6], (2, 3), box=(0, 0, 1, 1))
