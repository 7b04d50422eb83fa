#!/usr/bin/env bash
# test.sh — build and run every test in two configurations: optimised with -Werror, and
# ASan+UBSan. This is the README's test command and what .ci/run executes.
# Env: RERT_TEST_CONFIGS="release asan" (default both); CTEST_ARGS for extra ctest filters.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
configs=${RERT_TEST_CONFIGS:-"release asan"}
status=0
# npm packages of the browser tests (puppeteer-core), exactly as pinned in the lock file
if command -v npm >/dev/null 2>&1; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci failed (tests/browser)"; exit 1; }
else
  echo "npm not found: the browser tests will fail (scripts/install-deps.sh installs nodejs and npm)"
fi
for cfg in $configs; do
  dir=build-test-$cfg
  case $cfg in
    release) flags=(-DCMAKE_BUILD_TYPE=Release -DRERT_WERROR=ON) ;;
    asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DRERT_WERROR=ON -DRERT_SANITIZE=ON) ;;
    *) echo "unknown config $cfg"; exit 2 ;;
  esac
  echo "=== configuration: $cfg ==="
  cmake -S . -B "$dir" "${flags[@]}" > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j "$jobs"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
  (cd "$dir" && ctest --output-on-failure -j "$jobs" -LE "fuzz|bench" ${CTEST_ARGS:-}) || status=1
done
exit $status
