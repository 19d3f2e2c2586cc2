// The SLIC assignment and update loops for every vector ISA, from one body (slic.hpp,
// steps 2-3). Each ISA's translation unit defines `struct Vec` (L int32/float lanes,
// H = 2L int16 lanes, and a few dozen operations, see slic_avx2.cpp and
// slic_avx512.cpp), opens its target region and includes this file after
// slic_assign.inl (the scalar reference, whose loops finish what the vectors leave).
// Per pixel the results are those of slic_assign.inl: the color distance is an exact
// integer (int16 differences, pairs of squares summed by the int16 multiply-add into
// int32: |d| <= 32767 when Window::fits16), rounded to float32 once (int32 -> float, or
// for sums >= 2^31 the uint32 value in two exact halves added once); then the same
// float32 adds and multiplies in the same order, the same truncated bits.
//
// Assignment (key mode). Blocks of 2L columns: one int16 vector per channel, 2L
// distances, two key vectors; each key vector takes min(key, truncated D | idx)
// (unsigned), so the store is a min, not a compare and two blends. Vectors start on a
// fixed grid of 8 columns (x = 8j), not at the window's edge: the windows of
// neighbouring centers overlap, and a load that exactly matches an earlier store is
// forwarded, while a shifted one waits for the store to reach the cache. Lanes outside
// the window are computed and left unchanged (a masked min). Only a block that would
// cross the row end is left to the scalar loop (windows at the right border), so no
// load or store leaves the row.
//
// Update sums through row prefix sums: P_c[x] = f_c[0] + ... + f_c[x - 1] (int32:
// |P| <= 65536 * 32768, so rows up to 65536 wide; wider rows take the scalar loop),
// L lanes per step (a log-step scan inside the vector plus the carry); run ends come
// L at a time from one compare of the labels (or the keys' index bits) with their
// right neighbours, packed into a list without a branch (a loop over the set bits
// mispredicts about once per run), and a run's sum is P_c[end] - P_c[start]. No step
// waits for the previous run (a run-by-run loop is a chain of dependent loads).

