// csrc/raster/scan.cpp — the scan engine's entry: polygon_rows checks the input, picks the
// rule and drives its rows into the sink (scan.hpp). The rules live in scan_center.hpp,
// scan_touched.hpp and scan_inclusive.hpp (its set-up included: InclusiveScan::build), with
// what they share (row order, active list, the row driver) in scan_common.hpp; the "coco"
// rule and every rule's COCO counts in coco_rows.cpp, strokes in stroke.cpp, the sinks in
// sinks.cpp.
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
        scan.fill = fill;
        if (Status s = scan.build(parts, h, w); s != Status::ok) return s;
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
