"""COCO run-length encoding (RLE) of binary masks.

Format
------
A mask of ``height`` rows and ``width`` columns is flattened in column-major
(Fortran) order: pixel ``(r, c)`` is number ``c * height + r``. Its RLE lists the
lengths of the runs of that flattening, alternating 0-runs and 1-runs and always
starting with a 0-run, which is empty (0) when pixel (0, 0) is set. The counts
sum to ``height * width``. COCO files store the counts either as a list of ints
("uncompressed", used for crowd annotations) or as a compressed string: each count
(from the fourth on, as the difference to the count two places back) in 5-bit
groups, one printable character per group. maskcore reads and writes both, byte
for byte as pycocotools does.

Everything here works on the runs and never builds a dense mask unless asked
(:func:`decode`): set operations, area, bounding boxes and IoU cost time in the
number of runs, not pixels.

Types
-----
:class:`RLE`
    One mask: ``height``, ``width``, ``counts`` (read-only uint32 array, uint64
    when ``height * width >= 2**32``).
:class:`RLEBatch`
    Many masks in one flat counts buffer with offsets and sizes: indexable and
    iterable as :class:`RLE` objects, and what batch functions run on natively
    with threads. Every function that takes a list of RLEs also takes a batch.

Dialects
--------
:func:`to_kaggle` / :func:`from_kaggle` and :func:`to_row_runs` /
:func:`from_row_runs` convert from and to the other run-length formats users meet.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator, NoReturn, Sequence, Union, cast, overload

import numpy as np

from . import _core
from . import _validate as _v

if TYPE_CHECKING:
    from ._typing import COCORLE, ArrayLike, ManyRLEs, NDArray, OneRLE, RLELike

__all__ = [
    "RLE",
    "RLEBatch",
    "encode",
    "decode",
    "area",
    "bbox",
    "iou",
    "merge",
    "to_kaggle",
    "from_kaggle",
    "to_row_runs",
    "from_row_runs",
]

_AND, _OR, _XOR, _ANDNOT = 0, 1, 2, 3


def _counts_dtype(h: int, w: int) -> type[np.uint32] | type[np.uint64]:
    return np.uint32 if h * w < 2**32 else np.uint64


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


class RLE:
    """One binary mask in COCO run-length encoding.

    Parameters
    ----------
    counts : sequence of int or 1D integer array
        Run lengths over the column-major flattening, starting with a (possibly
        empty) run of zeros. They must sum to ``height * width``.
    height, width : int
        The mask's size.

    Raises
    ------
    ValueError
        If the counts are negative or do not sum to ``height * width``.
    TypeError
        If the counts are not integers.
    OverflowError
        If ``height * width`` does not fit in int64.

    Notes
    -----
    RLE objects are immutable; ``counts`` is a read-only array. Operators work on
    the runs: ``a & b``, ``a | b``, ``a ^ b``, ``a - b`` (``a`` and not ``b``) and
    ``~a``; their results are canonical (no empty run but the first). ``a == b``
    compares the masks, so runs that differ only by empty runs compare equal.

    Examples
    --------
    >>> import numpy as np, maskcore
    >>> m = np.array([[0, 1], [0, 1], [1, 0]], dtype=bool)
    >>> r = maskcore.encode(m)
    >>> r.counts.tolist(), r.area, r.bbox.tolist()
    ([2, 3, 1], 3, [0, 0, 2, 3])
    """

    __slots__ = ("_counts", "_h", "_w")
    _counts: np.ndarray
    _h: int
    _w: int

    def __init__(self, counts: ArrayLike, height: int, width: int) -> None:
        h, w = _v.size(height, width)
        c = _v.counts_array(counts, h * w)
        if c is counts or (isinstance(counts, np.ndarray) and np.shares_memory(c, counts)):
            c = c.copy()  # never freeze (or share) the caller's array
        try:
            _core.rle_check(c, h, w)
        except _v.KernelError as exc:
            raise _v.counts_error(exc, "counts", h * w, c.size) from None
        self._counts, self._h, self._w = _readonly(c), h, w

    @classmethod
    def _wrap(cls, counts: np.ndarray, h: int, w: int) -> "RLE":
        """Trusted constructor for counts made or checked by the core."""
        self = object.__new__(cls)
        if counts.flags.writeable:
            counts.flags.writeable = False
        self._counts, self._h, self._w = counts, h, w
        return self

    # ---- attributes -------------------------------------------------------------
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
    def counts(self) -> np.ndarray:
        """Run lengths (read-only uint32, or uint64 when height*width >= 2**32)."""
        return self._counts

    @property
    def area(self) -> int:
        """Number of foreground pixels."""
        return int(self._counts[1::2].sum(dtype=np.uint64))

    @property
    def bbox(self) -> np.ndarray:
        """COCO box ``[x, y, w, h]`` (int64) of the foreground; zeros when empty."""
        return bbox(self)

    def decode(self, out: NDArray[Any] | None = None) -> np.ndarray:
        """The dense mask: see :func:`decode`."""
        return decode(self, out=out)

    # ---- COCO dicts and strings -----------------------------------------------------
    def to_string(self) -> bytes:
        """The COCO compressed counts string (bytes), identical to pycocotools'."""
        return _core.rle_to_string(self._counts)

    def to_coco(self) -> dict[str, Any]:
        """``{"size": [h, w], "counts": str}``: JSON-ready compressed COCO RLE."""
        return {"size": [self._h, self._w], "counts": self.to_string().decode("ascii")}

    @classmethod
    def from_coco(cls, obj: COCORLE) -> "RLE":
        """Read a COCO RLE dict.

        Parameters
        ----------
        obj : dict
            ``{"size": [h, w], "counts": c}`` where ``c`` is a compressed string
            (``str`` or ``bytes``) or an uncompressed list of ints.

        Raises
        ------
        ValueError
            For a malformed string (a character outside ``'0'..'o'``, a value that
            never ends, a negative or overlong value) or counts that do not sum to
            ``h * w``.
        """
        return _from_coco(obj, "rle")

    @classmethod
    def from_mask(cls, mask: ArrayLike) -> "RLE":
        """Same as :func:`encode` for a 2D mask."""
        m = _v.mask_array(mask, "mask")  # 2D only: encode() would return a batch for a stack
        return cast(RLE, _encode(m, True))

    # ---- set operations on the runs ---------------------------------------------------
    def _combine(self, other: object, op: int) -> "RLE":
        if not isinstance(other, RLE):
            return NotImplemented  # (the operators' contract)
        if other.shape != self.shape:
            raise ValueError(f"rle: operands have different sizes {self._h}x{self._w} and {other._h}x{other._w}")
        return RLE._wrap(_core.rle_combine(self._counts, other._counts, op), self._h, self._w)

    def __and__(self, other: RLE) -> RLE:
        return self._combine(other, _AND)

    def __or__(self, other: RLE) -> RLE:
        return self._combine(other, _OR)

    def __xor__(self, other: RLE) -> RLE:
        return self._combine(other, _XOR)

    def __sub__(self, other: RLE) -> RLE:
        return self._combine(other, _ANDNOT)

    def __invert__(self) -> "RLE":
        full = np.array([0, self._h * self._w], dtype=self._counts.dtype)
        return RLE._wrap(_core.rle_combine(self._counts, full, _XOR), self._h, self._w)

    def _canonical(self) -> np.ndarray:
        c = self._counts
        if self._h == 0 or self._w == 0:  # no pixels: [] and [0] (pycocotools' form) are one mask
            return c[:0]
        if c.size > 1 and not c[1:].all():  # an empty run past the first: rebuild
            zeros = np.array([self._h * self._w], dtype=c.dtype)
            return _core.rle_combine(c, zeros, _OR)
        return c

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RLE):
            return NotImplemented
        return self.shape == other.shape and np.array_equal(self._canonical(), other._canonical())

    def __hash__(self) -> int:
        return hash((self._h, self._w, self._canonical().tobytes()))

    def __repr__(self) -> str:
        return f"RLE(height={self._h}, width={self._w}, runs={self._counts.size}, area={self.area})"

    def __reduce__(self) -> tuple[type[RLE], tuple[np.ndarray, int, int]]:
        return (RLE, (self._counts, self._h, self._w))


