"""maskcore.coco against pycocotools.mask on every RLE in the real COCO / LVIS / panoptic
JSON files of ../shared/data (see its SOURCES.md): GT crowd regions (uncompressed RLE),
model predictions and panoptic segments (compressed RLE).

For each file: frPyObjects, decode, encode, area, toBbox and merge must give the same
bytes / arrays as pycocotools, and per image the IoU matrices (predictions against GT
crowd regions, and each image's RLEs against each other, plain and crowd) must be equal.
Polygons are tested in test_coco_polygons.py. Skips with a reason when ../shared/data
is absent.
"""
import json
from collections import defaultdict

import numpy as np
import pycocotools.mask as M
import pytest

from maskcore import coco as C

from paths import SHARED_DATA as SHARED

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def _entries(doc):
    """(image_id, segmentation, iscrowd) for every RLE segmentation in a COCO JSON document."""
    items = doc.get("annotations", []) if isinstance(doc, dict) else doc
    out = []
    for a in items if isinstance(items, list) else []:
        seg = a.get("segmentation") if isinstance(a, dict) else None
        if isinstance(seg, dict) and "counts" in seg and "size" in seg:
            out.append((a.get("image_id"), seg, int(a.get("iscrowd", 0))))
    return out


def _load():
    """{relative path: entries} for every JSON file under ../shared/data holding an RLE."""
    found = {}
    for path in sorted(SHARED.rglob("*.json")):
        entries = _entries(json.loads(path.read_text()))
        if entries:
            found[str(path.relative_to(SHARED))] = entries
    return found


if SHARED.is_dir():
    DATA = _load()
    FILES = sorted(DATA)
else:
    DATA, FILES = {}, [pytest.param(None, marks=pytest.mark.skip(
        reason=f"../shared/data is absent: the real COCO data is expected at {SHARED}"))]


def _compressed(seg):
    """pycocotools' compressed dict for a COCO segmentation (as COCO.annToRLE does)."""
    if isinstance(seg["counts"], list):
        h, w = seg["size"]
        return M.frPyObjects(seg, h, w)
    return {"size": seg["size"], "counts": seg["counts"].encode() if isinstance(seg["counts"], str) else seg["counts"]}


def _chunks(seq, n=200):
    """pycocotools' area() fails for 256+ RLEs under numpy 2, so ask it in chunks."""
    return [seq[i:i + n] for i in range(0, len(seq), n)]


def test_shared_data_has_rles():
    if not SHARED.is_dir():
        pytest.skip(f"../shared/data is absent: the real COCO data is expected at {SHARED}")
    assert "coco_val2014_first100/instances_val2014_fakesegm_results.json" in DATA
    assert sum(len(v) for v in DATA.values()) >= 500


@pytest.mark.parametrize("name", FILES)
def test_roundtrip(name):
    entries = DATA[name]
    segs = [s for _, s, _ in entries]
    want = [_compressed(s) for s in segs]
    got = []
    for s in segs:
        h, w = s["size"]
        got.append(C.frPyObjects(s, h, w))
    assert got == want
    for r in want:
        mask = M.decode(r)
        mine = C.decode(r)
        assert mine.dtype == mask.dtype and mine.shape == mask.shape and mine.flags.f_contiguous
        np.testing.assert_array_equal(mine, mask)
        assert C.encode(mine) == M.encode(mask) == r  # canonical strings survive the round trip
    area = C.area(want)
    assert area.dtype == np.uint32
    np.testing.assert_array_equal(area, np.concatenate([M.area(c) for c in _chunks(want)]))
    np.testing.assert_array_equal(C.toBbox(want), M.toBbox(want))


@pytest.mark.parametrize("name", FILES)
def test_per_image_iou_and_merge(name):
    by_image = defaultdict(list)
    for image_id, seg, crowd in DATA[name]:
        by_image[image_id].append((_compressed(seg), crowd))
    for image_id, items in by_image.items():
        rles = [r for r, _ in items]
        if len({tuple(r["size"]) for r in rles}) != 1:
            continue
        crowd = [c for _, c in items]
        for flags in (crowd, [0] * len(rles), [1] * len(rles)):
            want = M.iou(rles, rles, flags)
            got = C.iou(rles, rles, flags)
            assert got.flags.f_contiguous
            np.testing.assert_array_equal(got, want)
        for intersect in (False, True):
            assert C.merge(rles, intersect) == M.merge(rles, intersect)


