// Bindings of the raster family: buffers in, GIL released, kernel, status out.
// Many polygons travel as one flat float64 array of x0, y0, x1, y1, ... and int64
// offsets (n + 1; polygon i is xy[offsets[i]:offsets[i+1]], an even count). The
// Python layer builds them (coco_poly_pack below for plain lists of floats, else
// maskcore/_validate.py: coco_polygons, which also explains bad input); the bounds
// are re-checked here (O(n)), the coordinates by the kernel.
#include <cstring>
#include <string>
#include <vector>

#include "../raster/coco_poly.hpp"
#include "../rle/rle.hpp"
#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {

struct Polygons {
    Span<double> xy;
    Span<int64_t> offsets;
    int64_t n;
    const double* points(int64_t i) const { return xy.data + offsets.data[i]; }
    int64_t k(int64_t i) const { return (offsets.data[i + 1] - offsets.data[i]) / 2; }
};

Polygons polygons(const py::array& xy, const py::array& offsets, int64_t h, int64_t w) {
    Polygons p{span<double>(xy, "xy"), span<int64_t>(offsets, "offsets"), 0};
    p.n = p.offsets.size - 1;
    MC_REQUIRE(p.n >= 0 && p.offsets.data[0] == 0 && p.offsets.data[p.n] == p.xy.size,
               "offsets: expected n + 1 entries from 0 to len(xy)");
    for (int64_t i = 0; i < p.n; ++i)
        MC_REQUIRE(p.offsets.data[i] <= p.offsets.data[i + 1] && (p.offsets.data[i + 1] - p.offsets.data[i]) % 2 == 0,
                   "offsets: expected non-decreasing offsets an even number of coordinates apart");
    MC_REQUIRE(h >= 0 && w >= 0, "size: expected non-negative height and width");
    return p;
}

bool fits_u32(int64_t h, int64_t w) {
    return h <= 0 || w <= 0 || static_cast<uint64_t>(w) <= UINT32_MAX / static_cast<uint64_t>(h);
}

// `name` names the polygons for messages: polygon i is name[i] when `nested`, else
// (one polygon given on its own) name itself.
static_assert(raster::kCocoMaxCoordinate == 2e8, "update the message below");
[[noreturn]] void raise_polygon(Status s, const Polygons& p, int64_t i, const ErrorInfo& err, int64_t h, int64_t w,
                                const std::string& name, bool nested) {
    const std::string where = nested ? name + "[" + std::to_string(i) + "]" : name;
    if (s == Status::invalid_value) {
        const double v = p.points(i)[err.index];
        raise(s, where + ": point " + std::to_string(err.index / 2) + " has " + (err.index % 2 ? "y" : "x") + " = " +
                     std::string(py::str(py::float_(v))) + "; expected a finite coordinate with |v| <= 2e8");
    }
    if (s == Status::overflow)
        raise(s, "size: " + std::to_string(h) + "x" + std::to_string(w) + " pixels does not fit in int64");
    raise(s, where + ": rasterization failed");
}

// The compressed COCO string of every polygon, as bytes (pycocotools' frPoly).
py::list coco_poly_strings(const py::array& xy, const py::array& offsets, int64_t h, int64_t w, const std::string& name,
                           bool nested) {
    const Polygons p = polygons(xy, offsets, h, w);
    auto run = [&](auto t) -> py::list {
        using T = decltype(t);
        thread_local RunBuf<T> counts;
        thread_local RunBuf<char> chars;
        std::vector<int64_t> ends(static_cast<size_t>(p.n));
        ErrorInfo err;
        Status s = Status::ok;
        int64_t i = 0;
        chars.size = 0;
        {
            py::gil_scoped_release nogil;
            for (; i < p.n; ++i) {
                counts.size = 0;
                s = raster::coco_polygon<T>(p.points(i), p.k(i), h, w, counts, err);
                if (s == Status::ok) s = rle::to_string<T>(counts.data, counts.size, chars);
                if (s != Status::ok) break;
                ends[i] = chars.size;
            }
        }
        if (s != Status::ok) raise_polygon(s, p, i, err, h, w, name, nested);
        py::list out(p.n);
        int64_t begin = 0;
        for (int64_t j = 0; j < p.n; ++j) {
            PyObject* b = PyBytes_FromStringAndSize(chars.data + begin, ends[j] - begin);
            if (!b) throw py::error_already_set();
            PyList_SET_ITEM(out.ptr(), j, b);  // steals the reference
            begin = ends[j];
        }
        return out;
    };
    return fits_u32(h, w) ? run(uint32_t{}) : run(uint64_t{});
}

