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

// Every family's kernel table is one IsaTable: its entry (a struct of function
// pointers) for each level. MC_ISA_TABLE(K, scalar, avx2, avx512) fills one; builds
// without x86 SIMD put the scalar entry at every level, so callers never test the
// platform. A family reads its kernels through table.current(); the kernel listing
// behind maskcore.show_config() (kernels.cpp) reads every level through at().
template <class K>
struct IsaTable {
    K level[kIsaCount];
    const K& at(Isa isa) const noexcept { return level[static_cast<int>(isa)]; }
    const K& current() const noexcept { return at(current_isa()); }
};
#if defined(MC_X86_64)
#define MC_ISA_TABLE(K, S, A2, A5) ::maskcore::IsaTable<K>{{S, A2, A5}}
#else
#define MC_ISA_TABLE(K, S, A2, A5) ::maskcore::IsaTable<K>{{S, S, S}}
#endif

// One row of the kernel listing: family, kernel, and the variant (an ISA name) that
// runs at each level, from the families' tables.
struct KernelRow {
    const char* family;
    const char* kernel;
    const char* variant[kIsaCount];
};
// Every kernel family's rows (kernels.cpp), raster and contour included.
int kernel_rows(KernelRow* out, int room) noexcept;

const char* compiler_description() noexcept;

}  // namespace maskcore
