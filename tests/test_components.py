"""maskcore.label and maskcore.component_stats: exact equality (numbering included) with
the flood-fill reference (tests/reference/components_ref.py), scikit-image's
measure.label / regionprops and scipy.ndimage.label (explicit structure), in every
layout, every ISA and every thread count; bad input."""
import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st
from skimage.measure import label as sk_label
from skimage.measure import regionprops

import maskcore
from reference import components_ref as ref
from strategies import fixture_settings, label_images, label_volumes, layout_nd

CONN_2D = {4: 1, 8: 2}
CONN_3D = {6: 1, 18: 2, 26: 3}


def sk(image, rank, multi):
    """scikit-image's labels of image (multi-label for integers, binary for bool)."""
    img = image if multi else np.asarray(image, bool)
    return sk_label(img, connectivity=rank, background=0)


def sk3(image, rank, multi):
    """scikit-image's 3D labels, except where its numbering leaves raster order: with a
    last axis of length 1 it numbers (2, 2, 1) [[[2], [1]], [[1], [0]]] as 1, 3, 2 (the
    partition is right). There the flood-fill reference is the oracle."""
    if image.ndim == 3 and image.shape[-1] == 1:
        return ref.label(image, rank)[0]
    return sk(image, rank, multi)


def check_stats(labels, n, stats):
    """stats equal regionprops' area, bbox and centroid, exactly."""
    assert stats.shape == (n,)
    if labels.size == 0:
        return
    props = regionprops(labels.astype(np.int64))
    assert len(props) == n
    for p in props:
        row = stats[p.label - 1]
        assert row["area"] == p.area
        assert tuple(row["bbox"]) == tuple(p.bbox)
        assert tuple(row["centroid"]) == tuple(p.centroid)


@fixture_settings()
@given(label_images(), st.sampled_from((4, 8)), st.sampled_from(("C", "F", "strided", "negative")))
def test_label_2d_equals_skimage(isa, data, conn, layout):
    image, multi = data
    labels, n = maskcore.label(layout_nd(image, layout), connectivity=conn)
    expect = sk(image, CONN_2D[conn], multi)
    assert labels.dtype == np.uint32 and labels.flags.c_contiguous
    np.testing.assert_array_equal(labels, expect)
    assert n == expect.max(initial=0)
    if not multi:  # scipy labels nonzero pixels: binary only
        sp, m = ndi.label(image, structure=ndi.generate_binary_structure(2, CONN_2D[conn]))
        np.testing.assert_array_equal(labels, sp)
        assert n == m


@fixture_settings(max_examples=30)
@given(label_images(max_area=600), st.sampled_from((4, 8)))
def test_label_equals_reference_with_stats(data, conn):
    image, multi = data
    labels, n, stats = maskcore.label(image, connectivity=conn, return_stats=True)
    expect, m = ref.label(image, CONN_2D[conn])
    np.testing.assert_array_equal(labels, expect)
    assert n == m
    for row, (area, bbox, centroid) in zip(stats, ref.stats(expect, m)):
        assert row["area"] == area and tuple(row["bbox"]) == bbox and tuple(row["centroid"]) == centroid
    if multi:  # the value of each component is its pixels' value
        firsts = [tuple(np.argwhere(expect == k)[0]) for k in range(1, m + 1)]
        assert stats["value"].dtype == image.dtype
        assert stats["value"].tolist() == [image[p] for p in firsts]
    else:
        assert "value" not in stats.dtype.names


@fixture_settings()
@given(label_volumes(), st.sampled_from((6, 18, 26)), st.sampled_from(("C", "F", "strided", "negative")))
def test_label_3d_equals_skimage(isa, data, conn, layout):
    image, multi = data
    labels, n, stats = maskcore.label(layout_nd(image, layout), connectivity=conn, return_stats=True)
    expect = sk3(image, CONN_3D[conn], multi)
    np.testing.assert_array_equal(labels, expect)
    assert n == expect.max(initial=0)
    check_stats(labels, n, stats)
    if not multi:
        sp, m = ndi.label(image, structure=ndi.generate_binary_structure(3, CONN_3D[conn]))
        np.testing.assert_array_equal(labels, sp)


