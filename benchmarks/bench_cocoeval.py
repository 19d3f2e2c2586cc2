"""COCO evaluation (evaluate + accumulate, segm and bbox, two workloads) and mask NMS with their
peers (pycocotools, faster-coco-eval); cases in cases.cocoeval."""

FAMILY = "cocoeval"


def test_cocoeval(run_case, case):
    run_case(case)
