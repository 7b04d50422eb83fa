#!/usr/bin/python3
"""Variants of the untidy phantom export (rert phantom --untidy) for tests/test_case_init.c.

    make_variants.py SRC_EXPORT OUT_ROOT VARIANT [VARIANT ...]

Each variant is written to OUT_ROOT/<variant>/export/: unchanged files are hard links to
SRC_EXPORT (the source is never modified), changed or added files are new. Written with pydicom
only (no rert code), from what the DICOM standard says the objects mean, so the test checks rert
case init against an independent construction of each situation:

  two_plan_doses      a second PLAN dose (new SOP instance, 0.9 x the values) references the planned
                      course's approved plan: two candidate doses for one plan
  two_cts_one_for     the prior course's CT series duplicated (new series and SOP UIDs, same frame)
                      and its structure set made to reference a series not in the export: two CT
                      series in one frame of reference, nothing choosing between them
  two_cts_referenced  the same duplicate, the structure set still referencing the original series
  approved_twice      the planned course's alternative plan APPROVED too: two approved plans in one
                      frame, no treatment record
  no_records          every treatment record removed: dates from the plan only
  partial_delivery    the records of fractions 31-35 removed: 30 of 35 fractions delivered
  bid                 records rewritten two fractions a day (08:00 and 14:30) from the first date
  two_patients        an unrelated RTPLAN of another patient (pydicom's rtplan.dcm test file)
  missing_beam_dose   the BEAM dose of beam 4 of the prior course removed
  no_registration     the deformable registration removed
  rigid_and_deformable a rigid Spatial Registration of the same frames added beside the deformable
  reversed_registration the deformable registration's frames swapped (it maps the planned course
                      onto the prior one)
"""
import copy
import glob
import os
import shutil
import sys

import pydicom
from pydicom.uid import generate_uid


def load_all(src):
    objs = []
    for f in sorted(glob.glob(os.path.join(src, "*"))):
        try:
            d = pydicom.dcmread(f, stop_before_pixels=True)
        except Exception:
            objs.append((f, None))
            continue
        objs.append((f, d))
    return objs


def link_all(src, dst, skip=()):
    os.makedirs(dst)
    for f in sorted(glob.glob(os.path.join(src, "*"))):
        if os.path.basename(f) in skip:
            continue
        os.link(f, os.path.join(dst, os.path.basename(f)))


def by_modality(objs, m):
    return [(f, d) for f, d in objs if d is not None and d.get("Modality") == m]


def planned_plan(objs):
    """The approved plan whose description carries scheduled dates (the planned course)."""
    for f, d in by_modality(objs, "RTPLAN"):
        if d.get("ApprovalStatus") == "APPROVED" and "treatment" in str(d.get("RTPlanDescription", "")):
            return f, d
    raise SystemExit("no planned plan")


def prior_plan(objs):
    for f, d in by_modality(objs, "RTPLAN"):
        if d.get("ApprovalStatus") == "APPROVED" and "treatment" not in str(d.get("RTPlanDescription", "")):
            return f, d
    raise SystemExit("no prior plan")


def alt_plan(objs):
    for f, d in by_modality(objs, "RTPLAN"):
        if d.get("ApprovalStatus") == "UNAPPROVED":
            return f, d
    raise SystemExit("no alternative plan")


def save(ds, dst):
    path = os.path.join(dst, ds.SOPInstanceUID + ".dcm")
    ds.save_as(path, write_like_original=False)
    return path


def replace(dst, f, ds):
    """Write a changed copy of file f (unlink the hard link first: the source stays intact)."""
    p = os.path.join(dst, os.path.basename(f))
    os.unlink(p)
    ds.save_as(p, write_like_original=False)


def records(objs, plan_uid):
    out = []
    for f, d in by_modality(objs, "RTRECORD"):
        if d.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID == plan_uid:
            out.append((f, d))
    return out


