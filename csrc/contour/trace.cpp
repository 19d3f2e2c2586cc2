// Crack following with hierarchy: see contour.hpp for the algorithm and conventions.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "contour.hpp"

namespace maskcore::contour {
namespace {

struct FreeDeleter {
    void operator()(void* p) const noexcept { std::free(p); }
};
template <class T>
using Mem = std::unique_ptr<T[], FreeDeleter>;

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
    const T* pad;
    int64_t stride;  // framed width
    bool conn8, exact;
    uint32_t* mark_n;  // per framed pixel: 1 + ring of the crack on its left walked N (L east of it)
    uint32_t* mark_s;  // ... walked S (L west of it); the same array as mark_n for binary masks
    Traced& out;
    RunBuf<int64_t> chain;  // centre mode: the L pixels of the ring being walked
    int64_t step[4], off_a[4], off_b[4], off_l[4];

    Walker(const T* p, int64_t st, const Options& o, uint32_t* mn, uint32_t* ms, Traced& t)
        : pad(p), stride(st), conn8(o.connectivity == 8), exact(o.exact), mark_n(mn), mark_s(ms), out(t) {
        const int64_t w = st;
        const int64_t s_[4] = {1, w, -1, -w};
        const int64_t a_[4] = {-w, 0, -1, -w - 1};   // the pixel ahead on the non-L side
        const int64_t b_[4] = {0, -1, -w - 1, -w};   // the pixel ahead on the L side
        const int64_t l_[4] = {0, -1, -w - 1, -w};   // the L pixel beside the crack leaving a corner
        for (int i = 0; i < 4; ++i) { step[i] = s_[i]; off_a[i] = a_[i]; off_b[i] = b_[i]; off_l[i] = l_[i]; }
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
        int64_t idx = start;
        int64_t x = start % stride, y = start / stride;
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
            const bool a = pad[idx + off_a[d]] == L;
            const bool b = pad[idx + off_b[d]] == L;
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

    // The centre chain, cyclic repeats dropped, compressed to its start and the
    // points where the direction (a framed index difference) changes.
    bool emit_chain() noexcept {
        const int64_t* s = chain.data;
        int64_t n = chain.size;
        while (n > 1 && s[n - 1] == s[0]) --n;
        if (!out.xy.reserve_more(2 * n)) return false;
        auto put = [&](int64_t p) {
            out.xy.push_unchecked(static_cast<double>(p % stride) - 0.5);
            out.xy.push_unchecked(static_cast<double>(p / stride) - 0.5);
        };
        put(s[0]);
        for (int64_t i = 1; i < n; ++i) {
            const int64_t next = i + 1 < n ? s[i + 1] : s[0];
            if (s[i] - s[i - 1] != next - s[i]) put(s[i]);
        }
        return true;
    }
};

// Index of the first position in [x, end) where row[i - 1] != row[i], or end.
template <class T>
inline int64_t next_change(const T* row, int64_t x, int64_t end) noexcept {
    if constexpr (sizeof(T) == 1) {
        while (x + 8 <= end) {
            uint64_t p, q;
            std::memcpy(&p, row + x - 1, 8);
            std::memcpy(&q, row + x, 8);
            if (p != q) break;
            x += 8;
        }
    }
    while (x < end && row[x - 1] == row[x]) ++x;
    return x;
}

template <class T>
Status copy_framed(View2D<const T> img, bool binary, T* pad, int64_t stride, ErrorInfo& err) noexcept {
    const int64_t h = img.rows, w = img.cols;
    std::memset(pad, 0, static_cast<size_t>(stride) * sizeof(T));
    std::memset(pad + (h + 1) * stride, 0, static_cast<size_t>(stride) * sizeof(T));
    for (int64_t r = 0; r < h; ++r) {
        T* dst = pad + (r + 1) * stride;
        dst[0] = 0;
        dst[w + 1] = 0;
        const T* src = img.at(r, 0);
        if (img.col_stride == 1) {
            std::memcpy(dst + 1, src, static_cast<size_t>(w) * sizeof(T));
        } else {
            const int64_t cs = img.col_stride;
            for (int64_t c = 0; c < w; ++c) dst[1 + c] = src[c * cs];
        }
        if (binary) {
            unsigned acc = 0;
            for (int64_t c = 1; c <= w; ++c) acc |= static_cast<unsigned>(dst[c]);
            if (acc > 1) {
                for (int64_t c = 1; c <= w; ++c)
                    if (static_cast<unsigned>(dst[c]) > 1) {
                        err.index = r * w + (c - 1);
                        err.value = static_cast<int64_t>(dst[c]);
                        return Status::invalid_value;
                    }
            }
        }
    }
    return Status::ok;
}

}  // namespace

template <class T>
Status trace(View2D<const T> img, bool binary, const Options& opt, Traced& out, ErrorInfo& err) noexcept {
    const int64_t h = img.rows, w = img.cols;
    if (h < 0 || w < 0 || (opt.connectivity != 4 && opt.connectivity != 8)) return Status::invalid_argument;
    if (h == 0 || w == 0) return Status::ok;
    if (h > INT32_MAX - 2 || w > INT32_MAX - 2 || (h + 2) * (w + 2) >= INT32_MAX) return Status::overflow;
    const int64_t stride = w + 2, total = (h + 2) * stride;

    Mem<T> pad(static_cast<T*>(std::malloc(static_cast<size_t>(total) * sizeof(T))));
    if (!pad) return Status::bad_alloc;
    Status st = copy_framed(img, binary, pad.get(), stride, err);
    if (st != Status::ok) return st;
    Mem<uint32_t> mark_n(static_cast<uint32_t*>(std::calloc(static_cast<size_t>(total), sizeof(uint32_t))));
    Mem<uint32_t> mark_s;
    if (!mark_n) return Status::bad_alloc;
    if (!binary) {
        mark_s.reset(static_cast<uint32_t*>(std::calloc(static_cast<size_t>(total), sizeof(uint32_t))));
        if (!mark_s) return Status::bad_alloc;
    }
    LabelState<T> state;
    if (!state.init()) return Status::bad_alloc;
    RunBuf<int64_t> ring_region;  // the non-L region beside each ring: -1 outside, else its hole ring
    Walker<T> walker(pad.get(), stride, opt, mark_n.get(), binary ? mark_n.get() : mark_s.get(), out);
    uint32_t* ms = binary ? mark_n.get() : mark_s.get();
    uint32_t* mn = mark_n.get();

    auto new_ring = [&](int64_t comp, int64_t region) -> bool {
        return out.ring_comp.push(comp) && ring_region.push(region);
    };

    for (int64_t y = 1; y <= h; ++y) {
        const T* row = pad.get() + y * stride;
        for (int64_t x = next_change(row, 1, w + 2); x <= w + 1; x = next_change(row, x + 1, w + 2)) {
            const T u = row[x - 1], v = row[x];
            const int64_t idx = y * stride + x;
            if (u != 0) {  // u ends: L = u on the west of the crack
                uint32_t r = ms[idx];
                auto* s = state.get(u);
                if (!s) return Status::bad_alloc;
                if (r == 0) {  // a new hole of the component of u's run that ends here
                    if (s->row != y) return Status::invalid_argument;  // unreachable: u's run started on this row
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
                s->row = y;
                s->ring = static_cast<int64_t>(r) - 1;
            }
            if (v != 0) {  // v starts: L = v on the east
                uint32_t r = mn[idx];
                auto* s = state.get(v);
                if (!s) return Status::bad_alloc;
                if (r == 0) {  // a new component, in the region right of v's last crack on this row
                    const int64_t region = s->row == y ? ring_region.data[s->ring] : -1;
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
                s->row = y;
                s->ring = static_cast<int64_t>(r) - 1;
            }
        }
    }
    return Status::ok;
}

template Status trace<uint8_t>(View2D<const uint8_t>, bool, const Options&, Traced&, ErrorInfo&) noexcept;
template Status trace<uint16_t>(View2D<const uint16_t>, bool, const Options&, Traced&, ErrorInfo&) noexcept;
template Status trace<int32_t>(View2D<const int32_t>, bool, const Options&, Traced&, ErrorInfo&) noexcept;
template Status trace<int64_t>(View2D<const int64_t>, bool, const Options&, Traced&, ErrorInfo&) noexcept;

}  // namespace maskcore::contour
