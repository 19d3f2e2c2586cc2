// The SLIC assignment loop (slic.hpp, step 2), one body for every ISA: each ISA's
// translation unit includes it inside its namespace and target region, and the
// compiler vectorizes the column loop. Per pixel the operations and their order
// are fixed (float32 adds and multiplies, no contraction: -ffp-contract=off), so
// every vector width computes the bits the scalar loop computes. dx^2 depends on
// the column only and is computed once per window (the same float products).
// With wc == 1 (SLIC) the product dc * wc is dc exactly and is skipped.

template <int NC, bool UNIT>
static inline void assign_rows(const Window& w, int nc) noexcept {
    const int n = NC > 0 ? NC : nc;
    const int64_t len = w.xb - w.xa;
    float* MC_RESTRICT dx2 = w.scratch;
    if (w.xb <= INT32_MAX) {  // int32 -> float vectorizes (int64 -> float does not before AVX-512DQ)
        const int32_t xa = static_cast<int32_t>(w.xa);
        for (int32_t i = 0; i < static_cast<int32_t>(len); ++i) {
            const float dx = static_cast<float>(xa + i) - w.cx;
            dx2[i] = dx * dx;
        }
    } else {
        for (int64_t i = 0; i < len; ++i) {
            const float dx = static_cast<float>(w.xa + i) - w.cx;
            dx2[i] = dx * dx;
        }
    }
    const float wc = w.wc, ws = w.ws;
    const int32_t k = w.k;
    for (int64_t r = 0; r < w.rows; ++r) {
        const float dy = static_cast<float>(w.y + r) - w.cy;
        const float dy2 = dy * dy;
        const int64_t o = r * w.stride + w.xa;
        float* MC_RESTRICT best = w.best + o;
        int32_t* MC_RESTRICT lab = w.lab + o;
        const int16_t* MC_RESTRICT f0 = w.feat + o;
        if (NC == 3) {
            const int16_t* MC_RESTRICT f1 = f0 + w.plane;
            const int16_t* MC_RESTRICT f2 = f1 + w.plane;
            const float c0 = w.color[0], c1 = w.color[1], c2 = w.color[2];
            for (int64_t i = 0; i < len; ++i) {
                const float d0 = static_cast<float>(f0[i]) - c0;
                const float d1 = static_cast<float>(f1[i]) - c1;
                const float d2 = static_cast<float>(f2[i]) - c2;
                const float dc = (d0 * d0 + d1 * d1) + d2 * d2;
                const float d = (UNIT ? dc : dc * wc) + (dx2[i] + dy2) * ws;
                const bool lt = d < best[i];
                best[i] = lt ? d : best[i];
                lab[i] = lt ? k : lab[i];
            }
        } else if (NC == 1) {
            const float c0 = w.color[0];
            for (int64_t i = 0; i < len; ++i) {
                const float d0 = static_cast<float>(f0[i]) - c0;
                const float dc = d0 * d0;
                const float d = (UNIT ? dc : dc * wc) + (dx2[i] + dy2) * ws;
                const bool lt = d < best[i];
                best[i] = lt ? d : best[i];
                lab[i] = lt ? k : lab[i];
            }
        } else {
            for (int64_t i = 0; i < len; ++i) {
                float dc = 0.0f;
                for (int c = 0; c < n; ++c) {
                    const float d = static_cast<float>(f0[i + c * w.plane]) - w.color[c];
                    dc = dc + d * d;
                }
                const float d = (UNIT ? dc : dc * wc) + (dx2[i] + dy2) * ws;
                const bool lt = d < best[i];
                best[i] = lt ? d : best[i];
                lab[i] = lt ? k : lab[i];
            }
        }
    }
}

#ifndef MC_SLIC_OWN_KERNELS
void assign_window(const Window& w, int nc) noexcept {
    const bool unit = w.wc == 1.0f;
    if (nc == 3) unit ? assign_rows<3, true>(w, nc) : assign_rows<3, false>(w, nc);
    else if (nc == 1) unit ? assign_rows<1, true>(w, nc) : assign_rows<1, false>(w, nc);
    else unit ? assign_rows<0, true>(w, nc) : assign_rows<0, false>(w, nc);
}
#endif

