"""The masks of one image as a table: :class:`Segments`.

One row per segment: its mask (a row of an :class:`~maskcore.RLEBatch`, COCO runs, never a
dense array), ``ids`` (the segment's own id: an instance id, a panoptic id, the pixel value of
an index PNG), ``category_ids``, ``iscrowd``, ``scores`` (None for ground truth) and
``attributes`` (one dict per row: classifications and any per-segment metadata, kept verbatim
by every format that can hold them). Rows keep the order of their source (COCO annotation
order, panoptic ``segments_info`` order, index-PNG pixel value order).

Dense maps and the table convert both ways, each in one native pass over the pixels
(``csrc/segments``): :meth:`Segments.from_label_map`, :meth:`Segments.from_semantic_map` and
:meth:`Segments.from_rgb` read a map once and produce every segment's runs together;
:meth:`Segments.to_label_map`, :meth:`Segments.to_semantic_map` and :meth:`Segments.to_rgb`
paint the runs with a declared overlap rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Sequence, Union, cast, overload

import numpy as np

from . import _core
from . import _validate as _v
from .rle import RLE, RLEBatch, merge

__all__ = ["Segments", "Segment"]

_OVERLAP = ("error", "later-wins", "earlier-wins", "priority")


@dataclass(frozen=True)
class Segment:
    """One row of a :class:`Segments` table (what ``segments[i]`` and iteration give)."""

    mask: RLE
    id: int
    category_id: int
    iscrowd: bool
    score: Optional[float]
    attributes: dict[str, Any] = field(default_factory=dict)


def _empty_batch(h: int, w: int) -> RLEBatch:
    dt = np.uint32 if h * w < 2**32 else np.uint64
    return RLEBatch._wrap(np.zeros(0, dt), np.zeros(1, np.int64), np.zeros((0, 2), np.int64))


def _take(batch: RLEBatch, idx: np.ndarray) -> RLEBatch:
    """Rows ``idx`` of a batch, gathered with numpy (no RLE object per row)."""
    off = batch.offsets
    lo, hi = off[idx], off[idx + 1]
    lens = hi - lo
    new_off = np.zeros(idx.size + 1, np.int64)
    np.cumsum(lens, out=new_off[1:])
    total = int(new_off[-1])
    if total:
        pos = np.repeat(lo - new_off[:-1], lens) + np.arange(total, dtype=np.int64)
        flat = batch.counts[pos]
    else:
        flat = np.zeros(0, batch.counts.dtype)
    return RLEBatch._wrap(flat, new_off, np.ascontiguousarray(batch.sizes[idx]))


def _column(values: Any, n: int, dtype: Any, name: str, default: Any) -> np.ndarray:
    if values is None:
        return np.full(n, default, dtype)
    a = np.asarray(values)
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(f"{name}: expected {n} values (one per mask), got shape {a.shape}")
    if dtype is np.bool_:
        if a.size and a.dtype.kind not in "biu":
            raise TypeError(f"{name}: expected bools, got dtype {a.dtype}")
        if a.dtype.kind in "iu" and a.size and not np.isin(a, (0, 1)).all():
            raise ValueError(f"{name}: expected 0/1 or bools, got {a[~np.isin(a, (0, 1))][0]!r}")
        return np.ascontiguousarray(a, np.bool_)
    if dtype is np.int64:
        if a.size and a.dtype.kind not in "iu":
            if a.dtype.kind == "f" and np.array_equal(a, np.floor(a)) and np.isfinite(a).all():
                return a.astype(np.int64)
            raise TypeError(f"{name}: expected integers, got dtype {a.dtype}")
        if a.dtype == np.uint64 and a.size and int(a.max()) >= 2**63:
            raise OverflowError(f"{name}: {int(a.max())} does not fit int64")
        return np.ascontiguousarray(a, np.int64)
    if a.size and a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numbers, got dtype {a.dtype}")
    return np.ascontiguousarray(a, np.float64)


def _batch(masks: Any, height: Any, width: Any) -> tuple[RLEBatch, int, int]:
    batch: RLEBatch
    if isinstance(masks, RLEBatch):
        batch = masks
    elif isinstance(masks, RLE):
        batch = RLEBatch([masks])
    elif isinstance(masks, np.ndarray) and masks.ndim == 3 and masks.dtype.kind in "bu":
        from .rle import encode
        batch = cast(RLEBatch, encode(masks))
    else:
        if isinstance(masks, (str, bytes, dict)) or not hasattr(masks, "__iter__"):
            raise TypeError(f"masks: expected an RLEBatch, a list of RLEs or an (H, W, N) array, got "
                            f"{type(masks).__name__}")
        batch = RLEBatch.from_list(list(masks))
    sizes = batch.sizes
    if len(sizes):
        h, w = (int(v) for v in sizes[0])
        bad = np.flatnonzero((sizes != sizes[0]).any(axis=1))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"masks: every mask of one image has one size; masks[0] is {h}x{w}, "
                             f"masks[{i}] is {sizes[i][0]}x{sizes[i][1]}")
        if height is not None and int(height) != h or width is not None and int(width) != w:
            raise ValueError(f"height, width: given {height}x{width} but the masks are {h}x{w}")
    else:
        if height is None or width is None:
            raise ValueError("height, width: needed when there are no masks")
        h, w = _v.size(height, width)
    return batch, h, w


class Segments:
    """The masks of one image and their per-segment data, one row per segment.

    Parameters
    ----------
    masks : RLEBatch, list of RLE (or COCO RLE dicts), or (H, W, N) bool/uint8 array
        Every mask has the image's size.
    ids : sequence of int, optional
        The segments' ids (int64), kept exactly (default ``1..n``).
    category_ids : sequence of int, optional
        Category of each segment (int64; default 0, "no category").
    iscrowd : sequence of bool, optional
        COCO crowd flags (default False).
    scores : sequence of float, optional
        Prediction scores (float64); None for ground truth.
    attributes : list of dict, optional
        Per-segment metadata, kept verbatim (default: an empty dict per row).
    height, width : int, optional
        The image size; needed when there are no masks, checked against them otherwise.

    Attributes
    ----------
    masks : RLEBatch
    ids, category_ids : ndarray of int64
    iscrowd : ndarray of bool
    scores : ndarray of float64 or None
    attributes : list of dict
    area : ndarray of int64
        Pixels per mask, counted on the runs.
    bbox : ndarray of float64, shape (n, 4)
        COCO ``[x, y, w, h]`` boxes as ``pycocotools.mask.toBbox`` gives (zeros for an empty mask).

    Notes
    -----
    ``len(s)`` is the number of rows. ``s[i]`` (an int) is a :class:`Segment` row; a slice, an
    int array or a boolean array gives a new :class:`Segments` (the masks' runs are gathered,
    never decoded). Iteration yields :class:`Segment` rows in order. ``s == t`` compares every
    column (masks by pixels; empty and missing attributes are equal).
    """

    __slots__ = ("_masks", "_ids", "_cats", "_crowd", "_scores", "_attrs", "_h", "_w", "report")
    _masks: RLEBatch
    _ids: np.ndarray
    _cats: np.ndarray
    _crowd: np.ndarray
    _scores: Optional[np.ndarray]
    _attrs: Optional[list[dict[str, Any]]]
    _h: int
    _w: int
    report: dict[str, Any]  # what a reader or from_rgb(snap=...) reports about this table

    def __init__(self, masks: Any, ids: Any = None, category_ids: Any = None, iscrowd: Any = None,
                 scores: Any = None, attributes: Any = None, *, height: Optional[int] = None,
                 width: Optional[int] = None) -> None:
        batch, h, w = _batch(masks, height, width)
        n = len(batch)
        ids_arr = np.arange(1, n + 1, dtype=np.int64) if ids is None else _column(ids, n, np.int64, "ids", 0)
        sc = None if scores is None else _column(scores, n, np.float64, "scores", 0.0)
        if attributes is not None:
            attributes = list(attributes)
            if len(attributes) != n:
                raise ValueError(f"attributes: expected {n} dicts (one per mask), got {len(attributes)}")
            for i, a in enumerate(attributes):
                if not isinstance(a, dict):
                    raise TypeError(f"attributes[{i}]: expected a dict, got {type(a).__name__}")
        self._set(batch, ids_arr, _column(category_ids, n, np.int64, "category_ids", 0),
                  _column(iscrowd, n, np.bool_, "iscrowd", False), sc, attributes, h, w)

    def _set(self, batch: RLEBatch, ids: np.ndarray, cats: np.ndarray, crowd: np.ndarray,
             scores: Optional[np.ndarray], attrs: Optional[list[dict[str, Any]]], h: int, w: int) -> None:
        self._masks, self._ids, self._cats, self._crowd = batch, ids, cats, crowd
        self._scores, self._attrs, self._h, self._w = scores, attrs, h, w
        self.report = {}

    @classmethod
    def _wrap(cls, batch: RLEBatch, ids: np.ndarray, cats: np.ndarray, crowd: np.ndarray,
              scores: Optional[np.ndarray], attrs: Optional[list[dict[str, Any]]], h: int, w: int) -> "Segments":
        """Trusted constructor: columns already checked and of the right dtypes."""
        self = object.__new__(cls)
        self._set(batch, ids, cats, crowd, scores, attrs, h, w)
        return self

    @classmethod
    def empty(cls, height: int, width: int) -> "Segments":
        """No segments on a ``height x width`` image."""
        h, w = _v.size(height, width)
        return cls._wrap(_empty_batch(h, w), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.bool_),
                         None, None, h, w)

    # ---- columns ----------------------------------------------------------------------
    @property
    def masks(self) -> RLEBatch:
        return self._masks

    @property
    def ids(self) -> np.ndarray:
        return self._ids

    @property
    def category_ids(self) -> np.ndarray:
        return self._cats

    @property
    def iscrowd(self) -> np.ndarray:
        return self._crowd

    @property
    def scores(self) -> Optional[np.ndarray]:
        return self._scores

    @property
    def attributes(self) -> list[dict[str, Any]]:
        if self._attrs is None:
            self._attrs = [{} for _ in range(len(self))]
        return self._attrs

    @property
    def height(self) -> int:
        return self._h

    @property
    def width(self) -> int:
        return self._w

    @property
    def shape(self) -> tuple[int, int]:
        return (self._h, self._w)

    @property
    def area(self) -> np.ndarray:
        b = self._masks
        return _core.rle_area_batch(b.counts, b.offsets, b.sizes, 1)

    @property
    def bbox(self) -> np.ndarray:
        b = self._masks
        return _core.rle_bbox_batch(b.counts, b.offsets, b.sizes, 1).astype(np.float64)

    def has_attributes(self) -> bool:
        """True when some row has a non-empty attributes dict."""
        return self._attrs is not None and any(self._attrs)

    # ---- rows ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._ids)

    def _row(self, i: int) -> Segment:
        return Segment(self._masks[i], int(self._ids[i]), int(self._cats[i]), bool(self._crowd[i]),
                       None if self._scores is None else float(self._scores[i]),
                       {} if self._attrs is None else self._attrs[i])

    @overload
    def __getitem__(self, index: Union[int, np.integer[Any]]) -> Segment: ...
    @overload
    def __getitem__(self, index: Union[slice, Sequence[int], np.ndarray]) -> "Segments": ...
    def __getitem__(self, index: Any) -> Union[Segment, "Segments"]:
        n = len(self)
        if isinstance(index, (int, np.integer)) and not isinstance(index, (bool, np.bool_)):
            i = int(index)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of range for {n} segments")
            return self._row(i % n)
        idx = np.arange(n, dtype=np.int64)[index]
        if idx.ndim != 1:
            raise IndexError("index: expected an int, a slice, or a 1D int or boolean array")
        attrs = None if self._attrs is None else [self._attrs[i] for i in idx.tolist()]
        return Segments._wrap(_take(self._masks, idx), self._ids[idx], self._cats[idx], self._crowd[idx],
                              None if self._scores is None else self._scores[idx], attrs, self._h, self._w)

    def __iter__(self) -> Iterator[Segment]:
        for i in range(len(self)):
            yield self._row(i)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Segments):
            return NotImplemented
        if self.shape != other.shape or len(self) != len(other):
            return False
        if not (np.array_equal(self._ids, other._ids) and np.array_equal(self._cats, other._cats)
                and np.array_equal(self._crowd, other._crowd)):
            return False
        if (self._scores is None) != (other._scores is None):
            return False
        if self._scores is not None and other._scores is not None and \
                not np.array_equal(self._scores, other._scores):
            return False
        if (self.has_attributes() or other.has_attributes()) and self.attributes != other.attributes:
            return False
        return all(a == b for a, b in zip(self._masks, other._masks))

    __hash__ = None  # type: ignore[assignment]  # mutable columns: unhashable, as a list

    def __repr__(self) -> str:
        return (f"Segments(n={len(self)}, size={self._h}x{self._w}, runs={self._masks.counts.size}, "
                f"scores={'yes' if self._scores is not None else 'no'})")

    def with_columns(self, **columns: Any) -> "Segments":
        """A copy with some columns replaced (``ids=``, ``category_ids=``, ``iscrowd=``, ``scores=``,
        ``attributes=``, ``masks=``)."""
        unknown = set(columns) - {"masks", "ids", "category_ids", "iscrowd", "scores", "attributes"}
        if unknown:
            raise TypeError(f"with_columns: unknown column {sorted(unknown)[0]!r}")
        return Segments(columns.get("masks", self._masks), columns.get("ids", self._ids),
                        columns.get("category_ids", self._cats), columns.get("iscrowd", self._crowd),
                        columns.get("scores", self._scores), columns.get("attributes", self._attrs),
                        height=self._h, width=self._w)

    # ---- to dense maps ----------------------------------------------------------------------
    def _order(self, overlap: str, priority: Optional[Sequence[int]], keys: np.ndarray, names: str) -> np.ndarray:
        n = len(self)
        _v.choice(overlap, _OVERLAP, "overlap")
        if overlap != "priority" and priority is not None:
            raise ValueError("priority: only used with overlap='priority'")
        if overlap == "earlier-wins":
            return np.arange(n - 1, -1, -1, dtype=np.int64)
        if overlap == "priority":
            if priority is None:
                raise ValueError("priority: expected a sequence of category ids, highest priority first, "
                                 "with overlap='priority'")
            rank: dict[int, int] = {}
            for k, c in enumerate(priority):
                rank.setdefault(_v.integer(c, "priority value"), k)
            low = len(rank)
            r = np.array([rank.get(int(c), low) for c in self._cats.tolist()], np.int64)
            # Lowest priority painted first; ties in row order (the later row wins among equals).
            return np.lexsort((np.arange(n), -r)).astype(np.int64)
        if overlap == "error":
            self._check_overlap(keys, names)
        return np.arange(n, dtype=np.int64)

    def _check_overlap(self, keys: np.ndarray, names: str) -> None:
        """Raise when two rows with different keys share pixels: names the first pair (j < k, k
        smallest) and their common pixel count."""
        n = len(self)
        if n < 2:
            return
        area = self.area
        masks = list(self._masks)
        if names == "segments":
            if int(merge(masks).area) == int(area.sum()):
                return
            union = masks[0]
            for k in range(1, n):
                if (masks[k] & union).area:
                    for j in range(k):
                        common = (masks[j] & masks[k]).area
                        if common:
                            raise ValueError(
                                f"overlap: segments {j} (id {int(self._ids[j])}) and {k} (id {int(self._ids[k])}) "
                                f"share {common} pixels; choose overlap='later-wins', 'earlier-wins' or 'priority'")
                union = union | masks[k]
            return
        # Class maps: only segments of different classes conflict.
        groups: dict[int, list[int]] = {}
        for i, key in enumerate(keys.tolist()):
            groups.setdefault(key, []).append(i)
        union, seen = None, []
        for key, rows in groups.items():
            m = merge([masks[i] for i in rows])
            if union is not None and (m & union).area:
                for other_key, om in seen:
                    common = (om & m).area
                    if common:
                        raise ValueError(f"overlap: categories {other_key} and {key} share {common} pixels; choose "
                                         "overlap='later-wins', 'earlier-wins' or 'priority'")
            seen.append((key, m))
            union = m if union is None else union | m

    def _paint(self, values: np.ndarray, order: np.ndarray, dtype: Any, c_order: bool = True) -> np.ndarray:
        h, w = self._h, self._w
        out_t = np.empty((w, h), dtype)
        u = out_t.view(np.dtype(f"u{out_t.itemsize}")) if out_t.dtype.kind != "u" else out_t
        u[...] = 0
        bits = values.astype(dtype).view(u.dtype).astype(np.uint64)
        b = self._masks
        try:
            _core.segments_paint(b.counts, b.offsets, np.ascontiguousarray(bits), np.ascontiguousarray(order),
                                 u.reshape(-1), h, w)
        except _v.KernelError as exc:
            raise _v.paint_error(exc, "masks", h, w) from None
        return np.ascontiguousarray(out_t.T) if c_order else out_t.T  # painted column-major

    @staticmethod
    def _map_dtype(values: np.ndarray, dtype: Any, name: str) -> np.dtype[Any]:
        if dtype is None:
            lo = int(values.min()) if values.size else 0
            hi = int(values.max()) if values.size else 0
            if lo >= 0:
                for d in (np.uint8, np.uint16, np.uint32, np.uint64):
                    if hi <= np.iinfo(d).max:
                        return np.dtype(d)
            return np.dtype(np.int64)
        dt: np.dtype[Any] = np.dtype(dtype)
        if dt.kind not in "ui" or dt.itemsize not in (1, 2, 4, 8):
            raise TypeError(f"dtype: expected an integer dtype, got {dt}")
        if values.size:
            info = np.iinfo(dt)
            bad = values[(values < info.min) | (values > info.max)]
            if bad.size:
                raise OverflowError(f"dtype: {name} {int(bad[0])} does not fit {dt}")
        native: np.dtype[Any] = dt.newbyteorder("=")
        return native

    def to_label_map(self, dtype: Any = None, *, overlap: str = "error",
                     priority: Optional[Sequence[int]] = None) -> np.ndarray:
        """Paint every segment's id into one ``(H, W)`` map (0 = no segment).

        Parameters
        ----------
        dtype : integer dtype, optional
            Default: the smallest unsigned type holding every id (int64 if some id is negative).
        overlap : {"error", "later-wins", "earlier-wins", "priority"}
            Where segments share pixels: ``"error"`` raises ValueError naming the first two
            overlapping rows, their ids and the shared pixel count; ``"later-wins"`` paints rows in
            order (the last row covering a pixel wins); ``"earlier-wins"`` the reverse;
            ``"priority"`` paints by class priority (``priority`` lists category ids, highest
            first; unlisted categories rank below; among equals the later row wins).
        priority : sequence of int, optional
            With ``overlap="priority"``.

        Returns
        -------
        ndarray
            C-ordered ``(H, W)`` map of ``dtype``.

        Raises
        ------
        ValueError
            An id equal to 0 (it would be background), overlap as described, unknown ``overlap``.
        OverflowError
            An id that ``dtype`` cannot hold.
        """
        return self._label_map(dtype, overlap, priority, True)

    def _label_map(self, dtype: Any, overlap: str, priority: Optional[Sequence[int]], c_order: bool) -> np.ndarray:
        """:meth:`to_label_map`; ``c_order=False`` returns the (H, W) map as painted, a
        Fortran-ordered array (for writers that read it row by row natively: no transpose)."""
        zero = np.flatnonzero(self._ids == 0)
        if zero.size:
            raise ValueError(f"ids: segment {int(zero[0])} has id 0, which a label map reserves for background")
        dt = self._map_dtype(self._ids, dtype, "id")
        order = self._order(overlap, priority, self._ids, "segments")
        return self._paint(self._ids, order, dt, c_order)

    def to_semantic_map(self, dtype: Any = None, *, overlap: str = "error", priority: Optional[Sequence[int]] = None,
                        background: int = 0) -> np.ndarray:
        """Paint every segment's category id into one ``(H, W)`` class map.

        Pixels no segment covers hold ``background``. ``overlap="error"`` only objects to
        segments of *different* categories sharing pixels (it names the two categories and the
        pixel count); the other rules are those of :meth:`to_label_map`.
        """
        vals = self._cats
        bg = _v.integer(background, "background")
        dt = self._map_dtype(np.concatenate([vals, [bg]]), dtype, "category id")
        order = self._order(overlap, priority, vals, "categories")
        out = self._paint(vals, order, dt)
        if bg != 0:
            covered = self._paint(np.ones(len(self), np.int64), np.arange(len(self), dtype=np.int64), np.uint8)
            out[covered == 0] = bg
        return out

    def to_rgb(self, colors: Any, *, overlap: str = "error", priority: Optional[Sequence[int]] = None,
               background: Any = (0, 0, 0)) -> np.ndarray:
        """Paint segments in colours: an ``(H, W, 3)`` uint8 image.

        Parameters
        ----------
        colors : dict or array
            ``{segment id: (r, g, b)}`` or an ``(n, 3)`` array with one colour per row.
        overlap, priority
            As in :meth:`to_label_map`.
        background : (r, g, b)
            Colour of pixels no segment covers.

        Raises
        ------
        ValueError
            A segment without a colour, a colour outside 0..255, overlap as in :meth:`to_label_map`.
        """
        n = len(self)
        if isinstance(colors, dict):
            lut = np.zeros((n + 1, 3), np.uint8)
            for i, sid in enumerate(self._ids.tolist()):
                if sid not in colors:
                    raise ValueError(f"colors: segment {i} (id {sid}) has no colour")
                lut[i + 1] = _color(colors[sid], f"colors[{sid}]")
        else:
            arr = np.asarray(colors)
            if arr.shape != (n, 3):
                raise ValueError(f"colors: expected a dict or an ({n}, 3) array, got shape {arr.shape}")
            lut = np.zeros((n + 1, 3), np.uint8)
            for i in range(n):
                lut[i + 1] = _color(arr[i], f"colors[{i}]")
        lut[0] = _color(background, "background")
        order = self._order(overlap, priority, self._ids, "segments")
        rows = self._paint(np.arange(1, n + 1, dtype=np.int64), order, self._map_dtype(np.array([n]), None, "row"))
        out: np.ndarray = lut[rows]
        return out

    # ---- from dense maps ----------------------------------------------------------------------
    @classmethod
    def from_label_map(cls, labels: Any, table: Optional[dict[Any, Any]] = None, *, background: Optional[int] = 0,
                       threads: Optional[int] = None) -> "Segments":
        """One segment per pixel value of a label map, in one native pass over the pixels.

        Parameters
        ----------
        labels : ndarray of integers or bool, shape (H, W)
            Any layout (read in place).
        table : dict, optional
            ``{pixel value: category id}`` or ``{pixel value: {"category_id": int, "iscrowd":
            bool, "score": float, "attributes": dict}}`` (missing keys: defaults). Rows are the
            table's values in increasing order, including values absent from the map (empty
            masks). Every non-background value in the map must be in the table.
            Without a table: one row per distinct non-background value, in increasing order,
            category 0.
        background : int or None
            The value that is no segment (default 0); None: every value is a segment. A
            background value listed in ``table`` is a segment.

        Returns
        -------
        Segments
            ``ids`` are the pixel values, exactly.

        Raises
        ------
        ValueError
            A value in the map missing from the table (the message gives the pixel count, the
            first position ``(row, col)`` in row-major order and the value).
        """
        if isinstance(labels, np.ndarray) and labels.ndim == 2 and labels.dtype.kind in "uib":
            lab = labels if labels.dtype.isnative else labels.astype(labels.dtype.newbyteorder("="))
        else:
            lab = _v.label_map(labels)
        if lab.dtype.kind == "b":
            lab = lab.view(np.uint8)
        h, w = lab.shape
        size = lab.itemsize
        signed = lab.dtype.kind == "i"
        info = np.iinfo(lab.dtype)
        bg = None if background is None else _v.integer(background, "background")
        # the background's key: its bits in the map's dtype (None when no pixel can hold it)
        bgk = None if bg is None or not info.min <= bg <= info.max else \
            int(np.array([bg], lab.dtype).view(f"u{size}")[0])
        nthreads = _v.threads(threads)
        if table is None:
            batch, keys = _encode(lab, None, None, 0, bgk, signed, nthreads, "labels", _MISSING_VALUES)
            if signed:
                ids = keys.astype(f"u{size}").view(f"i{size}").astype(np.int64)
            else:
                if keys.size and int(keys[-1]) >= 2**63:
                    raise OverflowError(f"labels: value {int(keys[-1])} does not fit int64 ids")
                ids = keys.astype(np.int64)
            n = ids.size
            cats = np.zeros(n, np.int64)
            crowd = np.zeros(n, np.bool_)
            scores: Optional[np.ndarray] = None
            attrs: Optional[list[dict[str, Any]]] = None
        else:
            ids, cats, crowd, scores, attrs = _table_columns(table, "table")
            n = ids.size
            bad = (ids < info.min) | (ids > info.max)
            if bad.any():
                raise ValueError(f"table: value {int(ids[bad][0])} cannot occur in a {lab.dtype} map")
            seg_keys = ids.astype(lab.dtype).view(f"u{size}").astype(np.uint64)
            seg = np.arange(n, dtype=np.int64)
            if bgk is not None and not (ids == bg).any():
                seg_keys = np.concatenate([seg_keys, np.array([bgk], np.uint64)])
                seg = np.concatenate([seg, np.array([-1], np.int64)])
            batch, _ = _encode(lab, seg_keys, seg, n, None, False, nthreads, "labels", _MISSING_VALUES)
        return cls._wrap(batch, ids, cats, crowd, scores, attrs, h, w)

    @classmethod
    def from_semantic_map(cls, classes: Any, table: Optional[dict[Any, Any]] = None, *,
                          background: Optional[int] = 0, threads: Optional[int] = None) -> "Segments":
        """One segment per class of a class map (all pixels of a class, connected or not).

        ``ids`` and ``category_ids`` are both the class value, unless ``table`` maps class values
        to category ids (``{value: category id}``, or dicts as in :meth:`from_label_map`).
        Background (default 0; None: none) is no segment. One native pass, as
        :meth:`from_label_map`.
        """
        if table is None:
            s = cls.from_label_map(classes, None, background=background, threads=threads)
            s._cats = s._ids.copy()
            return s
        return cls.from_label_map(classes, table, background=background, threads=threads)

    @classmethod
    def from_rgb(cls, rgb: np.ndarray, colors: Any, *, snap: Optional[str] = None, background: Any = (0, 0, 0),
                 threads: Optional[int] = None) -> "Segments":
        """Segments of an RGB colour mask and a colour table, in one native pass over the pixels.

        Parameters
        ----------
        rgb : ndarray of uint8, shape (H, W, 3)
            Any layout. (H, W, 4) RGBA is refused: drop the alpha channel knowingly.
        colors : dict or list
            ``{(r, g, b): segment}`` where segment is an int id or a dict with ``"id"``,
            ``"category_id"``, ``"iscrowd"``, ``"score"``, ``"attributes"``; or a list of
            ``(color, segment)`` pairs. Rows follow the table's order. Two colours may not
            share an id.
        snap : {None, "nearest"}
            None (default): exact colours only; any pixel whose colour is neither in the table
            nor ``background`` raises ValueError with the pixel count, the first position
            ``(row, col)`` in row-major order and the colour. ``"nearest"``: such pixels take the
            nearest colour (Euclidean in RGB, ties: the earlier table entry, background last)
            and ``result.report`` says how many pixels and colours moved.
        background : (r, g, b) or None
            The colour that is no segment (default black); None: every colour must be listed.

        Returns
        -------
        Segments
        """
        img = _rgb(rgb)
        h, w = img.shape[:2]
        if snap not in (None, "nearest"):
            raise ValueError(f"snap: expected None or 'nearest', got {snap!r}")
        pairs = list(colors.items()) if isinstance(colors, dict) else list(colors)
        table_colors = []
        rows = {}
        for i, item in enumerate(pairs):
            try:
                col, seg = item
            except (TypeError, ValueError):
                raise TypeError(f"colors[{i}]: expected a (color, segment) pair, got {item!r}") from None
            c = _color(col, f"colors[{i}] colour")
            key = int(c[0]) | int(c[1]) << 8 | int(c[2]) << 16
            if key in rows:
                raise ValueError(f"colors[{i}]: colour {tuple(int(x) for x in c)} is listed twice")
            rows[key] = seg if isinstance(seg, dict) else {"id": seg}
            table_colors.append(key)
        plain = [rows[k]["id"] for k in table_colors if len(rows[k]) == 1 and "id" in rows[k]]
        if len(plain) == len(table_colors) and all(type(v) is int for v in plain):
            ids = np.array(plain, np.int64).reshape(-1)  # {colour: id}: no per-row dict work
            n = ids.size
            cats, crowd, scores, attrs = np.zeros(n, np.int64), np.zeros(n, np.bool_), None, None
        else:
            ids, cats, crowd, scores, attrs = _table_columns(
                {k: v for k, v in zip(range(len(pairs)), [rows[k] for k in table_colors])}, "colors", id_key="id",
                default_ids=np.arange(1, len(pairs) + 1, dtype=np.int64))
        if len(set(ids.tolist())) != ids.size:
            raise ValueError("colors: two colours have the same segment id; give each colour its own id")
        keys = np.array(table_colors, np.uint64)
        seg = np.arange(len(table_colors), dtype=np.int64)
        if background is not None:
            b = _color(background, "background")
            bk = int(b[0]) | int(b[1]) << 8 | int(b[2]) << 16
            if bk not in rows:
                keys = np.concatenate([keys, np.array([bk], np.uint64)])
                seg = np.concatenate([seg, [-1]])
        order = np.argsort(keys)
        keys, seg = keys[order], seg[order]
        if snap is None:
            batch, _ = _encode(img, keys, seg, ids.size, None, False, _v.threads(threads), "rgb", _MISSING_COLOURS)
            return cls._wrap(batch, ids, cats, crowd, scores, attrs, h, w)
        runs = _core.segments_scan(img, _v.threads(threads))
        report = {}
        if snap == "nearest":
            present = np.unique(runs[:, 2].view(np.uint64))
            missing = present[~np.isin(present, keys)]
            if missing.size:
                tc = np.stack([keys & 255, (keys >> 8) & 255, (keys >> 16) & 255], 1).astype(np.int64)
                # ties: the earlier table entry (background, when added, sorts after the table)
                pref = np.argsort(np.argsort(np.where(seg < 0, len(keys), seg), kind="stable"), kind="stable")
                mc = np.stack([missing & 255, (missing >> 8) & 255, (missing >> 16) & 255], 1).astype(np.int64)
                d = ((mc[:, None, :] - tc[None, :, :]) ** 2).sum(-1) * (len(keys) + 1) + pref[None, :]
                near = np.argmin(d, axis=1)
                run_keys = runs[:, 2].view(np.uint64)
                moved = np.isin(run_keys, missing)
                report = {"snapped_pixels": int(runs[moved, 1].sum()), "snapped_colors": int(missing.size)}
                keys = np.concatenate([keys, missing])
                seg = np.concatenate([seg, seg[near]])
                o = np.argsort(keys)
                keys, seg = keys[o], seg[o]
            else:
                report = {"snapped_pixels": 0, "snapped_colors": 0}
        batch, unknown = _gather(runs, keys, seg, ids.size, h, w)  # (snap: every colour is listed now)
        out = cls._wrap(batch, ids, cats, crowd, scores, attrs, h, w)
        out.report = report
        return out


# ---- helpers -------------------------------------------------------------------------------------

def _color(c: Any, name: str) -> Any:
    if type(c) in (tuple, list) and len(c) == 3 and all(type(x) is int and 0 <= x <= 255 for x in c):
        return c  # the common case, without numpy per colour
    try:
        a = np.asarray(c)
    except Exception:
        raise TypeError(f"{name}: expected (r, g, b), got {c!r}") from None
    if a.shape != (3,) or a.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected three integers (r, g, b), got {c!r}")
    if (a < 0).any() or (a > 255).any():
        raise ValueError(f"{name}: expected values in 0..255, got {c!r}")
    return a.astype(np.uint8)


def _rgb(rgb: Any) -> np.ndarray:
    if not isinstance(rgb, np.ndarray):
        raise TypeError(f"rgb: expected a numpy array, got {type(rgb).__name__}")
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"rgb: expected an (H, W, 3) array, got shape {rgb.shape}")
    if rgb.dtype != np.uint8:
        raise TypeError(f"rgb: expected uint8, got dtype {rgb.dtype}")
    return rgb


def _gather(runs: np.ndarray, keys: Any, seg: Any, n: int, h: int, w: int) -> tuple[RLEBatch, int]:
    keys = np.asarray(keys, np.uint64)
    o = np.argsort(keys, kind="stable")
    flat, offsets, unknown, _first = _core.segments_gather(runs, np.ascontiguousarray(keys[o]),
                                                           np.ascontiguousarray(np.asarray(seg, np.int64)[o]), n, h, w)
    sizes = np.empty((n, 2), np.int64)
    sizes[:, 0], sizes[:, 1] = h, w
    return RLEBatch._wrap(flat, offsets, sizes), unknown


_MISSING_VALUES = ("hold values missing from the table", "")
_MISSING_COLOURS = ("have colours not in the colour table",
                    " (snap='nearest' moves them to the nearest listed colour)")


def _encode(pixels: np.ndarray, keys: Optional[np.ndarray], seg: Optional[np.ndarray], n: int, drop: Optional[int],
            signed: bool, threads: int, name: str, missing: tuple[str, str]) -> tuple[RLEBatch, np.ndarray]:
    """Every segment's runs from a map in one native call (``segments_encode``): with a table
    (``keys``: keys, ``seg``: their segment or -1, ``n`` segments) or, with ``keys=None``, one
    segment per distinct key but ``drop``, in increasing value order. Returns the batch and the
    segments' keys (the latter without a table). Keys missing from a table: ValueError with
    their pixel count, the first position and its value."""
    h, w = pixels.shape[:2]
    if max(h, w) >= 2**32 - 1:  # past the one-call kernel's row / column indices: scan + gather
        return _encode_runs(pixels, keys, seg, n, drop, signed, threads, name, missing)
    if keys is not None and seg is not None:
        o = np.argsort(keys, kind="stable")
        keys, seg = np.ascontiguousarray(keys[o], np.uint64), np.ascontiguousarray(seg[o], np.int64)
    try:
        flat, offsets, seg_keys = _core.segments_encode(pixels, keys, seg, n, drop, signed, threads)
    except _v.KernelError as exc:
        raise _v.unknown_keys_error(exc, name, pixels, *missing) from None
    nseg = offsets.size - 1
    sizes = np.empty((nseg, 2), np.int64)
    sizes[:, 0], sizes[:, 1] = h, w
    return RLEBatch._wrap(flat, offsets, sizes), seg_keys


def _encode_runs(pixels: np.ndarray, keys: Optional[np.ndarray], seg: Optional[np.ndarray], n: int,
                 drop: Optional[int], signed: bool, threads: int, name: str,
                 missing: tuple[str, str]) -> tuple[RLEBatch, np.ndarray]:
    """:func:`_encode` in two native calls (key runs, then their gather), for maps with 2**32 - 1
    rows or columns or more."""
    h, w = pixels.shape[:2]
    runs = _core.segments_scan(pixels, threads)
    found = np.zeros(0, np.uint64)
    if keys is None or seg is None:
        found = _distinct(runs[:, 2].view(np.uint64), pixels.itemsize)
        if signed:
            size = pixels.itemsize
            found = found[np.argsort(found.astype(f"u{size}").view(f"i{size}"), kind="stable")]
        if drop is not None:
            found = found[found != drop]
        n = found.size
        keys, seg = found, np.arange(n, dtype=np.int64)
        if drop is not None:
            keys = np.concatenate([keys, np.array([drop], np.uint64)])
            seg = np.concatenate([seg, np.array([-1], np.int64)])
    batch, unknown = _gather(runs, keys, seg, n, h, w)
    if unknown:
        bits = pixels.view(f"u{pixels.itemsize}").astype(np.uint64) if pixels.ndim == 2 else \
            pixels[..., 0].astype(np.uint64) | pixels[..., 1].astype(np.uint64) << 8 | \
            pixels[..., 2].astype(np.uint64) << 16
        r, c = (int(v) for v in np.argwhere(~np.isin(bits, keys))[0])
        v = pixels[r, c]
        shown = tuple(int(x) for x in v) if pixels.ndim == 3 else int(v)
        raise ValueError(f"{name}: {unknown} pixels {missing[0]}; the first, at (row, col) ({r}, {c}), is "
                         f"{shown}{missing[1]}")
    return batch, found


def _distinct(keys: np.ndarray, itemsize: int) -> np.ndarray:
    """Sorted distinct keys of the runs: a histogram for 1- and 2-byte maps (O(runs + 65536)),
    a sort otherwise."""
    if itemsize <= 2 and keys.size:
        return np.flatnonzero(np.bincount(keys.astype(np.intp), minlength=1 << (8 * itemsize))).astype(np.uint64)
    return np.unique(keys)


def _table_columns(table: Any, name: str, id_key: Optional[str] = None, default_ids: Optional[np.ndarray] = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Optional[np.ndarray], Optional[list[dict[str, Any]]]]:
    """(ids, category_ids, iscrowd, scores or None, attributes or None) of a segment table:
    ``{value: category id or dict}``; rows in increasing value order (id_key=None) or table order."""
    if not isinstance(table, dict):
        raise TypeError(f"{name}: expected a dict, got {type(table).__name__}")
    items = list(table.items())
    if id_key is None:
        for k, _ in items:
            _v.integer(k, f"{name} key")
        items.sort(key=lambda kv: int(kv[0]))
    n = len(items)
    ids = np.zeros(n, np.int64)
    cats = np.zeros(n, np.int64)
    crowd = np.zeros(n, np.bool_)
    scores = np.zeros(n, np.float64)
    any_score, attrs, any_attr = False, [], False
    for i, (k, v) in enumerate(items):
        where = f"{name}[{k!r}]"
        if id_key is None:
            ids[i] = int(k)
        if isinstance(v, dict):
            unknown = set(v) - {"id", "category_id", "iscrowd", "score", "attributes"}
            if unknown:
                raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r} (expected id, category_id, iscrowd, "
                                 "score, attributes)")
            if id_key is not None:
                ids[i] = _v.integer(v["id"], f"{where}['id']") if "id" in v else \
                    i + 1 if default_ids is None else int(default_ids[i])
            cats[i] = _v.integer(v.get("category_id", 0), f"{where}['category_id']")
            c = v.get("iscrowd", False)
            if not isinstance(c, (bool, int, np.integer)) or int(c) not in (0, 1):
                raise ValueError(f"{where}['iscrowd']: expected 0/1 or a bool, got {c!r}")
            crowd[i] = bool(c)
            if v.get("score") is not None:
                s = v["score"]
                if not isinstance(s, (int, float, np.number)) or isinstance(s, bool):
                    raise TypeError(f"{where}['score']: expected a number, got {s!r}")
                scores[i] = float(s)
                any_score = True
            a = v.get("attributes", {})
            if not isinstance(a, dict):
                raise TypeError(f"{where}['attributes']: expected a dict, got {type(a).__name__}")
            attrs.append(a)
            any_attr = any_attr or bool(a)
        else:
            if id_key is not None:
                ids[i] = _v.integer(v, where)
            else:
                cats[i] = _v.integer(v, where)
            attrs.append({})
    return ids, cats, crowd, scores if any_score else None, attrs if any_attr else None
