// The persistent thread pool behind parallel_for (see parallel.hpp).
#include "parallel.hpp"

#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

namespace maskcore::detail {
namespace {

// About 50 us of spinning (a pause is ~10-40 ns on current x86 cores).
constexpr int kSpins = 2000;

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
            running_ = helpers;
            generation_.fetch_add(1, std::memory_order_release);  // publishes the job to spinning workers
        }
        wake_.notify_all();
        work();
        std::unique_lock<std::mutex> lock(m_);
        done_.wait(lock, [&] { return running_ == 0; });
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
            bool go = false;
            for (int spin = 0; spin < kSpins && !go; ++spin) {
                go = ready(id, seen);
                if (!go) relax();
            }
            if (!go) {
                std::unique_lock<std::mutex> lock(m_);
                wake_.wait(lock, [&] { return ready(id, seen); });
            }
            seen = generation_.load(std::memory_order_acquire);
            work();
            std::lock_guard<std::mutex> lock(m_);
            if (--running_ == 0) done_.notify_one();
        }
    }

    const pid_t pid_;
    std::mutex busy_;            // held by the one caller whose job runs
    std::mutex m_;               // guards the fields below
    std::condition_variable wake_, done_;
    std::vector<int> threads_;   // ids of started workers (detached)
    Job job_;
    std::atomic<int> wanted_{0};
    int running_ = 0;
    std::atomic<uint64_t> generation_{0};
};

}  // namespace

bool pool_run(int64_t n, int threads, int64_t block, void (*body)(void*, int64_t, int64_t), void* ctx) noexcept {
    Pool* pool = Pool::get();
    return pool && pool->run(n, threads, block, body, ctx);
}

}  // namespace maskcore::detail
