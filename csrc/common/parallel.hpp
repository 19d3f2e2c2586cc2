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
//
// Exceptions never leave a loop: a worker (or the caller's own share) that throws
// -- std::bad_alloc from a vector that grows inside the loop body, say -- stops
// taking blocks, the other threads stop at their next block, and parallel_for
// returns the failure as a Status (bad_alloc for std::bad_alloc and
// std::length_error, internal for anything else) once every thread is done. The
// pool threads are noexcept, so an escaping exception would be std::terminate:
// the Python process gone instead of a MemoryError.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <new>
#include <stdexcept>

#include "common.hpp"

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

// The Status of the exception being handled (call inside a catch block only).
inline Status status_of_current_exception() noexcept {
    try {
        throw;
    } catch (const std::bad_alloc&) {
        return Status::bad_alloc;
    } catch (const std::length_error&) {  // a container asked for more than it can index
        return Status::bad_alloc;
    } catch (...) {
        return Status::internal;
    }
}

// Runs f(i) for i in [0, n) on up to `threads` threads; returns Status::ok, or the
// failure of the first call that threw (see the header). After a failure the
// remaining items may or may not have run: the caller discards the output.
template <class F>
Status parallel_for(int64_t n, int threads, F&& f) noexcept {
    struct Ctx {
        F& fn;
        std::atomic<int> failed{0};  // a Status, 0 = ok
        void run(int64_t lo, int64_t hi) noexcept {
            if (failed.load(std::memory_order_relaxed)) return;
            try {
                for (int64_t i = lo; i < hi; ++i) fn(i);
            } catch (...) {
                int none = 0;
                failed.compare_exchange_strong(none, static_cast<int>(status_of_current_exception()));
            }
        }
    } ctx{f};
    bool done = false;
    if (threads > 1 && n > 1) {
        const int64_t workers = std::min<int64_t>(threads, n);
        const int64_t block = std::max<int64_t>(1, n / (workers * 8));  // 8 blocks per worker: balance
        auto body = [](void* c, int64_t lo, int64_t hi) { static_cast<Ctx*>(c)->run(lo, hi); };
        done = detail::pool_run(n, static_cast<int>(workers), block, body, &ctx);
    }
    if (!done) ctx.run(0, n);
    return static_cast<Status>(ctx.failed.load(std::memory_order_acquire));
}

}  // namespace maskcore

// parallel_for inside a function that returns Status: returns the loop's failure.
#define MC_PARALLEL_FOR(...)                                                    \
    do {                                                                        \
        const ::maskcore::Status mc_par_status_ = ::maskcore::parallel_for(__VA_ARGS__); \
        if (mc_par_status_ != ::maskcore::Status::ok) return mc_par_status_;    \
    } while (0)
