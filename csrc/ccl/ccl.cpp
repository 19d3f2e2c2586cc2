// Connected-component labeling: strips, union-find over runs, numbering, painting
// and statistics (see ccl.hpp for the algorithm). ISA-independent; the run finder
// comes from the dispatch table.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "../common/parallel.hpp"
#include "ccl.hpp"
#if defined(MC_X86_64)
#include <emmintrin.h>  // SSE2: the x86-64 baseline, no dispatch needed
#endif

namespace maskcore::ccl {

const IsaTable<Kernels>& kernel_table() noexcept {
#define MC_K(ns)                                                                                                  \
    Kernels{static_cast<int64_t (*)(const uint8_t*, int64_t, int64_t, uint8_t, bool, Run*) noexcept>(ns::find_runs),     \
            static_cast<int64_t (*)(const uint16_t*, int64_t, int64_t, uint16_t, bool, Run*) noexcept>(ns::find_runs),   \
            static_cast<int64_t (*)(const uint32_t*, int64_t, int64_t, uint32_t, bool, Run*) noexcept>(ns::find_runs),   \
            static_cast<int64_t (*)(const uint64_t*, int64_t, int64_t, uint64_t, bool, Run*) noexcept>(ns::find_runs),   \
            static_cast<void (*)(const Run*, const uint32_t*, int64_t, int64_t, int64_t, uint32_t*) noexcept>(ns::paint), \
            static_cast<void (*)(const Run*, const uint64_t*, int64_t, int64_t, int64_t, uint64_t*) noexcept>(ns::paint), \
            static_cast<void (*)(const WindowJoin<uint8_t, uint32_t>&) noexcept>(ns::join_window),                      \
            static_cast<void (*)(const WindowJoin<uint16_t, uint32_t>&) noexcept>(ns::join_window),                     \
            static_cast<void (*)(const WindowJoin<uint32_t, uint32_t>&) noexcept>(ns::join_window),                     \
            static_cast<void (*)(const WindowJoin<uint64_t, uint32_t>&) noexcept>(ns::join_window),                     \
            static_cast<void (*)(const WindowJoin<uint8_t, uint64_t>&) noexcept>(ns::join_window),                      \
            static_cast<void (*)(const WindowJoin<uint16_t, uint64_t>&) noexcept>(ns::join_window),                     \
            static_cast<void (*)(const WindowJoin<uint32_t, uint64_t>&) noexcept>(ns::join_window),                     \
            static_cast<void (*)(const WindowJoin<uint64_t, uint64_t>&) noexcept>(ns::join_window),                     \
            static_cast<void (*)(const uint32_t*, int64_t, int64_t, int64_t, uint32_t*, int64_t) noexcept>(ns::transpose), \
            static_cast<void (*)(const uint64_t*, int64_t, int64_t, int64_t, uint64_t*, int64_t) noexcept>(ns::transpose)}
    static const auto table = MC_ISA_TABLE(Kernels, MC_K(scalar), MC_K(avx2), MC_K(avx512));
#undef MC_K
    return table;
}

namespace {

template <class T>
using FindRuns = int64_t (*)(const T*, int64_t, int64_t, T, bool, Run*) noexcept;

template <class Idx>
using Paint = void (*)(const Run*, const Idx*, int64_t, int64_t, int64_t, Idx*) noexcept;

template <class Idx>
Paint<Idx> pick_paint() noexcept {
    const Kernels& k = kernel_table().current();
    if constexpr (sizeof(Idx) == 4) return k.paint32;
    else return k.paint64;
}

template <class T, class Idx>
using JoinWindow = void (*)(const WindowJoin<T, Idx>&) noexcept;

template <class T, class Idx>
JoinWindow<T, Idx> pick_join() noexcept {
    const Kernels& k = kernel_table().current();
    if constexpr (sizeof(Idx) == 4) {
        if constexpr (sizeof(T) == 1) return k.join8_32;
        else if constexpr (sizeof(T) == 2) return k.join16_32;
        else if constexpr (sizeof(T) == 4) return k.join32_32;
        else return k.join64_32;
    } else {
        if constexpr (sizeof(T) == 1) return k.join8_64;
        else if constexpr (sizeof(T) == 2) return k.join16_64;
        else if constexpr (sizeof(T) == 4) return k.join32_64;
        else return k.join64_64;
    }
}

template <class Idx>
using Transpose = void (*)(const Idx*, int64_t, int64_t, int64_t, Idx*, int64_t) noexcept;

template <class Idx>
Transpose<Idx> pick_transpose() noexcept {
    const Kernels& k = kernel_table().current();
    if constexpr (sizeof(Idx) == 4) return k.transpose32;
    else return k.transpose64;
}

template <class T>
FindRuns<T> pick_find_runs() noexcept {
    const Kernels& k = kernel_table().current();
    if constexpr (sizeof(T) == 1) return k.find_runs8;
    else if constexpr (sizeof(T) == 2) return k.find_runs16;
    else if constexpr (sizeof(T) == 4) return k.find_runs32;
    else return k.find_runs64;
}

struct Free {
    void operator()(void* p) const noexcept { std::free(p); }
};
template <class U>
using Buf = std::unique_ptr<U[], Free>;
// Scratch of n elements. Blocks of 4 MB or more are 2 MB-aligned and offered to the
// kernel as transparent huge pages: the scratch is fresh memory on every call, and
// faulting it in 4 KB pages cost as much as the labeling itself on noise images
// (measured: 1M runs, 2048^2). Only the touched prefix of each block is committed.
template <class U>
Buf<U> alloc(int64_t n) noexcept {
    const size_t bytes = static_cast<size_t>(n > 0 ? n : 1) * sizeof(U);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr size_t kHuge = size_t{2} << 20;
    if (bytes >= 2 * kHuge) {
        void* p = nullptr;
        if (posix_memalign(&p, kHuge, bytes) != 0) return Buf<U>(nullptr);
        madvise(p, bytes, MADV_HUGEPAGE);  // advice only: failure is harmless
        return Buf<U>(static_cast<U*>(p));
    }
#endif
    return Buf<U>(static_cast<U*>(std::malloc(bytes)));
}

// A reusable block of scratch memory, kept by the calling thread across calls:
// fresh memory costs a page fault per page (and zeroing) on every call, which on a
// noise image is as much as the labeling. Grown by replacement (old contents are
// never needed), huge-page advised like alloc().
struct Block {
    void* p = nullptr;
    size_t cap = 0;
    Block() = default;
    Block(const Block&) = delete;
    Block& operator=(const Block&) = delete;
    ~Block() { std::free(p); }
    template <class U>
    U* get(int64_t n) noexcept {
        const size_t bytes = static_cast<size_t>(n > 0 ? n : 1) * sizeof(U);
        if (bytes > cap) {
            std::free(p);
            cap = 0;
            p = alloc<uint8_t>(static_cast<int64_t>(bytes)).release();
            if (!p) return nullptr;
            cap = bytes;
        }
        return static_cast<U*>(p);
    }
    // Room for n elements of U keeping the first `keep` (grows by doubling, copying).
    template <class U>
    U* grow(int64_t n, int64_t keep) noexcept {
        if (static_cast<size_t>(n) * sizeof(U) <= cap) return static_cast<U*>(p);
        const int64_t want = std::max<int64_t>(n, 2 * static_cast<int64_t>(cap / sizeof(U)));
        U* q = alloc<U>(want).release();
        if (!q) return nullptr;
        if (keep > 0) std::memcpy(static_cast<void*>(q), p, static_cast<size_t>(keep) * sizeof(U));
        std::free(p);
        p = q;
        cap = static_cast<size_t>(want) * sizeof(U);
        return q;
    }
    void release() noexcept {
        std::free(p);
        p = nullptr;
        cap = 0;
    }
};

struct Scratch {
    Block runs, parent, value, lb, le, acc, copy;
    // Bytes of the run tables (runs, parent, value) that calls since they were last
    // released have written, at most: they are reserved for the most runs the lines
    // can hold (X per line), in virtual memory, and only the pages written are
    // committed. label_runs() adds each call's; trim() judges by it.
    size_t touched = 0;
    int strips = 0;  // of the last call
    // Gives the memory back after a call that made it larger than kKeep in all.
    // The C-order copy of a Fortran-ordered input is judged on its own (it is touched
    // in full, the run tables mostly are not: faulting a 94 MB copy in again on every
    // call cost as much as the copy itself on the D99 atlas). The run tables count
    // with what was written of them, not their reservation: the D99 atlas (23.4M
    // voxels, ~0.4M runs) reserves 376 MB and writes ~7 MB of it, and releasing it
    // after every call faulted those pages in again on the next (~1 ms a call).
    void trim() noexcept {
        constexpr size_t kKeep = size_t{256} << 20;
        if (copy.cap > kKeep / 2) copy.release();
        if (touched + lb.cap + le.cap + acc.cap <= kKeep) return;
        for (Block* b : {&runs, &parent, &value, &lb, &le, &acc}) b->release();
        touched = 0;
        strips = 0;
    }
};
// One opaque call per kernel call: a thread_local named in the loops costs a
// __tls_get_addr call per use in a shared library.
__attribute__((noinline)) Scratch& scratch() noexcept {
    thread_local Scratch s;
    return s;
}

struct Neighbour {
    int dz, dy, diag;
};

// The earlier lines a line's runs join with (ccl.hpp draws them); 0 when unsupported.
int neighbours(int connectivity, bool is3d, Neighbour* nb) noexcept {
    if (!is3d) {
        if (connectivity != 4 && connectivity != 8) return 0;
        nb[0] = {0, -1, connectivity == 8};
        return 1;
    }
    switch (connectivity) {
        case 6: nb[0] = {0, -1, 0}; nb[1] = {-1, 0, 0}; return 2;
        case 18: nb[0] = {0, -1, 1}; nb[1] = {-1, -1, 0}; nb[2] = {-1, 0, 1}; nb[3] = {-1, 1, 0}; return 4;
        case 26: nb[0] = {0, -1, 1}; nb[1] = {-1, -1, 1}; nb[2] = {-1, 0, 1}; nb[3] = {-1, 1, 1}; return 4;
        default: return 0;
    }
}

// A volume whose runs are this short on average (columns per run, background
// included, over kSampleLines lines spread through it) is joined by windows
// (join_window) instead of the merge of run lists, at 18 and 26-connectivity.
// Measured (ccl.hpp's performance note): the 256^3 four-class volume has ~6 columns
// per run, and windows take ~25% off its labeling time at 18 and 26; at 6 (two
// neighbour lines, no covers) they were no faster; the D99 atlas (long runs) stays
// with the merge, which does a few checks per run however long.
constexpr int64_t kShortPeriod = 16;
constexpr int64_t kSampleLines = 64;

template <class T, class Idx>
struct Labeler {
    Volume<T> v;
    bool binary;
    T bg;
    Neighbour nb[4];
    int nnb;
    int conn;
    FindRuns<T> find_runs;
    // Short-run joins (multi-label 3D with unit-stride lines, see scan_strip_t); null: off.
    JoinWindow<T, Idx> join_window;
    Paint<Idx> paint;
    Run* runs;        // run i of the line that holds it
    T* value;         // multi-label: the value of each run (null in binary mode)
    Idx* parent;      // union-find forest, then (after number()) the final label of each run
    int64_t* lb;      // runs of line L: [lb[L], le[L]), then a sentinel run {INT32_MAX, INT32_MAX}
    int64_t* le;

