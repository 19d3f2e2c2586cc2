"""The ``maskcore`` command: dataset jobs (:mod:`maskcore.jobs`), a demo, ``info`` and ``bench``.

``maskcore demo [--data DIR] [--out DIR]``
    The main job on the sample dataset this repository carries (examples/sample, made by
    tools/make_sample.py): convert it, validate it, write the HTML report, print where it is.
    ``--data ../shared/data`` runs the same on the real data.
``maskcore convert SRC DST --to FORMAT [--from FORMAT]``
    Any reader to any writer of maskcore.io.
``maskcore validate SRC [--from FORMAT] [--labels ...] [--min-island N] [--report report.html] [--json out.json]``
    Label-map and COCO QA over a whole dataset (exit code 1 when problems are found).
``maskcore eval GT PRED [--task instances|semantic|panoptic] [--iou-type segm|bbox|boundary]``
``maskcore compare A B``, ``maskcore stats SRC``
``maskcore render SRC --images DIR --out DIR``, ``maskcore superpixels IMAGE... --region-size N --out DIR``
``maskcore check-coco FILE.json [--no-overlap] [--json] [--limit N]``
    ``validate`` on a COCO instances file (kept for compatibility).
``maskcore info``
    Print the version, compiler and instruction sets (``maskcore.show_config()``).
``maskcore bench [--quick] [--family NAME] [--group SUBSTR] [--list]``
    Run ``benchmarks/run.py`` of a maskcore checkout (the current directory or a parent, or
    ``$MASKCORE_BENCH_DIR``): the cases ``pytest benchmarks`` runs, timed side by side with the
    peers, one table per group. The cases are not part of the installed package.

Every dataset command takes ``--scheduler threads|processes|synchronous|tcp://HOST:PORT``,
``--workers N``, ``--quiet``, ``--fail-fast``, ``--resume`` and ``--json [PATH]`` (no PATH or
``-``: the result as JSON on stdout and nothing else there). A progress bar goes to stderr, only
when stderr is a terminal. Exit codes: 0 clean, 1 problems found or items failed, 2 usage error
or unreadable input.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

__all__ = ["main"]


def _find_benchmarks() -> Optional[Path]:
    """benchmarks/run.py of a maskcore checkout: ``$MASKCORE_BENCH_DIR``, else the current
    directory or one of its parents, else the checkout this package was installed from in place."""
    env = os.environ.get("MASKCORE_BENCH_DIR")
    candidates = [Path(env)] if env else []
    here = Path.cwd().resolve()
    candidates += [d / "benchmarks" for d in (here, *here.parents)]
    candidates.append(Path(__file__).resolve().parents[1] / "benchmarks")  # an editable install
    for d in candidates:
        if (d / "run.py").is_file() and (d / "cases" / "__init__.py").is_file():
            return d
    return None


def _bench(argv: Sequence[str]) -> int:
    where = _find_benchmarks()
    if where is None:
        print("maskcore bench: the benchmark cases are not part of the installed package; run it "
              "inside a maskcore checkout (git clone ...; cd maskcore; maskcore bench --quick) or "
              "set MASKCORE_BENCH_DIR to its benchmarks/ folder", file=sys.stderr)
        return 2
    import runpy

    run = runpy.run_path(str(where / "run.py"), run_name="maskcore_bench")
    return run["main"](list(argv))


def _info(args) -> int:
    import maskcore

    maskcore.show_config()
    return 0


# ---- dataset jobs ------------------------------------------------------------------------------------

def _int_list(text: str) -> list:
    """``"0,1,2"``, ``"0-20,255"`` or ``"3"`` -> ints (ranges inclusive)."""
    out = []
    for part in str(text).replace(" ", ",").split(","):
        if not part:
            continue
        if "-" in part[1:]:
            a, b = part.split("-", 1) if not part.startswith("-") else ("-" + part[1:].split("-", 1)[0],
                                                                         part[1:].split("-", 1)[1])
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def _labels_arg(values):
    if not values:
        return None
    out = []
    for v in values:
        try:
            out.extend(_int_list(v))
        except ValueError:
            raise _Usage(f"--labels: expected integers or ranges like 0-20,255, got {v!r}") from None
    return out


class _Usage(Exception):
    """A usage error found after parsing (exit code 2)."""


def _names_arg(args):
    path = getattr(args, "names", None)
    if path is None:
        return None
    import json

    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        if isinstance(d, dict) and isinstance(d.get("names"), dict):
            d = d["names"]
        if not isinstance(d, dict):
            raise ValueError(f"expected a JSON object value -> name, got {type(d).__name__}")
        return {int(k): str(v) for k, v in d.items()}
    except (OSError, ValueError, TypeError) as exc:
        raise _Usage(f"--names {path}: {exc}") from None


def _common(args) -> dict:
    sched = args.scheduler
    return {"scheduler": sched, "workers": args.workers, "fail_fast": args.fail_fast, "resume": args.resume,
            "progress": not args.quiet}


def _json_target(args):
    """--json: None (not asked), "-" (stdout) or a path."""
    return getattr(args, "json", None)


def _emit(args, res, text_lines, t0) -> int:
    """Print the result: JSON on stdout (--json / --json -) or the text summary; return the exit code."""
    target = _json_target(args)
    if target == "-":
        sys.stdout.write(res.to_json() + "\n")
        return res.exit_code
    if target is not None and str(target) not in res.outputs:
        from maskcore.jobs._files import atomic_write_text

        atomic_write_text(target, res.to_json())
        res.outputs.append(str(target))
    lines = list(text_lines)
    if res.errors:
        lines.append(f"{len(res.errors)} items failed:")
        for e in res.errors[:args.limit]:
            lines.append(f"  {e}")
        if len(res.errors) > args.limit:
            lines.append(f"  ... {len(res.errors) - args.limit} more (--limit, or --json)")
    if res.skipped:
        lines.append(f"{res.skipped} outputs already complete, skipped (--resume)")
    for o in res.outputs[:1] if res.job in ("render", "superpixels") else res.outputs:
        lines.append(f"wrote {o}" if res.job not in ("render", "superpixels") else f"wrote {len(res.outputs)} files "
                     f"to {res.summary.get('out')}")
    lines.append(f"done in {time.perf_counter() - t0:.2f} s: " + ("clean" if res.ok else "exit code 1"))
    if not args.quiet or res.exit_code:
        print("\n".join(lines))
    return res.exit_code


def _run_job(args, fn) -> int:
    """Run a command's job with the errors mapped to exit codes and one clear line each."""
    from maskcore.jobs import FailFast, JobError, SourceError

    prog = f"maskcore {args.command}"
    try:
        return fn()
    except _Usage as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except SourceError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except FailFast as exc:
        print(f"{prog}: stopped at the first failure (--fail-fast): {exc.error}", file=sys.stderr)
        return 1
    except JobError as exc:
        print(f"{prog}: the job failed: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; outputs written so far are complete, --resume goes on from them",
              file=sys.stderr)
        return 130


