"""Static types: ``mypy --strict`` (mypy.ini at the repository root) passes on the public modules
and the native stub, and the run-time fixes that type checking found stay fixed."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import maskcore

from paths import REPO as ROOT


def test_mypy_strict_passes():
    pytest.importorskip("mypy", reason="mypy (in the [test] extra) is not installed")
    if not (ROOT / "mypy.ini").is_file() or not (ROOT / "maskcore" / "rle.py").is_file():
        pytest.skip("needs the source tree (mypy.ini and maskcore/), not an installed wheel")
    # `mypy` with no arguments, as CI runs it: mypy.ini names the files (its cache, .mypy_cache/,
    # makes a rerun take seconds; a cold run takes about a minute here)
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, f"mypy found problems:\n{run.stdout}\n{run.stderr}"
    assert "Success" in run.stdout, run.stdout


# ---- bugs mypy found ------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda lm: maskcore.paint(lm, [0, 0, 3, 0, 3, 3], None),
    lambda lm: maskcore.paint(lm, [0, 0, 3, 0, 3, 3], None, rule="coco"),
    lambda lm: maskcore.paint_mask(lm, np.ones((4, 4), bool), None),
    lambda lm: maskcore.stroke(lm, [1, 1], 2, None),
], ids=["paint", "paint-coco", "paint_mask", "stroke"])
def test_paint_label_none_is_a_clear_type_error(call):
    # label=None used to reach the binding and fail with pybind11's "incompatible function arguments"
    lm = np.zeros((4, 4), np.uint8)
    with pytest.raises(TypeError, match=r"^label: expected an int, got NoneType None"):
        call(lm)
    assert not lm.any()


def test_paint_many_still_paints():
    lm = np.zeros((4, 4), np.uint8)
    maskcore.paint_many(lm, [([0, 0, 3, 0, 3, 3], 2)])
    assert lm.max() == 2


def test_rle_from_mask_takes_one_2d_mask():
    # a 3D stack used to come back as an RLEBatch from a constructor annotated (and documented) -> RLE
    m = np.zeros((3, 2), bool)
    m[1, 1] = True
    r = maskcore.RLE.from_mask(m)
    assert type(r) is maskcore.RLE and r == maskcore.encode(m)
    with pytest.raises(ValueError, match=r"^mask: expected a 2D array, got 3D"):
        maskcore.RLE.from_mask(np.zeros((2, 2, 2), bool))


def test_from_kaggle_non_ascii_bytes_message():
    for s in (b"1 \xff", bytearray(b"1 \xff")):
        with pytest.raises(ValueError, match=r"non-ASCII byte at position 2: b'\\xff'"):
            maskcore.rle.from_kaggle(s, (2, 2))


def test_cvat_attribute_without_a_name_is_refused(tmp_path):
    # an <attribute> without name= was kept under the key None (and written back as name="None")
    xml = ('<?xml version="1.0"?><annotations><version>1.1</version><meta><task><labels><label><name>a</name>'
           '</label></labels></task></meta><image id="0" name="x.png" width="4" height="4">'
           '<polygon label="a" points="0,0;3,0;3,3"><attribute>v</attribute></polygon></image></annotations>')
    f = tmp_path / "a.xml"
    f.write_text(xml)
    with pytest.raises(maskcore.io.FormatError, match=r"image\[0\]\.polygon\[0\]\.attribute: expected a 'name'"):
        maskcore.io.read(f, "cvat")
    f.write_text(xml.replace("<attribute>", '<attribute name="k">'))
    assert maskcore.io.read(f, "cvat")[0].segments.attributes[0]["attributes"] == {"k": "v"}


def test_kaggle_class_column_name_round_trips(tmp_path):
    # write_kaggle's class_column was only a switch: a column name (read's meaning) was written as ClassId
    m = np.zeros((3, 4), bool)
    m[1, 1:3] = True
    segs = maskcore.Segments(maskcore.RLEBatch([maskcore.encode(m)]), [1], [7], height=3, width=4)
    ds = maskcore.Dataset([maskcore.ImageRecord(1, "a", 3, 4, {}, segs)])
    f = tmp_path / "k.csv"
    maskcore.io.write(ds, f, "kaggle-csv", class_column="Label")
    assert f.read_text().splitlines()[0] == "ImageId,EncodedPixels,Label"
    back = maskcore.io.read(f, "kaggle-csv", shape=(3, 4), class_column="Label")
    assert back[0].segments.category_ids.tolist() == [7] and back[0].segments.masks[0] == segs.masks[0]
    maskcore.io.write(ds, f, "kaggle-csv", class_column=True)
    assert f.read_text().splitlines()[0] == "ImageId,EncodedPixels,ClassId"
