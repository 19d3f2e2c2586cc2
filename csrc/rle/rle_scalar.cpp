// Baseline variants of the RLE kernels: the scalar references (transitions.inl, codec.inl).
#include <cstdint>
#include <cstring>

#include "rle.hpp"

namespace maskcore::rle::scalar {
#include "transitions.inl"
#include "codec.inl"
#include "popcount.inl"
}  // namespace maskcore::rle::scalar
