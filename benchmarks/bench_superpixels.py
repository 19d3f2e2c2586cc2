"""SLIC superpixels against scikit-image, fast-slic and OpenCV; cases in maskcore._bench.superpixels."""

FAMILY = "superpixels"


def test_superpixels(run_case, case):
    run_case(case)
