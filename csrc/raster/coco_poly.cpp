// csrc/raster/coco_poly.cpp — the "coco" polygon rule; see coco_poly.hpp for the rule,
// the algorithm and the limits.
#include "coco_poly.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

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

// ceil(r) for |r| < 2^62, without a libm call.
inline int64_t ceil_int(double r) noexcept {
    const int64_t t = static_cast<int64_t>(r);
    return static_cast<double>(t) < r ? t + 1 : t;
}

// Crossings are packed as column << 32 | row (row < h): sorting the packed keys
// sorts by linear index c * h + row. Both fit in 32 bits: |fine coordinates| < 2^30.
struct Crossings {
    RunBuf<uint64_t>& keys;
    int64_t h, w;
    uint64_t* dst = nullptr;  // the next free slot while an edge is being walked
    // Room for n more (the columns an edge can cross); false when memory cannot be had.
    bool begin(int64_t n) noexcept {
        if (!keys.reserve_more(n)) return false;
        dst = keys.data + keys.size;
        return true;
    }
    void add(int64_t c, int64_t row) noexcept {
        if (row == h) {  // index (c + 1) * h: the top of the next column
            ++c;
            row = 0;
        }
        *dst = (static_cast<uint64_t>(c) << 32) | static_cast<uint64_t>(row);
        dst += c < w;
    }
    void end() noexcept { keys.size = dst - keys.data; }
};

// The crossings of the fine edge (xs, ys) -> (xe, ye) with the pixel centre lines.
bool edge_crossings(int64_t xs, int64_t ys, int64_t xe, int64_t ye, Crossings& out) noexcept {
    const int64_t xmin = xs < xe ? xs : xe, xmax = xs < xe ? xe : xs;
    // Quick reject (most edges of real polygons are a few pixels long): a step onto
    // a column centre needs 5c + 2 and 5c + 3 within [xmin - 1, xmax + 1] (the
    // rounded ends of a y-major walk can differ from the vertices by one).
    if (xmin == xmax || std::max<int64_t>(0, ceil_div5(xmin - 3)) > std::min<int64_t>(out.w - 1, floor_div5(xmax - 2)))
        return true;
    const int64_t dx = xmax - xmin, dy = ye > ys ? ye - ys : ys - ye;
    const bool x_major = dx >= dy;
    if ((x_major && xs > xe) || (!x_major && ys > ye)) {  // walk from the smaller major end
        std::swap(xs, xe);
        std::swap(ys, ye);
    }
    if (x_major) {
        // Walk point t has x = xs + t; the step t -> t + 1 crosses the centre of
        // column c when xs + t == 5c + 2, 0 <= t < dx.
        const double s = static_cast<double>(ye - ys) / static_cast<double>(dx);
        const int64_t c0 = std::max<int64_t>(0, ceil_div5(xs - 2));
        const int64_t c1 = std::min<int64_t>(out.w - 1, floor_div5(xs + dx - 3));
        if (c0 > c1) return true;
        if (!out.begin(c1 - c0 + 1)) return false;
        // The walk's y is monotone in t (each rounding is), so the smaller y of the
        // step t -> t + 1 is at t going down and at t + 1 going up.
        // Evaluated in blocks by a loop the compiler vectorizes (SSE2 is the x86-64 baseline:
        // two lanes; the same IEEE operations in the same order, so the same bits):
        //   Y   = (int)(ys + s t + .5)             pycocotools' rounding (on_line), in int32:
        //                                            |fine| < 2^31 (kCocoMaxCoordinate)
        //   row = Y <= 2 ? 0 : min(h, (Y + 2) / 5)  crossing_row; (double)(Y + 2) / 5 is exact
        //                                            or >= 0.2 from an integer, so its
        //                                            truncation is the integer quotient.
        const double up = s < 0 ? 1.0 : 0.0, ysd = static_cast<double>(ys);
        const int32_t hh = out.h < INT32_MAX ? static_cast<int32_t>(out.h) : INT32_MAX;
        constexpr int64_t kBlock = 128;
        int32_t rows[kBlock];
        for (int64_t cb = c0; cb <= c1; cb += kBlock) {
            const int64_t m = std::min<int64_t>(kBlock, c1 - cb + 1);
            const double tb = static_cast<double>(5 * cb + 2 - xs) + up;  // integers < 2^33: exact
            for (int32_t i = 0; i < static_cast<int32_t>(m); ++i) {  // int32: SSE2 converts those
                const double t = tb + 5.0 * static_cast<double>(i);
                const int32_t Y = static_cast<int32_t>(ysd + s * t + 0.5);
                const int32_t q = static_cast<int32_t>(static_cast<double>(Y + 2) / 5.0);
                rows[i] = std::min(q, hh) & -static_cast<int32_t>(Y > 2);  // branch-free: vectorizable
            }
            for (int64_t i = 0; i < m; ++i) out.add(cb + i, rows[i]);
        }
        out.end();
        return true;
    }
    // y-major: walk point t has y = ys + t and x = X(t) = on_line(xs, s, t), monotone
    // in t with steps of at most 1 (|s| < 1; a step of 2 needs rounding at ~2^26 and is
    // handled exactly below). Going right, a step into X(t) = 5c + 3 crosses column c;
    // going left, a step into X(t) = 5c + 2 does (pycocotools' xd is X(t) - 1, resp. X(t)).
    const double s = static_cast<double>(xe - xs) / static_cast<double>(dy);
    const double inv_s = static_cast<double>(dy) / static_cast<double>(xe - xs);  // for guesses only
    const bool right = xe > xs;
    const int64_t x0 = on_line(xs, s, 0), x1 = on_line(xs, s, dy);
    const int64_t lo = right ? x0 : x1, hi = right ? x1 : x0;
    const int64_t c0 = std::max<int64_t>(0, ceil_div5(lo - 2));
    const int64_t c1 = std::min<int64_t>(out.w - 1, floor_div5(hi - 3));
    if (c0 > c1) return true;
    if (!out.begin(c1 - c0 + 1)) return false;
    for (int64_t c = c0; c <= c1; ++c) {
        const int64_t target = right ? 5 * c + 3 : 5 * c + 2;
        auto reached = [&](int64_t t) {
            const int64_t x = on_line(xs, s, t);
            return right ? x >= target : x <= target;
        };
        // First t with reached(t): solve xs + s t + .5 = 5c + 3 for a guess (off by at
        // most a step), then correct it against the exact expression. reached(0) is
        // false and reached(dy) true by the choice of c0, c1.
        const double r = (static_cast<double>(5 * c) + 2.5 - static_cast<double>(xs)) * inv_s;
        int64_t t = r <= 1.0 ? 1 : (r >= static_cast<double>(dy) ? dy : ceil_int(r));
        while (t > 1 && reached(t - 1)) --t;
        while (t < dy && !reached(t)) ++t;
        if (on_line(xs, s, t) != target) continue;  // X jumped over target: no step lands on column c
        out.add(c, crossing_row(ys + t - 1, out.h));
    }
    out.end();
    return true;
}

