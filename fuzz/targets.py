"""Fuzz targets for maskcore's parsers: each takes bytes and must either succeed (and
then satisfy its invariants) or raise one of the documented exceptions. A crash,
a hang, another exception or a broken invariant is a bug.

Targets (name -> function(data: bytes)):

``rle_string``    a compressed COCO counts string (RLE.from_coco, RLEBatch.from_coco,
                  maskcore.coco.decode), round-tripped when it parses
``rle_dict``      a JSON value read as a COCO RLE dict (sizes, counts lists or strings)
``rle_batch``     a JSON list read by RLEBatch.from_coco, checked item by item
``frpyobjects``   a JSON value given to maskcore.coco.frPyObjects
``polygons``      raw float64 coordinates (NaN, inf, huge values included) rasterized
                  by every rule, dense and RLE, which must agree
``coco_json``     a JSON document through validate_coco and ``maskcore check-coco``
                  (exit code 0, 1 or 2, never a traceback)
``png``           a PNG file through maskcore.io's PNG reader (the native unfilter of the
                  layout maskcore writes, Pillow for the rest)
``io_FORMAT_FILE`` one file of a small dataset written by maskcore.io.write(FORMAT) replaced
                  by the bytes, then the dataset read back with maskcore.io.read: one target
                  per reader (and per file kind where a format has two: the table and a PNG);
                  FormatError naming the file, or FileNotFoundError for a file a table names

Used by tests/test_fuzz.py (a bounded hypothesis run and the replay of every file in
fuzz/regressions/<target>/) and by fuzz/run.py (atheris / libFuzzer, open-ended).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import tempfile

import numpy as np

import maskcore
import maskcore.coco
from maskcore.cli import main as cli_main

# What a parser may raise for bad input; anything else escaping is a bug.
EXPECTED = (TypeError, ValueError, OverflowError)


def _size(data: bytes) -> tuple[int, int, bytes]:
    """A small (h, w) from the first two bytes (0..31 each), and the rest."""
    if len(data) < 2:
        return 0, 0, b""
    return data[0] % 32, data[1] % 32, data[2:]


def _json(data: bytes):
    """The bytes as a JSON document, or None (not JSON: nothing to test)."""
    try:
        return json.loads(data.decode("utf-8", "strict"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _check_rle(r: maskcore.RLE):
    c = r.counts.astype(np.uint64)
    assert int(c.sum()) == r.height * r.width, "counts do not sum to h*w"
    again = maskcore.RLE.from_coco(r.to_coco())
    assert again == r and hash(again) == hash(r), "to_coco / from_coco round trip differs"
    if r.height * r.width <= 4096:
        assert maskcore.encode(r.decode()) == r, "decode / encode round trip differs"


def rle_string(data: bytes) -> None:
    h, w, s = _size(data)
    for counts in (s, s.decode("latin-1")):
        try:
            r = maskcore.RLE.from_coco({"size": [h, w], "counts": counts})
        except EXPECTED:
            r = None
        try:
            b = maskcore.RLEBatch.from_coco([{"size": [h, w], "counts": counts}] * 2)
        except EXPECTED:
            b = None
        assert (r is None) == (b is None), "RLE.from_coco and RLEBatch.from_coco disagree on validity"
        if r is not None:
            _check_rle(r)
            assert b[0] == r and b[1] == r
            dense = maskcore.coco.decode({"size": [h, w], "counts": counts})
            assert np.array_equal(dense, r.decode())


def rle_dict(data: bytes) -> None:
    obj = _json(data)
    if obj is None:
        return
    if isinstance(obj, dict) and isinstance(obj.get("counts"), list):
        obj["counts"] = [v for v in obj["counts"]]  # (as JSON gives it)
    try:
        r = maskcore.RLE.from_coco(obj)
    except EXPECTED:
        r = None
    if r is not None:
        _check_rle(r)
    try:
        maskcore.coco.decode(obj) if r is None or r.height * r.width <= 1 << 16 else None
    except EXPECTED:
        assert r is None, "coco.decode refused what RLE.from_coco took"


def rle_batch(data: bytes) -> None:
    obj = _json(data)
    if obj is None:
        return
    try:
        b = maskcore.RLEBatch.from_coco(obj)
    except EXPECTED:
        b = None
    if not isinstance(obj, list):
        return
    singles = []
    for o in obj:
        try:
            singles.append(maskcore.RLE.from_coco(o))
        except EXPECTED:
            singles.append(None)
    if b is None:
        assert any(s is None for s in singles), "RLEBatch.from_coco refused a list every item of which parses"
        return
    assert len(b) == len(singles) and all(x == y for x, y in zip(b, singles))


def frpyobjects(data: bytes) -> None:
    h, w, rest = _size(data)
    obj = _json(rest)
    if obj is None:
        return
    try:
        out = maskcore.coco.frPyObjects(obj, h, w)
    except EXPECTED:
        return
    for d in out if isinstance(out, list) else [out]:
        r = maskcore.RLE.from_coco(d)
        assert int(r.counts.astype(np.uint64).sum()) == r.height * r.width


_RULES = ("center", "touched", "inclusive", "coco")


def polygons(data: bytes) -> None:
    h, w, rest = _size(data)
    rest = rest[: len(rest) // 8 * 8]
    xy = np.frombuffer(rest, "<f8").copy() if rest else np.zeros(0)
    if xy.size % 2:
        xy = xy[:-1]
    pts = xy.reshape(-1, 2)
    for rule in _RULES:
        try:
            dense = maskcore.rasterize([pts], h, w, rule=rule)
        except EXPECTED:
            dense = None
        try:
            rle = maskcore.rasterize_rle([pts], h, w, rule=rule)
        except EXPECTED:
            rle = None
        assert (dense is None) == (rle is None), f"rasterize and rasterize_rle disagree on validity ({rule})"
        if rle is not None:
            assert rle == maskcore.encode(dense), f"rasterize_rle != encode(rasterize) ({rule})"
            lm = np.zeros((h, w), np.uint16)
            maskcore.paint(lm, [pts], 7, rule=rule)
            assert np.array_equal(lm != 0, dense != 0), f"paint != rasterize ({rule})"
    try:
        maskcore.coco.frPyObjects([xy.tolist()], h, w)
    except EXPECTED:
        pass


def coco_json(data: bytes) -> None:
    obj = _json(data)
    if obj is not None:
        for overlap in (True, False):
            try:
                maskcore.validate_coco(obj, allow_overlap=overlap)
            except EXPECTED:
                pass
    fd, path = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = cli_main(["check-coco", "--no-overlap", path])
        assert rc in (0, 1, 2), f"exit code {rc}"
        if rc == 2:
            assert len(err.getvalue().strip().splitlines()) == 1, "a user error takes more than one line"
    finally:
        os.unlink(path)


def png(data: bytes) -> None:
    from maskcore.io._common import FormatError, read_png
    fd, path = tempfile.mkstemp(suffix=".png")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            arr, mode, palette = read_png(path)
        except FormatError as e:
            assert path in str(e), f"FormatError does not name the file: {e}"
            return
        assert isinstance(arr, np.ndarray) and arr.ndim in (2, 3) and arr.dtype in (np.uint8, np.uint16, np.bool_)
    finally:
        os.unlink(path)


# The formats' targets: a small dataset (two 12x10 images, three segments each, two
# categories with colours) written once per process by maskcore.io.write; each call copies
# that folder, puts the fuzzed bytes in place of one of its files and reads it back.
_IO_FILES = {  # format -> (what write() is given, read options, the files a target replaces)
    "coco": ("a.json", {}, ["a.json"]),
    "coco-panoptic": ("p.json", {}, ["p.json", "p/a.png"]),
    "index-png": ("i.json", {}, ["i.json", "masks/a.png"]),
    "rgb": ("r.json", {}, ["r.json", "masks/a.png"]),
    "labelbox-ndjson": ("l.ndjson", {}, ["l.ndjson"]),
    "voc": ("voc", {}, ["voc/SegmentationClass/a.png", "voc/SegmentationObject/a.png"]),
    "yolo-seg": ("y", {"sizes": {"a": (12, 10), "b": (12, 10)}}, ["y/a.txt"]),
    "cityscapes": ("cs", {}, ["cs/a_gtFine_instanceIds.png", "cs/a_gtFine_labelIds.png"]),
    "kaggle-csv": ("k.csv", {"shape": (12, 10)}, ["k.csv"]),
    "cvat": ("c.xml", {}, ["c.xml"]),
    "labelme": ("lm", {}, ["lm/a.json"]),
    "nifti": ("n.nii", {}, ["n.nii"]),
}
_io_template: dict[str, str] = {}


def _io_dataset():
    from maskcore import Category, Dataset, ImageRecord, Segments
    lab = np.zeros((12, 10), np.uint16)
    lab[1:5, 1:6] = 1
    lab[6:11, 2:9] = 2
    lab[3:8, 7:9] = 3
    images = []
    for k, m in enumerate((lab, lab[::-1])):
        s = Segments.from_label_map(np.ascontiguousarray(m))
        s.category_ids[:] = [1, 2, 1]
        images.append(ImageRecord(k + 1, "ab"[k] + ".png", 12, 10, {}, s))
    return Dataset(images, [Category(1, "cat", color=(200, 10, 10)), Category(2, "dog", color=(10, 200, 10))])


def _io_folder(fmt: str) -> str:
    if fmt not in _io_template:
        import maskcore.io as mio
        d = tempfile.mkdtemp(prefix=f"maskcore-fuzz-{fmt}-")
        mio.write(_io_dataset(), os.path.join(d, _IO_FILES[fmt][0]), fmt)
        _io_template[fmt] = d
    return _io_template[fmt]


def _io_target(fmt: str, rel: str):
    def target(data: bytes) -> None:
        import shutil

        import maskcore.io as mio
        from maskcore.io import FormatError
        where, options, _ = _IO_FILES[fmt]
        d = tempfile.mkdtemp(prefix="maskcore-fuzz-")
        try:
            shutil.copytree(_io_folder(fmt), d, dirs_exist_ok=True)
            with open(os.path.join(d, rel), "wb") as f:
                f.write(data)
            try:
                ds = mio.read(os.path.join(d, where), fmt, **options)
            except FormatError as e:
                assert d in str(e), f"FormatError does not name the file: {e}"
                return
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
                # a table naming a file that is not there (or is a folder)
                assert e.filename and str(e.filename).startswith(d), f"which file? {e}"
                return
            for r in ds:
                s = r.segments
                assert s.shape == (r.height, r.width), "segments and image sizes differ"
                for m in s.masks:
                    assert int(m.counts.astype(np.uint64).sum()) == r.height * r.width, "counts do not sum to h*w"
        finally:
            shutil.rmtree(d, ignore_errors=True)
    target.__name__ = _io_name(fmt, rel)
    return target


def _io_name(fmt: str, rel: str) -> str:
    return f"io_{fmt}_{rel.replace('/', '_')}"


def _io_seed(fmt: str, rel: str) -> list[bytes]:
    with open(os.path.join(_io_folder(fmt), rel), "rb") as f:
        return [f.read()]


TARGETS = {
    "rle_string": rle_string,
    "rle_dict": rle_dict,
    "rle_batch": rle_batch,
    "frpyobjects": frpyobjects,
    "polygons": polygons,
    "coco_json": coco_json,
    "png": png,
    **{_io_name(fmt, rel): _io_target(fmt, rel) for fmt, (_, _, files) in _IO_FILES.items() for rel in files},
}


def seeds() -> dict[str, list[bytes]]:
    """Valid and near-valid inputs per target, made by maskcore itself (the fuzzers start from them)."""
    rng = np.random.default_rng(0)
    masks = [rng.random((h, w)) < p for h, w, p in ((5, 4, 0.5), (8, 8, 0.2), (1, 9, 0.9), (0, 3, 0.5), (16, 3, 0.5))]
    rles = [maskcore.encode(m) for m in masks]
    strings = [bytes([r.height, r.width]) + r.to_string() for r in rles]
    dicts = [json.dumps(r.to_coco()).encode() for r in rles]
    dicts += [json.dumps({"size": [r.height, r.width], "counts": r.counts.tolist()}).encode() for r in rles]
    batches = [json.dumps([r.to_coco() for r in rles]).encode(),
               json.dumps([{"size": [2, 2], "counts": [1, 2, 1]}, rles[0].to_coco()]).encode()]
    polys = [[[1.5, 1.0, 6.0, 2.0, 4.0, 7.5]], [[0, 0, 10, 0, 10, 10, 0, 10], [2, 2, 5, 2, 5, 5]], [[1, 2, 3, 4]]]
    fr = [bytes([20, 16]) + json.dumps(p).encode() for p in polys]
    fr += [bytes([20, 16]) + json.dumps([[1, 1, 4, 4], [0, 0, 2, 3]]).encode(), bytes([5, 4]) + dicts[0]]
    pts = [np.array([[1.5, 1.0], [6.0, 2.0], [4.0, 7.5]]), np.array([[0, 0], [9, 0], [9, 9], [0, 9], [4, 4.5]]),
           np.array([[2.0, 2.0]]), np.array([[np.nan, 1.0], [3.0, 3.0], [1.0, 5.0]])]
    poly_bytes = [bytes([12, 10]) + p.astype("<f8").tobytes() for p in pts]
    doc = {"images": [{"id": 1, "height": 20, "width": 16}], "categories": [{"id": 1}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": polys[0], "area": 12.0,
                            "bbox": [1.5, 1.0, 4.5, 6.5]},
                           {"id": 2, "image_id": 1, "category_id": 1, "segmentation": polys[1], "area": 100,
                            "bbox": [0, 0, 10, 10], "iscrowd": 0},
                           {"id": 3, "image_id": 1, "category_id": 1,
                            "segmentation": maskcore.encode(np.eye(20, 16, dtype=bool)).to_coco()}]}
    coco = [json.dumps(doc).encode(), b'{"images": [], "annotations": [], "categories": []}', b"[]"]
    from PIL import Image

    from maskcore.io._common import encode_png
    maps = [np.arange(60, dtype=np.uint8).reshape(6, 10) % 3, (np.arange(12, dtype=np.uint16) * 4099).reshape(3, 4),
            np.dstack([np.eye(5, dtype=np.uint8) * 200] * 3)]
    pngs = [encode_png(m) for m in maps] + [encode_png(maps[0], palette=[0, 0, 0, 255, 0, 0, 0, 255, 0])]
    buf = io.BytesIO()
    Image.fromarray(maps[2]).save(buf, "PNG")  # Pillow's layout (the non-native path)
    pngs.append(buf.getvalue())
    out = {"rle_string": strings, "rle_dict": dicts, "rle_batch": batches, "frpyobjects": fr,
           "polygons": poly_bytes, "coco_json": coco, "png": pngs}
    for fmt, (_, _, files) in _IO_FILES.items():
        for rel in files:
            out[_io_name(fmt, rel)] = _io_seed(fmt, rel)
    return out
