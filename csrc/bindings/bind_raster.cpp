// Bindings of the raster family: one native entry per operation (raster_fill, raster_rle,
// raster_rle_batch, raster_paint, raster_paint_many, raster_color; stroke_paint,
// paint_mask), each taking the polygons in the kernels' own forms: a COCO list of numbers
// (one part), a C-contiguous float64 flat or (N, 2) array (one part, read in place), or a
// list of those (parts); rule= and fill_rule= by name (scan.hpp's table). An entry returns
// None for anything else, and maskcore/raster.py then brings the arguments to these forms
// with maskcore/_validate.py (which also explains bad input) and calls the same entry
// again. Then: buffers to views, GIL released, the scan engine into a sink, status out.
// Lists are read by one parser (append_parts). maskcore.coco's entries (coco_poly_strings,
// coco_poly_dicts) run pycocotools' polygon walk alone, per polygon, with its string codec.
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "../common/thread_scratch.hpp"
#include "../raster/coco_poly.hpp"
#include "../raster/scan.hpp"
#include "../rle/rle.hpp"
#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {
using raster::Parts;

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

// Per-thread scratch of the entry points below (csrc/common/thread_scratch.hpp): leased
// for a call, within the one limit, freed by maskcore.release_memory().
struct ParseScratch {  // a polygon list parsed into (xy, offsets)
    RunBuf<double> xy;
    RunBuf<int64_t> offs;
    MC_SCRATCH_BYTES(xy, offs)
};
template <class T>
struct EncodeScratch {  // COCO counts and their strings, copied out
    RunBuf<T> counts;
    RunBuf<char> chars;
    MC_SCRATCH_BYTES(counts, chars)
};
template <class T>
struct CountsScratch {  // counts copied out: small outputs skip a malloc and a capsule
    RunBuf<T> counts;
    MC_SCRATCH_BYTES(counts)
};

struct PaintManyScratch {
    RunBuf<double> xy;
    RunBuf<int64_t> offs, item_parts;
    RunBuf<uint64_t> labels;
    MC_SCRATCH_BYTES(xy, offs, item_parts, labels)
};

bool fits_u32(int64_t h, int64_t w) {
    return h <= 0 || w <= 0 || static_cast<uint64_t>(w) <= UINT32_MAX / static_cast<uint64_t>(h);
}

// A kernel's failure on polygon i of p (coco_polygon): KernelError with kind = 0 (the
// part: one polygon), index = the coordinate within it, coordinate = its value, item =
// i. maskcore/_validate.py (polygon_error) words it.
[[noreturn]] void raise_polygon(Status s, const Polygons& p, int64_t i, ErrorInfo err) {
    const double v = s == Status::invalid_value && err.index >= 0 ? p.points(i)[err.index] : 0.0;
    err.kind = 0;
    raise_kernel(s, err, i, v);
}