@fixture_settings(max_examples=40)
@given(label_images())
def test_stats_equal_regionprops(isa, data):
    image, multi = data
    labels, n, stats = maskcore.label(image, return_stats=True)
    check_stats(labels, n, stats)
    again = maskcore.component_stats(labels, n)
    for name in ("area", "bbox", "centroid"):
        np.testing.assert_array_equal(again[name], stats[name])


def _big_inputs():
    rng = np.random.default_rng(7)
    yield rng.random((1031, 600)) < 0.5, 8
    yield rng.random((1031, 600)) < 0.55, 4
    yield ndi.gaussian_filter(rng.random((900, 700)), 3) > 0.5, 8
    yield rng.integers(0, 3, (900, 650)).astype(np.int16), 8
    yield rng.random((40, 67, 250)) < 0.3, 26
    yield rng.random((40, 67, 250)) < 0.3, 6
    yield rng.integers(0, 3, (45, 60, 210)).astype(np.uint8), 18


@pytest.mark.parametrize("case", range(7))
def test_threads_never_change_the_result(case):
    image, conn = list(_big_inputs())[case]
    base, n, st1 = maskcore.label(image, connectivity=conn, threads=1, return_stats=True)
    rank = (CONN_2D if image.ndim == 2 else CONN_3D)[conn]
    np.testing.assert_array_equal(base, sk(image, rank, image.dtype != bool))
    for threads in (2, 3, 8):
        for isa in maskcore.available_isas():
            with maskcore.use_isa(isa):
                labels, m, st = maskcore.label(image, connectivity=conn, threads=threads, return_stats=True)
            np.testing.assert_array_equal(labels, base)
            assert m == n
            assert st.tobytes() == st1.tobytes()
        fortran, m = maskcore.label(np.asfortranarray(image), connectivity=conn, threads=threads)
        np.testing.assert_array_equal(fortran, base)


def test_skimage_numbering_quirk_on_a_singleton_last_axis():
    vol = np.array([[[2], [1]], [[1], [0]]], np.uint8)
    assert maskcore.label(vol, connectivity=6)[0].ravel().tolist() == [1, 2, 3, 0]  # raster order
    assert sk_label(vol, connectivity=1).ravel().tolist() == [1, 3, 2, 0]  # scikit-image 0.26


def test_connectivity_default_and_skimage_numbering():
    checker = np.indices((5, 6)).sum(0) % 2 == 0
    assert maskcore.label(checker)[1] == 1  # default: full (8)
    assert maskcore.label(checker, connectivity=8)[1] == maskcore.label(checker, connectivity=2)[1] == 1
    assert maskcore.label(checker, connectivity=4)[1] == maskcore.label(checker, connectivity=1)[1] == 15
    vol = np.zeros((2, 2, 2), bool)
    vol[0, 0, 0] = vol[1, 1, 1] = True
    assert maskcore.label(vol)[1] == 1
    assert maskcore.label(vol, connectivity=18)[1] == maskcore.label(vol, connectivity=6)[1] == 2
    assert maskcore.label(vol, connectivity=3)[1] == 1


@pytest.mark.parametrize("shape", [(0, 0), (0, 5), (5, 0), (0, 3, 3), (2, 0, 3), (2, 3, 0)])
def test_empty(shape):
    labels, n, stats = maskcore.label(np.zeros(shape, np.int32), return_stats=True)
    assert labels.shape == shape and labels.dtype == np.uint32 and n == 0 and stats.shape == (0,)
    assert maskcore.component_stats(np.zeros(shape, np.uint8)).shape == (0,)


def test_background_and_binary():
    rng = np.random.default_rng(3)
    img = rng.integers(-2, 3, (40, 50)).astype(np.int8)
    for bg in (-2, 0, 2):
        labels, n = maskcore.label(img, background=bg)
        np.testing.assert_array_equal(labels, sk_label(img, background=bg, connectivity=2))
        labels, n = maskcore.label(img, background=bg, binary=True)
        np.testing.assert_array_equal(labels, sk_label(img != bg, connectivity=2))
    m = rng.random((30, 30)) < 0.5
    np.testing.assert_array_equal(maskcore.label(m, background=True)[0], sk_label(~m, connectivity=2))


