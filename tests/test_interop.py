"""Array interop: every function that takes a numpy array also takes any object exporting
``__dlpack__`` (CPU torch tensors, JAX / CuPy host arrays) or ``__array__``, without a copy where
the layout allows, and a device (GPU) tensor is a TypeError naming the device."""
import numpy as np
import pytest

import maskcore


class DLPackOnly:
    """Exports its array through DLPack alone (no __array__), as a CPU tensor does."""

    def __init__(self, a, device=(1, 0)):
        self._a, self._device = a, device

    def __dlpack__(self, **kwargs):
        return self._a.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._device


class ArrayOnly:
    def __init__(self, a):
        self._a = a

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)


def _mask():
    m = np.zeros((37, 45), np.uint8)
    m[5:30, 7:40] = 1
    m[10:12, 10:12] = 0
    return m


WRAPPERS = [DLPackOnly, ArrayOnly]


@pytest.mark.parametrize("wrap", WRAPPERS)
def test_read_only_inputs(wrap):
    m = _mask()
    labels = (m * 3).astype(np.uint16)
    img = np.dstack([m * 200, m * 50, 255 - m * 100]).astype(np.uint8)
    assert maskcore.encode(wrap(m)) == maskcore.encode(m)
    got, n = maskcore.label(wrap(labels))
    want, n2 = maskcore.label(labels)
    np.testing.assert_array_equal(got, want)
    assert n == n2
    np.testing.assert_array_equal(maskcore.slic(wrap(img), region_size=8), maskcore.slic(img, region_size=8))
    assert len(maskcore.find_polygons(wrap(m))) == len(maskcore.find_polygons(m))
    assert maskcore.iou(wrap(m), wrap(m)) == 1.0
    np.testing.assert_array_equal(maskcore.confusion_matrix(wrap(labels), wrap(labels), num_classes=4),
                                  maskcore.confusion_matrix(labels, labels, num_classes=4))


def test_dlpack_input_is_not_copied():
    m = _mask()
    got = maskcore._validate.array_like(DLPackOnly(m), "mask")
    assert np.shares_memory(got, m)


def test_paint_into_a_dlpack_tensor_in_place():
    target = np.zeros((20, 20), np.uint16)
    maskcore.paint(DLPackOnly(target), [[2, 2, 15, 2, 15, 15, 2, 15]], 5)
    assert (target == 5).sum() == 13 * 13


def test_device_tensor_is_a_type_error_naming_the_device():
    gpu = DLPackOnly(_mask(), device=(2, 1))
    for call in (lambda: maskcore.encode(gpu), lambda: maskcore.label(gpu), lambda: maskcore.find_polygons(gpu)):
        with pytest.raises(TypeError, match=r"cuda:1.*cpu"):
            call()


def test_torch_cpu_tensor_when_torch_is_installed():
    torch = pytest.importorskip("torch")
    m = _mask()
    t = torch.from_numpy(m)
    assert maskcore.encode(t) == maskcore.encode(m)
    lab, n = maskcore.label(torch.from_numpy(m.astype(bool)))
    assert n == maskcore.label(m.astype(bool))[1]


def test_pickled_arrays_are_accepted():
    """An array that crossed a process boundary (a Dask processes scheduler, a distributed
    worker) carries an equal but distinct dtype object: the bindings compare dtypes by value."""
    import pickle

    m = pickle.loads(pickle.dumps(_mask()))
    labels = pickle.loads(pickle.dumps((_mask() * 3).astype(np.uint16)))
    assert maskcore.encode(m) == maskcore.encode(_mask())
    batch = pickle.loads(pickle.dumps(maskcore.encode(np.dstack([_mask(), _mask()]))))
    np.testing.assert_array_equal(maskcore.area(batch), [maskcore.encode(_mask()).area] * 2)
    np.testing.assert_array_equal(maskcore.confusion_matrix(labels, labels, num_classes=4),
                                  maskcore.confusion_matrix(labels.copy(), labels.copy(), num_classes=4))
