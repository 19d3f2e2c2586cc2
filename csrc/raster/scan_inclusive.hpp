// csrc/raster/scan_inclusive.hpp — the inclusive rule (scan.hpp): OpenCV's fixed-point fill
// and 8-connected lines (clipLine, LineIterator, FillEdgeCollection). Included by
// scan.cpp only.
#pragma once
#include "scan_common.hpp"

namespace maskcore::raster {
namespace {

// ---- inclusive: OpenCV's fixed-point fill and 8-connected lines ------------------------
// OpenCV's clipLine on a width x height image, with exact (int128) products.
bool cv_clip_line(int64_t width, int64_t height, int64_t& x1, int64_t& y1, int64_t& x2, int64_t& y2) noexcept {
    const int64_t right = width - 1, bottom = height - 1;
    if (width <= 0 || height <= 0) return false;
    auto code = [&](int64_t x, int64_t y) { return (x < 0) + (x > right) * 2 + (y < 0) * 4 + (y > bottom) * 8; };
    int c1 = code(x1, y1), c2 = code(x2, y2);
    if ((c1 & c2) == 0 && (c1 | c2) != 0) {
        if (c1 & 12) {
            const int64_t a = c1 < 8 ? 0 : bottom;
            x1 += static_cast<int64_t>(static_cast<i128>(a - y1) * (x2 - x1) / (y2 - y1));
            y1 = a;
            c1 = (x1 < 0) + (x1 > right) * 2;
        }
        if (c2 & 12) {
            const int64_t a = c2 < 8 ? 0 : bottom;
            x2 += static_cast<int64_t>(static_cast<i128>(a - y2) * (x2 - x1) / (y2 - y1));
            y2 = a;
            c2 = (x2 < 0) + (x2 > right) * 2;
        }
        if ((c1 & c2) == 0 && (c1 | c2) != 0) {
            if (c1) {
                const int64_t a = c1 == 1 ? 0 : right;
                y1 += static_cast<int64_t>(static_cast<i128>(a - x1) * (y2 - y1) / (x2 - x1));
                x1 = a;
                c1 = 0;
            }
            if (c2) {
                const int64_t a = c2 == 1 ? 0 : right;
                y2 += static_cast<int64_t>(static_cast<i128>(a - x2) * (y2 - y1) / (x2 - x1));
                x2 = a;
                c2 = 0;
            }
        }
    }
    return (c1 | c2) == 0;
}

// OpenCV's 8-connected line between two points inside the image (already clipped),
// walked from its left end: the pixel of step j has minor coordinate
// m_j = ceil((2 j d - D) / (2 D)) (D = major length, d = minor length; a tie goes back
// towards the start). Every row holds a contiguous run of it, so a line is a span
// source like an edge. For row offset k (0 at the left end, growing away from it):
//   y-major (ady > dx): one pixel, x1 + floor((2 k dx + ady - 1) / (2 ady));
//   x-major (ady <= dx): the steps B(k - 1) < j <= B(k), clipped to [0, dx], with the
//   boundaries B(m) = floor(dx (2m + 1) / (2 ady)); row k + 1 starts where row k ends,
//   so one stepped boundary per row suffices (the other is the previous row's).
// floor(num / D) for num stepping by a constant: quotient and remainder in [0, D).
struct Dda {
    int64_t q, rem, sq, sr, D;  // values within an image (< 2^31): products fit int64
    void next() noexcept {  // without a branch: the carry is data-dependent (measured 8% mispredicted)
        rem += sr;
        const int64_t carry = rem >= D;
        q += sq + carry;
        rem -= D & -carry;
    }
};

// A line's run in the current row is (lo, hi] of its steps clipped to [0, dx], from the
// DDA's boundary q and the boundary kept from the previous row:
//   x-major, rows going away from the left end (sy = +1): (keep, q];
//   x-major, rows going towards it (sy = -1): (q, keep];
//   y-major: (q - 1, q]; horizontal: (-1, dx] (one row).
// Selected without branches (lines of every kind interleave within a row).
struct LEdge {
    int64_t x1, dx;  // left end, |dx|
    int64_t r_begin, r_end;
    int64_t keep;                    // the other boundary (x-major), see above
    int64_t lo_keep, hi_keep, lo_d;  // 0/1 selectors: lo = lo_keep ? keep : q - lo_d; hi = hi_keep ? keep : q
    Dda dda;
    void span(int64_t& a, int64_t& b) noexcept {
        const int64_t q = dda.q;
        const int64_t lo = lo_keep ? keep : q - lo_d, hi = hi_keep ? keep : q;
        a = x1 + (lo + 1 > 0 ? lo + 1 : 0);
        b = x1 + (hi < dx ? hi : dx) + 1;
        keep = q;
        dda.next();
    }
};

// The line between two points inside the image, written into e with its state for its
// first row; `last` (if given): the run [a, b) of its last row (y1 != y2). At most one
// division (x-major): every other quotient follows from dx = q0 D + r0, D = 2 |dy|.
inline __attribute__((always_inline)) void cv_line(int64_t x1, int64_t y1, int64_t x2, int64_t y2, LEdge& e, int64_t* last = nullptr) noexcept {
    if (x2 < x1) {
        std::swap(x1, x2);
        std::swap(y1, y2);
    }
    e.x1 = x1;
    const int64_t dx = x2 - x1, ady = y2 > y1 ? y2 - y1 : y1 - y2;
    const bool down = y2 > y1;  // away from the left end
    e.dx = dx;
    e.r_begin = std::min(y1, y2);
    e.r_end = std::max(y1, y2) + 1;
    Dda& d = e.dda;
    if (ady == 0) {  // (-1, dx]
        e.lo_keep = 1, e.hi_keep = 0, e.lo_d = 0, e.keep = -1;
        d.q = dx, d.rem = 0, d.sq = 0, d.sr = 0, d.D = 1;
    } else if (ady > dx) {  // floor((2 k dx + ady - 1) / D), k = 0 (down) or ady first
        e.lo_keep = 0, e.hi_keep = 0, e.lo_d = 1, e.keep = 0;
        d.D = 2 * ady;
        d.q = down ? 0 : dx;
        d.rem = ady - 1;
        d.sq = down || dx == 0 ? 0 : -1;  // the step 2 dx or -2 dx, |2 dx| < D
        d.sr = down ? 2 * dx : (dx == 0 ? 0 : d.D - 2 * dx);
        if (last) {
            last[0] = down ? x2 : x1;  // the lower end itself
            last[1] = last[0] + 1;
        }
    } else {  // B(k) = floor(dx (2k + 1) / D): (B(k - 1), B(k)], k = 0 (down) or ady first
        const int64_t D = 2 * ady, q0 = dx / D, r0 = dx % D, ceil0 = q0 + (r0 != 0);  // dx / D
        const int64_t c2 = 2 * r0 >= D, q2 = 2 * q0 + c2, r2 = 2 * r0 - (c2 ? D : 0);  // 2 dx / D
        d.D = D;
        if (down) {  // keep B(-1) = -ceil(dx / D); q B(0), stepping 2 dx
            e.lo_keep = 1, e.hi_keep = 0, e.lo_d = 0;
            e.keep = -ceil0;
            d.q = q0, d.rem = r0, d.sq = q2, d.sr = r2;
        } else {  // keep B(ady) = dx + q0; q B(ady - 1) = dx - ceil(dx / D), stepping -2 dx
            e.lo_keep = 0, e.hi_keep = 1, e.lo_d = 0;
            e.keep = dx + q0;
            d.q = dx - ceil0, d.rem = r0 ? D - r0 : 0;
            d.sq = -q2 - (r2 != 0), d.sr = r2 ? D - r2 : 0;
        }
        if (last) {  // down: (B(ady - 1), dx]; else [0, B(0)]
            last[0] = down ? x1 + dx - ceil0 + 1 : x1;
            last[1] = down ? x2 + 1 : x1 + q0 + 1;
        }
    }
}

// A fill edge, crossing the rows [r_begin, r_end). When its line starts on its first
// row, it carries that line (stepped with it) for the rows [r_begin, line.r_end)
// (line.r_end = r_begin: none), and [pa, pb) is a run united with the line's first run
// (the last run of the line that ends at the edge's upper end; pa >= pb: none).
struct IEdge {
    int64_t r_begin, r_end;
    int64_t x, dx;  // 16.16 fixed point at the current row, step per row
    int64_t dir;
    int64_t pa, pb;
    int64_t succ;  // the edge leaving the lower end downwards, from row r_end on (-1: none)
    bool chained;  // some edge's succ: it takes that edge's place in the active list
    LEdge line;
};

// [s, t) grows over the run [p, q) when they touch or overlap; a run that does not is
// written out alone (o[0], o[1]; o advances). Painting is idempotent and RLE rows are
// normalized, so the union is what matters, not how it is cut.
inline void stretch(int64_t& s, int64_t& t, int64_t p, int64_t q, int64_t*& o) noexcept {
    if (p >= q) return;
    if (s >= t) {
        s = p;
        t = q;
    } else if (p <= t && q >= s) {
        s = p < s ? p : s;
        t = q > t ? q : t;
    } else {
        o[0] = p;
        o[1] = q;
        o += 2;
    }
}

// The fill edges scanned row by row, each carrying its own line (cv_line of the same
// edge) over the rows where both exist: in such a row the line's run lies at or next to
// the edge's crossing, so it stretches the fill span the edge opens or closes when the
// two touch (a union of touching intervals is one interval: exact) and goes out as a
// span of its own otherwise. The line's last row (its lower end's: not a fill row of
// the edge) is united with the first run of the edge that leaves that end downwards
// (both hold the end pixel); so are the runs of horizontal edges, with the first run of
// an edge leaving their row (build). What is left (horizontal edges with no such
// edge or partly outside, last rows with none, clipped lines that start below their
// edge) are the free lines, walked either row by row with the edges (sinks that need
// each row's spans at once, sorted: RLE) or, for painting sinks (order-free), apart:
// each on its own, its runs handed over in batches (draw_lines). The 200-vertex polygon
// on 1024x1024: 1,410 line runs drawn apart became a few, and one span a row; the
// 2000-vertex one on 3840x2160 had 608 horizontal edges drawn apart.
struct InclusiveScan {
    RunBuf<IEdge> edges;
    RunBuf<LEdge> lines;                    // the free lines
    RunBuf<uint32_t> active, active_lines;  // indices into edges, lines (each steps in place)
    RowOrder queue, line_queue;
    RunBuf<int64_t> runs;                   // draw_lines' batch: r, a, b, ...
    RunBuf<int64_t> part;                   // build(): per edge of a part
    FillRule fill = FillRule::evenodd;
    bool apart = false;  // free lines drawn by draw_lines, not by row()
    MC_SCRATCH_BYTES(edges, lines, active, active_lines, queue, line_queue, runs, part)

