// IoU matrices of RLEs (rle.hpp: iou_matrix).
//
// ALGORITHM. Each RLE is summarized once (scan_foreground: area, box, and
// intervals); a pair whose boxes do not overlap has IoU 0 without more work, as in
// pycocotools. For the pairs that overlap, the intersection is counted on bit
// columns: every mask is also stored as bits over its box, one 64-bit word per 64
// rows of each column it spans, at absolute word positions (row / 64), so two
// masks line up without shifting and the intersection over the boxes' common
// columns and words is an AND and a POPCNT per word:
//
//     column c of a:  [ w0 | w1 ]          words of a's box rows
//     column c of b:       [ w1 | w2 ]     words of b's box rows
//                          ^^^^ counted: popcount(a.w1 & b.w1)
//
// A walk over the two interval lists costs a dependent load per interval (about
// 8 cycles); a word holds 64 rows, so for objects taller than a few rows the bits
// are several times faster (4x on the 100x100 benchmark). Bit columns cost
// columns x words of memory per mask; a call whose masks need more than
// kBitBudget words (giant masks on giant images), or that has few pairs, keeps
// to the interval walk, which needs no extra memory. Both count exactly, so the
// path never changes a result.
#include <algorithm>
#include <memory>
#include <vector>

#include "../common/parallel.hpp"
#include "../common/thread_scratch.hpp"
#include "rle.hpp"

namespace maskcore::rle {
namespace {

constexpr int64_t kBitBudget = int64_t{1} << 24;  // words (128 MiB) of bit columns per call

// What the pair loop needs of one mask. The intervals and bit columns live in
// two buffers shared by the whole call (no allocation per mask: with threads,
// per-mask mallocs and their frees on the caller's thread cost more than the
// work they hold).
struct Summary {
    uint64_t area = 0;
    int64_t box[4] = {0, 0, 0, 0};
    uint64_t* intervals = nullptr;  // start, end pairs
    int64_t n_intervals = 0;
    // Bit columns over the box: column x0 + j, word w0 + k at bits[j * nw + k].
    int64_t x0 = 0, nc = 0, w0 = 0, nw = 0;
    uint64_t* bits = nullptr;
};

// Sets rows [r0, r1) of one column (words from w0 on). No branch on whether the
// rows share a word (about a third of intervals cross one): both end words are
// ORed, with the other end's mask folded in when they are the same word.
inline void set_rows(uint64_t* col, int64_t w0, int64_t r0, int64_t r1) noexcept {
    const int64_t wa = r0 >> 6, wb = (r1 - 1) >> 6;
    const uint64_t first = ~uint64_t{0} << (r0 & 63), last = ~uint64_t{0} >> (63 - ((r1 - 1) & 63));
    const uint64_t same = wa == wb ? ~uint64_t{0} : 0;
    col[wa - w0] |= first & (last | ~same);
    for (int64_t w = wa + 1; w < wb; ++w) col[w - w0] = ~uint64_t{0};
    col[wb - w0] |= last & (first | ~same);
}

// Sets s's bit-column layout from its box; returns its words (0 when empty).
int64_t layout_bits(Summary& s) noexcept {
    if (s.area == 0) return 0;
    s.x0 = s.box[0];
    s.nc = s.box[2];
    s.w0 = s.box[1] >> 6;
    s.nw = ((s.box[1] + s.box[3] - 1) >> 6) - s.w0 + 1;
    return s.nc * s.nw;
}

// Fills s.bits (zeroed, laid out by layout_bits) from s.intervals.
void fill_bits(int64_t h, Summary& s) noexcept {
    Cursor at(h);  // (row, column) of pos, without a division per interval
    uint64_t pos = 0;
    for (int64_t k = 0; k < s.n_intervals; ++k) {
        at.advance(s.intervals[2 * k] - pos);
        pos = s.intervals[2 * k];
        const uint64_t end = s.intervals[2 * k + 1];
        while (pos < end) {  // split the interval at column ends
            const int64_t r1 = std::min<int64_t>(h, at.r + static_cast<int64_t>(end - pos));
            const uint64_t piece = static_cast<uint64_t>(r1 - at.r);
            set_rows(s.bits + (at.c - s.x0) * s.nw, s.w0, at.r, r1);
            at.advance(piece);
            pos += piece;
        }
    }
}

// The two buffers of a call, kept per thread between calls (their page faults would
// otherwise be paid on every call), within the one scratch limit (thread_scratch.hpp).
struct IouScratch {
    RunBuf<uint64_t> intervals, bits;
    MC_SCRATCH_BYTES(intervals, bits)
};

class Scratch {
   public:
    uint64_t* intervals(int64_t n) noexcept { return get(lease_->intervals, n); }
    uint64_t* bits(int64_t n) noexcept { return get(lease_->bits, n); }

