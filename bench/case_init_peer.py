#!/usr/bin/python3
"""The pydicom script a physicist would write instead of `rert case init` (bench/case_init.sh).

    case_init_peer.py EXPORT_DIR

Reads every header; groups plans by frame of reference, doses to plans (ReferencedRTPlanSequence),
treatment records to plans (first/last TreatmentDate, fraction count); then reads the pixel data
of every dose and CT slice of the grouped objects once (what rert case init's DICOM gate reads to
check them). Prints one line per course. No checks, no TODOs, no case file: a lower bound on the
work, not an equivalent.
"""
import collections
import glob
import os
import sys

import pydicom


def main():
    root = sys.argv[1]
    files = [f for f in glob.glob(os.path.join(root, "**", "*"), recursive=True) if os.path.isfile(f)]
    hdr = {}
    for f in files:
        try:
            hdr[f] = pydicom.dcmread(f, stop_before_pixels=True)
        except Exception:
            pass
    plans = {d.SOPInstanceUID: (f, d) for f, d in hdr.items() if d.get("Modality") == "RTPLAN"}
    doses, recs = collections.defaultdict(list), collections.defaultdict(list)
    cts = collections.defaultdict(list)
    for f, d in hdr.items():
        m = d.get("Modality")
        if m == "RTDOSE" and "ReferencedRTPlanSequence" in d:
            doses[d.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID].append(f)
        elif m == "RTRECORD" and "ReferencedRTPlanSequence" in d:
            recs[d.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID].append(d)
        elif m in ("CT", "MR"):
            cts[d.FrameOfReferenceUID].append(f)
    for uid, (f, d) in sorted(plans.items(), key=lambda x: str(x[1][1].get("RTPlanDate", ""))):
        fx = sum(int(g.NumberOfFractionsPlanned) for g in d.FractionGroupSequence)
        dates = sorted(str(r.get("TreatmentDate", "")) for r in recs.get(uid, []))
        for df in doses.get(uid, []):
            pydicom.dcmread(df).pixel_array
        for cf in cts.get(d.FrameOfReferenceUID, []):
            pydicom.dcmread(cf).pixel_array
        print(d.get("RTPlanLabel", ""), d.get("ApprovalStatus", ""), fx, "fx",
              len(doses.get(uid, [])), "dose(s)", dates[0] if dates else "-", dates[-1] if dates else "-")


if __name__ == "__main__":
    main()
