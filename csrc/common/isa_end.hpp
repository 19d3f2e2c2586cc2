// Closes the target region opened by isa_begin_<isa>.hpp.
#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif
