// SIMD decoder for COCO's compressed RLE counts string (pycocotools' rleFrString).
// #included inside maskcore::rle::avx2 / ::avx512, compiled under the matching target
// pragma; <immintrin.h> and <cstdint> are included before. Entry points:
//   int64_t codec_decode(const char* s, int64_t len, uint32_t* out, uint64_t total);
//   int64_t codec_decode(const char* s, int64_t len, uint64_t* out, uint64_t total);
// Return the number of counts, or -1 when the string is invalid or outside the fast
// path (total >= 2^30): the caller then runs the scalar reference (rle.cpp), which
// decodes it or says why it is bad. `out` must have room for len + 32 entries.
//
// Design (total < 2^30):
//  Pass 1 turns chars into the signed values (int32, kept in `out`'s room: in place for
//  uint32, in the top half for uint64), 64 chars per block:
//   - the block's "a value ends here" mask E (chars without the 0x20 bit) and an OR of all
//     its (c - '0') bytes for the range check;
//   - if every value ending in the block is 1..3 chars (shifts of E and the previous
//     block's mask), each 8-char step takes the values ending in those 8 chars: a 10-bit key
//     (the 2 chars before + 8) picks a 32-byte pshufb mask from a constexpr table (32 KiB),
//     which puts each value's groups in one int32 lane (groups pre-converted so that a value's
//     last group is signed: sign extension is free); _mm256_maddubs_epi16 (weights 1, 32)
//     then _mm256_madd_epi16 (weights 1, 1024) give up to 8 values; k += the entry's count;
//   - otherwise the block's values are read one at a time by a scalar loop (|value| >= 2^30
//     cannot be valid: -1).
//  Pass 2 runs behind pass 1 (every 1024 chars, values still in L1), 8 values per step:
//  count[k] = value[k] + count[k-2] as an in-register stride-2 prefix sum plus the carried
//  last even/odd counts; the unsigned max of the counts (<= total: none negative or past
//  total) and the exact sum (== total) are accumulated and checked once at the end.

// Values are int32 written into `out`'s room (uint32_t or uint64_t storage).
typedef int32_t dec_i32 __attribute__((may_alias));

static inline bool dec_get_value(const char* s, int64_t len, int64_t& p, int64_t& value) noexcept {
    uint64_t v = 0;
    int shift = 0, c;
    do {
        if (p >= len || shift > 63) return false;
        c = static_cast<unsigned char>(s[p]) - 48;
        if (static_cast<unsigned>(c) > 63) return false;
        ++p;
        v |= static_cast<uint64_t>(c & 0x1f) << shift;
        shift += 5;
    } while (c & 0x20);
    const uint64_t sign = (static_cast<uint64_t>(c) >> 4) & 1;
    v |= shift < 64 ? (0 - sign) << shift : 0;
    value = static_cast<int64_t>(v);
    return true;
}

// shuf[key]: for the values ending in the step's 8 chars (key bits 2..9; bits 0, 1 are
// the 2 chars before), int32 lane j gets the value's groups (first, second or 0, third or 0,
// 0); byte 3 is 0x80 | the number of values. Window byte w = key bit w.
struct DecTables {
    uint8_t shuf[1024][32];
};
static constexpr DecTables dec_make_tables() {
    DecTables t{};
    for (int key = 0; key < 1024; ++key) {
        for (int i = 0; i < 32; ++i) t.shuf[key][i] = 0x80;
        int lane = 0, prev = -1;
        for (int w = 0; w < 10; ++w) {
            if (!((key >> w) & 1)) continue;
            if (w >= 2) {
                const int start = prev + 1, L = w - start + 1;
                if (L <= 3) {  // longer values never reach the table (scalar block)
                    for (int i = 0; i < L; ++i) t.shuf[key][4 * lane + i] = static_cast<uint8_t>(start + i);
                }
                ++lane;
            }
            prev = w;
        }
        t.shuf[key][3] = static_cast<uint8_t>(0x80 | lane);
    }
    return t;
}
alignas(64) static constexpr DecTables kDecTables = dec_make_tables();

// Groups with the last one of each value signed: g = c - '0'; g >= 16 ? g - 32 : g
// (a continued group 32..63 -> 0..31, a last group 16..31 -> -16..-1). c >= 64 <=> bit 6.
static inline __m256i dec_groups(__m256i raw) noexcept {
    const __m256i g = _mm256_sub_epi8(raw, _mm256_set1_epi8(48));
    return _mm256_sub_epi8(g, _mm256_and_si256(_mm256_srli_epi16(raw, 1), _mm256_set1_epi8(32)));
}

