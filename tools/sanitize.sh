#!/usr/bin/env bash
# Builds maskcore._core in place with AddressSanitizer + UBSan, runs the whole
# test suite under it, then rebuilds the normal extension.
#   bash tools/sanitize.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
MASKCORE_SANITIZE=address,undefined python setup.py -q build_ext --inplace --force
status=0
export LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)"
# Leak checking is off: CPython keeps memory until exit by design.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_init_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
python -c "import maskcore, sys; maskcore.show_config(); sys.exit(0 if maskcore._core.sanitize else 'not a sanitizer build')"
python -m pytest -q --benchmark-disable -p no:cacheprovider "$@" || status=$?
unset LD_PRELOAD
python setup.py -q build_ext --inplace --force
exit $status
