// AVX-512 variants of the SLIC kernels: the assignment loop and the update's sums
// written with 16-lane masked loads and stores, so a window row of any length runs
// without a scalar tail (a window row is ~2S + 1 pixels: the tail is a large share).
// Same operations in the same order per pixel as slic_assign.inl (the reference).
#include <immintrin.h>

#include <climits>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 flags its own _mm512_reduce_add_epi32
#endif

#include "slic.hpp"
#include "../common/runbuf.hpp"

#if defined(MC_X86_64)
#include "../common/isa_begin_avx512.hpp"
namespace maskcore::slic::avx512 {
#define MC_SLIC_OWN_KERNELS 1
#include "slic_assign.inl"
#undef MC_SLIC_OWN_KERNELS

namespace {

inline __mmask16 lanes(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << n) - 1); }

inline __m512 load_feature(__mmask16 m, const int16_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(m, p)));
}

// Lanes [lo, hi) of a 16-lane vector (lo, hi clamped to [0, 16]).
inline __mmask16 lane_range(int64_t lo, int64_t hi) {
    lo = lo < 0 ? 0 : lo;
    hi = hi > 16 ? 16 : hi;
    return hi <= lo ? __mmask16(0) : static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1));
}

// Vectors start on a fixed grid of 8 columns (x = 8j), not at the window's edge:
// the windows of neighbouring centers overlap, and a load that exactly matches an
// earlier store is forwarded, while a shifted one may wait for the store to reach
// the cache. A grid of 8 (not 16) covers a window of 2R + 1 = 41 columns (region
// size 20) with 3 vectors always instead of 3 or 4: assignment 15% faster at
// 4000x4000 (thread CPU time; a grid of 1 was 5% slower than 8). Lanes outside the window are computed and discarded;
// stores inside the row write a blend (the old value where the lane does not
// win), a vector that crosses the row end stores with a mask.
template <int NC, bool UNIT>
void assign_vec(const Window& w) noexcept {
    const int64_t x0 = w.xa & ~int64_t(7);
    const int64_t nv = (w.xb - x0 + 15) >> 4;
    const int64_t row = w.stride;
    float* dx2 = w.scratch;
    if (x0 + 16 * nv <= INT32_MAX) {  // int32 -> float converts the same integer to the same float
        const __m512 cx = _mm512_set1_ps(w.cx);
        __m512i x = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(x0)),
                                     _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
        for (int64_t j = 0; j < nv; ++j, x = _mm512_add_epi32(x, _mm512_set1_epi32(16))) {
            const __m512 dx = _mm512_sub_ps(_mm512_cvtepi32_ps(x), cx);
            _mm512_storeu_ps(dx2 + 16 * j, _mm512_mul_ps(dx, dx));
        }
    } else {
        for (int64_t i = 0; i < nv * 16; ++i) {
            const float dx = static_cast<float>(x0 + i) - w.cx;
            dx2[i] = dx * dx;
        }
    }
    const __m512 wc = _mm512_set1_ps(w.wc), ws = _mm512_set1_ps(w.ws);
    const __m512 c0 = _mm512_set1_ps(w.color[0]);
    const __m512 c1 = _mm512_set1_ps(NC == 3 ? w.color[1] : 0.0f), c2 = _mm512_set1_ps(NC == 3 ? w.color[2] : 0.0f);
    const __m512i kv = _mm512_set1_epi32(w.k);
    // the window's column masks, the same for every row (vectors that cross the row
    // end come last: only the last vector can)
    const bool tail = x0 + 16 * nv > row;
    const int64_t nfull = tail ? nv - 1 : nv;
    const __mmask16 m_first = lane_range(w.xa - x0, w.xb - x0);
    const __mmask16 m_last = lane_range(w.xa - (x0 + 16 * (nv - 1)), w.xb - (x0 + 16 * (nv - 1)));
    const __mmask16 in_row_last = lane_range(0, row - (x0 + 16 * (nv - 1)));
    auto distance = [&](const int16_t* f, const float* dx2p, __m512 dy2, __mmask16 in_row) {
        const __m512 d0 = _mm512_sub_ps(load_feature(in_row, f), c0);
        __m512 dc = _mm512_mul_ps(d0, d0);
        if (NC == 3) {
            const __m512 d1 = _mm512_sub_ps(load_feature(in_row, f + w.plane), c1);
            const __m512 d2 = _mm512_sub_ps(load_feature(in_row, f + 2 * w.plane), c2);
            dc = _mm512_add_ps(_mm512_add_ps(dc, _mm512_mul_ps(d1, d1)), _mm512_mul_ps(d2, d2));
        }
        if (!UNIT) dc = _mm512_mul_ps(dc, wc);
        return _mm512_add_ps(dc, _mm512_mul_ps(_mm512_add_ps(_mm512_loadu_ps(dx2p), dy2), ws));
    };
    for (int64_t r = 0; r < w.rows; ++r) {
        const float dyf = static_cast<float>(w.y + r) - w.cy;
        const __m512 dy2 = _mm512_set1_ps(dyf * dyf);
        const int64_t o = r * row + x0;
        float* best = w.best + o;
        int32_t* lab = w.lab + o;
        const int16_t* f0 = w.feat + o;
        for (int64_t j = 0; j < nfull; ++j) {
            const int64_t i = 16 * j;
            const __mmask16 m = j == 0 ? m_first : (j == nv - 1 ? m_last : __mmask16(0xFFFF));
            const __m512 d = distance(f0 + i, dx2 + i, dy2, 0xFFFF);
            const __m512 b = _mm512_loadu_ps(best + i);
            const __mmask16 lt = _mm512_mask_cmp_ps_mask(m, d, b, _CMP_LT_OQ);
            _mm512_storeu_ps(best + i, _mm512_mask_blend_ps(lt, b, d));
            _mm512_storeu_si512(lab + i, _mm512_mask_blend_epi32(lt, _mm512_loadu_si512(lab + i), kv));
        }
        if (tail) {
            const int64_t i = 16 * (nv - 1);
            const __mmask16 m = nv == 1 ? static_cast<__mmask16>(m_first & m_last) : m_last;
            const __m512 d = distance(f0 + i, dx2 + i, dy2, in_row_last);
            const __m512 b = _mm512_maskz_loadu_ps(in_row_last, best + i);
            const __mmask16 lt = _mm512_mask_cmp_ps_mask(m, d, b, _CMP_LT_OQ);
            _mm512_mask_storeu_ps(best + i, lt, d);
            _mm512_mask_storeu_epi32(lab + i, lt, kv);
        }
    }
}

}  // namespace

