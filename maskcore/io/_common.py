"""What every reader and writer shares: error messages that name the file, the field and the
value; atomic writes; guarded JSON and PNG loading."""
from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Iterator, Optional, Sequence, TypeVar

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from typing import TypeAlias

    from ..dataset import Category, Dataset, ImageRecord

    # A file or folder name, as every reader and writer takes it.
    StrPath: TypeAlias = "str | os.PathLike[str]"
    # Files a staged() block will rename into place: (temporary, final), and (None, a folder
    # it made), removed if the block fails.
    Stage: TypeAlias = "list[tuple[Optional[Path], Path]]"

_T = TypeVar("_T")
_R = TypeVar("_R")

# The largest image side a reader accepts (a declared size beyond it is refused before any
# allocation: a hostile file cannot ask for terabytes). 2**31 - 1 is also the polygon
# rasterizer's limit.
MAX_SIDE = 2**31 - 1
# The largest dense map a reader decodes (PNG pixels): Pillow's own decompression-bomb
# guard is a warning at 89 M pixels; here it is an error at 2**30 pixels.
MAX_PIXELS = 2**30


class FormatError(ValueError):
    """A file is not valid for its format. The message names the file, the field and the value."""


def fail(path: StrPath, field: str, expected: str, got: Any = None) -> FormatError:
    where = f"{path}: {field}" if field else f"{path}"
    msg = f"{where}: expected {expected}"
    if got is not None:
        text = got if isinstance(got, str) and got.startswith("<") else repr(got)
        msg += f", got {text[:120]}"
    return FormatError(msg)


def new_dataset(path: StrPath, images: Iterable[ImageRecord], categories: Iterable[Category],
                **kw: Any) -> Dataset:
    """The Dataset a reader built from ``path``; what the Dataset refuses (two images with one
    id, ...) is the file's fault: a FormatError naming it."""
    from ..dataset import Dataset
    try:
        return Dataset(images, categories, **kw)
    except ValueError as e:
        raise FormatError(f"{path}: {e}") from None


def load_json(path: StrPath) -> Any:
    path = Path(path)
    data = path.read_bytes()
    try:
        return json.loads(data)
    except UnicodeDecodeError as e:
        raise FormatError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise FormatError(f"{path}: invalid JSON ({e.msg} at line {e.lineno} column {e.colno}, byte {e.pos})") from None
    except RecursionError:
        raise FormatError(f"{path}: JSON nested too deeply") from None


def want_int(path: StrPath, field: str, v: Any, lo: Optional[int] = None, hi: Optional[int] = None) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        else:
            raise fail(path, field, "an integer", v)
    v = int(v)
    if lo is not None and v < lo or hi is not None and v > hi:
        raise fail(path, field, f"an integer in [{lo}, {hi}]", v)
    return v


def want_str(path: StrPath, field: str, v: Any) -> str:
    if not isinstance(v, str):
        raise fail(path, field, "a string", v)
    return v


