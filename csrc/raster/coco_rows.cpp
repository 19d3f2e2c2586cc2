// csrc/raster/coco_rows.cpp — the "coco" rule for any sink, and every rule's COCO counts.
//
// The coco rule's mask comes out of coco_poly.hpp as column-major counts (pycocotools'
// own form), parts unioned by rle::merge_runs as pycocotools' merge does. Two outputs
// are made from them here:
//
// * counts (polygon_counts): the RLE itself. The scan rules' counts come from the
//   scan engine through RleCols / RleRows (whichever scan costs less, below).
// * row spans (coco_rows, which polygon_rows calls for Rule::coco): the same pixels
//   handed to any RowSink in increasing row order, so rasterize / paint / draw_rgb write
//   them straight into their output (no decoded temporary, no second pass). The counts'
//   runs of ones, cut at column ends, are column runs [a, b) of column c; row r holds
//   column c iff a <= r < b. Walking the rows, the set of columns held changes only at
//   the rows where a column run starts or ends, and there only by those columns: each
//   toggles the one-column interval [c, c + 1), i.e. the boundary points c and c + 1 of
//   the row's spans (a boundary toggled twice vanishes: adjacent columns join). So the
//   events (r * w + c, sorted) are merged into the sorted boundary list once per event
//   row, and every row up to the next event row gets that list as its spans: cost
//   O(column runs x log + rows + spans), never a pass over the pixels.
#include <algorithm>

#include "../common/thread_scratch.hpp"
#include "../rle/rle.hpp"
#include "coco_poly.hpp"
#include "scan.hpp"

