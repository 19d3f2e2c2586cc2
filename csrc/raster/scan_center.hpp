// csrc/raster/scan_center.hpp — the centre rule (scan.hpp): edges snapped to 1/256 pixel,
// crossings stepped by an exact integer DDA, the active-edge walk under the fill rule.
// Included by scan.cpp only (and through scan_touched.hpp).
#pragma once
#include "scan_common.hpp"

namespace maskcore::raster {
namespace {

// ---- center: crossings stepped by an exact integer DDA ------------------------------

struct CEdge {
    int64_t r_begin, r_end;  // rows [r_begin, r_end) within [0, h)
    int64_t q, rem;          // column ceil(N / D) of the current row, N - (q - 1) D - ... see step()
    int64_t sq, sr, D;       // per-row step of N: sq D + sr, 0 <= sr < D
    int dir;                 // +1 when the edge goes down (y grows), -1 up
    void step() noexcept {
        q += sq;
        rem += sr;
        if (rem >= D) {
            rem -= D;
            ++q;
        }
    }
};

// Round to nearest, ties to even, without a libm call: adding and subtracting 1.5 * 2^52
// leaves the integer part in a double's mantissa (exact for |256 v| <= 2^48 < 2^51; the
// default rounding mode; no contraction, setup.py: -ffp-contract=off).
inline int64_t round_even(double v) noexcept {  // |v| <= 2^51
    constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
    return static_cast<int64_t>((v + kMagic) - kMagic);  // not reassociated without -ffast-math
}
inline int64_t snap(double v) noexcept { return round_even(v * 256.0); }

// Edge (X0, Y0) -> (X1, Y1) in 1/256 pixel units; appended when it crosses a row centre.
// tie_by_slope: the transposed scan (scan.hpp, RLE), where a centre on the edge is in
// only when the edge leans left (X1 <= X0 going down): column floor(N / D) + 1 instead
// of ceil(N / D) when dX > 0.
bool center_edge(int64_t X0, int64_t Y0, int64_t X1, int64_t Y1, int64_t h, bool tie_by_slope,
                 RunBuf<CEdge>& out) noexcept {
    if (Y0 == Y1) return true;
    int dir = 1;
    if (Y0 > Y1) {
        std::swap(X0, X1);
        std::swap(Y0, Y1);
        dir = -1;
    }
    // Rows r with Y0 <= 256 r + 128 < Y1.
    int64_t rb = static_cast<int64_t>(ceil_div(Y0 - 128, 256));
    int64_t re = static_cast<int64_t>(ceil_div(Y1 - 128, 256));
    rb = rb < 0 ? 0 : rb;
    re = re > h ? h : re;
    if (rb >= re) return true;
    const int64_t dY = Y1 - Y0, dX = X1 - X0;
    CEdge e;
    e.r_begin = rb;
    e.r_end = re;
    e.dir = dir;
    e.D = 256 * dY;
    // N'(r) = (X0 - 128) dY + (256 r + 128 - Y0) dX + D - 1; column = floor(N' / D).
    const int64_t bias = (e.D - 1) + (tie_by_slope && dX > 0 ? 1 : 0);
    const int64_t lim = int64_t{1} << 30;  // then every product below fits int64: one idiv, no int128
    if (X0 > -lim && X0 < lim && X1 > -lim && X1 < lim && Y0 > -lim && Y0 < lim && Y1 > -lim && Y1 < lim &&
        rb < lim / 256) {
        const int64_t n0 = (X0 - 128) * dY + (256 * rb + 128 - Y0) * dX + bias;
        const int64_t q0 = n0 / e.D - (n0 % e.D != 0 && n0 < 0 ? 1 : 0);
        e.q = q0;
        e.rem = n0 - q0 * e.D;
        const int64_t st = 256 * dX;
        const int64_t sq = st / e.D - (st % e.D != 0 && st < 0 ? 1 : 0);
        e.sq = sq;
        e.sr = st - sq * e.D;
        return out.push(e);
    }
    const i128 n0 = static_cast<i128>(X0 - 128) * dY + static_cast<i128>(256 * rb + 128 - Y0) * dX + bias;
    const i128 q0 = floor_div(n0, e.D);
    e.q = static_cast<int64_t>(q0);
    e.rem = static_cast<int64_t>(n0 - q0 * e.D);
    const i128 st = static_cast<i128>(256) * dX;
    const i128 sq = floor_div(st, e.D);
    e.sq = static_cast<int64_t>(sq);
    e.sr = static_cast<int64_t>(st - sq * e.D);
    return out.push(e);
}

// The active-edge walk shared by the center rule (and the fill part of touched). The
// active list holds indices (4 bytes move in the insertion sort, not 64).
struct CenterScan {
    RunBuf<CEdge> edges;
    RunBuf<uint32_t> active;
    RowOrder queue;
    FillRule fill = FillRule::evenodd;
    MC_SCRATCH_BYTES(edges, active, queue)

    bool start() noexcept {
        active.size = 0;
        return queue.build(edges);
    }
    int64_t next_row() const noexcept {
        if (active.size) return -1;  // busy: the caller's current row
        return queue.first(edges);
    }
    // Appends the spans of row r (rows must come in increasing order) and steps.
    bool row(int64_t r, int64_t w, RunBuf<int64_t>& out) noexcept {
        if (!advance_active(active, edges, queue, r)) return false;
        CEdge* E = edges.data;
        uint32_t* a = active.data;
        const int64_t n = active.size;
        for (int64_t i = 1; i < n; ++i) {  // nearly sorted from the previous row
            const uint32_t v = a[i];
            const int64_t qv = E[v].q;
            if (E[a[i - 1]].q <= qv) continue;
            int64_t j = i;
            for (; j > 0 && E[a[j - 1]].q > qv; --j) a[j] = a[j - 1];
            a[j] = v;
        }
        if (!out.reserve_more(n)) return false;
        int wind = 0;
        int64_t start = 0;
        const bool evenodd = fill == FillRule::evenodd;
        for (int64_t i = 0; i < n; ++i) {
            CEdge& e = E[a[i]];
            const bool was = evenodd ? (wind & 1) : wind != 0;
            wind += evenodd ? 1 : e.dir;
            const bool is = evenodd ? (wind & 1) : wind != 0;
            if (!was && is) start = e.q;
            if (was && !is) {
                const int64_t lo = start < 0 ? 0 : start, hi = e.q > w ? w : e.q;
                if (lo < hi) {
                    out.push_unchecked(lo);
                    out.push_unchecked(hi);
                }
            }
            e.step();
        }
        return true;
    }
};

}  // namespace
}  // namespace maskcore::raster
