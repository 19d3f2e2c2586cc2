// The SLIC assignment loop (slic.hpp, step 2), one body for every ISA: each ISA's
// translation unit includes it inside its namespace and target region, and the
// compiler vectorizes the column loop. Per pixel the operations and their order
// are fixed (float32 adds and multiplies, no contraction: -ffp-contract=off), so
// every vector width computes the bits the scalar loop computes.

template <int NC>
static inline void assign_rows(const Window& w, int nc) noexcept {
    const int n = NC > 0 ? NC : nc;
    float col[8];
    for (int c = 0; c < n && c < 8; ++c) col[c] = w.color[c];
    const float cx = w.cx, wc = w.wc, ws = w.ws;
    const int32_t k = w.k;
    const int64_t len = w.xb - w.xa;
    for (int64_t r = 0; r < w.rows; ++r) {
        const float dy = (w.y + static_cast<float>(r)) - w.cy;
        const float dy2 = dy * dy;
        const int64_t o = r * w.stride + w.xa;
        float* MC_RESTRICT best = w.best + o;
        int32_t* MC_RESTRICT lab = w.lab + o;
        const int16_t* MC_RESTRICT f0 = w.feat + o;
        const float x0 = static_cast<float>(w.xa);
        if (NC == 3) {
            const int16_t* MC_RESTRICT f1 = f0 + w.plane;
            const int16_t* MC_RESTRICT f2 = f1 + w.plane;
            const float c0 = col[0], c1 = col[1], c2 = col[2];
            for (int64_t i = 0; i < len; ++i) {
                const float d0 = static_cast<float>(f0[i]) - c0;
                const float d1 = static_cast<float>(f1[i]) - c1;
                const float d2 = static_cast<float>(f2[i]) - c2;
                const float dc = (d0 * d0 + d1 * d1) + d2 * d2;
                const float dx = (x0 + static_cast<float>(static_cast<int32_t>(i))) - cx;
                const float d = dc * wc + (dx * dx + dy2) * ws;
                const bool lt = d < best[i];
                best[i] = lt ? d : best[i];
                lab[i] = lt ? k : lab[i];
            }
        } else if (NC == 1) {
            const float c0 = col[0];
            for (int64_t i = 0; i < len; ++i) {
                const float d0 = static_cast<float>(f0[i]) - c0;
                const float dc = d0 * d0;
                const float dx = (x0 + static_cast<float>(static_cast<int32_t>(i))) - cx;
                const float d = dc * wc + (dx * dx + dy2) * ws;
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
                const float dx = (x0 + static_cast<float>(static_cast<int32_t>(i))) - cx;
                const float d = dc * wc + (dx * dx + dy2) * ws;
                const bool lt = d < best[i];
                best[i] = lt ? d : best[i];
                lab[i] = lt ? k : lab[i];
            }
        }
    }
}

void assign_window(const Window& w, int nc) noexcept {
    if (nc == 3) assign_rows<3>(w, nc);
    else if (nc == 1) assign_rows<1>(w, nc);
    else assign_rows<0>(w, nc);
}
