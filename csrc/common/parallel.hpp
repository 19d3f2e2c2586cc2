// csrc/common/parallel.hpp — a minimal fork-join loop for batch kernels.
// Items are independent and written to distinct outputs, so the result does not
// depend on the thread count or on scheduling. Threads are started per call: the
// batch kernels that use this run for milliseconds, the start-up for microseconds.
// If a thread cannot be started the caller's thread does the remaining work.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace maskcore {

// How many threads `work` units are worth: one more per `grain` units, at most
// `threads`. Starting a thread costs tens of microseconds, so a batch kernel passes
// a grain worth about a millisecond of its own work (the bindings say which unit).
inline int worth(int threads, uint64_t work, uint64_t grain) noexcept {
    const uint64_t n = work / (grain ? grain : 1);
    return n < 1 ? 1 : (n < static_cast<uint64_t>(threads) ? static_cast<int>(n) : threads);
}

template <class F>
void parallel_for(int64_t n, int threads, F&& f) noexcept {
    if (threads <= 1 || n <= 1) {
        for (int64_t i = 0; i < n; ++i) f(i);
        return;
    }
    const int64_t workers = std::min<int64_t>(threads, n);
    const int64_t block = std::max<int64_t>(1, n / (workers * 8));  // 8 blocks per worker: balance
    std::atomic<int64_t> next{0};
    auto work = [&]() noexcept {
        for (;;) {
            const int64_t lo = next.fetch_add(block, std::memory_order_relaxed);
            if (lo >= n) return;
            const int64_t hi = std::min(n, lo + block);
            for (int64_t i = lo; i < hi; ++i) f(i);
        }
    };
    std::vector<std::thread> pool;
    try {
        pool.reserve(static_cast<size_t>(workers - 1));
        for (int64_t t = 1; t < workers; ++t) pool.emplace_back(work);
    } catch (...) {
        // fewer threads (or none): the loop below still finishes every item
    }
    work();
    for (auto& t : pool) t.join();
}

}  // namespace maskcore
