// tools/scatter_floor.cpp: the cost of one table increment per pixel on this machine,
// the floor of a confusion matrix over uniform noise (every pixel a new pair, nothing
// to merge). 16M random (g, p) pairs of 150 classes, indices precomputed; thread CPU
// time per pixel for ++u32[idx], ++u16[idx], a uint8 table with a wrap carry, the
// index computed in the loop, four interleaved tables, and load-only / store-only
// loops over the same indices.
//     g++ -O2 -o /tmp/scatter_floor tools/scatter_floor.cpp && /tmp/scatter_floor
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>
static double now() { timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main() {
    const int64_t n = 16000000; const int K = 150, S = (K + 2) * (K + 1);
    std::vector<uint16_t> idx(n); std::vector<uint8_t> g(n), p(n);
    uint64_t x = 88172645463325252ull;
    for (int64_t i = 0; i < n; ++i) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; g[i] = (x >> 8) % K; p[i] = (x >> 32) % K; idx[i] = g[i] * (K + 1) + p[i]; }
    std::vector<uint8_t> s8(S); std::vector<uint16_t> s16(S); std::vector<uint32_t> s32(S), bins(S);
    for (int rep = 0; rep < 3; ++rep) {
        double t = now();
        for (int64_t i = 0; i < n; ++i) ++s32[idx[i]];
        double a = now() - t; t = now();
        for (int64_t i = 0; i < n; ++i) ++s16[idx[i]];
        double b = now() - t; t = now();
        for (int64_t i = 0; i < n; ++i) { uint32_t j = idx[i]; if (__builtin_expect(++s8[j] == 0, 0)) bins[j] += 256; }
        double c = now() - t; t = now();
        for (int64_t i = 0; i < n; ++i) { ++s32[g[i] * (K + 1) + p[i]]; }
        double d = now() - t; t = now();
        std::vector<uint32_t> s4(4 * S);
        for (int64_t i = 0; i < n; i += 4) { ++s4[idx[i]]; ++s4[S + idx[i+1]]; ++s4[2*S + idx[i+2]]; ++s4[3*S + idx[i+3]]; }
        double e = now() - t; t = now();
        uint32_t acc = 0;
        for (int64_t i = 0; i < n; ++i) { acc += s32[idx[i]]; }
        double f = now() - t; t = now();
        for (int64_t i = 0; i < n; ++i) { s32[idx[i]] = i; }
        double h = now() - t;
        printf("4tab %.3f loadonly %.3f storeonly %.3f (%u)\n", e / n * 1e9, f / n * 1e9, h / n * 1e9, acc);

        printf("ns/px: u32 %.3f u16 %.3f u8wrap %.3f u32 g*k+p %.3f\n", a / n * 1e9, b / n * 1e9, c / n * 1e9, d / n * 1e9);
    }
    printf("%d %d %d\n", s32[5], s16[7], s8[9]);
}
