// SLIC step 4 (slic.hpp): connectivity enforcement and raster-order numbering.
//
// Works on runs (maximal horizontal stretches of one label in a row): components
// are unions of runs that overlap a run of the row above with the same label
// (4-connectivity: columns overlap). Union-find over run indices always links the
// larger root under the smaller, so a root is its group's first run, and the
// first run holds the group's first pixel in raster order.
//
//     row y-1:   [ a a a | b b | c c c c ]      run r overlaps the runs of row y-1
//     row y  :       [ a a a a a a | d ]        that share a column with it
//
// Orphans (groups below min_size pixels) merge into their largest neighbouring
// group; among equally large ones, the first adjacency met in raster order. Scanning
// runs in order, the adjacencies of run r come in pixel order: the run to its left,
// then the overlapping runs of the row above left to right (the pixel-by-pixel scan
// "left neighbour, upper neighbour" gives the same sequence). All targets of a pass
// are found first, then merged at once (union-find: chains and cycles of targets
// join one group); passes repeat while some small group found a neighbour.
// Merging into the largest neighbour, not the first one met as in Achanta's code,
// keeps noise from chaining every fragment into one segment.
#include <algorithm>
#include <new>
#include <vector>

#include "slic.hpp"
#include "../common/parallel.hpp"

namespace maskcore::slic {
namespace {

struct Runs {
    std::vector<int64_t>&begin, &end;  // columns [begin, end)
    std::vector<int32_t>& value;
    std::vector<int64_t>& row_start;   // runs of row y are [row_start[y], row_start[y + 1])
    std::vector<int64_t>& parent;

