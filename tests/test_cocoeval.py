"""maskcore.cocoeval.COCOeval against pycocotools.cocoeval.COCOeval (2.0.x) on generated
datasets: every array of ``eval`` and ``stats`` equal with ``np.array_equal`` (bit for bit),
and ``evalImgs`` / ``ious`` equal, for segm, bbox and boundary (against
tests/reference/cocoeval_ref.py), useCats on and off, custom maxDets / areaRng / iouThrs,
score ties and NaN, empty images, crowd-only images, categories without detections, ground
truth ids 0 and areas on the range limits; threads=1 and 2 identical; errors. Also
maskcore.mask_nms against a numpy reference (hypothesis).
"""
import contextlib
import copy
import io

import numpy as np
import pycocotools.mask as M
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval as PyEval

import maskcore
from maskcore.cocoeval import COCOeval, Params
from reference.cocoeval_ref import BoundaryCOCOeval, nms_ref

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def quiet():
    return contextlib.redirect_stdout(io.StringIO())


def coco_of(dataset):
    with quiet():
        c = COCO()
        c.dataset = copy.deepcopy(dataset)
        c.createIndex()
    return c


def uncompressed(mask):
    """COCO uncompressed RLE (counts as an int list) of a dense mask, in five lines of numpy."""
    flat = np.asfortranarray(mask).reshape(-1, order="F").astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1] if flat.size else 0]])))
    counts = np.diff(np.concatenate([[0], edges])).tolist()
    return {"size": list(mask.shape), "counts": counts if sum(counts) == mask.size else counts + [mask.size - sum(counts)]}


