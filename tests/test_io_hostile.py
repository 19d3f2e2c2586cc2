"""Hostile files for every reader of maskcore.io: each must raise a clear exception naming the
file, the field and the value (FormatError is a ValueError), never crash or hang, and writers
must never leave a partial file."""
import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

import maskcore.io as mio
from maskcore import Category, Dataset, ImageRecord, Segments

GOOD_COCO = {
    "images": [{"id": 1, "file_name": "a.jpg", "height": 10, "width": 12}],
    "categories": [{"id": 1, "name": "a"}],
    "annotations": [{"id": 5, "image_id": 1, "category_id": 1, "iscrowd": 0,
                     "segmentation": [[1, 1, 8, 1, 8, 6, 1, 6]]}],
}


def write(tmp_path, name, obj):
    p = tmp_path / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return p


def coco_with(**changes):
    doc = json.loads(json.dumps(GOOD_COCO))
    for path, value in changes.items():
        keys = path.split("__")
        tgt = doc
        for k in keys[:-1]:
            tgt = tgt[int(k)] if k.isdigit() else tgt[k]
        if value is KeyError:
            del tgt[keys[-1]]
        else:
            tgt[keys[-1]] = value
    return doc


def test_good_coco_reads(tmp_path):
    assert mio.read(write(tmp_path, "a.json", GOOD_COCO)).segments_count == 1


