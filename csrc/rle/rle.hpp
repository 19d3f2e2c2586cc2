// csrc/rle/rle.hpp — COCO run-length encoding.
//
// FORMAT. A binary mask of h rows and w columns is flattened in column-major
// (Fortran) order: pixel (r, c) has linear index c*h + r. Its RLE is the list of
// run lengths of that flattening, alternating 0-runs and 1-runs and always starting
// with a 0-run, which is empty when pixel (0, 0) is set:
//
//     mask (h=3, w=2)      flattening      counts
//     0 1                  0 0 1 1 1 0     [2, 3, 1]
//     0 1
//     1 0
//
// INVARIANTS. sum(counts) == h*w (checked by check_counts before any other
// function reads the runs). Runs produced here are canonical: no empty run except
// the first, and the 0x0 mask is [0]. Runs read here may be non-canonical (COCO
// files carry a few empty runs); every reader treats an empty run as "no pixels".
//
// LIMITS. h, w and h*w are int64 and h*w < 2^63 (the Python layer checks before any
// allocation). Counts are uint32 when h*w < 2^32 and uint64 otherwise (template T).
//
// ENCODE. A transition is a pixel whose truth differs from its predecessor in the
// flattening (the predecessor of pixel 0 is 0). Counts are the gaps between
// transitions. Two scans find them:
//   - column scan: columns are contiguous (Fortran order): one linear pass, a
//     transition is a[i] != a[i-1]; the SIMD kernel turns 32/64 bytes into a bit mask
//     and XORs it with itself shifted by one.
//   - row scan: rows are contiguous (C order): a pixel's predecessor is the pixel
//     above it, so XOR each row with the row above (row 0 with the last row shifted
//     right by one column: the end of the previous column). Transitions arrive in
//     row order and are bucket-sorted by column (counting sort) into column order.
//   Anything else (neither axis contiguous), and row-contiguous masks whose first
//   64 rows show dense transitions (noise: the bucket sort would cost more), is
//   transposed through 64 x 64 tiles into a column-major scratch copy (h*w bytes)
//   for the column scan.
// The SIMD part is find_transitions (transitions.inl), instantiated per ISA.
//
// DECODE. Into a column-contiguous view: one memset per run (per column piece).
// Into a row-contiguous view: row 0 is read off the runs; every later row is the
// row above it with the runs' boundaries in that row toggled (a prefix XOR down the
// columns), so the output is written once, in order, never column-wise.
//
// SET OPERATIONS, AREA, BBOX, MERGE walk the runs (never a dense mask): they are
// bound by the number of runs, not pixels. Merge and IoU work on the foreground's
// intervals; IoU matrices also on bit columns over each mask's box (iou.cpp), where
// a 64-row AND + POPCNT (and_popcount, popcount.inl, per ISA) replaces a walk.
//
// STRING CODEC. COCO's compressed counts: each count (from index 3 on, as the
// difference to the count two places back) is written as a little-endian sequence
// of 5-bit groups in a signed LEB128 style, each char = 48 + group (+32 when more
// groups follow). The reader rejects any char outside 48..111, a value that runs
// past 64 bits or past the end of the string, and counts that do not sum to h*w.
// The writer is codec_encode (codec.inl, per ISA: BMI2 PDEP); the reader is
// codec_decode (codec_decode.inl: 8 chars per step through PSHUFB tables) with the
// scalar reference (rle.cpp) behind it for what it does not take.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../common/common.hpp"
#include "../common/runbuf.hpp"
#include "../dispatch/dispatch.hpp"

