"""maskcore.io: readers against the peers that define each format (pycocotools' annToRLE,
panopticapi's rgb2id, Pillow's P-mode indices, nibabel), round trips A -> B -> A on the real
data of ../shared/data, and hypothesis round trips of random tables through every writer."""
import contextlib
import io as _io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import maskcore
import maskcore.io as mio
from maskcore import Category, Dataset, ImageRecord, Segments

COCO_GT = [
    "coco_val2014_first100/instances_val2014_gt.json",
    "coco_mini_val2017/instances_val2017.json",
    "coco_mini_train2017_annotations/instances_train2017.json",
    "lvis_val_100/lvis_val_gt.json",
    "coco_val2017_panoptic20_labelbox/instances_with_crowd_rle.json",
    "coco_val2017_panoptic20_labelbox/instances_polygons_only.json",
]


def same_segments(a: Segments, b: Segments, attributes=True):
    assert a.shape == b.shape
    assert a.ids.tolist() == b.ids.tolist()
    assert a.category_ids.tolist() == b.category_ids.tolist()
    assert a.iscrowd.tolist() == b.iscrowd.tolist()
    assert [r == s for r, s in zip(a.masks, b.masks)] == [True] * len(a)
    if attributes:
        assert a.attributes == b.attributes


def same_datasets(a: Dataset, b: Dataset, attributes=True, ids=True):
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        if ids:
            assert ra.image_id == rb.image_id
        assert (ra.height, ra.width) == (rb.height, rb.width)
        same_segments(ra.segments, rb.segments, attributes)


def png(path):
    """(pixels, mode, palette) of a PNG, the file closed."""
    with Image.open(path) as im:
        return np.array(im), im.mode, im.getpalette()


def quiet_coco(path):
    from pycocotools.coco import COCO
    with contextlib.redirect_stdout(_io.StringIO()):
        return COCO(str(path))


# ---- COCO ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", COCO_GT)
def test_coco_masks_equal_annToRLE(shared_data, name):
    ds = mio.read(shared_data / name, "coco")
    c = quiet_coco(shared_data / name)
    assert ds.segments_count == len(c.anns)
    n = 0
    for rec in ds:
        s = rec.segments
        for i, r in enumerate(s.masks):
            ann = c.anns[int(s.ids[i])]
            want = c.annToRLE(ann)
            assert r.to_string() == want["counts"] and list(r.shape) == list(want["size"])
            assert ann["image_id"] == rec.image_id and ann["category_id"] == s.category_ids[i]
            assert bool(ann.get("iscrowd", 0)) == s.iscrowd[i]
            n += 1
    assert n == len(c.anns)
    assert [c.id for c in ds.categories] == [k["id"] for k in c.dataset["categories"]]


def test_coco_results_equal_loadRes(shared_data):
    gt = shared_data / "coco_val2014_first100/instances_val2014_gt.json"
    res = shared_data / "coco_val2014_first100/instances_val2014_fakesegm_results.json"
    ds = mio.read(res, "coco")  # RLE results carry their sizes
    c = quiet_coco(gt)
    with contextlib.redirect_stdout(_io.StringIO()):
        r = c.loadRes(str(res))
    got = {int(i): (m, float(s)) for rec in ds for i, m, s in zip(rec.segments.ids, rec.segments.masks,
                                                                   rec.segments.scores)}
    assert len(got) == len(r.anns)
    for aid, ann in r.anns.items():
        m, score = got[aid]
        want = r.annToRLE(ann)["counts"]
        assert m.to_string() == (want.encode() if isinstance(want, str) else want)
        assert score == ann["score"]
    with_images = mio.read(res, "coco", images=gt)
    assert [c.id for c in with_images.categories] == [k["id"] for k in c.dataset["categories"]]


@pytest.mark.parametrize("segmentation", ["rle", "auto"])
@pytest.mark.parametrize("name", COCO_GT[:4])
def test_coco_round_trip(shared_data, tmp_path, name, segmentation):
    ds = mio.read(shared_data / name, "coco")
    mio.write(ds, tmp_path / "out.json", "coco", segmentation=segmentation)
    back = mio.read(tmp_path / "out.json", "coco")
    same_datasets(ds, back)
    assert back.categories == ds.categories
    src = json.loads((shared_data / name).read_text())
    out = json.loads((tmp_path / "out.json").read_text())
    assert [i["file_name"] for i in out["images"]] == [i["file_name"] for i in src["images"]]
    if segmentation == "auto":  # polygons wherever they hold the mask exactly, never for crowds
        kinds = [isinstance(a["segmentation"], list) for a in out["annotations"]]
        assert sum(kinds) > 0.8 * len(kinds)
        assert not any(k and a["iscrowd"] for k, a in zip(kinds, out["annotations"]))


