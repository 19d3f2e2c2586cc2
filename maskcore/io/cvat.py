"""CVAT for images 1.1 XML (``format="cvat"``).

``<annotations>`` holds ``<meta>`` (the task's ``<labels>``) and one ``<image id name width
height>`` per image with its shapes. Read shapes:

* ``<polygon label points="x0,y0;x1,y1;...">``: rasterized with ``rule=`` (default ``"coco"``,
  pycocotools' rule, which CVAT's and Datumaro's COCO/mask exports use);
* ``<mask label rle="c0, c1, ..." left top width height>``: row-major runs over the box
  ``left .. left+width-1`` x ``top .. top+height-1``, starting with a background run
  (:func:`maskcore.rle.from_row_runs`), exact;
* ``<box>``, ``<points>``, ``<polyline>``, ``<ellipse>``, ``<cuboid>``, ``<skeleton>``, ``<tag>``
  are not masks: skipped and counted in ``dataset.metadata["skipped_shapes"]``.

Rows are the image's mask shapes in document order, ``ids`` 1..n per image; categories are the
task labels in order (ids 1..k; ``<color>`` kept), a shape's ``label`` naming one (an unknown
label is refused). ``occluded``, ``z_order``, ``source``, ``group_id`` and every
``<attribute name>`` child are kept in ``attributes``. Sizes, coordinates and runs are
validated: a run string that does not cover its box, a box outside the image, a missing
attribute are refused naming the image and the value.

Writing: every segment as a ``<mask>`` over its tight box (exact), or with ``shapes="polygon"``
as exact crack polygons (one ``<polygon>`` per component; only masks without holes whose
polygons read back exactly with the reader's ``rule``; others raise).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..dataset import Category, Dataset, ImageRecord
from ..raster import rasterize_rle
from ..rle import RLE, RLEBatch, from_row_runs, merge, to_row_runs
from ..segments import Segments
from ._common import FormatError, fail, new_dataset, side, want_int, write_atomic

if TYPE_CHECKING:
    from ._common import StrPath

__all__ = ["read_cvat", "write_cvat"]

_NOT_MASKS = ("box", "points", "polyline", "ellipse", "cuboid", "skeleton", "tag")
_KEEP = ("occluded", "z_order", "source", "group_id")


def _int_attr(path: StrPath, where: str, el: ET.Element, key: str, lo: Optional[int] = None,
              hi: Optional[int] = None) -> int:
    v = el.get(key)
    if v is None:
        raise fail(path, f"{where}.{key}", f"a '{key}' attribute", "<missing>")
    try:
        f = float(v)
    except ValueError:
        raise fail(path, f"{where}.{key}", "a number", v) from None
    if not f.is_integer():
        raise fail(path, f"{where}.{key}", "an integer", v)
    return want_int(path, f"{where}.{key}", int(f), lo, hi)


def read_cvat(path: StrPath, *, rule: str = "coco") -> Dataset:
    """Read a CVAT for images 1.1 XML file (module docstring)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, LookupError, UnicodeError) as e:  # LookupError: an unknown declared encoding
        raise FormatError(f"{path}: invalid XML ({e})") from None
    if root.tag != "annotations":
        raise fail(path, "root", "<annotations>", f"<{root.tag}>")
    labels: list[Category] = []
    for lab in root.iter("label"):
        name = lab.findtext("name")
        if name is None:
            continue
        color = lab.findtext("color")
        col: Optional[tuple[int, int, int]] = None
        if color and color.startswith("#") and len(color) == 7:
            try:
                col = (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))
            except ValueError:
                raise fail(path, f"label {name}.color", "#rrggbb", color) from None
        if name not in [c.name for c in labels]:
            labels.append(Category(len(labels) + 1, name, "", True, col))
    by_name = {c.name: c.id for c in labels}
    records: list[ImageRecord] = []
    skipped = 0
    seen_ids: set[int] = set()
    for k, im in enumerate(root.findall("image")):
        where = f"image[{k}]"
        iid = _int_attr(path, where, im, "id")
        if iid in seen_ids:
            raise fail(path, f"{where}.id", "distinct image ids", iid)
        seen_ids.add(iid)
        h = side(path, f"{where}.height", _int_attr(path, where, im, "height"))
        w = side(path, f"{where}.width", _int_attr(path, where, im, "width"))
        rles: list[RLE] = []
        cats: list[int] = []
        attrs: list[dict[str, Any]] = []
        for j, sh in enumerate(im):
            ws = f"{where}.{sh.tag}[{j}]"
            if sh.tag in _NOT_MASKS:
                skipped += 1
                continue
            if sh.tag not in ("polygon", "mask"):
                continue
            label = sh.get("label")
            if label is None or label not in by_name:
                raise fail(path, f"{ws}.label", "a label of the task's <labels>", label)
            if sh.tag == "polygon":
                pts = sh.get("points", "")
                try:
                    xy = np.array([[float(t) for t in p.split(",")] for p in pts.split(";") if p.strip()], np.float64)
                except ValueError:
                    raise fail(path, f"{ws}.points", "'x,y;x,y;...' numbers", pts[:60]) from None
                if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) < 3 or not np.isfinite(xy).all():
                    raise fail(path, f"{ws}.points", "at least 3 finite 'x,y' points", pts[:60])
                rles.append(rasterize_rle(xy, h, w, rule=rule))
            else:
                left = _int_attr(path, ws, sh, "left", 0, max(w - 1, 0))
                top = _int_attr(path, ws, sh, "top", 0, max(h - 1, 0))
                bw = _int_attr(path, ws, sh, "width", 1, w - left)
                bh = _int_attr(path, ws, sh, "height", 1, h - top)
                text = sh.get("rle", "")
                try:
                    runs = [int(float(t)) for t in text.replace(" ", "").split(",") if t != ""]
                except ValueError:
                    raise fail(path, f"{ws}.rle", "comma-separated counts", text[:60]) from None
                try:
                    rles.append(from_row_runs(runs, (h, w), box=(left, top, left + bw - 1, top + bh - 1)))
                except (ValueError, TypeError) as e:
                    raise FormatError(f"{path}: {ws}.rle: {e}") from None
            cats.append(by_name[label])
            a: dict[str, Any] = {key: sh.get(key) for key in _KEEP if sh.get(key) is not None}
            named: dict[str, str] = {}
            for at in sh.findall("attribute"):
                at_name = at.get("name")
                if at_name is None:  # was kept under the key None (written back as name="None")
                    raise fail(path, f"{ws}.attribute", "a 'name' attribute", "<missing>")
                named[at_name] = at.text or ""
            if named:
                a["attributes"] = named
            attrs.append(a)
        if rles:
            s = Segments(RLEBatch(rles), np.arange(1, len(rles) + 1), cats,
                         attributes=attrs if any(attrs) else None, height=h, width=w)
        else:
            s = Segments.empty(h, w)
        meta = {key: v for key, v in im.attrib.items() if key not in ("id", "name", "width", "height")}
        records.append(ImageRecord(iid, im.get("name", ""), h, w, meta, s))
    return new_dataset(path, records, labels, metadata={"skipped_shapes": skipped, "rule": rule})


