"""Issue 14, defect 7: rasterize_rle's cost follows the edges and the runs, not edges x columns.

The column scan steps each edge once per column it spans; a polygon that zigzags
across the image horizontally made that edges x columns (40,000 vertices over 1,000
columns: 1.06 s against 0.001 s for the dense rasterize). The binding now takes the
row scan when it is cheaper; both select the same pixels, checked here on polygons
that pick either scan.
"""
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import maskcore


def _zigzag(n=40000, span=999.0, horizontal=True):
    t = np.arange(n) * span / n
    alt = (np.arange(n) % 2) * span
    return np.stack([alt, t], 1) if horizontal else np.stack([t, alt], 1)


def _best(f, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.mark.parametrize("rule", ["center", "touched"])
@pytest.mark.parametrize("horizontal", [True, False])
def test_zigzag_rle_costs_about_the_dense_fill(rule, horizontal):
    zig = _zigzag(horizontal=horizontal)
    dense = maskcore.rasterize([zig], 1000, 1000, rule=rule)
    rle = maskcore.rasterize_rle([zig], 1000, 1000, rule=rule)
    assert np.array_equal(rle.decode(), dense)
    t_rle = _best(lambda: maskcore.rasterize_rle([zig], 1000, 1000, rule=rule))
    # the horizontal zigzag took 0.7 s (center) and 8 s (touched) by columns; the bar
    # leaves room for a loaded machine, far from either
    assert t_rle < 0.25, f"rasterize_rle took {t_rle:.3f} s on the {'horizontal' if horizontal else 'vertical'} zigzag"


@given(
    n=st.integers(3, 60),
    aspect=st.sampled_from([(1.0, 1.0), (60.0, 0.5), (0.5, 60.0), (40.0, 40.0)]),
    rule=st.sampled_from(["center", "touched"]),
    fill=st.sampled_from(["evenodd", "nonzero"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_either_scan_gives_the_dense_pixels(n, aspect, rule, fill, seed):
    rng = np.random.default_rng(seed)
    # flat, tall or square clouds of vertices: the cost estimate picks rows or columns
    xs = rng.uniform(-3, aspect[0] + 3, n).round(rng.integers(0, 3))
    ys = rng.uniform(-3, aspect[1] + 3, n).round(rng.integers(0, 3))
    poly = np.stack([xs, ys], 1)
    h, w = int(aspect[1]) + 2, int(aspect[0]) + 2
    dense = maskcore.rasterize([poly], h, w, rule=rule, fill_rule=fill)
    rle = maskcore.rasterize_rle([poly], h, w, rule=rule, fill_rule=fill)
    assert rle == maskcore.encode(dense)
