// Bindings of the RLE family: buffers in, GIL released, kernel, status out.
// Many RLEs travel as a batch: one flat counts array (uint32 or uint64), int64
// offsets (n + 1, offsets[i]..offsets[i+1] are RLE i's counts) and int64 sizes
// (n x 2 rows of height, width). Bounds are re-checked here (O(n)); the sums of
// counts were checked when the batch was built (maskcore/rle.py). What a kernel finds
// in the data (a mask byte other than 0/1, a bad count or string) is raised with its
// ErrorInfo (raise_kernel) and worded by maskcore/_validate.py.
#include <cstring>
#include <string>
#include <vector>

#include "../common/parallel.hpp"
#include "../rle/rle.hpp"
#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {

using rle::Op;

bool fits_u32(uint64_t total) { return total < (uint64_t{1} << 32); }

template <class F>
auto with_count_type(const py::array& counts, F&& f) {
    if (counts.dtype().equal(py::dtype::of<uint32_t>())) return f(uint32_t{});
    if (counts.dtype().equal(py::dtype::of<uint64_t>())) return f(uint64_t{});
    throw py::type_error("counts: expected uint32 or uint64, got " + std::string(py::str(counts.dtype())));
}

template <class T>
struct Batch {
    Span<T> flat;
    Span<int64_t> offsets;
    const int64_t* sizes;
    int64_t n;
    const T* counts(int64_t i) const { return flat.data + offsets.data[i]; }
    int64_t len(int64_t i) const { return offsets.data[i + 1] - offsets.data[i]; }
    int64_t h(int64_t i) const { return sizes[2 * i]; }
    int64_t w(int64_t i) const { return sizes[2 * i + 1]; }
    rle::RleSet<T> set() const { return {flat.data, offsets.data, sizes, n}; }
};

template <class T>
Batch<T> batch(const py::array& flat, const py::array& offsets, const py::array& sizes, const char* name) {
    Batch<T> b{span<T>(flat, name), span<int64_t>(offsets, "offsets"), nullptr, 0};
    b.n = b.offsets.size - 1;
    MC_REQUIRE(b.n >= 0, std::string(name) + ": offsets must have n + 1 entries");
    MC_REQUIRE(sizes.dtype().equal(py::dtype::of<int64_t>()) && sizes.ndim() == 2 && sizes.shape(0) == b.n &&
                sizes.shape(1) == 2 && (sizes.flags() & py::array::c_style),
            std::string(name) + ": sizes must be a contiguous int64 (n, 2) array");
    b.sizes = static_cast<const int64_t*>(sizes.data());
    MC_REQUIRE(b.offsets.data[0] == 0 && b.offsets.data[b.n] <= b.flat.size, std::string(name) + ": offsets out of range");
    for (int64_t i = 0; i < b.n; ++i)
        MC_REQUIRE(b.offsets.data[i] <= b.offsets.data[i + 1] && b.h(i) >= 0 && b.w(i) >= 0,
                std::string(name) + ": offsets must be increasing and sizes non-negative");
    return b;
}

// Counts for maskcore.RLE, which holds them read-only: made so here, at no cost, rather
// than by setting flags.writeable = False in Python (~1-2 us on a fresh array with numpy
// 2.4: a sizeable part of a small mask's encode). The array is new and nobody else's.
template <class T>
py::array readonly_counts(RunBuf<T>& buf) {
    py::array a = adopt(buf);
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return a;
}

// ---- encode ---------------------------------------------------------------------

// A byte other than 0/1 (strict): KernelError, index = its column-major position.
template <class T>
py::array encode_one(View2D<const uint8_t> v, bool strict) {
    RunBuf<T> out;
    ErrorInfo err;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = rle::encode<T>(v, strict, out, err);
    }
    if (s != Status::ok) raise_kernel(s, err);
    return readonly_counts(out);
}

py::array encode(const py::array& mask, bool strict) {
    const View2D<const uint8_t> v = const_view(mask, "mask");
    if (fits_u32(static_cast<uint64_t>(v.rows) * static_cast<uint64_t>(v.cols))) return encode_one<uint32_t>(v, strict);
    return encode_one<uint64_t>(v, strict);
}

