// csrc/ccl/runs.inl — the body of ccl::find_runs, written once.
//
// Included by ccl_<isa>.cpp inside namespace maskcore::ccl::<isa>, after that ISA's
// target pragma. A vector ISA defines MC_VEC and a policy struct V with
//   V::template differs<T>(p)     bit j (of 64) set when p[j] != p[j - 1]
//   V::template differs<T>(p, v)  bit j set when p[j] != v
//   V::template lanes<T>(), V::template splat<T>(v), V::store(p, vec)   for paint
// over 64 elements of T at p (unaligned), and for join_window / transpose
//   V::template eq_lanes<T>(p, v) bit j (of lanes<T>()) set when p[j] == v
//   V::transpose8(src, ss, dst, ds) an 8x8 block of 32-bit elements (transpose8.inl)
// The scalar loop is the reference and the tail of every vector loop: both carry
// the same state, so they cannot drift.

namespace {

// The state of a line scan: the open segment starts at `cur`, has value cv (the
// value of its first element) and is foreground when fg.
template <class T>
struct Scan {
    int64_t cur;
    T cv;
    bool fg;
    int64_t k;
};

// Closes the open segment at i (kept when foreground) and opens one with value v.
// Branch-free: the segment is always written at out[k] and k advances only for
// foreground (multi-label foreground/background alternate at random, a branch on it
// mispredicts); out[k] is within the caller's room because k <= i < n.
template <class T>
inline void cut(Scan<T>& st, int64_t i, T v, T bg, Run* MC_RESTRICT out) noexcept {
    out[st.k] = Run{static_cast<int32_t>(st.cur), static_cast<int32_t>(i)};
    st.k += st.fg;
    st.cur = i;
    st.cv = v;
    st.fg = v != bg;
}

template <class T>
inline void scalar_range(const T* MC_RESTRICT p, int64_t i, int64_t n, int64_t stride, T bg, bool binary,
                         Scan<T>& st, Run* MC_RESTRICT out) noexcept {
    if (binary) {
        for (; i < n; ++i) {
            const T v = p[i * stride];
            if ((v != bg) != st.fg) cut(st, i, v, bg, out);
        }
    } else {
        for (; i < n; ++i) {
            const T v = p[i * stride];
            if (v != st.cv) cut(st, i, v, bg, out);
        }
    }
}

template <class T>
inline int64_t runs_impl(const T* MC_RESTRICT p, int64_t n, int64_t stride, T bg, bool binary,
                         Run* MC_RESTRICT out) noexcept {
    if (n <= 0) return 0;
    Scan<T> st{0, p[0], p[0] != bg, 0};
    int64_t i = 1;
#if defined(MC_VEC)
    if (stride == 1 && n >= 64) {
        // Whole lines in chunks of 64: the first at 0 (element 0 is never a cut; the
        // left neighbours of its first vector are read from a copy shifted by one, as
        // p[-1] may not be readable), then every 64, and the last one overlapping its
        // predecessor ([n - 64, n), the bits before i dropped), so no scalar tail. With
        // a scalar tail of up to 63 elements (a branch per element that mispredicts on
        // short runs) a 64-column line was labeled wholly by the scalar loop: 64^3
        // four-class volume at 6-connectivity, AVX2 EPYC, 1 thread: find_runs 26% of the
        // call.
        auto chunk = [&](int64_t b, uint64_t keep) {
            if (binary) {  // fg bits; a cut where a bit differs from the one before
                const uint64_t fg = V::template differs<T>(p + b, bg);
                uint64_t d = (fg ^ ((fg << 1) | static_cast<uint64_t>(st.fg))) & keep;
                while (d) {
                    const int64_t j = b + __builtin_ctzll(d);
                    if (st.fg) out[st.k++] = Run{static_cast<int32_t>(st.cur), static_cast<int32_t>(j)};
                    st.cur = j;
                    st.fg = !st.fg;
                    d &= d - 1;
                }
            } else {
                uint64_t d;
                if (b == 0) {
                    T shifted[65];
                    shifted[0] = p[0];
                    std::memcpy(shifted + 1, p, 64 * sizeof(T));
                    d = V::template differs<T>(shifted + 1) & keep;
                } else {
                    d = V::template differs<T>(p + b) & keep;
                }
                while (d) {
                    const int64_t j = b + __builtin_ctzll(d);
                    cut(st, j, p[j], bg, out);
                    d &= d - 1;
                }
            }
        };
        chunk(0, ~uint64_t{1});
        for (i = 64; i + 64 <= n; i += 64) chunk(i, ~uint64_t{0});
        if (i < n) chunk(n - 64, ~uint64_t{0} << (i - (n - 64)));  // n > 64 here: n - 64 >= 1
        i = n;
        if (binary) st.cv = p[st.cur];  // the scalar tail reads cv only in multi-label mode; keep it true
    }
#endif
    scalar_range(p, i, n, stride, bg, binary, st, out);
    if (st.fg) out[st.k++] = Run{static_cast<int32_t>(st.cur), static_cast<int32_t>(n)};
    return st.k;
}

// Fills out[a, b) with v. A vector ISA stores whole vectors from a (overshooting b
// by less than a vector) when a vector from b still fits in [0, room).
template <class Idx>
inline void fill(Idx* MC_RESTRICT out, int64_t a, int64_t b, int64_t room, Idx v) noexcept {
#if defined(MC_VEC)
    constexpr int64_t W = V::template lanes<Idx>();
    if (b + W <= room) {
        // v opaque to the optimizer: a loop storing a known zero becomes a memset call,
        // whose overhead is most of the work on the short gaps of a noise image
        __asm__("" : "+r"(v));
        // the first vector stored whatever the length (an empty segment's store is
        // overwritten by the next one): segments of at most W elements, most of them on
        // short-run volumes, take no loop branch, which mispredicted on their lengths
        const auto s = V::template splat<Idx>(v);
        V::store(out + a, s);
        for (int64_t p = a + W; p < b; p += W) V::store(out + p, s);
        return;
    }
#else
    (void)room;
#endif
    for (int64_t p = a; p < b; ++p) out[p] = v;
}

template <class Idx>
inline void paint_impl(const Run* MC_RESTRICT runs, const Idx* MC_RESTRICT labels, int64_t k, int64_t n,
                       int64_t room, Idx* MC_RESTRICT out) noexcept {
    int64_t x = 0;
    for (int64_t i = 0; i < k; ++i) {
        fill<Idx>(out, x, runs[i].s, room, Idx{0});
        fill<Idx>(out, runs[i].s, runs[i].e, room, labels[i]);
        x = runs[i].e;
    }
    fill<Idx>(out, x, n, room, Idx{0});
}

// Bits j < n (n <= 64) of one window chunk: row[c + j] == v. A vector ISA compares
// one vector (n <= lanes); near the row's end it loads the row's last vector and
// shifts, so it never reads past the row (the row may end the caller's buffer).
template <class T>
inline uint64_t eq_chunk(const T* MC_RESTRICT row, int64_t c, int64_t n, int64_t X, T v) noexcept {
#if defined(MC_VEC)
    constexpr int64_t W = V::template lanes<T>();
    if (X >= W) {
        const int64_t c0 = c + W <= X ? c : X - W;
        const uint64_t m = V::template eq_lanes<T>(row + c0, v) >> (c - c0);
        return n >= 64 ? m : m & ((uint64_t{1} << n) - 1);
    }
#else
    (void)X;
#endif
    uint64_t m = 0;
    for (int64_t j = 0; j < n; ++j) m |= static_cast<uint64_t>(row[c + j] == v) << j;
    return m;
}

// Chunk width of join_window's windows: one vector, or 64 scalar compares.
template <class T>
constexpr int64_t chunk_width(int64_t X) noexcept {
#if defined(MC_VEC)
    return X >= V::template lanes<T>() ? V::template lanes<T>() : 64;
#else
    (void)X;
    return 64;
#endif
}

template <class Idx>
inline Idx root_of(Idx* MC_RESTRICT parent, Idx p) noexcept {
    while (parent[p] != p) {  // path halving
        const Idx g = parent[parent[p]];
        parent[p] = g;
        p = g;
    }
    return p;
}

// Bits j < n of a chunk at column c that lie in columns [lo, hi).
inline uint64_t range_bits(int64_t lo, int64_t hi, int64_t c, int64_t n) noexcept {
    auto below = [](int64_t k) { return k <= 0 ? uint64_t{0} : k >= 64 ? ~uint64_t{0} : (uint64_t{1} << k) - 1; };
    return below(std::min(hi - c, n)) & ~below(lo - c);
}
// A lane mask widened by one column each way (within the chunk).
inline uint64_t dilate(uint64_t m) noexcept { return m | (m << 1) | (m >> 1); }

// One run against its neighbour lines, chunk by chunk over the widest window. Lines
// (ccl.hpp's table; q = 0..3 for 18/26, 0..1 for 6): A (0,-1), B (-1,-1), C (-1,0),
// D (-1,+1). A neighbour segment need not be united when it touches the run only at
// columns where a segment already united with the run (or bound to be: every union
// is done before the numbering) touches it too, e.g. at 26: a B or C voxel next to
// an A voxel of value v is that A voxel's neighbour, joined when A's line was. The
// columns so covered, per connectivity (dil: widened by one column):
//   26: C by dil(A); B by dil(A) | dil(C); D by dil(C)
//   18: C by A (same column only: (1,1,dx) is 18-adjacent only for dx = 0);
//       B by dil(A) | dil(C); D by dil(C)
//    6: nothing (no two of A, C are 6-adjacent)
// The masks end at chunk edges (a cover is then missed, never invented).
template <int Conn, class T, class Idx>
inline void join_window_conn(const WindowJoin<T, Idx>& w) noexcept {
    constexpr int M = Conn == 6 ? 2 : 4;
    constexpr int64_t D = Conn == 6 ? 0 : 1;  // the widest reach of a line (A and C)
    Idx* MC_RESTRICT parent = w.parent;
    const Run* MC_RESTRICT runs = w.runs;
    const int64_t X = w.X, ch = chunk_width<T>(X);
    for (int64_t i = w.at; i < w.at + w.k; ++i) {
        Idx ri = static_cast<Idx>(i);  // the root of run i's set (every other root is an earlier run)
        const T v = w.value[i];
        const int64_t s = runs[i].s, e = runs[i].e;
        const int64_t w0 = s - D < 0 ? 0 : s - D, w1 = e + D > X ? X : e + D;
        uint64_t carry[M] = {};  // the chunk before ended inside a united segment of v
        for (int64_t c = w0; c < w1; c += ch) {
            const int64_t n = w1 - c < ch ? w1 - c : ch;
            uint64_t m[M];
#pragma GCC unroll 4
            for (int q = 0; q < M; ++q) m[q] = w.in[q] ? eq_chunk<T>(w.in[q], c, n, X, v) : 0;
            uint64_t u[M];  // the columns to unite through
            if constexpr (Conn == 6) {
                u[0] = m[0];
                u[1] = m[1];
            } else {
                if constexpr (Conn == 18) {  // B and D reach no further than the run
                    const uint64_t inner = range_bits(s, e, c, n);
                    m[1] &= inner;
                    m[3] &= inner;
                }
                const uint64_t dA = dilate(m[0]), dC = dilate(m[2]);
                u[0] = m[0];
                u[1] = m[1] & ~(dA | dC);
                u[2] = m[2] & ~(Conn == 26 ? dA : m[0]);
                u[3] = m[3] & ~dC;
            }
#pragma GCC unroll 4
            for (int q = 0; q < M; ++q) {
                uint64_t st = u[q] & ~((u[q] << 1) | carry[q]);  // segment starts: one per run
                carry[q] = (u[q] >> (n - 1)) & 1;
                const Idx* MC_RESTRICT prov = w.prov[q];
                while (st) {
                    const Idx rk = root_of(parent, prov[c + __builtin_ctzll(st)]);
                    const Idx lo = rk < ri ? rk : ri, hi = rk < ri ? ri : rk;
                    parent[hi] = lo;  // both roots: link the later under the earlier (a no-op when equal)
                    ri = lo;
                    st &= st - 1;
                }
            }
        }
        parent[i] = ri;
    }
}

template <class T, class Idx>
inline void join_window_impl(const WindowJoin<T, Idx>& w) noexcept {
    if (w.conn == 26) join_window_conn<26>(w);
    else if (w.conn == 18) join_window_conn<18>(w);
    else join_window_conn<6>(w);
}

template <class Idx>
inline void transpose_impl(const Idx* MC_RESTRICT tile, int64_t nb, int64_t n, int64_t ts, Idx* MC_RESTRICT out,
                           int64_t os) noexcept {
    int64_t b8 = 0;  // tile rows done by the vector loop
#if defined(MC_VEC)
    if constexpr (sizeof(Idx) == 4) {
        // 8 output rows at a time, each written whole (nb & ~7 elements, back to back);
        // the rows two steps ahead are requested first: output rows lie far apart, and
        // without the prefetch each store waited for its line
        b8 = nb & ~int64_t{7};
        int64_t r = 0;
        for (; r + 8 <= n; r += 8) {
            if (r + 24 <= n)
                for (int64_t j = 16; j < 24; ++j)
                    for (int64_t b = 0; b < b8; b += 16) __builtin_prefetch(out + (r + j) * os + b, 1);
            for (int64_t b = 0; b < b8; b += 8) V::transpose8(tile + b * ts + r, ts, out + r * os + b, os);
        }
        for (; r < n; ++r)
            for (int64_t b = 0; b < b8; ++b) out[r * os + b] = tile[b * ts + r];
    }
#endif
    for (int64_t r = 0; r < n; ++r)
        for (int64_t b = b8; b < nb; ++b) out[r * os + b] = tile[b * ts + r];
}

}  // namespace

