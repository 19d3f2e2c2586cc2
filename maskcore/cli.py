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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence

if TYPE_CHECKING:
    from .jobs import JobResult

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
    code: int = run["main"](list(argv))
    return code


def _info(args: argparse.Namespace) -> int:
    import maskcore

    maskcore.show_config()
    return 0


# ---- option values -----------------------------------------------------------------------------------

class _Usage(Exception):
    """A usage error found after parsing (exit code 2)."""


def _int_list(text: str) -> list[int]:
    """``"0,1,2"``, ``"0-20,255"`` or ``"3"`` -> ints (ranges inclusive)."""
    out: list[int] = []
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


def _labels(values: Optional[Sequence[str]]) -> Optional[list[int]]:
    """--labels L [L ...] -> a list of ints, or None."""
    if not values:
        return None
    out: list[int] = []
    for v in values:
        try:
            out.extend(_int_list(v))
        except ValueError:
            raise _Usage(f"--labels: expected integers or ranges like 0-20,255, got {v!r}") from None
    return out


def _names(path: Optional[str]) -> Optional[dict[int, str]]:
    """--names JSON -> {value: name}, or None."""
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


def _options(pairs: Optional[Sequence[str]]) -> dict[str, Any]:
    """--option / --read-option KEY=VALUE ... -> {key: JSON value (or the text)}."""
    import json

    out = {}
    for p in pairs or []:
        if "=" not in p:
            raise _Usage(f"--option / --read-option: expected KEY=VALUE, got {p!r}")
        k, v = p.split("=", 1)
        try:
            out[k.replace("-", "_")] = json.loads(v)
        except ValueError:
            out[k.replace("-", "_")] = v
    return out


# ---- the command table -----------------------------------------------------------------------------------
#
# Every dataset command is one row of COMMANDS: its help, its arguments, the maskcore.jobs
# function it calls and how its result reads as text. An argument names the job keyword it
# feeds (``job=``; the argparse dest when omitted, ``None``: the runner's own, ``"**"``: a dict
# spread into the keywords) and how its value converts (``conv=``). One runner, _run, builds the
# keywords, calls the job, maps errors to exit codes and prints the result.

_SELF = None  # job= of an option the runner keeps (not passed to the job)
_SPREAD = "**"


@dataclass(frozen=True)
class Arg:
    flags: tuple[str, ...]
    opts: dict[str, Any]
    job: Optional[str] = ""  # "": the dest
    conv: Optional[Callable[[Any], Any]] = None


def arg(*flags: str, job: Optional[str] = "", conv: Optional[Callable[[Any], Any]] = None, **opts: Any) -> Arg:
    return Arg(flags, opts, job, conv)


# Every dataset command: how to run the job (job keywords) and how to print it (the runner's).
RUNNING = (
    arg("--scheduler", default=None, metavar="S",
        help="threads (default with dask), processes, synchronous, or tcp://HOST:PORT of a dask.distributed "
             "scheduler"),
    arg("--workers", type=int, default=None, metavar="N", help="workers of the local schedulers"),
    arg("--quiet", "-q", action="store_true", job="progress", conv=lambda quiet: not quiet,
        help="no progress bar, no text unless something failed"),
    arg("--fail-fast", action="store_true", help="stop at the first item that fails"),
    arg("--resume", action="store_true", help="skip outputs already complete"),
    arg("--json", nargs="?", const="-", default=None, metavar="PATH", job=_SELF,
        help="the result as JSON: on stdout (no PATH, or -; nothing else is printed there) or to PATH"),
    arg("--limit", type=int, default=20, metavar="N", job=_SELF, help="lines of problems / errors to print (20)"),
)

