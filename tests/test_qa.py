"""maskcore.qa: validate() / validate_batch() / validate_coco() find every planted defect on real
label maps and COCO files from ../shared/data and report nothing on the clean ones."""
import copy
import json

import cv2
import numpy as np
import pytest
from PIL import Image

import maskcore
from maskcore import qa

SEMANTIC = [
    "semantic_mmseg_samples/cityscapes/gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_labelTrainIds.png",
    "semantic_mmseg_samples/loveda/ann_dir/0.png",
    "semantic_mmseg_samples/isprs_potsdam/ann_dir/2_10_0_0_512_512.png",
    "semantic_mmseg_samples/lip/train_segmentations/684_2150041.png",
    "pascal_voc2012/SegmentationClass/2007_000032.png",
    "semantic_mmseg_samples/mapillary_vistas/v2.0/__CRyFzoDOXn6unQ6a3DnQ.png",
]


def load(root, rel):
    return np.asarray(Image.open(root / rel))


def smallest_component(a):
    sizes = []
    for v in np.unique(a).tolist():
        lab, n = maskcore.label(a == v, connectivity=8)
        sizes.append(np.bincount(lab.ravel())[1:].min())
    return int(min(sizes))


@pytest.fixture(params=SEMANTIC, ids=lambda p: p.split("/")[1])
def label_map(request, shared_data):
    path = shared_data / request.param
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return load(shared_data, request.param)


def test_clean_label_maps_report_nothing(label_map):
    labels = np.unique(label_map).tolist()
    r = qa.validate(label_map, labels=labels, min_size=smallest_component(label_map))
    assert r.ok, r.problems
    assert sum(r.histogram.values()) == label_map.size
    json.loads(r.to_json())


