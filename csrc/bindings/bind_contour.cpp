// Bindings of the contour family: a mask or label map in, flat arrays out
// (maskcore/contours.py builds the objects). GIL released around each kernel.
#include <cstring>
#include <string>

#include "../contour/contour.hpp"
#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {

template <class T>
View2D<const T> typed_view(const py::array& a, const char* name) {
    MC_REQUIRE(a.ndim() == 2, std::string(name) + ": expected a 2D array");
    const auto isz = static_cast<py::ssize_t>(sizeof(T));
    MC_REQUIRE(a.strides(0) % isz == 0 && a.strides(1) % isz == 0 && is_aligned(a), std::string(name) + ": unaligned array");
    return {static_cast<const T*>(a.data()), a.shape(0), a.shape(1), a.strides(0) / isz, a.strides(1) / isz};
}

// (xy (V, 2) float64, ring_end, ring_comp, comp_outer, comp_hole_ring, comp_area, comp_label)
py::tuple contour_trace(const py::array& img, bool binary, int connectivity, bool exact) {
    contour::Traced out;
    contour::Options opt;
    opt.connectivity = connectivity;
    opt.exact = exact;
    ErrorInfo err;
    Status s = Status::ok;
    auto run = [&](auto t) {
        using T = decltype(t);
        const View2D<const T> v = typed_view<T>(img, binary ? "mask" : "labels");
        py::gil_scoped_release nogil;
        s = contour::trace<T>(v, binary, opt, out, err);
    };
    const py::dtype dt = img.dtype();
    if (dt.equal(py::dtype::of<uint8_t>())) run(uint8_t{});
    else if (binary) throw py::value_error("mask: expected a uint8 array");
    else if (dt.equal(py::dtype::of<uint16_t>())) run(uint16_t{});
    else if (dt.equal(py::dtype::of<int32_t>())) run(int32_t{});
    else if (dt.equal(py::dtype::of<int64_t>())) run(int64_t{});
    else throw py::value_error("labels: expected a uint8, uint16, int32 or int64 array");
    // invalid_value: a mask byte other than 0/1 (index row-major, value the byte);
    // overflow: the map is too large; invalid_argument: the connectivity. Worded by
    // maskcore/_validate.py: trace_error.
    if (s != Status::ok) raise_kernel(s, err);
    py::array_t<double> xy = adopt(out.xy);
    xy = xy.reshape({xy.shape(0) / 2, py::ssize_t{2}});
    return py::make_tuple(xy, adopt(out.ring_end), adopt(out.ring_comp), adopt(out.comp_outer),
                          adopt(out.comp_hole_ring), adopt(out.comp_area), adopt(out.comp_label));
}

struct Flat {
    Span<double> xy;
    Span<int64_t> ring_end, obj_end;
};

Flat flat(const py::array& xy, const py::array& ring_end, const py::array& obj_end) {
    MC_REQUIRE(xy.dtype().equal(py::dtype::of<double>()) && xy.ndim() == 2 && xy.shape(1) == 2 &&
                   (xy.flags() & py::array::c_style),
               "xy: expected a C-contiguous (N, 2) float64 array");
    Flat f{{static_cast<const double*>(xy.data()), xy.shape(0) * 2}, span<int64_t>(ring_end, "ring_end"),
           span<int64_t>(obj_end, "obj_end")};
    int64_t prev = 0;
    for (int64_t i = 0; i < f.ring_end.size; ++i) {
        MC_REQUIRE(f.ring_end.data[i] >= prev, "ring_end: expected non-decreasing ends");
        prev = f.ring_end.data[i];
    }
    MC_REQUIRE(prev * 2 == f.xy.size, "ring_end: expected the last end to be len(xy)");
    prev = 0;
    for (int64_t i = 0; i < f.obj_end.size; ++i) {
        MC_REQUIRE(f.obj_end.data[i] >= prev, "obj_end: expected non-decreasing ends");
        prev = f.obj_end.data[i];
    }
    MC_REQUIRE(prev == f.ring_end.size, "obj_end: expected the last end to be len(ring_end)");
    return f;
}

py::array_t<uint8_t> contour_simplify(const py::array& xy, const py::array& ring_end, const py::array& obj_end,
                                      double eps) {
    const Flat f = flat(xy, ring_end, obj_end);
    py::array_t<uint8_t> keep(f.xy.size / 2);
    uint8_t* k = keep.mutable_data();
    Status s;
    {
        py::gil_scoped_release nogil;
        s = contour::simplify(f.xy.data, f.ring_end.data, f.ring_end.size, f.obj_end.data, f.obj_end.size, eps, k);
    }
    if (s != Status::ok) raise(s, "simplify failed");
    return keep;
}

py::tuple contour_fill_compare(const py::array& xy, const py::array& ring_end, const py::array& obj_end,
                               const py::array& mask) {
    const Flat f = flat(xy, ring_end, obj_end);
    const View2D<const uint8_t> m = const_view(mask, "mask");
    int64_t inter = 0, uni = 0;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = contour::fill_compare(f.xy.data, f.ring_end.data, f.ring_end.size, f.obj_end.data, f.obj_end.size, m,
                                  inter, uni);
    }
    if (s != Status::ok) raise(s, "fill failed");
    return py::make_tuple(inter, uni);
}

// One object's rings (all of them) filled into a new (h, w) uint8 array.
py::array_t<uint8_t> contour_fill(const py::array& xy, const py::array& ring_end, int64_t h, int64_t w) {
    py::array_t<int64_t> obj_end(1);
    obj_end.mutable_data()[0] = ring_end.shape(0);
    const Flat f = flat(xy, ring_end, obj_end);
    MC_REQUIRE(h >= 0 && w >= 0, "size: expected non-negative height and width");
    py::array_t<uint8_t> out({h, w});
    uint8_t* o = out.mutable_data();
    Status s;
    {
        py::gil_scoped_release nogil;
        std::memset(o, 0, static_cast<size_t>(h * w));
        s = contour::fill(f.xy.data, f.ring_end.data, f.obj_end.data, f.obj_end.size, View2D<uint8_t>{o, h, w, w, 1});
    }
    if (s != Status::ok) raise(s, "fill failed");
    return out;
}

}  // namespace

void bind_contour(py::module_& m) {
    m.def("contour_trace", &contour_trace, py::arg("image"), py::arg("binary"), py::arg("connectivity"),
          py::arg("exact"));
    m.def("contour_simplify", &contour_simplify, py::arg("xy"), py::arg("ring_end"), py::arg("obj_end"), py::arg("eps"));
    m.def("contour_fill_compare", &contour_fill_compare, py::arg("xy"), py::arg("ring_end"), py::arg("obj_end"),
          py::arg("mask"));
    m.def("contour_fill", &contour_fill, py::arg("xy"), py::arg("ring_end"), py::arg("height"), py::arg("width"));
}

}  // namespace maskcore::py_bind