# A dataset source: its format and what reading it needs.
SOURCE = (
    arg("--from", dest="source_format", default=None, metavar="FORMAT", job="format",
        help="the source's format: coco, coco-panoptic, labels (a folder of label-map PNGs) or any maskcore.io "
             "format; a JSON file's is read from its content, a folder's must be given"),
    arg("--masks", default=None, metavar="DIR", help="coco-panoptic: the PNG folder (default: found beside the JSON)"),
    arg("--labels", nargs="+", default=None, metavar="L", conv=_labels,
        help="allowed class values, e.g. 0-20 255 (label maps)"),
    arg("--names", default=None, metavar="JSON", conv=_names,
        help="class names of label maps: a JSON file {value: name} (or {\"names\": {...}})"),
    arg("--background", type=int, default=0, metavar="V", help="the background value (0)"),
)


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    description: str
    args: tuple[Arg, ...]
    job: str = ""  # the maskcore.jobs function; "" with handler
    text: Optional[Callable[[JobResult, argparse.Namespace], list[str]]] = None  # the summary's lines
    handler: Optional[Callable[[argparse.Namespace], int]] = None  # a command that runs itself -> exit code
    json_path: bool = False  # --json PATH is the job's json_path (written by the job; --resume reads it back)
    list_outputs: bool = True  # "wrote PATH" per output (else one line: how many, where)


def _common(args: argparse.Namespace) -> dict[str, Any]:
    """The job keywords of the RUNNING options (scheduler, workers, progress, fail_fast, resume)."""
    return _keywords(RUNNING, args)


def _keywords(specs: Iterable[Arg], args: argparse.Namespace) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    for a in specs:
        if a.job is _SELF:
            continue
        dest = a.opts.get("dest") or a.flags[0].lstrip("-").replace("-", "_")
        value = getattr(args, dest)
        if a.conv is not None:
            value = a.conv(value)
        if a.job == _SPREAD:
            kw.update(value)
        else:
            kw[a.job or dest] = value
    return kw


def _json_target(args: argparse.Namespace) -> Any:
    """--json: None (not asked), "-" (stdout) or a path."""
    return getattr(args, "json", None)


def _run(args: argparse.Namespace) -> int:
    """A dataset command: the job's keywords from the arguments, the job, the result printed."""
    cmd = args.command_spec

    def go() -> int:
        from maskcore import jobs

        t0 = time.perf_counter()
        kw = _keywords(cmd.args + RUNNING, args)
        target = _json_target(args)
        if cmd.json_path:
            kw["json_path"] = target if target not in (None, "-") else None
        res = getattr(jobs, cmd.job)(**kw)
        return _emit(args, res, cmd.text(res, args), t0, cmd.list_outputs)

    return _guarded(args, go)


def _emit(args: argparse.Namespace, res: JobResult, text_lines: Iterable[str], t0: float,
          list_outputs: bool = True) -> int:
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
    if list_outputs:
        lines += [f"wrote {o}" for o in res.outputs]
    elif res.outputs:
        lines.append(f"wrote {len(res.outputs)} files to {res.summary.get('out')}")
    lines.append(f"done in {time.perf_counter() - t0:.2f} s: " + ("clean" if res.ok else "exit code 1"))
    if not args.quiet or res.exit_code:
        print("\n".join(lines))
    return res.exit_code


def _guarded(args: argparse.Namespace, fn: Callable[[], int]) -> int:
    """Run a command with the errors mapped to exit codes and one clear line each."""
    from maskcore.jobs import FailFast, JobError, SourceError

    prog = f"maskcore {args.command}"
    try:
        return fn()
    except (_Usage, SourceError, ImportError, ValueError, TypeError) as exc:  # usage, unreadable input
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except FailFast as exc:
        print(f"{prog}: stopped at the first failure (--fail-fast): {exc.error}", file=sys.stderr)
        return 1
    except JobError as exc:
        print(f"{prog}: the job failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; outputs written so far are complete, --resume goes on from them",
              file=sys.stderr)
        return 130


# ---- each command's summary ---------------------------------------------------------------------------

def _validate_text(res: JobResult, args: argparse.Namespace) -> list[str]:
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


def _stats_text(res: JobResult, args: argparse.Namespace) -> list[str]:
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
    return lines


def _convert_text(res: JobResult, args: argparse.Namespace) -> list[str]:
    s = res.summary
    return [f"{res.source} -> {s['dst']} ({s.get('from', '?')} -> {s['to']})" +
            (": already complete (--resume)" if s.get("skipped") else
             f": {s['written']} of {s['images']} images written")]


