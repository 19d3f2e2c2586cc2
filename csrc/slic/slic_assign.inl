// The SLIC assignment and update loops (slic.hpp, steps 2-3), the scalar reference:
// each ISA's translation unit includes it inside its namespace and target region;
// the scalar build runs these loops (the compiler vectorizes what it can), the vector
// ISAs run slic_simd.inl and come back here for what their vectors leave (columns at
// the row end, the exact-mode windows, channel counts other than 1 and 3). Per pixel:
// an exact integer color distance, one rounding to float32, float32 adds and
// multiplies in a fixed order (no contraction: -ffp-contract=off), a truncation of the
// bits, an unsigned compare: every ISA computes the same bits.

// The spatial term of the columns [x0, x0 + n): sx[i] = (dx * dx) * ws, dx = float(x) - cx.
static inline void spatial_columns(float* MC_RESTRICT sx, int64_t x0, int64_t n, float cx, float ws) noexcept {
    if (x0 + n <= INT32_MAX) {  // int32 -> float vectorizes (int64 -> float does not before AVX-512DQ)
        const int32_t xi = static_cast<int32_t>(x0);
        for (int32_t i = 0; i < static_cast<int32_t>(n); ++i) {
            const float dx = static_cast<float>(xi + i) - cx;
            sx[i] = (dx * dx) * ws;
        }
    } else {
        for (int64_t i = 0; i < n; ++i) {
            const float dx = static_cast<float>(x0 + i) - cx;
            sx[i] = (dx * dx) * ws;
        }
    }
}

static inline float spatial_row(int64_t y, float cy, float ws) noexcept {
    const float dy = static_cast<float>(y) - cy;
    return (dy * dy) * ws;
}

// D's bits with the low kIdxBits cleared (D >= 0 and never NaN, so the unsigned
// order of the bits is the order of the values).
static inline uint32_t truncated(float d) noexcept {
    uint32_t b;
    std::memcpy(&b, &d, sizeof b);
    return b & ~kIdxMask;
}

// The exact color distance of pixel i (features f0[i + c * plane]) to the center's
// integer color, as float32 (one rounding). DC is int32_t when the run's feature
// ranges keep the sum below 2^31 (Window::small_dc), else int64_t.
template <int NC, class DC>
static inline float color_distance(const int16_t* f0, int64_t i, int64_t plane, const int32_t* color, int n) noexcept {
    DC dc = 0;
    for (int c = 0; c < (NC > 0 ? NC : n); ++c) {
        const DC d = static_cast<DC>(f0[i + c * plane]) - static_cast<DC>(color[c]);
        dc += d * d;
    }
    return static_cast<float>(dc);
}

// One pixel of a window: its truncated D and the update of the strip's buffers.
// Key mode (w.lab null): key = truncated D | the center's strip index, kept if
// smaller. Exact mode: the truncated D kept in `key` and the label in `lab` if strictly
// smaller. Both keep the earlier center on ties (centers come in index order, and
// the strip index grows with the center index).
template <bool UNIT>
static inline void take(const Window& w, float fdc, float sxy, uint32_t* key, int32_t* lab, int64_t i) noexcept {
    const float d = (UNIT ? fdc : fdc * w.wc) + sxy;
    const uint32_t t = truncated(d);
    if (lab == nullptr) {
        const uint32_t k = t | w.idx;
        key[i] = k < key[i] ? k : key[i];
    } else if (t < key[i]) {
        key[i] = t;
        lab[i] = w.k;
    }
}

template <int NC, bool UNIT, class DC>
static inline void assign_rows(const Window& w, int nc) noexcept {
    const int64_t len = w.xb - w.xa;
    float* MC_RESTRICT sx = w.scratch;
    spatial_columns(sx, w.xa, len, w.cx, w.ws);
    for (int64_t r = 0; r < w.rows; ++r) {
        const float sy = spatial_row(w.y + r, w.cy, w.ws);
        const int64_t o = r * w.stride + w.xa;
        uint32_t* MC_RESTRICT key = w.key + o;
        int32_t* MC_RESTRICT lab = w.lab ? w.lab + o : nullptr;
        const int16_t* MC_RESTRICT f0 = w.feat + o;
        if (lab == nullptr) {  // the key-mode loop the compiler can vectorize (no branch)
            const uint32_t idx = w.idx;
            for (int64_t i = 0; i < len; ++i) {
                const float fdc = color_distance<NC, DC>(f0, i, w.plane, w.color, nc);
                const float d = (UNIT ? fdc : fdc * w.wc) + (sx[i] + sy);
                const uint32_t k = truncated(d) | idx;
                key[i] = k < key[i] ? k : key[i];
            }
        } else {
            for (int64_t i = 0; i < len; ++i)
                take<UNIT>(w, color_distance<NC, DC>(f0, i, w.plane, w.color, nc), sx[i] + sy, key, lab, i);
        }
    }
}

