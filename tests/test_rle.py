"""maskcore's COCO RLE against the numpy oracle in tests/reference/rle_ref.py.

Every test takes the ``isa`` fixture, so each property is checked with every kernel
variant the machine has; kernel results are also compared bit for bit with the scalar
variant where a float is involved.
"""

import json
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import maskcore
from reference import rle_ref as ref
from strategies import (
    SIMD_SIZES,
    fixture_settings,
    layout,
    layouts,
    mask_lists,
    mask_pairs,
    mask_stacks,
    masks,
)

RLE = maskcore.RLE
RLEBatch = maskcore.RLEBatch


def assert_counts(rle, expected):
    counts = np.asarray(rle.counts)
    assert counts.ndim == 1
    assert counts.tolist() == np.asarray(expected).tolist()


def check_rle(rle, mask):
    """rle is the canonical COCO RLE of mask."""
    mask = np.asarray(mask)
    assert isinstance(rle, RLE)
    assert rle.shape == mask.shape
    assert (rle.height, rle.width) == mask.shape
    assert_counts(rle, ref.encode(mask))


# --- encode / decode --------------------------------------------------------------------

@fixture_settings()
@given(masks())
def test_roundtrip(isa, m):
    rle = maskcore.encode(m)
    out = rle.decode()
    assert out.dtype == np.uint8
    assert out.shape == m.shape
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, m)
    np.testing.assert_array_equal(maskcore.decode(rle), m)


@fixture_settings()
@given(masks())
def test_counts_match_reference(isa, m):
    rle = maskcore.encode(m)
    check_rle(rle, m)
    counts = rle.counts
    assert counts.dtype == np.uint32
    assert not counts.flags.writeable
    with pytest.raises(ValueError):
        counts[...] = 0
    assert RLE.from_mask(m) == rle
    assert RLE(ref.encode(m), *m.shape) == rle


@fixture_settings()
@given(masks())
def test_every_layout_gives_identical_counts(isa, m):
    expected = ref.encode(m).tolist()
    for name, view in layouts(m).items():
        before = view.copy()
        writeable = view.flags.writeable
        rle = maskcore.encode(view)
        assert np.asarray(rle.counts).tolist() == expected, name
        np.testing.assert_array_equal(view, before, err_msg=name)   # input untouched
        assert view.flags.writeable == writeable, name              # flags untouched


def test_broadcast_zero_stride_input(isa):
    # A zero-stride (broadcast, read-only) view is a legal numpy layout too.
    row = (np.arange(37) % 3 == 0).astype(np.uint8)
    for m in (np.broadcast_to(row, (20, 37)), np.broadcast_to(row[:20, None], (20, 37))):
        check_rle(maskcore.encode(m), np.array(m))


# --- set operations ------------------------------------------------------------------------

@fixture_settings()
@given(mask_pairs())
def test_set_operators(isa, pair):
    a, b = pair
    ra, rb = maskcore.encode(a), maskcore.encode(b)
    A, B = a.astype(bool), b.astype(bool)
    check_rle(ra & rb, A & B)
    check_rle(ra | rb, A | B)
    check_rle(ra ^ rb, A ^ B)
    check_rle(ra - rb, A & ~B)
    check_rle(~ra, ~A)
    check_rle(~~ra, A)
    assert (ra == rb) == bool(np.array_equal(a, b))
    assert (ra == ra) and (ra & ra) == ra and (ra | ~ra) == ~(ra - ra)


@fixture_settings()
@given(masks(max_area=4096), st.data())
def test_noncanonical_counts_describe_the_same_mask(isa, m, data):
    # Inserting "0, 0" anywhere after the first run, or appending a 0, keeps the mask;
    # such counts are either rejected or treated as the mask they describe.
    counts = ref.encode(m).tolist()
    for _ in range(data.draw(st.integers(1, 3))):
        k = data.draw(st.integers(1, len(counts)))
        counts[k:k] = [0, 0]
    if data.draw(st.booleans()):
        counts.append(0)
    try:
        r = RLE(counts, *m.shape)
    except ValueError:
        return
    canon = maskcore.encode(m)
    assert r == canon and hash(r) == hash(canon)
    np.testing.assert_array_equal(r.decode(), m)
    assert r.area == ref.area(m)
    np.testing.assert_array_equal(r.bbox, ref.bbox(m))
    np.testing.assert_array_equal(maskcore.bbox([r]), [ref.bbox(m)])
    check_rle(~r, 1 - m)
    check_rle(r | r, m)
    check_rle(r & canon, m)
    assert maskcore.iou(r, canon) == (1.0 if ref.area(m) else 0.0)
    assert RLE.from_coco({"size": list(m.shape), "counts": r.to_string()}) == canon


