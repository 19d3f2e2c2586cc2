"""The package as users get it: every subpackage importable, the console script working, the
type information shipped. Under the README's test command (tools/test_installed.sh sets
MASKCORE_TEST_INSTALLED to the checkout) it also proves that the suite ran against the installed
wheel, not against the source tree."""
import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import maskcore

from paths import REPO


def test_every_subpackage_imports():
    names = [m.name for m in pkgutil.walk_packages(maskcore.__path__, "maskcore.")]
    assert "maskcore._core" in names and "maskcore.cli" in names
    for name in names:
        if name.startswith("maskcore.dask"):
            pytest.importorskip("dask")
        importlib.import_module(name)


def test_type_information_is_shipped():
    root = Path(maskcore.__file__).parent
    assert (root / "py.typed").is_file()


@pytest.mark.skipif(not os.environ.get("MASKCORE_TEST_INSTALLED"), reason="not run by the README's test command")
def test_suite_runs_against_the_installed_package():
    installed = Path(maskcore.__file__).resolve()
    checkout = Path(os.environ["MASKCORE_TEST_INSTALLED"]).resolve()
    assert installed.parent != checkout / "maskcore", f"maskcore was imported from the source tree: {installed}"
    assert "site-packages" in installed.parts, f"maskcore is not an installed package: {installed}"


def _maskcore_command(*args, cwd):
    """The console script where it is installed, else ``python -m maskcore.cli`` on this maskcore."""
    exe = Path(sys.executable).with_name("maskcore")
    env = dict(os.environ)
    if exe.exists():
        cmd = [str(exe)]
    else:
        cmd = [sys.executable, "-m", "maskcore.cli"]
        env["PYTHONPATH"] = str(Path(maskcore.__file__).parents[1])
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env)


def test_console_script_info(tmp_path):
    r = _maskcore_command("info", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "maskcore" in r.stdout and "isa" in r.stdout


def test_bench_finds_the_checkout_and_takes_family_names_as_groups():
    r = _maskcore_command("bench", "--quick", "--group", "components", "--list", cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert "label" in r.stdout


def test_bench_outside_a_checkout_says_where_to_find_it(tmp_path, monkeypatch):
    env = dict(os.environ)
    env.pop("MASKCORE_BENCH_DIR", None)
    exe = Path(sys.executable).with_name("maskcore")
    if not exe.exists() or not os.environ.get("MASKCORE_TEST_INSTALLED"):
        pytest.skip("needs the installed console script (an editable install finds its checkout)")
    r = subprocess.run([str(exe), "bench", "--list"], cwd=tmp_path, capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 2
    assert "checkout" in r.stderr


def test_native_stub_names_every_entry_point():
    """maskcore/_core.pyi (tools/make_stub.sh) lists exactly the native module's names."""
    import ast

    from maskcore import _core

    stub = Path(maskcore.__file__).with_name("_core.pyi")
    assert stub.is_file(), "maskcore/_core.pyi is missing: run tools/make_stub.sh"
    tree = ast.parse(stub.read_text())
    stubbed = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    stubbed |= {t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    native = {n for n in dir(_core) if not n.startswith("_")}
    assert native - stubbed == set(), f"not in _core.pyi (run tools/make_stub.sh): {sorted(native - stubbed)}"
    assert stubbed - native - {"__all__"} == set(), f"stale in _core.pyi: {sorted(stubbed - native)}"
