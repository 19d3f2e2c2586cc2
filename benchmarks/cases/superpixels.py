"""SLIC superpixel cases (speed) and the quality study (``benchmarks/slic_quality.py``).

Speed: the same image, segment count and iteration count for maskcore (default ISA,
scalar, threads 1 and 2, and the ``Superpixels`` slider re-run), scikit-image,
fast-slic (``Slic`` and ``SlicAvx2``, with ``subsample_stride=1``: the same work, and
with its default subsampled update) and OpenCV's ximgproc SLIC / SLICO, all
single-threaded unless the row says otherwise. Inputs are real photos (scikit-image's
astronaut, chelsea and coffee, and COCO JPEGs from the shared data) resized to
640x480, 1920x1080 and 4000x4000.

Quality: images with full-pixel ground truth (COCO panoptic PNGs; the VOC, Cityscapes,
LoveDA, Potsdam and LIP label maps, split into connected regions) and three standard
measures (Stutz, Hermans, Leibe, "Superpixels: an evaluation of the state-of-the-art",
CVIU 2018): boundary recall with a 2-pixel tolerance, the corrected undersegmentation
error (Neubert & Protzel 2012) and the achievable segmentation accuracy.
"""
from __future__ import annotations

import functools
import time
from typing import Iterator

import numpy as np

from . import Case, NoData, NotInstalled, data_dir, module, scalar as _scalar

FAMILY = "superpixels"
ITERATIONS = 10
COMPACTNESS = 10.0


# --------------------------------------------------------------------------------------------
# Peers (each returns an int label image)


def run_maskcore(img, n, **kw):
    import maskcore

    return maskcore.slic(img, n_segments=n, compactness=COMPACTNESS, iterations=ITERATIONS, **kw)


def run_skimage(img, n):
    seg = module("skimage.segmentation", "scikit-image is not installed")
    return seg.slic(img, n_segments=n, compactness=COMPACTNESS, max_num_iter=ITERATIONS, start_label=0,
                    channel_axis=-1)


def _fast_slic(avx2: bool):
    if avx2:
        return module("fast_slic.avx2", "fast-slic is not installed").SlicAvx2
    return module("fast_slic", "fast-slic is not installed").Slic


def run_fast_slic(img, n, avx2=True, stride=None):
    cls = _fast_slic(avx2)
    kw = {} if stride is None else {"subsample_stride": stride}
    return cls(num_components=n, compactness=COMPACTNESS, num_threads=1, **kw).iterate(np.ascontiguousarray(img))


# --------------------------------------------------------------------------------------------
# Quality: ground truth and measures


def _png(path):
    from PIL import Image

    return np.asarray(Image.open(path))


def _regions(classes: np.ndarray) -> np.ndarray:
    """A semantic class map as regions: its 4-connected components (so two blobs of
    one class are two regions), int64."""
    from skimage.measure import label

    return label(classes.astype(np.int64) + 1, background=0, connectivity=1).astype(np.int64)


def quality_images(root=None) -> list:
    """(name, RGB uint8 image, int64 region map) for every image with full-pixel GT."""
    root = data_dir() if root is None else root
    out = []
    for sub in ("coco_val2017_panoptic20_labelbox", "coco_panoptic_panopticapi"):
        pdir = root / sub / ("panoptic_masks" if "labelbox" in sub else "panoptic_examples")
        idir = root / sub / ("images" if "labelbox" in sub else "input_images")
        for png in sorted(pdir.glob("*.png")):
            rgb = _png(png).astype(np.int64)
            gt = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
            img = _png(idir / (png.stem + ".jpg"))
            if img.ndim == 2:
                img = np.repeat(img[..., None], 3, axis=2)
            out.append((f"coco/{png.stem}", np.ascontiguousarray(img[..., :3]), gt))
    mm = root / "semantic_mmseg_samples"
    pairs = [
        (root / "pascal_voc2012/JPEGImages/2007_000032.jpg", root / "pascal_voc2012/SegmentationClass/2007_000032.png"),
        (mm / "loveda/img_dir/0.png", mm / "loveda/ann_dir/0.png"),
        (mm / "loveda/img_dir/1.png", mm / "loveda/ann_dir/1.png"),
        (mm / "isprs_potsdam/img_dir/2_10_0_0_512_512.png", mm / "isprs_potsdam/ann_dir/2_10_0_0_512_512.png"),
        (mm / "lip/train_images/684_2150041.jpg", mm / "lip/train_segmentations/684_2150041.png"),
    ]
    for img_path, gt_path in pairs:
        if img_path.exists() and gt_path.exists():
            img = _png(img_path)
            out.append((f"{img_path.parts[-3]}/{img_path.stem}", np.ascontiguousarray(img[..., :3]), _regions(_png(gt_path))))
    if not out:
        raise NoData(f"no ground-truth images under {root}")
    return out