    const T* row(int64_t L) const noexcept {
        const int64_t z = L / v.Y, y = L - z * v.Y;
        return v.data + z * v.sz + y * v.sy;
    }
    // Line index of neighbour k of line L, or -1 outside the volume.
    int64_t neighbour_line(int64_t L, int k) const noexcept {
        const int64_t z = L / v.Y, y = L - z * v.Y;
        const int64_t zz = z + nb[k].dz, yy = y + nb[k].dy;
        if (zz < 0 || yy < 0 || yy >= v.Y) return -1;
        return zz * v.Y + yy;
    }

    Idx find(Idx i) noexcept {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }
    // Joins run i with run j < i (j's line comes first in raster order).
    void join(Idx i, Idx j) noexcept {
        Idx rj = find(j);
        Idx ri = parent[i] == i ? i : find(i);
        if (ri > rj) parent[ri] = rj;
        else if (rj > ri) parent[rj] = ri;
    }

    // Joins the runs of line L with the overlapping runs of line N (earlier).
    void join_lines(int64_t L, int64_t N, int diag) noexcept {
        const int64_t a1 = le[L], b1 = le[N];
        int64_t j = lb[N];
        if (j == b1) return;
        for (int64_t i = lb[L]; i < a1; ++i) {
            const int32_t s = runs[i].s - diag, e = runs[i].e + diag;
            while (j < b1 && runs[j].e <= s) ++j;
            if (j == b1) break;
            for (int64_t k = j; k < b1 && runs[k].s < e; ++k) {
                if (!binary && value[i] != value[k]) continue;
                join(static_cast<Idx>(i), static_cast<Idx>(k));
            }
        }
    }

