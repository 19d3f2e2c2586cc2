"""The one place where user input is checked and canonicalized.

Every public function hands its arguments to these helpers before anything
reaches the native core, so the messages are uniform: they name the parameter,
say what was expected and show what came. Nothing here copies pixel data unless
the docstring of the helper says so.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, NamedTuple

import numbers
from collections.abc import Sequence
import operator
import os

import numpy as np
from numpy.typing import NDArray

from . import _core

_INT64_MAX = INT64_MAX = 2**63 - 1
MAX_THREADS = 4096  # threads= above it is a mistake, not a machine (the kernels take an int)


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1  # the cores this process may run on
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# Read once: asking the OS costs microseconds, more than a small batch kernel.
CORES = _usable_cores()


def threads(value: Any, name: str = "threads") -> int:
    """Resolve ``threads=`` (None means every usable core) to an int >= 1."""
    if value is None:
        return CORES
    n = integer(value, name)
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"{name}: expected an int in 1 .. {MAX_THREADS} or None, got {n}")
    return n


# DLPack device types (dlpack.h DLDeviceType) whose memory the CPU reads directly.
_DLPACK_HOST = {1: "cpu", 3: "cuda pinned host", 13: "cuda managed"}
_DLPACK_NAMES = {2: "cuda", 4: "opencl", 7: "vulkan", 8: "metal", 9: "vpi", 10: "rocm", 14: "oneapi"}


def array_like(value: Any, name: str) -> np.ndarray:
    """Any array the CPU can read, as a numpy array without a copy where the layout allows.

    Accepts numpy arrays (returned as they are), objects exporting DLPack (``__dlpack__``:
    CPU torch tensors, JAX or CuPy host arrays, ...), objects with ``__array__`` or the buffer
    protocol, and (nested) lists / tuples. A tensor on a device the CPU cannot read (a GPU) is
    a TypeError naming the device: move it to the host first (``tensor.cpu()``).
    """
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)):
        return np.asarray(value)
    device = getattr(value, "__dlpack_device__", None)
    if device is not None:
        try:
            kind, index = (int(v) for v in device())
        except Exception:  # a foreign object whose device query fails: let np.asarray try
            kind, index = 1, 0
        if kind not in _DLPACK_HOST:
            where = f"{_DLPACK_NAMES.get(kind, f'DLPack device type {kind}')}:{index}"
            raise TypeError(f"{name}: expected an array in host memory, got a {type(value).__name__} on "
                            f"{where} (copy it to the CPU first, e.g. tensor.cpu() or np.asarray(x.get()))")
        if hasattr(value, "__dlpack__"):
            try:
                return np.from_dlpack(value)
            except (BufferError, TypeError, RuntimeError, ValueError):
                pass  # e.g. a dtype DLPack cannot carry, or a tensor that needs .detach(): try __array__
    if any(hasattr(value, a) for a in ("__array__", "__array_interface__", "__array_struct__")):
        return np.asarray(value)
    raise TypeError(f"{name}: expected a numpy array (or an object exporting __array__ or __dlpack__), "
                    f"got {type(value).__name__}")


def is_array(value: object) -> bool:
    """True for a numpy array or an object :func:`array_like` reads as one without a list walk
    (DLPack, ``__array__``, the array interface): the test that picks an array path over a list
    or RLE path."""
    return isinstance(value, np.ndarray) or (
        not isinstance(value, (list, tuple, dict, str, bytes))
        and any(hasattr(value, a) for a in ("__dlpack__", "__array__", "__array_interface__")))


def aligned(arr: np.ndarray, name: str) -> np.ndarray:
    """An input array whose items are aligned for its dtype: ``arr`` itself, or (a view at
    a byte offset, such as ``raw[1:].view(np.uint16)``) an aligned C-ordered copy. The
    kernels read items through typed pointers; a misaligned one is undefined behaviour
    in C++ (it happens to work on x86, not on every CPU), so it never reaches them."""
    return arr if arr.flags.aligned else np.array(arr, order="C", copy=True)


def aligned_output(arr: np.ndarray, name: str) -> np.ndarray:
    """An array written in place must be aligned for its dtype (it cannot be copied):
    ``arr``, or ValueError naming ``name``."""
    if not arr.flags.aligned:
        raise ValueError(f"{name}: the array's items are not aligned for {arr.dtype} (data at address "
                         f"{arr.ctypes.data:#x}, e.g. a view at a byte offset such as raw[1:].view(...)); "
                         f"it is written in place, so pass an aligned array (np.empty(...), or a .copy())")
    return arr


def integer(value: Any, name: str) -> int:
    """An integral value (Python or numpy int, not bool, not float) as int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__} {_describe(value)}")
    return operator.index(value)


def int_values(values: Any, name: str) -> list[int]:
    """An iterable of ints (Python or numpy, not bool) as a list of Python ints."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name}: expected an iterable of ints, got {type(values).__name__} {_describe(values)}")
    if isinstance(values, np.ndarray):
        values = values.ravel().tolist()
    return [integer(v, f"{name}[{i}]") for i, v in enumerate(values)]


def json_number(value: Any, name: str) -> float:
    """A finite real number from a JSON document (int or float, not bool) as float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__} {_describe(value)}")
    try:
        v = float(value)
    except OverflowError:
        v = float("inf")
    if not math.isfinite(v):
        raise ValueError(f"{name}: expected a finite number, got {_describe(value)}")
    return v


def json_box(value: Any, name: str) -> tuple[float, float, float, float]:
    """A COCO box [x, y, w, h]: four finite numbers, w and h >= 0."""
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple, np.ndarray)):
        raise TypeError(f"{name}: expected [x, y, w, h], got {type(value).__name__} {_describe(value)}")
    if len(value) != 4:
        raise ValueError(f"{name}: expected 4 numbers [x, y, w, h], got {len(value)}: {_describe(value)}")
    x, y, w, h = (json_number(v, f"{name}[{i}]") for i, v in enumerate(value))
    if w < 0 or h < 0:
        raise ValueError(f"{name}: expected a width and height >= 0, got {_describe(value)}")
    return x, y, w, h


