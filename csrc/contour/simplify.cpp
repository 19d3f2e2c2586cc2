// Topology-preserving Douglas-Peucker and the even-odd fill: see contour.hpp.
//
// Simplification (Douglas & Peucker, "Algorithms for the reduction of the number
// of points required to represent a digitized line", Cartographica 10, 1973) runs
// per ring, anchored at vertex 0 and the vertex farthest from it. Plain DP can make
// a ring cross itself or a neighbouring ring; the fix here is the iterative one
// (as in Saalfeld, "Topologically consistent line simplification with the
// Douglas-Peucker algorithm", CaGIS 26, 1999, without his convex-hull machinery):
// collect every kept segment of the object, find the pairs that meet other than at
// a shared end point, and put back the farthest dropped vertex of each such
// segment; repeat until nothing meets. A segment with no dropped vertex is an
// original edge, which only meets others where the original rings did, so the loop
// ends, at worst with the original rings. Crossing-free rings can still nest
// wrongly (a shortcut passing beyond a whole hole); such rings get vertices back
// the same way (fix_nesting). Coordinates are integers or halves, so
// the orientation tests below are exact in doubles.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "contour.hpp"

namespace maskcore::contour {
namespace {

struct P {
    double x, y;
};

inline double cross(P a, P b, P c) noexcept { return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x); }
inline int sgn(double v) noexcept { return (v > 0) - (v < 0); }
inline bool same(P a, P b) noexcept { return a.x == b.x && a.y == b.y; }
// c on segment ab, given collinear
inline bool within(P a, P b, P c) noexcept {
    return std::min(a.x, b.x) <= c.x && c.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= c.y &&
           c.y <= std::max(a.y, b.y);
}

// Do segments ab and cd meet anywhere other than at a shared end point?
bool conflict(P a, P b, P c, P d) noexcept {
    const int o1 = sgn(cross(a, b, c)), o2 = sgn(cross(a, b, d)), o3 = sgn(cross(c, d, a)), o4 = sgn(cross(c, d, b));
    const bool shared = same(a, c) || same(a, d) || same(b, c) || same(b, d);
    if (o1 == 0 && o2 == 0) {  // collinear: overlap of more than one point?
        if (same(a, b) || same(c, d)) return false;
        const bool horiz = std::fabs(b.x - a.x) >= std::fabs(b.y - a.y);
        double a0 = horiz ? a.x : a.y, a1 = horiz ? b.x : b.y, c0 = horiz ? c.x : c.y, c1 = horiz ? d.x : d.y;
        if (a0 > a1) std::swap(a0, a1);
        if (c0 > c1) std::swap(c0, c1);
        return std::min(a1, c1) > std::max(a0, c0);
    }
    if (shared) return false;  // two non-collinear segments sharing an end meet only there
    if (o1 != o2 && o3 != o4) return true;
    if (o1 == 0 && within(a, b, c)) return true;
    if (o2 == 0 && within(a, b, d)) return true;
    if (o3 == 0 && within(c, d, a)) return true;
    if (o4 == 0 && within(c, d, b)) return true;
    return false;
}

inline double seg_dist2(P a, P b, P p) noexcept {
    const double dx = b.x - a.x, dy = b.y - a.y;
    const double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0.0;
    t = t < 0 ? 0 : (t > 1 ? 1 : t);
    const double ex = a.x + t * dx - p.x, ey = a.y + t * dy - p.y;
    return ex * ex + ey * ey;
}

// Ring of n points at base; index i of the ring is pts[(i) % n].
struct Ring {
    const P* pts;
    int64_t n;
    uint8_t* keep;
    P at(int64_t i) const noexcept { return pts[i % n]; }
    // The farthest point strictly between ring positions a < b (b may be n for 0);
    // -1 when there is none.
    int64_t farthest(int64_t a, int64_t b, double* d2) const noexcept {
        int64_t best = -1;
        double bd = -1;
        const P pa = at(a), pb = at(b);
        for (int64_t i = a + 1; i < b; ++i) {
            const double d = seg_dist2(pa, pb, at(i));
            if (d > bd) { bd = d; best = i; }
        }
        if (d2) *d2 = bd;
        return best;
    }
};

bool dp(const Ring& r, int64_t a, int64_t b, double eps2, std::vector<std::pair<int64_t, int64_t>>& stack) {
    stack.clear();
    stack.emplace_back(a, b);
    while (!stack.empty()) {
        auto [s, e] = stack.back();
        stack.pop_back();
        double d2;
        const int64_t f = r.farthest(s, e, &d2);
        if (f < 0 || d2 <= eps2) continue;
        r.keep[f] = 1;
        stack.emplace_back(s, f);
        stack.emplace_back(f, e);
    }
    return true;
}

// Where is p against the kept ring g: -1 outside, 0 on its boundary, 1 inside (even-odd).
int locate(const Ring& g, P p) noexcept {
    bool in = false;
    int64_t first = -1, prev = -1;
    auto edge = [&](P a, P b) -> bool {  // false: p is on ab
        if (sgn(cross(a, b, p)) == 0 && within(a, b, p)) return false;
        if ((a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y)) in = !in;
        return true;
    };
    for (int64_t i = 0; i < g.n; ++i) {
        if (!g.keep[i]) continue;
        if (prev >= 0 && !edge(g.pts[prev], g.pts[i])) return 0;
        if (first < 0) first = i;
        prev = i;
    }
    if (first >= 0 && !edge(g.pts[prev], g.pts[first])) return 0;
    return in ? 1 : -1;
}

// Crossing-free rings can still nest wrongly: a shortcut of the outer ring (ring 0)
// may pass beyond a whole hole, or one hole swallow another. Each hole must stay
// inside ring 0 and outside the other holes (as in the input). Where not, put back
// the farthest dropped vertex of every kept segment of the offending ring whose
// dropped chain's bounding box holds the misplaced vertex. Returns true when it did.
bool fix_nesting(std::vector<Ring>& rings) {
    bool any = false;
    const int64_t nr = static_cast<int64_t>(rings.size());
    for (int64_t j = 1; j < nr; ++j) {
        const Ring& h = rings[j];
        for (int64_t i = 0; i < nr; ++i) {
            if (i == j) continue;
            const Ring& g = rings[i];
            int where = 0;
            P v{0, 0};
            for (int64_t k = 0; k < h.n && where == 0; ++k)
                if (h.keep[k]) { v = h.pts[k]; where = locate(g, v); }
            if (where == 0 || (where > 0) == (i == 0)) continue;
            int64_t prev = -1, first = -1;
            auto split = [&](int64_t s, int64_t e) {  // kept s < e (e may be >= n)
                double x0 = v.x + 1, x1 = v.x - 1, y0 = v.y + 1, y1 = v.y - 1;
                for (int64_t t = s; t <= e; ++t) {
                    const P q = g.at(t);
                    x0 = std::min(x0, q.x); x1 = std::max(x1, q.x); y0 = std::min(y0, q.y); y1 = std::max(y1, q.y);
                }
                if (e - s < 2 || v.x < x0 || v.x > x1 || v.y < y0 || v.y > y1) return;
                const int64_t f = g.farthest(s, e, nullptr);
                if (f >= 0 && !g.keep[f % g.n]) { g.keep[f % g.n] = 1; any = true; }
            };
            for (int64_t k = 0; k < g.n; ++k) {
                if (!g.keep[k]) continue;
                if (prev >= 0) split(prev, k);
                else first = k;
                prev = k;
            }
            if (first >= 0) split(prev, first + g.n);
        }
    }
    return any;
}

struct Seg {
    P a, b;
    int64_t ring, s, e;  // ring index in the object and its kept positions s < e (e may be n)
    double minx, maxx;
};

}  // namespace

