// AVX2 variant of the SLIC kernels: the assignment and update loops of slic_simd.inl
// with 8 int32/float lanes and 16 int16 lanes (masks as all-ones lanes), the rest from
// slic_assign.inl (the reference, which also finishes the vectors' columns).
#include <immintrin.h>

#include <algorithm>
#include <type_traits>

#include "slic.hpp"
#include "../common/runbuf.hpp"

#if defined(MC_X86_64)
#include "../common/isa_begin_avx2.hpp"
namespace maskcore::slic::avx2 {
#define MC_SLIC_OWN_KERNELS 1
#include "slic_assign.inl"
#undef MC_SLIC_OWN_KERNELS

namespace {

// kEnds[m]: the positions of the set bits of the 8-bit mask m, ascending, as bytes.
struct EndsTable {
    uint64_t t[256];
    constexpr EndsTable() : t() {
        for (int m = 0; m < 256; ++m) {
            uint64_t v = 0;
            int n = 0;
            for (int i = 0; i < 8; ++i)
                if (m >> i & 1) v |= static_cast<uint64_t>(i) << (8 * n++);
            t[m] = v;
        }
    }
};
constexpr EndsTable kEnds{};

struct Vec {
    static constexpr int L = 8;
    using F = __m256;
    using I = __m256i;
    using H = __m256i;  // 16 int16 lanes
    using M = __m256i;  // a lane is all ones or all zeros
    static F set(float v) { return _mm256_set1_ps(v); }
    static I seti(int32_t v) { return _mm256_set1_epi32(v); }
    static F load(const float* p) { return _mm256_loadu_ps(p); }
    static I loadi(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
    static void storei(int32_t* p, I v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
    static F add(F a, F b) { return _mm256_add_ps(a, b); }
    static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
    static I addi(I a, I b) { return _mm256_add_epi32(a, b); }
    static H set16(int16_t v) { return _mm256_set1_epi16(v); }
    static H load16(const int16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
    static H sub16(H a, H b) { return _mm256_sub_epi16(a, b); }
    // squared int16 differences summed per pixel: lo = pixels 0..7, hi = 8..15. The
    // multiply-add of interleaved pairs works within 128-bit halves (pixels 0-3 and
    // 8-11, then 4-7 and 12-15); one swap of halves restores the order.
    static void dc3(H d0, H d1, H d2, I& lo, I& hi) {
        const __m256i z = _mm256_setzero_si256();
        const __m256i p = _mm256_unpacklo_epi16(d0, d1), q = _mm256_unpackhi_epi16(d0, d1);
        const __m256i u = _mm256_unpacklo_epi16(d2, z), v = _mm256_unpackhi_epi16(d2, z);
        const __m256i a = _mm256_add_epi32(_mm256_madd_epi16(p, p), _mm256_madd_epi16(u, u));
        const __m256i b = _mm256_add_epi32(_mm256_madd_epi16(q, q), _mm256_madd_epi16(v, v));
        lo = _mm256_permute2x128_si256(a, b, 0x20);
        hi = _mm256_permute2x128_si256(a, b, 0x31);
    }
    static void dc1(H d0, I& lo, I& hi) {
        const __m256i z = _mm256_setzero_si256();
        const __m256i u = _mm256_unpacklo_epi16(d0, z), v = _mm256_unpackhi_epi16(d0, z);
        const __m256i a = _mm256_madd_epi16(u, u), b = _mm256_madd_epi16(v, v);
        lo = _mm256_permute2x128_si256(a, b, 0x20);
        hi = _mm256_permute2x128_si256(a, b, 0x31);
    }
    static F tof(I v) { return _mm256_cvtepi32_ps(v); }
    // uint32 -> float, correctly rounded: both halves convert exactly, one add rounds
    static F tof_u(I v) {
        const F h = _mm256_cvtepi32_ps(_mm256_srli_epi32(v, 16));
        const F l = _mm256_cvtepi32_ps(_mm256_and_si256(v, _mm256_set1_epi32(0xFFFF)));
        return _mm256_add_ps(_mm256_mul_ps(h, _mm256_set1_ps(65536.0f)), l);
    }
    // D's bits with the index bits replaced by idx
    static I keybits(F d, I idx) {
        return _mm256_or_si256(_mm256_and_si256(_mm256_castps_si256(d), _mm256_set1_epi32(~static_cast<int32_t>(kIdxMask))),
                               idx);
    }
    static I minu(I a, I b) { return _mm256_min_epu32(a, b); }
    // min(old, key) in the lanes of m, old elsewhere (key | ~m is all ones there)
    static I min_in(M m, I old, I key) {
        return _mm256_min_epu32(old, _mm256_or_si256(key, _mm256_xor_si256(m, _mm256_set1_epi32(-1))));
    }
    static I widen(const int16_t* p) {
        return _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    }
    // lanes [lo, hi), clamped to [0, L]
    static M lane_range(int64_t lo, int64_t hi) {
        lo = lo < 0 ? 0 : (lo > L ? L : lo);
        hi = hi < 0 ? 0 : (hi > L ? L : hi);
        const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i ge = _mm256_cmpgt_epi32(iota, _mm256_set1_epi32(static_cast<int32_t>(lo) - 1));
        const __m256i lt = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(hi)), iota);
        return _mm256_and_si256(ge, lt);
    }
    // inclusive prefix sum over the 8 lanes: shifts by 1, 2 and 4 lanes across the halves
    static I prefix(I v) {
        __m256i t = _mm256_permute2x128_si256(v, v, 0x08);  // [0, low half]
        v = _mm256_add_epi32(v, _mm256_alignr_epi8(v, t, 12));
        t = _mm256_permute2x128_si256(v, v, 0x08);
        v = _mm256_add_epi32(v, _mm256_alignr_epi8(v, t, 8));
        return _mm256_add_epi32(v, _mm256_permute2x128_si256(v, v, 0x08));
    }
    static I last(I v) { return _mm256_permutevar8x32_epi32(v, _mm256_set1_epi32(7)); }
    // bit i set where p[i] != p[i + 1], i < L
    static uint32_t differ(const int32_t* p) {
        const __m256i eq = _mm256_cmpeq_epi32(loadi(p), loadi(p + 1));
        return ~static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(eq))) & 0xFFu;
    }
    // out[0..popcount(m)) = x + the set bits of m (8 int32 stored); returns the count
    static int64_t pack_ends(uint32_t m, int32_t x, int32_t* out) {
        const __m256i pos = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<int64_t>(kEnds.t[m])));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_add_epi32(pos, _mm256_set1_epi32(x)));
        return __builtin_popcount(m);
    }
    // bit i set where the index bits of p[i] and p[i + 1] differ, i < L
    static uint32_t differ_idx(const uint32_t* p) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 1));
        const __m256i x = _mm256_and_si256(_mm256_xor_si256(a, b), _mm256_set1_epi32(static_cast<int32_t>(kIdxMask)));
        const __m256i eq = _mm256_cmpeq_epi32(x, _mm256_setzero_si256());
        return ~static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(eq))) & 0xFFu;
    }
};

}  // namespace

#include "slic_simd.inl"

}  // namespace maskcore::slic::avx2
#include "../common/isa_end.hpp"
#endif