class RLEBatch:
    """Many RLEs in one flat buffer: ``counts`` (all runs back to back), ``offsets``
    (``n + 1`` int64; RLE ``i`` is ``counts[offsets[i]:offsets[i + 1]]``) and
    ``sizes`` (int64 ``(n, 2)`` rows of ``(height, width)``).

    Parameters
    ----------
    rles : iterable of RLE, optional

    Notes
    -----
    Indexing with an int gives an :class:`RLE` (its counts are a view into the
    batch); a slice, an int array or a boolean mask gives a new batch. Iteration
    yields :class:`RLE` objects. Counts are uint32 unless some mask has
    ``height * width >= 2**32``, then the whole batch is uint64.
    """

    __slots__ = ("_counts", "_offsets", "_sizes")
    _counts: np.ndarray
    _offsets: NDArray[np.int64]
    _sizes: np.ndarray[tuple[int, int], np.dtype[np.int64]]

    def __init__(self, rles: Iterable[RLE] = ()) -> None:
        rles = rles if isinstance(rles, list) else list(rles)
        for i, r in enumerate(rles):
            if not isinstance(r, RLE):
                raise TypeError(f"rles[{i}]: expected an RLE, got {type(r).__name__}")
        flat, offsets = _core.rle_concat([r._counts for r in rles])
        sizes = np.array([r.shape for r in rles], dtype=np.int64).reshape(-1, 2)
        self._set(flat, offsets, sizes)

    def _set(self, flat: np.ndarray, offsets: np.ndarray, sizes: np.ndarray) -> None:
        self._counts, self._offsets, self._sizes = _readonly(flat), _readonly(offsets), _readonly(sizes)

    @classmethod
    def _wrap(cls, flat: np.ndarray, offsets: np.ndarray, sizes: np.ndarray) -> "RLEBatch":
        self = object.__new__(cls)
        self._set(flat, offsets, sizes)
        return self

    @classmethod
    def from_list(cls, rles: Iterable[OneRLE]) -> "RLEBatch":
        """A batch of the given RLE objects (or COCO dicts)."""
        return cls(r if isinstance(r, RLE) else RLE.from_coco(r) for r in rles)

    @classmethod
    def from_arrays(cls, counts: ArrayLike, offsets: ArrayLike, sizes: ArrayLike) -> "RLEBatch":
        """A batch from its three arrays (copied and fully validated)."""
        sizes = _v.int_table(sizes, "sizes", 2)  # ints only: floats were truncated, strings parsed
        for i, (h, w) in enumerate(sizes.tolist()):
            _v.size(h, w, f"sizes[{i}]")
        big = bool(sizes.size) and int((sizes[:, 0].astype(object) * sizes[:, 1].astype(object)).max()) >= 2**32
        offsets = _v.int_array(offsets, "offsets")
        flat = _v.counts_array(counts, 2**64 - 1 if big else 2**32 - 1, "counts")
        flat = np.array(flat, dtype=np.uint64 if big else np.uint32, copy=True)
        if offsets.size != len(sizes) + 1:
            raise ValueError(f"offsets: expected {len(sizes) + 1} entries (one more than sizes), got {offsets.size}")
        try:
            _core.rle_check_batch(flat, offsets, sizes, _v.threads(None))
        except _v.KernelError as exc:
            i = _v.kernel_info(exc).item
            raise _v.counts_error(exc, f"rles[{i}]", int(sizes[i, 0]) * int(sizes[i, 1]),
                                  int(offsets[i + 1] - offsets[i])) from None
        return cls._wrap(flat, offsets, sizes)

    @classmethod
    def from_coco(cls, objs: Iterable[COCORLE], *, threads: int | None = None) -> "RLEBatch":
        """Read many COCO RLE dicts; compressed strings are parsed in parallel."""
        objs = objs if isinstance(objs, list) else list(objs)
        batch = _batch_from_dicts(objs, _v.threads(threads))
        if batch is not None:
            return batch
        # Mixed, uncompressed or malformed input: one at a time, with exact messages.
        return cls([_from_coco(o, f"rles[{i}]") for i, o in enumerate(objs)])

    def to_coco(self, *, threads: int | None = None) -> list[dict[str, Any]]:
        """COCO dicts with ``str`` counts, one per RLE (strings built in parallel)."""
        strings = _core.rle_to_string_batch(self._counts, self._offsets, self._sizes, _v.threads(threads))
        return [{"size": size, "counts": s} for size, s in zip(self._sizes.tolist(), strings)]

    @property
    def counts(self) -> np.ndarray:
        return self._counts

    @property
    def offsets(self) -> np.ndarray:
        return self._offsets

    @property
    def sizes(self) -> np.ndarray:
        return self._sizes

    def __len__(self) -> int:
        return self._sizes.shape[0]

    @overload
    def __getitem__(self, index: int | np.integer[Any]) -> RLE: ...
    @overload
    def __getitem__(self, index: slice | Sequence[int] | NDArray[np.integer[Any] | np.bool_]) -> RLEBatch: ...
    def __getitem__(self, index: Any) -> RLE | RLEBatch:
        n = len(self)
        if isinstance(index, (int, np.integer)) and not isinstance(index, (bool, np.bool_)):
            i = int(index)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of range for a batch of {n}")
            i %= n
            lo, hi = self._offsets[i:i + 2].tolist()
            h, w = self._sizes[i].tolist()
            return RLE._wrap(self._counts[lo:hi], h, w)
        idx = np.arange(n)[index]  # slices, int arrays and boolean masks, checked by numpy
        if idx.ndim != 1:
            raise IndexError("index: expected an int, a slice or a 1D index array")
        return RLEBatch([self[int(i)] for i in idx]) if idx.size else RLEBatch._wrap(
            np.zeros(0, self._counts.dtype), np.zeros(1, np.int64), np.zeros((0, 2), np.int64))

    def __iter__(self) -> Iterator[RLE]:
        offsets, counts = self._offsets.tolist(), self._counts
        for i, (h, w) in enumerate(self._sizes.tolist()):
            yield RLE._wrap(counts[offsets[i]:offsets[i + 1]], h, w)

    def __repr__(self) -> str:
        return f"RLEBatch(n={len(self)}, runs={self._counts.size}, dtype={self._counts.dtype})"


