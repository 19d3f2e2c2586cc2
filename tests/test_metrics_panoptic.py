"""Panoptic quality, instance matching and IoU matrices on the real data in ../shared/data:
PQ against a panopticapi-style computation written here (np.unique over gt * 2^24 + pred and
dictionaries, as pq_compute does), IoU matrices against pycocotools per image."""
import json
from collections import defaultdict

import numpy as np
import pytest
from PIL import Image

import maskcore
from reference.panoptic_ref import np_panoptic as pq_reference  # panopticapi's rules in numpy



def load_panoptic(root, json_name, png_dir):
    d = json.loads((root / json_name).read_text())
    items = []
    for ann in d["annotations"]:
        rgb = np.asarray(Image.open(root / png_dir / ann["file_name"]).convert("RGB"))
        items.append((maskcore.rgb_to_id(rgb), ann["segments_info"]))
    return d["categories"], items


def perturb(ids, segs, seed):
    """A prediction made from the gt: new ids, eroded / shifted / relabeled / dropped
    segments, one segment painted over void, a stray blob; no iscrowd on predictions."""
    rng = np.random.default_rng(seed)
    out = np.zeros_like(ids)
    psegs = []
    cats = sorted({s["category_id"] for s in segs})
    for k, s in enumerate(segs):
        m = ids == s["id"]
        action = rng.choice(["keep", "shift", "shrink", "relabel", "drop", "keep"])
        if action == "drop":
            continue
        if action == "shift":
            m = np.roll(m, int(rng.integers(-15, 16)), axis=int(rng.integers(0, 2)))
        if action == "shrink":
            rows = np.flatnonzero(m.any(axis=1))
            if rows.size > 2:
                m[rows[: rows.size // 3]] = False
        new_id = 1000 + 7 * k
        out[m] = new_id
        cat = s["category_id"] if action != "relabel" else int(rng.choice(cats))
        psegs.append({"id": new_id, "category_id": cat})
    h, w = ids.shape
    y, x = int(rng.integers(0, h - 40)), int(rng.integers(0, w - 40))
    out[y:y + 40, x:x + 40] = 99999
    psegs.append({"id": 99999, "category_id": segs[0]["category_id"]})
    present = set(np.unique(out).tolist())
    psegs = [s for s in psegs if s["id"] in present]
    return out, psegs


@pytest.fixture(params=["panopticapi", "labelbox"])
def panoptic(request, shared_data):
    if request.param == "panopticapi":
        root = shared_data / "coco_panoptic_panopticapi"
        cats, items = load_panoptic(root, "panoptic_examples.json", "panoptic_examples")
        cats = json.loads((root / "panoptic_coco_categories.json").read_text())
    else:
        root = shared_data / "coco_val2017_panoptic20_labelbox"
        cats, items = load_panoptic(root, "panoptic_val2017_subset.json", "panoptic_masks")
    return cats, items


def test_pq_of_samples_against_themselves_is_one(panoptic):
    cats, items = panoptic
    gts = [g for g, _ in items]
    segs = [s for _, s in items]
    r = maskcore.panoptic_quality(gts, gts, cats, gt_segments=segs,
                                  pred_segments=[[{k: v for k, v in s.items() if k != "iscrowd"} for s in ss]
                                                 for ss in segs])
    assert r.pq == 1.0 and r.sq == 1.0 and r.rq == 1.0
    assert r.all["n"] > 0
    json.dumps(r.to_dict())


def test_pq_against_perturbed_copy_equals_reference(panoptic):
    cats, items = panoptic
    pairs = []
    for i, (g, segs) in enumerate(items):
        p, psegs = perturb(g, segs, i)
        pairs.append((g, p, segs, psegs))
    want, stat = pq_reference(pairs, cats)
    got = maskcore.panoptic_quality([a for a, _, _, _ in pairs], [b for _, b, _, _ in pairs], cats,
                                    gt_segments=[c for _, _, c, _ in pairs], pred_segments=[d for *_, d in pairs])
    for name in ("all", "things", "stuff"):
        g = getattr(got, name)
        np.testing.assert_allclose((g["pq"], g["sq"], g["rq"]), want[name], rtol=1e-12)
    for cid, (tp, fp, fn, iou) in stat.items():
        pc = got.per_class[cid]
        assert (pc["tp"], pc["fp"], pc["fn"]) == (tp, fp, fn)
        assert pc["iou"] == pytest.approx(iou, rel=1e-12)
    assert 0 < got.pq < 1


def test_pq_from_png_paths_and_crowd(shared_data):
    root = shared_data / "coco_panoptic_panopticapi"
    d = json.loads((root / "panoptic_examples.json").read_text())
    cats = json.loads((root / "panoptic_coco_categories.json").read_text())
    ann = d["annotations"][0]
    path = root / "panoptic_examples" / ann["file_name"]
    g = maskcore.rgb_to_id(np.asarray(Image.open(path).convert("RGB")))
    segs = [dict(s) for s in ann["segments_info"]]
    segs[0]["iscrowd"] = 1  # a crowd region: a pred on it is neither TP nor FP
    pred_segs = [{"id": s["id"], "category_id": s["category_id"]} for s in ann["segments_info"]]
    got = maskcore.panoptic_quality(g, path, cats, gt_segments=segs, pred_segments=pred_segs)
    want, _ = pq_reference([(g, g, segs, pred_segs)], cats)
    np.testing.assert_allclose((got.pq, got.sq, got.rq), want["all"])
    assert got.per_class[segs[0]["category_id"]]["fp"] == 0 or segs[0]["category_id"] in got.per_class


def test_pq_bad_input():
    g = np.zeros((4, 4), np.uint32)
    g[:2] = 5
    cats = [{"id": 1, "isthing": 1}]
    with pytest.raises(ValueError, match="not in segments_info"):
        maskcore.panoptic_quality(g, g, cats, gt_segments=[{"id": 5, "category_id": 1}], pred_segments=[])
    with pytest.raises(ValueError, match="not in the PNG"):
        maskcore.panoptic_quality(g, g, cats, gt_segments=[], pred_segments=[{"id": 5, "category_id": 1},
                                                                             {"id": 6, "category_id": 1}])
    with pytest.raises(ValueError, match="unknown category_id"):
        maskcore.panoptic_quality(g, g, cats, gt_segments=[], pred_segments=[{"id": 5, "category_id": 2}])
    r = maskcore.panoptic_quality(g, g, cats, gt_segments=[], pred_segments=[{"id": 5, "category_id": 1}])
    assert r.per_class[1]["fp"] == 1 and r.pq == 0.0


# ---- IoU matrices vs pycocotools ----------------------------------------------------------------

def test_iou_matrices_equal_pycocotools_per_image(shared_data):
    from pycocotools import mask as pm
    root = shared_data / "coco_val2014_first100"
    gt = json.loads((root / "instances_val2014_gt.json").read_text())
    dt = json.loads((root / "instances_val2014_fakesegm_results.json").read_text())
    imgs = {im["id"]: im for im in gt["images"]}
    by_img = defaultdict(lambda: ([], []))
    for a in gt["annotations"]:
        by_img[a["image_id"]][0].append(a)
    for r in dt:
        by_img[r["image_id"]][1].append(r)
    checked = 0
    for iid, (gts, dts) in sorted(by_img.items()):
        if not gts or not dts:
            continue
        h, w = imgs[iid]["height"], imgs[iid]["width"]
        g_rles = []
        for a in gts:
            seg = a["segmentation"]
            if isinstance(seg, list):
                g_rles.append(pm.merge(pm.frPyObjects(seg, h, w)))
            elif isinstance(seg["counts"], list):
                g_rles.append(pm.frPyObjects(seg, h, w))
            else:
                g_rles.append(seg)
        d_rles = [r["segmentation"] for r in dts]
        crowd = [int(a.get("iscrowd", 0)) for a in gts]
        want = pm.iou(d_rles, g_rles, crowd)
        got = maskcore.iou([maskcore.RLE.from_coco(r) for r in d_rles], [maskcore.RLE.from_coco(r) for r in g_rles],
                           crowd)
        np.testing.assert_array_equal(got, want)
        dense_d = [maskcore.decode(maskcore.RLE.from_coco(r)) for r in d_rles]
        dense_g = [maskcore.decode(maskcore.RLE.from_coco(r)) for r in g_rles]
        np.testing.assert_array_equal(maskcore.iou(dense_d, dense_g, crowd), want)
        checked += 1
    assert checked > 50


# ---- matching and agreement ----------------------------------------------------------------------

def disc(h, w, cy, cx, r):
    yy, xx = np.mgrid[:h, :w]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def test_match_instances_greedy():
    g = [disc(40, 40, 10, 10, 6), disc(40, 40, 30, 30, 6), disc(40, 40, 10, 30, 5)]
    p = [disc(40, 40, 30, 31, 6), disc(40, 40, 11, 10, 6), disc(40, 40, 35, 5, 3)]
    m = maskcore.match_instances(g, p)
    assert m.pairs.tolist() == [[0, 1], [1, 0]]
    assert m.unmatched_gt.tolist() == [2] and m.unmatched_pred.tolist() == [2]
    np.testing.assert_array_equal(m.ious, [m.iou_matrix[0, 1], m.iou_matrix[1, 0]])
    assert m.mean_iou == pytest.approx(m.ious.mean())
    json.dumps(m.to_dict())
    # greedy takes the highest IoU first
    a = disc(40, 40, 20, 20, 8)
    m2 = maskcore.match_instances([a], [disc(40, 40, 20, 22, 8), disc(40, 40, 20, 21, 8)], 0.3)
    assert m2.pairs.tolist() == [[0, 1]]
    empty = maskcore.match_instances([], [a])
    assert empty.pairs.shape == (0, 2) and empty.unmatched_pred.tolist() == [0]
    with pytest.raises(ValueError, match="iou_threshold"):
        maskcore.match_instances([a], [a], 1.5)


def test_annotator_agreement():
    a = [[disc(30, 30, 10, 10, 5), disc(30, 30, 20, 20, 4)], []]
    b = [[disc(30, 30, 10, 11, 5)], [disc(30, 30, 5, 5, 2)]]
    r = maskcore.annotator_agreement(a, b)
    assert (r.matched, r.unmatched_a, r.unmatched_b) == (1, 1, 1)
    assert r.per_image[0]["matched"] == 1 and r.per_image[1]["unmatched_b"] == 1
    assert r.mean_iou == pytest.approx(maskcore.iou(a[0][0], b[0][0]))
    assert np.isnan(r.per_image[1]["mean_iou"])
    json.dumps(r.to_dict(), default=float)