// Sorts packed crossings by linear index: a counting sort on the column when the
// columns spanned are few compared to the crossings (the common case: 2-4 per
// column), then each column's handful by row; std::sort otherwise.
bool sort_crossings(RunBuf<uint64_t>& keys, RunBuf<uint64_t>& tmp, RunBuf<uint32_t>& hist) noexcept {
    const int64_t n = keys.size;
    uint64_t* k = keys.data;
    if (n <= 32) {
        for (int64_t i = 1; i < n; ++i) {
            const uint64_t v = k[i];
            int64_t j = i;
            for (; j > 0 && k[j - 1] > v; --j) k[j] = k[j - 1];
            k[j] = v;
        }
        return true;
    }
    uint64_t cmin = k[0] >> 32, cmax = cmin;
    for (int64_t i = 1; i < n; ++i) {
        const uint64_t c = k[i] >> 32;
        cmin = c < cmin ? c : cmin;
        cmax = c > cmax ? c : cmax;
    }
    const int64_t span = static_cast<int64_t>(cmax - cmin) + 1;
    if (span > 2 * n + 64) {
        std::sort(k, k + n);
        return true;
    }
    hist.size = 0;
    tmp.size = 0;
    if (!hist.reserve_more(span + 1) || !tmp.reserve_more(n)) return false;
    uint32_t* hs = hist.data;
    std::fill(hs, hs + span + 1, 0u);
    for (int64_t i = 0; i < n; ++i) ++hs[(k[i] >> 32) - cmin + 1];
    for (int64_t c = 0; c < span; ++c) hs[c + 1] += hs[c];  // hs[c] = start of column c
    uint64_t* o = tmp.data;
    for (int64_t i = 0; i < n; ++i) o[hs[(k[i] >> 32) - cmin]++] = k[i];  // now hs[c] = end of column c
    int64_t begin = 0;
    for (int64_t c = 0; c < span; ++c) {
        const int64_t end = hs[c];
        if (end - begin > 16) {
            std::sort(o + begin, o + end);
        } else {
            for (int64_t i = begin + 1; i < end; ++i) {
                const uint64_t v = o[i];
                int64_t j = i;
                for (; j > begin && o[j - 1] > v; --j) o[j] = o[j - 1];
                o[j] = v;
            }
        }
        begin = end;
    }
    std::swap(keys.data, tmp.data);
    std::swap(keys.cap, tmp.cap);
    return true;
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

    thread_local RunBuf<uint64_t> keys, tmp;
    thread_local RunBuf<uint32_t> hist;
    keys.size = 0;
    Crossings cross{keys, h, w};
    const int64_t fx0 = fine(xy[0]), fy0 = fine(xy[1]);
    int64_t px = fx0, py = fy0;
    for (int64_t j = 0; j < k; ++j) {
        const bool last = j + 1 == k;
        const int64_t nx = last ? fx0 : fine(xy[2 * j + 2]), ny = last ? fy0 : fine(xy[2 * j + 3]);
        if (!edge_crossings(px, py, nx, ny, cross)) return Status::bad_alloc;
        px = nx;
        py = ny;
    }
    if (!sort_crossings(keys, tmp, hist)) return Status::bad_alloc;

    // Indices toggled an odd number of times, differenced into runs.
    const int64_t n = keys.size;
    if (!out.reserve_more(n + 1)) return Status::bad_alloc;
    const uint64_t* kk = keys.data;
    uint64_t prev = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && kk[j] == kk[i]) ++j;
        if ((j - i) & 1) {
            const uint64_t p = (kk[i] >> 32) * static_cast<uint64_t>(h) + (kk[i] & 0xffffffffu);
            out.push_unchecked(static_cast<T>(p - prev));
            prev = p;
        }
        i = j;
    }
    out.push_unchecked(static_cast<T>(total - prev));
    return Status::ok;
}

template Status coco_polygon<uint32_t>(const double*, int64_t, int64_t, int64_t, RunBuf<uint32_t>&, ErrorInfo&) noexcept;
template Status coco_polygon<uint64_t>(const double*, int64_t, int64_t, int64_t, RunBuf<uint64_t>&, ErrorInfo&) noexcept;

}  // namespace maskcore::raster
