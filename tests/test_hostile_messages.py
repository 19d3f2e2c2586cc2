"""Issue 14, defects 5 and 9: silent acceptance and messages that name nothing.

Each reproducer of the audit, asserting the clear exception: its type, and a message
that names the parameter (or field) and shows the value. No pybind11 "incompatible
function arguments" dump, no raw numpy message, no AttributeError.
"""
import math

import numpy as np
import pytest

import maskcore
import maskcore.coco

P = np.array([[1.0, 1.0], [5.0, 1.0], [5.0, 5.0]])
IMG = np.zeros((10, 10), np.uint8)


def _lm(dtype=np.uint16):
    return np.zeros((10, 10), dtype)


def _objs():
    return [[P], [P + 1]]


# (id, call, exception type, fragments the message must hold)
CASES = [
    # ---- defect 5: silent acceptance
    ("decode dict size", lambda: maskcore.coco.decode([{"size": {5: "h", 4: "w"}, "counts": "04"}]),
     ValueError, ["['size']", "expected [height, width]", "{5: 'h', 4: 'w'}"]),
    ("from_coco set size", lambda: maskcore.RLEBatch.from_coco([{"size": {5, 4}, "counts": "04"}]),
     ValueError, ["['size']", "expected [height, width]"]),
    ("bytearray counts", lambda: maskcore.RLE.from_coco({"size": [5, 4], "counts": bytearray(b"10")}),
     TypeError, ["counts", "bytearray"]),
    ("memoryview counts", lambda: maskcore.RLE.from_coco({"size": [5, 4], "counts": memoryview(b"10")}),
     TypeError, ["counts", "memoryview"]),
    ("bool counts", lambda: maskcore.RLE.from_coco({"size": [1, 2], "counts": [True, 1]}),
     TypeError, ["counts[0]", "bool"]),
    ("scalar counts", lambda: maskcore.RLE.from_coco({"size": [5, 4], "counts": 20}),
     TypeError, ["counts", "int 20"]),
    ("height 20.9", lambda: maskcore.RLE.from_coco({"size": [20.9, 1], "counts": [20]}),
     TypeError, ["['size'] height", "20.9"]),
    ("frPyObjects height 20.9", lambda: maskcore.coco.frPyObjects([[1, 1, 5, 1, 5, 5]], 20.9, 10),
     TypeError, ["h", "20.9"]),
    ("from_arrays float sizes", lambda: maskcore.RLEBatch.from_arrays(np.array([20], np.uint32), [0, 1],
                                                                       np.array([[5.0, 4.0]])),
     TypeError, ["sizes", "float64"]),
    ("from_arrays float offsets", lambda: maskcore.RLEBatch.from_arrays(np.array([20], np.uint32), [0, 1.0],
                                                                         [[5, 4]]),
     TypeError, ["offsets", "float64"]),
    ("from_arrays string sizes", lambda: maskcore.RLEBatch.from_arrays([20], [0, 1], [["5", "4"]]),
     TypeError, ["sizes[0, 0]", "'5'"]),
    ("from_arrays string counts", lambda: maskcore.RLEBatch.from_arrays(["20"], [0, 1], [[5, 4]]),
     TypeError, ["counts"]),
    ("semantic_scores negative", lambda: maskcore.semantic_scores(np.array([[-1, 0], [0, 3]])),
     ValueError, ["cm_or_gt", "-1", "(0, 0)"]),
    ("semantic_scores NaN", lambda: maskcore.semantic_scores(np.array([[math.nan, 0], [0, 3]])),
     ValueError, ["cm_or_gt", "nan", "(0, 0)"]),
    ("validate min_size -1", lambda: maskcore.validate(IMG, min_size=-1), ValueError, ["min_size", "-1"]),
    ("validate edge_radius -1", lambda: maskcore.validate(IMG, edge_radius=-1), ValueError, ["edge_radius", "-1"]),
    ("ConfusionAccumulator(0)", lambda: maskcore.ConfusionAccumulator(0), ValueError, ["num_classes", "0"]),
    ("complex polygon", lambda: maskcore.rasterize([np.array([1 + 1j, 2, 3, 4, 5, 6])], 10, 10),
     TypeError, ["polygons[0]", "1.+1.j"]),
    ("string polygon", lambda: maskcore.rasterize([np.array(["1", "1", "5", "1", "5", "5"])], 10, 10),
     TypeError, ["polygons[0]", "'1'"]),
    ("validate_coco NaN bbox", lambda: maskcore.validate_coco({
        "images": [{"id": 1, "height": 10, "width": 10}], "categories": [{"id": 1}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [math.nan, 0, 1, 1],
                         "segmentation": [[1, 1, 5, 1, 5, 5]], "area": 8}]}),
     ValueError, ["annotations[0]['bbox'][0]", "nan"]),
    # ---- defect 9: messages that name nothing
    ("label threads 2**31", lambda: maskcore.label(IMG, threads=2**31), ValueError, ["threads", "2147483648"]),
    ("slic iterations 2**31", lambda: maskcore.slic(np.zeros((10, 10)), iterations=2**31),
     ValueError, ["iterations", "2147483648"]),
    ("component_stats 2**64-1", lambda: maskcore.component_stats(np.array([[2**64 - 1]], np.uint64)),
     ValueError, ["labels", "18446744073709551615", "(0, 0)"]),
    ("boundary_iou dilation 1e300 works", None, None, None),
    ("paint label None", lambda: maskcore.paint(_lm(), [P], label=None), TypeError, ["label", "None"]),
    ("stroke label None", lambda: maskcore.stroke(_lm(), P, 1, label=None), TypeError, ["label", "None"]),
    ("paint_mask label None", lambda: maskcore.paint_mask(_lm(), IMG.astype(bool), label=None),
     TypeError, ["label", "None"]),
    ("paint_superpixels label None",
     lambda: maskcore.paint_superpixels(_lm(), np.zeros((10, 10), np.int32), [0], label=None),
     TypeError, ["label", "None"]),
    ("decode out=5", lambda: maskcore.decode([], out=5), TypeError, ["out", "5"]),
    ("decode one out=5", lambda: maskcore.decode(maskcore.encode(IMG), out=5), TypeError, ["out", "int"]),
    ("stroke width 1e300", lambda: maskcore.stroke(_lm(), P, 1e300, 1), ValueError, ["width", "1e+300"]),
    ("rasterize_rle_batch height 10.0", lambda: maskcore.rasterize_rle_batch(_objs(), 10.0, 10),
     TypeError, ["height", "float 10.0"]),
    ("rasterize 2**32 x 2**31", lambda: maskcore.rasterize([P], 2**32, 2**31), (ValueError, OverflowError),
     ["size", "4294967296"]),
    ("rasterize 2**31 x 3", lambda: maskcore.rasterize([P], 2**31, 3), ValueError, ["height", "2147483648"]),
    ("confusion_matrix (2, 3, 0)", None, None, None),
    ("from_arrays 3 columns", lambda: maskcore.RLEBatch.from_arrays(np.array([20], np.uint32), [0, 1],
                                                                     np.array([[5, 4, 1]])),
     ValueError, ["sizes", "(n, 2)", "(1, 3)"]),
    ("from_arrays 2**70", lambda: maskcore.RLEBatch.from_arrays(np.array([20], np.uint32), [0, 1], [[2**70, 4]]),
     OverflowError, ["sizes[0, 0]", str(2**70)]),
    ("draw_rgb colour length", lambda: maskcore.draw_rgb(np.zeros((10, 10, 3), np.uint8), [P], (1, 2)),
     ValueError, ["color", "3 values", "(1, 2)"]),
    ("draw_rgb string colour", lambda: maskcore.draw_rgb(np.zeros((10, 10, 3), np.uint8), [P], "red"),
     TypeError, ["color", "'red'"]),
    ("draw_rgb colour out of range", lambda: maskcore.draw_rgb(np.zeros((10, 10, 3), np.uint8), [P], (1, 2, 300)),
     ValueError, ["color[2]", "300", "uint8"]),
    ("validate annotations area 'x'",
     lambda: maskcore.validate(IMG, instances=[IMG.astype(bool)], annotations=[{"area": "x"}]),
     TypeError, ["annotations[0]['area']", "'x'"]),
    ("validate annotations without instances", lambda: maskcore.validate(IMG, annotations=[{"area": 1}]),
     ValueError, ["annotations", "instances"]),
    ("panoptic bad segment id", lambda: maskcore.panoptic_quality(
        np.zeros((4, 4), np.uint32), np.zeros((4, 4), np.uint32), [{"id": 1, "isthing": 1}],
        gt_segments=[{"id": "x", "category_id": 1}], pred_segments=[]),
     TypeError, ["gt_segments[0][0]['id']", "'x'"]),
    ("panoptic segment id 2**40", lambda: maskcore.panoptic_quality(
        np.zeros((4, 4), np.uint32), np.zeros((4, 4), np.uint32), [{"id": 1, "isthing": 1}],
        gt_segments=[], pred_segments=[{"id": 2**40, "category_id": 1}]),
     ValueError, ["pred_segments[0][0]['id']", str(2**40)]),
    ("panoptic segment not a dict", lambda: maskcore.panoptic_quality(
        np.zeros((4, 4), np.uint32), np.zeros((4, 4), np.uint32), [{"id": 1, "isthing": 1}],
        gt_segments=[5], pred_segments=[]),
     TypeError, ["gt_segments[0][0]", "int 5"]),
    ("to_yolo flat list", lambda: maskcore.to_yolo([1, 2, 3], 10, 10), TypeError, ["items[0]", "1"]),
    ("to_yolo raw points", lambda: maskcore.to_yolo({1: [[1, 2, 3, 4]]}, 10, 10), TypeError,
     ["items[1][0]", "maskcore.Polygon"]),
    ("draw_rgb complex center", lambda: maskcore.draw_rgb(np.zeros((10, 10, 3), np.complex128), [P], 1),
     TypeError, ["image", "complex128"]),
    ("draw_rgb complex coco",
     lambda: maskcore.draw_rgb(np.zeros((10, 10, 3), np.complex128), [P], 1, rule="coco"),
     TypeError, ["image", "complex128"]),
]
CASES = [c for c in CASES if c[1] is not None]


