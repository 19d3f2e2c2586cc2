// encode_map: a label map or colour mask straight to every segment's COCO counts, in one call
// (segments.hpp has the interface; this is the design).
//
// THREE PHASES, no per-pixel work after the first.
//   1. Transitions (the one read of the map). A transition {row, col, lid} says "column col holds
//      the key of local id lid from this row down"; row 0 of every column is one. Row-contiguous
//      maps (C order) are read row by row in memory order, each row compared with the row above
//      by the ISA's row_diff (rowdiff.inl: 64 bytes per step in AVX2; inside regions rows repeat,
//      so most blocks cost one compare); threads take bands of rows. Column-contiguous maps
//      (Fortran order) compare each column with itself one element down; other strides compare
//      element by element; threads take blocks of columns. Keys become small local ids as they
//      are seen (a direct table for 1- and 2-byte keys, else an open-addressing hash), so no
//      later phase touches a key. Transitions go to one bucket per strip of columns (at most 64
//      strips: 64 sequential write streams), and each (local id, chunk) pair counts its runs.
//
//            column  c0   c0+1 c0+2 ...
//       row r-1   [   5    5    5    7  ... ]   same bytes as row r: nothing to do
//       row r     [   5    5    9    7  ... ]   c0+2 differs: transition {r, c0+2, lid(9)}
//
//   2. Runs (per chunk of strips, threads take chunks). Local ids become segments (table mode:
//      the caller's keys; auto mode: every distinct key, sorted by value). A strip's transitions
//      (a few thousand: cache-resident) are sorted by column with a counting sort (rows stay in
//      order), and each column's runs are appended to their segment's slot: the runs of a chunk
//      were counted in phase 1, so every (segment, chunk) slot has its exact room, and a run that
//      starts where the segment's previous run ended extends it (keys of one segment meeting, and
//      column ends: the last row of column c touching row 0 of column c + 1).
//   3. Join the chunks: each segment's slots are moved left into place in one buffer (the first
//      gap, a join at a chunk boundary, the tail).
//
// The result equals gather_runs(scan_runs(map)) bit for bit (tests/test_segments.py checks it
// against the numpy oracle and the scalar reference at every ISA).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../common/parallel.hpp"
#include "../common/thread_scratch.hpp"
#include "segments.hpp"

#if defined(__GNUC__) || defined(__clang__)
#define MC_NOINLINE __attribute__((noinline))
#else
#define MC_NOINLINE __declspec(noinline)
#endif

namespace maskcore::segments {
namespace {

struct Trans {
    uint32_t row, col;
    int32_t lid;
};

struct Placed {
    uint32_t row;
    int32_t seg;  // >= 0: a segment; -1: dropped; -2: unknown key
};

constexpr int32_t kDropped = -1, kUnknown = -2;

template <int Kind>
inline uint64_t load_key(const uint8_t* p, int64_t chan) noexcept {
    if constexpr (Kind == 1) {
        return *p;
    } else if constexpr (Kind == 2) {
        uint16_t v; std::memcpy(&v, p, 2); return v;
    } else if constexpr (Kind == 3) {
        return uint64_t{p[0]} | (uint64_t{p[chan]} << 8) | (uint64_t{p[2 * chan]} << 16);
    } else if constexpr (Kind == 4) {
        uint32_t v; std::memcpy(&v, p, 4); return v;
    } else {
        uint64_t v; std::memcpy(&v, p, 8); return v;
    }
}

// Keys -> local ids in order of first sight. 1- and 2-byte keys: a direct table; others: open
// addressing (linear probing, load <= 1/2), which stays in L1 for the few hundred keys of a map.
template <int Kind>
struct KeyMap {
    static constexpr bool kDirect = Kind <= 2;
    std::vector<int32_t> direct;
    std::vector<uint64_t> slot_key;
    std::vector<int32_t> slot_lid;  // -1: empty
    uint64_t mask = 0;
    int shift = 64;
    std::vector<uint64_t> keys;  // by local id