// The compressed COCO string of every polygon, as bytes (pycocotools' frPoly).
py::list coco_poly_strings(const py::array& xy, const py::array& offsets, int64_t h, int64_t w) {
    const Polygons p = polygons(xy, offsets, h, w);
    auto run = [&](auto t) -> py::list {
        using T = decltype(t);
        ScratchLease<EncodeScratch<T>> lease;
        RunBuf<T>& counts = lease->counts;
        RunBuf<char>& chars = lease->chars;
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
        if (s != Status::ok) raise_polygon(s, p, i, err);
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

// ---- the polygon forms the entries take ------------------------------------------------------
// One part as a C-contiguous, aligned float64 array, flat (even length) or (N, 2): its
// data and n coordinates, else nullptr.
const double* float_part(PyObject* obj, int64_t& n) {
    if (!py::isinstance<py::array>(obj)) return nullptr;
    auto a = py::reinterpret_borrow<py::array>(obj);
    if (!a.dtype().equal(py::dtype::of<double>()) || !(a.flags() & py::array::c_style) || !is_aligned(a)) return nullptr;
    if (!((a.ndim() == 2 && a.shape(1) == 2) || (a.ndim() == 1 && a.shape(0) % 2 == 0))) return nullptr;
    n = static_cast<int64_t>(a.size());
    return static_cast<const double*>(a.data());
}

// Appends the parts of one object to xy and their end offsets to offs: a flat list of
// float / int (one part), a float64 array as float_part takes it (one part), or a list of
// those (parts). Declines (false) on anything else, odd lengths and ints beyond a double
// included; the caller then returns None. Out of memory raises MemoryError (bad_alloc): a
// decline would send the canonical forms back as if they were not.
bool append_parts(PyObject* obj, RunBuf<double>& xy, RunBuf<int64_t>& offs) {
    auto end_part = [&] {
        if (!offs.push(xy.size)) throw std::bad_alloc();
        return true;
    };
    auto array = [&](PyObject* a) {
        int64_t k = 0;
        const double* d = float_part(a, k);
        if (!d) return false;
        if (!xy.reserve_more(k)) throw std::bad_alloc();
        if (k) std::memcpy(xy.data + xy.size, d, static_cast<size_t>(k) * sizeof(double));
        xy.size += k;
        return end_part();
    };
    if (!PyList_Check(obj)) return array(obj);
    const Py_ssize_t n = PyList_GET_SIZE(obj);
    auto number = [](PyObject* v, double& out) {
        if (PyFloat_CheckExact(v)) {
            out = PyFloat_AS_DOUBLE(v);
            return true;
        }
        if (!PyLong_CheckExact(v)) return false;
        out = PyLong_AsDouble(v);
        if (out == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return false;
        }
        return true;
    };
    auto flat = [&](PyObject* list) {
        const Py_ssize_t k = PyList_GET_SIZE(list);
        if (k % 2) return false;
        if (!xy.reserve_more(k)) throw std::bad_alloc();
        for (Py_ssize_t j = 0; j < k; ++j) {
#if defined(__GNUC__)
            // The float objects lie anywhere on the heap (a cache miss each): ask for a
            // later one while this one is read.
            if (j + 8 < k) __builtin_prefetch(PyList_GET_ITEM(list, j + 8));
#endif
            if (!number(PyList_GET_ITEM(list, j), xy.data[xy.size++])) return false;
        }
        return end_part();
    };
    if (n == 0) return true;
    PyObject* first = PyList_GET_ITEM(obj, 0);
    if (PyFloat_CheckExact(first) || PyLong_CheckExact(first)) return flat(obj);
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* part = PyList_GET_ITEM(obj, i);
        if (!(PyList_Check(part) ? flat(part) : array(part))) return false;
    }
    return true;
}

// The parts of one object, with their storage for the extent of a call: one float64 array
// read in place (`one` holds its offsets), anything else parsed into this thread's scratch.
struct ObjectParts {
    ScratchLease<ParseScratch> lease;
    int64_t one[2];
    Parts parts;
    // false: declined
    bool read(PyObject* obj) {
        if (const double* d = float_part(obj, one[1])) {
            one[0] = 0;
            parts = Parts{d, one, 1};
            return true;
        }
        ParseScratch& sc = *lease;
        sc.xy.size = sc.offs.size = 0;
        if (!PyList_Check(obj)) return false;
        if (!sc.offs.push(0)) throw std::bad_alloc();
        if (!append_parts(obj, sc.xy, sc.offs)) return false;
        parts = Parts{sc.xy.data, sc.offs.data, sc.offs.size - 1};
        return true;
    }
};

// A size argument: an exact int >= 0 that fits int64, else false (the caller declines).
bool size_arg(PyObject* v, int64_t& out) {
    if (!PyLong_CheckExact(v)) return false;
    int overflow = 0;
    out = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (out == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return false;
    }
    return overflow == 0 && out >= 0;
}

// A rule / fill rule name: its index in names (n of them), or -1. The names as
// interned strings first: a literal in Python code is the interned string itself.
int name_arg(PyObject* v, PyObject* const* interned, const char* const* names, int n) {
    for (int i = 0; i < n; ++i)
        if (v == interned[i]) return i;
    if (!PyUnicode_CheckExact(v)) return -1;
    for (int i = 0; i < n; ++i)
        if (PyUnicode_CompareWithASCIIString(v, names[i]) == 0) return i;
    return -1;
}

PyObject* interned(const char* s) {
    PyObject* o = PyUnicode_InternFromString(s);
    if (!o) throw py::error_already_set();
    return o;  // immortal for our purposes: kept for the life of the process
}

// rule= / fill_rule= by name (scan.hpp's table): false declines.
bool codes_arg(PyObject* rule, PyObject* fill, raster::Rule& r, raster::FillRule& f) {
    static PyObject* const rules[] = {interned(raster::kRuleNames[0]), interned(raster::kRuleNames[1]),
                                      interned(raster::kRuleNames[2]), interned(raster::kRuleNames[3])};
    static_assert(raster::kNumRules == 4, "list every rule above");
    static PyObject* const fills[] = {interned(raster::kFillNames[0]), interned(raster::kFillNames[1])};
    static_assert(raster::kNumFillRules == 2, "list every fill rule above");
    const int rc = name_arg(rule, rules, raster::kRuleNames, raster::kNumRules);
    const int fc = name_arg(fill, fills, raster::kFillNames, raster::kNumFillRules);
    r = static_cast<raster::Rule>(rc);
    f = static_cast<raster::FillRule>(fc);
    return rc >= 0 && fc >= 0;
}

// ---- scanline rules (scan.hpp) ------------------------------------------------------------
// Any 2D integer array as a View2D of the unsigned type of its width; f(view) runs it.
template <class F>
auto with_view(py::array& a, const char* name, F&& f) {
    MC_REQUIRE(a.ndim() == 2, std::string(name) + ": expected a 2D array");
    MC_REQUIRE(a.writeable(), std::string(name) + ": array is read-only");
    const char kind = a.dtype().kind();
    MC_REQUIRE(kind == 'u' || kind == 'i' || kind == 'b', std::string(name) + ": expected an integer array");
    const int64_t isz = a.itemsize();
    MC_REQUIRE(a.strides(0) % isz == 0 && a.strides(1) % isz == 0 && is_aligned(a), std::string(name) + ": unaligned array");
    auto view = [&](auto t) {
        using T = decltype(t);
        return View2D<T>{static_cast<T*>(a.mutable_data()), a.shape(0), a.shape(1), a.strides(0) / isz,
                         a.strides(1) / isz};
    };
    switch (isz) {
        case 1: return f(view(uint8_t{}));
        case 2: return f(view(uint16_t{}));
        case 4: return f(view(uint32_t{}));
        default: MC_REQUIRE(isz == 8, std::string(name) + ": unsupported item size"); return f(view(uint64_t{}));
    }
}

// A scan's failure on the parts p (of object `item` of a batch, -1 for none): a bad
// coordinate is located as KernelError kind = its part, index = the coordinate within
// that part, coordinate = its value; maskcore/_validate.py (scan_error) words it.
[[noreturn]] void raise_rle(Status s, const Parts& p, ErrorInfo err, int64_t item = -1) {
    double v = 0.0;
    if (s == Status::invalid_value && err.index >= 0) {
        int64_t part = 0;
        while (part + 1 < p.n && p.offsets[part + 1] <= err.index) ++part;
        v = p.xy[err.index];
        err.index -= p.offsets[part];
        err.kind = static_cast<int>(part);
    }
    raise_kernel(s, err, item, v);
}

// Objects painted in sequence into img, object j = parts [item_parts[j], item_parts[j + 1])
// of (xy, offs) with labels[j] (m of them), by the lock rule (scan.hpp: PaintRows). Every
// painting entry comes here (paint: one object, batch false: its failure names no item).
void paint_objects(const double* xy, const int64_t* offs, const int64_t* item_parts, const uint64_t* labels, int64_t m,
                   bool batch, py::array& img, raster::Rule rule, raster::FillRule fill, bool over,
                   const py::array& locked) {
    const Span<uint64_t> lk = span<uint64_t>(locked, "locked");
    with_view(img, "label_map", [&](auto v) {
        using T = std::remove_pointer_t<decltype(v.data)>;
        ErrorInfo err;
        Status s = Status::ok;
        int64_t j = 0;
        auto parts = [&](int64_t j) { return Parts{xy, offs + item_parts[j], item_parts[j + 1] - item_parts[j]}; };
        {
            py::gil_scoped_release nogil;
            for (; j < m; ++j) {
                raster::PaintRows<T> sink(v, static_cast<T>(labels[j]), over, lk.data, lk.size);
                s = raster::polygon_rows(parts(j), v.rows, v.cols, rule, fill, sink, err);
                if (s != Status::ok) break;
            }
        }
        if (s != Status::ok) raise_rle(s, parts(j), err, batch ? j : -1);
        return 0;
    });
}

// rasterize: value inside, 0 everywhere else, written in row order by FillRows (scan.hpp).
void fill_parts(const Parts& parts, py::array& img, raster::Rule rule, raster::FillRule fill, uint64_t value) {
    with_view(img, "out", [&](auto v) {
        using T = std::remove_pointer_t<decltype(v.data)>;
        ErrorInfo err;
        Status s;
        {
            py::gil_scoped_release nogil;
            raster::FillRows<T> sink(v, static_cast<T>(value));
            s = raster::polygon_rows(parts, v.rows, v.cols, rule, fill, sink, err);
            if (s == Status::ok) sink.finish();
        }
        if (s != Status::ok) raise_rle(s, parts, err);
        return 0;
    });
}

// Counts as a read-only numpy array (what maskcore.RLE holds), without a copy.
template <class T>
py::array readonly_counts(RunBuf<T>& counts) {
    py::array a = adopt(counts);
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return a;
}

// A read-only 1D numpy copy of n values, made with numpy's C API directly: for the
// per-annotation path, where pybind11's array constructor plus a capsule cost ~0.2 us
// (a tenth of a typical annotation's conversion).
template <class T>
py::array readonly_copy(const T* data, int64_t n) {
    static_assert(std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>);
    auto& api = py::detail::npy_api::get();
    PyObject* descr = api.PyArray_DescrFromType_(std::is_same_v<T, uint32_t> ? py::detail::npy_api::NPY_UINT32_
                                                                              : py::detail::npy_api::NPY_UINT64_);
    if (!descr) throw py::error_already_set();
    const Py_intptr_t dims[1] = {static_cast<Py_intptr_t>(n)};
    PyObject* a = api.PyArray_NewFromDescr_(api.PyArray_Type_, descr, 1, dims, nullptr, nullptr, 0, nullptr);
    if (!a) throw py::error_already_set();  // (descr's reference was stolen either way)
    auto* proxy = py::detail::array_proxy(a);
    if (n) std::memcpy(proxy->data, data, static_cast<size_t>(n) * sizeof(T));
    proxy->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return py::reinterpret_steal<py::array>(a);
}


py::array rle_of(Parts p, int64_t h, int64_t w, raster::Rule rule, raster::FillRule fill) {
    // Typical annotations (a few hundred coordinates) take about a microsecond: the GIL
    // round trip would cost a sizeable part of that, so only larger inputs release it.
    const bool release = p.n > 0 && p.offsets[p.n] > 512;
    auto run = [&](auto t) -> py::array {
        using T = decltype(t);
        ScratchLease<CountsScratch<T>> lease;
        RunBuf<T>& counts = lease->counts;
        counts.size = 0;
        ErrorInfo err;
        Status s;
        if (release) {
            py::gil_scoped_release nogil;
            s = raster::polygon_counts<T>(p, h, w, rule, fill, counts, err);
        } else {
            s = raster::polygon_counts<T>(p, h, w, rule, fill, counts, err);
        }
        if (s != Status::ok) raise_rle(s, p, err);
        return readonly_copy(counts.data, counts.size);
    };
    return fits_u32(h, w) ? run(uint32_t{}) : run(uint64_t{});
}

// ---- the entries ---------------------------------------------------------------------------
// pybind11's dispatcher (argument casters, overload resolution) costs ~0.35 us a call, a
// fifth of converting a typical COCO annotation: the entries called once per annotation or
// per editor action (raster_fill, raster_rle, and maskcore.coco's coco_poly_dicts) are
// plain METH_FASTCALL functions; C++ exceptions go through pybind11's translators.
using FastFn = py::object (*)(PyObject* const* args);

template <FastFn F, Py_ssize_t N>
PyObject* fastcall(PyObject*, PyObject* const* args, Py_ssize_t nargs) noexcept {
    if (nargs != N) {
        PyErr_Format(PyExc_TypeError, "expected %zd positional arguments, got %zd", N, nargs);
        return nullptr;
    }
    try {
        return F(args).release().ptr();
    } catch (...) {
        py::detail::try_translate_exceptions();
        return nullptr;
    }
}

// rasterize_rle: raster_rle(polygons, height, width, rule, fill_rule) -> the counts (a
// read-only uint32 / uint64 array, the form maskcore.RLE holds, for maskcore/raster.py to
// wrap through RLE's own trusted constructor), or None: sizes not exact ints >= 0.
py::object raster_rle(PyObject* const* args) {
    int64_t h, w;
    raster::Rule rule;
    raster::FillRule fill;
    if (!codes_arg(args[3], args[4], rule, fill) || !size_arg(args[1], h) || !size_arg(args[2], w)) return py::none();
    ObjectParts obj;
    if (!obj.read(args[0])) return py::none();
    const Parts& parts = obj.parts;
    return rle_of(parts, h, w, rule, fill);
}

// rasterize: raster_fill(polygons, height, width, rule, fill_rule, value, out) -> the mask
// written, or None: sizes not exact ints < 2^31, value not an exact int out's dtype holds,
// out neither None (a new C-ordered uint8 mask) nor a writable, aligned, native-order
// (height, width) integer / bool ndarray. (The Python-level checks this replaces cost more
// than the fill of a small polygon: 1.4 us a call against cv2.fillPoly's 0.65 us.)
py::object raster_fill(PyObject* const* args) {
    int64_t h, w;
    raster::Rule rule;
    raster::FillRule fill;
    if (!codes_arg(args[3], args[4], rule, fill) || !size_arg(args[1], h) || !size_arg(args[2], w) ||
        !PyLong_CheckExact(args[5]))
        return py::none();
    if (h >= (int64_t{1} << 31) || w >= (int64_t{1} << 31)) return py::none();
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(args[5], &overflow);
    // Beyond int64: only a uint64 out holds it (v is then its bit pattern, wrapped).
    const bool above = overflow > 0;
    if (above) v = static_cast<long long>(PyLong_AsUnsignedLongLong(args[5]));
    if (overflow < 0 || ((v == -1 || above) && PyErr_Occurred())) {
        PyErr_Clear();
        return py::none();
    }
    py::array out;
    if (args[6] == Py_None) {
        out = py::array_t<uint8_t>({h, w});
    } else {
        if (!py::isinstance<py::array>(args[6])) return py::none();
        out = py::reinterpret_borrow<py::array>(args[6]);
        const py::dtype dt = out.dtype();
        const char kind = dt.kind(), order = dt.byteorder();
        const int64_t isz = dt.itemsize();
        if (out.ndim() != 2 || out.shape(0) != h || out.shape(1) != w || !out.writeable() ||
            !(kind == 'u' || kind == 'i' || kind == 'b') || !(order == '=' || order == '|') ||
            !(isz == 1 || isz == 2 || isz == 4 || isz == 8) || out.strides(0) % isz || out.strides(1) % isz ||
            !is_aligned(out))
            return py::none();
    }
    const py::dtype dt = out.dtype();
    const char kind = dt.kind();
    const int bits = static_cast<int>(8 * dt.itemsize());
    bool fits = true;  // v within the dtype's range (a long long holds every int64 value)
    if (above) fits = kind == 'u' && bits == 64;
    else if (kind == 'b') fits = v == 0 || v == 1;
    else if (kind == 'u') fits = v >= 0 && (bits == 64 || v < (1LL << bits));
    else if (bits < 64) fits = v >= -(1LL << (bits - 1)) && v < (1LL << (bits - 1));
    if (!fits) return py::none();
    const uint64_t pattern = bits == 64 ? static_cast<uint64_t>(v) : static_cast<uint64_t>(v) & ((uint64_t{1} << bits) - 1);
    ObjectParts obj;
    if (!obj.read(args[0])) return py::none();
    const Parts& parts = obj.parts;
    fill_parts(parts, out, rule, fill, pattern);
    return std::move(out);
}

// paint: the lock rule into label_map (its unsigned view; value a bit pattern). None declines.
py::object raster_paint(const py::handle& polygons, py::array& img, uint64_t value, const py::handle& rule_,
                        const py::handle& fill_, bool over, const py::array& locked) {
    raster::Rule rule;
    raster::FillRule fill;
    if (!codes_arg(rule_.ptr(), fill_.ptr(), rule, fill)) return py::none();
    ObjectParts obj;
    if (!obj.read(polygons.ptr())) return py::none();
    const Parts& parts = obj.parts;
    const int64_t item_parts[2] = {0, parts.n};
    paint_objects(parts.xy, parts.offsets, item_parts, &value, 1, false, img, rule, fill, over, locked);
    return py::bool_(true);
}

// paint_many: items = a list of (polygons, label) pairs, painted in list order (label: an
// exact int within the unsigned view's range, a bit pattern). None declines.
py::object raster_paint_many(const py::handle& items, py::array& img, const py::handle& rule_,
                             const py::handle& fill_, bool over, const py::array& locked) {
    raster::Rule rule;
    raster::FillRule fill;
    if (!PyList_Check(items.ptr()) || !codes_arg(rule_.ptr(), fill_.ptr(), rule, fill)) return py::none();
    ScratchLease<PaintManyScratch> lease;
    RunBuf<double>& xy = lease->xy;
    RunBuf<int64_t>& offs = lease->offs;
    RunBuf<int64_t>& item_parts = lease->item_parts;
    RunBuf<uint64_t>& labels = lease->labels;
    xy.size = offs.size = item_parts.size = labels.size = 0;
    const uint64_t maxv = img.itemsize() >= 8 ? UINT64_MAX : (uint64_t{1} << (8 * img.itemsize())) - 1;
    if (!offs.push(0) || !item_parts.push(0)) throw std::bad_alloc();
    const Py_ssize_t m = PyList_GET_SIZE(items.ptr());
    for (Py_ssize_t i = 0; i < m; ++i) {
        PyObject* it = PyList_GET_ITEM(items.ptr(), i);
        if (!PyTuple_Check(it) || PyTuple_GET_SIZE(it) != 2) return py::none();
        PyObject* lab = PyTuple_GET_ITEM(it, 1);
        if (!PyLong_CheckExact(lab)) return py::none();
        const unsigned long long v = PyLong_AsUnsignedLongLong(lab);
        if (PyErr_Occurred()) {
            PyErr_Clear();
            return py::none();
        }
        if (v > maxv || !append_parts(PyTuple_GET_ITEM(it, 0), xy, offs)) return py::none();
        if (!labels.push(v) || !item_parts.push(offs.size - 1)) throw std::bad_alloc();
    }
    paint_objects(xy.data, offs.data, item_parts.data, labels.data, m, true, img, rule, fill, over, locked);
    return py::bool_(true);
}

// rasterize_rle_batch: object i of `objects` over heights[i] x widths[i] to one batch of
// counts (flat, ends). None declines.
py::object raster_rle_batch(const py::handle& objects, const py::array& heights, const py::array& widths,
                            const py::handle& rule_, const py::handle& fill_) {
    raster::Rule rule;
    raster::FillRule fill;
    if (!PyList_Check(objects.ptr()) || !codes_arg(rule_.ptr(), fill_.ptr(), rule, fill)) return py::none();
    const Span<int64_t> hs = span<int64_t>(heights, "heights"), ws = span<int64_t>(widths, "widths");
    const Py_ssize_t m = PyList_GET_SIZE(objects.ptr());
    MC_REQUIRE(hs.size == m && ws.size == m, "heights, widths: expected one per object");
    RunBuf<double> xy;
    RunBuf<int64_t> offs, obj_parts;
    if (!offs.push(0) || !obj_parts.push(0)) throw std::bad_alloc();
    bool big = false;
    for (Py_ssize_t i = 0; i < m; ++i) {
        MC_REQUIRE(hs.data[i] >= 0 && ws.data[i] >= 0, "size: expected non-negative height and width");
        big = big || !fits_u32(hs.data[i], ws.data[i]);
        if (!append_parts(PyList_GET_ITEM(objects.ptr(), i), xy, offs)) return py::none();
        if (!obj_parts.push(offs.size - 1)) throw std::bad_alloc();
    }
    auto run = [&](auto t) -> py::object {
        using T = decltype(t);
        RunBuf<T> counts;
        py::array_t<int64_t> ends(m + 1);
        int64_t* e = ends.mutable_data();
        e[0] = 0;
        ErrorInfo err;
        Status s = Status::ok;
        Py_ssize_t i = 0;
        auto parts = [&](Py_ssize_t i) { return Parts{xy.data, offs.data + obj_parts.data[i], obj_parts.data[i + 1] - obj_parts.data[i]}; };
        {
            py::gil_scoped_release nogil;
            for (; i < m; ++i) {
                s = raster::polygon_counts<T>(parts(i), hs.data[i], ws.data[i], rule, fill, counts, err);
                if (s != Status::ok) break;
                e[i + 1] = counts.size;
            }
        }
        if (s != Status::ok) raise_rle(s, parts(i), err, i);
        return py::make_tuple(readonly_counts(counts), ends);
    };
    return big ? run(uint64_t{}) : run(uint32_t{});
}

// draw_rgb: `color` (one value per channel, the image's dtype) into every selected pixel of
// the (h, w, channels) image. None declines.
py::object raster_color(py::array& img, const py::handle& polygons, const py::array& color, const py::handle& rule_,
                        const py::handle& fill_) {
    raster::Rule rule;
    raster::FillRule fill;
    if (!codes_arg(rule_.ptr(), fill_.ptr(), rule, fill)) return py::none();
    ObjectParts obj;
    if (!obj.read(polygons.ptr())) return py::none();
    const Parts& parts = obj.parts;
    MC_REQUIRE(img.ndim() == 3 && img.writeable(), "image: expected a writeable (H, W, C) array");
    MC_REQUIRE(color.ndim() == 1 && color.shape(0) == img.shape(2) && color.dtype().equal(img.dtype()) &&
                   (color.flags() & py::array::c_style),
               "color: expected one value per channel, in the image's dtype");
    const int64_t isz = img.itemsize();
    for (int d = 0; d < 3; ++d) MC_REQUIRE(img.strides(d) % isz == 0, "image: unaligned strides");
    MC_REQUIRE(is_aligned(img), "image: expected an aligned array");
    auto run = [&](auto t) {
        using T = decltype(t);
        raster::ColorRows<T> sink(static_cast<T*>(img.mutable_data()), img.strides(0) / isz, img.strides(1) / isz,
                                  img.strides(2) / isz, img.shape(2), static_cast<const T*>(color.data()));
        ErrorInfo err;
        Status s;
        {
            py::gil_scoped_release nogil;
            s = raster::polygon_rows(parts, img.shape(0), img.shape(1), rule, fill, sink, err);
        }
        if (s != Status::ok) raise_rle(s, parts, err);
    };
    switch (isz) {
        case 1: run(uint8_t{}); break;
        case 2: run(uint16_t{}); break;
        case 4: run(uint32_t{}); break;
        case 8: run(uint64_t{}); break;
        default: MC_REQUIRE(false, "image: unsupported item size");
    }
    return py::bool_(true);
}


// A thick polyline (xy: 2n values) of diameter `width`, lock rule.
void stroke_paint(const py::array& xy, py::array& img, double width, uint64_t value, bool over,
                  const py::array& locked) {
    const Span<double> pts = span<double>(xy, "points");
    MC_REQUIRE(pts.size % 2 == 0, "points: expected x, y pairs");
    const Span<uint64_t> lk = span<uint64_t>(locked, "locked");
    with_view(img, "label_map", [&](auto v) {
        using T = std::remove_pointer_t<decltype(v.data)>;
        raster::PaintRows<T> sink(v, static_cast<T>(value), over, lk.data, lk.size);
        ErrorInfo err;
        Status s;
        {
            py::gil_scoped_release nogil;
            s = raster::stroke_rows(pts.data, pts.size / 2, width, v.rows, v.cols, sink, err);
        }
        if (s != Status::ok) raise_kernel(s, err);  // invalid_argument: the width
        return 0;
    });
}

// maskcore.coco's frPyObjects for COCO lists in one call: a list of polygons (flat
// lists of float / int) to [{"size": [h, w], "counts": bytes}, ...], parsed, rasterized
// and encoded here (no numpy arrays in between). None declines (anything else, odd
// lengths): the caller then takes the validating path. For maskcore/coco.py's
// _polygon_dicts. The lists are parsed with the GIL held (they are Python objects),
// then rasterized and encoded without it.
py::object coco_poly_dicts(PyObject* const* args) {
    PyObject* outer = args[0];
    int64_t h, w;
    if (!PyList_Check(outer) || !size_arg(args[1], h) || !size_arg(args[2], w)) return py::none();
    ScratchLease<ParseScratch> parsed;
    RunBuf<double>& xy = parsed->xy;
    RunBuf<int64_t>& offs = parsed->offs;
    xy.size = offs.size = 0;
    if (!offs.push(0)) throw std::bad_alloc();
    const Py_ssize_t n = PyList_GET_SIZE(outer);
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* p = PyList_GET_ITEM(outer, i);
        if (!PyList_Check(p)) return py::none();
        if (PyList_GET_SIZE(p) == 0) {  // an empty polygon: its own (empty) RLE
            if (!offs.push(xy.size)) throw std::bad_alloc();
            continue;
        }
        PyObject* first = PyList_GET_ITEM(p, 0);
        if (!(PyFloat_CheckExact(first) || PyLong_CheckExact(first))) return py::none();
        if (!append_parts(p, xy, offs)) return py::none();
    }
    const Polygons p{Span<double>{xy.data, xy.size}, Span<int64_t>{offs.data, offs.size}, offs.size - 1};
    auto run = [&](auto t) -> py::object {
        using T = decltype(t);
        ScratchLease<EncodeScratch<T>> lease;
        RunBuf<T>& counts = lease->counts;
        RunBuf<char>& chars = lease->chars;
        std::vector<int64_t> ends(static_cast<size_t>(p.n));
        ErrorInfo err;
        Status s = Status::ok;
        int64_t i = 0;
        chars.size = 0;
        auto rasterize_all = [&]() noexcept {
            for (; i < p.n; ++i) {
                counts.size = 0;
                s = raster::coco_polygon<T>(p.points(i), p.k(i), h, w, counts, err);
                if (s == Status::ok) s = rle::to_string<T>(counts.data, counts.size, chars);
                if (s != Status::ok) break;
                ends[i] = chars.size;
            }
        };
        // Parsed under the GIL into this thread's own buffers (xy, offs); rasterized
        // without it, as every other entry point, unless the work is smaller than the
        // round trip (a few hundred coordinates, as rle_of decides).
        if (xy.size > 512 || p.n > 16) {
            py::gil_scoped_release nogil;
            rasterize_all();
        } else {
            rasterize_all();
        }
        if (s != Status::ok) raise_polygon(s, p, i, err);
        // The dicts through the C API with interned keys (pybind11's item proxies make a key
        // string per assignment: ~0.1 us a polygon).
        static PyObject* const kSize = PyUnicode_InternFromString("size");  // never freed
        static PyObject* const kCounts = PyUnicode_InternFromString("counts");
        if (!kSize || !kCounts) throw py::error_already_set();
        py::list out(p.n);
        const py::int_ ph(h), pw(w);
        int64_t begin = 0;
        for (int64_t j = 0; j < p.n; ++j) {
            auto d = py::reinterpret_steal<py::object>(PyDict_New());
            auto size = py::reinterpret_steal<py::object>(PyList_New(2));  // one list per dict, as pycocotools
            auto b = py::reinterpret_steal<py::object>(
                PyBytes_FromStringAndSize(chars.data + begin, ends[j] - begin));
            if (!d || !size || !b) throw py::error_already_set();
            PyList_SET_ITEM(size.ptr(), 0, ph.inc_ref().ptr());  // SET_ITEM steals
            PyList_SET_ITEM(size.ptr(), 1, pw.inc_ref().ptr());
            if (PyDict_SetItem(d.ptr(), kSize, size.ptr()) || PyDict_SetItem(d.ptr(), kCounts, b.ptr()))
                throw py::error_already_set();
            PyList_SET_ITEM(out.ptr(), j, d.release().ptr());
            begin = ends[j];
        }
        return out;
    };
    return fits_u32(h, w) ? run(uint32_t{}) : run(uint64_t{});
}

