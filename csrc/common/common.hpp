// csrc/common/common.hpp — what every kernel family shares.
//
// Status codes: kernels never throw, print or abort. They return a Status (and, for a
// fault in the data, an ErrorInfo saying where and what); the binding layer raises it
// (csrc/bindings/buffers.hpp: raise_kernel), and maskcore/_validate.py words the message.
// Views: non-owning descriptions of caller memory. Strides are in elements and may
// be negative or zero-free arbitrary; a kernel picks its fast path from them.
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(__GNUC__) || defined(__clang__)
#define MC_LIKELY(x) __builtin_expect(!!(x), 1)
#define MC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MC_RESTRICT __restrict__
#else
#define MC_LIKELY(x) (x)
#define MC_UNLIKELY(x) (x)
#define MC_RESTRICT
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define MC_X86_64 1
#endif

namespace maskcore {

enum class Status : int {
    ok = 0,
    invalid_argument,   // a parameter is out of its domain (ValueError)
    invalid_value,      // a data value is out of its domain, e.g. a mask byte > 1 (ValueError)
    corrupt_rle,        // counts or a compressed string are malformed (ValueError)
    size_mismatch,      // two operands have different shapes (ValueError)
    overflow,           // a result does not fit its type (OverflowError)
    bad_alloc,          // memory could not be had (MemoryError)
    internal,           // a kernel or worker failed in a way it does not name (RuntimeError)
};
inline constexpr int kStatusCount = 8;

// The names of the codes above, in order: exported as maskcore._core.KERNEL_STATUS, by
// which maskcore/_validate.py reads the status of a KernelError.
inline const char* status_name(Status s) noexcept {
    static const char* const names[kStatusCount] = {"ok",       "invalid_argument", "invalid_value", "corrupt_rle",
                                                    "size_mismatch", "overflow",    "bad_alloc",     "internal"};
    const int i = static_cast<int>(s);
    return i >= 0 && i < kStatusCount ? names[i] : "internal";
}

// A 2D array of T: element (r, c) is at data[r * row_stride + c * col_stride].
template <class T>
struct View2D {
    T* data;
    int64_t rows, cols;
    int64_t row_stride, col_stride;  // in elements, any sign
    T* at(int64_t r, int64_t c) const { return data + r * row_stride + c * col_stride; }
};

// Detail of the first error a kernel met, for the exception message.
struct ErrorInfo {
    int64_t index = -1;   // where (an element or byte index), -1 if none
    int64_t value = 0;    // the offending value
    int kind = 0;         // which check failed, when a kernel has several (its header lists them)
};

}  // namespace maskcore
