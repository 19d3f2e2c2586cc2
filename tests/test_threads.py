"""Concurrency: maskcore releases the GIL inside its kernels, so Python threads and the
``threads=`` option must never change a result."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import maskcore
from reference import rle_ref as ref

N_WORKERS = 4


def _make_masks(n, shape=(160, 131), seed=0):
    rng = np.random.default_rng(seed)
    h, w = shape
    yy, xx = np.mgrid[:h, :w]
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            m = rng.random(shape) < 0.3
        elif kind == 1:
            cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(5, 60)
            m = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        elif kind == 2:
            m = np.add.outer(np.arange(h), np.arange(w)) % 2 == 0
        else:
            m = np.zeros(shape, bool)
            m[rng.integers(0, h):, rng.integers(0, w):] = True
        out.append(m.astype(np.uint8))
    return out


@pytest.fixture(scope="module")
def masks():
    return _make_masks(24)


def test_python_threads_match_serial(isa, masks):
    serial = [np.asarray(maskcore.encode(m).counts).tolist() for m in masks]

    def work(k):
        # each worker handles every mask, starting at a different one, several times
        got = {}
        for rep in range(3):
            for j in range(len(masks)):
                i = (j + k) % len(masks)
                m = masks[i] if rep % 2 == 0 else np.asfortranarray(masks[i])
                rle = maskcore.encode(m)
                dec = rle.decode()
                if not np.array_equal(dec, masks[i]):
                    return f"decode mismatch at mask {i} in worker {k}"
                s = rle.to_string()
                back = maskcore.RLE.from_coco({"size": list(m.shape), "counts": s})
                got[i] = (np.asarray(rle.counts).tolist(), back == rle, rle.area)
        return got

    with ThreadPoolExecutor(N_WORKERS) as pool:
        results = list(pool.map(work, range(N_WORKERS)))
    for res in results:
        assert not isinstance(res, str), res
        for i, (counts, roundtrip, area) in res.items():
            assert counts == serial[i]
            assert roundtrip
            assert area == int(masks[i].sum())


def test_python_threads_batch_calls(isa, masks):
    rles = [maskcore.encode(m) for m in masks]
    expected_iou = maskcore.iou(rles, rles, threads=1)
    expected_dec = maskcore.decode(rles, threads=1)

    def work(k):
        sub = rles[k:] + rles[:k]
        iou = maskcore.iou(sub, sub)
        dec = maskcore.decode(sub)
        order = [(j + k) % len(rles) for j in range(len(rles))]
        return (np.array_equal(iou, expected_iou[np.ix_(order, order)])
                and np.array_equal(dec, expected_dec[:, :, order]))

    with ThreadPoolExecutor(N_WORKERS) as pool:
        assert all(pool.map(work, range(2 * N_WORKERS)))


@pytest.mark.parametrize("threads", [1, 2, None])
def test_batch_threads_identical(isa, masks, threads):
    stack = np.stack(masks, axis=-1)
    batch = maskcore.encode(stack, threads=threads)
    assert len(batch) == len(masks)
    for i, m in enumerate(masks):
        assert np.asarray(batch[i].counts).tolist() == ref.encode(m).tolist()
    # decode of lists / batches
    np.testing.assert_array_equal(maskcore.decode(list(batch), threads=threads), stack)
    np.testing.assert_array_equal(maskcore.decode(batch, threads=threads), stack)
    # area and bbox
    np.testing.assert_array_equal(maskcore.area(batch, threads=threads),
                                  [ref.area(m) for m in masks])
    np.testing.assert_array_equal(maskcore.bbox(batch, threads=threads),
                                  [ref.bbox(m) for m in masks])
    # iou matrix, bit-identical to the single-threaded one
    crowd = np.arange(len(masks)) % 3 == 0
    iou = maskcore.iou(batch[:10], batch, crowd, threads=threads)
    iou1 = maskcore.iou(batch[:10], batch, crowd, threads=1)
    np.testing.assert_array_equal(iou, iou1)
    np.testing.assert_allclose(iou, ref.iou_matrix(masks[:10], masks, crowd), rtol=1e-12, atol=0)