   private:
    ScratchLease<IouScratch> lease_;
    static uint64_t* get(RunBuf<uint64_t>& b, int64_t n) noexcept {
        b.size = 0;
        return b.reserve_more(n > 0 ? n : 1) ? b.data : nullptr;
    }
};

uint64_t intersect_bits(const Summary& a, const Summary& b, int64_t x0, int64_t x1) noexcept {
    const int64_t w0 = std::max(a.w0, b.w0), w1 = std::min(a.w0 + a.nw, b.w0 + b.nw);
    if (w0 >= w1) return 0;
    return kernels<uint64_t>().and_popcount(a.bits + (x0 - a.x0) * a.nw + (w0 - a.w0), a.nw,
                                            b.bits + (x0 - b.x0) * b.nw + (w0 - b.w0), b.nw, x1 - x0, w1 - w0);
}

}  // namespace

template <class T>
Status iou_matrix(const RleSet<T>& a, const RleSet<T>& b, const uint8_t* crowd, int threads, double* out) noexcept {
    const int64_t na = a.n, nb = b.n;
    if (na == 0 || nb == 0) return Status::ok;
    std::vector<Summary> sa, sb;
    try {
        sa.resize(static_cast<size_t>(na));
        sb.resize(static_cast<size_t>(nb));
    } catch (...) {
        return Status::bad_alloc;
    }
    // Work in about nanoseconds (measured on the 100x100 benchmark): ~3 per run
    // summarized, ~4 per pair checked; the thread count follows from it.
    // Interval slots: mask k has at most len + 1 interval ends, from slot[k] on.
    std::vector<int64_t> slot;
    try {
        slot.resize(static_cast<size_t>(na + nb + 1));
    } catch (...) {
        return Status::bad_alloc;
    }
    slot[0] = 0;
    for (int64_t k = 0; k < na + nb; ++k) slot[k + 1] = slot[k] + (k < na ? a.len(k) : b.len(k - na)) + 1;
    const uint64_t runs = static_cast<uint64_t>(slot[na + nb] - na - nb);
    const int nthreads = worth(threads, 3 * runs + 4 * static_cast<uint64_t>(na * nb), 50000);
    auto mask = [&](int64_t k) -> Summary& { return k < na ? sa[k] : sb[k - na]; };
    auto height = [&](int64_t k) { return k < na ? a.h(k) : b.h(k - na); };

    // Pass 1: area, box and intervals (in mask k's slots).
    Scratch scratch;
    uint64_t* iv = scratch.intervals(slot[na + nb]);
    if (!iv) return Status::bad_alloc;
    parallel_for(na + nb, nthreads, [&](int64_t k) {
        const RleSet<T>& x = k < na ? a : b;
        const int64_t i = k < na ? k : k - na;
        Summary& s = mask(k);
        s.intervals = iv + slot[k];
        const Foreground f = scan_foreground<T>(x.runs(i), x.len(i), x.h(i), x.w(i), s.box, s.intervals);
        s.area = f.area;
        s.n_intervals = f.intervals;
    });

    // Pass 2, when bit columns pay for their set-up (a mask meets several others:
    // at least kBitPairs pairs) and fit kBitBudget: lay them out, then fill them.
    // Otherwise (or for a mask without bits) pairs walk the intervals.
    constexpr int64_t kBitPairs = 64;
    if (na * nb >= kBitPairs) {
        int64_t words = 0;
        for (int64_t k = 0; k < na + nb; ++k) words += layout_bits(mask(k));
        uint64_t* bits = words <= kBitBudget ? scratch.bits(words) : nullptr;
        if (bits) {
            for (int64_t k = 0; k < na + nb; ++k) {
                Summary& s = mask(k);
                if (s.area) s.bits = bits;
                bits += s.nc * s.nw;
            }
            parallel_for(na + nb, nthreads, [&](int64_t k) {
                Summary& s = mask(k);
                if (!s.bits) return;
                std::fill(s.bits, s.bits + s.nc * s.nw, uint64_t{0});
                fill_bits(height(k), s);
            });
        }
    }

    parallel_for(na, nthreads, [&](int64_t i) {
        const Summary& p = sa[i];
        const uint64_t h = static_cast<uint64_t>(a.h(i));
        for (int64_t j = 0; j < nb; ++j) {
            const Summary& q = sb[j];
            const int64_t x0 = std::max(p.box[0], q.box[0]), x1 = std::min(p.box[0] + p.box[2], q.box[0] + q.box[2]);
            double v = 0.0;
            if (x0 < x1 && std::max(p.box[1], q.box[1]) < std::min(p.box[1] + p.box[3], q.box[1] + q.box[3])) {
                const uint64_t inter =
                    p.bits && q.bits ? intersect_bits(p, q, x0, x1)
                              : intervals_intersection(p.intervals, p.n_intervals, q.intervals, q.n_intervals,
                                                       static_cast<uint64_t>(x0) * h,
                                                       static_cast<uint64_t>(x1) * h);
                if (inter) {
                    const uint64_t uni = crowd[j] ? p.area : p.area + q.area - inter;
                    v = static_cast<double>(inter) / static_cast<double>(uni);
                }
            }
            out[i * nb + j] = v;
        }
    });
    return Status::ok;
}

template Status iou_matrix<uint32_t>(const RleSet<uint32_t>&, const RleSet<uint32_t>&, const uint8_t*, int, double*) noexcept;
template Status iou_matrix<uint64_t>(const RleSet<uint64_t>&, const RleSet<uint64_t>&, const uint8_t*, int, double*) noexcept;

}  // namespace maskcore::rle
