#!/usr/bin/env bash
# bench/cohort/run.sh — throughput and overhead of `rert cohort` (issue 18; not part of CTest).
#
#   1. throughput: 200 small synthetic DICOM cases (rert phantom --cohort 200), local engine with
#      --jobs 1 and --jobs 2 (cases/min, wall, CPU, peak RSS of the parent and its workers);
#   2. per-case overhead of the cohort machinery: the same 200 cases run one by one with
#      `rert evaluate` (what a user would script) vs the cohort's per-case time, and the parent's
#      CPU per case;
#   3. memory flat in cohort size: peak RSS of the parent for 50, 200 and 800 point-dose cases;
#   4. Slurm (when scripts/start-slurm.sh brings a node up): the same 200 cases through sbatch
#      --array + gather, wall time against the local engine.
# Usage: bench/cohort/run.sh [BUILD_DIR]   (Release build). Prints a markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
rert=$build/rert
export RERT_DATA_DIR=$root/data
work=$(mktemp -d /tmp/rert-cohort-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
tv() { /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$work/out" 2>&1 || true; cat "$work/time"; }

echo "| what | wall s | user s | sys s | peak RSS MiB | rate |"
echo "|---|---|---|---|---|---|"
read -r w u s m < <(tv "$rert" phantom --out "$work/coh" --cohort 200 --seed 1)
echo "| phantom --cohort 200 (DICOM) | $w | $u | $s | $((m / 1024)) | $(awk -v w="$w" 'BEGIN{printf "%.0f cases/min", 200*60/w}') |"
for j in 1 2; do
  read -r w u s m < <(tv "$rert" cohort run "$work/coh/manifest.csv" --registry "$work/r$j.sqlite" --jobs $j --no-progress)
  echo "| cohort run, 200 cases, --jobs $j | $w | $u | $s | $((m / 1024)) (parent) | $(awk -v w="$w" 'BEGIN{printf "%.1f cases/min", 200*60/w}') |"
done
read -r w u s m < <(tv "$rert" cohort run "$work/coh/manifest.csv" --registry "$work/r2.sqlite" --jobs 2 --no-progress)
echo "| re-run (all 200 skipped: digests only) | $w | $u | $s | $((m / 1024)) | — |"
# one by one with rert evaluate (same metrics: the case's protocol), serial
t0=$(date +%s.%N)
cpu0=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
for f in "$work"/coh/cases/*/case.json; do "$rert" evaluate "$f" > /dev/null 2>&1 || true; done
t1=$(date +%s.%N)
echo "| rert evaluate x 200, serial (case protocol only) | $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') | | | | $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f cases/min", 200*60/(b-a)}') |"
sqlite3 "$work/r1.sqlite" "SELECT printf('| mean per-case time inside the cohort worker (4 recovery assumptions x 4 metrics + protocol) | %.4f | | | | |', avg(seconds)) FROM cases"
# cohort machinery overhead per case (--jobs 1): wall outside the per-case runs, over 200
w1=$(sqlite3 "$work/r1.sqlite" "SELECT (julianday(finished_at)-julianday(started_at))*86400 FROM runs WHERE run_id=1")
sum1=$(sqlite3 "$work/r1.sqlite" "SELECT sum(seconds) FROM cases")
read -r w u s m < <(tv "$rert" consult "$work/coh/cases/c0001/case.json" --out "$work/consult1")
awk -v w1="$w1" -v s1="$sum1" -v c="$w" 'BEGIN{o=(w1-s1)/200; printf "| cohort machinery per case (run wall - sum of case times, /200) | %.4f | | | | %.1f %% of one consult (%.2f s) |\n", o, 100*o/c, c}' 
for n in 50 200 800; do
  "$rert" phantom --out "$work/p$n" --cohort $n --cohort-kind points --seed 2 > /dev/null
  read -r w u s m < <(tv "$rert" cohort run "$work/p$n/manifest.csv" --registry "$work/p$n.sqlite" --jobs 2 --no-progress)
  echo "| point-dose cohort, $n cases, --jobs 2 | $w | $u | $s | $((m / 1024)) (parent) | $(awk -v w="$w" -v n=$n 'BEGIN{printf "%.0f cases/min", n*60/w}') |"
done
if "$root/scripts/start-slurm.sh" >/dev/null 2>&1; then
  read -r w u s m < <(tv "$rert" cohort run "$work/coh/manifest.csv" --registry "$work/slurm.sqlite" --engine slurm --slurm-tasks 2 --wait)
  echo "| cohort run, 200 cases, Slurm (2 array tasks + gather, single node) | $w | $u | $s | $((m / 1024)) | $(awk -v w="$w" 'BEGIN{printf "%.1f cases/min", 200*60/w}') |"
else
  echo "| Slurm | not available on this machine | | | | |"
fi
