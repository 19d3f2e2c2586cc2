// csrc/common/parallel.hpp — fork-join loops for batch kernels on a persistent pool.
//
// Items are independent and written to distinct outputs, so results never depend
// on the thread count or on scheduling. Worker threads are started once, on first
// use, and then wait for work: they spin for 200 us (yielding, so they never starve
// a thread that shares their core) and then sleep. A kernel's parallel loops, and
// calls from a Python loop, follow each other within that window, so helpers join
// in microseconds instead of the tens a futex wake-up or a thread start costs.
//
// One job at a time uses the pool. A caller that finds it busy (another Python
// thread in a kernel: the GIL is released) runs its loop inline instead of
// waiting, so concurrent callers never deadlock or oversubscribe the cores. After
// fork() the child starts a fresh pool (the parent's threads do not exist there).
// If threads cannot be started, loops run inline.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>

namespace maskcore {

// How many threads `work` units are worth: one more per `grain` units, at most
// `threads`. A batch kernel passes a grain worth roughly 100 us of its own work
// (its binding says which unit), so that the pool's wake-up cost stays small.
inline int worth(int threads, uint64_t work, uint64_t grain) noexcept {
    const uint64_t n = work / (grain ? grain : 1);
    return n < 1 ? 1 : (n < static_cast<uint64_t>(threads) ? static_cast<int>(n) : threads);
}

namespace detail {
// Runs body(ctx, lo, hi) over blocks of [0, n) on up to `threads` threads (the
// caller's included). Returns false if the pool was busy or unavailable (nothing ran).
bool pool_run(int64_t n, int threads, int64_t block, void (*body)(void*, int64_t, int64_t), void* ctx) noexcept;
}  // namespace detail

template <class F>
void parallel_for(int64_t n, int threads, F&& f) noexcept {
    if (threads > 1 && n > 1) {
        const int64_t workers = std::min<int64_t>(threads, n);
        const int64_t block = std::max<int64_t>(1, n / (workers * 8));  // 8 blocks per worker: balance
        auto body = [](void* ctx, int64_t lo, int64_t hi) {
            F& fn = *static_cast<F*>(ctx);
            for (int64_t i = lo; i < hi; ++i) fn(i);
        };
        if (detail::pool_run(n, static_cast<int>(workers), block, body, &f)) return;
    }
    for (int64_t i = 0; i < n; ++i) f(i);
}

}  // namespace maskcore
