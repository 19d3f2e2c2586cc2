"""Where the tests find things outside tests/: the real annotation data (``../shared/data`` beside
the checkout; tests that need it skip, saying so, where it is absent) and the benchmark cases."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
BENCHMARKS = REPO / "benchmarks"