def want(path: StrPath, field: str, v: Any, types: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(v, types) or isinstance(v, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise fail(path, field, what, v if not isinstance(v, (dict, list)) else f"<{type(v).__name__}>")
    return v


def side(path: StrPath, field: str, v: Any) -> int:
    return want_int(path, field, v, 0, MAX_SIDE)


_local = threading.local()
_names = itertools.count()


@contextlib.contextmanager
def staged() -> Iterator[None]:
    """Files written inside the block (by :func:`write_atomic`) stay under temporary names
    until the block ends without an exception; then all are renamed into place. On an
    exception every temporary file is removed: a dataset is written whole or not at all
    (each rename is atomic; the set of renames is done last, in one go), and the folders made
    for them are removed. The stage belongs to
    the thread that opened it; writers that write from worker threads pass it on
    (``write_atomic(..., stage=current_stage())``)."""
    if getattr(_local, "files", None) is not None:  # nested: the outer block commits
        yield
        return
    _local.files = []
    try:
        yield
        for tmp, final in _local.files:
            if tmp is not None:
                os.replace(tmp, final)
    except BaseException:
        # the temporary files, then the folders the block made (deepest first; a folder that
        # is not empty, because something else wrote into it meanwhile, stays)
        for tmp, made in sorted(_local.files, key=lambda e: (e[0] is None, -len(Path(e[1]).parts))):
            try:
                os.unlink(tmp) if tmp is not None else os.rmdir(made)
            except OSError:
                pass
        raise
    finally:
        _local.files = None


def current_stage() -> Optional[Stage]:
    """The open :func:`staged` block's file list of this thread (None outside one), for
    :func:`write_atomic` calls made from worker threads."""
    return getattr(_local, "files", None)


def _create_temp(path: Path) -> tuple[int, Path]:
    """(fd, name) of a new file beside ``path``, created exclusively under a hidden name unique
    to this process, thread and call, with the permissions an ordinary ``open`` gives (0o666
    less the umask; ``tempfile.mkstemp`` would make it 0o600)."""
    while True:
        tmp = path.parent / f".{path.name}.{os.getpid()}-{threading.get_ident()}-{next(_names)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:  # left by an earlier process of the same pid
            continue


_UNSET = object()


def write_atomic(path: StrPath, write: Callable[[BinaryIO], object], *, stage: Any = _UNSET) -> None:
    """Call ``write(file_object)`` on a temporary file beside ``path``, then rename it over
    ``path`` (at the end of the enclosing :func:`staged` block, if any: ``stage`` is that
    block's :func:`current_stage`, by default the calling thread's): readers never see a
    partial file, and a failure leaves ``path`` as it was."""
    path = Path(path)
    files = current_stage() if stage is _UNSET else stage
    if not path.parent.is_dir():
        made = [d for d in [path.parent, *path.parent.parents] if not d.exists()]
        path.parent.mkdir(parents=True, exist_ok=True)
        if files is not None:  # (None, folder): a folder the stage removes if it fails
            files.extend((None, d) for d in made)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        if files is not None:
            files.append((tmp, path))  # list.append is atomic: worker threads may share a stage
        else:
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json(path: StrPath, obj: Any, indent: Optional[int] = None) -> None:
    data = json.dumps(obj, indent=indent, separators=None if indent else (",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")
    write_atomic(path, lambda f: f.write(data))


# (colour type, bit depth) -> (bytes per pixel, the mode Pillow gives) of the PNGs decoded here.
_FAST_LAYOUTS = {(0, 8): (1, "L"), (0, 16): (2, "I;16"), (2, 8): (3, "RGB"), (3, 8): (1, "P"), (6, 8): (4, "RGBA")}


def _fast_png(data: bytes) -> Optional[tuple[NDArray[Any], str, Optional[list[int]]]]:
    """(pixels, mode, palette) of a non-interlaced 8-bit gray / RGB / RGBA / palette or 16-bit gray
    PNG (every filter type; the layouts index, colour and palette masks use), decoded with zlib
    and the native unfilter (:func:`maskcore._core.png_unfilter`); equal to Pillow's reading.
    None for anything else, or for any defect (a bad CRC, a truncated stream, a bad filter byte):
    Pillow then reads the file and names what is wrong."""
    import struct
    import zlib
    from .. import _core
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    pos, n, ihdr, pal, idat = 8, len(data), None, None, []
    while pos + 12 <= n:
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > n:
            return None
        body = data[pos + 8:pos + 8 + length]
        if zlib.crc32(kind + body) & 0xFFFFFFFF != struct.unpack(">I", data[end - 4:end])[0]:
            return None
        if kind == b"IHDR":
            ihdr = body
        elif kind == b"PLTE":
            pal = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        elif kind[0] & 32 == 0:  # an unknown critical chunk
            return None
        pos = end
    else:
        return None
    if ihdr is None or len(ihdr) != 13:
        return None
    w, h, depth, color, comp, filt, interlace = struct.unpack(">IIBBBBB", ihdr)
    layout = _FAST_LAYOUTS.get((color, depth))
    if interlace or comp or filt or layout is None or w * h > MAX_PIXELS or h == 0 or w == 0:
        return None
    if color == 3 and pal is None:
        return None
    bpp, mode = layout
    stride = w * bpp + 1
    d = zlib.decompressobj()
    try:
        raw = d.decompress(b"".join(idat), h * stride + 1)
    except zlib.error:
        return None
    if len(raw) != h * stride:
        return None
    try:
        px = _core.png_unfilter(raw, h, stride - 1, bpp)
    except ValueError:  # a filter byte > 4
        return None
    if color == 2:
        return px.reshape(h, w, 3), mode, None
    if color == 6:
        return px.reshape(h, w, 4), mode, None
    if depth == 16:
        return px.view(">u2").astype(np.uint16).reshape(h, w), mode, None
    return px, mode, (list(pal) if color == 3 and pal is not None else None)


def read_png(path: StrPath, *, modes: Optional[Sequence[str]] = None, expect_size: Optional[Sequence[int]] = None,
             field: str = "image") -> tuple[NDArray[Any], str, Optional[list[int]]]:
    """(pixels, mode, palette) of a PNG, refused cleanly when truncated, not a PNG, of an
    unexpected mode, or larger than MAX_PIXELS. Palette ('P') images are read as indices.
    PNGs in the simple layout maskcore writes are decoded directly (:func:`_fast_png`, equal to
    Pillow's reading), others with Pillow."""
    path = Path(path)
    with open(path, "rb") as fh:
        data = fh.read()
    fast = _fast_png(data)
    if fast is not None:
        arr, mode, palette = fast
        h, w = arr.shape[:2]
        if expect_size is not None and (h, w) != tuple(expect_size):
            raise fail(path, "size", f"{expect_size[1]}x{expect_size[0]} (width x height, as declared)", f"<{w}x{h}>")
        if modes is not None and mode not in modes:
            raise fail(path, "mode", f"one of {', '.join(modes)}", mode)
        return arr, mode, palette
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{path}: reading this PNG needs Pillow: pip install pillow (or maskcore[io])") from None
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format != "PNG":
                raise fail(path, field, "a PNG file", f"<{im.format} file>")
            w, h = im.size
            if h * w > MAX_PIXELS:
                raise fail(path, "size", f"at most {MAX_PIXELS} pixels", f"<{w}x{h}>")
            if expect_size is not None and (h, w) != tuple(expect_size):
                raise fail(path, "size", f"{expect_size[1]}x{expect_size[0]} (width x height, as declared)",
                           f"<{w}x{h}>")
            mode = im.mode
            if modes is not None and mode not in modes:
                raise fail(path, "mode", f"one of {', '.join(modes)}", mode)
            palette = im.getpalette() if mode == "P" else None
            im.load()
            if mode in ("I;16", "I;16B", "I;16L"):
                arr = np.asarray(im).astype(np.uint16)
            else:
                arr = np.asarray(im)
    except FormatError:
        raise
    except FileNotFoundError:
        raise
    except (OSError, SyntaxError, ValueError) as e:  # PIL: truncated / corrupt data
        raise FormatError(f"{path}: not a readable PNG ({e})") from None
    except Image.DecompressionBombError as e:
        raise fail(path, "size", f"at most {MAX_PIXELS} pixels", f"<{e}>") from None
    return np.array(arr), mode, palette


# PNG encoding. Label maps and colour masks are long runs of one value, and most of their rows
# repeat the row above, so every row gets PNG's "Up" filter (row 0 "Sub"): a repeated row becomes
# zeros. The filtered bytes are deflated natively (csrc/segments/png.hpp: runs of the byte before
# as distance-1 matches, fixed Huffman codes, no match search), reading the map once. Measured on
# the COCO-derived index maps of the benchmarks (640x425, mostly background): Pillow's encoder,
# which tries all five filters on every row, took 9.2 ms per map at level 1 and 18.1 ms at its
# default level 6; numpy filtering + zlib level 1 took about 2 ms (1.7 ms of it zlib scanning the
# zero runs). The output is a plain PNG (IHDR, PLTE for palettes, one IDAT, IEND) that every
# reader decodes.
def _chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(arr: NDArray[Any], *, palette: Optional[Iterable[int]] = None) -> bytes:
    """PNG bytes of an (H, W) uint8 / uint16 map (uint8 with ``palette``, a flat list of RGB
    values: a palette PNG whose bytes are the indices) or an (H, W, 3) uint8 RGB image, in any
    memory layout (a Fortran-ordered map is read as it is). The image data is filtered and
    deflated natively (:func:`maskcore._core.png_deflate`, one pass; the GIL released)."""
    import struct
    from .. import _core
    if arr.ndim == 3 and arr.shape[2] == 3 and arr.dtype == np.uint8:
        color, depth = 2, 8
    elif arr.ndim == 2 and arr.dtype == np.uint8:
        color, depth = (3 if palette is not None else 0), 8
    elif arr.ndim == 2 and arr.dtype == np.uint16:
        color, depth = 0, 16
        arr = arr.astype(np.uint16, copy=False)  # native byte order
    else:
        raise TypeError(f"encode_png: expected (H, W) uint8/uint16 or (H, W, 3) uint8, got {arr.dtype} {arr.shape}")
    h, w = arr.shape[:2]
    if h == 0 or w == 0:
        raise ValueError(f"encode_png: a PNG cannot be {w}x{h}")
    idat = _core.png_deflate(arr)
    out = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0))]
    if color == 3 and palette is not None:
        pal = bytes(int(v) & 255 for v in list(palette)[:768])
        out.append(_chunk(b"PLTE", pal + b"\0" * (-len(pal) % 3)))
    out += [_chunk(b"IDAT", idat), _chunk(b"IEND", b"")]
    return b"".join(out)


def write_bytes(path: StrPath, data: bytes, *, stage: Any = _UNSET) -> None:
    write_atomic(path, lambda f: f.write(data), stage=stage)


def write_png(path: StrPath, arr: NDArray[Any], *, palette: Optional[Iterable[int]] = None) -> None:
    """Write a map or RGB image as PNG, atomically (see :func:`encode_png`)."""
    write_bytes(path, encode_png(arr, palette=palette))


def parallel_map(fn: Callable[[_T], _R], items: Iterable[_T], threads: Optional[int] = None,
                 chunk: int = 64) -> list[_R]:
    """``[fn(x) for x in items]`` on ``threads`` threads (default: every core), in order, ``chunk``
    items in flight at a time; the first exception (in item order) propagates. For work that
    releases the GIL: PNG coding, maskcore kernels."""
    from .. import _validate as _v
    items = list(items)
    t = _v.threads(threads)
    if t <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor
    out: list[_R] = []
    with ThreadPoolExecutor(max_workers=t) as ex:
        for k in range(0, len(items), chunk):
            out.extend(ex.map(fn, items[k:k + chunk]))
    return out
