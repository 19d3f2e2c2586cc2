// Bindings of the eval family (csrc/eval): COCO evaluation and mask NMS. Buffers
// in, GIL released, kernel, status out. RLE batches travel as in bind_rle.cpp
// (flat counts, int64 offsets, int64 (n, 2) sizes); maskcore/cocoeval.py has
// checked values (finite boxes, one counts dtype) before calling.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../common/parallel.hpp"
#include "../common/thread_scratch.hpp"
#include "../eval/eval.hpp"
#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {

using eval::Result;

template <class T>
const T* ptr(const py::array& a, int64_t n, const char* name) {
    const Span<T> s = span<T>(a, name);
    MC_REQUIRE(s.size == n, std::string(name) + ": expected " + std::to_string(n) + " entries, got " +
                                std::to_string(s.size));
    return s.data;
}

// An RLE batch of n masks, bounds checked, as an RleSet (null set for None).
template <class T>
rle::RleSet<T> rle_set(const py::object& b, int64_t n, const char* name) {
    if (b.is_none()) return {nullptr, nullptr, nullptr, 0};
    // (flat, offsets, sizes) of a batch of nb masks, and optionally index: member i of
    // the set is mask index[i] of the batch (n entries, each < nb).
    const py::tuple t = py::cast<py::tuple>(b);
    MC_REQUIRE(t.size() == 3 || t.size() == 4, std::string(name) + ": expected (flat, offsets, sizes[, index])");
    const py::array flat = py::cast<py::array>(t[0]), offsets = py::cast<py::array>(t[1]),
                    sizes = py::cast<py::array>(t[2]);
    const Span<T> f = span<T>(flat, name);
    const Span<int64_t> off = span<int64_t>(offsets, "offsets");
    const int64_t nb = off.size - 1;
    MC_REQUIRE(nb >= 0 && off.data[0] == 0 && off.data[nb] <= f.size, std::string(name) + ": offsets out of range");
    for (int64_t i = 0; i < nb; ++i) MC_REQUIRE(off.data[i] <= off.data[i + 1], std::string(name) + ": offsets must be increasing");
    MC_REQUIRE(sizes.dtype().equal(py::dtype::of<int64_t>()) && sizes.ndim() == 2 && sizes.shape(0) == nb &&
                   sizes.shape(1) == 2 && (sizes.flags() & py::array::c_style),
               std::string(name) + ": sizes must be a contiguous int64 (n, 2) array");
    const int64_t* index = nullptr;
    if (t.size() == 4 && !t[3].is_none()) {
        index = ptr<int64_t>(py::cast<py::array>(t[3]), n, "index");
        // -1: not in the batch (the annotation's string is given instead; checked by the caller)
        for (int64_t i = 0; i < n; ++i) MC_REQUIRE(index[i] >= -1 && index[i] < nb, std::string(name) + ": index out of range");
    } else {
        MC_REQUIRE(nb == n, std::string(name) + ": expected one mask per annotation");
    }
    return {f.data, off.data, static_cast<const int64_t*>(sizes.data()), n, index};
}

int64_t check_offsets(const py::array& a, int64_t groups, int64_t n, const char* name) {
    const int64_t* o = ptr<int64_t>(a, groups + 1, name);
    MC_REQUIRE(o[0] == 0 && o[groups] == n, std::string(name) + ": must run from 0 to the number of annotations");
    for (int64_t g = 0; g < groups; ++g) MC_REQUIRE(o[g] <= o[g + 1], std::string(name) + ": must be increasing");
    return 0;
}

// The compressed strings of a side (segm): one entry per annotation, a segmentation dict
// with str / bytes counts, or None (the mask is in the batch). Pointers into the Python
// objects, which the caller keeps alive for the call.
struct Strings {
    std::vector<const char*> ptr;
    std::vector<int64_t> len, size;
    bool any = false;
};

