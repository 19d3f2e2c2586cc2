// AVX-512BW variants of the metric kernels (kernels.inl): 64 pixels per step.
#include <cstdint>
#include <cstring>

#include "metrics.hpp"

#if defined(MC_X86_64)
#include <immintrin.h>

#include "../common/isa_begin_avx512.hpp"
namespace maskcore::metrics::avx512 {
struct V {
    static constexpr int64_t kWidth = 64;
    static uint64_t changes(const uint8_t* g, const uint8_t* p) {
        return _mm512_cmpneq_epi8_mask(_mm512_loadu_si512(g), _mm512_loadu_si512(g - 1)) |
               _mm512_cmpneq_epi8_mask(_mm512_loadu_si512(p), _mm512_loadu_si512(p - 1));
    }
    // h.index on 32 pixels (as in the AVX2 build, 32 16-bit lanes).
    static __m512i index32(const uint8_t* g, const uint8_t* p, const HistU8& h) {
        const __m512i gw = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(g)));
        const __m512i pw = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
        const __m512i row = _mm512_mask_blend_epi16(_mm512_cmpeq_epi16_mask(gw, _mm512_set1_epi16(static_cast<short>(h.ign))),
                                                    _mm512_min_epu16(gw, _mm512_set1_epi16(static_cast<short>(h.rmax))),
                                                    _mm512_set1_epi16(static_cast<short>(h.drop)));
        return _mm512_add_epi16(_mm512_mullo_epi16(row, _mm512_set1_epi16(static_cast<short>(h.stride))),
                                _mm512_min_epu16(pw, _mm512_set1_epi16(static_cast<short>(h.cmax))));
    }
    static void index(const uint8_t* g, const uint8_t* p, const HistU8& h, uint16_t* out) {
        _mm512_store_si512(out, index32(g, p, h));
        _mm512_store_si512(out + 32, index32(g + 32, p + 32, h));
    }
};
#include "kernels.inl"
}  // namespace maskcore::metrics::avx512
#include "../common/isa_end.hpp"
#endif
