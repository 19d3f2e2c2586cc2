// Label maps / colour masks -> every segment's runs (segments.hpp has the design).
#include "segments.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../common/parallel.hpp"
#include "../common/thread_scratch.hpp"

#if defined(_MSC_VER)
#include <intrin.h>
#endif

namespace maskcore::segments {
namespace {

// Reads one pixel's key. Integers are little-endian (x86-64, the platforms maskcore builds for).
template <int Kind>
struct Load {
    static uint64_t at(const uint8_t* p, int64_t /*chan*/) noexcept {
        if constexpr (Kind == 1) {
            return *p;
        } else if constexpr (Kind == 2) {
            uint16_t v; std::memcpy(&v, p, 2); return v;
        } else if constexpr (Kind == 4) {
            uint32_t v; std::memcpy(&v, p, 4); return v;
        } else {
            uint64_t v; std::memcpy(&v, p, 8); return v;
        }
    }
    static constexpr int64_t bytes = Kind;
};

template <>
struct Load<3> {
    static uint64_t at(const uint8_t* p, int64_t chan) noexcept {
        return uint64_t{p[0]} | (uint64_t{p[chan]} << 8) | (uint64_t{p[2 * chan]} << 16);
    }
    static constexpr int64_t bytes = 3;
};

// One column at a time, any strides (the Fortran-order path).
template <int Kind>
bool scan_columns(const MapView& m, int64_t c_lo, int64_t c_hi, RunBuf<KeyRun>& out) noexcept {
    const int64_t h = m.rows;
    for (int64_t c = c_lo; c < c_hi; ++c) {
        const uint8_t* col = m.base + c * m.col_stride;
        uint64_t cur = Load<Kind>::at(col, m.chan_stride);
        int64_t start = 0;
        for (int64_t r = 1; r < h; ++r) {
            const uint64_t v = Load<Kind>::at(col + r * m.row_stride, m.chan_stride);
            if (MC_UNLIKELY(v != cur)) {
                if (!out.push({c * h + start, r - start, cur})) return false;
                cur = v;
                start = r;
            }
        }
        if (!out.push({c * h + start, h - start, cur})) return false;
    }
    return true;
}

// Row-contiguous maps (C order): rows are read in memory order, each compared with the row above
// in chunks of kChunkBytes (memcmp; a differing chunk pixel by pixel). Every difference is a
// transition (column c changes key at row r). Transitions are bucketed by column (a counting sort,
// stable in row order) and each column's runs are read off its transition rows. One streaming read
// of the map (the row above is in cache); work beyond it is proportional to the transitions.
constexpr int64_t kChunkBytes = 256;

struct Transition {
    int64_t col, row;
    uint64_t key;  // the column's key from this row on (kept here: the emission reads no pixels)
};

// The bands' transition buffers, kept by the calling thread between calls: a set of the
// per-thread scratch arena (common/thread_scratch.hpp: held to its one limit, freed by its one
// release, maskcore.release_memory()). Fresh memory costs a page fault per 4 KB, and on a
// virtual machine those cost more than the work: profiled on a 4000 x 4000 map with 500
// regions, the kernel's page-fault handling was 39 % of from_label_map's time when every call
// allocated its transition buffers afresh. The calling thread leases the set; the pool's
// workers fill one buffer each (band b: bufs[b]), the caller reads them.
struct BandScratch {
    std::vector<RunBuf<Transition>> bufs;
    MC_SCRATCH_BYTES(bufs)
};

inline int lowest_set_bit(uint64_t x) noexcept {  // x != 0
#if defined(_MSC_VER)
    unsigned long i;
    _BitScanForward64(&i, x);
    return static_cast<int>(i);
#else
    return __builtin_ctzll(x);
#endif
}

template <int Kind>
bool row_transitions(const MapView& m, int64_t r_lo, int64_t r_hi, RunBuf<Transition>& out) noexcept {
    const int64_t w = m.cols, es = Load<Kind>::bytes;
    const bool contiguous = m.col_stride == es && (Kind != 3 || m.chan_stride == 1);
    const int64_t chunk = contiguous ? std::max<int64_t>(1, kChunkBytes / es) : w;
    for (int64_t r = std::max<int64_t>(r_lo, 1); r < r_hi; ++r) {
        const uint8_t* cur = m.base + r * m.row_stride;
        const uint8_t* prev = cur - m.row_stride;
        if (contiguous && std::memcmp(cur, prev, static_cast<size_t>(w * es)) == 0) continue;  // most rows
        for (int64_t c0 = 0; c0 < w; c0 += chunk) {
            const int64_t nb = std::min(chunk, w - c0);
            if (contiguous && std::memcmp(cur + c0 * es, prev + c0 * es, static_cast<size_t>(nb * es)) == 0) continue;
            int64_t c_tail = c0;
            if constexpr (Kind != 3) {
                if (contiguous) {  // 8 bytes at a time: XOR, then one transition per differing element
                    const uint8_t* a = cur + c0 * es;
                    const uint8_t* b = prev + c0 * es;
                    const int64_t nbytes = nb * es;
                    int64_t i = 0;
                    for (; i + 8 <= nbytes; i += 8) {
                        if ((i & 31) == 0 && i + 32 <= nbytes) {  // equal 32-byte blocks (most): skipped whole
                            uint64_t x4[4], y4[4];
                            std::memcpy(x4, a + i, 32);
                            std::memcpy(y4, b + i, 32);
                            if (((x4[0] ^ y4[0]) | (x4[1] ^ y4[1]) | (x4[2] ^ y4[2]) | (x4[3] ^ y4[3])) == 0) {
                                i += 24;  // + 8 by the loop
                                continue;
                            }
                        }
                        uint64_t x, y;
                        std::memcpy(&x, a + i, 8);
                        std::memcpy(&y, b + i, 8);
                        uint64_t d = x ^ y;
                        while (d) {  // elements never straddle a word: es divides 8, i is a multiple of 8
                            const int64_t e = (i + (lowest_set_bit(d) >> 3)) / es;  // element within the chunk
                            if (!out.push({c0 + e, r, Load<Kind>::at(a + e * es, 0)})) return false;
                            const int64_t end = (e + 1) * es - i;  // the element's end, in bytes of this word
                            d = end >= 8 ? 0 : d & (~uint64_t{0} << (8 * end));
                        }
                    }
                    c_tail = c0 + i / es;
                }
            }
            for (int64_t c = c_tail; c < c0 + nb; ++c) {
                const uint64_t v = Load<Kind>::at(cur + c * m.col_stride, m.chan_stride);
                if (v != Load<Kind>::at(prev + c * m.col_stride, m.chan_stride)) {
                    if (!out.push({c, r, v})) return false;
                }
            }
        }
    }
    return true;
}

template <int Kind>
Status scan_rows(const MapView& m, int threads, RunBuf<KeyRun>& out) noexcept {
    const int64_t h = m.rows, w = m.cols;
    const int workers = worth(threads, static_cast<uint64_t>(h) * static_cast<uint64_t>(w), 1 << 20);
    const int64_t bands = std::min<int64_t>(h, workers > 1 ? workers : 1);
    ScratchLease<BandScratch> scratch;  // the bands' transitions
    std::vector<RunBuf<Transition>>& bufs = scratch->bufs;
    std::vector<char> ok;
    std::vector<int64_t> first;  // per column: how many transitions the columns before it have
    try {
        if (bufs.size() < static_cast<size_t>(bands)) bufs.resize(static_cast<size_t>(bands));
        ok.assign(static_cast<size_t>(bands), 0);
        first.assign(static_cast<size_t>(w + 1), 0);
    } catch (...) {
        return Status::bad_alloc;
    }
    for (int64_t b = 0; b < bands; ++b) bufs[static_cast<size_t>(b)].size = 0;
    RunBuf<Transition>* parts = bufs.data();
    parallel_for(bands, workers, [&](int64_t b) {
        ok[b] = row_transitions<Kind>(m, h * b / bands, h * (b + 1) / bands, parts[b]);
    });
    int64_t total = 0;
    for (int64_t b = 0; b < bands; ++b) {
        if (!ok[b]) return Status::bad_alloc;
        total += parts[b].size;
        for (int64_t k = 0; k < parts[b].size; ++k) ++first[parts[b].data[k].col + 1];
    }
    // Column c's runs go to out[first[c] + c ...]: its run from row 0, then one per transition.
    // Transitions are placed straight there in row order (a scatter of their start and key);
    // one sequential pass per column then sets each run's length from the next run's start.
    for (int64_t c = 0; c < w; ++c) first[c + 1] += first[c];
    if (!out.reserve_more(total + w)) return Status::bad_alloc;
    out.size = total + w;
    KeyRun* o = out.data;
    try {
        std::vector<int64_t> next(static_cast<size_t>(w));
        for (int64_t c = 0; c < w; ++c) {
            const int64_t at = first[c] + c;
            o[at] = {c * h, 0, Load<Kind>::at(m.base + c * m.col_stride, m.chan_stride)};  // row 0: read in order
            next[c] = at + 1;
        }
        int64_t* nx = next.data();
        for (int64_t b = 0; b < bands; ++b) {
            const Transition* td = parts[b].data;
            const int64_t tn = parts[b].size;
            for (int64_t k = 0; k < tn; ++k) o[nx[td[k].col]++] = {td[k].col * h + td[k].row, 0, td[k].key};
        }
    } catch (...) {
        return Status::bad_alloc;
    }
    for (int64_t c = 0; c < w; ++c) {
        const int64_t lo = first[c] + c, hi = first[c + 1] + c + 1, end = (c + 1) * h;
        for (int64_t i = lo; i + 1 < hi; ++i) o[i].len = o[i + 1].start - o[i].start;
        o[hi - 1].len = end - o[hi - 1].start;
    }
    return Status::ok;
}

template <int Kind>
Status scan_kind(const MapView& m, int threads, RunBuf<KeyRun>& out) noexcept {
    if (m.rows <= 0 || m.cols <= 0) return Status::ok;
    const int64_t rs = m.row_stride < 0 ? -m.row_stride : m.row_stride;
    const int64_t cs = m.col_stride < 0 ? -m.col_stride : m.col_stride;
    if (rs > cs) return scan_rows<Kind>(m, threads, out);
    const int64_t strips = (m.cols + kStrip - 1) / kStrip;  // column blocks for threads
    const int workers = worth(threads, static_cast<uint64_t>(m.rows) * static_cast<uint64_t>(m.cols), 1 << 20);
    const int64_t chunks = std::min<int64_t>(strips, workers > 1 ? int64_t{workers} * 4 : 1);
    if (chunks <= 1) return scan_columns<Kind>(m, 0, m.cols, out) ? Status::ok : Status::bad_alloc;
    std::vector<RunBuf<KeyRun>> parts;
    std::vector<char> ok;
    try {
        parts.resize(static_cast<size_t>(chunks));
        ok.assign(static_cast<size_t>(chunks), 0);
    } catch (...) {
        return Status::bad_alloc;
    }
    parallel_for(chunks, workers, [&](int64_t i) {
        const int64_t lo = strips * i / chunks * kStrip, hi = std::min(m.cols, strips * (i + 1) / chunks * kStrip);
        ok[i] = scan_columns<Kind>(m, lo, hi, parts[i]);
    });
    int64_t total = 0;
    for (int64_t i = 0; i < chunks; ++i) {
        if (!ok[i]) return Status::bad_alloc;
        total += parts[i].size;
    }
    if (!out.reserve_more(total)) return Status::bad_alloc;
    for (int64_t i = 0; i < chunks; ++i) {
        if (parts[i].size) std::memcpy(out.data + out.size, parts[i].data, sizeof(KeyRun) * parts[i].size);
        out.size += parts[i].size;
    }
    return Status::ok;
}

// Maps a key to its index in the sorted keys, or -1.
struct KeyIndex {
    const uint64_t* keys;
    int64_t n;
    std::vector<int32_t> table;  // keys < 2^16: direct
    uint64_t last_key = 0;
    int64_t last = -2;

