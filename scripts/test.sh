#!/usr/bin/env bash
# test.sh — build and run every test in three configurations: optimised with -Werror, ASan+UBSan,
# and a clang libFuzzer build that runs every fuzz target for a few seconds on its seeds (CTest
# label fuzz_smoke; tests/fuzz). This is the README's test command and what .ci/run executes.
# Env: RERT_TEST_CONFIGS="release asan fuzz" (default all three); CTEST_ARGS for extra ctest
# filters; RERT_FUZZ_SMOKE_SECONDS (default 5) per fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
configs=${RERT_TEST_CONFIGS:-"release asan fuzz"}
status=0
# npm packages of the browser tests (puppeteer-core), exactly as pinned in the lock file
if command -v npm >/dev/null 2>&1; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci failed (tests/browser)"; exit 1; }
else
  echo "npm not found: the browser tests will fail (scripts/install-deps.sh installs nodejs and npm)"
fi
for cfg in $configs; do
  dir=build-test-$cfg
  cc=()
  target=()
  labels=(-LE "fuzz|bench")
  case $cfg in
    release) flags=(-DCMAKE_BUILD_TYPE=Release -DRERT_WERROR=ON) ;;
    asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DRERT_WERROR=ON -DRERT_SANITIZE=ON) ;;
    fuzz)
      cc=(env CC=clang CXX=clang++)
      flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRERT_FUZZ=ON
             -DRERT_FUZZ_SMOKE_SECONDS="${RERT_FUZZ_SMOKE_SECONDS:-5}")
      target=(--target fuzz_targets)
      labels=(-L fuzz_smoke) ;;
    *) echo "unknown config $cfg"; exit 2 ;;
  esac
  echo "=== configuration: $cfg ==="
  "${cc[@]}" cmake -S . -B "$dir" "${flags[@]}" > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j "$jobs" "${target[@]}"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
  (cd "$dir" && ctest --output-on-failure -j "$jobs" "${labels[@]}" ${CTEST_ARGS:-}) || status=1
done
exit $status