Strings strings_of(const py::object& obj, int64_t n, const char* name) {
    Strings s;
    if (obj.is_none()) return s;
    MC_REQUIRE(PyList_Check(obj.ptr()) && PyList_GET_SIZE(obj.ptr()) == n,
               std::string(name) + ": expected one entry per annotation");
    s.ptr.assign(static_cast<size_t>(n), nullptr);
    s.len.assign(static_cast<size_t>(n), 0);
    s.size.assign(static_cast<size_t>(2 * n), 0);
    for (int64_t i = 0; i < n; ++i) {
        PyObject* o = PyList_GET_ITEM(obj.ptr(), i);
        if (o == Py_None) continue;
        PyObject* counts = PyDict_Check(o) ? PyDict_GetItemString(o, "counts") : nullptr;
        PyObject* size = PyDict_Check(o) ? PyDict_GetItemString(o, "size") : nullptr;
        const std::string where = std::string(name) + " " + std::to_string(i);
        MC_REQUIRE(counts && size && PyList_Check(size) && PyList_GET_SIZE(size) == 2,
                   where + ": expected {'size': [h, w], 'counts': str}");
        for (int k = 0; k < 2; ++k) {
            PyObject* v = PyList_GET_ITEM(size, k);
            const long long x = PyLong_Check(v) ? PyLong_AsLongLong(v) : -1;
            if (x == -1 && PyErr_Occurred()) PyErr_Clear();
            MC_REQUIRE(x >= 0 && x < (int64_t{1} << 31), where + ": size must be two ints in [0, 2^31)");
            s.size[2 * i + k] = x;
        }
        if (PyBytes_Check(counts)) {
            s.ptr[i] = PyBytes_AS_STRING(counts);
            s.len[i] = PyBytes_GET_SIZE(counts);
        } else {
            MC_REQUIRE(PyUnicode_Check(counts) && PyUnicode_IS_ASCII(counts), where + ": counts must be an ASCII string");
            Py_ssize_t l = 0;
            s.ptr[i] = PyUnicode_AsUTF8AndSize(counts, &l);
            MC_REQUIRE(s.ptr[i] != nullptr, where + ": counts unreadable");
            s.len[i] = l;
        }
        s.any = true;
    }
    return s;
}

template <class T>
std::shared_ptr<Result> evaluate_t(int kind, const py::array& thr, const py::array& area_rng, int64_t max_det,
                                   const py::array& gt_off, const py::array& dt_off, const py::dict& gtd,
                                   const py::dict& dtd, int threads, bool detail) {
    eval::Setup s;
    MC_REQUIRE(kind >= 0 && kind <= 2, "kind: expected 0 (bbox), 1 (segm) or 2 (boundary)");
    s.kind = static_cast<eval::IouKind>(kind);
    s.nt = span<double>(thr, "iouThrs").size;
    s.thr = span<double>(thr, "iouThrs").data;
    MC_REQUIRE(area_rng.dtype().equal(py::dtype::of<double>()) && area_rng.ndim() == 2 && area_rng.shape(1) == 2 &&
                   (area_rng.flags() & py::array::c_style),
               "areaRng: expected a contiguous float64 (A, 2) array");
    s.na = area_rng.shape(0);
    s.area_rng = static_cast<const double*>(area_rng.data());
    s.max_det = max_det;
    s.groups = span<int64_t>(gt_off, "gt_off").size - 1;
    MC_REQUIRE(s.groups >= 0, "gt_off: expected groups + 1 entries");
    s.detail = detail;
    eval::Annotations<T> gt, dt;
    Strings gs, ds;
    gt.n = span<double>(py::cast<py::array>(gtd["area"]), "gt area").size;
    dt.n = span<double>(py::cast<py::array>(dtd["area"]), "dt area").size;
    check_offsets(gt_off, s.groups, gt.n, "gt_off");
    check_offsets(dt_off, s.groups, dt.n, "dt_off");
    s.gt_off = ptr<int64_t>(gt_off, s.groups + 1, "gt_off");
    s.dt_off = ptr<int64_t>(dt_off, s.groups + 1, "dt_off");
    gt.area = ptr<double>(gtd["area"], gt.n, "gt area");
    gt.id = ptr<int64_t>(gtd["id"], gt.n, "gt id");
    gt.crowd = ptr<uint8_t>(gtd["crowd"], gt.n, "gt crowd");
    gt.ignore = ptr<uint8_t>(gtd["ignore"], gt.n, "gt ignore");
    dt.area = ptr<double>(dtd["area"], dt.n, "dt area");
    dt.id = ptr<int64_t>(dtd["id"], dt.n, "dt id");
    dt.score = ptr<double>(dtd["score"], dt.n, "dt score");
    if (s.kind == eval::IouKind::bbox) {
        gt.box = ptr<double>(gtd["box"], 4 * gt.n, "gt box");
        dt.box = ptr<double>(dtd["box"], 4 * dt.n, "dt box");
    } else {
        gt.masks = rle_set<T>(gtd["masks"], gt.n, "gt masks");
        dt.masks = rle_set<T>(dtd["masks"], dt.n, "dt masks");
        MC_REQUIRE(gt.masks.counts || gt.n == 0, "gt masks: missing");
        MC_REQUIRE(dt.masks.counts || dt.n == 0, "dt masks: missing");
        if (s.kind == eval::IouKind::segm) {
            gs = strings_of(gtd.contains("strings") ? py::object(gtd["strings"]) : py::none(), gt.n, "ground truth");
            ds = strings_of(dtd.contains("strings") ? py::object(dtd["strings"]) : py::none(), dt.n, "detection");
            for (auto [an, st] : {std::pair{&gt, &gs}, std::pair{&dt, &ds}})
                if (st->any) {
                    an->str = st->ptr.data();
                    an->str_len = st->len.data();
                    an->str_size = st->size.data();
                }
        }
        for (const eval::Annotations<T>* an : {&gt, &dt})
            for (int64_t i = 0; i < an->n; ++i)
                MC_REQUIRE(!(an->masks.index && an->masks.index[i] < 0) || (an->str && an->str[i]),
                           "masks: annotation " + std::to_string(i) + " has neither a mask nor a string");
        if (s.kind == eval::IouKind::boundary) {
            gt.bounds = rle_set<T>(gtd["bounds"], gt.n, "gt bounds");
            dt.bounds = rle_set<T>(dtd["bounds"], dt.n, "dt bounds");
        }
    }
    auto r = std::make_shared<Result>();
    ErrorInfo err;
    Status st;
    {
        py::gil_scoped_release nogil;
        st = eval::evaluate<T>(s, gt, dt, threads, *r, err);
    }
    // size_mismatch: detection err.index (-1: none) against ground truth err.value;
    // corrupt_rle: annotation err.index of the detections (kind 1) or ground truths (kind 0).
    // maskcore/_validate.py (eval_error) words it, naming the annotations.
    if (st != Status::ok) raise_kernel(st, err);
    return r;
}

