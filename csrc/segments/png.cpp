// csrc/segments/png.cpp — PNG scanline unfiltering; see png.hpp.
#include "png.hpp"

#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <utility>

namespace maskcore::segments {
namespace {

inline uint8_t paeth(int a, int b, int c) {
    const int p = a + b - c;
    const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
    if (pa <= pb && pa <= pc) return static_cast<uint8_t>(a);
    if (pb <= pc) return static_cast<uint8_t>(b);
    return static_cast<uint8_t>(c);
}

}  // namespace

Status png_unfilter(const uint8_t* raw, int64_t rows, int64_t n, int bpp, uint8_t* out, int64_t& bad_row) noexcept {
    bad_row = -1;
    if (rows < 0 || n < 0 || bpp < 1 || bpp > 8) return Status::invalid_argument;
    const int64_t lead = bpp < n ? bpp : n;  // bytes with no left neighbour
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t* MC_RESTRICT x = raw + r * (n + 1) + 1;
        uint8_t* MC_RESTRICT o = out + r * n;
        const uint8_t* MC_RESTRICT up = r ? out + (r - 1) * n : nullptr;
        int f = raw[r * (n + 1)];
        if (!up && f == 2) f = 0;  // Up in row 0: b = 0
        switch (f) {
            case 0:
                for (int64_t i = 0; i < n; ++i) o[i] = x[i];
                break;
            case 1:
                for (int64_t i = 0; i < lead; ++i) o[i] = x[i];
                for (int64_t i = lead; i < n; ++i) o[i] = static_cast<uint8_t>(x[i] + o[i - bpp]);
                break;
            case 2:
                for (int64_t i = 0; i < n; ++i) o[i] = static_cast<uint8_t>(x[i] + up[i]);
                break;
            case 3:
                if (up) {
                    for (int64_t i = 0; i < lead; ++i) o[i] = static_cast<uint8_t>(x[i] + (up[i] >> 1));
                    for (int64_t i = lead; i < n; ++i)
                        o[i] = static_cast<uint8_t>(x[i] + ((o[i - bpp] + up[i]) >> 1));
                } else {
                    for (int64_t i = 0; i < lead; ++i) o[i] = x[i];
                    for (int64_t i = lead; i < n; ++i) o[i] = static_cast<uint8_t>(x[i] + (o[i - bpp] >> 1));
                }
                break;
            case 4:
                if (up) {  // paeth(0, b, 0) = b at the row start
                    for (int64_t i = 0; i < lead; ++i) o[i] = static_cast<uint8_t>(x[i] + up[i]);
                    for (int64_t i = lead; i < n; ++i)
                        o[i] = static_cast<uint8_t>(x[i] + paeth(o[i - bpp], up[i], up[i - bpp]));
                } else {  // row 0: paeth(a, 0, 0) = a, i.e. Sub
                    for (int64_t i = 0; i < lead; ++i) o[i] = x[i];
                    for (int64_t i = lead; i < n; ++i) o[i] = static_cast<uint8_t>(x[i] + o[i - bpp]);
                }
                break;
            default:
                bad_row = r;
                return Status::invalid_value;
        }
    }
    return Status::ok;
}

}  // namespace maskcore::segments

