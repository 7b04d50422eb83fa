"""variants_groups.py — real-export shapes of a course dose (issue 12 items 2 and 3): plans with
several fraction groups (sequential boosts 25+5, 16+4, 25+7+3), one dose per group (FRACTION or
FRACTION_SESSION), a boost as a second plan, per-beam doses (BEAM, BEAM_SESSION, setup fields),
and the ways they go wrong (a group or beam missing, counted twice, one PLAN dose for several
groups). Computed cases are checked voxel by voxel against the closed form
EQD2 = Σ_g D_g (D_g/n_g + α/β)/(2 + α/β) (domain-reference §1.1)."""
import copy
import os

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from malformed import (ACCUMULATE, EVALUATE, PHANTOM as P, Variant, refuse, computes, eqd2,
                       read_map, check_course_eqd2, check_findings, check_same_as_base, all_of)


def _item(**kw):
    d = Dataset()
    for k, x in kw.items():
        setattr(d, k, x)
    return d


def make_groups(v, rp, fx):
    """Rewrite plan rp with len(fx) fraction groups; group i > 1 gets its own copies of the beams."""
    ds = v.read(rp)
    fg0 = ds.FractionGroupSequence[0]
    beams = list(ds.BeamSequence)
    nb = len(beams)
    groups = []
    for i, n in enumerate(fx):
        g = copy.deepcopy(fg0)
        g.FractionGroupNumber = i + 1
        g.NumberOfFractionsPlanned = n
        if i > 0:
            refs = []
            for b in beams:
                nbm = copy.deepcopy(b)
                nbm.BeamNumber = int(b.BeamNumber) + nb * i
                nbm.BeamName = "G%dB%d" % (i + 1, int(b.BeamNumber))
                ds.BeamSequence.append(nbm)
                refs.append(_item(ReferencedBeamNumber=nbm.BeamNumber))
            g.ReferencedBeamSequence = Sequence(refs)
        groups.append(g)
    ds.FractionGroupSequence = Sequence(groups)
    v.write(rp, ds)
    return ds


def dose_file(v, src_rel, dst_rel, arr, summation, group=None, beams=None, plan_uid=None, key=None):
    """A new RTDOSE like src_rel with its own SOP instance, the given values and labels."""
    ds = v.read(src_rel)
    ds.SOPInstanceUID = v.new_uid(key or dst_rel)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    v.put_dose(ds, arr)
    ds.DoseSummationType = summation
    if "ImageComments" in ds:
        del ds.ImageComments
    ref = ds.ReferencedRTPlanSequence[0]
    if plan_uid:
        ref.ReferencedSOPInstanceUID = plan_uid
    if group is not None:
        fg = _item(ReferencedFractionGroupNumber=group)
        if beams:
            fg.ReferencedBeamSequence = Sequence([_item(ReferencedBeamNumber=b) for b in beams])
        ref.ReferencedFractionGroupSequence = Sequence([fg])
    v.write(dst_rel, ds)
    return ds


def boost_weight(D):
    """Fraction of the dose given by the boost group(s): 0.5 (D/Dmax)², so the groups are not
    proportional (a real boost is concentrated where the dose is high)."""
    return 0.5 * (D / D.max()) ** 2


def split_groups(course, fx, session=False, reference=True, drop_group=None, no_group_ref=False,
                 extra=None):
    """Split course `course`'s dose into len(fx) groups of its (rewritten) plan: group 1 gets
    (1 − b)·D, the boost groups share b·D (b = boost_weight); one FRACTION (or FRACTION_SESSION)
    RTDOSE per group; the case lists them and its fractions become Σ fx."""
    i = int(course[-1]) - 1
    rd, rp = P["rd%d" % (i + 1)], P["rp%d" % (i + 1)]

    def m(v):
        D = v.dose(rd)
        make_groups(v, rp, fx)
        b = boost_weight(D)
        parts = [D * (1 - b)] + [D * b / (len(fx) - 1)] * (len(fx) - 1) if len(fx) > 1 else [D]
        files = []
        for g, (Dg, n) in enumerate(zip(parts, fx)):
            if drop_group == g + 1:
                continue
            rel = "%s/RD_%s_g%d.dcm" % (course, course, g + 1)
            dose_file(v, rd, rel, Dg / n if session else Dg,
                      "FRACTION_SESSION" if session else "FRACTION", None if no_group_ref else g + 1)
            files.append(rel)
        v.expect_parts[course] = [(Dg, n) for Dg, n in zip(parts, fx)]
        if extra:
            files.append(extra(v))
        c = v.case["courses"][i]
        c["dicom"]["rtdose"] = files
        c["fractions"] = sum(fx)
        if reference:
            single_course(v, i)
        v.save_case()
    return m