def json_size(value: Any, name: str, *, limit: int = 2**31 - 1) -> int:
    """An image side from a JSON document: an int (or a float with an integral value)
    in [0, limit]; 20.9, 1e20, "20" and True are refused, naming ``name`` and the value."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        value = int(value)
    v = integer(value, name)
    if v < 0:
        raise ValueError(f"{name}: expected an int >= 0, got {v}")
    if v > limit:
        raise ValueError(f"{name}: {v} is larger than the largest supported image side ({limit})")
    return v


def size(height: Any, width: Any, name: str = "size") -> tuple[int, int]:
    """(height, width) as non-negative ints whose product fits in int64."""
    h = integer(height, f"{name} height")
    w = integer(width, f"{name} width")
    if h < 0 or w < 0:
        raise ValueError(f"{name}: height and width must be >= 0, got {h}x{w}")
    if h * w > _INT64_MAX:
        raise OverflowError(f"{name}: {h}x{w} = {h * w} pixels does not fit in int64")
    return h, w


def raster_size(height: Any, width: Any) -> tuple[int, int]:
    """``height``, ``width`` of a raster: ints in [0, 2**31) (the scan's limit), product in int64."""
    h, w = size(height, width, "size")
    for name, v in (("height", h), ("width", w)):
        if v >= 2**31:
            raise ValueError(f"{name}: {v} is beyond the rasterizer's limit (sides < 2**31)")
    return h, w


def shape_pair(shape: Any, name: str = "shape") -> tuple[int, int]:
    """A ``(height, width)`` pair, checked as :func:`size`."""
    try:
        h, w = shape
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a pair (height, width), got {_describe(shape)}") from None
    return size(h, w, name)


def int_array(values: Any, name: str, *, whole_floats: bool = False, cols: int = 0) -> NDArray[np.int64]:
    """A 1D sequence of non-negative integers that fit in int64, as an int64 array.

    ``whole_floats`` also accepts floats with integral values (JSON round trips,
    e.g. CVAT stores its points as floats). Messages name the offending item as
    ``name[i]`` (``name[i, j]`` with ``cols``: a flattened (n, cols) table).
    """
    def at(i: int) -> str:
        return f"{name}[{i // cols}, {i % cols}]" if cols else f"{name}[{i}]"

    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name}: expected a sequence of integers, got {type(values).__name__}")
    try:
        arr = np.asarray(values)
    except (ValueError, OverflowError):
        raise ValueError(f"{name}: expected a 1-D sequence of integers, got {_describe(values)}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.dtype.kind == "O":
        out = np.empty(arr.size, np.int64)
        for i, v in enumerate(arr):
            if whole_floats and isinstance(v, (float, np.floating)) and float(v).is_integer():
                v = int(v)
            v = integer(v, at(i))
            if v < 0:
                raise ValueError(f"{at(i)}: expected >= 0, got {v}")
            if v > _INT64_MAX:
                raise OverflowError(f"{at(i)}: {v} does not fit in int64")
            out[i] = v
        return out
    if arr.dtype.kind == "f" and whole_floats:
        bad = np.flatnonzero(~np.isfinite(arr) | (arr != np.floor(arr)))
        if bad.size:
            i = int(bad[0])
            raise TypeError(f"{at(i)}: expected an integer, got {arr[i]!r}")
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integers, got dtype {arr.dtype}")
    neg = np.flatnonzero(arr < 0) if arr.dtype.kind != "u" else np.zeros(0, np.int64)
    if neg.size:
        i = int(neg[0])
        raise ValueError(f"{at(i)}: expected >= 0, got {arr[i]!r}")
    big = np.flatnonzero(arr >= (2.0**63 if arr.dtype.kind == "f" else np.uint64(2**63)))
    if big.size:
        i = int(big[0])
        raise OverflowError(f"{at(i)}: {arr[i]!r} does not fit in int64")
    return arr.astype(np.int64)


def int_table(values: Any, name: str, cols: int) -> NDArray[np.int64]:
    """An (n, cols) table of non-negative integers that fit in int64 (checked as
    :func:`int_array`: no floats, strings or bools), as a new int64 array."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name}: expected an (n, {cols}) array of integers, got {type(values).__name__}")
    try:
        arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object if (
            isinstance(values, (list, tuple)) and values) else None)
    except (ValueError, OverflowError):
        raise ValueError(f"{name}: expected an (n, {cols}) array of integers, got {_describe(values)}") from None
    if arr.size == 0:
        return np.zeros((0, cols), np.int64)
    if arr.ndim != 2 or arr.shape[1] != cols:
        raise ValueError(f"{name}: expected an (n, {cols}) array, got shape {arr.shape}")
    if arr.dtype.kind == "b":
        raise TypeError(f"{name}: expected integers, got dtype bool")
    return int_array(arr.reshape(-1), name, cols=cols).reshape(-1, cols)


def mask_array(mask: object, name: str = "mask", ndims: tuple[int, ...] = (2,)) -> NDArray[np.uint8]:
    """A binary mask as a uint8 array of the same layout (bool is viewed, not copied).

    Accepts bool and uint8 arrays in any memory layout; the 0/1 check happens in
    the kernel, in the same pass that encodes.
    """
    mask = array_like(mask, name)
    if mask.ndim not in ndims:
        want = " or ".join(f"{d}D" for d in ndims)
        raise ValueError(f"{name}: expected a {want} array, got {mask.ndim}D with shape {mask.shape}")
    if mask.dtype == np.bool_:
        return mask.view(np.uint8)
    if mask.dtype == np.uint8:
        return mask
    hint = " (use mask != 0 or mask.astype(bool))" if mask.dtype.kind in "iuf" else ""
    raise TypeError(f"{name}: expected a bool or uint8 array, got dtype {mask.dtype}{hint}")


def out_array(out: object, shape: tuple[int, ...], name: str = "out") -> NDArray[np.uint8]:
    """A writable uint8 (or bool, viewed) array of exactly ``shape``, any layout."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)}, got {out.shape}")
    if out.dtype == np.bool_:
        out = out.view(np.uint8)
    elif out.dtype != np.uint8:
        raise TypeError(f"{name}: expected a uint8 or bool array, got dtype {out.dtype}")
    if not out.flags.writeable:
        raise ValueError(f"{name}: array is read-only")
    return aligned_output(out, name)


