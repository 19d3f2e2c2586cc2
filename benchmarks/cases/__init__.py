"""Benchmark cases: the one source of truth for ``benchmarks/bench_<family>.py`` and ``maskcore bench``.

A case is ``Case(group, name, setup, check, kind)``. ``setup()`` builds (or fetches from a cache)
everything the operation needs and returns a zero-argument callable that runs *one* timed
operation and returns its result; ``check(result)`` raises ``AssertionError`` when that result is
wrong, so a smoke run (``pytest benchmarks --benchmark-disable``) also proves that every row of a
table computes the same thing. ``setup()`` raises :class:`NotInstalled` for a peer that is not
importable and :class:`NoData` for a real-data case whose files are absent; runners show or skip
those rows instead of failing.

One module per kernel family (:data:`FAMILIES`), each with ``cases(quick) -> iterable of Case``.
Every group puts side by side:

* ``maskcore`` (the ISA chosen at import, or ``MASKCORE_ISA``) and ``maskcore [scalar]``
  (the same call inside ``maskcore.use_isa("scalar")``: the reference kernel the SIMD variants
  are checked against), plus ``threads=`` variants where the API has them;
* ``peer`` rows: the libraries maskcore replaces (pycocotools, OpenCV, scikit-image, scipy, cc3d,
  PIL, ...), named in the row (``kind="pycocotools"`` is kept for the COCO RLE rows);
* ``numpy``: a short, obviously-correct plain-numpy implementation (the naive baseline a user
  would write; the same functions double as the oracle for ``check``);
* ``ref: ...``: for one-pass kernels, a numpy operation that touches the same memory once
  (``np.count_nonzero`` to read a mask, ``np.copyto`` to write one). Nothing that reads or writes
  those bytes can beat it by much, so ``time / ref`` says how far a kernel is from the
  memory-bandwidth limit.

Inputs are deterministic (fixed seeds, :func:`rng`), built on first use and cached for the
process. Sizes are written as image resolutions, ``width x height`` (``1920x1080`` is a
(1080, 1920) array). ``cases(quick=True)`` uses smaller inputs for ``maskcore bench --quick``.
"""


from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

# The numpy oracles live in the checkout's tests/reference (``from reference import ...``).
_TESTS = str(Path(__file__).resolve().parents[2] / "tests")
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

__all__ = ["twin_rows", "Case", "Unavailable", "NotInstalled", "NoData", "FAMILIES", "cases", "groups", "data_dir", "rng"]

FAMILIES = ("rle", "raster", "components", "superpixels", "contours", "metrics", "cocoeval", "formats", "dask", "jobs")

SEED = 20_240_607  # any fixed value; changing it changes every input


# --------------------------------------------------------------------------------------------
# Case type and availability


class Unavailable(Exception):
    """A case cannot run here (its ``str`` says why); runners skip it or print the reason."""

    label = "unavailable"


class NotInstalled(Unavailable):
    label = "not installed"


class NoData(Unavailable):
    label = "no data"


@dataclass(frozen=True)
class Case:
    group: str
    name: str
    setup: Callable[[], Callable[[], Any]]
    check: Optional[Callable[[Any], None]] = None
    kind: str = "maskcore"  # "maskcore" | "maskcore.coco" | "pycocotools" | "numpy" | "ref"

    @property
    def id(self) -> str:
        return f"{self.group} | {self.name}"


def module(name: str, what: str):
    """The module ``name``, or NotInstalled saying ``what`` is missing."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise NotInstalled(f"{what} ({exc})") from None


def _maskcore():
    return module("maskcore", "maskcore is not importable")


def _maskcore_coco():
    return module("maskcore.coco", "maskcore.coco is not importable")


def _pycoco():
    return module("pycocotools.mask", "pycocotools is not installed")


def _pycoco_private():
    return module("pycocotools._mask", "pycocotools is not installed")


def _pycoco_codec(name: str):
    """pycocotools' private string codec helper ``name`` (see the codec cases below)."""
    pm = _pycoco_private()
    if not hasattr(pm, name):
        raise NotInstalled(f"pycocotools._mask.{name} is gone in this pycocotools version")
    return getattr(pm, name)


