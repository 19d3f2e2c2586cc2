// The persistent thread pool behind parallel_for (see parallel.hpp).
#include "parallel.hpp"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

namespace maskcore::detail {
namespace {

// How long a thread spins before it sleeps, waiting for work or for the helpers to
// finish: longer than the gaps between the parallel loops of one kernel call and
// between calls from a Python loop, shorter than anything a user would notice on
// an idle core. Timed, not counted: a pause instruction lasts 2 ns on some cores
// and 40 on others.
constexpr std::chrono::microseconds kSpin{200};

inline void relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#else
    std::this_thread::yield();
#endif
}

struct Job {
    int64_t n = 0, block = 1;
    void (*body)(void*, int64_t, int64_t) = nullptr;
    void* ctx = nullptr;
    std::atomic<int64_t> next{0};
};

// Spins until done() or kSpin has passed; returns done().
template <class F>
bool spin_until(F&& done) noexcept {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        for (int i = 0; i < 64; ++i) {
            if (done()) return true;
            relax();
        }
        if (std::chrono::steady_clock::now() - start > kSpin) return done();
        // Let a thread that shares this core run: the scheduler sometimes puts the
        // caller and a helper on one core, where a pure spin would starve the caller.
        std::this_thread::yield();
    }
}

class Pool {
   public:
    // Never destroyed: workers may still be waiting when the process exits.
    static Pool* get() noexcept {
        static std::mutex guard;
        static Pool* pool = nullptr;
        std::lock_guard<std::mutex> lock(guard);
        if (!pool || pool->pid_ != getpid()) pool = new (std::nothrow) Pool();  // fresh after fork()
        return pool;
    }

    bool run(int64_t n, int threads, int64_t block, void (*body)(void*, int64_t, int64_t), void* ctx) noexcept {
        std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
        if (!busy.owns_lock()) return false;
        const int helpers = grow(threads - 1);
        if (helpers == 0) return false;
        {
            std::lock_guard<std::mutex> lock(m_);
            job_.n = n;
            job_.block = block;
            job_.body = body;
            job_.ctx = ctx;
            job_.next.store(0, std::memory_order_relaxed);
            wanted_.store(helpers, std::memory_order_relaxed);
            running_.store(helpers, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_release);  // publishes the job to spinning workers
        }
        wake_.notify_all();
        work();
        // The helpers usually finish within microseconds of the caller: spin before
        // sleeping, as they do (a futex wake-up costs tens of microseconds here).
        spin_until([&] { return running_.load(std::memory_order_acquire) == 0; });
        if (running_.load(std::memory_order_acquire) != 0) {
            std::unique_lock<std::mutex> lock(m_);
            done_.wait(lock, [&] { return running_.load(std::memory_order_acquire) == 0; });
        }
        return true;
    }

   private:
    Pool() : pid_(getpid()) {}

    // Starts workers until there are `want` (as many as could be started).
    int grow(int want) noexcept {
        try {
            while (static_cast<int>(threads_.size()) < want) {
                const int id = static_cast<int>(threads_.size());
                std::thread([this, id] { loop(id); }).detach();
                threads_.push_back(id);
            }
        } catch (...) {
            // keep the workers we have
        }
        return std::min<int>(want, static_cast<int>(threads_.size()));
    }

    void work() noexcept {
        for (;;) {
            const int64_t lo = job_.next.fetch_add(job_.block, std::memory_order_relaxed);
            if (lo >= job_.n) return;
            job_.body(job_.ctx, lo, std::min(job_.n, lo + job_.block));
        }
    }

    bool ready(int id, uint64_t seen) const noexcept {
        return generation_.load(std::memory_order_acquire) != seen && id < wanted_.load(std::memory_order_relaxed);
    }

    void loop(int id) noexcept {
        uint64_t seen = 0;
        for (;;) {
            // Spin a little before sleeping: kernels often run several parallel
            // loops back to back, and a futex wake-up costs more than a short loop.
            if (!spin_until([&] { return ready(id, seen); })) {
                std::unique_lock<std::mutex> lock(m_);
                wake_.wait(lock, [&] { return ready(id, seen); });
            }
            seen = generation_.load(std::memory_order_acquire);
            work();
            std::lock_guard<std::mutex> lock(m_);
            if (running_.fetch_sub(1, std::memory_order_acq_rel) == 1) done_.notify_one();
        }
    }

    const pid_t pid_;
    std::mutex busy_;            // held by the one caller whose job runs
    std::mutex m_;               // guards the fields below
    std::condition_variable wake_, done_;
    std::vector<int> threads_;   // ids of started workers (detached)
    Job job_;
    std::atomic<int> wanted_{0};
    std::atomic<int> running_{0};
    std::atomic<uint64_t> generation_{0};
};

}  // namespace

bool pool_run(int64_t n, int threads, int64_t block, void (*body)(void*, int64_t, int64_t), void* ctx) noexcept {
    Pool* pool = Pool::get();
    return pool && pool->run(n, threads, block, body, ctx);
}

}  // namespace maskcore::detail