namespace maskcore::segments {
namespace {

// Deflate's length symbols 257..285: the least length of each and its extra bits.
constexpr int kLenBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                              31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr int kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};

inline uint32_t reverse_bits(uint32_t code, int n) {
    uint32_t r = 0;
    for (int i = 0; i < n; ++i) r |= ((code >> i) & 1u) << (n - 1 - i);
    return r;
}

// Bits leave least significant first (RFC 1951 3.1.1); Huffman codes are stored reversed.
class BitWriter {
public:
    explicit BitWriter(RunBuf<uint8_t>& out) : out_(out) {}
    bool put(uint64_t bits, int n) noexcept {
        acc_ |= bits << nbits_;
        nbits_ += n;
        if (nbits_ >= 32) {
            if (!out_.reserve_more(4)) return false;
            for (int i = 0; i < 4; ++i) out_.push_unchecked(static_cast<uint8_t>(acc_ >> (8 * i)));
            acc_ >>= 32;
            nbits_ -= 32;
        }
        return true;
    }
    bool flush() noexcept {  // pad to a byte boundary
        while (nbits_ > 0) {
            if (!out_.push(static_cast<uint8_t>(acc_))) return false;
            acc_ >>= 8;
            nbits_ -= nbits_ >= 8 ? 8 : nbits_;
        }
        acc_ = 0;
        nbits_ = 0;
        return true;
    }

private:
    RunBuf<uint8_t>& out_;
    uint64_t acc_ = 0;
    int nbits_ = 0;
};

struct FixedCodes {  // the fixed literal/length code of RFC 1951 3.2.6, reversed for the writer
    uint32_t code[288];
    int len[288];
    uint32_t len_bits[259];  // length 3..258: symbol code + extra bits, ready to write
    int len_nbits[259];
    FixedCodes() {
        for (int s = 0; s < 288; ++s) {
            int n;
            uint32_t c;
            if (s < 144) n = 8, c = 0x30 + s;
            else if (s < 256) n = 9, c = 0x190 + (s - 144);
            else if (s < 280) n = 7, c = s - 256;
            else n = 8, c = 0xC0 + (s - 280);
            code[s] = reverse_bits(c, n);
            len[s] = n;
        }
        for (int l = 3; l <= 258; ++l) {
            int k = 28;
            while (kLenBase[k] > l) --k;
            const int sym = 257 + k;
            len_bits[l] = code[sym] | (static_cast<uint32_t>(l - kLenBase[k]) << len[sym]);
            len_nbits[l] = len[sym] + kLenExtra[k];
        }
    }
};

const FixedCodes& fixed_codes() {
    static const FixedCodes t;
    return t;
}

struct Adler32 {
    uint32_t a = 1, b = 0;
    // Blocks of 32 bytes: a += sum p[j]; b += 32*a_before + sum (32 - j)*p[j] -- sums the
    // compiler vectorizes, where the byte-by-byte recurrence is a chain of dependent adds.
    void update(const uint8_t* p, int64_t n) {
        uint32_t x = a, y = b;  // locals: a uint8_t pointer may alias the members
        while (n > 0) {
            int64_t k = n < 5536 ? n : 5536;  // under NMAX = 5552 (no uint32 overflow), a multiple of 32
            n -= k;
            for (; k >= 32; k -= 32, p += 32) {
                uint32_t s1 = 0, s2 = 0;
                for (int j = 0; j < 32; ++j) {
                    s1 += p[j];
                    s2 += static_cast<uint32_t>(32 - j) * p[j];
                }
                y += 32 * x + s2;
                x += s1;
            }
            for (; k > 0; --k, ++p) {
                x += *p;
                y += x;
            }
            x %= 65521u;
            y %= 65521u;
        }
        a = x;
        b = y;
    }
    void zeros(int64_t n) {  // n zero bytes: a unchanged, b += n*a
        b = static_cast<uint32_t>((b + static_cast<uint64_t>(a) * static_cast<uint64_t>(n % 65521)) % 65521u);
    }
};

// Deflate's distance codes 0..29: the least distance of each and its extra bits.
constexpr int kDistBase[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                               193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr int kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

struct DistCodes {  // distance -> code for distances up to 1024 (the rest: a short search)
    uint8_t code[1025];
    DistCodes() {
        for (int d = 1; d <= 1024; ++d) {
            int k = 29;
            while (kDistBase[k] > d) --k;
            code[d] = static_cast<uint8_t>(k);
        }
    }
};

bool put_match(BitWriter& w, const FixedCodes& t, int64_t len, int64_t dist) noexcept {
    static const DistCodes dc;
    int k;
    if (dist <= 1024) {
        k = dc.code[dist];
    } else {
        k = 29;
        while (kDistBase[k] > dist) --k;
    }
    const uint64_t d = reverse_bits(static_cast<uint32_t>(k), 5) |
                       (static_cast<uint64_t>(dist - kDistBase[k]) << 5);
    return w.put(t.len_bits[len], t.len_nbits[len]) && w.put(d, 5 + kDistExtra[k]);
}

// Emits bytes while tracking what the stream ends with (`last`, standing `have` times in a
// row). A run of the last byte becomes matches at a distance as long as the run so far (up to
// 32768), each at most that long while it is short: an inflater copies a match byte by byte,
// and a short distance makes every byte wait for the one it has just written (distance 1:
// several times slower than a long one); a distance of 64 or more copies freely.
struct Emitter {
    BitWriter& w;
    const FixedCodes& t;
    uint8_t last = 0;
    int64_t have = 0;

    bool literal(uint8_t b) noexcept {
        have = (have && b == last) ? have + 1 : 1;
        last = b;
        return w.put(t.code[b], t.len[b]);
    }
    bool repeat(int64_t run) noexcept {  // `run` more copies of `last` (have >= 1)
        while (run >= 3) {
            const int64_t d = have < 32768 ? have : 32768;
            int64_t l = run < 258 ? run : 258;
            if (d < 64 && l > d) l = d < 3 ? 3 : d;
            if (!put_match(w, t, l, d)) return false;
            have += l;
            run -= l;
        }
        for (; run > 0; --run)
            if (!literal(last)) return false;
        return true;
    }
    // Bytes f[0..n); `above` (may be null): the n bytes `dist` back in the stream. A stretch equal
    // to the bytes above (filtered label-map rows are mostly zeros where the row above is too,
    // and slanted edges repeat) becomes matches at that distance; else a run of the last byte
    // becomes matches (repeat); else a literal.
    bool bytes(const uint8_t* f, int64_t n, const uint8_t* above, int64_t dist) noexcept {
        int64_t i = 0;
        while (i < n) {
            if (above) {
                int64_t m = 0;
                for (uint64_t x, y; i + m + 8 <= n; m += 8) {
                    std::memcpy(&x, f + i + m, 8);
                    std::memcpy(&y, above + i + m, 8);
                    if (x != y) break;
                }
                while (i + m < n && f[i + m] == above[i + m]) ++m;
                if (m >= 8) {  // long enough to beat a run (a short one costs more bits than it saves)
                    int64_t run = m;
                    while (run >= 3) {
                        const int64_t l = run < 258 ? run : 258;
                        if (!put_match(w, t, l, dist)) return false;
                        run -= l;
                    }
                    const int64_t end = i + m - run;
                    last = f[end - 1];
                    have = 1;
                    for (int64_t k = end; k < i + m; ++k)
                        if (!literal(f[k])) return false;
                    i += m;
                    continue;
                }
            }
            int64_t run = 0;
            if (have) {
                const uint64_t pat = 0x0101010101010101ull * last;
                for (uint64_t x; i + run + 8 <= n; run += 8) {
                    std::memcpy(&x, f + i + run, 8);
                    if (x != pat) break;
                }
                while (i + run < n && f[i + run] == last) ++run;
            }
            if (run >= 3) {
                if (!repeat(run)) return false;
                i += run;
            } else {
                if (!literal(f[i])) return false;
                ++i;
            }
        }
        return true;
    }
    // A row equal to the one before it in the stream (`len` bytes back): copies of it.
    bool copy_row(const uint8_t* row, int64_t len) noexcept {
        int64_t run = len;
        while (run >= 3) {
            const int64_t l = run < 258 ? run : 258;
            if (!put_match(w, t, l, len)) return false;
            run -= l;
        }
        have = 0;  // the stream ends with row[len - 1], standing at least once (a safe count)
        for (int64_t i = len - run; i < len; ++i)
            if (!literal(row[i])) return false;
        if (run == 0) {
            last = row[len - 1];
            have = 1;
        }
        return true;
    }
};

}  // namespace

Status png_deflate_map(const PixelView& v, RunBuf<uint8_t>& out) noexcept {
    if (v.rows < 1 || v.cols < 1 || v.bpp < 1 || v.bpp > 4 || v.cols > INT64_MAX / 16) return Status::invalid_argument;
    const int64_t n = v.cols * v.bpp, stride = n + 1;
    uint8_t* buf = static_cast<uint8_t*>(std::malloc(static_cast<size_t>(2 * n + 2 * stride)));
    if (!buf) return Status::bad_alloc;
    uint8_t* cur = buf;
    uint8_t* prev = cur + n;
    uint8_t* filt = prev + n;       // this row filtered: filter byte + n bytes
    uint8_t* filt_prev = filt + stride;
    const FixedCodes& t = fixed_codes();
    Adler32 adler;
    BitWriter w(out);
    Emitter e{w, t};
    bool ok = out.reserve_more(64 + n / 16) && w.put(0x78, 8) && w.put(0x01, 8) && w.put(1, 1) && w.put(1, 2);
    // Column-major one-byte maps (a label map as painted): rows are gathered kBand at a time, each
    // column's kBand bytes read in one go (they are adjacent), so every cache line read serves
    // kBand rows; read a row at a time, each pixel would be its own cache line.
    constexpr int64_t kBand = 32;
    const bool by_band = v.bpp == 1 && v.row_stride == 1 && v.col_stride >= v.rows && v.rows >= 2 * kBand;
    uint8_t* band = nullptr;
    if (by_band && !(band = static_cast<uint8_t*>(std::malloc(static_cast<size_t>(kBand * n))))) {
        std::free(buf);
        return Status::bad_alloc;
    }
    for (int64_t r = 0; ok && r < v.rows; ++r) {
        const uint8_t* row = v.base + r * v.row_stride;
        if (by_band) {
            const int64_t r0 = r - r % kBand, nb = std::min<int64_t>(kBand, v.rows - r0);
            if (r == r0) {
                for (int64_t c = 0; c < v.cols; ++c) {
                    const uint8_t* col = v.base + c * v.col_stride + r0;
                    for (int64_t j = 0; j < nb; ++j) band[j * n + c] = col[j];
                }
            }
            std::memcpy(cur, band + (r - r0) * n, static_cast<size_t>(n));
        } else if (v.bpp == 1 && v.col_stride == 1) {
            std::memcpy(cur, row, static_cast<size_t>(n));
        } else {
            for (int64_t c = 0; c < v.cols; ++c) {
                const uint8_t* el = row + c * v.col_stride;
                for (int j = 0; j < v.bpp; ++j) cur[c * v.bpp + j] = el[v.byte_offset[j]];
            }
        }
        uint8_t* f = filt + 1;
        bool zero = false;
        if (r == 0) {
            filt[0] = 1;  // Sub
            for (int64_t i = 0; i < n; ++i) f[i] = static_cast<uint8_t>(cur[i] - (i >= v.bpp ? cur[i - v.bpp] : 0));
        } else {
            filt[0] = 2;  // Up
            zero = std::memcmp(cur, prev, static_cast<size_t>(n)) == 0;
            if (zero)
                std::memset(f, 0, static_cast<size_t>(n));
            else
                for (int64_t i = 0; i < n; ++i) f[i] = static_cast<uint8_t>(cur[i] - prev[i]);
        }
        if (zero) {
            adler.update(filt, 1);
            adler.zeros(n);
        } else {
            adler.update(filt, stride);
        }
        if (r > 0 && stride <= 32768 && std::memcmp(filt, filt_prev, static_cast<size_t>(stride)) == 0)
            ok = e.copy_row(filt, stride);
        else
            ok = e.bytes(filt, stride, r > 0 && stride <= 32768 ? filt_prev : nullptr, stride);
        std::swap(cur, prev);
        std::swap(filt, filt_prev);
    }
    std::free(buf);
    std::free(band);
    ok = ok && w.put(t.code[256], t.len[256]) && w.flush();
    if (ok) {
        const uint32_t sum = (adler.b << 16) | adler.a;
        for (int i = 3; ok && i >= 0; --i) ok = out.push(static_cast<uint8_t>(sum >> (8 * i)));
    }
    return ok ? Status::ok : Status::bad_alloc;
}

}  // namespace maskcore::segments
