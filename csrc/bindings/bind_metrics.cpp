// Bindings of the metrics family: buffers in, GIL released, kernel, status out.
// RLE batches travel as in bind_rle.cpp (flat counts, int64 offsets, int64 sizes).
#include <cstring>
#include <string>
#include <vector>

#include "../common/parallel.hpp"
#include "../metrics/metrics.hpp"
#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {

template <class T>
View2D<const T> view_of(const py::array& a, const char* name) {
    MC_REQUIRE(a.dtype().equal(py::dtype::of<T>()), std::string(name) + ": wrong dtype");
    MC_REQUIRE(a.ndim() == 2, std::string(name) + ": expected a 2D array");
    const auto isz = static_cast<py::ssize_t>(sizeof(T));
    MC_REQUIRE(a.strides(0) % isz == 0 && a.strides(1) % isz == 0 && is_aligned(a), std::string(name) + ": unaligned array");
    return {static_cast<const T*>(a.data()), a.shape(0), a.shape(1), a.strides(0) / isz, a.strides(1) / isz};
}

py::tuple count_pair(const py::array& a, const py::array& b) {
    const View2D<const uint8_t> va = const_view(a, "a"), vb = const_view(b, "b");
    MC_REQUIRE(va.rows == vb.rows && va.cols == vb.cols, "a and b: shapes differ");
    uint64_t out[3];
    ErrorInfo err;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = metrics::count_pair(va, vb, out, err);
    }
    if (s != Status::ok) raise_kernel(s, err);
    return py::make_tuple(out[0], out[1], out[2]);
}

template <class T>
py::array_t<int64_t> confusion_t(const py::array& gt, const py::array& pred, int64_t k, int64_t ignore, int threads) {
    const View2D<const T> g = view_of<T>(gt, "gt"), p = view_of<T>(pred, "pred");
    MC_REQUIRE(g.rows == p.rows && g.cols == p.cols, "gt and pred: shapes differ");
    MC_REQUIRE(k >= 1 && k <= metrics::kMaxClasses, "num_classes: expected 1.." + std::to_string(metrics::kMaxClasses) +
                                                         ", got " + std::to_string(k));
    py::array_t<int64_t> out({k, k});
    int64_t* o = out.mutable_data();
    ErrorInfo err;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = metrics::confusion<T>(g, p, k, ignore, threads, o, err);
    }
    if (s == Status::overflow) raise(s, "gt: rows of 2^31 or more pixels are not supported (reshape the maps)");
    if (s != Status::ok) raise_kernel(s, err);
    return out;
}

py::array_t<int64_t> confusion(const py::array& gt, const py::array& pred, int64_t k, int64_t ignore, int threads) {
    MC_REQUIRE(gt.dtype().equal(pred.dtype()), "gt and pred: dtypes differ");
    if (gt.dtype().equal(py::dtype::of<uint8_t>())) return confusion_t<uint8_t>(gt, pred, k, ignore, threads);
    if (gt.dtype().equal(py::dtype::of<uint16_t>())) return confusion_t<uint16_t>(gt, pred, k, ignore, threads);
    if (gt.dtype().equal(py::dtype::of<uint32_t>())) return confusion_t<uint32_t>(gt, pred, k, ignore, threads);
    throw py::type_error("gt: expected uint8, uint16 or uint32, got " + std::string(py::str(gt.dtype())));
}

template <class T>
py::tuple pair_table_t(const py::array& a, const py::array& b) {
    const View2D<const T> x = view_of<T>(a, "a"), y = view_of<T>(b, "b");
    MC_REQUIRE(x.rows == y.rows && x.cols == y.cols, "a and b: shapes differ");
    RunBuf<uint64_t> keys, counts;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = metrics::pair_table<T>(x, y, keys, counts);
    }
    if (s != Status::ok) raise(s, "pair_table failed");
    return py::make_tuple(adopt(keys), adopt(counts));
}

py::tuple pair_table(const py::array& a, const py::array& b) {
    MC_REQUIRE(a.dtype().equal(b.dtype()), "a and b: dtypes differ");
    if (a.dtype().equal(py::dtype::of<uint8_t>())) return pair_table_t<uint8_t>(a, b);
    if (a.dtype().equal(py::dtype::of<uint16_t>())) return pair_table_t<uint16_t>(a, b);
    if (a.dtype().equal(py::dtype::of<uint32_t>())) return pair_table_t<uint32_t>(a, b);
    throw py::type_error("a: expected uint8, uint16 or uint32, got " + std::string(py::str(a.dtype())));
}