// The lock rule for the pixels where `mask` (uint8 view, same shape) is non-zero.
void paint_mask_(py::array& img, const py::array& mask, uint64_t value, bool over, const py::array& locked) {
    const View2D<const uint8_t> m = const_view(mask, "mask");
    const Span<uint64_t> lk = span<uint64_t>(locked, "locked");
    with_view(img, "label_map", [&](auto v) {
        using T = std::remove_pointer_t<decltype(v.data)>;
        MC_REQUIRE(m.rows == v.rows && m.cols == v.cols, "mask: expected the label map's shape");
        py::gil_scoped_release nogil;
        raster::paint_mask<T>(v, m, static_cast<T>(value), over, lk.data, lk.size);
        return 0;
    });
}

}  // namespace

void bind_raster(py::module_& m) {
    m.attr("raster_max_coordinate") = raster::kMaxCoordinate;
    // The rule and fill-rule codes, by name: the one table (scan.hpp), read by maskcore/_validate.py.
    py::dict rules, fills;
    for (int i = 0; i < raster::kNumRules; ++i) rules[raster::kRuleNames[i]] = i;
    for (int i = 0; i < raster::kNumFillRules; ++i) fills[raster::kFillNames[i]] = i;
    m.attr("RASTER_RULES") = rules;
    m.attr("FILL_RULES") = fills;
    static PyMethodDef fast[] = {
        {"raster_rle", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&fastcall<&raster_rle, 5>)),
         METH_FASTCALL, "raster_rle(polygons, height, width, rule, fill_rule) -> counts or None"},
        {"raster_fill", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&fastcall<&raster_fill, 7>)),
         METH_FASTCALL, "raster_fill(polygons, height, width, rule, fill_rule, value, out) -> mask or None"},
        {"coco_poly_dicts", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&fastcall<&coco_poly_dicts, 3>)),
         METH_FASTCALL, "coco_poly_dicts(polygons, h, w) -> list of RLE dicts or None"},
    };
    for (PyMethodDef& d : fast) {
        PyObject* f = PyCFunction_NewEx(&d, nullptr, m.attr("__name__").ptr());
        if (!f) throw py::error_already_set();
        m.add_object(d.ml_name, py::reinterpret_steal<py::object>(f));
    }
    m.def("raster_paint", &raster_paint);
    m.def("raster_paint_many", &raster_paint_many);
    m.def("raster_rle_batch", &raster_rle_batch);
    m.def("raster_color", &raster_color);
    m.def("stroke_paint", &stroke_paint);
    m.def("paint_mask", &paint_mask_);
    m.attr("coco_poly_max_coordinate") = raster::kCocoMaxCoordinate;
    m.def("coco_poly_strings", &coco_poly_strings, py::arg("xy"), py::arg("offsets"), py::arg("height"),
          py::arg("width"));
}

}  // namespace maskcore::py_bind
