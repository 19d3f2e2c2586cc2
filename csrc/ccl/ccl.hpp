// csrc/ccl/ccl.hpp — connected-component labeling of 2D images and 3D volumes.
//
// WHAT. label(): every foreground pixel gets the number of its component, 1..n,
// numbered in raster (C) order of each component's first pixel, background 0 —
// the numbering of skimage.measure.label and scipy.ndimage.label. Binary mode:
// every pixel != background is foreground and touching foreground pixels join.
// Multi-label mode: touching pixels join when their values are equal (and not
// the background). Connectivity: 2D 4 or 8; 3D (Z, Y, X) 6, 18 or 26.
//
// ALGORITHM. Run-based two-scan labeling (the lineage of He, Chao & Suzuki, "A
// run-based two-scan labeling algorithm", IEEE TIP 17(5), 2008; runs as the
// provisional-label unit go back to Rosenfeld & Pfaltz, 1966):
//   1. runs: each line (one row of one plane) is cut into runs, maximal segments
//      [s, e) of foreground (binary) or of one value (multi-label). The run finder
//      is the per-ISA kernel (runs.inl): it compares 64 elements per step (a lane
//      mask "differs from its left neighbour"), then walks the set bits.
//   2. union: each run is a provisional label; its index, given in raster order,
//      is its identity. A run joins every run of an earlier neighbour line whose
//      columns overlap its own (widened by one column on each side where the
//      neighbourhood has diagonals). Neighbour lines, as (dz, dy, diagonal):
//         2D  4: (0,-1,no)                      8: (0,-1,yes)
//         3D  6: (0,-1,no) (-1,0,no)
//            18: (0,-1,yes) (-1,-1,no) (-1,0,yes) (-1,+1,no)
//            26: (0,-1,yes) (-1,-1,yes) (-1,0,yes) (-1,+1,yes)
//      e.g. 18-connectivity in the plane above: the row straight above reaches
//      diagonally in x (two nonzero offsets), the rows at y +- 1 do not (three).
//      Overlaps are found by a merge of the two sorted run lists (each line ends in
//      a sentinel run, so the merge needs no bounds test). Union-find links the
//      larger root under the smaller (union by min) with path halving.
//   3. numbering: with union by min over indices given in raster order, the root of
//      every set is its raster-first run, i.e. the run holding the component's
//      first pixel. One pass over the runs in index order numbers each root
//      1, 2, ... and gives every other run the (already final) number of its
//      parent, which has a smaller index: the raster-order numbering, in place.
//   4. paint: each line of the C-ordered output is written once from its runs
//      (per-ISA kernel: whole-vector stores, the next segment overwrites overshoot).
//   Short runs (multi-label 3D at 18/26-connectivity when a sample of 64 lines has
//   fewer than 16 columns per run): step 2 joins by windows instead (join_window,
//   per ISA, runs.inl). A ring of the last Y + 2 lines holds, per column, the root
//   of the run covering it; a run [s, e) of value v compares the window [s-1, e+1) of
//   each neighbour line's input row with v as one lane mask per vector; each start of
//   a segment of v is one neighbour run, united through its ring entry. Unions that
//   earlier ones imply are masked off (the decision-tree idea of Wu, Otoo & Suzuki,
//   Pattern Anal. Appl. 12(2), 2009, per column instead of per voxel): at 26, a
//   voxel of plane z-1 within one column of a same-valued voxel of line (z, y-1) is
//   that voxel's neighbour too, joined when that line was, so line (z-1, y-1) and
//   (z-1, y) are only read where line (z, y-1) has no v nearby, and (z-1, y+1) only
//   where (z-1, y) has none (runs.inl lists the rules for 18).
// Fortran-ordered input (unit stride along z, or y; nibabel's volumes) without
// statistics is labeled in its own order: the view with that axis swapped for x is
// C-ordered, and the neighbourhoods are symmetric under a swap of axes, so only the
// numbering differs. Each component's number is the rank of its first voxel in C
// order (the least C-order index of its runs' first voxels, ranked by sorting when
// there are few components, else through a bitmap over the voxels with prefix
// counts: linear); the output is written in tiles of at least 64 lines of the view
// (up to ~256 KB of tile: whole output rows where they fit), painted (per-ISA paint)
// and transposed (per-ISA: 8x8 register transposes of 32-bit labels) into pieces of
// the C-ordered output rows. With statistics (their accumulators need raster order) the input is
// first copied into C order in cache-line blocks (4x4 SSE2 transposes for 32-bit
// elements). Other non-contiguous lines (strided or reversed views) are gathered 64
// at a time into a row-major tile, so the run finder always reads contiguous memory.
// THREADS. Lines are split into strips; strip k's run indices live in a range
// above strip k-1's (each strip reserves the most runs its lines can hold, in
// untouched virtual memory), so union by min over global indices keeps the
// raster-first root. Strips find and join their runs in parallel; the seams
// (lines whose neighbour lines lie in an earlier strip) are joined after, in one
// thread; numbering is one serial pass over the runs; painting is parallel. The
// partition and the numbering never depend on the thread count.
//
// STATISTICS (optional, fused into the numbering pass): per label the area, the
// bounding box ((z,) y, x minima, then exclusive maxima) and the centroid
// (coordinate sums, exact in float64 below 2^53, divided by the area: the float64
// mean scikit-image's regionprops gives), and for multi-label input the source
// value of the component's first pixel. The numbering pass meets each component's
// root run first (it is the raster-first run), so it initializes the label's
// accumulator there and adds every later run to it: no clearing pass, and the
// accumulators in use are those of the last few lines (cache-resident). They live
// in per-thread scratch (kept across calls: no page faults) and are written out in
// one sequential pass as the packed records numpy views (Stats). component_stats()
// computes the same from a label image (each run of equal nonzero labels counts for
// that label).
//
// INVARIANTS. Inputs are read through element strides (any layout). The output is
// C-ordered, Z*Y*X elements of Idx. parent[i] <= i for every run at all times.
// SCRATCH. Per run: 8 bytes (columns) + sizeof(Idx) (forest, then labels) +
// sizeof(T) in multi-label mode; with statistics 8 * (1 + 3d) bytes per label.
// Per calling thread and kept across calls (faulting fresh memory in cost as much
// as labeling a noise image), unless it grew past 256 MB; blocks >= 4 MB are
// requested as huge pages.
// PERFORMANCE NOTE. Work is per run and per overlap: long runs (blobs, real label
// maps and atlases) are cheap. Short multi-label runs in 3D (the benchmarks' 256^3
// four-class volume: 2.7M runs of ~3.7 voxels, ~6 columns per run with background)
// cost ~10 overlap checks per run in the merge of run lists at 26-connectivity,
// ~5 ns each (mispredicted branches: callgrind's branch simulation, 128^3 crop:
// 4.6M mispredicts in the joins). The window joins cut those to 0.47M (the
// instructions grow from 134M to 148M) and the labeling time by ~25% at 18 and 26;
// at 6 they were no faster and are not used.
// Measured (issue 19), single thread, AVX2-only EPYC (Zen 3) shared with other
// jobs, CPU time (user / sys from getrusage), medians: 256^3 four-class at 26,
// maskcore 103-108 ms user, ~1-3 ms sys; cc3d 96-118 ms user + 7-13 ms sys (the page
// faults of its fresh output, which vary with the machine's memory state: its
// total went from 120 to 290 ms between runs, and the ratio from 1.0x to 1.65x with
// it). Against cc3d's user time that is ~1.0x at 26 (~1.4x at 18, where cc3d's own
// scan is slower: 160-195 ms user). perf: join_window ~53%, paint ~24% (the ring of
// run ids and the output), find_runs ~7%, the rest of the scan ~6%. The join is
// ~24 ns per run: per run, four lane-mask compares, then 0-3 unions per neighbour
// line, a count the branches cannot predict, each a dependent chain through the
// ring entry and the union-find parents.
// Tried and not kept: per-line bitmaps of run starts instead of the ring (the run
// covering a column a popcount away; 13 KB instead of 264 KB, and no painting of
// the ring): paint fell from ~26% to ~12% of the time but the joins grew by as much
// (the popcount and one more dependent parent load per union): 106.8 / 107.3 ms
// against 106.3 / 107.4 (alternating processes), i.e. no gain. Reaching 1.5x cc3d at
// 26 (~65 ms here) needs a scan whose work does not branch on the number of
// neighbour segments: cc3d's per-voxel decision tree spends ~5.7 ns per voxel, and
// a run-based scan with 2.7M runs has ~24 ns per run for everything; the next step
// is a per-voxel (or 2x2-block) decision-tree scan chosen by the measured mean run
// length, which this note already planned.
// Small volumes (the quick row, 64^3 four-class at 6): no per-call overhead to
// speak of (perf: ~85% in the kernel, ~5% in Python); the run finder's scalar tail
// (up to 63 elements a line, a mispredicting branch per element) was all of each
// 64-column line, now whole lines go in vector chunks: 1.2x -> 1.4-1.5x cc3d.
// Fortran order (D99 atlas, 23.4M int32 voxels, 366 components, 26-connectivity):
// C order ~20-23 ms, Fortran ~28-33 ms (1.3-1.45x C, noisy machine; cc3d 57-85 ms).
// Of the Fortran call (perf): transpose ~27%, scan ~24%, find_runs ~21%, painting
// the tiles ~15%, ranking and relabeling ~5%. The transpose is bound by its stores
// to the output: the same stores of zeros, without the tile's loads and shuffles,
// took ~85% of its time; in C order those stores are the painting's own and overlap
// its per-run work. Painting the next tile interleaved with the transpose of the
// current one (two tiles, one line per 8 output rows) gave nothing (both are
// store-bound: the tile paint writes 94 MB into L2), so the floor of paint-then-
// transpose is about C order + one pass of stores over the output (~6 ms). Tiles of
// 32 lines (128-byte pieces of output rows, each cache line completed by a later
// tile) cost 33.2 ms against 29.5 with whole rows, and a bitmap rank over 366K
// words for 366 components ~2 ms: both fixed. A tile row that held an empty line
// (half the atlas's lines along z) is not painted again for another: -4%.
// LIMITS. X < 2^31 (run columns are int32). Idx is uint32 when Z*Y*X < 2^32 (then
// every run index and label fits), else uint64. All sizes are checked in int64.
// VARIANTS. find_runs, paint, join_window and transpose per ISA: scalar (the reference,
// also every SIMD tail), avx2, avx512 (runs.inl, one body; transpose8.inl the 8x8
// register transpose both vector ISAs use). Everything else is ISA-independent
// (ccl.cpp). The partition, hence the labels, is bit-identical across ISAs.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../common/common.hpp"
#include "../common/runbuf.hpp"
#include "../dispatch/dispatch.hpp"

