// csrc/raster/sinks.cpp — the row sinks of scan.hpp: COCO counts (RleRows, RleCols), label-map
// painting (PaintRows, paint_mask), rasterize's writer (FillRows), colour images (ColorRows).
#include <algorithm>
#include <cstdint>

#include "scan.hpp"

namespace maskcore::raster {

template <class T>
void RleRows<T>::diff(int64_t r, const int64_t* spans, int64_t n) noexcept {
    // Columns in (prev xor spans) toggle at row r: merge the two sorted end point lists.
    merged.size = 0;
    if (!merged.reserve_more(prev.size + 2 * n)) {
        ok = false;
        return;
    }
    std::merge(prev.data, prev.data + prev.size, spans, spans + 2 * n, merged.data);
    merged.size = prev.size + 2 * n;
    int64_t cnt = 0;
    for (int64_t i = 0; i < merged.size; i += 2) cnt += merged.data[i + 1] - merged.data[i];
    if (!toggles.reserve_more(cnt)) {
        ok = false;
        return;
    }
    for (int64_t i = 0; i < merged.size; i += 2)
        for (int64_t c = merged.data[i]; c < merged.data[i + 1]; ++c)
            toggles.push_unchecked((static_cast<uint64_t>(c) << 32) | static_cast<uint64_t>(r));
    prev.size = 0;
    if (!prev.reserve_more(2 * n)) {
        ok = false;
        return;
    }
    std::copy(spans, spans + 2 * n, prev.data);
    prev.size = 2 * n;
}

template <class T>
void RleRows<T>::row(int64_t r, const int64_t* spans, int64_t n) noexcept {
    if (!ok) return;
    if (prev.size && r > prev_row + 1) diff(prev_row + 1, nullptr, 0);  // an empty row between
    diff(r, spans, n);
    prev_row = r;
}

template <class T>
Status RleRows<T>::finish(RunBuf<T>& counts) noexcept {
    if (ok && prev.size) diff(prev_row + 1, nullptr, 0);
    if (!ok) return Status::bad_alloc;
    uint64_t* k = toggles.data;
    const int64_t n = toggles.size;
    // Sort by column, stable in row (rows were emitted in increasing order).
    if (n > 1) {
        uint64_t cmin = k[0] >> 32, cmax = cmin;
        for (int64_t i = 1; i < n; ++i) {
            const uint64_t c = k[i] >> 32;
            cmin = c < cmin ? c : cmin;
            cmax = c > cmax ? c : cmax;
        }
        const int64_t span = static_cast<int64_t>(cmax - cmin) + 1;
        if (span <= 2 * n + 64) {
            RunBuf<uint32_t> hist;
            RunBuf<uint64_t> tmp;
            if (!hist.reserve_more(span + 1) || !tmp.reserve_more(n)) return Status::bad_alloc;
            std::fill(hist.data, hist.data + span + 1, 0u);
            for (int64_t i = 0; i < n; ++i) ++hist.data[(k[i] >> 32) - cmin + 1];
            for (int64_t c = 0; c < span; ++c) hist.data[c + 1] += hist.data[c];
            for (int64_t i = 0; i < n; ++i) tmp.data[hist.data[(k[i] >> 32) - cmin]++] = k[i];
            std::swap(toggles.data, tmp.data);
            std::swap(toggles.cap, tmp.cap);
            k = toggles.data;
        } else {
            std::sort(k, k + n);
        }
    }
    const uint64_t total = static_cast<uint64_t>(h) * static_cast<uint64_t>(w);
    if (!counts.reserve_more(n + 1)) return Status::bad_alloc;
    uint64_t prev_index = 0;
    const uint64_t hh = static_cast<uint64_t>(h);
    for (int64_t i = 0; i < n;) {
        const uint64_t p = (k[i] >> 32) * hh + (k[i] & 0xffffffffu);
        int64_t j = i + 1;
        while (j < n && (k[j] >> 32) * hh + (k[j] & 0xffffffffu) == p) ++j;
        if (((j - i) & 1) && p < total) {
            counts.push_unchecked(static_cast<T>(p - prev_index));
            prev_index = p;
        }
        i = j;
    }
    counts.push_unchecked(static_cast<T>(total - prev_index));
    return Status::ok;
}

template <class T>
void RleCols<T>::row(int64_t c, const int64_t* spans, int64_t n) noexcept {
    if (!ok) return;
    const uint64_t base = static_cast<uint64_t>(c) * static_cast<uint64_t>(h);
    if (!counts.reserve_more(2 * n + 2)) {
        ok = false;
        return;
    }
    for (int64_t i = 0; i < n; ++i) {
        const uint64_t st = base + static_cast<uint64_t>(spans[2 * i]), en = base + static_cast<uint64_t>(spans[2 * i + 1]);
        if (pending && st == e) {  // continues across the column boundary
            e = en;
            continue;
        }
        if (pending) {
            counts.push_unchecked(static_cast<T>(s - pos));
            counts.push_unchecked(static_cast<T>(e - s));
            pos = e;
        }
        s = st;
        e = en;
        pending = true;
    }
}

template <class T>
Status RleCols<T>::finish() noexcept {
    if (!ok || !counts.reserve_more(3)) return Status::bad_alloc;
    if (pending) {
        counts.push_unchecked(static_cast<T>(s - pos));
        counts.push_unchecked(static_cast<T>(e - s));
        pos = e;
    }
    counts.push_unchecked(static_cast<T>(static_cast<uint64_t>(h) * static_cast<uint64_t>(w) - pos));
    return Status::ok;
}

namespace {
inline bool is_locked(uint64_t v, const uint64_t* locked, int64_t n) noexcept {
    if (n <= 8) {
        for (int64_t i = 0; i < n; ++i)
            if (locked[i] == v) return true;
        return false;
    }
    return std::binary_search(locked, locked + n, v);
}
}  // namespace

template <class T>
void PaintRows<T>::row(int64_t r, const int64_t* spans, int64_t n) noexcept {
    bool locks_fit = true;  // every lock is a value of T (the bindings pass T's bit patterns)
    for (int64_t k = 0; k < n_locked && k < 4; ++k) locks_fit &= static_cast<uint64_t>(static_cast<T>(locked[k])) == locked[k];
    for (int64_t i = 0; i < n; ++i) {
        const int64_t a = spans[2 * i], b = spans[2 * i + 1];
        T* p = img.at(r, a);
        const int64_t cs = img.col_stride;
        if (over && n_locked == 0) {
            if (cs == 1) {
                std::fill(p, p + (b - a), value);
            } else {
                for (int64_t c = a; c < b; ++c, p += cs) *p = value;
            }
            continue;
        }
        if (cs == 1 && n_locked <= 4 && locks_fit) {
            // Up to four locks (the editor's usual case), without branches so the loop
            // vectorizes: missing locks are `value` itself (rewriting it changes nothing).
            // Locals (not members) for everything the loop reads: a store through p
            // could otherwise alias `value`, and GCC would not vectorize.
            const T val = value, l0 = n_locked > 0 ? static_cast<T>(locked[0]) : val,
                    l1 = n_locked > 1 ? static_cast<T>(locked[1]) : val, l2 = n_locked > 2 ? static_cast<T>(locked[2]) : val,
                    l3 = n_locked > 3 ? static_cast<T>(locked[3]) : val;
            const T any = over ? T(~T(0)) : T(0);  // over: every value passes the mode test
            T* MC_RESTRICT q = p;
            const int64_t len = b - a;
            for (int64_t c = 0; c < len; ++c) {
                const T v = q[c];
                const bool ok = ((v & ~any) == 0) & (v != l0) & (v != l1) & (v != l2) & (v != l3);
                q[c] = ok ? val : v;
            }
            continue;
        }
        for (int64_t c = a; c < b; ++c, p += cs) {
            const T v = *p;
            if ((over || v == 0) && !is_locked(v, locked, n_locked)) *p = value;
        }
    }
}

template <class T>
void PaintRows<T>::runs(const int64_t* rab, int64_t n) noexcept {
    if (!over || n_locked) {  // the lock rule, pixel by pixel
        RowSink::runs(rab, n);
        return;
    }
    // Line runs are short (a few pixels): a plain store loop beats a memset call each
    // (the strided form keeps GCC from turning it into one).
    const int64_t cs = img.col_stride;
    for (int64_t i = 0; i < n; ++i, rab += 3) {
        T* p = img.at(rab[0], rab[1]);
        const int64_t len = rab[2] - rab[1];
        if (cs == 1 && len > 32) {
            std::fill(p, p + len, value);
        } else {
            for (int64_t k = 0; k < len; ++k) p[k * cs] = value;
        }
    }
}

template <class T>
void PaintRows<T>::rows(int64_t r0, int64_t m, const int64_t* spans, int64_t stride, const int64_t* cnt) noexcept {
    if (!over || n_locked || img.col_stride != 1) {
        RowSink::rows(r0, m, spans, stride, cnt);
        return;
    }
    for (int64_t i = 0; i < m; ++i, spans += stride) {
        T* const p = img.at(r0 + i, 0);
        for (int64_t j = 0; j < cnt[i]; ++j) std::fill(p + spans[2 * j], p + spans[2 * j + 1], value);
    }
}

template <class T>
void FillRows<T>::fill(T* p, int64_t n, T v) noexcept {
    if (img.col_stride == 1) {
        std::fill(p, p + n, v);
    } else {
        for (int64_t i = 0; i < n; ++i, p += img.col_stride) *p = v;
    }
}

template <class T>
void FillRows<T>::put(int64_t base, const int64_t* spans, int64_t n) noexcept {
    T* const d = img.data;
    if (chunked) {  // zeros for this row and the next kBatchRows - 1 (one fill), then the spans
        if (base + img.cols > next) {
            const int64_t end = std::min(img.rows * img.cols, base + kBatchRows * img.cols);
            std::fill(d + next, d + end, T{0});
            next = end;
        }
        for (int64_t i = 0; i < n; ++i) std::fill(d + base + spans[2 * i], d + base + spans[2 * i + 1], value);
        return;
    }
    // Zeros from `next` up to each span, then the span: spans in any order and
    // overlapping are fine, as `next` only grows (a pixel before it that no span holds
    // lay in the gap before the first span that ended beyond it).
    int64_t nx = next;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t a = base + spans[2 * i], b = base + spans[2 * i + 1];
        if (a > nx) std::fill(d + nx, d + a, T{0});
        std::fill(d + a, d + b, value);
        nx = b > nx ? b : nx;
    }
    next = nx;
}

