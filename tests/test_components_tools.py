"""Instance tools built on maskcore.label: split_instances, remove_small,
largest_components, fill_holes (against scipy.ndimage.binary_fill_holes),
disconnected_instances; each against a short numpy statement of its meaning on
scikit-image's labels."""
import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st
from skimage.measure import label as sk_label

import maskcore
from strategies import label_images, label_volumes

RANK = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}


def leaf_map():
    """The worked example: leaf class 1 on a 5x5 map, 4-connectivity."""
    m = np.zeros((5, 5), np.uint8)
    for r, c in [(0, 2), (1, 1), (1, 2), (1, 3), (3, 1), (4, 1)]:
        m[r, c] = 1
    return m


def pixels(inst, i):
    return {tuple(p) for p in np.argwhere(inst == i).tolist()}


def test_split_instances_leaf_example():
    m = leaf_map()
    inst, table = maskcore.split_instances(m, connectivity=4, start_id=11)
    assert table == {11: 1, 12: 1}
    assert pixels(inst, 11) == {(0, 2), (1, 1), (1, 2), (1, 3)}
    assert pixels(inst, 12) == {(3, 1), (4, 1)}
    # API-NOTES' default start_id=1: the same instances, numbered 1 and 2
    inst1, table1 = maskcore.split_instances(m, connectivity=4)
    assert table1 == {1: 1, 2: 1} and inst1.dtype == np.uint32
    np.testing.assert_array_equal(inst1, np.where(inst > 0, inst - 10, 0))
    # 8-connectivity joins nothing more here: (3, 1) is two rows below (1, 1)
    assert maskcore.split_instances(m)[1] == {1: 1, 2: 1}


def test_split_instances_classes_and_order():
    sem = np.array([[2, 2, 0, 1],
                    [0, 0, 0, 1],
                    [1, 0, 2, 0]], np.int16)
    inst, table = maskcore.split_instances(sem, connectivity=4)
    assert table == {1: 2, 2: 1, 3: 1, 4: 2}
    assert inst.tolist() == [[1, 1, 0, 2], [0, 0, 0, 2], [3, 0, 4, 0]]
    inst, table = maskcore.split_instances(sem, classes=[1], connectivity=4, start_id=100)
    assert table == {100: 1, 101: 1}
    assert inst.tolist() == [[0, 0, 0, 100], [0, 0, 0, 100], [101, 0, 0, 0]]
    assert maskcore.split_instances(sem, classes=[], connectivity=4)[1] == {}
    with pytest.raises(ValueError, match="start_id"):
        maskcore.split_instances(sem, start_id=0)
    with pytest.raises(TypeError, match="bool"):
        maskcore.split_instances(sem > 0)


@given(label_images(max_area=2500), st.sampled_from((4, 8)), st.integers(1, 5))
def test_split_instances_matches_label(data, conn, start):
    image, multi = data
    image = image.astype(np.int32)
    inst, table = maskcore.split_instances(image, connectivity=conn, start_id=start)
    expect = sk_label(image, connectivity=RANK[conn], background=0)
    np.testing.assert_array_equal(inst, np.where(expect > 0, expect + start - 1, 0))
    for i, cls in table.items():
        assert (image[inst == i] == cls).all()


def ref_keep(image, conn, keep_fn):
    """image with the components for which keep_fn(areas, values) is False removed."""
    labels = sk_label(image, connectivity=RANK[conn], background=0)
    n = labels.max(initial=0)
    areas = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    values = np.zeros(n, image.dtype)
    values[labels[labels > 0] - 1] = image[labels > 0]
    keep = np.r_[False, keep_fn(areas, values)]
    return np.where(keep[labels], image, np.zeros((), image.dtype))


@given(label_images(max_area=2500), st.sampled_from((4, 8)), st.integers(0, 12))
def test_remove_small(data, conn, size):
    image, _ = data
    out = maskcore.remove_small(image, size, connectivity=conn)
    assert out.dtype == image.dtype
    np.testing.assert_array_equal(out, ref_keep(image, conn, lambda a, v: a >= size))


def ref_largest(areas, values, k):
    keep = np.zeros(len(areas), bool)
    for v in np.unique(values):
        idx = np.flatnonzero(values == v)
        order = idx[np.lexsort((idx, -areas[idx]))]  # area descending, ties by raster order
        keep[order[:k]] = True
    return keep


@given(label_images(max_area=2500), st.sampled_from((4, 8)), st.integers(0, 3))
def test_largest_components(data, conn, k):
    image, multi = data
    out = maskcore.largest_components(image, k, connectivity=conn)
    if multi:
        expect = ref_keep(image, conn, lambda a, v: ref_largest(a, v, k))
    else:
        expect = ref_keep(image, conn, lambda a, v: ref_largest(a, np.zeros_like(v), k))
    np.testing.assert_array_equal(out, expect)


@given(st.one_of(label_images(max_area=2500), label_volumes()), st.booleans())
def test_fill_holes_equals_scipy(data, full):
    image, _ = data
    mask = image != 0 if image.dtype != bool else image
    conn = None if not full else (8 if mask.ndim == 2 else 26)
    expect = ndi.binary_fill_holes(mask, structure=np.ones((3,) * mask.ndim) if full else None)
    out = maskcore.fill_holes(mask, connectivity=conn)
    assert out.dtype == bool
    np.testing.assert_array_equal(out, expect)
    np.testing.assert_array_equal(maskcore.fill_holes(mask.astype(np.uint8), connectivity=conn), expect)


def test_fill_holes_example():
    ring = np.ones((5, 5), bool)
    ring[2, 2] = False
    ring[0, 2] = False  # a notch open to the border stays
    out = maskcore.fill_holes(ring)
    assert out[2, 2] and not out[0, 2]


@given(label_images(max_area=2500), st.sampled_from((4, 8)))
def test_disconnected_instances(data, conn):
    image, _ = data
    image = image.astype(np.int64)
    got = maskcore.disconnected_instances(image, connectivity=conn)
    expect = {}
    for v in np.unique(image):
        if v == 0:
            continue
        k = sk_label(image == v, connectivity=RANK[conn]).max()
        if k > 1:
            expect[int(v)] = int(k)
    assert got == expect


def test_disconnected_instances_example():
    m = np.array([[5, 0, 5], [0, 0, 0], [7, 7, 0]])
    assert maskcore.disconnected_instances(m) == {5: 2}
    assert maskcore.disconnected_instances(m[:, :2]) == {}
    with pytest.raises(TypeError, match="bool"):
        maskcore.disconnected_instances(m > 0)


def test_tools_bad_input():
    m = leaf_map()
    with pytest.raises(ValueError, match="min_size"):
        maskcore.remove_small(m, -1)
    with pytest.raises(TypeError, match="min_size"):
        maskcore.remove_small(m, 2.5)
    with pytest.raises(ValueError, match="k: expected >= 0"):
        maskcore.largest_components(m, -1)
    with pytest.raises(TypeError, match="float"):
        maskcore.fill_holes(m.astype(float))
    with pytest.raises(ValueError, match="connectivity"):
        maskcore.fill_holes(m, connectivity=6)
