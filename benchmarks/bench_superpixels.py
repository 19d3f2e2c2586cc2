"""SLIC superpixels against scikit-image, fast-slic and OpenCV; cases in cases.superpixels."""

FAMILY = "superpixels"


def test_superpixels(run_case, case):
    run_case(case)
