// Bindings of the superpixel family: the CIELAB conversion and the SLIC run. The
// Python layer (maskcore/superpixels.py) validates the image and options, and
// builds the planar int16 features; shapes and dtypes are re-checked here.
#include <string>

#include "../slic/slic.hpp"
#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {

py::array_t<int16_t> slic_lab(const py::array& rgb, int threads) {
    MC_REQUIRE(rgb.dtype().is(py::dtype::of<uint8_t>()) && rgb.ndim() == 3 && rgb.shape(2) == 3,
               "image: expected a uint8 (H, W, 3) array");
    const int64_t h = rgb.shape(0), w = rgb.shape(1);
    py::array_t<int16_t> out({static_cast<py::ssize_t>(3), static_cast<py::ssize_t>(h), static_cast<py::ssize_t>(w)});
    const uint8_t* src = static_cast<const uint8_t*>(rgb.data());
    int16_t* dst = out.mutable_data();
    Status s;
    {
        py::gil_scoped_release nogil;
        s = slic::lab_from_rgb(src, h, w, rgb.strides(0), rgb.strides(1), rgb.strides(2), dst, threads);
    }
    if (s != Status::ok) raise(s, "image: CIELAB conversion failed");
    return out;
}

py::tuple slic_run(const py::array& feat, const py::object& mask, int64_t ny, int64_t nx, double step,
                   double compactness, double scale, int iterations, bool connectivity, double min_size, int threads) {
    MC_REQUIRE(feat.dtype().is(py::dtype::of<int16_t>()) && feat.ndim() == 3 && (feat.flags() & py::array::c_style),
               "features: expected a C-contiguous int16 (C, H, W) array");
    const int nc = static_cast<int>(feat.shape(0));
    const int64_t h = feat.shape(1), w = feat.shape(2);
    MC_REQUIRE(nc >= 1 && h >= 1 && w >= 1, "image: expected at least one channel and one pixel");
    MC_REQUIRE(iterations >= 1, "iterations: expected >= 1");
    const uint8_t* m = nullptr;
    if (!mask.is_none()) {
        const py::array ma = py::reinterpret_borrow<py::array>(mask);
        MC_REQUIRE(ma.dtype().is(py::dtype::of<uint8_t>()) && ma.ndim() == 2 && ma.shape(0) == h && ma.shape(1) == w &&
                       (ma.flags() & py::array::c_style),
                   "mask: expected a C-contiguous uint8 array of the image's shape");
        m = static_cast<const uint8_t*>(ma.data());
    }
    py::array_t<int32_t> labels({static_cast<py::ssize_t>(h), static_cast<py::ssize_t>(w)});
    slic::Params p{ny, nx, step, compactness, scale, iterations, connectivity, min_size, threads};
    const int16_t* f = static_cast<const int16_t*>(feat.data());
    int32_t* out = labels.mutable_data();
    int64_t k = 0;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = slic::run(f, nc, h, w, m, p, out, &k);
    }
    if (s == Status::overflow) raise(s, "n_segments: " + std::to_string(ny) + " x " + std::to_string(nx) +
                                            " seeds or the segment count does not fit in int32");
    if (s != Status::ok) raise(s, "slic: invalid arguments");
    return py::make_tuple(labels, k);
}

}  // namespace

void bind_slic(py::module_& m) {
    m.attr("slic_lab_scale") = slic::kLabScale;
    m.def("slic_lab", &slic_lab, py::arg("rgb"), py::arg("threads"));
    m.def("slic_run", &slic_run, py::arg("features"), py::arg("mask"), py::arg("ny"), py::arg("nx"), py::arg("step"),
          py::arg("compactness"), py::arg("scale"), py::arg("iterations"), py::arg("connectivity"),
          py::arg("min_size"), py::arg("threads"));
}

}  // namespace maskcore::py_bind