void assign_window(const Window& w, int nc) noexcept {
    const bool unit = w.wc == 1.0f;
    if (nc == 3) unit ? assign_vec<3, true>(w) : assign_vec<3, false>(w);
    else if (nc == 1) unit ? assign_vec<1, true>(w) : assign_vec<1, false>(w);
    else unit ? assign_rows<0, true>(w, nc) : assign_rows<0, false>(w, nc);
}

// The lane sums of up to 3 vectors at once: [sum a, sum b, sum c, 0].
inline __m128i reduce3(__m512i a, __m512i b, __m512i c) {
    const __m512i z = _mm512_setzero_si512();
    const __m512i ab = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
    const __m512i cz = _mm512_add_epi32(_mm512_unpacklo_epi32(c, z), _mm512_unpackhi_epi32(c, z));
    const __m512i t = _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cz), _mm512_unpackhi_epi64(ab, cz));
    const __m256i u = _mm256_add_epi32(_mm512_castsi512_si256(t), _mm512_extracti64x4_epi64(t, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1));
}

// Runs of one label: 16 labels compared at once; the run's lanes are summed with
// masked adds (int32 lanes, flushed to int64 every 2^12 vectors: no overflow).
template <int NC>
static void accumulate_vec(const int16_t* feat, int64_t plane, int64_t w, const int32_t* labels, int64_t y0, int64_t y1,
                           int64_t lo, int64_t* acc) noexcept {
    constexpr int nacc = 3 + NC;
    for (int64_t y = y0; y < y1; ++y) {
        const int32_t* l = labels + (y - y0) * w;
        const int16_t* f = feat + y * w;
        int64_t x = 0;
        while (x < w) {
            const int32_t k = l[x];
            const __m512i kv = _mm512_set1_epi32(k);
            __m512i s[NC];
            for (int c = 0; c < NC; ++c) s[c] = _mm512_setzero_si512();
            int64_t* a = k >= 0 ? acc + (k - lo) * nacc : nullptr;
            int64_t e = x;
            int vecs = 0;
            for (;;) {
                const __mmask16 m = lanes(w - e);
                const __mmask16 eq = _mm512_mask_cmpeq_epi32_mask(m, _mm512_maskz_loadu_epi32(m, l + e), kv);
                const int z = static_cast<int>(_tzcnt_u32(~static_cast<uint32_t>(eq)));  // lanes in the run
                const __mmask16 rm = static_cast<__mmask16>((1u << z) - 1);
                if (a)
                    for (int c = 0; c < NC; ++c)
                        s[c] = _mm512_add_epi32(
                            s[c], _mm512_maskz_cvtepi16_epi32(rm, _mm256_maskz_loadu_epi16(rm, f + c * plane + e)));
                e += z;
                if (z < 16 || e >= w) break;
                if (a && ++vecs == 4096) {
                    for (int c = 0; c < NC; ++c) { a[3 + c] += _mm512_reduce_add_epi32(s[c]); s[c] = _mm512_setzero_si512(); }
                    vecs = 0;
                }
            }
            if (a) {
                const int64_t cnt = e - x;
                a[0] += cnt;
                a[1] += y * cnt;
                a[2] += (x + e - 1) * cnt / 2;
                if (NC == 3) {
                    alignas(16) int32_t t[4];
                    _mm_store_si128(reinterpret_cast<__m128i*>(t), reduce3(s[0], s[1 % NC], s[2 % NC]));
                    for (int c = 0; c < NC; ++c) a[3 + c] += t[c];
                } else {
                    for (int c = 0; c < NC; ++c) a[3 + c] += _mm512_reduce_add_epi32(s[c]);
                }
            }
            x = e;
        }
    }
}

