// AVX-512BW variants of the metric kernels (kernels.inl): 64 pixels per uniformity test.
#include <cstdint>
#include <cstring>

#include "metrics.hpp"

#if defined(MC_X86_64)
#include <immintrin.h>

#include "../common/isa_begin_avx512.hpp"
namespace maskcore::metrics::avx512 {
struct V {
    static constexpr int64_t kWidth = 64;
    static bool uniform(const uint8_t* g, const uint8_t* p, uint8_t g0, uint8_t p0) {
        const __m512i x = _mm512_loadu_si512(g), y = _mm512_loadu_si512(p);
        const __mmask64 e = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(static_cast<char>(g0))) &
                            _mm512_cmpeq_epi8_mask(y, _mm512_set1_epi8(static_cast<char>(p0)));
        return e == ~__mmask64{0};
    }
};
#include "kernels.inl"
}  // namespace maskcore::metrics::avx512
#include "../common/isa_end.hpp"
#endif
