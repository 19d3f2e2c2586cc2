"""Chunked (Dask) cases: ``maskcore.dask.label``, ``component_stats`` and ``encode`` against
dask-image's ``ndmeasure.label`` / ``area`` / ``center_of_mass`` on the same chunks with the same
scheduler (dask's threaded scheduler, 2 workers unless a row says otherwise).

Inputs are blob masks made block by block (:func:`blob_array`): a coarse Gaussian-smoothed noise
field, interpolated bilinearly to full resolution inside each block and thresholded at 0 (about
half the pixels set; blobs about ``scale`` pixels across), so any size can be made without
holding it, and every block is the same whatever the chunking. The arrays are persisted in
memory before timing, so the rows time labeling, not making the input.

Sizes: ``MASKCORE_BENCH_DASK=full`` runs the issue's sizes (below); without it the groups use
4000x4000 (chunks 1024) and 128^3 (chunks 64), and ``quick`` 2000x2000 (512) and 64^3 (32), so that
the smoke run of the test suite stays short.

* ``dask label 20000x20000 blobs chunks 4096``: maskcore with 2 and 1
  workers, maskcore forced to scalar, dask-image, and maskcore.label on the whole in-memory array
  (the single-array reference). A row computes ``labels.max()`` and n (every block labeled and
  relabeled; no 1.6 GB result gathered); ``check`` gathers the labels once and compares them with
  ``maskcore.label`` on the whole array: exactly for maskcore, as a partition for dask-image.
* ``dask label 1024^3 blobs 26-conn chunks 256``: the same in 3D.
* ``dask stats ...``: per-label area and centroid; maskcore from ``label``'s output (the
  statistics fused with the per-block relabel) and from persisted labels (any label image),
  dask-image's ``area`` + ``center_of_mass`` over the persisted labels with ``index=1..n``. Its
  cost grows with labels x blocks (each label is a separate reduction over every block: 2000x2000
  with 146 labels in 512^2 chunks takes it ~2.5 minutes), so it has its own smaller group
  (2000x2000, chunks 512, when full; 1000x1000 / 512x512 otherwise).
* ``dask encode ...``: the COCO RLE of the chunked mask vs ``maskcore.encode`` of the whole array.

maskcore.dask's label computes each block twice (once when ``label`` is called, to find the
components, once when the lazy labels are computed); both are in the maskcore rows.
"""

from __future__ import annotations

import functools
import os
from typing import Iterator

import numpy as np

from . import Case, module, _maskcore
from . import rng as _rng, scalar as _scalar


def _da():
    return module("dask.array", "dask is not installed")


def _dask():
    return module("dask", "dask is not installed")


def _md():
    return module("maskcore.dask", "maskcore.dask needs dask")


def _ndmeasure():
    return module("dask_image.ndmeasure", "dask-image is not installed")


# --------------------------------------------------------------------------------------------
# Inputs


