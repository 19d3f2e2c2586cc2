// Bindings of the connected-components family: an unsigned integer image (the
// Python layer views bool and signed inputs as unsigned of the same width) in any
// layout, the GIL released around the kernel, labels out as a new C-ordered array.
// Statistics travel as one flat byte array of packed records, which
// maskcore/components.py views with the structured dtype (no copy).
#include <string>

#include "../ccl/ccl.hpp"
#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {

template <class T>
ccl::Volume<T> volume(const py::array& a) {
    MC_REQUIRE(a.ndim() == 2 || a.ndim() == 3, "image: expected a 2D or 3D array");
    const int64_t s = static_cast<int64_t>(sizeof(T));
    auto stride = [&](int d) {
        MC_REQUIRE(a.strides(d) % s == 0, "image: strides must be multiples of the item size");
        return static_cast<int64_t>(a.strides(d)) / s;
    };
    MC_REQUIRE(is_aligned(a), "image: expected an aligned array");
    const T* p = static_cast<const T*>(a.data());
    if (a.ndim() == 2) return {p, 1, a.shape(0), a.shape(1), 0, stride(0), stride(1)};
    return {p, a.shape(0), a.shape(1), a.shape(2), stride(0), stride(1), stride(2)};
}

// The statistics records as a flat uint8 array (handed over, not copied); the Python
// layer views it as the packed record dtype ccl.hpp describes.
py::object stats_records(ccl::Stats& st) { return adopt(st.records); }

template <class T, class Idx>
py::tuple label_t(const py::array& image, int connectivity, bool binary, uint64_t background, int threads,
                  bool want_stats) {
    const ccl::Volume<T> v = volume<T>(image);
    std::vector<py::ssize_t> shape(image.shape(), image.shape() + image.ndim());
    auto out = py::reinterpret_steal<py::array_t<Idx>>(pooled_empty(py::dtype::of<Idx>(), shape).release());
    ccl::Options opt{connectivity, image.ndim() == 3, binary, background, threads < 1 ? 1 : threads};
    ccl::Stats st;
    int64_t n = 0;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = ccl::label<T, Idx>(v, opt, out.mutable_data(), &n, want_stats ? &st : nullptr);
    }
    if (s == Status::invalid_argument)
        raise(s, "connectivity: " + std::to_string(connectivity) + " is not supported for a " +
                     std::to_string(image.ndim()) + "D image");
    if (s == Status::overflow) raise(s, "image: rows longer than 2^31 - 3 elements are not supported");
    if (s != Status::ok) raise(s, "image: labeling failed");
    return py::make_tuple(out, n, want_stats ? stats_records(st) : py::none());
}

template <class Idx>
py::tuple label_any(const py::array& image, int connectivity, bool binary, uint64_t background, int threads,
                    bool want_stats) {
    MC_REQUIRE(image.dtype().kind() == 'u', "image: expected an unsigned integer array");
    switch (image.itemsize()) {
        case 1: return label_t<uint8_t, Idx>(image, connectivity, binary, background, threads, want_stats);
        case 2: return label_t<uint16_t, Idx>(image, connectivity, binary, background, threads, want_stats);
        case 4: return label_t<uint32_t, Idx>(image, connectivity, binary, background, threads, want_stats);
        case 8: return label_t<uint64_t, Idx>(image, connectivity, binary, background, threads, want_stats);
        default: throw py::value_error("image: unsupported item size");
    }
}

template <class T>
py::object stats_t(const py::array& labels, int64_t n) {
    const ccl::Volume<T> v = volume<T>(labels);
    ccl::Stats st;
    ErrorInfo err;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = ccl::component_stats<T>(v, n, labels.ndim() == 3, &st, err);
    }
    if (s == Status::invalid_value)
        raise(s, "labels: value " + std::to_string(static_cast<uint64_t>(err.value)) + " at flat index " +
                     std::to_string(err.index) + " exceeds n = " + std::to_string(n));
    if (s == Status::overflow) raise(s, "labels: rows longer than 2^31 - 3 elements are not supported");
    if (s != Status::ok) raise(s, "labels: statistics failed");
    return stats_records(st);
}

}  // namespace

void bind_ccl(py::module_& m) {
    m.def(
        "ccl_label",
        [](const py::array& image, int connectivity, bool binary, uint64_t background, int threads, bool want_stats,
           bool wide) {
            return wide ? label_any<uint64_t>(image, connectivity, binary, background, threads, want_stats)
                        : label_any<uint32_t>(image, connectivity, binary, background, threads, want_stats);
        },
        py::arg("image"), py::arg("connectivity"), py::arg("binary"), py::arg("background"), py::arg("threads"),
        py::arg("want_stats"), py::arg("wide"));
    m.def(
        "ccl_stats",
        [](const py::array& labels, int64_t n) -> py::object {
            MC_REQUIRE(labels.dtype().kind() == 'u', "labels: expected an unsigned integer array");
            MC_REQUIRE(n >= 0, "n: expected >= 0");
            switch (labels.itemsize()) {
                case 1: return stats_t<uint8_t>(labels, n);
                case 2: return stats_t<uint16_t>(labels, n);
                case 4: return stats_t<uint32_t>(labels, n);
                case 8: return stats_t<uint64_t>(labels, n);
                default: throw py::value_error("labels: unsupported item size");
            }
        },
        py::arg("labels"), py::arg("n"));
}

}  // namespace maskcore::py_bind