# ---- helpers ---------------------------------------------------------------------------

def _ascii(counts: str | bytes, name: str) -> bytes:
    if isinstance(counts, str):
        try:
            return counts.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError(f"{name}: compressed counts must be ASCII, got {counts[:40]!r}") from None
    return bytes(counts)


def _batch_from_dicts(objs: list[Any], threads: int) -> RLEBatch | None:
    """An RLEBatch when every item is a dict with [int, int] size and compressed
    counts, checked column-wise with few passes (this is the hot path of
    maskcore.coco); None otherwise, so the caller takes the item-by-item path that
    names the offending item. Bad strings raise from the native parser."""
    try:
        if any(type(o["size"]) not in (list, tuple) for o in objs):
            return None  # a dict or set size iterates its keys ({5: 'h', 4: 'w'} read as (5, 4))
        flat = [x for o in objs for x in o["size"]]
        counts = [o["counts"] for o in objs]
    except (TypeError, KeyError):
        return None
    if len(flat) != 2 * len(objs) or any(type(x) is not int for x in flat):
        return None  # a size that is not plain [int, int]
    if flat and (min(flat) < 0 or (max(flat) >= 2**31 and any(
            h * w > 2**62 for h, w in zip(flat[::2], flat[1::2])))):
        return None
    try:
        strings = [c.encode("ascii") if type(c) is str else c for c in counts]
    except (AttributeError, UnicodeEncodeError):
        return None
    if any(type(c) is not bytes for c in strings):
        return None
    sizes = np.array(flat, dtype=np.int64).reshape(len(objs), 2)
    try:
        flat, offsets = _core.rle_from_string_batch(strings, sizes, threads)
    except _v.KernelError as exc:
        i = _v.kernel_info(exc).item
        raise _v.string_error(exc, f"rles[{i}]", int(sizes[i, 0]) * int(sizes[i, 1])) from None
    return RLEBatch._wrap(flat, offsets, sizes)


