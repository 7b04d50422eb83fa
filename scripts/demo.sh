#!/usr/bin/env bash
# demo.sh — build rert (release) and run the demo: the full consult on the built-in synthetic
# patient when `rert demo` exists, otherwise the point-dose example of the README.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build.configure.log 2>&1 || { cat build.configure.log; exit 1; }
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" > build.log 2>&1 || { tail -50 build.log; exit 1; }
if ./build/rert help | grep -q '^  demo '; then
  exec ./build/rert demo "$@"
fi
echo "== point-dose consult: brainstem, prior 54 Gy EQD2 ended 2022-01-10, new course 2024-07-10 =="
./build/rert budget --organ Brainstem --prior 54Gy/27@2022-01-10 --start 2024-07-10 \
  --limit 60Gy --recovery care_uplift --fractions 17,30
