"""The ``maskcore`` command.

``maskcore info``
    Print the version, compiler and instruction sets (``maskcore.show_config()``).
``maskcore check-coco FILE.json [--no-overlap] [--json] [--limit N]``
    Run :func:`maskcore.validate_coco` on a COCO instances file and print the problems found
    (exit code 1 when there are any, 2 when the file cannot be read).
``maskcore bench [--quick] [--family NAME] [--group SUBSTR] [--list]``
    Run ``benchmarks/run.py`` of a maskcore checkout (the current directory or a parent, or
    ``$MASKCORE_BENCH_DIR``): the cases ``pytest benchmarks`` runs, timed side by side with the
    peers, one table per group. The cases are not part of the installed package.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable, Optional, Sequence, cast

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
    return cast("Callable[[list[str]], int]", run["main"])(list(argv))


def _info(args: argparse.Namespace) -> int:
    import maskcore

    maskcore.show_config()
    return 0


def _check_coco(args: argparse.Namespace) -> int:
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


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="maskcore", description="maskcore: fast segmentation-mask kernels.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    info = sub.add_parser("info", help="print version, compiler and instruction sets in use")
    info.set_defaults(func=_info)
    check = sub.add_parser("check-coco", help="check a COCO instances file (maskcore.validate_coco)",
                           description="Check every annotation of a COCO instances file: ids, polygon "
                                       "shapes, RLE sizes and counts, empty masks, declared bbox and area "
                                       "against the pixels, optionally overlaps. Exit code 1 if any problem.")
    check.add_argument("file", help="a COCO instances .json")
    check.add_argument("--no-overlap", action="store_true",
                       help="also report overlapping non-crowd annotations of one image")
    check.add_argument("--json", action="store_true", help="print the full report as JSON")
    check.add_argument("--limit", type=int, default=20, metavar="N", help="problems to list (default 20)")
    check.set_defaults(func=_check_coco)
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
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
