/* test_io_pydicom.c — the readers against pydicom's public RT test files (tests/data/pydicom,
 * MIT) and DCMTK-modified variants of them (tests/data/io/make_variants.sh).
 *
 * Every expected value below was printed by pydicom 2.3.1 (Debian python3-pydicom), e.g.
 *   d = pydicom.dcmread("rtdose.dcm"); a = d.pixel_array * float(d.DoseGridScaling)
 * — never by rert. Array indices in pydicom are [frame, row, column] = rert (k, j, i). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "rert/dicomio.h"

#define PD RERT_SOURCE_DIR "/tests/data/pydicom/"
#define VD RERT_SOURCE_DIR "/tests/data/io/"

static double at(const rert_volume *v, int i, int j, int k) {
  return v->data[(size_t)i + (size_t)v->nx * ((size_t)j + (size_t)v->ny * k)];
}
static double sum(const rert_volume *v) {
  double s = 0;
  for (size_t n = 0; n < volume_count(v); n++) s += v->data[n];
  return s;
}

/* pydicom: rtdose.dcm Rows 10 Columns 10 NumberOfFrames 15, IPP [189.43125, 199.43125, -761.87],
 * IOP 1\0\0\0\1\0, PixelSpacing 10\10, GFOV 0..70 step 5, DoseUnits RELATIVE, DoseType PHYSICAL,
 * DoseSummationType BEAM, DoseGridScaling 1e-6, ReferencedRTPlan 1.2.123.456.78.9.0123.4567.
 * 89012345678901 fraction group 1 beam 1; a.sum() 1519.91, a.min() 0.795, a.max() 1.254,
 * a[0,0,0] 1.249, a[2,3,4] 1.079, a[14,9,9] 0.799, a[0,9,0] 0.795, a[7,0,9] 1.254. */
static void check_rtdose_values(const rert_rtdose *d) {
  const rert_volume *v = &d->dose;
  cr_assert_eq(v->nx, 10);
  cr_assert_eq(v->ny, 10);
  cr_assert_eq(v->nz, 15);
  cr_assert_float_eq(v->origin_mm[0], 189.43125, 1e-9);
  cr_assert_float_eq(v->origin_mm[1], 199.43125, 1e-9);
  cr_assert_float_eq(v->origin_mm[2], -761.87, 1e-9);
  cr_assert_float_eq(v->spacing_mm[0], 10, 1e-12);
  cr_assert_float_eq(v->spacing_mm[1], 10, 1e-12);
  cr_assert_float_eq(v->spacing_mm[2], 5, 1e-9);
  cr_assert_float_eq(v->dir[8], 1, 1e-12);
  cr_assert_float_eq(at(v, 0, 0, 0), 1.249, 1e-6);
  cr_assert_float_eq(at(v, 4, 3, 2), 1.079, 1e-6);
  cr_assert_float_eq(at(v, 9, 9, 14), 0.799, 1e-6);
  cr_assert_float_eq(at(v, 0, 9, 0), 0.795, 1e-6);
  cr_assert_float_eq(at(v, 9, 0, 7), 1.254, 1e-6);
  cr_assert_float_eq(sum(v), 1519.91, 1e-3);
}

Test(io_pydicom, rtdose_relative_beam) {
  rert_rtdose d;
  rert_err e;
  cr_assert_eq(io_read_rtdose(PD "rtdose.dcm", &d, &e), RERT_OK, "%s", e.msg);
  check_rtdose_values(&d);
  cr_assert_eq(d.units, DOSE_UNITS_RELATIVE);
  cr_assert_eq(d.type, DOSE_TYPE_PHYSICAL);
  cr_assert_eq(d.summation, SUM_BEAM);
  cr_assert_float_eq(d.dose_grid_scaling, 1e-6, 1e-18);
  cr_assert_str_eq(d.referenced_plan_uid, "1.2.123.456.78.9.0123.4567.89012345678901");
  cr_assert_eq(d.referenced_fraction_group, 1);
  cr_assert_eq(d.referenced_beam_number, 1);
  cr_assert_str_eq(d.ident.patient_id, "id11111");
  cr_assert_str_eq(d.ident.frame_of_reference_uid, "2.22.222.2.222222.2.2222222222222222222222222222.2");
  rtdata_free_rtdose(&d);
}

/* Same grid in Explicit VR Big Endian (pydicom rtdose_expb.dcm) and RLE Lossless
 * (rtdose_rle.dcm): pydicom gives identical arrays (sum 1519.91). */
Test(io_pydicom, rtdose_big_endian_and_rle) {
  const char *files[] = {PD "rtdose_expb.dcm", PD "rtdose_rle.dcm"};
  for (int f = 0; f < 2; f++) {
    rert_rtdose d;
    rert_err e;
    cr_assert_eq(io_read_rtdose(files[f], &d, &e), RERT_OK, "%s: %s", files[f], e.msg);
    check_rtdose_values(&d);
    rtdata_free_rtdose(&d);
  }
}

