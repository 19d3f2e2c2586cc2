"""Open-ended fuzzing of maskcore's parsers with atheris (libFuzzer for Python).

    pip install atheris
    python fuzz/run.py                          # every target, 60 s each
    python fuzz/run.py --seconds 3600 rle_string coco_json
    python fuzz/run.py --list

Each target (fuzz/targets.py) runs in its own process: libFuzzer never returns. The
corpus grows in fuzz/corpus/<target>/ (seeded with the inputs maskcore makes itself,
fuzz/targets.py: seeds()); an input that breaks a target is written to
fuzz/crashes/<target>/ and the run of that target stops with a non-zero status. Make
it a regression test by copying it to fuzz/regressions/<target>/ (tests/test_fuzz.py
replays every file there) and fixing the bug. Under the sanitizer build, run
``bash tools/sanitize.sh tests/test_fuzz.py`` instead (the bounded run and the
regressions; libFuzzer and ASan's preloaded runtime do not share a process well).
Without atheris the bounded hypothesis run is the fallback:
``MASKCORE_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _child(name: str, argv: list[str]) -> None:
    import atheris

    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    with atheris.instrument_imports(include=["maskcore"]):
        import targets

    target = targets.TARGETS[name]

    def one(data: bytes) -> None:
        target(data)

    atheris.Setup([sys.argv[0]] + argv, one)
    atheris.Fuzz()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--child"]:  # libFuzzer's own arguments follow: not argparse's
        _child(argv[1], argv[2:])
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("targets", nargs="*", help="target names (default: all)")
    p.add_argument("--seconds", type=int, default=60, help="time per target (default 60)")
    p.add_argument("--list", action="store_true", help="list the targets")
    args = p.parse_args(argv)
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    import targets

    if args.list:
        print("\n".join(sorted(targets.TARGETS)))
        return 0
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("fuzz/run.py: atheris is not installed (pip install atheris); the bounded fallback is "
              "MASKCORE_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py", file=sys.stderr)
        return 2
    names = args.targets or sorted(targets.TARGETS)
    unknown = [n for n in names if n not in targets.TARGETS]
    if unknown:
        print(f"fuzz/run.py: unknown target(s) {unknown}; --list shows them", file=sys.stderr)
        return 2
    seeds = targets.seeds()
    failed = []
    for name in names:
        corpus = HERE / "corpus" / name
        crashes = HERE / "crashes" / name
        corpus.mkdir(parents=True, exist_ok=True)
        crashes.mkdir(parents=True, exist_ok=True)
        for i, s in enumerate(seeds[name]):
            (corpus / f"seed-{i}").write_bytes(s)
        cmd = [sys.executable, __file__, "--child", name, f"-max_total_time={args.seconds}",
               f"-artifact_prefix={crashes}/", "-timeout=20", "-rss_limit_mb=4096", "-print_final_stats=1",
               str(corpus)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        print(f"== {name}: {args.seconds} s", flush=True)
        rc = subprocess.call(cmd, env=env, cwd=ROOT)
        if rc != 0:
            failed.append(name)
            print(f"== {name}: FAILED (exit {rc}); inputs in {crashes}", flush=True)
    print("== all targets ran clean" if not failed else f"== failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
