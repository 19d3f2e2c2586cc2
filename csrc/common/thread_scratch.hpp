// csrc/common/thread_scratch.hpp — per-thread scratch: a thread_local's address, fetched once.
//
// In a shared library every thread_local access is a __tls_get_addr call, and GCC
// recomputes the address after each call the function makes, even through a
// reference bound once (and propagates it into callees that take it as an
// argument). tls_once hides the address behind an empty asm, so it is fetched once
// and stays in a register: worth ~0.1 us per call in kernels called once per
// polygon with several scratch buffers.
#pragma once

namespace maskcore {

template <class T>
inline T& tls_once(T& v) noexcept {
    T* p = &v;
#if defined(__GNUC__)
    asm("" : "+r"(p));
#endif
    return *p;
}

}  // namespace maskcore
