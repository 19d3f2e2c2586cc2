"""How the public API types as users call it: checked by mypy (listed in mypy.ini), never run.

``assert_type`` pins the overloads (one RLE vs many, ``return_stats=``, ``return_iou=``, ``box=``);
the ``type: ignore`` lines are calls that must stay type errors (strict mode reports an unused one).
"""
from typing import Any
import numpy as np
from numpy.typing import NDArray
from typing_extensions import assert_type
import maskcore
from maskcore import RLE, RLEBatch

m = np.zeros((4, 4), bool)
r = maskcore.encode(m)
assert_type(r, RLE | RLEBatch)
one = RLE.from_mask(m)
assert_type(maskcore.area(one), int)
assert_type(maskcore.area([one, one]), NDArray[np.int64])
assert_type(maskcore.area({"size": [4, 4], "counts": "Q1"}), int)
assert_type(maskcore.rle.iou(one, one), float)
assert_type(maskcore.rle.iou([one], one), NDArray[np.float64])
b = RLEBatch([one])
assert_type(b[0], RLE)
assert_type(b[1:], RLEBatch)
assert_type(maskcore.label(m), tuple[NDArray[Any], int])
assert_type(maskcore.label(m, return_stats=True), tuple[NDArray[Any], int, NDArray[np.void]])
assert_type(maskcore.find_polygons(m), list[maskcore.Polygon])
assert_type(maskcore.find_polygons(m, return_iou=True), tuple[list[maskcore.Polygon], float])
lm: NDArray[np.uint16] = np.zeros((4, 4), np.uint16)
assert_type(maskcore.paint(lm, [0, 0, 3, 0, 3, 3], 2), NDArray[np.uint16])  # the map it was given
assert_type(maskcore.stroke(lm, [1, 1], 2.0, 3), NDArray[np.uint16])
assert_type(maskcore.rle.to_row_runs(m), NDArray[np.int64])
assert_type(maskcore.rle.to_row_runs(m, box=True), tuple[NDArray[np.int64], tuple[int, int, int, int]])
assert_type(maskcore.coco.area([{"size": [4, 4], "counts": b"Q1"}]), NDArray[Any])
for x in b:
    assert_type(x, RLE)
with maskcore.use_isa("scalar"):
    pass
maskcore.iou(m, m)
maskcore.paint(lm, [0, 0, 3, 0, 3, 3], None)  # type: ignore[arg-type]  # label is an int
maskcore.rle.area(m)  # type: ignore[call-overload]  # dense masks are not RLEs
# datasets and formats (maskcore.io, maskcore.dask)
ds = maskcore.io.read("instances.json", "coco")
assert_type(ds, maskcore.Dataset)
assert_type(ds[0], maskcore.ImageRecord)
assert_type(ds.image_ids, NDArray[np.int64])
assert_type(maskcore.io.detect("x.json"), str)
maskcore.io.write(ds, "out.json", "coco", segmentation="rle")
maskcore.io.write(ds, "out.json")  # type: ignore[call-arg]  # format= is required: never guessed
import maskcore.dask as mdask  # noqa: E402
assert_type(mdask.encode(m), RLE)
assert_type(mdask.component_stats(m), NDArray[np.void])
