"""maskcore.dask: chunked label / component_stats / encode / find_polygons / validate
equal the whole-array functions of maskcore (which the other test modules hold to the
flood-fill reference, scikit-image, scipy and pycocotools), numbering included, for
random 2D and 3D binary and multi-label images under random chunkings (one-pixel
chunks, zero-length chunks, components crossing many chunks, spirals, diagonal chains
and checkerboards across diagonal seams), on the local schedulers, from zarr and
memmaps, and on a two-worker dask.distributed cluster. Skipped without dask."""
import importlib
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

da = pytest.importorskip("dask.array")

import maskcore  # noqa: E402
import maskcore.dask as md  # noqa: E402
from reference import components_ref as ref  # noqa: E402
from strategies import _spiral, label_images, label_volumes  # noqa: E402

CONNS = {2: (4, 8), 3: (6, 18, 26)}
RANK = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}
# Each example runs several dask graphs (~0.1-0.3 s on a loaded 2-core machine): fewer
# examples than the profile's default keep the module near half a minute.
DASK_SETTINGS = settings(max_examples=20)


@st.composite
def chunkings(draw, shape):
    """Chunks per axis: whole, one pixel each, random cuts, or random cuts with
    zero-length chunks in between."""
    out = []
    for s in shape:
        kind = draw(st.sampled_from(("whole", "ones", "cuts", "cuts", "zeros")))
        if s == 0 or kind == "whole":
            out.append((s,))
        elif kind == "ones":
            out.append((1,) * s)
        else:
            cuts = sorted(draw(st.sets(st.integers(1, max(1, s - 1)), max_size=min(s - 1, 6))) if s > 1 else [])
            sizes = list(np.diff([0, *cuts, s]))
            if kind == "zeros":
                sizes.insert(draw(st.integers(0, len(sizes))), 0)
            out.append(tuple(int(x) for x in sizes))
    return tuple(out)


@st.composite
def chunked_images(draw, ndim=None):
    """(image, multi, chunks) in 2D or 3D."""
    nd = ndim or draw(st.sampled_from((2, 3)))
    image, multi = draw(label_images(max_area=900) if nd == 2 else label_volumes())
    return image, multi, draw(chunkings(image.shape))


def check_label(image, chunks, conn, **kw):
    want, n_want = maskcore.label(image, connectivity=conn, **kw)
    labels, n = md.label(da.from_array(image, chunks=chunks), connectivity=conn, **kw)
    assert labels.chunks == da.from_array(image, chunks=chunks).chunks
    got = labels.compute()
    assert n == n_want
    assert got.dtype == np.uint32
    np.testing.assert_array_equal(got, want)
    return labels, got, n


def stats_equal(a, b):
    assert a.dtype.names[:3] == b.dtype.names[:3] and len(a) == len(b)
    np.testing.assert_array_equal(a["area"], b["area"])
    np.testing.assert_array_equal(a["bbox"], b["bbox"])
    np.testing.assert_array_equal(a["centroid"], b["centroid"])  # exact (NaN == NaN here)


@DASK_SETTINGS
@given(chunked_images(), st.data())
def test_label_equals_maskcore_label(case, data):
    image, multi, chunks = case
    conn = data.draw(st.sampled_from(CONNS[image.ndim]))
    check_label(image, chunks, conn)


@DASK_SETTINGS
@given(chunked_images(), st.data())
def test_label_binary_and_background(case, data):
    image, multi, chunks = case
    conn = data.draw(st.sampled_from(CONNS[image.ndim]))
    if multi:
        check_label(image, chunks, conn, binary=True)
        bg = image.flat[0] if image.size else 0
        check_label(image, chunks, conn, background=bg)


def test_label_matches_flood_fill_reference():
    rng = np.random.default_rng(5)
    for shape, chunks in (((13, 17), (3, 4)), ((5, 6, 7), (2, 3, 2))):
        img = rng.integers(0, 3, shape).astype(np.uint8)
        for conn in CONNS[len(shape)]:
            got, n = md.label(da.from_array(img, chunks=chunks), connectivity=conn)
            want, n_want = ref.label(img, RANK[conn])
            assert n == n_want
            np.testing.assert_array_equal(got.compute(), want)


def checker(shape, phase=0):
    return (np.indices(shape).sum(axis=0) + phase) % 2 == 1


@pytest.mark.parametrize("conn", [4, 8])
def test_checkerboard_diagonal_seams_2d(conn):
    m = checker((12, 12))
    for chunks in ((1, 1), (3, 3), (2, 5), (5, 2)):
        _, got, n = check_label(m, chunks, conn)
        assert n == (1 if conn == 8 else int(m.sum()))