# --- area / bbox / iou / merge ------------------------------------------------------------

@fixture_settings()
@given(masks())
def test_area_and_bbox(isa, m):
    rle = maskcore.encode(m)
    assert rle.area == ref.area(m)
    assert isinstance(rle.area, int)
    assert maskcore.area(rle) == ref.area(m)
    for box in (rle.bbox, maskcore.bbox(rle)):
        assert box.dtype == np.int64 and box.shape == (4,)
        np.testing.assert_array_equal(box, ref.bbox(m))


@fixture_settings()
@given(mask_lists(max_size=4))
def test_batched_area_and_bbox(isa, ms):
    rles = [maskcore.encode(m) for m in ms]
    expected_area = np.array([ref.area(m) for m in ms], np.int64)
    expected_bbox = np.array([ref.bbox(m) for m in ms], np.int64).reshape(-1, 4)
    for x in (rles, RLEBatch.from_list(rles)):
        a = maskcore.area(x)
        assert a.dtype == np.int64 and a.shape == (len(ms),)
        np.testing.assert_array_equal(a, expected_area)
        b = maskcore.bbox(x)
        assert b.dtype == np.int64 and b.shape == (len(ms), 4)
        np.testing.assert_array_equal(b, expected_bbox)


@fixture_settings()
@given(mask_pairs())
def test_iou_pair(isa, pair):
    a, b = pair
    ra, rb = maskcore.encode(a), maskcore.encode(b)
    got = maskcore.iou(ra, rb)
    assert isinstance(got, float)
    assert got == pytest.approx(ref.iou(a, b), rel=1e-12, abs=0)
    with maskcore.use_isa("scalar"):
        assert maskcore.iou(ra, rb) == got                     # bit-identical to scalar


