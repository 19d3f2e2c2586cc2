// Crack following with hierarchy: see contour.hpp for the algorithm and conventions.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "../common/thread_scratch.hpp"
#include "contour.hpp"

#ifdef MC_X86_64
#include <emmintrin.h>
#endif

namespace maskcore::contour {
namespace {


// A growable per-thread buffer. get_zeroed hands out memory that is all zero, on the
// caller's promise to leave it zero (or to drop() it).
struct Scratch {
    void* p = nullptr;
    size_t cap = 0;
    bool zero = false;  // the first cap bytes are known to be 0
    Scratch() = default;
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    Scratch& operator=(Scratch&& o) noexcept {
        if (this != &o) {
            std::free(p);
            p = o.p;
            cap = o.cap;
            zero = o.zero;
            o.p = nullptr;
            o.cap = 0;
            o.zero = false;
        }
        return *this;
    }
    ~Scratch() { std::free(p); }
    size_t scratch_bytes() const noexcept { return cap; }
    void drop() noexcept {
        std::free(p);
        p = nullptr;
        cap = 0;
        zero = false;
    }
    void* get(size_t n) noexcept {
        if (n > cap) {
            drop();
            p = std::malloc(n ? n : 1);
            if (!p) return nullptr;
            cap = n;
        }
        zero = false;
        return p;
    }
    void* get_zeroed(size_t n) noexcept {
        if (n > cap || !zero) {
            drop();
            p = std::calloc(n ? n : 1, 1);
            if (!p) return nullptr;
            cap = n;
            zero = true;
        }
        return p;
    }
};

// The copy (strided input) and the crack marks, kept per thread within the one scratch
// limit (csrc/common/thread_scratch.hpp).
struct TraceScratch {
    Scratch copy, mark;
    MC_SCRATCH_BYTES(copy, mark)
};

// Per label: the last vertical crack of that label met on the current row (its
// ring), or none (row != the current row). Direct table for uint8, else open
// addressing keyed by the value.
template <class T>
struct LabelState {
    struct Slot {
        T key;
        bool used;
        int64_t row;
        int64_t ring;
    };
    Slot* slots = nullptr;
    int64_t cap = 0, used = 0;
    ~LabelState() { std::free(slots); }

    bool init() noexcept {
        cap = sizeof(T) == 1 ? 256 : 64;
        slots = static_cast<Slot*>(std::calloc(static_cast<size_t>(cap), sizeof(Slot)));
        return slots != nullptr;
    }
    static uint64_t hash(T v) noexcept {
        uint64_t x = static_cast<uint64_t>(static_cast<int64_t>(v)) * 0x9E3779B97F4A7C15ull;
        return x ^ (x >> 29);
    }
    // The slot of v (a new one, row -1, when first seen); null when memory runs out.
    Slot* get(T v) noexcept {
        if constexpr (sizeof(T) == 1) {
            Slot* s = &slots[static_cast<uint8_t>(v)];
            if (!s->used) { s->used = true; s->key = v; s->row = -1; }
            return s;
        } else {
            for (;;) {
                uint64_t i = hash(v) & static_cast<uint64_t>(cap - 1);
                for (;; i = (i + 1) & static_cast<uint64_t>(cap - 1)) {
                    Slot* s = &slots[i];
                    if (s->used && s->key == v) return s;
                    if (!s->used) break;
                }
                if (2 * (used + 1) <= cap) {
                    Slot* s = &slots[i];
                    s->used = true; s->key = v; s->row = -1;
                    ++used;
                    return s;
                }
                if (!grow()) return nullptr;
            }
        }
    }
    bool grow() noexcept {
        const int64_t ncap = cap * 2;
        Slot* n = static_cast<Slot*>(std::calloc(static_cast<size_t>(ncap), sizeof(Slot)));
        if (!n) return false;
        for (int64_t j = 0; j < cap; ++j) {
            if (!slots[j].used) continue;
            uint64_t i = hash(slots[j].key) & static_cast<uint64_t>(ncap - 1);
            while (n[i].used) i = (i + 1) & static_cast<uint64_t>(ncap - 1);
            n[i] = slots[j];
        }
        std::free(slots);
        slots = n;
        cap = ncap;
        return true;
    }
};

enum : int { E = 0, S = 1, W = 2, N = 3 };

template <class T>
struct Walker {
    const T* base;   // source pixel (r, c) is base[r * rs + c]; outside [0, h) x [0, w) reads as 0
    int64_t rs, h, w;
    int64_t stride;  // framed width w + 2: marks and chains use framed pixel indices
    bool conn8, exact;
    uint32_t* mark_n;  // per framed pixel: 1 + ring of the crack on its left walked N (L east of it)
    uint32_t* mark_s;  // ... walked S (L west of it); the same array as mark_n for binary masks
    Traced& out;
    RunBuf<int64_t> chain;  // centre mode: the L pixels of the ring being walked
    int64_t step[4], off_l[4];