Status simplify(const double* xy, const int64_t* ring_end, int64_t n_rings, const int64_t* obj_ring_end,
                int64_t n_objects, double eps, uint8_t* keep) noexcept {
    try {
        const P* pts = reinterpret_cast<const P*>(xy);
        const double eps2 = eps * eps;
        std::vector<std::pair<int64_t, int64_t>> stack;
        std::vector<Ring> rings;
        std::vector<Seg> segs;
        std::vector<uint8_t> split;
        int64_t r0 = 0;
        for (int64_t o = 0; o < n_objects; ++o) {
            const int64_t r1 = obj_ring_end[o];
            rings.clear();
            for (int64_t r = r0; r < r1; ++r) {
                const int64_t b = r == 0 ? 0 : ring_end[r - 1], n = ring_end[r] - b;
                Ring g{pts + b, n, keep + b};
                rings.push_back(g);
                if (n <= 3) {
                    std::memset(g.keep, 1, static_cast<size_t>(n));
                    continue;
                }
                std::memset(g.keep, 0, static_cast<size_t>(n));
                // anchors: vertex 0 and the vertex farthest from it
                int64_t k = 1;
                double kd = -1;
                for (int64_t i = 1; i < n; ++i) {
                    const double dx = g.pts[i].x - g.pts[0].x, dy = g.pts[i].y - g.pts[0].y;
                    if (dx * dx + dy * dy > kd) { kd = dx * dx + dy * dy; k = i; }
                }
                g.keep[0] = g.keep[k] = 1;
                dp(g, 0, k, eps2, stack);
                dp(g, k, n, eps2, stack);
                int64_t kept = 0;
                for (int64_t i = 0; i < n; ++i) kept += g.keep[i];
                if (kept < 3) {  // never collapse a ring to a segment: keep the farthest of the larger side
                    double d1, d2;
                    const int64_t f1 = g.farthest(0, k, &d1), f2 = g.farthest(k, n, &d2);
                    const int64_t f = (f2 < 0 || (f1 >= 0 && d1 >= d2)) ? f1 : f2;
                    if (f >= 0) g.keep[f] = 1;
                }
            }
            // Put back vertices until no two kept segments of the object meet improperly.
            for (;;) {
                segs.clear();
                for (int64_t ri = 0; ri < static_cast<int64_t>(rings.size()); ++ri) {
                    const Ring& g = rings[ri];
                    if (g.n < 2) continue;
                    int64_t first = -1, prev = -1;
                    for (int64_t i = 0; i < g.n; ++i) {
                        if (!g.keep[i]) continue;
                        if (prev >= 0) segs.push_back({g.pts[prev], g.pts[i], ri, prev, i, 0, 0});
                        else first = i;
                        prev = i;
                    }
                    if (first >= 0 && prev != first) segs.push_back({g.pts[prev], g.pts[first], ri, prev, first + g.n, 0, 0});
                }
                for (auto& s : segs) { s.minx = std::min(s.a.x, s.b.x); s.maxx = std::max(s.a.x, s.b.x); }
                std::sort(segs.begin(), segs.end(), [](const Seg& p, const Seg& q) { return p.minx < q.minx; });
                split.assign(segs.size(), 0);
                bool any = false;
                for (size_t i = 0; i < segs.size(); ++i) {
                    const Seg& si = segs[i];
                    const double ylo = std::min(si.a.y, si.b.y), yhi = std::max(si.a.y, si.b.y);
                    for (size_t j = i + 1; j < segs.size() && segs[j].minx <= si.maxx; ++j) {
                        const Seg& sj = segs[j];
                        if (std::max(sj.a.y, sj.b.y) < ylo || std::min(sj.a.y, sj.b.y) > yhi) continue;
                        if (conflict(si.a, si.b, sj.a, sj.b)) split[i] = split[j] = 1;
                    }
                }
                for (size_t i = 0; i < segs.size(); ++i) {
                    if (!split[i]) continue;
                    const Ring& g = rings[segs[i].ring];
                    const int64_t f = g.farthest(segs[i].s, segs[i].e, nullptr);
                    if (f >= 0 && !g.keep[f % g.n]) { g.keep[f % g.n] = 1; any = true; }
                }
                if (!any) any = fix_nesting(rings);
                if (!any) break;
            }
            r0 = r1;
        }
        (void)n_rings;
        return Status::ok;
    } catch (const std::bad_alloc&) {
        return Status::bad_alloc;
    }
}

