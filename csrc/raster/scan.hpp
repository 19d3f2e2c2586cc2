// csrc/raster/scan.hpp — polygon and stroke rasterization by scanlines: exact rules,
// row spans out, any sink (dense mask, label-map painting, COCO RLE).
//
// WHAT. One scanline engine turns an edge list (all parts of one object, closed
// implicitly) into, for every image row r, a sorted list of disjoint column spans
// [a, b) clipped to [0, w). A rule is a policy that says which columns of a row are
// in; a sink says what to do with them. Every rule goes through polygon_rows, "coco"
// included (its mask is pycocotools' column walk, coco_poly.hpp, turned into row spans
// by coco_rows.cpp). Rules:
//
//   center     pixel (r, c) is in when its centre p = (c + .5, r + .5) is inside the
//              polygon under the fill rule, with p + (eps, eps^2) tested instead of p
//              (x right, y down): a centre on a left edge or a top horizontal edge is
//              in, on a right or bottom edge out (the top-left rule of GPU
//              rasterizers). The perturbed point is never on an edge, so "inside" is
//              the even-odd parity or non-zero winding of a generic point, a function
//              of the geometry alone: polygons that share edges partition the pixels.
//              Scan: an edge crosses row r iff y0 <= r + .5 < y1 (y0 < y1 after
//              ordering its ends, horizontal edges never cross); it toggles columns
//              c >= ceil(x_cross - .5).
//   touched    pixel (r, c) is in when the closed square [c, c+1] x [r, r+1] meets the
//              closed filled region or any edge: the centre spans of the fill rule,
//              united with every square each closed edge segment touches (a square
//              with no edge point is wholly in or out, and its centre says which).
//   inclusive  cv2.fillPoly(img, pts, lineType=8) (OpenCV >= 4.8) for integer vertices,
//              which are pixel centres here: the 8-connected line of every edge
//              (OpenCV's LineIterator: an edge with an end outside the image is first cut
//              by clipLine's integer arithmetic, then walked from its left end with the
//              minor coordinate ceil(j d / D - 1/2)) and OpenCV's FillEdgeCollection
//              spans: x in 16.16 fixed point along the line through the CLIPPED end
//              points (PR #23076), step trunc((dx << 16) / dy), rows y0 <= y < y1 of the
//              original edge, span [ceil(xa), floor(xb)] between consecutive crossings.
//              Non-integer vertices are first rounded to the nearest integer (ties to
//              even). Non-zero winding uses the same crossings, spans from where the
//              winding leaves 0 to where it returns.
//
// EXACTNESS. center/touched snap every coordinate to 1/256 pixel, X = round(256 x)
// (ties to even, by the 1.5 * 2^52 trick: no libm call; |x| <= 2^40, so |X| <= 2^48),
// and decide everything on those integers exactly: a crossing's column is ceil(N / D)
// with N = (X0 - 128) dY + (Ys - Y0) dX, D = 256 dY, initialized once per edge (int64
// when the coordinates are below 2^30 / 256 pixels, int128 otherwise) and stepped per
// row with an int64 quotient/remainder DDA (|N step| = 256 |dX| <= 2^57, D <= 2^57).
// Edges are ordered by y before anything is computed, so the result does not depend on
// an edge's direction. tests/reference/raster_ref.py checks the rule with exact integer
// arithmetic (the same as fractions.Fraction on X / 256) on the same snapped values.
//
// ALGORITHM. Classic active-edge-table scan conversion (Foley & van Dam, Computer
// Graphics 2nd ed., 3.6): edges sorted by first row, an active list of edge indices
// kept sorted by crossing column with an insertion sort (nearly sorted from the
// previous row), the fill rule applied while walking it. Cost O(edges log edges +
// rows x active + pixels). Edges are ordered by first row with a counting sort over the
// rows they span (std::stable_sort when those are many more than the edges; indices
// move, not the edges). The inclusive rule's lines are span sources of the same kind
// (one contiguous run per row and line, stepped by one DDA), so no pixel list is ever
// sorted: each fill edge carries its own line, whose run in a row lies at or next to
// the edge's crossing and stretches the fill span when the two touch (else goes out
// alone); a line's last row (its lower end, no crossing there) joins the first run of
// the edge leaving that end downwards (both hold the end pixel). Horizontal edges lie
// in groups on one row between two other edges; a group's runs form one run through
// its vertices, so each horizontal edge inside the image, and the last runs ending on
// the group, join the first run of the edge leaving the group downwards (or arriving
// up to it) from a vertex inside the image. The rest (groups with neither, ends with
// no such edge, clipped lines starting below their edge) are free lines: scanned with
// the rows for RLE, walked on their own after the fill for painting sinks (idempotent,
// order-free: RowSink::runs). Edges form monotone chains: one that ends hands its
// place in the active list to the edge leaving its lower end downwards (past horizontal
// edges), so the list changes only where a chain starts or ends (only chain starts are
// queued), and the rows between are produced without touching it; with two edges
// active (most rows of simple polygons) along both chains with the state in locals.
// The set-up walks the edges listed by kind (horizontal or not) and selects without
// branches where the kind of a neighbour decides: on noisy outlines those branches
// mispredict (the 2000-vertex benchmark polygon, 30% of its edges horizontal: 5,300 ->
// 2,700 mispredictions per call, cachegrind).
// Per-row spans are normalized (sorted, merged) only for the rules that can overlap
// them (touched, inclusive) and sinks that want them disjoint.
//
// RLE. center and touched scan the columns instead (x and y swapped): the spans of
// column c are its runs, so the counts come out in order with no sort and no buffer
// beyond one column's spans. Seen from the columns, the perturbation (eps, eps^2) puts
// the scanline at x + eps and the centre at y + eps^2: an edge crosses column c iff
// x0 <= c + .5 < x1, and a centre exactly on the crossing counts as below it iff the
// edge's y does not grow with x (dy/dx <= 0; exact integer test on the snapped
// coordinates). Both scans implement one point-in-polygon predicate, so
// rasterize_rle == encode(rasterize) (tested for every rule).
// inclusive is not symmetric in x and y; RleRows turns its row spans into counts:
// the columns where row r differs from row r - 1 (the symmetric difference of
// two sorted span lists: merge their end points) each give a toggle at linear index
// c * h + r; toggles are sorted by column (counting sort when the column range is
// small, else std::sort; stable in r), reduced mod 2 and differenced into counts.
// Memory O(edges + toggles + one row's spans): toggles = 2 x column runs.
//
// LIMITS. |coordinate| <= kMaxCoordinate = 2^40 and finite (invalid_value otherwise,
// err.index = the value's index); h, w < 2^31 (overflow otherwise); fewer than 2^32
// edges or segments (active lists hold uint32 indices; bad_alloc otherwise).
//
// STROKES. stroke_rows: the pixels whose centre is within distance <= width / 2 of a
// polyline (round caps and joins; one point is a disc), evaluated in double precision:
// per row, per segment, the x-interval of the capsule {q : dist(q, segment) <= R} is
// the union of two disc chords and the slab {0 <= (q - p0).d <= |d|^2,
// |d x (q - p0)| <= R |d|}; columns c with c + .5 in it.
//
// VARIANTS. Scalar only, on purpose: the pixel work is span filling, done by
// std::fill / memset (libc picks its AVX2 / AVX-512 memset at run time, so every ISA
// already gets vector stores and writes the same bytes); the per-row work is a few
// integer DDA steps and a branchy walk over 2-4 active edges, where lanes would idle.
// rasterize writes the image in row order with its zeros (FillRows: no separate
// clearing pass; each pixel once up to 2 MiB, larger images zeroed in batches of rows
// just before their spans are painted).
#pragma once
#include <cstdint>

