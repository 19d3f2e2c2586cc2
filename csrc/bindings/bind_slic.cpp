// Bindings of the superpixel family: the CIELAB conversion and the SLIC run. The
// Python layer (maskcore/superpixels.py) validates the image and options, and
// builds the planar int16 features; shapes and dtypes are re-checked here.
#include <memory>
#include <mutex>
#include <string>

#include "../common/thread_scratch.hpp"
#include "../slic/slic.hpp"
#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {

// A slic::Workspace kept by maskcore.Superpixels between runs. The lock makes
// concurrent runs on one object safe: a run that finds it busy uses its own.
struct SlicWorkspace {
    slic::Workspace ws;
    std::mutex busy;
};

// `out`: None (a new array) or a C-contiguous writable int16 (3, H, W) array to overwrite.
py::array_t<int16_t> slic_lab(const py::array& rgb, int threads, const py::object& out) {
    MC_REQUIRE(rgb.dtype().equal(py::dtype::of<uint8_t>()) && rgb.ndim() == 3 && rgb.shape(2) == 3,
               "image: expected a uint8 (H, W, 3) array");
    const int64_t h = rgb.shape(0), w = rgb.shape(1);
    py::array_t<int16_t> dst_arr;
    if (out.is_none()) {
        dst_arr = py::reinterpret_steal<py::array_t<int16_t>>(
            pooled_empty(py::dtype::of<int16_t>(),
                         {static_cast<py::ssize_t>(3), static_cast<py::ssize_t>(h), static_cast<py::ssize_t>(w)})
                .release());
    } else {
        MC_REQUIRE(py::isinstance<py::array>(out), "out: expected a numpy array");
        const py::array o = py::reinterpret_borrow<py::array>(out);
        MC_REQUIRE(o.dtype().equal(py::dtype::of<int16_t>()) && o.ndim() == 3 && o.shape(0) == 3 && o.shape(1) == h &&
                       o.shape(2) == w && (o.flags() & py::array::c_style) && o.writeable(),
                   "out: expected a writable C-contiguous int16 (3, H, W) array");
        dst_arr = py::reinterpret_borrow<py::array_t<int16_t>>(out);
    }
    const uint8_t* src = static_cast<const uint8_t*>(rgb.data());
    int16_t* dst = dst_arr.mutable_data();
    Status s;
    {
        py::gil_scoped_release nogil;
        s = slic::lab_from_rgb(src, h, w, rgb.strides(0), rgb.strides(1), rgb.strides(2), dst, threads);
    }
    if (s != Status::ok) raise(s, "image: CIELAB conversion failed");
    return dst_arr;
}

// maskcore.slic()'s work buffers, kept by each calling thread for its next call: fresh
// ones cost page faults on every call (the per-chunk sums are first written by the
// pool's threads, whose malloc arenas give them back), about 20% of a 4000 x 4000 run
// on two threads. They are a set of the per-thread scratch arena (common/thread_scratch.hpp):
// held to its one limit and freed by its one release (maskcore.release_memory()).
struct KeptWorkspace {
    slic::Workspace ws;
    size_t scratch_bytes() const noexcept { return ws.bytes(); }
};

// `out`: None (a new array) or a C-contiguous writable int32 (H, W) array to overwrite.
py::tuple slic_run(const py::array& feat, const py::object& mask, int64_t ny, int64_t nx, double step,
                   double compactness, double scale, int iterations, bool connectivity, double min_size, int threads,
                   const py::object& out, SlicWorkspace* workspace) {
    MC_REQUIRE(feat.dtype().equal(py::dtype::of<int16_t>()) && feat.ndim() == 3 && (feat.flags() & py::array::c_style),
               "features: expected a C-contiguous int16 (C, H, W) array");
    const int nc = static_cast<int>(feat.shape(0));
    const int64_t h = feat.shape(1), w = feat.shape(2);
    MC_REQUIRE(nc >= 1 && h >= 1 && w >= 1, "image: expected at least one channel and one pixel");
    MC_REQUIRE(iterations >= 1, "iterations: expected >= 1");
    const uint8_t* m = nullptr;
    if (!mask.is_none()) {
        const py::array ma = py::reinterpret_borrow<py::array>(mask);
        MC_REQUIRE(ma.dtype().equal(py::dtype::of<uint8_t>()) && ma.ndim() == 2 && ma.shape(0) == h && ma.shape(1) == w &&
                       (ma.flags() & py::array::c_style),
                   "mask: expected a C-contiguous uint8 array of the image's shape");
        m = static_cast<const uint8_t*>(ma.data());
    }
    py::array_t<int32_t> labels;
    if (out.is_none()) {
        labels = py::reinterpret_steal<py::array_t<int32_t>>(
            pooled_empty(py::dtype::of<int32_t>(), {static_cast<py::ssize_t>(h), static_cast<py::ssize_t>(w)}).release());
    } else {
        MC_REQUIRE(py::isinstance<py::array>(out), "out: expected a numpy array");
        const py::array o = py::reinterpret_borrow<py::array>(out);
        MC_REQUIRE(o.dtype().equal(py::dtype::of<int32_t>()) && o.ndim() == 2 &&
                       o.shape(0) == h && o.shape(1) == w && (o.flags() & py::array::c_style) && o.writeable(),
                   "out: expected a writable C-contiguous int32 array of the image's shape");
        labels = py::reinterpret_borrow<py::array_t<int32_t>>(out);
    }
    slic::Params p{ny, nx, step, compactness, scale, iterations, connectivity, min_size, threads};
    const int16_t* f = static_cast<const int16_t*>(feat.data());
    int32_t* dst = labels.mutable_data();
    int64_t k = 0;
    Status s;
    {
        py::gil_scoped_release nogil;
        std::unique_lock<std::mutex> lock;
        if (workspace) lock = std::unique_lock<std::mutex>(workspace->busy, std::try_to_lock);
        if (lock.owns_lock()) {
            s = slic::run(f, nc, h, w, m, p, dst, &k, workspace->ws);
        } else if (!workspace) {  // maskcore.slic(): the calling thread's buffers
            ScratchLease<KeptWorkspace> kept;
            s = slic::run(f, nc, h, w, m, p, dst, &k, kept->ws);
        } else {  // a Superpixels object busy in another thread
            slic::Workspace own;
            s = slic::run(f, nc, h, w, m, p, dst, &k, own);
        }
    }
    if (s == Status::overflow) raise(s, "n_segments: " + std::to_string(ny) + " x " + std::to_string(nx) +
                                            " seeds or the segment count does not fit in int32");
    if (s != Status::ok) raise(s, "slic: invalid arguments");
    return py::make_tuple(labels, k);
}

}  // namespace

void bind_slic(py::module_& m) {
    m.attr("slic_lab_scale") = slic::kLabScale;
    py::class_<SlicWorkspace>(m, "SlicWorkspace", "Buffers of slic_run kept between runs (maskcore.Superpixels).")
        .def(py::init<>());
    m.def("slic_lab", &slic_lab, py::arg("rgb"), py::arg("threads"), py::arg("out") = py::none());
    m.def("slic_run", &slic_run, py::arg("features"), py::arg("mask"), py::arg("ny"), py::arg("nx"), py::arg("step"),
          py::arg("compactness"), py::arg("scale"), py::arg("iterations"), py::arg("connectivity"),
          py::arg("min_size"), py::arg("threads"), py::arg("out") = py::none(),
          py::arg("workspace") = static_cast<SlicWorkspace*>(nullptr));
}

}  // namespace maskcore::py_bind