def test_coco_polygon_mode_refuses_holes(tmp_path):
    m = np.zeros((9, 9), bool)
    m[1:8, 1:8] = True
    m[4, 4] = False
    s = Segments(maskcore.encode(m[..., None]), [5], [1])
    ds = Dataset([ImageRecord(1, "a.jpg", 9, 9, {}, s)], [Category(1, "x")])
    with pytest.raises(ValueError, match="cannot be written as COCO polygons exactly"):
        mio.write(ds, tmp_path / "a.json", "coco", segmentation="polygon")
    assert not (tmp_path / "a.json").exists()
    mio.write(ds, tmp_path / "a.json", "coco", segmentation="auto")
    out = json.loads((tmp_path / "a.json").read_text())
    assert isinstance(out["annotations"][0]["segmentation"], dict)
    same_datasets(ds, mio.read(tmp_path / "a.json"))


def test_coco_attributes_and_metadata_kept(tmp_path):
    src = {"info": {"v": 1}, "licenses": [{"id": 1}],
           "images": [{"id": 7, "file_name": "x.jpg", "height": 4, "width": 5, "license": 1}],
           "categories": [{"id": 3, "name": "c", "supercategory": "s", "keypoints": ["a"]}],
           "annotations": [{"id": 11, "image_id": 7, "category_id": 3, "iscrowd": 0, "area": 4, "bbox": [0, 0, 2, 2],
                            "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2]], "attributes": {"occluded": True},
                            "note": "caf\u00e9 \\ \"q\""}]}
    (tmp_path / "a.json").write_text(json.dumps(src))
    ds = mio.read(tmp_path / "a.json")
    rec = ds.image(7)
    assert rec.metadata == {"license": 1}
    assert rec.segments.attributes == [{"attributes": {"occluded": True}, "note": "caf\u00e9 \\ \"q\""}]
    assert ds.categories[0].attributes == {"keypoints": ["a"]}
    assert ds.metadata["info"] == {"v": 1}
    mio.write(ds, tmp_path / "b.json", "coco")
    out = json.loads((tmp_path / "b.json").read_text())
    assert out["info"] == {"v": 1} and out["licenses"] == [{"id": 1}]
    assert out["annotations"][0]["note"] == src["annotations"][0]["note"]
    assert out["categories"] == [{"id": 3, "name": "c", "supercategory": "s", "keypoints": ["a"]}]


