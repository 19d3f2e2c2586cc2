// csrc/segments/png.hpp — PNG scanline unfiltering (the step between zlib and the pixels).
//
// WHAT. A non-interlaced PNG's decompressed image data is `rows` scanlines, each one filter-type
// byte followed by `width * bpp` filtered bytes (bpp: bytes per complete pixel, rounded up to 1;
// 16-bit samples are two bytes, big-endian, and are filtered as bytes). unfilter() undoes the five
// filter types of the PNG specification (ISO/IEC 15948, section 9.2) in place, row by row, and
// writes the pixel bytes (without the filter bytes) to `out`:
//
//        filtered x, a = pixel byte bpp to the left (0 at the row start), b = byte above (0 in row 0),
//        c = byte above-left:
//          0 None     x
//          1 Sub      x + a
//          2 Up       x + b
//          3 Average  x + floor((a + b) / 2)
//          4 Paeth    x + paeth(a, b, c)   (the one of a, b, c closest to a + b - c; ties a, then b)
//        all mod 256.
//
// Each row depends on the row above, so rows are serial; inside a row Up and None are plain
// byte loops the compiler vectorizes (label maps are mostly Up rows of zeros), Sub / Average /
// Paeth carry a dependency bpp bytes back and run bytewise. The scalar code is the reference and
// the only variant (it runs at memory speed on the maps this serves).
//
// ERRORS. A filter byte > 4: Status::invalid_value and `bad_row` = that row. Never throws.
//
// ENCODING. png_deflate_map() writes the zlib stream (RFC 1950/1951) of a map's filtered
// scanlines: row 0 filtered Sub, every other row Up (a row equal to the one above becomes
// zeros), the bytes coded as one fixed-Huffman deflate block whose only matches are runs of the
// byte before (distance 1, lengths 3..258). On label maps and colour masks -- long runs, rows
// that repeat -- this is what zlib's level-1 search finds too, without the search: the map is
// read once, row by row (any strides: a column-major map is read a row at a time, each row's
// w cache lines staying hot for the next row), a repeated row costs one compare, and the
// output is a few bits per 258 zero bytes. Any inflater reads it (it is plain deflate).
//
//   map element (r, c) byte j (j < bpp, in PNG's order: big-endian for 16-bit samples, R G B
//   for colour) is at base + r*row_stride + c*col_stride + byte_offset[j].
#pragma once
#include <cstdint>

#include "../common/common.hpp"
#include "../common/runbuf.hpp"

namespace maskcore::segments {

// raw: rows * (1 + width_bytes) bytes; out: rows * width_bytes bytes. bpp in 1..8.
Status png_unfilter(const uint8_t* raw, int64_t rows, int64_t width_bytes, int bpp, uint8_t* out,
                    int64_t& bad_row) noexcept;

struct PixelView {
    const uint8_t* base;
    int64_t rows, cols, row_stride, col_stride;
    int bpp;                 // 1..4
    int64_t byte_offset[4];  // of each of a pixel's bpp bytes, from the element's address
};

// out: the zlib stream (header, one final fixed-Huffman block, Adler-32). rows, cols >= 1.
Status png_deflate_map(const PixelView& v, RunBuf<uint8_t>& out) noexcept;

}  // namespace maskcore::segments
