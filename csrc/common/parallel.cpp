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
            wanted_ = helpers;
            running_ = helpers;
            ++generation_;
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

    void loop(int id) noexcept {
        uint64_t seen = 0;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(m_);
                wake_.wait(lock, [&] { return generation_ != seen && id < wanted_; });
                seen = generation_;
            }
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
    int wanted_ = 0, running_ = 0;
    uint64_t generation_ = 0;
};

}  // namespace

bool pool_run(int64_t n, int threads, int64_t block, void (*body)(void*, int64_t, int64_t), void* ctx) noexcept {
    Pool* pool = Pool::get();
    return pool && pool->run(n, threads, block, body, ctx);
}

}  // namespace maskcore::detail
