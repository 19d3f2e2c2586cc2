// Entry points of the metrics family (metrics.hpp): layout handling, threads and
// the parts that are not per-ISA (the uint16/uint32 confusion scan, boundaries).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../common/parallel.hpp"
#include "metrics.hpp"

namespace maskcore::metrics {
namespace {

// Rows contiguous in both views, or (by swapping the axes of both) columns: a
// pixel-order independent result (counts) may scan either way.
template <class T>
bool row_contiguous(View2D<const T>& a, View2D<const T>& b) noexcept {
    if (a.cols <= 1 && b.cols <= 1) {
        a.col_stride = b.col_stride = 1;
        return true;
    }
    if (a.col_stride == 1 && b.col_stride == 1) return true;
    if ((a.row_stride == 1 && b.row_stride == 1) || (a.rows <= 1 && b.rows <= 1)) {
        std::swap(a.rows, a.cols);
        std::swap(a.row_stride, a.col_stride);
        std::swap(b.rows, b.cols);
        std::swap(b.row_stride, b.col_stride);
        a.col_stride = b.col_stride = 1;
        return true;
    }
    return false;
}

}  // namespace

Status count_pair(View2D<const uint8_t> a, View2D<const uint8_t> b, uint64_t out[3], ErrorInfo& err) noexcept {
    out[0] = out[1] = out[2] = 0;
    if (a.rows != b.rows || a.cols != b.cols) return Status::size_mismatch;
    if (a.rows == 0 || a.cols == 0) return Status::ok;
    uint8_t orr = 0;
    if (row_contiguous(a, b)) {
        const auto& k = kernels();
        if (a.row_stride == a.cols && b.row_stride == b.cols) {
            k.count_pair(a.data, b.data, a.rows * a.cols, out, &orr);
        } else {
            for (int64_t r = 0; r < a.rows; ++r) k.count_pair(a.at(r, 0), b.at(r, 0), a.cols, out, &orr);
        }
    } else {
        for (int64_t r = 0; r < a.rows; ++r)
            for (int64_t c = 0; c < a.cols; ++c) {
                const uint8_t x = *a.at(r, c), y = *b.at(r, c);
                out[0] += x & y;
                out[1] += x;
                out[2] += y;
                orr |= static_cast<uint8_t>(x | y);
            }
    }
    if (orr > 1) {
        // Where: the first byte > 1, a before b (the error path only: a second pass).
        for (int k = 0; k < 2; ++k) {
            const View2D<const uint8_t>& m = k == 0 ? a : b;
            for (int64_t r = 0; r < m.rows; ++r)
                for (int64_t c = 0; c < m.cols; ++c)
                    if (*m.at(r, c) > 1) {
                        err.kind = k;
                        err.index = r * m.cols + c;
                        err.value = *m.at(r, c);
                        return Status::invalid_value;
                    }
        }
        err.kind = 0;
        err.value = orr;
        return Status::invalid_value;
    }
    return Status::ok;
}

// ---- confusion matrix -------------------------------------------------------------

namespace {

// A strip's table: uint8 maps count into a HistU8 (metrics.hpp), wider maps into
// K x K uint32 bins.
template <class T>
struct Table {
    static constexpr bool kByte = sizeof(T) == 1;
    int64_t k = 0, ignore = -1;
    uint32_t* bins = nullptr;
    HistU8 h;
    Status status = Status::ok;
    ErrorInfo err;