def write_cvat(dataset: Dataset, path: StrPath, *, shapes: str = "mask", rule: str = "coco") -> None:
    """Write CVAT for images 1.1 XML (module docstring)."""
    from ..contours import find_polygons
    if shapes not in ("mask", "polygon"):
        raise ValueError(f"shapes: expected 'mask' or 'polygon', got {shapes!r}")
    names = {c.id: c.name for c in dataset.categories}
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = "1.1"
    meta = ET.SubElement(root, "meta")
    task = ET.SubElement(meta, "task")
    labs = ET.SubElement(task, "labels")
    for c in dataset.categories:
        lab = ET.SubElement(labs, "label")
        ET.SubElement(lab, "name").text = c.name
        if c.color is not None:
            ET.SubElement(lab, "color").text = "#%02x%02x%02x" % tuple(c.color)
        ET.SubElement(lab, "type").text = "any"
    for rec in dataset:
        im = ET.SubElement(root, "image", {"id": str(rec.image_id), "name": rec.file_name,
                                           "width": str(rec.width), "height": str(rec.height)})
        for k, v in rec.metadata.items():
            im.set(str(k), str(v))
        s = rec.segments
        for i, m in enumerate(s.masks):
            cid = int(s.category_ids[i])
            if cid not in names:
                raise ValueError(f"category_ids: image {rec.image_id}, segment {i}: category {cid} has no name for a "
                                 "CVAT label")
            a = s.attributes[i] if s.has_attributes() else {}
            common = {"label": names[cid], "source": str(a.get("source", "manual")),
                      "occluded": str(a.get("occluded", "0")), "z_order": str(a.get("z_order", "0"))}
            if "group_id" in a:
                common["group_id"] = str(a["group_id"])
            els: list[ET.Element] = []
            if shapes == "mask":
                if m.area == 0:
                    continue  # CVAT masks have a non-empty box
                runs, (x0, y0, x1, y1) = to_row_runs(m, box=True)
                els.append(ET.SubElement(im, "mask", dict(common, rle=", ".join(str(int(r)) for r in runs),
                                                          left=str(x0), top=str(y0), width=str(x1 - x0 + 1),
                                                          height=str(y1 - y0 + 1))))
            else:
                polys = find_polygons(m.decode(), exact=True)
                if any(p.holes for p in polys):
                    raise ValueError(f"shapes='polygon': image {rec.image_id}, segment {i} has holes; use shapes='mask'")
                back = merge([rasterize_rle(p.outer, rec.height, rec.width, rule=rule) for p in polys]) if polys \
                    else None
                if back is not None and back != m:
                    raise ValueError(f"shapes='polygon': image {rec.image_id}, segment {i} does not read back exactly")
                for p in polys:
                    pts = ";".join(f"{x:g},{y:g}" for x, y in p.outer.tolist())
                    els.append(ET.SubElement(im, "polygon", dict(common, points=pts)))
            for el in els:
                for name, value in a.get("attributes", {}).items():
                    ET.SubElement(el, "attribute", {"name": str(name)}).text = str(value)
    ET.indent(root)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    write_atomic(path, lambda f: f.write(data))