@fixture_settings()
@given(st.data())
def test_iou_matrix_with_crowd(isa, data):
    ms = data.draw(mask_lists(min_size=1, max_size=6))
    split = data.draw(st.integers(0, len(ms)))
    dts, gts = ms[:split], ms[split:]
    iscrowd = data.draw(st.lists(st.booleans(), min_size=len(gts), max_size=len(gts)))
    rd = [maskcore.encode(m) for m in dts]
    rg = [maskcore.encode(m) for m in gts]
    expected = ref.iou_matrix(dts, gts, iscrowd)
    for crowd in (iscrowd, np.array(iscrowd, np.uint8), np.array(iscrowd, bool)):
        for x, y in ((rd, rg), (RLEBatch.from_list(rd), RLEBatch.from_list(rg))):
            got = maskcore.iou(x, y, crowd)
            assert got.dtype == np.float64 and got.shape == (len(dts), len(gts))
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    with maskcore.use_isa("scalar"):
        scalar = maskcore.iou(rd, rg, iscrowd)
    np.testing.assert_array_equal(maskcore.iou(rd, rg, iscrowd), scalar)
    if not any(iscrowd):
        np.testing.assert_allclose(maskcore.iou(rd, rg), expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("height", [1, 63, 64, 65, 130])
def test_iou_matrix_bit_and_interval_paths_agree(isa, height):
    """Large matrices count intersections on bit columns, small ones by walking
    intervals (see csrc/rle/iou.cpp); both must equal the dense reference. Heights
    around 64 put boxes across one, two and three words per column."""
    rng = np.random.default_rng(height)
    w = 37
    masks = []
    for k in range(24):
        m = np.zeros((height, w), np.uint8)
        y0, x0 = rng.integers(0, height), rng.integers(0, w)
        m[y0:y0 + rng.integers(1, height + 1), x0:x0 + rng.integers(1, w + 1)] = 1
        m &= (rng.random((height, w)) < (0.6 if k % 3 else 1.0)).astype(np.uint8)  # holes, and full boxes
        masks.append(m)
    dts, gts = masks[:12], masks[12:]
    crowd = [j % 4 == 0 for j in range(12)]
    rd, rg = [maskcore.encode(m) for m in dts], [maskcore.encode(m) for m in gts]
    expected = ref.iou_matrix(dts, gts, crowd)
    np.testing.assert_allclose(maskcore.iou(rd, rg, crowd), expected, rtol=1e-12, atol=0)  # 144 pairs: bits
    for i in range(12):  # 1 x 12 rows: intervals
        np.testing.assert_allclose(maskcore.iou(rd[i:i + 1], rg, crowd), expected[i:i + 1], rtol=1e-12, atol=0)


def test_iou_with_no_ground_truth(isa):
    # An image without ground truth: pycocotools users pass iscrowd=[] (a float64 array
    # once numpy sees it empty), which must be accepted like None.
    d = maskcore.encode(np.ones((3, 3), np.uint8))
    for crowd in (None, [], (), np.zeros(0, bool), np.zeros(0, np.uint8)):
        got = maskcore.iou([d, d], [], crowd)
        assert got.shape == (2, 0) and got.dtype == np.float64


def test_iou_special_cases(isa):
    z = maskcore.encode(np.zeros((4, 4), np.uint8))
    o = maskcore.encode(np.ones((4, 4), np.uint8))
    q = np.zeros((4, 4), np.uint8)
    q[:2, :2] = 1
    q = maskcore.encode(q)
    assert maskcore.iou(z, z) == 0.0                     # union 0 -> 0.0 like pycocotools
    assert maskcore.iou(o, z) == 0.0
    assert maskcore.iou(o, o) == 1.0
    assert maskcore.iou(q, o) == 0.25
    # crowd: intersection / area(detection)
    np.testing.assert_array_equal(maskcore.iou([q, o], [o], [True]), [[1.0], [1.0]])
    np.testing.assert_array_equal(maskcore.iou([o], [q], [True]), [[0.25]])
    np.testing.assert_array_equal(maskcore.iou([z], [z], [True]), [[0.0]])
    assert maskcore.iou([], [o]).shape == (0, 1)
    assert maskcore.iou([o], []).shape == (1, 0)


@fixture_settings()
@given(mask_lists(min_size=1, max_size=5), st.booleans())
def test_merge(isa, ms, intersect):
    rles = [maskcore.encode(m) for m in ms]
    expected = ref.merge(ms, intersect)
    check_rle(maskcore.merge(rles, intersect=intersect), expected)
    check_rle(maskcore.merge(RLEBatch.from_list(rles), intersect=intersect), expected)
    if not intersect:
        check_rle(maskcore.merge(rles), expected)


# --- COCO strings -------------------------------------------------------------------------

@fixture_settings()
@given(masks())
def test_coco_string_roundtrip(isa, m):
    rle = maskcore.encode(m)
    h, w = m.shape
    s = rle.to_string()
    assert isinstance(s, bytes)
    assert s == ref.to_string(ref.encode(m))
    d = rle.to_coco()
    assert d == {"size": [h, w], "counts": s.decode("ascii")}
    assert json.loads(json.dumps(d)) == d
    for counts in (s, s.decode("ascii"), ref.encode(m).tolist()):
        back = RLE.from_coco({"size": [h, w], "counts": counts})
        assert back == rle
        check_rle(back, m)


@fixture_settings()
@given(st.lists(st.integers(1, 2**34), min_size=1, max_size=12), st.booleans())
def test_reference_strings_decode(isa, runs, starts_with_one):
    # Arbitrary run lengths, including ones past 2**32 (which pycocotools cannot hold):
    # the COCO string codec is exact on 64-bit counts. h = 1 keeps every run valid.
    counts = ([0] if starts_with_one else []) + runs
    total = sum(counts)
    s = ref.to_string(counts)
    rle = RLE.from_coco({"size": [1, total], "counts": s})
    assert_counts(rle, counts)
    assert rle.counts.dtype == (np.uint64 if total >= 2**32 else np.uint32)
    assert rle.to_string() == s
    assert rle.area == sum(counts[1::2])
    if total >= 2**32:
        assert rle.counts.dtype == np.uint64


def test_large_counts_without_dense(isa):
    # h * w = 2**33 pixels; everything here works on runs, never on a dense mask.
    h, w = 2**20, 2**13
    counts = [3, 2**32, h * w - 3 - 2**32]
    rle = RLE(np.array(counts, np.uint64), h, w)
    assert rle.counts.dtype == np.uint64
    assert rle.area == 2**32
    # last foreground pixel: index 2**32 + 2 -> column 4096, row 2; the run wraps columns,
    # so the box spans every row
    np.testing.assert_array_equal(rle.bbox, [0, 0, 4097, h])
    inv = ~rle
    assert_counts(inv, [0, 3, 2**32, h * w - 3 - 2**32])
    assert inv.area == h * w - 2**32
    assert (rle & inv).area == 0 and (rle | inv).area == h * w
    assert RLE.from_coco(rle.to_coco()) == rle
    assert rle.to_string() == ref.to_string(counts)
    assert maskcore.iou(rle, inv) == 0.0
    assert maskcore.iou(rle, rle | inv) == pytest.approx(2**32 / (h * w), rel=1e-15)


# --- batches ---------------------------------------------------------------------------------

@fixture_settings()
@given(mask_stacks())
def test_encode_stack(isa, stack):
    h, w, n = stack.shape
    views = {"given": stack, "strided": np.asarray(stack[::-1, :, ::-1])[::-1, :, ::-1],
             "wide": np.repeat(stack, 2, axis=1)[:, ::2, :]}
    for name, x in views.items():
        batch = maskcore.encode(x)
        assert isinstance(batch, RLEBatch), name
        assert len(batch) == n
        for i in range(n):
            check_rle(batch[i], stack[:, :, i])
        np.testing.assert_array_equal(batch.sizes, np.tile([h, w], (n, 1)).reshape(n, 2))


@fixture_settings()
@given(mask_lists(min_size=1, max_size=4), st.sampled_from("CF"))
def test_decode_list(isa, ms, order):
    rles = [maskcore.encode(m) for m in ms]
    expected = np.stack(ms, axis=-1)
    for x in (rles, RLEBatch.from_list(rles)):
        got = maskcore.decode(x)
        assert got.dtype == np.uint8 and got.shape == expected.shape
        assert got.flags.c_contiguous
        np.testing.assert_array_equal(got, expected)
        out = np.full(expected.shape, 9, np.uint8, order=order)
        res = maskcore.decode(x, out=out)
        assert res is None or res is out
        np.testing.assert_array_equal(out, expected)


@fixture_settings()
@given(masks(), st.sampled_from(("C", "F", "strided", "negative")))
def test_decode_into_out(isa, m, kind):
    rle = maskcore.encode(m)
    h, w = m.shape
    if kind in "CF":
        base = np.full((h, w), 9, np.uint8, order=kind)
        out = base
    elif kind == "strided":
        base = np.full((2 * h + 1, 3 * w + 1), 9, np.uint8)
        out = base[1::2, 1::3]
    else:
        base = np.full((h, w), 9, np.uint8)
        out = base[::-1, ::-1]
    for res in (rle.decode(out=out), maskcore.decode(rle, out=out)):
        assert res is None or res is out
        np.testing.assert_array_equal(out, m)
    if kind == "strided":                                  # nothing outside the view written
        untouched = np.ones(base.shape, bool)
        untouched[1::2, 1::3] = False
        assert (base[untouched] == 9).all()


@fixture_settings()
@given(mask_lists(min_size=0, max_size=6), st.data())
def test_rle_batch(isa, ms, data):
    rles = [maskcore.encode(m) for m in ms]
    b = RLEBatch.from_list(rles)
    n = len(rles)
    assert len(b) == n
    assert list(b) == rles
    for i in range(n):
        assert b[i] == rles[i]
        assert b[i - n] == rles[i - n]
    for i in (n, -n - 1):
        with pytest.raises(IndexError):
            b[i]
    # flat storage
    offsets = np.concatenate([[0], np.cumsum([r.counts.size for r in rles])]).astype(np.int64)
    assert b.offsets.dtype == np.int64
    np.testing.assert_array_equal(b.offsets, offsets)
    flat = np.concatenate([np.asarray(r.counts) for r in rles] + [np.zeros(0, np.int64)])
    np.testing.assert_array_equal(np.asarray(b.counts, np.int64), flat)
    assert b.sizes.dtype == np.int64 and b.sizes.shape == (n, 2)
    np.testing.assert_array_equal(b.sizes, [r.shape for r in rles] or np.zeros((0, 2)))
    # slicing and fancy indexing give batches
    i = data.draw(st.integers(0, n))
    j = data.draw(st.integers(0, n))
    step = data.draw(st.sampled_from((1, 2, -1)))
    for sl in (slice(i, j), slice(None, None, step), slice(j, i, step)):
        sub = b[sl]
        assert isinstance(sub, RLEBatch)
        assert list(sub) == rles[sl]
    idx = np.array(data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=5 if n else 0)),
                   np.int64)
    sub = b[idx]
    assert isinstance(sub, RLEBatch)
    assert list(sub) == [rles[k] for k in idx]
    # COCO dicts
    coco = b.to_coco()
    assert coco == [r.to_coco() for r in rles]
    back = RLEBatch.from_coco(coco)
    assert list(back) == rles