    // Copies lines [L, L + nl) into out (row-major, X per line), 64 columns at a time:
    // the reads of a column block stay in cache across the lines when lines are
    // close in memory (a Fortran-ordered image), the writes are contiguous.
    void gather(int64_t L, int64_t nl, T* MC_RESTRICT out) const noexcept {
        const T* src[64];
        for (int64_t l = 0; l < nl; ++l) src[l] = row(L + l);
        for (int64_t c0 = 0; c0 < v.X; c0 += 64) {
            const int64_t c1 = std::min<int64_t>(v.X, c0 + 64);
            for (int64_t l = 0; l < nl; ++l) {
                const T* MC_RESTRICT p = src[l];
                T* MC_RESTRICT o = out + l * v.X;
                for (int64_t c = c0; c < c1; ++c) o[c] = p[c * v.sx];
            }
        }
    }

    // Finds the runs of lines [L0, L1) into indices from `base` and joins them with
    // the neighbour lines that are >= L0 (the strip's own). A new run is a root, and
    // only joins touch its set while it is processed, so its root is kept in a
    // register (ri) and every overlapping run's root is linked under the smaller.
    // The number of neighbour lines M is a template parameter, so the per-run loop
    // over them unrolls and their cursors live in registers (measured: -15% on a
    // multi-label volume at 26-connectivity); a line with fewer neighbours (the first
    // row or plane, a strip's seam) gets empty ranges for the missing ones.
    void scan_strip(int64_t L0, int64_t L1, int64_t base) noexcept {
        switch (nnb * 2 + binary) {
            case 2: scan_strip_t<false, 1>(L0, L1, base); break;
            case 3: scan_strip_t<true, 1>(L0, L1, base); break;
            case 4: scan_strip_t<false, 2>(L0, L1, base); break;
            case 5: scan_strip_t<true, 2>(L0, L1, base); break;
            case 8: scan_strip_t<false, 4>(L0, L1, base); break;
            default: scan_strip_t<true, 4>(L0, L1, base); break;
        }
    }
    template <bool Binary, int M>
    void scan_strip_t(int64_t L0, int64_t L1, int64_t base) noexcept {
        int64_t at = base;
        int64_t j[M];
        int32_t diag[M];
        // Lines that are not contiguous (a Fortran-ordered image: columns are) are
        // gathered kTile at a time into a row-major tile, so the run finder reads
        // contiguous rows (SIMD) instead of one strided element at a time (measured
        // on 2048^2 F-ordered input: 5x slower without). No tile memory: strided scan.
        constexpr int64_t kTile = 64;
        Buf<T> tile = v.sx != 1 ? alloc<T>(kTile * v.X) : Buf<T>(nullptr);
        // Short runs (multi-label 3D): the window joins of join_window read the
        // neighbour lines' input rows and a ring of the last Y + 2 lines' run ids
        // (each line's runs painted with their roots after its joins; a slot has a
        // vector of room after its X entries for the paint's overshoot).
        const int64_t R = v.Y + 2, X = v.X, XS = X + 16;
        Buf<Idx> ring = !Binary && join_window && !tile ? alloc<Idx>(R * XS) : Buf<Idx>(nullptr);
        for (int64_t L = L0; L < L1; ++L) {
            const T* ra = row(L);
            int64_t stride = v.sx;
            if (tile) {
                if ((L - L0) % kTile == 0) gather(L, std::min(kTile, L1 - L), tile.get());
                ra = tile.get() + ((L - L0) % kTile) * v.X;
                stride = 1;
            }
            const int64_t k = find_runs(ra, v.X, stride, bg, binary, runs + at);
            runs[at + k] = Run{INT32_MAX, INT32_MAX};  // the line's sentinel: ends both merge loops
            lb[L] = at;
            le[L] = at + k;
            for (int q = 0; q < M; ++q) {  // a missing neighbour line: this line's sentinel
                const int64_t N = neighbour_line(L, q);
                j[q] = N >= L0 ? lb[N] : at + k;
                diag[q] = nb[q].diag;
            }
            if (!Binary)
                for (int64_t i = at; i < at + k; ++i) value[i] = ra[runs[i].s * stride];
            if (!Binary && ring) {
                WindowJoin<T, Idx> w{runs, value, parent, at, k, X, conn, {}, {}};
                for (int q = 0; q < M; ++q) {
                    const int64_t N = neighbour_line(L, q);
                    w.in[q] = N >= L0 ? row(N) : nullptr;
                    w.prov[q] = N >= L0 ? ring.get() + (N % R) * XS : nullptr;
                }
                for (int64_t i = at; i < at + k; ++i) parent[i] = static_cast<Idx>(i);
                join_window(w);
                paint(runs + at, parent + at, k, X, XS, ring.get() + (L % R) * XS);
                at += k + 1;
                continue;
            }
            for (int64_t i = at; i < at + k; ++i) {
                Idx ri = static_cast<Idx>(i);
                parent[i] = ri;
                const T vi = Binary ? T{0} : value[i];
#pragma GCC unroll 4
                for (int q = 0; q < M; ++q) {
                    const int32_t s = runs[i].s - diag[q], e = runs[i].e + diag[q];
                    int64_t jj = j[q];
                    while (runs[jj].e <= s) ++jj;
                    j[q] = jj;
                    for (; runs[jj].s < e; ++jj) {
                        Idx rk = parent[jj];
                        // one branch: a run of another value, or one already joined, is skipped
                        if (Binary ? rk == ri : static_cast<bool>((value[jj] != vi) | (rk == ri))) continue;
                        rk = find(rk);
                        if (rk < ri) {
                            parent[ri] = rk;
                            ri = rk;
                        } else if (rk > ri) {
                            parent[rk] = ri;
                        }
                    }
                }
                parent[i] = ri;
            }
            if (ring) paint(runs + at, parent + at, k, X, XS, ring.get() + (L % R) * XS);
            at += k + 1;
        }
    }
};

// Statistics accumulators, one per label, in scratch: area, bounds ((z,) y, x
// minima, then exclusive maxima) and coordinate sums in float64 (exact below 2^53:
// an image of 2^32 pixels with coordinates below 2^21 cannot reach it). Runs arrive
// in raster order, so a label's first run sets its minimum z (3D) or y (2D), and
// every later run sets the maximum of that axis by plain assignment. ND is 2 or 3.
template <int ND>
struct Acc {
    int64_t area;
    int64_t lo[ND], hi[ND];
    double sum[ND];

