#!/usr/bin/env bash
# viewer_bench.sh — report.html's interactive review on the clinical-size synthetic patient:
# the file size (budget 20 MB), the consult's wall time and peak RSS with the viewer data, and in
# headless chromium the time until the review is interactive (budget 2 s) and of one what-if
# recompute. No peer tool offers slices + recovery what-if together; the numbers stand alone.
# Usage: bench/viewer_bench.sh [BUILD_DIR] [WORK_DIR]   (needs `npm ci` in tests/browser)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
work=${2:-/tmp/rert-viewer-bench}
rert=$build/rert
mkdir -p "$work"
[ -f "$work/patient/case.json" ] || "$rert" phantom --size clinical --out "$work/patient" >/dev/null
rm -rf "$work/consult"
/usr/bin/time -v "$rert" consult "$work/patient/case.json" --out "$work/consult" --protocol care_s0 \
  --protocol s4_textbook 2> "$work/time.txt" >/dev/null || true
echo "consult: $(grep -E 'Elapsed|Maximum resident' "$work/time.txt" | sed 's/^\s*//' | tr '\n' ';')"
ls -l "$work/consult/report.html" | awk '{printf "report.html: %.1f MB\n", $5/1e6}'
node "$here/viewer_open.js" "$work/consult/report.html" 3