    // The set-up (scan.hpp, ALGORITHM): the fill edges of every part, each with the run of its
    // line it carries, chained, and the free lines; then start() and run().
    Status build(Parts parts, int64_t h, int64_t w) noexcept {
        const double* xy = parts.xy;
        edges.size = lines.size = 0;
        auto out = [](int64_t v, int64_t n) { return static_cast<uint64_t>(v) >= static_cast<uint64_t>(n); };
        auto free_line = [this](int64_t x0, int64_t y0, int64_t x1, int64_t y1) {  // false: out of memory
            if (!lines.reserve_more(1)) return false;
            cv_line(x0, y0, x1, y1, lines.data[lines.size++]);
            return true;
        };
        // Row r's run [a, b): stretched into edge t's first row, or (t < 0) a free line.
        auto attach = [&](int64_t t, int64_t r, int64_t a, int64_t b) {
            if (t < 0) return free_line(a, r, b - 1, r);
            IEdge& e = edges.data[t];
            e.pa = std::min(e.pa, a);
            e.pb = std::max(e.pb, b);
            return true;
        };
        for (int64_t p = 0; p < parts.n; ++p) {
            const int64_t b = parts.offsets[p] / 2, k = parts.offsets[p + 1] / 2 - b;
            // Per edge j of the part (from vertex j - 1 to vertex j, OpenCV's order), 7 values:
            // [0] its index in edges (-1: none); [1..3] its line's last run (row, a, b; row -1:
            // none, or carried by the edge), for a horizontal edge inside the image its run;
            // [4] whether it goes down; [5] whether its lower end is inside the image, for a
            // horizontal edge its group's edge (below); [6] whether it is horizontal. Then the
            // vertices, rounded once each, and the edges listed by kind: a branch on the kind
            // of each edge in turn mispredicts (the 2000-vertex polygon: 30% horizontal).
            if (!part.reserve_more(11 * k)) return Status::bad_alloc;
            int64_t* const pj = part.data;
            int64_t *const X = pj + 7 * k, *const Y = X + k, *const slant = Y + k, *const level = slant + k;
            for (int64_t v = 0; v < k; ++v) {
                X[v] = round_even(xy[2 * (b + v)]);
                Y[v] = round_even(xy[2 * (b + v) + 1]);
            }
            int64_t ns = 0, nl = 0;
            for (int64_t j = 0; j < k; ++j) {
                const bool flat_j = Y[j == 0 ? k - 1 : j - 1] == Y[j];
                int64_t* const info = pj + 7 * j;
                info[0] = info[1] = info[5] = -1;
                info[4] = ns;  // a horizontal edge's: the slant edges before it (below)
                info[6] = flat_j;
                slant[ns] = j;
                level[nl] = j;
                ns += !flat_j;
                nl += flat_j;
            }
            for (int64_t i = 0; i < nl; ++i) {
                const int64_t j = level[i];
                int64_t* const info = pj + 7 * j;
                int64_t tx0 = X[j == 0 ? k - 1 : j - 1], ty0 = Y[j], tx1 = X[j], ty1 = Y[j];
                if (!(out(tx0, w) | out(tx1, w) | out(ty0, h))) {  // its run, for the pass below
                    info[1] = ty0;
                    info[2] = std::min(tx0, tx1);
                    info[3] = std::max(tx0, tx1) + 1;
                } else if (cv_clip_line(w, h, tx0, ty0, tx1, ty1)) {  // drawn clipped, a free line
                    if (!free_line(tx0, ty0, tx1, ty1)) return Status::bad_alloc;
                }
            }
            for (int64_t i = 0; i < ns; ++i) {
                const int64_t j = slant[i], u = j == 0 ? k - 1 : j - 1;
                int64_t* const info = pj + 7 * j;
                const int64_t x0 = X[u], y0 = Y[u], x1 = X[j], y1 = Y[j];
                // The outline: clipLine, then the walk (OpenCV ignores clipLine's verdict for
                // the fill edge below but draws nothing when it says "outside").
                int64_t tx0 = x0, ty0 = y0, tx1 = x1, ty1 = y1;
                const bool outside = out(x0, w) | out(x1, w) | out(y0, h) | out(y1, h);
                const bool visible = !outside || cv_clip_line(w, h, tx0, ty0, tx1, ty1);
                const bool down = y1 > y0;
                const int64_t yu = down ? y0 : y1, yl = down ? y1 : y0;
                const int64_t rb = std::max<int64_t>(yu, 0), re = std::min<int64_t>(yl, h);
                const bool crosses = rb < re;
                // The line rides with the fill edge when it starts on the edge's first row
                // (always, unless clipped); otherwise it is a free line.
                const bool rides = visible && crosses && std::min(ty0, ty1) == rb;
                if (visible && !rides) {
                    if (!free_line(tx0, ty0, tx1, ty1)) return Status::bad_alloc;
                }
                if (!crosses) continue;
                info[0] = edges.size;
                // Built in place: a copy of the struct costs more than its fields (GCC 12
                // moves it through the stack with store-forwarding stalls).
                if (!edges.reserve_more(1)) return Status::bad_alloc;
                IEdge& e = edges.data[edges.size++];
                // The fill edge runs through the clipped end points (OpenCV >= 4.8, PR #23076),
                // extended to the original rows: x(r) = cx0 + (r - cy0) dx.
                const int64_t cy0 = outside && ty0 != ty1 ? ty0 : y0, cy1 = outside && ty0 != ty1 ? ty1 : y1;
                const int64_t cx0 = tx0 * 65536, cx1 = tx1 * 65536;
                e.r_begin = rb;
                e.r_end = re;
                e.dir = down ? 1 : -1;
                e.pa = INT64_MAX;
                e.pb = INT64_MIN;
                e.succ = -1;
                e.chained = false;
                info[4] = down;
                e.dx = (cx1 - cx0) / (cy1 - cy0);  // |cx| <= 2^56: int64, truncated as OpenCV
                const int64_t ax = down ? cx0 : cx1, ay = down ? cy0 : cy1;
                e.x = static_cast<int64_t>(static_cast<i128>(ax) + static_cast<i128>(rb - ay) * e.dx);
                if (!rides) {
                    e.line = LEdge{};
                    e.line.r_end = rb;  // none
                    continue;
                }
                cv_line(tx0, ty0, tx1, ty1, e.line, info + 2);  // rows within [0, h): clipped
                if (e.line.r_end <= re) continue;
                // Its last row (the lower end's, re = yl < h) has no crossing: the run goes to
                // the edge that leaves the lower end downwards (its line's first run holds the
                // same end pixel: the union is one run) or is drawn as a line of its own.
                e.line.r_end = re;
                info[1] = re;
                const int64_t lx = down ? x1 : x0;
                info[5] = lx >= 0 && lx < w;  // the lower end is inside (yl < h here)
            }
            // Horizontal edges come in groups on one row y between two other edges, A (before)
            // and C (after): the runs of the group's edges make one run along y through its
            // vertices, the ends of A and C there among them. Each horizontal edge inside the
            // image joins its run to the first run of C if C leaves y downwards with its line
            // from y, else of A if A comes up to y so, from the group's end vertex (inside the
            // image: then every pixel between it and the run is drawn, by the group's edges,
            // the clipped ones included), else draws it as a free line. Its info[5] names that
            // edge (-1: none), for the last runs of A and C on y (their lower ends, below).
            IEdge* const E = edges.data;
            const IEdge none{};
            auto from_y = [&](int64_t j, int64_t down, int64_t y, int64_t vx) {  // edge j's index, or -1
                const int64_t i = pj[7 * j];
                const IEdge& e = i >= 0 ? E[i] : none;
                const bool ok = (i >= 0) & (pj[7 * j + 4] == down) & (e.r_begin == y) & (e.line.r_end > e.r_begin) &
                                !out(vx, w);
                return ok ? i : int64_t{-1};
            };
            for (int64_t l = 0; ns && l < nl; ++l) {
                const int64_t hj = level[l], before = pj[7 * hj + 4];
                int64_t* const hi = pj + 7 * hj;
                const int64_t c = slant[before == ns ? 0 : before], a = slant[before == 0 ? ns - 1 : before - 1];
                const int64_t y = Y[hj];
                const int64_t tc = from_y(c, 1, y, X[c == 0 ? k - 1 : c - 1]), ta = from_y(a, 0, y, X[a]);
                const int64_t t = tc >= 0 ? tc : ta;
                hi[5] = t;
                if (hi[1] < 0) continue;  // clipped: drawn as a free line already
                if (!attach(t, hi[1], hi[2], hi[3])) return Status::bad_alloc;
            }
            for (int64_t l = 0; !ns && l < nl; ++l) {  // no other edge: the part is one row
                const int64_t* hi = pj + 7 * level[l];
                if (hi[1] < 0) continue;
                if (!free_line(hi[2], hi[1], hi[3] - 1, hi[1])) return Status::bad_alloc;
            }
            for (int64_t i = 0; i < ns; ++i) {
                const int64_t j = slant[i];
                const int64_t* info = pj + 7 * j;
                if (info[0] < 0) continue;
                const bool fwd = info[4];  // towards the edge sharing the lower end
                auto next = [k, fwd](int64_t i) { return fwd ? (i + 1 == k ? 0 : i + 1) : (i == 0 ? k - 1 : i - 1); };
                const int64_t nb = next(j);
                IEdge& self = E[info[0]];
                // The chain goes on with the first edge past the horizontal ones there (on the
                // lower end's row: the next one listed) if it leaves downwards (r_end < h then).
                const int64_t sj = fwd ? slant[i + 1 == ns ? 0 : i + 1] : slant[i == 0 ? ns - 1 : i - 1];
                const int64_t si = pj[7 * sj];
                if (si >= 0 && si != info[0] && E[si].r_begin == self.r_end) {
                    self.succ = si;
                    E[si].chained = true;
                }
                if (info[1] < 0) continue;
                // The edge whose first run takes this last run: the one leaving the lower end
                // downwards with its line, or the group's edge past horizontal ones; selected
                // without branches (which neighbour it is varies edge by edge).
                const int64_t ni = pj[7 * nb], neg = ni >> 63, nis = (ni & ~neg) | (info[0] & neg);
                const bool direct = (ni >= 0) & (E[nis].r_begin == info[1]) & (E[nis].line.r_end > E[nis].r_begin);
                const int64_t flat_nb = -pj[7 * nb + 6], d = ni | -static_cast<int64_t>(!direct);
                const int64_t t = ((pj[7 * nb + 5] & flat_nb) | (d & ~flat_nb)) | -static_cast<int64_t>(!info[5]);
                if (!attach(t, info[1], info[2], info[3])) return Status::bad_alloc;
            }
        }
        return Status::ok;
    }

