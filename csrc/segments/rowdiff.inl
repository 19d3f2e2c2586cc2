// csrc/segments/rowdiff.inl — the body of segments::row_diff, written once.
//
// Included by segments_<isa>.cpp inside namespace maskcore::segments::<isa>, after that ISA's
// target pragma (own symbols per ISA). A vector ISA defines MC_VEC and a policy struct V:
//   V::equal64(a, b)     true when the 64 bytes at a and b are equal
//   V::diff32(a, b)      uint32: bit j set when byte j of the 32 at a and b differ
// The word loop below is the whole scalar variant and the tail of every vector loop, so the
// variants cannot drift apart: both report each differing element once, in increasing order.
//
//   row r-1  [ 5 5 | 5 5 | 7 7 | ... ]     bytes compared 64 / 32 / 8 at a time; a differing
//   row r    [ 5 5 | 9 9 | 7 7 | ... ]     block's set bits become element indices (byte / es),
//                 element 1 differs          an element's remaining bits are cleared at once.

// Emits the elements holding the set bits of d (bpb bits per byte; bit 0 = byte `base`). Bytes
// below `done` (the end of the last emitted element) are skipped: an element of 3 bytes may
// straddle two blocks.
template <int ES, int BPB>
static inline int64_t emit_elements(uint64_t d, int64_t base, int64_t& done, uint32_t* MC_RESTRICT idx,
                                    int64_t k) noexcept {
    constexpr int kBits = BPB == 1 ? 32 : 64;  // width of d
    if (done > base) {
        const int64_t skip = (done - base) * BPB;
        d = skip >= kBits ? 0 : d & (~uint64_t{0} << skip);
    }
    while (d) {
        const int64_t byte = base + __builtin_ctzll(d) / BPB;
        const int64_t e = byte / ES;
        idx[k++] = static_cast<uint32_t>(e);
        done = (e + 1) * ES;
        const int64_t shift = (done - base) * BPB;
        d = shift >= kBits ? 0 : d & (~uint64_t{0} << shift);
    }
    return k;
}

static inline uint64_t word(const uint8_t* p) noexcept {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// Bytes [i, nbytes) a word at a time (a short last word is zero-padded on both sides).
template <int ES>
static inline int64_t diff_words(const uint8_t* MC_RESTRICT a, const uint8_t* MC_RESTRICT b, int64_t i,
                                 int64_t nbytes, int64_t& done, uint32_t* MC_RESTRICT idx, int64_t k) noexcept {
    for (; i + 32 <= nbytes; i += 32) {  // equal 32-byte blocks (most, inside regions): skipped whole
        // four scalar loads each (a 32-byte memcpy into arrays was spilled through the stack:
        // 2.6x slower on a 4000 x 4000 int64 map)
        const uint64_t d0 = word(a + i) ^ word(b + i), d1 = word(a + i + 8) ^ word(b + i + 8);
        const uint64_t d2 = word(a + i + 16) ^ word(b + i + 16), d3 = word(a + i + 24) ^ word(b + i + 24);
        if ((d0 | d1 | d2 | d3) == 0) continue;
        if (d0) k = emit_elements<ES, 8>(d0, i, done, idx, k);
        if (d1) k = emit_elements<ES, 8>(d1, i + 8, done, idx, k);
        if (d2) k = emit_elements<ES, 8>(d2, i + 16, done, idx, k);
        if (d3) k = emit_elements<ES, 8>(d3, i + 24, done, idx, k);
    }
    for (; i < nbytes; i += 8) {
        uint64_t x = 0, y = 0;
        const size_t n = static_cast<size_t>(nbytes - i < 8 ? nbytes - i : 8);
        std::memcpy(&x, a + i, n);
        std::memcpy(&y, b + i, n);
        if (x != y) k = emit_elements<ES, 8>(x ^ y, i, done, idx, k);
    }
    return k;
}

template <int ES>
static int64_t row_diff_t(const uint8_t* a, const uint8_t* b, int64_t n, uint32_t* idx) noexcept {
    const int64_t nbytes = n * ES;
    int64_t i = 0, k = 0, done = 0;
#if defined(MC_VEC)
    for (; i + 64 <= nbytes; i += 64) {
        if (V::equal64(a + i, b + i)) continue;
        for (int h = 0; h < 64; h += 32) {
            const uint32_t d = V::diff32(a + i + h, b + i + h);
            if (d) k = emit_elements<ES, 1>(d, i + h, done, idx, k);
        }
    }
#endif
    return diff_words<ES>(a, b, i, nbytes, done, idx, k);
}

int64_t row_diff(const uint8_t* a, const uint8_t* b, int64_t n, int es, uint32_t* idx) noexcept {
    switch (es) {
        case 1: return row_diff_t<1>(a, b, n, idx);
        case 2: return row_diff_t<2>(a, b, n, idx);
        case 3: return row_diff_t<3>(a, b, n, idx);
        case 4: return row_diff_t<4>(a, b, n, idx);
        default: return row_diff_t<8>(a, b, n, idx);
    }
}