    // Adds a run of `len` pixels of pair key (g << 32 | p for wide maps).
    void add(uint64_t key, uint64_t len) noexcept {
        if (!len) return;
        const uint64_t g = key >> 32, p = key & 0xffffffffu;
        if (static_cast<int64_t>(g) == ignore) return;
        if (g >= static_cast<uint64_t>(k) || p >= static_cast<uint64_t>(k)) {
            if (status == Status::ok) {
                status = Status::invalid_value;
                err.kind = g >= static_cast<uint64_t>(k) ? 0 : 1;
                err.value = static_cast<int64_t>(g >= static_cast<uint64_t>(k) ? g : p);
            }
            return;
        }
        bins[g * static_cast<uint64_t>(k) + p] += static_cast<uint32_t>(len);
    }
};

// The uint8 table's layout for K classes and an ignored ground truth (see HistU8).
HistU8 hist_layout(int64_t k, int64_t ignore) noexcept {
    HistU8 h;
    h.ign = ignore >= 0 && ignore < 256 ? static_cast<uint32_t>(ignore) : 256;
    if (k <= 254) {
        const auto kk = static_cast<uint32_t>(k);
        h.stride = kk + 1;
        h.drop = kk;
        h.rmax = kk + 1;
        h.cmax = kk;
        h.size = (k + 2) * (k + 1);
    } else {
        h.stride = 256;
        h.drop = h.ign;  // the identity: the ignored row is its own row, dropped at the end
        h.rmax = h.cmax = 255;
        h.size = 65536;
    }
    return h;
}

template <class T>
void scan_strip(View2D<const T> gt, View2D<const T> pred, bool fast, int64_t r0, int64_t r1, Table<T>& t) noexcept {
    if constexpr (sizeof(T) == 1) {
        Run run;
        HistU8& h = t.h;
        const auto& k = kernels();
        if (fast) {
            if (gt.row_stride == gt.cols && pred.row_stride == pred.cols) {
                k.hist_u8(gt.at(r0, 0), pred.at(r0, 0), (r1 - r0) * gt.cols, h, run);
            } else {
                for (int64_t r = r0; r < r1; ++r) k.hist_u8(gt.at(r, 0), pred.at(r, 0), gt.cols, h, run);
            }
        } else {
            for (int64_t r = r0; r < r1; ++r)
                for (int64_t c = 0; c < gt.cols; ++c) {
                    const uint64_t key = static_cast<uint64_t>(*gt.at(r, c)) << 8 | *pred.at(r, c);
                    if (key == run.key) {
                        ++run.len;
                    } else {
                        h.bins[h.index(static_cast<uint32_t>(run.key >> 8), run.key & 255)] +=
                            static_cast<uint32_t>(run.len);
                        run.key = key;
                        run.len = 1;
                    }
                }
        }
        h.bins[h.index(static_cast<uint32_t>(run.key >> 8), run.key & 255)] += static_cast<uint32_t>(run.len);
        k.flush_sub(h);
    } else {
        uint64_t key = 0, len = 0;
        for (int64_t r = r0; r < r1; ++r) {
            const T* g = gt.at(r, 0);
            const T* p = pred.at(r, 0);
            const int64_t gs = gt.col_stride, ps = pred.col_stride;
            for (int64_t c = 0; c < gt.cols; ++c) {
                const uint64_t kk = static_cast<uint64_t>(g[c * gs]) << 32 | p[c * ps];
                if (kk == key) {
                    ++len;
                } else {
                    t.add(key, len);
                    key = kk;
                    len = 1;
                }
            }
        }
        t.add(key, len);
    }
}

// The first pixel (row-major) with a value >= k: a ground truth other than the
// ignored one, or a prediction where the ground truth is not ignored. Only on the
// error path, after the table showed that one exists.
template <class T>
void find_invalid(View2D<const T> gt, View2D<const T> pred, int64_t k, int64_t ignore, ErrorInfo& err) noexcept {
    for (int64_t r = 0; r < gt.rows; ++r)
        for (int64_t c = 0; c < gt.cols; ++c) {
            const int64_t g = *gt.at(r, c), p = *pred.at(r, c);
            if (g == ignore) continue;
            if (g >= k || p >= k) {
                err.kind = g >= k ? 0 : 1;
                err.value = g >= k ? g : p;
                err.index = r * gt.cols + c;
                return;
            }
        }
}

}  // namespace

template <class T>
Status confusion(View2D<const T> gt, View2D<const T> pred, int64_t k, int64_t ignore, int threads, int64_t* out,
                 ErrorInfo& err) noexcept {
    if (k <= 0 || k > kMaxClasses) return Status::invalid_argument;
    std::fill(out, out + k * k, int64_t{0});
    if (gt.rows != pred.rows || gt.cols != pred.cols) return Status::size_mismatch;
    if (gt.rows == 0 || gt.cols == 0) return Status::ok;
    const bool fast = row_contiguous(gt, pred);
    const int64_t rows = gt.rows, cols = gt.cols;
    if (cols >= (int64_t{1} << 31)) return Status::overflow;  // a strip (>= 1 row) must fit uint32 bins
    const uint64_t pixels = static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
    // Strips: one per thread (grain: ~2^20 pixels, about 0.5 ms), and enough that
    // each holds < 2^31 pixels (uint32 bins; a run length is below that too).
    int nthreads = worth(threads, pixels, uint64_t{1} << 20);
    const int64_t rows_per_strip_max = std::max<int64_t>(1, (int64_t{1} << 31) / cols);
    int64_t strips = std::max<int64_t>(nthreads, (rows + rows_per_strip_max - 1) / rows_per_strip_max);
    strips = std::min(strips, rows);
    const HistU8 layout = hist_layout(k, ignore);
    const int64_t tsize = sizeof(T) == 1 ? layout.size : k * k;
    // uint8: per strip `tsize` uint32 totals, then kSub * tsize uint16 sub-counters
    // (as uint32 words: tsize is even in both layouts).
    const int64_t words = sizeof(T) == 1 ? tsize + HistU8::kSub * tsize / 2 : tsize;
    uint32_t* bins = static_cast<uint32_t*>(std::calloc(static_cast<size_t>(strips * words), sizeof(uint32_t)));
    if (!bins) return Status::bad_alloc;
    std::vector<Table<T>> tables;
    try {
        Table<T> proto;
        proto.k = k;
        proto.ignore = ignore;
        proto.h = layout;
        tables.assign(static_cast<size_t>(strips), proto);
    } catch (...) {
        std::free(bins);
        return Status::bad_alloc;
    }
    for (int64_t s = 0; s < strips; ++s) {
        tables[s].bins = tables[s].h.bins = bins + s * words;
        tables[s].h.sub = reinterpret_cast<uint16_t*>(bins + s * words + tsize);
    }
    parallel_for(strips, nthreads, [&](int64_t s) {
        const int64_t r0 = rows * s / strips, r1 = rows * (s + 1) / strips;
        scan_strip<T>(gt, pred, fast, r0, r1, tables[s]);
    });
    Status st = Status::ok;
    if constexpr (sizeof(T) == 1) {
        // Rows of the table: the matrix's, the dropped (ignored) one, and out-of-range
        // values (rows >= K or columns >= K): invalid_value if any is non-empty.
        const int64_t nrows = layout.size / layout.stride, stride = layout.stride;
        for (int64_t g = 0; g < nrows && st == Status::ok; ++g) {
            if (g == layout.drop) continue;
            for (int64_t p = 0; p < stride; ++p) {
                uint64_t v = 0;
                for (int64_t s = 0; s < strips; ++s) v += tables[s].bins[g * stride + p];
                if (!v) continue;
                if (g >= k || p >= k) {
                    st = Status::invalid_value;
                    find_invalid<T>(gt, pred, k, ignore, err);
                    break;
                }
                out[g * k + p] = static_cast<int64_t>(v);
            }
        }
    } else {
        for (int64_t s = 0; s < strips && st == Status::ok; ++s)
            if (tables[s].status != Status::ok) {
                st = tables[s].status;
                err = tables[s].err;
                if (st == Status::invalid_value) find_invalid<T>(gt, pred, k, ignore, err);  // the first, and where
            }
        if (st == Status::ok)
            for (int64_t s = 0; s < strips; ++s)
                for (int64_t i = 0; i < k * k; ++i) out[i] += tables[s].bins[i];
    }
    std::free(bins);
    if (st != Status::ok) std::fill(out, out + k * k, int64_t{0});
    return st;
}

template Status confusion<uint8_t>(View2D<const uint8_t>, View2D<const uint8_t>, int64_t, int64_t, int, int64_t*,
                                   ErrorInfo&) noexcept;
template Status confusion<uint16_t>(View2D<const uint16_t>, View2D<const uint16_t>, int64_t, int64_t, int, int64_t*,
                                    ErrorInfo&) noexcept;
template Status confusion<uint32_t>(View2D<const uint32_t>, View2D<const uint32_t>, int64_t, int64_t, int, int64_t*,
                                    ErrorInfo&) noexcept;

// ---- sparse contingency table ---------------------------------------------------------

namespace {

// Counts per 64-bit key in an open-addressing table (linear probing, power-of-two
// capacity, at most half full). Label maps hold few distinct pairs (hundreds), so
// adding a run is a hash and usually one probe; sorting every run instead cost
// ~1 ms per 640x480 panoptic map.
class KeyCounts {
   public:
    bool init() noexcept { return grow(1024); }
    bool add(uint64_t key, uint64_t n) noexcept {
        uint64_t i = hash(key) & mask_;
        while (used_.data[i]) {
            if (keys_.data[i] == key) {
                counts_.data[i] += n;
                return true;
            }
            i = (i + 1) & mask_;
        }
        used_.data[i] = 1;
        keys_.data[i] = key;
        counts_.data[i] = n;
        if (++size_ * 2 > cap_) return grow(cap_ * 2);
        return true;
    }
    // Distinct keys ascending with their counts.
    bool take(RunBuf<uint64_t>& keys, RunBuf<uint64_t>& counts) noexcept {
        keys.size = counts.size = 0;
        if (!keys.reserve_more(size_) || !counts.reserve_more(size_)) return false;
        for (int64_t i = 0; i < cap_; ++i)
            if (used_.data[i]) keys.push_unchecked(keys_.data[i]);
        std::sort(keys.data, keys.data + keys.size);
        for (int64_t i = 0; i < keys.size; ++i) counts.push_unchecked(counts_.data[find(keys.data[i])]);
        return true;
    }

