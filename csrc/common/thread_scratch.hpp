// csrc/common/thread_scratch.hpp — per-thread scratch memory: one arena per thread, one
// limit, one release.
//
// WHY. Kernels called once per annotation take about a microsecond; a malloc / free pair
// per buffer per call (and the page faults of a fresh block) would cost a sizeable part
// of it. So their working buffers outlive the call, one set per thread.
//
// THE ARENA. Every such set is a struct S (of RunBufs, vectors or structs of them) that
// a kernel takes with
//
//     ScratchLease<S> lease;       // this thread's S, for the extent of the call
//     S& s = *lease;
//
// (or thread_scratch<S>() where the lease cannot be scoped). One S per type and thread:
// name a struct per use (two functions that must not share buffers use two types). Take
// it once per kernel call and hold it no longer than the call: a release may reset it
// at the next take.
//
// ONE LIMIT. kScratchKeepBytes is what a thread keeps between calls, over all of its
// scratch: a lease that ends with the thread above it frees the set it leased (only that
// one: a caller may hold another). One call on a huge input does not pin its memory, and
// a thread that ran every kernel family keeps about this much at most.
// A set's size is scratch_bytes(s): RunBuf and std::vector (with what its RunBuf or vector
// elements hold) are measured here; a struct
// lists its buffers with MC_SCRATCH_BYTES(member, ...).
//
// ONE RELEASE. release_scratch() (maskcore.release_memory()) frees the calling thread's
// sets at once and makes every other thread free its sets when it next takes one (a
// global epoch: a thread's memory is its own, never freed from under it).
//
// In a shared library every thread_local access is a __tls_get_addr call, and GCC
// recomputes the address after each call the function makes, even through a
// reference bound once (and propagates it into callees that take it as an
// argument). tls_once hides the address behind an empty asm, so it is fetched once
// and stays in a register: worth ~0.1 us per call in kernels called once per
// polygon with several scratch buffers.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "common.hpp"
#include "runbuf.hpp"