@pytest.mark.parametrize("conn", [6, 18, 26])
def test_checkerboard_diagonal_seams_3d(conn):
    m = checker((6, 6, 6))
    for chunks in ((1, 1, 1), (2, 2, 2), (3, 2, 1)):
        check_label(m, chunks, conn)
    corner = np.zeros((4, 4, 4), bool)  # two voxels touching only at a block corner
    corner[1, 1, 1] = corner[2, 2, 2] = True
    _, _, n = check_label(corner, (2, 2, 2), conn)
    assert n == (1 if conn == 26 else 2)


@pytest.mark.parametrize("shape, chunks", [((17, 19), (1, 1)), ((37, 41), (3, 2)), ((37, 41), (7, 7)),
                                           ((37, 41), (40, 1))])
def test_spiral_crosses_many_chunks(shape, chunks):
    m = _spiral(*shape).astype(bool)
    for conn in (4, 8):
        _, _, n = check_label(m, chunks, conn)
        assert n == 1
    lab, _ = md.label(da.from_array(m, chunks=chunks))
    stats_equal(md.component_stats(lab), maskcore.component_stats(lab.compute()))
    assert md.encode(da.from_array(m, chunks=chunks)) == maskcore.encode(m)


@DASK_SETTINGS
@given(chunked_images())
def test_component_stats(case):
    image, multi, chunks = case
    labels, n = md.label(da.from_array(image, chunks=chunks))
    want = maskcore.component_stats(labels.compute())
    stats_equal(md.component_stats(labels), want)  # fused with the relabel
    stats_equal(md.component_stats(labels.map_blocks(lambda b: b)), want)  # any label image
    _, _, st_label = maskcore.label(image, return_stats=True)
    stats_equal(md.component_stats(labels, n), st_label)


@DASK_SETTINGS
@given(chunked_images(ndim=2), st.integers(0, 2**32 - 1), st.sampled_from((2, 8, 1 << 20)))
def test_component_stats_of_any_labels(case, seed, direct_max):
    """Label images that are not maskcore.dask.label's, with the per-block table spanning
    the ids directly, shifted to the block's least id, or compacted (direct_max)."""
    image, _, chunks = case
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.array([0, 1, 7, 30, 31, 300], np.uint64), size=image.shape)
    old = md._DIRECT_MAX
    md._DIRECT_MAX = direct_max
    try:
        for lab in (ids, (ids % 8).astype(np.int16)):
            stats_equal(md.component_stats(da.from_array(lab, chunks=chunks)), maskcore.component_stats(lab))
    finally:
        md._DIRECT_MAX = old


def test_component_stats_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        md.component_stats(da.from_array(np.array([[1, -1]]), chunks=1))
    with pytest.raises(ValueError, match="exceeds n = 1"):
        md.component_stats(da.from_array(np.array([[1, 2]]), chunks=1), n=1)
    with pytest.raises(TypeError, match="labels"):
        md.component_stats(da.zeros((3, 3), dtype=np.float32))


@DASK_SETTINGS
@given(chunked_images(ndim=2))
def test_encode(case):
    image, multi, chunks = case
    mask = image != 0 if multi else image
    got = md.encode(da.from_array(mask, chunks=chunks))
    want = maskcore.encode(mask)
    assert got == want
    np.testing.assert_array_equal(got.counts, want.counts)
    assert got.counts.dtype == want.counts.dtype
    assert got.to_coco() == want.to_coco()


def test_encode_bad_input():
    with pytest.raises(ValueError, match="0 or 1|mask"):
        md.encode(da.from_array(np.array([[0, 2]], np.uint8), chunks=1))
    with pytest.raises(ValueError, match="2D"):
        md.encode(da.zeros((2, 2, 2), dtype=bool))
    with pytest.raises(TypeError, match="mask"):
        md.encode(da.zeros((2, 2), dtype=np.int32))


def rasterize(polys, h, w):
    out = np.zeros((h, w), np.uint8)
    for p in polys:
        out |= maskcore.rasterize(p.rings, h, w, rule="center")
    return out


def ring_set(r):
    return sorted(map(tuple, np.asarray(r).tolist()))


@DASK_SETTINGS
@given(chunked_images(ndim=2), st.sampled_from((4, 8)))
def test_find_polygons_exact(case, conn):
    image, multi, chunks = case
    mask = image != 0 if multi else image
    h, w = mask.shape
    got = md.find_polygons(da.from_array(mask, chunks=chunks), connectivity=conn)
    want = maskcore.find_polygons(mask, connectivity=conn, exact=True)
    assert len(got) == len(want)
    np.testing.assert_array_equal(rasterize(got, h, w), mask.astype(np.uint8))
    for g, p in zip(got, want):
        assert g.area == p.area
        np.testing.assert_array_equal(rasterize([g], h, w), rasterize([p], h, w))
        assert ring_set(g.outer) == ring_set(p.outer)
        assert list(map(ring_set, g.holes)) == list(map(ring_set, p.holes))  # same holes, same order
        assert (g.parent, g.parent_hole) == (p.parent, p.parent_hole)
        x, y = g.outer[:, 0], g.outer[:, 1]
        assert np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y) > 0  # positive shoelace area


