#!/bin/sh
# bench/register/hn_bench.sh — issue #14 bench: registration accuracy where the dose is, and the
# consult's cumulative EQD2 with rert's own registration, against plastimatch and elastix in the
# same run, on the independent phantom of hn_phantom.py (known field; not rert's generator).
# Not part of CTest. Usage: bench/register/hn_bench.sh [small|clinical] [BUILD_DIR] [WORK_DIR]
# Env: SKIP_GEN=1 (reuse the phantom in WORK_DIR/pt), SKIP_PEERS=1 (rert only),
#      BENCH_TIMEOUT (s per peer registration, default 1800), PHANTOM_ARGS (extra hn_phantom.py
#      options, e.g. "--seed 5 --penumbra-scale 6").
# Writes WORK_DIR/fields.md (field errors: BODY and planned dose > 5 %), WORK_DIR/consult_*.txt
# (EQD2 error against the consult with the exact field imported) and WORK_DIR/times.txt (wall, CPU,
# peak RSS from /usr/bin/time -v).
set -eu
SIZE=${1:-clinical}
BUILD=$(cd "${2:-build}" && pwd)
WORK=${3:-/tmp/rert_bench_hn_$SIZE}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
RERT="$BUILD/rert"
PT="$WORK/pt"
T="$PT/truth"
mkdir -p "$WORK"
TIMES="$WORK/times.txt"
: > "$TIMES"
run_timed() { # name, command... (exit status kept in $WORK/<name>.rc)
  name=$1; shift
  set +e
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.log" 2>&1
  rc=$?
  set -e
  echo "$rc" > "$WORK/$name.rc"
  wall=$(grep "Elapsed (wall" "$WORK/$name.time" | sed 's/.*: //')
  user=$(grep "User time" "$WORK/$name.time" | sed 's/.*: //')
  sys=$(grep "System time" "$WORK/$name.time" | sed 's/.*: //')
  rss=$(grep "Maximum resident" "$WORK/$name.time" | sed 's/.*: //')
  echo "$name exit=$rc wall=$wall user_s=$user sys_s=$sys peak_rss_mib=$((rss / 1024))" | tee -a "$TIMES"
}
if [ -z "${SKIP_GEN:-}" ]; then
  echo "== phantom ($SIZE)"
  rm -rf "$PT"
  # shellcheck disable=SC2086
  $PY "$HERE/hn_phantom.py" --out "$PT" --size "$SIZE" ${PHANTOM_ARGS:-} > "$WORK/gen.log" 2>&1
fi
RD1="$PT/course1/RD_course1.dcm"
RD2="$PT/course2/RD_course2.dcm"
RS2="$PT/course2/RS_course2.dcm"

echo "== registrations (fixed = course 2 CT, moving = course 1 CT)"
FIELDS=""
run_timed rert_register "$RERT" register --fixed "$T/fixed.mha" --moving "$T/moving.mha" --dose "$RD2" --dose "$RD1" \
  --fixed-rs "$RS2" --moving-rs "$PT/course1/RS_course1.dcm" --out "$WORK/rert_u.mha" --quiet
[ -f "$WORK/rert_u.mha" ] && FIELDS="$FIELDS rert=$WORK/rert_u.mha"
if [ -z "${SKIP_PEERS:-}" ]; then
  run_timed rert_register_elastix "$RERT" register --engine elastix --fixed "$T/fixed.mha" --moving "$T/moving.mha" \
    --dose "$RD2" --dose "$RD1" --out "$WORK/rert_elastix_u.mha" --quiet
  [ -f "$WORK/rert_elastix_u.mha" ] && FIELDS="$FIELDS rert-engine-elastix=$WORK/rert_elastix_u.mha"
  ln -sf "$T/fixed.mha" "$WORK/fixed.mha"
  ln -sf "$T/moving.mha" "$WORK/moving.mha"
  for f in plastimatch_demons plastimatch_bspline; do sed "s|@DIR@|$WORK|g" "$HERE/$f.txt" > "$WORK/$f.txt"; done
  run_timed plastimatch_demons timeout "${BENCH_TIMEOUT:-1800}" plastimatch register "$WORK/plastimatch_demons.txt"
  [ -f "$WORK/pl_demons_u.mha" ] && FIELDS="$FIELDS plastimatch-demons=$WORK/pl_demons_u.mha"
  run_timed plastimatch_bspline timeout "${BENCH_TIMEOUT:-1800}" plastimatch register "$WORK/plastimatch_bspline.txt"
  [ -f "$WORK/pl_bspline_u.mha" ] && FIELDS="$FIELDS plastimatch-bspline=$WORK/pl_bspline_u.mha"
  rm -rf "$WORK/el" && mkdir -p "$WORK/el"
  run_timed elastix_bspline timeout "${BENCH_TIMEOUT:-1800}" sh -c "elastix -f '$T/fixed.mha' -m '$T/moving.mha' \
    -p '$HERE/elastix_rigid.txt' -p '$HERE/elastix_bspline.txt' -out '$WORK/el' -threads 2 > /dev/null && \
    transformix -def all -tp '$WORK/el/TransformParameters.1.txt' -out '$WORK/el' > /dev/null"
  [ -f "$WORK/el/deformationField.mha" ] && FIELDS="$FIELDS elastix=$WORK/el/deformationField.mha"