    Walker(const T* b, int64_t row_stride, int64_t h_, int64_t w_, const Options& o, uint32_t* mn, uint32_t* ms,
           Traced& t)
        : base(b), rs(row_stride), h(h_), w(w_), stride(w_ + 2), conn8(o.connectivity == 8), exact(o.exact),
          mark_n(mn), mark_s(ms), out(t) {
        const int64_t st = stride;
        const int64_t s_[4] = {1, st, -1, -st};
        const int64_t l_[4] = {0, -1, -st - 1, -st};  // the L pixel beside the crack leaving a corner
        for (int i = 0; i < 4; ++i) { step[i] = s_[i]; off_l[i] = l_[i]; }
    }

    // Is source pixel (r, c) in L? (false outside the image: the frame of 0s)
    bool in(T L, int64_t r, int64_t c) const noexcept {
        return static_cast<uint64_t>(r) < static_cast<uint64_t>(h) && static_cast<uint64_t>(c) < static_cast<uint64_t>(w) &&
               base[r * rs + c] == L;
    }

    bool emit(double x, double y) noexcept {
        if (!out.xy.reserve_more(2)) return false;
        out.xy.push_unchecked(x);
        out.xy.push_unchecked(y);
        return true;
    }

    // Walks the ring of label L through the crack leaving corner `start` (a framed
    // pixel index = the corner at its top left) in direction d0. Returns false when
    // memory runs out; area2 = twice the signed area.
    bool walk(T L, int64_t start, int d0, uint32_t tag, int64_t& area2) noexcept {
        static constexpr int dx[4] = {1, 0, -1, 0};
        static constexpr int dy[4] = {0, 1, 0, -1};
        // The two pixels ahead of framed corner (x, y) moving in d, as source (row, col)
        // offsets from (y, x): a on the non-L side, b on the L side.
        //   E: a = NE, b = SE    S: a = SE, b = SW    W: a = SW, b = NW    N: a = NW, b = NE
        static constexpr int ar[4] = {-2, -1, -1, -2}, ac[4] = {-1, -1, -2, -2};
        static constexpr int br[4] = {-1, -1, -2, -2}, bc[4] = {-1, -2, -2, -1};
        int64_t idx = start;
        int64_t x = start % stride, y = start / stride;
        // po: offset of the source pixel south-east of the corner (framed (y, x) = source
        // (y - 1, x - 1)); away from the border the four pixels round the corner are at
        // po - rs - 1 .. po. (An offset, not a pointer: on the border it points outside.)
        int64_t po = (y - 1) * rs + (x - 1);
        const int64_t pstep[4] = {1, rs, -1, -rs};
        const int64_t pa[4] = {-rs, 0, -1, -rs - 1}, pb[4] = {0, -1, -rs - 1, -rs};
        int d = d0;
        int64_t a2 = 0;
        int64_t last = -1;
        chain.size = 0;
        if (exact && !emit(static_cast<double>(x - 1), static_cast<double>(y - 1))) return false;
        for (;;) {
            switch (d) {
                case E: a2 -= y; break;
                case S: a2 += x; mark_s[idx] = tag; break;
                case W: a2 += y; break;
                default: a2 -= x; mark_n[idx - stride] = tag; break;
            }
            if (!exact) {
                const int64_t p = idx + off_l[d];
                if (p != last) {
                    if (!chain.push(p)) return false;
                    last = p;
                }
            }
            idx += step[d];
            x += dx[d];
            y += dy[d];
            po += pstep[d];
            bool a, b;
            if (static_cast<uint64_t>(x - 2) < static_cast<uint64_t>(w - 1) &&
                static_cast<uint64_t>(y - 2) < static_cast<uint64_t>(h - 1)) {  // all four pixels inside
                a = base[po + pa[d]] == L;
                b = base[po + pb[d]] == L;
            } else {
                a = in(L, y + ar[d], x + ac[d]);
                b = in(L, y + br[d], x + bc[d]);
            }
            int nd;
            if (conn8) nd = a ? d + 3 : (b ? d : d + 1);
            else nd = !b ? d + 1 : (a ? d + 3 : d);
            nd &= 3;
            if (idx == start && nd == d0) break;
            if (nd != d && exact && !emit(static_cast<double>(x - 1), static_cast<double>(y - 1))) return false;
            d = nd;
        }
        area2 = a2;
        return exact || emit_chain();
    }

