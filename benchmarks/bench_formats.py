"""Dataset format benchmarks (maskcore.io and Segments against pycocotools, supervision and
numpy loops); cases in cases.formats. The million-annotation COCO load with peak memory is
benchmarks/formats_coco_1m.py."""

FAMILY = "formats"


def test_formats(run_case, case):
    run_case(case)