def _from_coco(obj: object, name: str) -> RLE:
    h, w, counts = _coco_fields(obj, name)
    if isinstance(counts, (str, bytes)):
        where = f"{name}['counts']"
        try:
            return RLE._wrap(_core.rle_from_string(_ascii(counts, where), h, w), h, w)
        except _v.KernelError as exc:
            raise _v.string_error(exc, where, h * w) from None
    return RLE(counts, h, w)


def _coco_fields(obj: object, name: str) -> tuple[int, int, Any]:
    if not isinstance(obj, dict):
        raise TypeError(f"{name}: expected a dict with 'size' and 'counts', got {type(obj).__name__}")
    try:
        size, counts = obj["size"], obj["counts"]
    except KeyError as exc:
        raise ValueError(f"{name}: missing key {exc.args[0]!r}") from None
    if not isinstance(size, (list, tuple, np.ndarray)) or len(size) != 2:
        raise ValueError(f"{name}['size']: expected [height, width], got {size!r}")
    h, w = _v.size(size[0], size[1], f"{name}['size']")
    return h, w, counts


def _as_batch(x: object, name: str) -> tuple[RLEBatch, bool]:
    """(batch, was_single) for an RLE, a batch, or a sequence of RLEs / COCO dicts."""
    if isinstance(x, RLE):
        return RLEBatch._wrap(x._counts, np.array([0, x._counts.size], np.int64),
                              np.array([[x._h, x._w]], np.int64)), True
    if isinstance(x, RLEBatch):
        return x, False
    if isinstance(x, dict):
        return _as_batch(RLE.from_coco(x), name)
    if isinstance(x, (list, tuple)):
        try:
            return RLEBatch.from_list(x), False
        except TypeError as exc:
            raise TypeError(f"{name}: {exc}") from None
    raise TypeError(f"{name}: expected an RLE, an RLEBatch or a list of RLEs, got {type(x).__name__}")


