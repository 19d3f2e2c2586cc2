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
};
#include "kernels.inl"
}  // namespace maskcore::metrics::avx512
#include "../common/isa_end.hpp"
#endif
