"""Metric benchmarks (confusion matrix, boundary IoU, IoU matrices, panoptic quality) with their
peers and references; cases in cases.metrics."""

FAMILY = "metrics"


def test_metrics(run_case, case):
    run_case(case)