    void init() {
        if constexpr (kDirect) {
            direct.assign(size_t{1} << (8 * Kind), -1);
        } else {
            rehash(64);
        }
    }
    void rehash(size_t cap) {
        slot_key.assign(cap, 0);
        slot_lid.assign(cap, -1);
        mask = cap - 1;
        shift = 64 - __builtin_ctzll(cap);
        for (size_t i = 0; i < keys.size(); ++i) insert(keys[i], static_cast<int32_t>(i));
    }
    size_t home(uint64_t key) const noexcept { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift); }
    void insert(uint64_t key, int32_t lid) noexcept {
        size_t i = home(key);
        while (slot_lid[i] >= 0) i = (i + 1) & mask;
        slot_key[i] = key;
        slot_lid[i] = lid;
    }
    // The local id of key, added when new (may throw bad_alloc: the caller catches).
    int32_t get(uint64_t key) {
        if constexpr (kDirect) {
            int32_t& d = direct[key];
            if (MC_UNLIKELY(d < 0)) {
                d = static_cast<int32_t>(keys.size());
                keys.push_back(key);
            }
            return d;
        } else {
            size_t i = home(key);
            while (slot_lid[i] >= 0) {
                if (slot_key[i] == key) return slot_lid[i];
                i = (i + 1) & mask;
            }
            if (keys.size() >= (size_t{1} << 31) - 1) throw std::bad_alloc();
            const int32_t lid = static_cast<int32_t>(keys.size());
            keys.push_back(key);
            if (2 * keys.size() > slot_lid.size()) {
                rehash(2 * slot_lid.size());
            } else {
                slot_key[i] = key;
                slot_lid[i] = lid;
            }
            return lid;
        }
    }
};

// Buckets of transitions kept between calls: fresh memory costs a page fault per 4 KB, more
// than the scan on a VM (profiled on a 4000 x 4000 map with 500 regions: 39 % of the call when
// every call allocated its buffers afresh). They are a set of the calling thread's scratch arena
// (common/thread_scratch.hpp: held to its one limit, freed by maskcore.release_memory()): the
// caller hands them to the bands before the workers run and takes them back after.
struct BucketScratch {
    std::vector<RunBuf<Trans>> free;
    MC_SCRATCH_BYTES(free)
};

RunBuf<Trans> take_buf(BucketScratch& s) noexcept {
    if (s.free.empty()) return RunBuf<Trans>();
    RunBuf<Trans> q = std::move(s.free.back());
    s.free.pop_back();
    q.size = 0;
    return q;
}

void give_buf(BucketScratch& s, RunBuf<Trans>& q) noexcept {
    if (!q.data) return;
    try {
        s.free.push_back(std::move(q));
    } catch (...) {  // its owner frees it
    }
}

// One band of phase 1: its keys, its buckets (one per strip) and its run counts per (lid, chunk).
template <int Kind>
struct Band {
    KeyMap<Kind> keys;
    std::vector<RunBuf<Trans>> buckets;
    std::vector<int64_t> runs;  // runs[lid * nchunks + chunk]
    std::vector<int32_t> seg;   // lid -> segment (after phase 1)
    std::vector<int64_t> colcount;  // C path: transitions per column
};

struct Layout {
    int64_t h, w;
    int64_t strips, chunks;
    int shift;                        // C path: strip = col >> shift
    std::vector<int64_t> strip_lo;    // strips + 1 column bounds
    std::vector<int32_t> chunk_of;    // strip -> chunk
    std::vector<int64_t> strip_band;  // F path: the band that owns strip s (= s)
};

template <int Kind>
struct Encoder {
    const MapView& m;
    const Kernels& isa;
    Layout L;
    std::vector<Band<Kind>> bands;

    BucketScratch& scratch;