def test_out_dtype():
    checker = np.indices((40, 40)).sum(0) % 2 == 0  # 800 components with 4-connectivity
    labels, n = maskcore.label(checker, connectivity=4)
    for dt in (np.uint16, np.int16, np.int32, np.uint32, np.int64, np.uint64):
        out, m = maskcore.label(checker, connectivity=4, out_dtype=dt)
        assert out.dtype == dt and m == n and out.flags.c_contiguous
        np.testing.assert_array_equal(out, labels)
    for dt in (np.uint8, np.int8):
        with pytest.raises(OverflowError, match="800 components"):
            maskcore.label(checker, connectivity=4, out_dtype=dt)
    assert maskcore.label(checker[:4, :4], connectivity=4, out_dtype=np.uint8)[0].dtype == np.uint8


def test_broadcast_and_packed_fields():
    b = np.broadcast_to(np.array([1, 0, 1, 1]), (5, 4))  # zero row stride
    np.testing.assert_array_equal(maskcore.label(b)[0], sk_label(b, connectivity=2))
    packed = np.zeros((6, 7), dtype=[("a", "u1"), ("b", "<u2")])  # strides of 3 bytes
    packed["b"][1:3, 2:5] = 9
    np.testing.assert_array_equal(maskcore.label(packed["b"])[0], sk_label(packed["b"], connectivity=2))


def test_byte_order_and_readonly():
    img = np.array([[1, 1, 0], [0, 258, 258]], ">u2")
    labels, n, stats = maskcore.label(img, return_stats=True)
    assert n == 2 and stats["value"].tolist() == [1, 258]
    ro = np.arange(12).reshape(3, 4) % 3
    ro.flags.writeable = False
    np.testing.assert_array_equal(maskcore.label(ro)[0], sk_label(ro, connectivity=2))


def test_component_stats_of_any_label_image():
    labels = np.array([[3, 0, 3], [0, 1, 0], [5, 5, 0]], np.int32)
    s = maskcore.component_stats(labels)
    assert s.shape == (5,)
    assert s["area"].tolist() == [1, 0, 2, 0, 2]
    assert s["bbox"][2].tolist() == [0, 0, 1, 3] and s["bbox"][1].tolist() == [0, 0, 0, 0]
    assert np.isnan(s["centroid"][1]).all() and s["centroid"][2].tolist() == [0.0, 1.0]
    assert maskcore.component_stats(labels, n=7).shape == (7,)
    with pytest.raises(ValueError, match="value 5 .* exceeds n = 4"):
        maskcore.component_stats(labels, n=4)
    with pytest.raises(ValueError, match="non-negative"):
        maskcore.component_stats(-labels)
    with pytest.raises(TypeError, match="float"):
        maskcore.component_stats(labels.astype(float))


def test_bad_input():
    with pytest.raises(ValueError, match="2D .* or 3D"):
        maskcore.label(np.zeros(5, bool))
    with pytest.raises(ValueError, match="4D"):
        maskcore.label(np.zeros((2, 2, 2, 2), bool))
    with pytest.raises(TypeError, match="float64.*threshold"):
        maskcore.label(np.zeros((3, 3)))
    with pytest.raises(TypeError, match="numpy array"):
        maskcore.label("abc")
    with pytest.raises(ValueError, match="connectivity: expected one of 4, 8 for a 2D image"):
        maskcore.label(np.zeros((3, 3), bool), connectivity=6)
    with pytest.raises(ValueError, match="connectivity: expected one of 6, 18, 26 for a 3D image"):
        maskcore.label(np.zeros((3, 3, 3), bool), connectivity=8)
    with pytest.raises(TypeError, match="connectivity"):
        maskcore.label(np.zeros((3, 3), bool), connectivity=4.0)
    with pytest.raises(ValueError, match="background: 300 is outside"):
        maskcore.label(np.zeros((3, 3), np.uint8), background=300)
    with pytest.raises(TypeError, match="out_dtype"):
        maskcore.label(np.zeros((3, 3), bool), out_dtype=np.float32)
    with pytest.raises(ValueError, match="threads"):
        maskcore.label(np.zeros((3, 3), bool), threads=0)
    with pytest.raises(ValueError):  # the binding re-checks what would be unsafe
        maskcore._core.ccl_label(np.zeros((3, 3), np.uint8), 6, True, 0, 1, False, False)


