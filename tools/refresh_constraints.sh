#!/usr/bin/env bash
# Regenerates constraints.txt: resolves maskcore[test] (and the build tools) afresh in a temporary
# virtual environment and pins every package it installed. Run it when a peer release is wanted,
# then run the README's test command (bash tools/test_installed.sh) before committing the result:
# a peer that changes its behaviour shows up as a failing test, not in a user's install.
#
#   bash tools/refresh_constraints.sh
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"${PYTHON:-python3}" -m venv "$TMP/venv"
"$TMP/venv/bin/python" -m pip install -q --upgrade pip
"$TMP/venv/bin/python" -m pip install -q setuptools wheel pybind11
# Only the dependencies: the extension itself is not built here.
"$TMP/venv/bin/python" - "$REPO/pyproject.toml" > "$TMP/reqs.txt" <<'PY'
import sys, tomllib
proj = tomllib.load(open(sys.argv[1], "rb"))["project"]
extras = proj["optional-dependencies"]
reqs = list(proj["dependencies"])
def add(name):
    for r in extras[name]:
        if r.startswith("maskcore["):
            for sub in r[len("maskcore["):-1].split(","):
                add(sub)
        else:
            reqs.append(r)
add("test")
print("\n".join(reqs))
PY
"$TMP/venv/bin/python" -m pip install -q -r "$TMP/reqs.txt"
{
    echo "# Pinned versions of everything the test command installs (the peers that define maskcore's"
    echo "# semantics, their dependencies and the build tools). Regenerate: bash tools/refresh_constraints.sh"
    echo "# (then run the test command before committing). Generated $(date -u +%Y-%m-%d) with $("$TMP/venv/bin/python" --version)."
    "$TMP/venv/bin/python" -m pip freeze --all | grep -v -i '^maskcore' | grep -v '^pip=='
} > "$REPO/constraints.txt"
echo "wrote $REPO/constraints.txt ($(grep -vc '^#' "$REPO/constraints.txt") pins)"