/* pydicom rtdose_1frame.dcm: one 10×10 frame, a.sum() 101.378, a.flat[7] 1.254. */
Test(io_pydicom, rtdose_single_frame) {
  rert_rtdose d;
  rert_err e;
  cr_assert_eq(io_read_rtdose(PD "rtdose_1frame.dcm", &d, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(d.dose.nz, 1);
  cr_assert_float_eq(sum(&d.dose), 101.378, 1e-3);
  cr_assert_float_eq(at(&d.dose, 7, 0, 0), 1.254, 1e-6);
  rtdata_free_rtdose(&d);
}

/* Absolute GridFrameOffsetVector (z values −761.87 … −691.87, PS3.3 C.8.8.3.2) describes the same
 * grid as the relative 0 … 70: every voxel must match pydicom's values of rtdose.dcm. */
Test(io_pydicom, rtdose_gfov_absolute) {
  rert_rtdose d;
  rert_err e;
  cr_assert_eq(io_read_rtdose(VD "dose_gfov_absolute.dcm", &d, &e), RERT_OK, "%s", e.msg);
  check_rtdose_values(&d);
  rtdata_free_rtdose(&d);
}

/* Offsets 0, −5, …, −70: frame f lies at z = −761.87 − 5f, so the grid sorted along +z starts at
 * z = −831.87 with stored frame 14 first: rert k = 14 − f. */
Test(io_pydicom, rtdose_gfov_reversed) {
  rert_rtdose d;
  rert_err e;
  cr_assert_eq(io_read_rtdose(VD "dose_gfov_reversed.dcm", &d, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(d.dose.nz, 15);
  cr_assert_float_eq(d.dose.origin_mm[2], -831.87, 1e-9);
  cr_assert_float_eq(d.dose.spacing_mm[2], 5, 1e-9);
  cr_assert_float_eq(at(&d.dose, 4, 3, 12), 1.079, 1e-6); /* pydicom a[2,3,4] */
  cr_assert_float_eq(at(&d.dose, 9, 9, 0), 0.799, 1e-6);  /* pydicom a[14,9,9] */
  cr_assert_float_eq(sum(&d.dose), 1519.91, 1e-3);
  rtdata_free_rtdose(&d);
}

/* Offsets …, 65, 75: the last gap is 10 mm; rert resamples at 5 mm, adding a frame at 70 mm
 * that is the mean of pydicom frames 13 and 14 (linear interpolation, hand calculation). */
Test(io_pydicom, rtdose_gfov_uneven_resampled) {
  rert_rtdose d, ref;
  rert_err e;
  cr_assert_eq(io_read_rtdose(VD "dose_gfov_uneven.dcm", &d, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_rtdose(PD "rtdose.dcm", &ref, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(d.dose.nz, 16);
  cr_assert_float_eq(d.dose.spacing_mm[2], 5, 1e-9);
  for (int j = 0; j < 10; j++)
    for (int i = 0; i < 10; i++) {
      cr_assert_float_eq(at(&d.dose, i, j, 13), at(&ref.dose, i, j, 13), 1e-6);
      cr_assert_float_eq(at(&d.dose, i, j, 14), 0.5 * (at(&ref.dose, i, j, 13) + at(&ref.dose, i, j, 14)), 1e-6);
      cr_assert_float_eq(at(&d.dose, i, j, 15), at(&ref.dose, i, j, 14), 1e-6);
    }
  cr_assert(strstr(d.dose.meta.description, "resampled") != NULL);
  rtdata_free_rtdose(&d);
  rtdata_free_rtdose(&ref);
}

/* pydicom rtplan.dcm: RTPlanLabel "Plan1", RTPlanDate 20030903, one fraction group with
 * NumberOfFractionsPlanned 30 and NumberOfBeams 1, BeamSequence RadiationType PHOTON,
 * DoseReferenceSequence: item 1 no TargetPrescriptionDose, item 2 TargetPrescriptionDose
 * 30.826203 "PTV"; ReferencedStructureSet 1.2.333.444.55.6.7777.88888; PatientID id00001. */
Test(io_pydicom, rtplan) {
  rert_rtplan p;
  rert_err e;
  cr_assert_eq(io_read_rtplan(PD "rtplan.dcm", &p, &e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(p.label, "Plan1");
  cr_assert_eq(p.is_ion, 0);
  cr_assert_eq(p.modality, MOD_PHOTON);
  cr_assert_eq(p.nfraction_groups, 1);
  cr_assert_eq(p.fraction_groups[0].fractions_planned, 30);
  cr_assert_eq(p.fraction_groups[0].nbeams, 1);
  cr_assert_eq(p.nprescriptions, 2);
  cr_assert(isnan(p.prescriptions[0].target_dose_gy));
  cr_assert_float_eq(p.prescriptions[1].target_dose_gy, 30.826203, 1e-9);
  cr_assert_str_eq(p.prescriptions[1].description, "PTV");
  cr_assert(p.has_plan_date);
  cr_assert_eq(p.plan_date.year, 2003);
  cr_assert_eq(p.plan_date.month, 9);
  cr_assert_eq(p.plan_date.day, 3);
  cr_assert_str_eq(p.referenced_structure_set_uid, "1.2.333.444.55.6.7777.88888");
  cr_assert_str_eq(p.ident.patient_id, "id00001");
  rtdata_free_rtplan(&p);
}

/* pydicom rtplan_truncated.dcm ends inside an element: refused, not crashed. */
Test(io_pydicom, rtplan_truncated) {
  rert_rtplan p;
  rert_err e;
  cr_assert_eq(io_read_rtplan(PD "rtplan_truncated.dcm", &p, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "rtplan_truncated.dcm") != NULL, "%s", e.msg);
}

/* pydicom rtstruct.dcm: StructureSetLabel "sep30"; ROIs 1 "patient" (EXTERNAL, 3 CLOSED_PLANAR
 * contours of 5, 6, 6 points, colour 220\160\120), 2 "Isocenter 1" and 3 "Isocenter 2"
 * (ISOCENTER, one POINT at 0\-0\0, colour 255\64\255), all MANUAL, frame
 * 1.2.826.0.1.3680043.8.498.2010020400001.2; contour 2 of ROI 1 starts 200\-0\-190 and its third
 * point is -200\-150\-190; referenced series 1.2.826.0.1.3680043.8.498.2010020400001.2.1.1. */
Test(io_pydicom, rtstruct) {
  rert_structure_set s;
  rert_err e;
  cr_assert_eq(io_read_rtstruct(PD "rtstruct.dcm", &s, &e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(s.label, "sep30");
  cr_assert_str_eq(s.referenced_series_uid, "1.2.826.0.1.3680043.8.498.2010020400001.2.1.1");
  cr_assert_str_eq(s.ident.frame_of_reference_uid, "1.2.826.0.1.3680043.8.498.2010020400001.2");
  cr_assert_eq(s.nrois, 3);
  const rert_roi *r = &s.rois[0];
  cr_assert_eq(r->number, 1);
  cr_assert_str_eq(r->name, "patient");
  cr_assert_str_eq(r->interpreted_type, "EXTERNAL");
  cr_assert_str_eq(r->generation_algorithm, "MANUAL");
  cr_assert_str_eq(r->frame_of_reference_uid, "1.2.826.0.1.3680043.8.498.2010020400001.2");
  cr_assert_eq(r->color_rgb[0], 220);
  cr_assert_eq(r->color_rgb[1], 160);
  cr_assert_eq(r->color_rgb[2], 120);
  cr_assert_eq(r->ncontours, 3);
  cr_assert_eq(r->contours[0].npoints, 5);
  cr_assert_eq(r->contours[1].npoints, 6);
  cr_assert_eq(r->contours[2].npoints, 6);
  cr_assert_eq(r->contours[1].type, CONTOUR_CLOSED_PLANAR);
  cr_assert_float_eq(r->contours[1].xyz_mm[0], 200.0, 1e-12);
  cr_assert_float_eq(r->contours[1].xyz_mm[2], -190.0, 1e-12);
  cr_assert_float_eq(r->contours[1].xyz_mm[6], -200.0, 1e-12);
  cr_assert_float_eq(r->contours[1].xyz_mm[7], -150.0, 1e-12);
  for (int k = 1; k < 3; k++) {
    cr_assert_str_eq(s.rois[k].interpreted_type, "ISOCENTER");
    cr_assert_eq(s.rois[k].ncontours, 1);
    cr_assert_eq(s.rois[k].contours[0].type, CONTOUR_POINT);
    cr_assert_eq(s.rois[k].contours[0].npoints, 1);
    cr_assert_eq(s.rois[k].color_rgb[1], 64);
  }
  cr_assert_str_eq(s.rois[1].name, "Isocenter 1");
  cr_assert_str_eq(s.rois[2].name, "Isocenter 2");
  rtdata_free_structure_set(&s);
}

/* rert info / io_scan_dir over tests/data/pydicom: 7 files, of which rtplan_truncated.dcm is
 * unreadable; the rest are 4 RTDOSE, 1 RTPLAN and 1 RTSTRUCT (file list of the directory). */
Test(io_pydicom, scan_dir) {
  io_index ix;
  rert_err e;
  cr_assert_eq(io_scan_dir(RERT_SOURCE_DIR "/tests/data/pydicom", &ix, &e), RERT_OK, "%s", e.msg);
  int nd = 0, np = 0, ns = 0;
  for (int i = 0; i < ix.nobjects; i++) {
    nd += ix.objects[i].kind == IO_KIND_RTDOSE;
    np += ix.objects[i].kind == IO_KIND_RTPLAN;
    ns += ix.objects[i].kind == IO_KIND_RTSTRUCT;
  }
  cr_assert_eq(nd, 4);
  cr_assert_eq(np, 1);
  cr_assert_eq(ns, 1);
  cr_assert_eq(ix.nskipped + ix.nproblems, 2); /* README.md + the truncated plan */
  io_index_free(&ix);
}
