// maskcore._core: the native module. One bind_<family>() per kernel family; the
// dispatch controls live here. Every function converts buffers, releases the GIL,
// calls a kernel and maps its Status to an exception (buffers.hpp). Validation and
// canonicalization of user input happen before, in maskcore/_validate.py.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "../common/thread_scratch.hpp"
#include "../dispatch/dispatch.hpp"
#include "buffers.hpp"

namespace py = pybind11;

namespace maskcore::py_bind {
namespace {
PyObject* g_kernel_error = nullptr;  // a new reference kept for the life of the module
}
PyObject* kernel_error_type() { return g_kernel_error; }
void bind_rle(py::module_& m);
void bind_raster(py::module_& m);
void bind_metrics(py::module_& m);
void bind_contour(py::module_& m);
void bind_ccl(py::module_& m);
void bind_slic(py::module_& m);
void bind_eval(py::module_& m);
void bind_segments(py::module_& m);
void bind_chunked(py::module_& m);
void bind_coco(py::module_& m);
}

PYBIND11_MODULE(_core, m) {
    using namespace maskcore;
    m.doc() = "maskcore native kernels (internal: use the maskcore package)";
    m.def("available_isas", [] {
        std::vector<std::string> out;
        for (int i = 0; i < kIsaCount; ++i)
            if (isa_supported(static_cast<Isa>(i))) out.emplace_back(isa_name(static_cast<Isa>(i)));
        return out;
    });
    m.def("kernel_table", [] {  // [(family, kernel, [variant at scalar, avx2, avx512]), ...]
        KernelRow rows[64];
        const int n = kernel_rows(rows, 64);
        py::list out;
        for (int i = 0; i < n && i < 64; ++i) {
            py::list v;
            for (int j = 0; j < kIsaCount; ++j) v.append(rows[i].variant[j]);
            out.append(py::make_tuple(rows[i].family, rows[i].kernel, v));
        }
        return out;
    });
    m.def("best_isa", [] { return std::string(isa_name(best_isa())); });
    m.def("get_isa", [] { return std::string(isa_name(current_isa())); });
    m.def("set_isa", [](const std::string& name) {
        Isa isa;
        if (!isa_from_name(name.c_str(), &isa))
            throw py::value_error("isa: expected one of 'scalar', 'avx2', 'avx512', got '" + name + "'");
        if (set_isa(isa) != Status::ok)
            throw py::value_error("isa: '" + name + "' is not supported by this CPU (best: '" + isa_name(best_isa()) + "')");
    });
    m.def("compiler", [] { return std::string(compiler_description()); });
    m.def(
        "pooled_empty",
        [](const py::object& dtype, const std::vector<py::ssize_t>& shape) {
            return py_bind::pooled_empty(py::dtype::from_args(dtype), shape);
        },
        py::arg("dtype"), py::arg("shape"),
          "np.empty(shape, dtype) C-ordered; large arrays' memory is pooled (csrc/bindings/pool.cpp).");
    m.def("pool_kept_bytes", &py_bind::pool_kept_bytes, "Free bytes the large-array pool keeps.");
    m.def("pool_release", &py_bind::pool_release, "Frees the blocks the large-array pool keeps.");
    m.def("scratch_kept_bytes", [] { return scratch_kept_bytes(); },
          "Per-thread scratch the calling thread keeps (csrc/common/thread_scratch.hpp).");
    m.def("scratch_release", [] { release_scratch(); },
          "Frees the calling thread's scratch now, every other thread's at its next kernel call.");
    m.attr("SCRATCH_KEEP_BYTES") = kScratchKeepBytes;
#ifdef MASKCORE_SANITIZE
    m.attr("sanitize") = MASKCORE_SANITIZE;
#else
    m.attr("sanitize") = "";
#endif
    // A kernel's error with its ErrorInfo: args = (status, index, value, kind, item); the
    // Python layer (maskcore/_validate.py: kernel_info and the *_error functions) words the message.
    py_bind::g_kernel_error = PyErr_NewException("maskcore._core.KernelError", PyExc_ValueError, nullptr);
    if (!py_bind::g_kernel_error) throw py::error_already_set();
    m.attr("KernelError") = py::handle(py_bind::g_kernel_error);
    py::tuple status_names(kStatusCount);
    for (int i = 0; i < kStatusCount; ++i) status_names[i] = status_name(static_cast<Status>(i));
    m.attr("KERNEL_STATUS") = status_names;  // KernelError.args[0] -> name (common.hpp: Status)
    py_bind::bind_rle(m);
    py_bind::bind_raster(m);
    py_bind::bind_metrics(m);
    py_bind::bind_contour(m);
    py_bind::bind_ccl(m);
    py_bind::bind_slic(m);
    py_bind::bind_eval(m);
    py_bind::bind_segments(m);
    py_bind::bind_chunked(m);
    py_bind::bind_coco(m);
}
