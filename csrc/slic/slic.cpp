// SLIC driver (slic.hpp): seeding, strip-parallel assignment, exact center updates,
// and the fixed-point CIELAB conversion.
#include "slic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <vector>
#include <time.h>

#include "../common/parallel.hpp"

namespace maskcore::slic {
const LabTables& lab_tables() noexcept {
    static const LabTables t;
    return t;
}

const IsaTable<Kernels>& kernel_table() noexcept {
#define MC_K(ns) Kernels{ns::assign_window, ns::accumulate, ns::lab_row}
    static const auto table = MC_ISA_TABLE(Kernels, MC_K(scalar), MC_K(avx2), MC_K(avx512));
#undef MC_K
    return table;
}

namespace {
const Kernels& kernels() noexcept { return kernel_table().current(); }
}  // namespace

Status lab_from_rgb(const uint8_t* rgb, int64_t h, int64_t w, int64_t rs, int64_t cs, int64_t chs, int16_t* out,
                    int threads) noexcept {
    const LabTables& T = lab_tables();
    const int64_t plane = h * w;
    const auto lab_row = kernels().lab_row;
    auto row = [&](int64_t y) {
        int16_t* L = out + y * w;
        lab_row(T, rgb + y * rs, w, cs, chs, L, L + plane, L + 2 * plane);
    };
    const int n = worth(threads, static_cast<uint64_t>(plane), 1 << 16);
    MC_PARALLEL_FOR(h, n, [&](int64_t y) { row(y); });
    return Status::ok;
}

namespace {

// The squared gradient of slic.hpp step 1 at (y, x), borders clamped.
int64_t gradient(const int16_t* feat, int nc, int64_t h, int64_t w, int64_t y, int64_t x) noexcept {
    const int64_t plane = h * w;
    const int64_t xl = x > 0 ? x - 1 : x, xr = x + 1 < w ? x + 1 : x;
    const int64_t yu = y > 0 ? y - 1 : y, yd = y + 1 < h ? y + 1 : y;
    int64_t g = 0;
    for (int c = 0; c < nc; ++c) {
        const int16_t* f = feat + c * plane;
        const int64_t dx = int64_t(f[y * w + xr]) - f[y * w + xl];
        const int64_t dy = int64_t(f[yd * w + x]) - f[yu * w + x];
        g += dx * dx + dy * dy;
    }
    return g;
}

inline int64_t round_pos(float v) noexcept { return static_cast<int64_t>(std::floor(static_cast<double>(v) + 0.5)); }

}  // namespace

Status run(const int16_t* feat, int nc, int64_t h, int64_t w, const uint8_t* mask, const Params& p, int32_t* labels,
           int64_t* k_out, Workspace& wk) noexcept {
    try {
        if (h <= 0 || w <= 0 || nc < 1 || p.ny < 1 || p.nx < 1 || p.ny > h || p.nx > w) return Status::invalid_argument;
        if (p.ny > INT32_MAX / p.nx) return Status::overflow;
        const int64_t K = p.ny * p.nx;
        const int64_t plane = h * w;
        const bool slico = !(p.compactness > 0);
        const int64_t R = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(p.step)));

        // 1. seeds
        Workspace& C = wk;  // the centers
        C.cy.resize(K); C.cx.resize(K); C.color.resize(K * nc); C.wc.resize(K);
        const float wc0 = slico ? static_cast<float>(1.0 / ((10.0 * p.scale) * (10.0 * p.scale))) : 1.0f;
        // the spatial weight, capped at the largest float (so (dx * dx) * ws is never NaN)
        const double ws_d = slico ? 1.0 / (p.step * p.step)
                                  : (p.compactness * p.scale / p.step) * (p.compactness * p.scale / p.step);
        const float ws = static_cast<float>(std::min<double>(ws_d, std::numeric_limits<float>::max()));
        const int nseed = worth(p.threads, static_cast<uint64_t>(K) * 10 * static_cast<uint64_t>(nc), 1 << 16);
        MC_PARALLEL_FOR(p.ny, nseed, [&](int64_t i) {
            for (int64_t j = 0; j < p.nx; ++j) {
                const int64_t k = i * p.nx + j;
                int64_t y = static_cast<int64_t>((static_cast<unsigned __int128>(2 * i + 1) * h) / (2 * p.ny));
                int64_t x = static_cast<int64_t>((static_cast<unsigned __int128>(2 * j + 1) * w) / (2 * p.nx));
                int64_t by = y, bx = x, bg = gradient(feat, nc, h, w, y, x);
                for (int64_t dy = -1; dy <= 1; ++dy)
                    for (int64_t dx = -1; dx <= 1; ++dx) {
                        const int64_t yy = y + dy, xx = x + dx;
                        if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                        const int64_t g = gradient(feat, nc, h, w, yy, xx);
                        if (g < bg) { bg = g; by = yy; bx = xx; }
                    }
                C.cy[k] = static_cast<float>(by);
                C.cx[k] = static_cast<float>(bx);
                for (int c = 0; c < nc; ++c) C.color[k * nc + c] = feat[c * plane + by * w + bx];
                C.wc[k] = wc0;
            }
        });

