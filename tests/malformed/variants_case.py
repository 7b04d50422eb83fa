"""variants_case.py — the case file and identity (issue 12 items 4 and 8): duplicate JSON keys,
prior courses in the future, patient identity, unknown or misapplied overrides, objects listed
for two courses, plan facts against the case file."""
import json
import re

from malformed import (CASE_CHECK, EVALUATE, ACCUMULATE, CONSULT, PHANTOM as P, Variant, refuse,
                       computes, check_findings, check_same_as_base, all_of)


def dup_key(path_regex, key, value):
    """Insert `"key": value,` right after the opening of the object whose first key matches."""
    def m(v):
        text = json.dumps(v.case, indent=1)
        new, n = re.subn(path_regex, lambda mt: mt.group(0) + ' "%s": %s,' % (key, json.dumps(value)),
                         text, count=1)
        assert n == 1, path_regex
        v.write_text("case.json", new)
    return m


def edit_case(fn):
    def m(v):
        fn(v.case)
        v.save_case()
    return m


def override(entry):
    def fn(c):
        c.setdefault("overrides", []).append(entry)
    return edit_case(fn)


def both(*muts):
    def m(v):
        for x in muts:
            x(v)
    return m


def set_patient(rel, **kw):
    return lambda v: v.set(rel, **kw)


def set_ct_patient(course, **kw):
    def m(v):
        d = "course%d/CT" % course
        for f in v.listdir(d):
            v.set(d + "/" + f, **kw)
    return m


