"""Dataset format cases: maskcore.io and Segments against the code users run today.

Groups (sizes in brackets: ``--quick``):

* ``coco load N polygons`` (N = 50,000 [5,000]): a COCO instances file made by replicating the
  real polygon annotations of ../shared/data (COCO val2014 / val2017 / train2017 samples and
  LVIS) over as many images as it takes (:func:`replicated_coco`), loaded into masks:
  ``maskcore.io.read(f, "coco")`` against ``pycocotools.coco.COCO(f)`` + ``annToRLE`` of every
  annotation. The million-annotation run, with peak memory measured in child processes, is
  ``benchmarks/formats_coco_1m.py``.
* ``coco -> index-png -> coco, K images`` (K = 200 [20]) of that file: maskcore
  (``io.write(.., "index-png", overlap="later-wins", renumber=True)``, ``io.read``, ``io.write(.., "coco",
  segmentation="rle")``) against supervision (``DetectionDataset.from_coco(force_masks=True)``
  for the masks, the same painting and Pillow saving, and for the way back Pillow + ``==`` per id
  + pycocotools encode) and the plain pycocotools + Pillow loop a user writes. Every row numbers
  an image's segments 1..n in the PNG (8-bit PNGs for up to 255 segments). datumaro is not a
  row: installing it here would downgrade Pillow 13 to 12.3 and add a second OpenCV.
* ``from_label_map 4000x4000, 500 segments`` [1000x1000, 100] and ``from_rgb`` on the same map
  coloured: one native pass against one ``==`` per id + ``maskcore.encode`` (the naive loop; with
  pycocotools' encode too in --quick: at full size that row alone takes minutes per call), and
  ``ref: np.count_nonzero`` (one read of the map).
"""
from __future__ import annotations

import contextlib
import functools
import io as _io
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from . import Case, NoData, data_dir, module, _maskcore
from . import rng as _rng, scalar as _scalar

SOURCES = ("coco_val2014_first100/instances_val2014_gt.json", "coco_mini_val2017/instances_val2017.json",
           "coco_mini_train2017_annotations/instances_train2017.json", "lvis_val_100/lvis_val_gt.json")


