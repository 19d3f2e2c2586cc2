// csrc/common/runbuf.hpp — a growable array that reports allocation failure
// instead of throwing, for kernels whose output size is known only at the end.
// Its memory comes from malloc so that the bindings can hand it to numpy (a
// capsule that calls free) without a copy.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace maskcore {

template <class T>
struct RunBuf {
    T* data = nullptr;
    int64_t size = 0;
    int64_t cap = 0;

    RunBuf() = default;
    RunBuf(const RunBuf&) = delete;
    RunBuf& operator=(const RunBuf&) = delete;
    RunBuf(RunBuf&& o) noexcept : data(o.data), size(o.size), cap(o.cap) { o.data = nullptr; o.size = o.cap = 0; }
    RunBuf& operator=(RunBuf&& o) noexcept {
        if (this != &o) {
            std::free(data);
            data = o.data; size = o.size; cap = o.cap;
            o.data = nullptr; o.size = o.cap = 0;
        }
        return *this;
    }
    ~RunBuf() { std::free(data); }

    // Room for `extra` more elements; false when memory cannot be had.
    bool reserve_more(int64_t extra) noexcept {
        if (extra <= cap - size) return true;
        int64_t want = cap < 16 ? 16 : cap;
        while (want - size < extra) {
            if (want > INT64_MAX / 2 / static_cast<int64_t>(sizeof(T))) return false;
            want *= 2;
        }
        void* p = std::realloc(data, static_cast<size_t>(want) * sizeof(T));
        if (!p) return false;
        data = static_cast<T*>(p);
        cap = want;
        return true;
    }
    bool push(T v) noexcept {
        if (size == cap && !reserve_more(1)) return false;
        data[size++] = v;
        return true;
    }
    void push_unchecked(T v) noexcept { data[size++] = v; }
    // Gives up ownership; the caller frees with std::free. Never null.
    T* release() noexcept {
        T* p = data;
        if (!p) p = static_cast<T*>(std::malloc(sizeof(T)));
        data = nullptr;
        size = cap = 0;
        return p;
    }
};

}  // namespace maskcore
