"""Make the sample dataset the repository carries (examples/sample/), with maskcore's own code.

    python tools/make_sample.py [--out examples/sample]

Six small street scenes (160 x 120), drawn from polygons with :func:`maskcore.rasterize` (the
COCO rule, so every format below holds the very same pixels), in three formats:

``images/scene_K.png``          the "photos" (flat colours, a gradient and a little seeded noise)
``labels/scene_K.png``          semantic label maps (8-bit; class values 0, 3, 6, 9, 12, 15)
``coco/instances.json``         COCO instances: polygons, one crowd RLE
``panoptic/panoptic.json`` + ``panoptic/panoptic/scene_K.png``   COCO panoptic
``labels.json``                 the class table (value -> name) and the allowed values

Deliberate defects (what ``maskcore validate`` must find; tests/test_cli_jobs.py pins them):

- labels/scene_1.png: the sky's lower edge feathered into the background (values 1 and 2, between
  0 and 3: ``antialiased_edge``);
- labels/scene_2.png: a stray blob of value 200 (``unknown_label``);
- labels/scene_3.png: three specks of 2-3 pixels (``small_component`` with --min-island 4);
- labels/scene_4.png: truncated half-way (a corrupt PNG: an item that fails, the job goes on);
- labels/scene_5.png: a car filling most of the image (``class_share_anomaly``);
- coco: a declared bbox far off (``bbox_mismatch``), a declared area far off (``area_mismatch``),
  a single polygon crossing itself into two lobes (``split_instance``), a polygon with an odd
  number of coordinates, an unknown category id, an annotation of an image that is not listed,
  a polygon outside the image (``empty``);
- panoptic/panoptic/scene_4.png: a segment id missing from its segments_info (an item that fails).

The output is deterministic (fixed seeds, fixed PNG settings): running it again gives the same
bytes, which tests/test_cli_jobs.py checks against the committed copy.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

try:
    import maskcore
except ImportError:  # run from a checkout that has the in-place build but no install
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import maskcore
from maskcore.jobs._files import encode_png  # noqa: E402

H, W = 120, 160
CLASSES = {0: "background", 3: "sky", 6: "road", 9: "car", 12: "person", 15: "tree"}
COLORS = {0: (40, 40, 40), 3: (120, 170, 235), 6: (110, 110, 115), 9: (200, 40, 40), 12: (240, 190, 60),
          15: (40, 140, 60)}
THINGS = {9, 12, 15}


def _ellipse(cx, cy, rx, ry, n=20):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.round(np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1), 1)


def _rect(x, y, w, h):
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], float)


def scene(k: int):
    """The segments of scene k: [(class, polygon (N, 2) float x/y)], in drawing order."""
    rng = np.random.default_rng(1000 + k)
    horizon = 40 + 4 * k
    segs = [(3, _rect(0, 0, W, horizon)), (6, np.array([[0, H], [W, H], [W * 0.62, horizon], [W * 0.38, horizon]]))]
    for _ in range(1 + k % 2):  # trees
        x = float(rng.integers(10, W - 30))
        segs.append((15, _ellipse(x, horizon - 6, 12 + k, 16, 18)))
    for _ in range(2):  # cars
        x, y = float(rng.integers(8, W - 50)), float(rng.integers(horizon + 12, H - 30))
        segs.append((9, np.array([[x, y + 10], [x + 8, y], [x + 32, y], [x + 40, y + 10], [x + 40, y + 22],
                                  [x, y + 22]], float)))
    x = float(rng.integers(20, W - 20))
    segs.append((12, _ellipse(x, horizon + 8, 5, 14, 16)))  # a person
    if k == 5:  # the class-share anomaly: a car filling most of the image
        segs.append((9, _rect(6, 10, W - 12, H - 18)))
    return segs


def rasterize(poly):
    return maskcore.rasterize([poly.ravel().tolist()], H, W, rule="coco").astype(bool)


def photo(k, class_map):
    rng = np.random.default_rng(k)
    img = np.zeros((H, W, 3), np.float64)
    for c, col in COLORS.items():
        img[class_map == c] = col
    img += np.linspace(-18, 18, H)[:, None, None]
    img += rng.integers(-3, 4, (H, W, 1))  # a little grain, grey (compresses better than colour noise)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def build(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    images, annotations, pan_anns = [], [], []
    ann_id = 1
    for k in range(6):
        name = f"scene_{k}.png"
        segs = scene(k)
        cm = np.zeros((H, W), np.uint8)
        inst = np.zeros((H, W), np.int64)
        masks = []
        for j, (c, poly) in enumerate(segs):
            m = rasterize(poly)
            cm[m] = c
            inst[m] = j + 1
            masks.append(m)
        files[f"images/{name}"] = encode_png(photo(k, cm))
        images.append({"id": k + 1, "file_name": name, "height": H, "width": W})
        # COCO instances: the things, each its visible pixels' polygon (the drawn one; later ones on top)
        for j, (c, poly) in enumerate(segs):
            if c not in THINGS:
                continue
            m = inst == j + 1
            if not m.any():
                continue
            rle = maskcore.encode(m)
            ann = {"id": ann_id, "image_id": k + 1, "category_id": c, "iscrowd": 0,
                   "segmentation": [np.round(poly.ravel(), 1).tolist()], "area": float(rle.area),
                   "bbox": [float(v) for v in rle.bbox]}
            # drawn over by a later segment: the visible part as an RLE (what the pixels hold)
            if (masks[j] & ~m).any():
                ann["segmentation"] = rle.to_coco()
            annotations.append(ann)
            ann_id += 1
        # the panoptic PNG: one id per segment (stuff classes too)
        pid = np.zeros((H, W), np.int64)
        infos = []
        for j, (c, _) in enumerate(segs):
            m = inst == j + 1
            if not m.any():
                continue
            sid = c * 1000 + j + 1
            pid[m] = sid
            r = maskcore.encode(m)
            infos.append({"id": int(sid), "category_id": c, "iscrowd": 0, "area": int(r.area),
                          "bbox": [int(v) for v in r.bbox]})
        if k == 4:  # defect: a segment in the PNG without segments_info
            pid[2:6, 2:6] = 77777
        rgb = np.stack([pid % 256, (pid // 256) % 256, pid // 65536], -1).astype(np.uint8)
        files[f"panoptic/panoptic/{name}"] = encode_png(rgb)
        pan_anns.append({"image_id": k + 1, "file_name": name, "segments_info": infos})
        # semantic label maps, with their defects
        lab = cm.copy()
        if k == 1:  # feathered sky edge: 2, 1 below the sky's last row (between 0 and 3)
            hz = 40 + 4 * k
            band = lab[hz:hz + 2] == 6
            lab[hz:hz + 2][band] = 0
            lab[hz - 1][lab[hz - 1] == 3] = 2
            row = lab[hz]
            row[row == 0] = 1
        if k == 2:
            lab[90:96, 120:125] = 200
        if k == 3:
            for (r, c) in ((100, 20), (105, 140), (70, 80)):
                lab[r:r + 1, c:c + 3] = 12
        data = encode_png(lab)
        if k == 4:
            data = data[: len(data) // 2]
        files[f"labels/{name}"] = data

    cats = [{"id": c, "name": n, "supercategory": "thing" if c in THINGS else "stuff"} for c, n in CLASSES.items()
            if c]
    # COCO defects
    byid = {a["id"]: a for a in annotations}
    byid[1]["bbox"] = [byid[1]["bbox"][0] + 40, byid[1]["bbox"][1], byid[1]["bbox"][2], byid[1]["bbox"][3]]
    byid[2]["area"] = byid[2]["area"] * 3 + 500
    nxt = max(byid) + 1
    extra = [
        {"id": nxt, "image_id": 3, "category_id": 12, "iscrowd": 0, "area": 240.0, "bbox": [20, 70, 60, 12],
         # one polygon, two lobes joined by a zero-width neck: two components
         "segmentation": [[20, 70, 30, 70, 30, 82, 20, 82, 20, 76, 70, 76, 70, 70, 80, 70, 80, 82, 70, 82, 70, 76,
                           20, 76]]},
        {"id": nxt + 1, "image_id": 4, "category_id": 9, "iscrowd": 0, "area": 50.0, "bbox": [10, 10, 10, 10],
         "segmentation": [[10, 10, 20, 10, 20, 20, 10]]},
        {"id": nxt + 2, "image_id": 5, "category_id": 99, "iscrowd": 0, "area": 100.0, "bbox": [100, 60, 10, 10],
         "segmentation": [[100, 60, 110, 60, 110, 70, 100, 70]]},
        {"id": nxt + 3, "image_id": 42, "category_id": 9, "iscrowd": 0, "area": 100.0, "bbox": [0, 0, 10, 10],
         "segmentation": [[0, 0, 10, 0, 10, 10, 0, 10]]},
        {"id": nxt + 4, "image_id": 6, "category_id": 12, "iscrowd": 0, "area": 0.0, "bbox": [200, 200, 0, 0],
         "segmentation": [[200, 200, 210, 200, 210, 210, 200, 210]]},
        {"id": nxt + 5, "image_id": 1, "category_id": 15, "iscrowd": 1, "area": 96.0, "bbox": [140, 100, 12, 8],
         "segmentation": maskcore.encode(_box_mask(140, 100, 12, 8)).to_coco()},
    ]
    extra[-1]["segmentation"] = {"size": [H, W], "counts": _uncompressed(_box_mask(140, 100, 12, 8))}
    coco = {"info": {"description": "maskcore sample (tools/make_sample.py)"}, "images": images,
            "annotations": annotations + extra, "categories": cats}
    files["coco/instances.json"] = (json.dumps(coco, indent=None, separators=(",", ":")) + "\n").encode()
    pan_cats = [{"id": c, "name": n, "isthing": int(c in THINGS), "color": list(COLORS[c])}
                for c, n in CLASSES.items() if c]
    pan = {"images": images, "annotations": pan_anns, "categories": pan_cats}
    files["panoptic/panoptic.json"] = (json.dumps(pan, separators=(",", ":")) + "\n").encode()
    files["labels.json"] = (json.dumps({"labels": sorted(CLASSES), "names": {str(k): v for k, v in CLASSES.items()}},
                                       indent=1) + "\n").encode()
    for rel, data in sorted(files.items()):
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return files


def _box_mask(x, y, w, h):
    m = np.zeros((H, W), bool)
    m[y:y + h, x:x + w] = True
    return m


def _uncompressed(m):
    """COCO uncompressed RLE counts (column-major runs, starting with zeros)."""
    flat = m.T.ravel().astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    edges = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(edges).tolist()
    return runs if flat[0] == 0 else [0] + runs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "examples" / "sample"))
    args = ap.parse_args(argv)
    files = build(Path(args.out))
    print(f"wrote {len(files)} files ({sum(len(v) for v in files.values()):,} bytes) to {args.out}")


if __name__ == "__main__":
    main()