def make_data(seed, n_img=12, n_cat=4, ties=True, crowd_only_img=True, empty_img=True, nan=False):
    """A ground truth dict and a results list with the awkward cases in it."""
    rng = np.random.default_rng(seed)
    images, anns, results = [], [], []
    aid = 0
    for i in range(n_img):
        h, w = int(rng.integers(20, 70)), int(rng.integers(20, 70))
        images.append({"id": 100 + i, "height": h, "width": w, "file_name": f"{i}.jpg"})
        if empty_img and i == 0:
            continue
        n = 0 if (crowd_only_img and i == 1) else int(rng.integers(0, 9))
        objs = []
        for _ in range(n):
            x0, y0 = rng.uniform(-3, w - 2), rng.uniform(-3, h - 2)
            bw, bh = rng.uniform(1, w / 2), rng.uniform(1, h / 2)
            poly = [x0, y0, x0 + bw, y0, x0 + bw, y0 + bh, x0, y0 + bh]
            if rng.random() < 0.3:
                poly = [x0, y0, x0 + bw, y0 + bh / 3, x0 + bw / 2, y0 + bh]
            cat = int(rng.integers(1, n_cat + 1))
            aid += 1
            rle = M.merge(M.frPyObjects([poly], h, w))
            area = float(M.area(rle))
            if rng.random() < 0.15:  # on a range limit: 32^2 and 96^2 are inside
                area = float(rng.choice([32 ** 2, 96 ** 2, 0]))
            anns.append({"id": 0 if aid == 3 else aid, "image_id": 100 + i, "category_id": cat,
                         "segmentation": [poly], "area": area, "bbox": list(M.toBbox(rle)), "iscrowd": 0})
            objs.append((cat, M.decode(rle)))
        if i == 1 or rng.random() < 0.3:  # crowds (uncompressed RLE)
            m = np.zeros((h, w), np.uint8)
            m[rng.integers(0, h // 2):, : rng.integers(1, w)] = 1
            aid += 1
            cat = int(rng.integers(1, n_cat + 1))
            anns.append({"id": aid, "image_id": 100 + i, "category_id": cat, "segmentation": uncompressed(m),
                         "area": float(m.sum()), "bbox": list(M.toBbox(M.encode(np.asfortranarray(m)))),
                         "iscrowd": 1})
            objs.append((cat, m))
        for cat, m in objs:  # detections: shifted / eroded copies, some dropped, some doubled
            for _ in range(int(rng.choice([0, 1, 1, 2]))):
                dm = np.roll(m, (int(rng.integers(-2, 3)), int(rng.integers(-2, 3))), (0, 1))
                if rng.random() < 0.3:
                    dm[: rng.integers(0, h)] = 0
                dcat = cat if rng.random() < 0.85 else int(rng.integers(1, n_cat + 1))
                score = float(rng.choice([0.3, 0.5, 0.5, 0.9])) if ties else float(rng.random())
                if nan and rng.random() < 0.1:
                    score = float("nan")
                rle = M.encode(np.asfortranarray(dm.astype(np.uint8)))
                rle["counts"] = rle["counts"].decode()
                box = [float(v) + rng.uniform(-1, 1) for v in M.toBbox(rle)]
                results.append({"image_id": 100 + i, "category_id": dcat, "segmentation": rle, "score": score,
                                "bbox": box})
        for _ in range(int(rng.integers(0, 3))):  # false positives anywhere
            m = np.zeros((h, w), np.uint8)
            r, c = int(rng.integers(0, h)), int(rng.integers(0, w))
            m[r:r + 5, c:c + 7] = 1
            rle = M.encode(np.asfortranarray(m))
            rle["counts"] = rle["counts"].decode()
            results.append({"image_id": 100 + i, "category_id": int(rng.integers(1, n_cat + 1)),
                            "segmentation": rle, "score": float(rng.random()),
                            "bbox": [float(c), float(r), 7.0, 5.0]})
    cats = [{"id": c, "name": str(c)} for c in range(1, n_cat + 2)]  # the last has no annotation at all
    return {"images": images, "annotations": anns, "categories": cats}, results


def results_for(results, kind):
    out = copy.deepcopy(results)
    for r in out:
        if kind == "bbox":
            del r["segmentation"]
        else:
            del r["bbox"]
    return out


def run(cls, gt, dt, kind, setup=None, summarize=True, **kw):
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
        assert a.eval[key].shape == b.eval[key].shape, key
        assert np.array_equal(a.eval[key], b.eval[key]), key
    assert a.eval["counts"] == b.eval["counts"]
    if summarize:
        assert np.array_equal(np.asarray(a.stats), np.asarray(b.stats))


def compare(data, results, kind, setup=None, summarize=True, evalimgs=False, **kw):
    gt_p, gt_m = coco_of(data), coco_of(data)
    with quiet():
        dt_p, dt_m = gt_p.loadRes(results_for(results, kind)), gt_m.loadRes(results_for(results, kind))
    ref = BoundaryCOCOeval if kind == "boundary" else PyEval
    p = run(ref, gt_p, dt_p, "segm" if kind == "boundary" else kind, setup, summarize)
    m = run(COCOeval, gt_m, dt_m, kind, setup, summarize, **kw)
    assert_same(p, m, summarize)
    if evalimgs:
        assert_same_evalimgs(p.evalImgs, m.evalImgs)
        assert_same_ious(p.ious, m.ious)
    return p, m


def assert_same_evalimgs(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert (x is None) == (y is None)
        if x is None:
            continue
        assert set(x) == set(y)
        for key in x:
            if isinstance(x[key], np.ndarray):
                assert np.array_equal(x[key], y[key]) and x[key].shape == y[key].shape, key
            else:
                assert list(x[key]) == list(y[key]) if isinstance(x[key], list) else x[key] == y[key], key


def assert_same_ious(a, b):
    assert set(a) == set(b)
    for key in a:
        x, y = np.asarray(a[key]), np.asarray(b[key])
        assert x.shape == y.shape and np.array_equal(x, y), key


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kind", ["segm", "bbox"])
def test_default_params(seed, kind):
    data, results = make_data(seed)
    compare(data, results, kind, evalimgs=seed < 2)


@pytest.mark.parametrize("seed", range(3))
def test_boundary(seed):
    data, results = make_data(50 + seed)
    compare(data, results, "boundary", evalimgs=seed == 0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", ["segm", "bbox"])
def test_use_cats_off(seed, kind):
    data, results = make_data(10 + seed)
    compare(data, results, kind, setup=lambda p: setattr(p, "useCats", 0), evalimgs=seed == 0)


def custom(p):
    p.maxDets = [3, 1, 20]  # sorted by evaluate()
    p.areaRng = [[0, 1e10], [0, 200], [200, 1024], [1024, 1e10], [50, 60]]
    p.areaRngLbl = ["all", "small", "medium", "large", "band"]
    p.iouThrs = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    p.recThrs = np.linspace(0, 1, 11)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", ["segm", "bbox", "boundary"])
def test_custom_params(seed, kind):
    data, results = make_data(20 + seed, ties=seed % 2 == 0)
    compare(data, results, kind, setup=custom, evalimgs=seed == 0)


@pytest.mark.parametrize("kind", ["segm", "bbox"])
def test_subsets_of_images_and_categories(kind):
    data, results = make_data(30, n_img=15, n_cat=5)

    def setup(p):
        p.imgIds = [103, 101, 101, 108, 999, 104]  # unsorted, repeated, unknown: np.unique'd
        p.catIds = [3, 1, 6]

    compare(data, results, kind, setup=setup, evalimgs=True)


def test_nan_scores():
    data, results = make_data(31, nan=True)
    compare(data, results, "segm")


def test_no_ties_many_detections():
    data, results = make_data(32, n_img=20, ties=False)
    compare(data, results, "segm", setup=lambda p: setattr(p, "maxDets", [1, 2, 4]))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_threads_identical(threads):
    data, results = make_data(33, n_img=25)
    a = run(COCOeval, coco_of(data), coco_of(data).loadRes(results_for(results, "segm")), "segm", threads=1)
    with quiet():
        b = run(COCOeval, coco_of(data), coco_of(data).loadRes(results_for(results, "segm")), "segm",
                threads=threads)
    assert_same(a, b)


@pytest.mark.parametrize("kind,use_cats", [("segm", 1), ("segm", 0), ("boundary", 1), ("bbox", 1)])
def test_parts_pipeline(monkeypatch, kind, use_cats):
    """With threads the units are split into parts, parsed part by part while the part
    before is matched (cocoeval._PART: the smallest part; a few annotations here, so that
    there are many parts, some of them one unit): same numbers, evalImgs and ious as
    pycocotools, and the same parts whether matched on a second thread or in turn."""
    import maskcore.cocoeval as ce
    monkeypatch.setattr(ce, "_PART", 7)
    data, results = make_data(35, n_img=25)
    _, m = compare(data, results, kind, setup=lambda p: setattr(p, "useCats", use_cats), evalimgs=True, threads=2)
    assert len(m._parts) == (1 if kind == "bbox" else 16)
    bounds = [g for part in m._parts for g in part]
    assert bounds[0] == 0 and all(a == b for a, b in zip(bounds[1:-1:2], bounds[2::2]))


def test_accumulate_with_other_params():
    """accumulate(p) with params that differ from evaluate()'s: pycocotools' index rules."""
    data, results = make_data(34)
    gt_p, gt_m = coco_of(data), coco_of(data)
    with quiet():
        dt_p, dt_m = gt_p.loadRes(results_for(results, "segm")), gt_m.loadRes(results_for(results, "segm"))
        a, b = PyEval(gt_p, dt_p, "segm"), COCOeval(gt_m, dt_m, "segm")
        for e in (a, b):
            e.evaluate()
            q = copy.deepcopy(e.params)
            q.maxDets = [10, 100, 5]
            q.recThrs = np.linspace(0, 1, 7)
            q.catIds = q.catIds[1:]
            e.accumulate(q)
    assert_same(a, b, summarize=False)


def test_inputs_dict_path_and_results_list(tmp_path):
    import json
    data, results = make_data(35)
    before = copy.deepcopy(data)
    p, _ = compare(data, results, "segm")
    (tmp_path / "gt.json").write_text(json.dumps(data))
    (tmp_path / "dt.json").write_text(json.dumps(results_for(results, "segm")))
    for gt, dt in [(str(tmp_path / "gt.json"), str(tmp_path / "dt.json")), (data, results_for(results, "segm")),
                   (tmp_path / "gt.json", results_for(results, "segm"))]:
        m = run(COCOeval, gt, dt, "segm")
        assert_same(p, m)
    assert data == before  # the inputs are not modified (pycocotools rewrites them)


def test_maskcore_dataset_hook():
    data, results = make_data(36)

    class Exported:
        def __maskcore_coco__(self):
            return data

    p, _ = compare(data, results, "bbox")
    m = run(COCOeval, Exported(), results_for(results, "bbox"), "bbox")
    assert_same(p, m)


def test_evalimgs_lazy_and_params():
    data, results = make_data(37)
    with quiet():
        e = COCOeval(coco_of(data), coco_of(data).loadRes(results_for(results, "segm")), "segm")
        e.evaluate()
    assert e._evalImgs is None  # not built by evaluate()
    assert len(e.evalImgs) == len(e.params.catIds) * 4 * len(e.params.imgIds)
    ref = Params("segm")
    for key in ("iouThrs", "recThrs", "maxDets", "areaRng", "areaRngLbl", "useCats", "iouType", "useSegm"):
        assert np.array_equal(np.asarray(getattr(ref, key)), np.asarray(getattr(PyEval(iouType="segm").params, key)))


def test_errors():
    data, results = make_data(38)
    with pytest.raises(NotImplementedError, match="keypoints"):
        COCOeval(coco_of(data), None, "keypoints")
    with pytest.raises(ValueError, match="iouType"):
        COCOeval(coco_of(data), None, "mask")
    with pytest.raises(TypeError, match="cocoGt"):
        COCOeval(42, None)
    with pytest.raises(ValueError, match="cocoGt"):
        COCOeval("/nonexistent/gt.json", None)
    with pytest.raises(RuntimeError, match="evaluate"):
        with quiet():
            COCOeval(coco_of(data), coco_of(data)).accumulate()
    bad = results_for(results, "bbox")
    bad[0]["bbox"] = [0, 0, float("inf"), 3]
    with pytest.raises(ValueError, match="non-finite bbox"):
        run(COCOeval, coco_of(data), bad, "bbox")
    wrong = results_for(results, "segm")
    r = M.encode(np.asfortranarray(np.ones((7, 9), np.uint8)))
    wrong[0]["segmentation"] = {"size": [7, 9], "counts": r["counts"].decode()}
    with pytest.raises(ValueError, match="sizes differ"):
        run(COCOeval, coco_of(data), wrong, "segm")
    corrupt = results_for(results, "segm")
    corrupt[2]["segmentation"] = dict(corrupt[2]["segmentation"], counts="0~~")
    with pytest.raises(ValueError, match=r"cocoDt: results: results\[2\]"):
        run(COCOeval, coco_of(data), corrupt, "segm")
    # a detection's string is decoded (and checked) when its image and category are evaluated
    pairs = {(a["image_id"], a["category_id"]) for a in data["annotations"]}
    j = next(i for i, r in enumerate(results) if (r["image_id"], r["category_id"]) in pairs)
    corrupt = results_for(results, "segm")
    corrupt[j]["segmentation"] = dict(corrupt[j]["segmentation"], counts="0~~")
    dataset = {"images": data["images"], "categories": data["categories"],
               "annotations": [dict(r, id=i + 1, area=10.0) for i, r in enumerate(corrupt)]}
    with pytest.raises(ValueError, match=f"cocoDt: annotation {j + 1}: invalid compressed"):
        run(COCOeval, coco_of(data), dataset, "segm")
    nocat = copy.deepcopy(data)
    del nocat["annotations"][1]["area"]
    with pytest.raises(KeyError, match="area"):
        run(COCOeval, nocat, results_for(results, "segm"), "segm")


@pytest.mark.parametrize("box, message", [([1, 2, "x", 3], "non-numeric bbox"), ([1, 2, 3], "no 4-number bbox"),
                                          (None, "no 4-number bbox"), ([1, 2, float("nan"), 3], "non-finite bbox")])
def test_bad_detection_box_is_named(box, message):
    data, results = make_data(38)
    gt = coco_of(data)
    with quiet():
        dt = gt.loadRes(results_for(results, "bbox"))
    ann = dt.anns[min(dt.anns)]
    ann["bbox"] = box
    with pytest.raises(ValueError, match=rf"cocoDt: annotation {ann['id']} has (a )?{message}"):
        run(COCOeval, gt, dt, "bbox")


def test_numpy_scalar_boxes_evaluate_as_floats():
    data, results = make_data(39)
    dets = results_for(results, "bbox")
    as_np = [dict(d, bbox=[np.float32(v) for v in d["bbox"]]) for d in dets]
    as_f32 = [dict(d, bbox=[float(np.float32(v)) for v in d["bbox"]]) for d in dets]
    a, b = run(COCOeval, coco_of(data), as_np, "bbox"), run(COCOeval, coco_of(data), as_f32, "bbox")
    assert np.array_equal(a.eval["precision"], b.eval["precision"])


def test_empty_results_and_no_gt():
    data, _ = make_data(39)
    with quiet():
        e = COCOeval(coco_of(data), [], "segm")
        e.evaluate()
        e.accumulate()
        e.summarize()
    assert (e.eval["precision"][e.eval["precision"] > -1] == 0).all()
    assert e.stats[0] == 0


# ---- mask_nms ------------------------------------------------------------------------------

@st.composite
def stacks(draw):
    n = draw(st.integers(0, 14))
    h, w = draw(st.integers(1, 20)), draw(st.integers(1, 20))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    masks = np.zeros((n, h, w), bool)
    base = rng.random((h, w)) < 0.5
    for i in range(n):
        kind = rng.integers(0, 4)
        if kind == 0:
            masks[i] = rng.random((h, w)) < rng.random()
        elif kind == 1:
            r0, c0 = rng.integers(0, h), rng.integers(0, w)
            masks[i, r0:r0 + rng.integers(1, h + 1), c0:c0 + rng.integers(1, w + 1)] = True
        elif kind == 2:
            masks[i] = base ^ (rng.random((h, w)) < 0.1)
        # kind 3: empty
    scores = rng.choice([0.1, 0.5, 0.9, float(rng.random())], size=n)
    thr = float(draw(st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0, 1 / 3])))
    return masks, scores, thr


@settings(max_examples=150, deadline=None)
@given(stacks())
def test_mask_nms_reference(case):
    masks, scores, thr = case
    want = nms_ref(masks, scores, thr)
    got = maskcore.mask_nms(masks, scores, thr)
    assert got.dtype == np.int64 and np.array_equal(got, want)
    if len(masks):
        rles = [maskcore.encode(m) for m in masks]
        assert np.array_equal(maskcore.mask_nms(rles, scores, thr, threads=2), want)
        assert np.array_equal(maskcore.mask_nms(maskcore.RLEBatch(rles), scores, thr, threads=1), want)
        dicts = [r.to_coco() for r in rles]
        assert np.array_equal(maskcore.mask_nms(dicts, scores, thr), want)


def test_mask_nms_blocks():
    """More masks than one block of rows (128): the same as the reference, for any block size."""
    rng = np.random.default_rng(5)
    n, h, w = 300, 40, 40
    masks = np.zeros((n, h, w), bool)
    for i in range(n):
        r, c = rng.integers(0, h - 8), rng.integers(0, w - 8)
        masks[i, r:r + rng.integers(3, 9), c:c + rng.integers(3, 9)] = True
    scores = rng.choice([0.2, 0.4, 0.6], n)
    want = nms_ref(masks, scores, 0.3)
    assert np.array_equal(maskcore.mask_nms(masks, scores, 0.3), want)
    assert np.array_equal(maskcore.mask_nms(masks, np.full(n, 0.5), 0.3), nms_ref(masks, np.full(n, 0.5), 0.3))
    from maskcore import _core
    batch = maskcore.encode(np.moveaxis(masks, 0, -1))
    for block in (1, 7, 64, 1000):
        got = _core.eval_mask_nms((batch._counts, batch._offsets, batch._sizes), scores.astype(float), 0.3, 2, block)
        assert np.array_equal(got, want)


def test_mask_nms_errors():
    m = np.zeros((2, 4, 4), bool)
    with pytest.raises(ValueError, match="scores"):
        maskcore.mask_nms(m, [1.0])
    with pytest.raises(ValueError, match="iou_threshold"):
        maskcore.mask_nms(m, [1.0, 2.0], float("nan"))
    with pytest.raises(ValueError, match="one size"):
        maskcore.mask_nms([maskcore.encode(np.zeros((4, 4), bool)), maskcore.encode(np.zeros((4, 5), bool))],
                          [1.0, 2.0])
    with pytest.raises(ValueError, match="masks"):
        maskcore.mask_nms(np.zeros((4, 4), bool), [1.0])
    assert maskcore.mask_nms(np.zeros((0, 4, 4), bool), []).size == 0


@pytest.mark.parametrize("kind", ["segm", "boundary"])
def test_every_isa_identical(isa, kind):
    """The IoU kernels differ per ISA (AND + POPCNT over bit columns); the counts, so the
    numbers, do not."""
    data, results = make_data(40, n_img=15)
    gt = coco_of(data)
    with quiet():
        dt = gt.loadRes(results_for(results, "segm"))
    got = run(COCOeval, gt, dt, kind, threads=2)
    with maskcore.use_isa("scalar"):
        want = run(COCOeval, gt, dt, kind, threads=1)
    assert_same(want, got)


def test_parse_masks_chunked_and_mixed():
    """The parse of many polygons in chunks over threads, mixed with compressed and
    uncompressed RLE, gives each annotation the mask pycocotools' annToRLE gives."""
    from maskcore import cocoeval as ce
    rng = np.random.default_rng(41)
    data, results = make_data(41, n_img=6)
    gt = coco_of(data)
    anns = [gt.anns[a["id"]] for a in data["annotations"]]
    polys = [a for a in anns if isinstance(a["segmentation"], list)]
    many = [polys[int(i)] for i in rng.integers(0, len(polys), 9000)] + anns
    rng.shuffle(many)
    want = [gt.annToRLE(a)["counts"] for a in many]
    for threads in (1, 3):
        flat, offsets, sizes, index, strings, big = ce._parse_masks(many, gt, threads, "gt")
        assert strings is None and not big
        got = maskcore.RLEBatch._wrap(flat, offsets, sizes)
        idx = np.arange(len(many)) if index is None else index
        assert [got[int(i)].to_string() for i in idx] == want


def _segm_kind_ref(s):
    """The parse path of a segmentation: 0 compressed RLE dict, 1 polygons of >= 6 numbers
    each, 2 anything else (tests the native classifier)."""
    if type(s) is list:
        try:
            return 1 if s and min(len(part) for part in s) > 5 else 2
        except TypeError:
            return 2
    return 0 if type(s) is dict and type(s.get("counts")) in (str, bytes) else 2


class _Sized:
    def __len__(self):
        return 8


_SEGMS = st.one_of(
    st.lists(st.one_of(st.lists(st.floats(0, 9), max_size=9), st.just("abcdefg"), st.just(3), st.just(_Sized()),
                       st.tuples(*[st.integers(0, 9)] * 6)), max_size=3),
    st.fixed_dictionaries({"counts": st.one_of(st.text(max_size=3), st.binary(max_size=3), st.lists(st.integers())),
                           "size": st.one_of(st.lists(st.integers(0, 2 ** 40), min_size=2, max_size=2),
                                             st.just([1, "x"]), st.just((2, 2)))}),
    st.dictionaries(st.sampled_from(["size", "cnts"]), st.integers(), max_size=2),
    st.none(), st.integers(), st.text(max_size=2))


@settings(max_examples=300, deadline=None)
@given(st.lists(_SEGMS, max_size=12))
def test_segm_kinds_match_reference(segms):
    kinds, big = maskcore._core.eval_segm_kinds(segms)
    assert kinds.tolist() == [_segm_kind_ref(s) for s in segms]
    assert big == any(k == 0 and type(s["size"]) is list and all(type(v) is int for v in s["size"])
                      and s["size"][0] > 0 and s["size"][1] > 0 and s["size"][0] * s["size"][1] >= 2 ** 32
                      for k, s in zip(kinds.tolist(), segms))