def single_course(v, i):
    """Keep only course i, as the planned (reference) course: its EQD2 map is then on its own
    grid and the closed form applies voxel by voxel."""
    c = v.case["courses"][i]
    c["role"] = "planned"
    v.case["courses"] = [c]
    v.case["reference_course"] = c["id"]
    v.case.pop("registrations", None)


def two_plans(fx=(25, 5)):
    """course2's boost as a second RTPLAN (Eclipse): plan A fx[0] fractions, plan B fx[1]; one PLAN
    dose each; prescriptions 30 + 30 Gy."""
    def m(v):
        D = v.dose(P["rd2"])
        b = boost_weight(D)
        pa = v.read(P["rp2"])
        pa.FractionGroupSequence[0].NumberOfFractionsPlanned = fx[0]
        pa.DoseReferenceSequence[0].TargetPrescriptionDose = "30"
        v.write(P["rp2"], pa)
        pb = copy.deepcopy(pa)
        pb.SOPInstanceUID = v.new_uid("planB")
        pb.file_meta.MediaStorageSOPInstanceUID = pb.SOPInstanceUID
        pb.RTPlanLabel = "boost"
        pb.FractionGroupSequence[0].NumberOfFractionsPlanned = fx[1]
        v.write("course2/RP_course2_boost.dcm", pb)
        dose_file(v, P["rd2"], "course2/RD_A.dcm", D * (1 - b), "PLAN", plan_uid=pa.SOPInstanceUID)
        dose_file(v, P["rd2"], "course2/RD_B.dcm", D * b, "PLAN", plan_uid=pb.SOPInstanceUID)
        c = v.case["courses"][1]
        c["dicom"]["rtplan"] = [P["rp2"], "course2/RP_course2_boost.dcm"]
        c["dicom"]["rtdose"] = ["course2/RD_A.dcm", "course2/RD_B.dcm"]
        c["fractions"] = sum(fx)
        v.expect_parts["course2"] = [(D * (1 - b), fx[0]), (D * b, fx[1])]
        single_course(v, 1)
        v.save_case()
    return m


WEIGHTS = np.array([3, 1, 2, 5, 1, 4, 2], dtype=np.float64)


def per_beam(session=False, missing=None, duplicate=None, grouped=False, setup_beam=False,
             with_plan_dose=False):
    """course2's dose as one RTDOSE per beam (Eclipse 'dose per field'): beam b gets w_b·D."""
    def m(v):
        D = v.dose(P["rd2"])
        w = WEIGHTS / WEIGHTS.sum()
        files = []
        if setup_beam:
            def add_setup(ds):
                sb = copy.deepcopy(ds.BeamSequence[0])
                sb.BeamNumber = 8
                sb.BeamName = "SETUP"
                sb.TreatmentDeliveryType = "SETUP"
                ds.BeamSequence.append(sb)
                ds.FractionGroupSequence[0].ReferencedBeamSequence.append(
                    _item(ReferencedBeamNumber=8))
            v.edit(P["rp2"], add_setup)
        if grouped:  # beams 1-3 in one file, 4-7 in another
            for k, bs in enumerate(([1, 2, 3], [4, 5, 6, 7])):
                Dk = D * sum(w[b - 1] for b in bs)
                rel = "course2/RD_beams%d.dcm" % k
                dose_file(v, P["rd2"], rel, Dk / 30 if session else Dk,
                          "BEAM_SESSION" if session else "BEAM", 1, bs)
                files.append(rel)
        else:
            for b in range(1, 8):
                if b == missing:
                    continue
                rel = "course2/RD_beam%d.dcm" % b
                Db = D * w[b - 1]
                dose_file(v, P["rd2"], rel, Db / 30 if session else Db,
                          "BEAM_SESSION" if session else "BEAM", 1, [b])
                files.append(rel)
                if b == duplicate:
                    dose_file(v, P["rd2"], rel + ".dup.dcm", Db, "BEAM", 1, [b], key="dup")
                    files.append(rel + ".dup.dcm")
        if with_plan_dose:
            files.append(P["rd2"])
        v.case["courses"][1]["dicom"]["rtdose"] = files
        v.expect_parts["course2"] = [(D, 30)]
        single_course(v, 1)
        v.save_case()
    return m


