"""Connected-component cases: ``maskcore.label`` (labels, and labels + statistics) on 2D binary
blobs and noise, a 4096x4096 image, a multi-label semantic map tiled from real LoveDA label PNGs,
256^3 volumes and the real D99 atlas volume, against OpenCV (``connectedComponents`` and
``connectedComponentsWithStats``, one thread and default threads), cc3d, scipy.ndimage and
scikit-image.

maskcore numbers components 1..n in raster order of their first pixel, as scipy and scikit-image
do; OpenCV and cc3d number 8-connected 2D components in another order, so their rows are checked
as partitions (the oracle's labels map one-to-one onto theirs, background onto background).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from . import Case, NoData, data_dir, module, _maskcore
from . import rng as _rng, scalar as _scalar


def _cv2():
    return module("cv2", "OpenCV (cv2) is not installed")


def _cc3d():
    return module("cc3d", "cc3d is not installed")


def _ndi():
    return module("scipy.ndimage", "scipy is not installed")


def _skimage_label():
    return module("skimage.measure", "scikit-image is not installed").label


# --------------------------------------------------------------------------------------------
# Inputs (deterministic, cached)


@functools.lru_cache(maxsize=None)
def blobs(shape: tuple, sigma: float = 4.0) -> np.ndarray:
    """Smoothed noise thresholded at its median: blobs of a few sigma across, half the area."""
    field = _ndi().gaussian_filter(_rng("components blobs", *shape).random(shape, np.float32), sigma)
    return field > np.median(field)


@functools.lru_cache(maxsize=None)
def noise(shape: tuple, density: float = 0.5) -> np.ndarray:
    return _rng("components noise", *shape).random(shape, np.float32) < density


@functools.lru_cache(maxsize=None)
def classes3d(shape: tuple) -> np.ndarray:
    """Four classes (0 background) from a smoothed field: a multi-label volume."""
    field = _ndi().gaussian_filter(_rng("components classes", *shape).random(shape, np.float32), 3.0)
    edges = np.quantile(field, [0.4, 0.6, 0.8])
    return np.digitize(field, edges).astype(np.uint8)


def _loveda(name: str) -> np.ndarray:
    path = data_dir() / "semantic_mmseg_samples" / "loveda" / "ann_dir" / name
    if not path.exists():
        raise NoData(f"needs {path} (../shared/data is absent here)")
    from PIL import Image

    return np.asarray(Image.open(path))


@functools.lru_cache(maxsize=None)
def semantic(side: int) -> np.ndarray:
    """A side x side semantic map tiled from the two real LoveDA label maps (1024^2, classes 0-7),
    mirrored tile by tile so the seams do not join regions artificially more than a real map."""
    a, b = _loveda("0.png"), _loveda("1.png")
    tile = np.block([[a, b[:, ::-1]], [b[::-1], a[::-1, ::-1]]])
    reps = -(-side // tile.shape[0])
    return np.ascontiguousarray(np.tile(tile, (reps, reps))[:side, :side])


@functools.lru_cache(maxsize=None)
def atlas() -> np.ndarray:
    path = data_dir() / "nifti_3d" / "d99_macaque_atlas" / "D99_atlas_v2.0_right.nii.gz"
    if not path.exists():
        raise NoData(f"needs {path} (../shared/data is absent here)")
    nib = module("nibabel", "nibabel is not installed (needed to read the NIfTI atlas)")
    return np.ascontiguousarray(np.asanyarray(nib.load(path).dataobj).astype(np.int32))


# --------------------------------------------------------------------------------------------
# Oracles


@functools.lru_cache(maxsize=16)
def _expected(key: tuple) -> tuple:
    """(labels, n) in raster order for a cached input: scipy for binary, scikit-image for
    multi-label (scipy cannot keep equal-value regions apart)."""
    image, conn, multi = _input(key), key[-2], key[-1]
    rank = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}[conn]
    if multi:
        labels = _skimage_label()(image, connectivity=rank, background=0)
        return labels, int(labels.max())
    ndi = _ndi()
    return ndi.label(image, structure=ndi.generate_binary_structure(image.ndim, rank))


def _input(key: tuple) -> np.ndarray:
    kind, shape = key[0], key[1]
    return {"blobs": lambda: blobs(shape), "noise": lambda: noise(shape), "semantic": lambda: semantic(shape[0]),
            "classes": lambda: classes3d(shape), "atlas": atlas,
            "atlas_f": lambda: np.asfortranarray(atlas())}[kind]()


def same_partition(labels: np.ndarray, want: np.ndarray, n: int) -> bool:
    """Whether ``labels`` (any numbering, 0 = background) splits the image as ``want`` (labels
    1..n) does: the map want -> labels read off the pixels must be one function (checked by
    applying it back) and one-to-one, with 0 -> 0."""
    got, ref = np.asarray(labels).ravel(), np.asarray(want).ravel()
    f = np.zeros(n + 1, got.dtype)
    f[ref] = got  # any pixel's value per label; a second value for one label fails below
    return bool(f[0] == 0 and np.array_equal(f[ref], got) and np.unique(f[1:]).size == n and (f[1:] != 0).all())


def _check_exact(key):
    def check(result):
        labels, n = result[0], result[1]
        want, m = _expected(key)
        assert n == m, f"{n} components, want {m}"
        assert np.array_equal(labels, want), "labels differ from the raster-order oracle"
    return check


def _check_partition(key, extract):
    def check(result):
        labels, n = extract(result)
        want, m = _expected(key)
        assert n == m, f"{n} components, want {m}"
        assert same_partition(labels, want, m), "partition differs from the oracle"
    return check


# --------------------------------------------------------------------------------------------
# Groups


def _cases(g: str, key: tuple, conn: int, *, with_stats: bool = False) -> Iterator[Case]:
    """One group: maskcore (threads 1 / 2, scalar) and the peers that apply."""
    multi = key[-1]
    img = functools.partial(_input, key)
    exact = _check_exact(key)
    ndim = len(key[1])

    def mc(threads):
        def setup():
            label, image = _maskcore().label, img()
            return lambda: label(image, connectivity=conn, threads=threads, return_stats=with_stats)
        return setup

    yield Case(g, "maskcore threads=1", mc(1), exact)
    yield Case(g, "maskcore threads=2", mc(2), exact)
    yield Case(g, "maskcore [scalar] threads=1", lambda: _scalar(mc(1)()), exact)

    if ndim == 2 and not multi:
        def cv(threads, stats):
            def setup():
                cv2, image = _cv2(), img().view(np.uint8)
                fn = cv2.connectedComponentsWithStats if stats else cv2.connectedComponents

                def run():
                    cv2.setNumThreads(threads)
                    return fn(image, connectivity=conn, ltype=cv2.CV_32S)
                return run
            return setup

        fn_name = "connectedComponentsWithStats" if with_stats else "connectedComponents"
        part = _check_partition(key, lambda r: (r[1], r[0] - 1))
        yield Case(g, f"OpenCV {fn_name} (1 thread)", cv(1, with_stats), part, kind="peer")
        yield Case(g, f"OpenCV {fn_name} (default threads)", cv(-1, with_stats), part, kind="peer")

    if not with_stats:
        def cc():
            cc3d, image = _cc3d(), img()
            image = image.view(np.uint8) if image.dtype == bool else image
            return lambda: cc3d.connected_components(image, connectivity=conn, return_N=True)

        yield Case(g, "cc3d.connected_components" + (" (multi-label)" if multi else ""), cc,
                   _check_partition(key, lambda r: (r[0], r[1])), kind="peer")

        if not multi:
            def sp():
                ndi, image = _ndi(), img()
                rank = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}[conn]
                structure = ndi.generate_binary_structure(image.ndim, rank)
                return lambda: ndi.label(image, structure=structure)

            yield Case(g, "scipy.ndimage.label", sp, exact, kind="peer")

        def sk():
            label, image = _skimage_label(), img()
            rank = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}[conn]
            return lambda: label(image, connectivity=rank, background=0, return_num=True)

        yield Case(g, "skimage.measure.label", sk, exact, kind="peer")


@dataclass(frozen=True)
class Sizes:
    image: tuple
    big: tuple
    volume: tuple


FULL = Sizes(image=(2048, 2048), big=(4096, 4096), volume=(256, 256, 256))
QUICK = Sizes(image=(512, 512), big=(1024, 1024), volume=(64, 64, 64))


def _res(shape):
    return "x".join(map(str, shape[::-1])) if len(shape) == 2 else "^".join((str(shape[0]), "3"))


def cases(quick: bool = False) -> Iterator[Case]:
    s = QUICK if quick else FULL
    for kind in ("blobs", "noise"):
        for conn in (4, 8):
            key = (kind, s.image, conn, False)
            yield from _cases(f"label {kind} {_res(s.image)} {conn}-conn", key, conn)
    key = ("blobs", s.image, 8, False)
    yield from _cases(f"label+stats blobs {_res(s.image)} 8-conn", key, 8, with_stats=True)
    for size in (s.image, s.big):  # 4-conn noise: ~0.07 components per pixel, the most statistics per pixel
        key = ("noise", size, 4, False)
        yield from _cases(f"label+stats noise {_res(size)} 4-conn", key, 4, with_stats=True)
    for kind in ("blobs", "noise"):
        key = (kind, s.big, 8, False)
        yield from _cases(f"label {kind} {_res(s.big)} 8-conn", key, 8)
    key = ("semantic", s.image, 8, True)
    yield from _cases(f"label multi-label LoveDA tiled {_res(s.image)} 8-conn", key, 8)
    for conn in (6, 26):
        key = ("blobs", s.volume, conn, False)
        yield from _cases(f"label volume blobs {_res(s.volume)} {conn}-conn", key, conn)
    for conn in (6, 26):  # short runs (mean ~5 voxels): the hard case for run-based labeling
        key = ("classes", s.volume, conn, True)
        yield from _cases(f"label volume multi-label {_res(s.volume)} {conn}-conn", key, conn)
    key = ("atlas", (275, 347, 245), 26, True)
    yield from _cases("label volume D99 atlas 245x347x275 26-conn", key, 26)
    key = ("atlas_f", (275, 347, 245), 26, True)  # as nibabel loads it: Fortran order
    yield from _cases("label volume D99 atlas 245x347x275 26-conn, Fortran order (as nibabel loads it)", key, 26)