std::shared_ptr<Result> evaluate(int kind, const py::array& thr, const py::array& area_rng, int64_t max_det,
                                 const py::array& gt_off, const py::array& dt_off, const py::dict& gtd,
                                 const py::dict& dtd, int threads, bool detail) {
    py::object counts = py::none();
    if (!gtd["masks"].is_none()) counts = py::cast<py::tuple>(gtd["masks"])[0];
    if (counts.is_none() && !dtd["masks"].is_none()) counts = py::cast<py::tuple>(dtd["masks"])[0];
    if (!counts.is_none() && py::cast<py::array>(counts).dtype().equal(py::dtype::of<uint64_t>()))
        return evaluate_t<uint64_t>(kind, thr, area_rng, max_det, gt_off, dt_off, gtd, dtd, threads, detail);
    return evaluate_t<uint32_t>(kind, thr, area_rng, max_det, gt_off, dt_off, gtd, dtd, threads, detail);
}

template <class T>
py::array_t<T> to_array(const std::vector<T>& v) {
    py::array_t<T> out(static_cast<py::ssize_t>(v.size()));
    if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(T));
    return out;
}

// The results of consecutive group ranges as one (eval::concat).
std::shared_ptr<Result> concat(const py::list& parts, const py::array& dt_base) {
    const auto base = span<int64_t>(dt_base, "dt_base");
    MC_REQUIRE(base.size == static_cast<int64_t>(parts.size()), "dt_base: expected one entry per part");
    std::vector<std::shared_ptr<Result>> held;  // alive until the end
    std::vector<const Result*> ptrs;
    for (const py::handle q : parts) {
        held.push_back(py::cast<std::shared_ptr<Result>>(q));
        MC_REQUIRE(held.back() != nullptr, "parts: expected EvalResult objects");
        ptrs.push_back(held.back().get());
    }
    auto r = std::make_shared<Result>();
    Status st;
    {
        py::gil_scoped_release nogil;
        st = eval::concat(ptrs.data(), base.data, static_cast<int64_t>(ptrs.size()), *r);
    }
    if (st != Status::ok) raise(st, "eval_concat: parts with different thresholds or area ranges");
    return r;
}