def multi_plan_dose(override=False):
    """A 2-group plan (25+5) with ONE PLAN dose for both groups."""
    def m(v):
        D = v.dose(P["rd2"])
        make_groups(v, P["rp2"], (25, 5))
        v.case["courses"][1]["fractions"] = 30
        if override:
            v.case.setdefault("overrides", []).append(
                {"interlock": "multigroup_plan_dose", "course": "course2",
                 "reason": "only the plan sum was exported; bound accepted"})
        v.expect_parts["course2"] = [(D, 5)]  # the stated bound: the smallest group count
        single_course(v, 1)
        v.save_case()
    return m


def mapped_groups(fx):
    """course1 (the prior, mapped through the deformable registration) as len(fx) groups with
    CONSTANT weights: each mapped group is w_g·D' (warping is linear), so its EQD2 map must be
    Σ_g w_g D'(w_g D'/n_g + α/β)/(2 + α/β), with D' recovered from the unmodified phantom's
    EQD2_course1 (35 fractions) by the exact LQ inverse."""
    w = np.array([0.6] + [0.4 / (len(fx) - 1)] * (len(fx) - 1))

    def m(v):
        D = v.dose(P["rd1"])
        make_groups(v, P["rp1"], fx)
        files = []
        for g, n in enumerate(fx):
            rel = "course1/RD_g%d.dcm" % (g + 1)
            dose_file(v, P["rd1"], rel, D * w[g], "FRACTION", g + 1)
            files.append(rel)
        v.case["courses"][0]["dicom"]["rtdose"] = files
        v.case["courses"][0]["fractions"] = sum(fx)
        v.save_case()

    def check(v, results):
        r = results[0]
        assert r.rc == 0, r
        base = v.base_results["accumulate_dir"]
        ab = read_map(os.path.join(base, "alpha_beta.dcm"))
        E0 = read_map(os.path.join(base, "EQD2_course1.dcm"))
        n0 = 35.0
        Dm = n0 * (-ab + np.sqrt(ab * ab + 4 * (2 + ab) * E0 / n0)) / 2
        want = sum(eqd2(w[g] * Dm, n, ab) for g, n in enumerate(fx))
        got = read_map(os.path.join(r.out_dir, "EQD2_course1.dcm"))
        err = float(np.max(np.abs(got - want)))
        assert err < 5e-3, "mapped group EQD2 differs from the closed form by %.4g Gy" % err
        assert float(np.max(np.abs(E0 - want))) > 0.5, "not discriminating"
    return m, check


_m1, _c1 = mapped_groups((25, 7, 3))
_m2, _c2 = mapped_groups((16, 4))
ACC = [ACCUMULATE]