def test_scratch_reuse_across_calls_and_sizes():
    """Per-thread scratch is kept between calls: a small call after a large one, a
    larger one after it, binary after multi-label, 2D after 3D give fresh results."""
    rng = np.random.default_rng(11)
    inputs = [(rng.random((700, 500)) < 0.5, 4), (rng.random((3, 5)) < 0.5, 8),
              (rng.integers(0, 4, (20, 30, 40)).astype(np.int32), 26), (rng.random((1200, 900)) < 0.6, 8),
              (rng.integers(0, 3, (300, 200)).astype(np.uint16), 4), (np.ones((1, 1), bool), 4)]
    expect = []
    for image, conn in inputs:
        rank = (CONN_2D if image.ndim == 2 else CONN_3D)[conn]
        multi = image.dtype != bool
        want = sk(image, rank, multi)
        expect.append(want)
        labels, n, stats = maskcore.label(image, connectivity=conn, threads=1, return_stats=True)
        np.testing.assert_array_equal(labels, want)
        check_stats(labels, n, stats)
        np.testing.assert_array_equal(maskcore.component_stats(labels, n)["area"], stats["area"])
    for (image, conn), want in zip(inputs[::-1], expect[::-1]):
        np.testing.assert_array_equal(maskcore.label(image, connectivity=conn)[0], want)


def test_stats_records_are_a_view_of_the_kernel_buffer():
    image = np.array([[[-5, -5, 0], [0, 7, 7]], [[-5, 0, 0], [0, 0, 7]]], np.int64)
    labels, n, stats = maskcore.label(image, connectivity=6, return_stats=True)
    assert stats.base is not None and stats.dtype.itemsize == 8 * (1 + 3 * 3) + 8
    assert stats["value"].tolist() == [-5, 7] and stats["area"].tolist() == [3, 3]
    assert stats["bbox"].tolist() == [[0, 0, 0, 2, 1, 2], [0, 1, 1, 2, 2, 3]]
    np.testing.assert_array_equal(stats["centroid"], [[1 / 3, 0, 1 / 3], [1 / 3, 1, 5 / 3]])


@pytest.mark.parametrize("conn", [6, 18, 26])
def test_multilabel_volume_with_short_runs(isa, conn):
    """The benchmark's hard case in small: four classes from a smoothed field (runs of
    ~5 voxels), each 3D connectivity, against scikit-image, threads 1 and 2 (two strips)."""
    rng = np.random.default_rng(5)
    field = ndi.gaussian_filter(rng.random((30, 120, 160), np.float32), 2.0)  # 2^19+ voxels: 2 strips
    vol = np.digitize(field, np.quantile(field, [0.4, 0.6, 0.8])).astype(np.uint8)
    expect = sk(vol, CONN_3D[conn], True)
    for threads in (1, 2):
        labels, n, stats = maskcore.label(vol, connectivity=conn, threads=threads, return_stats=True)
        np.testing.assert_array_equal(labels, expect)
        assert n == expect.max()
    check_stats(labels, n, stats)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.uint32, np.int64])
