"""The by-hand benchmark scripts run (the figures in benchmarks/RESULTS.md come from them)."""
import subprocess
import sys

import pytest

from paths import BENCHMARKS


def test_scaling_script_runs_dask_label_pairs():
    pytest.importorskip("dask", reason="dask (the [dask] extra) is not installed")
    run = subprocess.run([sys.executable, str(BENCHMARKS / "scaling.py"), "dask-label", "--size", "600",
                          "--chunks", "128", "--pairs", "1"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "maskcore.dask.label 600x600, chunks 128, workers 1:" in run.stdout
    assert "machine ceiling now" in run.stdout
