// csrc/segments/segments.hpp — label maps and colour masks to the runs of every segment, in one pass.
//
// WHAT. An (h, w) map of pixel keys (a label map's integers, or an RGB mask's colours packed as
// R + 256*G + 65536*B, COCO panoptic's id encoding) becomes the COCO RLE of every segment at
// once: the mask of segment s is "the pixels whose key maps to s". A user's alternative is one
// `map == id` per segment (500 segments: 500 reads of the map); here the map is read once.
//
// ONE CALL. encode_map (encode.cpp has its design) goes from the map to every segment's counts
// in one call: transitions found by the ISA's row_diff (rowdiff.inl, one template: the scalar word
// loop and AVX2), bucketed by strip of columns, sorted by column strip by strip and placed into
// exact per-segment slots. Segments.from_label_map / from_rgb use it. The two steps below are the
// path for from_rgb(snap="nearest") (it needs the colours present before it can map them) and for
// maps with 2^32 - 1 rows or columns or more, and the reference pipeline the tests hold
// encode_map to (same counts, offsets and order, bit for bit).
//
// TWO STEPS.
//   1. scan_runs (pixels, the one pass): the map's column-major flattening (COCO's order: pixel
//      (r, c) is number c*h + r) cut into "key runs" {start, len, key}: maximal runs of one key
//      inside one column, in increasing start order. A run never crosses a column, so columns
//      (and strips of columns) are independent: threads take strips. Runs of the same key in
//      consecutive columns that touch (the last row of column c and row 0 of column c+1) are
//      joined in step 2.
//
//      Row-contiguous maps (C order, the usual numpy layout) are read row by row in memory order,
//      each row compared with the row above in 256-byte chunks (memcmp: inside regions rows repeat,
//      so most chunks cost one compare); a differing chunk is compared pixel by pixel, and every
//      difference is a transition {column, row, new key}. Threads take bands of rows. Each
//      transition starts a run of its column: counted per column, they are placed straight into
//      their column's run slots in row order (a counting sort), and one pass per column sets the
//      lengths: the map is read once, in order, and never again. Transition buffers are kept
//      between calls (fresh memory's page faults cost more than the scan on a VM).
//      Column-contiguous maps (Fortran order) and any other strides are read one column at a
//      time (threads take blocks of kStrip columns).
//
//            column  c0   c0+1 c0+2 ...
//       row r-1   [   5    5    5    7  ... ]   same bytes as row r: nothing to do
//       row r     [   5    5    9    7  ... ]   chunk differs: column c0+2 changes 5 -> 9 at row r
//
//   2. gather_runs (runs only, no pixels): each key run's key is looked up among the caller's
//      sorted keys (a direct table for keys < 2^16, else binary search with a one-entry cache),
//      giving a segment (or -1: background, dropped; or "unknown": counted and reported). Two
//      passes over the runs: count every segment's counts, then write them into one flat buffer
//      (RLEBatch layout: flat counts + offsets). A run that starts where the segment's previous
//      run ended extends it (keys mapped to one segment, column joins).
//
// INVARIANTS. The counts of every segment sum to h*w and are canonical (no empty run but the
// first; an empty mask is [h*w], the 0x0 mask [0]); they equal rle::encode of `segment mask`.
//
// PAINT. paint_runs writes segment values into a column-major (h*w) buffer, segment by segment
// in a given order (later writes win): one fill per run. The caller transposes to C order.
//
// REFERENCE. scan_runs_reference reads every pixel in flattening order with a scalar compare;
// the tests check scan_runs, and encode_map through gather_runs, against it for every layout and
// dtype at every ISA.
//
// LIMITS. h*w < 2^63; counts are uint32 when h*w < 2^32, else uint64. Allocation failure ->
// Status::bad_alloc. Kernels never throw or print.
#pragma once
#include <cstdint>

#include "../common/common.hpp"
#include "../common/runbuf.hpp"
#include "../dispatch/dispatch.hpp"