void accumulate(const Result& r, const py::array& k0, const py::array& a0, const py::array& img,
                const py::array& max_dets, int64_t A0, int64_t I0, const py::array& rec_thr, py::array& precision,
                py::array& recall, py::array& scores, int threads) {
    eval::AccumSetup s;
    s.k0 = span<int64_t>(k0, "k0").data;
    s.nk = span<int64_t>(k0, "k0").size;
    s.a0 = span<int64_t>(a0, "a0").data;
    s.nka = span<int64_t>(a0, "a0").size;
    s.img = span<int64_t>(img, "img").data;
    s.ni = span<int64_t>(img, "img").size;
    s.max_dets = span<int64_t>(max_dets, "maxDets").data;
    s.nm = span<int64_t>(max_dets, "maxDets").size;
    s.A0 = A0;
    s.I0 = I0;
    s.rec_thr = span<double>(rec_thr, "recThrs").data;
    s.nr = span<double>(rec_thr, "recThrs").size;
    MC_REQUIRE(A0 == r.na && I0 >= 0 && r.groups % (I0 ? I0 : 1) == 0, "A0, I0: do not match the evaluation");
    for (int64_t i = 0; i < s.nk; ++i) MC_REQUIRE(s.k0[i] >= 0, "k0: negative");
    for (int64_t i = 0; i < s.nka; ++i) MC_REQUIRE(s.a0[i] >= 0, "a0: negative");
    for (int64_t i = 0; i < s.ni; ++i) MC_REQUIRE(s.img[i] >= 0, "img: negative");
    // Every flat index the cells read must exist (the caller raises IndexError first).
    int64_t kmax = -1, amax = -1, imax = -1;
    for (int64_t i = 0; i < s.nk; ++i) kmax = std::max(kmax, s.k0[i]);
    for (int64_t i = 0; i < s.nka; ++i) amax = std::max(amax, s.a0[i]);
    for (int64_t i = 0; i < s.ni; ++i) imax = std::max(imax, s.img[i]);
    if (kmax >= 0 && amax >= 0 && imax >= 0)
        MC_REQUIRE(kmax * A0 * I0 + amax * I0 + imax < r.groups * r.na, "evalImgs index out of range");
    for (py::array* a : {&precision, &scores, &recall}) {
        MC_REQUIRE(a->dtype().equal(py::dtype::of<double>()) && (a->flags() & py::array::c_style) && a->writeable(),
                   "outputs: expected writable C-ordered float64 arrays");
    }
    MC_REQUIRE(precision.ndim() == 5 && scores.ndim() == 5 && recall.ndim() == 4, "outputs: wrong ndim");
    s.T = precision.shape(0);
    s.K = precision.shape(2);
    s.A = precision.shape(3);
    s.M = precision.shape(4);
    MC_REQUIRE(precision.shape(1) == s.nr && s.nk <= s.K && s.nka <= s.A && s.nm <= s.M && r.nt <= s.T,
               "outputs: shapes do not match the cells");
    for (int i = 0; i < 5; ++i) MC_REQUIRE(scores.shape(i) == precision.shape(i), "scores: shape differs from precision");
    MC_REQUIRE(recall.shape(0) == s.T && recall.shape(1) == s.K && recall.shape(2) == s.A && recall.shape(3) == s.M,
               "recall: wrong shape");
    double *p = static_cast<double*>(precision.mutable_data()), *rc = static_cast<double*>(recall.mutable_data()),
           *sc = static_cast<double*>(scores.mutable_data());
    Status st;
    {
        py::gil_scoped_release nogil;
        st = eval::accumulate(r, s, threads, p, rc, sc);
    }
    if (st != Status::ok) raise(st, "accumulate failed");
}

template <class T>
py::array_t<int64_t> mask_nms_t(const py::tuple& b, int64_t n, const py::array& scores, double thr, int threads,
                                int64_t block) {
    const rle::RleSet<T> set = rle_set<T>(b, n, "masks");
    const double* s = ptr<double>(scores, n, "scores");
    std::vector<int64_t> keep;
    Status st;
    {
        py::gil_scoped_release nogil;
        st = eval::mask_nms<T>(set, s, thr, threads, keep, block);
    }
    if (st != Status::ok) raise(st, "mask_nms failed");
    return to_array(keep);
}

py::array_t<int64_t> mask_nms(const py::tuple& b, const py::array& scores, double thr, int threads, int64_t block) {
    const py::array flat = py::cast<py::array>(b[0]);
    const int64_t n = py::cast<py::array>(b[1]).shape(0) - 1;
    if (flat.dtype().equal(py::dtype::of<uint64_t>())) return mask_nms_t<uint64_t>(b, n, scores, thr, threads, block);
    return mask_nms_t<uint32_t>(b, n, scores, thr, threads, block);
}

template <class T>
struct ParsedCounts {  // one string's counts, copied to their place in the batch
    RunBuf<T> counts;
    MC_SCRATCH_BYTES(counts)
};

