// csrc/ccl/runs.inl — the body of ccl::find_runs, written once.
//
// Included by ccl_<isa>.cpp inside namespace maskcore::ccl::<isa>, after that ISA's
// target pragma. A vector ISA defines MC_VEC and a policy struct V with
//   V::template differs<T>(p)     bit j (of 64) set when p[j] != p[j - 1]
//   V::template differs<T>(p, v)  bit j set when p[j] != v
//   V::template lanes<T>(), V::template splat<T>(v), V::store(p, vec)   for paint
// over 64 elements of T at p (unaligned). The scalar loop is the reference and the
// tail of every vector loop: both carry the same state, so they cannot drift.

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
    if (stride == 1) {
        if (binary) {
            // fg bits of 64 elements; a cut where a bit differs from the one before.
            for (; i + 64 <= n; i += 64) {
                const uint64_t fg = V::template differs<T>(p + i, bg);
                uint64_t d = fg ^ ((fg << 1) | static_cast<uint64_t>(st.fg));
                while (d) {
                    const int64_t j = i + __builtin_ctzll(d);
                    if (st.fg) out[st.k++] = Run{static_cast<int32_t>(st.cur), static_cast<int32_t>(j)};
                    st.cur = j;
                    st.fg = !st.fg;
                    d &= d - 1;
                }
            }
            st.cv = p[st.cur];  // the scalar tail reads cv only in multi-label mode; keep it true
        } else {
            for (; i + 64 <= n; i += 64) {
                uint64_t d = V::template differs<T>(p + i);
                while (d) {
                    const int64_t j = i + __builtin_ctzll(d);
                    cut(st, j, p[j], bg, out);
                    d &= d - 1;
                }
            }
        }
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
        const auto s = V::template splat<Idx>(v);
        for (int64_t p = a; p < b; p += W) V::store(out + p, s);
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

}  // namespace

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