VARIANTS = [
    Variant("two_groups_fraction", "25+5 fractions, one FRACTION dose per group: closed form",
            split_groups("course2", (25, 5)), computes(check_course_eqd2("course2"), commands=ACC)),
    Variant("three_groups_session", "25+3+2, one FRACTION_SESSION dose per group: x each group's count",
            split_groups("course2", (25, 3, 2), session=True),
            computes(all_of(check_course_eqd2("course2"), check_findings("x 3 fractions")), commands=ACC)),
    Variant("groups_16_4_prior", "course1 as 16+4 (20 fractions): closed form",
            split_groups("course1", (16, 4)), computes(check_course_eqd2("course1"), commands=ACC)),
    Variant("groups_25_7_3_prior", "course1 as 25+7+3 (35 fractions): closed form",
            split_groups("course1", (25, 7, 3)), computes(check_course_eqd2("course1"), commands=ACC)),
    Variant("groups_mapped_25_7_3", "prior 25+7+3 mapped through the registration: closed form",
            _m1, computes(_c1, commands=ACC)),
    Variant("groups_mapped_16_4", "prior 16+4 (20 fx) mapped through the registration: closed form",
            _m2, computes(_c2, commands=ACC)),
    Variant("groups_evaluate", "two-course case, prior as 25+7+3: evaluate computes",
            _m1, computes(commands=[EVALUATE])),
    Variant("groups_consult", "two-course case, prior as 25+7+3: the consult computes and says so",
            _m1, computes(lambda v, rs: _consult_states_groups(rs[0]),
                          commands=[["consult", "{case}", "--protocol", "care_s0", "--out", "{out}"]])),
    Variant("two_plans_boost", "the boost as a second plan (25 + 5 fx), one PLAN dose each",
            two_plans(), computes(check_course_eqd2("course2"), commands=ACC)),
    Variant("two_plans_one_dose", "two plans, only the first plan's dose listed",
            lambda v: (two_plans()(v), v.case["courses"][0]["dicom"].update(rtdose=["course2/RD_A.dcm"]),
                       v.save_case()),
            refuse("RP_course2_boost.dcm", "FractionGroupSequence (300A,0070)", "has no dose")),
    Variant("group_missing", "25+5 fractions, the boost group's dose not listed",
            split_groups("course2", (25, 5), drop_group=2),
            refuse("RP_course2.dcm", "FractionGroupSequence (300A,0070)", "fraction group 2")),
    Variant("group_not_referenced", "25+5, FRACTION doses that do not say their group",
            split_groups("course2", (25, 5), no_group_ref=True),
            refuse("RD_course2_g1.dcm", "ReferencedFractionGroupNumber (300C,0022)", "absent")),
    Variant("group_counted_twice", "25+5 doses and the old PLAN dose listed too",
            split_groups("course2", (25, 5), extra=lambda v: P["rd2"]),
            refuse("DoseSummationType (3004,000A)", "covered twice")),
    Variant("group_fractions_mismatch", "groups 25+7 but the case says 30",
            lambda v: (split_groups("course2", (25, 7))(v), v.case["courses"][0].update(fractions=30),
                       v.save_case()),
            refuse("RP_course2.dcm", "NumberOfFractionsPlanned (300A,0078)", "32", "30")),
    Variant("group_fractions_empty", "25+5 plan whose boost group has an empty NumberOfFractionsPlanned",
            lambda v: (split_groups("course2", (25, 5))(v),
                       v.edit(P["rp2"], lambda ds: setattr(ds.FractionGroupSequence[1],
                                                           "NumberOfFractionsPlanned", None))),
            refuse("RP_course2.dcm", "NumberOfFractionsPlanned (300A,0078)", "fraction group 2")),
    Variant("plan_fractions_empty", "a one-group plan with an empty NumberOfFractionsPlanned: the case's count",
            lambda v: v.edit(P["rp1"], lambda ds: setattr(ds.FractionGroupSequence[0],
                                                          "NumberOfFractionsPlanned", None)),
            computes(all_of(check_findings("NumberOfFractionsPlanned", "35", severity="warning"),
                            check_same_as_base(0)))),
    Variant("multigroup_plan_dose", "a 25+5 plan with one PLAN-summed dose: refused",
            multi_plan_dose(), refuse("RD_course2.dcm", "DoseSummationType (3004,000A)", "2 fraction groups")),
    Variant("multigroup_plan_dose_bound", "...allowed by override: the smallest count, an upper bound",
            multi_plan_dose(override=True),
            computes(all_of(check_course_eqd2("course2"), check_findings("UPPER BOUND")), commands=ACC)),
    Variant("per_beam", "7 BEAM doses, one per beam: their sum in 30 fractions",
            per_beam(), computes(check_course_eqd2("course2"), commands=ACC)),
    Variant("per_beam_session", "7 BEAM_SESSION doses: sum x 30 fractions",
            per_beam(session=True), computes(check_course_eqd2("course2"), commands=ACC)),
    Variant("per_beam_grouped", "BEAM doses of beams 1-3 and 4-7 in two files",
            per_beam(grouped=True), computes(check_course_eqd2("course2"), commands=ACC)),
    Variant("per_beam_setup_field", "7 BEAM doses; the plan's SETUP field has none (none needed)",
            per_beam(setup_beam=True), computes(check_course_eqd2("course2"), commands=ACC)),
    Variant("per_beam_missing", "6 of 7 BEAM doses (beam 4 missing)",
            per_beam(missing=4), refuse("ReferencedBeamNumber (300C,0006)", "beam(s) 4", "6 of 7")),
    Variant("per_beam_duplicate", "7 BEAM doses and a second file for beam 3",
            per_beam(duplicate=3), refuse("ReferencedBeamNumber (300C,0006)", "beam 3 has two dose files")),
    Variant("per_beam_and_plan_dose", "7 BEAM doses and the PLAN dose too",
            per_beam(with_plan_dose=True), refuse("DoseSummationType (3004,000A)", "covered twice")),
]


def _consult_states_groups(r):
    import json
    with open(os.path.join(r.out_dir, "report.json")) as f:
        rep = json.load(f)
    ch = rep["checks"]["findings"]
    assert any(x["check"] == "dose.course" and "3 parts" in x["message"] for x in ch), ch
