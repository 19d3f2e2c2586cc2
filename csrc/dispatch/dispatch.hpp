// csrc/dispatch/dispatch.hpp — instruction-set selection at run time.
//
// The default build targets baseline x86-64 (or the platform's baseline); wider
// instruction sets are compiled into separate translation units through target
// pragmas (csrc/common/isa_begin_<isa>.hpp) and chosen here, once, from CPUID plus the
// OS check (XGETBV) that the wide register state is actually enabled. The choice
// can be forced with the environment variable MASKCORE_ISA=scalar|avx2|avx512
// (read at import) or with set_isa() (the test hook behind maskcore.set_isa).
//
// Levels are ordered: a machine that runs avx512 kernels also runs avx2 ones.
// "avx2" means AVX2 + BMI1/2 + LZCNT + POPCNT (every AVX2 CPU has them); "avx512"
// adds AVX-512 F/BW/VL.
#pragma once
#include "../common/common.hpp"

namespace maskcore {

enum class Isa : int { scalar = 0, avx2 = 1, avx512 = 2 };
constexpr int kIsaCount = 3;

const char* isa_name(Isa isa) noexcept;
bool isa_from_name(const char* name, Isa* out) noexcept;

// The widest level this CPU and OS support (computed once, thread-safe).
Isa best_isa() noexcept;
inline bool isa_supported(Isa isa) noexcept { return static_cast<int>(isa) <= static_cast<int>(best_isa()); }

// The level kernels dispatch to now. Starts as MASKCORE_ISA if set and supported, else best_isa().
Isa current_isa() noexcept;
// Returns Status::invalid_argument when the CPU lacks `isa`.
Status set_isa(Isa isa) noexcept;

// Picks the entry of a per-ISA table for the current level, falling back to the
// nearest narrower level that has an implementation (a null entry).
template <class Fn>
Fn pick(const Fn (&table)[kIsaCount]) noexcept {
    for (int i = static_cast<int>(current_isa()); i > 0; --i)
        if (table[i]) return table[i];
    return table[0];
}

const char* compiler_description() noexcept;

}  // namespace maskcore
