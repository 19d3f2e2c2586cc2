"""Chunked labeling, statistics and RLE over Dask arrays (maskcore.dask) vs dask-image; cases in cases.dask."""
FAMILY = "dask"


def test_dask(run_case, case):
    run_case(case)