def _validate_text(res, args, t0):
    s = res.summary
    lines = [f"{res.source}: {s['images_checked']} of {s['images']} images checked ({s['format']}), "
             f"{s['segments']} segments, {len(s['histogram'])} classes"]
    if not res.problems:
        lines.append("no problems found")
    else:
        lines.append(f"{len(res.problems)} problems in {s['images_with_problems']} images: " +
                     ", ".join(f"{k} {c}" for k, c in s["problems_by_kind"].items()))
        for p in res.problems[:args.limit]:
            lines.append(f"  {p['kind']:<20} {p['image']}: {p['message']}")
        if len(res.problems) > args.limit:
            lines.append(f"  ... {len(res.problems) - args.limit} more (--limit, the report, or --json)")
    return lines


def _validate(args) -> int:
    from maskcore import jobs

    def go():
        t0 = time.perf_counter()
        target = _json_target(args)
        res = jobs.validate(args.src, format=args.source_format, labels=_labels_arg(args.labels),
                            names=_names_arg(args),
                            min_island=args.min_island, allow_overlap=not args.no_overlap, report=args.report,
                            json_path=target if target not in (None, "-") else None, images=args.images,
                            masks=args.masks, thumbnails=args.thumbnails, background=args.background,
                            **_common(args))
        return _emit(args, res, _validate_text(res, args, t0), t0)

    return _run_job(args, go)