#include "../common/common.hpp"
#include "../common/runbuf.hpp"

namespace maskcore::raster {

inline constexpr double kMaxCoordinate = 1099511627776.0;  // 2^40

// The rules and fill rules, and their names: the one table (bind_raster.cpp exports it
// as maskcore._core.RASTER_RULES / FILL_RULES; maskcore/_validate.py reads it there).
enum class Rule : int { center = 0, touched = 1, inclusive = 2, coco = 3 };
enum class FillRule : int { evenodd = 0, nonzero = 1 };
inline constexpr int kNumRules = 4, kNumFillRules = 2;
inline constexpr const char* kRuleNames[kNumRules] = {"center", "touched", "inclusive", "coco"};
inline constexpr const char* kFillNames[kNumFillRules] = {"evenodd", "nonzero"};

// Parts of one object: part i is xy[offsets[i] .. offsets[i + 1]) = x0, y0, x1, y1, ...
struct Parts {
    const double* xy;
    const int64_t* offsets;
    int64_t n;
};

// Receives row spans: spans[0..2n) = a0, b0, a1, b1, ... sorted, disjoint, non-empty,
// within [0, w) (only non-empty and within [0, w) when wants_disjoint() is false). Rows
// come in increasing order; rows without spans may be skipped.
struct RowSink {
    virtual void row(int64_t r, const int64_t* spans, int64_t n) noexcept = 0;
    // false: the sink is idempotent per pixel (painting), so the rules that can emit
    // overlapping spans (touched, inclusive) may skip sorting and merging them, and may
    // hand it pixels in any order: rows out of order or more than once, through runs().
    virtual bool wants_disjoint() const noexcept { return true; }
    // Only when wants_disjoint() is false: rab[0..3n) = r0, a0, b0, r1, ... the runs
    // [a, b) of rows r, non-empty, within the image, in any order, overlapping anything.
    virtual void runs(const int64_t* rab, int64_t n) noexcept {
        for (int64_t i = 0; i < n; ++i) row(rab[3 * i], rab + 3 * i + 1, 1);
    }
    // Only when wants_disjoint() is false: the rows r0 .. r0 + m - 1 at once, row r0 + i
    // with the cnt[i] spans at spans + stride * i (as row() receives them; cnt[i] = 0:
    // none). One call for many rows: a virtual call per row was measurable.
    virtual void rows(int64_t r0, int64_t m, const int64_t* spans, int64_t stride, const int64_t* cnt) noexcept {
        for (int64_t i = 0; i < m; ++i)
            if (cnt[i]) row(r0 + i, spans + stride * i, cnt[i]);
    }
    virtual ~RowSink() = default;
};

// Rasterizes `parts` under `rule` and `fill` over an h x w image, row by row; with
// `transposed` (center and touched only), column by column instead: sink.row(c, ...)
// receives the row spans of column c (the COCO order). The centre rule's ties then
// follow the same perturbation seen from the columns (scan.hpp, RLE), so both scans
// select the same pixels. Rule::coco (fill ignored: parts are unioned) runs coco_rows.
Status polygon_rows(Parts parts, int64_t h, int64_t w, Rule rule, FillRule fill, RowSink& sink, ErrorInfo& err,
                    bool transposed = false) noexcept;

// The "coco" rule's mask (pycocotools' frPyObjects + merge: each part by coco_poly.hpp,
// their union) as row spans, rows in increasing order (coco_rows.cpp). Limits those of
// coco_poly.hpp (|v| <= kCocoMaxCoordinate, err.index into xy).
Status coco_rows(Parts parts, int64_t h, int64_t w, RowSink& sink, ErrorInfo& err) noexcept;

// The COCO counts of the parts under any rule, appended to counts: "coco" straight from
// coco_poly.hpp (parts merged), "inclusive" by row toggles (RleRows), "center" and
// "touched" by whichever of the column scan (RleCols) and the row scan costs less (the
// same pixels either way). T: uint32_t when h * w < 2^32, else uint64_t.
template <class T>
Status polygon_counts(Parts parts, int64_t h, int64_t w, Rule rule, FillRule fill, RunBuf<T>& counts,
                      ErrorInfo& err) noexcept;

// Paints a thick polyline (xy: n points) of the given width (diameter), row by row.
Status stroke_rows(const double* xy, int64_t n, double width, int64_t h, int64_t w, RowSink& sink,
                   ErrorInfo& err) noexcept;

// COCO counts of the rows a producer emits: call row() for the rows in increasing
// order, then finish(). T: uint32_t (h * w < 2^32) or uint64_t.
template <class T>
struct RleRows final : RowSink {
    int64_t h, w;
    RunBuf<uint64_t> toggles;  // column << 32 | row
    RunBuf<int64_t> prev, merged;
    int64_t prev_row = -1;
    bool ok = true;
    RleRows(int64_t h_, int64_t w_) : h(h_), w(w_) {}
    void row(int64_t r, const int64_t* spans, int64_t n) noexcept override;
    Status finish(RunBuf<T>& counts) noexcept;

