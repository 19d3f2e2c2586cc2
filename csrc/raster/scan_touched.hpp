// csrc/raster/scan_touched.hpp — the touched rule (scan.hpp): the centre spans of the fill
// rule united with the squares every closed edge segment meets. Included by scan.cpp only.
#pragma once
#include "scan_center.hpp"

namespace maskcore::raster {
namespace {

// ---- touched: squares met by closed edge segments --------------------------------------
struct TEdge {
    int64_t X0, Y0, X1, Y1;  // Y0 <= Y1
    int64_t r_begin, r_end;
};

bool touch_edge(int64_t X0, int64_t Y0, int64_t X1, int64_t Y1, int64_t h, RunBuf<TEdge>& out) noexcept {
    if (Y0 > Y1) {
        std::swap(X0, X1);
        std::swap(Y0, Y1);
    }
    // Rows whose closed band [256 r, 256 r + 256] meets [Y0, Y1].
    int64_t rb = static_cast<int64_t>(ceil_div(Y0, 256)) - 1;
    int64_t re = static_cast<int64_t>(floor_div(Y1, 256)) + 1;
    rb = rb < 0 ? 0 : rb;
    re = re > h ? h : re;
    if (rb >= re) return true;
    return out.push(TEdge{X0, Y0, X1, Y1, rb, re});
}

bool touch_span(const TEdge& e, int64_t r, int64_t w, RunBuf<int64_t>& out) noexcept {
    i128 lo, hi, den;
    if (e.Y0 == e.Y1) {
        lo = std::min(e.X0, e.X1);
        hi = std::max(e.X0, e.X1);
        den = 1;
    } else {
        const int64_t dY = e.Y1 - e.Y0, dX = e.X1 - e.X0;
        const int64_t ya = std::max<int64_t>(256 * r, e.Y0), yb = std::min<int64_t>(256 * r + 256, e.Y1);
        const i128 na = static_cast<i128>(e.X0) * dY + static_cast<i128>(ya - e.Y0) * dX;
        const i128 nb = static_cast<i128>(e.X0) * dY + static_cast<i128>(yb - e.Y0) * dX;
        lo = na < nb ? na : nb;
        hi = na < nb ? nb : na;
        den = dY;
    }
    // Columns c with 256 c <= hi / den and 256 c + 256 >= lo / den.
    const i128 c0 = ceil_div(lo, den * 256) - 1, c1 = floor_div(hi, den * 256);
    const int64_t a = c0 < 0 ? 0 : (c0 > w ? w : static_cast<int64_t>(c0));
    const int64_t b = c1 + 1 < 0 ? 0 : (c1 + 1 > w ? w : static_cast<int64_t>(c1 + 1));
    return push_span(out, a, b, w);
}

// touched = center spans of the fill rule + squares met by the edges.
struct TouchedScan {
    CenterScan center;
    RunBuf<TEdge> edges, active;
    RowOrder queue;
    MC_SCRATCH_BYTES(center, edges, active, queue)
    bool start() noexcept {
        active.size = 0;
        return center.start() && queue.build(edges);
    }
    int64_t next_row() const noexcept {
        const int64_t c = center.next_row();
        if (c < 0 || active.size) return -1;
        return std::min(c, queue.first(edges));
    }
    bool row(int64_t r, int64_t w, RunBuf<int64_t>& out) noexcept {
        if (!center.row(r, w, out)) return false;
        if (!advance_active(active, edges, queue, r)) return false;
        for (int64_t i = 0; i < active.size; ++i)
            if (!touch_span(active.data[i], r, w, out)) return false;
        return true;
    }
};

}  // namespace
}  // namespace maskcore::raster
