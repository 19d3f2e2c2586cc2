"""Messages built from a kernel's ErrorInfo (issue 13 s1): the bindings raise
``_core.KernelError(status, index, value, kind, item, coordinate)`` and never word a
message; ``maskcore/_validate.py`` does, naming the parameter, the position and the value.
Each test gives one input the kernel refuses and checks all three in the message; and the
per-thread scratch arena's one limit and one release (issue 13 s6)."""
import numpy as np
import pytest

import maskcore
from maskcore import _core
from maskcore import _validate as _v
from maskcore import coco as C
from maskcore.rle import RLE, RLEBatch

SQUARE = [1.0, 1.0, 4.0, 1.0, 4.0, 4.0, 1.0, 4.0]


def test_kernel_error_carries_the_error_info():
    m = np.zeros((3, 4), np.uint8)
    m[2, 1] = 9
    with pytest.raises(_core.KernelError) as e:
        _core.rle_encode(m, True)
    info = _v.kernel_info(e.value)
    assert (info.status, info.at, info.value, info.item) == ("invalid_value", 1 * 3 + 2, 9, -1)
    assert isinstance(e.value, ValueError)  # a direct _core call still raises a ValueError
    assert _v.KERNEL_STATUS[0] == "ok" and "corrupt_rle" in _v.KERNEL_STATUS


# ---- rle family --------------------------------------------------------------------------

@pytest.mark.parametrize("order", ["C", "F"])
def test_encode_names_the_value_and_its_position(order):
    m = np.zeros((3, 4), np.uint8, order=order)
    m[2, 1] = 7
    m[0, 3] = 5  # later in column-major order
    with pytest.raises(ValueError, match=r"^mask: expected only 0 and 1 \(or bool\), found 7 at \[2, 1\]$"):
        maskcore.encode(m)
    with pytest.raises(ValueError, match=r"mask: .*found 7 at \[2, 1\]"):
        RLE.from_mask(m)


def test_encode_stack_names_the_plane():
    s = np.zeros((3, 4, 5), np.uint8)
    s[1, 2, 3] = 255
    with pytest.raises(ValueError, match=r"^mask: expected only 0 and 1 \(or bool\), found 255 at \[1, 2, 3\]$"):
        maskcore.encode(s)


def test_counts_that_do_not_sum_name_the_count_or_the_sum():
    with pytest.raises(ValueError, match=r"^counts: counts sum past height\*width = 6 at counts\[1\]$"):
        RLE([2, 5, 1], 2, 3)
    with pytest.raises(ValueError, match=r"^counts: counts sum to 5, expected height\*width = 6$"):
        RLE([2, 3], 2, 3)
    with pytest.raises(ValueError, match=r"^rles\[1\]: counts sum to 4, expected height\*width = 6$"):
        RLEBatch.from_arrays([6, 1, 3], [0, 1, 3], [[2, 3], [3, 2]])


@pytest.mark.parametrize("counts, message", [
    (b"2!", r"character 33 at offset 1 is outside '0'\.\.'o'$"),
    (b"2`", r"truncated \(the value at offset 1 runs past the end\)$"),
    (b"``````````````0", r"the value at offset 0 is longer than 64 bits$"),
    (b"9", r"counts\[0\] \(stored as 9\) is negative or runs past height\*width = 6$"),
    (b"1O", r"counts\[1\] \(stored as -1\) is negative or runs past height\*width = 6$"),
    (b"4", r"counts sum to 4, expected height\*width = 6$"),
])
def test_bad_strings_name_what_and_where(counts, message):
    with pytest.raises(ValueError, match=r"^rle\['counts'\]: invalid compressed RLE string: " + message):
        RLE.from_coco({"size": [2, 3], "counts": counts})
    with pytest.raises(ValueError, match=r"^rles\[1\]: invalid compressed RLE string: " + message):
        RLEBatch.from_coco([{"size": [2, 3], "counts": "6"}, {"size": [2, 3], "counts": counts.decode()}])


def test_iou_of_different_sizes_names_both():
    a = [RLE([6], 2, 3), RLE([9], 3, 3)]
    b = [RLE([6], 2, 3)]
    with pytest.raises(ValueError, match=r"^iou: a\[1\] is 3x3 but b\[0\] is 2x3$"):
        maskcore.iou(a, b)
    with pytest.raises(ValueError, match=r"^iou: a\[1\] is 3x3 but b\[0\] is 2x3$"):
        maskcore.rle.iou(a, b)


