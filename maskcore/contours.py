"""Masks to polygons with holes, and polygons to COCO / YOLO annotations.

Every connected component of a mask becomes one :class:`Polygon`: an outer ring,
its hole rings and its place in the hierarchy (the hole of which polygon it lies
in). Two vertex conventions come from the same boundary walk (see
``csrc/contour/contour.hpp``):

* ``exact=True``: the crack boundary. Vertices sit on pixel corners (integer
  ``x, y``; pixel ``(r, c)`` covers ``[c, c+1) x [r, r+1)``), collinear points
  merged. Filling the rings with the pixel-centre, even-odd rule gives back the
  mask exactly, for every mask.
* ``exact=False`` (default): the centres ``(c + 0.5, r + 0.5)`` of the boundary
  pixels, the 8-connected chain OpenCV's ``findContours`` follows, compressed to
  the points where the chain turns (``CHAIN_APPROX_SIMPLE``). Subtract 0.5 to get
  OpenCV's integer pixel coordinates.

Orientation: "counter-clockwise" means a positive shoelace area
``sum(x[i] * y[i+1] - x[i+1] * y[i]) / 2`` computed on the ``(x, y)`` values as
given, which is shapely's ``LinearRing.is_ccw`` and its ``orient(p, 1.0)``. With
the image's y axis pointing down, such a ring runs clockwise on the screen.
Outer rings are counter-clockwise, holes clockwise (zero-area rings of lines and
single pixels have no orientation).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Literal, Optional, Sequence, Tuple, Union, cast, overload

import numpy as np

from . import _core
from . import _validate as _v

if TYPE_CHECKING:
    from ._typing import ArrayLike, NDArray
    from .rle import RLE

__all__ = ["Polygon", "find_polygons", "find_polygons_labels", "to_coco_segmentation", "to_yolo"]


@dataclass(eq=False, slots=True)
class Polygon:
    """One connected component as a polygon with holes.

    Parameters
    ----------
    outer, holes, parent, parent_hole, area, label
        The attributes below, in that order (a dataclass: :func:`find_polygons` makes
        these; build one by hand to rasterize or export your own rings).

    Attributes
    ----------
    outer : ndarray, shape (N, 2), float64
        The outer ring, ``(x, y)`` rows, counter-clockwise (positive shoelace area),
        not closed (the first vertex is not repeated).
    holes : list of ndarray, shape (M, 2), float64
        One clockwise ring per hole, in raster order of the hole's first pixel.
    parent : int or None
        Index (in the same returned list) of the polygon in one of whose holes this
        one lies, or None when it lies in the unbounded background.
    parent_hole : int or None
        Which of ``parent``'s holes (an index into its ``holes``).
    area : int
        The component's pixel count (before any simplification).
    label : int
        The label value the component has (1 for binary masks).
    """

    outer: np.ndarray
    holes: List[np.ndarray] = field(default_factory=list)
    parent: Optional[int] = None
    parent_hole: Optional[int] = None
    area: int = 0
    label: int = 1

    @property
    def rings(self) -> List[np.ndarray]:
        """``[outer, *holes]``: what a polygon rasterizer with the even-odd rule takes."""
        return [self.outer, *self.holes]

    def __repr__(self) -> str:
        return (f"Polygon(outer={len(self.outer)} points, holes={len(self.holes)}, parent={self.parent}, "
                f"parent_hole={self.parent_hole}, area={self.area}, label={self.label})")


def _build(traced: Tuple[Any, ...], min_area: int) -> Dict[int, List[Polygon]]:
    """{label: [Polygon, ...]} from the kernel's flat arrays, labels in increasing order
    (rings are views of one (V, 2) array; parent indices count within each label's list)."""
    xy, ring_end, ring_comp, comp_outer, comp_hole_ring, comp_area, comp_label = traced
    n_comp = len(comp_outer)
    if n_comp == 0:
        return {}
    ends = ring_end.tolist()
    rings = [xy[s:e] for s, e in zip([0] + ends[:-1], ends)]
    outer = comp_outer.tolist()
    comp_of_ring = ring_comp.tolist()
    holes_of: List[List[int]] = [[] for _ in range(n_comp)]
    hole_slot = [-1] * len(ends)
    for r, c in enumerate(comp_of_ring):
        if outer[c] != r:
            hole_slot[r] = len(holes_of[c])
            holes_of[c].append(r)
    areas = comp_area.tolist()
    hole_ring = comp_hole_ring.tolist()
    labels = comp_label.tolist()
    out: Dict[int, List[Polygon]] = {v: [] for v in sorted(set(labels))}
    # A component comes after the one whose hole holds it, so parents are placed first.
    # min_area drops small components; their children move up to the hole that held the
    # dropped one (it contains the children too).
    new_index = [-1] * n_comp
    for c in range(n_comp):
        if areas[c] < min_area:
            continue
        lst = out[labels[c]]
        new_index[c] = len(lst)
        h = hole_ring[c]
        while h >= 0 and new_index[comp_of_ring[h]] < 0:
            h = hole_ring[comp_of_ring[h]]
        hs = holes_of[c]
        hole_rings = [rings[r] for r in hs] if hs else []
        if h >= 0:
            lst.append(Polygon(rings[outer[c]], hole_rings, new_index[comp_of_ring[h]], hole_slot[h], areas[c],
                               labels[c]))
        else:
            lst.append(Polygon(rings[outer[c]], hole_rings, None, None, areas[c], labels[c]))
    return {v: lst for v, lst in out.items() if lst}


@overload
def find_polygons(mask: ArrayLike, *, connectivity: int = 8, exact: bool = False, simplify: float = 0.0,
                  min_area: int = 0, return_iou: Literal[False] = False) -> List[Polygon]: ...
@overload
def find_polygons(mask: ArrayLike, *, connectivity: int = 8, exact: bool = False, simplify: float = 0.0,
                  min_area: int = 0, return_iou: Literal[True]) -> Tuple[List[Polygon], float]: ...
@overload
def find_polygons(mask: ArrayLike, *, connectivity: int = 8, exact: bool = False, simplify: float = 0.0,
                  min_area: int = 0, return_iou: bool) -> Union[List[Polygon], Tuple[List[Polygon], float]]: ...
def find_polygons(mask: ArrayLike, *, connectivity: int = 8, exact: bool = False, simplify: float = 0.0,
                  min_area: int = 0, return_iou: bool = False) -> Union[List[Polygon], Tuple[List[Polygon], float]]:
    """Trace every connected component of a binary mask into a polygon with holes.

    Parameters
    ----------
    mask : ndarray of bool or uint8, shape (H, W)
        Binary mask, any memory layout (read in place, never reordered). uint8
        values must be 0 or 1.
    connectivity : {8, 4}
        Which foreground pixels form one component: 8 joins pixels that touch at a
        corner, 4 only those sharing a side. The background uses the other one, so
        with 8 a hole is a 4-connected background region (two background pixels
        touching at a corner are two holes), with 4 an 8-connected one. With 8, two
        diagonal pixels are one component whose outer ring passes their shared
        corner twice; with 4 they are two components, and a hole whose pixels touch
        at a corner is one hole whose ring passes that corner twice.
    exact : bool
        True: crack boundaries (vertices on pixel corners) that rasterize back to
        the mask exactly with the pixel-centre, even-odd rule. False: the centres of
        the boundary pixels (OpenCV-style contours, shifted by +0.5 into maskcore's
        coordinates).
    simplify : float
        Douglas-Peucker tolerance in pixels (0: none). Simplification keeps every
        ring simple and never lets two rings of one polygon cross.
    min_area : int
        Drop components with fewer pixels (their holes' contents stay, re-parented
        to the hole that held the dropped component).
    return_iou : bool
        Also return the IoU of the (simplified) polygons against the mask, measured
        by rasterizing every polygon with the pixel-centre, even-odd rule (a pixel
        whose centre lies exactly on an edge counts when the edge is on its left /
        upper side: the half-open rule ``x_edge <= x_centre``), ORed over polygons.

    Returns
    -------
    list of Polygon
        One per connected component, in raster order of its first pixel (the order
        in which ``scipy.ndimage.label`` / ``skimage.measure.label`` number them).
        With ``return_iou``: ``(polygons, iou)``; iou is 0.0 when the mask and the fill
        are both empty (union 0), as pycocotools' ``iou`` gives (see API notes).

    Raises
    ------
    ValueError
        For a mask that is not 2-D, a uint8 value other than 0 or 1 (the message
        gives the value and its row and column), connectivity not 4 or 8, a negative
        ``simplify`` or ``min_area``.
    TypeError
        For other dtypes (use ``mask != 0``).

    Notes
    -----
    Rings are not closed. Exact rings alternate horizontal and vertical edges.
    Centre rings of one-pixel-wide parts go out and back along the same pixels
    (zero area); a single pixel is a one-point ring. Cost: one scan of the mask
    (read in place when its columns are contiguous, else copied once) plus one
    walk along every boundary, single-threaded; the GIL is released.

    Simplification guarantees: every kept vertex is an original one, a ring never
    drops below 3 points, no two rings of one polygon meet where the original
    rings did not, and holes stay inside their outer ring. Different polygons
    are simplified independently and may overlap afterwards.

    Examples
    --------
    >>> m = np.zeros((5, 5), bool); m[1:4, 1:4] = True; m[2, 2] = False
    >>> p, = find_polygons(m, exact=True)
    >>> p.outer.tolist(), p.holes[0].tolist()
    ([[1.0, 1.0], [4.0, 1.0], [4.0, 4.0], [1.0, 4.0]], [[2.0, 2.0], [2.0, 3.0], [3.0, 3.0], [3.0, 2.0]])
    """
    m = _v.mask_array(mask, "mask")
    conn = _v.connectivity(connectivity, 2, default="full")
    eps = _v.tolerance(simplify, "simplify")
    min_area = _v.non_negative(min_area, "min_area")
    try:
        traced = _core.contour_trace(m, True, conn, bool(exact))
    except _v.KernelError as exc:
        raise _v.trace_error(exc, "mask", m.shape, conn) from None
    polys = _build(traced, min_area).get(1, [])
    if eps > 0 and polys:
        polys = _simplify(polys, eps)
    if return_iou:
        return polys, _iou(polys, m)
    return polys


def find_polygons_labels(labels: ArrayLike, *, connectivity: int = 8, exact: bool = False, simplify: float = 0.0,
                         min_area: int = 0) -> Dict[int, List[Polygon]]:
    """Polygons of every label of a label map, in one pass: ``{label: [Polygon, ...]}``.

    Each label ``L != 0`` is traced as the binary mask ``labels == L`` would be by
    :func:`find_polygons` (the same rings, hierarchy among the polygons of ``L``,
    connectivity rule and conventions), without building those masks: one scan of
    the map plus one walk along every boundary. Polygons of different labels that
    touch share their crack edges in exact mode.

    Parameters
    ----------
    labels : ndarray of integers, shape (H, W)
        Any integer dtype (bool is read as 0/1); 0 is background. int8 / int16 are
        read as int32, uint32 and uint64 as int64 (uint64 values must be < 2**63).
    connectivity, exact, simplify, min_area
        As in :func:`find_polygons`.

    Returns
    -------
    dict
        label value (int) -> list of Polygon, keys in increasing order; inside each
        list polygons are in raster order of their first pixel, and ``parent`` /
        ``parent_hole`` index the same list.
    """
    lab = _v.label_map(labels)
    conn = _v.connectivity(connectivity, 2, default="full")
    eps = _v.tolerance(simplify, "simplify")
    min_area = _v.non_negative(min_area, "min_area")
    try:
        traced = _core.contour_trace(lab, False, conn, bool(exact))
    except _v.KernelError as exc:
        raise _v.trace_error(exc, "labels", lab.shape, conn) from None
    out = _build(traced, min_area)
    if eps > 0:
        out = {v: _simplify(polys, eps) for v, polys in out.items()}
    return out


def _flat(polys: Sequence[Polygon]) -> Tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """(xy, ring_end, object_ring_end) of every ring of every polygon, for the native helpers."""
    rings = [r for p in polys for r in p.rings]
    if not rings:
        return np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(len(polys), np.int64)
    xy = np.ascontiguousarray(np.concatenate(rings), np.float64)
    ring_end = np.cumsum([len(r) for r in rings]).astype(np.int64)
    obj_end = np.cumsum([1 + len(p.holes) for p in polys]).astype(np.int64)
    return xy, ring_end, obj_end


def _simplify(polys: Sequence[Polygon], eps: float) -> List[Polygon]:
    xy, ring_end, obj_end = _flat(polys)
    keep = _core.contour_simplify(xy, ring_end, obj_end, eps).astype(bool)
    out, r, start = [], 0, 0
    for p in polys:
        rings = []
        for _ in range(1 + len(p.holes)):
            end = int(ring_end[r])
            rings.append(np.ascontiguousarray(xy[start:end][keep[start:end]]))
            start = end
            r += 1
        out.append(Polygon(rings[0], rings[1:], p.parent, p.parent_hole, p.area, p.label))
    return out


def _iou(polys: Sequence[Polygon], mask: np.ndarray) -> float:
    xy, ring_end, obj_end = _flat(polys)
    inter, union = _core.contour_fill_compare(xy, ring_end, obj_end, mask)
    return 0.0 if union == 0 else inter / union


# ---------------------------------------------------------------------------------------------
# Export


def _flat_ring(r: ArrayLike) -> List[float]:
    return np.asarray(r, np.float64).reshape(-1).tolist()


def _bridged(p: Polygon) -> np.ndarray:
    """Outer ring and holes as one ring: each hole is joined by a zero-width bridge (there and
    back along the same segment) from its first vertex to the nearest outer vertex."""
    ring = np.asarray(p.outer, np.float64)
    for hole in p.holes:
        hole = np.asarray(hole, np.float64)
        d = ((ring - hole[0]) ** 2).sum(1)
        i = int(np.argmin(d))
        ring = np.concatenate([ring[:i + 1], hole, hole[:1], ring[i:]])
    return ring


def to_coco_segmentation(polygons: Iterable[Polygon], height: int, width: int, *,
                         holes: str = "rle") -> List[Union[List[List[float]], Dict[str, Any]]]:
    """COCO ``segmentation`` values, one per polygon.

    Parameters
    ----------
    polygons : iterable of Polygon
        As returned by :func:`find_polygons` (or one label's list from
        :func:`find_polygons_labels`).
    height, width : int
        The image size (for RLE).
    holes : {"rle", "bridge"}
        What to do with a polygon that has holes, which COCO polygons cannot hold:
        ``"rle"`` (default) emits a compressed COCO RLE dict
        ``{"size": [h, w], "counts": str}`` of that polygon's pixels (outer ring minus
        holes, pixel-centre even-odd fill: exact for ``exact=True`` polygons).
        ``"bridge"`` emits one polygon in which each hole is joined to the outer ring
        by a zero-width bridge (a segment walked there and back); an even-odd or
        pycocotools fill then leaves the holes empty up to the bridge's pixels.

    Returns
    -------
    list
        For a polygon without holes (or with ``holes="bridge"``): ``[[x0, y0, x1, y1, ...]]``
        (COCO's list of flat polygons, float). For one with holes and ``holes="rle"``: the
        RLE dict. Rings with fewer than 3 points (lines, single pixels of centre mode)
        are emitted as they are; pycocotools rasterizes them to nothing.
    """
    h, w = _v.size(height, width)
    if holes not in ("rle", "bridge"):
        raise ValueError(f"holes: expected 'rle' or 'bridge', got {holes!r}")
    out: List[Union[List[List[float]], Dict[str, Any]]] = []
    for i, p in enumerate(polygons):
        if not isinstance(p, Polygon):
            raise TypeError(f"polygons[{i}]: expected a Polygon, got {type(p).__name__}")
        if not p.holes:
            out.append([_flat_ring(p.outer)])
        elif holes == "bridge":
            out.append([_flat_ring(_bridged(p))])
        else:
            out.append(_object_rle(p, h, w).to_coco())
    return out


def _object_rle(p: Polygon, h: int, w: int) -> RLE:
    from .rle import encode
    xy, ring_end, obj_end = _flat([p])
    m = _core.contour_fill(xy, ring_end, h, w)
    return cast("RLE", encode(m))  # (2D: one RLE)


def to_yolo(items: Union[Dict[Any, Any], Iterable[Tuple[Any, Any]]], height: int, width: int, *,
            decimals: int = 6) -> List[str]:
    """YOLO segmentation label lines: ``"class x1 y1 x2 y2 ..."`` with x / width, y / height.

    Parameters
    ----------
    items : dict or iterable of (class, polygons) pairs
        ``{class_id: [Polygon, ...]}`` (e.g. :func:`find_polygons_labels` output after
        mapping labels to class ids) or ``[(class_id, [Polygon, ...]), ...]``.
    height, width : int
        Image size used to normalize; coordinates are clipped to [0, 1].
    decimals : int
        Digits after the point.

    Returns
    -------
    list of str
        One line per polygon (outer ring only: YOLO-seg has no holes; polygons with holes
        are written with zero-width bridges as in ``to_coco_segmentation(holes="bridge")``).
    """
    h, w = _v.size(height, width)
    if h == 0 or w == 0:
        raise ValueError(f"size: expected a non-empty image, got {h}x{w}")
    d = _v.non_negative(decimals, "decimals")
    if isinstance(items, dict):
        pairs = list(items.items())
        names = [f"items[{k!r}]" for k, _ in pairs]
    elif isinstance(items, (list, tuple)):
        pairs = list(items)
        names = [f"items[{i}]" for i in range(len(pairs))]
    else:
        raise TypeError(f"items: expected a dict class -> polygons or a list of (class, polygons) pairs, "
                        f"got {type(items).__name__}")
    lines = []
    scale = np.array([1.0 / w, 1.0 / h])
    for where, pair in zip(names, pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{where}: expected a (class, polygons) pair, got {_v._describe(pair)}")
        cls, polys = pair
        c = _v.integer(cls, f"{where} class")
        if isinstance(polys, Polygon):
            polys = [polys]
        if isinstance(polys, (str, bytes)) or not hasattr(polys, "__iter__"):
            raise TypeError(f"{where}: expected a Polygon or a list of them, got {_v._describe(polys)}")
        for j, p in enumerate(polys):
            if not isinstance(p, Polygon):
                raise TypeError(f"{where}[{j}]: expected a maskcore.Polygon (from find_polygons), "
                                f"got {type(p).__name__} {_v._describe(p)}")
            ring = _bridged(p) if p.holes else np.asarray(p.outer, np.float64)
            v = np.clip(ring * scale, 0.0, 1.0).reshape(-1)
            lines.append(" ".join([str(c)] + [f"{t:.{d}f}" for t in v]))
    return lines