// The counts of every polygon as one batch (flat, offsets): uint32, or uint64 when
// h * w >= 2^32.
py::tuple coco_poly_counts(const py::array& xy, const py::array& offsets, int64_t h, int64_t w, const std::string& name,
                           bool nested) {
    const Polygons p = polygons(xy, offsets, h, w);
    auto run = [&](auto t) -> py::tuple {
        using T = decltype(t);
        RunBuf<T> counts;
        std::vector<int64_t> ends(static_cast<size_t>(p.n));
        ErrorInfo err;
        Status s = Status::ok;
        int64_t i = 0;
        {
            py::gil_scoped_release nogil;
            for (; i < p.n; ++i) {
                s = raster::coco_polygon<T>(p.points(i), p.k(i), h, w, counts, err);
                if (s != Status::ok) break;
                ends[i] = counts.size;
            }
        }
        if (s != Status::ok) raise_polygon(s, p, i, err, h, w, name, nested);
        py::array_t<int64_t> offs(p.n + 1);
        int64_t* o = offs.mutable_data();
        o[0] = 0;
        for (int64_t j = 0; j < p.n; ++j) o[j + 1] = ends[j];
        return py::make_tuple(adopt(counts), offs);
    };
    return fits_u32(h, w) ? run(uint32_t{}) : run(uint64_t{});
}

// Python polygons -> (xy, offsets) without numpy's per-list type discovery: the
// fast path for what COCO JSON holds, a list of lists of float / int with an even
// length each. Declines (returns None) on anything else, bools and numpy scalars
// included; _validate.coco_polygons then converts it or says what is wrong.
py::object coco_poly_pack(const py::handle& polys) {
    PyObject* outer = polys.ptr();
    if (!PyList_Check(outer)) return py::none();
    const Py_ssize_t n = PyList_GET_SIZE(outer);
    py::array_t<int64_t> offsets(n + 1);
    int64_t* o = offsets.mutable_data();
    o[0] = 0;
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* p = PyList_GET_ITEM(outer, i);
        if (!PyList_Check(p) || PyList_GET_SIZE(p) % 2) return py::none();
        o[i + 1] = o[i] + PyList_GET_SIZE(p);
    }
    py::array_t<double> xy(o[n]);
    double* d = xy.mutable_data();
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* p = PyList_GET_ITEM(outer, i);
        const Py_ssize_t k = PyList_GET_SIZE(p);  // unchanged: no Python code ran since
        for (Py_ssize_t j = 0; j < k; ++j) {
            PyObject* v = PyList_GET_ITEM(p, j);
            if (PyFloat_CheckExact(v)) {
                *d++ = PyFloat_AS_DOUBLE(v);
            } else if (PyLong_CheckExact(v)) {
                const double x = PyLong_AsDouble(v);
                if (x == -1.0 && PyErr_Occurred()) {  // too large for a double
                    PyErr_Clear();
                    return py::none();
                }
                *d++ = x;
            } else {
                return py::none();
            }
        }
    }
    return py::make_tuple(xy, offsets);
}

}  // namespace

void bind_raster(py::module_& m) {
    m.attr("coco_poly_max_coordinate") = raster::kCocoMaxCoordinate;
    m.def("coco_poly_strings", &coco_poly_strings, py::arg("xy"), py::arg("offsets"), py::arg("height"),
          py::arg("width"), py::arg("name"), py::arg("nested"));
    m.def("coco_poly_pack", &coco_poly_pack, py::arg("polygons"));
    m.def("coco_poly_counts", &coco_poly_counts, py::arg("xy"), py::arg("offsets"), py::arg("height"),
          py::arg("width"), py::arg("name"), py::arg("nested"));
}

}  // namespace maskcore::py_bind
