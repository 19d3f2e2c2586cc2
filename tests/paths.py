"""Where the tests find things outside tests/: the real annotation data (``../shared/data`` beside
the checkout; tests that need it skip, saying so, where it is absent) and the benchmark cases."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# MASKCORE_SHARED_DATA points elsewhere (a git worktree, a copy of the data).
SHARED_DATA = Path(os.environ.get("MASKCORE_SHARED_DATA") or REPO.parent / "shared" / "data")
BENCHMARKS = REPO / "benchmarks"