template <class T>
void FillRows<T>::row(int64_t r, const int64_t* spans, int64_t n) noexcept {
    if (linear) {
        put(r * img.cols, spans, n);
        return;
    }
    for (; next < r; ++next) fill(img.at(next, 0), img.cols, T{0});
    int64_t c = 0;
    for (int64_t i = 0; i < n; ++i) {
        fill(img.at(r, c), spans[2 * i] - c, T{0});
        fill(img.at(r, spans[2 * i]), spans[2 * i + 1] - spans[2 * i], value);
        c = spans[2 * i + 1];
    }
    fill(img.at(r, c), img.cols - c, T{0});
    next = r + 1;
}

template <class T>
void FillRows<T>::rows(int64_t r0, int64_t m, const int64_t* spans, int64_t stride, const int64_t* cnt) noexcept {
    if (!linear) {
        RowSink::rows(r0, m, spans, stride, cnt);
        return;
    }
    for (int64_t i = 0; i < m; ++i, spans += stride) put((r0 + i) * img.cols, spans, cnt[i]);
}

template <class T>
void FillRows<T>::runs(const int64_t* rab, int64_t n) noexcept {
    if (!linear) {
        RowSink::runs(rab, n);
        return;
    }
    finish();  // the rows are done: runs come last, in any order
    T* const d = img.data;
    for (int64_t i = 0; i < n; ++i, rab += 3) {
        T* p = d + rab[0] * img.cols + rab[1];
        const int64_t len = rab[2] - rab[1];
        if (len > 32) {
            std::fill(p, p + len, value);
        } else {  // short line runs: a store loop beats a memset call each
            for (int64_t k = 0; k < len; ++k) {
                asm("" : "+r"(p));  // kept a loop, not turned into a memset call
                p[k] = value;
            }
        }
    }
}