// Boundaries of a batch of RLEs (counts checked by the caller), as (flat, offsets).
template <class T>
py::tuple boundary_t(const py::array& flat, const py::array& offsets, const py::array& sizes, int64_t d, int threads) {
    const Span<T> f = span<T>(flat, "flat");
    const Span<int64_t> off = span<int64_t>(offsets, "offsets");
    const int64_t n = off.size - 1;
    MC_REQUIRE(n >= 0 && off.data[0] == 0 && off.data[n] <= f.size, "offsets out of range");
    MC_REQUIRE(sizes.dtype().equal(py::dtype::of<int64_t>()) && sizes.ndim() == 2 && sizes.shape(0) == n &&
                   sizes.shape(1) == 2 && (sizes.flags() & py::array::c_style),
               "sizes must be a contiguous int64 (n, 2) array");
    for (int64_t i = 0; i < n; ++i) MC_REQUIRE(off.data[i] <= off.data[i + 1], "offsets must be increasing");
    MC_REQUIRE(d >= 0, "d must be >= 0");
    const int64_t* sz = static_cast<const int64_t*>(sizes.data());
    std::vector<RunBuf<T>> outs(static_cast<size_t>(n));
    std::vector<Status> st(static_cast<size_t>(n), Status::ok);
    {
        py::gil_scoped_release nogil;
        parallel_for(n, worth(threads, static_cast<uint64_t>(off.data[n]) + static_cast<uint64_t>(n) * 64, 20000),
                     [&](int64_t i) {
                         st[i] = metrics::boundary<T>(f.data + off.data[i], off.data[i + 1] - off.data[i], sz[2 * i],
                                                      sz[2 * i + 1], d, outs[i]);
                     });
    }
    for (int64_t i = 0; i < n; ++i)
        if (st[i] != Status::ok) raise(st[i], "boundary failed");
    return flatten(outs);
}

py::tuple boundary(const py::array& flat, const py::array& offsets, const py::array& sizes, int64_t d, int threads) {
    if (flat.dtype().equal(py::dtype::of<uint32_t>())) return boundary_t<uint32_t>(flat, offsets, sizes, d, threads);
    if (flat.dtype().equal(py::dtype::of<uint64_t>())) return boundary_t<uint64_t>(flat, offsets, sizes, d, threads);
    throw py::type_error("counts: expected uint32 or uint64");
}

// Boundaries of dense masks (a list of 2D uint8 arrays of one shape, 0/1 checked
// by the encoder): each mask is encoded and its boundary taken in the same task, so
// a list of dense masks costs one native call, one read of each mask and no
// intermediate batch of full RLEs. Returns (flat, offsets) as boundary_t; a mask
// with a value other than 0/1 raises KernelError (item: which mask; index: the
// column-major position, as rle_encode).
template <class T>
py::tuple boundary_dense_t(const std::vector<View2D<const uint8_t>>& views, int64_t h, int64_t w, int64_t d,
                           int threads) {
    const auto n = static_cast<int64_t>(views.size());
    std::vector<RunBuf<T>> outs(static_cast<size_t>(n));
    std::vector<Status> st(static_cast<size_t>(n), Status::ok);
    std::vector<ErrorInfo> errs(static_cast<size_t>(n));
    {
        py::gil_scoped_release nogil;
        // Units: pixels (the encode reads every one; ~0.1 ns each).
        parallel_for(n, worth(threads, static_cast<uint64_t>(h * w) * static_cast<uint64_t>(n), 1 << 21),
                     [&](int64_t i) {
                         RunBuf<T> full;
                         st[i] = rle::encode<T>(views[i], true, full, errs[i]);
                         if (st[i] == Status::ok) st[i] = metrics::boundary<T>(full.data, full.size, h, w, d, outs[i]);
                     });
    }
    raise_first(st, errs);
    return flatten(outs);
}

py::tuple boundary_dense(const py::list& masks, int64_t d, int threads) {
    MC_REQUIRE(d >= 0, "d must be >= 0");
    std::vector<View2D<const uint8_t>> views;
    views.reserve(masks.size());
    for (const py::handle& m : masks) views.push_back(const_view(py::cast<py::array>(m), "masks[i]"));
    MC_REQUIRE(!views.empty(), "masks: expected at least one mask");
    const int64_t h = views[0].rows, w = views[0].cols;
    for (const auto& v : views) MC_REQUIRE(v.rows == h && v.cols == w, "masks: expected one shape");
    if (static_cast<uint64_t>(h) * static_cast<uint64_t>(w) < (uint64_t{1} << 32))  // uint32 counts, as rle_encode
        return boundary_dense_t<uint32_t>(views, h, w, d, threads);
    return boundary_dense_t<uint64_t>(views, h, w, d, threads);
}

}  // namespace

void bind_metrics(py::module_& m) {
    m.attr("METRICS_MAX_CLASSES") = metrics::kMaxClasses;  // num_classes' one limit (metrics.hpp)
    m.def("metrics_count_pair", &count_pair, py::arg("a"), py::arg("b"));
    m.def("metrics_confusion", &confusion, py::arg("gt"), py::arg("pred"), py::arg("num_classes"), py::arg("ignore"),
          py::arg("threads"));
    m.def("metrics_pair_table", &pair_table, py::arg("a"), py::arg("b"));
    m.def("metrics_boundary_dense", &boundary_dense, py::arg("masks"), py::arg("d"), py::arg("threads"));
    m.def("metrics_boundary", &boundary, py::arg("flat"), py::arg("offsets"), py::arg("sizes"), py::arg("d"),
          py::arg("threads"));
}

}  // namespace maskcore::py_bind