// (H, W, N) -> (flat counts, offsets); masks in parallel.
template <class T>
py::tuple encode_batch_t(const py::array& masks, bool strict, int threads) {
    const int64_t h = masks.shape(0), w = masks.shape(1), n = masks.shape(2);
    const auto* base = static_cast<const uint8_t*>(masks.data());
    const int64_t s0 = masks.strides(0), s1 = masks.strides(1), s2 = masks.strides(2);
    std::vector<RunBuf<T>> runs(static_cast<size_t>(n));
    std::vector<Status> status(static_cast<size_t>(n), Status::ok);
    std::vector<ErrorInfo> errs(static_cast<size_t>(n));
    {
        py::gil_scoped_release nogil;
        // Units: pixels (~0.1 ns each on blobs).
        parallel_for(n, worth(threads, static_cast<uint64_t>(h * w * n), 1 << 21), [&](int64_t i) {
            const View2D<const uint8_t> v{base + i * s2, h, w, s0, s1};
            status[i] = rle::encode<T>(v, strict, runs[i], errs[i]);
        });
    }
    raise_first(status, errs);  // item = the plane
    return flatten(runs);
}

py::tuple encode_batch(const py::array& masks, bool strict, int threads) {
    MC_REQUIRE(masks.dtype().equal(py::dtype::of<uint8_t>()) && masks.ndim() == 3, "mask: expected a uint8 (H, W, N) array");
    if (fits_u32(static_cast<uint64_t>(masks.shape(0)) * static_cast<uint64_t>(masks.shape(1))))
        return encode_batch_t<uint32_t>(masks, strict, threads);
    return encode_batch_t<uint64_t>(masks, strict, threads);
}

// ---- decode ---------------------------------------------------------------------

void decode(const py::array& counts, py::array& out) {
    View2D<uint8_t> v = mutable_view(out, "out");
    with_count_type(counts, [&](auto t) {
        using T = decltype(t);
        const Span<T> c = span<T>(counts, "counts");
        Status s;
        {
            py::gil_scoped_release nogil;
            s = rle::decode<T>(c.data, c.size, v);
        }
        if (s != Status::ok) raise(s, "rle: counts do not match the output shape");
        return 0;
    });
}

// Batch -> (H, W, N) out, one plane per RLE, in parallel. All RLEs have out's (H, W).
void decode_batch(const py::array& flat, const py::array& offsets, const py::array& sizes, py::array& out, int threads) {
    MC_REQUIRE(out.dtype().equal(py::dtype::of<uint8_t>()) && out.ndim() == 3 && out.writeable(),
            "out: expected a writable uint8 (H, W, N) array");
    with_count_type(flat, [&](auto t) {
        using T = decltype(t);
        const Batch<T> b = batch<T>(flat, offsets, sizes, "rles");
        MC_REQUIRE(b.n == out.shape(2), "out: expected one plane per RLE");
        for (int64_t i = 0; i < b.n; ++i)
            MC_REQUIRE(b.h(i) == out.shape(0) && b.w(i) == out.shape(1), "rles: all RLEs must have the output's size");
        auto* base = static_cast<uint8_t*>(out.mutable_data());
        const int64_t s0 = out.strides(0), s1 = out.strides(1), s2 = out.strides(2);
        std::vector<Status> status(static_cast<size_t>(b.n), Status::ok);
        {
            py::gil_scoped_release nogil;
            parallel_for(b.n, worth(threads, static_cast<uint64_t>(out.shape(0) * out.shape(1) * b.n), 1 << 21), [&](int64_t i) {
                status[i] = rle::decode<T>(b.counts(i), b.len(i), View2D<uint8_t>{base + i * s2, b.h(i), b.w(i), s0, s1});
            });
        }
        for (int64_t i = 0; i < b.n; ++i)
            if (status[i] != Status::ok) raise(status[i], "rles[" + std::to_string(i) + "]: counts do not match its size");
        return 0;
    });
}

// ---- validation, area, bbox, iou -------------------------------------------------