VARIANTS = [
    # --- duplicate keys (cJSON keeps both silently) ---
    Variant("dup_key_course_fractions", "a course gives fractions twice",
            dup_key(r'"id": "course1",', "fractions", 30),
            refuse("case.json", "$.courses[0]", "'fractions' appears twice")),
    Variant("dup_key_patient_id", "patient.id twice with different values",
            dup_key(r'"patient": \{', "id", "OTHER"),
            refuse("case.json", "$.patient", "'id' appears twice")),
    Variant("dup_key_top", "reference_course given twice at the top level",
            dup_key(r'^\{', "reference_course", "course1"),
            refuse("case.json", "$:", "'reference_course' appears twice")),
    Variant("dup_key_registration", "a registration names 'to' twice",
            dup_key(r'"from": "course1",', "to", "course1"),
            refuse("case.json", "$.registrations[0]", "'to' appears twice")),
    Variant("dup_key_dicom", "a course's dicom object names rtdose twice",
            dup_key(r'"dicom": \{', "rtdose", "course2/RD_course2.dcm"),
            refuse("case.json", "$.courses[0].dicom", "'rtdose' appears twice")),
    Variant("dup_key_clinical", "a clinical fact given twice",
            dup_key(r'"clinical": \{', "ecog", 3),
            refuse("case.json", "$.clinical", "'ecog' appears twice")),
    # --- dates ---
    Variant("prior_end_in_future", "the prior course ends in 2099",
            edit_case(lambda c: c["courses"][0].update(end_date="2099-04-23")),
            refuse("case.json", "$.courses[0].end_date", "in the future")),
    Variant("prior_start_in_future", "the prior course starts and ends in the future",
            edit_case(lambda c: c["courses"][0].update(start_date="2098-03-08", end_date="2098-04-23")),
            refuse("case.json", "$.courses[0].start_date", "in the future")),
    # --- patient identity ---
    Variant("case_patient_id_differs", "$.patient.id differs from every DICOM PatientID",
            edit_case(lambda c: c["patient"].update(id="RERT-PH-2")),
            refuse("PatientID (0010,0020)", "'RERT-PH-1'", "'RERT-PH-2'")),
    Variant("case_birth_date_differs", "$.patient.birth_date differs from the DICOM's",
            edit_case(lambda c: c["patient"].update(birth_date="1960-06-14")),
            refuse("PatientBirthDate (0010,0030)", "'19590614'", "1960-06-14")),
    Variant("rtdose_other_patient", "course1's RTDOSE carries another PatientID",
            set_patient(P["rd1"], PatientID="RERT-PH-9"),
            refuse("RD_course1.dcm", "PatientID (0010,0020)", "RERT-PH-9")),
    Variant("rtstruct_other_patient", "course2's RTSTRUCT carries another PatientID",
            set_patient(P["rs2"], PatientID="RERT-PH-9"),
            refuse("RS_course2.dcm", "PatientID (0010,0020)")),
    Variant("rtplan_other_patient", "course1's RTPLAN carries another PatientID",
            set_patient(P["rp1"], PatientID="SOMEONE"),
            refuse("RP_course1.dcm", "PatientID (0010,0020)")),
    Variant("ct_other_patient", "course2's CT series carries another PatientID",
            set_ct_patient(2, PatientID="SOMEONE"),
            refuse("course2/CT", "PatientID (0010,0020)")),
    Variant("reg_other_patient", "the registration carries another PatientID",
            set_patient(P["reg"], PatientID="SOMEONE"),
            refuse("REG_course1_to_course2.dcm", "PatientID (0010,0020)")),
    Variant("rtdose_other_name", "same PatientID, another PatientName",
            set_patient(P["rd2"], PatientName="Other^Person"),
            refuse("RD_course2.dcm", "PatientName (0010,0010)")),
    Variant("rtdose_other_birth_date", "same PatientID, another PatientBirthDate",
            set_patient(P["rd1"], PatientBirthDate="19700101"),
            refuse("RD_course1.dcm", "PatientBirthDate (0010,0030)")),
    Variant("other_patient_overridden", "another PatientID, allowed by a same_patient override",
            both(set_patient(P["rd1"], PatientID="RERT-PH-9"),
                 override({"interlock": "same_patient", "object": P["rd1"],
                           "reason": "export re-identified by the archive"})),
            computes(all_of(check_findings("same_patient", "re-identified", severity="overridden"),
                            check_same_as_base(0)))),
    # --- overrides ---
    Variant("override_unknown_interlock", "an override names no known interlock",
            override({"interlock": "no_such_check", "reason": "x"}),
            refuse("case.json", "$.overrides[0].interlock", "unknown interlock 'no_such_check'")),
    Variant("override_unknown_course", "an override names a course that does not exist",
            override({"interlock": "same_patient", "course": "course9", "reason": "x"}),
            refuse("case.json", "$.overrides[0].course", "course9")),
    Variant("override_object_not_listed", "an override names a file the case does not list",
            override({"interlock": "same_patient", "object": "course1/nothing.dcm", "reason": "x"}),
            refuse("case.json", "$.overrides[0].object")),
    Variant("override_without_reason", "an interlock override without a reason",
            override({"interlock": "same_patient"}),
            refuse("case.json", "$.overrides[0].reason")),
    Variant("override_two_shapes", "an override that is both interlock and structure",
            override({"interlock": "same_patient", "structure": "SpinalCord", "reason": "x"}),
            refuse("case.json", "$.overrides[0]", "exactly one of")),
    Variant("override_unused", "a known override that matches nothing: computed, said so",
            override({"interlock": "dose_implausible", "reason": "not needed"}),
            computes(all_of(check_findings("matched no refusal", severity="warning"),
                            check_same_as_base(0)))),
    # --- one object for two courses ---
    Variant("same_rtdose_both_courses", "course2 lists course1's RTDOSE",
            edit_case(lambda c: c["courses"][1]["dicom"].update(rtdose=P["rd1"])),
            refuse("RD_course1.dcm", "$.courses[1].dicom.rtdose", "course1")),
    Variant("same_rtplan_both_courses", "course2 lists course1's RTPLAN",
            edit_case(lambda c: c["courses"][1]["dicom"].update(rtplan=P["rp1"])),
            refuse("RP_course1.dcm", "$.courses[1].dicom.rtplan")),
    Variant("rtdose_copy_two_courses", "a copy of course1's RTDOSE (same SOP instance) for course2",
            both(lambda v: v.copy(P["rd1"], "course2/RD_copy.dcm"),
                 edit_case(lambda c: c["courses"][1]["dicom"].update(rtdose="course2/RD_copy.dcm"))),
            refuse("SOPInstanceUID (0008,0018)")),
    Variant("rtdose_listed_twice", "one course lists its RTDOSE twice",
            edit_case(lambda c: c["courses"][0]["dicom"].update(rtdose=[P["rd1"], P["rd1"]])),
            refuse("case.json", "$.courses[0].dicom.rtdose[1]", "listed twice")),
    Variant("rtdose_copy_same_course", "one course lists its RTDOSE and a copy of it",
            both(lambda v: v.copy(P["rd1"], "course1/RD_copy.dcm"),
                 edit_case(lambda c: c["courses"][0]["dicom"].update(rtdose=[P["rd1"], "course1/RD_copy.dcm"]))),
            refuse("RD_copy.dcm", "SOPInstanceUID (0008,0018)")),
    Variant("doses_swapped", "course1 and course2 list each other's RTDOSE",
            edit_case(lambda c: (c["courses"][0]["dicom"].update(rtdose=P["rd2"]),
                                 c["courses"][1]["dicom"].update(rtdose=P["rd1"]))),
            refuse("FrameOfReferenceUID (0020,0052)")),
    Variant("ct_shared", "course2 lists course1's CT directory",
            edit_case(lambda c: c["courses"][1]["dicom"].update(ct_dir=P["ct1"])),
            refuse("course1/CT", "$.courses[1].dicom.ct_dir")),
    # --- plan facts against the case file ---
    Variant("fractions_case_30_plan_35", "the case says 30 fractions, the plan 35",
            edit_case(lambda c: c["courses"][0].update(fractions=30)),
            refuse("RP_course1.dcm", "NumberOfFractionsPlanned (300A,0078)", "35", "30")),
    Variant("fractions_mismatch_overridden", "fractions differ; override: the plan's count is used",
            both(edit_case(lambda c: c["courses"][0].update(fractions=30)),
                 override({"interlock": "fractions_mismatch", "course": "course1",
                           "reason": "case file typo, plan checked"})),
            computes(all_of(check_findings("fractions_mismatch", severity="overridden"),
                            check_same_as_base(0)))),
    Variant("prescription_mismatch", "the case prescribes 60 Gy to course1, the plan 70 Gy",
            edit_case(lambda c: c["courses"][0].update(prescription_gy=60)),
            refuse("RP_course1.dcm", "TargetPrescriptionDose (300A,0026)", "70", "60")),
    Variant("case_proton_plan_photon", "the case says proton, the plan's beams are photons",
            edit_case(lambda c: c["courses"][0].update(modality="proton", rbe_model="RBE_FIXED")),
            refuse("RP_course1.dcm", "RadiationType (300A,00C6)", "proton")),
    Variant("case_carbon_plan_photon", "the case says carbon LEM_I, the plan photons",
            edit_case(lambda c: c["courses"][1].update(modality="carbon", rbe_model="LEM_I")),
            refuse("RP_course2.dcm", "RadiationType (300A,00C6)", "carbon")),
    Variant("case_proton_physical", "a proton course with rbe_model PHYSICAL",
            edit_case(lambda c: c["courses"][1].update(modality="proton", rbe_model="PHYSICAL")),
            refuse("case.json", "$.courses[1].rbe_model", "PHYSICAL")),
    # --- reference course, not file order ---
    Variant("courses_reordered", "the planned course listed first: same results",
            edit_case(lambda c: c.update(courses=[c["courses"][1], c["courses"][0]])),
            computes(check_same_as_base(0))),
    Variant("case_check_json_refusal", "case check --json: one document with the refusal",
            edit_case(lambda c: c["patient"].update(id="X")),
            computes(lambda v, rs: (_one_doc(rs[0])), commands=[CASE_CHECK], exit_codes=(2,))),
]


def _one_doc(r):
    assert r.json is not None, "not one JSON document: %r" % r.stdout[:500]
    assert r.json.get("status") == "refused" and r.json.get("exit_code") == 2, r.json.get("status")
    assert any(f["severity"] == "refusal" and "PatientID" in f["where"] for f in r.json["findings"])