template <int NC, bool UNIT>
static inline void assign_ref(const Window& w, int nc) noexcept {
    if (w.small_dc) assign_rows<NC, UNIT, int32_t>(w, nc);
    else assign_rows<NC, UNIT, int64_t>(w, nc);
}

static inline void assign_reference(const Window& w, int nc) noexcept {
    const bool unit = w.wc == 1.0f;
    if (nc == 3) unit ? assign_ref<3, true>(w, nc) : assign_ref<3, false>(w, nc);
    else if (nc == 1) unit ? assign_ref<1, true>(w, nc) : assign_ref<1, false>(w, nc);
    else unit ? assign_ref<0, true>(w, nc) : assign_ref<0, false>(w, nc);
}

#ifndef MC_SLIC_OWN_KERNELS
void assign_window(const Window& w, int nc) noexcept { assign_reference(w, nc); }
#endif

// The label of column x of a strip row: labels[x], or in key mode lut[key & kIdxMask]
// (lut[0] = -1 outside the mask, lut[kIdxMask] = -2 never reached, lut[i] = the
// center of strip index i).
struct StripLabels {
    const int32_t* labels;  // row-major, stride w, or null
    const uint32_t* keys;   // (key mode)
    const int32_t* lut;
    int32_t at(int64_t i) const noexcept { return labels ? labels[i] : lut[keys[i] & kIdxMask]; }
    bool same(int64_t i, int64_t j) const noexcept {
        return labels ? labels[i] == labels[j] : ((keys[i] ^ keys[j]) & kIdxMask) == 0;
    }
};

// Exact integer sums for the center update over rows [y0, y1) (the strip's labels
// start at row y0, rows w apart; feat at plane 0 of the image): per label k >= 0,
// acc[(k - lo) * (3 + nc) + {0, 1, 2, 3 + c}] += {pixels, sum y, sum x, sum f_c}.
// Runs of one label are summed in registers and flushed at each change.
template <int NC>
static inline void accumulate_rows(const int16_t* feat, int nc, int64_t plane, int64_t w, const StripLabels& s,
                                   int64_t y0, int64_t y1, int64_t lo, int64_t* acc) noexcept {
    const int n = NC > 0 ? NC : nc;
    const int nacc = 3 + n;
    for (int64_t y = y0; y < y1; ++y) {
        const int64_t base = (y - y0) * w;
        const int16_t* f = feat + y * w;
        int64_t x = 0;
        while (x < w) {
            const int32_t k = s.at(base + x);
            int64_t e = x + 1;
            while (e < w && s.same(base + e, base + x)) ++e;
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
                        int32_t sum = 0;
                        for (; i < stop; ++i) sum += fc[i];
                        a[3 + c] += sum;
                    }
                }
            }
            x = e;
        }
    }
}

static inline void accumulate_reference(const int16_t* feat, int nc, int64_t plane, int64_t w, const StripLabels& s,
                                        int64_t y0, int64_t y1, int64_t lo, int64_t* acc) noexcept {
    if (nc == 3) accumulate_rows<3>(feat, nc, plane, w, s, y0, y1, lo, acc);
    else if (nc == 1) accumulate_rows<1>(feat, nc, plane, w, s, y0, y1, lo, acc);
    else accumulate_rows<0>(feat, nc, plane, w, s, y0, y1, lo, acc);
}

#ifndef MC_SLIC_OWN_KERNELS
void accumulate(const int16_t* feat, int nc, int64_t plane, int64_t w, const int32_t* labels, const uint32_t* keys,
                const int32_t* lut, int64_t y0, int64_t y1, int64_t lo, int64_t* acc) noexcept {
    accumulate_reference(feat, nc, plane, w, StripLabels{labels, keys, lut}, y0, y1, lo, acc);
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
