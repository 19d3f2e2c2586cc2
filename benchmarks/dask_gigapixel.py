"""Hand-run benchmark: a 100,000 x 100,000 blob mask stored as zarr on disk, labeled, measured
and run-length encoded end to end with maskcore.dask, in bounded memory.

    python benchmarks/dask_gigapixel.py [--side 100000] [--chunk 4096] [--scale 128] [--level 0]
                                        [--dir /tmp/maskcore-gigapixel] [--workers 2] [--keep]

Steps (each timed; peak RSS of this process, ru_maxrss, after each):

1. write: the blob mask of benchmarks/cases/dask.py (a coarse smoothed noise field interpolated
   block by block and thresholded at ``--level`` standard deviations: blobs ``--scale`` pixels
   across) is written as a bool zarr array with ``--chunk`` square chunks, compressed with zarr's
   default codec (blob masks compress to ~1 % of the 10 GB they would take raw). Skipped when the store
   exists (``--keep`` keeps it for the next run).
2. label: ``maskcore.dask.label(da.from_zarr(...))`` -- pass 1: every block read, labeled, its
   faces and first pixels kept; the seams merged; n known.
3. stats: ``maskcore.dask.component_stats(labels)`` -- pass 2 fused: every block read and
   labeled again, its statistics mapped to the global numbering and reduced.
4. rle: ``maskcore.dask.encode(mask)`` -- every block read and encoded, runs merged into one
   COCO RLE (uint64 counts: 10^10 pixels).

Not run in CI (minutes, ~0.2-0.5 GB of disk). Figures are printed as time per gigapixel
(10^9 pixels) and recorded in benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from pathlib import Path


HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _checkout  # noqa: E402,F401  (an installed maskcore wins over this checkout)


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=4096)
    ap.add_argument("--scale", type=int, default=128)
    ap.add_argument("--level", type=float, default=0.0,
                    help="threshold in std units: 0 about half the pixels (one component percolates), "
                         "0.5 about 30 %% in separate blobs")
    ap.add_argument("--dir", default="/tmp/maskcore-gigapixel")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the zarr store for the next run")
    args = ap.parse_args()

    import dask
    import dask.array as da
    import zarr

    import maskcore
    import maskcore.dask as md
    from cases.dask import blob_array

    side, chunk = args.side, args.chunk
    gpx = side * side / 1e9
    store = Path(args.dir) / f"blobs_{side}_{chunk}_{args.scale}_{args.level:g}.zarr"
    print(f"maskcore {maskcore.__version__}, ISA {maskcore.get_isa()}, dask {dask.__version__}, zarr "
          f"{zarr.__version__}, {os.cpu_count()} cores, {args.workers} workers (threads scheduler)")
    print(f"mask {side} x {side} = {gpx:.2f} gigapixels, chunks {chunk}^2, blobs ~{args.scale} px, store {store}")
    rows = []
    with dask.config.set(scheduler="threads", num_workers=args.workers):
        if not store.exists():
            store.parent.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            da.to_zarr(blob_array((side, side), chunk, args.scale, level=args.level), str(store))
            rows.append(("write zarr", time.perf_counter() - t))
            print(f"write: {rows[-1][1]:.1f} s, peak RSS {peak_gib():.2f} GiB", flush=True)
        size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
        print(f"store on disk: {size / 2**20:.1f} MiB")

        src = da.from_zarr(str(store))
        t = time.perf_counter()
        labels, n = md.label(src)
        rows.append(("label (pass 1 + seam merge)", time.perf_counter() - t))
        print(f"label: n = {n}, {rows[-1][1]:.1f} s, peak RSS {peak_gib():.2f} GiB", flush=True)

        t = time.perf_counter()
        stats = md.component_stats(labels, n)
        rows.append(("component_stats (fused relabel pass)", time.perf_counter() - t))
        print(f"stats: {rows[-1][1]:.1f} s, total area {int(stats['area'].sum())}, largest "
              f"{int(stats['area'].max(initial=0))}, peak RSS {peak_gib():.2f} GiB", flush=True)

        t = time.perf_counter()
        rle = md.encode(src)
        rows.append(("encode (COCO RLE)", time.perf_counter() - t))
        print(f"rle: {rle.counts.size} counts ({rle.counts.dtype}), area {rle.area}, {rows[-1][1]:.1f} s, "
              f"peak RSS {peak_gib():.2f} GiB", flush=True)
        assert rle.area == int(stats["area"].sum()), "RLE area != sum of component areas"

    print()
    print(f"{'step':40s} {'seconds':>9s} {'s / gigapixel':>14s}")
    for name, sec in rows:
        print(f"{name:40s} {sec:9.1f} {sec / gpx:14.2f}")
    end_to_end = sum(sec for name, sec in rows if name != "write zarr")
    print(f"{'label + stats + rle':40s} {end_to_end:9.1f} {end_to_end / gpx:14.2f}")
    print(f"peak RSS {peak_gib():.2f} GiB (limit 4 GiB): {'OK' if peak_gib() < 4 else 'OVER'}")
    if not args.keep:
        shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