# --- explicit edge cases -------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(0, 0), (0, 5), (5, 0), (0, 129)])
def test_empty_area_masks(isa, shape):
    for dtype in (np.uint8, bool):
        rle = maskcore.encode(np.zeros(shape, dtype))
        assert rle.shape == shape
        assert_counts(rle, [0])                        # as pycocotools
        assert rle.area == 0
        np.testing.assert_array_equal(rle.bbox, [0, 0, 0, 0])
        assert rle.decode().shape == shape
        assert rle.to_string() == b"0"
        assert rle.to_coco() == {"size": list(shape), "counts": "0"}
        assert RLE.from_coco(rle.to_coco()) == rle
        assert (~rle) == rle and (rle & rle) == rle
        assert maskcore.iou(rle, rle) == 0.0


def test_one_pixel(isa):
    zero, one = np.zeros((1, 1), np.uint8), np.ones((1, 1), np.uint8)
    assert_counts(maskcore.encode(zero), [1])
    assert_counts(maskcore.encode(one), [0, 1])
    assert_counts(maskcore.encode(one.astype(bool)), [0, 1])
    np.testing.assert_array_equal(maskcore.encode(one).bbox, [0, 0, 1, 1])
    assert (~maskcore.encode(zero)) == maskcore.encode(one)


