#!/usr/bin/env bash
# case_init.sh — `rert case init` on the clinical-size untidy export (rert phantom --untidy --size
# clinical: 348 files in one flat folder named by UID, 3 courses with --courses 3) against what a
# user would otherwise script first: reading every header of the export with pydicom
# (dcmread(stop_before_pixels=True)) — which only indexes, it groups nothing — and
# bench/case_init_peer.py (pydicom: index, plans/doses/records grouped, every used dose and CT
# slice's pixels read once, as case init's gate reads them; no checks, no TODOs, no case file: a
# lower bound on the work). Also `rert info` (rert's own index alone). Not a test (no timing
# assertions). Usage: bench/case_init.sh [build]
set -euo pipefail
build=${1:-build}
rert=$build/rert
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for courses in 2 3; do
  "$rert" phantom --out "$out/p$courses" --untidy --size clinical --courses "$courses" >/dev/null
  n=$(ls "$out/p$courses/export" | wc -l)
  echo "== clinical untidy export, $courses courses, $n files"
  echo "-- rert case init"
  farm-bench -n 3 --warmup 1 --timeout 600 -- \
    sh -c "rm -f '$out/c.json' && '$rert' case init '$out/p$courses/export' --out '$out/c.json' >/dev/null; test \$? -le 4" |
    grep -E "cpu s|wall s|peak MiB"
  echo "-- rert info (index only)"
  farm-bench -n 3 --warmup 1 --timeout 600 -- "$rert" info "$out/p$courses/export" |
    grep -E "cpu s|wall s|peak MiB"
  echo "-- pydicom: every header (index only, no grouping)"
  farm-bench -n 3 --warmup 1 --timeout 600 -- /usr/bin/python3 -c \
    "import glob,pydicom; [pydicom.dcmread(f, stop_before_pixels=True, force=True) for f in glob.glob('$out/p$courses/export/*')]" |
    grep -E "cpu s|wall s|peak MiB"
  echo "-- pydicom: index, grouping, pixel data of the used doses and CTs (bench/case_init_peer.py)"
  farm-bench -n 3 --warmup 1 --timeout 600 -- /usr/bin/python3 "$(dirname "$0")/case_init_peer.py" \
    "$out/p$courses/export" | grep -E "cpu s|wall s|peak MiB"
done
