// AVX-512 (F+BW+VL) variants of the RLE kernels: find_transitions at 64 bytes per step (transitions.inl), the string encoder with BMI2 PDEP (codec.inl).
#include <cstdint>
#include <cstring>

#include "rle.hpp"

#if defined(MC_X86_64)
#include <immintrin.h>

#include "../common/isa_begin_avx512.hpp"
namespace maskcore::rle::avx512 {

struct V {
    static constexpr int kWidth = 64;
    using Vec = __m512i;
    static Vec load(const uint8_t* p) { return _mm512_loadu_si512(p); }
    static Vec zero() { return _mm512_setzero_si512(); }
    static Vec bit_or(Vec a, Vec b) { return _mm512_or_si512(a, b); }
    static uint64_t nonzero_bits(Vec v) { return _mm512_test_epi8_mask(v, v); }
    static uint8_t reduce_or(Vec v) {
        // Any byte > 1 is what the caller looks for; fold 64 bytes to one by ORs.
        __m256i y = _mm256_or_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
        __m128i x = _mm_or_si128(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
        x = _mm_or_si128(x, _mm_srli_si128(x, 8));
        x = _mm_or_si128(x, _mm_srli_si128(x, 4));
        x = _mm_or_si128(x, _mm_srli_si128(x, 2));
        x = _mm_or_si128(x, _mm_srli_si128(x, 1));
        return static_cast<uint8_t>(_mm_cvtsi128_si32(x));
    }
};
#define MC_VEC 1
#define MC_BMI2 1
#include "transitions.inl"
#include "codec.inl"
#include "popcount.inl"
#undef MC_BMI2
#undef MC_VEC

}  // namespace maskcore::rle::avx512
#include "../common/isa_end.hpp"
#endif