def test_predictions_vs_gt_crowd():
    """IoU of the val2014 predictions against the GT crowd RLEs of the same image."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared/data is absent: the real COCO data is expected at {SHARED}")
    folder = SHARED / "coco_val2014_first100"
    gt = json.loads((folder / "instances_val2014_gt.json").read_text())
    dt = json.loads((folder / "instances_val2014_fakesegm_results.json").read_text())
    sizes = {im["id"]: (im["height"], im["width"]) for im in gt["images"]}
    gts, dts = defaultdict(list), defaultdict(list)
    for a in gt["annotations"]:
        if isinstance(a["segmentation"], dict):
            h, w = sizes[a["image_id"]]
            gts[a["image_id"]].append((a["segmentation"], a["iscrowd"], h, w))
    for d in dt:
        dts[d["image_id"]].append(d["segmentation"])
    pairs = 0
    for image_id, g in gts.items():
        d = dts.get(image_id, [])
        g_mine = [C.frPyObjects(s, h, w) for s, _, h, w in g]
        g_ref = [M.frPyObjects(s, h, w) for s, _, h, w in g]
        assert g_mine == g_ref
        flags = [c for _, c, _, _ in g]
        want = M.iou(d, g_ref, flags)
        got = C.iou(d, g_mine, flags)
        if isinstance(want, list):
            assert got == []
            continue
        np.testing.assert_array_equal(got, want)
        assert got.flags.f_contiguous and got.shape == (len(d), len(g))
        pairs += got.size
    assert pairs > 0


def _boxes_by_image():
    """{(file, image_id): (h, w, float64 (n, 4) COCO boxes)} for every annotation box under
    ../shared/data whose image size is known (ground truth and detection results alike)."""
    sizes, boxes = {}, defaultdict(list)
    docs = {str(p.relative_to(SHARED)): json.loads(p.read_text()) for p in sorted(SHARED.rglob("*.json"))}
    for doc in docs.values():
        if isinstance(doc, dict):
            for im in doc.get("images", []) or []:
                if isinstance(im, dict) and {"id", "height", "width"} <= im.keys():
                    sizes[im["id"]] = (im["height"], im["width"])
    for name, doc in docs.items():
        items = doc.get("annotations", []) if isinstance(doc, dict) else doc
        for a in items if isinstance(items, list) else []:
            if isinstance(a, dict) and isinstance(a.get("bbox"), list) and len(a["bbox"]) == 4 and a.get("image_id") in sizes:
                boxes[(name, a["image_id"])].append(a["bbox"])
    return {k: (*sizes[k[1]], np.array(v, dtype=np.float64)) for k, v in boxes.items()}


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"../shared/data is absent: the real COCO data is expected at {SHARED}")
def test_every_real_box_rasterizes_and_overlaps_like_pycocotools():
    """Every annotation and detection box in ../shared/data: frPyObjects (pycocotools
    rasterizes a box through its x5 polygon path) gives the same bytes, and per image the
    box IoU matrix (plain and crowd) and the RLE IoU of the rasterized boxes are equal."""
    per_image = _boxes_by_image()
    assert sum(len(b) for *_, b in per_image.values()) > 1000  # the COCO files hold thousands
    for (name, image_id), (h, w, b) in per_image.items():
        mine, ref = C.frPyObjects(b, h, w), M.frPyObjects(b, h, w)
        assert [r["counts"] for r in mine] == [r["counts"] for r in ref], (name, image_id)
        crowd = [i % 2 for i in range(len(b))]
        np.testing.assert_array_equal(C.iou(b, b, crowd), M.iou(b, b, crowd))
        np.testing.assert_array_equal(C.iou(mine, mine, crowd), M.iou(ref, ref, crowd))
