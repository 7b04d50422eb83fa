/* test_io_interlock.c — one malformed or mismatched input per interlock (issue #3): each must be
 * refused with RERT_EINPUT and a message naming the file and the tag, and an explicit override
 * must turn the refusal into RERT_OK while keeping an "OVERRIDDEN:" message to record.
 * Inputs: pydicom's public files (tests/data/pydicom) and DCMTK-modified copies
 * (tests/data/io/make_variants.sh says exactly which attribute each one changes). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rert/dicomio.h"

#define PD RERT_SOURCE_DIR "/tests/data/pydicom/"
#define VD RERT_SOURCE_DIR "/tests/data/io/"

static void has(const rert_err *e, const char *a, const char *b) {
  cr_assert(strstr(e->msg, a) != NULL, "'%s' not in: %s", a, e->msg);
  if (b) cr_assert(strstr(e->msg, b) != NULL, "'%s' not in: %s", b, e->msg);
}

static rert_rtdose dose(const char *path) {
  rert_rtdose d;
  rert_err e;
  cr_assert_eq(io_read_rtdose(path, &d, &e), RERT_OK, "%s", e.msg);
  return d;
}

/* pydicom: rtplan.dcm PatientID id00001, rtdose.dcm PatientID id11111 */
Test(io_interlock, different_patients) {
  rert_dicom_ident a, b;
  rert_err e;
  cr_assert_eq(io_read_ident(PD "rtplan.dcm", &a, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_ident(PD "rtdose.dcm", &b, &e), RERT_OK, "%s", e.msg);
  const rert_dicom_ident *ids[2] = {&a, &b};
  cr_assert_eq(io_check_same_patient(ids, 2, 0, &e), RERT_EINPUT);
  has(&e, "PatientID (0010,0020)", "rtdose.dcm");
  has(&e, "id00001", "id11111");
  cr_assert_eq(io_check_same_patient(ids, 2, 1, &e), RERT_OK);
  cr_assert(strncmp(e.msg, "OVERRIDDEN: ", 12) == 0, "%s", e.msg);
  /* same ID, other name / birth date */
  b = a;
  strcpy(b.patient_name, "Other^Person");
  cr_assert_eq(io_check_same_patient(ids, 2, 0, &e), RERT_EINPUT);
  has(&e, "PatientName (0010,0010)", NULL);
  b = a;
  strcpy(a.patient_birth_date, "19500101");
  strcpy(b.patient_birth_date, "19500102");
  cr_assert_eq(io_check_same_patient(ids, 2, 0, &e), RERT_EINPUT);
  has(&e, "PatientBirthDate (0010,0030)", NULL);
  /* an emptied name (partial anonymisation) is not a mismatch */
  b = a;
  b.patient_name[0] = '\0';
  cr_assert_eq(io_check_same_patient(ids, 2, 0, &e), RERT_OK, "%s", e.msg);
  /* trailing '^' and case do not make a different patient */
  b = a;
  strcat(b.patient_name, "^^");
  cr_assert_eq(io_check_same_patient(ids, 2, 0, &e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(e.msg, "");
  /* tests/data/io/struct_other_patient.dcm: PatientID changed by dcmodify */
  cr_assert_eq(io_read_ident(PD "rtstruct.dcm", &a, &e), RERT_OK);
  cr_assert_eq(io_read_ident(VD "struct_other_patient.dcm", &b, &e), RERT_OK);
  cr_assert_eq(io_check_same_patient(ids, 2, 0, &e), RERT_EINPUT);
}

/* pydicom rtdose.dcm: DoseUnits RELATIVE, DoseSummationType BEAM */
Test(io_interlock, relative_dose_needs_normalisation) {
  rert_rtdose d = dose(PD "rtdose.dcm");
  rert_err e;
  io_dose_context c = {NAN, 0, 1, 0};
  cr_assert_eq(io_check_dose_usable(&d, NULL, &c, 0, &e), RERT_EINPUT);
  has(&e, "DoseUnits (3004,0002) is RELATIVE", "rtdose.dcm");
  c.normalisation_gy = 2.0;
  cr_assert_eq(io_check_dose_usable(&d, NULL, &c, 0, &e), RERT_OK, "%s", e.msg);
  rtdata_free_rtdose(&d);
}

Test(io_interlock, beam_dose_needs_other_beams) {
  rert_rtdose d = dose(PD "rtdose.dcm");
  rert_err e;
  io_dose_context c = {2.0, 0, 0, 0};
  cr_assert_eq(io_check_dose_usable(&d, NULL, &c, 0, &e), RERT_EINPUT);
  has(&e, "DoseSummationType (3004,000A) is BEAM", NULL);
  cr_assert_eq(io_check_dose_usable(&d, NULL, &c, 1, &e), RERT_OK);
  has(&e, "OVERRIDDEN: ", NULL);
  rtdata_free_rtdose(&d);
}

/* dose_gy_fraction.dcm: DoseSummationType FRACTION; rtplan.dcm fraction group 1 plans 30 */
Test(io_interlock, fraction_dose_needs_count) {
  rert_rtdose d = dose(VD "dose_gy_fraction.dcm");
  rert_err e;
  cr_assert_eq(io_check_dose_usable(&d, NULL, NULL, 0, &e), RERT_EINPUT);
  has(&e, "FRACTION", "NumberOfFractionsPlanned");
  rert_rtplan p;
  cr_assert_eq(io_read_rtplan(PD "rtplan.dcm", &p, &e), RERT_OK);
  cr_assert_eq(io_check_dose_usable(&d, &p, NULL, 0, &e), RERT_OK, "%s", e.msg);
  io_dose_context c = {NAN, 30, 0, 0};
  cr_assert_eq(io_check_dose_usable(&d, NULL, &c, 0, &e), RERT_OK, "%s", e.msg);
  rtdata_free_rtplan(&p);
  rtdata_free_rtdose(&d);
}

Test(io_interlock, effective_dose_needs_rbe_model_and_no_mixing) {
  rert_rtdose eff = dose(VD "dose_gy_effective.dcm"), phys = dose(VD "dose_gy_plan.dcm");
  rert_err e;
  cr_assert_eq(io_check_dose_usable(&phys, NULL, NULL, 0, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_check_dose_usable(&eff, NULL, NULL, 0, &e), RERT_EINPUT);
  has(&e, "EFFECTIVE", "RBE model");
  io_dose_context c = {NAN, 0, 0, 1};
  cr_assert_eq(io_check_dose_usable(&eff, NULL, &c, 0, &e), RERT_OK, "%s", e.msg);
  const rert_rtdose *both[2] = {&phys, &eff};
  cr_assert_eq(io_check_dose_types(both, 2, 0, &e), RERT_EINPUT);
  has(&e, "dose_gy_plan.dcm", "dose_gy_effective.dcm");
  cr_assert_eq(io_check_dose_types(both, 1, 0, &e), RERT_OK);
  rtdata_free_rtdose(&eff);
  rtdata_free_rtdose(&phys);
}

Test(io_interlock, error_dose_is_not_a_dose) {
  rert_rtdose d = dose(VD "dose_gy_error.dcm");
  rert_err e;
  cr_assert_eq(io_check_dose_usable(&d, NULL, NULL, 0, &e), RERT_EINPUT);
  has(&e, "DoseType (3004,0004) is ERROR", NULL);
  rtdata_free_rtdose(&d);
}

/* rtstruct.dcm frame 1.2.826.0.1.3680043.8.498.2010020400001.2, rtdose.dcm frame
 * 2.22.222.2.222222.2.2222222222222222222222222222.2 (pydicom) */
Test(io_interlock, frames_need_registration) {
  rert_dicom_ident s, d;
  rert_err e;
  cr_assert_eq(io_read_ident(PD "rtstruct.dcm", &s, &e), RERT_OK);
  cr_assert_eq(io_read_ident(PD "rtdose.dcm", &d, &e), RERT_OK);
  cr_assert_eq(io_check_frames(&s, &d, NULL, 0, NULL, 0, 0, &e), RERT_EINPUT);
  has(&e, "FrameOfReferenceUID (0020,0052)", "no registration");
  rert_rigid_registration r;
  memset(&r, 0, sizeof r);
  strcpy(r.fixed_frame_uid, d.frame_of_reference_uid);
  strcpy(r.moving_frame_uid, s.frame_of_reference_uid);
  cr_assert_eq(io_check_frames(&s, &d, &r, 1, NULL, 0, 0, &e), RERT_OK, "%s", e.msg);
  rert_deformable_registration dr;
  memset(&dr, 0, sizeof dr);
  strcpy(dr.fixed_frame_uid, s.frame_of_reference_uid);
  strcpy(dr.moving_frame_uid, d.frame_of_reference_uid);
  cr_assert_eq(io_check_frames(&s, &d, NULL, 0, &dr, 1, 0, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_check_frames(&s, &d, NULL, 0, NULL, 0, 1, &e), RERT_OK);
  has(&e, "OVERRIDDEN: ", NULL);
}

/* truncated and corrupt files: refused with the file named, never a crash */
Test(io_interlock, truncated_and_corrupt_files) {
  rert_rtdose d;
  rert_rtplan p;
  rert_structure_set s;
  rert_err e;
  cr_assert_eq(io_read_rtdose(VD "dose_truncated.dcm", &d, &e), RERT_EINPUT);
  has(&e, "dose_truncated.dcm", NULL);
  cr_assert_eq(io_read_rtplan(PD "rtplan_truncated.dcm", &p, &e), RERT_EINPUT);
  cr_assert_eq(io_read_rtstruct(PD "README.md", &s, &e), RERT_EINPUT);
  has(&e, "not a readable DICOM file", NULL);
  cr_assert_eq(io_read_rtstruct(PD "rtdose.dcm", &s, &e), RERT_EINPUT);
  has(&e, "not an RTSTRUCT", NULL);
}

/* missing or inconsistent required attributes, one per file (make_variants.sh) */
Test(io_interlock, missing_required_attributes) {
  rert_rtdose d;
  rert_structure_set s;
  rert_err e;
  cr_assert_eq(io_read_rtdose(VD "dose_no_units.dcm", &d, &e), RERT_EINPUT);
  has(&e, "DoseUnits (3004,0002)", "dose_no_units.dcm");
  cr_assert_eq(io_read_rtdose(VD "dose_no_position.dcm", &d, &e), RERT_EINPUT);
  has(&e, "ImagePositionPatient (0020,0032)", NULL);
  cr_assert_eq(io_read_rtdose(VD "dose_bad_type.dcm", &d, &e), RERT_EINPUT);
  has(&e, "DoseType (3004,0004) 'BOGUS'", NULL);
  cr_assert_eq(io_read_rtdose(VD "dose_gfov_count.dcm", &d, &e), RERT_EINPUT);
  has(&e, "GridFrameOffsetVector (3004,000C) has 3 values, expected 15", NULL);
  cr_assert_eq(io_read_rtstruct(VD "struct_bad_npoints.dcm", &s, &e), RERT_EINPUT);
  has(&e, "NumberOfContourPoints (3006,0046) 7", "ContourData has 5 points");
  cr_assert_eq(io_read_rtstruct(VD "struct_undeclared_roi.dcm", &s, &e), RERT_EINPUT);
  has(&e, "ROINumber 99", NULL);
}

static double square[15] = {0, 0, 5, 10, 0, 5, 10, 10, 5, 0, 10, 5, 0, 0, 5};

Test(io_interlock, empty_and_nonplanar_contours) {
  rert_structure_set s;
  memset(&s, 0, sizeof s);
  strcpy(s.ident.path, "derived_rs.dcm");
  rert_roi roi[2];
  memset(roi, 0, sizeof roi);
  double bent[15];
  memcpy(bent, square, sizeof bent);
  bent[8] = 6.0; /* third corner 1 mm out of the z = 5 plane */
  rert_contour c_ok = {CONTOUR_CLOSED_PLANAR, 5, square}, c_bent = {CONTOUR_CLOSED_PLANAR, 5, bent},
               c_two = {CONTOUR_CLOSED_PLANAR, 2, square};
  roi[0].number = 1; strcpy(roi[0].name, "Parotid_L"); roi[0].ncontours = 1; roi[0].contours = &c_ok;
  roi[1].number = 2; strcpy(roi[1].name, "Cochlea_L"); roi[1].ncontours = 0;
  s.nrois = 2; s.rois = roi;
  rert_err e;
  cr_assert_eq(io_check_structure_set(&s, "Parotid_L", 0, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_check_structure_set(&s, NULL, 0, &e), RERT_EINPUT);
  has(&e, "Cochlea_L", "no contours");
  cr_assert_eq(io_check_structure_set(&s, NULL, 1, &e), RERT_OK);
  has(&e, "OVERRIDDEN: ", NULL);
  roi[0].contours = &c_bent;
  cr_assert_eq(io_check_structure_set(&s, "Parotid_L", 0, &e), RERT_EINPUT);
  has(&e, "Parotid_L", "off one plane");
  roi[0].contours = &c_two;
  cr_assert_eq(io_check_structure_set(&s, "Parotid_L", 0, &e), RERT_EINPUT);
  has(&e, "2 point(s)", NULL);
  cr_assert_eq(io_check_structure_set(&s, "BrachialPlex_R", 0, &e), RERT_EINPUT);
  has(&e, "no ROI named", NULL);
}

/* Inputs found by the fuzz targets (tests/fuzz): a value length field of ~4 GB in a small file.
 * DCMTK allocates declared lengths when it parses a buffer, so io_read_buffer parses through an
 * in-memory file (lazy values); both paths must refuse these cleanly. */
Test(io_interlock, fuzz_regressions_corrupt_lengths) {
  const char *files[] = {VD "fuzz_oom_1.dcm", VD "fuzz_oom_2.dcm", VD "fuzz_oom_3.dcm"};
  for (int i = 0; i < 3; i++) {
    rert_rtdose d;
    rert_structure_set s;
    rert_deformable_registration r;
    rert_err e;
    cr_assert_neq(io_read_rtdose(files[i], &d, &e), RERT_OK);
    cr_assert_neq(io_read_rtstruct(files[i], &s, &e), RERT_OK);
    cr_assert_neq(io_read_deformable_registration(files[i], &r, &e), RERT_OK);
    FILE *f = fopen(files[i], "rb");
    cr_assert_not_null(f);
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    cr_assert_eq(io_read_buffer(IO_KIND_RTDOSE, buf, n, &d, &e), RERT_EINPUT);
    has(&e, "(memory)", NULL);
    cr_assert_eq(io_read_buffer(IO_KIND_DEFORMABLE_REG, buf, n, &r, &e), RERT_EINPUT);
  }
}