// Counts that do not sum to h * w: KernelError (index: the count where the sum passed
// h * w, or the number of counts when it fell short; value: the sum).
void check(const py::array& counts, int64_t h, int64_t w) {
    with_count_type(counts, [&](auto t) {
        using T = decltype(t);
        const Span<T> c = span<T>(counts, "counts");
        const uint64_t total = static_cast<uint64_t>(h) * static_cast<uint64_t>(w);
        ErrorInfo err;
        Status s;
        {
            py::gil_scoped_release nogil;
            s = rle::check_counts<T>(c.data, c.size, total, err);
        }
        if (s != Status::ok) raise_kernel(s, err);
        return 0;
    });
}

// Checks every RLE's sum; raises for the first bad one, naming it.
void check_batch(const py::array& flat, const py::array& offsets, const py::array& sizes, int threads) {
    with_count_type(flat, [&](auto t) {
        using T = decltype(t);
        const Batch<T> b = batch<T>(flat, offsets, sizes, "rles");
        std::vector<Status> status(static_cast<size_t>(b.n));
        std::vector<ErrorInfo> errs(static_cast<size_t>(b.n));
        {
            py::gil_scoped_release nogil;
            parallel_for(b.n, worth(threads, static_cast<uint64_t>(b.flat.size), 1 << 20), [&](int64_t i) {
                status[i] = rle::check_counts<T>(b.counts(i), b.len(i), static_cast<uint64_t>(b.h(i)) * static_cast<uint64_t>(b.w(i)), errs[i]);
            });
        }
        raise_first(status, errs);
        return 0;
    });
}

py::array_t<int64_t> area_batch(const py::array& flat, const py::array& offsets, const py::array& sizes, int threads) {
    return with_count_type(flat, [&](auto t) {
        using T = decltype(t);
        const Batch<T> b = batch<T>(flat, offsets, sizes, "rles");
        py::array_t<int64_t> out(b.n);
        int64_t* o = out.mutable_data();
        {
            py::gil_scoped_release nogil;
            parallel_for(b.n, worth(threads, static_cast<uint64_t>(b.flat.size), 1 << 20), [&](int64_t i) { o[i] = static_cast<int64_t>(rle::area<T>(b.counts(i), b.len(i))); });
        }
        return out;
    });
}

py::array_t<int64_t> bbox_batch(const py::array& flat, const py::array& offsets, const py::array& sizes, int threads) {
    return with_count_type(flat, [&](auto t) {
        using T = decltype(t);
        const Batch<T> b = batch<T>(flat, offsets, sizes, "rles");
        py::array_t<int64_t> out({b.n, int64_t{4}});
        int64_t* o = out.mutable_data();
        {
            py::gil_scoped_release nogil;
            parallel_for(b.n, worth(threads, static_cast<uint64_t>(b.flat.size), 1 << 18), [&](int64_t i) {
                rle::scan_foreground<T>(b.counts(i), b.len(i), b.h(i), b.w(i), o + 4 * i, nullptr);
            });
        }
        return out;
    });
}

// IoU of every a[i] with every b[j] (rle::iou_matrix); crowd[j] != 0 makes the
// union area(a[i]).
py::array_t<double> iou(const py::array& aflat, const py::array& aoff, const py::array& asizes, const py::array& bflat,
                        const py::array& boff, const py::array& bsizes, const py::array& crowd, int threads) {
    MC_REQUIRE(aflat.dtype().equal(bflat.dtype()), "iou: both operands must have the same counts dtype");
    return with_count_type(aflat, [&](auto t) {
        using T = decltype(t);
        const Batch<T> a = batch<T>(aflat, aoff, asizes, "a"), b = batch<T>(bflat, boff, bsizes, "b");
        const Span<uint8_t> cr = span<uint8_t>(crowd, "iscrowd");
        MC_REQUIRE(cr.size == b.n, "iscrowd: expected one flag per ground-truth RLE");
        // Every pair must match, so all sizes must equal one: find a mismatch in O(n).
        if (a.n && b.n) {
            int64_t i = 0, j = 0;
            while (i < a.n && a.h(i) == b.h(0) && a.w(i) == b.w(0)) ++i;
            if (i == a.n) {
                i = 0;
                while (j < b.n && b.h(j) == a.h(0) && b.w(j) == a.w(0)) ++j;
            }
            if (i < a.n && j < b.n) {  // KernelError(size_mismatch): index = i of a, value = j of b
                ErrorInfo e;
                e.index = i;
                e.value = j;
                raise_kernel(Status::size_mismatch, e);
            }
        }
        py::array_t<double> out({a.n, b.n});
        double* o = out.mutable_data();
        Status s;
        {
            py::gil_scoped_release nogil;
            s = rle::iou_matrix<T>(a.set(), b.set(), cr.data, threads, o);
        }
        if (s != Status::ok) raise(s, "iou failed");
        return out;
    });
}

