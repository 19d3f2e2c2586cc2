// AVX-512 (BW) find_runs (runs.inl): 64 elements per step through mask compares.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "ccl.hpp"

#if defined(MC_X86_64)
#include <immintrin.h>

#include "../common/isa_begin_avx512.hpp"
namespace maskcore::ccl::avx512 {

struct V {
    template <class T>
    static uint64_t neq_bits(__m512i a, __m512i b) {
        if constexpr (sizeof(T) == 1) return _mm512_cmpneq_epi8_mask(a, b);
        else if constexpr (sizeof(T) == 2) return _mm512_cmpneq_epi16_mask(a, b);
        else if constexpr (sizeof(T) == 4) return _mm512_cmpneq_epi32_mask(a, b);
        else return _mm512_cmpneq_epi64_mask(a, b);
    }
    template <class T>
    static uint64_t eq_lanes(const T* p, T v) {
        const __m512i a = load(p), b = splat<T>(v);
        if constexpr (sizeof(T) == 1) return _mm512_cmpeq_epi8_mask(a, b);
        else if constexpr (sizeof(T) == 2) return _mm512_cmpeq_epi16_mask(a, b);
        else if constexpr (sizeof(T) == 4) return _mm512_cmpeq_epi32_mask(a, b);
        else return _mm512_cmpeq_epi64_mask(a, b);
    }
#include "transpose8.inl"
    static __m512i load(const void* p) { return _mm512_loadu_si512(p); }
    template <class T>
    static __m512i splat(T v) {
        if constexpr (sizeof(T) == 1) return _mm512_set1_epi8(static_cast<char>(v));
        else if constexpr (sizeof(T) == 2) return _mm512_set1_epi16(static_cast<short>(v));
        else if constexpr (sizeof(T) == 4) return _mm512_set1_epi32(static_cast<int>(v));
        else return _mm512_set1_epi64(static_cast<long long>(v));
    }
    template <class T>
    static constexpr int64_t lanes() { return 64 / sizeof(T); }
    static void store(void* p, __m512i v) { _mm512_storeu_si512(p, v); }
    template <class T>
    static uint64_t differs(const T* p) {
        constexpr int lanes = 64 / sizeof(T);
        uint64_t d = 0;
        for (int j = 0; j < 64 / lanes; ++j) d |= neq_bits<T>(load(p + j * lanes), load(p + j * lanes - 1)) << (j * lanes);
        return d;
    }
    template <class T>
    static uint64_t differs(const T* p, T v) {
        constexpr int lanes = 64 / sizeof(T);
        const __m512i s = splat<T>(v);
        uint64_t d = 0;
        for (int j = 0; j < 64 / lanes; ++j) d |= neq_bits<T>(load(p + j * lanes), s) << (j * lanes);
        return d;
    }
};
#define MC_VEC 1
#include "runs.inl"
#undef MC_VEC

}  // namespace maskcore::ccl::avx512
#include "../common/isa_end.hpp"
#endif