namespace maskcore::ccl {

struct Run {
    int32_t s, e;  // columns [s, e)
};

// find_runs: the runs of one line of n elements at p[0], p[stride], ...: maximal
// segments of elements != bg (binary) or of equal elements != bg (multi-label),
// written to out (room for n runs); returns how many.
// paint: writes one output line of n elements: labels[i] over runs[i] (k sorted,
// disjoint runs), 0 elsewhere. Vector ISAs store whole vectors and let the next
// segment overwrite the overshoot, so short runs cost one store; out[n, room) may
// be overwritten too (room >= n: the next line, painted after this one), so the
// segments near the end of a line need no scalar tail.
// Short-run joins (multi-label 3D, C-contiguous lines): the runs of one line, the
// earlier neighbour lines as their input row and a row of run ids (prov: at each
// foreground column, some run of that column's component, e.g. the run's root).
// in[q] null: neighbour q is missing (outside the volume or in an earlier strip).
template <class T, class Idx>
struct WindowJoin {
    const Run* runs;   // the line's runs: runs[at, at + k)
    const T* value;    // value[i]: run i's value
    Idx* parent;       // the union-find forest; parent[i] == i for the line's runs on entry
    int64_t at, k, X;
    int conn;          // 6, 18 or 26: the neighbour lines of ccl.hpp's table, in its order
    const T* in[4];
    const Idx* prov[4];
};

// join_window: joins each run of the line with every run of each neighbour line
// that has its value and touches its columns (widened by one where the line has
// diagonals): the window of the neighbour's row is compared with the run's value as
// one lane mask per vector, each segment start in it is one run of that value, and
// its prov entry is united with the run (union by min, path halving), except where
// an earlier union already implies it (runs.inl). On exit parent[i] is the root of
// run i's set at that time. The partition, hence the labels, is the same in every ISA.
// transpose: rows r of the tile (b < nb rows of n elements, ts apart) written as
// columns: out[r * os + b] = tile[b * ts + r] (8x8 register transposes of 32-bit
// elements where a vector ISA has them).
#define MC_CCL_KERNELS                                                                                        \
    int64_t find_runs(const uint8_t* p, int64_t n, int64_t stride, uint8_t bg, bool binary, Run* out) noexcept;   \
    int64_t find_runs(const uint16_t* p, int64_t n, int64_t stride, uint16_t bg, bool binary, Run* out) noexcept; \
    int64_t find_runs(const uint32_t* p, int64_t n, int64_t stride, uint32_t bg, bool binary, Run* out) noexcept; \
    int64_t find_runs(const uint64_t* p, int64_t n, int64_t stride, uint64_t bg, bool binary, Run* out) noexcept; \
    void paint(const Run* runs, const uint32_t* labels, int64_t k, int64_t n, int64_t room, uint32_t* out) noexcept; \
    void paint(const Run* runs, const uint64_t* labels, int64_t k, int64_t n, int64_t room, uint64_t* out) noexcept; \
    void join_window(const WindowJoin<uint8_t, uint32_t>& w) noexcept;                                           \
    void join_window(const WindowJoin<uint16_t, uint32_t>& w) noexcept;                                          \
    void join_window(const WindowJoin<uint32_t, uint32_t>& w) noexcept;                                          \
    void join_window(const WindowJoin<uint64_t, uint32_t>& w) noexcept;                                          \
    void join_window(const WindowJoin<uint8_t, uint64_t>& w) noexcept;                                           \
    void join_window(const WindowJoin<uint16_t, uint64_t>& w) noexcept;                                          \
    void join_window(const WindowJoin<uint32_t, uint64_t>& w) noexcept;                                          \
    void join_window(const WindowJoin<uint64_t, uint64_t>& w) noexcept;                                          \
    void transpose(const uint32_t* tile, int64_t nb, int64_t n, int64_t ts, uint32_t* out, int64_t os) noexcept;   \
    void transpose(const uint64_t* tile, int64_t nb, int64_t n, int64_t ts, uint64_t* out, int64_t os) noexcept;
namespace scalar { MC_CCL_KERNELS }
#if defined(MC_X86_64)
namespace avx2 { MC_CCL_KERNELS }
namespace avx512 { MC_CCL_KERNELS }
#endif
#undef MC_CCL_KERNELS

// The family's kernel table (dispatch.hpp): one entry per ISA level.
struct Kernels {
    int64_t (*find_runs8)(const uint8_t*, int64_t, int64_t, uint8_t, bool, Run*) noexcept;
    int64_t (*find_runs16)(const uint16_t*, int64_t, int64_t, uint16_t, bool, Run*) noexcept;
    int64_t (*find_runs32)(const uint32_t*, int64_t, int64_t, uint32_t, bool, Run*) noexcept;
    int64_t (*find_runs64)(const uint64_t*, int64_t, int64_t, uint64_t, bool, Run*) noexcept;
    void (*paint32)(const Run*, const uint32_t*, int64_t, int64_t, int64_t, uint32_t*) noexcept;
    void (*paint64)(const Run*, const uint64_t*, int64_t, int64_t, int64_t, uint64_t*) noexcept;
    void (*join8_32)(const WindowJoin<uint8_t, uint32_t>&) noexcept;
    void (*join16_32)(const WindowJoin<uint16_t, uint32_t>&) noexcept;
    void (*join32_32)(const WindowJoin<uint32_t, uint32_t>&) noexcept;
    void (*join64_32)(const WindowJoin<uint64_t, uint32_t>&) noexcept;
    void (*join8_64)(const WindowJoin<uint8_t, uint64_t>&) noexcept;
    void (*join16_64)(const WindowJoin<uint16_t, uint64_t>&) noexcept;
    void (*join32_64)(const WindowJoin<uint32_t, uint64_t>&) noexcept;
    void (*join64_64)(const WindowJoin<uint64_t, uint64_t>&) noexcept;
    void (*transpose32)(const uint32_t*, int64_t, int64_t, int64_t, uint32_t*, int64_t) noexcept;
    void (*transpose64)(const uint64_t*, int64_t, int64_t, int64_t, uint64_t*, int64_t) noexcept;
};
const IsaTable<Kernels>& kernel_table() noexcept;

// A volume of Z planes, Y rows, X columns of T (2D: Z = 1); strides in elements.
template <class T>
struct Volume {
    const T* data;
    int64_t Z, Y, X;
    int64_t sz, sy, sx;
};

struct Options {
    int connectivity;   // 4, 8 (Z == 1 and 2D input) or 6, 18, 26
    bool is3d;
    bool binary;
    uint64_t background;  // compared in the input's unsigned type
    int threads;
};

// Per-label statistics: n records of record_size bytes, row c for label c + 1, laid
// out as the packed numpy record maskcore.components views them through (no copy):
//   area      int64                  pixel (voxel) count
//   bbox      int64[2d]              minima of (z,) y, x, then exclusive maxima (zeros without pixels)
//   centroid  float64[d]             (z,) y, x means (NaN without pixels)
//   value     T (sizeof(T) bytes)    source value of the first pixel (label() of multi-label input only)
// with d = 3 for 3D input, 2 for 2D. The block is malloc'd (free() releases it).
struct Stats {
    RunBuf<uint8_t> records;
    int64_t record_size = 0;
};

// Labels `in` into out (C order, Z*Y*X). n receives the count. stats may be null.
// Status: invalid_argument (connectivity), overflow (X >= 2^31), bad_alloc.
template <class T, class Idx>
Status label(const Volume<T>& in, const Options& opt, Idx* out, int64_t* n, Stats* stats) noexcept;

// The labeling before it is painted: the runs of line L (plane z = L / Y, row
// y = L % Y) are runs[lb[L] .. le[L]), sorted by column, and label[i] is run i's
// component, 1..n, numbered as label() numbers them. For callers that work on
// components further before writing an image of their own (SLIC's orphan merge,
// csrc/slic/connect.cpp). The table lives in the calling thread's scratch: valid
// only during the visit; label[] may be rewritten.
template <class Idx>
struct RunTable {
    const Run* runs;
    Idx* label;
    const int64_t* lb;
    const int64_t* le;
    int64_t lines, X, n;
};
template <class Idx>
using RunVisitor = Status (*)(void* ctx, RunTable<Idx>& table) noexcept;

// The dispatched paint kernel (above) for 32-bit labels: one line from its runs.
void paint_line(const Run* runs, const uint32_t* labels, int64_t k, int64_t n, int64_t room, uint32_t* out) noexcept;

// label() without the painting: steps 1-3 (and the statistics), then visit(ctx,
// table); returns what visit returns. label() is this with a painting visitor.
template <class T, class Idx>
Status label_runs(const Volume<T>& in, const Options& opt, Stats* stats, RunVisitor<Idx> visit, void* ctx) noexcept;

// Statistics of a label image for labels 1..n. A label > n is invalid_value
// (err.index: its linear C-order position, err.value: the label).
template <class T>
Status component_stats(const Volume<T>& in, int64_t n, bool is3d, Stats* stats, ErrorInfo& err) noexcept;

}  // namespace maskcore::ccl