def _eval_text(res: JobResult, args: argparse.Namespace) -> list[str]:
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
    return lines


def _compare_text(res: JobResult, args: argparse.Namespace) -> list[str]:
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
    return lines


# ---- the commands that run themselves -----------------------------------------------------------------

def _check_coco(args: argparse.Namespace) -> int:
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


def _find_checkout_dir(rel: str) -> Optional[Path]:
    here = Path.cwd().resolve()
    for d in (here, *here.parents, Path(__file__).resolve().parents[1]):
        if (d / rel).is_dir():
            return d / rel
    return None


def _demo(args: argparse.Namespace) -> int:
    """convert + validate + report on the sample dataset (or on --data)."""
    from maskcore import jobs

    def go() -> int:
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

    return _guarded(args, go)


COMMANDS = (
    Command("demo", "the main job on the bundled sample dataset: convert, validate, HTML report",
            "Converts the sample dataset of this repository (examples/sample, generated by tools/make_sample.py: "
            "images, label maps, COCO and panoptic annotations with deliberate defects), validates it and writes "
            "the HTML report, then prints where it is. --data DIR runs the same on the real data (../shared/data).",
            (arg("--data", default=None, metavar="DIR", help="run on this data folder instead (../shared/data)"),
             arg("--sample", default=None, metavar="DIR", help="the sample folder (default: examples/sample)"),
             arg("--out", default="maskcore-demo", metavar="DIR", help="where to write (maskcore-demo/)"),
             arg("--min-island", type=int, default=4, metavar="N", help="smallest component not reported (4)")),
            handler=_demo),
    Command("validate", "QA of a whole dataset: label maps, COCO files, panoptic PNGs",
            "Checks every image: unknown ids, anti-aliased edges, overlaps, split instances, tiny islands, empty "
            "masks, declared area/bbox against the pixels, class histograms and class-share anomalies across "
            "images. Exit code 1 when any problem is found or an item could not be read.\n\nexample:\n"
            "  maskcore validate VOC/SegmentationClass --from labels --labels 0-20 255 --min-island 10 "
            "--report report.html",
            (arg("src", help="a COCO / panoptic JSON, or a folder with --from"), *SOURCE,
             arg("--min-island", type=int, default=0, metavar="N",
                 help="report connected components smaller than N pixels (0: off)"),
             arg("--no-overlap", action="store_true", job="allow_overlap", conv=lambda no: not no,
                 help="report overlapping instances of one image"),
             arg("--report", default=None, metavar="HTML", help="write the self-contained HTML report there"),
             arg("--images", default=None, metavar="DIR", help="the photos, for the report's thumbnails"),
             arg("--thumbnails", type=int, default=12, metavar="N", help="worst problems pictured (12)")),
            job="validate", text=_validate_text, json_path=True),
    Command("check-coco", "validate a COCO instances file (an alias of validate --from coco)",
            "Checks every annotation of a COCO instances file (maskcore validate with --from coco): ids, polygon "
            "shapes, RLE sizes and counts, empty masks, declared bbox and area against the pixels, split "
            "instances, optionally overlaps. Exit code 1 if any problem, 2 if the file cannot be read.",
            (arg("file", help="a COCO instances .json"),
             arg("--no-overlap", action="store_true", help="also report overlapping non-crowd annotations of one "
                                                            "image")),
            handler=_check_coco),
    Command("convert", "any maskcore.io reader -> any writer",
            "Reads SRC (--from, or told from a JSON's content) and writes DST in --to (maskcore.io formats: coco, "
            "coco-panoptic, index-png, rgb, voc, cityscapes, yolo-seg, kaggle-csv, cvat, labelme, nifti). DST "
            "appears only when complete.",
            (arg("src"), arg("dst"), arg("--to", required=True, metavar="FORMAT", help="the output format"), *SOURCE,
             arg("--option", action="append", metavar="KEY=VALUE", job=_SPREAD, conv=_options,
                 help="a writer option (JSON value), e.g. --option renumber=true; repeatable"),
             arg("--read-option", action="append", metavar="KEY=VALUE", job="read_options", conv=_options,
                 help="a reader option (JSON value), e.g. --read-option strict=false; repeatable")),
            job="convert", text=_convert_text),
    Command("eval", "predictions against ground truth",
            "--task instances: COCO AP (maskcore.cocoeval) of a results file against a COCO GT file, --iou-type "
            "segm|bbox|boundary. --task semantic: confusion matrix, per-class IoU / Dice, mIoU of two label-map "
            "sets (matched by file name). --task panoptic: PQ / SQ / RQ of two COCO panoptic sets.",
            (arg("gt"), arg("pred"), arg("--task", default="instances", choices=["instances", "semantic", "panoptic"]),
             arg("--iou-type", default="segm", choices=["segm", "bbox", "boundary"]), *SOURCE,
             arg("--pred-from", dest="pred_format", default=None, metavar="FORMAT", job="format_pred",
                 help="PRED's format (--from)"),
             arg("--pred-masks", default=None, metavar="DIR", job="masks_pred", help="PRED's panoptic PNG folder"),
             arg("--ignore", type=int, default=None, metavar="V", help="a ground-truth value left out (e.g. 255)")),
            job="evaluate", text=_eval_text),
    Command("compare", "inter-annotator agreement between two annotations of the same images",
            "IoU / Dice / boundary IoU per image, per class and pooled, instance matching for instance sources; "
            "the images that disagree most first.",
            (arg("a"), arg("b"), *SOURCE,
             arg("--b-from", dest="b_format", default=None, metavar="FORMAT", job="format_b",
                 help="B's format (default --from)"),
             arg("--b-masks", default=None, metavar="DIR", job="masks_b", help="B's panoptic PNG folder"),
             arg("--ignore", type=int, default=None, metavar="V", help="a class value left out of both")),
            job="compare", text=_compare_text),
    Command("render", "overlay PNGs of a dataset",
            "One PNG per image in --out: the photo with the classes blended in, instance outlines, and a legend; "
            "colours fixed per class.",
            (arg("src"), *SOURCE,
             arg("--images", default=None, metavar="DIR", help="the photos (without: grey background)"),
             arg("--out", required=True, metavar="DIR"),
             arg("--alpha", type=float, default=0.45, help="opacity of the class colours (0.45)")),
            job="render", list_outputs=False,
            text=lambda res, args: [f"{res.source}: {res.summary['written']} overlays written, "
                                    f"{res.skipped} already there"]),
    Command("superpixels", "SLIC superpixels of images",
            "maskcore.slic on each image: <stem>_labels.png (16-bit labels) and <stem>_overlay.png (boundaries in "
            "yellow) in --out.",
            (arg("images", nargs="+", metavar="IMAGE"),
             arg("--region-size", type=int, required=True, metavar="N", help="superpixel side in pixels"),
             arg("--compactness", type=float, default=10.0),
             arg("--out", required=True, metavar="DIR")),
            job="superpixels", list_outputs=False,
            text=lambda res, args: [f"{len(args.images)} images: labels and overlays in {args.out}"]),
    Command("stats", "images, segments, classes, areas, class histogram",
            "Counts of a dataset: images and sizes, segments, and per class the images, segments, pixels and "
            "segment areas.",
            (arg("src"), *SOURCE), job="stats", text=_stats_text),
)


def _add(parser_or_group: Any, specs: Iterable[Arg]) -> None:
    for a in specs:
        parser_or_group.add_argument(*a.flags, **a.opts)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="maskcore", description="maskcore: exact, fast segmentation-mask kernels and "
                                "the dataset jobs built on them. `maskcore COMMAND --help` documents each.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    info = sub.add_parser("info", help="print version, compiler and instruction sets in use")
    info.set_defaults(func=_info)
    running = argparse.ArgumentParser(add_help=False)
    _add(running.add_argument_group("running the job"), RUNNING)
    for cmd in COMMANDS:
        c = sub.add_parser(cmd.name, parents=[running], formatter_class=argparse.RawDescriptionHelpFormatter,
                           help=cmd.help, description=cmd.description)
        _add(c, cmd.args)
        c.set_defaults(func=cmd.handler or _run, command_spec=cmd)
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
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
