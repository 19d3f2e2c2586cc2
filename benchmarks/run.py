"""The benchmark runner behind ``maskcore bench``: times the cases of :mod:`cases` (the same
cases ``pytest benchmarks`` runs) with a small built-in timer and prints one table per group.

    python benchmarks/run.py [--quick] [--family NAME] [--group SUBSTR] [--list]

(``maskcore bench ...`` runs this file from a checkout.) The timer calls each case once (untimed:
warm-up and the correctness check), then takes samples until ``--min-time`` seconds have passed
and at least ``--min-rounds`` samples were taken, or ``--max-rounds`` samples exist, and reports
the median. Calls shorter than ~200 us are looped inside one sample so ``perf_counter``'s own cost
stays below ~1 %. The garbage collector is off while timing, as in ``timeit``.

Columns: ``median`` time per call; ``x ref``, the time over the group's reference row (the
memory-bandwidth reference where the group has one, else the fastest peer, else numpy: 1.00 is
the reference, 2.00 twice as slow); ``peer/x``, the fastest peer's time (pycocotools, OpenCV,
scikit-image, ...) over this row's (> 1 is faster than every peer). Peers that are not importable
show as "not installed"; a row whose result disagrees with the numpy oracle shows "WRONG" and makes
the exit code 1.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # `cases` (which finds tests/reference itself)
    sys.path.insert(0, str(HERE))

import cases as _cases  # noqa: E402

_FULL = dict(min_time=0.2, min_rounds=3, max_rounds=200)
_QUICK = dict(min_time=0.03, min_rounds=2, max_rounds=20)
_INNER_TARGET = 2e-4  # seconds per sample for fast calls (perf_counter costs ~50-100 ns)


def _fmt_time(t: float) -> str:
    if t >= 1:
        return f"{t:8.3f} s "
    if t >= 1e-3:
        return f"{t * 1e3:8.3f} ms"
    if t >= 1e-6:
        return f"{t * 1e6:8.3f} us"
    return f"{t * 1e9:8.1f} ns"


def time_callable(fn: Callable[[], Any], *, min_time: float, min_rounds: int,
                  max_rounds: int) -> "tuple[float, int, int]":
    """Median seconds per call of ``fn``, number of samples, calls per sample."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn()  # second call: caches are warm after the checked first call
        once = time.perf_counter() - t0
        inner = 1 if once >= _INNER_TARGET else max(1, math.ceil(_INNER_TARGET / max(once, 1e-8)))
        samples = []
        start = time.perf_counter()
        while len(samples) < max_rounds:
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            samples.append((time.perf_counter() - t0) / inner)
            if len(samples) >= min_rounds and time.perf_counter() - start >= min_time:
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(samples), len(samples), inner


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def _header(quick: bool) -> None:
    import numpy as np

    import maskcore

    lines = [f"maskcore {getattr(maskcore, '__version__', '?')}"]
    try:
        lines[0] += f", ISA {maskcore.get_isa()} (available: {', '.join(maskcore.available_isas())})"
    except Exception as exc:  # the bench must still run if the ISA API misbehaves
        lines[0] += f", ISA unknown ({exc!r})"
    from importlib.metadata import PackageNotFoundError, version

    peers = [f"numpy {np.__version__}"]
    for dist in ("pycocotools", "opencv-python-headless", "opencv-contrib-python-headless",
                 "scikit-image", "scipy", "connected-components-3d", "pillow", "fast-slic"):
        try:
            peers.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            pass
    lines.append(", ".join(peers) + f", Python {platform.python_version()}")
    lines.append(_machine())
    lines.append("sizes: " + ("--quick (smaller inputs, fewer rounds)" if quick else "full")
                 + "; widths x heights; median per call")
    print("\n".join(lines))


def _run_group(name: str, group: list, timing: dict, check: bool) -> "tuple[list, bool]":
    from cases import Unavailable

    rows, ok = [], True
    for case in group:
        row = {"case": case, "median": None, "note": "", "rounds": 0}
        try:
            fn = case.setup()
            result = fn()
            if check and case.check is not None:
                try:
                    case.check(result)
                except AssertionError as exc:
                    row["note"] = "WRONG: " + " ".join(str(exc).split())[:160]
                    ok = False
            del result
            row["median"], row["rounds"], row["inner"] = time_callable(fn, **timing)
        except Unavailable as exc:
            row["note"] = exc.label
            row["detail"] = str(exc)
        except Exception as exc:  # report and go on: one broken row must not hide the others
            row["note"] = f"ERROR: {type(exc).__name__}: " + " ".join(str(exc).split())[:160]
            ok = False
        rows.append(row)
    return rows, ok


