"""Which maskcore the benchmark scripts measure.

An installed maskcore (the wheel CI tests, a user's ``pip install``) wins. Only when none is
importable does a script measure this checkout, which then needs its in-place build
(``python setup.py build_ext --inplace``). Putting the checkout first unconditionally would
shadow an installed wheel with a source tree that has no ``_core``.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"


def pythonpath() -> list[str]:
    """The entries a script (or its child processes) needs on sys.path."""
    paths = [str(BENCHMARKS)]
    if importlib.util.find_spec("maskcore") is None:
        paths.append(str(ROOT))
    return paths


for _p in pythonpath():
    if _p not in sys.path:
        sys.path.insert(0, _p)