def _planes_contiguous(stack: np.ndarray) -> bool:
    """True when each (H, W) plane of an (H, W, N) stack has unit stride on some axis."""
    h, w = stack.shape[:2]
    return h <= 1 or w <= 1 or stack.strides[0] == 1 or stack.strides[1] == 1


def _same_dtype(a: RLEBatch, b: RLEBatch) -> tuple[np.ndarray, np.ndarray]:
    if a._counts.dtype == b._counts.dtype:
        return a._counts, b._counts
    return a._counts.astype(np.uint64), b._counts.astype(np.uint64)


# ---- functions -------------------------------------------------------------------------

def encode(mask: ArrayLike, *, threads: int | None = None) -> Union[RLE, RLEBatch]:
    """Encode a binary mask (or a stack of masks) as COCO RLE.

    Parameters
    ----------
    mask : ndarray of bool or uint8
        ``(H, W)`` for one mask, or ``(H, W, N)`` for N masks (pycocotools'
        layout). Any memory layout is read in place: C or Fortran order, strided
        views, negative strides, read-only arrays (a stack whose planes have no
        unit-stride axis, such as a C-ordered ``(H, W, N)``, is first transposed
        into one scratch copy). uint8 values must be 0 or 1.
    threads : int, optional
        Threads for a stack (default: every core). The result does not depend on it.

    Returns
    -------
    RLE or RLEBatch

    Raises
    ------
    ValueError
        If a uint8 mask holds a value other than 0 and 1 (the message gives the
        first such value in column-major order and where it is). Convert 0/255
        masks with ``mask != 0``; ``maskcore.coco.encode`` treats nonzero as 1
        like pycocotools.
    TypeError
        For other dtypes (the message suggests ``astype(bool)``).
    """
    return _encode(_v.mask_array(mask, "mask", ndims=(2, 3)), True, threads)


def _encode(m: np.ndarray, strict: bool, threads=None) -> Union[RLE, RLEBatch]:
    """encode() of a checked uint8 mask or stack; ``strict=False``: nonzero is foreground
    (one pass, as the kernel reads the bytes: maskcore.coco.encode's semantics)."""
    if m.ndim == 2:
        try:
            return RLE._wrap(_core.rle_encode(m, strict), *m.shape)
        except _v.KernelError as exc:
            raise _v.encode_error(exc, "mask", m.shape) from None
    h, w, n = m.shape
    _v.size(h, w, "mask")
    if not _planes_contiguous(m):
        # Pixels of one mask interleaved with the others (a C-ordered (H, W, N) stack):
        # one transposing copy makes every plane C-contiguous, far cheaper than
        # N strided gathers over the whole stack.
        m = np.ascontiguousarray(m.transpose(2, 0, 1)).transpose(1, 2, 0)
    try:
        flat, offsets = _core.rle_encode_batch(m, strict, _v.threads(threads))
    except _v.KernelError as exc:
        raise _v.encode_error(exc, "mask", m.shape) from None
    return RLEBatch._wrap(flat, offsets, np.tile(np.array([h, w], np.int64), (n, 1)))