def _boundaries(labels: np.ndarray) -> np.ndarray:
    """Pixels with a right or lower 4-neighbour in another region (one pixel per edge)."""
    b = np.zeros(labels.shape, bool)
    b[:, :-1] |= labels[:, 1:] != labels[:, :-1]
    b[:-1, :] |= labels[1:, :] != labels[:-1, :]
    return b


def boundary_recall(sp: np.ndarray, gt: np.ndarray, tolerance: int = 2) -> float:
    """Share of GT boundary pixels with a superpixel boundary pixel within `tolerance`
    (Chebyshev distance)."""
    from scipy.ndimage import maximum_filter

    g = _boundaries(gt)
    near = maximum_filter(_boundaries(sp).view(np.uint8), size=2 * tolerance + 1) > 0
    return float((g & near).sum() / max(g.sum(), 1))


def _contingency(sp: np.ndarray, gt: np.ndarray):
    s = sp.ravel().astype(np.int64)
    _, g = np.unique(gt.ravel(), return_inverse=True)
    ng = int(g.max()) + 1
    pairs, counts = np.unique(s * ng + g, return_counts=True)
    si = pairs // ng
    size_s = np.bincount(s)
    return si, counts, size_s


def undersegmentation_error(sp, gt) -> float:
    """Corrected UE: (1/N) sum over superpixels S and GT regions G that overlap of
    min(|S & G|, |S - G|)."""
    si, counts, size_s = _contingency(sp, gt)
    return float(np.minimum(counts, size_s[si] - counts).sum() / sp.size)


def achievable_accuracy(sp, gt) -> float:
    """ASA: (1/N) sum over superpixels of the largest overlap with one GT region."""
    si, counts, _ = _contingency(sp, gt)
    best = np.zeros(int(si.max()) + 1, np.int64)
    np.maximum.at(best, si, counts)
    return float(best.sum() / sp.size)


def methods() -> dict:
    return {
        "maskcore": lambda img, n: run_maskcore(img, n, threads=1),
        "skimage": run_skimage,
        "fast_slic": lambda img, n: run_fast_slic(img, n, avx2=False),
    }


def matched(fn, img, n):
    """fn's labels at a request corrected (up to 3 times, request *= n / achieved) so that
    the achieved count is within 3% of n."""
    request = n
    labels = fn(img, request)
    for _ in range(3):
        k = int(labels.max()) + 1
        if abs(k - n) <= 0.03 * n:
            break
        request = max(1, round(request * n / max(k, 1)))
        labels = fn(img, request)
    return labels


def quality(images, counts, names=None) -> list:
    """Rows (count, method, mean K, BR, UE, ASA, seconds) averaged over images."""
    rows = []
    all_methods = methods()
    for n in counts:
        usable = [(name, img, gt) for name, img, gt in images if img.shape[0] * img.shape[1] >= 50 * n]
        for m in names or all_methods:
            fn = all_methods[m]
            ks, br, ue, asa, secs = [], [], [], [], 0.0
            for _, img, gt in usable:
                t = time.perf_counter()
                labels = matched(fn, img, n)
                secs += time.perf_counter() - t
                ks.append(int(labels.max()) + 1)
                br.append(boundary_recall(labels, gt))
                ue.append(undersegmentation_error(labels, gt))
                asa.append(achievable_accuracy(labels, gt))
            rows.append((n, m, len(usable), float(np.mean(ks)), float(np.mean(br)), float(np.mean(ue)),
                         float(np.mean(asa)), secs))
    return rows


# --------------------------------------------------------------------------------------------
# Speed cases

FULL_SIZES = ((480, 640, "coco"), (1080, 1920, "coffee"), (4000, 4000, "astronaut"))
QUICK_SIZES = ((240, 320, "coco"), (480, 640, "coffee"), (1000, 1000, "astronaut"))
REGION = 20  # the slider position: ~40,000 segments at 4000x4000


@functools.lru_cache(maxsize=None)
def photo(h: int, w: int, source: str) -> np.ndarray:
    """A real photo resized (area / cubic) to h x w, RGB uint8, C-contiguous."""
    cv2 = module("cv2", "OpenCV is not installed")
    img = None
    if source == "coco":
        path = data_dir() / "coco_mini_val2017" / "images" / "000000018575.jpg"
        if path.exists():
            img = _png(path)
    if img is None:
        data = module("skimage.data", "scikit-image is not installed")
        img = getattr(data, source if source != "coco" else "chelsea")()
    interp = cv2.INTER_AREA if img.shape[0] * img.shape[1] > h * w else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(np.ascontiguousarray(img[..., :3]), (w, h), interpolation=interp))


