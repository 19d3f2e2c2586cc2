// Bindings of the chunked-labeling kernels (csrc/chunked): the steps between the
// blocks of maskcore.dask.label. Arrays arrive canonical from maskcore/dask.py
// (C-contiguous, the dtypes named below); the GIL is released around each kernel.
// What a kernel finds in the data is raised as KernelError (buffers.hpp: raise_kernel)
// and worded by maskcore/_validate.py (chunked_first_error, chunked_pairs_error).
#include "../chunked/chunked.hpp"
#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {

template <class Idx>
py::array_t<int64_t> first_pixels_t(const py::array& labels, int64_t n) {
    MC_REQUIRE(labels.flags() & py::array::c_style, "labels: expected a C-contiguous array");
    py::array_t<int64_t> first(n);
    int64_t* f = first.mutable_data();
    const Idx* p = static_cast<const Idx*>(labels.data());
    const int64_t size = labels.size();
    ErrorInfo err;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = chunked::first_pixels<Idx>(p, size, n, f, err);
    }
    if (s != Status::ok) raise_kernel(s, err);
    return first;
}

}  // namespace

void bind_chunked(py::module_& m) {
    m.def(
        "chunked_first_pixels",
        [](const py::array& labels, int64_t n) -> py::array_t<int64_t> {
            MC_REQUIRE(labels.dtype().kind() == 'u', "labels: expected an unsigned integer array");
            MC_REQUIRE(n >= 0, "n: expected >= 0");
            if (labels.itemsize() == 4) return first_pixels_t<uint32_t>(labels, n);
            if (labels.itemsize() == 8) return first_pixels_t<uint64_t>(labels, n);
            throw py::value_error("labels: expected uint32 or uint64");
        },
        py::arg("labels"), py::arg("n"));
    m.def(
        "chunked_seam_pairs",
        [](const py::array& a, const py::array& b, const py::object& key_a, const py::object& key_b, int64_t P,
           int64_t Q, int reach) {
            const Span<uint64_t> sa = span<uint64_t>(a, "a");
            const Span<uint64_t> sb = span<uint64_t>(b, "b");
            MC_REQUIRE(P >= 0 && Q >= 0 && sa.size == P * Q && sb.size == P * Q, "planes: expected P * Q ids each");
            const uint64_t* ka = nullptr;
            const uint64_t* kb = nullptr;
            if (!key_a.is_none()) {
                const py::array ka_arr = key_a.cast<py::array>(), kb_arr = key_b.cast<py::array>();
                const Span<uint64_t> ska = span<uint64_t>(ka_arr, "key_a"), skb = span<uint64_t>(kb_arr, "key_b");
                MC_REQUIRE(ska.size == P * Q && skb.size == P * Q, "keys: expected P * Q values each");
                ka = ska.data;
                kb = skb.data;
            }
            MC_REQUIRE(reach >= 0 && reach <= 2, "reach: expected 0, 1 or 2");
            RunBuf<uint64_t> out;
            Status s;
            {
                py::gil_scoped_release nogil;
                s = chunked::seam_pairs(sa.data, sb.data, ka, kb, P, Q, reach, out);
            }
            if (s != Status::ok) raise_kernel(s, ErrorInfo{});  // bad_alloc -> MemoryError
            return adopt(out);
        },
        py::arg("a"), py::arg("b"), py::arg("key_a"), py::arg("key_b"), py::arg("P"), py::arg("Q"),
        py::arg("reach"));
    m.def(
        "chunked_merge_numbering",
        [](const py::array& first, const py::array& pa, const py::array& pb) {
            const Span<int64_t> f = span<int64_t>(first, "first");
            const Span<uint64_t> a = span<uint64_t>(pa, "pairs_a");
            const Span<uint64_t> b = span<uint64_t>(pb, "pairs_b");
            MC_REQUIRE(f.size >= 1, "first: expected N + 1 entries");
            MC_REQUIRE(a.size == b.size, "pairs: expected two arrays of one length");
            py::array_t<uint64_t> out(f.size);
            uint64_t* o = out.mutable_data();
            int64_t n = 0;
            ErrorInfo err;
            Status s;
            {
                py::gil_scoped_release nogil;
                s = chunked::merge_numbering(f.data, f.size - 1, a.data, b.data, a.size, o, &n, err);
            }
            if (s != Status::ok) raise_kernel(s, err);
            return py::make_tuple(out, n);
        },
        py::arg("first"), py::arg("pairs_a"), py::arg("pairs_b"));
}

}  // namespace maskcore::py_bind
