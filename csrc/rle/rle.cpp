// Run-length encoding: the drivers around find_transitions and the run algebra.
// See rle.hpp for the format, the invariants and the algorithms.
#include "rle.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include "../common/thread_scratch.hpp"
#include "../dispatch/dispatch.hpp"

namespace maskcore::rle {
namespace {

// Bytes handed to find_transitions at a time. Its index scratch (4 B per byte,
// 64 KiB) stays in L2 while the counts are formed from it, and stays under glibc's
// mmap threshold (128 KiB), so that threads encoding a batch do not serialize on
// mmap/munmap and page faults.
constexpr int64_t kChunk = 1 << 14;

template <class T>
using Buf = RunBuf<T>;

// find_transitions' index scratch (kChunk indices), one per thread: a batch encodes
// many masks per thread, and an allocation per mask costs more than a small mask's
// scan. Null when memory cannot be had.
struct IndexScratch {
    RunBuf<uint32_t> idx;
    MC_SCRATCH_BYTES(idx)
};
uint32_t* scratch_indices() noexcept {
    RunBuf<uint32_t>& b = thread_scratch<IndexScratch>().idx;  // 64 KiB: within the limit, never trimmed
    return b.cap >= kChunk || b.reserve_more(kChunk) ? b.data : nullptr;
}

// Where the first byte other than 0 and 1 is, in column-major order (error path).
void find_non_binary(View2D<const uint8_t> m, ErrorInfo& err) noexcept {
    for (int64_t c = 0; c < m.cols; ++c)
        for (int64_t r = 0; r < m.rows; ++r) {
            const uint8_t v = *m.at(r, c);
            if (v > 1) {
                err.index = c * m.rows + r;
                err.value = v;
                return;
            }
        }
}

// Turns increasing transition positions into counts. Emission goes through a
// local cursor (begin/end) so the hot loops keep it in a register: a store to the
// buffer's size per count would also be false sharing between threads encoding
// neighbouring masks of a batch.
template <class T>
struct CountSink {
    Buf<T>& out;
    uint64_t last = 0;
    struct Writer {
        T* p;
        uint64_t last;
        void at(uint64_t pos) noexcept {
            *p++ = static_cast<T>(pos - last);
            last = pos;
        }
    };
    // Room for k more counts (+1 for the final run); nullopt-like {nullptr} on failure.
    Writer begin(int64_t k) noexcept {
        if (!out.reserve_more(k + 1)) return {nullptr, last};
        return {out.data + out.size, last};
    }
    void end(const Writer& c) noexcept {
        out.size = c.p - out.data;
        last = c.last;
    }
    Status finish(uint64_t total) noexcept {
        if (!out.push(static_cast<T>(total - last))) return Status::bad_alloc;
        return Status::ok;
    }
};

// Columns are contiguous: a linear scan, one column at a time unless the whole
// image is one contiguous block.
template <class T>
Status encode_columns(View2D<const uint8_t> m, CountSink<T>& sink, uint8_t& acc) noexcept {
    const auto find = kernels<>().find_transitions;
    uint32_t* idx = scratch_indices();
    if (!idx) return Status::bad_alloc;
    const bool one_block = m.col_stride == m.rows;
    const int64_t ncol = one_block ? 1 : m.cols;
    const int64_t len = one_block ? m.rows * m.cols : m.rows;
    uint8_t carry = 0;
    for (int64_t c = 0; c < ncol; ++c) {
        const uint8_t* col = m.data + c * m.col_stride;
        const uint64_t base = static_cast<uint64_t>(c) * static_cast<uint64_t>(m.rows);
        for (int64_t i = 0; i < len; i += kChunk) {
            const int64_t n = std::min(kChunk, len - i);
            const int64_t k = find(col + i, nullptr, n, carry, idx, &acc);
            auto cur = sink.begin(k);
            if (!cur.p) return Status::bad_alloc;
            for (int64_t j = 0; j < k; ++j) cur.at(base + static_cast<uint64_t>(i + idx[j]));
            sink.end(cur);
            carry = col[i + n - 1];
        }
    }
    return Status::ok;
}

// Rows are contiguous: XOR each row with the one above, then bucket the
// transitions by column. Needs rows, cols < 2^32 (checked by the caller). Returns
// invalid_value, having emitted nothing, when transitions are too dense for it.
template <class T>
Status encode_rows(View2D<const uint8_t> m, CountSink<T>& sink, uint8_t& acc) noexcept {
    const auto find = kernels<>().find_transitions;
    const int64_t h = m.rows, w = m.cols;
    uint32_t* idx = scratch_indices();
    std::unique_ptr<uint8_t[]> first_prev(new (std::nothrow) uint8_t[w]);
    std::unique_ptr<int64_t[]> row_start(new (std::nothrow) int64_t[h + 1]);
    std::unique_ptr<int64_t[]> col_start(new (std::nothrow) int64_t[w + 1]());
    if (!idx || !first_prev || !row_start || !col_start) return Status::bad_alloc;
    // Row 0's predecessors: the last pixel of the previous column (0 before column 0).
    first_prev[0] = 0;
    const uint8_t* last_row = m.data + (h - 1) * m.row_stride;
    std::memcpy(first_prev.get() + 1, last_row, static_cast<size_t>(w - 1));

    Buf<uint32_t> cols;  // the column of every transition, in row order
    for (int64_t r = 0; r < h; ++r) {
        // Dense transitions (noise) make the bucket sort cost more than a transpose
        // and the column scan: after kProbeRows rows, more than one transition per
        // kDense pixels hands the mask over (measured on p = 0.5 noise at 4000 x 4000:
        // 70 ms by rows, 40 ms transposed; blobs stay far below the threshold).
        constexpr int64_t kProbeRows = 64, kDense = 8;
        if (r == kProbeRows && h >= 4 * kProbeRows && cols.size * kDense > kProbeRows * w) return Status::invalid_value;
        row_start[r] = cols.size;
        const uint8_t* row = m.data + r * m.row_stride;
        const uint8_t* above = r ? row - m.row_stride : first_prev.get();
        for (int64_t i = 0; i < w; i += kChunk) {
            const int64_t n = std::min(kChunk, w - i);
            const int64_t k = find(row + i, above + i, n, 0, idx, &acc);
            if (!cols.reserve_more(k)) return Status::bad_alloc;
            for (int64_t j = 0; j < k; ++j) {
                const uint32_t c = static_cast<uint32_t>(i + idx[j]);
                cols.push_unchecked(c);
                ++col_start[c + 1];
            }
        }
    }
    row_start[h] = cols.size;
    for (int64_t c = 0; c < w; ++c) col_start[c + 1] += col_start[c];

    // Counting sort by column; rows stay increasing within a column.
    std::unique_ptr<uint32_t[]> rows_by_col(new (std::nothrow) uint32_t[cols.size ? cols.size : 1]);
    if (!rows_by_col) return Status::bad_alloc;
    {
        std::unique_ptr<int64_t[]> fill(new (std::nothrow) int64_t[w]);
        if (!fill) return Status::bad_alloc;
        std::memcpy(fill.get(), col_start.get(), static_cast<size_t>(w) * sizeof(int64_t));
        for (int64_t r = 0; r < h; ++r)
            for (int64_t e = row_start[r]; e < row_start[r + 1]; ++e) rows_by_col[fill[cols.data[e]]++] = static_cast<uint32_t>(r);
    }
    auto cur = sink.begin(cols.size);
    if (!cur.p) return Status::bad_alloc;
    for (int64_t c = 0; c < w; ++c) {
        const uint64_t base = static_cast<uint64_t>(c) * static_cast<uint64_t>(h);
        for (int64_t e = col_start[c]; e < col_start[c + 1]; ++e) cur.at(base + rows_by_col[e]);
    }
    sink.end(cur);
    return Status::ok;
}

// Copies m into dst in column-major order (dst[c * h + r]) through 64 x 64 tiles:
// a tile's 64 destination columns stay in L1 while its rows are read in order.
void transpose_to_columns(View2D<const uint8_t> m, uint8_t* MC_RESTRICT dst) noexcept {
    constexpr int64_t kTile = 64;
    const int64_t h = m.rows, w = m.cols;
    for (int64_t r0 = 0; r0 < h; r0 += kTile)
        for (int64_t c0 = 0; c0 < w; c0 += kTile) {
            const int64_t r1 = std::min(h, r0 + kTile), c1 = std::min(w, c0 + kTile);
            for (int64_t r = r0; r < r1; ++r) {
                const uint8_t* src = m.at(r, c0);
                for (int64_t c = c0; c < c1; ++c, src += m.col_stride) dst[c * h + r] = *src;
            }
        }
}

// Columns not contiguous and the row scan not worth it (rows not contiguous, or
// transitions dense): transpose into a column-major scratch copy (h * w bytes) and
// take the column scan.
template <class T>
Status encode_transposed(View2D<const uint8_t> m, CountSink<T>& sink, uint8_t& acc) noexcept {
    const int64_t h = m.rows, w = m.cols;
    std::unique_ptr<uint8_t[]> tmp(new (std::nothrow) uint8_t[h * w]);
    if (!tmp) return Status::bad_alloc;
    transpose_to_columns(m, tmp.get());
    return encode_columns(View2D<const uint8_t>{tmp.get(), h, w, 1, h}, sink, acc);
}


// Column-wise decode into any strides: a fill per run and column piece.
template <class T>
Status decode_columns(const T* counts, int64_t n, View2D<uint8_t> out) noexcept {
    const int64_t h = out.rows;
    if (out.row_stride == 1 && out.col_stride == h) {  // one contiguous block
        uint8_t* p = out.data;
        uint8_t v = 0;
        for (int64_t k = 0; k < n; ++k, v ^= 1) {
            std::memset(p, v, static_cast<size_t>(counts[k]));
            p += counts[k];
        }
        return Status::ok;
    }
    Cursor at(h);
    uint8_t v = 0;
    for (int64_t k = 0; k < n; ++k, v ^= 1) {
        uint64_t left = counts[k];
        while (left) {
            const int64_t piece = static_cast<int64_t>(std::min<uint64_t>(left, static_cast<uint64_t>(h - at.r)));
            uint8_t* p = out.at(at.r, at.c);
            if (out.row_stride == 1) {
                std::memset(p, v, static_cast<size_t>(piece));
            } else {
                for (int64_t i = 0; i < piece; ++i) p[i * out.row_stride] = v;
            }
            at.advance(static_cast<uint64_t>(piece));
            left -= static_cast<uint64_t>(piece);
        }
    }
    return Status::ok;
}

// Calls f(r, c, v) at every (row, column) where the flattening changes value
// (and at (0, 0)), in order: that is where a run of value v starts. Empty runs
// never start anything, so non-canonical runs give the same calls.
template <class T, class F>
void for_each_change(const T* counts, int64_t n, int64_t h, F&& f) noexcept {
    Cursor at(h);
    uint8_t v = 0, last = 2;  // 2: nothing reported yet, so (0, 0) always is
    for (int64_t k = 0; k < n; ++k, v ^= 1) {
        if (!counts[k]) continue;
        if (v != last) f(at.r, at.c, v);
        last = v;
        at.advance(counts[k]);
    }
}

// Row-wise decode into a row-contiguous view (see rle.hpp, DECODE).
template <class T>
Status decode_rows(const T* counts, int64_t n, View2D<uint8_t> out) noexcept {
    const int64_t h = out.rows, w = out.cols;
    std::unique_ptr<uint8_t[]> row(new (std::nothrow) uint8_t[w]);
    std::unique_ptr<int64_t[]> row_start(new (std::nothrow) int64_t[h + 1]());
    if (!row || !row_start) return Status::bad_alloc;
    // Pass 1: row 0 (every column starts with the value in force at its top), and how
    // many changes fall in each later row.
    int64_t toggles = 0;
    int64_t filled = 0;  // columns of row 0 written so far
    uint8_t cur = 0;
    for_each_change(counts, n, h, [&](int64_t r, int64_t c, uint8_t v) {
        const int64_t upto = std::min(r == 0 ? c : c + 1, w);  // columns whose top precedes this change
        if (upto > filled) std::memset(row.get() + filled, cur, static_cast<size_t>(upto - filled));
        filled = std::max(filled, upto);
        if (r == 0) {
            row[c] = v;
            filled = c + 1;
        } else {
            ++row_start[r + 1];
            ++toggles;
        }
        cur = v;
    });
    if (filled < w) std::memset(row.get() + filled, cur, static_cast<size_t>(w - filled));
    for (int64_t r = 0; r < h; ++r) row_start[r + 1] += row_start[r];
    // Pass 2: bucket the changes' columns by row.
    std::unique_ptr<uint32_t[]> cols(new (std::nothrow) uint32_t[toggles ? toggles : 1]);
    std::unique_ptr<int64_t[]> fill(new (std::nothrow) int64_t[h]);
    if (!cols || !fill) return Status::bad_alloc;
    std::memcpy(fill.get(), row_start.get(), static_cast<size_t>(h) * sizeof(int64_t));
    for_each_change(counts, n, h, [&](int64_t r, int64_t c, uint8_t) {
        if (r) cols[fill[r]++] = static_cast<uint32_t>(c);
    });
    // Pass 3: each row is the row above with its changes toggled; written once, in order.
    for (int64_t r = 0; r < h; ++r) {
        for (int64_t e = row_start[r]; e < row_start[r + 1]; ++e) row[cols[e]] ^= 1;
        std::memcpy(out.data + r * out.row_stride, row.get(), static_cast<size_t>(w));
    }
    return Status::ok;
}

// The value starting at s[p]. Sets p past it, or returns
// false with err set for a char outside '0'..'o', a value that never ends or one
// past 64 bits.
bool get_value(const char* s, int64_t len, int64_t& p, int64_t& value, ErrorInfo& err) noexcept {
    const int64_t start = p;
    uint64_t v = 0;
    int shift = 0, c;
    do {
        if (p >= len) {  // the last char still says "more follows"
            err = {start, 0, truncated};
            return false;
        }
        if (shift > 63) {  // a 14th group: more than 64 bits
            err = {start, 0, too_long};
            return false;
        }
        c = static_cast<unsigned char>(s[p]) - 48;
        if (static_cast<unsigned>(c) > 63) {
            err = {p, static_cast<unsigned char>(s[p]), bad_char};
            return false;
        }
        ++p;
        v |= static_cast<uint64_t>(c & 0x1f) << shift;
        shift += 5;
    } while (c & 0x20);
    // Sign-extend without a branch: deltas are negative about half the time.
    const uint64_t sign = (static_cast<uint64_t>(c) >> 4) & 1;
    v |= shift < 64 ? (0 - sign) << shift : 0;
    value = static_cast<int64_t>(v);
    return true;
}

template <class T>
int64_t decode_string(const char* s, int64_t len, T* out, uint64_t total, ErrorInfo& err) noexcept {
    int64_t k = 0, p = 0, value;
    uint64_t sum = 0;
    while (p < len) {
        if (!get_value(s, len, p, value, err)) return -1;
        int64_t v = value;
        if (k > 2 && __builtin_add_overflow(v, static_cast<int64_t>(out[k - 2]), &v)) v = -1;
        if (v < 0 || static_cast<uint64_t>(v) > total - sum) {
            err = {k, value, bad_count};
            return -1;
        }
        sum += static_cast<uint64_t>(v);
        out[k++] = static_cast<T>(v);
    }
    if (sum != total) {
        err = {len, static_cast<int64_t>(sum), bad_sum};
        return -1;
    }
    return k;
}


}  // namespace

template <class T>
Status encode(View2D<const uint8_t> m, bool strict, RunBuf<T>& out, ErrorInfo& err) noexcept {
    // Strides of a length-1 axis do not matter; normalizing them lets a 1xN C-order
    // row or an Nx1 column take the one-block column scan.
    if (m.rows <= 1) m.row_stride = 1;
    if (m.cols <= 1) m.col_stride = m.rows;
    const uint64_t total = static_cast<uint64_t>(m.rows) * static_cast<uint64_t>(m.cols);
    CountSink<T> sink{out};
    uint8_t acc = 0;
    Status s = Status::ok;
    if (total == 0) {
        // nothing to scan: counts are [0]
    } else if (m.row_stride == 1) {
        s = encode_columns(m, sink, acc);
    } else if (m.col_stride == 1 && m.rows < (int64_t{1} << 32) && m.cols < (int64_t{1} << 32)) {
        s = encode_rows(m, sink, acc);
        if (s == Status::invalid_value) {  // too dense for the row scan (nothing emitted yet)
            acc = 0;
            s = encode_transposed(m, sink, acc);
        }
    } else {
        s = encode_transposed(m, sink, acc);
    }
    if (s != Status::ok) return s;
    if (strict && acc > 1) {
        find_non_binary(m, err);
        return Status::invalid_value;
    }
    return sink.finish(total);
}

template <class T>
Status decode(const T* counts, int64_t n, View2D<uint8_t> out) noexcept {
    ErrorInfo err;
    const Status s = check_counts(counts, n, static_cast<uint64_t>(out.rows) * static_cast<uint64_t>(out.cols), err);
    if (s != Status::ok) return s;
    if (out.rows == 0 || out.cols == 0) return Status::ok;
    if (out.rows <= 1) out.row_stride = 1;
    if (out.cols <= 1) out.col_stride = out.rows;
    if (out.col_stride == 1 && out.row_stride != 1 && out.cols < (int64_t{1} << 32))
        return decode_rows(counts, n, out);
    return decode_columns(counts, n, out);
}

template <class T>
Status check_counts(const T* counts, int64_t n, uint64_t total, ErrorInfo& err) noexcept {
    uint64_t sum = 0;
    for (int64_t k = 0; k < n; ++k) {
        if (counts[k] > total - sum) {
            err.index = k;
            err.value = static_cast<int64_t>(sum);
            return Status::corrupt_rle;
        }
        sum += counts[k];
    }
    if (sum != total) {
        err.index = n;
        err.value = static_cast<int64_t>(sum);
        return Status::corrupt_rle;
    }
    return Status::ok;
}

template <class T>
uint64_t area(const T* counts, int64_t n) noexcept {
    uint64_t a = 0;
    for (int64_t k = 1; k < n; k += 2) a += counts[k];
    return a;
}

template <class T>
Foreground scan_foreground(const T* counts, int64_t n, int64_t h, int64_t w, int64_t box[4], uint64_t* iv) noexcept {
    box[0] = box[1] = box[2] = box[3] = 0;
    if (h <= 0 || w <= 0) return {0, 0};
    const uint64_t* const iv_begin = iv;
    int64_t x0 = -1, x1 = -1, y0 = INT64_MAX, y1 = -1;
    uint64_t pos = 0, area = 0;
    Cursor at(h);
    for (int64_t k = 0; k < n; ++k) {
        const uint64_t len = counts[k];
        if ((k & 1) && len) {
            const int64_t r0 = at.r, c0 = at.c;
            at.advance(len - 1);  // the run's last pixel
            if (x0 < 0) x0 = c0;  // runs come in column order: the first and last set the x extent
            x1 = at.c;
            if (at.c != c0) {  // it wraps through a column end: rows h-1 and 0 are both set
                y0 = 0;
                y1 = h - 1;
            } else {
                y0 = std::min(y0, r0);
                y1 = std::max(y1, at.r);
            }
            at.advance(1);
            if (iv) {
                *iv++ = pos;
                *iv++ = pos + len;
            }
            area += len;
        } else {
            at.advance(len);
        }
        pos += len;
    }
    if (x1 < 0) return {0, 0};
    box[0] = x0;
    box[1] = y0;
    box[2] = x1 - x0 + 1;
    box[3] = y1 - y0 + 1;
    return {area, iv ? (iv - iv_begin) / 2 : 0};
}

template <class T>
Status foreground_intervals(const T* counts, int64_t n, RunBuf<uint64_t>& out) noexcept {
    if (!out.reserve_more(n + 1)) return Status::bad_alloc;
    uint64_t* o = out.data + out.size;  // a local cursor: see CountSink
    uint64_t pos = 0;
    for (int64_t k = 0; k < n; ++k) {
        const uint64_t end = pos + counts[k];
        if ((k & 1) && end > pos) {
            *o++ = pos;
            *o++ = end;
        }
        pos = end;
    }
    out.size = o - out.data;
    return Status::ok;
}

uint64_t intervals_intersection(const uint64_t* a, int64_t ka, const uint64_t* b, int64_t kb, uint64_t lo,
                                uint64_t hi) noexcept {
    // Skip the intervals that end at or before lo (binary search on the ends).
    auto first_after = [lo](const uint64_t* v, int64_t k) {
        int64_t l = 0, r = k;
        while (l < r) {
            const int64_t mid = (l + r) / 2;
            if (v[2 * mid + 1] <= lo) l = mid + 1;
            else r = mid;
        }
        return l;
    };
    int64_t i = first_after(a, ka), j = first_after(b, kb);
    uint64_t inter = 0;
    while (i < ka && j < kb) {
        const uint64_t as = a[2 * i], ae = a[2 * i + 1], bs = b[2 * j], be = b[2 * j + 1];
        if (as >= hi || bs >= hi) break;
        const uint64_t s = as > bs ? as : bs, e = ae < be ? ae : be;
        inter += e > s ? e - s : 0;
        i += ae <= be;
        j += be <= ae;
    }
    return inter;
}

// Both outputs have at most ka + kb intervals; callers reserve that (the
// functions below write through out.data without checking).
void intervals_union(const uint64_t* a, int64_t ka, const uint64_t* b, int64_t kb, RunBuf<uint64_t>& out) noexcept {
    // A merge by start, coalescing overlapping or touching intervals. Branchy on
    // purpose: masks' intervals come in long stretches from one side (objects in
    // different columns), which the predictor follows; a branch-free version
    // measured 25% slower, bound by its load -> compare -> index chain.
    uint64_t* o = out.data + out.size;
    if (ka + kb == 0) return;
    int64_t i = 0, j = 0;
    // The open interval (cs, ce) stays in registers; it is stored when a gap closes it.
    uint64_t cs = ka && (!kb || a[0] <= b[0]) ? a[0] : b[0], ce = cs;
    for (int64_t step = 0; step < ka + kb; ++step) {
        const bool take_a = j >= kb || (i < ka && a[2 * i] <= b[2 * j]);
        const uint64_t* next = take_a ? a + 2 * i : b + 2 * j;
        i += take_a;
        j += !take_a;
        const uint64_t s = next[0], e = next[1];
        if (s > ce) {
            o[0] = cs;
            o[1] = ce;
            o += 2;
            cs = s;
        }
        ce = e > ce ? e : ce;
    }
    o[0] = cs;
    o[1] = ce;
    out.size = o + 2 - out.data;
}

void intervals_intersect(const uint64_t* a, int64_t ka, const uint64_t* b, int64_t kb, RunBuf<uint64_t>& out) noexcept {
    uint64_t* o = out.data + out.size;
    int64_t i = 0, j = 0, k = 0;
    while (i < ka && j < kb) {
        const uint64_t as = a[2 * i], ae = a[2 * i + 1], bs = b[2 * j], be = b[2 * j + 1];
        const uint64_t s = as > bs ? as : bs, e = ae < be ? ae : be;
        o[2 * k] = s;
        o[2 * k + 1] = e;
        k += s < e;  // kept only when not empty; inputs are disjoint, so outputs never touch
        i += ae <= be;
        j += be <= ae;
    }
    out.size += 2 * k;
}

template <class T>
Status intervals_to_counts(const uint64_t* iv, int64_t k, uint64_t total, RunBuf<T>& out) noexcept {
    if (!out.reserve_more(2 * k + 1)) return Status::bad_alloc;
    T* o = out.data + out.size;
    uint64_t pos = 0;
    for (int64_t i = 0; i < k; ++i) {
        *o++ = static_cast<T>(iv[2 * i] - pos);
        *o++ = static_cast<T>(iv[2 * i + 1] - iv[2 * i]);
        pos = iv[2 * i + 1];
    }
    if (pos < total || k == 0) *o++ = static_cast<T>(total - pos);
    out.size = o - out.data;
    return Status::ok;
}

namespace {
struct MergeScratch {
    RunBuf<uint64_t> bufs[2];
    RunBuf<int64_t> spans[2];
    MC_SCRATCH_BYTES(bufs, spans)
};
}  // namespace

template <class T>
Status merge_runs(const T* const* runs, const int64_t* lens, int64_t n, bool intersect, uint64_t total,
                  RunBuf<T>& out) noexcept {
    // Lists live back to back in one buffer; a round writes the next level into the
    // other buffer (a level never holds more intervals than the one before it).
    ScratchLease<MergeScratch> lease;
    RunBuf<uint64_t>* bufs = lease->bufs;
    RunBuf<int64_t>* spans = lease->spans;  // start of each list in its buffer, + end
    int64_t room = 0;
    for (int64_t i = 0; i < n; ++i) room += lens[i] + 1;
    for (int b = 0; b < 2; ++b) {
        bufs[b].size = spans[b].size = 0;
        if (!bufs[b].reserve_more(room) || !spans[b].reserve_more(n + 1)) return Status::bad_alloc;
    }
    RunBuf<uint64_t>* cur = &bufs[0];
    RunBuf<int64_t>* at = &spans[0];
    at->push_unchecked(0);
    for (int64_t i = 0; i < n; ++i) {
        RunBuf<uint64_t> view;  // writes into cur through a non-owning alias
        view.data = cur->data + cur->size;
        view.cap = room - cur->size;
        foreground_intervals<T>(runs[i], lens[i], view);
        cur->size += view.size;
        view.data = nullptr;  // not ours to free
        at->push_unchecked(cur->size);
    }
    for (int64_t lists = n; lists > 1; lists = (lists + 1) / 2) {
        RunBuf<uint64_t>* next = cur == &bufs[0] ? &bufs[1] : &bufs[0];
        RunBuf<int64_t>* next_at = at == &spans[0] ? &spans[1] : &spans[0];
        next->size = next_at->size = 0;
        next_at->push_unchecked(0);
        for (int64_t i = 0; i < lists; i += 2) {
            const uint64_t* a = cur->data + at->data[i];
            const int64_t ka = (at->data[i + 1] - at->data[i]) / 2;
            if (i + 1 == lists) {  // odd one out: carried to the next level
                std::memcpy(next->data + next->size, a, static_cast<size_t>(2 * ka) * sizeof(uint64_t));
                next->size += 2 * ka;
            } else {
                const uint64_t* b = cur->data + at->data[i + 1];
                const int64_t kb = (at->data[i + 2] - at->data[i + 1]) / 2;
                if (intersect) intervals_intersect(a, ka, b, kb, *next);
                else intervals_union(a, ka, b, kb, *next);
            }
            next_at->push_unchecked(next->size);
        }
        cur = next;
        at = next_at;
    }
    return intervals_to_counts<T>(cur->data, cur->size / 2, total, out);
}

template <class T>
Status combine(const T* a, int64_t na, const T* b, int64_t nb, Op op, RunBuf<T>& out) noexcept {
    // Truth table of op, indexed by (value of a) | (value of b) << 1.
    static constexpr unsigned kTruth[4] = {0b1000, 0b1110, 0b0110, 0b0010};  // and, or, xor, andnot
    const unsigned truth = kTruth[static_cast<int>(op)];
    if (!out.reserve_more(na + nb + 2)) return Status::bad_alloc;
    T* o = out.data + out.size;
    int64_t k = 0;
    if (na && nb) {
        // Walk the segments between consecutive run ends of a and b. The body is
        // branch-free: the output slot is written every step and kept only when the
        // value flips, which is what makes the walk fast on unpredictable runs.
        int64_t ia = 0, ib = 0;
        uint64_t ea = a[0], eb = b[0], pos = 0, run_start = 0;
        unsigned cur = 0;  // value of the output run being built
        while (ia < na && ib < nb) {
            const uint64_t end = ea < eb ? ea : eb;
            const unsigned v = end > pos ? (truth >> ((ia & 1) | ((ib & 1) << 1))) & 1 : cur;
            o[k] = static_cast<T>(pos - run_start);
            const bool flip = v != cur;
            k += flip;
            run_start = flip ? pos : run_start;
            cur = v;
            pos = end;
            const bool step_a = ea == end, step_b = eb == end;
            ia += step_a;
            ib += step_b;
            ea += step_a ? a[ia < na ? ia : na - 1] : 0;  // past the end: the loop stops anyway
            eb += step_b ? b[ib < nb ? ib : nb - 1] : 0;
        }
        o[k++] = static_cast<T>(pos - run_start);
    } else {
        o[k++] = 0;  // only the 0-pixel mask has no runs
    }
    out.size += k;
    return Status::ok;
}

template <class T>
int64_t string_room(int64_t n) noexcept {
    // A delta of two uint32 counts needs 34 bits with its sign: 7 groups; of two
    // uint64 counts (each < 2^63) 64 bits: 13 groups. + 8 for the kernel's word stores.
    const int64_t groups = sizeof(T) == 4 ? 7 : 13;
    return n > (INT64_MAX - 16) / groups ? -1 : groups * n + 8;
}

template <class T>
int64_t write_string(const T* counts, int64_t n, char* out) noexcept {
    return kernels<T>().codec_encode(counts, n, out);
}

template <class T>
Status to_string(const T* counts, int64_t n, RunBuf<char>& out) noexcept {
    const int64_t room = string_room<T>(n);
    if (room < 0 || !out.reserve_more(room)) return Status::bad_alloc;
    out.size += write_string(counts, n, out.data + out.size);
    return Status::ok;
}

template <class T>
Status from_string(const char* s, int64_t len, uint64_t total, RunBuf<T>& out, ErrorInfo& err) noexcept {
    if (!out.reserve_more(len + 32)) return Status::bad_alloc;  // at most one count per char, + the vector slack
    const auto fast = kernels<T>().codec_decode;
    int64_t n = fast ? fast(s, len, out.data + out.size, total) : -1;
    if (n < 0) n = decode_string(s, len, out.data + out.size, total, err);
    if (n < 0) return Status::corrupt_rle;
    out.size += n;
    return Status::ok;
}

#define MC_INSTANTIATE(T)                                                                              \
    template Status encode<T>(View2D<const uint8_t>, bool, RunBuf<T>&, ErrorInfo&) noexcept;           \
    template Status decode<T>(const T*, int64_t, View2D<uint8_t>) noexcept;                            \
    template Status check_counts<T>(const T*, int64_t, uint64_t, ErrorInfo&) noexcept;                 \
    template uint64_t area<T>(const T*, int64_t) noexcept;                                             \
    template Foreground scan_foreground<T>(const T*, int64_t, int64_t, int64_t, int64_t[4], uint64_t*) noexcept; \
    template Status combine<T>(const T*, int64_t, const T*, int64_t, Op, RunBuf<T>&) noexcept;         \
    template Status foreground_intervals<T>(const T*, int64_t, RunBuf<uint64_t>&) noexcept;            \
    template Status intervals_to_counts<T>(const uint64_t*, int64_t, uint64_t, RunBuf<T>&) noexcept;   \
    template Status merge_runs<T>(const T* const*, const int64_t*, int64_t, bool, uint64_t, RunBuf<T>&) noexcept; \
    template Status to_string<T>(const T*, int64_t, RunBuf<char>&) noexcept;                           \
    template int64_t string_room<T>(int64_t) noexcept;                                                 \
    template int64_t write_string<T>(const T*, int64_t, char*) noexcept;                               \
    template Status from_string<T>(const char*, int64_t, uint64_t, RunBuf<T>&, ErrorInfo&) noexcept;
MC_INSTANTIATE(uint32_t)
MC_INSTANTIATE(uint64_t)
#undef MC_INSTANTIATE

}  // namespace maskcore::rle