namespace maskcore {

template <class T>
inline T& tls_once(T& v) noexcept {
    T* p = &v;
#if defined(__GNUC__)
    asm("" : "+r"(p));
#endif
    return *p;
}

// What a thread keeps between calls, over all of its scratch sets. 64 MiB: the largest
// of the limits the families had chosen one by one (trace's 64 MiB, iou's 8 MiB per
// buffer), so that no kernel's small and medium inputs start paying page faults again.
inline constexpr size_t kScratchKeepBytes = size_t{64} << 20;

template <class T>
inline size_t scratch_bytes(const RunBuf<T>& b) noexcept {
    return static_cast<size_t>(b.cap) * sizeof(T);
}
template <class T>
struct owns_scratch : std::false_type {};  // an element that holds memory of its own
template <class T>
struct owns_scratch<RunBuf<T>> : std::true_type {};
template <class T, class A>
struct owns_scratch<std::vector<T, A>> : std::true_type {};
template <class T, class A>
inline size_t scratch_bytes(const std::vector<T, A>& v) noexcept {
    size_t n = v.capacity() * sizeof(T);
    if constexpr (owns_scratch<T>::value)
        for (const T& x : v) n += scratch_bytes(x);
    return n;
}
template <class T, size_t N>
inline size_t scratch_bytes(const T (&a)[N]) noexcept {
    size_t n = 0;
    for (const T& x : a) n += scratch_bytes(x);
    return n;
}
// A struct's scratch: the sum over the listed members (found by ADL or above).
template <class S>
inline auto scratch_bytes(const S& s) noexcept -> decltype(s.scratch_bytes()) {
    return s.scratch_bytes();
}
namespace detail {
inline size_t scratch_sum() noexcept { return 0; }
template <class A, class... R>
inline size_t scratch_sum(const A& a, const R&... r) noexcept {
    return scratch_bytes(a) + scratch_sum(r...);
}
}  // namespace detail
#define MC_SCRATCH_BYTES(...) \
    size_t scratch_bytes() const noexcept { return ::maskcore::detail::scratch_sum(__VA_ARGS__); }

namespace detail {
struct ThreadScratch;
struct ScratchNode {
    ScratchNode* next = nullptr;
    ThreadScratch* owner = nullptr;
    void (*drop)(ScratchNode*) noexcept = nullptr;
    size_t (*bytes)(const ScratchNode*) noexcept = nullptr;
    uint64_t epoch = 0;
    size_t kept = 0;  // scratch_bytes at the end of its last lease
};
struct ThreadScratch {
    ScratchNode* head = nullptr;
    size_t kept = 0;  // the sum of the nodes' kept
    void drop_all() noexcept {
        for (ScratchNode* n = head; n; n = n->next) n->drop(n);
        kept = 0;
    }
};
inline std::atomic<uint64_t>& scratch_epoch() noexcept {
    static std::atomic<uint64_t> epoch{0};
    return epoch;
}
inline ThreadScratch& this_thread_scratch() noexcept {
    thread_local ThreadScratch t;
    return t;
}
template <class S>
struct ScratchSlot : ScratchNode {
    S value;
    static void drop_slot(ScratchNode* n) noexcept {
        auto* s = static_cast<ScratchSlot*>(n);
        s->value = S();
        s->kept = 0;
        s->epoch = scratch_epoch().load(std::memory_order_relaxed);
    }
    static size_t bytes_of(const ScratchNode* n) noexcept {
        return scratch_bytes(static_cast<const ScratchSlot*>(n)->value);
    }
};
template <class S>
__attribute__((noinline)) void link_slot(ScratchSlot<S>& s) noexcept {
    ThreadScratch& t = this_thread_scratch();
    s.owner = &t;
    s.drop = &ScratchSlot<S>::drop_slot;
    s.bytes = &ScratchSlot<S>::bytes_of;
    s.epoch = scratch_epoch().load(std::memory_order_relaxed);
    s.next = t.head;
    t.head = &s;
}
template <class S>
__attribute__((noinline)) void renew_slot(ScratchSlot<S>& s) noexcept {  // after a release elsewhere
    s.owner->kept -= s.kept;
    ScratchSlot<S>::drop_slot(&s);
}
template <class S>
inline ScratchSlot<S>& slot_of() noexcept {
    thread_local ScratchSlot<S> slot;
    ScratchSlot<S>& s = tls_once(slot);
    if (MC_UNLIKELY(!s.owner)) link_slot(s);
    else if (MC_UNLIKELY(s.epoch != scratch_epoch().load(std::memory_order_relaxed))) renew_slot(s);
    return s;
}
}  // namespace detail

// This thread's S (see the header). Not trimmed: prefer ScratchLease.
template <class S>
inline S& thread_scratch() noexcept {
    return detail::slot_of<S>().value;
}

// This thread's S for the extent of a call; at its end the thread's scratch is held to
// kScratchKeepBytes (see the header).
template <class S>
class ScratchLease {
   public:
    ScratchLease() noexcept : slot_(detail::slot_of<S>()) {}
    ScratchLease(const ScratchLease&) = delete;
    ScratchLease& operator=(const ScratchLease&) = delete;
    ~ScratchLease() {
        detail::ScratchSlot<S>& s = slot_;
        const size_t now = scratch_bytes(s.value);
        if (MC_LIKELY(now == s.kept)) return;
        detail::ThreadScratch& t = *s.owner;
        t.kept = t.kept - s.kept + now;
        s.kept = now;
        if (MC_UNLIKELY(t.kept > kScratchKeepBytes)) {  // (only this set: others may be in use, leased by a caller)
            t.kept -= now;
            detail::ScratchSlot<S>::drop_slot(&s);
        }
    }
    S& operator*() const noexcept { return slot_.value; }
    S* operator->() const noexcept { return &slot_.value; }

   private:
    detail::ScratchSlot<S>& slot_;
};

// Frees the calling thread's scratch now and every other thread's at its next take.
inline void release_scratch() noexcept {
    detail::scratch_epoch().fetch_add(1, std::memory_order_relaxed);
    detail::this_thread_scratch().drop_all();
}

// The scratch the calling thread keeps (bytes, as measured at the end of each lease).
inline size_t scratch_kept_bytes() noexcept {
    size_t n = 0;
    for (detail::ScratchNode* p = detail::this_thread_scratch().head; p; p = p->next) n += p->bytes(p);
    return n;
}

}  // namespace maskcore
