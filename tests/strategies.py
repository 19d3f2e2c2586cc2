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
