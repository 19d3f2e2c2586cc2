"""Connected components (label, label + stats; 2D, 3D, multi-label) vs OpenCV, cc3d, scipy and scikit-image; cases in cases.components."""
FAMILY = "components"


def test_components(run_case, case):
    run_case(case)