// The same sums through row prefix sums: P_c[x] = f_c[0] + ... + f_c[x - 1] (int32:
// |P| <= 65536 * 32768, so rows up to 65536 wide), 16 lanes per step (a log-step
// scan inside the vector plus the carry); run ends come 16 at a time from one
// compare of the labels with their right neighbours, and a run's sum is
// P_c[end] - P_c[start]. No step waits for the previous run (the run-by-run loop
// above is a chain of dependent loads).
template <int NC>
static bool accumulate_prefix(const int16_t* feat, int64_t plane, int64_t w, const int32_t* labels, int64_t y0,
                              int64_t y1, int64_t lo, int64_t* acc) noexcept {
    constexpr int nacc = 3 + NC;
    if (w > 65536) return false;
    thread_local RunBuf<int32_t> buf;
    const int64_t stride = w + 16;
    buf.size = 0;
    if (!buf.reserve_more(NC * stride)) return false;
    int32_t* P = buf.data;
    const __m512i zero = _mm512_setzero_si512(), last = _mm512_set1_epi32(15);
    for (int64_t y = y0; y < y1; ++y) {
        const int32_t* l = labels + (y - y0) * w;
        for (int c = 0; c < NC; ++c) {
            const int16_t* f = feat + c * plane + y * w;
            int32_t* pc = P + c * stride;
            pc[0] = 0;
            __m512i carry = zero;
            for (int64_t x = 0; x < w; x += 16) {
                const __mmask16 m = lanes(w - x);
                __m512i v = _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(m, f + x));
                v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, zero, 15));
                v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, zero, 14));
                v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, zero, 12));
                v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, zero, 8));
                // the carry chain is one add per vector; the lane-15 broadcast is off it
                const __m512i total = _mm512_permutexvar_epi32(last, v);
                _mm512_storeu_si512(pc + 1 + x, _mm512_add_epi32(v, carry));  // stride w + 16: room
                carry = _mm512_add_epi32(carry, total);
            }
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
        for (int64_t x = 0; x + 1 < w; x += 16) {
            const __mmask16 m = lanes(w - 1 - x);  // pairs (x + i, x + i + 1) inside the row
            const __m512i a = _mm512_maskz_loadu_epi32(m, l + x);
            const __m512i b = _mm512_maskz_loadu_epi32(m, l + x + 1);
            uint32_t ends = _mm512_mask_cmpneq_epi32_mask(m, a, b);
            while (ends) {
                flush(x + _tzcnt_u32(ends) + 1);
                ends &= ends - 1;
            }
        }
        flush(w);
    }
    return true;
}

void accumulate(const int16_t* feat, int nc, int64_t plane, int64_t w, const int32_t* labels, int64_t y0, int64_t y1,
                int64_t lo, int64_t* acc) noexcept {
    if (nc == 3 && accumulate_prefix<3>(feat, plane, w, labels, y0, y1, lo, acc)) return;
    if (nc == 1 && accumulate_prefix<1>(feat, plane, w, labels, y0, y1, lo, acc)) return;
    if (nc == 3) accumulate_vec<3>(feat, plane, w, labels, y0, y1, lo, acc);
    else if (nc == 1) accumulate_vec<1>(feat, plane, w, labels, y0, y1, lo, acc);
    else accumulate_rows<0>(feat, nc, plane, w, labels, y0, y1, lo, acc);
}

}  // namespace maskcore::slic::avx512
#include "../common/isa_end.hpp"
#endif