namespace maskcore::raster {
namespace {

// Per-thread scratch of coco_union.
template <class T>
struct CocoParts {
    RunBuf<T> runs;         // every part's counts, one after another
    RunBuf<int64_t> lens;   // their lengths
    RunBuf<const T*> ptrs;  // their starts
    MC_SCRATCH_BYTES(runs, lens, ptrs)
};

// The union of the coco masks of p.n >= 2 parts (pycocotools' merge), into counts.
template <class T>
Status coco_union(Parts p, int64_t h, int64_t w, RunBuf<T>& counts, ErrorInfo& err, CocoParts<T>& sc) noexcept {
    sc.runs.size = sc.lens.size = sc.ptrs.size = 0;
    if (!sc.lens.reserve_more(p.n) || !sc.ptrs.reserve_more(p.n)) return Status::bad_alloc;
    for (int64_t i = 0; i < p.n; ++i) {
        const int64_t before = sc.runs.size;
        Status s = coco_polygon<T>(p.xy + p.offsets[i], (p.offsets[i + 1] - p.offsets[i]) / 2, h, w, sc.runs, err);
        if (s != Status::ok) {
            err.index += p.offsets[i];  // an index into xy
            return s;
        }
        sc.lens.push_unchecked(sc.runs.size - before);
    }
    for (int64_t i = 0, b = 0; i < p.n; b += sc.lens.data[i++]) sc.ptrs.push_unchecked(sc.runs.data + b);
    return rle::merge_runs<T>(sc.ptrs.data, sc.lens.data, p.n, false,
                              static_cast<uint64_t>(h) * static_cast<uint64_t>(w), counts);
}

// The coco rule's counts of the parts (one object), appended to counts.
template <class T>
Status coco_counts(Parts p, int64_t h, int64_t w, RunBuf<T>& counts, ErrorInfo& err) noexcept {
    if (p.n == 0)
        return counts.push(static_cast<T>(static_cast<uint64_t>(h) * static_cast<uint64_t>(w))) ? Status::ok
                                                                                                 : Status::bad_alloc;
    if (p.n == 1) {
        Status s = coco_polygon<T>(p.xy + p.offsets[0], (p.offsets[1] - p.offsets[0]) / 2, h, w, counts, err);
        if (s == Status::invalid_value) err.index += p.offsets[0];  // an index into xy
        return s;
    }
    ScratchLease<CocoParts<T>> lease;
    return coco_union(p, h, w, counts, err, *lease);
}

// Which scan costs less for the centre and touched rules' counts. The column scan
// (RleCols: runs come out in COCO order) steps every edge once per column it spans;
// the row scan (RleRows: row spans, then their toggles sorted by column) once per row
// it spans, plus about as much again for the toggles. Both select the same pixels
// (scan.hpp, RLE), so the choice changes the time, never the counts. A polygon that
// zigzags across the image horizontally (40,000 edges over 1,000 columns, each
// spanning all of them and a fortieth of a row) costs edges x columns by columns and
// edges by rows: the rows win, 1.06 s -> about what the dense rasterize takes. Spans
// are clipped to the image and counted in whole pixels; non-finite values count 0
// (the scan rejects them on either path).
bool row_scan_is_cheaper(Parts p, int64_t h, int64_t w) noexcept {
    // Up to 64 edges the column scan costs at most 64 steps a column (< 1 ms at 10^4
    // columns): the per-annotation path (a few microseconds) skips the estimate.
    if (p.n == 0 || p.offsets[p.n] - p.offsets[0] <= 128) return false;
    auto span = [](double a, double b, double limit) {
        double lo = a < b ? a : b, hi = a < b ? b : a;
        lo = lo > 0.0 ? lo : 0.0;
        hi = hi < limit ? hi : limit;
        return hi > lo ? hi - lo + 1.0 : 1.0;  // (NaN compares false: 1)
    };
    double rows = 0.0, cols = 0.0;
    for (int64_t i = 0; i < p.n; ++i) {
        const int64_t a = p.offsets[i], k = (p.offsets[i + 1] - a) / 2;
        const double* xy = p.xy + a;
        for (int64_t j = 0; j < k; ++j) {
            const int64_t q = j + 1 < k ? j + 1 : 0;  // closed implicitly
            cols += span(xy[2 * j], xy[2 * q], static_cast<double>(w));
            rows += span(xy[2 * j + 1], xy[2 * q + 1], static_cast<double>(h));
        }
    }
    return 4.0 * rows + static_cast<double>(h) < cols;
}

struct RowsScratch {
    RunBuf<uint64_t> counts;
    RunBuf<uint64_t> events;  // r * w + c: column c starts or stops being held at row r
    RunBuf<int64_t> bnd, next, tog;
    MC_SCRATCH_BYTES(counts, events, bnd, next, tog)
};

}  // namespace

Status coco_rows(Parts p, int64_t h, int64_t w, RowSink& sink, ErrorInfo& err) noexcept {
    ScratchLease<RowsScratch> lease;
    RowsScratch& sc = *lease;
    sc.counts.size = sc.events.size = sc.bnd.size = 0;
    if (Status s = coco_counts<uint64_t>(p, h, w, sc.counts, err); s != Status::ok) return s;
    if (h == 0 || w == 0) return Status::ok;
    const uint64_t H = static_cast<uint64_t>(h), W = static_cast<uint64_t>(w);
    uint64_t pos = 0;
    for (int64_t i = 0; i < sc.counts.size; ++i) {
        const uint64_t e = pos + sc.counts.data[i];
        if (i & 1) {  // a run of ones [pos, e), cut at the column ends
            for (uint64_t s = pos; s < e;) {
                const uint64_t c = s / H, top = c * H, end = std::min(e, top + H);
                if (!sc.events.reserve_more(2)) return Status::bad_alloc;
                sc.events.push_unchecked((s - top) * W + c);
                if (end - top < H) sc.events.push_unchecked((end - top) * W + c);
                s = end;
            }
        }
        pos = e;
    }
    std::sort(sc.events.data, sc.events.data + sc.events.size);
    const int64_t n = sc.events.size;
    for (int64_t i = 0; i < n;) {
        const int64_t r = static_cast<int64_t>(sc.events.data[i] / W);
        // This row's toggled boundaries, sorted (columns ascending; c + 1 meeting the next
        // column's c cancels).
        sc.tog.size = 0;
        if (!sc.tog.reserve_more(2 * (n - i))) return Status::bad_alloc;
        for (; i < n && static_cast<int64_t>(sc.events.data[i] / W) == r; ++i) {
            if (i + 1 < n && sc.events.data[i + 1] == sc.events.data[i]) {  // a column that stops and
                ++i;                                                       // starts again: no change
                continue;                                                  // (canonical counts have none)
            }
            const int64_t c = static_cast<int64_t>(sc.events.data[i] % W);
            if (sc.tog.size && sc.tog.data[sc.tog.size - 1] == c) --sc.tog.size;
            else sc.tog.push_unchecked(c);
            sc.tog.push_unchecked(c + 1);
        }
        // The symmetric difference of two sorted lists (equal points cancel).
        sc.next.size = 0;
        if (!sc.next.reserve_more(sc.bnd.size + sc.tog.size)) return Status::bad_alloc;
        const int64_t *a = sc.bnd.data, *ae = a + sc.bnd.size, *b = sc.tog.data, *be = b + sc.tog.size;
        while (a < ae && b < be) {
            if (*a < *b) sc.next.push_unchecked(*a++);
            else if (*b < *a) sc.next.push_unchecked(*b++);
            else ++a, ++b;
        }
        while (a < ae) sc.next.push_unchecked(*a++);
        while (b < be) sc.next.push_unchecked(*b++);
        std::swap(sc.bnd, sc.next);
        const int64_t until = i < n ? static_cast<int64_t>(sc.events.data[i] / W) : h;
        if (sc.bnd.size)
            for (int64_t rr = r; rr < until; ++rr) sink.row(rr, sc.bnd.data, sc.bnd.size / 2);
    }
    return Status::ok;
}

template <class T>
Status polygon_counts(Parts p, int64_t h, int64_t w, Rule rule, FillRule fill, RunBuf<T>& counts,
                      ErrorInfo& err) noexcept {
    if (rule == Rule::coco) return coco_counts<T>(p, h, w, counts, err);
    if (rule == Rule::inclusive || row_scan_is_cheaper(p, h, w)) {
        RleRows<T> sink(h, w);
        Status s = polygon_rows(p, h, w, rule, fill, sink, err);
        return s == Status::ok ? sink.finish(counts) : s;
    }
    RleCols<T> sink(h, w, counts);
    Status s = polygon_rows(p, h, w, rule, fill, sink, err, true);
    return s == Status::ok ? sink.finish() : s;
}

template Status polygon_counts<uint32_t>(Parts, int64_t, int64_t, Rule, FillRule, RunBuf<uint32_t>&,
                                         ErrorInfo&) noexcept;
template Status polygon_counts<uint64_t>(Parts, int64_t, int64_t, Rule, FillRule, RunBuf<uint64_t>&,
                                         ErrorInfo&) noexcept;

}  // namespace maskcore::raster
