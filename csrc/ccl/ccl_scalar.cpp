// Baseline find_runs: the scalar reference (runs.inl).
#include <algorithm>
#include <cstdint>

#include "ccl.hpp"

namespace maskcore::ccl::scalar {
#include "runs.inl"
}  // namespace maskcore::ccl::scalar
