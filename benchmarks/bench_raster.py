"""Polygon rasterization benchmarks; cases in cases.raster."""
FAMILY = "raster"


def test_raster(run_case, case):
    run_case(case)
