// csrc/raster/scan_common.hpp — what every scan of scan.hpp shares: exact integer helpers,
// the coordinate check, span lists (normalize, push_span), the order in which items
// start (RowOrder), the active list (advance_active) and the row driver (drive).
// Internal to csrc/raster (scan.cpp, stroke.cpp); unnamed namespace, as when these
// lived in scan.cpp: each includer gets its own copy, inlined as before.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../common/thread_scratch.hpp"
#include "scan.hpp"

namespace maskcore::raster {
namespace {

using i128 = __int128;

inline i128 floor_div(i128 a, i128 b) noexcept {  // b > 0
    i128 q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}
inline i128 ceil_div(i128 a, i128 b) noexcept { return -floor_div(-a, b); }
inline int64_t clamp64(int64_t v, int64_t lo, int64_t hi) noexcept { return v < lo ? lo : (v > hi ? hi : v); }

Status check_coordinates(const double* xy, int64_t n, ErrorInfo& err) noexcept {
    for (int64_t i = 0; i < n; ++i) {
        if (!(std::fabs(xy[i]) <= kMaxCoordinate)) {  // also NaN
            err.index = i;
            return Status::invalid_value;
        }
    }
    return Status::ok;
}

// Sorts [a, b) pairs by a and merges overlapping or touching ones, in place; returns
// the number of pairs left.
int64_t normalize(int64_t* s, int64_t n) noexcept {
    if (n <= 1) return n;
    struct P { int64_t a, b; };
    P* p = reinterpret_cast<P*>(s);
    if (n <= 16) {
        for (int64_t i = 1; i < n; ++i) {
            const P v = p[i];
            int64_t j = i;
            for (; j > 0 && p[j - 1].a > v.a; --j) p[j] = p[j - 1];
            p[j] = v;
        }
    } else {
        std::sort(p, p + n, [](const P& x, const P& y) { return x.a < y.a; });
    }
    int64_t m = 0;
    for (int64_t i = 1; i < n; ++i) {
        if (p[i].a <= p[m].b) {
            p[m].b = std::max(p[m].b, p[i].b);
        } else {
            p[++m] = p[i];
        }
    }
    return m + 1;
}

// Appends [a, b) clipped to [0, w) when non-empty.
inline bool push_span(RunBuf<int64_t>& out, int64_t a, int64_t b, int64_t w) noexcept {
    a = a < 0 ? 0 : a;
    b = b > w ? w : b;
    if (a >= b) return true;
    if (!out.reserve_more(2)) return false;
    out.push_unchecked(a);
    out.push_unchecked(b);
    return true;
}

// The items of a scan in order of first row (r_begin), as indices: order[next..) are not
// active yet. Sorted (stable) by a counting sort when the rows spanned are few for the
// count (polygon edges: a few per row; the center kernel on 2,000 edges over 1,900 rows:
// 81 -> 69 us, one loaded run), else by std::stable_sort. Indices, not the items, move: a
// copy of an inclusive edge (152 bytes) compiles to `rep movs`, slow to start (GCC 12:
// 6% of the kernel on 200 edges). The scans' output never depends on the order of items
// that start on the same row (their active lists are re-sorted by crossing, ties give the
// same spans), so any order would do; stable keeps it deterministic.
struct RowOrder {
    RunBuf<uint32_t> order, hist;
    int64_t next = 0;
    MC_SCRATCH_BYTES(order, hist)

    template <class T>
    bool build(const RunBuf<T>& v) noexcept {
        return build(v, [](int64_t) { return true; });
    }
    // Only the items i with keep(i).
    template <class T, class Keep>
    bool build(const RunBuf<T>& v, Keep keep) noexcept {  // false: out of memory, or 2^32 items or more
        next = 0;
        order.size = hist.size = 0;
        if (v.size >= int64_t{UINT32_MAX} || !order.reserve_more(v.size)) return false;
        uint32_t* o = order.data;
        int64_t n = 0;
        for (int64_t i = 0; i < v.size; ++i)
            if (keep(i)) o[n++] = static_cast<uint32_t>(i);
        order.size = n;
        if (n == 0) return true;
        int64_t lo = v.data[o[0]].r_begin, hi = lo;
        for (int64_t i = 1; i < n; ++i) {
            lo = std::min(lo, v.data[o[i]].r_begin);
            hi = std::max(hi, v.data[o[i]].r_begin);
        }
        const int64_t span = hi - lo + 1;  // r_begin within [0, 2^31)
        if (n < 16 || span > 4 * n + 1024) {
            std::stable_sort(o, o + n, [&v](uint32_t a, uint32_t b) { return v.data[a].r_begin < v.data[b].r_begin; });
            return true;
        }
        if (!hist.reserve_more(span + 1) || !order.reserve_more(n)) return false;
        o = order.data;
        uint32_t* const t = o + n;  // the kept indices, then sorted back into o
        std::copy(o, o + n, t);
        uint32_t* hs = hist.data;
        std::fill(hs, hs + span + 1, 0u);
        for (int64_t i = 0; i < n; ++i) ++hs[v.data[t[i]].r_begin - lo + 1];
        for (int64_t r = 0; r < span; ++r) hs[r + 1] += hs[r];
        for (int64_t i = 0; i < n; ++i) o[hs[v.data[t[i]].r_begin - lo]++] = t[i];
        return true;
    }
    // The first row of the next item to activate (INT64_MAX: none left).
    template <class T>
    int64_t first(const RunBuf<T>& v) const noexcept {
        return next < order.size ? v.data[order.data[next]].r_begin : INT64_MAX;
    }
};

// Moves a scan's active list to row r: drops the items whose rows have ended and appends those
// that start at r (in the order of q). The list holds the items themselves or, for items that
// change in place as rows pass, their indices.
template <class A, class Item>
bool advance_active(RunBuf<A>& active, const RunBuf<Item>& items, RowOrder& q, int64_t r) noexcept {
    constexpr bool by_index = std::is_integral_v<A>;
    int64_t m = 0;
    for (int64_t i = 0; i < active.size; ++i) {
        const A& a = active.data[i];
        int64_t end;
        if constexpr (by_index) end = items.data[a].r_end;
        else end = a.r_end;
        if (end > r) active.data[m++] = a;
    }
    active.size = m;
    for (; q.next < q.order.size && items.data[q.order.data[q.next]].r_begin <= r; ++q.next) {
        const uint32_t k = q.order.data[q.next];
        bool ok;
        if constexpr (by_index) ok = active.push(static_cast<A>(k));
        else ok = active.push(items.data[k]);
        if (!ok) return false;
    }
    return true;
}

// Feeds rows from the first to the last row any producer has, normalized, to the sink.
template <class Producer>
Status drive(Producer& p, int64_t h, int64_t w, bool merge, RunBuf<int64_t>& spans, RowSink& sink) noexcept {
    merge = merge && sink.wants_disjoint();
    int64_t r = p.next_row();
    while (r < h) {
        spans.size = 0;
        if (!p.row(r, w, spans)) return Status::bad_alloc;
        const int64_t n = merge ? normalize(spans.data, spans.size / 2) : spans.size / 2;
        if (n) sink.row(r, spans.data, n);
        const int64_t nr = p.next_row();
        r = nr < 0 ? r + 1 : std::max(nr, r + 1);
    }
    return Status::ok;
}

}  // namespace
}  // namespace maskcore::raster
