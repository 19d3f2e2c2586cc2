// SLIC step 4 (slic.hpp): connectivity enforcement and raster-order numbering.
//
// The components are the connected-components family's (ccl::label_runs, 4-connected,
// multi-label, -1 as background): runs of equal labels, joined by a run-based
// union-find whose roots are the raster-first runs, so components come numbered
// 1..n in raster order of their first pixel. This file adds only what SLIC needs
// on top, on those components and their runs:
//
//     row y-1:   [ a a a | b b | c c c c ]      run r touches the run to its left
//     row y  :       [ a a a a a a | d ]        and the runs of row y-1 sharing a column
//
// Orphans (groups below min_size pixels) merge into their largest neighbouring
// group; among equally large ones, the first adjacency met in raster order. Scanning
// runs in order, the adjacencies of run r come in pixel order: the run to its left,
// then the overlapping runs of the row above left to right (the pixel-by-pixel scan
// "left neighbour, upper neighbour" gives the same sequence). Rows are scanned in
// bands, one per thread, each listing the offers to small groups in order; the lists,
// read in band order, are the raster-order sequence. All targets of a pass are found
// first, then merged at once (union-find over components, union by min: a group's
// root is its raster-first component): chains and cycles of targets join one group.
// Passes repeat while some small group found a neighbour. Merging into the largest
// neighbour, not the first one met as in Achanta's code, keeps noise from chaining
// every fragment into one segment. Finally groups are numbered 0.. in the order of
// their roots (raster order of first pixel) and every row is written once from its
// runs, -1 between them (outside the mask).
#include <algorithm>
#include <new>
#include <vector>

#include "../ccl/ccl.hpp"
#include "../common/parallel.hpp"
#include "slic.hpp"

namespace maskcore::slic {
namespace {

using Offer = ConnectBuffers::Offer;

struct Merge {
    int32_t* labels;
    double min_size;
    int threads;
    int64_t* k_out;
    ConnectBuffers& b;

    int64_t find(int64_t c) const noexcept {  // no path compression: read-only, so threads may share it
        const int64_t* p = b.parent.data();
        while (p[c] != c) c = p[c];
        return c;
    }
    int64_t compress(int64_t c) noexcept {
        int64_t* p = b.parent.data();
        int64_t root = c;
        while (p[root] != root) root = p[root];
        while (p[c] != root) {
            const int64_t n = p[c];
            p[c] = root;
            c = n;
        }
        return root;
    }