// Pixel-centre even-odd fill of each object, ORed into out (h x w, zeroed by the caller).
// A centre (c + .5, r + .5) is inside when an odd number of edge crossings of its row
// lie at x <= c + .5; an edge counts for rows whose centre is in [min y, max y).
Status fill(const double* xy, const int64_t* ring_end, const int64_t* obj_ring_end, int64_t n_objects,
            View2D<uint8_t> out) noexcept {
    try {
        const int64_t h = out.rows, w = out.cols;
        std::vector<int64_t> keys;
        int64_t r0 = 0;
        for (int64_t o = 0; o < n_objects; ++o) {
            const int64_t r1 = obj_ring_end[o];
            keys.clear();
            for (int64_t r = r0; r < r1; ++r) {
                const int64_t b = r == 0 ? 0 : ring_end[r - 1], n = ring_end[r] - b;
                for (int64_t i = 0; i < n; ++i) {
                    const double x0 = xy[2 * (b + i)], y0 = xy[2 * (b + i) + 1];
                    const int64_t j = i + 1 < n ? i + 1 : 0;
                    const double x1 = xy[2 * (b + j)], y1 = xy[2 * (b + j) + 1];
                    if (y0 == y1) continue;
                    const double ylo = std::min(y0, y1), yhi = std::max(y0, y1);
                    // rows with ylo <= r + .5 < yhi
                    int64_t ra = static_cast<int64_t>(std::ceil(ylo - 0.5));
                    if (ra < 0) ra = 0;
                    while (ra > 0 && (ra - 1) + 0.5 >= ylo) --ra;
                    while (ra + 0.5 < ylo) ++ra;
                    for (int64_t rr = ra; rr < h && rr + 0.5 < yhi; ++rr) {
                        const double cy = rr + 0.5;
                        const double xc = x0 + (cy - y0) * (x1 - x0) / (y1 - y0);
                        double cc = std::ceil(xc - 0.5);
                        cc = std::max(-1.0, std::min(cc, static_cast<double>(w)));
                        int64_t c = static_cast<int64_t>(cc);
                        while (c > 0 && (c - 1) + 0.5 >= xc) --c;
                        while (c < w && c + 0.5 < xc) ++c;
                        if (c < 0) c = 0;
                        keys.push_back(rr * (w + 1) + c);
                    }
                }
            }
            std::sort(keys.begin(), keys.end());
            for (size_t k = 0; k + 1 < keys.size(); k += 2) {
                const int64_t rr = keys[k] / (w + 1), ca = keys[k] % (w + 1), cb = keys[k + 1] % (w + 1);
                for (int64_t c = ca; c < cb; ++c) *out.at(rr, c) = 1;
            }
            r0 = r1;
        }
        return Status::ok;
    } catch (const std::bad_alloc&) {
        return Status::bad_alloc;
    }
}

Status fill_compare(const double* xy, const int64_t* ring_end, int64_t n_rings, const int64_t* obj_ring_end,
                    int64_t n_objects, View2D<const uint8_t> mask, int64_t& inter, int64_t& uni) noexcept {
    (void)n_rings;
    const int64_t h = mask.rows, w = mask.cols;
    inter = uni = 0;
    if (h == 0 || w == 0) return Status::ok;
    std::unique_ptr<uint8_t[]> canvas(new (std::nothrow) uint8_t[static_cast<size_t>(h * w)]());
    if (!canvas) return Status::bad_alloc;
    Status s = fill(xy, ring_end, obj_ring_end, n_objects, View2D<uint8_t>{canvas.get(), h, w, w, 1});
    if (s != Status::ok) return s;
    for (int64_t r = 0; r < h; ++r)
        for (int64_t c = 0; c < w; ++c) {
            const unsigned a = canvas[r * w + c], b = *mask.at(r, c) != 0;
            inter += a & b;
            uni += a | b;
        }
    return Status::ok;
}

}  // namespace maskcore::contour
