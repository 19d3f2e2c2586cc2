// Baseline variant of the SLIC assignment loop (slic_assign.inl): the reference.
#include "slic.hpp"

namespace maskcore::slic::scalar {
#include "slic_assign.inl"
}  // namespace maskcore::slic::scalar
