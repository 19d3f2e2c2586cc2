// csrc/raster/stroke.cpp — thick polylines (stroke_rows, scan.hpp STROKES): per row, the
// x-interval of every segment's capsule, driven like the polygon scans.
#include <algorithm>
#include <cmath>

#include "scan.hpp"
#include "scan_common.hpp"

namespace maskcore::raster {
namespace {

// ---- strokes ---------------------------------------------------------------------------
struct Seg {
    double x0, y0, x1, y1;
    int64_t r_begin, r_end;
};

// The x-interval of {q on the line y = yc : dist(q, segment) <= R}; false if empty.
bool capsule_interval(const Seg& s, double yc, double R, double& lo, double& hi) noexcept {
    lo = std::numeric_limits<double>::infinity();
    hi = -lo;
    auto disc = [&](double px, double py) {
        const double dy = yc - py, t = R * R - dy * dy;
        if (t >= 0) {
            const double q = std::sqrt(t);
            lo = std::min(lo, px - q);
            hi = std::max(hi, px + q);
        }
    };
    disc(s.x0, s.y0);
    disc(s.x1, s.y1);
    const double dx = s.x1 - s.x0, dy = s.y1 - s.y0, L = dx * dx + dy * dy;
    if (L > 0) {
        double a = -std::numeric_limits<double>::infinity(), b = -a;
        auto clip = [&](double coef, double c, double vlo, double vhi) {  // vlo <= coef u + c <= vhi, u = x - x0
            if (coef == 0) {
                if (c < vlo || c > vhi) b = -std::numeric_limits<double>::infinity();
                return;
            }
            double u0 = (vlo - c) / coef, u1 = (vhi - c) / coef;
            if (u0 > u1) std::swap(u0, u1);
            a = std::max(a, u0);
            b = std::min(b, u1);
        };
        const double ey = yc - s.y0, RS = R * std::sqrt(L);
        clip(dx, ey * dy, 0.0, L);       // 0 <= (q - p0).d <= |d|^2
        clip(-dy, dx * ey, -RS, RS);     // |d x (q - p0)| <= R |d|
        if (a <= b) {
            lo = std::min(lo, s.x0 + a);
            hi = std::max(hi, s.x0 + b);
        }
    }
    return lo <= hi;
}

struct StrokeScan {
    RunBuf<Seg> segs, active;
    RowOrder queue;
    MC_SCRATCH_BYTES(segs, active, queue)
    double R = 0;
    int64_t next_row() const noexcept {
        if (active.size) return -1;
        return queue.first(segs);
    }
    bool row(int64_t r, int64_t w, RunBuf<int64_t>& out) noexcept {
        if (!advance_active(active, segs, queue, r)) return false;
        const double yc = static_cast<double>(r) + 0.5;
        for (int64_t i = 0; i < active.size; ++i) {
            double lo, hi;
            if (!capsule_interval(active.data[i], yc, R, lo, hi)) continue;
            const double a = std::ceil(lo - 0.5), b = std::floor(hi - 0.5) + 1;  // |values| < 2^41
            if (!push_span(out, static_cast<int64_t>(a), static_cast<int64_t>(b), w)) return false;
        }
        return true;
    }
};
// Per-thread scratch, leased once per kernel call (see scan.cpp).
struct StrokeScratch {
    StrokeScan stroke;
    RunBuf<int64_t> spans;
    MC_SCRATCH_BYTES(stroke, spans)
};
}  // namespace

Status stroke_rows(const double* xy, int64_t n, double width, int64_t h, int64_t w, RowSink& sink,
                   ErrorInfo& err) noexcept {
    if (h < 0 || w < 0 || n < 0) return Status::invalid_argument;
    if (h >= (int64_t{1} << 31) || w >= (int64_t{1} << 31)) return Status::overflow;
    if (Status s = check_coordinates(xy, 2 * n, err); s != Status::ok) return s;
    if (!(width >= 0 && width <= kMaxCoordinate)) {
        err.index = -1;
        return Status::invalid_argument;
    }
    if (h == 0 || w == 0 || n == 0) return Status::ok;
    ScratchLease<StrokeScratch> lease;
    StrokeScratch& sc = *lease;
    StrokeScan& scan = sc.stroke;
    scan.segs.size = 0;
    scan.active.size = 0;
    scan.R = width / 2;
    const int64_t nseg = n == 1 ? 1 : n - 1;
    for (int64_t i = 0; i < nseg; ++i) {
        const int64_t j = n == 1 ? 0 : i + 1;
        Seg s{xy[2 * i], xy[2 * i + 1], xy[2 * j], xy[2 * j + 1], 0, 0};
        const double ylo = std::min(s.y0, s.y1) - scan.R, yhi = std::max(s.y0, s.y1) + scan.R;
        s.r_begin = clamp64(static_cast<int64_t>(std::ceil(ylo - 0.5)), 0, h);
        s.r_end = clamp64(static_cast<int64_t>(std::floor(yhi - 0.5)) + 1, 0, h);
        if (s.r_begin < s.r_end && !scan.segs.push(s)) return Status::bad_alloc;
    }
    if (!scan.queue.build(scan.segs)) return Status::bad_alloc;
    return drive(scan, h, w, true, sc.spans, sink);
}

}  // namespace maskcore::raster
