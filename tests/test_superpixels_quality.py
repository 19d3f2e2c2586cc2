"""SLIC quality on real images with full-pixel ground truth, a small subset of
benchmarks/slic_quality.py: maskcore within 1 percentage point of scikit-image's
slic (or better) on boundary recall, undersegmentation error and achievable
segmentation accuracy, at matched segment counts."""
import numpy as np
import pytest

from cases import superpixels as sp  # benchmarks/cases (on sys.path: tests/conftest.py)


def test_measures_on_known_cases():
    gt = np.zeros((10, 10), np.int64)
    gt[:, 5:] = 1
    assert sp.boundary_recall(gt, gt) == 1.0
    assert sp.undersegmentation_error(gt, gt) == 0.0 and sp.achievable_accuracy(gt, gt) == 1.0
    one = np.zeros_like(gt)
    assert sp.boundary_recall(one, gt) == 0.0
    # one superpixel over two halves: min(50, 50) for each overlap
    assert sp.undersegmentation_error(one, gt) == 1.0 and sp.achievable_accuracy(one, gt) == 0.5
    shifted = np.zeros_like(gt)
    shifted[:, 7:] = 1  # 2 px away: within the tolerance
    assert sp.boundary_recall(shifted, gt) == 1.0 and sp.boundary_recall(shifted, gt, tolerance=1) == 0.0


@pytest.mark.parametrize("n", [200, 1000])
def test_within_one_point_of_skimage(shared_data, n):
    images = [im for im in sp.quality_images(shared_data) if im[0].startswith("coco/")][:3]
    rows = {r[1]: r for r in sp.quality(images, [n], ["maskcore", "skimage"])}
    mc, sk = rows["maskcore"], rows["skimage"]
    assert abs(mc[3] - n) <= 0.05 * n and abs(sk[3] - n) <= 0.05 * n  # matched counts
    assert mc[4] >= sk[4] - 0.01, ("boundary recall", mc[4], sk[4])
    assert mc[5] <= sk[5] + 0.01, ("undersegmentation error", mc[5], sk[5])
    assert mc[6] >= sk[6] - 0.01, ("achievable accuracy", mc[6], sk[6])