// ---- set operations ---------------------------------------------------------------

py::array combine(const py::array& a, const py::array& b, int op) {
    MC_REQUIRE(a.dtype().equal(b.dtype()), "combine: both operands must have the same counts dtype");
    MC_REQUIRE(op >= 0 && op <= 3, "op: expected 0..3");
    return with_count_type(a, [&](auto t) -> py::array {
        using T = decltype(t);
        const Span<T> x = span<T>(a, "a"), y = span<T>(b, "b");
        RunBuf<T> out;
        Status s;
        {
            py::gil_scoped_release nogil;
            s = rle::combine<T>(x.data, x.size, y.data, y.size, static_cast<Op>(op), out);
        }
        if (s != Status::ok) raise(s, "combine failed");
        return readonly_counts(out);
    });
}

// Union (op 1) or intersection (op 0) of many counts arrays (one size, one dtype:
// checked by the caller): rle::merge_runs.
py::array merge(const py::list& arrays, int op, uint64_t total) {
    MC_REQUIRE(op == 0 || op == 1, "op: expected 0 (intersection) or 1 (union)");
    MC_REQUIRE(arrays.size() >= 1, "rles: expected at least one RLE");
    const py::array first = py::reinterpret_borrow<py::array>(arrays[0]);
    return with_count_type(first, [&](auto t) -> py::array {
        using T = decltype(t);
        std::vector<const T*> runs;
        std::vector<int64_t> lens;
        for (size_t i = 0; i < arrays.size(); ++i) {
            const Span<T> c = span<T>(py::reinterpret_borrow<py::array>(arrays[i]), "rles");
            runs.push_back(c.data);
            lens.push_back(c.size);
        }
        RunBuf<T> counts;
        Status s;
        {
            py::gil_scoped_release nogil;
            s = rle::merge_runs<T>(runs.data(), lens.data(), static_cast<int64_t>(runs.size()), op == 0, total, counts);
        }
        if (s != Status::ok) raise(s, "merge failed");
        return readonly_counts(counts);
    });
}

// ---- string codec -----------------------------------------------------------------

// Written straight into a bytes object sized for the worst case, then shrunk in
// place (_PyBytes_Resize: allowed on a bytes object nobody else has seen yet).
py::bytes to_string(const py::array& counts) {
    return with_count_type(counts, [&](auto t) {
        using T = decltype(t);
        const Span<T> c = span<T>(counts, "counts");
        const int64_t room = rle::string_room<T>(c.size);
        if (room < 0) throw std::bad_alloc();
        PyObject* obj = PyBytes_FromStringAndSize(nullptr, room);
        if (!obj) throw py::error_already_set();
        int64_t len;
        {
            py::gil_scoped_release nogil;
            len = rle::write_string<T>(c.data, c.size, PyBytes_AS_STRING(obj));
        }
        if (_PyBytes_Resize(&obj, len) < 0) throw py::error_already_set();  // frees obj on failure
        return py::reinterpret_steal<py::bytes>(obj);
    });
}

// str (ASCII), as JSON wants it: formatted in parallel, then made into objects.
py::list to_string_batch(const py::array& flat, const py::array& offsets, const py::array& sizes, int threads) {
    return with_count_type(flat, [&](auto t) {
        using T = decltype(t);
        const Batch<T> b = batch<T>(flat, offsets, sizes, "rles");
        std::vector<RunBuf<char>> strs(static_cast<size_t>(b.n));
        std::vector<Status> status(static_cast<size_t>(b.n));
        {
            py::gil_scoped_release nogil;
            parallel_for(b.n, worth(threads, static_cast<uint64_t>(b.flat.size), 1 << 18),
                         [&](int64_t i) { status[i] = rle::to_string<T>(b.counts(i), b.len(i), strs[i]); });
        }
        py::list out(b.n);
        for (int64_t i = 0; i < b.n; ++i) {
            if (status[i] != Status::ok) raise(status[i], "to_string failed");
            PyObject* str = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, strs[i].data ? strs[i].data : "", strs[i].size);
            if (!str) throw py::error_already_set();
            PyList_SET_ITEM(out.ptr(), i, str);  // steals the reference
        }
        return out;
    });
}

