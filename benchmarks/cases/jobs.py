"""Dataset-job cases (maskcore.jobs): validate a folder of label-map PNGs (PNG decode included) and
convert a COCO file to index PNGs (PNG encode included), with 1 and 2 workers, beside the same work
in a plain Python loop (the Dask overhead) and a read-once reference (decoding the PNGs with Pillow
and nothing else: the I/O floor).

The dataset is made by replicating real label maps of ../shared/data (Cityscapes, LIP, Mapillary,
Potsdam, VOC; hard links, so each file is decoded for real) to ``n`` files: 48 with ``quick``, 480
otherwise. The 100,000-image runs and the peer (datumaro, in its own virtualenv) are
benchmarks/jobs_100k.py, run by hand.
"""
from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path

from . import Case, NoData, NotInstalled, data_dir, module

LABEL_MAPS = [  # (path under ../shared/data, what)
    "semantic_mmseg_samples/cityscapes/gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_labelIds.png",
    "semantic_mmseg_samples/lip/train_segmentations/684_2150041.png",
    "semantic_mmseg_samples/mapillary_vistas/v2.0/__CRyFzoDOXn6unQ6a3DnQ.png",
    "semantic_mmseg_samples/isprs_potsdam/ann_dir/2_10_0_0_512_512.png",
    "pascal_voc2012/SegmentationClass/2007_000032.png",
]


def replicate_label_maps(n: int, where: Path, data: Path = None) -> Path:
    """``where/labels/NNNNNNN.png``: the real label maps, round robin, hard-linked (copied when the
    file system refuses links). Returns the folder."""
    data = data or data_dir()
    srcs = [data / p for p in LABEL_MAPS]
    missing = [str(p) for p in srcs if not p.is_file()]
    if missing:
        raise NoData(f"real label maps not found: {missing[0]}")
    out = where / "labels"
    out.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        dst = out / f"{k:07d}.png"
        if dst.exists():
            continue
        try:
            os.link(srcs[k % len(srcs)], dst)
        except OSError:
            shutil.copyfile(srcs[k % len(srcs)], dst)
    return out


@functools.lru_cache(maxsize=None)
def _folder(n: int) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="maskcore-bench-jobs-"))
    return replicate_label_maps(n, tmp)


def _jobs():
    return module("maskcore.jobs", "maskcore.jobs is not importable")


def _validate(n, **kw):
    def setup():
        jobs = _jobs()
        folder = _folder(n)
        return lambda: jobs.validate(folder, format="labels", labels=list(range(256)), min_island=10, **kw)

    return setup


def _loop(n):
    """The same per-image work in a plain loop (no Dask): the overhead reference."""

    def setup():
        from maskcore.jobs import _jobs as J, _sources

        folder = _folder(n)

        def run():
            src = _sources.open_source(folder, "labels")
            opts = {"labels": list(range(256)), "min_island": 10, "connectivity": 8, "background": 0,
                    "allow_overlap": True, "category_ids": [], "categories": []}
            with __import__("maskcore.jobs._run", fromlist=["x"]).kernel_threads(1):
                return [J._validate_item(it, opts) for it in src.items]

        return run

    return setup


def _decode_only(n):
    def setup():
        from maskcore.jobs._files import read_png

        folder = _folder(n)
        files = sorted(folder.glob("*.png"))
        return lambda: [read_png(f).shape for f in files]

    return setup


def _check_validate(expected_n):
    def check(res):
        if isinstance(res, list):
            assert len(res) == expected_n
            return
        assert res.summary["images_checked"] == expected_n and not res.errors

    return check


def _convert(n, workers):
    def setup():
        jobs = _jobs()
        mio = module("maskcore.io", "maskcore.io (the formats layer) is not in this build")
        if "index-png" not in getattr(mio, "FORMATS", ()):
            raise NotInstalled("maskcore.io has no index-png writer in this build")
        folder = _folder(n)
        out = Path(tempfile.mkdtemp(prefix="maskcore-bench-convert-"))

        def run():
            shutil.rmtree(out / "seg", ignore_errors=True)
            return jobs.convert(folder, out / "seg" / "segments.json", format="labels", to="index-png",
                                scheduler="threads", workers=workers)

        return run

    return setup


def cases(quick: bool):
    n = 48 if quick else 480
    g = f"jobs validate: {n} label-map PNGs (decode included)"
    chk = _check_validate(n)
    yield Case(g, "maskcore.jobs threads, 1 worker", _validate(n, scheduler="threads", workers=1), chk)
    yield Case(g, "maskcore.jobs threads, 2 workers", _validate(n, scheduler="threads", workers=2), chk)
    yield Case(g, "maskcore.jobs synchronous", _validate(n, scheduler="synchronous"), chk)
    yield Case(g, "plain loop (no Dask), same work", _loop(n), chk, kind="numpy")
    yield Case(g, "ref: PNG decode only (Pillow)", _decode_only(n), chk, kind="ref")
    g = f"jobs convert: {n} label-map PNGs -> index-png"
    chk2 = lambda res: None if res.summary["written"] == n else (_ for _ in ()).throw(AssertionError(res.summary))
    yield Case(g, "maskcore.jobs threads, 1 worker", _convert(n, 1), chk2)
    yield Case(g, "maskcore.jobs threads, 2 workers", _convert(n, 2), chk2)