namespace maskcore::segments {

constexpr int64_t kStrip = 64;  // columns per thread block on the column-by-column path

struct KeyRun {
    int64_t start;  // position in the column-major flattening
    int64_t len;
    uint64_t key;
};

// A map to read: element (r, c) starts at base + r*row_stride + c*col_stride (bytes, any sign).
// kind: 1, 2, 4, 8 = unsigned little-endian integers of that many bytes; 3 = three uint8 channels
// at chan_stride bytes apart, packed as c0 + 256*c1 + 65536*c2.
struct MapView {
    const uint8_t* base;
    int64_t rows, cols;
    int64_t row_stride, col_stride, chan_stride;
    int kind;
};

Status scan_runs(const MapView& m, int threads, RunBuf<KeyRun>& out) noexcept;
Status scan_runs_reference(const MapView& m, RunBuf<KeyRun>& out) noexcept;

// keys: sorted, distinct (nkeys); seg_of_key[k]: the segment of keys[k], or -1 (dropped).
// Keys not listed are "unknown": unknown_pixels / first_unknown (a run index, -1 if none) report them.
template <class T>
Status gather_runs(const KeyRun* runs, int64_t nruns, const uint64_t* keys, const int64_t* seg_of_key,
                   int64_t nkeys, int64_t nseg, uint64_t total, RunBuf<T>& counts, RunBuf<int64_t>& offsets,
                   int64_t& unknown_pixels, int64_t& first_unknown) noexcept;

// ---- encode_map: the map straight to every segment's counts (one call) --------------------
// What segments to make. Table mode (keys != nullptr): keys sorted and distinct, seg_of_key[k]
// the segment of keys[k] (-1: dropped); a key not listed is "unknown" (counted, located).
// Auto mode (keys == nullptr): every distinct key except `drop` (when has_drop) is a segment,
// in increasing order of value (is_signed: keys are `kind`-byte two's complement integers).
struct EncodeSpec {
    const uint64_t* keys = nullptr;
    const int64_t* seg_of_key = nullptr;
    int64_t nkeys = 0, nseg = 0;
    bool has_drop = false, is_signed = false;
    uint64_t drop = 0;
};

// flat / offsets: the RLEBatch layout of the nseg segments (auto mode: seg_keys[s] is segment s's
// key). unknown_pixels: pixels whose key is unknown; first_unknown: the row-major index (r * w + c)
// of the first of them, -1 if none (the counts are then incomplete: the caller reports them).
// Status::overflow when h or w >= 2^32 - 1 (encode with scan_runs + gather_runs) or more than
// 2^31 - 1 segments.
template <class T>
Status encode_map(const MapView& m, const EncodeSpec& spec, int threads, RunBuf<T>& flat, RunBuf<int64_t>& offsets,
                  RunBuf<uint64_t>& seg_keys, int64_t& unknown_pixels, int64_t& first_unknown) noexcept;

// The ISA kernels (one template, rowdiff.inl): row_diff writes the indices e (ascending, each
// once) of the n elements of es bytes (1, 2, 3, 4 or 8) where a and b differ; returns their count.
#define MC_SEGMENTS_KERNELS \
    int64_t row_diff(const uint8_t* a, const uint8_t* b, int64_t n, int es, uint32_t* idx) noexcept;
namespace scalar { MC_SEGMENTS_KERNELS }
#if defined(MC_X86_64)
namespace avx2 { MC_SEGMENTS_KERNELS }
#endif
#undef MC_SEGMENTS_KERNELS

struct Kernels {
    int64_t (*row_diff)(const uint8_t*, const uint8_t*, int64_t, int, uint32_t*) noexcept;
};
// avx512 runs the avx2 variant (the compare is bound by memory, not by the vector width).
inline const IsaTable<Kernels>& kernel_table() noexcept {
    static const auto table = MC_ISA_TABLE(Kernels, Kernels{scalar::row_diff}, Kernels{avx2::row_diff},
                                           Kernels{avx2::row_diff});
    return table;
}

// Writes values[s] (elem_size bytes each, little-endian low bytes of a uint64) over the 1-runs of
// segment order[i], i = 0..norder-1, into the column-major buffer out (total elements).
// Counts running past total: Status::corrupt_rle, err.index = the segment, err.value = the index
// of that count within the segment's counts.
template <class T>
Status paint_runs(const T* flat, const int64_t* offsets, const uint64_t* values, const int64_t* order,
                  int64_t norder, int elem_size, uint8_t* out, uint64_t total, ErrorInfo& err) noexcept;

}  // namespace maskcore::segments
