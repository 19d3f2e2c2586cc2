"""pytest setup for the benchmarks (pytest-benchmark).

* Collects ``bench_*.py`` files even when the project's ``python_files`` setting only names
  ``test_*.py`` (files already matched by ``python_files`` or given on the command line are left to
  pytest, so nothing is collected twice).
* Parametrizes ``case`` in each ``bench_<family>.py`` over the cases of ``cases.<family>``
  (the module names its family in ``FAMILY``); the ``run_case`` fixture times one case and checks
  its result, so ``--benchmark-disable`` turns every row of every table into a test.
* ``--bench-quick`` runs the smaller inputs of ``maskcore bench --quick``.
* Real-data cases read ``<repo>/../shared/data``; they skip, saying which file is missing, when it
  is absent. ``MASKCORE_BENCH_DATA`` points elsewhere.
"""

import fnmatch

import pytest

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


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        import cases as _bench

        quick = metafunc.config.getoption("bench_quick", default=False)
        cases = _bench.cases(quick=quick, family=metafunc.module.FAMILY)
        metafunc.parametrize("case", cases, ids=[c.id for c in cases])


@pytest.fixture
def run_case(benchmark):
    """``run_case(case)``: time ``case`` in its group, then check the result of the timed call."""
    import cases as _bench

    def run(case):
        benchmark.group = case.group
        benchmark.extra_info["case"] = case.name
        benchmark.extra_info["kind"] = case.kind
        try:
            fn = case.setup()
        except _bench.Unavailable as exc:
            pytest.skip(f"{exc.label}: {exc}")
        result = benchmark(fn)
        if case.check is not None:
            case.check(result)

    return run