def counts_array(counts: Any, total: int, name: str = "counts") -> np.ndarray:
    """Run lengths as a contiguous uint32 array (uint64 when total >= 2**32).

    Rejects non-integers, negatives and values past uint64; the sum is checked by
    the caller (natively, without overflow).
    """
    dtype = np.uint32 if total < 2**32 else np.uint64
    if isinstance(counts, (bytearray, memoryview, str, bytes)) or not isinstance(counts, (Sequence, np.ndarray)):
        # bytes-likes were read as lists of byte values (bytearray(b'10') -> [49, 48]) and a
        # scalar as one count: only a compressed string (str / bytes, where the caller
        # takes them) or a sequence of ints is counts
        raise TypeError(f"{name}: expected a list of ints (or a compressed str / bytes string), got "
                        f"{type(counts).__name__} {_describe(counts)}")
    if isinstance(counts, np.ndarray):
        arr = counts
    else:
        if bool in map(type, counts) or np.bool_ in map(type, counts):
            i = next(i for i, v in enumerate(counts) if isinstance(v, (bool, np.bool_)))
            raise TypeError(f"{name}[{i}]: expected an int, got bool {counts[i]!r}")
        try:
            arr = np.asarray(counts)
        except (OverflowError, ValueError) as exc:
            raise ValueError(f"{name}: expected a sequence of non-negative ints ({exc})") from None
    if arr.ndim != 1:
        if arr.size == 0:
            arr = arr.reshape(-1)
        else:
            raise ValueError(f"{name}: expected a 1D sequence, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype)
    if arr.dtype.kind == "O":
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in arr):
            raise TypeError(f"{name}: expected ints")
        if min(arr) < 0 or max(arr) > total:
            bad = min(arr) if min(arr) < 0 else max(arr)
            raise ValueError(f"{name}: run length {bad} is outside [0, {total}]")
        return np.asarray([int(v) for v in arr], dtype)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer run lengths, got dtype {arr.dtype}")
    if arr.dtype.kind == "i" and arr.min() < 0:
        raise ValueError(f"{name}: run lengths must be >= 0, got {arr.min()}")
    if arr.max() > total:
        raise ValueError(f"{name}: run length {arr.max()} exceeds height*width = {total}")
    return aligned(np.ascontiguousarray(arr, dtype=dtype), name)


def isa_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"isa: expected a str, got {type(name).__name__}")
    return name.strip().lower()


def _polygon_error(value: object, name: str) -> TypeError:
    return TypeError(f"{name}: expected a polygon, a flat sequence of numbers x0, y0, x1, y1, ... "
                     f"or an (N, 2) array of (x, y) rows, got {type(value).__name__} {_describe(value)}")


