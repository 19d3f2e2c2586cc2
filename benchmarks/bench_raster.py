"""Polygon rasterization benchmarks; cases in maskcore._bench.raster."""
FAMILY = "raster"


def test_raster(run_case, case):
    run_case(case)
