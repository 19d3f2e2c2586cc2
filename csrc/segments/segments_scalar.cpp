// Baseline variant of the segments kernels: row_diff's word loop (rowdiff.inl), the reference.
#include <cstdint>
#include <cstring>

#include "segments.hpp"

namespace maskcore::segments::scalar {
#include "rowdiff.inl"
}  // namespace maskcore::segments::scalar
