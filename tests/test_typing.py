"""Static types: ``mypy --strict`` (mypy.ini at the repository root) passes on the public modules
and the native stub, and the run-time fixes that type checking found stay fixed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import maskcore

ROOT = Path(__file__).resolve().parents[1]


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
