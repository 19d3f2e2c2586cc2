"""A dataset of annotated images: :class:`Dataset`, :class:`Category`, :class:`ImageRecord`.

Storage is columnar, so that a million instance masks cost about the size of their runs and
not a Python object per mask: every segment's counts sit in one flat buffer (the layout of
:class:`~maskcore.RLEBatch`), and ids, category ids, crowd flags and scores in one int64 /
bool / float64 array each, with per-image offsets into them. Attribute dicts exist only for
segments that have attributes. ``dataset[k]`` and iteration build an :class:`ImageRecord`
whose :class:`~maskcore.Segments` are views of those buffers (no copy of the runs).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Optional

import numpy as np
from numpy.typing import NDArray

from .rle import RLEBatch
from .segments import Segments

__all__ = ["Category", "ImageRecord", "Dataset"]


@dataclass
class Category:
    """A category: ``id`` (int), ``name``, ``supercategory``, ``isthing`` (COCO panoptic: a
    countable thing or amorphous stuff), ``color`` ((r, g, b) or None) and ``attributes`` (any
    other fields of the source, kept verbatim)."""

    id: int
    name: str = ""
    supercategory: str = ""
    isthing: bool = True
    color: Optional[tuple[int, int, int]] = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImageRecord:
    """One image: ``image_id``, ``file_name``, ``height``, ``width``, ``metadata`` (the source's
    other image fields, verbatim) and its ``segments``."""

    image_id: int
    file_name: str
    height: int
    width: int
    metadata: dict[str, Any]
    segments: Segments


class Dataset:
    """Categories and annotated images, in file order.

    Parameters
    ----------
    images : iterable of ImageRecord
    categories : iterable of Category
    metadata : dict, optional
        Dataset-level fields of the source (COCO ``info``, ``licenses``, ...), kept verbatim.

    Notes
    -----
    ``len(d)`` is the number of images; ``d[k]`` the k-th image in file order (an
    :class:`ImageRecord`); ``d.image(image_id)`` looks one up by id; iteration yields the images
    in file order. ``d.segments_count`` is the number of segments over all images. Image ids
    must be distinct.
    """

    def __init__(self, images: Iterable[ImageRecord] = (), categories: Iterable[Category] = (), *,
                 metadata: Optional[dict[str, Any]] = None) -> None:
        images = list(images)
        for i, r in enumerate(images):
            if not isinstance(r, ImageRecord):
                raise TypeError(f"images[{i}]: expected an ImageRecord, got {type(r).__name__}")
            if not isinstance(r.segments, Segments):
                raise TypeError(f"images[{i}].segments: expected Segments, got {type(r.segments).__name__}")
            if r.segments.shape != (int(r.height), int(r.width)):
                raise ValueError(f"images[{i}]: segments are {r.segments.height}x{r.segments.width} but the image is "
                                 f"{r.height}x{r.width}")
        segs = [r.segments for r in images]
        n = [len(s) for s in segs]
        seg_off = np.zeros(len(images) + 1, np.int64)
        np.cumsum(n, out=seg_off[1:])
        big = any(s.masks.counts.dtype == np.uint64 for s in segs)
        cdt = np.uint64 if big else np.uint32
        counts = np.concatenate([s.masks.counts.astype(cdt) for s in segs]) if segs else np.zeros(0, cdt)
        roff = np.zeros(int(seg_off[-1]) + 1, np.int64)
        pos, k = 0, 0
        for s in segs:
            o = s.masks.offsets
            roff[k + 1:k + 1 + len(s)] = o[1:] + pos
            pos += int(o[-1])
            k += len(s)

        def cat(f: Callable[[Segments], NDArray[Any]], dt: type[np.generic]) -> NDArray[Any]:
            return np.concatenate([f(s) for s in segs]).astype(dt) if segs else np.zeros(0, dt)

        any_scores = any(s.scores is not None for s in segs)
        scores = (np.concatenate([s.scores if s.scores is not None else np.full(len(s), np.nan) for s in segs])
                  if any_scores else None)
        attrs: Optional[list[dict[str, Any]]] = None
        if any(s.has_attributes() for s in segs):
            attrs = [a for s in segs for a in s.attributes]
        self._init(
            categories=list(categories),
            image_ids=np.array([int(r.image_id) for r in images], np.int64),
            file_names=[str(r.file_name) for r in images],
            heights=np.array([int(r.height) for r in images], np.int64),
            widths=np.array([int(r.width) for r in images], np.int64),
            image_meta=[r.metadata if isinstance(r.metadata, dict) else dict(r.metadata or {}) for r in images],
            seg_offsets=seg_off, counts=counts, run_offsets=roff,
            ids=cat(lambda s: s.ids, np.int64), category_ids=cat(lambda s: s.category_ids, np.int64),
            iscrowd=cat(lambda s: s.iscrowd, np.bool_), scores=scores, attributes=attrs,
            metadata=dict(metadata or {}))

    def _init(self, *, categories: list[Category], image_ids: NDArray[np.int64], file_names: list[str],
              heights: NDArray[np.int64], widths: NDArray[np.int64], image_meta: list[dict[str, Any]],
              seg_offsets: NDArray[np.int64], counts: NDArray[Any],  # uint32 or uint64
              run_offsets: NDArray[np.int64], ids: NDArray[np.int64], category_ids: NDArray[np.int64],
              iscrowd: NDArray[np.bool_], scores: Optional[NDArray[np.float64]],
              attributes: Optional[list[dict[str, Any]]], metadata: dict[str, Any],
              scores_per_image: Any = None) -> None:
        for i, c in enumerate(categories):
            if not isinstance(c, Category):
                raise TypeError(f"categories[{i}]: expected a Category, got {type(c).__name__}")
        self.categories = categories
        self.metadata = metadata
        self._image_ids, self._file_names, self._h, self._w = image_ids, file_names, heights, widths
        self._image_meta = image_meta
        self._seg_off, self._counts, self._roff = seg_offsets, counts, run_offsets
        self._ids, self._cats, self._crowd, self._scores, self._attrs = ids, category_ids, iscrowd, scores, attributes
        self._by_id: Optional[dict[int, int]] = None
        uniq = np.unique(image_ids)
        if uniq.size != image_ids.size:
            u, c = np.unique(image_ids, return_counts=True)
            raise ValueError(f"image_id: {int(u[c > 1][0])} is used by more than one image")

    @classmethod
    def _from_columns(cls, **columns: Any) -> "Dataset":
        self = object.__new__(cls)
        self._init(**columns)
        return self

    # ---- access -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._image_ids.size)

    @property
    def image_ids(self) -> NDArray[np.int64]:
        """Image ids in file order (int64)."""
        return self._image_ids

    @property
    def segments_count(self) -> int:
        return int(self._seg_off[-1])

    @property
    def nbytes(self) -> int:
        """Bytes held by the columnar buffers (runs, offsets, id / category / crowd / score columns)."""
        arrays = [self._counts, self._roff, self._ids, self._cats, self._crowd, self._seg_off, self._image_ids,
                  self._h, self._w] + ([self._scores] if self._scores is not None else [])
        return int(sum(a.nbytes for a in arrays))

    def segments(self, k: int) -> Segments:
        """The segments of the k-th image (views of the dataset's buffers)."""
        a, b = int(self._seg_off[k]), int(self._seg_off[k + 1])
        h, w = int(self._h[k]), int(self._w[k])
        ro = self._roff[a:b + 1]
        lo = int(ro[0])
        sizes = np.empty((b - a, 2), np.int64)
        sizes[:, 0], sizes[:, 1] = h, w
        batch = RLEBatch._wrap(self._counts[lo:int(ro[-1])], ro - lo, sizes)
        scores = None
        if self._scores is not None:
            sc = self._scores[a:b]
            scores = None if (sc.size and np.isnan(sc).all()) else sc
        attrs = None if self._attrs is None else self._attrs[a:b]
        return Segments._wrap(batch, self._ids[a:b], self._cats[a:b], self._crowd[a:b], scores, attrs, h, w)

    def __getitem__(self, k: int | np.integer[Any]) -> ImageRecord:
        if not isinstance(k, (int, np.integer)) or isinstance(k, (bool, np.bool_)):
            raise TypeError(f"index: expected an int (the position in file order; use image(image_id) to look up "
                            f"by id), got {type(k).__name__}")
        n = len(self)
        k = int(k)
        if not -n <= k < n:
            raise IndexError(f"index {k} is out of range for {n} images")
        k %= n
        return ImageRecord(int(self._image_ids[k]), self._file_names[k], int(self._h[k]), int(self._w[k]),
                           self._image_meta[k], self.segments(k))

    def __iter__(self) -> Iterator[ImageRecord]:
        for k in range(len(self)):
            yield self[k]

    def position(self, image_id: int) -> int:
        """Where the image with this id is in file order (KeyError if there is none)."""
        if self._by_id is None:
            self._by_id = {v: i for i, v in enumerate(self._image_ids.tolist())}
        try:
            return self._by_id[int(image_id)]
        except KeyError:
            raise KeyError(f"image_id: no image has id {image_id!r}") from None

    def image(self, image_id: int) -> ImageRecord:
        """The image with this id."""
        return self[self.position(image_id)]

    def category(self, category_id: int) -> Category:
        """The category with this id (KeyError if there is none)."""
        for c in self.categories:
            if c.id == category_id:
                return c
        raise KeyError(f"category_id: no category has id {category_id!r}")

    def __repr__(self) -> str:
        return (f"Dataset(images={len(self)}, segments={self.segments_count}, categories={len(self.categories)}, "
                f"runs={self._counts.size})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        if len(self) != len(other) or self.categories != other.categories:
            return False
        return all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable
