// The cross-block kernels of chunked labeling; see chunked.hpp.
#include "chunked.hpp"

#include <algorithm>
#include <new>
#include <vector>

namespace maskcore::chunked {

template <class Idx>
Status first_pixels(const Idx* labels, int64_t size, int64_t n, int64_t* first, ErrorInfo& err) noexcept {
    uint64_t next = 1;
    const uint64_t last = static_cast<uint64_t>(n);
    // Most pixels hold labels seen already (< next): a group of 32 whose maximum is
    // below next is skipped after one vectorizable max (4x fewer cycles than testing
    // each pixel on blob masks).
    constexpr int64_t G = 32;
    int64_t i = 0;
    while (i < size && next <= last) {
        if (i + G <= size) {
            Idx m = 0;
            for (int64_t j = 0; j < G; ++j) m = labels[i + j] > m ? labels[i + j] : m;
            if (static_cast<uint64_t>(m) < next) {
                i += G;
                continue;
            }
        }
        const int64_t end = i + G < size ? i + G : size;
        for (; i < end && next <= last; ++i) {
            const uint64_t v = labels[i];
            if (v == next) {
                first[next - 1] = i;
                ++next;
            } else if (MC_UNLIKELY(v > next)) {
                err.index = i;
                err.value = static_cast<int64_t>(v);
                return Status::invalid_value;
            }
        }
    }
    if (next <= last) {
        err.index = size;
        err.value = static_cast<int64_t>(next);
        return Status::invalid_value;
    }
    return Status::ok;
}

template Status first_pixels<uint32_t>(const uint32_t*, int64_t, int64_t, int64_t*, ErrorInfo&) noexcept;
template Status first_pixels<uint64_t>(const uint64_t*, int64_t, int64_t, int64_t*, ErrorInfo&) noexcept;

Status seam_pairs(const uint64_t* a, const uint64_t* b, const uint64_t* key_a, const uint64_t* key_b, int64_t P,
                  int64_t Q, int reach, RunBuf<uint64_t>& out) noexcept {
    // In-plane offsets (dp, dq) that stay within the connectivity after one step across.
    int offs[9][2];
    int k = 0;
    for (int dp = -1; dp <= 1; ++dp)
        for (int dq = -1; dq <= 1; ++dq) {
            const int nz = (dp != 0) + (dq != 0);
            if (nz == 0 || (reach == 2) || (reach == 1 && nz == 1)) offs[k][0] = dp, offs[k][1] = dq, ++k;
        }
    uint64_t la = 0, lb = 0;
    for (int64_t p = 0; p < P; ++p) {
        for (int64_t q = 0; q < Q; ++q) {
            const int64_t i = p * Q + q;
            const uint64_t u = a[i];
            if (!u) continue;
            for (int j = 0; j < k; ++j) {
                const int64_t pp = p + offs[j][0], qq = q + offs[j][1];
                if (pp < 0 || pp >= P || qq < 0 || qq >= Q) continue;
                const int64_t t = pp * Q + qq;
                const uint64_t v = b[t];
                if (!v || (key_a && key_a[i] != key_b[t])) continue;
                if (u == la && v == lb) continue;
                if (!out.reserve_more(2)) return Status::bad_alloc;
                out.push_unchecked(u);
                out.push_unchecked(v);
                la = u, lb = v;
            }
        }
    }
    return Status::ok;
}

namespace {
inline uint64_t find(uint64_t* parent, uint64_t x) noexcept {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}
}  // namespace

Status merge_numbering(const int64_t* first, int64_t N, const uint64_t* pa, const uint64_t* pb, int64_t m,
                       uint64_t* final_ids, int64_t* n, ErrorInfo& err) noexcept {
    // final_ids doubles as the union-find forest, then holds the numbers.
    uint64_t* parent = final_ids;
    for (int64_t i = 0; i <= N; ++i) parent[i] = static_cast<uint64_t>(i);
    const uint64_t top = static_cast<uint64_t>(N);
    for (int64_t j = 0; j < m; ++j) {
        const uint64_t u = pa[j], v = pb[j];
        if (MC_UNLIKELY(u == 0 || v == 0 || u > top || v > top)) {
            const bool bad_a = u == 0 || u > top;
            err.index = j;
            err.value = static_cast<int64_t>(bad_a ? u : v);  // the id's bits (an id >= 2**63 reads negative)
            err.kind = bad_a ? 0 : 1;                          // which array: pa (0) or pb (1)
            return Status::invalid_value;
        }
        uint64_t ru = find(parent, u), rv = find(parent, v);
        if (ru == rv) continue;
        if (first[ru] < first[rv]) parent[rv] = ru;
        else parent[ru] = rv;
    }
    std::vector<uint64_t> roots;
    try {
        roots.reserve(static_cast<size_t>(N));
        for (int64_t i = 1; i <= N; ++i)
            if (parent[i] == static_cast<uint64_t>(i)) roots.push_back(static_cast<uint64_t>(i));
        std::sort(roots.begin(), roots.end(), [first](uint64_t x, uint64_t y) { return first[x] < first[y]; });
    } catch (const std::bad_alloc&) {
        return Status::bad_alloc;
    }
    // Flatten every id to its root (roots first point to themselves), then renumber:
    // a root's slot takes its number only after every id has read its root, so the
    // numbers go to a side table indexed by rank.
    for (int64_t i = 1; i <= N; ++i) parent[i] = find(parent, static_cast<uint64_t>(i));
    std::vector<uint64_t> rank_of;
    try {
        rank_of.assign(static_cast<size_t>(N) + 1, 0);
    } catch (const std::bad_alloc&) {
        return Status::bad_alloc;
    }
    for (size_t r = 0; r < roots.size(); ++r) rank_of[roots[r]] = r + 1;
    final_ids[0] = 0;
    for (int64_t i = 1; i <= N; ++i) final_ids[i] = rank_of[parent[i]];
    *n = static_cast<int64_t>(roots.size());
    return Status::ok;
}

}  // namespace maskcore::chunked