    bool init(const uint64_t* k, int64_t nk) noexcept {
        keys = k;
        n = nk;
        if (nk > 0 && k[nk - 1] < (1u << 16)) {
            try {
                table.assign(static_cast<size_t>(k[nk - 1] + 1), -1);
            } catch (...) {
                return false;
            }
            for (int64_t i = 0; i < nk; ++i) table[k[i]] = static_cast<int32_t>(i);
        }
        return true;
    }
    int64_t find(uint64_t key) noexcept {
        if (!table.empty()) return key < table.size() ? table[key] : -1;
        if (last != -2 && key == last_key) return last;
        const uint64_t* p = std::lower_bound(keys, keys + n, key);
        last_key = key;
        last = (p != keys + n && *p == key) ? p - keys : -1;
        return last;
    }
};

}  // namespace

Status scan_runs(const MapView& m, int threads, RunBuf<KeyRun>& out) noexcept {
    switch (m.kind) {
        case 1: return scan_kind<1>(m, threads, out);
        case 2: return scan_kind<2>(m, threads, out);
        case 3: return scan_kind<3>(m, threads, out);
        case 4: return scan_kind<4>(m, threads, out);
        case 8: return scan_kind<8>(m, threads, out);
        default: return Status::invalid_argument;
    }
}

// The reference: every pixel in flattening order, one scalar compare each.
Status scan_runs_reference(const MapView& m, RunBuf<KeyRun>& out) noexcept {
    auto load = [&](int64_t r, int64_t c) -> uint64_t {
        const uint8_t* p = m.base + r * m.row_stride + c * m.col_stride;
        switch (m.kind) {
            case 1: return Load<1>::at(p, 0);
            case 2: return Load<2>::at(p, 0);
            case 3: return Load<3>::at(p, m.chan_stride);
            case 4: return Load<4>::at(p, 0);
            default: return Load<8>::at(p, 0);
        }
    };
    if (m.kind != 1 && m.kind != 2 && m.kind != 3 && m.kind != 4 && m.kind != 8) return Status::invalid_argument;
    for (int64_t c = 0; c < m.cols; ++c) {
        for (int64_t r = 0; r < m.rows; ++r) {
            const uint64_t v = load(r, c);
            if (r > 0 && out.data[out.size - 1].key == v) {
                ++out.data[out.size - 1].len;
            } else if (!out.push({c * m.rows + r, 1, v})) {
                return Status::bad_alloc;
            }
        }
    }
    return Status::ok;
}

template <class T>
Status gather_runs(const KeyRun* runs, int64_t nruns, const uint64_t* keys, const int64_t* seg_of_key, int64_t nkeys,
                   int64_t nseg, uint64_t total, RunBuf<T>& counts, RunBuf<int64_t>& offsets,
                   int64_t& unknown_pixels, int64_t& first_unknown) noexcept {
    unknown_pixels = 0;
    first_unknown = -1;
    KeyIndex index;
    std::vector<int64_t> end, pos;  // pass 2 looks each run's key up again (cheaper than storing it)
    try {
        end.assign(static_cast<size_t>(nseg), -1);
        pos.assign(static_cast<size_t>(nseg), 0);
    } catch (...) {
        return Status::bad_alloc;
    }
    if (!index.init(keys, nkeys)) return Status::bad_alloc;
    // Pass 1: each segment's number of counts.
    std::vector<int64_t>& n = pos;
    for (int64_t i = 0; i < nruns; ++i) {
        const int64_t k = index.find(runs[i].key);
        if (k < 0) {
            unknown_pixels += runs[i].len;
            if (first_unknown < 0) first_unknown = i;
            continue;
        }
        const int64_t s = seg_of_key[k];
        if (s < 0) continue;
        if (s >= nseg) return Status::invalid_argument;
        if (end[s] >= 0 && end[s] == runs[i].start) {
            end[s] += runs[i].len;
        } else {
            n[s] += 2;
            end[s] = runs[i].start + runs[i].len;
        }
    }
    if (!offsets.reserve_more(nseg + 1)) return Status::bad_alloc;
    offsets.push_unchecked(0);
    for (int64_t s = 0; s < nseg; ++s) {
        const int64_t tail = end[s] < 0 || static_cast<uint64_t>(end[s]) < total ? 1 : 0;
        offsets.push_unchecked(offsets.data[s] + n[s] + tail);
    }
    if (!counts.reserve_more(offsets.data[nseg])) return Status::bad_alloc;
    counts.size = offsets.data[nseg];
    // Pass 2: write them.
    for (int64_t s = 0; s < nseg; ++s) {
        pos[s] = offsets.data[s];
        end[s] = -1;
    }
    T* out = counts.data;
    for (int64_t i = 0; i < nruns; ++i) {
        const KeyRun& run = runs[i];
        const int64_t k = index.find(run.key);
        if (k < 0) continue;
        const int64_t s = seg_of_key[k];
        if (s < 0) continue;
        if (end[s] >= 0 && end[s] == run.start) {
            out[pos[s] - 1] = static_cast<T>(out[pos[s] - 1] + run.len);
        } else {
            out[pos[s]++] = static_cast<T>(run.start - (end[s] < 0 ? 0 : end[s]));
            out[pos[s]++] = static_cast<T>(run.len);
        }
        end[s] = run.start + run.len;
    }
    for (int64_t s = 0; s < nseg; ++s) {
        if (end[s] < 0) out[pos[s]++] = static_cast<T>(total);
        else if (static_cast<uint64_t>(end[s]) < total) out[pos[s]++] = static_cast<T>(total - end[s]);
    }
    return Status::ok;
}

template <class T>
Status paint_runs(const T* flat, const int64_t* offsets, const uint64_t* values, const int64_t* order, int64_t norder,
                  int elem_size, uint8_t* out, uint64_t total, ErrorInfo& err) noexcept {
    for (int64_t i = 0; i < norder; ++i) {
        const int64_t s = order[i];
        const uint64_t v = values[s];
        uint64_t p = 0;
        for (int64_t k = offsets[s]; k < offsets[s + 1]; ++k) {
            const uint64_t c = flat[k];
            if (c > total - p) {
                err.index = s;
                err.value = k - offsets[s];
                return Status::corrupt_rle;
            }
            if ((k - offsets[s]) & 1) {
                switch (elem_size) {
                    case 1: std::memset(out + p, static_cast<int>(v & 0xff), c); break;
                    case 2: std::fill_n(reinterpret_cast<uint16_t*>(out) + p, c, static_cast<uint16_t>(v)); break;
                    case 4: std::fill_n(reinterpret_cast<uint32_t*>(out) + p, c, static_cast<uint32_t>(v)); break;
                    case 8: std::fill_n(reinterpret_cast<uint64_t*>(out) + p, c, v); break;
                    default: return Status::invalid_argument;
                }
            }
            p += c;
        }
    }
    return Status::ok;
}

template Status gather_runs<uint32_t>(const KeyRun*, int64_t, const uint64_t*, const int64_t*, int64_t, int64_t,
                                      uint64_t, RunBuf<uint32_t>&, RunBuf<int64_t>&, int64_t&, int64_t&) noexcept;
template Status gather_runs<uint64_t>(const KeyRun*, int64_t, const uint64_t*, const int64_t*, int64_t, int64_t,
                                      uint64_t, RunBuf<uint64_t>&, RunBuf<int64_t>&, int64_t&, int64_t&) noexcept;
template Status paint_runs<uint32_t>(const uint32_t*, const int64_t*, const uint64_t*, const int64_t*, int64_t, int,
                                     uint8_t*, uint64_t, ErrorInfo&) noexcept;
template Status paint_runs<uint64_t>(const uint64_t*, const int64_t*, const uint64_t*, const int64_t*, int64_t, int,
                                     uint8_t*, uint64_t, ErrorInfo&) noexcept;

}  // namespace maskcore::segments
