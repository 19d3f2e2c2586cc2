"""COCO RLE benchmarks: maskcore (default ISA and forced scalar), maskcore.coco, pycocotools, a
plain-numpy baseline and a memory-bandwidth reference, one pytest-benchmark group per operation
and input.

The cases live in :mod:`maskcore._benchcases` (shared with ``maskcore bench``); this file only
parametrizes over them. Each test times one case and then checks its result against the numpy
oracle, so ``pytest benchmarks --benchmark-disable`` (one call per case) is also a test that every
row of every table computes the same answer.

    pytest benchmarks --benchmark-group-by=group --benchmark-columns=median,iqr,rounds
"""

import pytest

from maskcore import _benchcases


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        quick = metafunc.config.getoption("bench_quick", default=False)
        cases = _benchcases.cases(quick=quick)
        metafunc.parametrize("case", cases, ids=[c.id for c in cases])


def test_rle(benchmark, case):
    benchmark.group = case.group
    benchmark.extra_info["case"] = case.name
    benchmark.extra_info["kind"] = case.kind
    try:
        fn = case.setup()
    except _benchcases.Unavailable as exc:
        pytest.skip(f"{exc.label}: {exc}")
    result = benchmark(fn)
    if case.check is not None:
        case.check(result)
