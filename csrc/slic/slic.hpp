// csrc/slic/slic.hpp — SLIC superpixels (simple linear iterative clustering).
//
// WHAT. Cuts an image into about K compact, color-homogeneous segments. Labels are
// int32 0..K-1 numbered in raster order of each segment's first pixel; pixels
// outside `mask` are -1.
//
// ALGORITHM (Achanta, Shaji, Smith, Lucchi, Fua, Suesstrunk, "SLIC Superpixels
// Compared to State-of-the-Art Superpixel Methods", IEEE TPAMI 34(11), 2012):
//   0. The grid (chosen by the Python layer, maskcore/superpixels.py): ny x nx cells,
//      ny = round(H / s), nx = round(W / s) for region_size s, or ny = round(H / s),
//      nx = round(n / ny) with s = sqrt(H W / n) for a request of n segments; then
//      S = max(H / ny, W / nx) (the window half-size and the distance scale) and the
//      orphan threshold is min_size_factor * H W / (ny nx) (about min_size_factor S^2).
//   1. Seeds on a regular grid of ny x nx cells; seed (i, j) starts at the
//      cell center ((2i+1)H / 2ny, (2j+1)W / 2nx) (integer division) and moves to
//      the lowest gradient G = |I(y,x+1) - I(y,x-1)|^2 + |I(y+1,x) - I(y-1,x)|^2
//      (borders clamped) of its 3x3 neighbourhood (first minimum, raster order).
//   2. Assignment: every center k visits the window of rows and columns within
//      R = ceil(S) of its rounded position and takes a pixel if
//          t(D) < the pixel's best t(D) so far,   D = fdc * wc_k + (sx + sy)
//      with, in this order and in float32 (no contraction):
//        dc  = sum over channels (f - c_k)^2, an exact integer (c_k is an integer
//              color, step 3), fdc = float32(dc) (one rounding, to nearest even);
//        sx  = (dx * dx) * ws, dx = float(x) - cx_k;  sy = (dy * dy) * ws,
//              dy = float(y) - cy_k;
//        t(D) = D's bits with the low 12 cleared (D >= 0: sign, exponent and 11
//              mantissa bits, relative step 2^-11), compared as unsigned integers.
//      SLIC: wc = 1 (the product is skipped: it is exact), ws = (compactness * q /
//      S)^2 (q = the feature quantization scale, so the distance is the paper's
//      dc + (m/S)^2 ds in the input's units), capped at the largest float32 (so sx
//      is never NaN). SLICO (compactness="auto"): wc_k = 1 / max(1, max fdc of
//      cluster k in the previous iteration) (initially 1 / (10 q)^2), ws = 1 / S^2.
//      Centers are visited in index order; ties (equal t(D)) keep the earlier center.
//      (Before 2026-12 D was compared in full float32 with float colors; the
//      truncation is what lets a pixel's best D and label share one 32-bit key,
//      SCHEDULE. tests/test_superpixels_quality.py still holds: within 1 point of
//      scikit-image on COCO ground truth; benchmarks/slic_quality.py was not re-run.)
//   3. Update: each center moves to the mean position of its pixels (int64 sums,
//      exact, so the summation order never matters; mean = sum / n in double,
//      rounded to float32) and to the nearest integer color to their mean color,
//      halves up: floor((2 sum + n) / 2n) per channel, exact. A center without
//      pixels stays. (Seeds take their pixel's features: integers.)
//   Steps 2-3 repeat `iterations` times (the last update is skipped: it cannot
//   change the labels).
//   4. Connectivity: 4-connected components of the assignment (pixels never reached
//      by a window form components too). A component with fewer than
//      min_size_factor * H W / (ny nx) pixels is an orphan; each orphan merges into its
//      largest neighbouring component (ties: the first adjacency in raster order,
//      scanning each pixel's left then upper neighbour). All merges of a pass
//      happen at once (union-find); passes repeat until no group is small, or no
//      small group has a neighbour. (Achanta's code merges into the first
//      neighbour met; on noise that chains most fragments into a few segments.)
//      The components are the connected-components family's (ccl::label_runs,
//      the kernel of maskcore.label); connect.cpp adds the orphan rule on its runs.
//
// SCHEDULE. Rows are cut into strips of 8 (the strip's features and keys stay in
// L2); each strip lists the centers whose windows reach it, in index order, and is
// assigned and then summed while hot. Key mode (a strip listing at most 4094
// centers, every strip of the usual images): a pixel holds one uint32 key
// t(D) | i, i = 1 + the center's place in the strip's list (outside the mask: 0,
// never reached: all ones), and a center's offer is key = min(key, t(D) | i): a
// smaller t(D) wins, an equal one keeps the smaller i, i.e. the earlier center, so
// this is step 2's rule, with one unsigned min per 8 pixels instead of a compare and
// two blends, and half the bytes per pixel. The update reads the index bits (runs
// and a 4096-entry table of the strip's centers); the last iteration decodes the
// keys into labels. A strip with more centers (tiny regions on very wide images)
// runs in exact mode: t(D) and the label in two buffers, the reference loop. The
// features of a strip come from memory on its first pass (3 planes x 8 rows: more
// streams than the hardware prefetcher follows), so they are prefetched 128
// columns ahead of each window, each line once per strip. Contiguous runs of strips
// (chunks, four per thread) go to the threads as they free up, so a slower core
// takes fewer; each chunk sums into its own int64 arrays (over the center range its
// strips list), added up afterwards: integer sums, so no order matters. The
// vector loops start on a fixed grid of 8 columns rather than at each
// window's edge, so the overlapping windows of neighbouring centers mostly load
// exactly what the previous one stored (store-to-load forwarding), with masks for
// the lanes outside (slic_simd.inl).
//
// FEATURES. Planar int16 (channel, row, column), C-contiguous. RGB uint8 goes
// through a fixed-point CIELAB conversion (lab_from_rgb: LUTs for the sRGB
// gamma and the cube root, integer matrix; Lab * 64, D65), so every ISA gives the
// same bits. Other inputs are quantized by the Python layer with a power-of-two
// scale q (|feature| <= 16383). The color distance is an exact integer: the vector
// loops subtract in int16 and sum squares with the int16 multiply-add into int32,
// which needs every channel's range (max - min over the image, measured per run) to
// be <= 32767 (always, for the Python layer's features) and, for int32, the sum of
// the squared ranges < 2^31 (Lab: ~4e8; 3 signed channels at full scale exceed it
// and convert the uint32 sum in two exact halves). The rest is float32 in a fixed
// order with -ffp-contract=off, then integer bit operations: the vector and scalar
// loops compute the same bits. Determinism across thread counts: pixels are
// assigned in row strips, each strip sees the centers in index order; the sums are
// integers.
//
// LIMITS. H, W, H*W int64 (no 16-bit row or label limits); K = ny * nx <= 2^31 - 1
// (checked: Status::overflow); float32 positions are exact below 2^24 rows/columns
// and merely rounded (still deterministic) beyond. Memory: labels (4 B/pixel) +
// features (2 B/pixel/channel) + per-chunk strip buffers + center state (about
// 8 (3 + C) B per center, once more per chunk over its strips' centers) +
// ~16 B per run of equal labels and ~40 B per component in the connectivity step
// (noise: up to one run per pixel).
//
// VARIANTS. assign_window (the hot loop), accumulate (the update's sums) and
// lab_row per ISA. The scalar reference is slic_assign.inl (vectorized by the
// compiler only where it can); avx2 and avx512 run the loops of slic_simd.inl, one
// template over a small vector type (8 or 16 int32/float lanes, twice as many int16
// lanes), whose columns left over at the row end go through the reference's
// operations: the same bits everywhere. (AVX-512 is compiled on every x86-64 build
// and tested where the CPU has it; the AVX2-only development machine of 2026-12
// could not run it.)
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../common/common.hpp"
#include "../dispatch/dispatch.hpp"

