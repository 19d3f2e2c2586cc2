"""maskcore.Segments / Dataset against the numpy oracle in tests/reference/segments_ref.py
(one ``==`` per value, each mask encoded alone) and the scalar reference scan of csrc/segments."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import maskcore
from maskcore import Category, Dataset, ImageRecord, Segments
from reference import segments_ref as ref
from strategies import LAYOUT_NAMES, SIMD_SIZES, label_maps, layout

from maskcore import _core


def _counts(seg):
    return [r.counts.astype(np.int64).tolist() for r in seg.masks]


def _check_label_map(lab, background=0):
    s = Segments.from_label_map(lab, background=background)
    want = ref.label_map_segments(lab, background)
    assert s.ids.tolist() == [v for v, _ in want]
    assert _counts(s) == [c.tolist() for _, c in want]
    assert s.shape == lab.shape
    return s


@given(label_maps(), st.sampled_from(LAYOUT_NAMES))
def test_from_label_map_matches_oracle(lab, name):
    view = layout(lab, name, lab.dtype)
    s = _check_label_map(view)
    if len(s):
        back = s.to_label_map(lab.dtype)
        expect = np.where(lab == 0, 0, lab).astype(lab.dtype)
        assert np.array_equal(back, expect)
        assert back.flags.c_contiguous


@given(label_maps(), st.sampled_from(LAYOUT_NAMES), st.integers(1, 2))
def test_scan_equals_scalar_reference(lab, name, threads):
    view = layout(lab, name, lab.dtype)
    if view.dtype.kind == "i" and view.itemsize < 4:
        view = view.astype(np.int32)
    a = _core.segments_scan(view, threads, False)
    b = _core.segments_scan(view, 1, True)
    # the kernel may cut runs at column ends where the reference (per column too) does the same
    assert np.array_equal(a, b)


@pytest.mark.parametrize("w", SIMD_SIZES + (0, 1, 200))
@pytest.mark.parametrize("h", (0, 1, 3, 65))
def test_sizes_around_strip_width(h, w):
    rng = np.random.default_rng(h * 1000 + w)
    lab = rng.integers(0, 4, (h, w)).astype(np.uint16)
    _check_label_map(lab)
    _check_label_map(np.asfortranarray(lab))
    _check_label_map(lab, background=None)


def test_big_map_threads_agree():
    rng = np.random.default_rng(1)
    small = rng.integers(0, 300, (40, 50))
    lab = np.kron(small, np.ones((13, 11), np.int64)).astype(np.uint16)
    a = Segments.from_label_map(lab, threads=1)
    b = Segments.from_label_map(lab, threads=2)
    assert a == b
    _check_label_map(lab)


def test_signed_and_wide_values():
    lab = np.array([[-5, 0, 2**40], [-5, 7, 2**40]], np.int64)
    s = _check_label_map(lab)
    assert s.ids.tolist() == [-5, 7, 2**40]
    assert np.array_equal(s.to_label_map(), lab)
    lab16 = np.array([[-1, 0], [3, -1]], np.int16)
    s = Segments.from_label_map(lab16)
    assert s.ids.tolist() == [-1, 3]
    assert np.array_equal(s.to_label_map(np.int16), lab16)


def test_table_rows_metadata_and_unknown_value():
    lab = np.array([[0, 1, 1], [2, 2, 0]], np.uint8)
    table = {2: {"category_id": 7, "attributes": {"note": "x"}}, 1: 3, 5: {"category_id": 1}}
    s = Segments.from_label_map(lab, table)
    assert s.ids.tolist() == [1, 2, 5]
    assert s.category_ids.tolist() == [3, 7, 1]
    assert s.area.tolist() == [2, 2, 0]
    assert s.attributes == [{}, {"note": "x"}, {}]
    with pytest.raises(ValueError, match=r"2 pixels .* \(row, col\) \(1, 0\), is 2"):
        Segments.from_label_map(lab, {1: 3})


def test_area_bbox_equal_pycocotools():
    import pycocotools.mask as pm
    rng = np.random.default_rng(5)
    lab = np.kron(rng.integers(0, 9, (9, 7)), np.ones((5, 6), np.int64)).astype(np.uint8)
    s = Segments.from_label_map(lab)
    enc = [pm.encode(np.asfortranarray(lab == v).astype(np.uint8)) for v in s.ids]
    assert s.area.tolist() == [int(pm.area(e)) for e in enc]
    assert np.array_equal(s.bbox, np.array([pm.toBbox(e) for e in enc]))
    assert s.bbox.dtype == np.float64


def test_semantic_map_round_trip_and_overlap_rules():
    cls = np.array([[0, 1, 1], [2, 2, 1]], np.uint8)
    s = Segments.from_semantic_map(cls)
    assert s.ids.tolist() == [1, 2] and s.category_ids.tolist() == [1, 2]
    assert np.array_equal(s.to_semantic_map(), cls)
    # two overlapping instances
    a = np.zeros((4, 4), bool); a[:2] = True
    b = np.zeros((4, 4), bool); b[1:3] = True
    seg = Segments(maskcore.encode(np.stack([a, b], 2)), ids=[10, 20], category_ids=[1, 2])
    with pytest.raises(ValueError, match=r"segments 0 \(id 10\) and 1 \(id 20\) share 4 pixels"):
        seg.to_label_map()
    later = seg.to_label_map(overlap="later-wins")
    assert np.array_equal(later, ref.paint((4, 4), [a, b], [10, 20], np.uint8))
    earlier = seg.to_label_map(overlap="earlier-wins")
    assert np.array_equal(earlier, ref.paint((4, 4), [b, a], [20, 10], np.uint8))
    prio = seg.to_label_map(overlap="priority", priority=[1, 2])
    assert np.array_equal(prio, earlier)
    with pytest.raises(ValueError, match="categories 1 and 2 share 4 pixels"):
        seg.to_semantic_map()
    same = seg.with_columns(category_ids=[3, 3])
    assert np.array_equal(same.to_semantic_map(), (a | b) * 3)
    with pytest.raises(ValueError, match="overlap"):
        seg.to_label_map(overlap="sideways")
    with pytest.raises(OverflowError, match="dtype"):
        seg.to_label_map(np.int8, overlap="later-wins").astype(np.int8) if False else \
            seg.with_columns(ids=[1, 300]).to_label_map(np.uint8, overlap="later-wins")


@given(st.integers(0, 30), st.integers(0, 30), st.integers(1, 6), st.integers(0, 2**32 - 1),
       st.sampled_from(LAYOUT_NAMES))
def test_from_rgb_round_trip(h, w, k, seed, name):
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, (k, 3)).astype(np.uint8)
    palette = np.unique(palette, axis=0)
    palette = palette[(palette != 0).any(1)]
    if not len(palette):
        return
    idx = rng.integers(0, len(palette) + 1, (h, w))
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[idx > 0] = palette[idx[idx > 0] - 1]
    colors = {tuple(int(x) for x in c): {"id": i + 1, "category_id": 100 + i} for i, c in enumerate(palette)}
    img = rgb if name == "C" else np.asfortranarray(rgb) if name == "F" else rgb[::-1, ::-1][::-1, ::-1]
    s = Segments.from_rgb(img, colors)
    assert s.ids.tolist() == list(range(1, len(palette) + 1))
    for i, r in enumerate(s.masks):
        assert np.array_equal(r.decode().astype(bool), idx == i + 1)
    assert np.array_equal(s.to_rgb({i + 1: palette[i] for i in range(len(palette))}), rgb)


def test_from_rgb_unknown_colour_and_snap():
    rgb = np.zeros((3, 4, 3), np.uint8)
    rgb[0, 1] = (250, 0, 0)
    rgb[1, 2] = (255, 0, 0)
    rgb[2, 0] = (0, 0, 250)
    with pytest.raises(ValueError, match=r"2 pixels .* \(row, col\) \(0, 1\), is \(250, 0, 0\)"):
        Segments.from_rgb(rgb, {(255, 0, 0): 1})
    s = Segments.from_rgb(rgb, {(255, 0, 0): 1}, snap="nearest")
    assert s.report == {"snapped_pixels": 2, "snapped_colors": 2}
    assert s.area.tolist() == [2]  # (250,0,0) -> red; (0,0,250) -> background (nearer black? no: 250 vs 255)
    with pytest.raises(ValueError, match="listed twice"):
        Segments.from_rgb(rgb, [((1, 2, 3), 1), ((1, 2, 3), 2)])
    with pytest.raises(ValueError, match="snap"):
        Segments.from_rgb(rgb, {(255, 0, 0): 1}, snap="closest")


def test_indexing_slicing_selection():
    lab = np.arange(12, dtype=np.uint8).reshape(3, 4)
    s = Segments.from_label_map(lab)
    assert len(s) == 11
    row = s[2]
    assert row.id == 3 and row.mask.area == 1
    sub = s[::2]
    assert isinstance(sub, Segments) and sub.ids.tolist() == [1, 3, 5, 7, 9, 11]
    sel = s[s.ids > 8]
    assert sel.ids.tolist() == [9, 10, 11]
    assert [r.decode().tolist() for r in sel.masks] == [(lab == v).astype(np.uint8).tolist() for v in (9, 10, 11)]
    assert len(s[np.zeros(11, bool)]) == 0
    assert [r.id for r in s][:3] == [1, 2, 3]
    with pytest.raises(IndexError):
        s[11]


def test_dataset_columns_iteration_lookup():
    a = Segments.from_label_map(np.array([[0, 1], [2, 2]], np.uint8))
    b = Segments.empty(3, 5)
    c = Segments.from_label_map(np.array([[4, 4, 0]], np.uint8), {4: {"category_id": 1, "attributes": {"k": 1}}})
    ds = Dataset([ImageRecord(10, "a.png", 2, 2, {}, a), ImageRecord(5, "b.png", 3, 5, {"x": 1}, b),
                  ImageRecord(7, "c.png", 1, 3, {}, c)], [Category(1, "thing")])
    assert len(ds) == 3 and ds.segments_count == 3
    assert [r.image_id for r in ds] == [10, 5, 7]
    assert ds.image(7).segments == c
    assert ds.image(10).segments == a
    assert ds[1].metadata == {"x": 1} and len(ds[1].segments) == 0
    assert ds.image(7).segments.attributes == [{"k": 1}]
    assert ds.category(1).name == "thing"
    with pytest.raises(KeyError):
        ds.image(99)
    with pytest.raises(ValueError, match="image_id"):
        Dataset([ImageRecord(1, "a", 2, 2, {}, a), ImageRecord(1, "b", 2, 2, {}, a)])
    with pytest.raises(ValueError, match="2x2"):
        Dataset([ImageRecord(1, "a", 3, 2, {}, a)])


def test_constructor_checks():
    m = maskcore.encode(np.zeros((2, 2, 2), bool))
    with pytest.raises(ValueError, match="ids: expected 2"):
        Segments(m, ids=[1])
    with pytest.raises(TypeError, match="category_ids"):
        Segments(m, category_ids=["a", "b"])
    with pytest.raises(ValueError, match="iscrowd"):
        Segments(m, iscrowd=[0, 2])
    with pytest.raises(ValueError, match="height, width"):
        Segments([])
    with pytest.raises(ValueError, match="id 0"):
        Segments(m, ids=[0, 1]).to_label_map()


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.uint64])
@pytest.mark.parametrize("w", [1, 7, 8, 9, 31, 127, 128, 129, 257, 300])
def test_scan_word_compare_equals_reference(dtype, w):
    """C-order rows are compared 8 bytes at a time; every element width, row ends inside a
    word, several differences in one word, sparse and dense differences."""
    rng = np.random.default_rng(w)
    lab = np.repeat(rng.integers(0, 3, (1, w)), 40, axis=0).astype(dtype)
    lab[rng.integers(0, 40, 60), rng.integers(0, w, 60)] = 5
    lab[20] = rng.integers(0, 3, w)  # a dense row
    lab[25, ::2] = 7
    for threads in (1, 2):
        assert np.array_equal(_core.segments_scan(lab, threads, False), _core.segments_scan(lab, 1, True))