// COCO compressed-RLE dicts ({"size": [h, w], "counts": str or bytes}) to one batch
// (flat, offsets, sizes): the fields are read under the GIL (no Python objects made),
// the strings decoded in parallel without it. Failures are KernelError with item = the
// dict's position, worded by maskcore/cocoeval.py through maskcore/_validate.py:
// invalid_argument for a dict outside this fast path's canonical form (kind, see
// RleDictField: the caller then takes the general reader, which canonicalizes or
// explains it), corrupt_rle for a string that does not decode (rle::from_string's
// ErrorInfo: kind a StringError, index the offset or count).
template <class T>
py::tuple rle_dicts_t(const std::vector<const char*>& str, const std::vector<Py_ssize_t>& len,
                      const std::vector<int64_t>& sz, int threads) {
    // Two passes, so the batch is allocated once at its exact size: (1) each string's
    // number of counts (a count ends at each char without the "more" bit, 32 after the
    // offset 48); (2) each string decoded into its thread's scratch (the decoder writes
    // up to 32 counts past the end) and copied to its place.
    const int64_t n = static_cast<int64_t>(str.size());
    std::vector<int64_t> off(static_cast<size_t>(n + 1), 0);
    std::vector<Status> st(static_cast<size_t>(n), Status::ok);
    std::vector<ErrorInfo> errs(static_cast<size_t>(n));
    uint64_t chars = 0;
    for (Py_ssize_t l : len) chars += static_cast<uint64_t>(l);
    const int nth = worth(threads, chars, 200000);
    {
        py::gil_scoped_release nogil;
        parallel_for(n, nth, [&](int64_t i) {
            int64_t k = 0;
            for (Py_ssize_t c = 0; c < len[i]; ++c) k += ((static_cast<unsigned char>(str[i][c]) - 48) & 32) == 0;
            off[i + 1] = k;
        });
    }
    for (int64_t i = 0; i < n; ++i) off[i + 1] += off[i];
    py::array flat = pooled_empty(py::dtype::of<T>(), {static_cast<py::ssize_t>(off[n])});
    T* f = static_cast<T*>(flat.mutable_data());
    {
        py::gil_scoped_release nogil;
        parallel_for(n, nth, [&](int64_t i) {
            ScratchLease<ParsedCounts<T>> lease;  // per worker thread, within the one limit
            RunBuf<T>& scratch = lease->counts;
            scratch.size = 0;
            const uint64_t total = static_cast<uint64_t>(sz[2 * i]) * static_cast<uint64_t>(sz[2 * i + 1]);
            st[i] = rle::from_string<T>(str[i], len[i], total, scratch, errs[i]);
            // a decoded string has one count per terminal char: anything else is this code's fault
            if (st[i] == Status::ok && scratch.size != off[i + 1] - off[i]) st[i] = Status::internal;
            if (st[i] == Status::ok && scratch.size)
                std::memcpy(f + off[i], scratch.data, static_cast<size_t>(scratch.size) * sizeof(T));
        });
    }
    raise_first(st, errs);
    py::array_t<int64_t> offsets(n + 1);
    std::memcpy(offsets.mutable_data(), off.data(), static_cast<size_t>(n + 1) * sizeof(int64_t));
    py::array_t<int64_t> sizes({n, int64_t{2}});
    if (n) std::memcpy(sizes.mutable_data(), sz.data(), static_cast<size_t>(2 * n) * sizeof(int64_t));
    return py::make_tuple(flat, offsets, sizes);
}

// Why rle_dicts declined a dict (KernelError(invalid_argument).kind).
enum RleDictField : int { not_rle_dict = 1, size_not_ints = 2, size_range = 3, counts_not_ascii = 4 };

[[noreturn]] void decline_rle_dict(Py_ssize_t i, RleDictField why) {
    ErrorInfo e;
    e.kind = why;
    raise_kernel(Status::invalid_argument, e, static_cast<int64_t>(i));
}

py::tuple rle_dicts(const py::list& objs, int threads) {
    const Py_ssize_t n = PyList_GET_SIZE(objs.ptr());
    std::vector<const char*> str(static_cast<size_t>(n));
    std::vector<Py_ssize_t> len(static_cast<size_t>(n));
    std::vector<int64_t> sz(static_cast<size_t>(2 * n));
    bool big = false;
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* o = PyList_GET_ITEM(objs.ptr(), i);
        PyObject* counts = PyDict_Check(o) ? PyDict_GetItemString(o, "counts") : nullptr;
        PyObject* size = PyDict_Check(o) ? PyDict_GetItemString(o, "size") : nullptr;
        if (!(counts && size && PyList_Check(size) && PyList_GET_SIZE(size) == 2)) decline_rle_dict(i, not_rle_dict);
        for (int k = 0; k < 2; ++k) {
            PyObject* v = PyList_GET_ITEM(size, k);
            if (!PyLong_CheckExact(v)) decline_rle_dict(i, size_not_ints);
            const long long x = PyLong_AsLongLong(v);
            if (x == -1 && PyErr_Occurred()) {
                PyErr_Clear();
                decline_rle_dict(i, size_range);
            }
            if (!(x >= 0 && x < (int64_t{1} << 31))) decline_rle_dict(i, size_range);
            sz[2 * i + k] = x;
        }
        big = big || static_cast<uint64_t>(sz[2 * i]) * static_cast<uint64_t>(sz[2 * i + 1]) >= (uint64_t{1} << 32);
        if (PyBytes_Check(counts)) {
            str[i] = PyBytes_AS_STRING(counts);
            len[i] = PyBytes_GET_SIZE(counts);
        } else {
            if (!(PyUnicode_Check(counts) && PyUnicode_IS_ASCII(counts))) decline_rle_dict(i, counts_not_ascii);
            str[i] = PyUnicode_AsUTF8AndSize(counts, &len[i]);  // ASCII: the string's own buffer
            if (str[i] == nullptr) throw py::error_already_set();
        }
    }
    return big ? rle_dicts_t<uint64_t>(str, len, sz, threads) : rle_dicts_t<uint32_t>(str, len, sz, threads);
}

// The dict keys the readers below look up, interned once.
struct Keys {
    PyObject *id, *category_id, *area, *iscrowd, *ignore, *score, *bbox, *counts, *size;
};

