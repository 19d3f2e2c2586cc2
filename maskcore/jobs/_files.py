"""Files of a job: atomic writes (temporary name, then rename), PNG reading and writing.

Nothing is ever written under its final name: a file (or a directory tree) is written under a
hidden temporary name in the same directory and renamed when complete (``os.replace``, atomic
on POSIX within one file system). So a final name that exists is complete, and ``resume`` can
skip it by its existence alone; an interrupted job leaves at most ``.*.tmp-*`` files behind,
which :func:`clean_temporaries` removes.
"""
from __future__ import annotations

import io
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any, Literal, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

import numpy as np

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_dir", "staged_output", "write_png", "encode_png",
           "read_png",
           "read_image", "complete", "clean_temporaries", "need_pillow"]


def need_pillow() -> Any:
    try:
        from PIL import Image  # noqa: F401
    except ImportError as exc:  # pragma: no cover - Pillow is in the dask / test extras
        raise ImportError("maskcore's dataset jobs read and write PNGs with Pillow: pip install pillow "
                          "(or pip install 'maskcore[dask]')") from exc
    return Image


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:8]}")


def atomic_write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary name in the same directory."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


class atomic_dir:
    """``with atomic_dir(dst) as tmp:`` fill the directory (or file) ``tmp``; on success it becomes
    ``dst`` (an existing ``dst`` is replaced only then); on an exception it is removed."""

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self.tmp = _tmp_name(self.path)

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.tmp

    def __exit__(self, et: Any, ev: Any, tb: Any) -> Literal[False]:
        if et is None:
            if self.path.is_dir() and not self.path.is_symlink():
                old = _tmp_name(self.path)
                os.replace(self.path, old)
                os.replace(self.tmp, self.path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(self.tmp, self.path)
        else:
            if self.tmp.is_dir():
                shutil.rmtree(self.tmp, ignore_errors=True)
            else:
                self.tmp.unlink(missing_ok=True)
        return False


class staged_output:
    """``with staged_output(dst) as p:`` a writer writes ``p`` (named as ``dst``, in a hidden
    staging folder beside it) and any sibling files it makes (an index-png's ``masks/``, a
    panoptic PNG folder). On success the siblings are moved beside ``dst`` file by file, and
    ``dst`` itself last: ``dst`` existing means the whole output is complete. On an exception the
    staging folder is removed and nothing is published."""

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self.stage = _tmp_name(self.path)

    def __enter__(self) -> Path:
        self.stage.mkdir(parents=True)
        return self.stage / self.path.name

    def __exit__(self, et: Any, ev: Any, tb: Any) -> Literal[False]:
        try:
            if et is None:
                main = self.stage / self.path.name
                if not main.exists():
                    raise FileNotFoundError(f"the writer made no {self.path.name} in {self.stage}")
                for src in sorted(self.stage.rglob("*")):
                    if src.is_dir() or src == main or main in src.parents:
                        continue
                    dst = self.path.parent / src.relative_to(self.stage)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(src, dst)
                if main.is_dir() and self.path.is_dir():
                    old = _tmp_name(self.path)
                    os.replace(self.path, old)
                    os.replace(main, self.path)
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    os.replace(main, self.path)
        finally:
            shutil.rmtree(self.stage, ignore_errors=True)
        return False


def complete(path: PathLike) -> bool:
    """An output is complete when its final name exists (finals are only made by rename)."""
    return Path(path).exists()


def clean_temporaries(directory: PathLike) -> int:
    """Remove the ``.*.tmp-*`` leftovers of interrupted jobs under ``directory``; returns how many."""
    n = 0
    d = Path(directory)
    if not d.is_dir():
        return 0
    for p in d.rglob(".*.tmp-*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        n += 1
    return n


def encode_png(array: np.ndarray, palette: Optional[list[int]] = None) -> bytes:
    """PNG bytes of an (H, W) uint8 / uint16 map or an (H, W, 3) uint8 image; deterministic
    (zlib level 6, no timestamps). ``palette``: a flat RGB list for a palette (P) image."""
    Image = need_pillow()
    a = np.ascontiguousarray(array)
    if a.ndim == 2 and a.dtype == np.uint16:
        img = Image.frombytes("I;16", (a.shape[1], a.shape[0]), a.astype("<u2").tobytes())
    elif a.ndim == 2 and a.dtype in (np.uint8, np.bool_):
        img = Image.frombytes("P" if palette is not None else "L", (a.shape[1], a.shape[0]),
                              a.astype(np.uint8).tobytes())
        if palette is not None:
            img.putpalette(palette)
    elif a.ndim == 3 and a.shape[2] == 3 and a.dtype == np.uint8:
        img = Image.frombytes("RGB", (a.shape[1], a.shape[0]), a.tobytes())
    else:
        raise ValueError(f"array: expected (H, W) uint8/uint16 or (H, W, 3) uint8, got {a.shape} {a.dtype}")
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def write_png(path: PathLike, array: np.ndarray, palette: Optional[list[int]] = None) -> Path:
    return atomic_write_bytes(path, encode_png(array, palette))


def read_png(path: PathLike) -> np.ndarray:
    """A label PNG as its stored values: palette (P) images as indices (never through RGB),
    L as uint8, I;16 as uint16, I as int32 (then uint16 if it fits), RGB(A) as (H, W, 3) uint8."""
    with open(path, "rb") as f:
        data = f.read()
    fast = _fast_png(data)
    if fast is not None:
        return fast
    Image = need_pillow()
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        mode = img.mode
        if mode in ("P", "L", "1"):
            a = np.asarray(img if mode != "1" else img.convert("L"), dtype=np.uint8)
        elif mode.startswith("I;16"):
            a = np.asarray(img).astype(np.uint16)
        elif mode == "I":
            a = np.asarray(img)
            if a.size and (a.min() < 0 or a.max() > 65535):
                a = a.astype(np.int32)
            else:
                a = a.astype(np.uint16)
        elif mode in ("RGB", "RGBA"):
            a = np.asarray(img.convert("RGB"), dtype=np.uint8)
        elif mode == "LA":
            a = np.asarray(img.getchannel(0), dtype=np.uint8)
        else:
            raise ValueError(f"{path}: PNG mode {mode!r} is not a label map (expected P, L, I;16, I or RGB)")
    return a


def _fast_png(data: bytes) -> Optional[np.ndarray]:
    """The pixels of the simple PNG layouts (8-bit gray / palette / RGB / RGBA, 16-bit gray, not
    interlaced) as :func:`read_png` gives them, decoded by the formats layer's reader (zlib and
    maskcore's native unfilter, both with the GIL released; the chunk walk is a few dozen
    bytecodes); None for anything else or any defect, which Pillow then reads and names. Pillow's
    own reading holds the GIL for its Python layers (~0.15 ms per label map, more than the
    decode of a small one), which capped two worker threads at ~1.1x."""
    try:
        from ..io._common import _fast_png as fast
    except ImportError:  # pragma: no cover - a build without the formats layer: Pillow reads
        return None
    got = fast(data)
    if got is None:
        return None
    a: np.ndarray = got[0]
    if a.ndim == 3:
        return np.ascontiguousarray(a[..., :3]) if a.shape[2] == 4 else a  # RGBA as RGB: Pillow's convert
    return a


def read_image(path: PathLike) -> np.ndarray:
    """A photo as (H, W, 3) uint8 RGB (any format Pillow reads)."""
    Image = need_pillow()
    with Image.open(path) as img:
        rgb: np.ndarray = np.asarray(img.convert("RGB"), dtype=np.uint8)
        return rgb
