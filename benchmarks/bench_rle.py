"""COCO RLE benchmarks: maskcore (default ISA and forced scalar), maskcore.coco, pycocotools, a
plain-numpy baseline and a memory-bandwidth reference, one pytest-benchmark group per operation
and input. The cases live in :mod:`cases.rle` (shared with ``maskcore bench``).

    pytest benchmarks/bench_rle.py --benchmark-group-by=group --benchmark-columns=median,iqr,rounds
"""

FAMILY = "rle"


def test_rle(run_case, case):
    run_case(case)