const Keys& keys() {  // first called with the GIL held; interned strings live forever
    static const Keys k{PyUnicode_InternFromString("id"),      PyUnicode_InternFromString("category_id"),
                        PyUnicode_InternFromString("area"),    PyUnicode_InternFromString("iscrowd"),
                        PyUnicode_InternFromString("ignore"),  PyUnicode_InternFromString("score"),
                        PyUnicode_InternFromString("bbox"),    PyUnicode_InternFromString("counts"),
                        PyUnicode_InternFromString("size")};
    return k;
}

// The kind of each annotation's 'segmentation', by which cocoeval.py parses it: 0 a
// compressed RLE dict ('counts' a str or bytes), 1 a list of polygons of >= 6 numbers
// each (the batch rasterizer's input: it declines odd lengths and non-numbers), 2
// anything else (the general, one-at-a-time path). Also whether any compressed RLE's
// size [h, w] has h * w >= 2^32 (its runs need uint64 counts).
py::tuple segm_kinds(const py::list& segms) {
    const Keys& key = keys();
    const Py_ssize_t n = PyList_GET_SIZE(segms.ptr());
    py::array_t<uint8_t> kinds(n);
    uint8_t* out = kinds.mutable_data();
    bool big = false;
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* s = PyList_GET_ITEM(segms.ptr(), i);
        uint8_t kind = 2;
        if (PyList_CheckExact(s)) {
            const Py_ssize_t parts = PyList_GET_SIZE(s);
            kind = parts > 0 ? 1 : 2;
            for (Py_ssize_t j = 0; j < parts && kind == 1; ++j) {
                PyObject* part = PyList_GET_ITEM(s, j);
                const Py_ssize_t len = PyList_CheckExact(part) ? PyList_GET_SIZE(part) : PyObject_Length(part);
                if (len < 0) PyErr_Clear();  // no length: the general path says what is wrong
                if (len <= 5) kind = 2;
            }
        } else if (PyDict_CheckExact(s)) {
            PyObject* c = PyDict_GetItemWithError(s, key.counts);
            if (!c && PyErr_Occurred()) throw py::error_already_set();
            if (c && (PyUnicode_CheckExact(c) || PyBytes_CheckExact(c))) {
                kind = 0;
                PyObject* size = PyDict_GetItemWithError(s, key.size);
                if (!size && PyErr_Occurred()) throw py::error_already_set();
                if (size && PyList_CheckExact(size) && PyList_GET_SIZE(size) == 2) {
                    const long long h = PyLong_AsLongLong(PyList_GET_ITEM(size, 0));
                    const long long w = PyLong_AsLongLong(PyList_GET_ITEM(size, 1));
                    if (PyErr_Occurred()) {
                        PyErr_Clear();  // not two ints: the RLE reader names the problem
                    } else if (h > 0 && w > 0 && static_cast<double>(h) * static_cast<double>(w) >= 4294967296.0) {
                        big = true;
                    }
                }
            }
        }
        out[i] = kind;
    }
    return py::make_tuple(kinds, big);
}

// The annotations of the evaluated images, read from pycocotools-style dicts with the
// C API (the Python layer's loop over them cost more than the evaluation). by_image: a
// dict image id -> that image's annotations (pycocotools' imgToAnns; a missing or None
// entry is no annotations), img_ids: the I0 evaluated images; lookup (dict or None):
// id -> annotation, as pycocotools' loadAnns resolves them; cat_pos: category id ->
// position k (others are skipped). Key of an annotation: k * I0 + i with categories,
// i * K + k without. Everything comes back sorted by key, stably (image order, then
// imgToAnns order within a unit: pycocotools' order): (anns, keys, area, id, crowd,
// ignore) for ground truth (crowd: int(iscrowd) != 0; ignore: bool(iscrowd), or
// bool(ignore) or bool(iscrowd) when `boundary`), and (anns, keys, area, id, score) for
// detections; with `boxes`, one more column: the (n, 4) float64 'bbox' of each (4 finite
// numbers, else ValueError naming the annotation).
// This read holds the GIL (it walks Python objects) and is the serial part of an
// evaluation: the keys are interned once and looked up without temporaries.
struct Ref {  // a new reference, released at scope end
    PyObject* p = nullptr;
    ~Ref() { Py_XDECREF(p); }
};

PyObject* field(PyObject* ann, PyObject* key, bool required) {
    if (!PyDict_Check(ann)) throw py::type_error("annotations must be dicts");
    PyObject* v = PyDict_GetItemWithError(ann, key);  // borrowed
    if (!v) {
        if (PyErr_Occurred()) throw py::error_already_set();
        if (required) throw py::key_error("an annotation has no '" + std::string(PyUnicode_AsUTF8(key)) + "'");
    }
    return v;
}

