// csrc/eval/eval.hpp — COCO detection / instance segmentation evaluation (the
// per-image work of pycocotools' COCOeval) and greedy mask NMS.
//
// WHAT IS COMPUTED. The Python layer (maskcore/cocoeval.py) groups annotations
// into evaluation units ("groups": one image and category, or one image when
// categories are not used), each a contiguous range of ground truths (gts) and of
// detections (dts) in the order pycocotools lists them. For each group:
//
//   1. dts are ordered by score, highest first, ties in listing order (a stable
//      sort on -score: numpy's mergesort; NaN scores last), and cut at max_det;
//   2. the IoU of every kept dt with every gt: boxes (pycocotools' bbIou: float64
//      w * h over the union, or over the dt's area for a crowd gt), masks (the RLE
//      IoU matrix of csrc/rle/iou.cpp: boxes prune, bit columns count; crowd gts
//      take the dt's area as union) or boundaries (Cheng et al. 2021: for a
//      non-crowd gt the minimum of the mask IoU and the IoU of the two boundary
//      bands, for a crowd gt the mask IoU). Only the pairs that can match are kept
//      (IoU >= the smallest threshold), as a short candidate list per dt; the
//      block of IoUs lives for this group only (no all-pairs matrix survives it);
//   3. for each area range a: a gt is ignored when flagged (crowd) or its area is
//      outside [lo, hi]; gts are ordered not-ignored first (stable). For each
//      threshold t and each dt in score order, pycocotools' greedy rule picks a
//      gt: walking gts in that order, skip a non-crowd gt already taken at t (its
//      dt id > 0), stop at the first ignored gt once a non-ignored one is held,
//      and take the gt when IoU >= the best so far (starting at min(t, 1 - 1e-10)).
//      A gt below the smallest threshold can neither be taken nor change what is
//      held (the running best only grows), so walking the candidates alone gives
//      the same choice. Each (dt, a, t) gets a code: ignored (matched to an
//      ignored gt, or unmatched with its area outside the range), true positive
//      (matched, the gt's id != 0: pycocotools stores the id and tests it) or
//      false positive; and each (group, a) the number of gts not ignored.
//
// ACCUMULATE concatenates the kept dts of a category's images (first maxDet of
// each, in image order), orders them by score (stable; ties by image, then rank),
// and for each threshold forms the cumulative true/false positive counts,
// recall tp / npig, precision tp / (tp + fp + eps) with eps = 2^-52, the
// precision envelope (running maximum from the end) and, for each recall
// threshold, the first index whose recall reaches it (lower bound): precision and
// score there, 0 past the last dt. The same float64 operations in the same order
// as pycocotools, so every number is bit-identical.
//
// THREADS. Groups are independent (their outputs go to precomputed slots) and
// accumulate's categories too: results never depend on the thread count.
//
// MASK NMS. Greedy by score (stable: ties by input order), suppressing every later
// mask whose IoU with a kept one is > threshold, as box NMS does; IoUs are the
// RLE IoU matrix, computed by blocks of rows (kept masks only) against the masks
// still alive, so memory stays at a block.
#pragma once
#include <cstdint>
#include <vector>

#include "../common/common.hpp"
#include "../rle/rle.hpp"