    static constexpr int Y = ND - 2, X = ND - 1;  // indices of y and x
    void first(int64_t z, int64_t y, int64_t s, int64_t e) noexcept {
        const int64_t len = e - s;
        if (ND == 3) {
            lo[0] = z;
            hi[0] = z + 1;
            sum[0] = static_cast<double>(z * len);
        }
        area = len;
        lo[Y] = y;
        hi[Y] = y + 1;
        lo[X] = s;
        hi[X] = e;
        sum[Y] = static_cast<double>(y * len);
        sum[X] = static_cast<double>((s + e - 1) * len / 2);  // s + (s+1) + ... + (e-1)
    }
    void add(int64_t z, int64_t y, int64_t s, int64_t e) noexcept {
        const int64_t len = e - s;
        if (ND == 3) {
            hi[0] = z + 1;
            sum[0] += static_cast<double>(z * len);
            lo[Y] = std::min(lo[Y], y);
            hi[Y] = std::max(hi[Y], y + 1);
        } else {
            hi[Y] = y + 1;
        }
        area += len;
        lo[X] = std::min(lo[X], s);
        hi[X] = std::max(hi[X], e);
        sum[Y] += static_cast<double>(y * len);
        sum[X] += static_cast<double>((s + e - 1) * len / 2);
    }
};

// Writes n accumulators (area 0: no pixels) as Stats records, with each label's
// value from `value` when it is not null (T bytes at the end of each record).
template <int ND, class T>
bool write_records(const Acc<ND>* acc, int64_t n, const T* value, Stats* st) noexcept {
    const int64_t rs = 8 * (1 + 3 * ND) + (value ? static_cast<int64_t>(sizeof(T)) : 0);
    st->record_size = rs;
    st->records.size = 0;
    if (!st->records.reserve_more(n * rs)) return false;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (n * rs >= (int64_t{4} << 20)) {  // large: fresh pages, fault them in 2 MB at a time (advice only)
        const uintptr_t a = (reinterpret_cast<uintptr_t>(st->records.data) + 4095) & ~uintptr_t{4095};
        madvise(reinterpret_cast<void*>(a), static_cast<size_t>(n * rs) - (a - reinterpret_cast<uintptr_t>(st->records.data)), MADV_HUGEPAGE);
    }
#endif
    uint8_t* MC_RESTRICT out = st->records.data;
    for (int64_t c = 0; c < n; ++c, out += rs) {
        const Acc<ND>& a = acc[c];
        int64_t w[1 + 2 * ND];
        double cen[ND];
        w[0] = a.area;
        for (int d = 0; d < ND; ++d) {
            w[1 + d] = a.area ? a.lo[d] : 0;
            w[1 + ND + d] = a.area ? a.hi[d] : 0;
            cen[d] = a.area ? a.sum[d] / static_cast<double>(a.area) : __builtin_nan("");
        }
        std::memcpy(out, w, sizeof(w));
        std::memcpy(out + sizeof(w), cen, sizeof(cen));
        if (value) std::memcpy(out + sizeof(w) + sizeof(cen), value + c, sizeof(T));
    }
    st->records.size = n * rs;
    return true;
}

// Lines of strip k of `strips` over NL lines.
inline int64_t strip_start(int64_t NL, int strips, int k) { return NL * k / strips; }

}  // namespace

// The numbering pass over every run in raster order (lines in order; a strip's
// lines hold consecutive run indices): a root (the raster-first run of its set)
// gets the next label, every other run its parent's, already final. ND 2 / 3 also
// accumulates statistics in `block` (the root run opens its label's accumulator;
// the block grows with the labels, so it holds about n of them, not one per run);
// ND 0 not. False when the accumulators cannot grow.
template <int ND, class T, class Idx>
bool number(Labeler<T, Idx>& lab, int64_t NL, Block* block, Idx* n_out) noexcept {
    using A = Acc<ND ? ND : 2>;
    Idx n = 0;
    Idx* MC_RESTRICT par = lab.parent;
    T* MC_RESTRICT val = lab.value;
    const Run* MC_RESTRICT r = lab.runs;
    A* acc = nullptr;
    int64_t room = 0;  // accumulators available
    int64_t z = 0, y = 0;
    for (int64_t L = 0; L < NL; ++L) {
        const int64_t end = lab.le[L];
        if (ND && static_cast<int64_t>(n) + (end - lab.lb[L]) > room) {  // every run of L may open a label
            room = std::max<int64_t>(static_cast<int64_t>(n) + (end - lab.lb[L]), 4096);
            acc = block->grow<A>(room, static_cast<int64_t>(n));
            if (!acc) return false;
            room = static_cast<int64_t>(block->cap / sizeof(A));
        }
        for (int64_t i = lab.lb[L]; i < end; ++i) {
            const Idx p = par[i];
            if (p == static_cast<Idx>(i)) {
                if (val) val[n] = val[i];  // n <= i: already read
                if (ND) acc[n].first(z, y, r[i].s, r[i].e);
                par[i] = ++n;
            } else {
                const Idx c = par[p];
                par[i] = c;
                if (ND) acc[c - 1].add(z, y, r[i].s, r[i].e);
            }
        }
        if (++y == lab.v.Y) {
            y = 0;
            ++z;
        }
    }
    *n_out = n;
    return true;
}

// A volume whose unit-stride axis is z (a Fortran-ordered 3D array) or y (2D), copied
// into C order at dst: the transposition goes in blocks of one output cache line of
// columns (64 bytes) by every z (or y), so each input cache line is read once, in
// full, from a few sequential streams, and each output line is written whole.
// Gathering lines one strided element at a time read a 64-byte line per element
// (D99 atlas, 23M int32 voxels, Fortran order: 0.34 s against 0.05 s in C order).
// Four columns of unit stride (column b at src + b * cs), n elements each, written as n
// rows of four elements at out (rows os apart). 32-bit elements: a 4x4 transpose in SSE2
// registers per four rows (bit moves only), 16-byte loads and stores; the rest (other
// element sizes, the last rows) one element at a time.
template <class T>
void transpose4(const T* MC_RESTRICT src, int64_t cs, int64_t n, T* MC_RESTRICT out, int64_t os) noexcept {
    int64_t i = 0;
#if defined(MC_X86_64)
    if constexpr (sizeof(T) == 4) {
        for (; i + 4 <= n; i += 4) {
            __m128 r0 = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
            __m128 r1 = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + cs + i)));
            __m128 r2 = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * cs + i)));
            __m128 r3 = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 3 * cs + i)));
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i * os), _mm_castps_si128(r0));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (i + 1) * os), _mm_castps_si128(r1));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (i + 2) * os), _mm_castps_si128(r2));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (i + 3) * os), _mm_castps_si128(r3));
        }
    }