// Exact integer sums for the center update over rows [y0, y1) (labels points at the
// labels of row y0, rows w apart; feat at plane 0 of the image): per label k >= 0,
// acc[(k - lo) * (3 + nc) + {0, 1, 2, 3 + c}] += {pixels, sum y, sum x, sum f_c}.
// Runs of one label are summed in registers and flushed at each change.
template <int NC>
static inline void accumulate_rows(const int16_t* feat, int nc, int64_t plane, int64_t w, const int32_t* labels,
                                   int64_t y0, int64_t y1, int64_t lo, int64_t* acc) noexcept {
    const int n = NC > 0 ? NC : nc;
    const int nacc = 3 + n;
    for (int64_t y = y0; y < y1; ++y) {
        const int32_t* l = labels + (y - y0) * w;
        const int16_t* f = feat + y * w;
        int64_t x = 0;
        while (x < w) {
            const int32_t k = l[x];
            int64_t e = x + 1;
            while (e < w && l[e] == k) ++e;
            if (k >= 0) {
                int64_t* a = acc + (k - lo) * nacc;
                const int64_t cnt = e - x;
                a[0] += cnt;
                a[1] += y * cnt;
                a[2] += (x + e - 1) * cnt / 2;
                for (int c = 0; c < n; ++c) {
                    const int16_t* fc = f + c * plane;
                    for (int64_t i = x; i < e;) {  // int32 partial sums over <= 2^16 pixels
                        const int64_t stop = e - i > 65536 ? i + 65536 : e;
                        int32_t s = 0;
                        for (; i < stop; ++i) s += fc[i];
                        a[3 + c] += s;
                    }
                }
            }
            x = e;
        }
    }
}

#ifndef MC_SLIC_OWN_KERNELS
void accumulate(const int16_t* feat, int nc, int64_t plane, int64_t w, const int32_t* labels, int64_t y0, int64_t y1,
                int64_t lo, int64_t* acc) noexcept {
    if (nc == 3) accumulate_rows<3>(feat, nc, plane, w, labels, y0, y1, lo, acc);
    else if (nc == 1) accumulate_rows<1>(feat, nc, plane, w, labels, y0, y1, lo, acc);
    else accumulate_rows<0>(feat, nc, plane, w, labels, y0, y1, lo, acc);
}
#endif

// One row of the fixed-point CIELAB conversion (slic.hpp, FEATURES): int32 only
// (bounds: |m . linear| < 2^30 + 2^14, |500 * 64 * (fx - fy)| < 1.81e9), so every
// ISA computes the same integers.
static inline int32_t lab_f(const LabTables& T, int i, int32_t r, int32_t g, int32_t b) noexcept {
    int32_t s = (T.m[3 * i] * r + T.m[3 * i + 1] * g + T.m[3 * i + 2] * b + (1 << 14)) >> 15;  // Q30 -> Q15
    s = s < 0 ? 0 : (s > (1 << kTBits) ? (1 << kTBits) : s);
    return T.f[s];
}

void lab_row(const LabTables& T, const uint8_t* p, int64_t n, int64_t cs, int64_t chs, int16_t* MC_RESTRICT L,
             int16_t* MC_RESTRICT A, int16_t* MC_RESTRICT B) noexcept {
    auto one = [&](int64_t x, const uint8_t* q, int64_t c) {
        const int32_t r = T.linear[q[0]], g = T.linear[q[c]], b = T.linear[q[2 * c]];
        const int32_t fx = lab_f(T, 0, r, g, b), fy = lab_f(T, 1, r, g, b), fz = lab_f(T, 2, r, g, b);
        L[x] = static_cast<int16_t>((116 * kLabScale * fy - 16 * kLabScale * 65536 + (1 << 15)) >> 16);
        A[x] = static_cast<int16_t>((500 * kLabScale * (fx - fy) + (1 << 15)) >> 16);
        B[x] = static_cast<int16_t>((200 * kLabScale * (fy - fz) + (1 << 15)) >> 16);
    };
    if (cs == 3 && chs == 1) {  // packed RGB: the common case, a loop the compiler vectorizes (gathers)
        for (int64_t x = 0; x < n; ++x) one(x, p + 3 * x, 1);
    } else {
        for (int64_t x = 0; x < n; ++x) one(x, p + x * cs, chs);
    }
}