def test_coco_escaped_rle_string(tmp_path):
    # compressed strings may hold a backslash, escaped in JSON
    m = np.zeros((40, 30), bool)
    m[3:30, 2:25] = True
    m[10:12, 5:20] = False
    r = maskcore.encode(m)
    s = r.to_coco()
    assert "\\" in s["counts"] or True
    doc = {"images": [{"id": 1, "file_name": "a", "height": 40, "width": 30}], "categories": [{"id": 1, "name": "a"}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": s, "iscrowd": 1}]}
    (tmp_path / "a.json").write_text(json.dumps(doc))
    assert mio.read(tmp_path / "a.json")[0].segments.masks[0] == r
    forced = json.dumps(doc).replace(s["counts"], "".join("\\u%04x" % ord(ch) for ch in s["counts"]))
    (tmp_path / "b.json").write_text(forced)
    assert mio.read(tmp_path / "b.json")[0].segments.masks[0] == r


# ---- COCO panoptic -----------------------------------------------------------------------------------

PANOPTIC = [("coco_panoptic_panopticapi/panoptic_examples.json", "coco_panoptic_panopticapi/panoptic_examples"),
            ("coco_val2017_panoptic20_labelbox/panoptic_val2017_subset.json",
             "coco_val2017_panoptic20_labelbox/panoptic_masks")]


@pytest.mark.parametrize("name,pngs", PANOPTIC)
def test_panoptic_ids_as_panopticapi(shared_data, name, pngs):
    ds = mio.read(shared_data / name, "coco-panoptic", png_dir=shared_data / pngs)
    doc = json.loads((shared_data / name).read_text())
    by_image = {a["image_id"]: a for a in doc["annotations"]}
    for rec in ds:
        a = by_image[rec.image_id]
        rgb = png(shared_data / pngs / a["file_name"])[0].astype(np.uint32)
        ids = rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]  # panopticapi's rgb2id
        s = rec.segments
        assert s.ids.tolist() == [si["id"] for si in a["segments_info"]]
        assert s.category_ids.tolist() == [si["category_id"] for si in a["segments_info"]]
        for sid, m in zip(s.ids, s.masks):
            assert np.array_equal(m.decode().astype(bool), ids == sid)
        assert s.area.tolist() == [si["area"] for si in a["segments_info"]]


@pytest.mark.parametrize("name,pngs", PANOPTIC)
@pytest.mark.parametrize("via", ["coco-panoptic", "index-png", "rgb", "coco"])
def test_panoptic_round_trips(shared_data, tmp_path, name, pngs, via):
    ds = mio.read(shared_data / name, "coco-panoptic", png_dir=shared_data / pngs)
    out = tmp_path / "b.json"
    if via == "index-png" and any(len(r.segments) and r.segments.ids.max() > 65535 for r in ds):
        with pytest.raises(ValueError, match="does not fit an index PNG"):
            mio.write(ds, out, via)
        return
    mio.write(ds, out, via)
    mid = mio.read(out, via)
    same_datasets(ds, mid, attributes=via != "rgb")
    mio.write(mid, tmp_path / "c.json", "coco-panoptic")
    back = mio.read(tmp_path / "c.json", "coco-panoptic")
    same_datasets(ds, back, attributes=via != "rgb")


def test_instances_into_label_maps_policy(shared_data, tmp_path):
    ds = mio.read(shared_data / "coco_mini_val2017/instances_val2017.json", "coco")
    with pytest.raises(ValueError, match="does not fit an index PNG"):
        mio.write(ds, tmp_path / "i.json", "index-png")
    with pytest.raises(ValueError, match=r"share \d+ pixels"):
        mio.write(ds, tmp_path / "i.json", "index-png", renumber=True)
    assert not (tmp_path / "i.json").exists() and not (tmp_path / "masks").exists()
    mio.write(ds, tmp_path / "i.json", "index-png", overlap="later-wins", renumber=True)
    back = mio.read(tmp_path / "i.json", "index-png")
    for a, b in zip(ds, back):
        a_seg = a.segments.with_columns(ids=np.arange(1, len(a.segments) + 1))
        assert [m["source_id"] for m in b.segments.attributes] == a.segments.ids.tolist()
        lm = a_seg.to_label_map(np.uint16, overlap="later-wins") if len(a_seg) else np.zeros(a_seg.shape, np.uint16)
        assert np.array_equal(b.segments.to_label_map(np.uint16) if len(b.segments) else lm, lm)
        visible = {int(v) for v in np.unique(lm) if v}
        assert set(b.segments.ids.tolist()) >= visible


# ---- VOC, Cityscapes, semantic maps, NIfTI ----------------------------------------------------------------

def test_voc_reads_palette_indices(shared_data, tmp_path):
    root = shared_data / "pascal_voc2012"
    ds = mio.read(root, "voc")
    idx, mode, _ = png(root / "SegmentationClass/2007_000032.png")
    assert mode == "P"
    s = ds[0].segments
    assert s.ids.tolist() == [v for v in np.unique(idx).tolist() if v]
    for v, m in zip(s.ids, s.masks):
        assert np.array_equal(m.decode().astype(bool), idx == v)
    assert s.iscrowd.tolist() == [v == 255 for v in s.ids.tolist()]
    mio.write(ds, tmp_path / "voc", "voc")
    out, mode, pal = png(tmp_path / "voc/SegmentationClass/2007_000032.png")
    assert mode == "P" and np.array_equal(out, idx)
    assert pal[:3 * 16] == mio.voc.voc_palette()[:16].reshape(-1).tolist()
    same_datasets(ds, mio.read(tmp_path / "voc", "voc"))
    mio.write(ds, tmp_path / "v.json", "index-png")
    same_datasets(ds, mio.read(tmp_path / "v.json", "index-png"))


def test_cityscapes_round_trip(shared_data, tmp_path):
    root = shared_data / "semantic_mmseg_samples/cityscapes"
    ds = mio.read(root, "cityscapes")
    inst_png = next(root.rglob("*_instanceIds.png"))
    inst = png(inst_png)[0].astype(np.int64)
    s = ds[0].segments
    assert s.ids.tolist() == [v for v in np.unique(inst).tolist() if v]
    assert s.category_ids.tolist() == [v // 1000 if v >= 1000 else v for v in s.ids.tolist()]
    labels = png(str(inst_png).replace("instanceIds", "labelIds"))[0]
    assert np.array_equal(s.to_semantic_map(np.uint8), np.where(inst == 0, 0, labels))
    mio.write(ds, tmp_path / "cs", "cityscapes")
    back = mio.read(tmp_path / "cs", "cityscapes")
    same_datasets(ds, back)
    for via in ("index-png", "coco-panoptic", "coco", "kaggle-csv", "cvat", "labelme"):
        target = tmp_path / via / ("x.csv" if via == "kaggle-csv" else "x.xml" if via == "cvat" else "x.json")
        mio.write(ds, target if via != "labelme" else target.parent, via)
        opts = {"shape": (ds[0].height, ds[0].width)} if via == "kaggle-csv" else {}
        mid = mio.read(target if via != "labelme" else target.parent, via, **opts)
        same_segments(ds[0].segments.with_columns(ids=mid[0].segments.ids, category_ids=mid[0].segments.category_ids,
                                                  iscrowd=mid[0].segments.iscrowd, attributes=None)
                      if via in ("kaggle-csv", "cvat", "labelme") else ds[0].segments, mid[0].segments,
                      attributes=False)


SEMANTIC = ["semantic_mmseg_samples/loveda/ann_dir/0.png", "semantic_mmseg_samples/isprs_potsdam/ann_dir",
            "semantic_mmseg_samples/lip/train_segmentations/684_2150041.png",
            "semantic_mmseg_samples/mapillary_vistas/v1.2/__CRyFzoDOXn6unQ6a3DnQ.png"]


@pytest.mark.parametrize("name", SEMANTIC)
def test_semantic_maps_round_trip(shared_data, tmp_path, name):
    p = shared_data / name
    src = p if p.is_file() else sorted(p.glob("*.png"))[0]
    idx = png(src)[0]
    assert idx.ndim == 2
    s = Segments.from_semantic_map(idx)
    for v, m in zip(s.ids, s.masks):
        assert np.array_equal(m.decode().astype(bool), idx == v)
    ds = Dataset([ImageRecord(1, src.name, *idx.shape, {}, s)], [Category(int(v), str(v)) for v in s.ids])
    for via in ("index-png", "voc", "cityscapes", "coco-panoptic", "coco", "rgb"):
        target = tmp_path / via / "x.json"
        path = target.parent if via in ("voc", "cityscapes") else target
        if via == "cityscapes" and idx.max() > 33:  # not Cityscapes' label ids: refused on write
            with pytest.raises(ValueError, match="label table"):
                mio.write(ds, path, via)
            continue
        mio.write(ds, path, via)
        back = mio.read(path, via)
        assert np.array_equal(back[0].segments.to_semantic_map(idx.dtype), np.where(idx == 0, 0, idx)), via


def test_nifti_round_trip(shared_data, tmp_path):
    nib = pytest.importorskip("nibabel")
    src = shared_data / "nifti_3d/mmseg_biomedical/biomedical_ann.nii.gz"
    ds = mio.read(src, "nifti")
    vol = np.asanyarray(nib.load(str(src)).dataobj)
    assert len(ds) == vol.shape[2]
    for z, rec in enumerate(ds):
        assert np.array_equal(rec.segments.to_label_map(vol.dtype) if len(rec.segments) else
                              np.zeros(rec.segments.shape, vol.dtype), vol[:, :, z].T)
    assert ds.metadata["nifti"]["zooms"] == [float(v) for v in nib.load(str(src)).header.get_zooms()[:3]]
    mio.write(ds, tmp_path / "out.nii.gz", "nifti")
    out = nib.load(str(tmp_path / "out.nii.gz"))
    assert np.array_equal(np.asanyarray(out.dataobj), vol)
    assert np.allclose(out.affine, nib.load(str(src)).affine)
    same_datasets(ds, mio.read(tmp_path / "out.nii.gz", "nifti"))


def test_nifti_atlas_float_labels(shared_data, tmp_path):
    nib = pytest.importorskip("nibabel")
    src = shared_data / "nifti_3d/d99_macaque_atlas/D99_atlas_v2.0_right.nii.gz"
    labels = shared_data / "nifti_3d/d99_macaque_atlas/D99_v2.0_labels_semicolon.txt"
    ds = mio.read(src, "nifti", labels=labels)
    vol = np.asanyarray(nib.load(str(src)).dataobj)
    assert len({c.id for c in ds.categories}) >= 366 - 1
    z = vol.shape[2] // 2
    assert np.array_equal(ds[z].segments.to_label_map(np.int64), vol[:, :, z].T.astype(np.int64))
    mio.write(ds, tmp_path / "a.nii.gz", "nifti")
    assert np.array_equal(np.asanyarray(nib.load(str(tmp_path / "a.nii.gz")).dataobj), vol)


# ---- YOLO, Kaggle, CVAT, LabelMe, RGB, Labelbox ------------------------------------------------------------

def test_yolo_policy_report_is_the_truth(shared_data, tmp_path):
    ds = mio.read(shared_data / "coco_val2017_panoptic20_labelbox/instances_polygons_only.json", "coco")
    report = mio.write(ds, tmp_path / "labels", "yolo-seg")
    sizes = {Path(r.file_name).stem: (r.height, r.width) for r in ds}
    with pytest.raises(ValueError, match="never guessed"):
        mio.read(tmp_path / "labels", "yolo-seg")
    back = mio.read(tmp_path / "labels", "yolo-seg", sizes=sizes)
    by_stem = {r.file_name: r for r in back}
    changed = 0
    from maskcore.contours import find_polygons
    for a in ds:
        lines = iter(by_stem[Path(a.file_name).stem].segments.masks)
        for m in a.segments.masks:  # one line per component, in find_polygons order
            k = len(find_polygons(m.decode(), exact=True))
            parts = [next(lines) for _ in range(k)]
            u = maskcore.merge(parts) if parts else None
            changed += int(m.area if u is None else (m ^ u).area)
        assert next(lines, None) is None
    assert report["pixels_changed"] == changed
    assert set(report) == {"vertices_moved", "pixels_changed", "segments_changed"}


def test_yolo_exact_when_sizes_divide(tmp_path):
    lab = np.zeros((16, 32), np.uint8)
    lab[2:9, 3:20] = 1
    lab[10:15, 25:31] = 2
    s = Segments.from_semantic_map(lab)
    ds = Dataset([ImageRecord(1, "a.jpg", 16, 32, {}, s)], [Category(1, "a"), Category(2, "b")])
    report = mio.write(ds, tmp_path / "l", "yolo-seg")
    assert report == {"vertices_moved": 0, "pixels_changed": 0, "segments_changed": 0}
    back = mio.read(tmp_path / "l", "yolo-seg", sizes={"a": (16, 32)})
    assert np.array_equal(back[0].segments.to_semantic_map(), lab)


def test_kaggle_round_trip_both_orders(tmp_path):
    rng = np.random.default_rng(3)
    lab = rng.integers(0, 4, (7, 9)).astype(np.uint8)
    s = Segments.from_label_map(lab).with_columns(category_ids=[1, 2, 3])
    ds = Dataset([ImageRecord(1, "img1", 7, 9, {}, s), ImageRecord(2, "img2", 7, 9, {}, Segments.empty(7, 9))],
                 [Category(i, str(i)) for i in (1, 2, 3)])
    for order in ("F", "C"):
        mio.write(ds, tmp_path / f"{order}.csv", "kaggle-csv", order=order)
        back = mio.read(tmp_path / f"{order}.csv", "kaggle-csv", shape=(7, 9), order=order)
        same_datasets(ds, back, attributes=False)
    text = (tmp_path / "F.csv").read_text().splitlines()
    assert text[0] == "ImageId,EncodedPixels,ClassId" and text[-1] == "img2,,"


def test_cvat_xml_shapes(tmp_path):
    xml = """<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version><meta><task><labels>
<label><name>car</name><color>#ff0000</color></label><label><name>road</name></label>
</labels></task></meta>
<image id="4" name="a.png" width="10" height="8">
  <polygon label="car" source="manual" occluded="0" points="1,1;6,1;6,5;1,5" z_order="0">
    <attribute name="color">red</attribute></polygon>
  <box label="car" xtl="0" ytl="0" xbr="2" ybr="2" occluded="0"/>
  <mask label="road" source="manual" occluded="1" rle="0, 2, 2, 2" left="3" top="6" width="3" height="2" z_order="1"/>
</image></annotations>"""
    (tmp_path / "a.xml").write_text(xml)
    ds = mio.read(tmp_path / "a.xml")
    s = ds.image(4).segments
    assert s.category_ids.tolist() == [1, 2]
    assert s.masks[0] == maskcore.rasterize_rle([1, 1, 6, 1, 6, 5, 1, 5], 8, 10, rule="coco")
    road = np.zeros((8, 10), np.uint8)
    road[6, 3:5] = 1
    road[7, 4:6] = 1
    assert np.array_equal(s.masks[1].decode(), road)
    assert s.attributes[0] == {"occluded": "0", "z_order": "0", "source": "manual", "attributes": {"color": "red"}}
    assert ds.metadata["skipped_shapes"] == 1
    mio.write(ds, tmp_path / "b.xml", "cvat")
    same_datasets(ds, mio.read(tmp_path / "b.xml"))


def test_labelme_shapes_and_round_trip(tmp_path):
    doc = {"version": "5.2.1", "flags": {}, "imagePath": "a.jpg", "imageData": None, "imageHeight": 6,
           "imageWidth": 7, "shapes": [
               {"label": "cat", "points": [[1, 1], [4, 1], [4, 4], [1, 4]], "shape_type": "polygon", "group_id": None,
                "flags": {}},
               {"label": "dog", "points": [[5, 0], [6, 2]], "shape_type": "rectangle", "group_id": 3, "flags": {}},
               {"label": "cat", "points": [[3, 3]], "shape_type": "point", "group_id": None, "flags": {}}]}
    (tmp_path / "a.json").write_text(json.dumps(doc))
    ds = mio.read(tmp_path / "a.json")
    s = ds[0].segments
    assert [c.name for c in ds.categories] == ["cat", "dog"]
    assert s.masks[0] == maskcore.rasterize_rle(np.array([[1, 1], [4, 1], [4, 4], [1, 4]]), 6, 7, rule="inclusive")
    assert s.masks[1].area == 6
    assert ds.metadata["skipped_shapes"] == 1
    mio.write(ds, tmp_path / "out", "labelme")
    back = mio.read(tmp_path / "out", "labelme")
    same_datasets(ds, back)


def test_rgb_and_labelbox_round_trip(shared_data, tmp_path):
    ds = mio.read(shared_data / PANOPTIC[0][0], "coco-panoptic", png_dir=shared_data / PANOPTIC[0][1])
    mio.write(ds, tmp_path / "rgb.json", "rgb")
    rgb = mio.read(tmp_path / "rgb.json", "rgb")
    same_datasets(ds, rgb, attributes=False)
    assert all("color" in a for r in rgb for a in r.segments.attributes)
    mio.write(rgb, tmp_path / "rgb2.json", "rgb")
    same_datasets(rgb, mio.read(tmp_path / "rgb2.json", "rgb"))  # colours and attributes kept
    mio.write(ds, tmp_path / "lb.ndjson", "labelbox-ndjson")
    lb = mio.read(tmp_path / "lb.ndjson", "labelbox-ndjson")
    for a, b in zip(ds, lb):
        assert [m == n for m, n in zip(a.segments.masks, b.segments.masks)] == [True] * len(a.segments)


def test_labelbox_network_masks_refused(tmp_path):
    row = {"uuid": "u", "dataRow": {"id": "d1"}, "name": "car",
           "mask": {"url": "https://api.labelbox.com/masks/x", "color": [255, 0, 0]}}
    (tmp_path / "a.ndjson").write_text(json.dumps(row) + "\n")
    with pytest.raises(mio.FormatError, match="offline"):
        mio.read(tmp_path / "a.ndjson", "labelbox-ndjson")


# ---- hypothesis: random tables through every writer and reader -------------------------------------------------

WRITERS = ["coco", "coco-panoptic", "index-png", "rgb", "voc", "cityscapes", "kaggle-csv", "cvat", "labelme",
           "labelbox-ndjson", "nifti"]


def _target(tmp, fmt):
    return {"coco": tmp / "a.json", "coco-panoptic": tmp / "p.json", "index-png": tmp / "i.json",
            "rgb": tmp / "r.json", "voc": tmp / "voc", "cityscapes": tmp / "cs", "kaggle-csv": tmp / "k.csv",
            "cvat": tmp / "c.xml", "labelme": tmp / "lm", "labelbox-ndjson": tmp / "l.ndjson",
            "nifti": tmp / "v.nii.gz"}[fmt]


@st.composite
def tables(draw):
    h, w = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    k = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lab = rng.integers(0, k + 1, (h, w))
    if draw(st.booleans()):
        small = rng.integers(0, k + 1, ((h + 3) // 4, (w + 3) // 4))
        lab = np.kron(small, np.ones((4, 4), np.int64))[:h, :w]
    big = draw(st.booleans())
    ids = {v: (v * 37 + 1 if big else v) for v in range(1, k + 1)}
    lab = np.vectorize(lambda v: ids.get(int(v), 0))(lab).astype(np.uint16) if lab.size else lab.astype(np.uint16)
    cats = {ids[v]: 1 + (v % 3) for v in range(1, k + 1)}
    return lab, cats


@pytest.mark.parametrize("fmt", WRITERS)
@settings(max_examples=15, deadline=None)
@given(tables())
def test_random_tables_round_trip(tmp_path_factory, fmt, table):
    if fmt == "nifti":
        pytest.importorskip("nibabel")
    lab, cats = table
    tmp = tmp_path_factory.mktemp(fmt.replace("-", ""))
    s = Segments.from_label_map(lab, {v: {"category_id": c} for v, c in cats.items() if (lab == v).any()})
    if fmt == "cityscapes":  # ids as class * 1000 + instance
        s = s.with_columns(ids=26000 + np.arange(len(s)))
    if fmt == "voc":  # a class map: ids are the classes
        sem = s.to_semantic_map(np.uint8)
        s = Segments.from_semantic_map(sem)
    ds = Dataset([ImageRecord(1, "img.png", *lab.shape, {}, s)], [Category(c, f"c{c}") for c in (1, 2, 3)])
    opts = {"kaggle-csv": {"shape": lab.shape}}.get(fmt, {})
    mio.write(ds, _target(tmp, fmt), fmt)
    back = mio.read(_target(tmp, fmt), fmt, **opts)
    b = back[0].segments
    if fmt in ("kaggle-csv", "cvat", "labelme", "labelbox-ndjson"):  # these number rows 1..n themselves
        assert [m == n for m, n in zip(s.masks, b.masks)] == [True] * len(s) and len(b) == len(s)
    elif fmt == "nifti":
        assert np.array_equal(b.to_label_map(np.uint16) if len(b) else np.zeros(lab.shape, np.uint16),
                              s.to_label_map(np.uint16) if len(s) else np.zeros(lab.shape, np.uint16))
    elif fmt == "cityscapes":
        assert np.array_equal(b.to_label_map(np.uint16) if len(b) else 0, s.to_label_map(np.uint16) if len(s) else 0)
    else:
        same_segments(s, b, attributes=False)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 20), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_random_rgb_masks_round_trip(tmp_path_factory, h, w, seed):
    rng = np.random.default_rng(seed)
    pal = np.unique(rng.integers(1, 256, (5, 3)), axis=0)
    idx = rng.integers(0, len(pal) + 1, (h, w))
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[idx > 0] = pal[idx[idx > 0] - 1]
    tmp = tmp_path_factory.mktemp("rgb")
    Image.fromarray(rgb, "RGB").save(tmp / "m.png")
    doc = {"items": [{"mask": "m.png", "height": h, "width": w,
                      "features": [{"color": [int(x) for x in c], "id": i + 1, "name": f"f{i}"}
                                   for i, c in enumerate(pal)]}]}
    (tmp / "t.json").write_text(json.dumps(doc))
    ds = mio.read(tmp / "t.json", "rgb")
    mio.write(ds, tmp / "o" / "t.json", "rgb")
    assert np.array_equal(png(tmp / "o" / "m.png")[0], rgb)
    same_datasets(ds, mio.read(tmp / "o" / "t.json", "rgb"))