template <class T>
void FillRows<T>::finish() noexcept {
    if (linear) {
        const int64_t total = img.rows * img.cols;
        std::fill(img.data + next, img.data + total, T{0});
        next = total;
        return;
    }
    for (; next < img.rows; ++next) fill(img.at(next, 0), img.cols, T{0});
}

template <class T>
void ColorRows<T>::row(int64_t r, const int64_t* spans, int64_t n) noexcept {
    for (int64_t i = 0; i < n; ++i) {
        T* p = data + r * rstride + spans[2 * i] * cstride;
        for (int64_t c = spans[2 * i]; c < spans[2 * i + 1]; ++c, p += cstride)
            for (int64_t k = 0; k < channels; ++k) p[k * chstride] = color[k];
    }
}

template <class T>
Status paint_mask(View2D<T> img, View2D<const uint8_t> mask, T value, bool over, const uint64_t* locked,
                  int64_t n_locked) noexcept {
    if (img.rows != mask.rows || img.cols != mask.cols) return Status::size_mismatch;
    for (int64_t r = 0; r < img.rows; ++r) {
        const uint8_t* m = mask.at(r, 0);
        T* p = img.at(r, 0);
        for (int64_t c = 0; c < img.cols; ++c, m += mask.col_stride, p += img.col_stride) {
            if (!*m) continue;
            const T v = *p;
            if ((over || v == 0) && !is_locked(v, locked, n_locked)) *p = value;
        }
    }
    return Status::ok;
}

template struct RleRows<uint32_t>;
template struct RleRows<uint64_t>;
template struct RleCols<uint32_t>;
template struct RleCols<uint64_t>;
template struct PaintRows<uint8_t>;
template struct PaintRows<uint16_t>;
template struct PaintRows<uint32_t>;
template struct PaintRows<uint64_t>;
template struct FillRows<uint8_t>;
template struct FillRows<uint16_t>;
template struct FillRows<uint32_t>;
template struct FillRows<uint64_t>;
template struct ColorRows<uint8_t>;
template struct ColorRows<uint16_t>;
template struct ColorRows<uint32_t>;
template struct ColorRows<uint64_t>;
template Status paint_mask<uint8_t>(View2D<uint8_t>, View2D<const uint8_t>, uint8_t, bool, const uint64_t*, int64_t) noexcept;
template Status paint_mask<uint16_t>(View2D<uint16_t>, View2D<const uint8_t>, uint16_t, bool, const uint64_t*, int64_t) noexcept;
template Status paint_mask<uint32_t>(View2D<uint32_t>, View2D<const uint8_t>, uint32_t, bool, const uint64_t*, int64_t) noexcept;
template Status paint_mask<uint64_t>(View2D<uint64_t>, View2D<const uint8_t>, uint64_t, bool, const uint64_t*, int64_t) noexcept;

}  // namespace maskcore::raster