def coco_polygons(polys: Iterable[Any], name: str = "polygons", nested: bool = True) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Polygons as one flat, C-contiguous float64 array of x0, y0, x1, y1, ... and
    int64 offsets (n + 1; polygon i is ``flat[offsets[i]:offsets[i + 1]]``): the
    :func:`polygon_parts` of ``polys``, packed."""
    arrs = polygon_parts(polys, name, nested)
    if len(arrs) == 1:
        return arrs[0], np.array((0, arrs[0].shape[0]), np.int64)
    offsets = np.zeros(len(arrs) + 1, np.int64)
    np.cumsum([a.shape[0] for a in arrs], out=offsets[1:])
    flat = np.concatenate(arrs) if arrs else np.zeros(0, np.float64)
    return flat, offsets


def polygon_parts(polys: Iterable[Any], name: str = "polygons", nested: bool = True) -> list[NDArray[np.float64]]:
    """Polygons as flat, C-contiguous, aligned float64 arrays of x0, y0, x1, y1, ...

    ``polys`` is a list of polygons; each is a flat sequence of numbers (list, tuple,
    1-D array; anything ``np.asarray(p, float64)`` reads, as pycocotools does) of even
    length, or an ``(N, 2)`` array / nested list of (x, y) rows. Polygons may have any
    number of points, 0 included. Messages name polygon i ``name[i]``, or ``name``
    when ``nested`` is false (one polygon that the caller got on its own).

    The coordinates are copied once (not for a single contiguous, aligned float64 array).
    Their values (finite, within the rasterizer's range) are checked by the kernel
    in the pass that reads them, as the 0/1 check of masks is.
    """
    arrs = []
    for i, p in enumerate(polys):
        where = f"{name}[{i}]" if nested else name
        if isinstance(p, (str, bytes, dict)) or not hasattr(p, "__len__"):
            raise _polygon_error(p, where)
        if isinstance(p, np.ndarray) and p.dtype.kind not in "biuf":
            raise _polygon_error(p, where)  # complex (numpy would drop the imaginary part), strings, objects
        try:
            a = aligned(np.ascontiguousarray(p, dtype=np.float64), where)
        except (TypeError, ValueError):
            raise _polygon_error(p, where) from None
        if not isinstance(p, np.ndarray) and np.isnan(a).any():  # numpy reads None as NaN
            if any(v is None for v in np.asarray(p, dtype=object).reshape(-1)):
                raise _polygon_error(p, where)
        if a.ndim != 1:
            if a.ndim == 2 and a.shape[1] == 2:
                a = a.reshape(-1)
            elif a.size == 0:
                a = a.reshape(0)
            else:
                raise ValueError(f"{where}: expected a flat sequence x0, y0, x1, y1, ... or an (N, 2) "
                                 f"array of (x, y) rows, got shape {a.shape}")
        if a.shape[0] % 2:
            raise ValueError(f"{where}: expected an even number of coordinates (x, y pairs), "
                             f"got {a.shape[0]}")
        arrs.append(a)
    return arrs


# ---- errors the kernels found
# A kernel that finds a fault in the data returns a Status and an ErrorInfo (where: an
# index; what: a value; which check: a kind); the binding raises them as
# ``_core.KernelError(status, index, value, kind, item)`` (item: which member of a
# batch, -1 for none) and never words a message. The functions below do, here, where
# the parameter names and shapes are known. They run only when a call has failed.

KERNEL_STATUS: tuple[str, ...] = tuple(_core.KERNEL_STATUS)  # code -> name (csrc/common/common.hpp)
RLE_STRING_ERRORS: dict[str, int] = dict(_core.RLE_STRING_ERRORS)  # kind of a bad string (csrc/rle/rle.hpp)
KernelError = _core.KernelError


class KernelInfo(NamedTuple):
    status: str  # a name of KERNEL_STATUS
    at: int  # ErrorInfo.index: where (an element, byte or coordinate index), -1 if none
    value: int
    kind: int
    item: int  # the failed member of a batch, -1 for a single call
    coordinate: float  # a bad float the kernel found (a polygon coordinate), else 0.0


def kernel_info(exc: BaseException) -> KernelInfo:
    """The ErrorInfo carried by a ``_core.KernelError``."""
    args = tuple(exc.args)
    status, index, value, kind = args[:4]
    item = args[4] if len(args) > 4 else -1
    coordinate = args[5] if len(args) > 5 else 0.0
    return KernelInfo(KERNEL_STATUS[status] if 0 <= status < len(KERNEL_STATUS) else "internal",
                      index, value, kind, item, coordinate)


def kernel_error(exc: Exception) -> tuple[int, int, int, int]:
    """(status, index, value, kind) of a ``_core.KernelError`` (see :func:`kernel_info`)."""
    status, index, value, kind = tuple(exc.args)[:4]
    return status, index, value, kind


def _kernel_exception(info: KernelInfo, message: str) -> Exception:
    """The exception for ``message``: OverflowError for an overflow, RuntimeError for an
    internal failure, ValueError otherwise (as csrc/bindings/buffers.hpp: raise maps a Status)."""
    if info.status == "overflow":
        return OverflowError(message)
    if info.status == "internal":
        return RuntimeError(message)
    return ValueError(message)


def position(index: int, shape: Any, order: str = "C") -> tuple[int, ...]:
    """A linear index of an array of ``shape`` (row-major, or column-major for "F") as a tuple."""
    return tuple(int(v) for v in np.unravel_index(index, shape, order=order))  # type: ignore[call-overload]


def binary_error(exc: Exception, names: Sequence[str], shapes: Sequence[Any],
                 hint: str = " (use mask != 0 for 0/255 masks)") -> ValueError:
    """A 0/1 mask holding another value (metrics): kind indexes ``names``/``shapes``, index is row-major."""
    info = kernel_info(exc)
    where = f" at {position(info.at, shapes[info.kind])}" if info.at >= 0 else ""
    return ValueError(f"{names[info.kind]}: expected a binary mask (0/1), found {info.value}{where}{hint}")


def encode_error(exc: Exception, name: str, shape: tuple[int, ...], *, transposed: bool = False,
                 hint: str = "") -> Exception:
    """The RLE encoder found a byte other than 0/1: ``name`` and the position ``[row, col]``
    (``[row, col, i]`` in an (H, W, N) stack: KernelError's item) of the first one in
    column-major order. ``shape`` is that of the array the encoder read; ``transposed``:
    it read the caller's ``mask.T`` (the position is given in the caller's mask)."""
    info = kernel_info(exc)
    if info.status != "invalid_value":
        return _kernel_exception(info, f"{name}: encode failed ({info.status})")
    h = shape[0]
    r, c = (info.at % h, info.at // h) if h else (0, 0)
    if transposed:
        r, c = c, r
    at = [r, c] if len(shape) == 2 else [r, c, info.item]
    return ValueError(f"{name}: expected only 0 and 1 (or bool), found {info.value} at {at}{hint}")


def counts_error(exc: Exception, name: str, total: int, n: int) -> Exception:
    """``n`` run lengths that do not sum to ``height * width = total`` (``rle_check``): the
    count where the sum passed ``total``, or the sum when it fell short."""
    info = kernel_info(exc)
    if info.status != "corrupt_rle":
        return _kernel_exception(info, f"{name}: counts check failed ({info.status})")
    if info.at < n:
        return ValueError(f"{name}: counts sum past height*width = {total} at counts[{info.at}]")
    return ValueError(f"{name}: counts sum to {info.value}, expected height*width = {total}")


def size_mismatch_error(exc: Exception, what: str, name_a: str, sizes_a: Any, name_b: str, sizes_b: Any) -> Exception:
    """Two operands of different sizes (KernelError(size_mismatch): index = i of ``a``,
    value = j of ``b``; ``sizes_*`` are their (n, 2) height, width rows)."""
    info = kernel_info(exc)
    if info.status != "size_mismatch":
        return _kernel_exception(info, f"{what}: failed ({info.status})")
    i, j = info.at, info.value
    return ValueError(f"{what}: {name_a}[{i}] is {int(sizes_a[i][0])}x{int(sizes_a[i][1])} but {name_b}[{j}] is "
                      f"{int(sizes_b[j][0])}x{int(sizes_b[j][1])}")


def string_error(exc: Exception, name: str, total: int) -> Exception:
    """A malformed compressed COCO string (``rle_from_string``): what and where."""
    info = kernel_info(exc)
    if info.status != "corrupt_rle":
        return _kernel_exception(info, f"{name}: invalid compressed RLE string ({info.status})")
    head = f"{name}: invalid compressed RLE string: "
    at = f" at offset {info.at}"
    e = RLE_STRING_ERRORS
    if info.kind == e["bad_char"]:
        return ValueError(f"{head}character {info.value}{at} is outside '0'..'o'")
    if info.kind == e["truncated"]:
        return ValueError(f"{head}truncated (the value{at} runs past the end)")
    if info.kind == e["too_long"]:
        return ValueError(f"{head}the value{at} is longer than 64 bits")
    if info.kind == e["bad_count"]:
        return ValueError(f"{head}counts[{info.at}] (stored as {info.value}) is negative or runs past "
                          f"height*width = {total}")
    return ValueError(f"{head}counts sum to {info.value}, expected height*width = {total}")


def unknown_keys_error(exc: Exception, name: str, pixels: np.ndarray, what: str, hint: str = "") -> Exception:
    """A label map or colour mask holds keys missing from its table (``segments_encode``:
    KernelError(invalid_value), index = the first such pixel's row-major position, value = how
    many pixels): the count, the first position ``(row, col)`` and its value or colour."""
    info = kernel_info(exc)
    if info.status != "invalid_value" or info.at < 0 or pixels.ndim < 2 or pixels.shape[1] == 0:
        return _kernel_exception(info, f"{name}: encoding the segments failed ({info.status})")
    r, c = divmod(int(info.at), int(pixels.shape[1]))
    v = pixels[r, c]
    shown = tuple(int(x) for x in v) if pixels.ndim == 3 else int(v)
    return ValueError(f"{name}: {info.value} pixels {what}; the first, at (row, col) ({r}, {c}), is {shown}{hint}")


def paint_error(exc: Exception, name: str, height: int, width: int) -> Exception:
    """Counts of segment ``index`` that run past ``height * width`` (``segments_paint``:
    KernelError(corrupt_rle), index = the segment, value = the count within its counts)."""
    info = kernel_info(exc)
    if info.status != "corrupt_rle":
        return _kernel_exception(info, f"{name}: painting failed ({info.status})")
    return ValueError(f"{name}[{info.at}]: counts run past height*width = {height * width} at counts[{info.value}]")


def png_filter_error(exc: Exception) -> Exception:
    """A PNG scanline whose filter type is not 0..4 (``png_unfilter``: KernelError(invalid_value),
    index = the row, value = the filter byte)."""
    info = kernel_info(exc)
    if info.status != "invalid_value":
        return _kernel_exception(info, f"png: unfiltering failed ({info.status})")
    return ValueError(f"filter type of row {info.at}: expected 0..4, got {info.value}")


def _limit_text(v: float) -> str:
    """A coordinate limit as the messages write it: 2**40, 2e8."""
    m, e = math.frexp(v)
    return f"2**{e - 1}" if m == 0.5 else f"{v:.0e}".replace("e+0", "e").replace("e+", "e")


def polygon_error(exc: Exception, name: str, nested: bool, height: int, width: int) -> Exception:
    """The COCO polygon rasterizer (``coco_poly_strings`` / ``coco_poly_dicts``) refused
    polygon ``item``: ``name[item]`` (``name`` when not ``nested``), the point and its value."""
    info = kernel_info(exc)
    where = f"{name}[{info.item}]" if nested else name
    if info.status == "invalid_value" and info.at >= 0:
        return ValueError(f"{where}: point {info.at // 2} has {'y' if info.at % 2 else 'x'} = "
                          f"{info.coordinate}; expected a finite coordinate with |v| <= "
                          f"{_limit_text(_core.coco_poly_max_coordinate)}")
    if info.status == "overflow":
        return OverflowError(f"size: {height}x{width} pixels does not fit in int64")
    return _kernel_exception(info, f"{where}: rasterization failed")


def scan_error(exc: Exception, height: int, width: int, rule: str, batch: str = "objects") -> Exception:
    """A polygon scan (rasterize, paint, draw_rgb, rasterize_rle) refused its input: the part,
    the point and its value; or the size. Member ``item`` of a batch is named ``batch[item]``."""
    info = kernel_info(exc)
    coco = rule == "coco"
    prefix = f"{batch}[{info.item}]: " if info.item >= 0 else ""
    if info.status == "invalid_value" and info.at >= 0:
        limit = _limit_text(_core.coco_poly_max_coordinate if coco else _core.raster_max_coordinate)
        return ValueError(f"{prefix}polygons: part {info.kind} point {info.at // 2} has "
                          f"{'y' if info.at % 2 else 'x'} = {info.coordinate}; expected a finite coordinate "
                          f"with |v| <= {limit}")
    if info.status == "overflow":
        return OverflowError(f"size: {height}x{width}" + (" pixels does not fit in int64" if coco
                                                         else ": height and width must be < 2**31"))
    return _kernel_exception(info, f"{prefix}polygons: rasterization failed")


def stroke_error(exc: Exception) -> Exception:
    """The stroke painter refused its width or points."""
    info = kernel_info(exc)
    if info.status == "invalid_argument":
        return ValueError("width: expected a finite width >= 0")
    if info.status == "invalid_value":
        return ValueError(f"points: expected finite coordinates with |v| <= {_limit_text(_core.raster_max_coordinate)}")
    if info.status == "overflow":
        return OverflowError("points: image too large (height and width must be < 2**31)")
    return _kernel_exception(info, "points: rasterization failed")


def eval_error(exc: Exception, gt_anns: Sequence[Any], dt_anns: Sequence[Any]) -> Exception:
    """COCOeval's kernel refused an image's masks: segmentations of different sizes
    (detection ``at`` against ground truth ``value``; ``at`` -1: two ground truths), or a
    compressed string that does not decode (annotation ``at``; kind 1: a detection).
    Annotations are named by their ``id``."""
    info = kernel_info(exc)

    def ann_id(anns: Sequence[Any], i: int) -> str:
        a = anns[i] if 0 <= i < len(anns) else None
        return repr(a.get("id")) if isinstance(a, dict) else f"#{i}"

    if info.status == "size_mismatch":
        if info.at >= 0:
            return ValueError(f"cocoDt: annotation {ann_id(dt_anns, info.at)}: segmentation sizes differ from "
                              f"ground truth annotation {ann_id(gt_anns, info.value)} of one image "
                              f"(pycocotools gives IoU -1 there)")
        return ValueError(f"cocoGt: annotation {ann_id(gt_anns, info.value)}: segmentation sizes differ between "
                          f"the ground truths of one image (pycocotools gives IoU -1 there)")
    if info.status == "corrupt_rle":
        side, anns = ("cocoDt", dt_anns) if info.kind else ("cocoGt", gt_anns)
        return ValueError(f"{side}: annotation {ann_id(anns, info.at)}: invalid compressed RLE counts")
    return _kernel_exception(info, f"evaluate failed ({info.status})")



def chunked_first_error(exc: Exception, shape: tuple[int, ...], n: int) -> Exception:
    """A block's labels that are not numbered 1..n in order of first appearance
    (``chunked_first_pixels``): the label and its position in the block, or the first
    label that never appears (index = the block's size)."""
    info = kernel_info(exc)
    if info.status != "invalid_value":
        return _kernel_exception(info, f"labels: first pixels failed ({info.status})")
    size = math.prod(shape)
    if info.at >= size:
        return ValueError(f"labels: expected labels 1..{n} in order of first appearance, label {info.value} "
                          f"never appears")
    return ValueError(f"labels: expected labels 1..{n} in order of first appearance, found {info.value} at "
                      f"{position(info.at, shape)}")


def chunked_pairs_error(exc: Exception, n: int) -> Exception:
    """A seam pair naming an id outside 1..n (``chunked_merge_numbering``): which array
    (kind 0: ``pairs_a``, 1: ``pairs_b``), the pair and the id."""
    info = kernel_info(exc)
    if info.status != "invalid_value":
        return _kernel_exception(info, f"pairs: merge numbering failed ({info.status})")
    name = ("pairs_a", "pairs_b")[info.kind] if info.kind in (0, 1) else "pairs"
    return ValueError(f"{name}: expected ids in 1..{n}, found {info.value % 2**64} at [{info.at}]")


# ---- metrics

# The largest K with K * K <= 2**31, defined once in csrc/metrics/metrics.hpp (kMaxClasses).
MAX_CLASSES: int = _core.METRICS_MAX_CLASSES


def class_value_error(exc: Exception, names: Sequence[str], shape: Any, k: int, ignore: int | None) -> Exception:
    """A label >= num_classes in a confusion matrix's input: kind indexes ``names`` (gt,
    pred), index is the row-major position in ``shape``, value the label."""
    info = kernel_info(exc)
    if info.status != "invalid_value":
        return _kernel_exception(info, f"{names[0]} and {names[1]}: confusion matrix failed ({info.status})")
    return ValueError(f"{names[info.kind]}: value {info.value} at {position(info.at, shape)} is >= "
                      f"num_classes={k}" + ("" if ignore is None else f" (ignore_index={ignore})"))


def confusion_counts(cm, name: str) -> np.ndarray:
    """A square (K, K) confusion matrix of counts: integers, or floats (summed or weighted
    matrices), all finite and >= 0. Negative or NaN entries made Dice 2.0 and IoU NaN."""
    if not isinstance(cm, np.ndarray):
        if not isinstance(cm, (list, tuple)):
            raise TypeError(f"{name}: expected a (K, K) array of counts, got {type(cm).__name__}")
        try:
            cm = np.asarray(cm)
        except ValueError:
            raise ValueError(f"{name}: expected a (K, K) array of counts, got ragged rows") from None
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"{name}: expected a square (K, K) confusion matrix, got shape {cm.shape}")
    if cm.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected integer or float counts, got dtype {cm.dtype}")
    if cm.dtype.kind == "f":
        bad = np.argwhere(~np.isfinite(cm))
        if bad.size:
            pos = tuple(int(v) for v in bad[0])
            raise ValueError(f"{name}: expected finite counts, found {cm[pos].item()!r} at {pos}")
    if cm.dtype.kind != "u":
        bad = np.argwhere(cm < 0)
        if bad.size:
            pos = tuple(int(v) for v in bad[0])
            raise ValueError(f"{name}: expected counts >= 0, found {cm[pos].item()!r} at {pos}")
    return cm


def segments_info(segs, name: str, *, crowd: bool) -> dict:
    """COCO panoptic ``segments_info`` (a list of dicts) as {id: dict}: ids ints in
    [0, 2**32), category_id ints, ``iscrowd`` 0/1 when ``crowd``; messages name
    ``name[i]['field']``."""
    if isinstance(segs, (str, bytes, dict)) or not hasattr(segs, "__iter__"):
        raise TypeError(f"{name}: expected a list of segment dicts, got {type(segs).__name__} {_describe(segs)}")
    out = {}
    for i, s in enumerate(segs):
        where = f"{name}[{i}]"
        if not isinstance(s, dict):
            raise TypeError(f"{where}: expected a dict, got {type(s).__name__} {_describe(s)}")
        for key in ("id", "category_id"):
            if key not in s:
                raise ValueError(f"{where}: '{key}' is missing")
        sid = integer(s["id"], f"{where}['id']")
        if not 0 <= sid < 2**32:
            raise ValueError(f"{where}['id']: expected a segment id in [0, 2**32), got {sid}")
        integer(s["category_id"], f"{where}['category_id']")
        if crowd and "iscrowd" in s:
            c = s["iscrowd"]
            if not (isinstance(c, (bool, np.bool_)) or (isinstance(c, numbers.Integral) and int(c) in (0, 1))):
                raise ValueError(f"{where}['iscrowd']: expected 0 or 1, got {_describe(c)}")
        if sid in out:
            raise ValueError(f"{where}['id']: segment id {sid} is listed twice")
        out[sid] = s
    return out


def num_classes(value, name: str = "num_classes") -> int:
    """K for a confusion matrix: an int in 1 .. MAX_CLASSES."""
    k = integer(value, name)
    if not 1 <= k <= MAX_CLASSES:
        raise ValueError(f"{name}: expected 1 .. {MAX_CLASSES} (K*K <= 2^31), got {k}")
    return k


_LABEL_DTYPES = (np.uint8, np.uint16, np.uint32)


def real(value: Any, name: str) -> float:
    """A real number (int or float, not bool) as float; NaN and infinities pass."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a float, got {type(value).__name__} {_describe(value)}")
    return float(value)


def class_map(x: object, name: str) -> np.ndarray:
    """A label map as a 2D uint8 / uint16 / uint32 array (any layout, viewed when possible).

    bool is viewed as uint8; other integer dtypes are converted (a copy) after checking
    that the values are >= 0 and fit in uint32; 1D arrays become one row and other ranks
    (H, ..., W) are reshaped to (-1, W) (a copy when not contiguous).
    """
    x = array_like(x, name)
    if x.dtype == np.bool_:
        x = x.view(np.uint8)
    if x.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected an integer label map (uint8, uint16, uint32), got dtype {x.dtype}")
    x = aligned(x, name)
    if x.ndim != 2:
        if x.ndim < 1:
            raise ValueError(f"{name}: expected a 2D label map, got a {x.ndim}D array")
        x = x.reshape(1, -1) if x.ndim == 1 else x.reshape(int(np.prod(x.shape[:-1])), x.shape[-1])
    if x.dtype.type not in _LABEL_DTYPES:
        if x.size and x.min() < 0:
            pos = tuple(int(v) for v in np.argwhere(x < 0)[0])
            raise ValueError(f"{name}: labels must be >= 0, found {int(x[pos])} at {pos}")
        if x.size and x.max() > np.iinfo(np.uint32).max:
            raise ValueError(f"{name}: labels must fit in uint32, found {int(x.max())}")
        x = x.astype(np.uint32)
    return x


# ---- contours


def label_map(labels: object, name: str = "labels") -> np.ndarray:
    """A 2-D integer label map as uint8, uint16, int32 or int64 (copied only for other integer
    dtypes: int8 / int16 -> int32, uint32 / uint64 -> int64; bool is viewed as uint8)."""
    labels = array_like(labels, name)
    if labels.ndim != 2:
        raise ValueError(f"{name}: expected a 2D array, got {labels.ndim}D with shape {labels.shape}")
    dt = labels.dtype
    if dt == np.bool_:
        return labels.view(np.uint8)
    if dt in (np.uint8, np.uint16, np.int32, np.int64):
        return aligned(labels, name)
    if dt.kind == "i":
        return labels.astype(np.int32) if dt.itemsize < 4 else labels.astype(np.int64)
    if dt.kind == "u":
        if dt.itemsize == 8 and labels.size and labels.max() >= 2**63:
            raise OverflowError(f"{name}: value {labels.max()} does not fit in int64")
        return labels.astype(np.int64)
    raise TypeError(f"{name}: expected an integer array, got dtype {dt}")


def trace_error(exc: Exception, name: str, shape: tuple[int, ...], connectivity: int) -> Exception:
    """The contour tracer's failure: a mask byte other than 0/1 (index row-major), a map
    too large for its padded copy (overflow), or a connectivity it does not take."""
    info = kernel_info(exc)
    h, w = shape
    if info.status == "invalid_value":
        r, c = divmod(info.at, w) if w else (0, 0)
        return ValueError(f"{name}: expected only 0 and 1, got {info.value} at (row {r}, col {c}) "
                          f"(use mask != 0 to treat nonzero as foreground)")
    if info.status == "overflow":
        return OverflowError(f"{name}: {h}x{w} is too large (at most (h + 2) * (w + 2) < 2**31 pixels)")
    if info.status == "invalid_argument":
        return ValueError(f"connectivity: expected 4 or 8, got {connectivity}")
    return _kernel_exception(info, f"{name}: find_polygons failed ({info.status})")


def tolerance(value: Any, name: str) -> float:
    """A finite float >= 0 (a distance in pixels)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number of pixels, got {type(value).__name__} {_describe(value)}")
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name}: expected a finite tolerance >= 0, got {value!r}")
    return v


