// csrc/raster/coco_poly.cpp — the "coco" polygon rule; see coco_poly.hpp for the rule,
// the algorithm and the limits.
#include "coco_poly.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "../common/thread_scratch.hpp"

namespace maskcore::raster {
namespace {

// a / 5 rounded down / up for |a| < 2^40 (fine coordinates are < 2^31): shifted to
// a non-negative dividend, so the division is a multiply and a shift.
constexpr int64_t kShift = int64_t{1} << 40;
inline int64_t floor_div5(int64_t a) noexcept {
    return static_cast<int64_t>(static_cast<uint64_t>(a + 5 * kShift) / 5u) - kShift;
}
inline int64_t ceil_div5(int64_t a) noexcept { return -floor_div5(-a); }

// pycocotools' two roundings, evaluated exactly as its C source writes them (one
// double operation at a time, truncated towards zero). Every value here is bounded
// by the coordinate limit, far inside the range where (int) and int64 agree.
inline int64_t fine(double v) noexcept { return static_cast<int64_t>(5.0 * v + 0.5); }
inline int64_t on_line(int64_t a, double s, int64_t t) noexcept {
    return static_cast<int64_t>(static_cast<double>(a) + s * static_cast<double>(t) + 0.5);
}

// Pixel row of a crossing whose upper fine point has y = Y: ceil((Y + .5) / 5 - .5)
// clipped to [0, h]. (Y + .5) / 5 - .5 == (Y - 2) / 5 is either an exact integer or
// at least 0.2 from one, so integer arithmetic gives the same ceiling.
inline int64_t crossing_row(int64_t Y, int64_t h) noexcept {
    if (Y <= 2) return 0;  // ceil((Y - 2) / 5) <= 0
    const int64_t r = static_cast<int64_t>((static_cast<uint64_t>(Y) + 2) / 5);  // Y - 2 > 0: ceil by +4
    return r > h ? h : r;
}

// One edge that crosses at least one pixel column centre, ready to walk from (xs, ys),
// the end with the smaller major coordinate: n steps along the major axis, the minor
// coordinate changing by d (signed) over them; it crosses the columns c0..c1 (clipped
// to [0, w)). pycocotools' slope is d / n.
struct Edge {
    int64_t xs, ys, n, d, c0, c1;
};

// Fine vertex: coordinates, and the first / last pixel column an edge can cross when
// this vertex is its left / right end (c0 > c1 for an edge between equal X).
struct Vertex {
    int64_t x, y, c0, c1;
};

// m ? x : y for a mask m of all ones or all zeros, without a branch.
inline int64_t pick(int64_t m, int64_t x, int64_t y) noexcept { return y ^ ((x ^ y) & m); }

// A y-major slot that no walk point lands on (X jumps over its column: rounding at
// ~2^26 only). Larger than every row, so it sorts last in its column.
constexpr uint32_t kNoRow = UINT32_MAX;

// Pass 2, x-major: walk point t has x = xs + t; the step t -> t + 1 crosses the centre
// of column c when xs + t == 5c + 2. The walk's y is monotone in t (each rounding
// is), so the smaller y of that step is at t going down and at t + 1 going up:
//   Y   = (int)(ys + s t + .5)             pycocotools' rounding (on_line), in int32
//   row = Y <= 2 ? 0 : min(h, (Y + 2) / 5)  crossing_row
// The rows are computed in blocks by a loop the compiler vectorizes (SSE2, the x86-64
// baseline: the same IEEE operations in the same order, so the same bits; every t is
// an integer < 2^33, exact; the row is branch-free), then each goes to its column's
// next slot, rows[pos[c]++] (pos already offset by the first column). Rows are < 2^29
// (|fine coordinates| < 2^31).
void walk_x(const Edge& e, int64_t h, int64_t* MC_RESTRICT p, uint32_t* MC_RESTRICT rows) noexcept {
    const double s = static_cast<double>(e.d) / static_cast<double>(e.n), ysd = static_cast<double>(e.ys);
    const int32_t hh = h < INT32_MAX ? static_cast<int32_t>(h) : INT32_MAX;
    const double tb = static_cast<double>(5 * e.c0 + 2 - e.xs) + (s < 0 ? 1.0 : 0.0);
    constexpr int64_t kBlock = 32;
    int32_t block[kBlock];
    for (int64_t cb = e.c0; cb <= e.c1; cb += kBlock) {
        const int32_t m = static_cast<int32_t>(std::min<int64_t>(kBlock, e.c1 - cb + 1));
        const double t0 = tb + 5.0 * static_cast<double>(cb - e.c0);
        for (int32_t i = 0; i < m; ++i) {
            const double t = t0 + 5.0 * static_cast<double>(i);
            const int32_t Y = static_cast<int32_t>(ysd + s * t + 0.5);
            const int32_t q = static_cast<int32_t>(static_cast<uint32_t>(Y + 2) / 5u);
            block[i] = std::min(q, hh) & -static_cast<int32_t>(Y > 2);
        }
        for (int32_t i = 0; i < m; ++i) rows[p[cb + i]++] = static_cast<uint32_t>(block[i]);
    }
}

// Pass 2, y-major: walk point t has y = ys + t and x = X(t) = on_line(xs, s, t),
// monotone in t with steps of at most 1 (|s| < 1; a step of 2 needs rounding at ~2^26
// and is handled exactly below). Going right, a step into X(t) = 5c + 3 crosses column
// c; going left, a step into X(t) = 5c + 2 does (pycocotools' xd is X(t) - 1, resp. X(t)).
void walk_y(const Edge& e, int64_t h, int64_t* MC_RESTRICT p, uint32_t* MC_RESTRICT rows) noexcept {
    const int64_t xs = e.xs, dy = e.n;
    const double s = static_cast<double>(e.d) / static_cast<double>(dy);
    const double inv_s = static_cast<double>(dy) / static_cast<double>(e.d);  // for guesses only
    const bool right = e.d > 0;
    for (int64_t c = e.c0; c <= e.c1; ++c) {
        const int64_t target = right ? 5 * c + 3 : 5 * c + 2;
        // First t with X(t) at or past target: solve xs + s t + .5 = 5c + 2.5 for a
        // guess (off by at most a step), then correct it against the exact expression.
        // X(0) is short of target and X(dy) past it, by the choice of c0, c1.
        const double r = (static_cast<double>(5 * c) + 2.5 - static_cast<double>(xs)) * inv_s;
        int64_t t = r <= 1.0 ? 1 : (r >= static_cast<double>(dy) ? dy : static_cast<int64_t>(r) + 1);  // ~ceil
        int64_t x = on_line(xs, s, t);
        if (right ? x >= target : x <= target) {
            for (; t > 1; --t) {
                const int64_t xp = on_line(xs, s, t - 1);
                if (right ? xp < target : xp > target) break;
                x = xp;
            }
        } else {
            while (t < dy && (right ? x < target : x > target)) x = on_line(xs, s, ++t);
        }
        rows[p[c]++] = x == target ? static_cast<uint32_t>(crossing_row(e.ys + t - 1, h)) : kNoRow;
    }
}

// Per-thread scratch memory of coco_polygon (csrc/common/thread_scratch.hpp).
struct PolyScratch {
    RunBuf<Vertex> verts;
    RunBuf<Edge> edges;  // x-major edges from the front, y-major from the back
    RunBuf<int64_t> pos;
    RunBuf<uint32_t> rows;
    MC_SCRATCH_BYTES(verts, edges, pos, rows)
};

// Sorts a column's few rows (usually 2 or 4).
inline void order(uint32_t& a, uint32_t& b) noexcept {
    const uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
    a = lo;
    b = hi;
}
inline void sort_rows(uint32_t* r, int64_t n) noexcept {
    if (n == 2) {
        order(r[0], r[1]);
        return;
    }
    if (n == 4) {  // a sorting network: branch-free
        order(r[0], r[1]);
        order(r[2], r[3]);
        order(r[0], r[2]);
        order(r[1], r[3]);
        order(r[1], r[2]);
        return;
    }
    if (n > 24) {
        std::sort(r, r + n);
        return;
    }
    for (int64_t i = 1; i < n; ++i) {
        const uint32_t v = r[i];
        int64_t j = i;
        for (; j > 0 && r[j - 1] > v; --j) r[j] = r[j - 1];
        r[j] = v;
    }
}

}  // namespace

template <class T>
Status coco_polygon(const double* xy, int64_t k, int64_t h, int64_t w, RunBuf<T>& out, ErrorInfo& err) noexcept {
    if (k < 0 || h < 0 || w < 0) return Status::invalid_argument;
    for (int64_t i = 0; i < 2 * k; ++i) {
        if (!(std::fabs(xy[i]) <= kCocoMaxCoordinate)) {  // also NaN
            err.index = i;
            return Status::invalid_value;
        }
    }
    if (h > 0 && w > INT64_MAX / h) return Status::overflow;
    const uint64_t total = static_cast<uint64_t>(h) * static_cast<uint64_t>(w);
    if (static_cast<T>(total) != total) return Status::overflow;
    if (total == 0 || k == 0) return out.push(static_cast<T>(total)) ? Status::ok : Status::bad_alloc;

    // Pass 1: the fine vertices, then the edges that cross a column centre (x-major ones
    // from the front of `edges`, y-major ones from the back, branch-free: the two kinds
    // are about equally common, in no predictable order) and the columns they span.
    ScratchLease<PolyScratch> lease;
    PolyScratch& scratch = *lease;
    RunBuf<Vertex>& verts = scratch.verts;
    RunBuf<Edge>& edges = scratch.edges;
    verts.size = edges.size = 0;
    if (!verts.reserve_more(k + 1) || !edges.reserve_more(k + 1)) return Status::bad_alloc;
    Vertex* const v = verts.data;
    for (int64_t j = 0; j < k; ++j) {
        const int64_t x = fine(xy[2 * j]);
        // A y-major walk's end points have X = (int)(x + .5) = x + (x < 0) (on_line at
        // t = 0 and t = n: s n is x_end - x_start within ulps), the same columns after
        // clipping to [0, w): only x >= 2 reaches column 0.
        v[j] = {x, fine(xy[2 * j + 1]), std::max<int64_t>(0, ceil_div5(x - 2)),
                std::min<int64_t>(w - 1, floor_div5(x - 3))};
    }
    v[k] = v[0];
    Edge* const ex = edges.data;  // x-major: ex[0..nx)
    Edge* const ey = edges.data + k + 1;  // y-major: ey[-ny..0); the two never meet (nx + ny <= j)
    int64_t nx = 0, ny = 0, cmin = INT64_MAX, cmax = -1;
    for (int64_t j = 0; j < k; ++j) {
        // Selects by masks, not ternaries: the compiler turns those into branches here,
        // mispredicted half the time.
        const Vertex a = v[j], b = v[j + 1];
        const int64_t mx = -static_cast<int64_t>(a.x < b.x), my = -static_cast<int64_t>(a.y < b.y);
        const int64_t ddx = b.x - a.x, ddy = b.y - a.y;
        const int64_t dx = pick(mx, ddx, -ddx), dy = pick(my, ddy, -ddy);
        const int64_t c0 = pick(mx, a.c0, b.c0), c1 = pick(mx, b.c1, a.c1);
        const bool xmaj = dx >= dy, keep = c0 <= c1;
        // pycocotools walks from the end with the smaller major coordinate.
        ex[nx] = {pick(mx, a.x, b.x), pick(mx, a.y, b.y), dx, pick(mx, ddy, -ddy), c0, c1};
        ey[-ny - 1] = {pick(my, a.x, b.x), pick(my, a.y, b.y), dy, pick(my, ddx, -ddx), c0, c1};
        nx += keep & xmaj;
        ny += keep & !xmaj;
        const int64_t mk = -static_cast<int64_t>(keep);
        cmin = std::min(cmin, pick(mk, c0, INT64_MAX));
        cmax = std::max(cmax, pick(mk, c1, -1));
    }
    if (nx + ny == 0) return out.push(static_cast<T>(total)) ? Status::ok : Status::bad_alloc;

    // Column c's slots, one per edge crossing it, start at pos[c - cmin]: counted in a
    // difference array, then summed.
    const int64_t span = cmax - cmin + 1;
    RunBuf<int64_t>& pos = scratch.pos;
    pos.size = 0;
    if (!pos.reserve_more(span + 1)) return Status::bad_alloc;
    int64_t* const ps = pos.data;
    std::fill(ps, ps + span + 1, int64_t{0});
    for (int64_t i = 0; i < nx; ++i) {
        ++ps[ex[i].c0 - cmin];
        --ps[ex[i].c1 + 1 - cmin];
    }
    for (int64_t i = -ny; i < 0; ++i) {
        ++ps[ey[i].c0 - cmin];
        --ps[ey[i].c1 + 1 - cmin];
    }
    int64_t n = 0;
    for (int64_t c = 0, run = 0; c < span; ++c) {
        run += ps[c];
        ps[c] = n;
        n += run;
    }
    RunBuf<uint32_t>& rows = scratch.rows;
    rows.size = 0;
    if (!rows.reserve_more(n) || !out.reserve_more(n + 1)) return Status::bad_alloc;

    // Pass 2: every crossing's row into its column's slots (pos[c] ends at the end of
    // column c).
    for (int64_t i = 0; i < nx; ++i) walk_x(ex[i], h, ps - cmin, rows.data);
    for (int64_t i = -ny; i < 0; ++i) walk_y(ey[i], h, ps - cmin, rows.data);

    // Pass 3, column by column: sort the few rows, keep the linear indices c * h + row
    // toggled an odd number of times (row h of column c and row 0 of column c + 1 are
    // one index), difference them into runs. The index h * w toggles nothing.
    T* o = out.data + out.size;
    uint64_t cur = UINT64_MAX, prev = 0;
    bool odd = false;
    for (int64_t i = 0, b = 0; i < span; ++i) {
        const int64_t e = ps[i];
        uint32_t* const r = rows.data + b;
        const int64_t m = e - b;
        b = e;
        if (m == 0) continue;
        sort_rows(r, m);
        const uint64_t col = static_cast<uint64_t>(cmin + i) * static_cast<uint64_t>(h);
        for (int64_t j = 0; j < m && r[j] != kNoRow; ++j) {
            const uint64_t p = col + r[j];
            if (p == cur) {
                odd = !odd;
                continue;
            }
            if (odd) {
                *o++ = static_cast<T>(cur - prev);
                prev = cur;
            }
            cur = p;
            odd = true;
        }
    }
    if (odd && cur < total) {
        *o++ = static_cast<T>(cur - prev);
        prev = cur;
    }
    *o++ = static_cast<T>(total - prev);
    out.size = o - out.data;
    return Status::ok;
}

template Status coco_polygon<uint32_t>(const double*, int64_t, int64_t, int64_t, RunBuf<uint32_t>&, ErrorInfo&) noexcept;
template Status coco_polygon<uint64_t>(const double*, int64_t, int64_t, int64_t, RunBuf<uint64_t>&, ErrorInfo&) noexcept;

}  // namespace maskcore::raster