fi
echo "== field errors against the known field"
# shellcheck disable=SC2086
$PY "$HERE/score_fields.py" "$T" $FIELDS --json "$WORK/fields.json" | tee "$WORK/fields.md"

echo "== consults"
# case files importing a field (absolute path) in place of rert's own registration
mkcase() { # name field
  $PY - "$PT/case_truth.json" "$PT/case_$1.json" "$2" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["registrations"][0]["mha"] = sys.argv[3]
c["registrations"][0].pop("dicom", None)
json.dump(c, open(sys.argv[2], "w"), indent=1)
EOF
}
rm -rf "$WORK"/c_*
run_timed consult_truth "$RERT" consult "$PT/case_truth.json" --out "$WORK/c_truth" --no-progress
run_timed consult_rert "$RERT" consult "$PT/case.json" --out "$WORK/c_rert" --no-progress
$PY "$HERE/compare_consult.py" "$WORK/c_truth" "$WORK/c_rert" "$RS2" --json "$WORK/consult_rert.json" > "$WORK/consult_rert.txt" 2>&1 || true
for peer in rert-engine-elastix elastix plastimatch-bspline plastimatch-demons; do
  case $peer in
    rert-engine-elastix) f="$WORK/rert_elastix_u.mha" ;;
    elastix) f="$WORK/el/deformationField.mha" ;;
    plastimatch-bspline) f="$WORK/pl_bspline_u.mha" ;;
    plastimatch-demons) f="$WORK/pl_demons_u.mha" ;;
  esac
  [ -f "$f" ] || continue
  mkcase "$peer" "$f"
  run_timed "consult_$peer" "$RERT" consult "$PT/case_$peer.json" --out "$WORK/c_$peer" --no-progress
  $PY "$HERE/compare_consult.py" "$WORK/c_truth" "$WORK/c_$peer" "$RS2" --json "$WORK/consult_$peer.json" > "$WORK/consult_$peer.txt" 2>&1 || true
done
echo "== wrong fields through the consult (expect exit 4, QA fail)"
run_timed consult_wrongdir "$RERT" consult "$PT/case_wrongdir.json" --out "$WORK/c_wrongdir" --no-progress
run_timed consult_wrongpair "$RERT" consult "$PT/case_wrongpair.json" --out "$WORK/c_wrongpair" --no-progress
for c in rert wrongdir wrongpair truth; do
  $PY - "$WORK/c_$c/report.json" "$c" <<'EOF' | tee -a "$WORK/qa.txt"
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except OSError:
    print(f"{sys.argv[2]}: no report"); sys.exit(0)
out = []
for s in r["sections"]:
    for b in s.get("blocks", []):
        if b.get("id") == "registration_checks":
            out += [f"{row['check']}={row['status']}" for row in b["rows"]]
print(f"{sys.argv[2]}: " + " ".join(out))
EOF
done
for c in "$WORK"/consult_*.txt; do echo "-- $(basename "$c")"; grep -E "EQD2 >|worst" "$c" || cat "$c"; done
echo "tables: $WORK/fields.md, $WORK/consult_*.txt, $WORK/qa.txt; times: $TIMES"
