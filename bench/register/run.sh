#!/bin/sh
# bench/register/run.sh — rert register vs plastimatch (demons, B-spline) and elastix (B-spline)
# on the synthetic patient with known deformation, plus rert warp vs plastimatch warp.
# Not part of CTest. Usage: bench/register/run.sh [small|clinical] [BUILD_DIR] [WORK_DIR]
# Prints wall time and peak RSS (/usr/bin/time -v) per tool and appends the accuracy tables
# (vector error per ROI, Dice, dose-mapping error; scored by tests/test_register_validation
# against the analytic truth) to $WORK/validation.md.
set -eu
SIZE=${1:-small}
BUILD=${2:-build}
WORK=${3:-/tmp/rert_bench_register_$SIZE}
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$BUILD" && pwd)
mkdir -p "$WORK"
VAL="$BUILD/tests/test_register_validation"
TIMES="$WORK/times.txt"
: > "$TIMES"
run_timed() { # name, command...
  name=$1; shift
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.log" 2>&1 || { echo "$name FAILED (see $WORK/$name.log)"; return 1; }
  wall=$(grep "Elapsed (wall" "$WORK/$name.time" | sed 's/.*: //')
  rss=$(grep "Maximum resident" "$WORK/$name.time" | sed 's/.*: //')
  user=$(grep "User time" "$WORK/$name.time" | sed 's/.*: //')
  echo "$name wall=$wall user_s=$user peak_rss_kb=$rss" | tee -a "$TIMES"
}
echo "== writing the synthetic pair ($SIZE)"
RERT_VALIDATION_SIZE=$SIZE RERT_VALIDATION_WRITE=$WORK RERT_VALIDATION_SKIP_RERT=1 RERT_VALIDATION_MD=/dev/null \
  "$VAL" > /dev/null 2>&1
for f in plastimatch_demons plastimatch_bspline; do sed "s|@DIR@|$WORK|g" "$HERE/$f.txt" > "$WORK/$f.txt"; done
echo "== registrations"
run_timed rert_register "$BUILD/rert" register --fixed "$WORK/fixed.mha" --moving "$WORK/moving.mha" --out "$WORK/rert_u.mha" ${RERT_REGISTER_ARGS:-} || true
run_timed plastimatch_demons plastimatch register "$WORK/plastimatch_demons.txt" || true
run_timed plastimatch_bspline plastimatch register "$WORK/plastimatch_bspline.txt" || true
mkdir -p "$WORK/el"
run_timed elastix_bspline sh -c "elastix -f '$WORK/fixed.mha' -m '$WORK/moving.mha' -p '$HERE/elastix_rigid.txt' -p '$HERE/elastix_bspline.txt' -out '$WORK/el' -threads 2 && transformix -def all -tp '$WORK/el/TransformParameters.1.txt' -out '$WORK/el'" || true
echo "== warp: course-1 dose onto the fixed grid with the true field"
run_timed rert_warp "$BUILD/rert" warp --moving "$WORK/dose1.mha" --field "$WORK/truth.mha" --like "$WORK/dose2grid.mha" --out "$WORK/rert_warped_dose.mha" || true
run_timed plastimatch_warp plastimatch warp --input "$WORK/dose1.mha" --xf "$WORK/truth.mha" --fixed "$WORK/dose2grid.mha" --output-img "$WORK/pl_warped_dose.mha" || true
run_timed rert_warp_ct "$BUILD/rert" warp --moving "$WORK/moving.mha" --field "$WORK/truth.mha" --like "$WORK/fixed.mha" --out "$WORK/rert_warped_ct.mha" || true
run_timed plastimatch_warp_ct plastimatch warp --input "$WORK/moving.mha" --xf "$WORK/truth.mha" --fixed "$WORK/fixed.mha" --output-img "$WORK/pl_warped_ct.mha" || true
echo "== accuracy against the analytic truth"
FIELDS="rert register=$WORK/rert_u.mha"
[ -f "$WORK/pl_demons_u.mha" ] && FIELDS="$FIELDS,plastimatch demons=$WORK/pl_demons_u.mha"
[ -f "$WORK/pl_bspline_u.mha" ] && FIELDS="$FIELDS,plastimatch B-spline=$WORK/pl_bspline_u.mha"
[ -f "$WORK/el/deformationField.mha" ] && FIELDS="$FIELDS,elastix B-spline=$WORK/el/deformationField.mha"
rm -f "$WORK/validation.md"
RERT_VALIDATION_SIZE=$SIZE RERT_VALIDATION_SKIP_RERT=1 RERT_VALIDATION_FIELDS="$FIELDS" RERT_VALIDATION_MD="$WORK/validation.md" \
  "$VAL" 2>&1 | grep -E "body vector" || true
echo "tables: $WORK/validation.md; times: $TIMES"
