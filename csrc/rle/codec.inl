// csrc/rle/codec.inl — COCO's compressed counts string: the body of codec_encode,
// written once.
//
// Included by rle_<isa>.cpp inside namespace maskcore::rle::<isa> (see
// transitions.inl for why). A count is written (from index 3 on as the difference
// to the count two back) as its two's-complement bits in 5-bit groups, low group
// first, one char per group: '0' + group, + 32 when more groups follow. The number
// of groups L is the smallest with the value in [-2^(5L-1), 2^(5L-1)): the top bit
// of the last group is the sign, as pycocotools' encoder implies by stopping when
// the rest is all sign bits.
//
// The scalar loop is the reference. With MC_BMI2 (x86 BMI2), a value of up to 8
// groups is one PDEP on an 8-byte word and one 8-byte store, with no branch per
// char: 2.3x the scalar loop on a 4000x4000 blob (benchmarks/RESULTS.md).
//
// The decoder (rle.cpp, from_string) has no ISA variants: a PEXT version that
// first located value ends 64 chars at a time measured 1.5x slower than the
// scalar loop here (its per-value bookkeeping outweighed the per-char branches,
// which predict well because most values have the same length), so it was removed.


static inline char* put_value_scalar(int64_t x, char* o) noexcept {
    for (bool more = true; more;) {
        int c = static_cast<int>(x & 0x1f);
        x >>= 5;  // arithmetic shift: the rest of a negative value is -1
        more = (c & 0x10) ? x != -1 : x != 0;
        *o++ = static_cast<char>(c + 48 + (more ? 32 : 0));
    }
    return o;
}

#if defined(MC_BMI2)
// The low L bytes of a word.
static constexpr uint64_t low_bytes(int L) noexcept { return L >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * L)) - 1; }
constexpr uint64_t kGroupBits = 0x1F1F1F1F1F1F1F1Full;
// Per group count L (1..8): where PDEP puts the groups, and what turns them into
// chars ('0' on every byte, + 32 on all but the last).
struct GroupLayout {
    uint64_t deposit[9], chars[9];
    uint8_t groups[64];  // L by the leading zeros of (|x| - (x < 0)) | 1: (64 - zeros) / 5 + 1
    constexpr GroupLayout() : deposit(), chars(), groups() {
        for (int z = 0; z < 64; ++z) groups[z] = static_cast<uint8_t>((64 - z) / 5 + 1);
        for (int L = 1; L <= 8; ++L) {
            deposit[L] = kGroupBits & low_bytes(L);
            chars[L] = (0x3030303030303030ull & low_bytes(L)) + (0x2020202020202020ull & low_bytes(L - 1));
        }
    }
};
static constexpr GroupLayout kLayout{};

#endif

template <class T>
int64_t codec_encode_t(const T* counts, int64_t n, char* out) noexcept {
    char* o = out;
    int64_t i = 0;
    // The first three counts are written as they are, the rest as deltas.
    for (; i < n && i < 3; ++i) o = put_value_scalar(static_cast<int64_t>(counts[i]), o);
#if defined(MC_BMI2)
    for (; i < n; ++i) {
        const int64_t x = static_cast<int64_t>(counts[i]) - static_cast<int64_t>(counts[i - 2]);
        const uint64_t u = static_cast<uint64_t>(x ^ (x >> 63)) | 1;  // |x| - (x < 0); | 1: 0 takes 1 group
        const int L = kLayout.groups[__builtin_clzll(u)];
        if (MC_UNLIKELY(L > 8)) {
            o = put_value_scalar(x, o);
            continue;
        }
        const uint64_t word = _pdep_u64(static_cast<uint64_t>(x), kLayout.deposit[L]) + kLayout.chars[L];
        std::memcpy(o, &word, 8);  // the bytes past L are overwritten next (the caller leaves 8 of slack)
        o += L;
    }
#endif
    for (; i < n; ++i) o = put_value_scalar(static_cast<int64_t>(counts[i]) - static_cast<int64_t>(counts[i - 2]), o);
    return o - out;
}

int64_t codec_encode(const uint32_t* c, int64_t n, char* out) { return codec_encode_t(c, n, out); }
int64_t codec_encode(const uint64_t* c, int64_t n, char* out) { return codec_encode_t(c, n, out); }
