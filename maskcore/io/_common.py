"""What every reader and writer shares: error messages that name the file, the field and the
value; atomic writes; guarded JSON and PNG loading."""
from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

# The largest image side a reader accepts (a declared size beyond it is refused before any
# allocation: a hostile file cannot ask for terabytes). 2**31 - 1 is also the polygon
# rasterizer's limit.
MAX_SIDE = 2**31 - 1
# The largest dense map a reader decodes (PNG pixels): Pillow's own decompression-bomb
# guard is a warning at 89 M pixels; here it is an error at 2**30 pixels.
MAX_PIXELS = 2**30


class FormatError(ValueError):
    """A file is not valid for its format. The message names the file, the field and the value."""


def fail(path, field: str, expected: str, got: Any = None) -> FormatError:
    where = f"{path}: {field}" if field else f"{path}"
    msg = f"{where}: expected {expected}"
    if got is not None:
        text = got if isinstance(got, str) and got.startswith("<") else repr(got)
        msg += f", got {text[:120]}"
    return FormatError(msg)


def load_json(path) -> Any:
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


def want_int(path, field, v, lo=None, hi=None) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        else:
            raise fail(path, field, "an integer", v)
    v = int(v)
    if lo is not None and v < lo or hi is not None and v > hi:
        raise fail(path, field, f"an integer in [{lo}, {hi}]", v)
    return v


def want_str(path, field, v) -> str:
    if not isinstance(v, str):
        raise fail(path, field, "a string", v)
    return v