def non_negative(value: Any, name: str) -> int:
    """An int >= 0."""
    v = integer(value, name)
    if v < 0:
        raise ValueError(f"{name}: expected an int >= 0, got {v}")
    return v


# ---- components


def label_image(image: object, name: str = "image") -> tuple[np.ndarray, np.dtype[Any]]:
    """A 2D or 3D bool or integer image for labeling, viewed (not copied) as the unsigned
    integer type of the same width; returns (view, the image's dtype in native order).

    Non-native byte order, and strides that are not a multiple of the item size (a
    field of a packed structured array), are converted (a copy). Floats are refused with a hint:
    labeling joins equal values, which floats rarely are by intent.
    """
    image = array_like(image, name)
    if image.ndim not in (2, 3):
        raise ValueError(f"{name}: expected a 2D (H, W) or 3D (Z, Y, X) array, got {image.ndim}D "
                         f"with shape {image.shape}")
    kind = image.dtype.kind
    if kind == "b":
        return image.view(np.uint8), image.dtype
    if kind not in "iu":
        hint = ""
        if kind == "f":
            hint = (" (labels join equal values: threshold a probability map first, e.g. image > 0.5, "
                    "or cast a label map that was stored as float, e.g. image.astype(np.int32))")
        raise TypeError(f"{name}: expected a bool or integer array, got dtype {image.dtype}{hint}")
    if not image.dtype.isnative:
        image = image.astype(image.dtype.newbyteorder("="))
    if any(s % image.dtype.itemsize for s in image.strides) or not image.flags.aligned:
        image = np.array(image, order="C", copy=True)
    return image.view(f"u{image.dtype.itemsize}"), image.dtype


