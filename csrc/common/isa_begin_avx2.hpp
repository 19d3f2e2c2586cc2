// Opens a target region: functions defined until isa_end.hpp may use AVX2 + BMI + LZCNT.
// Include standard headers before this, never inside the region (their inline
// functions must keep the baseline target). Pair with isa_end.hpp.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,bmi,bmi2,lzcnt,popcnt"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,bmi,bmi2,lzcnt,popcnt")
#endif