def want(path, field, v, types, what):
    if not isinstance(v, types) or isinstance(v, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise fail(path, field, what, v if not isinstance(v, (dict, list)) else f"<{type(v).__name__}>")
    return v


def side(path, field, v) -> int:
    return want_int(path, field, v, 0, MAX_SIDE)


_local = threading.local()


@contextlib.contextmanager
def staged():
    """Files written inside the block (by :func:`write_atomic`) stay under temporary names
    until the block ends without an exception; then all are renamed into place. On an
    exception every temporary file is removed: a dataset is written whole or not at all
    (each rename is atomic; the set of renames is done last, in one go)."""
    if getattr(_local, "files", None) is not None:  # nested: the outer block commits
        yield
        return
    _local.files = []
    try:
        yield
        for tmp, final in _local.files:
            os.replace(tmp, final)
    except BaseException:
        for tmp, _ in _local.files:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    finally:
        _local.files = None


def write_atomic(path, write) -> None:
    """Call ``write(file_object)`` on a temporary file beside ``path``, then rename it over
    ``path`` (at the end of an enclosing :func:`staged` block, if any): readers never see a
    partial file, and a failure leaves ``path`` as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        files = getattr(_local, "files", None)
        if files is not None:
            files.append((tmp, path))
        else:
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json(path, obj, indent=None) -> None:
    data = json.dumps(obj, indent=indent, separators=None if indent else (",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")
    write_atomic(path, lambda f: f.write(data))


def _fast_png(data: bytes):
    """(pixels, mode, palette) of the PNGs :func:`encode_png` writes (8-bit gray / RGB / palette
    or 16-bit gray, not interlaced, row 0 filtered None or Sub, the other rows all None or all
    Up), decoded with zlib and one cumulative sum; None for anything else (Pillow reads it)."""
    import struct
    import zlib
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
    if interlace or comp or filt or (color, depth) not in ((0, 8), (0, 16), (2, 8), (3, 8)) or w * h > MAX_PIXELS:
        return None
    bpp = {0: depth // 8, 2: 3, 3: 1}[color]
    stride = w * bpp + 1
    d = zlib.decompressobj()
    try:
        raw = d.decompress(b"".join(idat), h * stride + 1)
    except zlib.error:
        return None
    if len(raw) != h * stride or h == 0:
        return None
    raw = np.frombuffer(raw, np.uint8).reshape(h, stride)
    f = raw[:, 0]
    if f[0] not in (0, 1) or not ((f[1:] == 0).all() or (f[1:] == 2).all()):
        return None
    px = raw[:, 1:].copy()
    if f[0] == 1:
        px[0] = np.cumsum(px[0].reshape(w, bpp), axis=0, dtype=np.uint8).reshape(-1)
    if h > 1 and f[1] == 2:  # row by row: numpy's cumsum down axis 0 of uint8 is ~2.5x slower here
        for r in range(1, h):
            np.add(px[r], px[r - 1], out=px[r])
    if color == 2:
        return px.reshape(h, w, 3), "RGB", None
    if depth == 16:
        return px.view(">u2").astype(np.uint16).reshape(h, w), "I;16", None
    if color == 3:
        if pal is None:
            return None
        return px.reshape(h, w), "P", list(pal)
    return px.reshape(h, w), "L", None


def read_png(path, *, modes=None, expect_size=None, field="image") -> tuple[np.ndarray, str, Any]:
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
# zeros, and zlib's Z_RLE strategy (run-length matches only) compresses that fastest. Pillow's
# encoder instead tries all five filters on every row; on the COCO-derived 16-bit index maps of
# the benchmarks (640x480, mostly background) it took 9.2 ms per map at level 1 and 18.1 ms at its
# default level 6 (3.9 KB), against about 1-2 ms here at a similar size. The output is a plain
# PNG (IHDR, PLTE for palettes, one IDAT, IEND) that every reader decodes.
def _chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(arr: np.ndarray, *, palette=None) -> bytes:
    """PNG bytes of an (H, W) uint8 / uint16 map (uint8 with ``palette``, a flat list of RGB
    values: a palette PNG whose bytes are the indices) or an (H, W, 3) uint8 RGB image.
    Thread-safe; zlib releases the GIL while compressing."""
    import struct
    import zlib
    if arr.ndim == 3 and arr.shape[2] == 3 and arr.dtype == np.uint8:
        color, depth, bpp, rows = 2, 8, 3, np.ascontiguousarray(arr).reshape(arr.shape[0], -1)
    elif arr.ndim == 2 and arr.dtype == np.uint8:
        color, depth, bpp, rows = (3 if palette is not None else 0), 8, 1, np.ascontiguousarray(arr)
    elif arr.ndim == 2 and arr.dtype == np.uint16:
        color, depth, bpp = 0, 16, 2
        rows = np.ascontiguousarray(arr, ">u2").view(np.uint8).reshape(arr.shape[0], -1)
    else:
        raise TypeError(f"encode_png: expected (H, W) uint8/uint16 or (H, W, 3) uint8, got {arr.dtype} {arr.shape}")
    h, w = arr.shape[:2]
    if h == 0 or w == 0:
        raise ValueError(f"encode_png: a PNG cannot be {w}x{h}")
    raw = np.empty((h, rows.shape[1] + 1), np.uint8)
    raw[0, 0] = 1  # Sub
    raw[0, 1:1 + bpp] = rows[0, :bpp]
    np.subtract(rows[0, bpp:], rows[0, :-bpp], out=raw[0, 1 + bpp:])
    raw[1:, 0] = 2  # Up
    np.subtract(rows[1:], rows[:-1], out=raw[1:, 1:])
    z = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    idat = z.compress(raw.data) + z.flush()
    out = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0))]
    if color == 3:
        pal = bytes(int(v) & 255 for v in list(palette)[:768])
        out.append(_chunk(b"PLTE", pal + b"\0" * (-len(pal) % 3)))
    out += [_chunk(b"IDAT", idat), _chunk(b"IEND", b"")]
    return b"".join(out)


def write_bytes(path, data: bytes) -> None:
    write_atomic(path, lambda f: f.write(data))


def write_png(path, arr: np.ndarray, *, palette=None) -> None:
    """Write a map or RGB image as PNG, atomically (see :func:`encode_png`)."""
    write_bytes(path, encode_png(arr, palette=palette))


def parallel_map(fn, items, threads=None, chunk: int = 64):
    """``[fn(x) for x in items]`` on ``threads`` threads (default: every core), in order, ``chunk``
    items in flight at a time; the first exception (in item order) propagates. For work that
    releases the GIL: PNG coding, maskcore kernels."""
    from .. import _validate as _v
    items = list(items)
    t = _v.threads(threads)
    if t <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor
    out = []
    with ThreadPoolExecutor(max_workers=t) as ex:
        for k in range(0, len(items), chunk):
            out.extend(ex.map(fn, items[k:k + chunk]))
    return out