@pytest.mark.parametrize("shape", [(1, 5, 9), (3, 4, 4), (5, 7, 13), (9, 8, 17), (4, 1, 6), (2, 3, 1), (6, 9)])
def test_fortran_order_copy_equals_c_order(dtype, shape):
    """Fortran-ordered input is copied into C order in blocks (4x4 SSE2 transposes for 32-bit
    elements, element by element at the edges): labels equal the C-order call's."""
    rng = np.random.default_rng(sum(shape))
    image = rng.integers(0, 3, shape).astype(dtype)
    conns = (4, 8) if len(shape) == 2 else (6, 26)
    for conn in conns:
        want, n = maskcore.label(np.ascontiguousarray(image), connectivity=conn)
        for view in (np.asfortranarray(image), np.asfortranarray(image)[::-1][::-1]):
            got, m = maskcore.label(view, connectivity=conn)
            assert m == n
            np.testing.assert_array_equal(got, want)


# --- short runs (the window joins) and Fortran order (labeled in the array's own order) ---

_SIMD_SIDES = (1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65)


@pytest.mark.parametrize("width", [63, 64, 65, 100, 127, 128, 129, 191, 192, 193, 250])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint32, np.int64, np.bool_])
def test_rows_around_chunk_widths_every_isa(width, dtype):
    """The run finder's chunks of 64 (the first reads its left neighbours from a shifted copy,
    the last overlaps the one before): rows of widths around multiples of 64, short and long
    runs, binary and multi-label, every ISA equal to scikit-image."""
    rng = np.random.default_rng(width)
    k = 2 if dtype == np.bool_ else 4
    short = rng.integers(0, k, (9, width))
    long = np.repeat(rng.integers(0, k, (9, width // 7 + 1)), 7, axis=1)[:, :width]
    for image in (short.astype(dtype), long.astype(dtype)):
        for conn in (4, 8):
            multi = dtype != np.bool_
            expect = sk(image, CONN_2D[conn], multi)
            for isa in maskcore.available_isas():
                with maskcore.use_isa(isa):
                    labels, n = maskcore.label(image, connectivity=conn)
                    np.testing.assert_array_equal(labels, expect, err_msg=isa)
                    if multi:
                        np.testing.assert_array_equal(maskcore.label(image, connectivity=conn, binary=True)[0],
                                                      sk(image != 0, CONN_2D[conn], False), err_msg=isa)


@st.composite
def short_run_volumes(draw):
    """A multi-label volume with short runs (mean ~2-6 voxels), sides 0/1 and around the
    vector widths (8, 16, 32, 64 lanes), so the sampled mean run length picks the window
    joins at 18/26-connectivity, and every chunk edge of their lane masks is crossed."""
    z = draw(st.sampled_from((0, 1, 2, 3, 9, 17)))
    y = draw(st.sampled_from((0, 1, 2, 5, 8, 9)))
    x = draw(st.sampled_from(_SIMD_SIDES))
    dtype = draw(st.sampled_from((np.uint8, np.int16, np.uint32, np.int64)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.integers(2, 5))
    vol = rng.integers(0, k, (z, y, x))
    if draw(st.booleans()) and vol.size:  # longer runs along x: repeat values in pairs/triples
        rep = draw(st.integers(2, 4))
        vol = np.repeat(vol[:, :, : -(-x // rep)], rep, axis=2)[:, :, :x]
    return vol.astype(dtype)


@fixture_settings(max_examples=60)
@given(short_run_volumes(), st.sampled_from((6, 18, 26)), st.sampled_from(("C", "F", "strided", "negative")))
def test_short_run_volumes_equal_reference_in_every_isa(data, conn, layout):
    """Labels without statistics (the path that joins by windows and labels Fortran-ordered
    input in its own order): equal to the flood-fill reference, numbering included, and
    bit-identical in every ISA and for threads 1 and 2."""
    image = layout_nd(data, layout)
    expect, m = ref.label(data, CONN_3D[conn])
    for isa in maskcore.available_isas():
        with maskcore.use_isa(isa):
            for threads in (1, 2):
                labels, n = maskcore.label(image, connectivity=conn, threads=threads)
                assert labels.flags.c_contiguous
                np.testing.assert_array_equal(labels, expect, err_msg=f"{isa} threads={threads}")
                assert n == m


@fixture_settings(max_examples=60)
@given(label_images(), st.sampled_from((4, 8)), st.sampled_from(("C", "F", "strided", "negative")))
def test_label_2d_without_stats_every_layout(data, conn, layout):
    """2D labels without statistics (Fortran order: labeled by columns, renumbered, written
    transposed) equal scikit-image's in every ISA."""
    image, multi = data
    expect = sk(image, CONN_2D[conn], multi)
    for isa in maskcore.available_isas():
        with maskcore.use_isa(isa):
            labels, n = maskcore.label(layout_nd(image, layout), connectivity=conn)
            np.testing.assert_array_equal(labels, expect, err_msg=isa)
            assert n == expect.max(initial=0)


@pytest.mark.parametrize("shape", [(3, 40, 70), (70, 3, 40), (40, 70, 3), (33, 17, 65), (1, 64, 65), (2, 1, 130)])
@pytest.mark.parametrize("conn", [6, 18, 26])
def test_fortran_volumes_own_order_equal_c_order(shape, conn):
    """Fortran-ordered volumes (z unit stride), also with y unit stride (a transposed view),
    labeled without statistics: equal to the C-order call and to scikit-image, every ISA,
    threads 1 and 2; the tiles of lines and their 8x8 transposes meet every edge case of
    these sides."""
    rng = np.random.default_rng(sum(shape) + conn)
    field = ndi.gaussian_filter(rng.random(shape, np.float32), 1.0)
    vol = np.digitize(field, np.quantile(field, [0.3, 0.6, 0.8])).astype(np.int32)
    expect = sk3(vol, CONN_3D[conn], True)
    yunit = np.ascontiguousarray(vol.transpose(0, 2, 1)).transpose(0, 2, 1)  # strides: y unit
    for isa in maskcore.available_isas():
        with maskcore.use_isa(isa):
            for threads in (1, 2):
                for view in (np.asfortranarray(vol), yunit):
                    labels, n = maskcore.label(view, connectivity=conn, threads=threads)
                    np.testing.assert_array_equal(labels, expect, err_msg=f"{isa} {view.strides}")
                    assert n == expect.max(initial=0)


def test_fortran_volume_tiles_of_many_lines():
    """A Fortran-ordered volume whose tiles (as many lines as fit ~256 KB, at least 64) do not
    cover the lines of one outer index: several tiles per row of the output, a short last
    one, every ISA; with empty lines; and 2D with columns longer than a tile row."""
    rng = np.random.default_rng(7)
    field = ndi.gaussian_filter(rng.random((1100, 2, 300), np.float32), 2.0)
    vol = np.digitize(field, np.quantile(field, [0.3, 0.6, 0.8])).astype(np.uint16)
    image = rng.random((3000, 150)) < 0.5
    sparse = vol.copy()  # empty lines along z (tile rows left unpainted while they stay empty), between full ones
    sparse[:, :, ::3] = 0
    sparse[:, 1, 100:250] = 0
    cases = ((vol, 26, sk3(vol, CONN_3D[26], True)), (sparse, 6, sk3(sparse, CONN_3D[6], True)),
             (image, 8, sk(image, CONN_2D[8], False)))
    for data, conn, expect in cases:
        for isa in maskcore.available_isas():
            with maskcore.use_isa(isa):
                labels, n = maskcore.label(np.asfortranarray(data), connectivity=conn, threads=1)
                np.testing.assert_array_equal(labels, expect, err_msg=isa)
                assert n == expect.max()


def test_fortran_input_many_components():
    """Fortran-ordered noise (a component per few pixels: the bitmap ranking at its densest)
    in 2D and 3D, every ISA."""
    rng = np.random.default_rng(3)
    for image, conn, rank in ((rng.random((257, 131)) < 0.45, 4, 1), (rng.random((19, 23, 37)) < 0.3, 6, 1)):
        expect = sk(image, rank, False)
        for isa in maskcore.available_isas():
            with maskcore.use_isa(isa):
                labels, n = maskcore.label(np.asfortranarray(image), connectivity=conn)
                np.testing.assert_array_equal(labels, expect, err_msg=isa)
                assert n == expect.max()
