// csrc/raster/scan.cpp — the scan engine: polygon_rows runs one rule over the parts and drives
// the rows into the sink (scan.hpp). The rules live in scan_center.hpp, scan_touched.hpp and
// scan_inclusive.hpp (shared pieces: scan_common.hpp), the "coco" rule in coco_rows.cpp,
// strokes in stroke.cpp, the sinks in sinks.cpp.
#include "scan.hpp"

#include "scan_center.hpp"
#include "scan_common.hpp"
#include "scan_inclusive.hpp"
#include "scan_touched.hpp"

namespace maskcore::raster {
namespace {
// Per-thread scratch (csrc/common/thread_scratch.hpp), leased once per kernel call: a
// thread_local named in the loops costs a __tls_get_addr call per use in a shared
// library (measured: 14% of a small polygon's time).
struct ScanScratch {
    InclusiveScan inclusive;
    TouchedScan touched;
    RunBuf<int64_t> spans;
    MC_SCRATCH_BYTES(inclusive, touched, spans)
};
}  // namespace

Status polygon_rows(Parts parts, int64_t h, int64_t w, Rule rule, FillRule fill, RowSink& sink, ErrorInfo& err,
                    bool transposed) noexcept {
    if (h < 0 || w < 0 || parts.n < 0) return Status::invalid_argument;
    if (h >= (int64_t{1} << 31) || w >= (int64_t{1} << 31)) return Status::overflow;
    if (rule == Rule::coco) return transposed ? Status::invalid_argument : coco_rows(parts, h, w, sink, err);
    const double* xy = parts.xy;
    const int64_t first = parts.n ? parts.offsets[0] : 0, end = parts.n ? parts.offsets[parts.n] : 0;
    if (Status s = check_coordinates(xy + first, end - first, err); s != Status::ok) {
        err.index += first;  // an index into xy
        return s;
    }
    if (h == 0 || w == 0) return Status::ok;
    ScratchLease<ScanScratch> lease;
    ScanScratch& sc = *lease;

    if (rule == Rule::inclusive) {
        InclusiveScan& scan = sc.inclusive;
        scan.edges.size = scan.lines.size = 0;
        scan.fill = fill;
        auto out = [](int64_t v, int64_t n) { return static_cast<uint64_t>(v) >= static_cast<uint64_t>(n); };
        auto free_line = [&scan](int64_t x0, int64_t y0, int64_t x1, int64_t y1) {  // false: out of memory
            if (!scan.lines.reserve_more(1)) return false;
            cv_line(x0, y0, x1, y1, scan.lines.data[scan.lines.size++]);
            return true;
        };
        // Row r's run [a, b): stretched into edge t's first row, or (t < 0) a free line.
        auto attach = [&](int64_t t, int64_t r, int64_t a, int64_t b) {
            if (t < 0) return free_line(a, r, b - 1, r);
            IEdge& e = scan.edges.data[t];
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
            if (!scan.part.reserve_more(11 * k)) return Status::bad_alloc;
            int64_t* const pj = scan.part.data;
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
                info[0] = scan.edges.size;
                // Built in place: a copy of the struct costs more than its fields (GCC 12
                // moves it through the stack with store-forwarding stalls).
                if (!scan.edges.reserve_more(1)) return Status::bad_alloc;
                IEdge& e = scan.edges.data[scan.edges.size++];
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
            IEdge* const E = scan.edges.data;
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
        scan.apart = !sink.wants_disjoint();
        if (!scan.start()) return Status::bad_alloc;
        if (!scan.run(h, w, sc.spans, sink)) return Status::bad_alloc;
        return scan.apart && !scan.draw_lines(w, sink) ? Status::bad_alloc : Status::ok;
    }

    if (transposed) std::swap(h, w);  // scan the columns: x and y trade places below
    const int tx = transposed ? 1 : 0;
    TouchedScan& scan = sc.touched;
    CenterScan& center = scan.center;
    center.edges.size = scan.edges.size = 0;
    center.fill = fill;
    const bool touched = rule == Rule::touched;
    for (int64_t p = 0; p < parts.n; ++p) {
        const int64_t b = parts.offsets[p] / 2, k = parts.offsets[p + 1] / 2 - b;
        for (int64_t j = 0; j < k; ++j) {
            const int64_t i0 = b + j, i1 = b + (j + 1 == k ? 0 : j + 1);
            const int64_t X0 = snap(xy[2 * i0 + tx]), Y0 = snap(xy[2 * i0 + 1 - tx]);
            const int64_t X1 = snap(xy[2 * i1 + tx]), Y1 = snap(xy[2 * i1 + 1 - tx]);
            if (!center_edge(X0, Y0, X1, Y1, h, transposed, center.edges)) return Status::bad_alloc;
            if (touched && !touch_edge(X0, Y0, X1, Y1, h, scan.edges)) return Status::bad_alloc;
        }
    }
    if (center.edges.size > int64_t{UINT32_MAX}) return Status::overflow;  // active lists hold uint32 indices
    if (touched) {
        if (!scan.start()) return Status::bad_alloc;
        return drive(scan, h, w, true, sc.spans, sink);
    }
    if (!center.start()) return Status::bad_alloc;
    return drive(center, h, w, false, sc.spans, sink);
}

}  // namespace maskcore::raster
