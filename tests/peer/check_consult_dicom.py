#!/usr/bin/python3
"""check_consult_dicom.py OUTDIR — the consult's derived DICOM objects read back with pydicom
(independent of rert's reader) and, when installed, plastimatch:

- every RTDOSE is uncompressed (Explicit VR Little Endian), the form plastimatch and planning
  systems import;
- the four maps are told apart: distinct SeriesDescription and DoseComment, the worst case named
  an UPPER bound in both and carrying bound=UPPER in its rert metadata (ImageComments), the
  nominal map bound=NOMINAL, remaining tolerance and maximum new dose named as such;
- budget_regions.dcm (RTSTRUCT) has a Budget_Limited ROI (and Budget_Exhausted only with
  contours), and its description says what the 0 voxels of the maps mean;
- plastimatch converts each RTDOSE and reports the maximum pydicom finds (pixel x
  DoseGridScaling), within 1e-4 relative.
Exit 0 when all hold; messages on stderr otherwise."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pydicom

out = sys.argv[1]
bad = []
maps = {"cumulative_eqd2.dcm": "NOMINAL", "worst_case_eqd2.dcm": "UPPER",
        "remaining_eqd2.dcm": "NOMINAL", "max_new_dose.dcm": "NOMINAL"}
words = {"cumulative_eqd2.dcm": "NOMINAL", "worst_case_eqd2.dcm": "UPPER",
         "remaining_eqd2.dcm": "REMAINING", "max_new_dose.dcm": "MAX NEW"}
series, comments, maxima = set(), set(), {}
for f, bound in maps.items():
    p = os.path.join(out, f)
    ds = pydicom.dcmread(p)
    ts = ds.file_meta.TransferSyntaxUID
    if ts != pydicom.uid.ExplicitVRLittleEndian:
        bad.append(f"{f}: transfer syntax {ts.name}, expected uncompressed Explicit VR Little Endian")
    sd, dc = str(ds.get("SeriesDescription", "")), str(ds.get("DoseComment", ""))
    ic = str(ds.get("ImageComments", ""))
    m = re.search(r"bound=(\w+)", ic)
    if not m or m.group(1) != bound:
        bad.append(f"{f}: rert metadata bound={m.group(1) if m else None}, expected {bound}")
    for name, text in (("SeriesDescription", sd), ("DoseComment", dc)):
        if words[f] not in text.upper():
            bad.append(f"{f}: {name} '{text}' does not say {words[f]}")
        if len(text) > 64:
            bad.append(f"{f}: {name} longer than 64 characters")
    series.add(sd)
    comments.add(dc)
    maxima[f] = float(ds.pixel_array.max()) * float(ds.DoseGridScaling)
if len(series) != 4 or len(comments) != 4:
    bad.append(f"SeriesDescription/DoseComment not distinct: {series} {comments}")
rs = pydicom.dcmread(os.path.join(out, "budget_regions.dcm"))
names = [r.ROIName for r in rs.StructureSetROISequence]
if "Budget_Limited" not in names:
    bad.append(f"budget_regions.dcm: ROIs {names}, no Budget_Limited")
desc = str(rs.get("StructureSetDescription", "")) + str(rs.get("StructureSetLabel", ""))
if "Budget_Exhausted" not in desc or "no limit" not in desc:
    bad.append(f"budget_regions.dcm: description does not explain the encoding: {desc}")
if shutil.which("plastimatch"):
    with tempfile.TemporaryDirectory() as tmp:
        for f in maps:
            mha = os.path.join(tmp, f + ".mha")
            r = subprocess.run(["plastimatch", "convert", "--input", os.path.join(out, f),
                                "--output-dose-img", mha], capture_output=True, text=True)
            if r.returncode != 0 or not os.path.exists(mha):
                bad.append(f"plastimatch cannot read {f} (exit {r.returncode}): {r.stderr[-300:]}")
                continue
            s = subprocess.run(["plastimatch", "stats", mha], capture_output=True, text=True).stdout
            m = re.search(r"MAX\s+([-0-9.eE+]+)", s)
            if not m:
                bad.append(f"plastimatch stats on {f}: {s}")
                continue
            got, want = float(m.group(1)), maxima[f]
            if abs(got - want) > 1e-4 * max(1.0, abs(want)):
                bad.append(f"{f}: plastimatch MAX {got} vs pydicom {want}")
else:
    print("plastimatch not installed: skipped", file=sys.stderr)
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