@DASK_SETTINGS
@given(chunked_images(ndim=2))
def test_find_polygons_labels(case):
    image, multi, chunks = case
    if not multi:
        return
    lab = image.astype(np.int64)
    lab[lab < 0] = 0
    lab = (lab % 5).astype(np.int32)
    got = md.find_polygons(da.from_array(lab, chunks=chunks))
    want = maskcore.find_polygons_labels(lab, exact=True)
    assert sorted(got) == sorted(want)
    for v in want:
        assert [p.area for p in got[v]] == [p.area for p in want[v]]
        for g, p in zip(got[v], want[v]):
            assert g.label == v
            assert ring_set(g.outer) == ring_set(p.outer)
            assert list(map(ring_set, g.holes)) == list(map(ring_set, p.holes))
            assert (g.parent, g.parent_hole) == (p.parent, p.parent_hole)


def nested_rings(depth, gap=1):
    """Concentric square rings: ring k (width 1) around ring k+1, `gap` background between."""
    side = 2 * depth * (1 + gap) + 1
    m = np.zeros((side + 2, side + 2), bool)
    for k in range(depth):
        o = 1 + k * (1 + gap)
        m[o:side + 2 - o, o:side + 2 - o] = True
        m[o + 1:side + 1 - o, o + 1:side + 1 - o] = False
    m[side // 2 + 1, side // 2 + 1] = True  # a dot in the middle
    return m


@DASK_SETTINGS
@given(st.integers(1, 5), st.sampled_from((4, 8)), st.data())
def test_find_polygons_nesting_across_seams(depth, conn, data):
    """Components inside holes inside components..., every ring cut by seams: the parent /
    hole links equal the whole-array tracer's, and rasterizing gives the mask back."""
    m = nested_rings(depth)
    chunks = data.draw(chunkings(m.shape))
    got = md.find_polygons(da.from_array(m, chunks=chunks), connectivity=conn)
    want = maskcore.find_polygons(m, connectivity=conn, exact=True)
    assert [(g.parent, g.parent_hole) for g in got] == [(p.parent, p.parent_hole) for p in want]
    assert [g.parent for g in got] == [None] + list(range(depth))
    np.testing.assert_array_equal(rasterize(got, *m.shape), m.astype(np.uint8))
    for g in got:  # each polygon alone, minus what lies in its holes, is its component
        alone = rasterize([g], *m.shape)
        assert alone.sum() == g.area


def test_find_polygons_ring_across_seams():
    m = np.zeros((9, 9), bool)
    m[1:8, 1:8] = True
    m[3:6, 3:6] = False
    for chunks in ((1, 1), (4, 4), (2, 9)):
        p, = md.find_polygons(da.from_array(m, chunks=chunks))
        assert len(p.outer) == 4 and len(p.holes) == 1 and len(p.holes[0]) == 4
        np.testing.assert_array_equal(rasterize([p], 9, 9), m.astype(np.uint8))
    with pytest.raises(ValueError, match="exact"):
        md.find_polygons(da.from_array(m, chunks=3), exact=False)


def problem_keys(report):
    return sorted((p.kind, p.bbox, p.count, str(p.value), p.instance) for p in report.problems)


@DASK_SETTINGS
@given(chunked_images(ndim=2), st.sampled_from((4, 8)), st.integers(0, 2**32 - 1))
def test_validate(case, conn, seed):
    image, multi, chunks = case
    rng = np.random.default_rng(seed)
    lab = (image.astype(np.int64) % 4).astype(np.uint8) if multi else image.astype(np.uint8)
    inst = rng.integers(0, 4, lab.shape).astype(np.int32)
    want = maskcore.validate(lab, instances=inst if inst.max(initial=0) > 1 else None, min_size=3,
                             connectivity=conn)
    got = md.validate(da.from_array(lab, chunks=chunks),
                      instances=da.from_array(inst, chunks=chunks) if inst.max(initial=0) > 1 else None,
                      min_size=3, connectivity=conn)
    assert got.histogram == want.histogram
    assert problem_keys(got) == problem_keys(want)
    want = maskcore.validate(lab, labels=[0, 1], edge_radius=0)
    got = md.validate(da.from_array(lab, chunks=chunks), labels=[0, 1])
    assert problem_keys(got) == problem_keys(want)


def test_bad_input():
    with pytest.raises(TypeError, match="image"):
        md.label(da.zeros((3, 3), dtype=np.float64))
    with pytest.raises(ValueError, match="image"):
        md.label(da.zeros((3,), dtype=bool))
    with pytest.raises(ValueError, match="connectivity"):
        md.label(da.zeros((3, 3), dtype=bool), connectivity=6)
    with pytest.raises(ValueError, match="background"):
        md.label(da.zeros((3, 3), dtype=np.uint8), background=300)
    with pytest.raises(TypeError, match="binary"):
        md.label(da.zeros((3, 3), dtype=np.uint8), binary="yes")
    with pytest.raises(TypeError, match="dask array"):
        md.label([[1, 0]])


def test_empty_and_numpy_input():
    lab, n = md.label(da.zeros((0, 5), dtype=bool))
    assert n == 0 and lab.shape == (0, 5)
    m = np.eye(5, dtype=bool)
    lab, n = md.label(m)  # numpy input is wrapped
    assert n == 1 and lab.compute().tolist() == m.astype(np.uint32).tolist()
    assert md.encode(da.zeros((0, 3), dtype=bool)) == maskcore.encode(np.zeros((0, 3), bool))


def test_schedulers_and_sources(tmp_path):
    rng = np.random.default_rng(9)
    img = rng.random((60, 70)) < 0.55
    want, n_want = maskcore.label(img)
    for scheduler in ("synchronous", "threads", "processes"):
        lab, n = md.label(da.from_array(img, chunks=(16, 25)), scheduler=scheduler)
        assert n == n_want
        np.testing.assert_array_equal(lab.compute(scheduler=scheduler), want)
    mm = np.lib.format.open_memmap(tmp_path / "m.npy", mode="w+", dtype=np.bool_, shape=img.shape)
    mm[:] = img
    mm.flush()
    lab, n = md.label(da.from_array(np.load(tmp_path / "m.npy", mmap_mode="r"), chunks=(7, 64)))
    assert n == n_want
    np.testing.assert_array_equal(lab.compute(), want)
    zarr = pytest.importorskip("zarr")
    z = zarr.open_array(str(tmp_path / "m.zarr"), mode="w", shape=img.shape, chunks=(20, 32), dtype=bool)
    z[:] = img
    src = da.from_zarr(str(tmp_path / "m.zarr"))
    lab, n = md.label(src)
    assert n == n_want
    np.testing.assert_array_equal(lab.compute(), want)
    stats_equal(md.component_stats(lab), maskcore.component_stats(want))
    assert md.encode(src) == maskcore.encode(img)


def test_graph_is_per_block():
    img = da.from_array(np.random.default_rng(1).random((64, 64)) < 0.3, chunks=8)
    lab, n = md.label(img)
    assert n > 50
    own = [k for k in dict(lab.__dask_graph__()) if isinstance(k, tuple) and k[0] == lab.name]
    assert len(own) == img.npartitions  # one task per block, not per component


def test_encode_past_2_32_pixels_uses_uint64():
    shape = (2**16, 2**16 + 1)  # 2**32 + 2**16 pixels, blocks of 256 MB of zero pages
    def block(block_info=None):
        info = block_info[None]
        b = np.zeros(info["chunk-shape"], bool)
        if info["chunk-location"][1] == info["num-chunks"][1] - 1:
            b[-1, -1] = True  # the one run of ones ends the column-major order
        return b

    r = md.encode(da.map_blocks(block, chunks=((2**16,), (2**12,) * 16 + (1,)), dtype=bool))
    assert r.counts.tolist() == [shape[0] * shape[1] - 1, 1] and r.area == 1


def test_import_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.delitem(sys.modules, "maskcore.dask")
    with pytest.raises(ImportError, match=r"maskcore\[dask\]"):
        importlib.import_module("maskcore.dask")
    monkeypatch.undo()
    importlib.import_module("maskcore.dask")


def test_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(11)
    img2 = rng.integers(0, 3, (50, 61)).astype(np.uint8)
    img3 = rng.random((12, 13, 14)) < 0.4
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl):
        for img, chunks, conn in ((img2, (9, 16), 8), (img2, (50, 1), 4), (img3, (5, 4, 7), 26)):
            want, n_want = maskcore.label(img, connectivity=conn)
            lab, n = md.label(da.from_array(img, chunks=chunks), connectivity=conn)
            assert n == n_want
            np.testing.assert_array_equal(lab.compute(), want)
            stats_equal(md.component_stats(lab), maskcore.component_stats(want))
        mask = img2 == 1
        assert md.encode(da.from_array(mask, chunks=(9, 16))) == maskcore.encode(mask)
        polys = md.find_polygons(da.from_array(mask, chunks=(9, 16)))
        np.testing.assert_array_equal(rasterize(polys, *mask.shape), mask.astype(np.uint8))