namespace maskcore::slic {

constexpr int kLabScale = 64;  // Lab units -> int16 features

// ---- CIELAB in fixed point --------------------------------------------------------
// linear[v] = sRGB gamma expansion of v / 255 in Q16; the XYZ matrix (sRGB, D65,
// divided by the white point) in Q14; t = X/Xn in Q15 (clamped to [0, 1]);
// f[t] = the CIELAB companding function of t/2^15 in Q16. Every table entry is a
// double rounded to an integer once, at first use; per pixel only integers.
constexpr int kTBits = 15;
struct LabTables {  // built once (lab_tables()); every ISA reads the same entries
    int32_t linear[256];
    int32_t m[9];
    int32_t f[(1 << kTBits) + 1];
    LabTables() noexcept {
        for (int v = 0; v < 256; ++v) {
            const double c = v / 255.0;
            const double lin = c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
            linear[v] = static_cast<int32_t>(std::lround(lin * 65536.0));
        }
        static const double rgb2xyz[9] = {0.412453, 0.357580, 0.180423, 0.212671, 0.715160,
                                          0.072169, 0.019334, 0.119193, 0.950227};
        static const double white[3] = {0.95047, 1.0, 1.08883};
        for (int i = 0; i < 9; ++i) m[i] = static_cast<int32_t>(std::lround(rgb2xyz[i] / white[i / 3] * 16384.0));
        for (int t = 0; t <= (1 << kTBits); ++t) {
            const double x = t / double(1 << kTBits);
            const double v = x > 0.008856 ? std::cbrt(x) : 7.787 * x + 16.0 / 116.0;
            f[t] = static_cast<int32_t>(std::lround(v * 65536.0));
        }
    }
};


const LabTables& lab_tables() noexcept;

// Strip keys (slic.hpp, SCHEDULE): the low kIdxBits of a key are the center's index
// in its strip's list (1..kMaxIdx), the high bits D's truncated bits.
constexpr int kIdxBits = 12;
constexpr uint32_t kIdxMask = (1u << kIdxBits) - 1;
constexpr uint32_t kMaxIdx = kIdxMask - 1;    // kIdxMask itself marks "never reached"
constexpr uint32_t kOutsideKey = 0;           // outside the mask: no key is smaller
constexpr uint32_t kUnreachedKey = 0xFFFFFFFFu;

// The hot loop: center k offers itself to the pixels of rows [ya, yb) x cols [xa, xb).
// `feat` points at plane 0 of the window's first row; planes are `plane` elements
// apart; rows `stride` apart. `key`/`lab` are the strip's buffers (row-major, stride
// `stride`) at the window's first row.
struct Window {
    const int16_t* feat;  // feature at (ya, 0) of plane 0
    int64_t plane;        // elements between planes
    int64_t stride;       // row stride of feat, key and lab
    uint32_t* key;        // at (ya, 0): keys (key mode) or truncated best D (exact mode)
    int32_t* lab;         // at (ya, 0): labels (exact mode); null in key mode
    int64_t rows, xa, xb; // rows from ya, columns [xa, xb)
    int64_t y;            // ya
    float cy, cx, wc, ws;
    const int32_t* color; // nc integers
    float* scratch;       // room for xb - xa + 64 floats
    uint32_t idx;         // key mode: the center's strip index, 1..kMaxIdx
    int32_t k;
    bool small_dc;        // color distances stay below 2^31 (the run's feature ranges)
    bool fits16;          // every feature difference fits int16 (each range <= 32767)
};

#define MC_SLIC_KERNELS                                                                                     \
    void assign_window(const Window& w, int nc) noexcept;                                                   \
    void accumulate(const int16_t* feat, int nc, int64_t plane, int64_t w, const int32_t* labels,            \
                    const uint32_t* keys, const int32_t* lut, int64_t y0, int64_t y1, int64_t lo,               \
                    int64_t* acc) noexcept;                                                                     \
    void lab_row(const LabTables& T, const uint8_t* p, int64_t n, int64_t cs, int64_t chs, int16_t* L, int16_t* A, \
                 int16_t* B) noexcept;
namespace scalar { MC_SLIC_KERNELS }
namespace avx2 { MC_SLIC_KERNELS }
namespace avx512 { MC_SLIC_KERNELS }
#undef MC_SLIC_KERNELS

// The family's kernel table (dispatch.hpp): one entry per ISA level.
struct Kernels {
    void (*assign)(const Window&, int) noexcept;
    void (*accumulate)(const int16_t*, int, int64_t, int64_t, const int32_t*, const uint32_t*, const int32_t*, int64_t,
                       int64_t, int64_t, int64_t*) noexcept;
    void (*lab_row)(const LabTables&, const uint8_t*, int64_t, int64_t, int64_t, int16_t*, int16_t*, int16_t*) noexcept;
};
const IsaTable<Kernels>& kernel_table() noexcept;

// RGB uint8 (any strides; channel stride cs) -> planar Lab*64 int16 (3 x h x w).
Status lab_from_rgb(const uint8_t* rgb, int64_t h, int64_t w, int64_t rs, int64_t cs, int64_t chs, int16_t* out,
                    int threads) noexcept;

struct Params {
    int64_t ny, nx;        // seed grid
    double step;           // S
    double compactness;    // m (in feature units / q), <= 0 means SLICO
    double scale;          // q
    int iterations;
    bool connectivity;
    double min_size;       // orphans have fewer pixels
    int threads;
};

// The connectivity step's tables (connect.cpp), indexed by component (1..n), and the
// offers to small groups found by each band of rows.
struct ConnectBuffers {
    struct Offer {
        int64_t g, o;  // group g may merge into group o
    };
    std::vector<int64_t> parent, size, target, id, touched, grp;
    std::vector<uint8_t> small;
    std::vector<std::vector<Offer>> offers;
    std::vector<std::vector<uint32_t>> line;  // per band: one line's labels, for the paint kernel
};

// Every buffer of a run, kept by the caller to reuse across runs (maskcore.Superpixels
// keeps one, so moving the slider allocates, and page-faults, nothing): no value in
// it carries over from one run to the next, a run only grows it. One run at a time.
// A center's assignment window: rows [ya, yb) and columns [xa, xb).
struct Window2D {
    int64_t ya, yb, xa, xb;
};

struct Workspace {
    std::vector<float> cy, cx, wc;                      // centers (K)
    std::vector<int32_t> color;                         // K x nc
    std::vector<int64_t> sum, chunk_begin, kmin, kmax;
    std::vector<std::vector<float>> scratch, maxdc;     // per chunk of strips
    std::vector<std::vector<uint32_t>> key;             // the strip's keys (or best D)
    std::vector<std::vector<int32_t>> lstrip, list, lut;  // list: the centers of each strip
    std::vector<std::vector<int64_t>> acc, list_off, cursor;
    std::vector<Window2D> win;  // each center's window, per iteration
    ConnectBuffers cc;