def _patterns(h, w):
    yield "zeros", np.zeros((h, w), np.uint8)
    yield "ones", np.ones((h, w), np.uint8)
    checker = (np.add.outer(np.arange(h), np.arange(w)) % 2).astype(np.uint8)
    yield "checker", checker
    yield "checker1", 1 - checker
    first = np.zeros((h, w), np.uint8)
    first.flat[0] = 1
    yield "first", first
    last = np.zeros((h, w), np.uint8)
    last.flat[-1] = 1
    yield "last", last
    yield "all_but_first", 1 - first
    yield "all_but_last", 1 - last
    rng = np.random.default_rng(h * 1000 + w)
    yield "random", (rng.random((h, w)) < 0.5).astype(np.uint8)


@pytest.mark.parametrize("n", SIMD_SIZES)
def test_simd_boundaries(isa, n):
    for shape in ((1, n), (n, 1), (n, 3), (3, n), (n, n)):
        for name, m in _patterns(*shape):
            for lname in ("C", "F", "strided", "negative"):
                rle = maskcore.encode(layout(m, lname))
                check_rle(rle, m)
            np.testing.assert_array_equal(rle.decode(), m, err_msg=f"{shape} {name}")
            assert rle.area == ref.area(m)
            np.testing.assert_array_equal(rle.bbox, ref.bbox(m))
            assert rle.to_string() == ref.to_string(ref.encode(m))


