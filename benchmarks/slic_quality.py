"""SLIC quality on real images with full-pixel ground truth: boundary recall (2 px),
undersegmentation error and achievable segmentation accuracy for maskcore,
scikit-image and fast-slic at matched segment counts. Prints a Markdown table.

    python benchmarks/slic_quality.py [--counts 200 500 1000 2000] [--quick]

The measures and data are in benchmarks/cases/superpixels.py. Each method's request
is corrected (request * n / achieved, up to 3 times) so that achieved counts match within 3%.
"""
import argparse
import sys

from cases import superpixels as sp


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counts", type=int, nargs="+", default=[200, 500, 1000, 2000])
    ap.add_argument("--quick", action="store_true", help="the first 4 images only")
    ap.add_argument("--methods", nargs="+", default=None, choices=sorted(sp.methods()))
    args = ap.parse_args(argv)
    images = sp.quality_images()
    if args.quick:
        images = images[:4]
    rows = sp.quality(images, args.counts, args.methods)
    print(f"SLIC quality on {len(images)} images with full-pixel ground truth (COCO panoptic, VOC, LoveDA, "
          f"Potsdam, LIP); compactness {sp.COMPACTNESS}, {sp.ITERATIONS} iterations; means over images.\n")
    print("| segments | method | images | achieved K | boundary recall (2 px) | undersegmentation error "
          "| achievable accuracy | time (s) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n, m, ni, k, br, ue, asa, secs in rows:
        print(f"| {n} | {m} | {ni} | {k:.0f} | {100 * br:.2f}% | {100 * ue:.2f}% | {100 * asa:.2f}% | {secs:.2f} |")
    base = {(r[0]): r for r in rows if r[1] == "skimage"}
    worst = []
    for r in rows:
        if r[1] == "maskcore" and r[0] in base:
            b = base[r[0]]
            worst.append((r[0], 100 * (b[4] - r[4]), 100 * (r[5] - b[5]), 100 * (b[6] - r[6])))
    if worst:
        print("\nmaskcore behind scikit-image, in percentage points (negative: ahead): "
              + "; ".join(f"{n}: BR {a:+.2f}, UE {b:+.2f}, ASA {c:+.2f}" for n, a, b, c in worst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
