// csrc/metrics/kernels.inl — the body of the per-ISA metric kernels, written once
// and included by metrics_<isa>.cpp inside its ISA namespace with a traits struct
// V: kWidth bytes per block and `uniform(g, p, g0, p0)` = all kWidth pixels of the
// block equal the pair (g0, p0). The scalar build's V works on 64-bit words.

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

void hist_u8(const uint8_t* g, const uint8_t* p, int64_t n, uint32_t* bins, Run& run) {
    uint64_t key = run.key, len = run.len;
    int64_t i = 0;
    while (i < n) {
        if (n - i >= V::kWidth) {
            const uint64_t k = static_cast<uint64_t>(g[i]) << 8 | p[i];
            if (V::uniform(g + i, p + i, g[i], p[i])) {  // the common case in label maps
                if (k != key) {
                    bins[key] += static_cast<uint32_t>(len);
                    key = k;
                    len = 0;
                }
                len += V::kWidth;
                i += V::kWidth;
                continue;
            }
        }
        const int64_t end = n - i >= V::kWidth ? i + V::kWidth : n;
        for (; i < end; ++i) {
            const uint64_t k = static_cast<uint64_t>(g[i]) << 8 | p[i];
            if (k == key) {
                ++len;
            } else {
                bins[key] += static_cast<uint32_t>(len);
                key = k;
                len = 1;
            }
        }
    }
    run.key = key;
    run.len = len;
}