def _check_coco(args) -> int:
    """check-coco: maskcore.validate_coco on one COCO instances file (the hardened checker: a file
    that is not a COCO instances document is one line naming the field and value, exit code 2)."""
    import json
    from collections import Counter

    import maskcore

    def fail(what: str) -> int:  # a user error: one line, exit code 2
        print(f"maskcore check-coco: {args.file}: {what}", file=sys.stderr)
        return 2

    try:
        with open(args.file, encoding="utf-8") as f:
            coco = json.load(f)
    except RecursionError:
        return fail("cannot read it: JSON nested too deeply")
    except (OSError, ValueError) as exc:  # (UnicodeDecodeError and JSONDecodeError are ValueErrors)
        return fail(f"cannot read it: {exc}")
    t0 = time.perf_counter()
    try:
        report = maskcore.validate_coco(coco, allow_overlap=not args.no_overlap)
    except (TypeError, ValueError, OverflowError) as exc:  # not a COCO instances file: the field and value
        return fail(f"not a COCO instances file: {exc}")
    except RecursionError:
        return fail("not a COCO instances file: a value nested too deeply")
    except MemoryError:
        return fail("out of memory while checking it")
    elapsed = time.perf_counter() - t0
    if args.json:
        print(report.to_json(indent=1))
        return 0 if report.ok else 1
    n_ann, n_img = len(coco.get("annotations", [])), len(coco.get("images", []))
    print(f"{args.file}: {n_ann} annotations on {n_img} images checked in {elapsed:.2f} s")
    if report.ok:
        print("no problems found")
        return 0
    kinds = Counter(p.kind for p in report.problems)
    print(f"{len(report.problems)} problems: " + ", ".join(f"{k} {c}" for k, c in kinds.most_common()))
    for p in report.problems[:args.limit]:
        print(f"  {p.kind:<18} {p.message}")
    if len(report.problems) > args.limit:
        print(f"  ... {len(report.problems) - args.limit} more (--limit, or --json for all)")
    return 1


def _stats(args) -> int:
    from maskcore import jobs

    def go():
        t0 = time.perf_counter()
        res = jobs.stats(args.src, format=args.source_format, masks=args.masks, labels=_labels_arg(args.labels),
                         names=_names_arg(args),
                         background=args.background, **_common(args))
        s = res.summary
        lines = [f"{res.source} ({s['format']}): {s['images_read']} of {s['images']} images, {s['segments']} segments, "
                 f"{len(s['classes'])} classes seen ({s['categories_declared']} declared)",
                 "sizes: " + ", ".join(f"{k} x{v}" for k, v in list(s["image_sizes"].items())[:6]),
                 f"  {'id':>6} {'name':<24} {'images':>7} {'segments':>9} {'pixels':>12} {'area min/median/max':>24}"]
        for c in sorted(s["classes"], key=lambda c: -c["pixels"])[:args.limit]:
            area = (f"{c['area_min']}/{c['area_median']:g}/{c['area_max']}" if "area_min" in c else "")
            lines.append(f"  {c['id']:>6} {c['name'][:24]:<24} {c['images']:>7} {c['segments']:>9} {c['pixels']:>12} "
                         f"{area:>24}")
        if len(s["classes"]) > args.limit:
            lines.append(f"  ... {len(s['classes']) - args.limit} more classes (--limit, or --json)")
        return _emit(args, res, lines, t0)

    return _run_job(args, go)


def _options(pairs) -> dict:
    out = {}
    for p in pairs or []:
        if "=" not in p:
            raise _Usage(f"--option / --read-option: expected KEY=VALUE, got {p!r}")
        k, v = p.split("=", 1)
        try:
            import json

            out[k.replace("-", "_")] = json.loads(v)
        except ValueError:
            out[k.replace("-", "_")] = v
    return out


def _convert(args) -> int:
    from maskcore import jobs

    def go():
        t0 = time.perf_counter()
        res = jobs.convert(args.src, args.dst, to=args.to, format=args.source_format, masks=args.masks,
                           read_options=_options(args.read_option),
                           labels=_labels_arg(args.labels),
                           names=_names_arg(args), **_common(args), **_options(args.option))
        s = res.summary
        lines = [f"{res.source} -> {s['dst']} ({s.get('from', '?')} -> {s['to']})" +
                 (": already complete (--resume)" if s.get("skipped") else
                  f": {s['written']} of {s['images']} images written")]
        return _emit(args, res, lines, t0)

    return _run_job(args, go)