namespace maskcore::rle {

// ---- the per-ISA kernels ------------------------------------------------------
// Each ISA namespace (scalar, avx2, avx512) defines these with the same
// signature, from one body (transitions.inl, codec.inl); rle.cpp dispatches.
//
// find_transitions: writes to idx[0..k) the indices i in [0, n) where
// nz(a[i]) != nz(prev(i)), with prev(i) = b[i] when b is given (row scan), else
// a[i-1] and, for i == 0, `carry` (column scan). ORs every byte of a[0..n) into
// *or_acc (for the 0/1 check). Returns k. Requires n <= 2^32 and room for n indices.
//
// and_popcount: the number of bits set in both a and b over `cols` columns of
// `words` 64-bit words each (column j of a starts at a + j * a_stride).
//
// codec_encode: the string of counts c[0..n) into out, which has room for
// 13 * n + 8 chars (8-byte stores run past the end); returns the chars written.
enum StringError : int { bad_char = 1, truncated = 2, too_long = 3, bad_count = 4, bad_sum = 5 };
#define MC_RLE_KERNELS                                                                                   \
    int64_t find_transitions(const uint8_t* a, const uint8_t* b, int64_t n, uint8_t carry, uint32_t* idx, \
                             uint8_t* or_acc);                                                            \
    int64_t codec_encode(const uint32_t* c, int64_t n, char* out);                                        \
    int64_t codec_encode(const uint64_t* c, int64_t n, char* out);                                        \
    uint64_t and_popcount(const uint64_t* a, int64_t a_stride, const uint64_t* b, int64_t b_stride,       \
                          int64_t cols, int64_t words);
// codec_decode (vector ISAs only; null for scalar): the counts of s[0..len) into out
// (room: len + 32), or -1 when invalid or outside its fast path (from_string then
// runs the scalar reference, which also explains a bad string).
#define MC_RLE_VECTOR_KERNELS                                                                  \
    int64_t codec_decode(const char* s, int64_t len, uint32_t* out, uint64_t total);          \
    int64_t codec_decode(const char* s, int64_t len, uint64_t* out, uint64_t total);
namespace scalar { MC_RLE_KERNELS }
#if defined(MC_X86_64)
namespace avx2 { MC_RLE_KERNELS MC_RLE_VECTOR_KERNELS }
namespace avx512 { MC_RLE_KERNELS MC_RLE_VECTOR_KERNELS }
#endif
#undef MC_RLE_VECTOR_KERNELS
#undef MC_RLE_KERNELS

// The kernels of one ISA; codec_encode is overloaded on the count type.
template <class T>
struct Kernels {
    int64_t (*find_transitions)(const uint8_t*, const uint8_t*, int64_t, uint8_t, uint32_t*, uint8_t*);
    int64_t (*codec_encode)(const T*, int64_t, char*);
    uint64_t (*and_popcount)(const uint64_t*, int64_t, const uint64_t*, int64_t, int64_t, int64_t);
    int64_t (*codec_decode)(const char*, int64_t, T*, uint64_t);  // null: scalar only
};

template <class T = uint32_t>
inline const IsaTable<Kernels<T>>& kernel_table() noexcept {
#define MC_KERNELS(ns, decode) Kernels<T>{ns::find_transitions, ns::codec_encode, ns::and_popcount, decode}
    static const auto table = MC_ISA_TABLE(Kernels<T>, MC_KERNELS(scalar, nullptr), MC_KERNELS(avx2, avx2::codec_decode),
                                           MC_KERNELS(avx512, avx512::codec_decode));
#undef MC_KERNELS
    return table;
}
template <class T = uint32_t>
inline const Kernels<T>& kernels() noexcept { return kernel_table<T>().current(); }

// Walks the column-major flattening as (row, column) without a division per run
// (a division only when a step crosses more than one column end).
struct Cursor {
    int64_t h, r = 0, c = 0;
    explicit Cursor(int64_t rows) : h(rows) {}
    void advance(uint64_t n) noexcept {
        const uint64_t rr = static_cast<uint64_t>(r) + n, uh = static_cast<uint64_t>(h);
        if (rr < uh) {
            r = static_cast<int64_t>(rr);
        } else if (rr < 2 * uh) {  // into the next column: the common case, no division
            r = static_cast<int64_t>(rr - uh);
            ++c;
        } else {
            c += static_cast<int64_t>(rr / static_cast<uint64_t>(h));
            r = static_cast<int64_t>(rr % static_cast<uint64_t>(h));
        }
    }
};

// ---- encode / decode ------------------------------------------------------------
// strict: bytes other than 0 and 1 are an error (invalid_value, err = first one in
// column-major order); otherwise any nonzero byte is foreground.
template <class T>
Status encode(View2D<const uint8_t> mask, bool strict, RunBuf<T>& out, ErrorInfo& err) noexcept;

// Writes 0/1 bytes into every pixel of `out` (any strides). counts must be checked.
template <class T>
Status decode(const T* counts, int64_t n, View2D<uint8_t> out) noexcept;

// ---- run algebra ---------------------------------------------------------------
// sum(counts) == total, without overflow; err.index = the count where it went wrong.
template <class T>
Status check_counts(const T* counts, int64_t n, uint64_t total, ErrorInfo& err) noexcept;

template <class T>
uint64_t area(const T* counts, int64_t n) noexcept;

// One pass over the runs: the area, the COCO box [x, y, w, h] of the foreground
// (zeros when empty) and, when iv is given (room for n + 1), its intervals as
// foreground_intervals writes them.
struct Foreground {
    uint64_t area;
    int64_t intervals;  // how many were written to iv
};
template <class T>
Foreground scan_foreground(const T* counts, int64_t n, int64_t h, int64_t w, int64_t box[4], uint64_t* iv) noexcept;

// Many RLEs of one count type, as the bindings pass them (see bind_rle.cpp).
template <class T>
struct RleSet {
    const T* counts;
    const int64_t* offsets;  // n + 1
    const int64_t* sizes;    // n x (height, width)
    int64_t n;
    const T* runs(int64_t i) const noexcept { return counts + offsets[i]; }
    int64_t len(int64_t i) const noexcept { return offsets[i + 1] - offsets[i]; }
    int64_t h(int64_t i) const noexcept { return sizes[2 * i]; }
    int64_t w(int64_t i) const noexcept { return sizes[2 * i + 1]; }
};

// out[i * b.n + j] = IoU of a[i] and b[j]; when crowd[j], the union is area(a[i]).
// An empty union gives 0. All RLEs must have one size (checked by the caller).
// See iou.cpp for the algorithm.
template <class T>
Status iou_matrix(const RleSet<T>& a, const RleSet<T>& b, const uint8_t* crowd, int threads, double* out) noexcept;

// The foreground as sorted, disjoint intervals [start, end) of the flattening,
// stored as start0, end0, start1, end1, ...
template <class T>
Status foreground_intervals(const T* counts, int64_t n, RunBuf<uint64_t>& out) noexcept;
// Pixels in both interval lists within the flattening window [lo, hi) (every pixel
// they share must lie in it, e.g. the columns where two boxes overlap). Starts at the
// window by binary search, so disjoint parts of two masks cost nothing.
uint64_t intervals_intersection(const uint64_t* a, int64_t ka, const uint64_t* b, int64_t kb, uint64_t lo,
                                uint64_t hi) noexcept;

// Union or intersection of two interval lists (as foreground_intervals makes
// them) into out: sorted, disjoint, non-touching, so it converts back to
// canonical counts with intervals_to_counts. out needs room for ka + kb intervals.
void intervals_union(const uint64_t* a, int64_t ka, const uint64_t* b, int64_t kb, RunBuf<uint64_t>& out) noexcept;
void intervals_intersect(const uint64_t* a, int64_t ka, const uint64_t* b, int64_t kb, RunBuf<uint64_t>& out) noexcept;
// Canonical counts of k intervals over a mask of `total` pixels.
template <class T>
Status intervals_to_counts(const uint64_t* iv, int64_t k, uint64_t total, RunBuf<T>& out) noexcept;

// Union (or intersection) of n RLEs of `total` pixels, as canonical counts: their
// foreground intervals reduced pairwise as a balanced tree (log2(n) rounds over all
// intervals instead of n - 1 merges into an ever longer accumulator; interval
// lists are half as long as counts), in two scratch buffers kept per thread.
template <class T>
Status merge_runs(const T* const* runs, const int64_t* lens, int64_t n, bool intersect, uint64_t total,
                  RunBuf<T>& out) noexcept;

enum class Op : int { and_ = 0, or_ = 1, xor_ = 2, andnot = 3 };
// Canonical runs of (a op b); both must cover the same total.
template <class T>
Status combine(const T* a, int64_t na, const T* b, int64_t nb, Op op, RunBuf<T>& out) noexcept;

// ---- string codec ---------------------------------------------------------------
template <class T>
Status to_string(const T* counts, int64_t n, RunBuf<char>& out) noexcept;
// The same into caller memory: string_room(n) chars (-1 if that overflows), of
// which write_string uses the returned count.
template <class T>
int64_t string_room(int64_t n) noexcept;
template <class T>
int64_t write_string(const T* counts, int64_t n, char* out) noexcept;
// Checks every char, that each count is >= 0 and that they sum to total. Errors
// (corrupt_rle) set err.kind to one of StringError and err.index (the offset, or
// for bad_count which count).
template <class T>
Status from_string(const char* s, int64_t len, uint64_t total, RunBuf<T>& out, ErrorInfo& err) noexcept;

}  // namespace maskcore::rle
