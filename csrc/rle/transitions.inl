// csrc/rle/transitions.inl — the body of rle::find_transitions, written once.
//
// Included by rle_<isa>.cpp inside namespace maskcore::rle::<isa>, after
// that ISA's target pragma, so each instantiation gets its own symbols (no ODR
// clash between, say, an AVX-512 and a baseline copy of the same inline function).
// A vector ISA defines MC_VEC and a policy struct V before including:
//   V::kWidth            bytes per step (32 or 64)
//   V::Vec, V::load(p), V::zero(), V::bit_or(a, b), V::reduce_or(v) -> uint8_t
//   V::nonzero_bits(v)   bit j set when byte j != 0 (bits >= kWidth are 0)
// The scalar loop below is both the reference (the whole scalar variant) and the
// tail of every vector loop, so the variants cannot drift apart.

// Scalar reference over [i, n); prev is nz of the byte before i (column scan).
// Words of 8 bytes in which nothing can change are skipped: equal to the row above
// (row scan), or all 0 / all 1 continuing the current value (column scan).
static inline int64_t scalar_range(const uint8_t* MC_RESTRICT a, const uint8_t* MC_RESTRICT b, int64_t i,
                                   int64_t n, uint8_t prev, uint32_t* MC_RESTRICT idx, int64_t k,
                                   uint8_t& acc) noexcept {
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    uint64_t wacc = 0;
    while (i < n) {
        for (; i + 8 <= n; i += 8) {
            uint64_t x, y = prev ? kOnes : 0;
            std::memcpy(&x, a + i, 8);
            if (b) std::memcpy(&y, b + i, 8);
            if (x != y) break;
            wacc |= x;
        }
        for (const int64_t stop = i + 8 < n ? i + 8 : n; i < stop; ++i) {
            const uint8_t v = a[i];
            acc |= v;
            const uint8_t cur = v != 0;
            const uint8_t before = b ? static_cast<uint8_t>(b[i] != 0) : prev;
            if (cur != before) idx[k++] = static_cast<uint32_t>(i);
            prev = cur;
        }
    }
    for (int s = 0; s < 64; s += 8) acc |= static_cast<uint8_t>(wacc >> s);
    return k;
}

#if defined(MC_VEC)
static inline int64_t emit_bits(uint64_t d, int64_t base, uint32_t* MC_RESTRICT idx, int64_t k) noexcept {
    while (d) {
        idx[k++] = static_cast<uint32_t>(base + __builtin_ctzll(d));
        d &= d - 1;
    }
    return k;
}
#endif

int64_t find_transitions(const uint8_t* a, const uint8_t* b, int64_t n, uint8_t carry, uint32_t* idx,
                         uint8_t* or_acc) {
    int64_t i = 0, k = 0;
    uint8_t acc = 0;
    uint8_t prev = carry != 0;
#if defined(MC_VEC)
    constexpr int W = V::kWidth;
    typename V::Vec vacc = V::zero();
    if (b) {
        for (; i + W <= n; i += W) {
            const auto va = V::load(a + i);
            vacc = V::bit_or(vacc, va);
            k = emit_bits(V::nonzero_bits(va) ^ V::nonzero_bits(V::load(b + i)), i, idx, k);
        }
    } else {
        constexpr uint64_t lanes = W == 64 ? ~uint64_t{0} : (uint64_t{1} << W) - 1;
        uint64_t prev_bit = prev;
        for (; i + W <= n; i += W) {
            const auto va = V::load(a + i);
            vacc = V::bit_or(vacc, va);
            const uint64_t m = V::nonzero_bits(va);
            k = emit_bits((m ^ ((m << 1) | prev_bit)) & lanes, i, idx, k);
            prev_bit = (m >> (W - 1)) & 1;
        }
        prev = static_cast<uint8_t>(prev_bit);
    }
    acc = V::reduce_or(vacc);
#endif
    k = scalar_range(a, b, i, n, prev, idx, k, acc);
    *or_acc |= acc;
    return k;
}