def test_planted_defects_in_label_maps(label_map):
    labels = np.unique(label_map).tolist()
    min_size = max(smallest_component(label_map), 10)
    a = label_map.copy()
    h, w = a.shape
    # an unknown value far from allowed-class edges is an unknown label
    bad = max(labels) + 1 if max(labels) < 255 else next(v for v in range(256) if v not in labels)
    big = int(np.bincount(a.ravel()).argmax())
    rr, cc = np.nonzero(cv2.erode((a == big).astype(np.uint8), np.ones((9, 9), np.uint8)))
    r0, c0 = int(rr[len(rr) // 2]), int(cc[len(cc) // 2])
    a[r0 - 1:r0 + 2, c0 - 1:c0 + 2] = bad
    # a tiny island of another allowed class in the middle of a region (2x2, below min_size)
    other = next(v for v in labels if v not in (big, 0))  # 0 is the background: no component checks
    r1, c1 = int(rr[len(rr) // 4]), int(cc[len(cc) // 4])
    if abs(r1 - r0) < 4 and abs(c1 - c0) < 4:
        r1, c1 = int(rr[0]), int(cc[0])
    a[r1:r1 + 2, c1:c1 + 2] = other
    r = qa.validate(a, labels=labels, min_size=min_size)
    unk = r.of_kind("unknown_label") + r.of_kind("antialiased_edge")
    assert len(unk) == 1 and unk[0].count == 9
    assert unk[0].bbox == (r0 - 1, c0 - 1, r0 + 2, c0 + 2)
    small = r.of_kind("small_component")
    assert any(p.bbox == (r1, c1, r1 + 2, c1 + 2) and p.count == 4 and p.value == other for p in small)
    assert r.kinds() <= {"unknown_label", "antialiased_edge", "small_component"}


def voc_rgb(shared_data):
    im = Image.open(shared_data / "pascal_voc2012/SegmentationClass/2007_000032.png")
    rgb = np.asarray(im.convert("RGB"))
    palette = np.unique(rgb.reshape(-1, 3), axis=0)
    return rgb, palette


def test_rgb_palette_clean_and_defects(shared_data):
    rgb, palette = voc_rgb(shared_data)
    assert qa.validate(rgb, palette=palette).ok
    # anti-aliased edges: a bilinear resize blends neighbouring class colors
    blurred = cv2.resize(rgb, (rgb.shape[1] * 2, rgb.shape[0] * 2), interpolation=cv2.INTER_LINEAR)
    r = qa.validate(blurred, palette=palette)
    edge = r.of_kind("antialiased_edge")
    assert len(edge) == 1 and edge[0].count > 100
    assert not r.of_kind("off_palette") or sum(p.count for p in r.of_kind("off_palette")) < edge[0].count / 20
    # an off-palette color inside a region: reported with its count and box
    planted = rgb.copy()
    planted[10:14, 20:27] = (1, 2, 3)
    r = qa.validate(planted, palette=palette)
    off = r.of_kind("off_palette")
    assert len(off) == 1 and off[0].value == [1, 2, 3] and off[0].count == 28 and off[0].bbox == (10, 20, 14, 27)
    json.loads(r.to_json())
    with pytest.raises(ValueError, match="palette"):
        qa.validate(rgb)


def instances_from(sem, cls):
    lab, n = maskcore.label(sem == cls, connectivity=8)
    return [lab == k for k in range(1, n + 1)]


def pixel_annotations(masks):
    out = []
    for m in masks:
        r = maskcore.encode(m)
        out.append({"area": r.area, "bbox": r.bbox.tolist()})
    return out


def test_instances_clean_and_defects(shared_data):
    sem = load(shared_data, SEMANTIC[2])  # potsdam: instances = components of class 4 (cars)
    cls = max(np.unique(sem).tolist(), key=lambda v: maskcore.label(sem == v, connectivity=8)[1])
    inst = instances_from(sem, cls)
    anns = pixel_annotations(inst)
    assert len(inst) > 3
    assert qa.validate(sem, instances=inst, annotations=anns).ok
    # split instance: a copy of a patch of instance 0 far away on pixels no instance holds
    planted = [m.copy() for m in inst]
    free = ~np.logical_or.reduce(inst)
    free = cv2.erode(free.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    rr, cc = np.nonzero(free)
    r0, c0 = int(rr[len(rr) // 2]), int(cc[len(cc) // 2])
    planted[0][r0:r0 + 2, c0:c0 + 2] = True
    bad_anns = copy.deepcopy(anns)
    bad_anns[0] = pixel_annotations([planted[0]])[0]  # instance 0 is split, its box is right
    bad_anns[1]["bbox"] = [anns[1]["bbox"][0] + 40, anns[1]["bbox"][1], anns[1]["bbox"][2], anns[1]["bbox"][3]]
    r = qa.validate(sem, instances=planted, annotations=bad_anns, min_size=5)
    split = r.of_kind("split_instance")
    assert [p.instance for p in split] == [0]
    assert any(p.instance == 0 and p.bbox == (r0, c0, r0 + 2, c0 + 2) for p in r.of_kind("small_component"))
    assert [p.instance for p in r.of_kind("bbox_mismatch")] == [1]
    # overlap and empty instances
    ov = [m.copy() for m in inst[:2]] + [inst[0].copy(), np.zeros_like(inst[0])]
    r = qa.validate(sem, instances=ov)
    assert [p.value for p in r.of_kind("overlap")] == [[0, 2]]
    assert r.of_kind("overlap")[0].count == int(inst[0].sum())
    assert [p.instance for p in r.of_kind("empty")] == [3]
    assert not qa.validate(sem, instances=ov[:3], allow_overlap=True).of_kind("overlap")


def test_cityscapes_instance_map_split_found(shared_data):
    ids = load(shared_data, "semantic_mmseg_samples/cityscapes/gtFine/val/frankfurt/"
                            "frankfurt_000000_000294_gtFine_instanceIds.png").astype(np.int32)
    inst = np.where(ids >= 1000, ids, 0)
    r = qa.validate((inst > 0).astype(np.uint8), instances=inst)
    # a real occluded car: two components
    assert [p.instance for p in r.of_kind("split_instance")] == [26002]
    r4 = qa.validate((inst > 0).astype(np.uint8), instances=inst, connectivity=4)
    assert {p.instance for p in r4.of_kind("split_instance")} >= {26002}


def test_connectivity_and_empty():
    m = np.zeros((5, 5), np.uint8)
    m[1, 1] = m[2, 2] = 1
    assert qa.validate(m, instances=[m.astype(bool)], connectivity=8).ok
    assert qa.validate(m, instances=[m.astype(bool)], connectivity=4).kinds() == {"split_instance"}
    assert qa.validate(np.zeros((3, 3), np.uint8)).kinds() == {"empty"}
    with pytest.raises(ValueError, match="connectivity"):
        qa.validate(m, connectivity=6)


def test_batch_anomaly(shared_data):
    # A batch from one distribution: crops of one real map at shifted offsets, flipped.
    sem = load(shared_data, SEMANTIC[2])
    tiles = [np.flip(sem[i:i + 448, j:j + 448], axis=f) for f, (i, j) in
             zip((0, 1, 0, 1, 0, 1, 0, 1), ((0, 0), (64, 0), (0, 64), (64, 64), (32, 32), (16, 48), (48, 16), (8, 8)))]
    clean = qa.validate_batch(tiles)
    assert clean.ok, clean.anomalies
    odd = [t.copy() for t in tiles]
    odd[5][:, :250] = 5  # class 5 (clutter) over half of one image
    rep = qa.validate_batch(odd)
    assert {(p.image, p.value) for p in rep.anomalies} >= {(5, 5)}
    assert all(p.image == 5 for p in rep.anomalies)
    assert sum(rep.histogram.values()) == 8 * 448 * 448
    json.loads(rep.to_json())


def test_validate_coco_clean_and_planted(shared_data):
    d = json.loads((shared_data / "coco_mini_val2017/instances_val2017.json").read_text())
    assert qa.validate_coco(d).ok
    bad = copy.deepcopy(d)
    anns = bad["annotations"]
    poly = [i for i, a in enumerate(anns) if isinstance(a["segmentation"], list)]
    anns[poly[0]]["segmentation"].append([10.0, 10.0, 20.0, 10.0])           # 2 points
    anns[poly[1]]["segmentation"].append([10.0, 10.0, 20.0, 10.0, 15.0])     # odd length
    anns[poly[2]]["bbox"] = [anns[poly[2]]["bbox"][0] + 50] + anns[poly[2]]["bbox"][1:]
    anns[poly[3]]["category_id"] = 9999
    anns[poly[4]]["area"] = anns[poly[4]]["area"] * 3
    crowd = next(i for i, a in enumerate(anns) if isinstance(a["segmentation"], dict))
    anns[crowd]["segmentation"]["size"] = [1, 1]
    r = qa.validate_coco(bad)
    found = {(p.kind, p.annotation) for p in r.problems}
    assert found == {("polygon_too_few_points", anns[poly[0]]["id"]), ("polygon_odd_length", anns[poly[1]]["id"]),
                     ("bbox_mismatch", anns[poly[2]]["id"]), ("unknown_category", anns[poly[3]]["id"]),
                     ("area_mismatch", anns[poly[4]]["id"]), ("rle_size_mismatch", anns[crowd]["id"])}
    json.loads(r.to_json())
    with pytest.raises(TypeError):
        qa.validate_coco([])


def test_validate_coco_overlap():
    m = {"images": [{"id": 1, "height": 10, "width": 10}], "categories": [{"id": 1}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 6, 1, 6, 6, 1, 6]],
                          "area": 25, "bbox": [1, 1, 5, 5]},
                         {"id": 2, "image_id": 1, "category_id": 1, "segmentation": [[3, 3, 8, 3, 8, 8, 3, 8]],
                          "area": 25, "bbox": [3, 3, 5, 5]}]}
    assert qa.validate_coco(m).ok
    r = qa.validate_coco(m, allow_overlap=False)
    assert [p.kind for p in r.problems] == ["overlap"] and r.problems[0].value == [1, 2]
