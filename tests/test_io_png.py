"""maskcore.io's PNG coding: the native unfilter (every filter type) and encoder against the
specification's byte-at-a-time reference (tests/reference/png_ref.py) and Pillow; the
index-png writer and reader agreeing on category ids."""
from __future__ import annotations

import io as _io
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import maskcore
import maskcore.io as mio
from maskcore import Category, Dataset, ImageRecord, Segments
from maskcore import _core
from maskcore import _validate as _v
from maskcore.io._common import _fast_png, encode_png, read_png
from reference import png_ref

# (colour type, bit depth, bytes per pixel, Pillow's mode)
LAYOUTS = [(0, 8, 1, "L"), (0, 16, 2, "I;16"), (2, 8, 3, "RGB"), (3, 8, 1, "P"), (6, 8, 4, "RGBA")]


def pillow(data: bytes) -> np.ndarray:
    with Image.open(_io.BytesIO(data)) as im:
        a = np.asarray(im)
        return a.astype(np.uint16) if im.mode.startswith("I;16") else a


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(LAYOUTS), st.integers(1, 9), st.integers(1, 11), st.integers(0, 2**32 - 1),
       st.sampled_from(("random", "runs", "flat")))
def test_unfilter_every_filter_type_equals_reference_and_pillow(layout, h, w, seed, kind):
    color, depth, bpp, mode = layout
    rng = np.random.default_rng(seed)
    n = w * bpp
    if kind == "random":
        px = rng.integers(0, 256, (h, n), dtype=np.uint8)
    elif kind == "runs":
        px = np.repeat(rng.integers(0, 4, (h, 1), dtype=np.uint8), n, axis=1)
    else:
        px = np.full((h, n), rng.integers(0, 256), np.uint8)
    ftypes = rng.integers(0, 5, h).tolist()
    raw = png_ref.filter_rows(px, bpp, ftypes)
    np.testing.assert_array_equal(png_ref.unfilter_rows(raw, h, n, bpp), px)  # the reference is consistent
    np.testing.assert_array_equal(_core.png_unfilter(raw, h, n, bpp), px)
    pal = list(range(256)) * 3 if color == 3 else None
    data = png_ref.png_bytes(px, w, color, depth, bpp, ftypes, pal)
    got, got_mode, _ = _fast_png(data)
    assert got_mode == mode
    np.testing.assert_array_equal(got, pillow(data))


def test_unfilter_bad_input():
    with pytest.raises(_core.KernelError) as e:  # a ValueError; _validate words it
        _core.png_unfilter(b"\0\1\7\1", 2, 1, 1)
    assert str(_v.png_filter_error(e.value)) == "filter type of row 1: expected 0..4, got 7"
    with pytest.raises(ValueError, match="raw: expected rows"):
        _core.png_unfilter(b"\0\1\0", 2, 1, 1)
    with pytest.raises(ValueError, match="out of range"):
        _core.png_unfilter(b"", 0, 0, 9)
    assert _core.png_unfilter(b"", 0, 5, 1).shape == (0, 5)


def test_bad_filter_byte_falls_back_to_pillow(tmp_path):
    """A defect the fast path does not decode goes to Pillow, whose error names the file."""
    px = np.zeros((2, 3), np.uint8)
    data = png_ref.png_bytes(px, 3, 0, 8, 1, [0, 0])
    assert _fast_png(data) is not None
    bad = data.replace(zlib.compress(png_ref.filter_rows(px, 1, [0, 0])), zlib.compress(b"\0\0\0\0\x09\0\0\0"))
    assert _fast_png(bad) is None
    (tmp_path / "m.png").write_bytes(bad)
    with pytest.raises(ValueError, match=r"m\.png: not a readable PNG"):
        read_png(tmp_path / "m.png")


WIDTHS = [1, 2, 3, 4, 5, 257, 258, 259, 260, 261, 262, 517, 518]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["u8", "u16", "rgb", "pal"]), st.integers(1, 6), st.sampled_from(WIDTHS),
       st.integers(0, 2**32 - 1), st.sampled_from(("C", "F", "strided")), st.sampled_from(("runs", "random", "zeros")))
def test_encode_png_round_trips(kind, h, w, seed, layout, content):
    rng = np.random.default_rng(seed)
    dt = np.uint16 if kind == "u16" else np.uint8
    shape = (h, w, 3) if kind == "rgb" else (h, w)
    top = 65535 if kind == "u16" else 255
    if content == "random":
        a = rng.integers(0, top + 1, shape).astype(dt)
    elif content == "zeros":
        a = np.zeros(shape, dt)
    else:  # runs: a few values in long runs, rows repeating
        a = np.repeat(np.repeat(rng.integers(0, 3, (h, 1) + shape[2:]), w, axis=1), 1, axis=0).astype(dt)
        a[rng.integers(0, h), : rng.integers(0, w + 1)] = dt(top)
    if layout == "F":
        a = np.asfortranarray(a)
    elif layout == "strided":
        big = np.zeros((2 * h, 3 * w) + shape[2:], dt)
        big[::2, ::3] = a
        a = big[::2, ::3]
    data = encode_png(a, palette=list(range(256)) * 3 if kind == "pal" else None)
    np.testing.assert_array_equal(pillow(data), a)
    got, mode, _ = _fast_png(data)
    np.testing.assert_array_equal(got, a)
    assert mode == {"u8": "L", "u16": "I;16", "rgb": "RGB", "pal": "P"}[kind]


