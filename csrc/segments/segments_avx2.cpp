// AVX2 variant of the segments kernels: row_diff at 64 bytes per step (rowdiff.inl), the
// word loop of the scalar reference for the tail.
#include <cstdint>
#include <cstring>

#include "segments.hpp"

#if defined(MC_X86_64)
#include <immintrin.h>

#include "../common/isa_begin_avx2.hpp"
namespace maskcore::segments::avx2 {

struct V {
    static __m256i load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
    static bool equal64(const uint8_t* a, const uint8_t* b) {
        const __m256i x = _mm256_or_si256(_mm256_xor_si256(load(a), load(b)),
                                          _mm256_xor_si256(load(a + 32), load(b + 32)));
        return _mm256_testz_si256(x, x) != 0;
    }
    static uint32_t diff32(const uint8_t* a, const uint8_t* b) {
        return ~static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(load(a), load(b))));
    }
};
#define MC_VEC 1
#include "rowdiff.inl"
#undef MC_VEC

}  // namespace maskcore::segments::avx2
#include "../common/isa_end.hpp"
#endif
