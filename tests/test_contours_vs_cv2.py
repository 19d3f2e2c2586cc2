"""find_polygons' default (pixel-centre) mode against cv2.findContours(RETR_CCOMP,
CHAIN_APPROX_SIMPLE), which defines it: the same number of outer rings and holes, and
every ring the same vertex set (ours minus 0.5 = OpenCV's integer pixel coordinates).
Rings run the other way round (ours: outer rings counter-clockwise in the numeric
sense), so the comparison is by sets. Real masks are in test_contours_real.py.
"""
import cv2
import numpy as np
from hypothesis import given

from maskcore import find_polygons

from strategies import fixture_settings, masks


def opencv(m):
    contours, hierarchy = cv2.findContours(np.ascontiguousarray(m, np.uint8), cv2.RETR_CCOMP,
                                           cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return 0, 0, []
    outer = int((hierarchy[0][:, 3] < 0).sum())
    return outer, len(contours) - outer, [c.reshape(-1, 2) for c in contours]


def vertex_sets(rings):
    return sorted(tuple(sorted(set(map(tuple, np.asarray(r).astype(np.int64).tolist())))) for r in rings)


def check(m):
    polys = find_polygons(m)
    outer, holes, theirs = opencv(m)
    assert (len(polys), sum(len(p.holes) for p in polys)) == (outer, holes)
    assert vertex_sets([r - 0.5 for p in polys for r in p.rings]) == vertex_sets(theirs)


@fixture_settings()
@given(m=masks(min_side=1, max_area=4000))
def test_default_mode_matches_opencv(isa, m):
    check(m)


def test_noise_and_shapes_match_opencv():
    rng = np.random.default_rng(7)
    for _ in range(200):
        h, w = rng.integers(1, 24, 2)
        check((rng.random((h, w)) < rng.random()).astype(np.uint8))
    yy, xx = np.mgrid[:64, :64]
    disc = ((yy - 31.5) ** 2 + (xx - 31.5) ** 2 < 900).astype(np.uint8)
    check(disc)
    check(disc ^ ((yy - 31.5) ** 2 + (xx - 31.5) ** 2 < 200))
    check(np.eye(9, dtype=np.uint8))
    check(np.ones((1, 1), np.uint8))