double number(PyObject* v) {
    const double x = PyFloat_CheckExact(v) ? PyFloat_AS_DOUBLE(v) : PyFloat_AsDouble(v);
    if (x == -1.0 && PyErr_Occurred()) throw py::error_already_set();
    return x;
}

// The annotation's 'bbox' as 4 finite doubles (a list or tuple of numbers).
void read_box(PyObject* a, double* out) {
    PyObject* b = field(a, keys().bbox, false);
    const auto bad = [&](const char* what) {
        PyObject* id = field(a, keys().id, true);
        throw py::value_error("annotation " + std::string(py::repr(id)) + " has " + what + " bbox " +
                              (b ? std::string(py::repr(b)) : std::string("(none)")));
    };
    if (!b || !(PyList_Check(b) || PyTuple_Check(b)) || PySequence_Fast_GET_SIZE(b) != 4) bad("no 4-number");
    PyObject** item = PySequence_Fast_ITEMS(b);
    for (int c = 0; c < 4; ++c) {
        out[c] = PyFloat_CheckExact(item[c]) ? PyFloat_AS_DOUBLE(item[c]) : PyFloat_AsDouble(item[c]);
        if (out[c] == -1.0 && PyErr_Occurred()) {  // not a number (numpy scalars are)
            PyErr_Clear();
            bad("a non-numeric");
        }
        if (!std::isfinite(out[c])) bad("a non-finite");
    }
}

// The entries of v in the order `order`.
template <class T>
py::array_t<T> permuted(const std::vector<T>& v, const std::vector<int64_t>& order, size_t width = 1) {
    std::vector<T> out(v.size());
    for (size_t j = 0; j < order.size(); ++j)
        std::copy_n(v.data() + static_cast<size_t>(order[j]) * width, width, out.data() + j * width);
    return to_array(out);
}

py::tuple gather(const py::dict& by_image, const py::list& img_ids, const py::object& lookup, const py::dict& cat_pos,
                 bool use_cats, int64_t K, bool gt, bool boundary, bool boxes) {
    const Keys& key = keys();
    const int64_t I0 = static_cast<int64_t>(PyList_GET_SIZE(img_ids.ptr()));
    std::vector<py::object> anns;  // owned: the Python code a value may run (__float__, __eq__) can mutate the dicts
    std::vector<int64_t> order_keys, ids;
    std::vector<double> area, score, box;
    std::vector<uint8_t> crowd, ignore;
    PyObject* look = lookup.is_none() ? nullptr : lookup.ptr();
    MC_REQUIRE(!look || PyDict_Check(look), "lookup: expected a dict");
    for (int64_t i = 0; i < I0; ++i) {
        PyObject* lst = PyDict_GetItemWithError(by_image.ptr(), PyList_GET_ITEM(img_ids.ptr(), i));
        if (!lst) {
            if (PyErr_Occurred()) throw py::error_already_set();
            continue;
        }
        if (lst == Py_None) continue;
        Ref seq{PySequence_Fast(lst, "imgToAnns: an image's annotations must be a list")};
        if (!seq.p) throw py::error_already_set();
        for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(seq.p); ++j) {  // re-read: see `anns`
            py::object held = py::reinterpret_borrow<py::object>(PySequence_Fast_GET_ITEM(seq.p, j));
            PyObject* a = held.ptr();
            py::object id_held = py::reinterpret_borrow<py::object>(field(a, key.id, true));
            PyObject* id = id_held.ptr();
            if (look) {
                PyObject* b = PyDict_GetItemWithError(look, id);
                if (!b) {
                    if (PyErr_Occurred()) throw py::error_already_set();
                    throw py::key_error("annotation id " + std::string(py::str(id)) + " is not in anns");
                }
                held = py::reinterpret_borrow<py::object>(b);
                a = held.ptr();
                id_held = py::reinterpret_borrow<py::object>(field(a, key.id, true));
                id = id_held.ptr();
            }
            PyObject* kk = PyDict_GetItemWithError(cat_pos.ptr(), field(a, key.category_id, true));
            if (!kk) {
                if (PyErr_Occurred()) throw py::error_already_set();
                continue;
            }
            const int64_t k = PyLong_AsLongLong(kk);
            order_keys.push_back(use_cats ? k * I0 + i : i * K + k);
            area.push_back(number(field(a, key.area, true)));
            long long idn;
            if (PyLong_CheckExact(id)) {
                idn = PyLong_AsLongLong(id);
            } else {
                Ref idv{PyNumber_Long(id)};
                if (!idv.p) throw py::error_already_set();
                idn = PyLong_AsLongLong(idv.p);
            }
            if (idn == -1 && PyErr_Occurred()) throw py::error_already_set();
            ids.push_back(idn);
            if (gt) {
                PyObject* c = field(a, key.iscrowd, false);
                int truth = 0;
                uint8_t nonzero = 0;
                if (c) {
                    truth = PyObject_IsTrue(c);
                    if (truth < 0) throw py::error_already_set();
                    if (PyLong_CheckExact(c)) {
                        nonzero = static_cast<uint8_t>(truth);
                    } else {
                        Ref ci{PyNumber_Long(c)};
                        if (!ci.p) throw py::error_already_set();
                        nonzero = PyObject_IsTrue(ci.p) == 1;
                    }
                }
                crowd.push_back(nonzero);
                int ig = truth;
                if (boundary) {
                    PyObject* g = field(a, key.ignore, false);
                    const int gi = g ? PyObject_IsTrue(g) : 0;
                    if (gi < 0) throw py::error_already_set();
                    ig = gi || truth;
                }
                ignore.push_back(static_cast<uint8_t>(ig != 0));
            } else {
                score.push_back(number(field(a, key.score, true)));
            }
            if (boxes) {
                box.resize(box.size() + 4);
                read_box(a, box.data() + box.size() - 4);
            }
            anns.push_back(std::move(held));
        }
    }
    const size_t n = anns.size();
    std::vector<int64_t> order(n);
    for (size_t j = 0; j < n; ++j) order[j] = static_cast<int64_t>(j);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return order_keys[a] < order_keys[b]; });
    py::list sorted(static_cast<py::ssize_t>(n));
    for (size_t j = 0; j < n; ++j) {
        PyList_SET_ITEM(sorted.ptr(), static_cast<Py_ssize_t>(j), anns[static_cast<size_t>(order[j])].inc_ref().ptr());
    }
    py::list out;
    out.append(sorted);
    out.append(permuted(order_keys, order));
    out.append(permuted(area, order));
    out.append(permuted(ids, order));
    if (gt) {
        out.append(permuted(crowd, order));
        out.append(permuted(ignore, order));
    } else {
        out.append(permuted(score, order));
    }
    if (boxes) out.append(permuted(box, order, 4).reshape({static_cast<py::ssize_t>(n), py::ssize_t{4}}));
    return py::tuple(out);
}

}  // namespace

