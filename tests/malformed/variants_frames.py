"""variants_frames.py — frames of reference and links (issue 12 items 1 and 4): RTSTRUCT, RTDOSE
and CT of a course in one frame; a registration joins exactly the frames of its two courses;
courses in different frames need one; CT directories with one series; structure sets that point
elsewhere."""
import copy

from malformed import (ACCUMULATE, EVALUATE, PHANTOM as P, Variant, refuse, computes,
                       check_findings, check_same_as_base, all_of)


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


def new_for(v):
    return v.new_uid("for")


def rs_frame(rel, roi_too=False):
    def m(v):
        u = new_for(v)

        def fn(ds):
            ds.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID = u
            if "FrameOfReferenceUID" in ds:
                ds.FrameOfReferenceUID = u
            if roi_too:
                for r in ds.StructureSetROISequence:
                    r.ReferencedFrameOfReferenceUID = u
        v.edit(rel, fn)
    return m


def one_roi_frame(v):
    u = new_for(v)
    v.edit(P["rs2"], lambda ds: setattr(ds.StructureSetROISequence[1], "ReferencedFrameOfReferenceUID", u))


def ct_frame(course):
    def m(v):
        u = new_for(v)
        d = "course%d/CT" % course
        for f in v.listdir(d):
            v.set(d + "/" + f, FrameOfReferenceUID=u)
    return m


def reg_frames(moving=None, fixed=None, swap=False):
    """Deformable REG: first RegistrationSequence item = the fixed (registered-to) frame, the
    DeformableRegistrationSequence's SourceFrameOfReferenceUID = the moving one."""
    def m(v):
        def fn(ds):
            fx = ds.FrameOfReferenceUID
            items = ds.DeformableRegistrationSequence
            mv = [x.SourceFrameOfReferenceUID for x in items if x.SourceFrameOfReferenceUID != fx][0]
            if swap:
                ds.FrameOfReferenceUID = mv
                for x in items:
                    x.SourceFrameOfReferenceUID = mv if x.SourceFrameOfReferenceUID == fx else fx
                return
            if moving:
                for x in items:
                    if x.SourceFrameOfReferenceUID == mv:
                        x.SourceFrameOfReferenceUID = v.new_uid(moving)
            if fixed:
                nf = v.new_uid(fixed)
                for x in items:
                    if x.SourceFrameOfReferenceUID == fx:
                        x.SourceFrameOfReferenceUID = nf
                ds.FrameOfReferenceUID = nf
        v.edit(P["reg"], fn)
    return m


def second_series_in(course_dst, course_src, n=3):
    def m(v):
        src = "course%d/CT" % course_src
        for f in v.listdir(src)[:n]:
            v.copy(src + "/" + f, "course%d/CT/x_%s" % (course_dst, f))
    return m


def other_patient_slice(v):
    d = "course2/CT"
    f = v.listdir(d)[5]
    ds = v.read(d + "/" + f)
    ds.PatientID = "SOMEONE"
    v.write(d + "/" + f, ds)