    bool start() noexcept {
        active.size = active_lines.size = 0;
        line_queue.next = line_queue.order.size = 0;
        // Chained edges are activated by their predecessors: only chain starts are queued.
        const IEdge* E = edges.data;
        return queue.build(edges, [E](int64_t i) { return !E[i].chained; }) && (apart || line_queue.build(lines));
    }
    // Every row's spans to the sink (normalized when it wants them disjoint). The active
    // lists change only at events (an edge or a line starts or ends, an edge's line ends
    // before it): between two, rows are produced without touching them.
    // (Not inlined into polygon_rows: there it cost the centre rule's small polygons 3% more
    // instructions, callgrind.)
    [[gnu::noinline]] bool run(int64_t h, int64_t w, RunBuf<int64_t>& spans, RowSink& sink) noexcept {
        const bool merge = sink.wants_disjoint();
        int64_t r = std::min(queue.first(edges), line_queue.first(lines));
        while (r < h) {
            // Rows come one by one while anything is active, so a line starts at its r_begin.
            // An edge that ends where its chain goes on hands its place to its successor
            // (they meet at the shared end: the order holds).
            for (int64_t i = 0; i < active.size; ++i) {
                const IEdge& e = edges.data[active.data[i]];
                if (e.r_end <= r && e.succ >= 0) active.data[i] = static_cast<uint32_t>(e.succ);
            }
            if (!advance_active(active, edges, queue, r) || !advance_active(active_lines, lines, line_queue, r))
                return false;
            int64_t end = std::min({h, queue.first(edges), line_queue.first(lines)});  // the next start
            if (active.size == 0 && active_lines.size == 0) {
                r = end;
                continue;
            }
            spans.size = 0;
            if (active.size == 2 && active_lines.size == 0 &&
                (fill == FillRule::evenodd || edges.data[active.data[0]].dir != edges.data[active.data[1]].dir)) {
                // One span a row (most rows of simple polygons), along the two chains until
                // something starts or a chain ends: in chunks of kChunk rows.
                constexpr int64_t kChunk = 64;
                if (!spans.reserve_more(7 * kChunk)) return false;
                int64_t* const cnt = spans.data + 6 * kChunk;
                while (r < end) {
                    const int64_t m = std::min(end, r + kChunk), got = two_rows(r, m, w, spans.data, cnt);
                    if (merge) {
                        for (int64_t i = 0; i < got - r; ++i) {
                            int64_t* const sp = spans.data + 6 * i;
                            const int64_t k = normalize(sp, cnt[i]);
                            if (k) sink.row(r + i, sp, k);
                        }
                    } else {
                        sink.rows(r, got - r, spans.data, 6, cnt);
                    }
                    const bool ended = got < m;
                    r = got;
                    if (ended) break;
                }
                continue;
            }
            for (int64_t i = 0; i < active.size; ++i) {  // the next event
                const IEdge& e = edges.data[active.data[i]];
                end = std::min(end, r < e.line.r_end ? e.line.r_end : e.r_end);  // line.r_end <= r_end
            }
            for (int64_t i = 0; i < active_lines.size; ++i) end = std::min(end, lines.data[active_lines.data[i]].r_end);
            // At most 3 spans per pair of edges that open and close one, 1 per other edge.
            if (!spans.reserve_more(3 * active.size + 2 + 2 * active_lines.size)) return false;
            for (; r < end; ++r) {
                const int64_t n = row(r, w, spans.data) / 2;
                const int64_t k = merge ? normalize(spans.data, n) : n;
                if (k) sink.row(r, spans.data, k);
            }
        }
        return true;
    }
    // Rows from r up to end of two active edges, no free line and one fill span between
    // them whatever their order: the row() walk with the state in locals, not stepped
    // through memory (the 200-vertex polygon on 1024x1024, clear and paint included:
    // 24.4 -> 21.7 us, harness, loaded machine). Up to 3 spans a row to out (6 values a
    // row), their number to cnt. An edge that ends hands over to its chain's successor in
    // place; returns the first row not done (< end: an edge ended without one there).
    int64_t two_rows(int64_t r, int64_t end, int64_t w, int64_t* out, int64_t* cnt) noexcept {
        IEdge* const E = edges.data;
        // A side's edge e: crossing x, line state (see LEdge::span), rows. Plain locals
        // (the struct is scalarized once the lambdas are inlined), not stepped in memory.
        struct Side {
            int64_t e, x, d, rb, q, rem, keep, sq, sr, D, lx, ldx, ld, le, re;
            bool lk, hk;
        };
        auto load = [E](Side& S, int64_t e) __attribute__((always_inline)) {
            const IEdge& s = E[e];
            S.e = e, S.x = s.x, S.d = s.dx, S.rb = s.r_begin, S.le = s.line.r_end, S.re = s.r_end;
            S.q = s.line.dda.q, S.rem = s.line.dda.rem, S.keep = s.line.keep, S.sq = s.line.dda.sq;
            S.sr = s.line.dda.sr, S.D = s.line.dda.D, S.lx = s.line.x1, S.ldx = s.line.dx, S.ld = s.line.lo_d;
            S.lk = s.line.lo_keep, S.hk = s.line.hi_keep;
        };
        auto store = [E](const Side& S) __attribute__((always_inline)) {
            IEdge& s = E[S.e];
            s.x = S.x, s.line.dda.q = S.q, s.line.dda.rem = S.rem, s.line.keep = S.keep;
        };
        // Row r's line run [a, b) of side S (empty past its line), then the line steps.
        auto line_run = [E, w](Side& S, int64_t r, int64_t& a, int64_t& b) __attribute__((always_inline)) {
            a = b = 0;
            if (r >= S.le) return;
            const int64_t lo = S.lk ? S.keep : S.q - S.ld, hi = S.hk ? S.keep : S.q;  // LEdge::span, Dda::next
            a = S.lx + (lo + 1 > 0 ? lo + 1 : 0);
            b = S.lx + (hi < S.ldx ? hi : S.ldx) + 1;
            if (r == S.rb) {  // its first row: the run joined to it
                a = std::min(a, E[S.e].pa);
                b = std::max(b, E[S.e].pb);
            }
            a = a < 0 ? 0 : a;  // within the image already (clipped end points)
            b = b > w ? w : b;
            S.keep = S.q;
            S.rem += S.sr;
            const int64_t c = S.rem >= S.D;
            S.q += S.sq + c;
            S.rem -= S.D & -c;
        };
        Side L0, L1;
        load(L0, active.data[0]);
        load(L1, active.data[1]);
        for (; r < end; ++r, out += 6, ++cnt) {
            if (r == L0.re) {  // rows come one by one: the edge's end
                if (E[L0.e].succ < 0) break;
                load(L0, E[L0.e].succ);  // the ended edge's state is read no more
            }
            if (r == L1.re) {
                if (E[L1.e].succ < 0) break;
                load(L1, E[L1.e].succ);
            }
            int64_t a0, b0, a1, b1;
            line_run(L0, r, a0, b0);
            line_run(L1, r, a1, b1);
            const int64_t x0 = L0.x, x1 = L1.x;
            const int64_t xl = x0 < x1 ? x0 : x1, xr = x0 < x1 ? x1 : x0;
            int64_t s = std::max<int64_t>((xl + 65535) >> 16, 0), t = std::min((xr >> 16) + 1, w);
            // Most rows: both runs touch a non-empty [s, t), which grows over them (what
            // stretch() gives then), tested without branches. An empty run (p >= q) that
            // passes the test lies within [s, t] and changes nothing.
            if ((s < t) & (a0 <= t) & (b0 >= s) & (a1 <= t) & (b1 >= s)) {
                out[0] = std::min({s, a0, a1});
                out[1] = std::max({t, b0, b1});
                *cnt = 1;
            } else {
                int64_t* o = out;
                stretch(s, t, a0, b0, o);  // [s, t) over both runs
                stretch(s, t, a1, b1, o);
                if (s < t) {
                    o[0] = s;
                    o[1] = t;
                    o += 2;
                }
                *cnt = (o - out) / 2;
            }
            L0.x += L0.d;
            L1.x += L1.d;
        }
        store(L0);
        store(L1);
        active.data[0] = static_cast<uint32_t>(L0.e);
        active.data[1] = static_cast<uint32_t>(L1.e);
        return r;
    }
    // Writes the spans of row r (within a stretch between events) to out; returns their
    // number of values.
    int64_t row(int64_t r, int64_t w, int64_t* const out) noexcept {
        IEdge* E = edges.data;
        uint32_t* a = active.data;
        const int64_t n = active.size;
        int64_t* o = out;
        auto less = [](const IEdge& p, const IEdge& q) { return p.x < q.x || (p.x == q.x && p.dir < q.dir); };
        for (int64_t i = 1; i < n; ++i) {  // nearly sorted from the previous row
            const uint32_t v = a[i];
            if (!less(E[v], E[a[i - 1]])) continue;
            int64_t j = i;
            for (; j > 0 && less(E[v], E[a[j - 1]]); --j) a[j] = a[j - 1];
            a[j] = v;
        }
        auto emit = [&o](int64_t p, int64_t q) {
            if (p < q) {
                o[0] = p;
                o[1] = q;
                o += 2;
            }
        };
        int wind = 0;
        int64_t start = 0, oa = 0, ob = 0;  // the open span's first column, its opening edge's line run
        const bool evenodd = fill == FillRule::evenodd;
        for (int64_t i = 0; i < n; ++i) {
            IEdge& e = E[a[i]];
            int64_t la = 0, lb = 0;
            if (r < e.line.r_end) {
                e.line.span(la, lb);
                if (r == e.r_begin) {
                    la = std::min(la, e.pa);
                    lb = std::max(lb, e.pb);
                }
                la = la < 0 ? 0 : la;  // within the image already (clipped end points)
                lb = lb > w ? w : lb;
            }
            const bool was = evenodd ? (wind & 1) : wind != 0;
            wind += evenodd ? 1 : static_cast<int>(e.dir);
            const bool is = evenodd ? (wind & 1) : wind != 0;
            if (!was && is) {
                start = (e.x + 65535) >> 16;
                oa = la;
                ob = lb;
            } else if (was && !is) {
                const int64_t hi = (e.x >> 16) + 1;
                int64_t s = start < 0 ? 0 : start, t = hi > w ? w : hi;
                stretch(s, t, oa, ob, o);
                stretch(s, t, la, lb, o);
                emit(s, t);
            } else {
                emit(la, lb);
            }
            e.x += e.dx;
        }
        if (evenodd ? (wind & 1) : wind != 0) emit(oa, ob);  // not for closed parts; kept exact anyway
        LEdge* L = lines.data;
        const uint32_t* al = active_lines.data;
        for (int64_t i = 0; i < active_lines.size; ++i) {
            int64_t lo, hi;
            L[al[i]].span(lo, hi);
            emit(lo < 0 ? 0 : lo, hi > w ? w : hi);
        }
        return o - out;
    }
    // apart: every free line's runs to the sink, in batches of up to kBatch.
    bool draw_lines(int64_t w, RowSink& sink) noexcept {
        constexpr int64_t kBatch = 4096;
        if (!runs.reserve_more(3 * kBatch)) return false;
        int64_t* const o0 = runs.data;
        int64_t* o = o0;
        int64_t* const end = o0 + 3 * kBatch;
        for (int64_t i = 0; i < lines.size; ++i) {
            LEdge& e = lines.data[i];
            for (int64_t r = e.r_begin; r < e.r_end; ++r) {
                int64_t lo, hi;
                e.span(lo, hi);
                lo = lo < 0 ? 0 : lo;
                hi = hi > w ? w : hi;
                if (lo >= hi) continue;
                o[0] = r;
                o[1] = lo;
                o[2] = hi;
                o += 3;
                if (o == end) {
                    sink.runs(o0, kBatch);
                    o = o0;
                }
            }
        }
        if (o != o0) sink.runs(o0, (o - o0) / 3);
        return true;
    }
};

}  // namespace
}  // namespace maskcore::raster