def _eval(args) -> int:
    from maskcore import jobs

    def go():
        t0 = time.perf_counter()
        res = jobs.evaluate(args.gt, args.pred, task=args.task, iou_type=args.iou_type, format=args.source_format,
                            format_pred=args.pred_format, masks=args.masks, masks_pred=args.pred_masks,
                            labels=_labels_arg(args.labels),
                            names=_names_arg(args), ignore=args.ignore, background=args.background,
                            **_common(args))
        s = res.summary
        lines = [f"{res.source}: {s['task']}"]
        if s["task"] == "instances":
            lines += [f"  {k:<6} {v:.3f}" for k, v in s["stats"].items()]
        elif s["task"] == "semantic":
            lines.append(f"  mIoU {s['mean_iou']:.4f}  mDice {s['mean_dice']:.4f}  pixel accuracy "
                         f"{s['pixel_accuracy']:.4f}")
            for c, n, i in zip(s["classes"], s["class_names"], s["iou"]):
                lines.append(f"  {c:>6} {n[:24]:<24} IoU {i:.4f}")
        else:
            for g in ("all", "things", "stuff"):
                d = s[g]
                if d["n"]:
                    lines.append(f"  {g:<7} PQ {100 * d['pq']:.1f}  SQ {100 * d['sq']:.1f}  RQ {100 * d['rq']:.1f}  "
                                 f"({d['n']} classes)")
        return _emit(args, res, lines, t0)

    return _run_job(args, go)


def _compare(args) -> int:
    from maskcore import jobs

    def go():
        t0 = time.perf_counter()
        res = jobs.compare(args.a, args.b, format=args.source_format, format_b=args.b_format, masks=args.masks,
                           masks_b=args.b_masks, labels=_labels_arg(args.labels),
                           names=_names_arg(args), background=args.background,
                           ignore=args.ignore, **_common(args))
        s = res.summary
        lines = [f"{res.source}: {s['compared']} of {s['images']} images compared, mean IoU "
                 f"{s['mean_iou'] if s['mean_iou'] is None else round(s['mean_iou'], 4)}, pixel agreement "
                 f"{s['pixel_agreement'] if s['pixel_agreement'] is None else round(s['pixel_agreement'], 4)}"]
        if "instances" in s:
            i = s["instances"]
            lines.append(f"instances: {i['matched']} matched, {i['only_a']} only in A, {i['only_b']} only in B")
        lines.append("images that disagree most:")
        for r in s["per_image"][:args.limit]:
            lines.append(f"  {r['image']}: mean IoU {r['mean_iou']:.4f}, boundary IoU {r['mean_boundary_iou']:.4f}")
        return _emit(args, res, lines, t0)

    return _run_job(args, go)


def _render(args) -> int:
    from maskcore import jobs

    def go():
        t0 = time.perf_counter()
        res = jobs.render(args.src, images=args.images, out=args.out, format=args.source_format, masks=args.masks,
                          labels=_labels_arg(args.labels),
                          names=_names_arg(args), background=args.background, alpha=args.alpha,
                          **_common(args))
        lines = [f"{res.source}: {res.summary['written']} overlays written, {res.skipped} already there"]
        return _emit(args, res, lines, t0)

    return _run_job(args, go)


def _superpixels(args) -> int:
    from maskcore import jobs

    def go():
        t0 = time.perf_counter()
        res = jobs.superpixels(args.images, region_size=args.region_size, compactness=args.compactness, out=args.out,
                               **_common(args))
        lines = [f"{len(args.images)} images: labels and overlays in {args.out}"]
        return _emit(args, res, lines, t0)

    return _run_job(args, go)


def _find_checkout_dir(rel: str) -> Optional[Path]:
    here = Path.cwd().resolve()
    for d in (here, *here.parents, Path(__file__).resolve().parents[1]):
        if (d / rel).is_dir():
            return d / rel
    return None


