// AVX2 variant of the SLIC assignment loop (slic_assign.inl), vectorized by the compiler.
#include "slic.hpp"

#if defined(MC_X86_64)
#include "../common/isa_begin_avx2.hpp"
namespace maskcore::slic::avx2 {
#include "slic_assign.inl"
}  // namespace maskcore::slic::avx2
#include "../common/isa_end.hpp"
#endif