@pytest.mark.parametrize("call,exc,fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_clear_error(call, exc, fragments):
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    assert "incompatible function arguments" not in msg and "Invoked with" not in msg
    for f in fragments:
        assert f in msg, f"{f!r} not in {msg!r}"


def test_boundary_iou_huge_dilation_is_the_whole_mask():
    a = np.zeros((20, 30), bool)
    a[3:15, 4:20] = True
    b = np.roll(a, 2, axis=1)
    # a band wider than the image: the boundary is the whole mask, so boundary IoU = mask IoU
    assert maskcore.boundary_iou(a, b, dilation_ratio=1e300) == pytest.approx(maskcore.iou(a, b))
    assert maskcore.boundary_iou(a, b, dilation_ratio=1e300) == maskcore.boundary_iou(a, b, dilation_ratio=2.0)


def test_confusion_matrix_of_empty_maps():
    z = np.zeros((2, 3, 0), np.uint8)
    assert np.array_equal(maskcore.confusion_matrix(z, z, 2), np.zeros((2, 2), np.int64))


def test_kernel_error_info_gives_the_position():
    """The kernel's ErrorInfo names the map and the first bad pixel (no Python rescan)."""
    g = np.zeros((4, 5), np.uint16)
    p = g.copy()
    p[2, 3] = 9
    with pytest.raises(ValueError, match=r"pred: value 9 at \(2, 3\) is >= num_classes=4"):
        maskcore.confusion_matrix(g, p, 4)
    g8 = np.zeros((4, 5), np.uint8)
    g8[1, 4] = 7
    with pytest.raises(ValueError, match=r"gt: value 7 at \(1, 4\) is >= num_classes=4"):
        maskcore.confusion_matrix(g8, g8 * 0, 4)
    a, b = np.zeros((4, 5), np.uint8), np.zeros((4, 5), np.uint8)
    b[3, 1] = 255
    with pytest.raises(ValueError, match=r"b: expected a binary mask \(0/1\), found 255 at \(3, 1\)"):
        maskcore.iou(a, b)
    with pytest.raises(ValueError, match=r"b\[1\]: expected only 0 and 1 \(or bool\), found 255 at \[3, 1\]"):
        maskcore.boundary_iou([a, a], [a, b])


def test_one_num_classes_limit():
    z = np.zeros((2, 2), np.uint8)
    with pytest.raises(ValueError, match="num_classes: expected 1 .. 46340"):
        maskcore.confusion_matrix(z, z, 46341)
    with pytest.raises(ValueError, match="num_classes: expected 1 .. 46340"):
        maskcore.ConfusionAccumulator(65536)


def test_coco_encode_takes_nonzero_as_foreground_in_one_pass():
    m = np.zeros((6, 5), np.uint8)
    m[1:4, 2:4] = 255
    assert maskcore.coco.encode(m) == maskcore.coco.encode(m != 0)
    stack = np.dstack([m, m * 0, (m > 0).astype(np.uint8)])
    assert maskcore.coco.encode(stack) == maskcore.coco.encode(stack != 0)
