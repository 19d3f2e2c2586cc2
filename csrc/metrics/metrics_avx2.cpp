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
};
#include "kernels.inl"
}  // namespace maskcore::metrics::avx2
#include "../common/isa_end.hpp"
#endif