   private:
    static uint64_t hash(uint64_t k) noexcept {  // a 64-bit mix (splitmix64's finalizer)
        k ^= k >> 31;
        k *= 0x7fb5d329728ea185ull;
        k ^= k >> 27;
        k *= 0x81dadef4bc2dd44dull;
        return k ^ (k >> 33);
    }
    int64_t find(uint64_t key) const noexcept {
        uint64_t i = hash(key) & mask_;
        while (keys_.data[i] != key || !used_.data[i]) i = (i + 1) & mask_;
        return static_cast<int64_t>(i);
    }
    bool grow(int64_t cap) noexcept {
        RunBuf<uint64_t> k, c;
        RunBuf<uint8_t> u;
        if (!k.reserve_more(cap) || !c.reserve_more(cap) || !u.reserve_more(cap)) return false;
        std::memset(u.data, 0, static_cast<size_t>(cap));
        std::swap(k, keys_);
        std::swap(c, counts_);
        std::swap(u, used_);
        const int64_t old = cap_;
        cap_ = cap;
        mask_ = static_cast<uint64_t>(cap - 1);
        size_ = 0;
        for (int64_t i = 0; i < old; ++i)
            if (u.data[i] && !add(k.data[i], c.data[i])) return false;
        return true;
    }
    RunBuf<uint64_t> keys_, counts_;
    RunBuf<uint8_t> used_;
    int64_t cap_ = 0, size_ = 0;
    uint64_t mask_ = 0;
};

}  // namespace

template <class T>
Status pair_table(View2D<const T> a, View2D<const T> b, RunBuf<uint64_t>& keys, RunBuf<uint64_t>& counts) noexcept {
    if (a.rows != b.rows || a.cols != b.cols) return Status::size_mismatch;
    KeyCounts table;
    if (!table.init()) return Status::bad_alloc;
    if (a.rows && a.cols) {
        row_contiguous(a, b);  // either order: a table does not depend on pixel order
        uint64_t key = static_cast<uint64_t>(*a.at(0, 0)) << 32 | *b.at(0, 0), len = 0;
        for (int64_t r = 0; r < a.rows; ++r) {
            const T* x = a.at(r, 0);
            const T* y = b.at(r, 0);
            const int64_t xs = a.col_stride, ys = b.col_stride;
            for (int64_t c = 0; c < a.cols; ++c) {
                const uint64_t k = static_cast<uint64_t>(x[c * xs]) << 32 | y[c * ys];
                if (k == key) {
                    ++len;
                } else {
                    if (!table.add(key, len)) return Status::bad_alloc;
                    key = k;
                    len = 1;
                }
            }
        }
        if (!table.add(key, len)) return Status::bad_alloc;
    }
    return table.take(keys, counts) ? Status::ok : Status::bad_alloc;
}

template Status pair_table<uint8_t>(View2D<const uint8_t>, View2D<const uint8_t>, RunBuf<uint64_t>&,
                                    RunBuf<uint64_t>&) noexcept;
template Status pair_table<uint16_t>(View2D<const uint16_t>, View2D<const uint16_t>, RunBuf<uint64_t>&,
                                     RunBuf<uint64_t>&) noexcept;
template Status pair_table<uint32_t>(View2D<const uint32_t>, View2D<const uint32_t>, RunBuf<uint64_t>&,
                                     RunBuf<uint64_t>&) noexcept;

// ---- boundary ----------------------------------------------------------------------

namespace {

// Walks one column at a time through sorted foreground intervals of the
// column-major flattening, writing a column's set rows (within [y0, y1), shrunk
// by `shrink` at both ends of each piece) into a byte column of y1 - y0 rows.
struct ColumnReader {
    const uint64_t* iv;
    int64_t n, k = 0;
    uint64_t h;
    void fill(int64_t c, int64_t y0, int64_t y1, int64_t shrink, uint8_t* col) noexcept {
        std::memset(col, 0, static_cast<size_t>(y1 - y0));
        const uint64_t lo = static_cast<uint64_t>(c) * h, hi = lo + h;
        while (k < n && iv[2 * k + 1] <= lo) ++k;
        for (int64_t j = k; j < n && iv[2 * j] < hi; ++j) {
            int64_t r0 = static_cast<int64_t>(std::max(iv[2 * j], lo) - lo) + shrink;
            int64_t r1 = static_cast<int64_t>(std::min(iv[2 * j + 1], hi) - lo) - shrink;
            r0 = std::max(r0, y0);
            r1 = std::min(r1, y1);
            if (r0 < r1) std::memset(col + (r0 - y0), 1, static_cast<size_t>(r1 - r0));
        }
    }
};

}  // namespace

template <class T>
Status boundary(const T* counts, int64_t n, int64_t h, int64_t w, int64_t d, RunBuf<T>& out) noexcept {
    const uint64_t total = static_cast<uint64_t>(h) * static_cast<uint64_t>(w);
    int64_t box[4];
    const rle::Foreground f = rle::scan_foreground<T>(counts, n, h, w, box, nullptr);
    RunBuf<uint64_t> iv, res;
    if (f.area == 0) return rle::intervals_to_counts<T>(nullptr, 0, total, out);
    if (Status s = rle::foreground_intervals<T>(counts, n, iv); s != Status::ok) return s;
    const int64_t niv = iv.size / 2;
    const int64_t x0 = box[0], x1 = box[0] + box[2], y0 = box[1], y1 = box[1] + box[3], bh = y1 - y0, bw = x1 - x0;
    // A radius past the box's width and height erodes everything, as any larger one:
    // clamping keeps the column numbers (relative to x0 - 1) in int32.
    d = std::min(d, bw + bh);
    if (bw + 2 * d + 2 > INT32_MAX) return Status::overflow;
    // Scratch: V column, M column, B column (bytes, 8 spare for word reads) and lz
    // (int32, columns counted from x0 - 1) per row.
    RunBuf<uint8_t> cols;
    RunBuf<int32_t> lz;
    if (!cols.reserve_more(3 * bh + 8) || !lz.reserve_more(bh) || !res.reserve_more(2 * niv + 2))
        return Status::bad_alloc;
    uint8_t *vcol = cols.data, *mcol = cols.data + bh, *bcol = cols.data + 2 * bh;
    std::memset(bcol + bh, 0, 8);
    int32_t* last_zero = lz.data;
    for (int64_t r = 0; r < bh; ++r) last_zero[r] = 0;
    const Kernels& k = kernels();
    ColumnReader lead{iv.data, niv, 0, static_cast<uint64_t>(h)}, lag{iv.data, niv, 0, static_cast<uint64_t>(h)};
    for (int64_t c = x0; c < x1 + d; ++c) {
        const int32_t rel = static_cast<int32_t>(c - x0 + 1);
        const int64_t cc = c - d;
        if (cc < x0) {  // the window has not reached the first output column: lz only
            lead.fill(c, y0, y1, d, vcol);
            for (int64_t r = 0; r < bh; ++r) last_zero[r] = vcol[r] ? last_zero[r] : rel;
            continue;
        }
        if (c < x1) lead.fill(c, y0, y1, d, vcol);
        lag.fill(cc, y0, y1, 0, mcol);
        k.boundary_column(c < x1 ? vcol : nullptr, mcol, last_zero, bh, rel, rel - static_cast<int32_t>(2 * d), bcol);
        // Emit the column's boundary rows as intervals (skipping zero bytes 8 at a time),
        // joining one that touches the last.
        const uint64_t base = static_cast<uint64_t>(cc) * static_cast<uint64_t>(h) + static_cast<uint64_t>(y0);
        for (int64_t r = 0; r < bh;) {
            uint64_t word;
            std::memcpy(&word, bcol + r, 8);
            if (word == 0) {
                r += 8;
                continue;
            }
            if (!bcol[r]) {
                ++r;
                continue;
            }
            int64_t e = r + 1;
            while (e < bh && bcol[e]) ++e;
            const uint64_t s0 = base + static_cast<uint64_t>(r), e0 = base + static_cast<uint64_t>(e);
            if (res.size && res.data[res.size - 1] == s0) {
                res.data[res.size - 1] = e0;
            } else {
                if (!res.reserve_more(2)) return Status::bad_alloc;
                res.push_unchecked(s0);
                res.push_unchecked(e0);
            }
            r = e;
        }
    }
    return rle::intervals_to_counts<T>(res.data, res.size / 2, total, out);
}

template Status boundary<uint32_t>(const uint32_t*, int64_t, int64_t, int64_t, int64_t, RunBuf<uint32_t>&) noexcept;
template Status boundary<uint64_t>(const uint64_t*, int64_t, int64_t, int64_t, int64_t, RunBuf<uint64_t>&) noexcept;

}  // namespace maskcore::metrics