#define MC_CCL_JOIN(T, Idx) \
    void join_window(const WindowJoin<T, Idx>& w) noexcept { join_window_impl(w); }
MC_CCL_JOIN(uint8_t, uint32_t)
MC_CCL_JOIN(uint16_t, uint32_t)
MC_CCL_JOIN(uint32_t, uint32_t)
MC_CCL_JOIN(uint64_t, uint32_t)
MC_CCL_JOIN(uint8_t, uint64_t)
MC_CCL_JOIN(uint16_t, uint64_t)
MC_CCL_JOIN(uint32_t, uint64_t)
MC_CCL_JOIN(uint64_t, uint64_t)
#undef MC_CCL_JOIN

void transpose(const uint32_t* tile, int64_t nb, int64_t n, int64_t ts, uint32_t* out, int64_t os) noexcept {
    transpose_impl(tile, nb, n, ts, out, os);
}
void transpose(const uint64_t* tile, int64_t nb, int64_t n, int64_t ts, uint64_t* out, int64_t os) noexcept {
    transpose_impl(tile, nb, n, ts, out, os);
}

void paint(const Run* runs, const uint32_t* labels, int64_t k, int64_t n, int64_t room, uint32_t* out) noexcept {
    paint_impl(runs, labels, k, n, room, out);
}
void paint(const Run* runs, const uint64_t* labels, int64_t k, int64_t n, int64_t room, uint64_t* out) noexcept {
    paint_impl(runs, labels, k, n, room, out);
}

int64_t find_runs(const uint8_t* p, int64_t n, int64_t stride, uint8_t bg, bool binary, Run* out) noexcept {
    return runs_impl(p, n, stride, bg, binary, out);
}
int64_t find_runs(const uint16_t* p, int64_t n, int64_t stride, uint16_t bg, bool binary, Run* out) noexcept {
    return runs_impl(p, n, stride, bg, binary, out);
}
int64_t find_runs(const uint32_t* p, int64_t n, int64_t stride, uint32_t bg, bool binary, Run* out) noexcept {
    return runs_impl(p, n, stride, bg, binary, out);
}
int64_t find_runs(const uint64_t* p, int64_t n, int64_t stride, uint64_t bg, bool binary, Run* out) noexcept {
    return runs_impl(p, n, stride, bg, binary, out);
}