@pytest.mark.parametrize("n", SIMD_SIZES)
def test_single_run_everywhere(isa, n):
    # A run of every length starting at every offset of a column of n pixels: each
    # (start, end) crosses or stops at a different lane of the vector loop.
    for start in range(n):
        for end in sorted({start + 1, start + 2, n, (start + n + 1) // 2}):
            if end > n:
                continue
            m = np.zeros((n, 1), np.uint8)
            m[start:end] = 1
            rle = maskcore.encode(m)
            expected = [start, end - start] + ([n - end] if end < n else [])
            assert_counts(rle, expected)
            np.testing.assert_array_equal(rle.decode(), m)
            np.testing.assert_array_equal(maskcore.encode(m.T.copy()).decode(), m.T)


def test_big_all_ones_and_checker(isa):
    ones = np.ones((1000, 1000), np.uint8)
    assert_counts(maskcore.encode(ones), [0, 10**6])
    checker = (np.add.outer(np.arange(301), np.arange(257)) % 2).astype(bool)
    rle = maskcore.encode(checker)
    assert np.asarray(rle.counts).tolist() == [1] * (301 * 257)
    np.testing.assert_array_equal(rle.decode(), checker)
    np.testing.assert_array_equal(maskcore.encode(np.asfortranarray(checker)).counts, rle.counts)


def test_pickle(isa):
    m = (np.add.outer(np.arange(40), np.arange(33)) % 5 == 0).astype(np.uint8)
    r = maskcore.encode(m)
    back = pickle.loads(pickle.dumps(r))
    assert back == r and back.shape == r.shape
    assert np.asarray(back.counts).tolist() == np.asarray(r.counts).tolist()


@fixture_settings()
@given(
    counts=st.lists(st.one_of(st.integers(0, 40), st.sampled_from([0, 1, 31, 32, 1023, 1024, 70000, 2**20, 2**29])),
                    min_size=1, max_size=400),
    mutation=st.one_of(st.none(), st.tuples(st.integers(0, 10**6), st.integers(0, 255))),
    total_delta=st.sampled_from([0, 0, 0, -1, 1]),
)
def test_string_decoder_agrees_with_scalar_reference(isa, counts, mutation, total_delta):
    """The vectorized string decoder (csrc/rle/codec_decode.inl) reads valid strings
    like the scalar reference and rejects invalid ones with the reference's message:
    strings long enough for its 64-char blocks, mutated bytes, wrong totals."""
    total = sum(counts)
    s = bytearray(maskcore.RLE(np.array(counts, np.uint64), 1, total).to_string())
    if mutation is not None:
        s[mutation[0] % len(s)] = mutation[1]
    d = {"size": [1, max(total + total_delta, 0)], "counts": bytes(s)}

    def read():
        try:
            return maskcore.RLE.from_coco(d).counts.tolist()
        except ValueError as e:
            return str(e)

    got = read()
    with maskcore.use_isa("scalar"):
        assert read() == got


@pytest.mark.parametrize("density", [0.5, 0.05, 0.001])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "reversed"])
def test_encode_large_masks_every_path(isa, density, layout):
    """Masks tall enough (>= 256 rows) for the row scan to probe its density: noise
    hands a C-order mask to the tiled transpose, sparse masks stay on the row scan;
    strided views always transpose (csrc/rle/rle.cpp)."""
    rng = np.random.default_rng(int(density * 1000))
    m = (rng.random((300, 97)) < density).astype(np.uint8)
    view = {"C": m, "F": np.asfortranarray(m), "strided": np.repeat(m, 2, axis=1)[:, ::2],
            "reversed": m[::-1, ::-1].copy()[::-1, ::-1]}[layout]
    assert np.array_equal(view, m)
    got = maskcore.encode(view)
    np.testing.assert_array_equal(got.counts, ref.encode(m))
    np.testing.assert_array_equal(maskcore.decode(got), m)