def _demo(args) -> int:
    """convert + validate + report on the sample dataset (or on --data)."""
    from maskcore import jobs

    def go():
        t0 = time.perf_counter()
        out = Path(args.out)
        common = _common(args)
        steps = []
        if args.data is None:
            sample = Path(args.sample) if args.sample else _find_checkout_dir("examples/sample")
            if sample is None or not (sample / "coco" / "instances.json").is_file():
                raise _Usage("the sample dataset (examples/sample of a maskcore checkout) is not here; run this "
                             "inside a clone, or give --sample DIR or --data DIR")
            meta = {}
            if (sample / "labels.json").is_file():
                import json

                meta = json.loads((sample / "labels.json").read_text())
            title = "maskcore demo: the sample dataset"
            coco, images = sample / "coco" / "instances.json", sample / "images"
            label_dir = sample / "labels"
            labels = meta.get("labels")
            names = {int(k): v for k, v in meta.get("names", {}).items()}
        else:
            data = Path(args.data)
            coco, images = data / "coco_mini_val2017" / "instances_val2017.json", data / "coco_mini_val2017" / "images"
            if not coco.is_file():
                raise _Usage(f"--data {data}: expected coco_mini_val2017/instances_val2017.json there "
                             f"(the shared data)")
            label_dir, labels, names = None, None, None
            title = f"maskcore demo: {coco}"
        # 1. convert (the formats layer): the sample's label maps (a corrupt one: an item that
        # fails, the rest written), or the real COCO file (each image's segments numbered 1..n,
        # later segments over earlier ones, as COCO draws them)
        try:
            if label_dir is not None:
                conv = jobs.convert(label_dir, out / "index-png" / "segments.json", format="labels",
                                    to="index-png", labels=labels, names=names, **common)
                what = label_dir
            else:
                conv = jobs.convert(coco, out / "index-png" / "segments.json", to="index-png", renumber=True,
                                    overlap="later-wins", **common)
                what = coco
            steps.append(f"convert   {what} -> {out / 'index-png' / 'segments.json'} (+ masks/): " +
                         ("already complete" if conv.skipped else
                          f"{conv.summary['written']} images, {len(conv.errors)} failed"))
        except jobs.JobError as exc:
            conv = None
            steps.append(f"convert   skipped: {exc}")
        # 2. validate the label maps (sample) and the COCO file, with the report
        results = []
        if label_dir is not None and label_dir.is_dir():
            r = jobs.validate(label_dir, format="labels", labels=labels, names=names, min_island=args.min_island,
                              images=images,
                              report=out / "report-labels.html", json_path=out / "report-labels.json",
                              title="maskcore demo: sample label maps", **common)
            results.append(r)
            steps.append(f"validate  {label_dir}: {r.summary['problems']} problems, {len(r.errors)} items failed")
        r = jobs.validate(coco, format="coco", min_island=args.min_island, images=images, report=out / "report.html",
                          json_path=out / "report.json", title=title, **common)
        results.append(r)
        steps.append(f"validate  {coco}: {r.summary['problems']} problems, {len(r.errors)} items failed")
        code = max(x.exit_code for x in results + ([conv] if conv is not None else []))
        if _json_target(args) == "-":
            import json

            print(json.dumps({"reports": [str(out / "report.html")] + [o for x in results for o in x.outputs
                                                                      if o.endswith(".html")],
                              "exit_code": code}, indent=1))
            return code
        print("\n".join(steps))
        print(f"report: {(out / 'report.html').resolve()}")
        if label_dir is not None:
            print(f"report: {(out / 'report-labels.html').resolve()}")
        print(f"done in {time.perf_counter() - t0:.2f} s (exit code {code}: "
              f"{'clean' if code == 0 else 'problems found' + (', as the sample was made to have' if args.data is None else '')})")
        return code

    return _run_job(args, go)


def _job_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("running the job")
    g.add_argument("--scheduler", default=None, metavar="S",
                   help="threads (default with dask), processes, synchronous, or tcp://HOST:PORT of a "
                        "dask.distributed scheduler")
    g.add_argument("--workers", type=int, default=None, metavar="N", help="workers of the local schedulers")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no text unless something failed")
    g.add_argument("--fail-fast", action="store_true", help="stop at the first item that fails")
    g.add_argument("--resume", action="store_true", help="skip outputs already complete")
    g.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                   help="the result as JSON: on stdout (no PATH, or -; nothing else is printed there) or to PATH")
    g.add_argument("--limit", type=int, default=20, metavar="N", help="lines of problems / errors to print (20)")
    return p