VARIANTS = [
    Variant("rtstruct_other_frame", "course2's RTSTRUCT in another frame of reference",
            rs_frame(P["rs2"], roi_too=True),
            refuse("RS_course2.dcm", "FrameOfReferenceUID (0020,0052)")),
    Variant("rtstruct_roi_other_frame", "one ROI of course2's RTSTRUCT in another frame",
            one_roi_frame, refuse("RS_course2.dcm", "ReferencedFrameOfReferenceUID (3006,0024)")),
    Variant("rtdose_other_frame", "course1's RTDOSE in another frame of reference",
            lambda v: v.set(P["rd1"], FrameOfReferenceUID=new_for(v)),
            refuse("RD_course1.dcm", "FrameOfReferenceUID (0020,0052)")),
    Variant("rtdose_no_frame", "course2's RTDOSE without FrameOfReferenceUID",
            lambda v: v.set(P["rd2"], FrameOfReferenceUID=None),
            refuse("RD_course2.dcm", "FrameOfReferenceUID (0020,0052)", "missing")),
    Variant("ct_other_frame", "course2's CT in another frame (its RTSTRUCT and RTDOSE are not)",
            ct_frame(2), refuse("course2/", "FrameOfReferenceUID (0020,0052)")),
    Variant("rtdose_other_frame_overridden", "course1's RTDOSE in another frame, override frame_of_reference",
            both(lambda v: v.set(P["rd1"], FrameOfReferenceUID=new_for(v)),
                 override({"interlock": "frame_of_reference", "object": P["rd1"],
                           "reason": "TPS assigns the dose its own frame; same scanner coordinates"})),
            computes(all_of(check_findings("frame_of_reference", severity="overridden"),
                            check_same_as_base(0)))),
    Variant("rtdose_moved_away", "course2's RTDOSE ImagePositionPatient moved 60 cm (misses every contour)",
            lambda v: v.edit(P["rd2"], lambda ds: setattr(
                ds, "ImagePositionPatient", [float(ds.ImagePositionPatient[0]) + 600.0,
                                             float(ds.ImagePositionPatient[1]),
                                             float(ds.ImagePositionPatient[2])])),
            refuse("RD_course2.dcm", "ImagePositionPatient (0020,0032)", "does not overlap")),
    Variant("reg_other_moving_frame", "the registration maps another frame onto course2",
            reg_frames(moving="m"),
            refuse("REG_course1_to_course2.dcm", "FrameOfReferenceUID (0020,0052)")),
    Variant("reg_other_fixed_frame", "the registration maps course1 onto another frame",
            reg_frames(fixed="f"),
            refuse("REG_course1_to_course2.dcm", "FrameOfReferenceUID (0020,0052)")),
    Variant("reg_reversed", "the registration file maps course2 onto course1",
            reg_frames(swap=True),
            refuse("REG_course1_to_course2.dcm", "FrameOfReferenceUID (0020,0052)", "opposite")),
    Variant("reg_case_direction_reversed", "the case lists the registration from course2 to course1",
            edit_case(lambda c: c["registrations"][0].update({"from": "course2", "to": "course1"})),
            refuse("REG_course1_to_course2.dcm", "FrameOfReferenceUID (0020,0052)")),
    Variant("no_registration", "frames differ and the case gives no registration",
            edit_case(lambda c: c.pop("registrations")),
            refuse("case.json", "$.registrations", "course1"), commands=[EVALUATE, ACCUMULATE]),
    Variant("registration_type_wrong", "a deformable REG declared rigid",
            edit_case(lambda c: c["registrations"][0].update(type="rigid")),
            refuse("REG_course1_to_course2.dcm", "$.registrations[0].type")),
    Variant("registration_is_a_dose", "the registration's dicom is an RTDOSE",
            both(lambda v: v.copy(P["rd2"], "registration/REG_dose.dcm"),
                 edit_case(lambda c: c["registrations"][0].update(dicom="registration/REG_dose.dcm"))),
            refuse("REG_dose.dcm", "SOPClassUID (0008,0016)")),
    Variant("ct_two_series", "course2's CT directory also holds slices of course1's series",
            second_series_in(2, 1), refuse("course2/CT", "image series")),
    Variant("ct_empty", "course1's CT directory holds no image",
            lambda v: [v.remove("course1/CT/" + f) for f in v.listdir("course1/CT")],
            refuse("course1/CT", "no CT/MR image series")),
    Variant("ct_slice_other_patient", "one slice of another patient in course2's CT directory",
            other_patient_slice, refuse("course2/CT/", "PatientID (0010,0020)", "SOMEONE")),
    Variant("ct_slice_other_frame", "one slice of course2's CT series in another frame",
            lambda v: v.set("course2/CT/" + v.listdir("course2/CT")[7], FrameOfReferenceUID=new_for(v)),
            refuse("course2/CT/", "FrameOfReferenceUID (0020,0052)")),
    Variant("rtstruct_other_series", "course2's RTSTRUCT references another CT series (same frame)",
            lambda v: v.edit(P["rs2"], lambda ds: setattr(
                ds.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0]
                .RTReferencedSeriesSequence[0], "SeriesInstanceUID", v.new_uid("s"))),
            computes(all_of(check_findings("rtstruct.series", severity="warning"),
                            check_same_as_base(0)))),
    Variant("reference_course_prior", "reference_course course1 and no registration course2 -> course1",
            edit_case(lambda c: c.update(reference_course="course1")),
            refuse("$.registrations", "course2", "other direction"), commands=[EVALUATE, ACCUMULATE]),
]
