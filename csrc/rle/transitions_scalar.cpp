// Baseline variant of find_transitions: the scalar reference (see transitions.inl).
#include <cstdint>
#include <cstring>

#include "rle.hpp"

namespace maskcore::rle::scalar {
#include "transitions.inl"
}  // namespace maskcore::rle::scalar
