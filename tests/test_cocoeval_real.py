"""maskcore.cocoeval.COCOeval against pycocotools.cocoeval.COCOeval on the real COCO / LVIS
data in ../shared/data: ``eval["precision"]``, ``eval["recall"]``, ``eval["scores"]`` and
``stats`` equal with ``np.array_equal``.

* coco_val2014_first100: the ground truth with cocoapi's fake segm and bbox results;
* the other COCO / LVIS ground truths (labelbox val2017 panoptic-20 instances, COCO-mini
  train2017 and val2017, LVIS val 100) with predictions derived from them here: each
  object's mask eroded or shifted, some dropped, some duplicated, some given another
  category, false positives added, scores drawn from a few values (ties); segm, bbox and
  boundary (against tests/reference/cocoeval_ref.py), useCats on and off, custom params;
* a detectron2 / mmdet-style evaluation loop, unchanged but for the import;
* faster-coco-eval 1.8 (``COCOeval_faster``) on the same inputs: where it differs from
  pycocotools is recorded, not required (see ``test_faster_coco_eval_differences``).
"""
import contextlib
import copy
import io
import json

import cv2
import numpy as np
import pycocotools.mask as M
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval as PyEval

from maskcore.cocoeval import COCOeval
from reference.cocoeval_ref import BoundaryCOCOeval

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

GTS = [
    "coco_val2017_panoptic20_labelbox/instances_polygons_only.json",
    "coco_val2017_panoptic20_labelbox/instances_with_crowd_rle.json",
    "coco_mini_train2017_annotations/instances_train2017.json",
    "coco_mini_val2017/instances_val2017.json",
    "lvis_val_100/lvis_val_gt.json",
]


def quiet():
    return contextlib.redirect_stdout(io.StringIO())


def load_gt(path):
    data = json.loads(path.read_text())
    for a in data["annotations"]:
        a.setdefault("iscrowd", 0)  # LVIS has no iscrowd field (pycocotools reads it)
    return data


def coco_of(dataset):
    with quiet():
        c = COCO()
        c.dataset = copy.deepcopy(dataset)
        c.createIndex()
    return c


def perturbed(data, seed):
    """Predictions derived from a ground truth: erosion, shifts, drops, duplicates, other
    categories, false positives, scores with ties. Returns (segm results, bbox results)."""
    rng = np.random.default_rng(seed)
    coco = coco_of(data)
    cats = sorted(coco.getCatIds())
    segm, bbox = [], []
    for ann in data["annotations"]:
        if rng.random() < 0.15:
            continue
        img = coco.imgs[ann["image_id"]]
        m = coco.annToMask(coco.anns[ann["id"]])
        for copy_i in range(2 if rng.random() < 0.1 else 1):
            d = m.copy()
            if rng.random() < 0.4:
                d = cv2.erode(d, np.ones((3, 3), np.uint8), iterations=int(rng.integers(1, 4)))
            if rng.random() < 0.6:
                d = np.roll(d, (int(rng.integers(-4, 5)), int(rng.integers(-4, 5))), (0, 1))
            cat = ann["category_id"] if rng.random() > 0.05 else int(rng.choice(cats))
            score = float(rng.choice([0.05, 0.3, 0.5, 0.5, 0.75, 0.9, 0.99]))
            rle = M.encode(np.asfortranarray(d))
            rle["counts"] = rle["counts"].decode()
            segm.append({"image_id": ann["image_id"], "category_id": cat, "segmentation": rle, "score": score})
            x, y, w, h = ann["bbox"]
            jit = rng.normal(0, 2, 4)
            bbox.append({"image_id": ann["image_id"], "category_id": cat, "score": score,
                         "bbox": [x + jit[0], y + jit[1], max(w + jit[2], 0.5), max(h + jit[3], 0.5)]})
    for img in data["images"][::3]:  # false positives
        h, w = img["height"], img["width"]
        d = np.zeros((h, w), np.uint8)
        r, c = int(rng.integers(0, h - 20)), int(rng.integers(0, w - 20))
        d[r:r + 20, c:c + 30] = 1
        rle = M.encode(np.asfortranarray(d))
        rle["counts"] = rle["counts"].decode()
        cat = int(rng.choice(cats))
        segm.append({"image_id": img["id"], "category_id": cat, "segmentation": rle, "score": 0.5})
        bbox.append({"image_id": img["id"], "category_id": cat, "score": 0.5, "bbox": [c, r, 30.0, 20.0]})
    return segm, bbox


def evaluate(cls, gt, dt, kind, setup=None, summarize=True, **kw):
    with quiet():
        e = cls(gt, dt, kind, **kw)
        if setup:
            setup(e.params)
        e.evaluate()
        e.accumulate()
        if summarize:
            e.summarize()
    return e


def assert_same(a, b, summarize=True):
    for key in ("precision", "recall", "scores"):
        assert np.array_equal(a.eval[key], b.eval[key]), key
    if summarize:
        assert np.array_equal(a.stats, b.stats)


def compare(data, results, kind, setup=None, summarize=True):
    gt_p, gt_m = coco_of(data), coco_of(data)
    with quiet():
        dt_p, dt_m = gt_p.loadRes(copy.deepcopy(results)), gt_m.loadRes(copy.deepcopy(results))
    ref = BoundaryCOCOeval if kind == "boundary" else PyEval
    p = evaluate(ref, gt_p, dt_p, "segm" if kind == "boundary" else kind, setup, summarize)
    m = evaluate(COCOeval, gt_m, dt_m, kind, setup, summarize)
    assert_same(p, m, summarize)
    return p, m


