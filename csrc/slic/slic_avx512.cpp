// AVX-512 variant of the SLIC kernels: the assignment and update loops of
// slic_simd.inl with 16 float lanes (opmask registers), the rest from
// slic_assign.inl (the reference, which also finishes the vectors' columns).
#include <immintrin.h>

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
    using M = __mmask16;
    static F set(float v) { return _mm512_set1_ps(v); }
    static I seti(int32_t v) { return _mm512_set1_epi32(v); }
    static F load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
    static I loadi(const int32_t* p) { return _mm512_loadu_si512(p); }
    static void storei(int32_t* p, I v) { _mm512_storeu_si512(p, v); }
    static F add(F a, F b) { return _mm512_add_ps(a, b); }
    static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
    static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
    static I addi(I a, I b) { return _mm512_add_epi32(a, b); }
    static I widen(const int16_t* p) {
        return _mm512_cvtepi16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    }
    static F feature(const int16_t* p) { return _mm512_cvtepi32_ps(widen(p)); }
    // lanes [lo, hi), clamped to [0, L]
    static M lane_range(int64_t lo, int64_t hi) {
        lo = lo < 0 ? 0 : lo;
        hi = hi > 16 ? 16 : hi;
        return hi <= lo ? M(0) : static_cast<M>(((1u << hi) - 1) & ~((1u << lo) - 1));
    }
    static M mask_and(M a, M b) { return static_cast<M>(a & b); }
    static M less(M m, F a, F b) { return _mm512_mask_cmp_ps_mask(m, a, b, _CMP_LT_OQ); }
    static M less(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
    static F blend(M m, F a, F b) { return _mm512_mask_blend_ps(m, a, b); }  // b where m
    static I blendi(M m, I a, I b) { return _mm512_mask_blend_epi32(m, a, b); }
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
};

}  // namespace

#include "slic_simd.inl"

}  // namespace maskcore::slic::avx512
#include "../common/isa_end.hpp"
#endif