#endif
    for (; i < n; ++i)
        for (int b = 0; b < 4; ++b) out[i * os + b] = src[b * cs + i];
}

template <class T>
bool transposed_copy(const Volume<T>& in, int threads, T* dst) noexcept {
    constexpr int64_t B = 64 / sizeof(T) < 8 ? 8 : 64 / sizeof(T);
    const int64_t Z = in.Z, Y = in.Y, X = in.X, sz = in.sz, sy = in.sy, sx = in.sx;
    const int nt = worth(threads, static_cast<uint64_t>(Z * Y * X), 1u << 20);
    if ((sz == 1 || sz == -1) && Z > 1) {
        parallel_for(Y, nt, [&](int64_t y) {
            for (int64_t x0 = 0; x0 < X; x0 += B) {
                const int64_t nb = X - x0 < B ? X - x0 : B;
                const T* src = in.data + y * sy + x0 * sx;
                T* out = dst + y * X + x0;
                int64_t b = 0;
                if (sz == 1)
                    for (; b + 4 <= nb; b += 4) transpose4(src + b * sx, sx, Z, out + b, Y * X);
                for (int64_t z = 0; z < Z; ++z)
                    for (int64_t c = b; c < nb; ++c) out[z * Y * X + c] = src[z * sz + c * sx];
            }
        });
        return true;
    }
    if ((sy == 1 || sy == -1) && Y > 1) {
        parallel_for((X + B - 1) / B, nt, [&](int64_t xb) {
            const int64_t x0 = xb * B, nb = X - x0 < B ? X - x0 : B;
            for (int64_t z = 0; z < Z; ++z) {
                const T* src = in.data + z * sz + x0 * sx;
                T* out = dst + z * Y * X + x0;
                int64_t b = 0;
                if (sy == 1)
                    for (; b + 4 <= nb; b += 4) transpose4(src + b * sx, sx, Y, out + b, X);
                for (int64_t y = 0; y < Y; ++y)
                    for (int64_t c = b; c < nb; ++c) out[y * X + c] = src[y * sy + c * sx];
            }
        });
        return true;
    }
    return false;
}