def coarse_field(shape: tuple, scale: int, seed: str = "dask blobs") -> np.ndarray:
    """The coarse field behind a blob mask of ``shape``: one value per ``scale`` pixels per
    axis (plus a margin), Gaussian-smoothed noise, float32."""
    ndi = module("scipy.ndimage", "scipy is not installed")
    coarse = tuple(-(-s // scale) + 2 for s in shape)
    field = _rng(seed, *shape, scale).standard_normal(coarse).astype(np.float32)
    field = ndi.gaussian_filter(field, 1.0, mode="wrap")
    return (field / field.std()).astype(np.float32)  # unit variance: blob_array's level is in std units


def _weights(start: int, size: int, scale: int, lo: int, hi: int) -> np.ndarray:
    """(size, hi - lo) bilinear weights of coarse samples lo..hi-1 for pixels start..start+size-1
    (pixel p sits at coarse coordinate (p + 0.5) / scale + 0.5)."""
    u = (np.arange(start, start + size) + 0.5) / scale + 0.5
    k = np.floor(u).astype(np.int64)
    t = (u - k).astype(np.float32)
    w = np.zeros((size, hi - lo), np.float32)
    rows = np.arange(size)
    w[rows, k - lo] = 1 - t
    w[rows, k + 1 - lo] = t
    return w


def blob_block(field: np.ndarray, scale: int, start: tuple, shape: tuple, level: float = 0.0) -> np.ndarray:
    """The block of the blob mask at ``start`` with ``shape``: the coarse field interpolated
    (separably, as small matrix products) and thresholded at ``level`` (0: about half the pixels,
    one component spanning the image besides many blobs; 0.5: ~30 %, separate blobs)."""
    out = None
    lows = [int((s + 0.5) / scale + 0.5) for s in start]
    highs = [int((s + n - 0.5) / scale + 0.5) + 2 for s, n in zip(start, shape)]
    win = field[tuple(slice(lo, hi) for lo, hi in zip(lows, highs))]
    out = win
    for axis, (s, n, lo, hi) in enumerate(zip(start, shape, lows, highs)):
        w = _weights(s, n, scale, lo, hi)
        out = np.moveaxis(np.tensordot(w, np.moveaxis(out, axis, 0), axes=(1, 0)), 0, axis)
    return out > level


def blob_array(shape: tuple, chunks, scale: int, seed: str = "dask blobs", level: float = 0.0):
    """A lazy dask blob mask (bool) of ``shape`` and ``chunks``, made block by block."""
    da = _da()
    field = coarse_field(shape, scale, seed)

    def make(block_info=None):
        info = block_info[None]
        start = tuple(r[0] for r in info["array-location"])
        return blob_block(field, scale, start, tuple(info["chunk-shape"]), level)

    return da.map_blocks(make, chunks=da.core.normalize_chunks(chunks, shape), dtype=bool)


@functools.lru_cache(maxsize=4)
def persisted(shape: tuple, chunks: int, scale: int):
    """The blob mask as a dask array held in memory (threaded scheduler), and as numpy."""
    dask = _dask()
    arr = blob_array(shape, chunks, scale)
    with dask.config.set(scheduler="threads"):
        arr = arr.persist()
        whole = arr.compute()
    return arr, whole


@functools.lru_cache(maxsize=4)
def oracle(shape: tuple, chunks: int, scale: int, conn: int):
    """maskcore.label on the whole array: (labels, n, stats)."""
    _, whole = persisted(shape, chunks, scale)
    return _maskcore().label(whole, connectivity=conn, return_stats=True)


def same_partition(labels: np.ndarray, want: np.ndarray, n: int) -> bool:
    got, ref = np.asarray(labels).ravel(), np.asarray(want).ravel()
    f = np.zeros(n + 1, got.dtype)
    f[ref] = got
    return bool(f[0] == 0 and np.array_equal(f[ref], got) and np.unique(f[1:]).size == n and (f[1:] != 0).all())


# --------------------------------------------------------------------------------------------
# Groups


def _threads(workers: int):
    return _dask().config.set(scheduler="threads", num_workers=workers)


def _label_group(g: str, key: tuple, conn: int, *, one_worker: bool) -> Iterator[Case]:
    shape, chunks, scale = key
    rank = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}[conn]

    def mc(workers):
        def setup():
            md, (arr, _) = _md(), persisted(*key)

            def run():
                with _threads(workers):
                    labels, n = md.label(arr, connectivity=conn)
                    return labels, n, int(labels.max().compute())
            return run
        return setup

    gather = int(np.prod(shape)) <= 2**29  # 1024^3 would gather 4 GB of labels per check: n only

    def check_exact(result):
        labels, n, top = result
        want, m, _ = oracle(*key, conn)
        assert n == m == top, f"n = {n}, max = {top}, want {m}"
        if not gather:
            return
        with _threads(2):
            got = labels.compute()
        assert np.array_equal(got, want), "labels differ from maskcore.label on the whole array"

    def dask_image():
        ndm, dask, (arr, _) = _ndmeasure(), _dask(), persisted(*key)
        structure = module("scipy.ndimage", "scipy").generate_binary_structure(len(shape), rank)

        def run():
            with _threads(2):
                labels, n = ndm.label(arr, structure=structure)
                top, n = dask.compute(labels.max(), n)
            return labels, int(n), int(top)
        return run

    def check_partition(result):
        labels, n, top = result
        want, m, _ = oracle(*key, conn)
        assert n == m == top, f"n = {n}, max = {top}, want {m}"
        if not gather:
            return
        with _threads(2):
            got = labels.compute()
        assert same_partition(got, want, m), "partition differs from maskcore.label on the whole array"

    def whole():
        label, (_, img) = _maskcore().label, persisted(*key)
        return lambda: label(img, connectivity=conn, threads=2)

    def check_whole(result):
        want, m, _ = oracle(*key, conn)
        assert result[1] == m and np.array_equal(result[0], want)

    yield Case(g, "maskcore.dask.label (2 workers)", mc(2), check_exact)
    if one_worker:
        yield Case(g, "maskcore.dask.label (1 worker)", mc(1), check_exact)
    yield Case(g, "maskcore.dask.label [scalar] (2 workers)", lambda: _scalar(mc(2)()), check_exact)
    yield Case(g, "dask_image.ndmeasure.label (2 workers)", dask_image, check_partition, kind="peer")
    yield Case(g, "ref: maskcore.label whole array in memory (threads=2)", whole, check_whole, kind="ref")


def _stats_group(g: str, key: tuple, conn: int, *, peer: bool) -> Iterator[Case]:
    @functools.lru_cache(maxsize=1)
    def labels():
        md, (arr, _) = _md(), persisted(*key)
        with _threads(2):
            lab, n = md.label(arr, connectivity=conn)
            kept = lab.persist()
        return lab, kept.map_blocks(lambda b: b, dtype=kept.dtype), n  # the copy: any label image

    def check(result):
        area, centroid = result
        _, m, want = oracle(*key, conn)
        assert np.array_equal(np.asarray(area), want["area"]), "areas differ"
        assert np.allclose(np.asarray(centroid), want["centroid"], rtol=0, atol=1e-6), "centroids differ"

    def mc(fused):
        def setup():
            md = _md()
            lab, kept, n = labels()
            src = lab if fused else kept

            def run():
                with _threads(2):
                    s = md.component_stats(src, n)
                return s["area"], s["centroid"]
            return run
        return setup

    def dask_image():
        ndm, dask, (arr, _) = _ndmeasure(), _dask(), persisted(*key)
        _, kept, n = labels()
        index = np.arange(1, n + 1)

        def run():
            with _threads(2):
                return dask.compute(ndm.area(arr, kept, index), ndm.center_of_mass(arr, kept, index))
        return run

    yield Case(g, "maskcore.dask.component_stats (from label's output, fused)", mc(True), check)
    yield Case(g, "maskcore.dask.component_stats (persisted labels)", mc(False), check)
    yield Case(g, "maskcore.dask.component_stats [scalar] (persisted labels)", lambda: _scalar(mc(False)()), check)
    if peer:
        yield Case(g, "dask_image.ndmeasure area + center_of_mass (persisted labels)", dask_image, check,
                   kind="peer")


def _encode_group(g: str, key: tuple) -> Iterator[Case]:
    def mc():
        md, (arr, _) = _md(), persisted(*key)

        def run():
            with _threads(2):
                return md.encode(arr)
        return run

    def whole():
        enc, (_, img) = _maskcore().encode, persisted(*key)
        return lambda: enc(img)

    def check(result):
        _, img = persisted(*key)
        assert result == _maskcore().encode(img)

    yield Case(g, "maskcore.dask.encode (2 workers)", mc, check)
    yield Case(g, "maskcore.dask.encode [scalar] (2 workers)", lambda: _scalar(mc()), check)
    yield Case(g, "ref: maskcore.encode whole array in memory", whole, check, kind="ref")


def _sizes(quick: bool) -> dict:
    """Input sizes: ``MASKCORE_BENCH_DASK=full`` gives the issue's (20000^2 in 4096^2 chunks,
    1024^3 in 256^3 chunks); otherwise smaller ones, so that the smoke run of the test suite
    (every case once) stays short. ``MASKCORE_BENCH_DASK_VOLUME=side[:chunk]`` overrides the
    volume (e.g. ``512:256``: 512^3 in 256^3 chunks); for the volume alone, with one round and
    no whole-array gather, use ``benchmarks/dask_volume.py``."""
    if os.environ.get("MASKCORE_BENCH_DASK", "") == "full":
        z = dict(side=20000, chunk2=4096, vol=1024, chunk3=256, stats_side=2000, stats_chunk=512)
    elif quick:
        z = dict(side=2000, chunk2=512, vol=64, chunk3=32, stats_side=512, stats_chunk=128)
    else:
        z = dict(side=4000, chunk2=1024, vol=128, chunk3=64, stats_side=1000, stats_chunk=256)
    vol = os.environ.get("MASKCORE_BENCH_DASK_VOLUME", "")
    if vol:
        side, _, chunk = vol.partition(":")
        z["vol"] = int(side)
        z["chunk3"] = int(chunk) if chunk else min(256, int(side))
    return z


def cases(quick: bool = False) -> Iterator[Case]:
    z = _sizes(quick)
    side, chunk2, vol, chunk3 = z["side"], z["chunk2"], z["vol"], z["chunk3"]
    key2 = ((side, side), chunk2, 64)
    key3 = ((vol,) * 3, chunk3, 16)
    keys = ((z["stats_side"],) * 2, z["stats_chunk"], 64)
    yield from _label_group(f"dask label {side}x{side} blobs chunks {chunk2}", key2, 8, one_worker=True)
    yield from _label_group(f"dask label {vol}^3 blobs 26-conn chunks {chunk3}", key3, 26, one_worker=False)
    yield from _stats_group(f"dask stats {side}x{side} blobs chunks {chunk2}", key2, 8, peer=False)
    yield from _stats_group(f"dask stats {keys[0][0]}x{keys[0][1]} blobs chunks {keys[1]}", keys, 8, peer=True)
    yield from _encode_group(f"dask encode {side}x{side} blobs chunks {chunk2}", key2)
