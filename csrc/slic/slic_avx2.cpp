// AVX2 variant of the SLIC kernels: the assignment and update loops of slic_simd.inl
// with 8 float lanes (masks as all-ones lanes, stores as blends), the rest from
// slic_assign.inl (the reference, which also finishes the vectors' columns).
#include <immintrin.h>

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

struct Vec {
    static constexpr int L = 8;
    using F = __m256;
    using I = __m256i;
    using M = __m256;  // a lane is all ones or all zeros
    static F set(float v) { return _mm256_set1_ps(v); }
    static I seti(int32_t v) { return _mm256_set1_epi32(v); }
    static F load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
    static I loadi(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
    static void storei(int32_t* p, I v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
    static F add(F a, F b) { return _mm256_add_ps(a, b); }
    static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
    static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
    static I addi(I a, I b) { return _mm256_add_epi32(a, b); }
    static I widen(const int16_t* p) {
        return _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    }
    static F feature(const int16_t* p) { return _mm256_cvtepi32_ps(widen(p)); }
    // lanes [lo, hi), clamped to [0, L]
    static M lane_range(int64_t lo, int64_t hi) {
        lo = lo < 0 ? 0 : (lo > L ? L : lo);
        hi = hi < 0 ? 0 : (hi > L ? L : hi);
        const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i ge = _mm256_cmpgt_epi32(iota, _mm256_set1_epi32(static_cast<int32_t>(lo) - 1));
        const __m256i lt = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(hi)), iota);
        return _mm256_castsi256_ps(_mm256_and_si256(ge, lt));
    }
    static M mask_and(M a, M b) { return _mm256_and_ps(a, b); }
    static M less(M m, F a, F b) { return _mm256_and_ps(m, _mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
    static M less(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
    static F blend(M m, F a, F b) { return _mm256_blendv_ps(a, b, m); }  // b where m
    static I blendi(M m, I a, I b) {
        return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), m));
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
};

}  // namespace

#include "slic_simd.inl"

}  // namespace maskcore::slic::avx2
#include "../common/isa_end.hpp"
#endif
