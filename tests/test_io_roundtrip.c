/* test_io_roundtrip.c — every writer followed by its reader: the values read back must be the
 * values written (hand-built inputs; tolerances are the quantisation step stated by the format:
 * RescaleSlope/2 for CT, DoseGridScaling/2 for RTDOSE, 10 significant digits for DS coordinates). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rert/dicomio.h"

static char tmpdir[256];

static void setup(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/rert_io_rt_XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}
static void teardown(void) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  cr_assert_eq(system(cmd), 0);
}
static const char *tp(const char *name) {
  static char buf[4][512];
  static int n;
  n = (n + 1) % 4;
  snprintf(buf[n], sizeof buf[n], "%s/%s", tmpdir, name);
  return buf[n];
}

static void ident(rert_dicom_ident *id, const char *key, const char *modality) {
  memset(id, 0, sizeof *id);
  strcpy(id->patient_id, "RT-0001");
  strcpy(id->patient_name, "Phantom^Head^Neck");
  strcpy(id->patient_birth_date, "19580412");
  strcpy(id->patient_sex, "M");
  strcpy(id->modality, modality);
  strcpy(id->study_date, "20240102");
  io_make_uid_from("test/study", id->study_instance_uid);
  io_make_uid_from("test/frame", id->frame_of_reference_uid);
  char k[128];
  snprintf(k, sizeof k, "test/%s/series", key);
  io_make_uid_from(k, id->series_instance_uid);
  snprintf(k, sizeof k, "test/%s/sop", key);
  io_make_uid_from(k, id->sop_instance_uid);
}

/* oblique stack: rows/columns rotated 30° about z, slice direction = u × v */
static void oblique_dir(double d[9]) {
  double c = cos(M_PI / 6), s = sin(M_PI / 6);
  double u[3] = {c, s, 0}, v[3] = {-s, c, 0};
  memcpy(d, u, sizeof u);
  memcpy(d + 3, v, sizeof v);
  d[6] = u[1] * v[2] - u[2] * v[1];
  d[7] = u[2] * v[0] - u[0] * v[2];
  d[8] = u[0] * v[1] - u[1] * v[0];
}

static void make_ct(rert_image_series *s, int integral) {
  memset(s, 0, sizeof *s);
  ident(&s->ident, "ct", "CT");
  rert_volume *v = &s->image;
  v->nx = 7; v->ny = 5; v->nz = 6;
  v->spacing_mm[0] = 0.9765625; v->spacing_mm[1] = 1.25; v->spacing_mm[2] = 2.5;
  v->origin_mm[0] = -120.5; v->origin_mm[1] = 33.25; v->origin_mm[2] = -401.0;
  oblique_dir(v->dir);
  rert_err e;
  cr_assert_eq(volume_alloc(v, &e), RERT_OK);
  for (size_t n = 0; n < volume_count(v); n++)
    v->data[n] = integral ? (float)((long)(n * 37) % 3000 - 1000) : (float)(n * 0.731 - 17.3);
}

TestSuite(io_roundtrip, .init = setup, .fini = teardown);