template <class T, class Idx>
Status label_runs(const Volume<T>& in_, const Options& opt, Stats* stats, RunVisitor<Idx> visit, void* ctx) noexcept {
    Labeler<T, Idx> lab;
    Volume<T> in = in_;
    Scratch& sc = scratch();
    struct Trim {
        Scratch& sc;
        ~Trim() { sc.trim(); }
    } trim{sc};
    const bool z_unit = (in.sz == 1 || in.sz == -1) && in.Z > 1, y_unit = (in.sy == 1 || in.sy == -1) && in.Y > 1;
    if (in.sx != 1 && in.X > 1 && (z_unit || y_unit)) {  // Fortran-like: copy into C order
        T* c = sc.copy.get<T>(in.Z * in.Y * in.X);
        if (!c) return Status::bad_alloc;
        if (transposed_copy(in, opt.threads, c)) in = Volume<T>{c, in.Z, in.Y, in.X, in.Y * in.X, in.X, 1};
    }
    lab.v = in;
    lab.binary = opt.binary;
    lab.bg = static_cast<T>(opt.background);
    lab.nnb = neighbours(opt.connectivity, opt.is3d, lab.nb);
    lab.conn = opt.connectivity;
    if (lab.nnb == 0) return Status::invalid_argument;
    if (in.X > INT32_MAX - 2) return Status::overflow;
    lab.find_runs = pick_find_runs<T>();
    lab.join_window = nullptr;
    lab.paint = pick_paint<Idx>();
    const int64_t X = in.X, NL = in.Z * in.Y;
    if (!opt.binary && opt.is3d && in.sx == 1 && opt.connectivity != 6 && NL > 0 && X > 0) {
        Buf<Run> tmp = alloc<Run>(X + 1);
        if (!tmp) return Status::bad_alloc;
        const int64_t ns = std::min(NL, kSampleLines);
        int64_t k = 0;
        for (int64_t j = 0; j < ns; ++j)
            k += lab.find_runs(lab.row(NL * j / ns), X, 1, lab.bg, false, tmp.get());
        if (k * kShortPeriod > X * ns) lab.join_window = pick_join<T, Idx>();
    }
    if (NL == 0 || X == 0) {
        RunTable<Idx> empty{nullptr, nullptr, nullptr, nullptr, NL, X, 0};
        return visit(ctx, empty);
    }

    // Strips: one more per 2^18 pixels (~200 us of work), at most `threads`, and at
    // least max(reach, 16) lines each, where reach is how far back a neighbour line
    // lies (1 in 2D, Y + 1 in 3D): the first `reach` lines of a strip are its seam.
    const int64_t reach = opt.is3d ? in.Y + 1 : 1;
    int strips = worth(opt.threads, static_cast<uint64_t>(NL * X), 1u << 18);
    strips = static_cast<int>(std::min<int64_t>(strips, std::max<int64_t>(1, NL / std::max<int64_t>(reach, 16))));
    const int64_t per_line = (opt.binary ? (X + 1) / 2 : X) + 1;  // most runs a line can hold, + a sentinel
    std::vector<int64_t> base(static_cast<size_t>(strips) + 1);
    for (int k = 0; k <= strips; ++k) base[k] = strip_start(NL, strips, k) * per_line;
    const int64_t cap = base[strips];
    lab.runs = sc.runs.get<Run>(cap);
    lab.parent = sc.parent.get<Idx>(cap);
    lab.value = opt.binary ? nullptr : sc.value.get<T>(cap);
    lab.lb = sc.lb.get<int64_t>(NL);
    lab.le = sc.le.get<int64_t>(NL);
    if (!lab.runs || !lab.parent || (!opt.binary && !lab.value) || !lab.lb || !lab.le) return Status::bad_alloc;

    // Strips write disjoint ranges of runs, parent, value, lb and le.
    parallel_for(strips, strips, [&](int64_t k) {
        const int kk = static_cast<int>(k);
        lab.scan_strip(strip_start(NL, strips, kk), strip_start(NL, strips, kk + 1), base[k]);
    });
    {  // what the strips wrote of the run tables (each from its base through its last sentinel), in whole pages
        const size_t per_run = sizeof(Run) + sizeof(Idx) + (opt.binary ? 0 : sizeof(T)), page = 4096;
        size_t used = 0;
        for (int k = 0; k < strips; ++k) {
            const int64_t last = strip_start(NL, strips, k + 1) - 1;
            if (last >= strip_start(NL, strips, k)) used += static_cast<size_t>(lab.le[last] + 1 - base[k]) * per_run + 3 * page;
        }
        // The same strips write the same ranges again (the most of the calls); other strips
        // other ranges (their sum). A block replaced since (grown) keeps no pages:
        // over-counting only releases sooner.
        sc.touched = strips == sc.strips ? std::max(sc.touched, used) : sc.touched + used;
        sc.strips = strips;
    }
    for (int k = 1; k < strips; ++k) {  // seams, in strip order
        const int64_t L0 = strip_start(NL, strips, k), L1 = std::min(strip_start(NL, strips, k + 1), L0 + reach);
        for (int64_t L = L0; L < L1; ++L)
            for (int q = 0; q < lab.nnb; ++q) {
                const int64_t N = lab.neighbour_line(L, q);
                if (N >= 0 && N < L0) lab.join_lines(L, N, lab.nb[q].diag);
            }
    }
    // Numbering (and statistics, fused): roots in increasing index order get 1, 2,
    // ...; every other run the final label of its parent (a smaller index, already
    // numbered). Multi-label: each label's value moves to value[label - 1].
    Idx n = 0;
    if (!stats) {
        number<0>(lab, NL, nullptr, &n);
    } else if (opt.is3d) {
        if (!number<3>(lab, NL, &sc.acc, &n)) return Status::bad_alloc;
        if (!write_records(static_cast<const Acc<3>*>(sc.acc.p), n, lab.value, stats)) return Status::bad_alloc;
    } else {
        if (!number<2>(lab, NL, &sc.acc, &n)) return Status::bad_alloc;
        if (!write_records(static_cast<const Acc<2>*>(sc.acc.p), n, lab.value, stats)) return Status::bad_alloc;
    }
    RunTable<Idx> table{lab.runs, lab.parent, lab.lb, lab.le, NL, X, static_cast<int64_t>(n)};
    return visit(ctx, table);
}

void paint_line(const Run* runs, const uint32_t* labels, int64_t k, int64_t n, int64_t room, uint32_t* out) noexcept {
    pick_paint<uint32_t>()(runs, labels, k, n, room, out);
}

// Fortran-ordered input without statistics: labeled in its own order, then
// renumbered and written transposed. The view that swaps the unit-stride axis (z,
// or y) with x is C-ordered, and the neighbourhoods (4/8, 6/18/26) are symmetric
// under a swap of axes, so its components are the input's; only their numbers
// differ. A component's number in C order is the rank of its first voxel in C
// order: the least C-order index over its runs' first voxels (a run of the view
// lies along the input's unit-stride axis, so its first voxel is its least). The
// ranks come from sorting the few components, or from a bitmap over the voxels
// with one bit per component (prefix counts per 64-bit word). Then each block of
// lines of the view that are neighbours along x (64 or more; see B below) is
// painted into a tile (one line per tile row, the per-ISA paint kernel) and the
// tile is written transposed (per-ISA: 8x8 register transposes), one piece of B
// labels per output row. D99 atlas, AVX2 EPYC, 1 thread: see ccl.hpp.
template <class T, class Idx>
struct Transposed {
    Idx* out;
    int64_t* n_out;
    int threads;
    int64_t Y2;            // lines of the view per plane (Y of the view)
    int64_t sp, sq, sr;    // C-order strides of the output for the view's plane, row and column
    int64_t lo, lb, so;    // a tile: outer index o and tile row b -> line o * lo + b * lb, output o * so + b
    int64_t outer, P;      // outer indices; tile rows in all (the input's X)
    int64_t N;             // voxels
};