def _check(h, w, n):
    def check(labels):
        labels = np.asarray(labels)
        assert labels.shape == (h, w), labels.shape
        k = int(labels.max()) + 1
        assert n / 3 <= k <= 3 * n, (k, n)
    return check


def _cv2_slic(algorithm: str):
    cv2 = module("cv2", "OpenCV is not installed")
    if not hasattr(cv2, "ximgproc"):
        raise NotInstalled("cv2.ximgproc (opencv-contrib) is not installed")
    return cv2, getattr(cv2.ximgproc, algorithm)


def _slic_cases(h: int, w: int, source: str) -> Iterator[Case]:
    n = max(1, round(h * w / REGION**2))
    g = f"slic {w}x{h} region_size={REGION} (~{n} segments, {ITERATIONS} iterations)"
    check = _check(h, w, n)

    def mc(threads, fresh=True):
        def setup():
            import maskcore

            img = photo(h, w, source)
            if fresh:
                return lambda: maskcore.slic(img, region_size=REGION, compactness=COMPACTNESS,
                                             iterations=ITERATIONS, threads=threads)
            sp = maskcore.Superpixels(img, threads=threads)
            return lambda: sp.compute(region_size=REGION, compactness=COMPACTNESS, iterations=ITERATIONS,
                                      threads=threads)
        return setup

    yield Case(g, "maskcore threads=1", mc(1), check)
    yield Case(g, "maskcore threads=2", mc(2), check)
    yield Case(g, "maskcore [scalar] threads=1", lambda: _scalar(mc(1)()), check)
    yield Case(g, "maskcore Superpixels.compute re-run threads=1", mc(1, fresh=False), check)

    def skimage_setup():
        module("skimage.segmentation", "scikit-image is not installed")
        img = photo(h, w, source)
        return lambda: run_skimage(img, n)

    yield Case(g, "skimage.segmentation.slic", skimage_setup, check, kind="peer")

    def fast(avx2, stride):
        def setup():
            cls = _fast_slic(avx2)
            img = photo(h, w, source)
            kw = {} if stride is None else {"subsample_stride": stride}
            return lambda: cls(num_components=n, compactness=COMPACTNESS, num_threads=1, **kw).iterate(img)
        return setup

    yield Case(g, "fast_slic SlicAvx2 subsample_stride=1 (same work)", fast(True, 1), check, kind="peer")
    yield Case(g, "fast_slic SlicAvx2 (default subsampling)", fast(True, None), check, kind="peer")
    yield Case(g, "fast_slic Slic subsample_stride=1", fast(False, 1), check, kind="peer")

    def opencv(algorithm):
        def setup():
            cv2, algo = _cv2_slic(algorithm)
            img = photo(h, w, source)
            lab = cv2.cvtColor(img, cv2.COLOR_RGB2Lab)

            def run():
                cv2.setNumThreads(1)
                s = cv2.ximgproc.createSuperpixelSLIC(lab, algorithm=algo, region_size=REGION, ruler=COMPACTNESS)
                s.iterate(ITERATIONS)
                s.enforceLabelConnectivity(25)
                return s.getLabels()
            return run
        return setup

    yield Case(g, "cv2.ximgproc SLIC", opencv("SLIC"), check, kind="peer")
    yield Case(g, "cv2.ximgproc SLICO", opencv("SLICO"), check, kind="peer")


def _click_cases(side: int) -> Iterator[Case]:
    """Editor latency (issue 19): one select_superpixels click on a side x side int32 segment
    map (a grid of 20 x 20 segments) against numpy's ``labels == id``."""
    g = f"editor: one select_superpixels click on {side}x{side} int32 labels"
    labels = (np.arange(side)[:, None] // 20 * (side // 20 + 1) + np.arange(side)[None, :] // 20).astype(np.int32)
    x, y = side / 2 + 0.5, side / 2 - 0.5
    want = labels == labels[int(y), int(x)]

    def check(mask):
        np.testing.assert_array_equal(mask, want)

    def mc():
        import maskcore

        return lambda: maskcore.select_superpixels(labels, [(x, y)])

    yield Case(g, "maskcore select_superpixels", mc, check)
    yield Case(g, "numpy labels == labels[y, x]", lambda: (lambda: labels == labels[int(y), int(x)]), check, kind="numpy")


def cases(quick: bool = False) -> list:
    out: list = list(_click_cases(1000 if quick else 4000))
    for h, w, source in QUICK_SIZES if quick else FULL_SIZES:
        out += list(_slic_cases(h, w, source))
    return out
