#!/bin/sh
# consult_bench.sh — wall time and peak RSS of `rert consult` on the clinical-size synthetic
# patient against the peer pipeline in the same run: plastimatch registration (rigid + B-spline,
# CT to CT), plastimatch warp of the prior dose onto the planned dose grid, voxel EQD2 in numpy
# and DVHs of every ROI with dicompyler-core (bench/consult_peer.py). Goal: rert <= 1/10 of the
# peer wall time; peak RSS < 2 GiB. Not part of CTest.
#
# Two rert timings: with the case file's imported deformable registration (the usual consult)
# and with the registration computed by rert (rigid + demons: the like-for-like comparison with
# the peer, which registers).
#
# Usage: bench/consult_bench.sh [BUILD_DIR (default build)] [WORK_DIR (default /tmp/rert-consult-bench)]
# Needs: plastimatch, python3-numpy, python3-pydicom, python3-dicompylercore (scripts/deps.d/bench_report.txt).
set -eu
BUILD=${1:-build}
WORK=${2:-/tmp/rert-consult-bench}
RERT=$(cd "$BUILD" && pwd)/rert
HERE=$(cd "$(dirname "$0")" && pwd)
TIME=/usr/bin/time
mkdir -p "$WORK"
if [ ! -f "$WORK/patient/case.json" ]; then
  rm -rf "$WORK/patient"
  "$RERT" phantom --out "$WORK/patient" --size clinical >/dev/null
fi
P=$WORK/patient
# a copy of the case without registrations: rert registers the CTs itself
/usr/bin/python3 - "$P/case.json" "$P/case_noreg.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d['registrations'] = []
json.dump(d, open(sys.argv[2], 'w'), indent=1)
PY
N1=$(/usr/bin/python3 -c "import json;print(json.load(open('$P/case.json'))['courses'][0]['fractions'])")
N2=$(/usr/bin/python3 -c "import json;print(json.load(open('$P/case.json'))['courses'][1]['fractions'])")
echo "patient: $P, $(nproc) cores, $(date -u +%FT%TZ)"

run() { # name, command...
  name=$1; shift
  st=0
  $TIME -v -o "$WORK/$name.time" "$@" >"$WORK/$name.log" 2>&1 || st=$?
  # rert consult exits 1 when a constraint fails: that is a result, not a failure
  if [ "$st" -gt 1 ]; then echo "$name failed ($st):"; tail -5 "$WORK/$name.log"; exit 1; fi
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$WORK/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$WORK/$name.time")
  cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.2f", s}' "$WORK/$name.time")
  secs=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  echo "$name $secs $rss $cpu" >>"$WORK/results.txt"
  printf '%-28s %8.2f s wall %8.2f s cpu  peak RSS %6s MiB\n' "$name" "$secs" "$cpu" "$rss"
}
rm -f "$WORK/results.txt"
rm -rf "$WORK/rert_imported" "$WORK/rert_computed" "$WORK/peer"
mkdir -p "$WORK/peer"
run rert_consult_imported "$RERT" consult "$P/case.json" --out "$WORK/rert_imported" --protocol care_s0,s4_textbook --no-progress
run rert_consult_computed "$RERT" consult "$P/case_noreg.json" --out "$WORK/rert_computed" --protocol care_s0,s4_textbook --no-progress

# peer pipeline (bench/consult_peer.sh)
run peer_pipeline sh "$HERE/consult_peer.sh" "$P" "$WORK/peer" "$N1" "$N2"

awk '/^rert_consult_imported/{a=$2; ac=$4} /^rert_consult_computed/{b=$2; bc=$4} /^peer_pipeline/{p=$2; pc=$4}
     END { printf "wall ratio peer/rert: %.1fx (imported registration), %.1fx (computed registration); goal >= 10x\n", p/a, p/b;
           printf "cpu ratio peer/rert:  %.1fx (imported registration), %.1fx (computed registration)\n", pc/ac, pc/bc }' "$WORK/results.txt"
