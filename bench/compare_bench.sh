#!/bin/sh
# compare_bench.sh — `rert compare` (issue 17) on the clinical-size synthetic patient with three
# candidate plans for the new course, against what a user would otherwise run, in the same run on
# the same files:
#   * rert itself one candidate at a time: `rert evaluate CASE --candidate ID` per candidate (each
#     run maps and accumulates the priors again; no tumour metrics, NTCP, LETd or ranking);
#   * the peer pipeline per candidate (no open tool compares candidates on cumulative reRT
#     limits): plastimatch warp of the prior dose with the case's vector field (once), then per
#     candidate numpy voxel EQD2 + dicompyler-core DVH of every ROI (bench/consult_peer.py).
# Candidates (bench-made from the phantom's planned course, same frame and grid):
#   course2  photon VMAT, the planned dose as is;
#   vmat_b   photon VMAT, the planned dose × 0.92;
#   impt     proton PBS, RBE_FIXED dose = planned dose × 0.97, a LETd map (MetaImage) that rises
#            from 2 keV/µm at the dose maximum to 6 keV/µm at zero dose, McNamara 2015 variable RBE
#            (the peer has no variable RBE: it gets the fixed-RBE dose).
# Reports wall, CPU and peak RSS (/usr/bin/time -v). Not part of CTest (no timing assertions).
#
# Usage: bench/compare_bench.sh [BUILD_DIR (default build)] [WORK_DIR (default /tmp/rert-compare-bench)]
# Needs: plastimatch, python3-numpy, python3-pydicom, python3-dicompylercore (scripts/deps.d/bench_report.txt).
set -eu
BUILD=${1:-build}
WORK=${2:-/tmp/rert-compare-bench}
RERT=$(cd "$BUILD" && pwd)/rert
HERE=$(cd "$(dirname "$0")" && pwd)
TIME=/usr/bin/time
mkdir -p "$WORK"
if [ ! -f "$WORK/patient/case.json" ]; then
  rm -rf "$WORK/patient"
  "$RERT" phantom --out "$WORK/patient" --size clinical >/dev/null
fi
P=$WORK/patient
/usr/bin/python3 - "$P" <<'PY'
import json, os, sys
import numpy as np
import pydicom
from pydicom.uid import generate_uid
P = sys.argv[1]
os.makedirs(f"{P}/cand", exist_ok=True)
src = f"{P}/course2/RD_course2.dcm"
def scaled(name, factor, dose_type="PHYSICAL"):
    # a candidate of its own: new UIDs, no reference to course2's plan (the DICOM gate refuses a
    # dose that names another course's plan), the proton one EFFECTIVE (RBE-weighted)
    ds = pydicom.dcmread(src)
    ds.DoseGridScaling = float(ds.DoseGridScaling) * factor
    ds.DoseType = dose_type
    if "ReferencedRTPlanSequence" in ds:
        del ds.ReferencedRTPlanSequence
    if "ImageComments" in ds:  # rert's dose label: drop it (a planning system's export has none)
        del ds.ImageComments
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.save_as(f"{P}/cand/{name}")
    return ds
ds = scaled("RD_vmat_b.dcm", 0.92)
ds = scaled("RD_impt.dcm", 0.97, "EFFECTIVE")
dose = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)
let = (2.0 + 4.0 * (1.0 - dose / dose.max())).astype(np.float32)  # (z, y, x)
z = [float(v) for v in ds.GridFrameOffsetVector]
ipp = [float(v) for v in ds.ImagePositionPatient]
dx, dy = (float(v) for v in ds.PixelSpacing)  # row spacing (y), column spacing (x)
hdr = ("ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
       "TransformMatrix = 1 0 0 0 1 0 0 0 1\n"
       f"Offset = {ipp[0]} {ipp[1]} {ipp[2] + z[0]}\n"
       f"ElementSpacing = {dy} {dx} {z[1] - z[0]}\n"
       f"DimSize = {let.shape[2]} {let.shape[1]} {let.shape[0]}\n"
       "ElementType = MET_FLOAT\nElementDataFile = LOCAL\n")
with open(f"{P}/cand/let_impt.mha", "wb") as f:
    f.write(hdr.encode()); f.write(let.tobytes())
case = json.load(open(f"{P}/case.json"))
c2 = next(c for c in case["courses"] if c["id"] == "course2")
c2["role"] = "candidate"; c2["technique"] = "VMAT"
b = json.loads(json.dumps(c2)); b["id"] = "vmat_b"; b["dicom"] = {"rtdose": "cand/RD_vmat_b.dcm"}
p = json.loads(json.dumps(c2)); p.update({"id": "impt", "modality": "proton", "rbe_model": "RBE_FIXED",
    "technique": "PBS", "dicom": {"rtdose": "cand/RD_impt.dcm"},
    "let": {"path": "cand/let_impt.mha", "unit": "keV/um"}, "variable_rbe": {"model": "mcnamara2015"}})
