"""Panoptic quality by panopticapi's rules, in plain numpy and dictionaries (the oracle of
maskcore.panoptic_quality and of the benchmarks' panoptic rows)."""
from collections import defaultdict

import numpy as np

OFFSET = 256 ** 3


def np_panoptic(pairs, categories) -> tuple:
    """pairs: (gt_ids, pred_ids, gt_segments, pred_segments) per image. Follows the rules of
    panopticapi's pq_compute (match at IoU > 0.5 with the pred's void pixels out of the union;
    crowd gt ignored; an unmatched pred is no FP when > half of it is void or same-class crowd), with
    np.unique over gt * 2^24 + pred and dictionaries. Returns ({"all" | "things" | "stuff": (PQ, SQ,
    RQ)}, {category: [tp, fp, fn, sum of matched IoU]})."""
    stat = defaultdict(lambda: [0, 0, 0, 0.0])
    for g, p, gsegs, psegs in pairs:
        gs = {s["id"]: dict(s) for s in gsegs}
        ps = {s["id"]: dict(s) for s in psegs}
        for ids, segs in ((g, gs), (p, ps)):
            u, c = np.unique(ids, return_counts=True)
            for label, n in zip(u.tolist(), c.tolist()):
                if label in segs:
                    segs[label]["area"] = n
        u, c = np.unique(g.astype(np.uint64) * OFFSET + p.astype(np.uint64), return_counts=True)
        inter = {(int(x) // OFFSET, int(x) % OFFSET): int(n) for x, n in zip(u, c)}
        gm, pm = set(), set()
        for (gl, pl), n in inter.items():
            if gl not in gs or pl not in ps or gs[gl].get("iscrowd", 0) == 1:
                continue
            if gs[gl]["category_id"] != ps[pl]["category_id"]:
                continue
            union = ps[pl]["area"] + gs[gl]["area"] - n - inter.get((0, pl), 0)
            if n / union > 0.5:
                st = stat[gs[gl]["category_id"]]
                st[0] += 1
                st[3] += n / union
                gm.add(gl)
                pm.add(pl)
        crowd = {}
        for gl, s in gs.items():
            if gl in gm:
                continue
            if s.get("iscrowd", 0) == 1:
                crowd[s["category_id"]] = gl
                continue
            stat[s["category_id"]][2] += 1
        for pl, s in ps.items():
            if pl in pm:
                continue
            n = inter.get((0, pl), 0)
            if s["category_id"] in crowd:
                n += inter.get((crowd[s["category_id"]], pl), 0)
            if n / s["area"] > 0.5:
                continue
            stat[s["category_id"]][1] += 1
    out = {}
    for name, want in (("all", None), ("things", 1), ("stuff", 0)):
        vals = []
        for c in categories:
            if want is not None and c["isthing"] != want:
                continue
            tp, fp, fn, iou = stat[c["id"]]
            if tp + fp + fn == 0:
                continue
            d = tp + fp / 2 + fn / 2
            vals.append((iou / d, iou / tp if tp else 0.0, tp / d))
        out[name] = tuple(float(np.mean([v[i] for v in vals])) if vals else float("nan") for i in range(3))
    return out, stat