@pytest.mark.parametrize("text,match", [
    ('{"images": [', r"a\.json: .*expected"),
    ('{"images": [], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[1, 2', "a.json"),
    ("", "a.json"),
    ("[1, 2]", r"annotations\[0\]: expected an annotation object, got 1"),
    ('{"images": [], "annotations": []} trailing', "end of the data"),
    ('{"a": "\x01"}', "control characters"),
    ("[" * 5000 + "]" * 5000, "512 levels"),
])
def test_coco_broken_json(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        mio.read(write(tmp_path, "a.json", text), "coco")


@pytest.mark.parametrize("change,match", [
    ({"annotations__0__id": "5"}, r"annotations\[0\]\.id: expected an integer, got \"5\""),
    ({"annotations__0__image_id": 1.5}, r"annotations\[0\]\.image_id: expected an integer, got 1\.5"),
    ({"annotations__0__image_id": 99}, r"annotations\[0\]\.image_id: expected the id of an image.*99"),
    ({"annotations__0__category_id": 7}, r"annotations\[0\]\.category_id: .*7"),
    ({"annotations__0__category_id": None}, r"annotations\[0\]\.category_id: expected an integer, got null"),
    ({"annotations__0__iscrowd": 2}, r"annotations\[0\]\.iscrowd: expected 0, 1, true or false, got 2"),
    ({"annotations__0__score": "high"}, r"annotations\[0\]\.score: expected a number"),
    ({"annotations__0__segmentation": "abc"}, r"annotations\[0\]\.segmentation: expected a list of polygons"),
    ({"annotations__0__segmentation": [[1, 2, 3]]}, r"even number of coordinates"),
    ({"annotations__0__segmentation": [[1, 2, "x", 4, 5, 6]]}, r"segmentation: expected a number, got \"x\""),
    ({"annotations__0__segmentation": [[1e300, 2, 3, 4, 5, 6]]}, r"segmentation: expected finite coordinates"),
    ({"annotations__0__segmentation": [[1, 2, 3, 4]]}, r"a box \[x, y, w, h\]"),
    ({"annotations__0__segmentation": {"size": [10, 12], "counts": "\\u00ff"}}, r"segmentation\.counts"),
    ({"annotations__0__segmentation": {"size": [10, 12], "counts": [5, 5]}}, r"segmentation\.counts: expected counts summing"),
    ({"annotations__0__segmentation": {"size": [11, 12], "counts": [132]}},
     r"segmentation\.size: expected the image's \[height, width\], got \[11, 12\] where the image is \[10, 12\]"),
    ({"annotations__0__segmentation": {"size": [10, 12]}}, r"an RLE with 'counts'"),
    ({"annotations__0__segmentation": {"size": [10, 12], "counts": [-1, 121]}}, "non-negative count"),
    ({"annotations__0__segmentation": {"size": ["10", 12], "counts": [120]}}, r"segmentation\.size: expected an integer"),
    ({"annotations__0__id": 2**70}, "fits int64"),
    ({"annotations__0__segmentation": KeyError}, r"annotations\[0\]\.segmentation: expected a segmentation"),
    ({"images__0__height": -1}, r"images\[0\]\.height: expected an integer in \[0, 2147483647\], got -1"),
    ({"images__0__height": 10**15}, r"images\[0\]\.height: expected an integer in"),
    ({"images__0__width": "12"}, r"images\[0\]\.width: expected an integer, got '12'"),
    ({"images": {"id": 1}}, r"images: expected a list"),
    ({"categories__0__id": "x"}, r"categories\[0\]\.id: expected an integer"),
    ({"categories__0__name": 5}, r"categories\[0\]\.name: expected a string"),
])
def test_coco_wrong_fields(tmp_path, change, match):
    p = write(tmp_path, "a.json", coco_with(**change))
    with pytest.raises(ValueError, match=match) as e:
        mio.read(p, "coco")
    assert str(p) in str(e.value)


def test_coco_duplicate_key_and_ids(tmp_path):
    text = json.dumps(GOOD_COCO).replace('"id": 5,', '"id": 5, "id": 6,')
    with pytest.raises(ValueError, match=r"annotations\[0\]\.id: expected each key once"):
        mio.read(write(tmp_path, "a.json", text), "coco")
    doc = coco_with()
    doc["images"].append(dict(doc["images"][0]))
    with pytest.raises(ValueError, match="distinct image ids"):
        mio.read(write(tmp_path, "b.json", doc), "coco")


def test_coco_strict_false_keeps_unknown_category(tmp_path):
    ds = mio.read(write(tmp_path, "a.json", coco_with(annotations__0__category_id=9)), "coco", strict=False)
    assert ds.metadata["unknown_category_ids"] == [9]
    assert ds[0].segments.category_ids.tolist() == [9]


def test_results_without_sizes_refused(tmp_path):
    res = [{"image_id": 1, "category_id": 1, "segmentation": [[1, 1, 5, 1, 5, 5]], "score": 0.5}]
    with pytest.raises(ValueError, match="no image sizes: give images="):
        mio.read(write(tmp_path, "r.json", res), "coco")
    ds = mio.read(write(tmp_path, "r.json", res), "coco", images={1: (10, 12)})
    assert ds[0].segments.scores.tolist() == [0.5] and ds[0].segments.ids.tolist() == [1]


def test_unknown_and_ambiguous_format(tmp_path):
    with pytest.raises(ValueError, match="format: expected one of"):
        mio.read(write(tmp_path, "a.json", GOOD_COCO), "coco-instances")
    png = tmp_path / "a.png"
    Image.fromarray(np.zeros((3, 3), np.uint8)).save(png)
    with pytest.raises(ValueError, match="pass format="):
        mio.read(png)
    with pytest.raises(ValueError, match="pass format="):
        mio.read(write(tmp_path, "r.json", [{"image_id": 1}]))
    assert mio.detect(write(tmp_path, "c.json", GOOD_COCO)) == "coco"


# ---- PNG based readers ----------------------------------------------------------------------------------

def index_doc(**item):
    it = {"image_id": 1, "file_name": "a.jpg", "mask": "m.png", "height": 4, "width": 5,
          "segments": [{"index": 1, "category_id": 1}, {"index": 2, "label": "b"}]}
    it.update(item)
    return {"categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], "items": [it]}


def good_index(tmp_path, arr=None, **item):
    arr = np.array([[0, 1, 1, 2, 2]] * 4, np.uint8) if arr is None else arr
    Image.fromarray(arr).save(tmp_path / "m.png")
    return write(tmp_path, "i.json", index_doc(**item))


def test_index_png_good(tmp_path):
    ds = mio.read(good_index(tmp_path), "index-png")
    assert ds[0].segments.ids.tolist() == [1, 2] and ds[0].segments.category_ids.tolist() == [1, 2]


def test_index_png_hostile(tmp_path):
    p = good_index(tmp_path, height=5)
    with pytest.raises(ValueError, match=r"m\.png: size: expected 5x5 .*got <5x4>"):
        mio.read(p, "index-png")
    p = good_index(tmp_path, np.array([[0, 1, 3, 2, 2]] * 4, np.uint8))
    with pytest.raises(ValueError, match=r"m\.png: .*4 pixels .*is 3"):
        mio.read(p, "index-png")
    p = good_index(tmp_path, np.array([[0, 1, 1, 2, 2]] * 4, np.uint16), bit_depth=8)
    Image.fromarray(np.array([[0, 1, 1, 2, 2]] * 4, np.uint16)).save(tmp_path / "m.png")
    with pytest.raises(ValueError, match=r"m\.png: bit_depth: expected an 8-bit PNG"):
        mio.read(p, "index-png")
    p = good_index(tmp_path, segments=[{"index": 1, "label": "zebra"}])
    with pytest.raises(ValueError, match=r"segments\[0\]\.label: .*'zebra'"):
        mio.read(p, "index-png")
    p = good_index(tmp_path, segments=[{"index": "1"}])
    with pytest.raises(ValueError, match=r"segments\[0\]\.index: expected an integer, got '1'"):
        mio.read(p, "index-png")
    p = good_index(tmp_path, segments=[{"index": 70000}])
    with pytest.raises(ValueError, match=r"index: expected an integer in \[0, 65535\], got 70000"):
        mio.read(p, "index-png")
    Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(tmp_path / "m.png")
    with pytest.raises(ValueError, match=r"m\.png: mode: expected one of"):
        mio.read(write(tmp_path, "i.json", index_doc()), "index-png")


def test_truncated_and_bogus_png(tmp_path):
    p = good_index(tmp_path)
    data = (tmp_path / "m.png").read_bytes()
    (tmp_path / "m.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"m\.png: not a readable PNG"):
        mio.read(p, "index-png")
    (tmp_path / "m.png").write_bytes(b"not a png at all")
    with pytest.raises(ValueError, match=r"m\.png: not a readable PNG"):
        mio.read(p, "index-png")
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / "m.png", format="BMP")
    with pytest.raises(ValueError, match=r"m\.png: mask: expected a PNG file, got <BMP file>"):
        mio.read(p, "index-png")


def _png_header_only(path, w, h):
    """A PNG whose IHDR declares w x h (an enormous size) with a tiny, wrong data stream."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10))
                     + chunk(b"IEND", b""))


def test_enormous_declared_sizes(tmp_path):
    _png_header_only(tmp_path / "m.png", 200000, 200000)
    p = write(tmp_path, "i.json", index_doc(height=200000, width=200000))
    with pytest.raises(ValueError, match=r"m\.png: size: expected at most"):
        mio.read(p, "index-png")
    doc = coco_with(images__0__height=2**31 - 1, images__0__width=2**31 - 1)
    ds = mio.read(write(tmp_path, "a.json", doc), "coco")  # runs, not pixels: fine
    assert ds[0].segments.area.tolist() == [35]


def test_panoptic_hostile(tmp_path):
    ids = np.array([[0, 5, 5], [7, 7, 0]], np.uint32)
    rgb = np.stack([ids & 255, ids >> 8 & 255, ids >> 16], -1).astype(np.uint8)
    (tmp_path / "p").mkdir()
    Image.fromarray(rgb).save(tmp_path / "p/1.png")
    doc = {"images": [{"id": 1, "file_name": "1.jpg", "height": 2, "width": 3}],
           "categories": [{"id": 1, "name": "x", "isthing": 1}],
           "annotations": [{"image_id": 1, "file_name": "1.png",
                            "segments_info": [{"id": 5, "category_id": 1}, {"id": 7, "category_id": 1}]}]}
    ds = mio.read(write(tmp_path, "p.json", doc), "coco-panoptic")
    assert ds[0].segments.ids.tolist() == [5, 7]
    bad = json.loads(json.dumps(doc))
    bad["annotations"][0]["segments_info"].pop()
    with pytest.raises(ValueError, match=r"1\.png: segment id 7 .* not in segments_info"):
        mio.read(write(tmp_path, "p.json", bad), "coco-panoptic")
    bad = json.loads(json.dumps(doc))
    bad["images"][0]["width"] = 4
    with pytest.raises(ValueError, match=r"1\.png: size: expected 4x2"):
        mio.read(write(tmp_path, "p.json", bad), "coco-panoptic")
    bad = json.loads(json.dumps(doc))
    bad["annotations"][0]["segments_info"][0]["category_id"] = 3
    with pytest.raises(ValueError, match=r"segments_info\[0\]\.category_id: .*3"):
        mio.read(write(tmp_path, "p.json", bad), "coco-panoptic")
    Image.fromarray(ids.astype(np.uint8)).save(tmp_path / "p/1.png")
    with pytest.raises(ValueError, match=r"1\.png: mode: expected one of RGB, got 'L'"):
        mio.read(write(tmp_path, "p.json", doc), "coco-panoptic")


def test_rgb_table_hostile(tmp_path):
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[0, 1] = (255, 0, 0)
    rgb[1, 2] = (254, 0, 0)
    Image.fromarray(rgb).save(tmp_path / "m.png")
    doc = {"items": [{"mask": "m.png", "height": 2, "width": 3, "features": [{"color": [255, 0, 0], "id": 1}]}]}
    p = write(tmp_path, "t.json", doc)
    with pytest.raises(ValueError, match=r"m\.png: .*1 pixels .*\(1, 2\), is \(254, 0, 0\)"):
        mio.read(p, "rgb")
    ds = mio.read(p, "rgb", snap="nearest")
    assert ds[0].metadata["snap_report"] == {"snapped_pixels": 1, "snapped_colors": 1}
    doc["items"][0]["features"][0]["color"] = [256, 0, 0]
    with pytest.raises(ValueError, match=r"features\[0\]\.color: expected \[r, g, b\]"):
        mio.read(write(tmp_path, "t.json", doc), "rgb")
    Image.fromarray(np.zeros((2, 3), np.uint8), "L").convert("P").save(tmp_path / "m.png")
    doc["items"][0]["features"][0]["color"] = [255, 0, 0]
    with pytest.raises(ValueError, match="a palette PNG holds indices"):
        mio.read(write(tmp_path, "t.json", doc), "rgb")


def test_voc_cityscapes_hostile(tmp_path):
    (tmp_path / "voc/SegmentationClass").mkdir(parents=True)
    Image.fromarray(np.zeros((3, 3, 3), np.uint8)).save(tmp_path / "voc/SegmentationClass/a.png")
    with pytest.raises(ValueError, match=r"a\.png: mode: expected one of P, L, got 'RGB'"):
        mio.read(tmp_path / "voc", "voc")
    with pytest.raises(ValueError, match="no PNG files"):
        mio.read(tmp_path / "nothing", "voc")
    (tmp_path / "cs").mkdir()
    Image.fromarray(np.full((2, 2), 40000, np.uint16)).save(tmp_path / "cs/x_gtFine_instanceIds.png")
    with pytest.raises(ValueError, match="pixel value 40000: class 40 is not a Cityscapes label id"):
        mio.read(tmp_path / "cs", "cityscapes")


def test_text_formats_hostile(tmp_path):
    (tmp_path / "l").mkdir()
    (tmp_path / "l/a.txt").write_text("0 0.1 0.1 0.5 0.1 0.5\n")
    with pytest.raises(ValueError, match=r"a\.txt: line 1 coordinates: expected an even count"):
        mio.read(tmp_path / "l", "yolo-seg", sizes={"a": (10, 10)})
    (tmp_path / "l/a.txt").write_text("0 0.1 0.1 0.5 0.1 0.5 1.5\n")
    with pytest.raises(ValueError, match=r"line 1 coordinates: expected normalized values .* got 1\.5"):
        mio.read(tmp_path / "l", "yolo-seg", sizes={"a": (10, 10)})
    (tmp_path / "l/a.txt").write_text("x 0.1 0.1 0.5 0.1 0.5 0.5\n")
    with pytest.raises(ValueError, match=r"line 1 class: expected a non-negative integer, got 'x'"):
        mio.read(tmp_path / "l", "yolo-seg", sizes={"a": (10, 10)})
    with pytest.raises(ValueError, match=r"no image size for 'a'"):
        mio.read(tmp_path / "l", "yolo-seg", sizes={"b": (10, 10)})
    (tmp_path / "k.csv").write_text("ImageId,EncodedPixels\nimg,1 3 2 2\n")
    with pytest.raises(ValueError, match=r"k\.csv: line 2 EncodedPixels"):
        mio.read(tmp_path / "k.csv", "kaggle-csv", shape=(3, 3))
    with pytest.raises(ValueError, match="never guessed"):
        mio.read(tmp_path / "k.csv", "kaggle-csv")
    (tmp_path / "k.csv").write_text("Foo,Bar\n")
    with pytest.raises(ValueError, match=r"header: expected a image column"):
        mio.read(tmp_path / "k.csv", "kaggle-csv", shape=(3, 3))
    (tmp_path / "c.xml").write_text("<annotations><image id='1' width='4' height='4'>")
    with pytest.raises(ValueError, match=r"c\.xml: invalid XML"):
        mio.read(tmp_path / "c.xml", "cvat")
    (tmp_path / "c.xml").write_text("<annotations><meta><labels><label><name>a</name></label></labels></meta>"
                                    "<image id='1' width='4' height='4'><mask label='a' rle='1, 2' left='0' top='0' "
                                    "width='2' height='2'/></image></annotations>")
    with pytest.raises(ValueError, match=r"c\.xml: image\[0\]\.mask\[0\]\.rle"):
        mio.read(tmp_path / "c.xml", "cvat")
    (tmp_path / "c.xml").write_text("<annotations><image id='1' width='4' height='4'><polygon label='zz' "
                                    "points='0,0;1,1;2,0'/></image></annotations>")
    with pytest.raises(ValueError, match=r"polygon\[0\]\.label: .*'zz'"):
        mio.read(tmp_path / "c.xml", "cvat")
    lm = {"imageHeight": 4, "imageWidth": 4, "shapes": [{"label": "a", "points": [[0, 0], [1, "x"]],
                                                         "shape_type": "polygon"}]}
    with pytest.raises(ValueError, match=r"shapes\[0\]\.points: expected a list of \[x, y\] numbers"):
        mio.read(write(tmp_path, "lm.json", lm), "labelme")
    lm = {"imageHeight": 4, "imageWidth": 4, "shapes": [{"label": "a", "points": [[0, 0], [1, 1]],
                                                         "shape_type": "mask", "mask": "!!!"}]}
    with pytest.raises(ValueError, match=r"shapes\[0\]\.mask: not a base64 PNG"):
        mio.read(write(tmp_path, "lm.json", lm), "labelme")
    (tmp_path / "b.ndjson").write_text('{"dataRow": {"id": "x"}, "mask": {"png": "m.png"}}\n{oops\n')
    with pytest.raises(ValueError, match=r"b\.ndjson: line 2: invalid JSON"):
        mio.read(tmp_path / "b.ndjson", "labelbox-ndjson")


def test_nifti_hostile(tmp_path):
    nib = pytest.importorskip("nibabel")
    (tmp_path / "a.nii.gz").write_bytes(b"\x1f\x8b broken")
    with pytest.raises(ValueError, match=r"a\.nii\.gz: not a readable NIfTI volume"):
        mio.read(tmp_path / "a.nii.gz", "nifti")
    vol = np.zeros((3, 3, 2), np.float32)
    vol[1, 1, 0] = 1.5
    nib.save(nib.Nifti1Image(vol, np.eye(4)), str(tmp_path / "b.nii.gz"))
    with pytest.raises(ValueError, match="whole-number labels, got 1.5"):
        mio.read(tmp_path / "b.nii.gz", "nifti")


def test_nifti_missing_nibabel_message(monkeypatch):
    import builtins
    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "nibabel":
            raise ImportError("no")
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match="pip install nibabel"):
        mio.read("x.nii.gz", "nifti")


# ---- writers: atomic ------------------------------------------------------------------------------------

def test_failed_write_leaves_nothing(tmp_path):
    a = np.zeros((4, 4), bool)
    a[:2] = True
    b = np.zeros((4, 4), bool)
    b[1:3] = True
    import maskcore
    s = Segments(maskcore.encode(np.stack([a, b], 2)), [1, 2], [1, 1])
    ds = Dataset([ImageRecord(1, "a.jpg", 4, 4, {}, s)], [Category(1, "a")])
    (tmp_path / "keep.json").write_text("old")
    for fmt, target in (("index-png", "keep.json"), ("coco-panoptic", "keep.json"), ("rgb", "keep.json")):
        with pytest.raises(ValueError, match="share 4 pixels"):
            mio.write(ds, tmp_path / target, fmt)
        assert (tmp_path / "keep.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["keep.json"]
    s2 = Segments(maskcore.encode(np.stack([a], 2)), [70000], [1])
    with pytest.raises(ValueError, match="does not fit an index PNG"):
        mio.write(Dataset([ImageRecord(1, "a.jpg", 4, 4, {}, s2)]), tmp_path / "x.json", "index-png")
    assert not (tmp_path / "x.json").exists()


def test_failed_write_removes_the_folders_it_made(tmp_path):
    """Image 1 is written (its folder made) before image 2 fails: nothing is left, neither
    files nor the folders the write made; a folder that was there before stays."""
    import maskcore
    ok = np.zeros((4, 4), bool)
    ok[:2] = True
    good = Segments(maskcore.encode(np.stack([ok], 2)), [1], [1])
    bad = Segments(maskcore.encode(np.stack([ok, ok], 2)), [1, 2], [1, 1])  # overlapping
    ds = Dataset([ImageRecord(1, "a.jpg", 4, 4, {}, good), ImageRecord(2, "b.jpg", 4, 4, {}, bad)], [Category(1, "a")])
    (tmp_path / "old").mkdir()
    for fmt, kw in (("index-png", {"threads": 1}), ("rgb", {"threads": 1}), ("coco-panoptic", {})):
        with pytest.raises(ValueError, match="share 8 pixels"):
            mio.write(ds, tmp_path / "deep" / "er" / "t.json", fmt, **kw)
        with pytest.raises(ValueError, match="share 8 pixels"):
            mio.write(ds, tmp_path / "old" / "t.json", fmt, **kw)
        assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["old"], fmt
