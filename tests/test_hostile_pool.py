"""Issue 14, defect 8: pooled outputs (>= 8 MiB, csrc/bindings/pool.cpp) behave as numpy
arrays for flags.writeable, and refuse ndarray.resize() in place as any view does (the
documented difference: maskcore's module docstring)."""
import numpy as np
import pytest

import maskcore
from maskcore import _core

BIG = (2048, 2048)  # 16 MiB of int32: pooled


def _outputs():
    img = np.zeros((1500, 1500, 3), np.uint8)
    img[:, 750:] = 200
    return {
        "pooled_empty": _core.pooled_empty(np.int32, BIG),
        "label": maskcore.label(np.ones((2048, 2048), bool))[0],
        "slic": maskcore.slic(img, n_segments=16),
    }


@pytest.mark.parametrize("name", ["pooled_empty", "label", "slic"])
def test_writeable_toggles_both_ways(name):
    a = _outputs()[name]
    assert a.nbytes >= 8 << 20 and not a.flags.owndata  # pooled
    a.flags.writeable = False
    with pytest.raises(ValueError):
        a[0, 0] = 1
    a.flags.writeable = True  # refused before: the capsule was the direct base
    a[0, 0] = 1
    assert a[0, 0] == 1


@pytest.mark.parametrize("name", ["pooled_empty", "label", "slic"])
def test_resize_in_place_is_refused_as_for_a_view(name):
    a = _outputs()[name]
    view = np.zeros((4, 4), a.dtype)[:]  # numpy's own rule for arrays that do not own their data
    with pytest.raises(ValueError, match="does not own its data"):
        view.resize((2, 2), refcheck=False)
    with pytest.raises(ValueError, match="does not own its data"):
        a.resize((2, 2), refcheck=False)
    resized = np.resize(a, (2, 2))  # the documented way
    assert resized.shape == (2, 2)


def test_small_outputs_own_their_data():
    a = maskcore.label(np.ones((16, 16), bool))[0]
    assert a.flags.owndata
    a.resize((4, 4), refcheck=False)
    a.flags.writeable = False
    a.flags.writeable = True