@pytest.mark.parametrize("kind", ["segm", "bbox"])
def test_val2014_fake_results(shared_data, kind):
    d = shared_data / "coco_val2014_first100"
    data = load_gt(d / "instances_val2014_gt.json")
    results = json.loads((d / f"instances_val2014_fake{kind}_results.json").read_text())
    p, m = compare(data, results, kind)
    assert m.stats[0] > 0.3
    compare(data, results, kind, setup=lambda q: setattr(q, "useCats", 0))


def test_val2014_boundary(shared_data):
    d = shared_data / "coco_val2014_first100"
    data = load_gt(d / "instances_val2014_gt.json")
    results = json.loads((d / "instances_val2014_fakesegm_results.json").read_text())
    compare(data, results, "boundary")


@pytest.mark.parametrize("name", GTS)
@pytest.mark.parametrize("kind", ["segm", "bbox"])
def test_perturbed_predictions(shared_data, name, kind):
    data = load_gt(shared_data / name)
    segm, bbox = perturbed(data, seed=len(name))
    results = segm if kind == "segm" else bbox
    compare(data, results, kind)
    compare(data, results, kind, setup=lambda q: setattr(q, "useCats", 0))


def custom(p):
    p.maxDets = [5, 50, 1]
    p.areaRng = [[0, 1e10], [0, 500], [500, 5000], [5000, 1e10]]
    p.iouThrs = np.array([0.1, 0.5, 0.7, 0.9])
    p.recThrs = np.linspace(0, 1, 21)


@pytest.mark.parametrize("name", GTS[1:4])
def test_perturbed_custom_params(shared_data, name):
    data = load_gt(shared_data / name)
    segm, bbox = perturbed(data, seed=7)
    compare(data, segm, "segm", setup=custom)
    compare(data, bbox, "bbox", setup=custom)


@pytest.mark.parametrize("name", GTS[1:3])
def test_perturbed_boundary(shared_data, name):
    data = load_gt(shared_data / name)
    segm, _ = perturbed(data, seed=11)
    compare(data, segm, "boundary")


def test_threads_identical_real(shared_data):
    data = load_gt(shared_data / GTS[4])
    segm, _ = perturbed(data, seed=3)
    gt = coco_of(data)
    with quiet():
        dt = gt.loadRes(copy.deepcopy(segm))
    one = evaluate(COCOeval, gt, dt, "segm", threads=1)
    two = evaluate(COCOeval, gt, dt, "segm", threads=2)
    assert_same(one, two)


def _detectron2_style_loop(COCOeval, gt_json, predictions, iou_type, img_ids):
    """The lines detectron2's / mmdet's COCO evaluators call, unchanged."""
    coco_gt = COCO(gt_json)
    coco_dt = coco_gt.loadRes(predictions)
    coco_eval = COCOeval(coco_gt, coco_dt, iou_type)
    coco_eval.params.imgIds = img_ids
    coco_eval.evaluate()
    coco_eval.accumulate()
    coco_eval.summarize()
    return coco_eval


def test_detectron2_mmdet_loop(shared_data, capsys):
    from pycocotools.cocoeval import COCOeval as Original

    from maskcore.cocoeval import COCOeval as DropIn
    d = shared_data / "coco_val2014_first100"
    gt_json = str(d / "instances_val2014_gt.json")
    for kind in ("segm", "bbox"):
        preds = json.loads((d / f"instances_val2014_fake{kind}_results.json").read_text())
        img_ids = sorted({p["image_id"] for p in preds})[:50]
        a = _detectron2_style_loop(Original, gt_json, copy.deepcopy(preds), kind, img_ids)
        out_a = capsys.readouterr().out
        b = _detectron2_style_loop(DropIn, gt_json, copy.deepcopy(preds), kind, img_ids)
        out_b = capsys.readouterr().out
        assert_same(a, b)
        summary = [line for line in out_a.splitlines() if line.startswith(" Average")]
        assert len(summary) == 12 and summary == [line for line in out_b.splitlines() if line.startswith(" Average")]


def test_faster_coco_eval_differences(shared_data):
    """faster-coco-eval 1.8 on the same inputs. Recorded: where its precision / recall /
    stats differ from pycocotools' (maskcore is required to equal pycocotools; faster-coco-eval
    is not), so the comparison in benchmarks/RESULTS.md can say how far apart they are."""
    fce = pytest.importorskip("faster_coco_eval")
    d = shared_data / "coco_val2014_first100"
    data = load_gt(d / "instances_val2014_gt.json")
    report = {}
    for kind in ("segm", "bbox"):
        results = json.loads((d / f"instances_val2014_fake{kind}_results.json").read_text())
        p, m = compare(data, results, kind)
        with quiet():
            g = fce.COCO(copy.deepcopy(data))
            f = fce.COCOeval_faster(g, g.loadRes(copy.deepcopy(results)), kind, separate_eval=True)
            f.evaluate()
            f.accumulate()
            f.summarize()
        report[kind] = {
            "stats_equal": bool(np.array_equal(p.stats, f.stats[:12])),
            "stats_max_abs_diff": float(np.abs(p.stats - f.stats[:12]).max()),
            "precision_equal": bool(np.array_equal(p.eval["precision"], f.eval["precision"])),
        }
        assert report[kind]["stats_max_abs_diff"] < 1e-3  # close, whatever the bits
    print(report)
