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

    int64_t root(int64_t c) noexcept {  // with path compression
        int64_t* p = b.parent.data();
        int64_t r = c;
        while (p[r] != r) r = p[r];
        while (p[c] != r) {
            const int64_t n = p[c];
            p[c] = r;
            c = n;
        }
        return r;
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

            std::vector<int64_t>& grp = b.grp;  // each component's group (root), per pass
            std::vector<uint8_t>& sm = b.small;   // group g is small
            grp.resize(static_cast<size_t>(n) + 1);
            sm.resize(static_cast<size_t>(n) + 1);
            for (;;) {
                bool any_small = false;
                for (int64_t c = 1; c <= n; ++c) {
                    grp[c] = parent[c] == c ? c : grp[parent[c]];  // parent[c] < c: its group is known
                    sm[c] = parent[c] == c && static_cast<double>(size[c]) < min_size;
                    any_small = any_small || sm[c];
                }
                if (!any_small) break;
                // the offers to small groups, in raster order within each band of rows
                MC_PARALLEL_FOR(nt, nt, [&](int64_t band) {
                    std::vector<Offer>& out = b.offers[band];
                    out.clear();
                    auto pair = [&](int64_t g, int64_t o) {
                        if (g == o || !(sm[g] | sm[o])) return;
                        if (sm[g]) out.push_back({g, o});
                        if (sm[o]) out.push_back({o, g});
                    };
                    for (int64_t L = NL * band / nt; L < NL * (band + 1) / nt; ++L) {
                        const int64_t e = t.le[L];
                        int64_t q = L > 0 ? t.lb[L - 1] : 0;
                        const int64_t qe = L > 0 ? t.le[L - 1] : 0;
                        for (int64_t r = t.lb[L]; r < e; ++r) {
                            const int64_t g = grp[t.label[r]];
                            if (r > t.lb[L] && runs[r - 1].e == runs[r].s) pair(g, grp[t.label[r - 1]]);
                            while (q < qe && runs[q].e <= runs[r].s) ++q;
                            for (int64_t p = q; p < qe && runs[p].s < runs[r].e; ++p) pair(g, grp[t.label[p]]);
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
                    const int64_t a = root(g), c = root(target[g]);
                    target[g] = -1;
                    if (a == c) continue;
                    const int64_t lo = std::min(a, c), hi = std::max(a, c);
                    parent[hi] = lo;
                    size[lo] = size[a] + size[c];
                }
            }
            // groups numbered in the order of their roots (grp is current: the last pass merged
            // nothing after computing it); runs written with their group's number
            id.resize(static_cast<size_t>(n) + 1);
            int64_t next = 0;
            for (int64_t c = 1; c <= n; ++c) {
                if (grp[c] == c) {
                    if (next > INT32_MAX) return Status::overflow;
                    id[c] = next++;
                } else {
                    id[c] = id[grp[c]];  // grp[c] < c: already numbered
                }
            }
            // each line from its runs by ccl's paint kernel (0 between runs), then -1 there
            if (static_cast<int>(b.line.size()) < nt) b.line.resize(nt);
            MC_PARALLEL_FOR(nt, nt, [&](int64_t band) {
                const int64_t L0 = NL * band / nt, L1 = NL * (band + 1) / nt;
                std::vector<uint32_t>& ids = b.line[band];
                ids.resize(static_cast<size_t>(X));
                for (int64_t L = L0; L < L1; ++L) {
                    const int64_t r0 = t.lb[L], k = t.le[L] - r0;
                    int64_t covered = 0;
                    for (int64_t j = 0; j < k; ++j) {
                        ids[j] = static_cast<uint32_t>(id[t.label[r0 + j]]);
                        covered += runs[r0 + j].e - runs[r0 + j].s;
                    }
                    int32_t* row = labels + L * X;
                    // a line may overshoot into the next one of its band (painted after it)
                    ccl::paint_line(runs + r0, ids.data(), k, X, L + 1 < L1 ? 2 * X : X, reinterpret_cast<uint32_t*>(row));
                    if (covered == X) continue;
                    int64_t x = 0;
                    for (int64_t j = 0; j < k; ++j) {
                        std::fill(row + x, row + runs[r0 + j].s, -1);
                        x = runs[r0 + j].e;
                    }
                    std::fill(row + x, row + X, -1);
                }
            });
            *k_out = next;
            return Status::ok;
        } catch (...) {
            return status_of_current_exception();
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
    } catch (...) {
        return status_of_current_exception();
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
