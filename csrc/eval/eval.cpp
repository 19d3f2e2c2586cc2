// COCO evaluation and mask NMS (eval.hpp says what is computed and why it equals
// pycocotools bit for bit).
#include "eval.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "../common/parallel.hpp"
#include "../common/thread_scratch.hpp"

namespace maskcore::eval {
namespace {

// Highest score first; NaN after every number (numpy sorts -NaN last). Used with a
// stable sort, equal scores keep their listing order, as np.argsort(-s, kind="mergesort").
inline bool before(double a, double b) noexcept { return a > b || (!std::isnan(a) && std::isnan(b)); }

// pycocotools' bbIou for one pair (dt d, gt g), the same float64 operations in the
// same order: fmin / fmax of the box edges, w * h over the union (or over the dt's
// area for a crowd gt), 0 without overlap.
inline double box_iou(const double* d, const double* g, bool crowd) noexcept {
    const double w = std::fmin(d[2] + d[0], g[2] + g[0]) - std::fmax(d[0], g[0]);
    if (w <= 0) return 0.0;
    const double h = std::fmin(d[3] + d[1], g[3] + g[1]) - std::fmax(d[1], g[1]);
    if (h <= 0) return 0.0;
    const double da = d[2] * d[3], ga = g[2] * g[3], i = w * h;
    const double u = crowd ? da : da + ga - i;
    return i / u;
}

struct Cand {
    int32_t j;  // the gt, local index
    double v;   // its IoU
};

// Per-thread buffers, grown to the largest group so far.
struct Work {
    std::vector<int64_t> order, gidx, didx, loff, lsz;
    std::vector<double> iou, iou2;
    std::vector<int32_t> cand_off;
    std::vector<Cand> cand, sorted;
    std::vector<uint8_t> ig;
    std::vector<int32_t> pos;
    std::vector<int64_t> gtm;
    MC_SCRATCH_BYTES(order, gidx, didx, loff, lsz, iou, iou2, cand_off, cand, sorted, ig, pos, gtm)
};

// One group's masks, decoded or copied (group_ious).
template <class T>
struct GroupMasks {
    RunBuf<T> local;
    MC_SCRATCH_BYTES(local)
};

template <class T>
Status group_ious(const Setup& s, const Annotations<T>& gt, const Annotations<T>& dt, int64_t g0, int64_t G,
                  const int64_t* kept, int64_t D, Work& w, ErrorInfo& err) {
    w.iou.resize(static_cast<size_t>(D * G));
    double* out = w.iou.data();
    if (s.kind == IouKind::bbox) {
        for (int64_t d = 0; d < D; ++d) {
            const double* db = dt.box + 4 * kept[d];
            for (int64_t j = 0; j < G; ++j) out[d * G + j] = box_iou(db, gt.box + 4 * (g0 + j), gt.crowd[g0 + j] != 0);
        }
        return Status::ok;
    }
    // Masks: every dt and gt of the group must have one size (pycocotools gives -1 otherwise).
    const int64_t h = gt.h(g0), wd = gt.w(g0);
    for (int64_t j = 1; j < G; ++j)
        if (gt.h(g0 + j) != h || gt.w(g0 + j) != wd) {
            err.index = -1;
            err.value = static_cast<uint64_t>(g0 + j);
            return Status::size_mismatch;
        }
    for (int64_t d = 0; d < D; ++d)
        if (dt.h(kept[d]) != h || dt.w(kept[d]) != wd) {
            err.index = kept[d];
            err.value = static_cast<uint64_t>(g0);
            return Status::size_mismatch;
        }
    if (dt.str || gt.str) {
        // Some members are strings: this group's masks (dts in score order, then gts) are
        // decoded or copied into one local batch, which lives until the next group.
        ScratchLease<GroupMasks<T>> lease;
        RunBuf<T>& local = lease->local;
        local.size = 0;
        w.loff.assign(1, 0);
        const uint64_t total = static_cast<uint64_t>(h) * static_cast<uint64_t>(wd);
        auto add = [&](const Annotations<T>& an, int64_t i, int side) -> Status {
            if (an.str && an.str[i]) {
                ErrorInfo e;
                const Status st = rle::from_string<T>(an.str[i], an.str_len[i], total, local, e);
                if (st != Status::ok) {
                    err.index = i;
                    err.kind = side;
                    return st;
                }
            } else {
                const int64_t n = an.masks.len(i);
                if (!local.reserve_more(n)) return Status::bad_alloc;
                if (n) std::memcpy(local.data + local.size, an.masks.runs(i), static_cast<size_t>(n) * sizeof(T));
                local.size += n;
            }
            w.loff.push_back(local.size);
            return Status::ok;
        };
        for (int64_t d = 0; d < D; ++d)
            if (const Status st = add(dt, kept[d], 1); st != Status::ok) return st;
        for (int64_t j = 0; j < G; ++j)
            if (const Status st = add(gt, g0 + j, 0); st != Status::ok) return st;
        w.lsz.resize(static_cast<size_t>(2 * (D + G)));
        for (int64_t k = 0; k < D + G; ++k) {
            w.lsz[2 * k] = h;
            w.lsz[2 * k + 1] = wd;
        }
        const rle::RleSet<T> a{local.data, w.loff.data(), w.lsz.data(), D};
        const rle::RleSet<T> b{local.data, w.loff.data() + D, w.lsz.data() + 2 * D, G};
        return rle::iou_matrix<T>(a, b, gt.crowd + g0, 1, out);
    }
    // The group's members as indices into the batches (which may be indexed themselves).
    w.gidx.resize(static_cast<size_t>(G));
    w.didx.resize(static_cast<size_t>(D));
    for (int64_t j = 0; j < G; ++j) w.gidx[j] = gt.masks.at(g0 + j);
    for (int64_t d = 0; d < D; ++d) w.didx[d] = dt.masks.at(kept[d]);
    rle::RleSet<T> a = dt.masks, b = gt.masks;
    a.index = w.didx.data();
    a.n = D;
    b.index = w.gidx.data();
    b.n = G;
    Status st = rle::iou_matrix<T>(a, b, gt.crowd + g0, 1, out);
    if (st != Status::ok || s.kind != IouKind::boundary) return st;
    w.iou2.resize(static_cast<size_t>(D * G));
    rle::RleSet<T> ab = dt.bounds, bb = gt.bounds;  // in the masks' batch order
    ab.index = w.didx.data();
    ab.n = D;
    bb.index = w.gidx.data();
    bb.n = G;
    st = rle::iou_matrix<T>(ab, bb, gt.crowd + g0, 1, w.iou2.data());
    if (st != Status::ok) return st;
    // Boundary IoU: a crowd gt keeps its mask IoU; the others take the smaller one.
    for (int64_t d = 0; d < D; ++d)
        for (int64_t j = 0; j < G; ++j)
            if (!gt.crowd[g0 + j]) out[d * G + j] = std::min(out[d * G + j], w.iou2[d * G + j]);
    return Status::ok;
}

template <class T>
Status one_group(const Setup& s, const Annotations<T>& gt, const Annotations<T>& dt, int64_t g, double thr_min,
                 Result& r, ErrorInfo& err) {
    const int64_t g0 = s.gt_off[g], G = s.gt_off[g + 1] - g0;
    const int64_t d0 = s.dt_off[g], Dall = s.dt_off[g + 1] - d0;
    const int64_t nt = s.nt, na = s.na;
    r.nonempty[g] = G > 0 || Dall > 0;
    if (!r.nonempty[g]) return Status::ok;  // no slots, npig 0
    ScratchLease<Work> lease;  // per thread, within the one limit (csrc/common/thread_scratch.hpp)
    Work& w = *lease;
    // 1. dts by score (stable), cut at max_det.
    w.order.resize(static_cast<size_t>(Dall));
    std::iota(w.order.begin(), w.order.end(), d0);
    std::stable_sort(w.order.begin(), w.order.end(), [&](int64_t x, int64_t y) { return before(dt.score[x], dt.score[y]); });
    const int64_t slot0 = r.kept_off[g], D = r.kept_off[g + 1] - slot0;
    int64_t* kept = r.kept.data() + slot0;
    for (int64_t d = 0; d < D; ++d) {
        kept[d] = w.order[d];
        r.score[slot0 + d] = dt.score[w.order[d]];
    }
    // 2. IoUs and the candidates of each dt (gts in listing order).
    w.cand_off.assign(static_cast<size_t>(D + 1), 0);
    w.cand.clear();
    if (D > 0 && G > 0) {
        const Status st = group_ious(s, gt, dt, g0, G, kept, D, w, err);
        if (st != Status::ok) return st;
        for (int64_t d = 0; d < D; ++d) {
            const double* row = w.iou.data() + d * G;
            for (int64_t j = 0; j < G; ++j)
                if (!(row[j] < thr_min)) w.cand.push_back({static_cast<int32_t>(j), row[j]});
            w.cand_off[d + 1] = static_cast<int32_t>(w.cand.size());
        }
    }
    // 3. Per area range: ignore flags, gt order (not ignored first), greedy matching.
    w.ig.resize(static_cast<size_t>(G));
    w.pos.resize(static_cast<size_t>(G));
    w.gtm.resize(static_cast<size_t>(nt * G));
    for (int64_t a = 0; a < na; ++a) {
        const double lo = s.area_rng[2 * a], hi = s.area_rng[2 * a + 1];
        int64_t kept_gts = 0;
        for (int64_t j = 0; j < G; ++j) {
            const double ar = gt.area[g0 + j];
            w.ig[j] = gt.ignore[g0 + j] || ar < lo || ar > hi;
            kept_gts += !w.ig[j];
        }
        r.npig[g * na + a] = kept_gts;
        for (int64_t j = 0, p0 = 0, p1 = kept_gts; j < G; ++j) w.pos[j] = static_cast<int32_t>(w.ig[j] ? p1++ : p0++);
        std::fill(w.gtm.begin(), w.gtm.end(), int64_t{0});
        for (int64_t d = 0; d < D; ++d) {
            // This dt's candidates in gt order: the not-ignored ones, then the ignored ones.
            w.sorted.clear();
            for (int pass = 0; pass < 2; ++pass)
                for (int32_t c = w.cand_off[d]; c < w.cand_off[d + 1]; ++c)
                    if (w.ig[w.cand[c].j] == pass) w.sorted.push_back(w.cand[c]);
            const int64_t dix = kept[d];
            const double dar = dt.area[dix];
            const bool out_of_range = dar < lo || dar > hi;
            uint8_t* code = r.code.data() + ((slot0 + d) * na + a) * nt;
            for (int64_t t = 0; t < nt; ++t) {
                double best = std::min(s.thr[t], 1 - 1e-10);
                int64_t m = -1;  // the gt held (local index)
                int64_t* taken = w.gtm.data() + t * G;
                for (const Cand& c : w.sorted) {
                    const int64_t p = w.pos[c.j];
                    if (taken[p] > 0 && !gt.crowd[g0 + c.j]) continue;
                    if (m >= 0 && !w.ig[m] && w.ig[c.j]) break;
                    if (c.v < best) continue;
                    best = c.v;
                    m = c.j;
                }
                const bool matched = m >= 0;
                const bool dtm = matched && gt.id[g0 + m] != 0;  // pycocotools stores the gt id: id 0 reads unmatched
                const bool ignored = (matched && w.ig[m]) || (!dtm && out_of_range);
                code[t] = ignored ? Code::ignored : (dtm ? Code::tp : Code::fp);
                if (matched) taken[w.pos[m]] = dt.id[dix];
                if (s.detail) r.match[((slot0 + d) * na + a) * nt + t] = matched ? w.pos[m] : -1;
            }
        }
    }
    return Status::ok;
}

}  // namespace

template <class T>
Status evaluate(const Setup& s, const Annotations<T>& gt, const Annotations<T>& dt, int threads, Result& r,
                ErrorInfo& err) noexcept {
    try {
        r.groups = s.groups;
        r.nt = s.nt;
        r.na = s.na;
        r.kept_off.assign(static_cast<size_t>(s.groups + 1), 0);
        uint64_t pairs = 0;
        for (int64_t g = 0; g < s.groups; ++g) {
            const int64_t nd = std::min(s.dt_off[g + 1] - s.dt_off[g], std::max<int64_t>(s.max_det, 0));
            r.kept_off[g + 1] = r.kept_off[g] + nd;
            pairs += static_cast<uint64_t>(nd) * static_cast<uint64_t>(s.gt_off[g + 1] - s.gt_off[g]);
        }
        const auto slots = static_cast<size_t>(r.kept_off[s.groups]);
        r.kept.assign(slots, 0);
        r.score.assign(slots, 0.0);
        r.code.assign(slots * static_cast<size_t>(s.na * s.nt), 0);
        r.npig.assign(static_cast<size_t>(s.groups * s.na), 0);
        r.nonempty.assign(static_cast<size_t>(s.groups), 0);
        if (s.detail) r.match.assign(slots * static_cast<size_t>(s.na * s.nt), -1);
        double thr_min = 1 - 1e-10;
        for (int64_t t = 0; t < s.nt; ++t) thr_min = std::min(thr_min, std::min(s.thr[t], 1 - 1e-10));
        std::vector<Status> st(static_cast<size_t>(s.groups), Status::ok);
        std::vector<ErrorInfo> errs(static_cast<size_t>(s.groups));
        // Units: ~20 ns per pair (IoU, candidates) plus ~1 us per group.
        const int nth = worth(threads, 20 * pairs + 1000 * static_cast<uint64_t>(s.groups), 100000);
        parallel_for(s.groups, nth, [&](int64_t g) {
            try {
                st[g] = one_group<T>(s, gt, dt, g, thr_min, r, errs[g]);
            } catch (...) {
                st[g] = Status::bad_alloc;
            }
        });
        for (int64_t g = 0; g < s.groups; ++g)
            if (st[g] != Status::ok) {
                err = errs[g];
                return st[g];
            }
        return Status::ok;
    } catch (...) {
        return Status::bad_alloc;
    }
}

template Status evaluate<uint32_t>(const Setup&, const Annotations<uint32_t>&, const Annotations<uint32_t>&, int,
                                   Result&, ErrorInfo&) noexcept;
template Status evaluate<uint64_t>(const Setup&, const Annotations<uint64_t>&, const Annotations<uint64_t>&, int,
                                   Result&, ErrorInfo&) noexcept;

Status concat(const Result* const* parts, const int64_t* dt_base, int64_t n, Result& r) noexcept {
    try {
        r = Result{};
        r.kept_off.assign(1, 0);
        bool detail = n > 0;
        for (int64_t p = 0; p < n; ++p) {
            const Result& q = *parts[p];
            if (p == 0) r.nt = q.nt, r.na = q.na;
            if (q.nt != r.nt || q.na != r.na) return Status::invalid_value;
            detail = detail && q.match.size() == q.code.size();
        }
        for (int64_t p = 0; p < n; ++p) {
            const Result& q = *parts[p];
            const int64_t base = r.kept_off.back();
            for (int64_t g = 1; g <= q.groups; ++g) r.kept_off.push_back(base + q.kept_off[g]);
            for (int64_t d : q.kept) r.kept.push_back(d + dt_base[p]);
            r.score.insert(r.score.end(), q.score.begin(), q.score.end());
            r.code.insert(r.code.end(), q.code.begin(), q.code.end());
            r.npig.insert(r.npig.end(), q.npig.begin(), q.npig.end());
            r.nonempty.insert(r.nonempty.end(), q.nonempty.begin(), q.nonempty.end());
            if (detail) r.match.insert(r.match.end(), q.match.begin(), q.match.end());
            r.groups += q.groups;
        }
        return Status::ok;
    } catch (...) {
        return Status::bad_alloc;
    }
}

// ---- accumulate -------------------------------------------------------------------------

namespace {

struct Entry {
    double score;
    int64_t slot;
    int32_t rank;  // within its image's kept dts
    int32_t img;   // position in the cell's image list
};

void accumulate_k(const Result& r, const AccumSetup& s, int64_t k, double* precision, double* recall,
                  double* scores) {
    const int64_t nt = r.nt, na = r.na, R = s.nr, K = s.K, A = s.A, M = s.M, AM = A * M;
    int64_t mmax = 0;
    for (int64_t m = 0; m < s.nm; ++m) mmax = std::max(mmax, s.max_dets[m]);
    std::vector<int64_t> grp(static_cast<size_t>(s.ni)), area(static_cast<size_t>(s.ni)), prev;
    std::vector<Entry> entries, sel;
    std::vector<double> rc, pr;
    // This category's cells (a, m) for every (t, r), written out at the end in the
    // output's order (its last axes are A, M: one short contiguous row per (t, r)).
    std::vector<double> q(static_cast<size_t>(nt * R * AM), -1.0), ss(q.size(), -1.0), rec(static_cast<size_t>(nt * AM), -1.0);
    std::vector<uint8_t> done(static_cast<size_t>(AM), 0);
    for (int64_t ka = 0; ka < s.nka; ++ka) {
        const int64_t AI = s.A0 * s.I0;
        int64_t npig = 0;
        for (int64_t p = 0; p < s.ni; ++p) {
            const int64_t e = s.k0[k] * AI + s.a0[ka] * s.I0 + s.img[p];
            grp[p] = (e / AI) * s.I0 + e % s.I0;
            area[p] = (e / s.I0) % s.A0;
            npig += r.npig[grp[p] * na + area[p]];
        }
        if (npig == 0) continue;
        if (grp != prev) {  // the cells of one category share their images: sort once
            entries.clear();
            for (int64_t p = 0; p < s.ni; ++p) {
                const int64_t s0 = r.kept_off[grp[p]], n = std::min(r.kept_off[grp[p] + 1] - s0, mmax);
                for (int64_t j = 0; j < n; ++j)
                    entries.push_back({r.score[s0 + j], s0 + j, static_cast<int32_t>(j), static_cast<int32_t>(p)});
            }
            std::stable_sort(entries.begin(), entries.end(),
                             [](const Entry& x, const Entry& y) { return before(x.score, y.score); });
            prev = grp;
        }
        for (int64_t m = 0; m < s.nm; ++m) {
            sel.clear();
            for (const Entry& en : entries)
                if (en.rank < s.max_dets[m]) sel.push_back(en);
            const int64_t nd = static_cast<int64_t>(sel.size());
            rc.resize(static_cast<size_t>(nd));
            pr.resize(static_cast<size_t>(nd));
            const int64_t cell = ka * M + m;
            done[cell] = 1;
            for (int64_t t = 0; t < nt; ++t) {
                int64_t tp = 0, fp = 0;
                for (int64_t i = 0; i < nd; ++i) {
                    const uint8_t c = r.code[(sel[i].slot * na + area[sel[i].img]) * nt + t];
                    tp += c == Code::tp;
                    fp += c == Code::fp;
                    const double tpf = static_cast<double>(tp), fpf = static_cast<double>(fp);
                    rc[i] = tpf / static_cast<double>(npig);
                    // (fp + tp) + eps, then the division, as numpy evaluates tp / (fp + tp + eps).
                    const double den = (fpf + tpf) + 2.220446049250313e-16;
                    pr[i] = tpf / den;
                }
                rec[t * AM + cell] = nd ? rc[nd - 1] : 0.0;
                for (int64_t i = nd - 1; i > 0; --i)
                    if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
                double* qt = q.data() + t * R * AM + cell;
                double* st = ss.data() + t * R * AM + cell;
                for (int64_t ri = 0; ri < R; ++ri) qt[ri * AM] = st[ri * AM] = 0.0;
                for (int64_t ri = 0; ri < R; ++ri) {
                    const int64_t pi = std::lower_bound(rc.begin(), rc.end(), s.rec_thr[ri]) - rc.begin();
                    if (pi >= nd) break;  // pycocotools' IndexError: the rest stay 0
                    qt[ri * AM] = pr[pi];
                    st[ri * AM] = sel[pi].score;
                }
            }
        }
    }
    // Cells never computed keep the caller's -1.
    for (int64_t t = 0; t < nt; ++t) {
        for (int64_t c = 0; c < AM; ++c)
            if (done[c]) recall[(t * K + k) * AM + c] = rec[t * AM + c];
        for (int64_t ri = 0; ri < R; ++ri) {
            const int64_t o = ((t * R + ri) * K + k) * AM, l = (t * R + ri) * AM;
            for (int64_t c = 0; c < AM; ++c)
                if (done[c]) {
                    precision[o + c] = q[l + c];
                    scores[o + c] = ss[l + c];
                }
        }
    }
}

}  // namespace

Status accumulate(const Result& r, const AccumSetup& s, int threads, double* precision, double* recall,
                  double* scores) noexcept {
    if (r.nt > s.T) return Status::invalid_argument;
    std::vector<Status> st(static_cast<size_t>(s.nk), Status::ok);
    const uint64_t work = static_cast<uint64_t>(r.kept.size()) * static_cast<uint64_t>(r.na * r.nt * s.nm) + 1;
    parallel_for(s.nk, worth(threads, work, 200000), [&](int64_t k) {
        try {
            accumulate_k(r, s, k, precision, recall, scores);
        } catch (...) {
            st[k] = Status::bad_alloc;
        }
    });
    for (Status x : st)
        if (x != Status::ok) return x;
    return Status::ok;
}

// ---- mask NMS ---------------------------------------------------------------------------

template <class T>
Status mask_nms(const rle::RleSet<T>& masks, const double* score, double threshold, int threads,
                std::vector<int64_t>& keep, int64_t block_rows) noexcept {
    if (masks.index) return Status::invalid_argument;  // rows and columns index the batch itself
    try {
        const int64_t n = masks.n;
        keep.clear();
        std::vector<int64_t> order(static_cast<size_t>(n));
        std::iota(order.begin(), order.end(), int64_t{0});
        std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return before(score[x], score[y]); });
        std::vector<uint8_t> dead(static_cast<size_t>(n), 0);
        std::vector<int64_t> rows, cols, row_rank, col_rank;
        std::vector<uint8_t> crowd;
        std::vector<double> iou;
        // Rows: up to `block` live masks (in score order); columns: every live mask after
        // the first row. Memory: block x live doubles (<= 32 MiB).
        // 128 rows: small enough that masks suppressed by a block's kept rows drop out of the
        // next block (1,000 masks 1024^2: 40-52 ms vs 85-105 ms for one block of all rows),
        // large enough to amortize the columns' summaries; at most 2^22 values in memory.
        const int64_t block = block_rows > 0 ? block_rows
                                             : std::max<int64_t>(1, std::min<int64_t>(128, (int64_t{1} << 22) / std::max<int64_t>(n, 1)));
        for (int64_t lo = 0; lo < n;) {
            rows.clear();
            row_rank.clear();
            int64_t hi = lo;
            for (; hi < n && static_cast<int64_t>(rows.size()) < block; ++hi)
                if (!dead[hi]) {
                    rows.push_back(order[hi]);
                    row_rank.push_back(hi);
                }
            if (rows.empty()) break;
            cols.clear();
            col_rank.clear();
            for (int64_t q = row_rank[0] + 1; q < n; ++q)
                if (!dead[q]) {
                    cols.push_back(order[q]);
                    col_rank.push_back(q);
                }
            const int64_t nr = static_cast<int64_t>(rows.size()), nc = static_cast<int64_t>(cols.size());
            iou.resize(static_cast<size_t>(nr * nc));
            crowd.assign(static_cast<size_t>(nc), 0);
            if (nc > 0) {
                rle::RleSet<T> a = masks, b = masks;
                a.index = rows.data();
                a.n = nr;
                b.index = cols.data();
                b.n = nc;
                const Status st = rle::iou_matrix<T>(a, b, crowd.data(), threads, iou.data());
                if (st != Status::ok) return st;
            }
            for (int64_t i = 0; i < nr; ++i) {
                if (dead[row_rank[i]]) continue;
                keep.push_back(rows[i]);
                const double* row = iou.data() + i * nc;
                for (int64_t c = 0; c < nc; ++c)
                    if (col_rank[c] > row_rank[i] && row[c] > threshold) dead[col_rank[c]] = 1;
            }
            lo = hi;
        }
        return Status::ok;
    } catch (...) {
        return Status::bad_alloc;
    }
}

template Status mask_nms<uint32_t>(const rle::RleSet<uint32_t>&, const double*, double, int, std::vector<int64_t>&, int64_t) noexcept;
template Status mask_nms<uint64_t>(const rle::RleSet<uint64_t>&, const double*, double, int, std::vector<int64_t>&, int64_t) noexcept;

}  // namespace maskcore::eval