    template <class Idx>
    Status visit(ccl::RunTable<Idx>& t) noexcept {
        try {
            const int64_t n = t.n, NL = t.lines, X = t.X;
            *k_out = 0;
            if (NL == 0 || X == 0) return Status::ok;
            const int nt = worth(threads, static_cast<uint64_t>(NL * X), 1 << 18);
            std::vector<int64_t>&parent = b.parent, &size = b.size, &target = b.target, &id = b.id;
            parent.resize(static_cast<size_t>(n) + 1);
            size.assign(static_cast<size_t>(n) + 1, 0);
            target.assign(static_cast<size_t>(n) + 1, -1);
            for (int64_t c = 0; c <= n; ++c) parent[c] = c;
            const ccl::Run* runs = t.runs;
            for (int64_t L = 0; L < NL; ++L)  // (run indices have gaps between ccl's strips)
                for (int64_t i = t.lb[L]; i < t.le[L]; ++i) size[t.label[i]] += runs[i].e - runs[i].s;
            if (static_cast<int>(b.offers.size()) < nt) b.offers.resize(nt);

            for (;;) {
                auto small = [&](int64_t g) { return static_cast<double>(size[g]) < min_size; };
                bool any_small = false;
                for (int64_t c = 1; c <= n && !any_small; ++c) any_small = parent[c] == c && small(c);
                if (!any_small) break;
                // the offers to small groups, in raster order within each band of rows
                parallel_for(nt, nt, [&](int64_t band) {
                    std::vector<Offer>& out = b.offers[band];
                    out.clear();
                    auto pair = [&](int64_t g, int64_t o) {
                        if (g == o) return;
                        if (small(g)) out.push_back({g, o});
                        if (small(o)) out.push_back({o, g});
                    };
                    for (int64_t L = NL * band / nt; L < NL * (band + 1) / nt; ++L) {
                        const int64_t e = t.le[L];
                        int64_t q = L > 0 ? t.lb[L - 1] : 0;
                        const int64_t qe = L > 0 ? t.le[L - 1] : 0;
                        for (int64_t r = t.lb[L]; r < e; ++r) {
                            const int64_t g = find(static_cast<int64_t>(t.label[r]));
                            if (r > t.lb[L] && runs[r - 1].e == runs[r].s) pair(g, find(static_cast<int64_t>(t.label[r - 1])));
                            while (q < qe && runs[q].e <= runs[r].s) ++q;
                            for (int64_t p = q; p < qe && runs[p].s < runs[r].e; ++p)
                                pair(g, find(static_cast<int64_t>(t.label[p])));
                        }
                    }
                });
                std::vector<int64_t>& touched = b.touched;
                touched.clear();
                for (int band = 0; band < nt; ++band)
                    for (const Offer& f : b.offers[band]) {
                        int64_t& tg = target[f.g];
                        if (tg < 0) touched.push_back(f.g);
                        if (tg < 0 || size[f.o] > size[tg]) tg = f.o;
                    }
                if (touched.empty()) break;  // no small group has a neighbour
                for (const int64_t g : touched) {
                    const int64_t a = compress(g), c = compress(target[g]);
                    target[g] = -1;
                    if (a == c) continue;
                    const int64_t lo = std::min(a, c), hi = std::max(a, c);
                    parent[hi] = lo;
                    size[lo] = size[a] + size[c];
                }
            }
            // groups numbered in the order of their roots; runs written with their group's number
            id.resize(static_cast<size_t>(n) + 1);
            int64_t next = 0;
            for (int64_t c = 1; c <= n; ++c) {
                const int64_t p = parent[c];
                if (p == c) {
                    if (next > INT32_MAX) return Status::overflow;
                    id[c] = next++;
                } else {
                    id[c] = id[p];  // p < c: already numbered (p is c's root after compression below)
                }
                parent[c] = parent[p];  // keeps parent[c] = root for the later components
            }
            parallel_for(nt, nt, [&](int64_t band) {
                for (int64_t L = NL * band / nt; L < NL * (band + 1) / nt; ++L) {
                    int32_t* row = labels + L * X;
                    int64_t x = 0;
                    for (int64_t r = t.lb[L]; r < t.le[L]; ++r) {
                        std::fill(row + x, row + runs[r].s, -1);
                        std::fill(row + runs[r].s, row + runs[r].e, static_cast<int32_t>(id[t.label[r]]));
                        x = runs[r].e;
                    }
                    std::fill(row + x, row + X, -1);
                }
            });
            *k_out = next;
            return Status::ok;
        } catch (const std::bad_alloc&) {
            return Status::bad_alloc;
        }
    }
};

}  // namespace

Status connect(int32_t* labels, int64_t h, int64_t w, bool enforce, double min_size, int threads, int64_t* k_out,
               ConnectBuffers& b) noexcept {
    try {
        if (!enforce) {
            int32_t hi = -1;
            for (int64_t i = 0; i < h * w; ++i) hi = std::max(hi, labels[i]);
            std::vector<int32_t> id(static_cast<size_t>(hi) + 3, -1);  // index value + 2
            int64_t next = 0;
            for (int64_t i = 0; i < h * w; ++i) {
                const int32_t v = labels[i];
                if (v == -1) continue;
                int32_t& d = id[static_cast<size_t>(v + 2)];
                if (d < 0) d = static_cast<int32_t>(next++);
                labels[i] = d;
            }
            *k_out = next;
            return Status::ok;
        }
    } catch (const std::bad_alloc&) {
        return Status::bad_alloc;
    }
    // The labels (int32, -1 outside) are read as uint32 with background 0xffffffff; the
    // components are written back into the same buffer from the run table only after
    // every row has been read.
    const ccl::Volume<uint32_t> vol{reinterpret_cast<const uint32_t*>(labels), 1, h, w, h * w, w, 1};
    const ccl::Options opt{4, false, false, UINT32_MAX, threads};
    Merge m{labels, min_size, threads, k_out, b};
    auto run = [&](auto idx) {
        using Idx = decltype(idx);
        ccl::RunVisitor<Idx> visit = [](void* ctx, ccl::RunTable<Idx>& t) noexcept {
            return static_cast<Merge*>(ctx)->visit(t);
        };
        return ccl::label_runs<uint32_t, Idx>(vol, opt, nullptr, visit, &m);
    };
    // ccl's run indices and labels need 64 bits from 2^32 pixels on
    return static_cast<uint64_t>(h) * static_cast<uint64_t>(w) < (uint64_t{1} << 32) ? run(uint32_t{}) : run(uint64_t{});
}

}  // namespace maskcore::slic