    Encoder(const MapView& mv, const Kernels& k, BucketScratch& sc) : m(mv), isa(k), scratch(sc) {}
    Encoder(const Encoder&) = delete;
    Encoder& operator=(const Encoder&) = delete;
    ~Encoder() {
        for (auto& B : bands)
            for (auto& q : B.buckets) give_buf(scratch, q);
    }

    // Appends transitions to one band: {r, c, key's local id} into the strip's bucket, one more run
    // for (local id, chunk), and (C path) one more entry for column c. Pointers are held here: the
    // loop's stores could alias the containers' own fields.
    struct Writer {
        Band<Kind>& B;
        const int32_t* chunk_of;
        int64_t nch;
        RunBuf<Trans>* bk;
        int64_t* runs = nullptr;
        size_t nlids = 0;
        int64_t* colcount;

        Writer(Band<Kind>& band, const Layout& L, bool by_rows)
            : B(band), chunk_of(L.chunk_of.data()), nch(L.chunks), bk(band.buckets.data()),
              colcount(by_rows ? band.colcount.data() : nullptr) {}
        MC_NOINLINE void more_lids(size_t lid) {
            B.runs.resize((lid + 1) * static_cast<size_t>(nch), 0);
            runs = B.runs.data();
            nlids = lid + 1;
        }
        MC_NOINLINE static void grow(RunBuf<Trans>& q) {
            if (!q.reserve_more(q.cap < 1024 ? 1024 : q.cap)) throw std::bad_alloc();
        }
        inline void put(int64_t r, int64_t c, int64_t strip, uint64_t key) {
            const int32_t lid = B.keys.get(key);
            if (MC_UNLIKELY(static_cast<size_t>(lid) >= nlids)) more_lids(static_cast<size_t>(lid));
            ++runs[lid * nch + chunk_of[strip]];
            if (colcount) ++colcount[c];
            RunBuf<Trans>& q = bk[strip];
            if (MC_UNLIKELY(q.size == q.cap)) grow(q);
            q.data[q.size++] = Trans{static_cast<uint32_t>(r), static_cast<uint32_t>(c), lid};
        }
    };

    // C path, rows [r_lo, r_hi) of band b (row 0 against nothing: every column starts a run).
    void scan_rows(int64_t b, int64_t r_lo, int64_t r_hi) {
        Writer B(bands[b], L, true);
        const int64_t w = m.cols, es = Kind;
        const bool contiguous = m.col_stride == es && (Kind != 3 || m.chan_stride == 1);
        std::vector<uint32_t> idx(contiguous ? static_cast<size_t>(w) : 0);
        if (r_lo == 0) {
            for (int64_t c = 0; c < w; ++c) B.put(0, c, c >> L.shift, load_key<Kind>(m.base + c * m.col_stride, m.chan_stride));
            r_lo = 1;
        }
        for (int64_t r = r_lo; r < r_hi; ++r) {
            const uint8_t* cur = m.base + r * m.row_stride;
            const uint8_t* prev = cur - m.row_stride;
            if (contiguous) {
                const int64_t k = isa.row_diff(cur, prev, w, static_cast<int>(es), idx.data());
                for (int64_t j = 0; j < k; ++j) {
                    const int64_t c = idx[j];
                    B.put(r, c, c >> L.shift, load_key<Kind>(cur + c * es, 1));
                }
            } else {
                for (int64_t c = 0; c < w; ++c) {
                    const uint64_t v = load_key<Kind>(cur + c * m.col_stride, m.chan_stride);
                    if (v != load_key<Kind>(prev + c * m.col_stride, m.chan_stride)) B.put(r, c, c >> L.shift, v);
                }
            }
        }
    }

