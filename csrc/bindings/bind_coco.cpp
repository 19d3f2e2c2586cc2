// maskcore.coco's per-call fast path: area, toBbox and merge of COCO RLE dicts read
// straight from the Python objects, for the small inputs that labeling tools and
// COCO.loadRes / COCOeval pass one call at a time (there the numpy arrays, batches
// and wrappers of the general path cost 10-30x the work itself).
//
// coco_fast(op, objs): objs is one dict or a list of dicts; op 0 = area, 1 = box,
// 2 = union, 3 = intersection. Every item must be exactly a dict
// {'size': [h, w] (list of two ints), 'counts': bytes or ASCII str} with h * w <
// 2^32 and a valid compressed string whose counts sum to h * w; merge also needs
// one size for all and at least one item. Anything else, including a bad string,
// returns None and the caller takes the general, validating path (which raises the
// documented messages), so this path never changes a result or an error.
// Returns: area -> int (one) or uint32 (n,) array; box -> float64 (4,) or (n, 4);
// merge -> {'size': [h, w], 'counts': bytes}.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <vector>

#include "../common/thread_scratch.hpp"
#include "../rle/rle.hpp"
#include "buffers.hpp"

namespace py = pybind11;

namespace maskcore::py_bind {
namespace {

struct OneRle {
    RunBuf<uint32_t> counts;
    MC_SCRATCH_BYTES(counts)
};

struct Item {
    const char* s;
    Py_ssize_t len;
    int64_t h, w;
};

// The fields of one plain COCO dict, or false (borrowed pointers: valid while objs
// is alive and unchanged, i.e. under the GIL).
bool read_item(PyObject* o, Item& it) noexcept {
    if (!PyDict_CheckExact(o)) return false;
    PyObject* size = PyDict_GetItemString(o, "size");
    PyObject* counts = PyDict_GetItemString(o, "counts");
    if (!size || !counts || !PyList_CheckExact(size) || PyList_GET_SIZE(size) != 2) return false;
    PyObject* a = PyList_GET_ITEM(size, 0);
    PyObject* b = PyList_GET_ITEM(size, 1);
    if (!PyLong_CheckExact(a) || !PyLong_CheckExact(b)) return false;
    int ov = 0;
    const long long h = PyLong_AsLongLongAndOverflow(a, &ov);
    if (ov || h < 0 || h >= (1LL << 31)) return false;
    const long long w = PyLong_AsLongLongAndOverflow(b, &ov);
    if (ov || w < 0 || w >= (1LL << 31) || static_cast<uint64_t>(h) * static_cast<uint64_t>(w) >= (uint64_t{1} << 32))
        return false;
    if (PyBytes_CheckExact(counts)) {
        it.s = PyBytes_AS_STRING(counts);
        it.len = PyBytes_GET_SIZE(counts);
    } else if (PyUnicode_CheckExact(counts) && PyUnicode_IS_COMPACT_ASCII(counts)) {
        it.s = static_cast<const char*>(PyUnicode_DATA(counts));
        it.len = PyUnicode_GET_LENGTH(counts);
    } else {
        return false;
    }
    it.h = h;
    it.w = w;
    return true;
}

// Parsed counts of every item, back to back (offsets n + 1), or false.
bool parse(const std::vector<Item>& items, RunBuf<uint32_t>& flat, std::vector<int64_t>& off) noexcept {
    off.assign(1, 0);
    RunBuf<uint32_t> one;
    for (const Item& it : items) {
        ErrorInfo err;
        one.size = 0;
        const uint64_t total = static_cast<uint64_t>(it.h) * static_cast<uint64_t>(it.w);
        if (rle::from_string<uint32_t>(it.s, it.len, total, one, err) != Status::ok) return false;
        if (!flat.reserve_more(one.size)) return false;
        if (one.size) std::memcpy(flat.data + flat.size, one.data, static_cast<size_t>(one.size) * sizeof(uint32_t));
        flat.size += one.size;
        off.push_back(flat.size);
    }
    return true;
}

py::object coco_fast(int op, py::handle objs) {
    std::vector<Item> items;
    const bool many = PyList_CheckExact(objs.ptr());
    if (many) {
        const Py_ssize_t n = PyList_GET_SIZE(objs.ptr());
        items.resize(static_cast<size_t>(n));
        for (Py_ssize_t i = 0; i < n; ++i)
            if (!read_item(PyList_GET_ITEM(objs.ptr(), i), items[static_cast<size_t>(i)])) return py::none();
    } else {
        items.resize(1);
        if (!read_item(objs.ptr(), items[0])) return py::none();
    }
    const int64_t n = static_cast<int64_t>(items.size());
    // Small inputs (the point of this path) are parsed under the GIL: releasing it
    // would cost more than the work, and the strings belong to live Python objects.
    if (op == 0 || op == 1) {  // one item at a time: parsed into one reused buffer, measured at once
        std::vector<double> res(static_cast<size_t>(op == 0 ? n : 4 * n));
        ScratchLease<OneRle> lease;  // one reused buffer per thread (csrc/common/thread_scratch.hpp)
        RunBuf<uint32_t>& one = lease->counts;
        for (int64_t i = 0; i < n; ++i) {
            const Item& it = items[static_cast<size_t>(i)];
            ErrorInfo err;
            one.size = 0;
            if (rle::from_string<uint32_t>(it.s, it.len, static_cast<uint64_t>(it.h) * static_cast<uint64_t>(it.w), one,
                                           err) != Status::ok)
                return py::none();
            if (op == 0) {
                res[i] = static_cast<double>(rle::area<uint32_t>(one.data, one.size));
            } else {
                int64_t box[4];
                rle::scan_foreground<uint32_t>(one.data, one.size, it.h, it.w, box, nullptr);
                for (int j = 0; j < 4; ++j) res[4 * i + j] = static_cast<double>(box[j]);
            }
        }
        if (op == 0) {
            if (!many) return py::int_(static_cast<uint64_t>(res[0]));
            py::array_t<uint32_t> out(n);
            uint32_t* o = out.mutable_data();
            for (int64_t i = 0; i < n; ++i) o[i] = static_cast<uint32_t>(res[i]);
            return std::move(out);
        }
        py::array_t<double> out = many ? py::array_t<double>({n, int64_t{4}}) : py::array_t<double>(4);
        if (!res.empty()) std::memcpy(out.mutable_data(), res.data(), res.size() * sizeof(double));  // (no null source)
        return std::move(out);
    }
    RunBuf<uint32_t> flat;
    std::vector<int64_t> off;
    if (!parse(items, flat, off)) return py::none();
    if (!many || n == 0) return py::none();
    for (const Item& it : items)
        if (it.h != items[0].h || it.w != items[0].w) return py::none();
    const uint64_t total = static_cast<uint64_t>(items[0].h) * static_cast<uint64_t>(items[0].w);
    RunBuf<uint32_t> merged;
    const uint32_t* counts = flat.data;
    int64_t len = off[1];
    if (n > 1) {
        std::vector<const uint32_t*> runs(static_cast<size_t>(n));
        std::vector<int64_t> lens(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            runs[i] = flat.data + off[i];
            lens[i] = off[i + 1] - off[i];
        }
        const Status s = rle::merge_runs<uint32_t>(runs.data(), lens.data(), n, op == 3, total, merged);
        if (s != Status::ok) raise(s, "merge failed");
        counts = merged.data;
        len = merged.size;
    }
    const int64_t room = rle::string_room<uint32_t>(len);
    if (room < 0) throw std::bad_alloc();
    PyObject* bytes = PyBytes_FromStringAndSize(nullptr, room);
    if (!bytes) throw py::error_already_set();
    const int64_t used = rle::write_string<uint32_t>(counts, len, PyBytes_AS_STRING(bytes));
    if (_PyBytes_Resize(&bytes, used) < 0) throw py::error_already_set();
    py::dict d;
    py::list size(2);
    size[0] = py::int_(items[0].h);
    size[1] = py::int_(items[0].w);
    d["size"] = size;
    d["counts"] = py::reinterpret_steal<py::bytes>(bytes);
    return std::move(d);
}

}  // namespace

void bind_coco(py::module_& m) {
    m.def("coco_fast", &coco_fast, py::arg("op"), py::arg("objs"));
}

}  // namespace maskcore::py_bind