_PEER_KINDS = ("pycocotools", "peer")


def _fastest(rows: list, kinds: tuple) -> Optional[dict]:
    timed = [r for r in rows if r["case"].kind in kinds and r["median"]]
    return min(timed, key=lambda r: r["median"]) if timed else None


def _reference(rows: list) -> Optional[dict]:
    for kinds in (("ref",), _PEER_KINDS, ("numpy",)):
        if (r := _fastest(rows, kinds)) is not None:
            return r
    return None


def _print_group(name: str, rows: list) -> None:
    ref = _reference(rows)
    peer = _fastest(rows, _PEER_KINDS)
    width = max(44, *(len(r["case"].name) + 2 for r in rows))
    print(f"\n{name}")
    print(f"  {'':{width}} {'median':>11} {'x ref':>8} {'peer/x':>8}")
    for r in rows:
        label = r["case"].name + (" *" if r is ref else "")
        if r["median"] is None:
            print(f"  {label:{width}} {r['note']}")
            continue
        ratio = f"{r['median'] / ref['median']:7.2f}x" if ref else ""
        speed = f"{peer['median'] / r['median']:7.2f}x" if peer else ""
        print(f"  {label:{width}} {_fmt_time(r['median']):>11} {ratio:>8} {speed:>8}"
              + (f"  {r['note']}" if r["note"] else ""))


def bench(args) -> int:
    import cases as bc

    families = list(args.family or [])
    needles = []
    for g in args.group or []:  # a family name given to --group selects that family
        (families if g.lower() in bc.FAMILIES else needles).append(g.lower())
    case_list = [c for fam in (families or [None]) for c in bc.cases(quick=args.quick, family=fam)]
    if needles:
        case_list = [c for c in case_list if any(n in c.group.lower() for n in needles)]
        if not case_list:
            names = sorted(bc.groups(bc.cases(quick=args.quick)))
            print(f"maskcore bench: no group matches --group {args.group!r}; groups are:\n  "
                  + "\n  ".join(names), file=sys.stderr)
            return 2
    grouped = bc.groups(case_list)
    if args.list:
        for name, group in grouped.items():
            print(name)
            for c in group:
                print(f"    {c.name}")
        return 0
    # pycocotools 2.0.x's decode() warns on every call under numpy 2 (copy=False to np.array)
    warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy keyword",
                            category=DeprecationWarning)
    timing = dict(_QUICK if args.quick else _FULL)
    if args.min_time is not None:
        timing["min_time"] = args.min_time
    _header(args.quick)
    print("  * = the group's reference row (x ref = time / its time)")
    all_ok = True
    t_start = time.perf_counter()
    for name, group in grouped.items():
        rows, ok = _run_group(name, group, timing, check=not args.no_check)
        all_ok &= ok
        _print_group(name, rows)
        sys.stdout.flush()
    print(f"\n{len(case_list)} cases in {time.perf_counter() - t_start:.1f} s"
          + ("" if all_ok else "; some rows are WRONG or raised ERROR (exit code 1)"))
    return 0 if all_ok else 1


def parser() -> argparse.ArgumentParser:
    bench = argparse.ArgumentParser(
        prog="maskcore bench",
        description="Time maskcore, maskcore forced to scalar, its peers, plain numpy and a "
                    "memory-bandwidth reference on deterministic inputs; one table per group.")
    bench.add_argument("--quick", action="store_true", help="smaller inputs and fewer rounds")
    bench.add_argument("--group", metavar="SUBSTR", action="append",
                       help="only groups whose name contains SUBSTR (case-insensitive; repeatable); "
                            "a family name (rle, raster, ...) selects that family")
    bench.add_argument("--family", action="append", choices=_cases.FAMILIES,
                       help="only this kernel family's cases (repeatable)")
    bench.add_argument("--list", action="store_true", help="list groups and cases, time nothing")
    bench.add_argument("--min-time", type=float, metavar="SECONDS",
                       help="time each case for at least this long (default 0.2, --quick 0.03)")
    bench.add_argument("--no-check", action="store_true",
                       help="skip comparing each result with the numpy oracle")
    return bench


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())