    // F path (and any strides): columns [c_lo, c_hi) of band b = strip b, in column order.
    void scan_columns(int64_t b, int64_t c_lo, int64_t c_hi) {
        Writer B(bands[b], L, false);
        const int64_t h = m.rows, es = Kind;
        const bool contiguous = m.row_stride == es && (Kind != 3 || m.chan_stride == 1);
        std::vector<uint32_t> idx(contiguous && h > 1 ? static_cast<size_t>(h - 1) : 0);
        for (int64_t c = c_lo; c < c_hi; ++c) {
            const uint8_t* col = m.base + c * m.col_stride;
            B.put(0, c, b, load_key<Kind>(col, m.chan_stride));
            if (contiguous) {  // the column against itself one element down
                const int64_t k = h > 1 ? isa.row_diff(col + es, col, h - 1, static_cast<int>(es), idx.data()) : 0;
                for (int64_t j = 0; j < k; ++j) {
                    const int64_t r = static_cast<int64_t>(idx[j]) + 1;
                    B.put(r, c, b, load_key<Kind>(col + r * es, 1));
                }
            } else {
                uint64_t prev = load_key<Kind>(col, m.chan_stride);
                for (int64_t r = 1; r < h; ++r) {
                    const uint64_t v = load_key<Kind>(col + r * m.row_stride, m.chan_stride);
                    if (v != prev) {
                        B.put(r, c, b, v);
                        prev = v;
                    }
                }
            }
        }
    }
};

// Sign-extends a kind-byte two's complement key (kind 8: as is).
inline int64_t signed_value(uint64_t key, int kind) noexcept {
    if (kind >= 8) return static_cast<int64_t>(key);
    const int s = 64 - 8 * kind;
    return static_cast<int64_t>(key << s) >> s;
}

// Per chunk of phase 2: each segment's write position, last run end (-1: none yet), first run
// start; the unknown pixels met.
template <class T>
struct Sink {
    T* out;
    std::vector<int64_t> pos, end, first;
    int64_t unknown = 0, unk_row = -1, unk_col = -1;

