// csrc/rle/popcount.inl — the body of and_popcount, written once (included by
// rle_<isa>.cpp inside its ISA namespace, like transitions.inl). Compiled for the
// baseline it counts bits with the portable builtin (no POPCNT instruction in
// baseline x86-64); in the AVX2 and AVX-512 regions the same loop gets POPCNT.

uint64_t and_popcount(const uint64_t* a, int64_t a_stride, const uint64_t* b, int64_t b_stride, int64_t cols,
                      int64_t words) {
    uint64_t n = 0;
    for (int64_t j = 0; j < cols; ++j, a += a_stride, b += b_stride)
        for (int64_t k = 0; k < words; ++k) n += static_cast<uint64_t>(__builtin_popcountll(a[k] & b[k]));
    return n;
}
