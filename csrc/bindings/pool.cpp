// A pool for the memory of large output arrays (a superpixel image's labels and
// features: tens to hundreds of MB).
//
// Fresh memory costs page faults, and on a virtual machine whose host backs guest
// memory on demand they cost far more than the zeroing: a fresh 64 MB array took
// 0.004-0.25 s of system time here (maskcore.slic at 4000 x 4000: 0.46 s in all),
// and two threads faulting at once wait on each other. glibc returns such blocks to
// the system on free (they are above its mmap threshold), so a loop that drops each
// result and asks for the next pays that every time. An array made here owns its
// block through a capsule that, when numpy frees the array, keeps the block for the
// next request of about the same size (a block of 1-2x the request), up to kKeep
// bytes kept in all; beyond that blocks are freed. Requests below kMin go to numpy.
// Views and buffer exports keep the capsule, hence the block, alive; a block is
// reused only after its last user is gone. Sanitizer builds free every block, so
// that a use after free stays visible.
//
// What differs from np.empty's arrays: a pooled array does not own its data (its base
// is a uint8 array over the block), so ndarray.resize() in place raises ValueError, as
// for any view; np.resize(a, shape) or a.copy() work. flags.writeable toggles both
// ways, as for a plain array.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <vector>

#include <unistd.h>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {

constexpr size_t kMin = size_t{8} << 20;    // smaller arrays: numpy's own allocation
constexpr size_t kKeep = size_t{256} << 20;  // at most this many free bytes kept
constexpr size_t kAlign = size_t{2} << 20;   // huge-page aligned, as numpy asks for large arrays

struct Block {
    void* p;
    size_t cap;
};

struct Pool {
    std::mutex mu;
    std::vector<Block> free;
    size_t kept = 0;
    pid_t pid = getpid();
};

// Never destroyed: capsules may die during interpreter exit. The child of a fork()
// starts a fresh pool, as parallel.cpp's thread pool does: a thread of the parent may
// have held the lock at the fork, and would never release it there (the parent's
// kept blocks are left to it, unused).
Pool& pool() {
    static std::atomic<Pool*> current{nullptr};
    Pool* p = current.load(std::memory_order_acquire);
    if (p && p->pid == getpid()) return *p;
    Pool* fresh = new Pool;
    if (current.compare_exchange_strong(p, fresh, std::memory_order_acq_rel)) return *fresh;
    delete fresh;  // another thread installed one first
    return *p;
}

// The smallest kept block of n..2n bytes, or a new one (nullptr: out of memory).
Block take(size_t n) {
    Pool& P = pool();
    {
        std::lock_guard<std::mutex> lock(P.mu);
        auto best = P.free.end();
        for (auto it = P.free.begin(); it != P.free.end(); ++it)
            if (it->cap >= n && it->cap / 2 <= n && (best == P.free.end() || it->cap < best->cap)) best = it;
        if (best != P.free.end()) {
            const Block b = *best;
            P.free.erase(best);
            P.kept -= b.cap;
            return b;
        }
    }
    const size_t cap = (n + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, cap);
#ifdef __linux__
    if (p) madvise(p, cap, MADV_HUGEPAGE);
#endif
    return {p, cap};
}

void give(Block b) noexcept {
#ifndef MASKCORE_SANITIZE
    Pool& P = pool();
    std::lock_guard<std::mutex> lock(P.mu);
    if (P.kept + b.cap <= kKeep) {
        try {
            P.free.push_back(b);
            P.kept += b.cap;
            return;
        } catch (...) {
        }
    }
#endif
    std::free(b.p);
}

}  // namespace

py::array pooled_empty(const py::dtype& dt, const std::vector<py::ssize_t>& shape) {
    size_t n = static_cast<size_t>(dt.itemsize());
    for (const py::ssize_t d : shape) {
        if (d < 0) throw py::value_error("shape: expected non-negative sizes");
        if (d > 0 && n > SIZE_MAX / 2 / static_cast<size_t>(d)) throw std::bad_alloc();
        n *= static_cast<size_t>(d);
    }
    if (n < kMin) return py::array(dt, shape);
    const Block b = take(n);
    if (!b.p) throw std::bad_alloc();
    auto* owner = new (std::nothrow) Block(b);
    if (!owner) {
        give(b);
        throw std::bad_alloc();
    }
    py::capsule base;
    try {
        base = py::capsule(owner, [](void* q) {
            auto* blk = static_cast<Block*>(q);
            give(*blk);
            delete blk;
        });
    } catch (...) {
        give(b);
        delete owner;
        throw;
    }
    // The array is a view of a writable 1-D uint8 array that holds the capsule, not of
    // the capsule itself: numpy lets a view set flags.writeable back to True only when
    // some base in its chain is a writable array (or buffer), so with the capsule as
    // the direct base a pooled output refused what a plain one allows. A view still
    // refuses ndarray.resize() in place (it does not own its data), as every view
    // does; maskcore's docs say so (tests/test_hostile_pool.py).
    py::array block(py::dtype::of<uint8_t>(), {static_cast<py::ssize_t>(n)}, {}, b.p, base);
    return py::array(dt, shape, {}, b.p, block);  // (if this throws, the capsule gives the block back)
}

void pool_release() {
    Pool& P = pool();
    std::lock_guard<std::mutex> lock(P.mu);
    for (const Block& b : P.free) std::free(b.p);
    P.free.clear();
    P.kept = 0;
}

size_t pool_kept_bytes() {
    Pool& P = pool();
    std::lock_guard<std::mutex> lock(P.mu);
    return P.kept;
}

}  // namespace maskcore::py_bind