def variant(name, src, root):
    dst = os.path.join(root, name, "export")
    if os.path.exists(os.path.join(root, name)):
        shutil.rmtree(os.path.join(root, name))
    objs = load_all(src)
    if name == "two_plan_doses":
        link_all(src, dst)
        pf, pd = planned_plan(objs)
        for f, d in by_modality(objs, "RTDOSE"):
            if d.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID == pd.SOPInstanceUID:
                full = pydicom.dcmread(f)
                full.SOPInstanceUID = generate_uid()
                full.file_meta.MediaStorageSOPInstanceUID = full.SOPInstanceUID
                full.DoseGridScaling = float(full.DoseGridScaling) * 0.9
                save(full, dst)
                return
        raise SystemExit("no planned dose")
    if name in ("two_cts_one_for", "two_cts_referenced"):
        link_all(src, dst)
        pf, pd = prior_plan(objs)
        ss_uid = pd.ReferencedStructureSetSequence[0].ReferencedSOPInstanceUID
        ssf, ssd = [(f, d) for f, d in by_modality(objs, "RTSTRUCT") if d.SOPInstanceUID == ss_uid][0]
        series = ssd.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0] \
            .RTReferencedSeriesSequence[0].SeriesInstanceUID
        new_series = generate_uid()
        for f, d in by_modality(objs, "CT"):
            if d.SeriesInstanceUID != series:
                continue
            full = pydicom.dcmread(f)
            full.SeriesInstanceUID = new_series
            full.SeriesDescription = "CT re-scan (copy)"
            full.SOPInstanceUID = generate_uid()
            full.file_meta.MediaStorageSOPInstanceUID = full.SOPInstanceUID
            save(full, dst)
        if name == "two_cts_one_for":
            full = pydicom.dcmread(ssf)
            full.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0] \
                .RTReferencedSeriesSequence[0].SeriesInstanceUID = generate_uid()
            replace(dst, ssf, full)
        return
    if name == "approved_twice":
        link_all(src, dst)
        af, ad = alt_plan(objs)
        full = pydicom.dcmread(af)
        full.ApprovalStatus = "APPROVED"
        full.ReviewDate = full.RTPlanDate
        full.ReviewTime = "120000"
        full.ReviewerName = ""
        replace(dst, af, full)
        return
    if name == "no_records":
        link_all(src, dst, skip={os.path.basename(f) for f, _ in by_modality(objs, "RTRECORD")})
        return
    if name == "partial_delivery":
        pf, pd = prior_plan(objs)
        drop = {os.path.basename(f) for f, d in records(objs, pd.SOPInstanceUID)
                if int(d.TreatmentSessionBeamSequence[0].CurrentFractionNumber) > 30}
        link_all(src, dst, skip=drop)
        return
    if name == "bid":
        link_all(src, dst)
        pf, pd = prior_plan(objs)
        recs = records(objs, pd.SOPInstanceUID)
        first = min(d.TreatmentDate for f, d in recs)
        import datetime
        d0 = datetime.date(int(first[:4]), int(first[4:6]), int(first[6:8]))
        for f, d in recs:
            fx = int(d.TreatmentSessionBeamSequence[0].CurrentFractionNumber)
            day = d0 + datetime.timedelta(days=(fx - 1) // 2)
            tm = "080000" if fx % 2 else "143000"
            if str(d.TreatmentTime) == "091000":  # the continuation of an interrupted beam
                tm = "091000" if fx % 2 else "153000"
            full = pydicom.dcmread(f)
            full.TreatmentDate = day.strftime("%Y%m%d")
            full.TreatmentTime = tm
            for b in full.TreatmentSessionBeamSequence:
                for cp in b.ControlPointDeliverySequence:
                    cp.TreatmentControlPointDate = full.TreatmentDate
                    cp.TreatmentControlPointTime = tm
            replace(dst, f, full)
        return
    if name == "two_patients":
        link_all(src, dst)
        shutil.copy(pydicom.data.get_testdata_file("rtplan.dcm"), os.path.join(dst, "foreign_plan.dcm"))
        return
    if name == "missing_beam_dose":
        pf, pd = prior_plan(objs)
        drop = set()
        for f, d in by_modality(objs, "RTDOSE"):
            r = d.ReferencedRTPlanSequence[0]
            if r.ReferencedSOPInstanceUID != pd.SOPInstanceUID:
                continue
            b = r.ReferencedFractionGroupSequence[0].ReferencedBeamSequence[0].ReferencedBeamNumber
            if int(b) == 4:
                drop.add(os.path.basename(f))
        link_all(src, dst, skip=drop)
        return
    if name == "no_registration":
        link_all(src, dst, skip={os.path.basename(f) for f, _ in by_modality(objs, "REG")})
        return
    if name == "rigid_and_deformable":
        link_all(src, dst)
        rf, rd = by_modality(objs, "REG")[0]
        fixed = rd.FrameOfReferenceUID
        moving = [it.SourceFrameOfReferenceUID for it in rd.DeformableRegistrationSequence
                  if it.SourceFrameOfReferenceUID != fixed][0]
        ds = pydicom.Dataset()
        ds.file_meta = pydicom.dataset.FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.66.1"
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.66.1"
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
        for k in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID",
                  "StudyDate", "StudyTime"):
            setattr(ds, k, rd.get(k, ""))
        ds.Modality = "REG"
        ds.SeriesInstanceUID = generate_uid()
        ds.FrameOfReferenceUID = fixed
        items = []
        for for_uid in (fixed, moving):
            it = pydicom.Dataset()
            it.FrameOfReferenceUID = for_uid
            m = pydicom.Dataset()
            mr = pydicom.Dataset()
            mr.FrameOfReferenceTransformationMatrixType = "RIGID"
            mr.FrameOfReferenceTransformationMatrix = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
            m.MatrixSequence = [mr]
            it.MatrixRegistrationSequence = [m]
            items.append(it)
        ds.RegistrationSequence = items
        ds.save_as(os.path.join(dst, ds.SOPInstanceUID + ".dcm"), write_like_original=False)
        return
    if name == "reversed_registration":
        link_all(src, dst)
        rf, rd = by_modality(objs, "REG")[0]
        full = pydicom.dcmread(rf)
        fixed = full.FrameOfReferenceUID
        moving = [it.SourceFrameOfReferenceUID for it in full.DeformableRegistrationSequence
                  if it.SourceFrameOfReferenceUID != fixed][0]
        full.FrameOfReferenceUID = moving
        for it in full.DeformableRegistrationSequence:
            it.SourceFrameOfReferenceUID = fixed if it.SourceFrameOfReferenceUID == moving else moving
        replace(dst, rf, full)
        return
    if name == "multigroup":
        # the prior plan as two fraction groups (25 + 10 fractions, the same 7 beams), one
        # FRACTION dose per group (PS3.3 C.8.8.3: the whole delivery of that group = the course
        # dose x 25/35 and x 10/35, from the sum of the 7 beam doses), the records numbering the
        # fractions within each group (CurrentFractionNumber 1..25, then 1..10 of group 2)
        import numpy as np
        pf, pd = prior_plan(objs)
        beams = [(f, d) for f, d in by_modality(objs, "RTDOSE")
                 if d.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID == pd.SOPInstanceUID]
        link_all(src, dst, skip={os.path.basename(f) for f, _ in beams})
        total = None
        for f, _ in beams:
            full = pydicom.dcmread(f)
            v = full.pixel_array.astype(np.float64) * float(full.DoseGridScaling)
            total = v if total is None else total + v
        plan = pydicom.dcmread(pf)
        g1 = plan.FractionGroupSequence[0]
        g2 = copy.deepcopy(g1)
        g1.NumberOfFractionsPlanned = 25
        g2.FractionGroupNumber = 2
        g2.NumberOfFractionsPlanned = 10
        plan.FractionGroupSequence.append(g2)
        replace(dst, pf, plan)
        template = pydicom.dcmread(beams[0][0])
        for g, n in ((1, 25), (2, 10)):
            ds = copy.deepcopy(template)
            v = total * n / 35.0
            scale = float(v.max()) / 4294967295.0
            ds.PixelData = np.round(v / scale).astype(np.uint32).tobytes()
            ds.BitsAllocated = ds.BitsStored = 32
            ds.HighBit = 31
            ds.DoseGridScaling = "%.10g" % scale
            ds.DoseSummationType = "FRACTION"
            fg = ds.ReferencedRTPlanSequence[0].ReferencedFractionGroupSequence[0]
            fg.ReferencedFractionGroupNumber = g
            if "ReferencedBeamSequence" in fg:
                del fg.ReferencedBeamSequence
            ds.SOPInstanceUID = generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.DoseComment = "fraction group %d (variant)" % g
            save(ds, dst)
        for f, d in records(objs, pd.SOPInstanceUID):
            full = pydicom.dcmread(f)
            for b in full.TreatmentSessionBeamSequence:
                fx = int(b.CurrentFractionNumber)
                b.CurrentFractionNumber = fx if fx <= 25 else fx - 25
            fx = int(full.TreatmentSessionBeamSequence[0].CurrentFractionNumber)
            orig = int(d.TreatmentSessionBeamSequence[0].CurrentFractionNumber)
            full.ReferencedFractionGroupNumber = 1 if orig <= 25 else 2
            full.NumberOfFractionsPlanned = 25 if orig <= 25 else 10
            replace(dst, f, full)
        return
    raise SystemExit("unknown variant " + name)


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    src, root = sys.argv[1], sys.argv[2]
    for name in sys.argv[3:]:
        variant(name, src, root)


if __name__ == "__main__":
    main()
