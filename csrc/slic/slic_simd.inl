// The SLIC assignment and update loops for every vector ISA, from one body (slic.hpp,
// steps 2-3). Each ISA's translation unit defines `struct Vec` (lane count L, the
// float / int / mask types and a dozen operations, see slic_avx2.cpp and
// slic_avx512.cpp), opens its target region and includes this file after
// slic_assign.inl (the scalar reference, whose loops finish what the vectors leave).
// Per pixel the operations and their order are those of slic_assign.inl, so every
// width computes the scalar loop's bits.
//
// Assignment. Vectors start on a fixed grid of 8 columns (x = 8j), not at the
// window's edge: the windows of neighbouring centers overlap, and a load that exactly
// matches an earlier store is forwarded, while a shifted one waits for the store to
// reach the cache. (AVX-512, region size 20: a grid of 8 covers the 41 columns with
// 3 vectors always instead of 3 or 4, 15% faster than the window's edge; a grid of 1
// was 5% slower than 8.) Lanes outside the window are computed and discarded: the
// store writes a blend (the old value where the lane does not win). Only a vector
// that would cross the row end is left to the scalar loop (windows at the right
// border), so no load or store leaves the row.
//
// Update sums through row prefix sums: P_c[x] = f_c[0] + ... + f_c[x - 1] (int32:
// |P| <= 65536 * 32768, so rows up to 65536 wide; wider rows take the scalar loop),
// L lanes per step (a log-step scan inside the vector plus the carry); run ends come
// L at a time from one compare of the labels with their right neighbours, and a
// run's sum is P_c[end] - P_c[start]. No step waits for the previous run (a
// run-by-run loop is a chain of dependent loads).

