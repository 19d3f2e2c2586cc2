"""The one-call encoder of csrc/segments/encode.cpp (``_core.segments_encode``, behind
Segments.from_label_map / from_rgb) against the numpy oracle (tests/reference/segments_ref.py:
one ``==`` per value) and against the two-call path it replaced (the scalar reference scan,
then the gather): the same counts, offsets, dtypes and segment order, bit for bit, at every ISA
the machine has (the ``isa`` fixture), for every dtype and layout the function accepts (C, F,
strided, negative strides, transposed, read-only, unaligned), shapes 0 and 1 and widths around
the vector widths (16 / 32 / 64 bytes), one band or several (threads)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import maskcore
from maskcore import Segments, _core
from maskcore import _validate as _v
from maskcore import segments as S
from reference import segments_ref as ref
from strategies import LAYOUT_NAMES, SIMD_SIZES, fixture_settings, label_maps, layout

DTYPES = (np.uint8, np.uint16, np.uint32, np.int64, np.int16, np.int32, np.uint64, np.bool_)


def _unaligned(a):
    """``a`` copied to a buffer at an odd byte offset (items not aligned to their size)."""
    raw = np.zeros(a.nbytes + 1, np.uint8)
    out = np.frombuffer(raw.data, a.dtype, a.size, offset=1).reshape(a.shape)
    out[...] = a
    return out


LAYOUTS = LAYOUT_NAMES + ("unaligned",)


def _view(lab, name):
    return _unaligned(np.ascontiguousarray(lab)) if name == "unaligned" else layout(lab, name, lab.dtype)


def _two_calls(pixels, keys=None, seg=None, n=0, drop=None, signed=False):
    """What from_label_map / from_rgb computed before the one-call encoder: the scalar
    reference scan, then the gather (maskcore.segments._encode_runs with the reference scan)."""
    runs = _core.segments_scan(pixels, 1, True)
    h, w = pixels.shape[:2]
    found = np.zeros(0, np.uint64)
    if keys is None:
        found = np.unique(runs[:, 2].view(np.uint64))
        if signed:
            size = pixels.itemsize
            found = found[np.argsort(found.astype(f"u{size}").view(f"i{size}"), kind="stable")]
        if drop is not None:
            found = found[found != drop]
        n = found.size
        keys, seg = found, np.arange(n, dtype=np.int64)
        if drop is not None:
            keys = np.concatenate([keys, [np.uint64(drop)]])
            seg = np.concatenate([seg, [-1]])
    o = np.argsort(keys, kind="stable")
    flat, offsets, unknown, _ = _core.segments_gather(runs, np.ascontiguousarray(keys[o], np.uint64),
                                                       np.ascontiguousarray(np.asarray(seg)[o], np.int64), n, h, w)
    return flat, offsets, found, unknown


def _same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def _check_auto(pix, threads, drop=0):
    signed = pix.dtype.kind == "i"
    flat, offsets, keys = _core.segments_encode(pix, None, None, 0, drop, signed, threads)
    f0, o0, k0, _ = _two_calls(pix, drop=drop, signed=signed)
    _same(flat, f0)
    _same(offsets, o0)
    _same(keys, k0)


@fixture_settings()
@given(label_maps(), st.sampled_from(LAYOUTS), st.sampled_from((0, None, 3)), st.integers(1, 2))
def test_from_label_map_equals_oracle_and_two_calls(isa, lab, name, background, threads):
    view = _view(lab, name)
    s = Segments.from_label_map(view, background=background, threads=threads)
    want = ref.label_map_segments(lab, background)
    assert s.ids.tolist() == [v for v, _ in want]
    assert [r.counts.astype(np.int64).tolist() for r in s.masks] == [c.tolist() for _, c in want]
    bits = None if background is None else int(np.array([background], view.dtype).view(f"u{view.itemsize}")[0])
    _check_auto(view, threads, bits)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("w", SIMD_SIZES + (0, 1, 2, 7, 8, 9, 255, 256, 257))
def test_widths_around_the_vector_widths(isa, dtype, w):
    """Rows of every length around 16 / 32 / 64 bytes (and strips of 256 columns): sparse and
    dense differences, a difference in the last element, every layout."""
    rng = np.random.default_rng(w)
    for h in (0, 1, 2, 5, 65):
        lab = np.repeat(rng.integers(0, 3, (1, w)), h, axis=0)
        if h and w:
            lab[rng.integers(0, h, 2 * w), rng.integers(0, w, 2 * w)] = 2
            lab[h // 2] = rng.integers(0, 3, w)  # a dense row
            lab[-1, -1] = 1 - lab[-1, -1] if lab[-1, -1] < 2 else 0
        lab = lab.astype(dtype)
        for name in LAYOUTS:
            view = _view(lab, name)
            pix = view.view(np.uint8) if dtype == np.bool_ else view
            _check_auto(pix, 1)
            _check_auto(pix, 1, None)


def test_isas_and_threads_agree_on_a_big_map():
    """Maps past 2**20 pixels: several bands and chunks (threads), every ISA, C and F order."""
    rng = np.random.default_rng(5)
    small = rng.integers(0, 300, (160, 120))
    lab = np.kron(small, np.ones((13, 11), np.int64))[:2000, :1300]
    lab[rng.integers(0, 2000, 700), rng.integers(0, 1300, 700)] = 301
    for dtype in (np.uint16, np.int64, np.uint8):
        m = lab.astype(dtype)
        for view in (m, np.asfortranarray(m), m[:, ::-1], m[::-1]):
            results = []
            for isa in maskcore.available_isas():
                with maskcore.use_isa(isa):
                    for threads in (1, 2, 3):
                        results.append(_core.segments_encode(view, None, None, 0, 0, dtype == np.int64, threads))
            f0, o0, k0, _ = _two_calls(view, drop=0, signed=dtype == np.int64)
            for flat, offsets, keys in results:
                _same(flat, f0)
                _same(offsets, o0)
                _same(keys, k0)


def _rgb_views(rgb):
    planar = np.ascontiguousarray(rgb.transpose(2, 0, 1)).transpose(1, 2, 0)
    return {"C": rgb, "F": np.asfortranarray(rgb), "planar": planar, "negative": rgb[::-1, ::-1][::-1, ::-1],
            "strided": np.repeat(rgb, 2, axis=1)[:, ::2], "unaligned": _unaligned(rgb),
            "transposed_view": np.ascontiguousarray(rgb.transpose(1, 0, 2)).transpose(1, 0, 2)}


@pytest.mark.parametrize("w", (0, 1, 10, 11, 21, 22, 23, 43, 64, 100))
def test_rgb_table_mode_equals_two_calls(isa, w):
    """Colour masks (3-byte keys straddle the 32-byte blocks) through a colour table."""
    rng = np.random.default_rng(w)
    palette = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [1, 2, 3], [255, 255, 255]], np.uint8)
    for h in (0, 1, 3, 40):
        idx = rng.integers(0, len(palette), (h, w))
        idx[h // 2:] = idx[h // 2] if h else idx[h // 2:]
        rgb = palette[idx]
        keys = palette[:, 0].astype(np.uint64) | palette[:, 1].astype(np.uint64) << 8 | \
            palette[:, 2].astype(np.uint64) << 16
        seg = np.array([-1, 0, 1, 2, 3], np.int64)
        o = np.argsort(keys)
        for name, view in _rgb_views(rgb).items():
            flat, offsets, _ = _core.segments_encode(view, keys[o], seg[o], 4, None, False, 1)
            f0, o0, _, unknown = _two_calls(view, keys, seg, 4)
            assert unknown == 0
            _same(flat, f0)
            _same(offsets, o0)
            colors = {tuple(int(x) for x in c): i + 1 for i, c in enumerate(palette[1:])}
            s = Segments.from_rgb(view, colors)
            for i, r in enumerate(s.masks):
                assert np.array_equal(r.decode().astype(bool), idx == i + 1), name


def test_table_mode_for_label_maps_equals_two_calls(isa):
    rng = np.random.default_rng(2)
    lab = rng.integers(0, 6, (37, 70)).astype(np.uint16)
    table = {1: 7, 2: {"category_id": 8}, 3: 9, 4: 1, 5: 2, 40: 3}  # 40: in no pixel (an empty mask)
    for name in LAYOUTS:
        s = Segments.from_label_map(_view(lab, name), table, threads=1)
        assert s.ids.tolist() == [1, 2, 3, 4, 5, 40]
        assert s.category_ids.tolist() == [7, 8, 9, 1, 2, 3]
        want = ref.label_map_segments(lab, 0)
        got = [r.counts.astype(np.int64).tolist() for r in s.masks]
        assert got[:5] == [c.tolist() for _, c in want]
        assert got[5] == [lab.size]


def test_unknown_values_name_count_first_position_and_value():
    lab = np.zeros((4, 6), np.uint8)
    lab[3, 0] = 9  # first in column-major order
    lab[0, 5] = 8  # first in row-major order: the one the message names
    lab[1, 1] = 1
    for view in (lab, np.asfortranarray(lab), _unaligned(lab)):
        with pytest.raises(ValueError, match=r"^labels: 2 pixels hold values missing from the table; the first, at "
                                             r"\(row, col\) \(0, 5\), is 8$"):
            Segments.from_label_map(view, {1: 1})
    rgb = np.zeros((3, 4, 3), np.uint8)
    rgb[2, 0] = (9, 9, 9)
    rgb[1, 3] = (250, 0, 0)
    with pytest.raises(ValueError, match=r"^rgb: 2 pixels have colours not in the colour table; the first, at "
                                         r"\(row, col\) \(1, 3\), is \(250, 0, 0\) \(snap='nearest'"):
        Segments.from_rgb(np.asfortranarray(rgb), {(255, 0, 0): 1})


def test_the_binding_raises_kernel_error_with_the_error_info():
    lab = np.array([[0, 5], [5, 7]], np.uint8)
    keys = np.array([0, 5], np.uint64)
    with pytest.raises(_core.KernelError) as e:
        _core.segments_encode(lab, keys, np.array([-1, 0], np.int64), 1, None, False, 1)
    info = _v.kernel_info(e.value)
    assert (info.status, info.at, info.value) == ("invalid_value", 3, 1)  # (1, 1) row-major; one pixel
    assert isinstance(e.value, ValueError)


def test_paint_of_counts_past_the_map_raises_a_worded_error():
    bad = maskcore.RLEBatch._wrap(np.array([2, 9], np.uint32), np.array([0, 2], np.int64), np.array([[2, 3]], np.int64))
    seg = Segments._wrap(bad, np.array([1], np.int64), np.zeros(1, np.int64), np.zeros(1, np.bool_), None, None, 2, 3)
    with pytest.raises(ValueError, match=r"^masks\[0\]: counts run past height\*width = 6 at counts\[1\]$"):
        seg.to_label_map()
    with pytest.raises(_core.KernelError):
        _core.segments_paint(bad.counts, bad.offsets, np.array([1], np.uint64), np.array([0], np.int64),
                             np.zeros(6, np.uint8), 2, 3)


def test_background_outside_the_dtype_drops_nothing():
    lab = np.array([[0, 255], [1, 1]], np.uint8)
    s = Segments.from_label_map(lab, background=-1)
    assert s.ids.tolist() == [0, 1, 255]
    t = Segments.from_label_map(lab, {255: 1, 1: 2})
    assert t.ids.tolist() == [1, 255]


def test_two_call_fallback_equals_one_call():
    """maps with 2**32 - 1 rows or columns take _encode_runs (scan + gather); it gives the same."""
    rng = np.random.default_rng(3)
    lab = rng.integers(0, 4, (30, 50)).astype(np.int16) - 1
    a = S._encode(lab, None, None, 0, 0, True, 1, "labels", S._MISSING_VALUES)
    b = S._encode_runs(lab, None, None, 0, 0, True, 1, "labels", S._MISSING_VALUES)
    _same(a[0].counts, b[0].counts)
    _same(a[0].offsets, b[0].offsets)
    _same(a[1], b[1])
