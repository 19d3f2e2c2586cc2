// csrc/ccl/transpose8.inl — an 8x8 transpose of 32-bit elements in AVX registers,
// for the V policies of ccl_avx2.cpp and ccl_avx512.cpp (included inside the V
// struct, after the ISA's target pragma). Bit moves only (float shuffles on integer
// data): dst row j = column j of src. Rows are ss (src) and ds (dst) elements apart.
static void transpose8(const uint32_t* src, int64_t ss, uint32_t* dst, int64_t ds) {
    const __m256 r0 = _mm256_loadu_ps(reinterpret_cast<const float*>(src));
    const __m256 r1 = _mm256_loadu_ps(reinterpret_cast<const float*>(src + ss));
    const __m256 r2 = _mm256_loadu_ps(reinterpret_cast<const float*>(src + 2 * ss));
    const __m256 r3 = _mm256_loadu_ps(reinterpret_cast<const float*>(src + 3 * ss));
    const __m256 r4 = _mm256_loadu_ps(reinterpret_cast<const float*>(src + 4 * ss));
    const __m256 r5 = _mm256_loadu_ps(reinterpret_cast<const float*>(src + 5 * ss));
    const __m256 r6 = _mm256_loadu_ps(reinterpret_cast<const float*>(src + 6 * ss));
    const __m256 r7 = _mm256_loadu_ps(reinterpret_cast<const float*>(src + 7 * ss));
    // pairs of rows interleaved, then quadruples, then the 128-bit halves exchanged
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    float* d = reinterpret_cast<float*>(dst);
    _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(d + ds, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(d + 2 * ds, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(d + 3 * ds, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(d + 4 * ds, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(d + 5 * ds, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(d + 6 * ds, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(d + 7 * ds, _mm256_permute2f128_ps(u3, u7, 0x31));
}