// Values ending in the 8 chars at p[0..8) (p[-2..14) readable); e = the table entry.
static inline void dec_step(const char* p, const uint8_t* e, dec_i32* dst) noexcept {
    const __m256i t = dec_groups(_mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p - 2))));
    const __m256i x = _mm256_shuffle_epi8(t, _mm256_load_si256(reinterpret_cast<const __m256i*>(e)));
    const __m256i v = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi16(0x2001), x), _mm256_set1_epi32(0x04000001));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), v);
}

// Pass 2 state: counts from values, 8 at a time, run behind pass 1 every 1024 chars so
// that the values are read back from L1. val may alias out (T = uint32: same index, read
// before written) or sit above it (T = uint64: val at byte 4 * (len + 32): out[i .. i + 8)
// never reaches val[i + 8]).
template <class T>
struct DecCounts {
    dec_i32* val;
    T* out;
    int64_t i = 0;
    bool adjusted = false;
    __m256i C = _mm256_setzero_si256();  // the last even / odd counts, in even / odd lanes
    __m256i mx = _mm256_setzero_si256();
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();

    inline __m256i step(int64_t j) noexcept {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(val + j));
        __m256i y = _mm256_add_epi32(x, _mm256_slli_si256(x, 8));
        // high half += the low half's last pair (dwords 2, 3)
        y = _mm256_add_epi32(y, _mm256_blend_epi32(_mm256_setzero_si256(), _mm256_permute4x64_epi64(y, 0x50), 0xF0));
        const __m256i c = _mm256_add_epi32(y, C);
        C = _mm256_add_epi32(C, _mm256_permute4x64_epi64(y, 0xFF));
        mx = _mm256_max_epu32(mx, c);
        if (sizeof(T) == 4) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j), c);
        } else {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j), _mm256_cvtepu32_epi64(_mm256_castsi256_si128(c)));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j + 4), _mm256_cvtepu32_epi64(_mm256_extracti128_si256(c, 1)));
        }
        return c;
    }
    // Counts for the values [i, n) in whole steps of 8.
    inline void run(int64_t n) noexcept {
        if (!adjusted) {
            if (n < 3) return;
            val[2] -= val[0];  // uniform rule: count[k] = value[k] + count[k - 2], k >= 2
            adjusted = true;
        }
        const __m256i lo32 = _mm256_set1_epi64x(0xFFFFFFFF);
        // Sums: 4 counts <= total < 2^30 fit a 32-bit lane (a count past total fails the max check).
        for (; i + 32 <= n; i += 32) {
            __m256i s = step(i);  // (sequenced: step updates C)
            s = _mm256_add_epi32(s, step(i + 8));
            s = _mm256_add_epi32(s, step(i + 16));
            s = _mm256_add_epi32(s, step(i + 24));
            acc0 = _mm256_add_epi64(acc0, _mm256_and_si256(s, lo32));
            acc1 = _mm256_add_epi64(acc1, _mm256_srli_epi64(s, 32));
        }
        for (; i + 8 <= n; i += 8) {
            const __m256i c = step(i);
            acc0 = _mm256_add_epi64(acc0, _mm256_and_si256(c, lo32));
            acc1 = _mm256_add_epi64(acc1, _mm256_srli_epi64(c, 32));
        }
    }
    // The last values, the checks; n or -1.
    inline int64_t finish(int64_t n, uint64_t total) noexcept {
        run(n);
        alignas(32) uint64_t a[4];
        alignas(32) uint32_t m[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(a), _mm256_add_epi64(acc0, acc1));
        _mm256_store_si256(reinterpret_cast<__m256i*>(m), mx);
        uint64_t sum = a[0] + a[1] + a[2] + a[3];
        uint32_t big = 0;
        for (int j = 0; j < 8; ++j) big = big > m[j] ? big : m[j];
        bool ok = big <= total;
        for (; i < n; ++i) {
            const int64_t c = static_cast<int64_t>(val[i]) + (i >= 2 ? static_cast<int64_t>(static_cast<uint32_t>(out[i - 2])) : 0);
            ok &= c >= 0 && static_cast<uint64_t>(c) <= total;
            sum += static_cast<uint64_t>(c) & 0xFFFFFFFF;
            out[i] = static_cast<T>(static_cast<uint32_t>(c));
        }
        return ok && sum == total ? n : -1;
    }
};