def connectivity(value: Any, ndim: int, default: str = "full", name: str = "connectivity") -> int:
    """Connectivity as the number of neighbours: 4 or 8 in 2D, 6, 18 or 26 in 3D.

    ``None`` is the full neighbourhood (8 / 26) or, with ``default="minimal"``, the
    face neighbours only (4 / 6). scikit-image's numbering (1 .. ndim: how many
    coordinates may differ at once) is accepted too: 1 -> 4 / 6, 2 -> 8 / 18, 3 -> 26.
    """
    allowed = (4, 8) if ndim == 2 else (6, 18, 26)
    if value is None:
        return allowed[-1] if default == "full" else allowed[0]
    c = integer(value, name)
    if 1 <= c <= ndim:
        return allowed[c - 1]
    if c not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(map(str, allowed))} for a {ndim}D image "
                         f"(or 1..{ndim} as in scikit-image), got {c}")
    return c


# ---- raster
# The rules and fill rules are defined once, in C++ (csrc/raster/scan.hpp: names and codes), and
# read here; the raster entries take them by name.
RASTER_RULES: tuple[str, ...] = tuple(sorted(_core.RASTER_RULES))  # (sorted for messages)
FILL_RULES: tuple[str, ...] = tuple(_core.FILL_RULES)


def choice(value: object, options: tuple[str, ...], name: str) -> str:
    """``value`` if it is one of ``options`` (strings), else ValueError naming them."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name}: expected one of {', '.join(repr(o) for o in options)}, got {_describe(value)}")
    return value


def raster_rule(rule: object) -> str:
    """``rule=`` as the kernel takes it: the table's own name (a plain str)."""
    return RASTER_RULES[RASTER_RULES.index(choice(rule, RASTER_RULES, "rule"))]


