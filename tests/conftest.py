"""Shared fixtures: the ISA sweep and the hypothesis profiles.

Profiles: "ci" (derandomized, bounded: the default under CI=true) and "dev"
(more examples). Choose with HYPOTHESIS_PROFILE=dev.
"""
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import maskcore

settings.register_profile(
    "ci", derandomize=True, max_examples=60, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "dev", max_examples=300, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# ../shared/data beside the checkout; a git worktree one level deeper (wt/<name>) looks one more
# level up; MASKCORE_DATA overrides both.
_HERE = Path(__file__).resolve()
SHARED_DATA = Path(os.environ["MASKCORE_DATA"]) if os.environ.get("MASKCORE_DATA") else next(
    (p for p in (_HERE.parents[2] / "shared" / "data", _HERE.parents[3] / "shared" / "data") if p.is_dir()),
    _HERE.parents[2] / "shared" / "data")


@pytest.fixture(params=maskcore.available_isas())
def isa(request):
    """Runs the test once per instruction set this machine has; results must match scalar."""
    with maskcore.use_isa(request.param):
        yield request.param


@pytest.fixture
def shared_data():
    """The real annotation data beside the repository (../shared/data), or a skip saying why."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (../shared/data is absent on this machine)")
    return SHARED_DATA
