"""Issue 14, defect 6: wrong answers on hostile values."""
import numpy as np
import pytest

import maskcore


@pytest.mark.parametrize("value", [1e-310, 5e-324, 1e-300, 1e-20])
def test_slic_of_tiny_values_segments(value):
    """Feature scaling took log2(16383 / 1e-310) = inf (OverflowError); below ~1e-15 the
    compactness weight overflowed float32 and every pixel fell into one segment."""
    labels = maskcore.slic(np.full((20, 20), value), n_segments=4)
    assert labels.max() + 1 == 4
    ramp = np.add.outer(np.arange(40.0), np.arange(40.0)) * value
    assert maskcore.slic(ramp, n_segments=16).max() + 1 > 1


def test_slic_scaling_is_unchanged_for_ordinary_images():
    rng = np.random.default_rng(0)
    img = rng.random((60, 60))
    assert np.array_equal(maskcore.slic(img, n_segments=20), maskcore.slic(img * 1024, n_segments=20,
                                                                           compactness=10 * 1024))


def test_validate_shows_uint64_values_past_2_63():
    big = 2**64 - 1
    report = maskcore.validate(np.array([[big, 3], [3, 3]], np.uint64), labels=[3])
    (p,) = report.of_kind("unknown_label")
    assert p.value == big and str(big) in p.message and "-1" not in p.message
    report = maskcore.validate(np.array([[big, 3], [3, 3]], np.uint64), labels=[3, big], min_size=2)
    (p,) = report.of_kind("small_component")
    assert p.value == big and str(big) in p.message
    assert report.histogram == {3: 3, big: 1}


def test_validate_allows_negative_labels_in_signed_maps():
    report = maskcore.validate(np.array([[-1, 3], [3, 3]], np.int8), labels=[3, -1], min_size=2)
    (p,) = report.of_kind("small_component")
    assert p.value == -1


@pytest.mark.parametrize("shape", [(0, 0), (0, 5), (7, 0)])
def test_rles_of_one_empty_mask_are_equal_and_hash_equal(shape):
    h, w = shape
    a = maskcore.RLE.from_coco({"size": [h, w], "counts": []})
    b = maskcore.RLE.from_coco({"size": [h, w], "counts": [0]})
    c = maskcore.encode(np.zeros(shape, bool))
    assert a == b == c and hash(a) == hash(b) == hash(c)
    assert len({a, b, c}) == 1
    assert a != maskcore.RLE.from_coco({"size": [w + 1, h + 1], "counts": [(w + 1) * (h + 1)]})
