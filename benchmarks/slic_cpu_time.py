"""SLIC on one large photo, CPU time: maskcore at the best ISA, forced to AVX2 and to
scalar, against fast-slic's ``SlicAvx2(subsample_stride=1)`` (the same work), all single
threaded, interleaved round by round in one process. CPU time (``time.process_time``)
rather than wall time, because a shared machine's wall times swing by 2-4x.

    python benchmarks/slic_cpu_time.py [--size 4000] [--rounds 5]

The photo is the ``superpixels`` family's (benchmarks/cases/superpixels.py: scikit-image's
astronaut resized to size x size), region_size 20, compactness 10, 10 iterations. The
scalar row runs every other round (it is slow). Labels are checked identical across ISAs.
"""
import argparse
import time

import _checkout  # noqa: F401  (which maskcore: benchmarks/_checkout.py)
import numpy as np

from cases import superpixels as sp


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    import maskcore

    img = sp.photo(args.size, args.size, "astronaut")
    kw = dict(region_size=sp.REGION, compactness=sp.COMPACTNESS, iterations=sp.ITERATIONS, threads=1)
    n = max(1, round(args.size * args.size / sp.REGION**2))
    best = maskcore.available_isas()[-1]

    def at(isa):
        def run():
            with maskcore.use_isa(isa):
                return maskcore.slic(img, **kw)
        return run

    fns = {f"maskcore [{best}] (best)": at(best), "maskcore [avx2]": at("avx2"), "maskcore [scalar]": at("scalar")}
    try:
        cls = sp._fast_slic(True)
        fns["fast_slic SlicAvx2 subsample_stride=1"] = lambda: cls(
            num_components=n, compactness=sp.COMPACTNESS, num_threads=1, subsample_stride=1).iterate(img)
    except Exception as e:  # noqa: BLE001  (not installed: maskcore rows only)
        print(f"fast-slic: {e}")
    if "avx2" not in maskcore.available_isas():
        del fns["maskcore [avx2]"]
    ref = next(iter(fns.values()))()
    for name, f in fns.items():
        if name.startswith("maskcore"):
            np.testing.assert_array_equal(f(), ref, err_msg=name)
    times = {k: [] for k in fns}
    for r in range(args.rounds):
        for name, f in fns.items():
            if "scalar" in name and r % 2:
                continue
            t = time.process_time()
            f()
            times[name].append(time.process_time() - t)
    peer = [k for k in fns if k.startswith("fast_slic")]
    print(f"SLIC {args.size}x{args.size}, region_size {sp.REGION}, {sp.ITERATIONS} iterations, 1 thread, "
          f"CPU seconds; K = {int(ref.max()) + 1}")
    for name, v in times.items():
        line = f"  {name:40s} median {np.median(v):.3f}  min {min(v):.3f}  (n={len(v)})"
        if peer and not name.startswith("fast_slic"):
            line += f"  fast-slic / this: {np.median(times[peer[0]]) / np.median(v):.2f}x"
        print(line)


if __name__ == "__main__":
    main()
