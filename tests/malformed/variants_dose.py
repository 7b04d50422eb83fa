"""variants_dose.py — RTDOSE semantics (issue 12 item 2, DICOM PS3.3 C.8.8.3): units, type
against the course's modality and RBE model, summation type, derived maps, values, plan
references; the per-session and whole-fraction-group shapes real systems export."""
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from malformed import (ACCUMULATE, EVALUATE, PHANTOM as P, Variant, refuse, computes,
                       check_course_eqd2, check_findings, check_same_as_base, all_of)


def both(*muts):
    def m(v):
        for x in muts:
            x(v)
    return m


def edit_case(fn):
    def m(v):
        fn(v.case)
        v.save_case()
    return m


def override(entry):
    return edit_case(lambda c: c.setdefault("overrides", []).append(entry))


def set_attrs(rel, **kw):
    return lambda v: v.set(rel, **kw)


def ref_group(ds, group, beams=None):
    """ReferencedRTPlanSequence[0] > ReferencedFractionGroupSequence (> ReferencedBeamSequence)."""
    fg = Dataset()
    fg.ReferencedFractionGroupNumber = group
    if beams:
        fg.ReferencedBeamSequence = Sequence([_beam(b) for b in beams])
    ds.ReferencedRTPlanSequence[0].ReferencedFractionGroupSequence = Sequence([fg])


def _beam(b):
    x = Dataset()
    x.ReferencedBeamNumber = b
    return x


def scale_dose(rel, factor, **attrs):
    """Multiply the dose by factor, optionally relabel; records nothing."""
    def m(v):
        ds = v.read(rel)
        v.put_dose(ds, v.dose_of(ds) * factor)
        for k, x in attrs.items():
            setattr(ds, k, x)
        v.write(rel, ds)
    return m


def as_session(rel, fractions, course):
    """Pinnacle/Monaco style: the dose of ONE session, labelled FRACTION_SESSION of group 1."""
    def m(v):
        ds = v.read(rel)
        D = v.dose_of(ds)
        v.put_dose(ds, D / fractions)
        ds.DoseSummationType = "FRACTION_SESSION"
        ref_group(ds, 1)
        v.write(rel, ds)
        v.expect_parts[course] = [(v.dose_of(ds) * fractions, fractions)]
    return m


def as_fraction_group(rel, fractions, course):
    """Pinnacle 9 style: the full-course dose labelled FRACTION (one whole fraction group)."""
    def m(v):
        ds = v.read(rel)
        ds.DoseSummationType = "FRACTION"
        ref_group(ds, 1)
        v.write(rel, ds)
        v.expect_parts[course] = [(v.dose_of(ds), fractions)]
    return m


def record_base(rel, fractions, course, factor=1.0):
    def m(v):
        v.expect_parts[course] = [(v.dose(rel) * factor, fractions)]
    return m


def proton_course2(v):
    """course2 becomes a proton course (case and plan); its dose stays as exported."""
    v.case["courses"][1].update(modality="proton", rbe_model="RBE_FIXED", technique="PBS")
    v.save_case()
    def beams(ds):
        for b in ds.BeamSequence:
            b.RadiationType = "PROTON"
    v.edit(P["rp2"], beams)


def negative(v):
    ds = v.read(P["rd1"])
    D = v.dose_of(ds)
    D.flat[np.argmin(D)] = -0.5
    v.put_dose(ds, D, signed=True)
    v.write(P["rd1"], ds)


def truncate(rel, frac):
    def m(v):
        b = v.read_bytes(rel)
        v.write_bytes(rel, b[:int(len(b) * frac)])
    return m


def derived_rert_map(v):
    # a rert-written EQD2 map listed as the course's RTDOSE (rert-meta quantity EQD2)
    def fn(ds):
        ds.ImageComments = ("rert-meta: quantity=EQD2; bound=NOMINAL; rbe=PHYSICAL; rbe_factor=1; "
                            "alpha_beta_gy=0; eqdx_ref_gy=2; fractions=30; recovery=; provenance=course2; "
                            "description=EQD2 of course2")
        ds.DoseType = "EFFECTIVE"
    v.edit(P["rd2"], fn)


ACC_EVAL = [ACCUMULATE, EVALUATE]

