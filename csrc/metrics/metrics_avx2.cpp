// AVX2 variants of the metric kernels (kernels.inl): 32 pixels per step.
#include <cstdint>
#include <cstring>

#include "metrics.hpp"

#if defined(MC_X86_64)
#include <immintrin.h>

#include "../common/isa_begin_avx2.hpp"
namespace maskcore::metrics::avx2 {
struct V {
    static constexpr int64_t kWidth = 32;
    static __m256i load(const uint8_t* q) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)); }
    static uint64_t changes(const uint8_t* g, const uint8_t* p) {
        const __m256i e = _mm256_and_si256(_mm256_cmpeq_epi8(load(g), load(g - 1)), _mm256_cmpeq_epi8(load(p), load(p - 1)));
        return ~static_cast<uint32_t>(_mm256_movemask_epi8(e));
    }
    // h.index on 16 pixels: widen to 16-bit lanes, row = ign ? drop : min(g, rmax),
    // col = min(p, cmax), row * stride + col (exact: every index is < 2^16).
    static __m256i index16(const uint8_t* g, const uint8_t* p, const HistU8& h) {
        const __m256i gw = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(g)));
        const __m256i pw = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        const __m256i row = _mm256_blendv_epi8(_mm256_min_epu16(gw, _mm256_set1_epi16(static_cast<short>(h.rmax))),
                                               _mm256_set1_epi16(static_cast<short>(h.drop)),
                                               _mm256_cmpeq_epi16(gw, _mm256_set1_epi16(static_cast<short>(h.ign))));
        return _mm256_add_epi16(_mm256_mullo_epi16(row, _mm256_set1_epi16(static_cast<short>(h.stride))),
                                _mm256_min_epu16(pw, _mm256_set1_epi16(static_cast<short>(h.cmax))));
    }
    static void index(const uint8_t* g, const uint8_t* p, const HistU8& h, uint16_t* out) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(out), index16(g, p, h));
        _mm256_store_si256(reinterpret_cast<__m256i*>(out + 16), index16(g + 16, p + 16, h));
    }
};
#include "kernels.inl"
}  // namespace maskcore::metrics::avx2
#include "../common/isa_end.hpp"
#endif