def cache_dir() -> Path:
    d = Path(os.environ.get("MASKCORE_BENCH_CACHE", Path(tempfile.gettempdir()) / "maskcore-bench"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _real_images():
    """[(height, width, file_name, [polygon annotations])] of the real sources, polygons only."""
    out = []
    for name in SOURCES:
        path = data_dir() / name
        if not path.is_file():
            raise NoData(f"the COCO generator needs {path} (../shared/data is absent; set MASKCORE_BENCH_DATA)")
        doc = json.loads(path.read_text())
        by_img = {}
        for a in doc["annotations"]:
            if isinstance(a["segmentation"], list) and not a.get("iscrowd", 0):
                by_img.setdefault(a["image_id"], []).append(a)
        for im in doc["images"]:
            anns = by_img.get(im["id"])
            if anns:
                out.append((im["height"], im["width"], im["file_name"], anns))
    return out


def replicated_coco(n: int) -> Path:
    """A COCO instances file of exactly ``n`` polygon annotations: the real images' annotations
    copied image by image (new image and annotation ids, the same polygons, categories 1..80 by
    a fixed map), cycling through the real images as often as needed. Cached on disk."""
    path = cache_dir() / f"coco_replicated_{n}.json"
    if path.is_file():
        return path
    real = _real_images()
    cats = sorted({a["category_id"] for _, _, _, anns in real for a in anns})
    cat_map = {c: 1 + i % 80 for i, c in enumerate(cats)}
    images, anns_out = [], []
    k = 0
    while len(anns_out) < n:
        h, w, fn, anns = real[k % len(real)]
        iid = k + 1
        images.append({"id": iid, "file_name": f"{k:07d}_{fn}", "height": h, "width": w})
        for a in anns:
            if len(anns_out) == n:
                break
            anns_out.append({"id": len(anns_out) + 1, "image_id": iid, "category_id": cat_map[a["category_id"]],
                             "segmentation": a["segmentation"], "area": a.get("area", 0), "bbox": a.get("bbox", []),
                             "iscrowd": 0})
        k += 1
    doc = {"info": {"description": f"maskcore benchmark: {n} real polygon annotations replicated"},
           "images": images, "annotations": anns_out,
           "categories": [{"id": i, "name": f"c{i}", "supercategory": "s"} for i in range(1, 81)]}
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.replace(tmp, path)
    return path


def _pycoco():
    return module("pycocotools.coco", "pycocotools is not installed")


def _quiet_coco(path):
    coco = _pycoco()
    with contextlib.redirect_stdout(_io.StringIO()):
        return coco.COCO(str(path))


def pycocotools_load(path):
    """The pycocotools way: COCO(file), then annToRLE of every annotation."""
    c = _quiet_coco(path)
    return [c.annToRLE(a) for a in c.dataset["annotations"]]


def _load_cases(quick):
    n = 5_000 if quick else 50_000
    g = f"coco load {n} polygons"
    mc = _maskcore()

    def path():
        return replicated_coco(n)

    def check(ds):
        count = ds.segments_count if hasattr(ds, "segments_count") else len(ds)
        assert count == n, count

    def mc_setup(threads=None):
        def setup():
            p = path()
            return lambda: mc.io.read(p, "coco", threads=threads)
        return setup

    def py_setup():
        p = path()
        _pycoco()
        return lambda: pycocotools_load(p)

    yield Case(g, "maskcore io.read", mc_setup(), check)
    yield Case(g, "maskcore io.read threads=1", mc_setup(1), check)
    yield Case(g, "maskcore io.read [scalar]", lambda: _scalar(mc_setup(1)()), check)
    yield Case(g, "pycocotools COCO + annToRLE", py_setup, check, kind="peer")


# ---- conversion ---------------------------------------------------------------------------------------

def _subset(n_images: int) -> Path:
    """The first ``n_images`` images of the replicated file (and their annotations)."""
    path = cache_dir() / f"coco_subset_{n_images}.json"
    if path.is_file():
        return path
    doc = json.loads(replicated_coco(50_000).read_text())
    keep = {im["id"] for im in doc["images"][:n_images]}
    doc["images"] = doc["images"][:n_images]
    doc["annotations"] = [a for a in doc["annotations"] if a["image_id"] in keep]
    path.write_text(json.dumps(doc, separators=(",", ":")))
    return path


def _fresh(name):
    d = Path(tempfile.mkdtemp(prefix=f"mc-{name}-", dir=cache_dir()))
    return d


def maskcore_convert(src: Path, out: Path):
    import maskcore.io as mio
    ds = mio.read(src, "coco")
    mio.write(ds, out / "index.json", "index-png", overlap="later-wins", renumber=True)
    back = mio.read(out / "index.json", "index-png")
    mio.write(back, out / "back.json", "coco", segmentation="rle")
    return back.segments_count


def _paint_save(out: Path, name: str, h: int, w: int, masks, ids):
    from PIL import Image
    lab = np.zeros((h, w), np.uint16)
    for m, i in zip(masks, ids):  # later wins, as maskcore's overlap="later-wins"
        lab[m.astype(bool)] = i
    Image.fromarray(lab if lab.max() > 255 else lab.astype(np.uint8)).save(out / name)


def _back_to_coco(out: Path, items):
    """index PNGs -> COCO RLE JSON: Pillow, one == per id, pycocotools encode."""
    from PIL import Image
    pm = module("pycocotools.mask", "pycocotools is not installed")
    anns, n = [], 0
    for iid, name, segs in items:
        lab = np.asarray(Image.open(out / name))
        for sid, cat in segs:
            r = pm.encode(np.asfortranarray(lab == sid))
            anns.append({"id": n + 1, "image_id": iid, "category_id": cat, "iscrowd": 0,
                         "segmentation": {"size": r["size"], "counts": r["counts"].decode()}, "area": int(pm.area(r)),
                         "bbox": pm.toBbox(r).tolist()})
            n += 1
    (out / "back.json").write_text(json.dumps({"annotations": anns}))
    return n


def pycocotools_convert(src: Path, out: Path):
    c = _quiet_coco(src)
    items = []
    for iid, im in c.imgs.items():
        anns = c.imgToAnns.get(iid, [])
        name = f"{iid}.png"
        ids = list(range(1, len(anns) + 1))  # per-image indices, as the other rows
        _paint_save(out, name, im["height"], im["width"], [c.annToMask(a) for a in anns], ids)
        items.append((iid, name, [(i, a["category_id"]) for i, a in zip(ids, anns)]))
    (out / "index.json").write_text(json.dumps(items))
    return _back_to_coco(out, items)


def supervision_convert(src: Path, out: Path):
    sv = module("supervision", "supervision is not installed (pip install supervision)")
    doc = json.loads(src.read_text())
    imgdir = out / "images"
    imgdir.mkdir(exist_ok=True)
    for im in doc["images"]:  # from_coco lists image files; it does not decode them here
        (imgdir / im["file_name"]).touch()
    with contextlib.redirect_stdout(_io.StringIO()):
        ds = sv.DetectionDataset.from_coco(str(imgdir), str(src), force_masks=True)
    by_name = {im["file_name"]: im for im in doc["images"]}
    items = []
    for path, det in ds.annotations.items():
        im = by_name[Path(path).name]
        ids = list(range(1, len(det) + 1))
        name = f"{im['id']}.png"
        _paint_save(out, name, im["height"], im["width"], det.mask if det.mask is not None else [], ids)
        items.append((im["id"], name, list(zip(ids, det.class_id.tolist()))))
    (out / "index.json").write_text(json.dumps(items))
    return _back_to_coco(out, items)


def _convert_cases(quick):
    k = 20 if quick else 200
    g = f"coco -> index-png -> coco, {k} images"

    def setup(fn):
        def make():
            src = _subset(k)
            if fn is supervision_convert:
                module("supervision", "supervision is not installed (pip install supervision)")

            def run():
                out = _fresh(fn.__name__)
                try:
                    return fn(src, out)
                finally:
                    shutil.rmtree(out, ignore_errors=True)
            return run
        return make

    def check(n):
        doc = json.loads(_subset(k).read_text())
        assert n <= len(doc["annotations"]) and n > 0.5 * len(doc["annotations"]), n

    yield Case(g, "maskcore io (index-png later-wins, coco rle)", setup(maskcore_convert), check)
    yield Case(g, "supervision from_coco + Pillow + pycocotools", setup(supervision_convert), check, kind="peer")
    yield Case(g, "pycocotools + Pillow loop", setup(pycocotools_convert), check, kind="peer")


# ---- one pass over a map ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def region_map(side: int, n: int) -> np.ndarray:
    """A (side, side) uint16 map of n irregular regions (nearest of n random seeds on a grid a
    quarter the size, upsampled 4x), ids 1..n."""
    from scipy import ndimage
    g = _rng("formats-regions", side, n)
    s = side // 4
    seeds = np.zeros((s, s), np.int64)
    pos = g.choice(s * s, n, replace=False)
    seeds.flat[pos] = np.arange(1, n + 1)
    _, (iy, ix) = ndimage.distance_transform_edt(seeds == 0, return_indices=True)
    lab = seeds[iy, ix]
    lab = np.kron(lab, np.ones((4, 4), np.int64))[:side, :side].astype(np.uint16)
    lab.flags.writeable = False
    return lab


@functools.lru_cache(maxsize=None)
def region_rgb(side: int, n: int):
    lab = region_map(side, n).astype(np.uint32)
    key = lab * 2654435761 % (1 << 24)  # spread ids over colours
    rgb = np.stack([key & 255, key >> 8 & 255, key >> 16], -1).astype(np.uint8)
    ids = np.unique(lab)
    keys = ids * 2654435761 % (1 << 24)
    colors = {(int(k & 255), int(k >> 8 & 255), int(k >> 16)): int(i) for i, k in zip(ids, keys)}
    assert len(colors) == len(ids)
    rgb.flags.writeable = False
    return rgb, colors


def _map_cases(quick):
    side, n = (1000, 100) if quick else (4000, 500)
    mc = _maskcore()
    g = f"from_label_map {side}x{side}, {n} segments"

    def check_lab(res):
        lab = region_map(side, n)
        assert len(res) == n
        if quick:
            for sid, m in zip(res.ids, res.masks):
                assert np.array_equal(m.decode().astype(bool), lab == sid)

    def naive_setup(encode):
        def setup():
            lab = region_map(side, n)
            ids = [int(v) for v in np.unique(lab) if v]
            return lambda: [encode(lab == v) for v in ids]
        return setup

    def pm_encode():
        pm = module("pycocotools.mask", "pycocotools is not installed")
        return lambda m: pm.encode(np.asfortranarray(m))

    yield Case(g, "maskcore from_label_map", lambda: (lambda lab: lambda: mc.Segments.from_label_map(lab))(
        region_map(side, n)), check_lab)
    yield Case(g, "maskcore from_label_map threads=1",
               lambda: (lambda lab: lambda: mc.Segments.from_label_map(lab, threads=1))(region_map(side, n)), check_lab)
    yield Case(g, "maskcore from_label_map [scalar]",
               lambda: _scalar((lambda lab: lambda: mc.Segments.from_label_map(lab, threads=1))(region_map(side, n))),
               check_lab)
    yield Case(g, "numpy == per id + maskcore.encode", naive_setup(mc.encode), lambda r: None, kind="numpy")
    if quick:  # pycocotools' encode of 500 full 4000x4000 masks takes minutes per call (142 s measured)
        yield Case(g, "numpy == per id + pycocotools encode", lambda: naive_setup(pm_encode())(), lambda r: None,
                   kind="peer")
    yield Case(g, "ref: np.count_nonzero (read the map)", lambda: (lambda lab: lambda: np.count_nonzero(lab))(
        region_map(side, n)), kind="ref")

    g = f"from_rgb {side}x{side}, {n} segments"

    def check_rgb(res):
        assert len(res) == n

    def rgb_naive():
        # the sensible naive loop: pack the colours once, then one == per colour
        rgb, colors = region_rgb(side, n)
        keys = [c[0] | c[1] << 8 | c[2] << 16 for c in colors]

        def run():
            packed = rgb[..., 0].astype(np.uint32) | rgb[..., 1].astype(np.uint32) << 8 | \
                rgb[..., 2].astype(np.uint32) << 16
            return [mc.encode(packed == k) for k in keys]
        return run

    yield Case(g, "maskcore from_rgb", lambda: (lambda rc: lambda: mc.Segments.from_rgb(*rc))(region_rgb(side, n)),
               check_rgb)
    yield Case(g, "maskcore from_rgb threads=1",
               lambda: (lambda rc: lambda: mc.Segments.from_rgb(*rc, threads=1))(region_rgb(side, n)), check_rgb)
    yield Case(g, "numpy pack + == per colour + maskcore.encode", rgb_naive, lambda r: None, kind="numpy")
    yield Case(g, "ref: np.count_nonzero (read the map)",
               lambda: (lambda rc: lambda: np.count_nonzero(rc[0]))(region_rgb(side, n)), kind="ref")


def cases(quick: bool = False) -> list:
    return [*_map_cases(quick), *_load_cases(quick), *_convert_cases(quick)]