// A malformed string: KernelError with kind = rle::StringError (RLE_STRING_ERRORS),
// index = the byte offset (bad_count: the count), value = the char or the value.
py::array from_string(const py::bytes& data, int64_t h, int64_t w) {
    char* s = nullptr;
    py::ssize_t len = 0;
    PyBytes_AsStringAndSize(data.ptr(), &s, &len);
    const uint64_t total = static_cast<uint64_t>(h) * static_cast<uint64_t>(w);
    auto run = [&](auto t) -> py::array {
        using T = decltype(t);
        RunBuf<T> out;
        ErrorInfo err;
        Status st;
        {
            py::gil_scoped_release nogil;
            st = rle::from_string<T>(s, len, total, out, err);
        }
        if (st != Status::ok) raise_kernel(st, err);
        return readonly_counts(out);
    };
    return fits_u32(total) ? run(uint32_t{}) : run(uint64_t{});
}

// Many strings (bytes) of the given sizes -> (flat, offsets); counts dtype from the largest size.
py::tuple from_string_batch(const py::list& strings, const py::array& sizes, int threads) {
    const int64_t n = static_cast<int64_t>(strings.size());
    MC_REQUIRE(sizes.dtype().equal(py::dtype::of<int64_t>()) && sizes.ndim() == 2 && sizes.shape(0) == n &&
                sizes.shape(1) == 2 && (sizes.flags() & py::array::c_style),
            "sizes: expected a contiguous int64 (n, 2) array");
    const int64_t* sz = static_cast<const int64_t*>(sizes.data());
    std::vector<const char*> ptr(static_cast<size_t>(n));
    std::vector<int64_t> len(static_cast<size_t>(n));
    bool wide = false;
    uint64_t bytes = 0;
    for (int64_t i = 0; i < n; ++i) {
        PyObject* o = strings[static_cast<size_t>(i)].ptr();
        if (!PyBytes_Check(o)) throw py::type_error("counts: expected bytes");
        char* s;
        py::ssize_t l;
        PyBytes_AsStringAndSize(o, &s, &l);
        ptr[i] = s;
        len[i] = l;
        bytes += static_cast<uint64_t>(l);
        MC_REQUIRE(sz[2 * i] >= 0 && sz[2 * i + 1] >= 0, "sizes: expected non-negative sizes");
        wide = wide || !fits_u32(static_cast<uint64_t>(sz[2 * i]) * static_cast<uint64_t>(sz[2 * i + 1]));
    }
    auto run = [&](auto t) -> py::tuple {
        using T = decltype(t);
        std::vector<RunBuf<T>> runs(static_cast<size_t>(n));
        std::vector<Status> status(static_cast<size_t>(n));
        std::vector<ErrorInfo> errs(static_cast<size_t>(n));
        {
            py::gil_scoped_release nogil;
            parallel_for(n, worth(threads, bytes, 1 << 18), [&](int64_t i) {
                status[i] = rle::from_string<T>(ptr[i], len[i], static_cast<uint64_t>(sz[2 * i]) * static_cast<uint64_t>(sz[2 * i + 1]), runs[i], errs[i]);
            });
        }
        raise_first(status, errs);
        return flatten(runs);
    };
    return wide ? run(uint64_t{}) : run(uint32_t{});
}