Test(io_roundtrip, ct_oblique_exact) {
  rert_image_series s, r;
  rert_err e;
  make_ct(&s, 1);
  cr_assert_eq(io_series_fill_slice_uids(&s, &e), RERT_OK);
  cr_assert_eq(io_write_ct_series(tp("ct"), &s, NULL, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_image_series(tp("ct"), NULL, &r, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(r.image.nx, 7);
  cr_assert_eq(r.image.ny, 5);
  cr_assert_eq(r.image.nz, 6);
  cr_assert_eq(r.uneven_spacing, 0);
  for (int a = 0; a < 3; a++) {
    cr_assert_float_eq(r.image.origin_mm[a], s.image.origin_mm[a], 1e-6);
    cr_assert_float_eq(r.image.spacing_mm[a], s.image.spacing_mm[a], 1e-6);
  }
  for (int a = 0; a < 9; a++) cr_assert_float_eq(r.image.dir[a], s.image.dir[a], 1e-9);
  for (size_t n = 0; n < volume_count(&s.image); n++)
    cr_assert_eq(r.image.data[n], s.image.data[n], "voxel %zu", n);
  for (int k = 0; k < 6; k++) cr_assert_str_eq(r.slice_sop_uids[k], s.slice_sop_uids[k]);
  cr_assert_str_eq(r.ident.patient_id, "RT-0001");
  cr_assert_str_eq(r.ident.patient_name, "Phantom^Head^Neck");
  cr_assert_str_eq(r.ident.frame_of_reference_uid, s.ident.frame_of_reference_uid);
  cr_assert_str_eq(r.ident.modality, "CT");
  rtdata_free_image_series(&s);
  rtdata_free_image_series(&r);
}

Test(io_roundtrip, ct_rescaled_within_half_slope) {
  rert_image_series s, r;
  rert_err e;
  make_ct(&s, 0);
  cr_assert_eq(io_write_ct_series(tp("ct"), &s, NULL, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_image_series(tp("ct/CT.3.dcm"), NULL, &r, &e), RERT_OK, "%s", e.msg);
  float mn, mx;
  volume_minmax(&s.image, &mn, &mx);
  double slope = (mx - mn) / 65534.0; /* the writer's rescale: range over 65534 steps */
  for (size_t n = 0; n < volume_count(&s.image); n++)
    cr_assert(fabs(r.image.data[n] - s.image.data[n]) <= 0.5 * slope * 1.001 + 1e-4, "voxel %zu", n);
  rtdata_free_image_series(&s);
  rtdata_free_image_series(&r);
}

Test(io_roundtrip, ct_missing_slice_and_two_series) {
  rert_image_series s, r;
  rert_err e;
  make_ct(&s, 1);
  cr_assert_eq(io_write_ct_series(tp("ct"), &s, NULL, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(unlink(tp("ct/CT.3.dcm")), 0);
  cr_assert_eq(io_read_image_series(tp("ct"), NULL, &r, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "missing slice") != NULL, "%s", e.msg);
  io_read_opts o = {1, NULL};
  cr_assert_eq(io_read_image_series(tp("ct"), &o, &r, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(r.uneven_spacing, 1);
  cr_assert_eq(r.image.nz, 6);
  /* the lost slice k = 2 is the mean of k = 1 and k = 3 (linear interpolation, by hand) */
  size_t plane = 35;
  for (size_t p = 0; p < plane; p++)
    cr_assert_float_eq(r.image.data[2 * plane + p],
                       0.5 * (s.image.data[plane + p] + s.image.data[3 * plane + p]), 1e-3);
  rtdata_free_image_series(&r);
  /* a second series (MR) in the same folder: selection by SeriesInstanceUID is required */
  rert_image_series m;
  make_ct(&m, 1);
  ident(&m.ident, "mr", "MR");
  cr_assert_eq(io_write_ct_series(tp("ct"), &m, NULL, &e), RERT_OK, "%s", e.msg);
  o.series_uid = NULL;
  cr_assert_eq(io_read_image_series(tp("ct"), &o, &r, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "select one by SeriesInstanceUID") != NULL, "%s", e.msg);
  o.series_uid = m.ident.series_instance_uid;
  cr_assert_eq(io_read_image_series(tp("ct"), &o, &r, &e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(r.ident.modality, "MR");
  cr_assert_eq(r.uneven_spacing, 0);
  rtdata_free_image_series(&r);
  rtdata_free_image_series(&m);
  rtdata_free_image_series(&s);
}

static void make_dose(rert_rtdose *d) {
  memset(d, 0, sizeof *d);
  ident(&d->ident, "dose", "RTDOSE");
  rert_volume *v = &d->dose;
  v->nx = 6; v->ny = 4; v->nz = 5;
  v->spacing_mm[0] = 2.5; v->spacing_mm[1] = 3.0; v->spacing_mm[2] = 2.0;
  v->origin_mm[0] = -50; v->origin_mm[1] = -20.5; v->origin_mm[2] = 100;
  volume_set_identity_dir(v);
  rert_err e;
  cr_assert_eq(volume_alloc(v, &e), RERT_OK);
  for (size_t n = 0; n < volume_count(v); n++) v->data[n] = (float)(n * 0.613);
  d->units = DOSE_UNITS_GY;
  d->type = DOSE_TYPE_PHYSICAL;
  d->summation = SUM_FRACTION;
  io_make_uid_from("test/plan", d->referenced_plan_uid);
  d->referenced_fraction_group = 2;
}

Test(io_roundtrip, rtdose_all_encodings) {
  const int enc[3] = {IO_DOSE_32_RLE, IO_DOSE_32_RAW, IO_DOSE_16_RAW};
  const double levels[3] = {4294967295.0, 4294967295.0, 65535.0};
  for (int t = 0; t < 3; t++) {
    rert_rtdose d, r;
    rert_err e;
    make_dose(&d);
    io_set_dose_encoding(enc[t]);
    cr_assert_eq(io_get_dose_encoding(), enc[t]);
    cr_assert_eq(io_write_rtdose(tp("d.dcm"), &d, NULL, &e), RERT_OK, "%s", e.msg);
    cr_assert_eq(io_read_rtdose(tp("d.dcm"), &r, &e), RERT_OK, "%s", e.msg);
    float mn, mx;
    volume_minmax(&d.dose, &mn, &mx);
    double step = mx / levels[t];
    cr_assert(r.dose_grid_scaling >= step && r.dose_grid_scaling < step * 1.0001);
    for (size_t n = 0; n < volume_count(&d.dose); n++)
      cr_assert(fabs(r.dose.data[n] - d.dose.data[n]) <= 0.5 * step + 4e-7 * d.dose.data[n],
                "enc %d voxel %zu: %g vs %g", t, n, r.dose.data[n], d.dose.data[n]);
    cr_assert(volume_same_geometry(&r.dose, &d.dose));
    cr_assert_eq(r.units, DOSE_UNITS_GY);
    cr_assert_eq(r.type, DOSE_TYPE_PHYSICAL);
    cr_assert_eq(r.summation, SUM_FRACTION);
    cr_assert_str_eq(r.referenced_plan_uid, d.referenced_plan_uid);
    cr_assert_eq(r.referenced_fraction_group, 2);
    cr_assert_str_eq(r.ident.sop_instance_uid, d.ident.sop_instance_uid);
    rtdata_free_rtdose(&d);
    rtdata_free_rtdose(&r);
  }
  io_set_dose_encoding(IO_DOSE_32_RLE);
  cr_assert_eq(io_set_dose_encoding(99), -1);
}

/* A grid whose slice axis runs against row × column is written with negative relative offsets;
 * the reader re-sorts along the normal: same voxel at the same world point. */
Test(io_roundtrip, rtdose_left_handed_stack) {
  rert_rtdose d, r;
  rert_err e;
  make_dose(&d);
  d.dose.dir[8] = -1;
  cr_assert_eq(io_write_rtdose(tp("d.dcm"), &d, NULL, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_rtdose(tp("d.dcm"), &r, &e), RERT_OK, "%s", e.msg);
  cr_assert_float_eq(r.dose.dir[8], 1, 1e-12);
  cr_assert_float_eq(r.dose.origin_mm[2], 100 - 4 * 2.0, 1e-9); /* last written slice */
  size_t plane = 24;
  for (int k = 0; k < 5; k++)
    for (size_t p = 0; p < plane; p++)
      cr_assert_float_eq(r.dose.data[(4 - k) * plane + p], d.dose.data[k * plane + p], 2e-6);
  rtdata_free_rtdose(&d);
  rtdata_free_rtdose(&r);
}

Test(io_roundtrip, derived_dose_meta_and_uids) {
  rert_rtdose src, r;
  rert_err e;
  make_dose(&src);
  rert_volume eqd2 = src.dose;
  eqd2.meta.quantity = QTY_EQD2;
  eqd2.meta.alpha_beta_gy = 2;
  eqd2.meta.eqdx_ref_gy = 2;
  eqd2.meta.bound = BOUND_UPPER;
  eqd2.meta.rbe = RBE_FIXED;
  eqd2.meta.rbe_factor = 1.1;
  eqd2.meta.fractions = 30;
  strcpy(eqd2.meta.recovery, "stepwise (S4)");
  strcpy(eqd2.meta.provenance, "course1+course2");
  strcpy(eqd2.meta.description, "cumulative EQD2; SpinalCord a/b 2");
  const char *plans[2] = {"1.2.3.4.1", "1.2.3.4.2"};
  io_write_opts o = {.note = "override: different-patients", .software = NULL};
  rert_dicom_ident nid;
  cr_assert_eq(io_write_derived_dose(tp("eqd2.dcm"), &eqd2, &src.ident, plans, 2, &o, &nid, &e),
               RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_rtdose(tp("eqd2.dcm"), &r, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(r.type, DOSE_TYPE_EFFECTIVE);
  cr_assert_eq(r.summation, SUM_MULTI_PLAN);
  cr_assert_str_eq(r.ident.patient_id, src.ident.patient_id);
  cr_assert_str_eq(r.ident.study_instance_uid, src.ident.study_instance_uid);
  cr_assert_str_eq(r.ident.frame_of_reference_uid, src.ident.frame_of_reference_uid);
  cr_assert_str_neq(r.ident.series_instance_uid, src.ident.series_instance_uid);
  cr_assert_str_neq(r.ident.sop_instance_uid, src.ident.sop_instance_uid);
  cr_assert_str_eq(r.ident.sop_instance_uid, nid.sop_instance_uid);
  cr_assert_str_eq(r.referenced_plan_uid, "1.2.3.4.1");
  cr_assert_eq(r.dose.meta.quantity, QTY_EQD2);
  cr_assert_eq(r.dose.meta.bound, BOUND_UPPER);
  cr_assert_eq(r.dose.meta.rbe, RBE_FIXED);
  cr_assert_float_eq(r.dose.meta.rbe_factor, 1.1, 1e-15);
  cr_assert_float_eq(r.dose.meta.alpha_beta_gy, 2, 1e-15);
  cr_assert_eq(r.dose.meta.fractions, 30);
  cr_assert_str_eq(r.dose.meta.recovery, "stepwise (S4)");
  cr_assert_str_eq(r.dose.meta.description, "cumulative EQD2, SpinalCord a/b 2"); /* ';' → ',' */
  cr_assert(strstr(r.dose_comment, "EQD2") && strstr(r.dose_comment, "a/b=2Gy") &&
            strstr(r.dose_comment, "stepwise") && strstr(r.dose_comment, "RBE_FIXED"),
            "%s", r.dose_comment);
  cr_assert(strlen(r.dose_comment) <= 64);
  cr_assert_str_eq(r.ident.series_description, r.dose_comment);
  rtdata_free_rtdose(&src);
  rtdata_free_rtdose(&r);
}

Test(io_roundtrip, rtdose_negative_refused_atomically) {
  rert_rtdose d;
  rert_err e;
  make_dose(&d);
  d.dose.data[3] = -0.5f;
  cr_assert_eq(io_write_rtdose(tp("neg.dcm"), &d, NULL, &e), RERT_EINPUT);
  struct stat st;
  cr_assert_neq(stat(tp("neg.dcm"), &st), 0, "no partial output");
  cr_assert_neq(io_write_rtdose("/nonexistent-dir/x/d.dcm", &d, NULL, &e), RERT_OK);
  rtdata_free_rtdose(&d);
}

Test(io_roundtrip, rtstruct_with_reference_series) {
  rert_image_series ct;
  rert_err e;
  make_ct(&ct, 1);
  volume_set_identity_dir(&ct.image);
  io_series_fill_slice_uids(&ct, &e);
  rert_structure_set s, r;
  memset(&s, 0, sizeof s);
  ident(&s.ident, "rs", "RTSTRUCT");
  strcpy(s.label, "derived");
  rert_roi rois[2];
  memset(rois, 0, sizeof rois);
  double sq[12] = {-110.123456, 40.5, -396.0, -100.0, 40.5, -396.0, -100.0, 50.25, -396.0, -110.123456, 50.25, -396.0};
  double pt[3] = {1.5, -2.25, 3.125};
  rert_contour c0 = {CONTOUR_CLOSED_PLANAR, 4, sq}, c1 = {CONTOUR_POINT, 1, pt};
  rois[0].number = 7; strcpy(rois[0].name, "PTV_Margin5"); strcpy(rois[0].interpreted_type, "PTV");
  strcpy(rois[0].generation_algorithm, "AUTOMATIC"); rois[0].color_rgb[0] = 255; rois[0].color_rgb[2] = 9;
  rois[0].ncontours = 1; rois[0].contours = &c0;
  rois[1].number = 9; strcpy(rois[1].name, "Iso"); strcpy(rois[1].interpreted_type, "ISOCENTER");
  strcpy(rois[1].generation_algorithm, "MANUAL"); rois[1].ncontours = 1; rois[1].contours = &c1;
  s.nrois = 2; s.rois = rois;
  strcpy(s.ident.frame_of_reference_uid, ct.ident.frame_of_reference_uid);
  cr_assert_eq(io_write_rtstruct(tp("rs.dcm"), &s, &ct, NULL, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_rtstruct(tp("rs.dcm"), &r, &e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(r.label, "derived");
  cr_assert_str_eq(r.referenced_series_uid, ct.ident.series_instance_uid);
  cr_assert_eq(r.nrois, 2);
  cr_assert_eq(r.rois[0].number, 7);
  cr_assert_str_eq(r.rois[0].name, "PTV_Margin5");
  cr_assert_str_eq(r.rois[0].interpreted_type, "PTV");
  cr_assert_str_eq(r.rois[0].generation_algorithm, "AUTOMATIC");
  cr_assert_eq(r.rois[0].color_rgb[0], 255);
  cr_assert_eq(r.rois[0].color_rgb[2], 9);
  cr_assert_str_eq(r.rois[0].frame_of_reference_uid, ct.ident.frame_of_reference_uid);
  cr_assert_eq(r.rois[0].contours[0].npoints, 4);
  for (int i = 0; i < 12; i++) cr_assert_float_eq(r.rois[0].contours[0].xyz_mm[i], sq[i], 1e-9);
  cr_assert_eq(r.rois[1].contours[0].type, CONTOUR_POINT);
  for (int i = 0; i < 3; i++) cr_assert_float_eq(r.rois[1].contours[0].xyz_mm[i], pt[i], 1e-12);
  cr_assert_eq(io_check_structure_set(&r, NULL, 0, &e), RERT_OK, "%s", e.msg);
  rtdata_free_structure_set(&r);
  rtdata_free_image_series(&ct);
}

Test(io_roundtrip, rtplan_photon_and_carbon) {
  for (int ion = 0; ion < 2; ion++) {
    rert_rtplan p, r;
    rert_err e;
    memset(&p, 0, sizeof p);
    ident(&p.ident, ion ? "ionplan" : "plan", "RTPLAN");
    strcpy(p.label, ion ? "C12_reRT" : "VMAT70");
    strcpy(p.name, "course 1");
    p.is_ion = ion;
    p.modality = ion ? MOD_CARBON : MOD_PHOTON;
    rert_fraction_group fg[2] = {{.number = 1, .fractions_planned = 35, .nbeams = 2}, {.number = 2, .fractions_planned = 5, .nbeams = 1}};
    rert_prescription rx[2] = {{70.0, 3, "PTV70"}, {NAN, 0, "site"}};
    p.nfraction_groups = 2; p.fraction_groups = fg;
    p.nprescriptions = 2; p.prescriptions = rx;
    p.has_plan_date = 1; p.plan_date = (rert_date){2019, 3, 4};
    p.has_treatment_dates = 1;
    p.first_treatment_date = (rert_date){2019, 3, 11};
    p.last_treatment_date = (rert_date){2019, 4, 26};
    strcpy(p.referenced_structure_set_uid, "1.2.3.44");
    cr_assert_eq(io_write_rtplan(tp("rp.dcm"), &p, NULL, &e), RERT_OK, "%s", e.msg);
    cr_assert_eq(io_read_rtplan(tp("rp.dcm"), &r, &e), RERT_OK, "%s", e.msg);
    cr_assert_eq(r.is_ion, ion);
    cr_assert_eq(r.modality, ion ? MOD_CARBON : MOD_PHOTON);
    cr_assert_str_eq(r.ident.modality, ion ? "RTIONPLAN" : "RTPLAN");
    cr_assert_str_eq(r.label, p.label);
    cr_assert_eq(r.nfraction_groups, 2);
    cr_assert_eq(r.fraction_groups[0].fractions_planned, 35);
    cr_assert_eq(r.fraction_groups[0].nbeams, 2);
    cr_assert_eq(r.fraction_groups[1].number, 2);
    cr_assert_eq(r.fraction_groups[1].fractions_planned, 5);
    cr_assert_eq(r.nprescriptions, 2);
    cr_assert_float_eq(r.prescriptions[0].target_dose_gy, 70.0, 1e-12);
    cr_assert_eq(r.prescriptions[0].referenced_roi_number, 3);
    cr_assert(isnan(r.prescriptions[1].target_dose_gy));
    cr_assert(r.has_plan_date);
    cr_assert_eq(r.plan_date.day, 4);
    cr_assert(r.has_treatment_dates);
    cr_assert_eq(r.first_treatment_date.day, 11);
    cr_assert_eq(r.last_treatment_date.month, 4);
    cr_assert_eq(r.last_treatment_date.day, 26);
    cr_assert_str_eq(r.referenced_structure_set_uid, "1.2.3.44");
    rtdata_free_rtplan(&r);
  }
}

Test(io_roundtrip, registrations) {
  rert_rigid_registration g, gr;
  rert_err e;
  memset(&g, 0, sizeof g);
  ident(&g.ident, "reg", "REG");
  strcpy(g.fixed_frame_uid, "1.2.3.100");
  strcpy(g.moving_frame_uid, "1.2.3.200");
  /* rotation 90° about z plus translation (3, -4.5, 12.25) */
  double m[16] = {0, -1, 0, 3, 1, 0, 0, -4.5, 0, 0, 1, 12.25, 0, 0, 0, 1};
  memcpy(g.matrix, m, sizeof m);
  cr_assert_eq(io_write_spatial_registration(tp("reg.dcm"), &g, NULL, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_spatial_registration(tp("reg.dcm"), &gr, &e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(gr.fixed_frame_uid, "1.2.3.100");
  cr_assert_str_eq(gr.moving_frame_uid, "1.2.3.200");
  for (int i = 0; i < 16; i++) cr_assert_float_eq(gr.matrix[i], m[i], 1e-12);

  rert_deformable_registration d, dr;
  memset(&d, 0, sizeof d);
  ident(&d.ident, "dreg", "REG");
  strcpy(d.fixed_frame_uid, "1.2.3.100");
  strcpy(d.moving_frame_uid, "1.2.3.200");
  memcpy(d.pre_matrix, m, sizeof m);
  for (int i = 0; i < 16; i++) d.post_matrix[i] = i % 5 == 0;
  rert_vfield *f = &d.field;
  f->nx = 4; f->ny = 3; f->nz = 2;
  f->spacing_mm[0] = 5; f->spacing_mm[1] = 6; f->spacing_mm[2] = 7.5;
  f->origin_mm[0] = -10; f->origin_mm[1] = 2; f->origin_mm[2] = -300;
  f->dir[0] = f->dir[4] = f->dir[8] = 1;
  float u[72];
  for (int i = 0; i < 72; i++) u[i] = 0.25f * (float)i - 9.0f;
  f->u_mm = u;
  cr_assert_eq(io_write_deformable_registration(tp("dreg.dcm"), &d, NULL, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_deformable_registration(tp("dreg.dcm"), &dr, &e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(dr.fixed_frame_uid, "1.2.3.100");
  cr_assert_str_eq(dr.moving_frame_uid, "1.2.3.200");
  cr_assert_eq(dr.field.nx, 4);
  cr_assert_eq(dr.field.ny, 3);
  cr_assert_eq(dr.field.nz, 2);
  cr_assert_float_eq(dr.field.spacing_mm[2], 7.5, 1e-12);
  cr_assert_float_eq(dr.field.origin_mm[2], -300, 1e-12);
  for (int i = 0; i < 16; i++) cr_assert_float_eq(dr.pre_matrix[i], m[i], 1e-12);
  for (int i = 0; i < 72; i++) cr_assert_eq(dr.field.u_mm[i], u[i]);
  rtdata_free_deformable_registration(&dr);
}

Test(io_roundtrip, uids) {
  char a[RERT_UID_LEN], b[RERT_UID_LEN], c[RERT_UID_LEN];
  io_make_uid_from("seed42/course1/ct", a);
  io_make_uid_from("seed42/course1/ct", b);
  io_make_uid_from("seed42/course2/ct", c);
  cr_assert_str_eq(a, b);
  cr_assert_str_neq(a, c);
  cr_assert(strncmp(a, "2.25.", 5) == 0 && strlen(a) <= 64);
  for (const char *p = a; *p; p++) cr_assert(*p == '.' || (*p >= '0' && *p <= '9'));
  cr_assert_neq(a[5], '0'); /* no leading zero in a UID component (PS3.5 9.1) */
  cr_assert_eq(io_make_uid(a, NULL), RERT_OK);
  cr_assert_eq(io_make_uid(b, NULL), RERT_OK);
  cr_assert_str_neq(a, b);
}

/* A small export written by rert: the index must group the 6 CT slices into one series and
 * resolve RTSTRUCT → series, RTPLAN → RTSTRUCT and RTDOSE → RTPLAN (UIDs set by hand above). */
Test(io_roundtrip, scan_export_and_rert_info) {
  rert_image_series ct;
  rert_err e;
  make_ct(&ct, 1);
  cr_assert_eq(io_write_ct_series(tp("exp/CT"), &ct, NULL, &e), RERT_OK, "%s", e.msg);
  rert_structure_set s;
  memset(&s, 0, sizeof s);
  ident(&s.ident, "rs", "RTSTRUCT");
  cr_assert_eq(io_write_rtstruct(tp("exp/RS.dcm"), &s, &ct, NULL, &e), RERT_OK, "%s", e.msg);
  rert_rtplan p;
  memset(&p, 0, sizeof p);
  ident(&p.ident, "plan", "RTPLAN");
  strcpy(p.referenced_structure_set_uid, s.ident.sop_instance_uid);
  rert_fraction_group fg = {.number = 1, .fractions_planned = 35, .nbeams = 1};
  p.nfraction_groups = 1; p.fraction_groups = &fg;
  cr_assert_eq(io_write_rtplan(tp("exp/RP.dcm"), &p, NULL, &e), RERT_OK, "%s", e.msg);
  rert_rtdose d;
  make_dose(&d);
  strcpy(d.referenced_plan_uid, p.ident.sop_instance_uid);
  d.summation = SUM_PLAN;
  cr_assert_eq(io_write_rtdose(tp("exp/RD.dcm"), &d, NULL, &e), RERT_OK, "%s", e.msg);
  FILE *junk = fopen(tp("exp/notes.txt"), "w");
  cr_assert_not_null(junk);
  fputs("not dicom\n", junk);
  fclose(junk);
  io_index ix;
  cr_assert_eq(io_scan_dir(tp("exp"), &ix, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(ix.nobjects, 4);
  cr_assert_eq(ix.nskipped, 1);
  cr_assert_eq(ix.objects[0].kind, IO_KIND_IMAGE); /* sorted: image, RTSTRUCT, RTPLAN, RTDOSE */
  cr_assert_eq(ix.objects[0].nfiles, 6);
  cr_assert_eq(ix.objects[0].nframes, 6);
  cr_assert_eq(ix.objects[1].kind, IO_KIND_RTSTRUCT);
  cr_assert_str_eq(ix.objects[1].ref_series_uid, ct.ident.series_instance_uid);
  cr_assert_eq(ix.objects[2].kind, IO_KIND_RTPLAN);
  cr_assert_str_eq(ix.objects[2].ref_struct_uid, s.ident.sop_instance_uid);
  cr_assert_eq(ix.objects[2].fractions_planned, 35);
  cr_assert_eq(ix.objects[3].kind, IO_KIND_RTDOSE);
  cr_assert_str_eq(ix.objects[3].ref_plan_uid, p.ident.sop_instance_uid);
  cr_assert_str_eq(ix.objects[3].dose_summation, "PLAN");
  io_index_free(&ix);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s info '%s' --json | grep -c '\"kind\"' | grep -qx 4", RERT_BIN, tp("exp"));
  cr_assert_eq(system(cmd), 0, "rert info --json lists 4 objects");
  snprintf(cmd, sizeof cmd, "%s info '%s' | grep -q 'RTDOSE.*RD.dcm'", RERT_BIN, tp("exp"));
  cr_assert_eq(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "%s info '%s/none' >/dev/null 2>&1", RERT_BIN, tmpdir);
  int st = system(cmd);
  cr_assert_eq(WEXITSTATUS(st), 2, "missing directory is bad input (exit 2)");
  rtdata_free_rtdose(&d);
  rtdata_free_image_series(&ct);
}
