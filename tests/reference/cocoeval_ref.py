"""Oracles for maskcore.cocoeval and maskcore.mask_nms.

* ``nms_ref``: greedy mask NMS on dense masks in a few lines of numpy.
* ``BoundaryCOCOeval``: pycocotools' COCOeval with the IoU that boundary-iou-api's
  ``iouType="boundary"`` uses (Cheng et al., CVPR 2021): each mask's inner band from the
  published recipe (pad with one ring of zeros, ``cv2.erode`` with a 3x3 square ``d`` times,
  ``d = max(1, round(0.02 * diagonal))``, mask minus eroded), then ``min(mask IoU,
  boundary IoU)`` for non-crowd ground truths and the mask IoU for crowds.
"""
import cv2
import numpy as np
import pycocotools.mask as M
from pycocotools.cocoeval import COCOeval


def nms_ref(masks, scores, thr):
    """Kept indices of greedy NMS (stable order by -score, suppress IoU > thr)."""
    n = len(masks)
    if n == 0:
        return np.zeros(0, np.int64)
    flat = np.asarray(masks).reshape(n, -1).astype(bool)
    order = np.argsort(-np.asarray(scores, np.float64), kind="stable")
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    alive, keep = np.ones(n, bool), []
    for i in order:
        if not alive[i]:
            continue
        keep.append(int(i))
        inter = (flat & flat[i]).sum(1).astype(np.float64)
        union = (flat | flat[i]).sum(1).astype(np.float64)
        iou = np.divide(inter, union, out=np.zeros(n), where=union > 0)
        alive[(rank > rank[i]) & (iou > thr)] = False
    return np.array(keep, np.int64)


def band(mask, ratio=0.02):
    h, w = mask.shape
    d = max(int(round(ratio * np.sqrt(h * h + w * w))), 1)
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    eroded = cv2.erode(padded, np.ones((3, 3), np.uint8), iterations=d)[1:h + 1, 1:w + 1]
    return mask - eroded


class BoundaryCOCOeval(COCOeval):
    """pycocotools' evaluator with boundary-iou-api's boundary IoU (iouType stays 'segm')."""

    def computeIoU(self, imgId, catId):
        p = self.params
        if p.useCats:
            gt, dt = self._gts[imgId, catId], self._dts[imgId, catId]
        else:
            gt = [g for c in p.catIds for g in self._gts[imgId, c]]
            dt = [d for c in p.catIds for d in self._dts[imgId, c]]
        if len(gt) == 0 and len(dt) == 0:
            return []
        dt = [dt[i] for i in np.argsort([-d["score"] for d in dt], kind="mergesort")][:p.maxDets[-1]]
        crowd = [int(o["iscrowd"]) for o in gt]
        gm, dm = [g["segmentation"] for g in gt], [d["segmentation"] for d in dt]
        mask_iou = np.array(M.iou(dm, gm, crowd))
        if not (len(gt) and len(dt)):
            return mask_iou
        gb = [M.encode(np.asfortranarray(band(M.decode(r)))) for r in gm]
        db = [M.encode(np.asfortranarray(band(M.decode(r)))) for r in dm]
        b_iou = np.array(M.iou(db, gb, crowd))
        c = np.array(crowd) == 0
        mask_iou[:, c] = np.minimum(mask_iou[:, c], b_iou[:, c])
        return mask_iou
