"""pytest setup for the benchmarks (pytest-benchmark).

* Collects ``bench_*.py`` files even when the project's ``python_files`` setting only names
  ``test_*.py`` (files already matched by ``python_files`` or given on the command line are left to
  pytest, so nothing is collected twice).
* ``--bench-quick`` runs the smaller inputs of ``maskcore bench --quick``.
* Real-data cases read ``<repo>/../shared/data``; they skip, saying which file is missing, when it
  is absent. ``MASKCORE_BENCH_DATA`` points elsewhere.
"""

import fnmatch
import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# maskcore._benchcases resolves the data directory relative to its own file, which is wrong when
# maskcore is installed in site-packages; pin it to the checkout's ../shared/data here.
os.environ.setdefault("MASKCORE_BENCH_DATA", str(SHARED_DATA))


# pycocotools 2.0.x's decode() passes copy=False to np.array on an object whose __array__ predates
# numpy 2; numpy warns on every call. It is the peer's problem, not ours: keep it from turning into
# an error under the project's filterwarnings = ["error"] (later ini lines take precedence).
PYCOCO_NUMPY2_WARNING = "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", PYCOCO_NUMPY2_WARNING)


def pytest_addoption(parser):
    parser.addoption("--bench-quick", action="store_true", default=False,
                     help="maskcore benchmarks: use the smaller inputs of `maskcore bench --quick`")


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".py" or not file_path.name.startswith("bench_"):
        return None
    if parent.session.isinitpath(file_path):
        return None  # named on the command line: pytest collects it itself
    patterns = parent.config.getini("python_files")
    if any(fnmatch.fnmatch(file_path.name, p) for p in patterns):
        return None  # python_files already covers bench_*.py
    return pytest.Module.from_parent(parent, path=file_path)