def _source_args(p, masks=True, labels=True):
    p.add_argument("--from", dest="source_format", default=None, metavar="FORMAT",
                   help="the source's format: coco, coco-panoptic, labels (a folder of label-map PNGs) or any "
                        "maskcore.io format; a JSON file's is read from its content, a folder's must be given")
    if masks:
        p.add_argument("--masks", default=None, metavar="DIR", help="coco-panoptic: the PNG folder (default: found "
                                                                    "beside the JSON)")
    if labels:
        p.add_argument("--labels", nargs="+", default=None, metavar="L",
                       help="allowed class values, e.g. 0-20 255 (label maps)")
        p.add_argument("--names", default=None, metavar="JSON",
                       help="class names of label maps: a JSON file {value: name} (or {\"names\": {...}})")
    p.add_argument("--background", type=int, default=0, metavar="V", help="the background value (0)")


def _add_jobs(sub):
    parent = _job_parent()
    fmt = argparse.RawDescriptionHelpFormatter

    demo = sub.add_parser("demo", parents=[parent], formatter_class=fmt,
                          help="the main job on the bundled sample dataset: convert, validate, HTML report",
                          description="Converts the sample dataset of this repository (examples/sample, generated "
                                      "by tools/make_sample.py: images, label maps, COCO and panoptic annotations "
                                      "with deliberate defects), validates it and writes the HTML report, then "
                                      "prints where it is. --data DIR runs the same on the real data "
                                      "(../shared/data).")
    demo.add_argument("--data", default=None, metavar="DIR", help="run on this data folder instead (../shared/data)")
    demo.add_argument("--sample", default=None, metavar="DIR", help="the sample folder (default: examples/sample)")
    demo.add_argument("--out", default="maskcore-demo", metavar="DIR", help="where to write (maskcore-demo/)")
    demo.add_argument("--min-island", type=int, default=4, metavar="N", help="smallest component not reported (4)")
    demo.set_defaults(func=_demo)

    v = sub.add_parser("validate", parents=[parent], formatter_class=fmt,
                       help="QA of a whole dataset: label maps, COCO files, panoptic PNGs",
                       description="Checks every image: unknown ids, anti-aliased edges, overlaps, split instances, "
                                   "tiny islands, empty masks, declared area/bbox against the pixels, class "
                                   "histograms and class-share anomalies across images. Exit code 1 when any "
                                   "problem is found or an item could not be read.\n\nexample:\n"
                                   "  maskcore validate VOC/SegmentationClass --from labels --labels 0-20 255 "
                                   "--min-island 10 --report report.html")
    v.add_argument("src", help="a COCO / panoptic JSON, or a folder with --from")
    _source_args(v)
    v.add_argument("--min-island", type=int, default=0, metavar="N",
                   help="report connected components smaller than N pixels (0: off)")
    v.add_argument("--no-overlap", action="store_true", help="report overlapping instances of one image")
    v.add_argument("--report", default=None, metavar="HTML", help="write the self-contained HTML report there")
    v.add_argument("--images", default=None, metavar="DIR", help="the photos, for the report's thumbnails")
    v.add_argument("--thumbnails", type=int, default=12, metavar="N", help="worst problems pictured (12)")
    v.set_defaults(func=_validate)

    check = sub.add_parser("check-coco", parents=[parent], formatter_class=fmt,
                           help="validate a COCO instances file (an alias of validate --from coco)",
                           description="Checks every annotation of a COCO instances file (maskcore validate with "
                                       "--from coco): ids, polygon shapes, RLE sizes and counts, empty masks, "
                                       "declared bbox and area against the pixels, split instances, optionally "
                                       "overlaps. Exit code 1 if any problem, 2 if the file cannot be read.")
    check.add_argument("file", help="a COCO instances .json")
    check.add_argument("--no-overlap", action="store_true",
                       help="also report overlapping non-crowd annotations of one image")
    check.set_defaults(func=_check_coco)

    c = sub.add_parser("convert", parents=[parent], formatter_class=fmt, help="any maskcore.io reader -> any writer",
                       description="Reads SRC (--from, or told from a JSON's content) and writes DST in --to "
                                   "(maskcore.io formats: coco, coco-panoptic, index-png, rgb, voc, cityscapes, "
                                   "yolo-seg, kaggle-csv, cvat, labelme, nifti). DST appears only when complete.")
    c.add_argument("src")
    c.add_argument("dst")
    c.add_argument("--to", required=True, metavar="FORMAT", help="the output format")
    _source_args(c)
    c.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="a writer option (JSON value), e.g. --option renumber=true; repeatable")
    c.add_argument("--read-option", action="append", metavar="KEY=VALUE",
                   help="a reader option (JSON value), e.g. --read-option strict=false; repeatable")
    c.set_defaults(func=_convert)

    e = sub.add_parser("eval", parents=[parent], formatter_class=fmt, help="predictions against ground truth",
                       description="--task instances: COCO AP (maskcore.cocoeval) of a results file against a COCO "
                                   "GT file, --iou-type segm|bbox|boundary. --task semantic: confusion matrix, "
                                   "per-class IoU / Dice, mIoU of two label-map sets (matched by file name). "
                                   "--task panoptic: PQ / SQ / RQ of two COCO panoptic sets.")
    e.add_argument("gt")
    e.add_argument("pred")
    e.add_argument("--task", default="instances", choices=["instances", "semantic", "panoptic"])
    e.add_argument("--iou-type", default="segm", choices=["segm", "bbox", "boundary"])
    _source_args(e)
    e.add_argument("--pred-from", dest="pred_format", default=None, metavar="FORMAT", help="PRED's format (--from)")
    e.add_argument("--pred-masks", default=None, metavar="DIR", help="PRED's panoptic PNG folder")
    e.add_argument("--ignore", type=int, default=None, metavar="V", help="a ground-truth value left out (e.g. 255)")
    e.set_defaults(func=_eval)

    cm = sub.add_parser("compare", parents=[parent], formatter_class=fmt,
                        help="inter-annotator agreement between two annotations of the same images",
                        description="IoU / Dice / boundary IoU per image, per class and pooled, instance matching "
                                    "for instance sources; the images that disagree most first.")
    cm.add_argument("a")
    cm.add_argument("b")
    _source_args(cm)
    cm.add_argument("--b-from", dest="b_format", default=None, metavar="FORMAT", help="B's format (default --from)")
    cm.add_argument("--b-masks", default=None, metavar="DIR", help="B's panoptic PNG folder")
    cm.add_argument("--ignore", type=int, default=None, metavar="V", help="a class value left out of both")
    cm.set_defaults(func=_compare)

    r = sub.add_parser("render", parents=[parent], formatter_class=fmt, help="overlay PNGs of a dataset",
                       description="One PNG per image in --out: the photo with the classes blended in, instance "
                                   "outlines, and a legend; colours fixed per class.")
    r.add_argument("src")
    _source_args(r)
    r.add_argument("--images", default=None, metavar="DIR", help="the photos (without: grey background)")
    r.add_argument("--out", required=True, metavar="DIR")
    r.add_argument("--alpha", type=float, default=0.45, help="opacity of the class colours (0.45)")
    r.set_defaults(func=_render)

    sp = sub.add_parser("superpixels", parents=[parent], formatter_class=fmt, help="SLIC superpixels of images",
                        description="maskcore.slic on each image: <stem>_labels.png (16-bit labels) and "
                                    "<stem>_overlay.png (boundaries in yellow) in --out.")
    sp.add_argument("images", nargs="+", metavar="IMAGE")
    sp.add_argument("--region-size", type=int, required=True, metavar="N", help="superpixel side in pixels")
    sp.add_argument("--compactness", type=float, default=10.0)
    sp.add_argument("--out", required=True, metavar="DIR")
    sp.set_defaults(func=_superpixels)

    st = sub.add_parser("stats", parents=[parent], formatter_class=fmt,
                        help="images, segments, classes, areas, class histogram",
                        description="Counts of a dataset: images and sizes, segments, and per class the images, "
                                    "segments, pixels and segment areas.")
    st.add_argument("src")
    _source_args(st)
    st.set_defaults(func=_stats)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="maskcore", description="maskcore: exact, fast segmentation-mask kernels and "
                                "the dataset jobs built on them. `maskcore COMMAND --help` documents each.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    info = sub.add_parser("info", help="print version, compiler and instruction sets in use")
    info.set_defaults(func=_info)
    _add_jobs(sub)
    bench = sub.add_parser(
        "bench", help="time maskcore against its peers (benchmarks/run.py of a checkout)", add_help=False,
        description="Runs benchmarks/run.py of a maskcore checkout; `maskcore bench --help` lists its options.")
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    bench.set_defaults(func=lambda args: _bench(args.bench_args))
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # every option after `bench` belongs to benchmarks/run.py
        return _bench(argv[1:])
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help or a usage error: return argparse's code instead of exiting
        return exc.code if isinstance(exc.code, int) else 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