void bind_eval(py::module_& m) {
    m.def("eval_gather", &gather, py::arg("by_image"), py::arg("img_ids"), py::arg("lookup"), py::arg("cat_pos"), py::arg("use_cats"),
          py::arg("K"), py::arg("gt"), py::arg("boundary"), py::arg("boxes"));
    m.def("eval_segm_kinds", &segm_kinds, py::arg("segms"));
    m.def("eval_rle_dicts", &rle_dicts, py::arg("objs"), py::arg("threads"));
    py::class_<Result, std::shared_ptr<Result>>(m, "EvalResult")
        .def_property_readonly("groups", [](const Result& r) { return r.groups; })
        .def_property_readonly("kept_off", [](const Result& r) { return to_array(r.kept_off); })
        .def_property_readonly("kept", [](const Result& r) { return to_array(r.kept); })
        .def_property_readonly("score", [](const Result& r) { return to_array(r.score); })
        .def_property_readonly("code", [](const Result& r) {
            py::array_t<uint8_t> a = to_array(r.code);
            return a.reshape({static_cast<py::ssize_t>(r.kept.size()), static_cast<py::ssize_t>(r.na),
                              static_cast<py::ssize_t>(r.nt)});
        })
        .def_property_readonly("match", [](const Result& r) {
            py::array_t<int32_t> a = to_array(r.match);
            return a.reshape({static_cast<py::ssize_t>(r.match.empty() ? 0 : r.kept.size()),
                              static_cast<py::ssize_t>(r.na), static_cast<py::ssize_t>(r.nt)});
        })
        .def_property_readonly("npig", [](const Result& r) {
            return to_array(r.npig).reshape({static_cast<py::ssize_t>(r.groups), static_cast<py::ssize_t>(r.na)});
        })
        .def_property_readonly("nonempty", [](const Result& r) { return to_array(r.nonempty); });
    m.def("eval_concat", &concat, py::arg("parts"), py::arg("dt_base"));
    m.def("eval_evaluate", &evaluate, py::arg("kind"), py::arg("thr"), py::arg("area_rng"), py::arg("max_det"),
          py::arg("gt_off"), py::arg("dt_off"), py::arg("gt"), py::arg("dt"), py::arg("threads"), py::arg("detail"));
    m.def("eval_accumulate", &accumulate, py::arg("result"), py::arg("k0"), py::arg("a0"), py::arg("img"),
          py::arg("max_dets"), py::arg("A0"), py::arg("I0"), py::arg("rec_thr"), py::arg("precision"),
          py::arg("recall"), py::arg("scores"), py::arg("threads"));
    m.def("eval_mask_nms", &mask_nms, py::arg("masks"), py::arg("scores"), py::arg("threshold"), py::arg("threads"),
          py::arg("block") = 0);
}

}  // namespace maskcore::py_bind
