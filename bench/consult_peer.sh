#!/bin/sh
# consult_peer.sh — the peer pipeline timed by consult_bench.sh: plastimatch CT conversion and
# registration (rigid + B-spline), dose conversion and warp onto the planned dose grid, then
# consult_peer.py (numpy voxel EQD2, pydicom RTDOSE, dicompyler-core DVH of every ROI).
# Usage: consult_peer.sh PATIENT_DIR WORK_DIR N1 N2
set -eu
P=$1; W=$2; N1=$3; N2=$4
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"
cat >"$W/reg.txt" <<CFG
[GLOBAL]
fixed=$W/ct2.mha
moving=$W/ct1.mha
vf_out=$W/vf.mha
[STAGE]
xform=rigid
optim=versor
impl=itk
max_its=40
res=4 4 2
[STAGE]
xform=bspline
impl=plastimatch
max_its=40
grid_spac=30 30 30
res=2 2 1
CFG
plastimatch convert --input "$P/course1/CT" --output-img "$W/ct1.mha"
plastimatch convert --input "$P/course2/CT" --output-img "$W/ct2.mha"
plastimatch register "$W/reg.txt"
plastimatch convert --input-dose-img "$P/course1/RD_course1.dcm" --output-dose-img "$W/d1.mha"
plastimatch convert --input-dose-img "$P/course2/RD_course2.dcm" --output-dose-img "$W/d2.mha"
plastimatch warp --input "$W/d1.mha" --xf "$W/vf.mha" --fixed "$W/d2.mha" \
  --output-img "$W/d1w.mha" --output-type float
/usr/bin/python3 "$HERE/consult_peer.py" "$P/course2/RD_course2.dcm" "$W/d1w.mha" \
  "$P/course2/RS_course2.dcm" "$N1" "$N2" "$W"