def fill_rule(value: object) -> str:
    """``fill_rule=`` as the kernel takes it: the table's own name (a plain str)."""
    return FILL_RULES[FILL_RULES.index(choice(value, FILL_RULES, "fill_rule"))]


def _is_number(v: object) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def raster_polygons(polygons: Any, name: str = "polygons") -> list[NDArray[np.float64]]:
    """The parts of one object in the raster entries' own form: a list of flat, C-contiguous
    float64 arrays x0, y0, x1, y1, ... (csrc/bindings/bind_raster.cpp, append_parts).

    Accepts a COCO flat list ``[x0, y0, x1, y1, ...]`` (one part), an ``(N, 2)`` or
    flat 1-D array (one part), or a list of those (parts; a list of lists is always
    read as parts, COCO's segmentation convention). Empty input gives no parts.
    Raises TypeError for non-numbers, ValueError for odd lengths and ragged rows; the
    values (finite, ``|v| <= 2**40``) are checked by the kernel in the pass that reads
    them, and its message names the part and the point.
    """
    if isinstance(polygons, np.ndarray):
        if polygons.dtype is _F64 and polygons.strides == (16, 8) and polygons.shape[1] == 2 and polygons.flags.aligned:
            return [polygons.reshape(-1)]  # C-contiguous (N, 2): as it is (stroke's points, mostly)
        return polygon_parts([polygons], name, nested=False)
    if not isinstance(polygons, (list, tuple)):
        raise TypeError(f"{name}: expected a flat list x0, y0, x1, y1, ..., an (N, 2) array or a list of "
                        f"those, got {type(polygons).__name__}")
    if len(polygons) and _is_number(polygons[0]):
        return polygon_parts([polygons], name, nested=False)
    return polygon_parts(polygons, name, nested=True)


_F64 = np.dtype(np.float64)
_LABEL_RANGE: dict[Any, tuple[int, int, int]] = {}


def label_value(value: Any, dtype: Any, name: str = "label") -> int:
    """An int that ``dtype`` (integer or bool) holds, as its unsigned bit pattern."""
    r = _LABEL_RANGE.get(dtype)
    if r is None:
        dt = np.dtype(dtype)
        lo, hi = (0, 1) if dt == np.bool_ else (int(np.iinfo(dt).min), int(np.iinfo(dt).max))
        r = _LABEL_RANGE[dtype] = (lo, hi, 1 << (8 * dt.itemsize))
    v = value if type(value) is int else (integer(value, name) if not isinstance(value, (bool, np.bool_)) else int(value))
    if not r[0] <= v <= r[1]:
        raise OverflowError(f"{name}: {v} does not fit {np.dtype(dtype)} ([{r[0]}, {r[1]}])")
    return v % r[2]


