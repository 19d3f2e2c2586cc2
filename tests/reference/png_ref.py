"""PNG scanline filters, straight from the specification (ISO/IEC 15948, 9.2), one byte at a
time: the oracle for maskcore's native unfilter and encoder."""
from __future__ import annotations

import struct
import zlib

import numpy as np


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _pred(ftype: int, a: int, b: int, c: int) -> int:
    return [0, a, b, (a + b) // 2, _paeth(a, b, c)][ftype]


def filter_rows(px: np.ndarray, bpp: int, ftypes) -> bytes:
    """The filtered image data of (rows, width_bytes) uint8 pixels, row r with filter ftypes[r]."""
    rows, n = px.shape
    out = bytearray()
    for r in range(rows):
        out.append(ftypes[r])
        for i in range(n):
            a = int(px[r, i - bpp]) if i >= bpp else 0
            b = int(px[r - 1, i]) if r else 0
            c = int(px[r - 1, i - bpp]) if r and i >= bpp else 0
            out.append((int(px[r, i]) - _pred(ftypes[r], a, b, c)) % 256)
    return bytes(out)


def unfilter_rows(raw: bytes, rows: int, n: int, bpp: int) -> np.ndarray:
    out = np.zeros((rows, n), np.uint8)
    for r in range(rows):
        f = raw[r * (n + 1)]
        for i in range(n):
            a = int(out[r, i - bpp]) if i >= bpp else 0
            b = int(out[r - 1, i]) if r else 0
            c = int(out[r - 1, i - bpp]) if r and i >= bpp else 0
            out[r, i] = (raw[r * (n + 1) + 1 + i] + _pred(f, a, b, c)) % 256
    return out


def png_bytes(px: np.ndarray, width: int, color: int, depth: int, bpp: int, ftypes, palette=None) -> bytes:
    """A PNG file of pixel bytes px (rows, width*bpp) with the given filter per row."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, px.shape[0], depth, color, 0, 0, 0))
    if palette is not None:
        out += chunk(b"PLTE", bytes(palette))
    return out + chunk(b"IDAT", zlib.compress(filter_rows(px, bpp, ftypes))) + chunk(b"IEND", b"")
