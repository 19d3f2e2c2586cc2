"""Mask-to-polygon benchmarks (find_polygons, exact and centre modes, against OpenCV,
scikit-image and rasterio); cases in cases.contours."""

FAMILY = "contours"


def test_contours(run_case, case):
    run_case(case)
