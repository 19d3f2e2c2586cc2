// Baseline variants of the metric kernels (kernels.inl): the references. Blocks of
// 8 pixels are compared with their left neighbours in 64-bit words (SWAR).
#include <cstdint>
#include <cstring>

#include "metrics.hpp"

namespace maskcore::metrics::scalar {
struct V {
    static constexpr int64_t kWidth = 8;
    static uint64_t load(const uint8_t* q) {
        uint64_t x;
        std::memcpy(&x, q, 8);
        return x;
    }
    static uint64_t changes(const uint8_t* g, const uint8_t* p) {
        const uint64_t x = (load(g) ^ load(g - 1)) | (load(p) ^ load(p - 1));
        // High bit of each byte = byte != 0, then the 8 high bits gathered by a multiply.
        constexpr uint64_t lo = 0x7F7F7F7F7F7F7F7Full, hi = 0x8080808080808080ull;
        const uint64_t t = (x | ((x & lo) + lo)) & hi;
        return ((t >> 7) * 0x0102040810204080ull) >> 56;
    }
    static void index(const uint8_t* g, const uint8_t* p, const HistU8& h, uint16_t* out) {
        for (int64_t j = 0; j < kWidth; ++j) out[j] = static_cast<uint16_t>(h.index(g[j], p[j]));
    }
};
#include "kernels.inl"
}  // namespace maskcore::metrics::scalar