def test_rle_iou_is_an_alias_of_maskcore_iou():
    r = [maskcore.encode(np.eye(4, dtype=bool)), maskcore.encode(np.ones((4, 4), bool))]
    assert maskcore.rle.iou(r[0], r[1]) == maskcore.iou(r[0], r[1]) == 0.25
    assert np.array_equal(maskcore.rle.iou(r, r, [0, 1]), maskcore.iou(r, r, [0, 1]))


# ---- contours ----------------------------------------------------------------------------

def test_trace_names_the_value_and_its_position():
    m = np.zeros((3, 4), np.uint8)
    m[1, 2] = 3
    with pytest.raises(ValueError, match=r"^mask: expected only 0 and 1, got 3 at \(row 1, col 2\)"):
        maskcore.find_polygons(m)


# ---- raster ------------------------------------------------------------------------------

@pytest.mark.parametrize("rule, limit", [("center", r"2\*\*40"), ("coco", "2e8"), ("touched", r"2\*\*40")])
def test_scan_names_part_point_axis_and_value(rule, limit):
    parts = [SQUARE, [0.0, 0.0, 3.0, 0.0, 3.0, float("nan")]]
    msg = rf"^polygons: part 1 point 2 has y = nan; expected a finite coordinate with \|v\| <= {limit}$"
    with pytest.raises(ValueError, match=msg):
        maskcore.rasterize(parts, 6, 6, rule=rule)
    with pytest.raises(ValueError, match=msg):
        maskcore.rasterize([np.array(p).reshape(-1, 2) for p in parts], 6, 6, rule=rule)  # the validating path
    with pytest.raises(ValueError, match=msg):
        maskcore.rasterize_rle(parts, 6, 6, rule=rule)
    with pytest.raises(ValueError, match=msg):
        maskcore.paint(np.zeros((6, 6), np.uint16), parts, 3, rule=rule)
    with pytest.raises(ValueError, match=r"^items\[1\]: " + msg[1:]):
        maskcore.paint_many(np.zeros((6, 6), np.uint16), [(SQUARE, 1), (parts, 2)], rule=rule)
    with pytest.raises(ValueError, match=r"^items\[1\]: " + msg[1:]):  # the checked path (a signed map)
        maskcore.paint_many(np.zeros((6, 6), np.int16), [(SQUARE, 1), (parts, 2)], rule=rule)
    with pytest.raises(ValueError, match=msg):
        maskcore.draw_rgb(np.zeros((6, 6, 3), np.uint8), parts, (1, 2, 3), rule=rule)
    with pytest.raises(ValueError, match=r"^objects\[2\]: " + msg[1:]):
        maskcore.rasterize_rle_batch([SQUARE, SQUARE, parts], 6, 6, rule=rule)


def test_scan_names_an_infinite_x():
    with pytest.raises(ValueError, match=r"^polygons: part 0 point 0 has x = -inf; expected a finite"):
        maskcore.rasterize([-np.inf, 1, 4, 1, 4, 4], 6, 6)
    with pytest.raises(ValueError, match=r"^polygons: part 0 point 1 has x = 2000000000000.0;"):
        maskcore.rasterize([1, 1, 2e12, 1, 4, 4], 6, 6)


def test_stroke_names_the_points():
    with pytest.raises(ValueError, match=r"^points: expected finite coordinates with \|v\| <= 2\*\*40$"):
        maskcore.stroke(np.zeros((6, 6), np.uint8), [(1, 1), (np.nan, 2)], 2, 1)


def test_frpyobjects_names_the_polygon_point_and_value():
    with pytest.raises(ValueError, match=r"^pyobj\[1\]: point 2 has y = inf; expected a finite coordinate "
                                         r"with \|v\| <= 2e8$"):
        C.frPyObjects([SQUARE, [1.0, 1.0, 5.0, 1.0, 3.0, float("inf")]], 6, 6)
    with pytest.raises(ValueError, match=r"^pyobj\[0\]: point 0 has x = nan"):
        C.frPyObjects([np.array([np.nan, 1, 5, 1, 3, 3])], 6, 6)  # the array path (coco_poly_strings)


