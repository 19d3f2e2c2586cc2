"""Issue 14, defect 1: a pure-Python thread keeps running during every long public call.

Each call below takes more than ~50 ms on this machine; the GIL probe
(tests/gilprobe.py) measures how fast a counter thread runs meanwhile. A call that
holds the GIL for its kernel (as ``maskcore.coco.frPyObjects`` on polygon lists did:
0.005x) stops the counter; one that releases it leaves it at about its idle rate,
half of it when the two share a core. The bar (0.2) is far from both. The calls are the
kernels' and the layers on them (formats, Segments, COCOeval: reading Python objects holds
the GIL, but never for long at a time).
"""
import numpy as np
import pytest

import maskcore
import maskcore.coco
import maskcore.io as mio
from gilprobe import progress
from maskcore.cocoeval import COCOeval

MIN_RATE = 0.2


def _polygon_lists(n, k, size, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0, size, 2 * k).round(2).tolist() for _ in range(n)]


def _blobs(h, w, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((h, w)) < 0.5


def _coco_files(n_img, per_img, seed=0):
    """A COCO instances file of small rectangles (path), its pycocotools COCO and results."""
    import contextlib
    import io
    import json
    import tempfile
    from pathlib import Path

    from pycocotools.coco import COCO
    rng = np.random.default_rng(seed)
    anns = []
    for i in range(n_img):
        for j in range(per_img):
            x, y = rng.uniform(0, 450, 2).round(2).tolist()
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": 1 + j % 5, "iscrowd": 0, "area": 1200.0,
                         "bbox": [x, y, 40, 30], "segmentation": [[x, y, x + 40, y, x + 40, y + 30, x, y + 30]]})
    doc = {"images": [{"id": i, "height": 500, "width": 500, "file_name": f"{i}.png"} for i in range(n_img)],
           "annotations": anns, "categories": [{"id": c, "name": str(c)} for c in range(1, 6)]}
    path = Path(tempfile.mkdtemp(prefix="maskcore-gil-")) / "gt.json"
    path.write_text(json.dumps(doc))
    scores = rng.random(len(anns)).tolist()
    results = [dict({k: v for k, v in a.items() if k != "id"}, score=s) for a, s in zip(anns, scores)]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(path))
        return path, gt, gt.loadRes(results)


def _evaluate(gt, dt, kind):
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        e = COCOeval(gt, dt, kind)
        e.evaluate()
        e.accumulate()


def _calls():
    polys = _polygon_lists(400, 50, 500)
    big = _blobs(3000, 3000)
    lm = np.random.default_rng(1).integers(0, 20, (3000, 3000)).astype(np.uint8)
    img = np.random.default_rng(2).integers(0, 255, (1000, 1000, 3)).astype(np.uint8)
    masks = np.random.default_rng(3).random((300, 300, 64)) < 0.3
    rles = maskcore.encode(masks)
    zig = np.array([(x, (x % 2) * 999.0) for x in np.linspace(0, 999, 40000)])
    square = [[10.0, 10.0, 2990.0, 10.0, 2990.0, 2990.0, 10.0, 2990.0]]
    canvas = np.zeros((3000, 3000), np.uint16)
    labels = maskcore.label(big)[0]
    seg = maskcore.Segments.from_label_map(labels[:2000, :2000])
    gt_json, gt, dt = _coco_files(100, 100)
    return {
        "io.read(coco)": lambda: [mio.read(gt_json, "coco") for _ in range(3)],
        "io.write(index-png)": lambda: mio.write(mio.read(gt_json, "coco"), gt_json.parent / "o" / "i.json",
                                                 "index-png", overlap="later-wins"),
        "Segments.from_label_map": lambda: [maskcore.Segments.from_label_map(labels) for _ in range(2)],
        "Segments.to_label_map": lambda: [seg.to_label_map() for _ in range(2)],
        "mask_nms(batch)": lambda: maskcore.mask_nms(rles, np.linspace(0, 1, len(rles))),
        "COCOeval(segm)": lambda: _evaluate(gt, dt, "segm"),
        "COCOeval(bbox)": lambda: [_evaluate(gt, dt, "bbox") for _ in range(3)],
        "coco.frPyObjects(polygon lists)": lambda: maskcore.coco.frPyObjects(polys, 500, 500),
        "rasterize_rle_batch(polygon lists)": lambda: maskcore.rasterize_rle_batch([[p] for p in polys], 500, 500),
        "rasterize(zigzag)": lambda: [maskcore.rasterize([zig], 1000, 1000) for _ in range(2)],
        "paint(big square)": lambda: [maskcore.paint(canvas, square, 3) for _ in range(20)],
        "encode(3000x3000)": lambda: maskcore.encode(big),
        "decode(batch)": lambda: maskcore.decode(rles),
        "iou(batch x batch)": lambda: [maskcore.iou(rles, rles) for _ in range(2)],
        "merge(batch)": lambda: [maskcore.merge(rles) for _ in range(5)],
        "label(3000x3000)": lambda: maskcore.label(big),
        "component_stats(3000x3000)": lambda: maskcore.component_stats(labels),
        "slic(1000x1000)": lambda: maskcore.slic(img, n_segments=500),
        "find_polygons(3000x3000)": lambda: maskcore.find_polygons(big[:1500, :1500]),
        "confusion_matrix(3000x3000)": lambda: [maskcore.confusion_matrix(lm, lm, 20) for _ in range(3)],
        "boundary_iou(1000x1000)": lambda: maskcore.boundary_iou(big[:1000, :1000], big[1:1001, :1000]),
    }


CALLS = _calls()


@pytest.mark.parametrize("name", list(CALLS))
def test_python_thread_runs_during_long_call(name):
    call = CALLS[name]
    rate, seconds = progress(call)
    if seconds < 0.05:
        pytest.skip(f"{name} took {seconds * 1e3:.0f} ms here (the probe needs >= 50 ms)")
    assert rate >= MIN_RATE, f"{name}: a Python thread ran at {rate:.3f}x its idle rate during the {seconds:.2f} s call"