for k in [k for k in p if k.startswith("x_")]: del p[k]
for k in [k for k in b if k.startswith("x_")]: del b[k]
case["courses"] += [b, p]
case["protocols"] = ["care_s0", "s4_textbook"]
json.dump(case, open(f"{P}/case_candidates.json", "w"), indent=1)
PY
N1=$(/usr/bin/python3 -c "import json;print(json.load(open('$P/case.json'))['courses'][0]['fractions'])")
N2=$(/usr/bin/python3 -c "import json;print(json.load(open('$P/case.json'))['courses'][1]['fractions'])")
echo "patient: $P, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"

run() { # name, command...
  name=$1; shift
  st=0
  $TIME -v -o "$WORK/$name.time" "$@" >"$WORK/$name.log" 2>&1 || st=$?
  # exit 1 (FAIL) and 4 (INCOMPLETE) are verdicts, not failures
  if [ "$st" -ne 0 ] && [ "$st" -ne 1 ] && [ "$st" -ne 4 ]; then echo "$name failed ($st):"; tail -5 "$WORK/$name.log"; exit 1; fi
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$WORK/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$WORK/$name.time")
  cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.2f", s}' "$WORK/$name.time")
  secs=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  echo "$name $secs $rss $cpu" >>"$WORK/results.txt"
  printf '%-28s %8.2f s wall %8.2f s cpu  peak RSS %6s MiB\n' "$name" "$secs" "$cpu" "$rss"
}
rm -f "$WORK/results.txt"
rm -rf "$WORK/rert_compare" "$WORK/peer"
mkdir -p "$WORK/peer"
run rert_compare "$RERT" compare "$P/case_candidates.json" --out "$WORK/rert_compare" --created 2026-01-01T00:00:00Z
run rert_compare_json "$RERT" compare "$P/case_candidates.json" --json
for c in course2 vmat_b impt; do
  run "rert_evaluate_$c" "$RERT" evaluate "$P/case_candidates.json" --candidate "$c" --uncertainty-mm 3
done
# peer: one warp of the prior dose, then numpy EQD2 + dicompyler-core DVHs per candidate
run peer_warp sh -c "plastimatch convert --input-dose-img '$P/course1/RD_course1.dcm' --output-dose-img '$WORK/peer/d1.mha' &&
  plastimatch warp --input '$WORK/peer/d1.mha' --xf '$P/registration/field_course1_to_course2.mha' \
    --fixed '$P/course2/RD_course2.dcm' --output-img '$WORK/peer/d1w.mha' --output-type float"
run peer_course2 /usr/bin/python3 "$HERE/consult_peer.py" "$P/course2/RD_course2.dcm" "$WORK/peer/d1w.mha" "$P/course2/RS_course2.dcm" "$N1" "$N2" "$WORK/peer/course2"
run peer_vmat_b /usr/bin/python3 "$HERE/consult_peer.py" "$P/cand/RD_vmat_b.dcm" "$WORK/peer/d1w.mha" "$P/course2/RS_course2.dcm" "$N1" "$N2" "$WORK/peer/vmat_b"
run peer_impt /usr/bin/python3 "$HERE/consult_peer.py" "$P/cand/RD_impt.dcm" "$WORK/peer/d1w.mha" "$P/course2/RS_course2.dcm" "$N1" "$N2" "$WORK/peer/impt"

awk '/^rert_compare /{a=$2; ac=$4} /^rert_evaluate_/{e+=$2; ec+=$4} /^peer_/{p+=$2; pc+=$4}
     END { printf "3 candidates: rert compare %.2f s wall / %.2f s cpu; rert evaluate x3 %.2f / %.2f; peer %.2f / %.2f\n", a, ac, e, ec, p, pc;
           printf "ratios: evaluate x3 / compare %.2fx wall, %.2fx cpu; peer / compare %.2fx wall, %.2fx cpu\n", e/a, ec/ac, p/a, pc/ac }' "$WORK/results.txt"
/usr/bin/python3 - "$WORK/rert_compare_json.log" <<'PY'
import json, sys
txt = open(sys.argv[1]).read()
j = json.loads(txt[txt.index("{"):])
for c in j["candidates"]:
    m = c.get("smallest_hard_margin") or {}
    print(f'  {c["id"]:8s} rank {c["rank"]} {c["verdict"]:10s} smallest hard margin {m.get("nominal_pct")} % '
          f'(worst {m.get("worst_case_pct")} %, {m.get("row")}), headroom x{c.get("headroom", {}).get("scale")}')
PY