def decode(x: RLELike, out: NDArray[Any] | None = None, *, threads: int | None = None) -> np.ndarray:
    """Decode RLEs into dense uint8 masks (0/1).

    Parameters
    ----------
    x : RLE, RLEBatch or list of RLE
    out : ndarray, optional
        uint8 or bool array to write into, in any layout: ``(H, W)`` for one RLE,
        ``(H, W, N)`` for many. Written in place and returned.

    Notes
    -----
    A single mask is written straight into any layout. A stack whose planes have
    no unit-stride axis (the default C-ordered ``(H, W, N)``, where each mask's
    pixels are interleaved with the others') is decoded plane by plane into a
    scratch ``(N, H, W)`` array and copied across once; pass a Fortran-ordered
    ``out`` (pycocotools' layout) to avoid that copy.
    threads : int, optional
        Threads for many RLEs (default: every core).

    Returns
    -------
    ndarray
        ``(H, W)`` for one RLE, ``(H, W, N)`` for many; C-ordered unless ``out``
        is given.
    """
    if type(x) is RLE:  # one RLE: no batch arrays (they cost more than decoding a small mask)
        h, w, counts = x._h, x._w, x._counts
    else:
        batch, single = _as_batch(x, "x")
        h, w, counts = (int(batch._sizes[0, 0]), int(batch._sizes[0, 1]), batch._counts) if single else (0, 0, None)
    if counts is not None:
        dst = np.empty((h, w), np.uint8) if out is None else out
        _core.rle_decode(counts, _v.out_array(dst, (h, w)))
        return dst
    sizes = batch._sizes
    if len(sizes) and not (sizes == sizes[0]).all():
        i = int(np.flatnonzero((sizes != sizes[0]).any(axis=1))[0])
        raise ValueError(f"x: all RLEs must have one size to stack, x[0] is {tuple(sizes[0])} but x[{i}] is {tuple(sizes[i])}")
    if not len(sizes) and out is None:
        raise ValueError("x: an empty list has no size to decode to")
    if out is not None and (not isinstance(out, np.ndarray) or out.ndim != 3):
        raise TypeError(f"out: expected an (H, W, N) numpy array for a batch, got {_v._describe(out)}")
    h, w = (int(v) for v in sizes[0]) if len(sizes) else cast("np.ndarray", out).shape[:2]
    dst = np.empty((h, w, len(batch)), np.uint8) if out is None else _v.out_array(out, (h, w, len(batch)))
    # Planes that are not contiguous along an axis (the C-ordered (H, W, N) default)
    # are decoded into C-ordered planes first, then copied across in one transpose.
    planes = dst if _planes_contiguous(dst) else np.empty((len(batch), h, w), np.uint8).transpose(1, 2, 0)
    _core.rle_decode_batch(batch._counts, batch._offsets, sizes, planes, _v.threads(threads))
    if planes is not dst:
        np.copyto(dst, planes)
    return dst if out is None else out


@overload
def area(x: OneRLE, *, threads: int | None = None) -> int: ...
@overload
def area(x: ManyRLEs, *, threads: int | None = None) -> NDArray[np.int64]: ...
def area(x: RLELike, *, threads: int | None = None) -> int | NDArray[np.int64]:
    """Foreground pixel counts, summed from the runs (no decoding).

    Parameters
    ----------
    x : RLE, RLEBatch, dict or list of those
        One mask, or many of any sizes (a COCO RLE dict is parsed and validated first).
    threads : int, optional
        Threads over the masks (default: every core); the result does not depend on it.

    Returns
    -------
    int or ndarray
        An int for one RLE, an int64 ``(N,)`` array for many (exact past 2^32 pixels).
    """
    batch, single = _as_batch(x, "x")
    a = _core.rle_area_batch(batch._counts, batch._offsets, batch._sizes, _v.threads(threads))
    return int(a[0]) if single else a


def bbox(x: RLELike, *, threads: int | None = None) -> NDArray[np.int64]:
    """COCO boxes ``[x, y, w, h]`` of the foreground, from the runs (no decoding).

    Parameters
    ----------
    x : RLE, RLEBatch, dict or list of those
        One mask, or many of any sizes (a COCO RLE dict is parsed and validated first).
    threads : int, optional
        Threads over the masks (default: every core); the result does not depend on it.

    Returns
    -------
    ndarray
        int64 ``(4,)`` for one RLE, ``(N, 4)`` for many: ``x`` and ``y`` of the top-left
        foreground pixel's corner, width and height in pixels; all zeros for an empty mask
        (as ``pycocotools.mask.toBbox``, which returns the same values as float64).
    """
    batch, single = _as_batch(x, "x")
    b = _core.rle_bbox_batch(batch._counts, batch._offsets, batch._sizes, _v.threads(threads))
    return b[0] if single else b