def paint_target(arr: Any, name: str = "label_map") -> tuple[np.ndarray, np.dtype[Any]]:
    """A label map to paint into: a writable 2D integer array, any layout. Returns the map viewed as
    the unsigned type of its width (the kernels write bit patterns: a signed map is painted through
    this view) and its own dtype, by which labels are checked (:func:`label_value`). A CPU
    tensor (DLPack) is painted in place through a view of its memory."""
    if not isinstance(arr, np.ndarray):
        if not (hasattr(arr, "__dlpack__") or hasattr(arr, "__array_interface__")):
            raise TypeError(f"{name}: expected a numpy array (or a CPU tensor), got {type(arr).__name__}")
        arr = array_like(arr, name)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2D array, got shape {arr.shape}")
    if arr.dtype.kind not in "iu" or not arr.dtype.isnative:
        raise TypeError(f"{name}: expected an integer label map (uint8 ... uint64, int8 ... int64), "
                        f"got dtype {arr.dtype}")
    if not arr.flags.writeable:
        raise ValueError(f"{name}: array is read-only")
    aligned_output(arr, name)
    return arr.view(f"u{arr.dtype.itemsize}"), arr.dtype


def locked_labels(locked: Any, dtype: Any, name: str = "locked") -> NDArray[np.uint64]:
    """``locked=`` (None or an iterable of ints) as the sorted bit patterns (uint64) of the values
    ``dtype`` holds; values it cannot hold are never in the map, so they are dropped."""
    if locked is None:
        return np.zeros(0, np.uint64)
    if isinstance(locked, (str, bytes)) or not hasattr(locked, "__iter__"):
        raise TypeError(f"{name}: expected an iterable of labels, got {_describe(locked)}")
    info = np.iinfo(dtype)
    vals = {integer(v, f"{name} value") for v in (locked.ravel().tolist() if isinstance(locked, np.ndarray) else locked)}
    return np.array(sorted(v % (1 << info.bits) for v in vals if info.min <= v <= info.max), np.uint64)


def paint_mode(mode: object) -> bool:
    """``mode=`` ("over" or "under") as the kernel's flag: True for "over"."""
    return choice(mode, ("over", "under"), "mode") == "over"


def paint_args(label_map: Any, label: Any, mode: object, locked: Any, *, has_label: bool = True
               ) -> tuple[np.ndarray, np.dtype[Any], int | None, bool, NDArray[np.uint64]]:
    """The checked arguments every painting call shares: (unsigned view of the map, its dtype,
    the label's bit pattern (None without ``has_label``: paint_many's labels come per item),
    the mode flag, the locked bit patterns)."""
    lm, dt = paint_target(label_map)
    bits = label_value(label, dt) if has_label else None
    return lm, dt, bits, paint_mode(mode), locked_labels(locked, dt)


def color_value(color, dtype, channels: int, name: str = "color") -> np.ndarray:
    """``color`` (one number, or one per channel) as a contiguous array of ``dtype`` whose
    values equal the given ones exactly (no wrap-around, truncation or rounding)."""
    if isinstance(color, (str, bytes)):
        raise TypeError(f"{name}: expected a number or {channels} numbers, got {type(color).__name__} "
                        f"{_describe(color)}")
    values = [color] if _is_number(color) or isinstance(color, (bool, np.bool_)) else None
    if values is None:
        if isinstance(color, np.ndarray):
            values = color.ravel().tolist() if color.ndim <= 1 else None
        elif isinstance(color, (list, tuple)):
            values = list(color)
    if values is None:
        raise TypeError(f"{name}: expected a number or {channels} numbers, got {_describe(color)}")
    if len(values) == 1:
        values = values * channels
    if len(values) != channels:
        raise ValueError(f"{name}: expected {channels} values (one per channel) or one, got {len(values)}: "
                         f"{_describe(color)}")
    dt = np.dtype(dtype)
    for i, v in enumerate(values):
        if not (_is_number(v) or isinstance(v, (bool, np.bool_))):
            raise TypeError(f"{name}[{i}]: expected a number, got {type(v).__name__} {_describe(v)}")
        if dt.kind == "f":
            if np.asarray(v, dt).item() != v and not (v != v):  # NaN is kept as NaN
                raise ValueError(f"{name}[{i}]: {v!r} is not representable in {dt}")
        else:
            if not (isinstance(v, (numbers.Integral, np.bool_)) or (float(v).is_integer())):
                raise ValueError(f"{name}[{i}]: {v!r} is not an integer, as {dt} needs")
            lo, hi = (0, 1) if dt.kind == "b" else (int(np.iinfo(dt).min), int(np.iinfo(dt).max))
            if not lo <= int(v) <= hi:
                raise ValueError(f"{name}[{i}]: {v!r} is outside {dt}'s range [{lo}, {hi}]")
    return np.ascontiguousarray(np.array([v if dt.kind == "f" else int(v) for v in values], dtype=dt))


# ---- superpixels


def finite_real(value: Any, name: str, *, low: float | None = None, low_open: bool = False) -> float:
    """A finite real number (int or float, not bool) as float, optionally > or >= ``low``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__} {_describe(value)}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name}: expected a finite number, got {v}")
    if low is not None and (v <= low if low_open else v < low):
        raise ValueError(f"{name}: expected a number {'>' if low_open else '>='} {low}, got {value!r}")
    return v


def image_array(image: object, name: str = "image") -> np.ndarray:
    """An (H, W) or (H, W, C) numeric image with H, W, C >= 1 (bool, int, uint, float), not copied."""
    image = array_like(image, name)
    if image.ndim not in (2, 3):
        raise ValueError(f"{name}: expected an (H, W) or (H, W, C) array, got shape {image.shape}")
    if image.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a numeric array, got dtype {image.dtype}")
    if image.size == 0:
        raise ValueError(f"{name}: expected a non-empty image, got shape {image.shape}")
    return aligned(image, name)


def label_array(labels: object, name: str = "labels") -> np.ndarray:
    """A 2D integer label image (e.g. from :func:`maskcore.slic`), not copied."""
    labels = array_like(labels, name)
    if labels.ndim != 2:
        raise ValueError(f"{name}: expected a 2D array, got shape {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected an integer array, got dtype {labels.dtype}")
    return aligned(labels, name)


def points_xy(points: Any, shape: tuple[int, int], name: str = "points") -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(x, y) points as (rows, cols) int64 arrays of the pixels that hold them: pixel
    (r, c) covers [c, c + 1) x [r, r + 1). Points outside the image raise ValueError."""
    try:
        a = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected (x, y) points, got {_describe(points)}") from None
    if a.ndim == 1 and a.size % 2 == 0:
        a = a.reshape(-1, 2)
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"{name}: expected an (N, 2) array of (x, y) or a flat x0, y0, x1, y1, ..., got shape {a.shape}")
    h, w = shape
    x, y = a[:, 0], a[:, 1]
    bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y) & (x >= 0) & (x < w) & (y >= 0) & (y < h)))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{name}[{i}]: ({a[i, 0]!r}, {a[i, 1]!r}) is outside the {w}x{h} image")
    return np.floor(y).astype(np.int64), np.floor(x).astype(np.int64)