namespace simd {

template <int NC, bool UNIT>
inline void assign_vec(const Window& w) noexcept {
    constexpr int L = Vec::L;
    const int64_t x0 = w.xa & ~int64_t(7);
    const int64_t nv = (w.xb - x0 + L - 1) / L;  // vectors covering [x0, xb)
    const int64_t row = w.stride;
    const int64_t nfull = (row - x0) / L < nv ? (row - x0) / L : nv;  // inside the row
    float* MC_RESTRICT dx2 = w.scratch;  // from x0: room for xb - xa + 32 floats
    const int64_t ndx = nv * L;
    if (x0 + ndx <= INT32_MAX) {  // int32 -> float converts the same integer to the same float
        const int32_t xi = static_cast<int32_t>(x0);
        for (int32_t i = 0; i < static_cast<int32_t>(ndx); ++i) {
            const float dx = static_cast<float>(xi + i) - w.cx;
            dx2[i] = dx * dx;
        }
    } else {
        for (int64_t i = 0; i < ndx; ++i) {
            const float dx = static_cast<float>(x0 + i) - w.cx;
            dx2[i] = dx * dx;
        }
    }
    const typename Vec::F wc = Vec::set(w.wc), ws = Vec::set(w.ws);
    const typename Vec::F c0 = Vec::set(w.color[0]);
    const typename Vec::F c1 = Vec::set(NC == 3 ? w.color[1] : 0.0f), c2 = Vec::set(NC == 3 ? w.color[2] : 0.0f);
    const typename Vec::I kv = Vec::seti(w.k);
    const typename Vec::M m_first = Vec::lane_range(w.xa - x0, w.xb - x0);
    const typename Vec::M m_last = Vec::lane_range(w.xa - (x0 + L * (nv - 1)), w.xb - (x0 + L * (nv - 1)));
    // columns the vectors leave: [xs, xb) (those of a vector that would cross the row end)
    const int64_t xs = x0 + L * nfull > w.xa ? x0 + L * nfull : w.xa;
    const float wcs = w.wc, wss = w.ws;
    for (int64_t r = 0; r < w.rows; ++r) {
        const float dyf = static_cast<float>(w.y + r) - w.cy;
        const float dy2s = dyf * dyf;
        const typename Vec::F dy2 = Vec::set(dy2s);
        const int64_t o = r * row + x0;
        float* MC_RESTRICT best = w.best + o;
        int32_t* MC_RESTRICT lab = w.lab + o;
        const int16_t* MC_RESTRICT f0 = w.feat + o;
        auto step = [&](int64_t i, auto masked, typename Vec::M m) {
            typename Vec::F d0 = Vec::sub(Vec::feature(f0 + i), c0);
            typename Vec::F dc = Vec::mul(d0, d0);
            if (NC == 3) {
                const typename Vec::F d1 = Vec::sub(Vec::feature(f0 + i + w.plane), c1);
                const typename Vec::F d2 = Vec::sub(Vec::feature(f0 + i + 2 * w.plane), c2);
                dc = Vec::add(Vec::add(dc, Vec::mul(d1, d1)), Vec::mul(d2, d2));
            }
            if (!UNIT) dc = Vec::mul(dc, wc);
            const typename Vec::F d = Vec::add(dc, Vec::mul(Vec::add(Vec::load(dx2 + i), dy2), ws));
            const typename Vec::F b = Vec::load(best + i);
            const typename Vec::M lt = decltype(masked)::value ? Vec::less(m, d, b) : Vec::less(d, b);
            Vec::store(best + i, Vec::blend(lt, b, d));
            Vec::storei(lab + i, Vec::blendi(lt, Vec::loadi(lab + i), kv));
        };
        // the first and last vectors take the window's column masks, those between none
        if (nfull > 0) step(0, std::true_type{}, nv == 1 ? Vec::mask_and(m_first, m_last) : m_first);
        const int64_t mid_end = nfull < nv - 1 ? nfull : nv - 1;
        for (int64_t j = 1; j < mid_end; ++j) step(L * j, std::false_type{}, m_first);
        if (nfull == nv && nv > 1) step(L * (nv - 1), std::true_type{}, m_last);
        for (int64_t x = xs; x < w.xb; ++x) {  // the scalar loop of slic_assign.inl, column by column
            const int64_t i = x - x0;
            const float e0 = static_cast<float>(f0[i]) - w.color[0];
            float dc = e0 * e0;
            if (NC == 3) {
                const float e1 = static_cast<float>(f0[i + w.plane]) - w.color[1];
                const float e2 = static_cast<float>(f0[i + 2 * w.plane]) - w.color[2];
                dc = (dc + e1 * e1) + e2 * e2;
            }
            const float d = (UNIT ? dc : dc * wcs) + (dx2[i] + dy2s) * wss;
            if (d < best[i]) {
                best[i] = d;
                lab[i] = w.k;
            }
        }
    }
}

template <int NC>
inline bool accumulate_prefix(const int16_t* feat, int64_t plane, int64_t w, const int32_t* labels, int64_t y0,
                              int64_t y1, int64_t lo, int64_t* acc) noexcept {
    constexpr int L = Vec::L;
    constexpr int nacc = 3 + NC;
    if (w > 65536) return false;
    thread_local RunBuf<int32_t> buf;
    const int64_t stride = w + 1;
    buf.size = 0;
    if (!buf.reserve_more(NC * stride)) return false;
    int32_t* P = buf.data;
    const int64_t wv = w - w % L;  // columns the prefix vectors cover
    for (int64_t y = y0; y < y1; ++y) {
        const int32_t* l = labels + (y - y0) * w;
        for (int c = 0; c < NC; ++c) {
            const int16_t* f = feat + c * plane + y * w;
            int32_t* pc = P + c * stride;
            pc[0] = 0;
            typename Vec::I carry = Vec::seti(0);
            for (int64_t x = 0; x < wv; x += L) {
                const typename Vec::I v = Vec::prefix(Vec::widen(f + x));
                Vec::storei(pc + 1 + x, Vec::addi(v, carry));
                carry = Vec::addi(carry, Vec::last(v));  // the chain is one add per vector
            }
            for (int64_t x = wv; x < w; ++x) pc[x + 1] = pc[x] + f[x];
        }
        int64_t start = 0;
        auto flush = [&](int64_t e) {
            const int32_t k = l[start];
            if (k >= 0) {
                int64_t* a = acc + (k - lo) * nacc;
                const int64_t cnt = e - start;
                a[0] += cnt;
                a[1] += y * cnt;
                a[2] += (start + e - 1) * cnt / 2;
                for (int c = 0; c < NC; ++c)
                    a[3 + c] += static_cast<int64_t>(P[c * stride + e]) - P[c * stride + start];
            }
            start = e;
        };
        int64_t x = 0;
        for (; x + L < w; x += L) {  // pairs (x + i, x + i + 1), all inside the row
            uint32_t ends = Vec::differ(l + x);
            while (ends) {
                flush(x + static_cast<int64_t>(__builtin_ctz(ends)) + 1);
                ends &= ends - 1;
            }
        }
        for (; x + 1 < w; ++x)
            if (l[x] != l[x + 1]) flush(x + 1);
        flush(w);
    }
    return true;
}

}  // namespace simd

void assign_window(const Window& w, int nc) noexcept {
    const bool unit = w.wc == 1.0f;
    if (nc == 3) unit ? simd::assign_vec<3, true>(w) : simd::assign_vec<3, false>(w);
    else if (nc == 1) unit ? simd::assign_vec<1, true>(w) : simd::assign_vec<1, false>(w);
    else unit ? assign_rows<0, true>(w, nc) : assign_rows<0, false>(w, nc);
}

void accumulate(const int16_t* feat, int nc, int64_t plane, int64_t w, const int32_t* labels, int64_t y0, int64_t y1,
                int64_t lo, int64_t* acc) noexcept {
    if (nc == 3 && simd::accumulate_prefix<3>(feat, plane, w, labels, y0, y1, lo, acc)) return;
    if (nc == 1 && simd::accumulate_prefix<1>(feat, plane, w, labels, y0, y1, lo, acc)) return;
    if (nc == 3) accumulate_rows<3>(feat, nc, plane, w, labels, y0, y1, lo, acc);
    else if (nc == 1) accumulate_rows<1>(feat, nc, plane, w, labels, y0, y1, lo, acc);
    else accumulate_rows<0>(feat, nc, plane, w, labels, y0, y1, lo, acc);
}