def have(loader) -> bool:
    try:
        loader()
    except Unavailable:
        return False
    return True


_FORCED = ["scalar"]  # the ISA that scalar() forces; twin_rows() switches it while building an [avx2] twin


def scalar(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Run ``fn`` with the scalar kernels forced (and the previous ISA restored afterwards).

    Inside :func:`twin_rows`' ``[avx2]`` twins the same call forces ``avx2`` instead, so every
    ``[scalar]`` row of every family gets its AVX2 counterpart without writing it twice."""
    mc = _maskcore()
    isa = _FORCED[0]
    if isa not in mc.available_isas():  # the spec promises scalar; say so clearly if not
        raise NotInstalled(f"maskcore.available_isas() has no {isa!r}: {mc.available_isas()}")

    def run():
        with mc.use_isa(isa):
            return fn()

    return run


def _forced(isa: str, setup: Callable[[], Callable[[], Any]]) -> Callable[[], Callable[[], Any]]:
    def twin_setup():
        _FORCED[0] = isa
        try:
            return setup()
        finally:
            _FORCED[0] = "scalar"
    return twin_setup


def twin_rows(case_list: list) -> list:
    """``case_list`` with an ``[avx2]`` row after every ``[scalar]`` row: the same call with
    ``MASKCORE_ISA=avx2``'s kernels, i.e. what an AVX2-only CPU runs. Added only where the
    plain ``maskcore`` rows use a wider ISA (an AVX-512 machine); on an AVX2-only machine
    they are the plain rows."""
    try:
        mc = _maskcore()
    except Unavailable:
        return case_list
    if "avx2" not in mc.available_isas() or mc.get_isa() in ("avx2", "scalar"):
        return case_list
    out = []
    for c in case_list:
        out.append(c)
        if "[scalar]" in c.name:
            out.append(Case(c.group, c.name.replace("[scalar]", "[avx2]"), _forced("avx2", c.setup), c.check, c.kind))
    return out


def data_dir() -> Path:
    """Where real-data cases look (the one place the benchmarks compute it):
    ``$MASKCORE_BENCH_DATA``, else ``$MASKCORE_SHARED_DATA`` (the tests' variable, see
    tests/paths.py), else ``<repo>/../shared/data``, else one level further up (a git
    worktree beside the main checkout); the first of the last two that exists."""
    env = os.environ.get("MASKCORE_BENCH_DATA") or os.environ.get("MASKCORE_SHARED_DATA")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]  # <repo>/benchmarks/cases/
    near, far = repo.parent / "shared" / "data", repo.parents[1] / "shared" / "data"
    return far if not near.is_dir() and far.is_dir() else near


# --------------------------------------------------------------------------------------------
# Deterministic inputs


def rng(*key) -> np.random.Generator:
    return np.random.default_rng([SEED, *[hash_str(k) for k in key]])


def hash_str(k) -> int:
    if isinstance(k, int):
        return k
    return int.from_bytes(str(k).encode(), "little") % (2**63)


# --------------------------------------------------------------------------------------------


def cases(quick: bool = False, family: Optional[str] = None) -> list:
    """Every case of every family (or of ``family``), in group order."""
    names = FAMILIES if family is None else (family,)
    out: list = []
    for name in names:
        if name not in FAMILIES:
            raise ValueError(f"family: expected one of {FAMILIES}, got {name!r}")
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue  # a family without benchmarks yet
        out += list(mod.cases(quick))
    return twin_rows(out)


def groups(case_list) -> "dict[str, list]":
    out: dict = {}
    for c in case_list:
        out.setdefault(c.group, []).append(c)
    return out
