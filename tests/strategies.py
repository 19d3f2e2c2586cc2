"""Hypothesis strategies for binary masks and the memory layouts maskcore must accept.

Shapes are biased towards the cases kernels get wrong: empty (0), single (1), and sizes
on either side of SIMD widths (16/32/64/128 bytes), where a vector loop hands over to
its scalar tail. Patterns cover constant masks (one long run, possibly wrapping many
columns), checkerboards (a run per pixel), random densities and blobs (few long runs).
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

SIMD_SIZES = (15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129)
PATTERNS = ("zeros", "ones", "checker", "random", "blobs", "stripes", "elements")

dims = st.one_of(
    st.sampled_from((0, 1)),
    st.sampled_from(SIMD_SIZES),
    st.integers(0, 140),
)


@st.composite
def shapes(draw, min_side=0, max_area=None):
    """(h, w) with each side biased to 0, 1 and SIMD boundaries; 1xN and Nx1 included."""
    kind = draw(st.sampled_from(("free", "row", "col", "free")))
    h = 1 if kind == "row" else draw(dims)
    w = 1 if kind == "col" else draw(dims)
    h, w = max(h, min_side), max(w, min_side)
    if max_area is not None and h * w > max_area:
        w = max(min_side, max_area // max(h, 1))
    return h, w


def _pattern(draw, shape, pattern):
    h, w = shape
    if pattern == "zeros":
        return np.zeros(shape, np.uint8)
    if pattern == "ones":
        return np.ones(shape, np.uint8)
    if pattern == "checker":
        phase = draw(st.integers(0, 1))
        return ((np.add.outer(np.arange(h), np.arange(w)) + phase) % 2).astype(np.uint8)
    if pattern == "elements":
        # Element-wise draws shrink well but are slow for big arrays: draw at most a
        # 48 x 48 block and place it in a background of a drawn value.
        bh, bw = min(h, 48), min(w, 48)
        block = draw(hnp.arrays(np.uint8, (bh, bw), elements=st.integers(0, 1)))
        m = np.full(shape, draw(st.integers(0, 1)), np.uint8)
        y, x = draw(st.integers(0, h - bh)), draw(st.integers(0, w - bw))
        m[y:y + bh, x:x + bw] = block
        return m
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if pattern == "random":
        density = draw(st.sampled_from((0.01, 0.1, 0.5, 0.9, 0.99)))
        return (rng.random(shape) < density).astype(np.uint8)
    if pattern == "stripes":
        # Whole rows or whole columns set: runs that wrap or span full columns.
        m = np.zeros(shape, np.uint8)
        axis_len = h if draw(st.booleans()) else w
        sel = rng.random(axis_len) < 0.5
        if axis_len == h:
            m[sel, :] = 1
        else:
            m[:, sel] = 1
        return m
    # blobs: a few axis-aligned rectangles and discs, optionally inverted
    m = np.zeros(shape, np.uint8)
    if h and w:
        yy, xx = np.mgrid[:h, :w]
        for _ in range(int(rng.integers(1, 4))):
            cy, cx = rng.integers(0, h), rng.integers(0, w)
            r = rng.integers(1, max(2, min(h, w) // 2 + 2))
            if rng.random() < 0.5:
                m[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 1
            else:
                m[max(0, cy - r):cy + r, max(0, cx - r):cx + r] = 1
        if rng.random() < 0.3:
            m ^= 1
    return m


@st.composite
def masks(draw, shape=None, min_side=0, max_area=None, dtype=np.uint8):
    """A 2-D binary mask (uint8 0/1 by default, C-contiguous)."""
    if shape is None:
        shape = draw(shapes(min_side=min_side, max_area=max_area))
    m = _pattern(draw, shape, draw(st.sampled_from(PATTERNS)))
    return np.ascontiguousarray(m, dtype=dtype)


@st.composite
def mask_pairs(draw, min_side=0):
    """Two masks of the same shape."""
    shape = draw(shapes(min_side=min_side))
    return draw(masks(shape=shape)), draw(masks(shape=shape))


@st.composite
def mask_lists(draw, min_size=0, max_size=5, min_side=0, max_area=4096):
    """A list of masks sharing one shape."""
    shape = draw(shapes(min_side=min_side, max_area=max_area))
    n = draw(st.integers(min_size, max_size))
    return [draw(masks(shape=shape)) for _ in range(n)]


@st.composite
def mask_stacks(draw, max_n=5, max_area=4096):
    """(H, W, N) uint8 stack, C or Fortran ordered (pycocotools users pass F)."""
    ms = draw(mask_lists(min_size=0, max_size=max_n, max_area=max_area))
    if not ms:
        h, w = draw(shapes(max_area=max_area))
        stack = np.zeros((h, w, 0), np.uint8)
    else:
        stack = np.stack(ms, axis=-1)
    order = draw(st.sampled_from("CF"))
    return np.asarray(stack, order=order)


def _strided(mask):
    big = np.full((2 * mask.shape[0] + 1, 3 * mask.shape[1] + 2), 7, mask.dtype)
    view = big[1::2, 2::3]
    view[...] = mask
    return view


def _negative(mask):
    return np.ascontiguousarray(mask[::-1, ::-1])[::-1, ::-1]


def _negative_fortran(mask):
    return np.asfortranarray(mask[::-1, :])[::-1, :]


def _readonly(mask):
    out = np.array(mask, copy=True)
    out.flags.writeable = False
    return out


def _readonly_strided(mask):
    out = _strided(mask)
    out.flags.writeable = False
    return out


_LAYOUTS = {
    "C": np.ascontiguousarray,
    "F": np.asfortranarray,
    "strided": _strided,
    "negative": _negative,
    "negative_F": _negative_fortran,
    "transposed_view": lambda m: np.ascontiguousarray(m.T).T,
    "readonly": _readonly,
    "readonly_strided": _readonly_strided,
}
LAYOUT_NAMES = tuple(_LAYOUTS)


def layouts(mask, dtypes=(np.uint8, np.bool_)):
    """Dict name -> view holding the same logical mask in every layout and dtype.

    Names are ``"<layout>-<dtype>"``; layouts: C, F, strided (every 2nd row / 3rd column
    of a larger array whose other cells hold 7), negative strides (both axes, and one axis
    of an F array), a transposed view, read-only (contiguous and strided).
    """
    mask = np.asarray(mask)
    out = {}
    for dt in dtypes:
        base = mask.astype(dt)
        for name, make in _LAYOUTS.items():
            view = make(base)
            assert view.shape == mask.shape and np.array_equal(view, base)
            out[f"{name}-{np.dtype(dt).name}"] = view
    return out


layout_names = st.sampled_from(LAYOUT_NAMES)


def layout(mask, name, dtype=np.uint8):
    """One view of ``mask`` in layout ``name`` (see ``layouts``)."""
    return _LAYOUTS[name](np.asarray(mask).astype(dtype))


def fixture_settings(**kwargs):
    """``@settings`` for ``@given`` tests that take the ``isa`` fixture.

    The fixture only selects a global kernel table, which is the same for every example,
    so Hypothesis' function-scoped-fixture health check does not apply. Unspecified
    settings come from the loaded profile (conftest loads it before tests are imported).
    """
    from hypothesis import HealthCheck, settings

    suppressed = list(settings.default.suppress_health_check)
    if HealthCheck.function_scoped_fixture not in suppressed:
        suppressed.append(HealthCheck.function_scoped_fixture)
    return settings(suppress_health_check=suppressed, **kwargs)


# ---- contours


@st.composite
def label_maps(draw):
    """A 2-D label map (0 = background) of up to 6 labels in any integer dtype: random
    pixels or 4x4 blocks, small values or large ones (x 1,000,003 for 32/64-bit types)."""
    h = draw(st.integers(0, 40))
    w = draw(st.integers(0, 40))
    k = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lab = rng.integers(0, k + 1, (h, w))
    if draw(st.booleans()) and h and w:  # blocky: upsampled
        small = rng.integers(0, k + 1, ((h + 3) // 4, (w + 3) // 4))
        lab = np.kron(small, np.ones((4, 4), np.int64))[:h, :w]
    dtype = draw(st.sampled_from((np.uint8, np.uint16, np.int32, np.int64, np.int16, np.uint32)))
    values = draw(st.sampled_from(("small", "big")))
    if values == "big" and np.dtype(dtype).itemsize >= 4:
        lab = lab * 1_000_003
    return lab.astype(dtype)


# ---- components

_INT_DTYPES = (np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64)
CCL_PATTERNS = ("mask", "diagonal", "spiral", "multi", "multi_noise")


def _spiral(h, w):
    """A one-pixel-wide square spiral walked inwards from (0, 0) with a one-pixel gap
    between turns: one long, winding 4-connected component."""
    m = np.zeros((h, w), np.uint8)
    if h == 0 or w == 0:
        return m
    steps = ((0, 1), (1, 0), (0, -1), (-1, 0))

    def free(r, c):
        return 0 <= r < h and 0 <= c < w and not m[r, c]

    r = c = d = 0
    m[0, 0] = 1
    turns = 0
    while turns < 2:
        dr, dc = steps[d]
        ahead = (r + 2 * dr, c + 2 * dc)
        if free(r + dr, c + dc) and not (0 <= ahead[0] < h and 0 <= ahead[1] < w and m[ahead]):
            r, c = r + dr, c + dc
            m[r, c] = 1
            turns = 0
        else:
            d = (d + 1) % 4
            turns += 1
    return m


@st.composite
def label_images(draw, max_area=4096):
    """(image, multi): a 2D image for labeling. Binary masks (every mask pattern),
    diagonal chains (4- and 8-connectivity differ on every pixel), spirals, and
    multi-label maps (blocky regions, or noise) in a drawn integer dtype."""
    shape = draw(shapes(max_area=max_area))
    h, w = shape
    pattern = draw(st.sampled_from(CCL_PATTERNS))
    if pattern == "mask":
        return draw(masks(shape=shape, dtype=np.bool_)), False
    if pattern == "diagonal":
        k = draw(st.integers(2, 5))
        anti = draw(st.booleans())
        r, c = np.indices(shape)
        return (((r + c) if anti else (r - c)) % k == 0), False
    if pattern == "spiral":
        return _spiral(h, w).astype(bool), False
    dtype = draw(st.sampled_from(_INT_DTYPES))
    info = np.iinfo(dtype)
    values = np.array(sorted({0, int(info.min), int(info.max), 1, 2, 3}), dtype=dtype)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if pattern == "multi_noise":
        return values[rng.integers(0, len(values), shape)], True
    cell = draw(st.integers(1, 8))
    small = rng.integers(0, len(values), (h // cell + 1, w // cell + 1))
    img = values[np.repeat(np.repeat(small, cell, 0), cell, 1)[:h, :w]]
    return img, True


@st.composite
def label_volumes(draw):
    """(volume, multi): a small 3D binary or multi-label volume."""
    z = draw(st.sampled_from((0, 1, 2, 3, 5, 8)))
    y = draw(st.sampled_from((0, 1, 2, 4, 7, 9)))
    x = draw(st.sampled_from((1, 3, 8, 15, 17, 33, 65)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        density = draw(st.sampled_from((0.1, 0.3, 0.5, 0.8, 1.0, 0.0)))
        return rng.random((z, y, x)) < density, False
    dtype = draw(st.sampled_from(_INT_DTYPES))
    k = draw(st.integers(2, 4))
    return rng.integers(0, k, (z, y, x)).astype(dtype), True


def layout_nd(image, name):
    """One view of a 2D or 3D array in layout ``name``: "C", "F", "strided" or "negative"."""
    a = np.asarray(image)
    if name == "F":
        return np.asfortranarray(a)
    if name == "strided":
        big = np.zeros(tuple(2 * s + 1 for s in a.shape), a.dtype)
        view = big[tuple(slice(1, None, 2) for _ in a.shape)]
        view[...] = a
        return view
    if name == "negative":
        flip = tuple(slice(None, None, -1) for _ in a.shape)
        return np.ascontiguousarray(a[flip])[flip]
    return np.ascontiguousarray(a)


# ---- raster
def _coordinate(hi):
    """Coordinates that hit the rules' ties: integers (pixel edges), halves (centres),
    1/256 steps, plain floats, a little outside the image, and far away."""
    return st.one_of(
        st.integers(-3, hi + 3).map(float),
        st.integers(-6, 2 * hi + 6).map(lambda v: v / 2),
        st.integers(-3 * 256, (hi + 3) * 256).map(lambda v: v / 256),
        st.floats(-3, hi + 3, allow_nan=False),
        st.sampled_from([-1e12, 1e12, -1e6, 1e6]),
    )


@st.composite
def raster_polygons(draw, h, w, max_parts=2, max_points=7, min_points=0):
    """A list of parts, each a flat [x0, y0, ...] list, for an h x w image."""
    n = draw(st.integers(1, max_parts))
    parts = []
    for _ in range(n):
        k = draw(st.integers(min_points, max_points))
        part = []
        for _ in range(k):
            part += [draw(_coordinate(w)), draw(_coordinate(h))]
        parts.append(part)
    return parts


# ---- superpixels


def image_layouts(img):
    """Dict name -> view of the same logical (H, W[, C]) image in other memory layouts:
    C, F, strided (inside a larger array), negative strides, channels as a strided
    slice of a wider last axis, read-only."""
    img = np.asarray(img)
    big = np.zeros((2 * img.shape[0] + 1, 3 * img.shape[1] + 2) + img.shape[2:], img.dtype)
    strided = big[1::2, 2::3]
    strided[...] = img
    out = {
        "C": np.ascontiguousarray(img),
        "F": np.asfortranarray(img),
        "strided": strided,
        "negative": np.ascontiguousarray(img[::-1, ::-1])[::-1, ::-1],
    }
    if img.ndim == 3:
        wide = np.zeros(img.shape[:2] + (img.shape[2] + 1,), img.dtype)
        wide[..., :-1] = img
        out["channel_slice"] = wide[..., :-1]
        out["channels_reversed"] = np.ascontiguousarray(img[..., ::-1])[..., ::-1]
    ro = np.array(img, copy=True)
    ro.flags.writeable = False
    out["readonly"] = ro
    return out


@st.composite
def slic_images(draw, max_side=40):
    """Small images for SLIC: RGB uint8, grayscale float or uint8, 2-channel float; smooth
    blobs, noise or constant, sides biased to 1 and SIMD widths."""
    side = st.one_of(st.sampled_from((1, 2, 15, 16, 17, 31, 32, 33)), st.integers(1, max_side))
    h, w = min(draw(side), max_side), min(draw(side), max_side)
    kind = draw(st.sampled_from(("rgb", "gray_float", "gray_u8", "two_float")))
    pattern = draw(st.sampled_from(("blobs", "noise", "constant")))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    c = {"rgb": 3, "gray_float": 1, "gray_u8": 1, "two_float": 2}[kind]
    if pattern == "constant":
        base = np.broadcast_to(rng.random(c), (h, w, c)).copy()
    elif pattern == "noise":
        base = rng.random((h, w, c))
    else:
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.zeros((h, w, c))
        for _ in range(4):
            cy, cx, r = rng.random() * h, rng.random() * w, 2 + rng.random() * max(h, w) / 2
            base[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.random(c)
    if kind == "rgb":
        return (base * 255).astype(np.uint8)
    if kind == "gray_u8":
        return (base[..., 0] * 255).astype(np.uint8)
    return base[..., 0] if c == 1 else base
