"""maskcore.slic against the plain reference (tests/reference/superpixels_ref.py):
exact label equality on small images for every ISA and thread count, the properties
the issue lists, layouts, edge cases and bad input. The editor glue (Superpixels,
select_superpixels, paint_superpixels) is in test_superpixels_glue.py."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import maskcore
from maskcore.superpixels import _features, _grid
from reference.superpixels_ref import slic_ref
from strategies import fixture_settings, image_layouts, slic_images


def astronaut(step=8):
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[::step, ::step])


def reference(img, region_size=None, n_segments=None, compactness=10.0, iterations=10,
              enforce_connectivity=True, min_size_factor=0.25, mask=None):
    feat, q = _features(np.asarray(img), 1)
    h, w = img.shape[:2]
    ny, nx = _grid(h, w, region_size, n_segments)
    step, area = max(h / ny, w / nx), h * w / (ny * nx)
    m = 0.0 if compactness == "auto" else float(compactness)
    return slic_ref(feat, ny, nx, step, m, q, iterations, enforce_connectivity, min_size_factor * area, mask)


def check_labels(labels, img_shape):
    assert labels.dtype == np.int32 and labels.shape == img_shape[:2] and labels.flags.c_contiguous
    k = int(labels.max()) + 1
    used = np.unique(labels[labels >= 0])
    np.testing.assert_array_equal(used, np.arange(k))  # every label 0..K-1 is used
    flat = labels.ravel()
    first = np.unique(flat[flat >= 0], return_index=True)[1]
    assert (np.diff(first) > 0).all()  # numbered in raster order of first pixel
    return k


def n_components(labels):
    """4-connected components of the label image (pixels >= 0)."""
    from skimage.measure import label

    return int(label(labels + 1, background=0, connectivity=1).max())


CASES = [
    dict(region_size=8),
    dict(region_size=5, iterations=3),
    dict(n_segments=30, compactness="auto"),
    dict(region_size=6, enforce_connectivity=False),
    dict(region_size=10, compactness=1.0, min_size_factor=0.5),
    dict(n_segments=7, iterations=1),
]


@pytest.mark.parametrize("kw", CASES, ids=[str(k) for k in CASES])
def test_equals_reference_rgb(isa, kw):
    img = astronaut()
    expect = reference(img, **kw)
    for threads in (1, 2, 3):
        np.testing.assert_array_equal(maskcore.slic(img, threads=threads, **kw), expect)


def test_equals_reference_float_channels(isa):
    rng = np.random.default_rng(3)
    img = np.cumsum(rng.normal(size=(29, 47, 4)), axis=1)  # 4 float channels, smooth along rows
    for kw in (dict(region_size=6, compactness=2.0), dict(n_segments=20, compactness="auto")):
        np.testing.assert_array_equal(maskcore.slic(img, **kw), reference(img, **kw))


def test_equals_reference_mask(isa):
    img = astronaut()
    yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]]
    mask = (yy - 30) ** 2 + (xx - 35) ** 2 < 25**2
    mask[5:10, :] = True  # a band touching the disc
    labels = maskcore.slic(img, region_size=7, mask=mask)
    np.testing.assert_array_equal(labels, reference(img, region_size=7, mask=mask))
    assert (labels[~mask] == -1).all() and (labels[mask] >= 0).all()
    check_labels(labels, img.shape)


@fixture_settings(max_examples=25)
@given(img=slic_images(), data=st.data())
def test_random_images_equal_reference(isa, img, data):
    kw = data.draw(st.sampled_from([
        dict(region_size=data.draw(st.integers(1, 12))),
        dict(n_segments=data.draw(st.integers(1, 40))),
        dict(region_size=5, compactness="auto"),
        dict(region_size=4, enforce_connectivity=False),
    ]))
    kw["iterations"] = data.draw(st.integers(1, 4))
    if img.dtype.kind == "f" and "compactness" not in kw:
        kw["compactness"] = 0.1
    labels = maskcore.slic(img, threads=data.draw(st.integers(1, 3)), **kw)
    np.testing.assert_array_equal(labels, reference(img, **kw))
    k = check_labels(labels, img.shape)
    if kw.get("enforce_connectivity", True):
        assert n_components(labels) == k


def test_properties_on_photo():
    img = astronaut(2)  # 256 x 256
    h, w = img.shape[:2]
    ks = []
    for n in (20, 50, 200, 500):
        labels = maskcore.slic(img, n_segments=n)
        k = check_labels(labels, img.shape)
        assert n_components(labels) == k  # every segment 4-connected
        ny, nx = _grid(h, w, None, n)
        sizes = np.bincount(labels.ravel())
        assert sizes.min() >= 0.25 * h * w / (ny * nx)  # no orphan below the minimum
        assert 0.8 * n <= k <= 1.2 * n, (n, k)  # the documented tolerance
        ks.append(k)
    sizes = [int(maskcore.slic(img, region_size=s).max()) + 1 for s in (8, 12, 16, 24, 32, 48)]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)


@pytest.mark.parametrize("compactness", [10.0, 1.0, "auto"])
def test_noise_is_not_collapsed(compactness):
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    labels = maskcore.slic(img, n_segments=100, compactness=compactness)
    k = check_labels(labels, img.shape)
    assert n_components(labels) == k
    assert 30 <= k <= 150
    assert np.bincount(labels.ravel()).min() >= 0.25 * 120 * 160 / 100


@pytest.mark.parametrize("shape", [(1, 1), (1, 500), (500, 1), (2, 3), (70000, 3), (3, 70000)])
def test_thin_images(isa, shape):
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
    img = np.sort(img, axis=0 if shape[0] > shape[1] else 1)  # gradients: real segments, not just noise
    for kw in (dict(n_segments=10), dict(region_size=20), dict(n_segments=10**9)):
        labels = maskcore.slic(img, **kw)
        k = check_labels(labels, img.shape)
        assert n_components(labels) == k
        if "region_size" in kw and max(shape) > 1000:
            assert k > 1000
    if shape == (70000, 3):
        small = np.ascontiguousarray(img[:300])
        np.testing.assert_array_equal(maskcore.slic(small, n_segments=10), reference(small, n_segments=10))


def test_constant_image():
    img = np.full((64, 80, 3), 77, np.uint8)
    labels = maskcore.slic(img, region_size=16)
    k = check_labels(labels, img.shape)
    assert k == (64 // 16) * (80 // 16)  # ties keep the earlier center: a clean grid
    np.testing.assert_array_equal(labels, reference(img, region_size=16))


def test_more_segments_than_pixels_is_clamped():
    img = astronaut(32)  # 16 x 16
    labels = maskcore.slic(img, n_segments=10**6, enforce_connectivity=False)
    assert labels.max() + 1 <= 256
    np.testing.assert_array_equal(labels, maskcore.slic(img, n_segments=256, enforce_connectivity=False))
    # one seed per pixel (3 x 3 windows), no orphan merging
    labels = maskcore.slic(img, region_size=1, min_size_factor=0)
    np.testing.assert_array_equal(labels, reference(img, region_size=1, min_size_factor=0))
    assert check_labels(labels, img.shape) > 128


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.float32, np.float64, np.bool_])
def test_gray_dtypes(dtype):
    img = astronaut()[..., 1]
    if dtype == np.bool_:
        img = img > 128
    labels = maskcore.slic(img.astype(dtype), region_size=8, compactness=10.0 if dtype != np.bool_ else 0.1)
    check_labels(labels, img.shape)
    np.testing.assert_array_equal(labels, reference(img.astype(dtype), region_size=8,
                                                    compactness=10.0 if dtype != np.bool_ else 0.1))


def test_layouts():
    img = astronaut()
    expect = maskcore.slic(img, region_size=7)
    for name, view in image_layouts(img).items():
        np.testing.assert_array_equal(maskcore.slic(view, region_size=7), expect, err_msg=name)
    gray = astronaut()[..., 0].astype(np.float32) / 255
    expect = maskcore.slic(gray, region_size=7, compactness=0.1)
    for name, view in image_layouts(gray).items():
        np.testing.assert_array_equal(maskcore.slic(view, region_size=7, compactness=0.1), expect, err_msg=name)
    mask = np.zeros(img.shape[:2], bool)
    mask[10:50, 5:60] = True
    expect = maskcore.slic(img, region_size=7, mask=mask)
    np.testing.assert_array_equal(maskcore.slic(img, region_size=7, mask=np.asfortranarray(mask.view(np.uint8))), expect)


def test_lab_conversion_close_to_skimage():
    from skimage.color import rgb2lab

    v = np.stack(np.meshgrid(np.arange(256), np.arange(256), indexing="ij"), -1)
    for b in (0, 1, 37, 128, 254, 255):
        img = np.concatenate([v, np.full((256, 256, 1), b)], -1).astype(np.uint8)
        lab = maskcore._core.slic_lab(img, 1).astype(np.float64) / maskcore._core.slic_lab_scale
        assert np.abs(lab - np.moveaxis(rgb2lab(img), 2, 0)).max() < 0.15


def test_empty_mask_and_full_mask():
    img = astronaut()
    assert (maskcore.slic(img, region_size=8, mask=np.zeros(img.shape[:2], bool)) == -1).all()
    np.testing.assert_array_equal(maskcore.slic(img, region_size=8, mask=np.ones(img.shape[:2], np.uint8)),
                                  maskcore.slic(img, region_size=8))


def test_too_many_seeds_overflow():
    with pytest.raises(OverflowError, match="region_size"):
        _grid(2**20, 2**20, 1, None)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(image=np.zeros((0, 5, 3), np.uint8)), ValueError, "non-empty"),
    (dict(image=np.zeros((5, 0))), ValueError, "non-empty"),
    (dict(image=np.zeros((5, 5, 0))), ValueError, "non-empty"),
    (dict(image=np.full((5, 5), np.nan)), ValueError, "finite"),
    (dict(image=np.array([[0.0, np.inf]])), ValueError, "finite"),
    (dict(image=np.zeros(5)), ValueError, r"\(H, W\)"),
    (dict(image="abc"), TypeError, "numpy array"),
    (dict(image=np.zeros((4, 4), complex)), TypeError, "numeric"),
    (dict(compactness=0), ValueError, "compactness"),
    (dict(compactness=-1.0), ValueError, "compactness"),
    (dict(compactness=float("nan")), ValueError, "compactness"),
    (dict(compactness="slico"), ValueError, "compactness"),
    (dict(region_size=0.5), ValueError, "region_size"),
    (dict(region_size=0), ValueError, "region_size"),
    (dict(n_segments=0), ValueError, "n_segments"),
    (dict(n_segments=2.5), TypeError, "n_segments"),
    (dict(n_segments=4, region_size=4), TypeError, "not both"),
    (dict(iterations=0), ValueError, "iterations"),
    (dict(min_size_factor=-0.1), ValueError, "min_size_factor"),
    (dict(threads=0), ValueError, "threads"),
    (dict(mask=np.ones((3, 3), bool)), ValueError, "mask"),
    (dict(mask=np.ones((8, 8), np.float32)), TypeError, "mask"),
])
def test_bad_input(kwargs, exc, match):
    kw = dict(image=np.zeros((8, 8, 3), np.uint8))
    kw.update(kwargs)
    image = kw.pop("image")
    with pytest.raises(exc, match=match):
        maskcore.slic(image, **kw)


def test_default_is_100_segments():
    img = astronaut(2)
    assert 80 <= maskcore.slic(img).max() + 1 <= 120


def test_lab_conversion_identical_on_every_isa():
    rng = np.random.default_rng(5)
    img = rng.integers(0, 256, (37, 65, 3), dtype=np.uint8)
    with maskcore.use_isa("scalar"):
        expect = maskcore._core.slic_lab(img, 1)
    for isa in maskcore.available_isas():
        with maskcore.use_isa(isa):
            for name, view in image_layouts(img).items():
                np.testing.assert_array_equal(maskcore._core.slic_lab(view, 2), expect, err_msg=f"{isa} {name}")


def test_runs_longer_than_2_16(isa):
    # one label run of > 65536 pixels: the vector sums flush their int32 lanes
    x = np.linspace(0, 255, 140000)
    img = np.stack([np.stack([x, 255 - x, x / 2], -1)] * 2).astype(np.uint8)
    for n in (2, 3):
        labels = maskcore.slic(img, n_segments=n, enforce_connectivity=False, iterations=3)
        np.testing.assert_array_equal(labels, reference(img, n_segments=n, enforce_connectivity=False, iterations=3))


def test_strips_with_more_centers_than_key_indices(isa):
    # region_size 1 on 3 x 2000: the middle strip lists ~6000 centers, more than a key's
    # 12 index bits number (slic.hpp, SCHEDULE), so it runs in exact mode between two
    # key-mode strips; both give the reference's labels
    rng = np.random.default_rng(8)
    img = rng.integers(0, 256, (3, 2000, 3), dtype=np.uint8)
    img[:, 1000:] //= 8  # some structure, so centers move
    for kw in (dict(region_size=1, iterations=2), dict(region_size=1, iterations=3, compactness="auto")):
        labels = maskcore.slic(img, enforce_connectivity=False, **kw)
        np.testing.assert_array_equal(labels, reference(img, enforce_connectivity=False, **kw))


def test_color_distances_beyond_int32(isa):
    # 3 signed float channels fill the quantized range [-16383, 16383]: a color distance
    # reaches 3 * 32766^2 > 2^31, the vector loops' uint32 conversion
    rng = np.random.default_rng(9)
    img = np.cumsum(rng.normal(size=(40, 70, 3)), axis=1)
    img = 1.99 * img / np.abs(img).max(axis=(0, 1))  # quantized by 2^13: near +-16383
    img[0, 0], img[0, 1] = (1.99, 1.99, 1.99), (-1.99, -1.99, -1.99)
    feat, _ = _features(img, 1)
    spans = feat.reshape(3, -1).max(1).astype(np.int64) - feat.reshape(3, -1).min(1)
    assert (spans**2).sum() > 2**31
    for kw in (dict(region_size=6, compactness=0.05), dict(n_segments=20, compactness="auto")):
        np.testing.assert_array_equal(maskcore.slic(img, **kw), reference(img, **kw))
    gray = img[:, :, 0]  # one channel: at most 32766^2, always int32
    np.testing.assert_array_equal(maskcore.slic(gray, region_size=5, compactness=0.05),
                                  reference(gray, region_size=5, compactness=0.05))


def test_threads_identical_on_images_large_enough_to_split(isa):
    """Images large enough that every step runs on several threads (strips, the
    banded component unions and their seams, the parallel center update): labels
    equal the single-thread ones, on a photo and on noise (many orphans to merge)."""
    from skimage import data

    photo = np.ascontiguousarray(np.tile(data.astronaut(), (2, 1, 1))[:, :700])  # 1024 x 700
    noise = np.random.default_rng(5).integers(0, 256, (760, 720, 3), dtype=np.uint8)
    for img, kw in ((photo, dict(region_size=12)), (noise, dict(region_size=7, iterations=2)),
                    (photo, dict(n_segments=300, compactness="auto", iterations=3))):
        one = maskcore.slic(img, threads=1, **kw)
        check_labels(one, img.shape)
        for threads in (2, 3, 4):
            np.testing.assert_array_equal(maskcore.slic(img, threads=threads, **kw), one)


def test_reused_memory_does_not_leak_between_calls():
    """Large labels and features reuse the memory of dropped ones (the pool): images of
    other sizes, channel counts, dtypes and options, in any order, get the labels a
    fresh Superpixels gets, whatever the reused memory held."""
    from skimage import data

    rng = np.random.default_rng(11)
    photo = np.ascontiguousarray(np.tile(data.astronaut(), (3, 3, 1)))  # 1536 x 1536: pooled sizes
    images = [photo, photo[:1400, :1500], rng.random((1100, 1200, 3)), photo[:, :, 0], photo[::-1, ::2],
              rng.integers(0, 256, (1700, 1300, 3), dtype=np.uint8), photo]
    options = [dict(region_size=40), dict(n_segments=400, compactness="auto"), dict(region_size=30, iterations=2)]
    for i, img in enumerate(images):
        kw = options[i % len(options)]
        want = maskcore.Superpixels(img).compute(**kw)
        np.testing.assert_array_equal(maskcore.slic(img, **kw), want)


def test_concurrent_calls_from_threads_equal_serial():
    """Each Python thread keeps its own buffers: concurrent slic() calls from several
    threads give the serial labels."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(12)
    images = [rng.integers(0, 256, (60 + 7 * i, 80 - 5 * i, 3), dtype=np.uint8) for i in range(8)]
    want = [maskcore.slic(img, region_size=6, threads=1) for img in images]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            got = list(pool.map(lambda img: maskcore.slic(img, region_size=6, threads=1), images))
            for g, w in zip(got, want):
                np.testing.assert_array_equal(g, w)


def test_lab_out_is_checked():
    img = np.zeros((4, 5, 3), np.uint8)
    for out, match in ((np.zeros((3, 4, 5), np.int32), "int16"), (np.zeros((3, 5, 4), np.int16), r"\(3, H, W\)"),
                       (np.zeros((3, 4, 5), np.int16)[:, :, ::-1], "C-contiguous"), ([0], "numpy array")):
        with pytest.raises(ValueError, match=match):
            maskcore._core.slic_lab(img, 1, out)
    ro = np.zeros((3, 4, 5), np.int16)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        maskcore._core.slic_lab(img, 1, ro)
