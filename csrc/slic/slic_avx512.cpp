// AVX-512 variant of the SLIC kernels: the assignment and update loops of
// slic_simd.inl with 16 int32/float lanes and 32 int16 lanes (opmask registers),
// the rest from slic_assign.inl (the reference, which also finishes the vectors'
// columns). It cannot run on the AVX2-only development machine; it is compiled there.
#include <immintrin.h>

#include <algorithm>
#include <type_traits>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 flags its own _mm512_permutexvar_epi32
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

struct Vec {
    static constexpr int L = 16;
    using F = __m512;
    using I = __m512i;
    using H = __m512i;  // 32 int16 lanes
    using M = __mmask16;
    static F set(float v) { return _mm512_set1_ps(v); }
    static I seti(int32_t v) { return _mm512_set1_epi32(v); }
    static F load(const float* p) { return _mm512_loadu_ps(p); }
    static I loadi(const int32_t* p) { return _mm512_loadu_si512(p); }
    static void storei(int32_t* p, I v) { _mm512_storeu_si512(p, v); }
    static F add(F a, F b) { return _mm512_add_ps(a, b); }
    static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
    static I addi(I a, I b) { return _mm512_add_epi32(a, b); }
    static H set16(int16_t v) { return _mm512_set1_epi16(v); }
    static H load16(const int16_t* p) { return _mm512_loadu_si512(p); }
    static H sub16(H a, H b) { return _mm512_sub_epi16(a, b); }
    // squared int16 differences summed per pixel: lo = pixels 0..15, hi = 16..31. The
    // multiply-add of interleaved pairs works within 128-bit lanes (a: pixels 0-3,
    // 8-11, 16-19, 24-27; b: the others); a two-source permute restores the order.
    static void order(I a, I b, I& lo, I& hi) {
        lo = _mm512_permutex2var_epi64(a, _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), b);
        hi = _mm512_permutex2var_epi64(a, _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15), b);
    }
    static void dc3(H d0, H d1, H d2, I& lo, I& hi) {
        const __m512i z = _mm512_setzero_si512();
        const __m512i p = _mm512_unpacklo_epi16(d0, d1), q = _mm512_unpackhi_epi16(d0, d1);
        const __m512i u = _mm512_unpacklo_epi16(d2, z), v = _mm512_unpackhi_epi16(d2, z);
        order(_mm512_add_epi32(_mm512_madd_epi16(p, p), _mm512_madd_epi16(u, u)),
              _mm512_add_epi32(_mm512_madd_epi16(q, q), _mm512_madd_epi16(v, v)), lo, hi);
    }
    static void dc1(H d0, I& lo, I& hi) {
        const __m512i z = _mm512_setzero_si512();
        const __m512i u = _mm512_unpacklo_epi16(d0, z), v = _mm512_unpackhi_epi16(d0, z);
        order(_mm512_madd_epi16(u, u), _mm512_madd_epi16(v, v), lo, hi);
    }
    static F tof(I v) { return _mm512_cvtepi32_ps(v); }
    static F tof_u(I v) { return _mm512_cvtepu32_ps(v); }  // correctly rounded, as the scalar conversion
    // D's bits with the index bits replaced by idx
    static I keybits(F d, I idx) {
        return _mm512_or_si512(_mm512_and_si512(_mm512_castps_si512(d), _mm512_set1_epi32(~static_cast<int32_t>(kIdxMask))),
                               idx);
    }
    static I minu(I a, I b) { return _mm512_min_epu32(a, b); }
    static I min_in(M m, I old, I key) { return _mm512_mask_min_epu32(old, m, old, key); }
    static I widen(const int16_t* p) {
        return _mm512_cvtepi16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    }
    // lanes [lo, hi), clamped to [0, L]
    static M lane_range(int64_t lo, int64_t hi) {
        lo = lo < 0 ? 0 : lo;
        hi = hi > 16 ? 16 : hi;
        return hi <= lo ? M(0) : static_cast<M>(((1u << hi) - 1) & ~((1u << lo) - 1));
    }
    // inclusive prefix sum over the 16 lanes (valignd shifts zeros in)
    static I prefix(I v) {
        const __m512i z = _mm512_setzero_si512();
        v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, z, 15));
        v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, z, 14));
        v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, z, 12));
        return _mm512_add_epi32(v, _mm512_alignr_epi32(v, z, 8));
    }
    static I last(I v) { return _mm512_permutexvar_epi32(_mm512_set1_epi32(15), v); }
    // bit i set where p[i] != p[i + 1], i < L
    static uint32_t differ(const int32_t* p) { return _mm512_cmpneq_epi32_mask(loadi(p), loadi(p + 1)); }
    // out[0..popcount(m)) = x + the set bits of m; returns the count
    static int64_t pack_ends(uint32_t m, int32_t x, int32_t* out) {
        const __m512i pos = _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32(x));
        _mm512_mask_compressstoreu_epi32(out, static_cast<__mmask16>(m), pos);
        return __builtin_popcount(m);
    }
    // bit i set where the index bits of p[i] and p[i + 1] differ, i < L
    static uint32_t differ_idx(const uint32_t* p) {
        const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_loadu_si512(p + 1));
        return _mm512_test_epi32_mask(x, _mm512_set1_epi32(static_cast<int32_t>(kIdxMask)));
    }
};

}  // namespace

#include "slic_simd.inl"

}  // namespace maskcore::slic::avx512
#include "../common/isa_end.hpp"
#endif
