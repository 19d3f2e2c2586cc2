// AVX2 variants of the metric kernels (kernels.inl): 32 pixels per uniformity test.
#include <cstdint>
#include <cstring>

#include "metrics.hpp"

#if defined(MC_X86_64)
#include <immintrin.h>

#include "../common/isa_begin_avx2.hpp"
namespace maskcore::metrics::avx2 {
struct V {
    static constexpr int64_t kWidth = 32;
    static bool uniform(const uint8_t* g, const uint8_t* p, uint8_t g0, uint8_t p0) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g));
        const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        const __m256i e = _mm256_and_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8(static_cast<char>(g0))),
                                           _mm256_cmpeq_epi8(y, _mm256_set1_epi8(static_cast<char>(p0))));
        return _mm256_movemask_epi8(e) == -1;
    }
};
#include "kernels.inl"
}  // namespace maskcore::metrics::avx2
#include "../common/isa_end.hpp"
#endif