VARIANTS = [
    Variant("units_relative", "DoseUnits RELATIVE", set_attrs(P["rd1"], DoseUnits="RELATIVE"),
            refuse("RD_course1.dcm", "DoseUnits (3004,0002)", "RELATIVE")),
    Variant("units_cgy", "DoseUnits CGY (not a DICOM term)", set_attrs(P["rd2"], DoseUnits="CGY"),
            refuse("RD_course2.dcm", "DoseUnits (3004,0002)")),
    Variant("units_missing", "DoseUnits absent", set_attrs(P["rd1"], DoseUnits=None),
            refuse("RD_course1.dcm", "DoseUnits (3004,0002)")),
    Variant("type_error", "DoseType ERROR (an uncertainty map)", set_attrs(P["rd1"], DoseType="ERROR"),
            refuse("RD_course1.dcm", "DoseType (3004,0004)", "ERROR")),
    Variant("type_unknown", "DoseType BIOLOGICAL (not a DICOM term)", set_attrs(P["rd2"], DoseType="BIOLOGICAL"),
            refuse("RD_course2.dcm", "DoseType (3004,0004)")),
    Variant("type_effective_photon", "an EFFECTIVE dose for a photon course",
            set_attrs(P["rd1"], DoseType="EFFECTIVE"),
            refuse("RD_course1.dcm", "DoseType (3004,0004)", "EFFECTIVE")),
    Variant("effective_labelled_eqd2", "EFFECTIVE, DoseComment 'EQD2 a/b=3'",
            set_attrs(P["rd1"], DoseType="EFFECTIVE", DoseComment="EQD2 a/b=3"),
            refuse("RD_course1.dcm", "DoseComment (3004,0006)", "EQD2")),
    Variant("physical_labelled_eqd2", "PHYSICAL but SeriesDescription 'EQD2 sum'",
            set_attrs(P["rd2"], SeriesDescription="EQD2 sum"),
            refuse("RD_course2.dcm", "SeriesDescription (0008,103E)")),
    Variant("effective_meta_says_physical", "EFFECTIVE, but its rert-meta line says PHYSICAL",
            both(proton_course2, set_attrs(P["rd2"], DoseType="EFFECTIVE")),
            refuse("RD_course2.dcm", "ImageComments (0020,4000)", "RBE_FIXED")),
    Variant("derived_eqd2_map", "a rert EQD2 map listed as the planned course's dose",
            derived_rert_map, refuse("RD_course2.dcm", "ImageComments (0020,4000)", "derived")),
    Variant("summation_control_point", "DoseSummationType CONTROL_POINT",
            set_attrs(P["rd1"], DoseSummationType="CONTROL_POINT"),
            refuse("RD_course1.dcm", "DoseSummationType (3004,000A)", "CONTROL_POINT")),
    Variant("summation_record", "DoseSummationType RECORD",
            set_attrs(P["rd2"], DoseSummationType="RECORD"),
            refuse("RD_course2.dcm", "DoseSummationType (3004,000A)", "RECORD")),
    Variant("summation_unknown", "DoseSummationType WEEK (not a DICOM term)",
            set_attrs(P["rd1"], DoseSummationType="WEEK"),
            refuse("RD_course1.dcm", "DoseSummationType (3004,000A)")),
    Variant("beam_alone", "a BEAM dose of beam 1 alone (6 beams missing)",
            lambda v: v.edit(P["rd1"], lambda ds: (setattr(ds, "DoseSummationType", "BEAM"),
                                                   ref_group(ds, 1, [1]))),
            refuse("RD_course1.dcm", "ReferencedBeamNumber (300C,0006)", "2, 3, 4, 5, 6, 7")),
    Variant("beam_no_reference", "a BEAM dose that names no beam",
            lambda v: v.edit(P["rd1"], lambda ds: (setattr(ds, "DoseSummationType", "BEAM"),
                                                   ref_group(ds, 1))),
            refuse("RD_course1.dcm", "ReferencedBeamNumber (300C,0006)", "absent")),
    Variant("beam_not_in_plan", "a BEAM dose of beam 99, which the plan does not have",
            lambda v: v.edit(P["rd2"], lambda ds: (setattr(ds, "DoseSummationType", "BEAM"),
                                                   ref_group(ds, 1, [99]))),
            refuse("RD_course2.dcm", "ReferencedBeamNumber (300C,0006)", "99")),
    Variant("beam_without_plan", "a BEAM dose and no RTPLAN in the case",
            both(lambda v: v.edit(P["rd1"], lambda ds: (setattr(ds, "DoseSummationType", "BEAM"),
                                                        ref_group(ds, 1, [1, 2, 3, 4, 5, 6, 7]))),
                 edit_case(lambda c: c["courses"][0]["dicom"].pop("rtplan"))),
            refuse("RD_course1.dcm", "DoseSummationType (3004,000A)", "BEAM")),
    Variant("fraction_group_not_in_plan", "FRACTION dose of fraction group 2; the plan has group 1 only",
            lambda v: v.edit(P["rd1"], lambda ds: (setattr(ds, "DoseSummationType", "FRACTION"),
                                                   ref_group(ds, 2))),
            refuse("RD_course1.dcm", "ReferencedFractionGroupNumber (300C,0022)", "2")),
    # per-fraction doses: computed correctly, or refused when they pretend to be the course
    Variant("session_prior", "course1 exported as one session (FRACTION_SESSION): x 35",
            as_session(P["rd1"], 35, "course1"),
            computes(all_of(check_findings("FRACTION_SESSION", "x 35 fractions"),
                            check_same_as_base(1, rel_tol=2e-5)),
                     commands=[ACCUMULATE, EVALUATE])),
    Variant("session_planned_closed_form", "course2 as one session: EQD2 = closed form of 30 sessions",
            as_session(P["rd2"], 30, "course2"),
            computes(check_course_eqd2("course2"), commands=[ACCUMULATE])),
    Variant("session_without_plan", "one session, no RTPLAN: x the case file's 35 fractions, said so",
            both(as_session(P["rd1"], 35, "course1"),
                 edit_case(lambda c: c["courses"][0]["dicom"].pop("rtplan"))),
            computes(all_of(check_findings("no RTPLAN", severity="warning"),
                            check_same_as_base(1, rel_tol=2e-5)), commands=[ACCUMULATE, EVALUATE])),
    Variant("fraction_full_course", "Pinnacle: the full-course dose labelled FRACTION (one whole group)",
            as_fraction_group(P["rd2"], 30, "course2"),
            computes(check_course_eqd2("course2"), commands=[ACCUMULATE])),
    Variant("fraction_full_course_prior", "the prior course's dose labelled FRACTION: same results",
            as_fraction_group(P["rd1"], 35, "course1"),
            computes(check_same_as_base(0))),
    Variant("per_fraction_labelled_plan", "one fraction's dose labelled PLAN: implausible",
            scale_dose(P["rd1"], 1.0 / 35),
            refuse("RD_course1.dcm", "PixelData (7FE0,0010)", "0.0286 x")),
    Variant("cgy_as_gy", "the dose 100 times too high (cGy read as Gy)", scale_dose(P["rd2"], 100.0),
            refuse("RD_course2.dcm", "PixelData (7FE0,0010)", "100 x")),
    Variant("implausible_overridden", "a dose 3x its prescription, allowed by override dose_implausible",
            both(scale_dose(P["rd2"], 3.0),
                 override({"interlock": "dose_implausible", "course": "course2",
                           "reason": "re-planned, dose checked by hand"})),
            computes(check_findings("dose_implausible", "re-planned", severity="overridden"))),
    Variant("negative_values", "a negative dose value (signed pixel data)", negative,
            refuse("RD_course1.dcm", "PixelData (7FE0,0010)", "negative")),
    Variant("all_zero", "every dose value 0", scale_dose(P["rd1"], 0.0),
            refuse("RD_course1.dcm", "PixelData (7FE0,0010)", "every value is 0")),
    Variant("scaling_zero", "DoseGridScaling 0", set_attrs(P["rd2"], DoseGridScaling="0"),
            refuse("RD_course2.dcm", "DoseGridScaling (3004,000E)")),
    Variant("scaling_missing", "DoseGridScaling absent", set_attrs(P["rd1"], DoseGridScaling=None),
            refuse("RD_course1.dcm", "DoseGridScaling (3004,000E)")),
    Variant("rtdose_is_a_plan", "the course's rtdose is (a copy of) an RTPLAN file",
            both(lambda v: v.copy(P["rp1"], "course1/RD_plan.dcm"),
                 edit_case(lambda c: c["courses"][0]["dicom"].update(rtdose="course1/RD_plan.dcm"))),
            refuse("RD_plan.dcm", "not an RTDOSE")),
    Variant("rtplan_also_rtdose", "one file listed as a course's rtplan and rtdose",
            edit_case(lambda c: c["courses"][0]["dicom"].update(rtdose=P["rp1"])),
            refuse("RP_course1.dcm", "$.courses[0].dicom.rtplan", "two roles")),
    Variant("rtdose_truncated", "the RTDOSE file cut in half", truncate(P["rd1"], 0.5),
            refuse("RD_course1.dcm")),
    Variant("rtdose_missing_file", "the RTDOSE path does not exist",
            edit_case(lambda c: c["courses"][1]["dicom"].update(rtdose="course2/missing.dcm")),
            refuse("missing.dcm")),
    # plan references
    Variant("plan_reference_unknown", "ReferencedRTPlanSequence names a plan nobody lists",
            lambda v: v.edit(P["rd1"], lambda ds: setattr(ds.ReferencedRTPlanSequence[0],
                                                          "ReferencedSOPInstanceUID", v.new_uid("plan"))),
            refuse("RD_course1.dcm", "ReferencedRTPlanSequence (300C,0002)", "plan_reference")),
    Variant("plan_reference_overridden", "an unknown plan reference, allowed by plan_reference",
            both(lambda v: v.edit(P["rd1"], lambda ds: setattr(ds.ReferencedRTPlanSequence[0],
                                                               "ReferencedSOPInstanceUID", v.new_uid("plan"))),
                 override({"interlock": "plan_reference", "object": P["rd1"],
                           "reason": "plan re-exported with a new UID"})),
            computes(all_of(check_findings("plan_reference", severity="overridden"),
                            check_same_as_base(0)))),
    Variant("plan_reference_other_course", "course2's dose names course1's plan",
            lambda v: v.edit(P["rd2"], lambda ds: setattr(
                ds.ReferencedRTPlanSequence[0], "ReferencedSOPInstanceUID",
                v.read(P["rp1"]).SOPInstanceUID)),
            refuse("RD_course2.dcm", "ReferencedRTPlanSequence (300C,0002)", "course1")),
    Variant("plan_reference_absent", "no ReferencedRTPlanSequence, one plan: taken as its dose",
            set_attrs(P["rd1"], ReferencedRTPlanSequence=None),
            computes(all_of(check_findings("ReferencedRTPlanSequence", "absent", severity="warning"),
                            check_same_as_base(0)))),
    # particles
    Variant("proton_physical_dose", "a proton course whose RTDOSE is PHYSICAL",
            proton_course2, refuse("RD_course2.dcm", "DoseType (3004,0004)", "PHYSICAL for a proton")),
    Variant("proton_physical_overridden", "physical proton dose x 1.1 by override: closed form",
            both(proton_course2, record_base(P["rd2"], 30, "course2", 1.1),
                 override({"interlock": "physical_particle_dose", "course": "course2",
                           "reason": "TPS exported physical dose; clinical RBE 1.1"})),
            computes(all_of(check_course_eqd2("course2"),
                            lambda v, rs: _rbe_fixed(rs[0])), commands=[ACCUMULATE])),
    Variant("proton_effective_ok", "a proton course with an EFFECTIVE dose: computed as RBE_FIXED",
            both(proton_course2, set_attrs(P["rd2"], DoseType="EFFECTIVE", ImageComments=None),
                 record_base(P["rd2"], 30, "course2")),
            computes(check_course_eqd2("course2"), commands=[ACCUMULATE])),
    Variant("carbon_physical_dose", "a carbon LEM_I course (carbon plan) with a PHYSICAL dose",
            both(edit_case(lambda c: c["courses"][1].update(modality="carbon", rbe_model="LEM_I")),
                 lambda v: v.edit(P["rp2"], lambda ds: [setattr(b, "RadiationType", "ION") or
                                                        setattr(b, "RadiationAtomicNumber", 6)
                                                        for b in ds.BeamSequence])),
            refuse("RD_course2.dcm", "DoseType (3004,0004)", "carbon")),
]


def _rbe_fixed(r):
    assert r.json, r
    assert any(f["check"] == "dose.rbe" for f in r.json["checks"]["findings"]), r.json["checks"]
