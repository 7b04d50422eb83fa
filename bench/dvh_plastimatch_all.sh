#!/bin/sh
# plastimatch DVH pipeline for every ROI (bench/dvh_bench.sh): RTSTRUCT → structure image on the
# CT grid, RTDOSE → dose image, `plastimatch dvh` (0.01 Gy bins, voxel counts).
# Usage: dvh_plastimatch_all.sh RS.dcm RD.dcm CT_DIR WORK_DIR
set -eu
mkdir -p "$4"
plastimatch convert --input "$1" --referenced-ct "$3" --output-ss-img "$4/ss.nrrd" \
  --output-ss-list "$4/ss.txt" >/dev/null 2>&1
plastimatch convert --input "$2" --output-dose-img "$4/dose.nrrd" >/dev/null 2>&1
plastimatch dvh --input-ss-img "$4/ss.nrrd" --input-ss-list "$4/ss.txt" --input-dose "$4/dose.nrrd" \
  --output-csv "$4/dvh.csv" --normalization vox --bin-width 0.01 --num-bins 10000 >/dev/null 2>&1
