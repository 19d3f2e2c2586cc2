// Bindings of the eval family (csrc/eval): COCO evaluation and mask NMS. Buffers
// in, GIL released, kernel, status out. RLE batches travel as in bind_rle.cpp
// (flat counts, int64 offsets, int64 (n, 2) sizes); maskcore/cocoeval.py has
// checked values (finite boxes, one counts dtype) before calling.
#include <memory>
#include <string>
#include <vector>

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
    const py::tuple t = py::cast<py::tuple>(b);
    MC_REQUIRE(t.size() == 3, std::string(name) + ": expected (flat, offsets, sizes)");
    const py::array flat = py::cast<py::array>(t[0]), offsets = py::cast<py::array>(t[1]),
                    sizes = py::cast<py::array>(t[2]);
    const Span<T> f = span<T>(flat, name);
    const Span<int64_t> off = span<int64_t>(offsets, "offsets");
    MC_REQUIRE(off.size == n + 1 && off.data[0] == 0 && off.data[n] <= f.size, std::string(name) + ": offsets out of range");
    for (int64_t i = 0; i < n; ++i) MC_REQUIRE(off.data[i] <= off.data[i + 1], std::string(name) + ": offsets must be increasing");
    MC_REQUIRE(sizes.dtype().is(py::dtype::of<int64_t>()) && sizes.ndim() == 2 && sizes.shape(0) == n &&
                   sizes.shape(1) == 2 && (sizes.flags() & py::array::c_style),
               std::string(name) + ": sizes must be a contiguous int64 (n, 2) array");
    return {f.data, off.data, static_cast<const int64_t*>(sizes.data()), n};
}

int64_t check_offsets(const py::array& a, int64_t groups, int64_t n, const char* name) {
    const int64_t* o = ptr<int64_t>(a, groups + 1, name);
    MC_REQUIRE(o[0] == 0 && o[groups] == n, std::string(name) + ": must run from 0 to the number of annotations");
    for (int64_t g = 0; g < groups; ++g) MC_REQUIRE(o[g] <= o[g + 1], std::string(name) + ": must be increasing");
    return 0;
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
    MC_REQUIRE(area_rng.dtype().is(py::dtype::of<double>()) && area_rng.ndim() == 2 && area_rng.shape(1) == 2 &&
                   (area_rng.flags() & py::array::c_style),
               "areaRng: expected a contiguous float64 (A, 2) array");
    s.na = area_rng.shape(0);
    s.area_rng = static_cast<const double*>(area_rng.data());
    s.max_det = max_det;
    s.groups = span<int64_t>(gt_off, "gt_off").size - 1;
    MC_REQUIRE(s.groups >= 0, "gt_off: expected groups + 1 entries");
    s.detail = detail;
    eval::Annotations<T> gt, dt;
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
    if (st == Status::size_mismatch) {
        const std::string what = err.index >= 0 ? "detection " + std::to_string(err.index) + " and ground truth " +
                                                      std::to_string(err.value)
                                                : "ground truths of the group of ground truth " + std::to_string(err.value);
        raise(st, "segmentation sizes differ between " + what + " of one image (pycocotools gives IoU -1 there)");
    }
    if (st != Status::ok) raise(st, "evaluate failed");
    return r;
}

std::shared_ptr<Result> evaluate(int kind, const py::array& thr, const py::array& area_rng, int64_t max_det,
                                 const py::array& gt_off, const py::array& dt_off, const py::dict& gtd,
                                 const py::dict& dtd, int threads, bool detail) {
    py::object counts = py::none();
    if (!gtd["masks"].is_none()) counts = py::cast<py::tuple>(gtd["masks"])[0];
    if (counts.is_none() && !dtd["masks"].is_none()) counts = py::cast<py::tuple>(dtd["masks"])[0];
    if (!counts.is_none() && py::cast<py::array>(counts).dtype().is(py::dtype::of<uint64_t>()))
        return evaluate_t<uint64_t>(kind, thr, area_rng, max_det, gt_off, dt_off, gtd, dtd, threads, detail);
    return evaluate_t<uint32_t>(kind, thr, area_rng, max_det, gt_off, dt_off, gtd, dtd, threads, detail);
}

template <class T>
py::array_t<T> to_array(const std::vector<T>& v) {
    py::array_t<T> out(static_cast<py::ssize_t>(v.size()));
    if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(T));
    return out;
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
        MC_REQUIRE(a->dtype().is(py::dtype::of<double>()) && (a->flags() & py::array::c_style) && a->writeable(),
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
py::array_t<int64_t> mask_nms_t(const py::tuple& b, int64_t n, const py::array& scores, double thr, int threads) {
    const rle::RleSet<T> set = rle_set<T>(b, n, "masks");
    const double* s = ptr<double>(scores, n, "scores");
    std::vector<int64_t> keep;
    Status st;
    {
        py::gil_scoped_release nogil;
        st = eval::mask_nms<T>(set, s, thr, threads, keep);
    }
    if (st != Status::ok) raise(st, "mask_nms failed");
    return to_array(keep);
}

py::array_t<int64_t> mask_nms(const py::tuple& b, const py::array& scores, double thr, int threads) {
    const py::array flat = py::cast<py::array>(b[0]);
    const int64_t n = py::cast<py::array>(b[1]).shape(0) - 1;
    if (flat.dtype().is(py::dtype::of<uint64_t>())) return mask_nms_t<uint64_t>(b, n, scores, thr, threads);
    return mask_nms_t<uint32_t>(b, n, scores, thr, threads);
}

}  // namespace

void bind_eval(py::module_& m) {
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
    m.def("eval_evaluate", &evaluate, py::arg("kind"), py::arg("thr"), py::arg("area_rng"), py::arg("max_det"),
          py::arg("gt_off"), py::arg("dt_off"), py::arg("gt"), py::arg("dt"), py::arg("threads"), py::arg("detail"));
    m.def("eval_accumulate", &accumulate, py::arg("result"), py::arg("k0"), py::arg("a0"), py::arg("img"),
          py::arg("max_dets"), py::arg("A0"), py::arg("I0"), py::arg("rec_thr"), py::arg("precision"),
          py::arg("recall"), py::arg("scores"), py::arg("threads"));
    m.def("eval_mask_nms", &mask_nms, py::arg("masks"), py::arg("scores"), py::arg("threshold"), py::arg("threads"));
}

}  // namespace maskcore::py_bind