    // The centre chain, cyclic repeats dropped, compressed to the points where the
    // direction (a framed index difference) changes, cyclically (OpenCV's
    // CHAIN_APPROX_SIMPLE: it keeps its start point only where the chain turns, so
    // the kept set does not depend on where the walk starts).
    bool emit_chain() noexcept {
        const int64_t* s = chain.data;
        int64_t n = chain.size;
        while (n > 1 && s[n - 1] == s[0]) --n;
        if (!out.xy.reserve_more(2 * n)) return false;
        auto put = [&](int64_t p) {
            out.xy.push_unchecked(static_cast<double>(p % stride) - 0.5);
            out.xy.push_unchecked(static_cast<double>(p / stride) - 0.5);
        };
        if (n == 1) {
            put(s[0]);
            return true;
        }
        for (int64_t i = 0; i < n; ++i) {
            const int64_t prev = s[i == 0 ? n - 1 : i - 1], next = s[i + 1 < n ? i + 1 : 0];
            if (s[i] - prev != next - s[i]) put(s[i]);
        }
        return true;
    }
};

// Index of the first position in [x, end) where row[i - 1] != row[i], or end
// (x >= 1). SSE2 is part of x86-64, so every ISA runs the same code here.
template <class T>
inline int64_t next_change(const T* row, int64_t x, int64_t end) noexcept {
#ifdef MC_X86_64
    constexpr int64_t lanes = 16 / static_cast<int64_t>(sizeof(T));
    while (x + 2 * lanes <= end) {
        const __m128i p0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x - 1));
        const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x));
        const __m128i p1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x - 1 + lanes));
        const __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x + lanes));
        const unsigned same = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(p0, q0))) |
                              static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(p1, q1))) << 16;
        if (same != 0xFFFFFFFFu)  // the first differing byte belongs to the first differing element
            return x + __builtin_ctz(~same) / static_cast<int>(sizeof(T));
        x += 2 * lanes;
    }
#else
    if constexpr (sizeof(T) == 1) {
        while (x + 8 <= end) {
            uint64_t p, q;
            std::memcpy(&p, row + x - 1, 8);
            std::memcpy(&q, row + x, 8);
            if (p != q) break;
            x += 8;
        }
    }
#endif
    while (x < end && row[x - 1] == row[x]) ++x;
    return x;
}

// The image as rows with unit column stride: the input itself when its columns are
// contiguous, else a C-ordered copy (64 x 64 tiles, so that a Fortran-ordered input
// is read and written a cache line at a time).
template <class T>
const T* unit_rows(View2D<const T> img, T* scratch, int64_t& row_stride) noexcept {
    const int64_t h = img.rows, w = img.cols;
    if (img.col_stride == 1) {
        row_stride = img.row_stride;
        return img.data;
    }
    constexpr int64_t B = 64;
    for (int64_t r0 = 0; r0 < h; r0 += B)
        for (int64_t c0 = 0; c0 < w; c0 += B) {
            const int64_t r1 = r0 + B < h ? r0 + B : h, c1 = c0 + B < w ? c0 + B : w;
            for (int64_t c = c0; c < c1; ++c)
                for (int64_t r = r0; r < r1; ++r) scratch[r * w + c] = *img.at(r, c);
        }
    row_stride = w;
    return scratch;
}

}  // namespace

template <class T, class R>
Status bad_value(ErrorInfo& err, int64_t r, int64_t c, int64_t w, T v, R& release) noexcept {
    err.index = r * w + c;
    err.value = static_cast<int64_t>(v);
    release.clean = false;  // marks may be dirty: drop them
    return Status::invalid_value;
}

