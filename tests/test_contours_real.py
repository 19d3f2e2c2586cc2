"""find_polygons on the real data in ../shared/data (see its SOURCES.md).

* every RLE mask in the COCO JSON files (model predictions, crowd regions, panoptic
  segments): the exact rings fill back to the mask with 4- and 8-connectivity, one polygon
  per scipy.ndimage component with its pixel count, and the default mode matches
  cv2.findContours(RETR_CCOMP, CHAIN_APPROX_SIMPLE) (number of outer rings and holes, and
  the vertex set of every ring);
* every label PNG (semantic maps, instance ids, panoptic RGB ids): every label's mask
  round trips, every connected region of it is one polygon that fills back to exactly that
  region, and find_polygons_labels gives what find_polygons gives per label.
"""
import json

import cv2
import numpy as np
import pytest
import scipy.ndimage as ndi

import maskcore
from maskcore import find_polygons, find_polygons_labels

from reference.contours_ref import rasterize_center_evenodd

from paths import SHARED_DATA as SHARED
STRUCT = {4: None, 8: np.ones((3, 3), bool)}


def _rle_masks():
    out = []
    for path in sorted(SHARED.rglob("*.json")):
        doc = json.loads(path.read_text())
        items = doc.get("annotations", []) if isinstance(doc, dict) else doc
        for a in items if isinstance(items, list) else []:
            seg = a.get("segmentation") if isinstance(a, dict) else None
            if isinstance(seg, dict) and "counts" in seg:
                out.append(maskcore.RLE.from_coco(seg).decode())
    return out


def _label_maps():
    from PIL import Image
    out = {}
    for path in sorted(SHARED.rglob("*.png")):
        rel = str(path.relative_to(SHARED))
        if "img_dir" in rel or "leftImg8bit" in rel or "input_images" in rel or "images/" in rel:
            continue  # photos
        a = np.asarray(Image.open(path))
        if a.ndim == 3:  # panoptic RGB: id = R + 256 G + 256^2 B
            a = a[..., 0].astype(np.int64) + 256 * a[..., 1].astype(np.int64) + 65536 * a[..., 2].astype(np.int64)
        out[rel] = a
    return out


needs_data = pytest.mark.skipif(not SHARED.is_dir(), reason=f"real data not found at {SHARED}")


def cv2_rings(m):
    contours, hierarchy = cv2.findContours(m, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return 0, 0, []
    outer = int((hierarchy[0][:, 3] < 0).sum())
    return outer, len(contours) - outer, [c.reshape(-1, 2) for c in contours]


def vertex_sets(rings):
    return sorted(tuple(sorted(set(map(tuple, np.asarray(r).astype(np.int64).tolist())))) for r in rings)


@needs_data
def test_rle_masks_round_trip_and_match_opencv():
    masks = _rle_masks()
    assert len(masks) > 500
    for m in masks:
        for conn in (4, 8):
            polys = find_polygons(m, exact=True, connectivity=conn)
            rings = [r for p in polys for r in p.rings]
            np.testing.assert_array_equal(rasterize_center_evenodd(rings, *m.shape), m)
            lab, n = ndi.label(m, STRUCT[conn])
            assert len(polys) == n
            assert [p.area for p in polys] == np.bincount(lab.ravel())[1:].tolist()
        polys = find_polygons(m)
        outer, holes, theirs = cv2_rings(m)
        assert (len(polys), sum(len(p.holes) for p in polys)) == (outer, holes)
        ours = [r - 0.5 for p in polys for r in p.rings]
        assert vertex_sets(ours) == vertex_sets(theirs)


def _bbox_fill(poly):
    """The polygon's fill over its bounding box: (mask, row0, col0)."""
    lo = np.floor(poly.outer.min(0)).astype(int)
    hi = np.ceil(poly.outer.max(0)).astype(int)
    rings = [r - lo for r in poly.rings]
    return rasterize_center_evenodd(rings, hi[1] - lo[1], hi[0] - lo[0]), lo[1], lo[0]


@needs_data
@pytest.mark.parametrize("conn", (4, 8))
def test_label_png_regions(conn):
    maps = _label_maps()
    assert len(maps) >= 20
    for name, lab in maps.items():
        by_label = find_polygons_labels(lab, exact=True, connectivity=conn)
        assert list(by_label) == [int(v) for v in np.unique(lab) if v != 0], name
        for v, polys in by_label.items():
            m = lab == v
            want = find_polygons(m, exact=True, connectivity=conn)
            assert [p.outer.tolist() for p in polys] == [p.outer.tolist() for p in want]
            rings = [r for p in polys for r in p.rings]
            np.testing.assert_array_equal(rasterize_center_evenodd(rings, *m.shape), m)
            comps, n = ndi.label(m, STRUCT[conn])
            assert len(polys) == n
            objects = ndi.find_objects(comps)
            for i, p in enumerate(polys):  # every connected region, exactly
                fill, r0, c0 = _bbox_fill(p)
                sl = objects[i]
                assert (r0, c0) == (sl[0].start, sl[1].start)
                np.testing.assert_array_equal(fill.astype(bool), comps[sl] == i + 1)