// Many counts arrays (a Python list) -> (flat, offsets): the fast way to a batch.
// The flat dtype is uint64 if any input is, else uint32.
py::tuple concat(const py::list& arrays) {
    const size_t n = arrays.size();
    std::vector<py::array> arr;
    arr.reserve(n);
    bool wide = false;
    for (size_t i = 0; i < n; ++i) {
        py::array a = py::reinterpret_borrow<py::array>(arrays[i]);
        MC_REQUIRE(py::isinstance<py::array>(arrays[i]) && a.ndim() == 1 && (a.flags() & py::array::c_style) &&
                    (a.dtype().equal(py::dtype::of<uint32_t>()) || a.dtype().equal(py::dtype::of<uint64_t>())),
                "rles[" + std::to_string(i) + "]: counts must be a contiguous uint32/uint64 array");
        wide = wide || a.dtype().equal(py::dtype::of<uint64_t>());
        arr.push_back(std::move(a));
    }
    auto run = [&](auto t) -> py::tuple {
        using T = decltype(t);
        py::array_t<int64_t> offsets(static_cast<py::ssize_t>(n + 1));
        int64_t* o = offsets.mutable_data();
        o[0] = 0;
        for (size_t i = 0; i < n; ++i) o[i + 1] = o[i] + arr[i].shape(0);
        py::array_t<T> flat(o[n]);
        T* f = flat.mutable_data();
        for (size_t i = 0; i < n; ++i) {
            if (arr[i].dtype().equal(py::dtype::of<T>())) {
                std::memcpy(f + o[i], arr[i].data(), static_cast<size_t>(arr[i].shape(0)) * sizeof(T));
            } else {  // uint32 into a uint64 batch
                const auto* src = static_cast<const uint32_t*>(arr[i].data());
                for (int64_t k = 0; k < arr[i].shape(0); ++k) f[o[i] + k] = src[k];
            }
        }
        return py::make_tuple(flat, offsets);
    };
    return wide ? run(uint64_t{}) : run(uint32_t{});
}

}  // namespace

void bind_rle(py::module_& m) {
    m.def("rle_concat", &concat, py::arg("arrays"));
    m.def("rle_encode", &encode, py::arg("mask"), py::arg("strict"));
    m.def("rle_encode_batch", &encode_batch, py::arg("masks"), py::arg("strict"), py::arg("threads"));
    m.def("rle_decode", &decode, py::arg("counts"), py::arg("out"));
    m.def("rle_decode_batch", &decode_batch, py::arg("flat"), py::arg("offsets"), py::arg("sizes"), py::arg("out"),
          py::arg("threads"));
    m.def("rle_check", &check, py::arg("counts"), py::arg("height"), py::arg("width"));
    m.def("rle_check_batch", &check_batch, py::arg("flat"), py::arg("offsets"), py::arg("sizes"), py::arg("threads"));
    m.def("rle_area_batch", &area_batch, py::arg("flat"), py::arg("offsets"), py::arg("sizes"), py::arg("threads"));
    m.def("rle_bbox_batch", &bbox_batch, py::arg("flat"), py::arg("offsets"), py::arg("sizes"), py::arg("threads"));
    m.def("rle_iou", &iou, py::arg("aflat"), py::arg("aoffsets"), py::arg("asizes"), py::arg("bflat"),
          py::arg("boffsets"), py::arg("bsizes"), py::arg("iscrowd"), py::arg("threads"));
    m.def("rle_combine", &combine, py::arg("a"), py::arg("b"), py::arg("op"));
    m.def("rle_merge", &merge, py::arg("arrays"), py::arg("op"), py::arg("total"));
    m.def("rle_to_string", &to_string, py::arg("counts"));
    m.def("rle_to_string_batch", &to_string_batch, py::arg("flat"), py::arg("offsets"), py::arg("sizes"),
          py::arg("threads"));
    m.def("rle_from_string", &from_string, py::arg("data"), py::arg("height"), py::arg("width"));
    py::dict string_errors;  // KernelError kind of a malformed string (rle.hpp: StringError)
    string_errors["bad_char"] = int{rle::bad_char};
    string_errors["truncated"] = int{rle::truncated};
    string_errors["too_long"] = int{rle::too_long};
    string_errors["bad_count"] = int{rle::bad_count};
    string_errors["bad_sum"] = int{rle::bad_sum};
    m.attr("RLE_STRING_ERRORS") = string_errors;
    m.def("rle_from_string_batch", &from_string_batch, py::arg("strings"), py::arg("sizes"), py::arg("threads"));
}

}  // namespace maskcore::py_bind
