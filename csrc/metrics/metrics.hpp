// csrc/metrics/metrics.hpp — mask quality metrics: pixel counts of mask pairs,
// confusion matrices of semantic maps, and mask boundaries for boundary IoU.
//
// PAIR COUNTS (count_pair). IoU and Dice of two dense binary masks need three
// numbers: |A & B|, |A| and |B|. One pass over both masks (rows, or columns for
// Fortran-ordered pairs) sums the bytes and their AND; the same pass ORs every
// byte so that values other than 0/1 are reported (invalid_value). Lists of masks
// are not counted here: the Python layer encodes them to RLE and uses the RLE IoU
// matrix (csrc/rle/iou.cpp: boxes prune disjoint pairs, bit columns count the
// rest), so N x M pairs never touch N x M dense images.
//
// CONFUSION MATRIX (confusion). cm[g][p] = number of pixels with ground truth g
// and prediction p (scikit-learn's convention: rows are ground truth). Label maps
// are spatially coherent: neighbouring pixels almost always carry the same
// (g, p) pair, so a plain histogram (bins[g * K + p]++) stalls on store-to-load
// forwarding (each increment waits for the previous one to the same bin, ~5
// cycles). Instead the scan merges runs of equal pairs and adds a run's length
// once. For uint8 maps the vector kernel (hist_u8) compares W pixels at a time
// with their left neighbours (W = 8 with 64-bit SWAR words in the scalar build, 32
// with AVX2, 64 with AVX-512BW) into a bit mask of pair changes: a block without
// a change adds W to the run, otherwise the run is flushed at each set bit (found
// with ctz), so the cost follows the number of changes, not of pixels. (A
// "whole block is one pair" test was slower: with 80-pixel regions most 32-pixel
// blocks hold a change.) A block with more than W/4 changes (noise-like maps) is
// counted with a plain increment per pixel instead: its bin indices are computed in
// 16-bit vector lanes (row * stride + col, HistU8) and pixel j is added to uint16
// sub-table j % 2, flushed into the uint32 totals every <= 65535 increments. The
// compact layout ((K + 2) x (K + 1) bins for K <= 254, rows/columns past K catching
// ignored and out-of-range values without a per-pixel branch) keeps a sub-table in
// L1 (45 KB for K = 150). Measured on two 4000 x 4000 uniform-noise maps, K = 150
// (Zen 5, machine shared with other jobs, best of 15-25): the former 256 x 256
// uint32 table 14-17 ms; this path 6.6-7.2 ms, the same as a bare
// `++bins[idx[i]]` loop over precomputed indices in one process (6.7 ms, ~0.42 ns
// per increment: the floor of any scatter histogram; 1, 2 or 4 sub-tables, uint16
// or uint32 counters and batching the indices of several blocks all measured within
// noise of it); reading both maps once (np.count_nonzero) 1.1-1.3 ms. One
// increment per pixel is ~5x a read of the pixel, so "within 2x of one read" is out
// of reach for noise; region maps (1.2 ms) meet it through run merging. Values >= K
// other than the ignored ground truth show up as non-empty bins outside the K x K
// part (invalid_value); uint16 / uint32 maps check values at each run flush. Threads
// take horizontal strips, each into its own tables (a strip has < 2^31 pixels:
// uint32 totals), summed in strip order into int64: the result does not depend on
// the thread count.
//
// BOUNDARY (boundary). Cheng et al., "Boundary IoU: Improving Object-Centric Image
// Segmentation Evaluation", CVPR 2021. Their reference (mask_to_boundary) pads the
// mask with one ring of zeros, erodes it d times with a 3x3 square and keeps
// mask - eroded. d erosions with a 3x3 square are one erosion with a (2d+1)^2
// square (Chebyshev ball), and the zero ring means "outside the image is 0":
//     eroded(r, c) = 1  iff  every pixel within max(|dr|, |dc|) <= d is in the
//                             image and set.
// The square is separable. Columns first, on the RLE's column runs: a run
// [r0, r1) of a column erodes vertically to [r0 + d, r1 - d) (V). Rows second,
// with one integer per row: lz[r] = the last column <= c where V(r, .) is 0.
// Scanning columns left to right, after column c the pixel (r, c - d) is eroded-1
// iff lz[r] < c - 2d (the window [c - 2d, c] is all ones). So the boundary of
// column c - d is M & ~(lz < c - 2d), emitted as intervals straight into RLE
// counts. Work is (box width + d) x box height per mask, never the whole image.
// Boundary IoU of two masks is then the IoU of their boundary RLEs (rle iou).
//
// PAIR TABLE (pair_table). For ids too large for a K x K table (panoptic segment
// ids up to 2^24): runs of equal (a, b) pairs are merged along rows and added into
// an open-addressing hash table; the distinct pairs come out sorted.
//
// LIMITS. Sizes are int64; dense masks have < 2^63 pixels; K * K <= 2^31; a row
// of a confusion scan has < 2^31 pixels (overflow otherwise).
// Variants: scalar (SWAR, the reference), avx2, avx512 for count_pair, hist_u8
// (change masks and the 16-bit bin indices of noise blocks), flush_sub and
// boundary_column (the per-row column step, vectorized by the compiler in each
// ISA region); the rest is plain C++.
#pragma once
#include <cstdint>