    int64_t find(int64_t r) noexcept {
        int64_t root = r;
        while (parent[root] != root) root = parent[root];
        while (parent[r] != root) { const int64_t n = parent[r]; parent[r] = root; r = n; }
        return root;
    }
    void unite(int64_t a, int64_t b) noexcept {
        a = find(a); b = find(b);
        if (a == b) return;
        if (a < b) parent[b] = a; else parent[a] = b;
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
        // runs: counted per row, then written per row (rows in parallel)
        Runs R{b.begin, b.end, b.value, b.row_start, b.parent};
        R.row_start.assign(static_cast<size_t>(h) + 1, 0);
        const int nt = worth(threads, static_cast<uint64_t>(h * w), 1 << 18);
        parallel_for(h, nt, [&](int64_t y) {
            const int32_t* l = labels + y * w;
            int64_t c = 1;
            for (int64_t x = 1; x < w; ++x) c += l[x] != l[x - 1];
            R.row_start[y + 1] = c;
        });
        for (int64_t y = 0; y < h; ++y) R.row_start[y + 1] += R.row_start[y];
        const int64_t n = R.row_start[h];
        R.begin.resize(n);
        R.end.resize(n);
        R.value.resize(n);
        parallel_for(h, nt, [&](int64_t y) {
            const int32_t* l = labels + y * w;
            int64_t r = R.row_start[y];
            R.begin[r] = 0;
            R.value[r] = l[0];
            for (int64_t x = 1; x < w; ++x)
                if (l[x] != l[x - 1]) {
                    R.end[r] = x;
                    ++r;
                    R.begin[r] = x;
                    R.value[r] = l[x];
                }
            R.end[r] = w;
        });
        R.parent.resize(n);
        // Visits, for every run r of row y, the runs of row y-1 that share a column
        // with it, in order (two pointers: both rows are sorted by column).
        auto for_pairs = [&](int64_t y, auto&& f) {
            int64_t q = R.row_start[y - 1];
            const int64_t qe = R.row_start[y];
            for (int64_t r = R.row_start[y]; r < R.row_start[y + 1]; ++r) {
                while (R.end[q] <= R.begin[r]) ++q;  // the row above covers every column
                for (int64_t p = q; p < qe && R.begin[p] < R.end[r]; ++p) f(r, p);
            }
        };
        // Components: rows in bands, one per thread; a band joins the runs of its own
        // rows and sizes its groups (its finds and unions touch only its own runs), then
        // the rows where bands meet join the bands' groups, adding their sizes.
        std::vector<int64_t>&size = b.size, &target = b.target;
        size.resize(n);
        target.resize(n);
        auto same = [&](int64_t r, int64_t q) { return R.value[q] == R.value[r] && R.value[r] != -1; };
        parallel_for(nt, nt, [&](int64_t band) {
            const int64_t y0 = h * band / nt, y1 = h * (band + 1) / nt;
            const int64_t r0 = R.row_start[y0], r1 = R.row_start[y1];
            for (int64_t r = r0; r < r1; ++r) { R.parent[r] = r; size[r] = 0; target[r] = -1; }
            for (int64_t y = std::max<int64_t>(y0 + 1, 1); y < y1; ++y)
                for_pairs(y, [&](int64_t r, int64_t q) {
                    if (same(r, q)) R.unite(q, r);
                });
            for (int64_t r = r0; r < r1; ++r)
                if (R.value[r] != -1) size[R.find(r)] += R.end[r] - R.begin[r];
        });
        for (int band = 1; band < nt; ++band) {
            const int64_t y = h * band / nt;
            if (y < 1) continue;
            for_pairs(y, [&](int64_t r, int64_t q) {
                if (!same(r, q)) return;
                const int64_t a = R.find(q), c = R.find(r);
                if (a == c) return;
                R.unite(a, c);
                size[std::min(a, c)] = size[a] + size[c];
            });
        }
        for (;;) {
            bool any_small = false;
            for (int64_t r = 0; r < n && !any_small; ++r)
                any_small = R.value[r] != -1 && R.parent[r] == r && static_cast<double>(size[r]) < min_size;
            if (!any_small) break;
            auto small = [&](int64_t g) { return static_cast<double>(size[g]) < min_size; };
            // a small group's target: its largest neighbour (the first met in raster order on ties)
            auto offer = [&](int64_t g, int64_t o) {
                if (small(g) && (target[g] < 0 || size[o] > size[target[g]])) target[g] = o;
            };
            auto pair = [&](int64_t g, int64_t o) {
                if (g == o) return;
                offer(g, o);
                offer(o, g);
            };
            // pixel order: a run's left neighbour, then its upper neighbours left to right
            for (int64_t y = 0; y < h; ++y) {
                int64_t q = y > 0 ? R.row_start[y - 1] : 0;
                const int64_t qe = y > 0 ? R.row_start[y] : 0;
                for (int64_t r = R.row_start[y]; r < R.row_start[y + 1]; ++r) {
                    if (R.value[r] == -1) continue;
                    const int64_t g = R.find(r);
                    if (r > R.row_start[y] && R.value[r - 1] != -1) pair(g, R.find(r - 1));
                    if (y == 0) continue;
                    while (R.end[q] <= R.begin[r]) ++q;
                    for (int64_t p = q; p < qe && R.begin[p] < R.end[r]; ++p)
                        if (R.value[p] != -1) pair(g, R.find(p));
                }
            }
            bool merged = false;
            for (int64_t g = 0; g < n; ++g) {
                if (target[g] < 0) continue;
                const int64_t a = R.find(g), b = R.find(target[g]);
                target[g] = -1;
                if (a == b) continue;
                R.unite(a, b);
                size[R.find(a)] = size[a] + size[b];
                merged = true;
            }
            if (!merged) break;
        }
        std::vector<int32_t>& out = b.out;
        out.resize(n);
        int64_t next = 0;
        for (int64_t r = 0; r < n; ++r) {
            if (R.value[r] == -1) { out[r] = -1; continue; }
            const int64_t g = R.find(r);
            if (g == r) {
                if (next > INT32_MAX) return Status::overflow;
                out[r] = static_cast<int32_t>(next++);
            } else {
                out[r] = out[g];
            }
        }
        parallel_for(h, nt, [&](int64_t y) {
            for (int64_t r = R.row_start[y]; r < R.row_start[y + 1]; ++r)
                std::fill(labels + y * w + R.begin[r], labels + y * w + R.end[r], out[r]);
        });
        *k_out = next;
        return Status::ok;
    } catch (const std::bad_alloc&) {
        return Status::bad_alloc;
    }
}

}  // namespace maskcore::slic
