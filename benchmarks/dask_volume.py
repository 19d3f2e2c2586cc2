"""Hand-run benchmark: the issue-18 volume row, one run per library, side by side.

    python benchmarks/dask_volume.py [--side 1024] [--chunk 256] [--scale 16] [--workers 2]
                                     [--rounds 1] [--no-peer] [--no-check]

A ``--side``^3 blob volume (benchmarks/cases/dask.py's blob mask: a coarse smoothed noise field
interpolated block by block, thresholded at 0; blobs ``--scale`` voxels across) in ``--chunk``^3
chunks, persisted in memory first; then, on dask's threaded scheduler with ``--workers``
workers, 26-connectivity:

* ``maskcore.dask.label`` -- its pass 1 and seam merge, then the lazy labels' ``max()`` (every
  block labeled again and relabeled), as the harness row does;
* ``dask_image.ndmeasure.label`` with the 26-neighbourhood structure, then ``max()`` and n;
* ``maskcore.label`` on the whole array in memory (threads = workers), the single-array
  reference.

Checks: both libraries' n and max equal each other and, with the check (default when the labels
fit: side <= 640), ``maskcore.label``'s on the whole array; maskcore.dask's labels equal it
exactly; with ``--check-peer`` dask-image's are the same partition (that labels the volume with
dask-image a second time).

At 1024^3 the volume is 1 GiB (bool) and a whole label image 4 GiB: the check and the whole-array
reference are skipped (``--no-check`` implied) and only n / max are compared. The harness group
(``MASKCORE_BENCH_DASK=full`` or ``MASKCORE_BENCH_DASK_VOLUME=side:chunk`` with
``python benchmarks/run.py --family dask --group "^3"``) runs the same rows three times or more.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _checkout  # noqa: E402,F401  (an installed maskcore wins over this checkout)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--side", type=int, default=1024)
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--scale", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--no-peer", action="store_true", help="skip dask-image")
    ap.add_argument("--no-check", action="store_true", help="skip the whole-array reference and the label checks")
    ap.add_argument("--check-peer", action="store_true",
                    help="also check dask-image's partition (labels it all again: as long as its timed run)")
    a = ap.parse_args(argv)

    import dask
    import numpy as np
    from scipy import ndimage

    import maskcore
    import maskcore.dask as md
    from cases import dask as cd

    check = not a.no_check and a.side <= 640
    shape = (a.side,) * 3
    print(f"volume {a.side}^3 ({np.prod(shape) / 1e9:.3f} G voxels), chunks {a.chunk}^3, blobs ~{a.scale} voxels, "
          f"26-connectivity, threaded scheduler with {a.workers} workers, maskcore ISA {maskcore.get_isa()}")
    t = time.perf_counter()
    with dask.config.set(scheduler="threads", num_workers=a.workers):
        arr = cd.blob_array(shape, a.chunk, a.scale).persist()
    print(f"input made and persisted in {time.perf_counter() - t:.1f} s ({arr.npartitions} blocks)")
    cfg = dict(scheduler="threads", num_workers=a.workers)
    times: dict = {}
    results: dict = {}

    def timed(name, fn):
        for _ in range(a.rounds):
            t0 = time.perf_counter()
            out = fn()
            times.setdefault(name, []).append(time.perf_counter() - t0)
        results[name] = out
        print(f"  {name:48s} {statistics.median(times[name]):8.2f} s  (rounds: "
              f"{', '.join(f'{x:.2f}' for x in times[name])})", flush=True)

    def mc():
        with dask.config.set(**cfg):
            labels, n = md.label(arr, connectivity=26)
            return labels, int(n), int(labels.max().compute())

    def di():
        from dask_image import ndmeasure
        structure = ndimage.generate_binary_structure(3, 3)
        with dask.config.set(**cfg):
            labels, n = ndmeasure.label(arr, structure=structure)
            top, n = dask.compute(labels.max(), n)
        return labels, int(n), int(top)

    timed("maskcore.dask.label + max()", mc)
    if not a.no_peer:
        timed("dask_image.ndmeasure.label + max()", di)
    whole = None
    if check:
        with dask.config.set(**cfg):
            img = arr.compute()

        def ref():
            return maskcore.label(img, connectivity=26, threads=a.workers)
        timed("ref: maskcore.label, whole array in memory", ref)
        whole = results["ref: maskcore.label, whole array in memory"]

    _, n, top = results["maskcore.dask.label + max()"]
    assert n == top, (n, top)
    if not a.no_peer:
        _, n2, top2 = results["dask_image.ndmeasure.label + max()"]
        assert n2 == top2 == n, f"dask-image n = {n2}, max = {top2}; maskcore.dask n = {n}"
    print(f"components: {n} (maskcore.dask{' and dask-image' if not a.no_peer else ''} agree)")
    if whole is not None:
        want, m = whole
        assert m == n, (m, n)
        with dask.config.set(**cfg):
            got = results["maskcore.dask.label + max()"][0].compute()
        assert np.array_equal(got, want), "maskcore.dask labels differ from maskcore.label on the whole array"
        print("maskcore.dask labels == maskcore.label on the whole array (numbering included)")
        if not a.no_peer and a.check_peer:
            with dask.config.set(**cfg):
                other = results["dask_image.ndmeasure.label + max()"][0].compute()
            assert cd.same_partition(other, want, m), "dask-image's partition differs"
            print("dask-image's labels: the same partition")
    if not a.no_peer:
        r = statistics.median(times["dask_image.ndmeasure.label + max()"]) / \
            statistics.median(times["maskcore.dask.label + max()"])
        print(f"dask-image / maskcore.dask: {r:.1f}x")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