template <class T, class Idx>
Status transposed_visit(void* p, RunTable<Idx>& t) noexcept {
    const Transposed<T, Idx>& c = *static_cast<const Transposed<T, Idx>*>(p);
    *c.n_out = t.n;
    const int64_t NL = t.lines, R = t.X, n = t.n;
    if (NL == 0 || R == 0) return Status::ok;
    Scratch& sc = scratch();
    // first C-order voxel of each component
    uint64_t* first = sc.acc.get<uint64_t>(2 * n);
    if (!first) return Status::bad_alloc;
    for (int64_t k = 0; k < n; ++k) first[k] = UINT64_MAX;
    for (int64_t L = 0; L < NL; ++L) {
        const int64_t pp = L / c.Y2, qq = L - pp * c.Y2;
        const uint64_t base = static_cast<uint64_t>(pp * c.sp + qq * c.sq);
        for (int64_t i = t.lb[L]; i < t.le[L]; ++i) {
            const uint64_t key = base + static_cast<uint64_t>(t.runs[i].s) * static_cast<uint64_t>(c.sr);
            uint64_t& f = first[t.label[i] - 1];
            f = key < f ? key : f;
        }
    }
    // The rank of each first voxel among them (1-based; the keys are distinct voxels).
    // Few components (n * 64 < voxels: the D99 atlas has 366 over 23.4M voxels): sort
    // (key, component) pairs, n log n; a bitmap over the voxels would clear and count
    // 366K words for them (~2 ms of the Fortran-order call). Many: the bitmap, one bit
    // per component and prefix counts per 64-bit word: linear. The same ranks.
    const int64_t words = c.N / 64 + 1;
    if (n * 64 < words) {
        uint64_t* order = first + n;  // components in C order of their first voxels
        for (int64_t k = 0; k < n; ++k) order[k] = static_cast<uint64_t>(k);
        std::sort(order, order + n, [first](uint64_t a, uint64_t b) { return first[a] < first[b]; });
        for (int64_t r = 0; r < n; ++r) first[order[r]] = static_cast<uint64_t>(r + 1);
    } else {
        uint64_t* bits = sc.copy.get<uint64_t>(2 * words);
        if (!bits) return Status::bad_alloc;
        uint64_t* count = bits + words;
        std::memset(bits, 0, static_cast<size_t>(words) * sizeof(uint64_t));
        for (int64_t k = 0; k < n; ++k) bits[first[k] >> 6] |= uint64_t{1} << (first[k] & 63);
        uint64_t acc = 0;
        for (int64_t w = 0; w < words; ++w) {  // (popcount is a libgcc call in this baseline-ISA file)
            count[w] = acc;
            if (bits[w]) acc += static_cast<uint64_t>(__builtin_popcountll(bits[w]));
        }
        for (int64_t k = 0; k < n; ++k) {  // the rank, 1-based: components before it in C order, + 1
            const uint64_t f = first[k];
            first[k] = count[f >> 6] + static_cast<uint64_t>(__builtin_popcountll(bits[f >> 6] & ((uint64_t{1} << (f & 63)) - 1))) + 1;
        }
    }
    for (int64_t L = 0; L < NL; ++L)
        for (int64_t i = t.lb[L]; i < t.le[L]; ++i) t.label[i] = static_cast<Idx>(first[t.label[i] - 1]);
    // transposed paint: tiles of B lines x R columns (+ a vector of room each), B lines
    // written as one piece of B labels into each of R output rows. The pieces must be
    // long: D99 atlas in Fortran order, AVX2 EPYC, 1 thread, CPU-time medians of
    // interleaved runs: B = 32 (128-byte pieces, each spread over 3 cache lines that a
    // later tile completes) 33.2 ms, B = 64 30.3, 128 29.7, 245 (whole output rows)
    // 29.5; C order 23.4. So B is every line up to the tile's L2 share (~256 KB),
    // at least 64.
    const int64_t ts = R + 16;
    // The tiles of one outer index are made equal (a last tile of a few lines would
    // write short pieces again).
    const int64_t fit = std::max<int64_t>(64, (int64_t{256} << 10) / (ts * static_cast<int64_t>(sizeof(Idx))));
    const int64_t per = (c.P + fit - 1) / fit;  // tiles per outer index
    const int64_t B = std::min<int64_t>(c.P, ((c.P + per - 1) / per + 7) & ~int64_t{7});
    const Paint<Idx> paint = pick_paint<Idx>();
    const Transpose<Idx> transpose = pick_transpose<Idx>();
    const int64_t blocks = (c.P + B - 1) / B, jobs = c.outer * blocks;
    const int nt = worth(c.threads, static_cast<uint64_t>(NL * R), 1u << 18);
    bool ok = true;
    // A tile row that holds an empty line (all background: half the lines of the D99
    // atlas along z) and gets another is not painted again (zero[b]: row b is all 0).
    std::vector<Buf<Idx>> tiles(static_cast<size_t>(nt));
    std::vector<Buf<uint8_t>> zeros(static_cast<size_t>(nt));
    for (size_t k = 0; k < tiles.size(); ++k) {
        tiles[k] = alloc<Idx>(B * ts);
        zeros[k] = alloc<uint8_t>(B);
        ok = ok && tiles[k] && zeros[k];
        if (zeros[k]) std::memset(zeros[k].get(), 0, static_cast<size_t>(B));
    }
    if (!ok) return Status::bad_alloc;
    parallel_for(nt, nt, [&](int64_t th) {
        Idx* tile = tiles[static_cast<size_t>(th)].get();
        uint8_t* zero = zeros[static_cast<size_t>(th)].get();
        for (int64_t j = jobs * th / nt; j < jobs * (th + 1) / nt; ++j) {
            const int64_t o = j / blocks, b0 = (j - o * blocks) * B, nb = std::min(B, c.P - b0);
            for (int64_t b = 0; b < nb; ++b) {
                const int64_t L = o * c.lo + (b0 + b) * c.lb, k = t.le[L] - t.lb[L];
                if (k == 0 && zero[b]) continue;
                zero[b] = k == 0;
                paint(t.runs + t.lb[L], t.label + t.lb[L], k, R, ts, tile + b * ts);
            }
            transpose(tile, nb, R, ts, c.out + o * c.so + b0, c.sr);
        }
    });
    return Status::ok;
}

