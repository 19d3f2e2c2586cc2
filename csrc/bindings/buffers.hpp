// csrc/bindings/buffers.hpp — numpy arrays to kernel views and back, and the one
// place where a kernel Status becomes a Python exception.
//
// The Python layer (maskcore/_validate.py) has already checked dtypes, ndim and
// values; these helpers only re-check what would make a view unsafe, so a direct
// call into _core with a wrong array raises instead of reading out of bounds.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdlib>
#include <new>
#include <stdexcept>
#include <cstring>
#include <string>
#include <vector>

#include "../common/common.hpp"
#include "../common/runbuf.hpp"

namespace maskcore::py_bind {
namespace py = pybind11;

// Status -> exception: ValueError for bad arguments and data, OverflowError,
// MemoryError. `what` is the message, naming the parameter and the value.
[[noreturn]] inline void raise(Status s, const std::string& what) {
    switch (s) {
        case Status::overflow: throw std::overflow_error(what);
        case Status::bad_alloc: throw std::bad_alloc();
        case Status::internal: throw std::runtime_error(what);
        default: throw py::value_error(what);
    }
}

// Whether a's items are aligned for its dtype (numpy's ALIGNED flag). Kernels read
// items through typed pointers, so an array at a byte offset (raw[1:].view(np.uint16))
// must not reach them: maskcore/_validate.py copies such inputs and refuses such
// outputs; the views below re-check it.
inline bool is_aligned(const py::array& a) {
    return (py::detail::array_proxy(a.ptr())->flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_) != 0;
}

// maskcore._core.KernelError (a ValueError), made in module.cpp.
PyObject* kernel_error_type();

// A kernel's failure with its ErrorInfo, for maskcore/_validate.py to put into words
// (it knows the parameter names, shapes and values): raises KernelError(status, index,
// value, kind, item, coordinate) with the ints of the Status, the ErrorInfo and, for a batch, which
// item failed (-1: not a batch). bad_alloc stays MemoryError. This is how a binding
// reports anything the kernel found in the data: it never formats a message itself.
// `coordinate`: a float the kernel found bad (a polygon's coordinate), given whole as
// the sixth argument (ErrorInfo's value is an int).
[[noreturn]] inline void raise_kernel(Status s, const ErrorInfo& e, int64_t item = -1, double coordinate = 0.0) {
    if (s == Status::bad_alloc) throw std::bad_alloc();
    PyObject* args = Py_BuildValue("(iLLiLd)", static_cast<int>(s), static_cast<long long>(e.index),
                                   static_cast<long long>(e.value), e.kind, static_cast<long long>(item), coordinate);
    if (args) {
        PyErr_SetObject(kernel_error_type(), args);
        Py_DECREF(args);
    }
    throw py::error_already_set();
}

// The first failed item of a batch kernel (status[i] != ok), raised as raise_kernel
// does; returns if every item succeeded.
inline void raise_first(const std::vector<Status>& status, const std::vector<ErrorInfo>& errs) {
    for (size_t i = 0; i < status.size(); ++i)
        if (status[i] != Status::ok) raise_kernel(status[i], errs[i], static_cast<int64_t>(i));
}

// Checks a precondition; the message expression is evaluated only on failure (it
// may format dtypes, which costs more than the kernels it guards on small inputs).
#define MC_REQUIRE(ok, what)                                \
    do {                                                    \
        if (!(ok)) throw ::pybind11::value_error(what);     \
    } while (0)

// A 2D (or one plane of a 3D) uint8 array as a view. Strides are in bytes = elements.
inline View2D<const uint8_t> const_view(const py::array& a, const char* name) {
    MC_REQUIRE(a.dtype().equal(py::dtype::of<uint8_t>()), std::string(name) + ": expected a uint8 array");
    MC_REQUIRE(a.ndim() == 2, std::string(name) + ": expected a 2D array");
    return {static_cast<const uint8_t*>(a.data()), a.shape(0), a.shape(1), a.strides(0), a.strides(1)};
}

inline View2D<uint8_t> mutable_view(py::array& a, const char* name) {
    MC_REQUIRE(a.dtype().equal(py::dtype::of<uint8_t>()), std::string(name) + ": expected a uint8 array");
    MC_REQUIRE(a.ndim() == 2, std::string(name) + ": expected a 2D array");
    MC_REQUIRE(a.writeable(), std::string(name) + ": array is read-only");
    return {static_cast<uint8_t*>(a.mutable_data()), a.shape(0), a.shape(1), a.strides(0), a.strides(1)};
}

// Hands a RunBuf's memory to numpy without copying (freed by a capsule).
template <class T>
py::array_t<T> adopt(RunBuf<T>& buf) {
    const py::ssize_t n = buf.size;
    T* p = buf.release();
    if (n > 0) {
        if (void* q = std::realloc(p, static_cast<size_t>(n) * sizeof(T))) p = static_cast<T*>(q);
    }
    py::capsule owner(p, [](void* q) { std::free(q); });
    return py::array_t<T>({n}, {static_cast<py::ssize_t>(sizeof(T))}, p, owner);
}

// A new C-contiguous array, uninitialized as np.empty; a large one's memory comes
// from, and returns to, a small pool of blocks (pool.cpp says why), so that an output
// of the same size as one the caller has dropped costs no page faults.
py::array pooled_empty(const py::dtype& dt, const std::vector<py::ssize_t>& shape);
size_t pool_kept_bytes();  // free bytes the pool keeps
void pool_release();       // frees them

// 1D C-contiguous array of T (counts, offsets): pointer and length.
template <class T>
struct Span {
    const T* data;
    int64_t size;
};

template <class T>
Span<T> span(const py::array& a, const char* name) {
    MC_REQUIRE(a.dtype().equal(py::dtype::of<T>()), std::string(name) + ": wrong dtype " + std::string(py::str(a.dtype())));
    MC_REQUIRE(a.ndim() == 1 && (a.flags() & py::array::c_style), std::string(name) + ": expected a contiguous 1D array");
    MC_REQUIRE(is_aligned(a), std::string(name) + ": expected an aligned array");
    return {static_cast<const T*>(a.data()), a.shape(0)};
}

// Per-item results -> (flat, offsets), the batch layout.
template <class T>
inline py::tuple flatten(const std::vector<RunBuf<T>>& runs) {
    const int64_t n = static_cast<int64_t>(runs.size());
    int64_t total = 0;
    for (const RunBuf<T>& r : runs) total += r.size;
    py::array_t<T> flat(total);
    py::array_t<int64_t> offsets(n + 1);
    T* f = flat.mutable_data();
    int64_t* o = offsets.mutable_data();
    o[0] = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (runs[i].size) std::memcpy(f + o[i], runs[i].data, static_cast<size_t>(runs[i].size) * sizeof(T));
        o[i + 1] = o[i] + runs[i].size;
    }
    return py::make_tuple(flat, offsets);
}

}  // namespace maskcore::py_bind