// Pass 1 (values into val[]) with pass 2 behind it. The count, or -1.
template <class T>
static inline int64_t dec_run(const char* s, int64_t len, dec_i32* val, T* out, uint64_t total) noexcept {
    DecCounts<T> counts{val, out};
    int64_t k = 0;
    uint64_t eprev = uint64_t{1} << 63;  // a value ends at position -1
    __m256i bad = _mm256_setzero_si256();
    alignas(32) char buf[96];
    const __m256i c48 = _mm256_set1_epi8(48);
    for (int64_t base = 0; base < len; base += 64) {
        const char* p;
        const int64_t rem = len - base;
        if (base >= 8 && rem >= 72) {
            p = s + base;
        } else {  // head / tail: a copy padded with '0' (a valid 1-char value, masked out of E)
            for (int i = 0; i < 96; ++i) {
                const int64_t q = base - 8 + i;
                buf[i] = (q >= 0 && q < len) ? s[q] : '0';
            }
            p = buf + 8;
        }
        const __m256i a = _mm256_sub_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), c48);
        const __m256i b = _mm256_sub_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)), c48);
        bad = _mm256_or_si256(bad, _mm256_or_si256(a, b));
        const uint64_t cont = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_slli_epi16(a, 2))) |
                              (static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_slli_epi16(b, 2)))) << 32);
        uint64_t e = ~cont;
        if (rem < 64) e &= (uint64_t{1} << rem) - 1;
        // Ends whose previous end is more than 3 chars back: values of 4+ chars.
        const uint64_t near = (e << 1 | eprev >> 63) | (e << 2 | eprev >> 62) | (e << 3 | eprev >> 61);
        if (__builtin_expect((e & ~near) == 0, 1)) {
            dec_i32* dst = val + k;
            const uint8_t* tab = &kDecTables.shuf[0][0];
            // Entry offset = key * 32: a rotate (rorx) and a mask; byte 3 = 0x80 + the count.
            const uint8_t* en = tab + ((((e << 2) | (eprev >> 62)) & 0x3FF) << 5);
            dec_step(p, en, dst);
            dst += static_cast<int>(en[3]) - 128;
#define MC_DEC_STEP(c)                                                              \
    en = tab + (((e >> (8 * (c) - 7)) | (e << (71 - 8 * (c)))) & (0x3FF << 5));   \
    dec_step(p + 8 * (c), en, dst);                                                 \
    dst += static_cast<int>(en[3]) - 128;
            MC_DEC_STEP(1)
            MC_DEC_STEP(2)
            MC_DEC_STEP(3)
            MC_DEC_STEP(4)
            MC_DEC_STEP(5)
            MC_DEC_STEP(6)
            MC_DEC_STEP(7)
#undef MC_DEC_STEP
            k = dst - val;
        } else {
            if (eprev == 0) return -1;  // a value of more than 64 chars
            int64_t q = base - __builtin_clzll(eprev);
            for (int n = __builtin_popcountll(e); n > 0; --n) {
                int64_t v;
                if (!dec_get_value(s, len, q, v)) return -1;
                if (v >= (int64_t{1} << 30) || v <= -(int64_t{1} << 30)) return -1;
                val[k++] = static_cast<int32_t>(v);
            }
        }
        eprev = e;
        if ((base & 1023) == 1024 - 64) counts.run(k);
    }
    // Every char in '0'..'o' (c - '0' < 64), and the last one ends a value.
    if (!_mm256_testz_si256(bad, _mm256_set1_epi8(static_cast<char>(0xC0)))) return -1;
    if (len > 0 && ((static_cast<unsigned char>(s[len - 1]) - 48) & 0x20)) return -1;
    return counts.finish(k, total);
}

int64_t codec_decode(const char* s, int64_t len, uint32_t* out, uint64_t total) {
    if (len < 0) return -1;
    if (total >= (uint64_t{1} << 30)) return -1;  // counts may not fit the int32 lanes
    return dec_run(s, len, reinterpret_cast<dec_i32*>(out), out, total);
}

int64_t codec_decode(const char* s, int64_t len, uint64_t* out, uint64_t total) {
    if (len < 0) return -1;
    if (total >= (uint64_t{1} << 30)) return -1;
    return dec_run(s, len, reinterpret_cast<dec_i32*>(out) + (len + 32), out, total);
}
