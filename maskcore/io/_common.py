"""What every reader and writer shares: error messages that name the file, the field and the
value; atomic writes; guarded JSON and PNG loading."""
from __future__ import annotations

import json
import os
import tempfile
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


def write_atomic(path, write) -> None:
    """Call ``write(file_object)`` on a temporary file beside ``path``, then rename it over
    ``path``: readers never see a partial file, and a failure leaves ``path`` as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
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


def read_png(path, *, modes=None, expect_size=None, field="image") -> tuple[np.ndarray, str, Any]:
    """(pixels, mode, palette) of a PNG, refused cleanly when truncated, not a PNG, of an
    unexpected mode, or larger than MAX_PIXELS. Palette ('P') images are read as indices."""
    from PIL import Image
    path = Path(path)
    try:
        with Image.open(path) as im:
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
        raise FormatError(f"{path}: size: {e}") from None
    return np.array(arr), mode, palette


def write_png(path, arr: np.ndarray, *, palette=None) -> None:
    from PIL import Image
    if arr.ndim == 3:
        im = Image.fromarray(np.ascontiguousarray(arr, np.uint8), "RGB")
    elif arr.dtype == np.uint8:
        im = Image.fromarray(np.ascontiguousarray(arr), "L")
        if palette is not None:
            im = im.convert("P") if False else Image.fromarray(np.ascontiguousarray(arr), "P")
            im.putpalette(palette)
    elif arr.dtype == np.uint16:
        im = Image.fromarray(np.ascontiguousarray(arr, np.uint16), "I;16")
    else:
        raise TypeError(f"write_png: unsupported dtype {arr.dtype}")

    def put(f):
        im.save(f, format="PNG")
    write_atomic(path, put)