    inline void run(int32_t s, int64_t start, int64_t len, int64_t row, int64_t col) noexcept {
        if (s < 0) {
            if (s == kUnknown) {
                unknown += len;
                if (unk_row < 0 || row < unk_row || (row == unk_row && col < unk_col)) {
                    unk_row = row;
                    unk_col = col;
                }
            }
            return;
        }
        int64_t& e = end[s];
        if (e == start) {
            out[pos[s] - 1] = static_cast<T>(out[pos[s] - 1] + static_cast<T>(len));
        } else if (e < 0) {
            first[s] = start;
            out[pos[s]++] = static_cast<T>(len);
        } else {
            out[pos[s]++] = static_cast<T>(start - e);
            out[pos[s]++] = static_cast<T>(len);
        }
        e = start + len;
    }
};

template <int Kind, class T>
Status encode_kind(const MapView& m, const EncodeSpec& spec, int threads, RunBuf<T>& flat, RunBuf<int64_t>& offsets,
                   RunBuf<uint64_t>& seg_keys, int64_t& unknown_pixels, int64_t& first_unknown) {
    const int64_t h = m.rows, w = m.cols;
    const uint64_t total = static_cast<uint64_t>(h) * static_cast<uint64_t>(w);
    const bool auto_mode = spec.keys == nullptr;
    const int workers = worth(threads, total, 1 << 20);
    ScratchLease<BucketScratch> lease;  // outlives E, which gives the buckets back
    Encoder<Kind> E(m, kernel_table().current(), *lease);
    Layout& L = E.L;
    L.h = h;
    L.w = w;
    const bool empty = h == 0 || w == 0;
    const int64_t rs = m.row_stride < 0 ? -m.row_stride : m.row_stride;
    const int64_t cs = m.col_stride < 0 ? -m.col_stride : m.col_stride;
    const bool by_rows = !empty && rs > cs;
    int64_t nbands = 0;
    if (empty) {
        L.strips = 0;
        L.chunks = 1;
        L.shift = 0;
    } else if (by_rows) {
        int shift = 8;  // strips of 256 columns, wider when the map has more than 64 of them
        while (((w - 1) >> shift) + 1 > 64) ++shift;
        L.shift = shift;
        L.strips = ((w - 1) >> shift) + 1;
        L.chunks = std::min<int64_t>(L.strips, workers);
        nbands = std::min<int64_t>(h, workers);
        for (int64_t s = 0; s <= L.strips; ++s) L.strip_lo.push_back(std::min(w, s << shift));
    } else {
        L.shift = 0;
        const int64_t blocks = (w + kStrip - 1) / kStrip;
        L.strips = std::min<int64_t>(blocks, workers > 1 ? int64_t{workers} * 4 : 1);
        L.chunks = std::min<int64_t>(L.strips, workers);
        nbands = L.strips;
        for (int64_t s = 0; s <= L.strips; ++s) L.strip_lo.push_back(std::min(w, blocks * s / L.strips * kStrip));
    }
    for (int64_t k = 0; k < L.chunks; ++k)
        for (int64_t s = L.strips * k / L.chunks; s < L.strips * (k + 1) / L.chunks; ++s) L.chunk_of.push_back(static_cast<int32_t>(k));

    // ---- phase 1
    E.bands.resize(static_cast<size_t>(nbands));
    for (auto& B : E.bands) {
        B.keys.init();
        if (by_rows) B.colcount.assign(static_cast<size_t>(w), 0);
        B.buckets.reserve(static_cast<size_t>(L.strips));
        for (int64_t s = 0; s < L.strips; ++s) B.buckets.push_back(by_rows || &B - E.bands.data() == s ? take_buf(*lease) : RunBuf<Trans>());
    }
    if (nbands) {
        MC_PARALLEL_FOR(nbands, workers, [&](int64_t b) {
            if (by_rows) E.scan_rows(b, h * b / nbands, h * (b + 1) / nbands);
            else E.scan_columns(b, L.strip_lo[b], L.strip_lo[b + 1]);
        });
    }

    // ---- local ids -> segments
    int64_t nseg = spec.nseg;
    std::vector<uint64_t> uni;  // auto mode: the segments' keys
    if (auto_mode) {
        for (auto& B : E.bands) uni.insert(uni.end(), B.keys.keys.begin(), B.keys.keys.end());
        if (spec.is_signed) {
            std::sort(uni.begin(), uni.end(),
                      [](uint64_t a, uint64_t b) { return signed_value(a, Kind) < signed_value(b, Kind); });
        } else {
            std::sort(uni.begin(), uni.end());
        }
        uni.erase(std::unique(uni.begin(), uni.end()), uni.end());
        if (spec.has_drop) uni.erase(std::remove(uni.begin(), uni.end(), spec.drop), uni.end());
        nseg = static_cast<int64_t>(uni.size());
    }
    if (nseg >= (int64_t{1} << 31) - 1) return Status::overflow;
    for (auto& B : E.bands) {
        B.seg.resize(B.keys.keys.size());
        for (size_t i = 0; i < B.keys.keys.size(); ++i) {
            const uint64_t key = B.keys.keys[i];
            int64_t s;
            if (auto_mode) {
                if (spec.has_drop && key == spec.drop) {
                    s = kDropped;
                } else {
                    auto it = spec.is_signed
                                  ? std::lower_bound(uni.begin(), uni.end(), key,
                                                     [](uint64_t a, uint64_t b) {
                                                         return signed_value(a, Kind) < signed_value(b, Kind);
                                                     })
                                  : std::lower_bound(uni.begin(), uni.end(), key);
                    s = it - uni.begin();
                }
            } else {
                const uint64_t* p = std::lower_bound(spec.keys, spec.keys + spec.nkeys, key);
                s = (p != spec.keys + spec.nkeys && *p == key) ? spec.seg_of_key[p - spec.keys] : kUnknown;
                if (s >= nseg) return Status::invalid_argument;
            }
            B.seg[i] = static_cast<int32_t>(s);
        }
    }

    // Slots: segment s owns [ub[s], ub[s + 1]): one count, then 2 * (its runs in chunk k) for each k.
    const int64_t nch = L.chunks;
    std::vector<int64_t> runs(static_cast<size_t>(nseg * nch), 0);
    for (auto& B : E.bands)
        for (size_t i = 0; i < B.seg.size(); ++i)
            if (B.seg[i] >= 0)
                for (int64_t k = 0; k < nch; ++k) runs[B.seg[i] * nch + k] += B.runs[i * nch + k];
    std::vector<int64_t> ub(static_cast<size_t>(nseg + 1), 0);
    for (int64_t s = 0; s < nseg; ++s) {
        int64_t n = 1;
        for (int64_t k = 0; k < nch; ++k) n += 2 * runs[s * nch + k];
        ub[s + 1] = ub[s] + n;
    }
    if (!flat.reserve_more(ub[nseg]) || !offsets.reserve_more(nseg + 1)) return Status::bad_alloc;
    T* out = flat.data;

    // ---- phase 2
    std::vector<Sink<T>> sinks(static_cast<size_t>(nch));
    for (int64_t k = 0; k < nch; ++k) {
        Sink<T>& S = sinks[k];
        S.out = out;
        S.pos.resize(static_cast<size_t>(nseg));
        S.end.assign(static_cast<size_t>(nseg), -1);
        S.first.assign(static_cast<size_t>(nseg), -1);
        for (int64_t s = 0; s < nseg; ++s) {
            int64_t p = ub[s] + 1;
            for (int64_t j = 0; j < k; ++j) p += 2 * runs[s * nch + j];
            S.pos[s] = p;
        }
    }
    std::vector<int64_t> chunk_lo(static_cast<size_t>(nch + 1), L.strips);
    for (int64_t s = L.strips - 1; s >= 0; --s) chunk_lo[L.chunk_of[s]] = s;
    MC_PARALLEL_FOR(nch, workers, [&](int64_t k) {
        Sink<T>& S = sinks[k];
        std::vector<int64_t> start;
        std::vector<Placed> sorted;
        for (int64_t st = chunk_lo[k]; st < chunk_lo[k + 1]; ++st) {
            const int64_t c0 = L.strip_lo[st], nc = L.strip_lo[st + 1] - c0;
            if (!by_rows) {  // one band, already in column order
                const Band<Kind>& B = E.bands[st];
                const RunBuf<Trans>& q = B.buckets[st];
                for (int64_t j = 0; j < q.size; ++j) {
                    const Trans& t = q.data[j];
                    const int64_t next = j + 1 < q.size && q.data[j + 1].col == t.col ? q.data[j + 1].row : h;
                    S.run(B.seg[t.lid], static_cast<int64_t>(t.col) * h + t.row, next - t.row, t.row, t.col);
                }
                continue;
            }
            start.assign(static_cast<size_t>(nc + 1), 0);
            for (const auto& B : E.bands)
                for (int64_t i = 0; i < nc; ++i) start[i + 1] += B.colcount[c0 + i];
            for (int64_t i = 0; i < nc; ++i) start[i + 1] += start[i];
            const int64_t n = start[nc];
            sorted.resize(static_cast<size_t>(n));
            for (const auto& B : E.bands) {
                const RunBuf<Trans>& q = B.buckets[st];
                const int32_t* seg = B.seg.data();
                for (int64_t j = 0; j < q.size; ++j) {
                    const Trans& t = q.data[j];
                    sorted[start[t.col - c0]++] = Placed{t.row, seg[t.lid]};
                }
            }
            // start[i] is now the end of column i's entries
            int64_t lo = 0;
            for (int64_t i = 0; i < nc; ++i) {
                const int64_t hi = start[i], c = c0 + i;
                for (int64_t j = lo; j < hi; ++j) {
                    const int64_t row = sorted[j].row, next = j + 1 < hi ? sorted[j + 1].row : h;
                    S.run(sorted[j].seg, c * h + row, next - row, row, c);
                }
                lo = hi;
            }
        }
    });

    // ---- phase 3: each segment's slots moved left into place
    unknown_pixels = 0;
    int64_t ur = -1, uc = -1;
    for (const auto& S : sinks) {
        unknown_pixels += S.unknown;
        if (S.unk_row >= 0 && (ur < 0 || S.unk_row < ur || (S.unk_row == ur && S.unk_col < uc))) {
            ur = S.unk_row;
            uc = S.unk_col;
        }
    }
    first_unknown = ur < 0 ? -1 : ur * w + uc;
    offsets.push_unchecked(0);
    int64_t dst = 0;
    for (int64_t s = 0; s < nseg; ++s) {
        int64_t prev_end = -1, src = ub[s] + 1;
        for (int64_t k = 0; k < nch; ++k) {
            const Sink<T>& S = sinks[k];
            const int64_t slot = src;
            src += 2 * runs[s * nch + k];
            if (S.end[s] < 0) continue;
            const int64_t n = S.pos[s] - slot;
            if (prev_end == S.first[s]) {  // joins the previous chunk's last run
                out[dst - 1] = static_cast<T>(out[dst - 1] + out[slot]);
                std::memmove(out + dst, out + slot + 1, sizeof(T) * static_cast<size_t>(n - 1));
                dst += n - 1;
            } else {
                out[dst++] = static_cast<T>(S.first[s] - (prev_end < 0 ? 0 : prev_end));
                std::memmove(out + dst, out + slot, sizeof(T) * static_cast<size_t>(n));
                dst += n;
            }
            prev_end = S.end[s];
        }
        if (prev_end < 0) out[dst++] = static_cast<T>(total);
        else if (static_cast<uint64_t>(prev_end) < total) out[dst++] = static_cast<T>(total - prev_end);
        offsets.push_unchecked(dst);
    }
    flat.size = dst;
    if (auto_mode) {
        if (!seg_keys.reserve_more(nseg)) return Status::bad_alloc;
        for (int64_t s = 0; s < nseg; ++s) seg_keys.push_unchecked(uni[s]);
    }
    return Status::ok;
}

}  // namespace

