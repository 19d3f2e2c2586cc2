#!/usr/bin/env bash
# The README's test command: installs maskcore the way a user gets it and runs the whole test
# suite (tests/ and the benchmark smoke run in benchmarks/) against that installation.
#
#   1. a fresh virtual environment ($MASKCORE_TEST_VENV, default .venv-test/ in the checkout);
#   2. a wheel built from this checkout with the pinned build tools (compiled objects are kept in
#      build/ between runs, so only what changed is recompiled; a first build compiles everything:
#      about 3 minutes on 2 cores, 5-6 on one);
#   3. the wheel installed with its [test] extra, every peer pinned by constraints.txt;
#   4. pytest run from a temporary directory, so `import maskcore` is the installed package and
#      never the source tree (tests/test_package.py checks that).
#
#   bash tools/test_installed.sh [pytest args...]
#
# pytest's exit code is this script's; 5 (no tests collected) counts as a failure.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${MASKCORE_TEST_VENV:-$REPO/.venv-test}"
PYTHON="${PYTHON:-python3}"

step() { printf '\n== %s (%ds)\n' "$1" "$SECONDS"; }

step "fresh virtual environment in $VENV"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -c "$REPO/constraints.txt" setuptools wheel pybind11

step "wheel from $REPO (objects reused from build/)"
rm -rf "$REPO/dist"
( cd "$REPO" && "$VENV/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w dist . )
WHEEL="$(ls "$REPO"/dist/maskcore-*.whl)"

step "install $(basename "$WHEEL")[test] with constraints.txt"
"$VENV/bin/python" -m pip install -q -c "$REPO/constraints.txt" "${WHEEL}[test]"

step "tests against the installed package"
cd "$(mktemp -d)"
export MASKCORE_TEST_INSTALLED="$REPO"
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"
status=0
PATH="$VENV/bin:$PATH" "$VENV/bin/python" -m pytest -c "$REPO/pyproject.toml" --rootdir "$REPO" \
    -q --benchmark-disable "$REPO/tests" "$REPO/benchmarks" "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: failing" >&2
fi
step "done (pytest exit code $status)"
exit "$status"
