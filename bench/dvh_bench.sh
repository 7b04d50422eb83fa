#!/bin/sh
# dvh_bench.sh — time rert's DVH for every ROI of the clinical-size synthetic patient against
# dicompyler-core (dvhcalc.get_dvh for every ROI, one python process) and plastimatch (RTSTRUCT →
# structure image on the CT grid, RTDOSE → image, `plastimatch dvh`), same machine, same files.
# Not part of CTest. Prints wall and CPU medians, the ratios and peak RSS.
#
# Usage: bench/dvh_bench.sh [BUILD_DIR (default build)] [WORK_DIR (default /tmp/rert-dvh-bench)]
# Needs: plastimatch, python3-dicompylercore (Debian), farm-bench if present (else /usr/bin/time).
set -eu
BUILD=${1:-build}
WORK=${2:-/tmp/rert-dvh-bench}
RUNS=${RUNS:-5}
RERT=$(cd "$BUILD" && pwd)/rert
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK"
if [ ! -f "$WORK/patient/case.json" ]; then
  rm -rf "$WORK/patient"
  "$RERT" phantom --out "$WORK/patient" --size clinical >/dev/null
fi
C=$WORK/patient/course2
RS=$(ls "$C"/RS_*.dcm)
RD=$(ls "$C"/RD_*.dcm)
NROI=$("$RERT" dvh --dose "$RD" --struct "$RS" --json --metric Dmean | /usr/bin/python3 -c \
  'import json,sys; print(len(json.load(sys.stdin)["rois"]))')
echo "case: $C ($NROI ROIs), $(nproc) cores, $(date -u +%FT%TZ)"

RERT_CMD="$RERT dvh --dose $RD --struct $RS --metric Dmean,Dmax,D0.03cc,D95%"
DCP_CMD="/usr/bin/python3 $HERE/dvh_dicompyler_all.py $RS $RD"
PM_CMD="sh $HERE/dvh_plastimatch_all.sh $RS $RD $C/CT $WORK/pm"

if command -v farm-bench >/dev/null 2>&1; then
  echo "== rert vs dicompyler-core (A/B pairs, medians) =="
  farm-bench -n "$RUNS" --timeout 1800 --vs "$DCP_CMD" -- $RERT_CMD
  echo "== rert vs plastimatch (A/B pairs, medians) =="
  farm-bench -n "$RUNS" --timeout 1800 --vs "$PM_CMD" -- $RERT_CMD
else
  for t in rert dicompyler plastimatch; do
    case $t in rert) cmd=$RERT_CMD ;; dicompyler) cmd=$DCP_CMD ;; *) cmd=$PM_CMD ;; esac
    /usr/bin/time -f "$t: %e s wall, %U s user, %S s sys, peak RSS %M KB" $cmd >/dev/null
  done
fi
