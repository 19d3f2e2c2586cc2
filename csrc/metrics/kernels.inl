// csrc/metrics/kernels.inl — the body of the per-ISA metric kernels, written once
// and included by metrics_<isa>.cpp inside its ISA namespace with a traits struct
// V: kWidth pixels per block and `changes(g, p)` = a bit j set for each pixel j of
// the block whose pair (g[j], p[j]) differs from (g[j-1], p[j-1]) (it reads g[-1]
// and p[-1]); `index(g, p, h, out)` = out[j] = h.index(g[j], p[j]) for the block
// (16-bit lanes: every index is < 2^16). The scalar build's V works on 64-bit words
// (SWAR) and computes indices one by one.

void count_pair(const uint8_t* a, const uint8_t* b, int64_t n, uint64_t out[3], uint8_t* or_acc) {
    uint8_t orr = 0;
    // Blocks of 2^16 bytes: uint32 sums cannot overflow and the loop vectorizes
    // (widening adds) in every ISA region.
    for (int64_t lo = 0; lo < n; lo += 65536) {
        const int64_t hi = n - lo < 65536 ? n : lo + 65536;
        uint32_t si = 0, sa = 0, sb = 0;
        for (int64_t i = lo; i < hi; ++i) {
            const uint8_t x = a[i], y = b[i];
            si += static_cast<uint32_t>(x & y);
            sa += x;
            sb += y;
            orr |= static_cast<uint8_t>(x | y);
        }
        out[0] += si;
        out[1] += sa;
        out[2] += sb;
    }
    *or_acc |= orr;
}

void flush_sub(HistU8& h) {
    for (int t = 0; t < HistU8::kSub; ++t) {
        uint16_t* MC_RESTRICT s = h.sub + t * h.size;
        uint32_t* MC_RESTRICT b = h.bins;
        for (int64_t i = 0; i < h.size; ++i) b[i] += s[i];
        std::memset(s, 0, static_cast<size_t>(h.size) * sizeof(uint16_t));
    }
    h.pending = 0;
}

void hist_u8(const uint8_t* g, const uint8_t* p, int64_t n, HistU8& h, Run& run) {
    uint64_t key = run.key, len = run.len;
    uint32_t* const bins = h.bins;
    auto add_run = [&] { bins[h.index(static_cast<uint32_t>(key >> 8), static_cast<uint32_t>(key & 255))] += static_cast<uint32_t>(len); };
    int64_t i = 0;
    // Pixel by pixel: the first one (its predecessor is the run's pair, from the
    // previous call) and the tail.
    auto one = [&](int64_t j) {
        const uint64_t k = static_cast<uint64_t>(g[j]) << 8 | p[j];
        if (k == key) {
            ++len;
        } else {
            add_run();
            key = k;
            len = 1;
        }
    };
    if (n > 0) one(i++);
    alignas(64) uint16_t idx[V::kWidth];
    // Blocks of kWidth: a bit per pixel whose pair differs from its left neighbour's;
    // the run grows by the gaps between those bits and is flushed at each one.
    for (; n - i >= V::kWidth; i += V::kWidth) {
        uint64_t bits = V::changes(g + i, p + i);
        if (!bits) {  // the common case in label maps
            len += V::kWidth;
            continue;
        }
        if (__builtin_popcountll(bits) > V::kWidth / 4) {
            // Many changes (noise-like maps): a plain increment per pixel costs less
            // than a flush per change. The block's bin indices are computed in vector
            // lanes, then pixel j is counted in sub-table j % kSub.
            add_run();
            static_assert(V::kWidth % HistU8::kSub == 0, "blocks split evenly over the sub-tables");
            if (h.pending + V::kWidth / HistU8::kSub > HistU8::kFlushAt) flush_sub(h);
            h.pending += V::kWidth / HistU8::kSub;
            V::index(g + i, p + i, h, idx);
            uint16_t* const s = h.sub;
            for (int64_t j = 0; j < V::kWidth; j += HistU8::kSub)
                for (int t = 0; t < HistU8::kSub; ++t) ++s[t * h.size + idx[j + t]];
            key = static_cast<uint64_t>(g[i + V::kWidth - 1]) << 8 | p[i + V::kWidth - 1];
            len = 0;
            continue;
        }
        int64_t last = 0;
        do {
            const int64_t j = __builtin_ctzll(bits);
            bits &= bits - 1;
            len += static_cast<uint64_t>(j - last);
            add_run();
            key = static_cast<uint64_t>(g[i + j]) << 8 | p[i + j];
            len = 0;
            last = j;
        } while (bits);
        len += static_cast<uint64_t>(V::kWidth - last);
    }
    for (; i < n; ++i) one(i);
    run.key = key;
    run.len = len;
}

void boundary_column(const uint8_t* v, const uint8_t* m, int32_t* lz, int64_t n, int32_t c, int32_t limit,
                     uint8_t* b) {
    if (v) {
        for (int64_t r = 0; r < n; ++r) {
            const int32_t z = v[r] ? lz[r] : c;
            lz[r] = z;
            b[r] = static_cast<uint8_t>(m[r] & static_cast<uint8_t>(z >= limit));
        }
    } else {
        for (int64_t r = 0; r < n; ++r) {
            lz[r] = c;
            b[r] = static_cast<uint8_t>(m[r] & static_cast<uint8_t>(c >= limit));
        }
    }
}