# ---- metrics -----------------------------------------------------------------------------

def test_confusion_names_map_position_value_and_ignore_index():
    g = np.zeros((4, 5), np.uint32)
    p = g.copy()
    p[3, 4] = 70000
    with pytest.raises(ValueError, match=r"^pred: value 70000 at \(3, 4\) is >= num_classes=3 \(ignore_index=255\)$"):
        maskcore.confusion_matrix(g, p, 3, ignore_index=255)


def test_boundary_of_dense_masks_names_the_mask():
    m = np.zeros((5, 6), np.uint8)
    m[4, 1] = 2
    with pytest.raises(ValueError, match=r"^mask\[1\]: expected only 0 and 1 \(or bool\), found 2 at \[4, 1\]"):
        maskcore.boundary([np.zeros((5, 6), np.uint8), m])


def test_num_classes_has_one_limit_defined_once():
    assert _v.MAX_CLASSES == _core.METRICS_MAX_CLASSES == 46340
    z = np.zeros((2, 2), np.uint8)
    with pytest.raises(ValueError, match="num_classes: expected 1 .. 46340"):
        maskcore.confusion_matrix(z, z, 46341)


# ---- the scratch arena -------------------------------------------------------------------

def test_release_memory_frees_the_scratch():
    maskcore.rasterize_rle([SQUARE, SQUARE], 100, 100, rule="coco")
    maskcore.encode(np.ones((64, 64), bool))
    assert _core.scratch_kept_bytes() > 0
    maskcore.release_memory()
    assert _core.scratch_kept_bytes() == 0 and _core.pool_kept_bytes() == 0
    assert maskcore.rasterize_rle(SQUARE, 6, 6).area == 9  # and everything works after
    buf = __import__("io").StringIO()
    maskcore.show_config(file=buf)
    assert "release_memory()" in buf.getvalue()


def test_one_limit_for_the_scratch_a_thread_keeps():
    def ring(n):
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        return np.stack([50 + 40 * np.cos(t), 50 + 40 * np.sin(t)], 1)

    maskcore.release_memory()
    small = maskcore.rasterize_rle(ring(300_000), 100, 100, rule="coco")  # ~40 MiB of vertex and edge lists
    kept = _core.scratch_kept_bytes()
    assert 16 << 20 < kept <= _core.SCRATCH_KEEP_BYTES == 64 << 20  # kept for the next call
    big = maskcore.rasterize_rle(ring(2_000_000), 100, 100, rule="coco")  # ~270 MiB: given back at once
    assert _core.scratch_kept_bytes() < kept
    assert small.area == big.area > 0



def test_slic_work_buffers_are_in_the_arena():
    # maskcore.slic() keeps its work buffers per thread between calls: counted by the one
    # limit, freed by the one release (they had their own thread_local and limit)
    img = (np.random.default_rng(0).random((120, 160, 3)) * 255).astype(np.uint8)
    maskcore.release_memory()
    a = maskcore.slic(img, n_segments=50)
    kept = _core.scratch_kept_bytes()
    assert 0 < kept <= _core.SCRATCH_KEEP_BYTES
    maskcore.release_memory()
    assert _core.scratch_kept_bytes() == 0
    assert np.array_equal(maskcore.slic(img, n_segments=50), a)
    assert _core.scratch_kept_bytes() == kept


def test_segments_transition_buffers_are_in_the_arena():
    # Segments.from_label_map's per-band transition buffers (a process-wide stash of up to
    # 8 x 32 MiB that release_memory() did not free) are a set of the per-thread arena
    from maskcore.segments import Segments
    lab = np.kron(np.random.default_rng(1).integers(0, 40, (30, 30)).astype(np.uint16), np.ones((7, 7), np.uint16))
    maskcore.release_memory()
    a = Segments.from_label_map(lab, threads=2)
    assert 0 < _core.scratch_kept_bytes() <= _core.SCRATCH_KEEP_BYTES
    maskcore.release_memory()
    assert _core.scratch_kept_bytes() == 0
    assert Segments.from_label_map(lab, threads=1) == a == Segments.from_label_map(lab, threads=2)

# ---- chunked labeling (maskcore.dask) ----------------------------------------------------

