// AVX2 find_runs (runs.inl): 64 elements per step as 32-byte compares turned into lane masks.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "ccl.hpp"

#if defined(MC_X86_64)
#include <immintrin.h>

#include "../common/isa_begin_avx2.hpp"
namespace maskcore::ccl::avx2 {

struct V {
    // Lane mask (one bit per element of T) of a == b over one 32-byte vector.
    template <class T>
    static uint64_t eq_bits(__m256i a, __m256i b) {
        if constexpr (sizeof(T) == 1) {
            return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, b)));
        } else if constexpr (sizeof(T) == 2) {
            return _pext_u32(static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi16(a, b))), 0x55555555u);
        } else if constexpr (sizeof(T) == 4) {
            return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b))));
        } else {
            return static_cast<uint32_t>(_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(a, b))));
        }
    }
    template <class T>
    static uint64_t eq_lanes(const T* p, T v) { return eq_bits<T>(load(p), splat<T>(v)); }
#include "transpose8.inl"
    static __m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
    template <class T>
    static __m256i splat(T v) {
        if constexpr (sizeof(T) == 1) return _mm256_set1_epi8(static_cast<char>(v));
        else if constexpr (sizeof(T) == 2) return _mm256_set1_epi16(static_cast<short>(v));
        else if constexpr (sizeof(T) == 4) return _mm256_set1_epi32(static_cast<int>(v));
        else return _mm256_set1_epi64x(static_cast<long long>(v));
    }
    template <class T>
    static constexpr int64_t lanes() { return 32 / sizeof(T); }
    static void store(void* p, __m256i v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }
    template <class T>
    static uint64_t differs(const T* p) {
        constexpr int lanes = 32 / sizeof(T);
        uint64_t eq = 0;
        for (int j = 0; j < 64 / lanes; ++j) eq |= eq_bits<T>(load(p + j * lanes), load(p + j * lanes - 1)) << (j * lanes);
        return ~eq;
    }
    template <class T>
    static uint64_t differs(const T* p, T v) {
        constexpr int lanes = 32 / sizeof(T);
        const __m256i s = splat<T>(v);
        uint64_t eq = 0;
        for (int j = 0; j < 64 / lanes; ++j) eq |= eq_bits<T>(load(p + j * lanes), s) << (j * lanes);
        return ~eq;
    }
};
#define MC_VEC 1
#include "runs.inl"
#undef MC_VEC

}  // namespace maskcore::ccl::avx2
#include "../common/isa_end.hpp"
#endif