template <class T>
Status trace(View2D<const T> img, bool binary, const Options& opt, Traced& out, ErrorInfo& err) noexcept {
    const int64_t h = img.rows, w = img.cols;
    if (h < 0 || w < 0 || (opt.connectivity != 4 && opt.connectivity != 8)) return Status::invalid_argument;
    if (h == 0 || w == 0) return Status::ok;
    if (h > INT32_MAX - 2 || w > INT32_MAX - 2 || (h + 2) * (w + 2) >= INT32_MAX) return Status::overflow;
    const int64_t stride = w + 2, total = (h + 2) * stride;

    // Scratch kept per thread between calls (allocating and zeroing the crack marks on
    // every call cost as much as the whole scan on 640x480 masks). The marks are all 0
    // between calls: the row scan clears each one after reading it, the last time it
    // is needed (a ring found on row y has no crack before (y, x) in raster order).
    ScratchLease<TraceScratch> lease;
    Scratch& copy_buf = lease->copy;
    Scratch& mark_buf = lease->mark;
    const int64_t n_marks = binary ? total : 2 * total;
    T* scratch = nullptr;
    if (img.col_stride != 1) {
        scratch = static_cast<T*>(copy_buf.get(static_cast<size_t>(h * w) * sizeof(T)));
        if (!scratch) return Status::bad_alloc;
    }
    uint32_t* marks = static_cast<uint32_t*>(mark_buf.get_zeroed(static_cast<size_t>(n_marks) * sizeof(uint32_t)));
    if (!marks) return Status::bad_alloc;
    struct Release {  // on every exit: drop marks left dirty by an error (the lease then keeps the rest in bounds)
        Scratch& b;
        bool clean = false;
        ~Release() {
            if (!clean) b.drop();
        }
    } release{mark_buf};
    int64_t rs = 0;
    const T* base = unit_rows(img, scratch, rs);
    Status st = Status::ok;
    uint32_t* const mn = marks;
    uint32_t* const ms = binary ? marks : marks + total;
    LabelState<T> state;
    if (!state.init()) return Status::bad_alloc;
    RunBuf<int64_t> ring_region;  // the non-L region beside each ring: -1 outside, else its hole ring
    Walker<T> walker(base, rs, h, w, opt, mn, ms, out);

    auto new_ring = [&](int64_t comp, int64_t region) -> bool {
        return out.ring_comp.push(comp) && ring_region.push(region);
    };

    // The crack at (row y0, x) separates pixels x - 1 and x of row y0 (x in [0, w]).
    int64_t y0 = 0;
    auto crack = [&](T u, T v, int64_t x) -> Status {
        const int64_t idx = (y0 + 1) * stride + (x + 1);
        if (u != 0) {  // u ends: L = u on the west of the crack
            uint32_t r = ms[idx];
            auto* s = state.get(u);
            if (!s) return Status::bad_alloc;
            if (r == 0) {  // a new hole of the component of u's run that ends here
                if (s->row != y0) return Status::invalid_argument;  // unreachable: u's run started on this row
                const int64_t comp = out.ring_comp.data[s->ring];
                const int64_t ring = out.ring_comp.size;
                if (!new_ring(comp, ring)) return Status::bad_alloc;
                int64_t area2 = 0;
                if (!walker.walk(u, idx, S, static_cast<uint32_t>(ring + 1), area2) ||
                    !out.ring_end.push(out.xy.size / 2))
                    return Status::bad_alloc;
                out.comp_area.data[comp] += area2 / 2;
                r = static_cast<uint32_t>(ring + 1);
            }
            ms[idx] = 0;  // (after the walk, which marks its own first crack)
            s->row = y0;
            s->ring = static_cast<int64_t>(r) - 1;
        }
        if (v != 0) {  // v starts: L = v on the east
            uint32_t r = mn[idx];
            auto* s = state.get(v);
            if (!s) return Status::bad_alloc;
            if (r == 0) {  // a new component, in the region right of v's last crack on this row
                const int64_t region = s->row == y0 ? ring_region.data[s->ring] : -1;
                const int64_t comp = out.comp_outer.size;
                const int64_t ring = out.ring_comp.size;
                if (!new_ring(comp, region) || !out.comp_outer.push(ring) || !out.comp_hole_ring.push(region) ||
                    !out.comp_label.push(static_cast<int64_t>(v)) || !out.comp_area.push(0))
                    return Status::bad_alloc;
                int64_t area2 = 0;
                if (!walker.walk(v, idx, E, static_cast<uint32_t>(ring + 1), area2) ||
                    !out.ring_end.push(out.xy.size / 2))
                    return Status::bad_alloc;
                out.comp_area.data[comp] += area2 / 2;
                r = static_cast<uint32_t>(ring + 1);
            }
            mn[idx] = 0;
            s->row = y0;
            s->ring = static_cast<int64_t>(r) - 1;
        }
        return Status::ok;
    };
    for (; y0 < h; ++y0) {
        const T* row = base + y0 * rs;
        if (binary) {  // 0/1 check: every value is either row[0] or the v of a crack
            const T first = row[0];
            if (static_cast<uint64_t>(first) > 1) return bad_value(err, y0, 0, w, first, release);
        }
        if (row[0] != 0 && (st = crack(0, row[0], 0)) != Status::ok) return st;
        for (int64_t x = next_change(row, 1, w); x < w; x = next_change(row, x + 1, w)) {
            const T u = row[x - 1], v = row[x];
            if (binary && static_cast<uint64_t>(v) > 1) return bad_value(err, y0, x, w, v, release);
            if ((st = crack(u, v, x)) != Status::ok) return st;
        }
        if (row[w - 1] != 0 && (st = crack(row[w - 1], 0, w)) != Status::ok) return st;
    }
    release.clean = true;
    return Status::ok;
}

template Status trace<uint8_t>(View2D<const uint8_t>, bool, const Options&, Traced&, ErrorInfo&) noexcept;
template Status trace<uint16_t>(View2D<const uint16_t>, bool, const Options&, Traced&, ErrorInfo&) noexcept;
template Status trace<int32_t>(View2D<const int32_t>, bool, const Options&, Traced&, ErrorInfo&) noexcept;
template Status trace<int64_t>(View2D<const int64_t>, bool, const Options&, Traced&, ErrorInfo&) noexcept;

}  // namespace maskcore::contour