@overload
def iou(a: OneRLE, b: OneRLE, iscrowd: ArrayLike | None = None, *, threads: int | None = None) -> float: ...
@overload
def iou(a: ManyRLEs, b: RLELike, iscrowd: ArrayLike | None = None, *, threads: int | None = None) -> NDArray[np.float64]: ...
@overload
def iou(a: RLELike, b: ManyRLEs, iscrowd: ArrayLike | None = None, *, threads: int | None = None) -> NDArray[np.float64]: ...
def iou(a: RLELike, b: RLELike, iscrowd: ArrayLike | None = None, *, threads: int | None = None) -> float | NDArray[np.float64]:
    """Alias of :func:`maskcore.iou` (the one public IoU), kept for code that calls it here.

    The same function with the same results: ``maskcore.rle.iou(a, b, iscrowd)`` is
    ``maskcore.iou(a, b, iscrowd)`` for RLE inputs (a float for two single RLEs, else a
    float64 ``(len(a), len(b))`` matrix; an empty union gives 0.0, as in pycocotools).
    """
    from .metrics import iou as _metrics_iou  # (metrics imports this module)
    return _metrics_iou(a, b, iscrowd, threads=threads)


def _iou(a: RLELike, b: RLELike, iscrowd: ArrayLike | None = None, *, threads: int | None = None) -> NDArray[np.float64]:
    """The IoU matrix of RLEs, computed on the runs: the kernel behind :func:`maskcore.iou`
    (and maskcore.coco.iou); always a float64 ``(len(a), len(b))`` matrix.

    ``a`` are the rows (detections), ``b`` the columns (ground truth); ``iscrowd`` (one
    flag per RLE of ``b``) makes the union of a pair the area of ``a``'s mask. A pair
    with an empty union gives 0.0. ValueError if two RLEs differ in size or ``iscrowd``
    has the wrong length.
    """
    ba, _ = _as_batch(a, "a")
    bb, _ = _as_batch(b, "b")
    if iscrowd is None:
        crowd = np.zeros(len(bb), np.uint8)
    else:
        crowd = np.asarray(iscrowd)
        if crowd.ndim != 1 or crowd.size != len(bb):
            raise ValueError(f"iscrowd: expected {len(bb)} flags (one per RLE in b), got shape {crowd.shape}")
        if crowd.dtype.kind not in "biu" and crowd.size:
            raise TypeError(f"iscrowd: expected bools or ints, got dtype {crowd.dtype}")
        crowd = np.ascontiguousarray(crowd != 0, dtype=np.uint8)
    ca, cb = _same_dtype(ba, bb)
    try:
        return _core.rle_iou(ca, ba._offsets, ba._sizes, cb, bb._offsets, bb._sizes, crowd, _v.threads(threads))
    except _v.KernelError as exc:
        raise _v.size_mismatch_error(exc, "iou", "a", ba._sizes, "b", bb._sizes) from None


def merge(rles: RLE | ManyRLEs, intersect: bool = False) -> RLE:
    """Union (or, with ``intersect=True``, intersection) of RLEs of one size.

    Raises
    ------
    ValueError
        For an empty list, or RLEs of different sizes.
    """
    if isinstance(rles, RLE):
        return rles
    items = list(rles) if isinstance(rles, RLEBatch) else _sequence(rles, "rles")
    if not all(type(r) is RLE for r in items):
        items = [r if isinstance(r, RLE) else RLE.from_coco(r) if isinstance(r, dict) else _not_rle(r, i)
                 for i, r in enumerate(items)]
    if not items:
        raise ValueError("rles: expected at least one RLE, got an empty list")
    h, w = items[0].shape
    if any(r._h != h or r._w != w for r in items):
        i = next(i for i, r in enumerate(items) if r.shape != (h, w))
        raise ValueError(f"rles: rles[{i}] is {items[i]._h}x{items[i]._w} but rles[0] is {h}x{w}")
    return RLE._wrap(_core.rle_merge([r._counts for r in items], _AND if intersect else _OR, h * w), h, w)


def _sequence(x: object, name: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(x, (list, tuple)):
        raise TypeError(f"{name}: expected an RLE, an RLEBatch or a list of RLEs, got {type(x).__name__}")
    return x


def _not_rle(x: object, i: int) -> NoReturn:
    raise TypeError(f"rles[{i}]: expected an RLE, got {type(x).__name__}")


from ._dialects import from_kaggle, from_row_runs, to_kaggle, to_row_runs  # noqa: E402  (they use the names above)
