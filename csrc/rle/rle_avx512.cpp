// AVX-512 (F+BW+VL) variants of the RLE kernels: find_transitions at 64 bytes per step (transitions.inl), the string encoder with BMI2 PDEP (codec.inl), the string decoder with PSHUFB tables (codec_decode.inl).
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
    static uint8_t reduce_or(Vec v) {  // once per call: a store keeps it simple (and GCC 12 warning-free)
        alignas(64) uint64_t lanes[8];
        _mm512_store_si512(lanes, v);
        uint64_t x = 0;
        for (uint64_t lane : lanes) x |= lane;
        x |= x >> 32;
        x |= x >> 16;
        x |= x >> 8;
        return static_cast<uint8_t>(x);
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

}  // namespace maskcore::rle::avx512
#include "../common/isa_end.hpp"
#endif