def test_chunked_first_pixels_names_the_label_and_its_position():
    lab = np.array([[1, 2, 0], [4, 3, 0]], np.uint32)
    with pytest.raises(_core.KernelError) as e:
        _core.chunked_first_pixels(lab, 4)
    assert str(_v.chunked_first_error(e.value, lab.shape, 4)) == (
        "labels: expected labels 1..4 in order of first appearance, found 4 at (1, 0)")
    lab = np.array([[1, 2], [2, 0]], np.uint64)
    with pytest.raises(_core.KernelError) as e:
        _core.chunked_first_pixels(lab, 3)
    assert str(_v.chunked_first_error(e.value, lab.shape, 3)) == (
        "labels: expected labels 1..3 in order of first appearance, label 3 never appears")
    assert list(_core.chunked_first_pixels(np.array([[0, 1], [2, 1]], np.uint32), 2)) == [1, 2]


@pytest.mark.parametrize("pa, pb, message", [
    ([1, 0], [2, 1], r"^pairs_a: expected ids in 1\.\.3, found 0 at \[1\]$"),
    ([1, 2], [2, 4], r"^pairs_b: expected ids in 1\.\.3, found 4 at \[1\]$"),
    ([2**64 - 1], [1], r"^pairs_a: expected ids in 1\.\.3, found 18446744073709551615 at \[0\]$"),
])
def test_chunked_merge_numbering_names_the_array_pair_and_id(pa, pb, message):
    first = np.array([0, 0, 5, 9], np.int64)
    with pytest.raises(_core.KernelError) as e:
        _core.chunked_merge_numbering(first, np.array(pa, np.uint64), np.array(pb, np.uint64))
    with pytest.raises(ValueError, match=message):
        raise _v.chunked_pairs_error(e.value, 3)


# ---- COCOeval's compressed-RLE reader (eval_rle_dicts) -----------------------------------

def _parse(segms, ids):
    from maskcore.cocoeval import _parse_masks
    anns = [{"id": i, "segmentation": s} for i, s in zip(ids, segms)]
    return _parse_masks(anns, None, 1, "cocoGt")


def test_eval_rle_dicts_raises_kernel_errors_with_the_item():
    good = {"size": [2, 3], "counts": "06"}
    with pytest.raises(_core.KernelError) as e:
        _core.eval_rle_dicts([good, {"size": [2, 3], "counts": "1O"}], 1)
    info = _v.kernel_info(e.value)
    assert (info.status, info.item, info.at, info.value) == ("corrupt_rle", 1, 1, -1)
    assert info.kind == _v.RLE_STRING_ERRORS["bad_count"]
    with pytest.raises(_core.KernelError) as e:
        _core.eval_rle_dicts([good, good, {"size": (2, 3), "counts": "6"}], 1)
    assert (_v.kernel_info(e.value).status, _v.kernel_info(e.value).item) == ("invalid_argument", 2)


@pytest.mark.parametrize("counts, message", [
    ("1O", r"counts\[1\] \(stored as -1\) is negative or runs past height\*width = 6$"),
    ("2!", r"character 33 at offset 1 is outside '0'\.\.'o'$"),
    ("4", r"counts sum to 4, expected height\*width = 6$"),
])
def test_eval_compressed_rle_names_annotation_offset_and_value(counts, message):
    segms = [{"size": [2, 3], "counts": "6"}, {"size": [2, 3], "counts": counts}]
    with pytest.raises(ValueError, match=r"^cocoGt: annotation 12: segmentation\['counts'\]: invalid compressed "
                                         r"RLE string: " + message):
        _parse(segms, [11, 12])


def test_eval_compressed_rle_outside_the_fast_form_takes_the_general_reader():
    fast = _parse([{"size": [2, 3], "counts": "15"}, {"size": [2, 3], "counts": "6"}], [1, 2])
    slow = _parse([{"size": [2, 3], "counts": "15"}, {"size": (2, np.int64(3)), "counts": "6"}], [1, 2])
    for a, b in zip(fast[:3], slow[:3]):
        assert np.array_equal(a, b)
    with pytest.raises(ValueError, match=r"^cocoGt: annotation 2: segmentation\['counts'\]: invalid compressed "
                                         r"RLE string: counts sum to 4"):
        _parse([{"size": [2, 3], "counts": "6"}, {"size": (2, 3), "counts": "4"}], [1, 2])