    // The bytes the buffers hold (their capacities), for a keeper's trimming policy.
    size_t bytes() const noexcept {
        size_t n = 0;
        auto add = [&n](const auto& v) { n += v.capacity() * sizeof(v[0]); };
        auto add_all = [&](const auto& vv) {
            add(vv);
            for (const auto& v : vv) add(v);
        };
        for (const auto* v : {&cy, &cx, &wc}) add(*v);
        add(color);
        for (const auto* v : {&sum, &chunk_begin, &kmin, &kmax}) add(*v);
        for (const auto* v : {&scratch, &maxdc}) add_all(*v);
        add_all(key);
        for (const auto* v : {&lstrip, &list, &lut}) add_all(*v);
        for (const auto* v : {&acc, &list_off, &cursor}) add_all(*v);
        add(win);
        for (const auto* v : {&cc.parent, &cc.size, &cc.target, &cc.id, &cc.touched, &cc.grp}) add(*v);
        add(cc.small);
        add_all(cc.offers);
        add_all(cc.line);
        return n;
    }
};

// feat: nc planes of h x w; mask: h x w C-contiguous bytes (nonzero = inside) or
// null; labels: h x w C-contiguous output. *k_out = number of segments.
Status run(const int16_t* feat, int nc, int64_t h, int64_t w, const uint8_t* mask, const Params& p, int32_t* labels,
           int64_t* k_out, Workspace& ws) noexcept;

// Connectivity and numbering (connect.cpp): relabels `labels` in place (values
// < -1 are ordinary classes, -1 is outside) to 0..K-1 in raster order.
Status connect(int32_t* labels, int64_t h, int64_t w, bool enforce, double min_size, int threads, int64_t* k_out,
               ConnectBuffers& b) noexcept;

}  // namespace maskcore::slic