  private:
    void diff(int64_t r, const int64_t* spans, int64_t n) noexcept;
};

// COCO counts straight from a transposed (column) scan: spans of column c are runs.
template <class T>
struct RleCols final : RowSink {
    int64_t h, w;  // of the image (the scan sees w rows of h)
    RunBuf<T>& counts;
    uint64_t pos = 0, s = 0, e = 0;
    bool pending = false, ok = true;
    RleCols(int64_t h_, int64_t w_, RunBuf<T>& out) : h(h_), w(w_), counts(out) {}
    void row(int64_t c, const int64_t* spans, int64_t n) noexcept override;
    Status finish() noexcept;
};

// Dense writers. The lock rule shared by every painting function: a selected pixel
// holding v is written iff v is not in `locked` (sorted, n_locked values) and
// (over || v == 0).
template <class T>
struct PaintRows final : RowSink {
    View2D<T> img;
    T value;
    bool over;
    const uint64_t* locked;
    int64_t n_locked;
    PaintRows(View2D<T> img_, T value_, bool over_, const uint64_t* locked_, int64_t n_locked_)
        : img(img_), value(value_), over(over_), locked(locked_), n_locked(n_locked_) {}
    void row(int64_t r, const int64_t* spans, int64_t n) noexcept override;
    bool wants_disjoint() const noexcept override { return false; }  // the lock rule is idempotent
    void runs(const int64_t* rab, int64_t n) noexcept override;
    void rows(int64_t r0, int64_t m, const int64_t* spans, int64_t stride, const int64_t* cnt) noexcept override;
};

// rasterize's writer: every pixel of every row is written, `value` inside the spans and 0
// elsewhere (no separate clearing pass). Call finish() at the end. Contiguous images
// (col_stride 1, row_stride cols) are written as one run of memory, in row order, so the
// sink takes what painting sinks take (wants_disjoint() false: the inclusive rule's free
// lines come last through runs(), which first zero the rest of the image). Up to
// kChunkedBytes each pixel is written once: each row's spans (any order, overlapping)
// fill the zeros from where the last span ended up to them. Larger images are zeroed
// kBatchRows rows at a time by one fill, then the spans painted over them while they
// are in cache: a long fill streams (glibc's `rep stosb` does not read the lines it
// overwrites), a row's pieces of zeros each read their lines first, which costs more
// than writing the spans twice once the image is well beyond the L2 cache. Inclusive
// rule against cv2.fillPoly, interleaved runs: 1024x1024 1.00 (pixels once) vs 0.93
// (batches); 3840x2160 0.88 vs 0.97. Other layouts are written row by row from
// disjoint sorted spans.
template <class T>
struct FillRows final : RowSink {
    static constexpr int64_t kChunkedBytes = int64_t{2} << 20, kBatchRows = 64;
    View2D<T> img;
    T value;
    bool linear;       // contiguous: `next` is a linear index
    bool chunked;      // linear and larger than kChunkedBytes
    int64_t next = 0;  // pixels (linear) or rows before this one are written
    FillRows(View2D<T> img_, T value_)
        : img(img_), value(value_), linear(img_.col_stride == 1 && img_.row_stride == img_.cols),
          chunked(linear && img_.rows * img_.cols > kChunkedBytes / static_cast<int64_t>(sizeof(T))) {}
    void row(int64_t r, const int64_t* spans, int64_t n) noexcept override;
    bool wants_disjoint() const noexcept override { return !linear; }
    void runs(const int64_t* rab, int64_t n) noexcept override;
    void rows(int64_t r0, int64_t m, const int64_t* spans, int64_t stride, const int64_t* cnt) noexcept override;
    void finish() noexcept;

  private:
    void fill(T* p, int64_t n, T v) noexcept;
    void put(int64_t base, const int64_t* spans, int64_t n) noexcept;
};

// Writes `color` (channels values, element stride cstride) into every selected pixel of
// an (h, w, channels) image.
template <class T>
struct ColorRows final : RowSink {
    T* data;
    int64_t rstride, cstride, chstride, channels;
    const T* color;
    ColorRows(T* d, int64_t rs, int64_t cs, int64_t chs, int64_t ch, const T* col)
        : data(d), rstride(rs), cstride(cs), chstride(chs), channels(ch), color(col) {}
    void row(int64_t r, const int64_t* spans, int64_t n) noexcept override;
    bool wants_disjoint() const noexcept override { return false; }
};

// paint_mask: the lock rule for the pixels where mask (same shape) is non-zero.
template <class T>
Status paint_mask(View2D<T> img, View2D<const uint8_t> mask, T value, bool over, const uint64_t* locked,
                  int64_t n_locked) noexcept;

}  // namespace maskcore::raster
