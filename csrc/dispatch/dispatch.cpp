#include "dispatch.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(MC_X86_64)
#include <cpuid.h>
#endif

namespace maskcore {
namespace {

#if defined(MC_X86_64)
uint64_t read_xcr0() noexcept {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}

Isa detect() noexcept {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return Isa::scalar;
    const unsigned c1 = c;  // leaf 1 feature bits
    const bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return Isa::scalar;
    const uint64_t xcr0 = read_xcr0();
    const bool ymm_enabled = (xcr0 & 0x6) == 0x6;            // SSE and AVX state
    const bool zmm_enabled = (xcr0 & 0xE6) == 0xE6;          // + opmask, ZMM_Hi256, Hi16_ZMM
    if (__get_cpuid_max(0, nullptr) < 7) return Isa::scalar;
    __cpuid_count(7, 0, a, b, c, d);
    const bool avx2 = (b >> 5) & 1, bmi1 = (b >> 3) & 1, bmi2 = (b >> 8) & 1;
    const bool avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    const bool popcnt = (c1 >> 23) & 1;
    bool lzcnt = false;
    if (__get_cpuid(0x80000001, &a, &b, &c, &d)) lzcnt = (c >> 5) & 1;  // ABM / LZCNT
    if (!(ymm_enabled && avx2 && bmi1 && bmi2 && lzcnt && popcnt)) return Isa::scalar;
    if (zmm_enabled && avx512f && avx512bw && avx512vl) return Isa::avx512;
    return Isa::avx2;
}
#else
Isa detect() noexcept { return Isa::scalar; }
#endif

Isa initial_isa() noexcept {
    const Isa best = best_isa();
    Isa wanted;
    const char* env = std::getenv("MASKCORE_ISA");
    if (env && *env && isa_from_name(env, &wanted) && static_cast<int>(wanted) <= static_cast<int>(best))
        return wanted;
    return best;  // an unknown or unsupported request is reported by the Python layer
}

std::atomic<int>& current() noexcept {
    static std::atomic<int> level{static_cast<int>(initial_isa())};
    return level;
}

}  // namespace

const char* isa_name(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar: return "scalar";
        case Isa::avx2: return "avx2";
        case Isa::avx512: return "avx512";
    }
    return "unknown";
}

bool isa_from_name(const char* name, Isa* out) noexcept {
    for (int i = 0; i < kIsaCount; ++i)
        if (std::strcmp(name, isa_name(static_cast<Isa>(i))) == 0) {
            *out = static_cast<Isa>(i);
            return true;
        }
    return false;
}

Isa best_isa() noexcept {
    static const Isa best = detect();
    return best;
}

Isa current_isa() noexcept { return static_cast<Isa>(current().load(std::memory_order_relaxed)); }

Status set_isa(Isa isa) noexcept {
    if (!isa_supported(isa)) return Status::invalid_argument;
    current().store(static_cast<int>(isa), std::memory_order_relaxed);
    return Status::ok;
}

const char* compiler_description() noexcept {
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#elif defined(_MSC_VER)
    return "msvc";
#else
    return "unknown";
#endif
}

}  // namespace maskcore