template <class T, class Idx>
Status label(const Volume<T>& in, const Options& opt, Idx* out, int64_t* n_out, Stats* stats) noexcept {
    if (!stats && in.sx != 1 && in.X > 1 && ((in.sz == 1 && in.Z > 1) || (in.sy == 1 && in.Y > 1))) {
        const int64_t Z = in.Z, Y = in.Y, X = in.X;
        Transposed<T, Idx> c{out, n_out, opt.threads, 0, 0, 0, 0, 0, 0, 0, 0, X, Z * Y * X};
        Volume<T> v;
        if (in.sz == 1 && in.Z > 1) {  // view (x, y, z): plane x, row y, column z
            v = Volume<T>{in.data, X, Y, Z, in.sx, in.sy, 1};
            c.Y2 = Y, c.sp = 1, c.sq = X, c.sr = Y * X;
            c.lo = 1, c.lb = Y, c.so = X, c.outer = Y;
        } else {  // view (z, x, y): plane z, row x, column y
            v = Volume<T>{in.data, Z, X, Y, in.sz, in.sx, 1};
            c.Y2 = X, c.sp = Y * X, c.sq = 1, c.sr = X;
            c.lo = X, c.lb = 1, c.so = Y * X, c.outer = Z;
        }
        *n_out = 0;
        return label_runs<T, Idx>(v, opt, nullptr, transposed_visit<T, Idx>, &c);
    }
    struct Ctx {
        Idx* out;
        int64_t* n_out;
        int threads;
    } ctx{out, n_out, opt.threads};
    RunVisitor<Idx> paint_all = [](void* p, RunTable<Idx>& t) noexcept {
        const Ctx& c = *static_cast<const Ctx*>(p);
        *c.n_out = t.n;
        const int64_t NL = t.lines, X = t.X;
        if (NL == 0 || X == 0) return Status::ok;
        const Paint<Idx> paint = pick_paint<Idx>();
        const int strips = worth(c.threads, static_cast<uint64_t>(NL * X), 1u << 18);
        parallel_for(strips, strips, [&](int64_t k) {
            const int64_t L0 = NL * k / strips, L1 = NL * (k + 1) / strips;
            // a line may overshoot into the next one of its strip (painted after it)
            for (int64_t L = L0; L < L1; ++L)
                paint(t.runs + t.lb[L], t.label + t.lb[L], t.le[L] - t.lb[L], X, L + 1 < L1 ? 2 * X : X,
                      c.out + L * X);
        });
        return Status::ok;
    };
    *n_out = 0;
    return label_runs<T, Idx>(in, opt, stats, paint_all, &ctx);
}

template <class T>
Status component_stats(const Volume<T>& in, int64_t n, bool is3d, Stats* stats, ErrorInfo& err) noexcept {
    const int64_t X = in.X, NL = in.Z * in.Y;
    if (in.X > INT32_MAX - 2) return Status::overflow;
    Buf<Run> runs = alloc<Run>(X);
    if (!runs) return Status::bad_alloc;
    Scratch& sc = scratch();
    struct Trim {
        Scratch& sc;
        ~Trim() { sc.trim(); }
    } trim{sc};
    const FindRuns<T> find_runs = pick_find_runs<T>();
    auto collect = [&](auto tag) {
        using A = decltype(tag);
        A* acc = sc.acc.get<A>(n);
        if (!acc) return Status::bad_alloc;
        for (int64_t c = 0; c < n; ++c) acc[c].area = 0;  // not seen yet
        for (int64_t L = 0; L < NL; ++L) {
            const int64_t z = L / in.Y, y = L - z * in.Y;
            const T* src = in.data + z * in.sz + y * in.sy;
            const int64_t k = find_runs(src, X, in.sx, T{0}, false, runs.get());
            for (int64_t i = 0; i < k; ++i) {
                const uint64_t lv = static_cast<uint64_t>(src[runs[i].s * in.sx]);
                if (lv > static_cast<uint64_t>(n)) {
                    err.index = L * X + runs[i].s;
                    err.value = static_cast<int64_t>(lv);
                    return Status::invalid_value;
                }
                A& a = acc[lv - 1];  // runs in raster order: a label's first run opens it
                if (a.area == 0) a.first(z, y, runs[i].s, runs[i].e);
                else a.add(z, y, runs[i].s, runs[i].e);
            }
        }
        return write_records(acc, n, static_cast<const T*>(nullptr), stats) ? Status::ok : Status::bad_alloc;
    };
    return is3d ? collect(Acc<3>{}) : collect(Acc<2>{});
}

#define MC_CCL_INSTANTIATE(T)                                                                                   \
    template Status label<T, uint32_t>(const Volume<T>&, const Options&, uint32_t*, int64_t*, Stats*) noexcept; \
    template Status label<T, uint64_t>(const Volume<T>&, const Options&, uint64_t*, int64_t*, Stats*) noexcept; \
    template Status label_runs<T, uint32_t>(const Volume<T>&, const Options&, Stats*, RunVisitor<uint32_t>, void*) noexcept; \
    template Status label_runs<T, uint64_t>(const Volume<T>&, const Options&, Stats*, RunVisitor<uint64_t>, void*) noexcept; \
    template Status component_stats<T>(const Volume<T>&, int64_t, bool, Stats*, ErrorInfo&) noexcept;
MC_CCL_INSTANTIATE(uint8_t)
MC_CCL_INSTANTIATE(uint16_t)
MC_CCL_INSTANTIATE(uint32_t)
MC_CCL_INSTANTIATE(uint64_t)
#undef MC_CCL_INSTANTIATE

}  // namespace maskcore::ccl