        // The features' ranges bound every color distance (a center's color is a rounded
        // mean of features, so it stays within each channel's range).
        bool small_dc = true, fits16 = true;
        {
            double total = 0.0;
            for (int c = 0; c < nc; ++c) {
                const int16_t* f = feat + c * plane;
                int16_t lo = INT16_MAX, hi = INT16_MIN;  // int16: min/max vectorize even at SSE2
                for (int64_t i = 0; i < plane; ++i) {
                    lo = f[i] < lo ? f[i] : lo;
                    hi = f[i] > hi ? f[i] : hi;
                }
                const double r = static_cast<double>(int32_t{hi} - int32_t{lo});
                if (r > 32767) fits16 = false;
                total += r * r;
            }
            small_dc = total <= static_cast<double>(INT32_MAX);
        }

        // Strips of T rows, in chunks of consecutive strips.
        const int64_t T = std::max<int64_t>(1, std::min<int64_t>(R, 8));  // 8 rows: the strip's features, best and labels stay in L2 (8 beat 4, 16, 20, 32 at 4000x4000)
        const int64_t nstrips = (h + T - 1) / T;
        // Chunks of strips go to the threads as they free up, four per thread, so a core
        // that runs slower (a hybrid CPU's small core, a busy VM's vCPU) takes fewer.
        const int nchunks = static_cast<int>(std::min<int64_t>(p.threads > 1 ? 4 * int64_t{p.threads} : 1, nstrips));
        auto& chunk_begin = wk.chunk_begin;
        chunk_begin.resize(nchunks + 1);
        for (int t = 0; t <= nchunks; ++t) chunk_begin[t] = nstrips * t / nchunks;
        auto per_chunk = [&](auto& v, size_t n) {
            if (v.size() < static_cast<size_t>(nchunks)) v.resize(nchunks);
            for (int t = 0; t < nchunks; ++t) v[t].resize(n);
        };
        per_chunk(wk.key, static_cast<size_t>(T * w));
        per_chunk(wk.lstrip, static_cast<size_t>(T * w));
        per_chunk(wk.lut, static_cast<size_t>(kIdxMask) + 1);
        per_chunk(wk.scratch, static_cast<size_t>(w) + 64);
        per_chunk(wk.acc, 0);
        per_chunk(wk.maxdc, 0);
        auto& keys = wk.key;
        auto &scratch = wk.scratch, &maxdc = wk.maxdc;
        auto& lstrip = wk.lstrip;
        auto& acc = wk.acc;
        per_chunk(wk.list, 0);
        per_chunk(wk.list_off, 0);
        per_chunk(wk.cursor, 0);
        auto &kmin = wk.kmin, &kmax = wk.kmax, &sum = wk.sum;
        kmin.resize(nchunks); kmax.resize(nchunks);
        const int nacc = 3 + nc;
        const Kernels& kern = kernels();
        // Features are prefetched this many columns past each window, on the strip's rows: a
        // strip's first pass over its features comes from memory, 3 planes x 8 rows, more
        // streams than the hardware prefetcher follows (4000x4000: 1.35 -> 1.1 s median).
        constexpr int64_t pf_dist = 128;
        sum.resize(static_cast<size_t>(K * nacc));
        const int64_t kblock = 4096;  // centers per task of the windows and the update
        const int64_t nkblocks = (K + kblock - 1) / kblock;
        const int nkthreads = worth(p.threads, static_cast<uint64_t>(K) * nacc * nchunks, 1 << 15);
        wk.win.resize(K);
        const Window2D* wins = wk.win.data();
        for (int it = 0; it < p.iterations; ++it) {
            const bool update = it + 1 < p.iterations;
            MC_PARALLEL_FOR(nkblocks, nkthreads, [&](int64_t bk) {  // rows and columns within R of the rounded center
                for (int64_t k = bk * kblock, k1 = std::min(K, k + kblock); k < k1; ++k) {
                    const int64_t ry = round_pos(C.cy[k]), rx = round_pos(C.cx[k]);
                    wk.win[k] = Window2D{std::max<int64_t>(0, ry - R), std::min<int64_t>(h, ry + R + 1),
                                         std::max<int64_t>(0, rx - R), std::min<int64_t>(w, rx + R + 1)};
                }
            });
            MC_PARALLEL_FOR(nchunks, p.threads, [&](int64_t t) {
                // the chunk's strip lists: the centers whose windows reach each strip, in
                // index order (every chunk scans all centers: O(K), no serial step)
                const int64_t s0 = chunk_begin[t], s1 = chunk_begin[t + 1];
                auto& off = wk.list_off[t];
                auto& list = wk.list[t];
                off.assign(static_cast<size_t>(s1 - s0 + 1), 0);
                for (int64_t k = 0; k < K; ++k) {
                    const Window2D& v = wins[k];
                    if (v.ya >= v.yb || v.xa >= v.xb) continue;
                    const int64_t a = std::max(v.ya / T, s0), b = std::min((v.yb - 1) / T + 1, s1);
                    for (int64_t s = a; s < b; ++s) ++off[s - s0 + 1];
                }
                for (int64_t s = s0; s < s1; ++s) off[s - s0 + 1] += off[s - s0];
                list.resize(static_cast<size_t>(off[s1 - s0]));
                {
                    int64_t lo = K, hi = -1;
                    std::vector<int64_t>& fill = wk.cursor[t];
                    fill.assign(off.begin(), off.end() - 1);
                    for (int64_t k = 0; k < K; ++k) {
                        const Window2D& v = wins[k];
                        if (v.ya >= v.yb || v.xa >= v.xb) continue;
                        const int64_t a = std::max(v.ya / T, s0), b = std::min((v.yb - 1) / T + 1, s1);
                        if (a >= b) continue;
                        for (int64_t s = a; s < b; ++s) list[fill[s - s0]++] = static_cast<int32_t>(k);
                        lo = std::min(lo, k); hi = k;
                    }
                    if (hi < lo) lo = hi = 0;
                    kmin[t] = lo; kmax[t] = hi;
                    if (update) {
                        acc[t].assign(static_cast<size_t>((hi - lo + 1) * nacc), 0);
                        if (slico) maxdc[t].assign(static_cast<size_t>(hi - lo + 1), 0.0f);
                    }
                }
                uint32_t* kb = keys[t].data();
                int32_t* lut = wk.lut[t].data();
                for (int64_t s = s0; s < s1; ++s) {
                    const int64_t y0 = s * T, y1 = std::min(h, y0 + T);
                    // Key mode when the strip's list numbers its centers in kIdxBits, else
                    // exact mode (labels in their own buffer): the same labels either way.
                    const int64_t i0 = off[s - s0], i1 = off[s - s0 + 1];
                    const bool keyed = i1 - i0 <= static_cast<int64_t>(kMaxIdx);
                    // labels of the strip: in a strip buffer (L2) until the last iteration
                    int32_t* lab0 = update || keyed ? lstrip[t].data() : labels + y0 * w;
                    for (int64_t y = y0; y < y1; ++y) {
                        uint32_t* b = kb + (y - y0) * w;
                        int32_t* l = lab0 + (y - y0) * w;
                        if (mask) {
                            const uint8_t* m = mask + y * w;
                            for (int64_t x = 0; x < w; ++x) b[x] = m[x] ? kUnreachedKey : kOutsideKey;
                            if (!keyed)
                                for (int64_t x = 0; x < w; ++x) l[x] = m[x] ? -2 : -1;
                        } else {
                            std::fill(b, b + w, kUnreachedKey);
                            if (!keyed) std::fill(l, l + w, -2);
                        }
                    }
                    int64_t pf_next = 0;
                    for (int64_t i = i0; i < i1; ++i) {
                        const int32_t k = list[i];
                        const Window2D& v = wins[k];
                        const int64_t r0 = std::max(v.ya, y0), r1 = std::min(v.yb, y1);
                        Window win;
                        win.feat = feat + r0 * w;
                        win.plane = plane;
                        win.stride = w;
                        win.key = kb + (r0 - y0) * w;
                        win.lab = keyed ? nullptr : lab0 + (r0 - y0) * w;
                        win.rows = r1 - r0;
                        win.xa = v.xa;
                        win.xb = v.xb;
                        win.y = r0;
                        win.cy = C.cy[k];
                        win.cx = C.cx[k];
                        win.wc = C.wc[k];
                        win.ws = ws;
                        win.color = C.color.data() + k * nc;
                        win.scratch = scratch[t].data();
                        win.idx = static_cast<uint32_t>(i - i0 + 1);
                        win.k = k;
                        win.small_dc = small_dc;
                        win.fits16 = fits16;
                        // the strip's features a few windows ahead, each line once per strip
                        for (const int64_t to = std::min(v.xb + pf_dist, w); pf_next < to; pf_next += 32)
                            for (int c = 0; c < nc; ++c)
                                for (int64_t y = y0; y < y1; ++y) __builtin_prefetch(feat + c * plane + y * w + pf_next, 0, 3);
                        kern.assign(win, nc);
                    }
                    if (keyed) {  // strip index -> center
                        lut[0] = -1;
                        lut[kIdxMask] = -2;
                        for (int64_t i = i0; i < i1; ++i) lut[i - i0 + 1] = list[i];
                    }
                    const int64_t n = (y1 - y0) * w;
                    if (keyed && (!update || slico)) {  // decode: the output, or SLICO's labels
                        int32_t* out = update ? lab0 : labels + y0 * w;
                        for (int64_t i = 0; i < n; ++i) out[i] = lut[kb[i] & kIdxMask];
                    }
                    if (!update) continue;
                    // 3. sums for the update
                    if (keyed && !slico) kern.accumulate(feat, nc, plane, w, nullptr, kb, lut, y0, y1, kmin[t], acc[t].data());
                    else kern.accumulate(feat, nc, plane, w, lab0, nullptr, nullptr, y0, y1, kmin[t], acc[t].data());
                    if (slico) {  // each cluster's largest color distance (a max: any order)
                        float* md = maxdc[t].data();
                        for (int64_t y = y0; y < y1; ++y)
                            for (int64_t x = 0; x < w; ++x) {
                                const int32_t k = lab0[(y - y0) * w + x];
                                if (k < 0) continue;
                                const int32_t* col = C.color.data() + k * nc;
                                int64_t dc = 0;
                                for (int c = 0; c < nc; ++c) {
                                    const int64_t d = int64_t{feat[c * plane + y * w + x]} - col[c];
                                    dc += d * d;
                                }
                                float& m = md[k - kmin[t]];
                                m = static_cast<float>(dc) > m ? static_cast<float>(dc) : m;
                            }
                    }
                }
            });
            if (!update) break;
            // combine the chunks' exact sums, then move the centers (blocks of centers in parallel)
            MC_PARALLEL_FOR(nkblocks, nkthreads, [&](int64_t bk) {
                const int64_t k0 = bk * kblock, k1 = std::min(K, k0 + kblock);
                for (int64_t k = k0; k < k1; ++k) {
                    int64_t* sk = sum.data() + k * nacc;
                    std::fill(sk, sk + nacc, 0);
                    float md = 0.0f;
                    for (int t = 0; t < nchunks; ++t) {
                        if (k < kmin[t] || k > kmax[t] || acc[t].empty()) continue;
                        const int64_t* a = acc[t].data() + (k - kmin[t]) * nacc;
                        for (int j = 0; j < nacc; ++j) sk[j] += a[j];
                        if (slico) md = std::max(md, maxdc[t][k - kmin[t]]);
                    }
                    if (sk[0] <= 0) continue;
                    const double n = static_cast<double>(sk[0]);
                    C.cy[k] = static_cast<float>(static_cast<double>(sk[1]) / n);
                    C.cx[k] = static_cast<float>(static_cast<double>(sk[2]) / n);
                    for (int c = 0; c < nc; ++c) {  // the nearest integer to the mean, halves up
                        const int64_t num = 2 * sk[3 + c] + sk[0], den = 2 * sk[0];
                        const int64_t q = num / den;
                        C.color[k * nc + c] = static_cast<int32_t>(q - (num % den != 0 && num < 0 ? 1 : 0));
                    }
                    if (slico) C.wc[k] = 1.0f / std::max(md, 1.0f);
                }
            });
        }
        Status st = connect(labels, h, w, p.connectivity, p.min_size, p.threads, k_out, wk.cc);
        return st;
    } catch (...) {
        return status_of_current_exception();
    }
}

}  // namespace maskcore::slic