template <class T>
Status encode_map(const MapView& m, const EncodeSpec& spec, int threads, RunBuf<T>& flat, RunBuf<int64_t>& offsets,
                  RunBuf<uint64_t>& seg_keys, int64_t& unknown_pixels, int64_t& first_unknown) noexcept {
    unknown_pixels = 0;
    first_unknown = -1;
    if (m.rows < 0 || m.cols < 0 || spec.nseg < 0) return Status::invalid_argument;
    if (m.rows >= (int64_t{1} << 32) - 1 || m.cols >= (int64_t{1} << 32) - 1) return Status::overflow;
    try {
        switch (m.kind) {
            case 1: return encode_kind<1, T>(m, spec, threads, flat, offsets, seg_keys, unknown_pixels, first_unknown);
            case 2: return encode_kind<2, T>(m, spec, threads, flat, offsets, seg_keys, unknown_pixels, first_unknown);
            case 3: return encode_kind<3, T>(m, spec, threads, flat, offsets, seg_keys, unknown_pixels, first_unknown);
            case 4: return encode_kind<4, T>(m, spec, threads, flat, offsets, seg_keys, unknown_pixels, first_unknown);
            case 8: return encode_kind<8, T>(m, spec, threads, flat, offsets, seg_keys, unknown_pixels, first_unknown);
            default: return Status::invalid_argument;
        }
    } catch (...) {
        return status_of_current_exception();
    }
}

template Status encode_map<uint32_t>(const MapView&, const EncodeSpec&, int, RunBuf<uint32_t>&, RunBuf<int64_t>&,
                                     RunBuf<uint64_t>&, int64_t&, int64_t&) noexcept;
template Status encode_map<uint64_t>(const MapView&, const EncodeSpec&, int, RunBuf<uint64_t>&, RunBuf<int64_t>&,
                                     RunBuf<uint64_t>&, int64_t&, int64_t&) noexcept;

}  // namespace maskcore::segments