namespace simd {

template <int NC, bool UNIT, bool BIG>
inline void assign_keys(const Window& w) noexcept {
    using I = typename Vec::I;
    using F = typename Vec::F;
    using H = typename Vec::H;
    using M = typename Vec::M;
    constexpr int L = Vec::L;
    const int64_t x0 = w.xa & ~int64_t(7);
    const int64_t nv = (w.xb - x0 + L - 1) / L;      // key vectors covering [x0, xb)
    const int64_t nblk = (nv + 1) / 2;                // blocks of two
    const int64_t row = w.stride;
    const int64_t nbf = std::min<int64_t>(nblk, (row - x0) / (2 * L));  // blocks inside the row
    float* MC_RESTRICT sx = w.scratch;  // from x0: room for xb - xa + 64 floats
    spatial_columns(sx, x0, 2 * L * nblk, w.cx, w.ws);
    const F wc = Vec::set(w.wc);
    const H c0 = Vec::set16(static_cast<int16_t>(w.color[0]));
    const H c1 = Vec::set16(static_cast<int16_t>(NC == 3 ? w.color[1] : 0));
    const H c2 = Vec::set16(static_cast<int16_t>(NC == 3 ? w.color[2] : 0));
    const I idx = Vec::seti(static_cast<int32_t>(w.idx));
    auto vmask = [&](int64_t j) { return Vec::lane_range(w.xa - x0 - L * j, w.xb - x0 - L * j); };
    const M fa = vmask(0), fb = vmask(1), la = vmask(2 * (nblk - 1)), lb = vmask(2 * (nblk - 1) + 1);
    const bool ftwo = nv > 1, ltwo = 2 * (nblk - 1) + 1 < nv;
    // columns the vectors leave: [xs, xb)
    const int64_t xs = std::max(x0 + 2 * L * nbf, w.xa);
    // the Window's fields in locals: the key stores may alias anything (vector types)
    const int64_t plane = w.plane, rows = w.rows, y = w.y, xb = w.xb;
    const float cy = w.cy, ws = w.ws;
    uint32_t* const key0 = w.key;
    const int16_t* const feat0 = w.feat;
    const int64_t mid_end = std::min(nbf, nblk - 1);  // blocks [1, mid_end) need no mask
    const bool last_block = nbf == nblk && nblk > 1;
    for (int64_t r = 0; r < rows; ++r) {
        const float sys = spatial_row(y + r, cy, ws);
        const F sy = Vec::set(sys);
        const int64_t o = r * row + x0;
        uint32_t* MC_RESTRICT key = key0 + o;
        const int16_t* MC_RESTRICT f0 = feat0 + o;
        const int16_t* MC_RESTRICT f1 = f0 + plane;
        const int16_t* MC_RESTRICT f2 = f1 + plane;
        auto block = [&](int64_t i, auto masked, M ma, M mb, bool two) {
            I lo, hi;
            const H d0 = Vec::sub16(c0, Vec::load16(f0 + i));  // (c - f)^2 = (f - c)^2
            if (NC == 3) {
                const H d1 = Vec::sub16(c1, Vec::load16(f1 + i));
                const H d2 = Vec::sub16(c2, Vec::load16(f2 + i));
                Vec::dc3(d0, d1, d2, lo, hi);
            } else {
                Vec::dc1(d0, lo, hi);
            }
            F e0 = BIG ? Vec::tof_u(lo) : Vec::tof(lo);
            F e1 = BIG ? Vec::tof_u(hi) : Vec::tof(hi);
            if (!UNIT) {
                e0 = Vec::mul(e0, wc);
                e1 = Vec::mul(e1, wc);
            }
            const I k0 = Vec::keybits(Vec::add(e0, Vec::add(Vec::load(sx + i), sy)), idx);
            const I k1 = Vec::keybits(Vec::add(e1, Vec::add(Vec::load(sx + i + L), sy)), idx);
            int32_t* p = reinterpret_cast<int32_t*>(key + i);
            if (decltype(masked)::value) {
                Vec::storei(p, Vec::min_in(ma, Vec::loadi(p), k0));
                if (two) Vec::storei(p + L, Vec::min_in(mb, Vec::loadi(p + L), k1));
            } else {
                Vec::storei(p, Vec::minu(Vec::loadi(p), k0));
                Vec::storei(p + L, Vec::minu(Vec::loadi(p + L), k1));
            }
        };
        // the first and last blocks take the window's column masks, those between none
        if (nbf > 0) block(0, std::true_type{}, fa, fb, ftwo);
        for (int64_t b = 1; b < mid_end; ++b) block(2 * L * b, std::false_type{}, fa, fb, true);
        if (last_block) block(2 * L * (nblk - 1), std::true_type{}, la, lb, ltwo);
        for (int64_t x = xs; x < xb; ++x) {  // the scalar loop of slic_assign.inl, column by column
            const int64_t i = x - x0;
            const float fdc = w.small_dc ? color_distance<NC, int32_t>(f0, i, plane, w.color, NC)
                                         : color_distance<NC, int64_t>(f0, i, plane, w.color, NC);
            take<UNIT>(w, fdc, sx[i] + sys, key, nullptr, i);
        }
    }
}

template <int NC>
inline bool accumulate_prefix(const int16_t* feat, int64_t plane, int64_t w, const StripLabels& s, int64_t y0,
                              int64_t y1, int64_t lo, int64_t* acc) noexcept {
    constexpr int L = Vec::L;
    constexpr int nacc = 3 + NC;
    if (w > 65536) return false;
    thread_local RunBuf<int32_t> buf;
    const int64_t stride = w + 1;
    buf.size = 0;
    if (!buf.reserve_more(NC * stride + w + 2 * L)) return false;
    int32_t* P = buf.data;
    int32_t* ends = P + NC * stride;  // the row's run ends, then w
    const int64_t wv = w - w % L;  // columns the prefix vectors cover
    for (int64_t y = y0; y < y1; ++y) {
        const int64_t base = (y - y0) * w;
        {  // the channels in one loop: NC independent chains of one add per vector
            const int16_t* f = feat + y * w;
            typename Vec::I carry[NC];
            for (int c = 0; c < NC; ++c) {
                P[c * stride] = 0;
                carry[c] = Vec::seti(0);
            }
            for (int64_t x = 0; x < wv; x += L)
                for (int c = 0; c < NC; ++c) {
                    const typename Vec::I v = Vec::prefix(Vec::widen(f + c * plane + x));
                    Vec::storei(P + c * stride + 1 + x, Vec::addi(v, carry[c]));
                    carry[c] = Vec::addi(carry[c], Vec::last(v));
                }
            for (int c = 0; c < NC; ++c) {
                int32_t* pc = P + c * stride;
                const int16_t* fc = f + c * plane;
                for (int64_t x = wv; x < w; ++x) pc[x + 1] = pc[x] + fc[x];
            }
        }
        // the run ends, L pairs (x + i, x + i + 1) at a time, packed without a branch
        int64_t n = 0, x = 0;
        for (; x + L < w; x += L) {
            const uint32_t m = s.labels ? Vec::differ(s.labels + base + x) : Vec::differ_idx(s.keys + base + x);
            n += Vec::pack_ends(m, static_cast<int32_t>(x + 1), ends + n);
        }
        for (; x + 1 < w; ++x)
            if (!s.same(base + x, base + x + 1)) ends[n++] = static_cast<int32_t>(x + 1);
        ends[n++] = static_cast<int32_t>(w);
        int64_t start = 0;
        for (int64_t j = 0; j < n; ++j) {
            const int64_t e = ends[j];
            const int32_t k = s.at(base + start);
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
        }
    }
    return true;
}

}  // namespace simd

void assign_window(const Window& w, int nc) noexcept {
    if (w.lab != nullptr || !w.fits16 || (nc != 3 && nc != 1) || (nc == 1 && !w.small_dc)) {
        assign_reference(w, nc);  // exact mode, other channel counts, unbounded features
        return;
    }
    const bool unit = w.wc == 1.0f;
    if (nc == 3) {
        if (w.small_dc) unit ? simd::assign_keys<3, true, false>(w) : simd::assign_keys<3, false, false>(w);
        else unit ? simd::assign_keys<3, true, true>(w) : simd::assign_keys<3, false, true>(w);
    } else {
        unit ? simd::assign_keys<1, true, false>(w) : simd::assign_keys<1, false, false>(w);
    }
}

void accumulate(const int16_t* feat, int nc, int64_t plane, int64_t w, const int32_t* labels, const uint32_t* keys,
                const int32_t* lut, int64_t y0, int64_t y1, int64_t lo, int64_t* acc) noexcept {
    const StripLabels s{labels, keys, lut};
    if (nc == 3 && simd::accumulate_prefix<3>(feat, plane, w, s, y0, y1, lo, acc)) return;
    if (nc == 1 && simd::accumulate_prefix<1>(feat, plane, w, s, y0, y1, lo, acc)) return;
    accumulate_reference(feat, nc, plane, w, s, y0, y1, lo, acc);
}
