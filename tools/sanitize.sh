#!/usr/bin/env bash
# Builds maskcore._core in place with AddressSanitizer + UBSan and runs the whole test suite
# under it (or the pytest args given); then builds with UBSan alone and runs the
# allocation-failure tests (tests/test_hostile_alloc.py), which ASan cannot run: its throwing
# operator new reports out-of-memory and aborts instead of throwing std::bad_alloc, and its
# shadow memory does not fit under RLIMIT_AS. Last, rebuilds the normal extension.
#   bash tools/sanitize.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
run() {  # sanitizers, then pytest args
    local which=$1; shift
    MASKCORE_SANITIZE=$which python setup.py -q build_ext --inplace --force
    local preload="$(g++ -print-file-name=libubsan.so)"
    [[ $which == *address* ]] && preload="$(g++ -print-file-name=libasan.so) $preload"
    # Leak checking is off: CPython keeps memory until exit by design. Reports go to files
    # (pytest captures stderr, and a process that aborts inside a test loses what it held).
    local logs=$PWD/build/sanitizer
    rm -rf "$logs" && mkdir -p "$logs"
    LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_init_order=1:log_path=$logs/asan \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan bash -c '
        python -c "import maskcore, sys; maskcore.show_config(); sys.exit(0 if maskcore._core.sanitize else \"not a sanitizer build\")" &&
        python -m pytest -q --benchmark-disable -p no:cacheprovider "$@"' _ "$@" || status=$?
    if compgen -G "$logs/*" >/dev/null; then
        echo "sanitizer reports ($which):"; cat "$logs"/*; status=1
    fi
}
run address,undefined "$@"
run undefined tests/test_hostile_alloc.py
python setup.py -q build_ext --inplace --force
exit $status