#include "../common/common.hpp"
#include "../common/runbuf.hpp"
#include "../dispatch/dispatch.hpp"
#include "../rle/rle.hpp"

namespace maskcore::metrics {

// Run state of the confusion scan: `len` pixels of pair `key` not yet added.
struct Run {
    uint64_t key = 0;
    uint64_t len = 0;
};

// The pair table of a uint8 confusion scan (one per strip). A pair (g, p) goes to
// bin index(g, p) = row(g) * stride + col(p) with
//   row(g) = drop        if g == ign (the ignored ground truth: a row dropped at the end)
//          = min(g, rmax) otherwise,   col(p) = min(p, cmax).
// Compact layout (K <= 254): stride K + 1, drop = K, rmax = K + 1, cmax = K: rows
// 0..K-1 are the matrix, row K the ignored pixels, row K + 1 and column K collect
// out-of-range values (invalid_value when non-empty), (K + 2)(K + 1) bins (22,952 for
// K = 150: 45 KB of uint16). Full layout (K >= 255): the identity, 256 x 256. Every
// index fits in 16 bits, so vector code computes them with 16-bit lanes.
// Merged runs are added to `bins` (uint32 totals); single pixels of noise-like blocks
// are counted in kSub interleaved uint16 sub-tables (`sub`, kSub * size), so that two
// nearby increments of one bin do not wait for each other, and the table is small
// enough for L1/L2. A sub-table takes at most kFlushAt increments between flushes
// into `bins` (`pending` counts them): a uint16 counter cannot wrap.
struct HistU8 {
    static constexpr int kSub = 2;
    static constexpr int64_t kFlushAt = 65535;
    uint32_t* bins = nullptr;
    uint16_t* sub = nullptr;
    int64_t size = 0;     // bins per table (rows * stride)
    int64_t pending = 0;  // increments into each sub-table since the last flush
    uint32_t stride = 256, drop = 256, rmax = 255, cmax = 255, ign = 256;  // ign = 256: none
    uint32_t index(uint32_t g, uint32_t p) const noexcept {
        return (g == ign ? drop : (g < rmax ? g : rmax)) * stride + (p < cmax ? p : cmax);
    }
};

// ---- per-ISA kernels (kernels.inl) ------------------------------------------------
// count_pair: over n bytes of a and b: out[0] += sum(a & b), out[1] += sum(a),
// out[2] += sum(b); *or_acc |= every byte of a and b (for the 0/1 check).
// hist_u8: counts the pairs (g[i], p[i]) for i < n into h, merging runs through
// `run` (key g << 8 | p; flush: h.bins[h.index(g, p)] += run.len). The caller adds
// the last run and h's sub-tables (flush_sub) after the last call.
// flush_sub: h.bins += every sub-table, sub-tables zeroed, pending = 0.
// boundary_column: one column step of the boundary scan (see BOUNDARY): for each of
// n rows, lz[r] = c where v[r] == 0 (every row when v is null), then
// b[r] = m[r] & (lz[r] >= limit).
#define MC_METRICS_KERNELS                                                                             \
    void count_pair(const uint8_t* a, const uint8_t* b, int64_t n, uint64_t out[3], uint8_t* or_acc); \
    void hist_u8(const uint8_t* g, const uint8_t* p, int64_t n, HistU8& h, Run& run);                 \
    void flush_sub(HistU8& h);                                                                        \
    void boundary_column(const uint8_t* v, const uint8_t* m, int32_t* lz, int64_t n, int32_t c, int32_t limit, \
                         uint8_t* b);
namespace scalar { MC_METRICS_KERNELS }
#if defined(MC_X86_64)
namespace avx2 { MC_METRICS_KERNELS }
namespace avx512 { MC_METRICS_KERNELS }
#endif
#undef MC_METRICS_KERNELS

struct Kernels {
    void (*count_pair)(const uint8_t*, const uint8_t*, int64_t, uint64_t*, uint8_t*);
    void (*hist_u8)(const uint8_t*, const uint8_t*, int64_t, HistU8&, Run&);
    void (*flush_sub)(HistU8&);
    void (*boundary_column)(const uint8_t*, const uint8_t*, int32_t*, int64_t, int32_t, int32_t, uint8_t*);
};

inline const IsaTable<Kernels>& kernel_table() noexcept {
#define MC_KERNELS(ns) Kernels{ns::count_pair, ns::hist_u8, ns::flush_sub, ns::boundary_column}
    static const auto table = MC_ISA_TABLE(Kernels, MC_KERNELS(scalar), MC_KERNELS(avx2), MC_KERNELS(avx512));
#undef MC_KERNELS
    return table;
}
inline const Kernels& kernels() noexcept { return kernel_table().current(); }

// ---- entry points ------------------------------------------------------------------
inline constexpr int64_t kMaxClasses = 46340;  // the largest K with K * K <= 2^31
// |a & b|, |a|, |b| of two masks of one shape (any strides). invalid_value when a
// byte is not 0/1: err.kind = 0 for a, 1 for b, err.index = its row-major index
// (r * cols + c), err.value = the byte (the first such pixel, a before b).
Status count_pair(View2D<const uint8_t> a, View2D<const uint8_t> b, uint64_t out[3], ErrorInfo& err) noexcept;

// out (K x K int64, zeroed by the callee) = confusion matrix of gt and pred (one
// shape, any strides; T = uint8, uint16 or uint32). ignore < 0: none. A value >= K
// (other than an ignored ground truth) -> invalid_value, err.kind = 0 (gt) or 1
// (pred), err.value = the value, err.index = the row-major index (r * cols + c) of the
// first such pixel. K is at most kMaxClasses (K * K <= 2^31: the strips' uint32 bins).
template <class T>
Status confusion(View2D<const T> gt, View2D<const T> pred, int64_t k, int64_t ignore, int threads, int64_t* out,
                 ErrorInfo& err) noexcept;

// The non-zero entries of the contingency table of two label maps of one shape
// (any strides, values up to 2^32 - 1): keys[i] = a << 32 | b, counts[i] = pixels
// with that pair, keys ascending. Runs of equal pairs along rows are merged first,
// then the runs are added into a hash table of pair counts and the distinct pairs
// sorted: cost ~ pixels + runs, for label maps with ids too large for a dense
// K x K table (panoptic segment ids).
template <class T>
Status pair_table(View2D<const T> a, View2D<const T> b, RunBuf<uint64_t>& keys, RunBuf<uint64_t>& counts) noexcept;

// Boundary of one RLE mask of h x w pixels, erosion radius d >= 0 (see above), as
// canonical counts.
template <class T>
Status boundary(const T* counts, int64_t n, int64_t h, int64_t w, int64_t d, RunBuf<T>& out) noexcept;

}  // namespace maskcore::metrics