def test_png_deflate_is_a_valid_zlib_stream_of_the_filtered_rows():
    a = np.zeros((5, 600), np.uint8)
    a[2:, 100:400] = 7
    a[4, 599] = 1
    raw = zlib.decompress(_core.png_deflate(a))  # zlib checks the Adler-32 too
    ftypes = [1, 2, 2, 2, 2]
    assert raw == png_ref.filter_rows(a, 1, ftypes)
    assert len(_core.png_deflate(np.zeros((1000, 1000), np.uint8))) < 16_000  # about 11 bytes a zero row


def test_png_deflate_bad_input():
    with pytest.raises(ValueError, match="at least one row"):
        _core.png_deflate(np.zeros((0, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8 or native uint16"):
        _core.png_deflate(np.zeros((2, 3), np.int32))
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        _core.png_deflate(np.zeros((2, 3, 2), np.uint8))


# ---- index-png: what the writer writes, the reader reads -------------------------------------------

def _segs(cats, h=4, w=5):
    masks = []
    for i in range(len(cats)):
        m = np.zeros((h, w), np.uint8)
        m[i % h, : i + 1] = 1
        masks.append(m)
    return Segments(np.stack(masks, axis=-1), ids=np.arange(1, len(cats) + 1), category_ids=cats)


@pytest.mark.parametrize("fmt", ["index-png", "rgb"])
def test_writer_and_reader_agree_on_category_ids(tmp_path, fmt):
    cats = [Category(1, "car"), Category(2, "car"), Category(5, "person")]  # a shared name
    ds = Dataset([ImageRecord(1, "a.jpg", 4, 5, {}, _segs([1, 2, 0, 5]))], cats)
    mio.write(ds, tmp_path / "t.json", fmt, overlap="later-wins")
    back = mio.read(tmp_path / "t.json", fmt)
    assert back[0].segments.category_ids.tolist() == [1, 2, 0, 5]  # 0: no category, kept as 0
    np.testing.assert_array_equal(back[0].segments.to_label_map(), ds[0].segments.to_label_map())
    bad = Dataset([ImageRecord(1, "a.jpg", 4, 5, {}, _segs([1, 9]))], cats)
    with pytest.raises(ValueError, match="image 1 segment 1: category id 9 is not among"):
        mio.write(bad, tmp_path / "u.json", fmt, overlap="later-wins")
    assert not (tmp_path / "u.json").exists() and not list(tmp_path.glob("masks/.*.tmp"))
    mio.write(bad, tmp_path / "u.json", fmt, overlap="later-wins", strict=False)
    with pytest.raises(ValueError, match=r"category_id: expected the id of a category .*strict=False.*got 9"):
        mio.read(tmp_path / "u.json", fmt)
    kept = mio.read(tmp_path / "u.json", fmt, strict=False)
    assert kept[0].segments.category_ids.tolist() == [1, 9]
    assert kept.metadata["unknown_category_ids"] == [9]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=6), st.lists(st.sampled_from("ab"), min_size=6, max_size=6))
def test_index_png_category_round_trip_property(tmp_path_factory, cat_ids, names):
    """Any category ids among the categories (or 0), any (also repeated) names: write, read,
    the same ids."""
    tmp = tmp_path_factory.mktemp("ip")
    cats = [Category(i + 1, names[i]) for i in range(6)]
    ds = Dataset([ImageRecord(1, "a.jpg", 4, 5, {}, _segs(cat_ids))], cats)
    mio.write(ds, tmp / "t.json", "index-png", overlap="later-wins")
    back = mio.read(tmp / "t.json", "index-png")
    assert back[0].segments.category_ids.tolist() == cat_ids


def test_label_must_name_its_category(tmp_path):
    import json
    Image.fromarray(np.array([[0, 1]], np.uint8)).save(tmp_path / "m.png")
    doc = {"categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
           "items": [{"mask": "m.png", "height": 1, "width": 2,
                      "segments": [{"index": 1, "category_id": 1, "label": "b"}]}]}
    (tmp_path / "i.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"segments\[0\]\.label: expected the name of category 1 \('a'\), got 'b'"):
        mio.read(tmp_path / "i.json", "index-png")


def test_written_files_have_ordinary_permissions(tmp_path):
    import os
    ds = Dataset([ImageRecord(1, "a.jpg", 4, 5, {}, _segs([1]))], [Category(1, "x")])
    mio.write(ds, tmp_path / "t.json", "index-png")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "masks" / "a.png").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("h", [63, 64, 65, 95, 96, 97, 130])
@pytest.mark.parametrize("w", [1, 7, 300])
def test_encode_png_column_major_bands(h, w):
    """Column-major uint8 maps of 64 rows or more are gathered 32 rows at a time."""
    rng = np.random.default_rng(h * 1000 + w)
    a = np.asfortranarray(np.repeat(rng.integers(0, 4, (h, 1)), w, axis=1).astype(np.uint8))
    a[rng.integers(0, h, 20), rng.integers(0, w, 20)] = 9
    data = encode_png(a)
    np.testing.assert_array_equal(pillow(data), a)
    assert data == encode_png(np.ascontiguousarray(a))
