// Baseline variants of the metric kernels (kernels.inl): the references. Blocks of
// 8 pixels are tested for uniformity with 64-bit words (SWAR).
#include <cstdint>
#include <cstring>

#include "metrics.hpp"

namespace maskcore::metrics::scalar {
struct V {
    static constexpr int64_t kWidth = 8;
    static bool uniform(const uint8_t* g, const uint8_t* p, uint8_t g0, uint8_t p0) {
        uint64_t x, y;
        std::memcpy(&x, g, 8);
        std::memcpy(&y, p, 8);
        constexpr uint64_t ones = 0x0101010101010101ull;
        return ((x ^ (g0 * ones)) | (y ^ (p0 * ones))) == 0;
    }
};
#include "kernels.inl"
}  // namespace maskcore::metrics::scalar