namespace maskcore::eval {

enum class IouKind : int { bbox = 0, segm = 1, boundary = 2 };

// Ground truths or detections, grouped: group g owns [off[g], off[g + 1]).
template <class T>
struct Annotations {
    int64_t n = 0;
    const double* area = nullptr;
    const int64_t* id = nullptr;
    const double* score = nullptr;   // detections only
    const uint8_t* crowd = nullptr;  // ground truths only: crowd IoU
    const uint8_t* ignore = nullptr; // ground truths only: always ignored
    const double* box = nullptr;     // bbox: n x 4, COCO [x, y, w, h]
    // segm, boundary: annotation i's mask is masks.runs(i) (masks.index may map it
    // into a batch in another order); its boundary is the same batch position of bounds.
    rle::RleSet<T> masks{nullptr, nullptr, nullptr, 0};
    rle::RleSet<T> bounds{nullptr, nullptr, nullptr, 0};
    // segm only, optional: annotation i with str[i] != null is a compressed COCO string
    // of size str_size[2i] x str_size[2i + 1], decoded when its group is evaluated (so the
    // decoded runs of one group live at a time; masks is not read for it).
    const char* const* str = nullptr;
    const int64_t* str_len = nullptr;
    const int64_t* str_size = nullptr;
    int64_t h(int64_t i) const noexcept { return str && str[i] ? str_size[2 * i] : masks.h(i); }
    int64_t w(int64_t i) const noexcept { return str && str[i] ? str_size[2 * i + 1] : masks.w(i); }
};

struct Setup {
    IouKind kind = IouKind::segm;
    const double* thr = nullptr;  // iouThrs
    int64_t nt = 0;
    const double* area_rng = nullptr;  // na x 2
    int64_t na = 0;
    int64_t max_det = 0;  // maxDets[-1]
    const int64_t* gt_off = nullptr;
    const int64_t* dt_off = nullptr;
    int64_t groups = 0;
    bool detail = false;  // also keep each match (for evalImgs)
};

enum Code : uint8_t { ignored = 0, tp = 1, fp = 2 };

struct Result {
    int64_t groups = 0, nt = 0, na = 0;
    std::vector<int64_t> kept_off;  // groups + 1: group g's kept dts are [kept_off[g], kept_off[g + 1])
    std::vector<int64_t> kept;      // the dt (index into the detections) of each kept slot, score order
    std::vector<double> score;      // its score
    std::vector<uint8_t> code;      // slot x na x nt
    std::vector<int64_t> npig;      // groups x na
    std::vector<uint8_t> nonempty;  // groups: a gt or a dt (pycocotools' evalImg is not None)
    std::vector<int32_t> match;     // detail: slot x na x nt, the matched gt's rank in that area's order, -1
};

// Fills r (sized by the callee). size_mismatch when a dt and a gt of one group have
// different mask sizes (err.index = the dt, err.value = the gt); corrupt_rle when a
// string does not decode (err.index = the annotation, err.kind = 0 gt, 1 dt).
template <class T>
Status evaluate(const Setup& s, const Annotations<T>& gt, const Annotations<T>& dt, int threads, Result& r,
                ErrorInfo& err) noexcept;

// The results of consecutive group ranges as one Result (the groups of parts[0], then
// parts[1]'s, ...): part p's kept dts index its own detections, which start at dt_base[p]
// of the whole. All parts have the same nt and na; match is kept when every part has it.
// (The evaluator's pipeline evaluates a range of groups while the next one is parsed.)
Status concat(const Result* const* parts, const int64_t* dt_base, int64_t n, Result& r) noexcept;

// Accumulation over cells (k, a, m) of pycocotools' accumulate. Cell (k, a) reads
// the evaluation units e = k0[k] * A0 * I0 + a0[a] * I0 + i for i in img (its flat
// evalImgs index: unit group (e / (A0 * I0)) * I0 + e % I0, area (e / I0) % A0);
// m reads the first max_dets[m] kept dts of each. Outputs are C-ordered
// precision / scores (T, R, K, A, M) and recall (T, K, A, M), prefilled with -1 by
// the caller; t runs over the evaluated thresholds (nt <= T).
struct AccumSetup {
    const int64_t* k0 = nullptr;
    int64_t nk = 0;
    const int64_t* a0 = nullptr;
    int64_t nka = 0;
    const int64_t* img = nullptr;
    int64_t ni = 0;
    const int64_t* max_dets = nullptr;
    int64_t nm = 0;
    int64_t A0 = 0, I0 = 0;
    const double* rec_thr = nullptr;
    int64_t nr = 0;
    int64_t T = 0, K = 0, A = 0, M = 0;  // the outputs' axes (T, R, K, A, M)
};
Status accumulate(const Result& r, const AccumSetup& s, int threads, double* precision, double* recall,
                  double* scores) noexcept;

// Greedy NMS of masks (see MASK NMS). keep: kept indices in score order.
// block_rows: rows per IoU block (0: the default).
template <class T>
Status mask_nms(const rle::RleSet<T>& masks, const double* score, double threshold, int threads,
                std::vector<int64_t>& keep, int64_t block_rows = 0) noexcept;

}  // namespace maskcore::eval
