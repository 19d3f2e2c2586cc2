// AVX2 variants of the RLE kernels: find_transitions at 32 bytes per step (transitions.inl), the string encoder with BMI2 PDEP (codec.inl), the string decoder with PSHUFB tables (codec_decode.inl).
#include <cstdint>
#include <cstring>

#include "rle.hpp"

#if defined(MC_X86_64)
#include <immintrin.h>

#include "../common/isa_begin_avx2.hpp"
namespace maskcore::rle::avx2 {

struct V {
    static constexpr int kWidth = 32;
    using Vec = __m256i;
    static Vec load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
    static Vec zero() { return _mm256_setzero_si256(); }
    static Vec bit_or(Vec a, Vec b) { return _mm256_or_si256(a, b); }
    static uint64_t nonzero_bits(Vec v) {
        const uint32_t zero = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_setzero_si256())));
        return static_cast<uint64_t>(~zero);
    }
    static uint8_t reduce_or(Vec v) {
        __m128i x = _mm_or_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
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
#include "codec_decode.inl"
#undef MC_BMI2
#undef MC_VEC

}  // namespace maskcore::rle::avx2
#include "../common/isa_end.hpp"
#endif
