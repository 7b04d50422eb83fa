/* test_io_peer.c — written objects checked by independent tools (label "peer"):
 *  - dciodvfy (Debian dicom3tools) must report no "Error" for the derived RTDOSE (32-bit RLE,
 *    written on request, and 16-bit), CT, RTSTRUCT, RTPLAN, RT Ion Plan and both registrations. (Debian's
 *    dciodvfy aborts on any uncompressed 32-bit PixelData, pydicom's own rtdose.dcm included,
 *    so IO_DOSE_32_RAW, the default, is checked by pydicom and plastimatch.)
 *  - pydicom (python3-pydicom) must decode every encoding to the written values
 *    (pixel_array × DoseGridScaling, compared voxel by voxel in Python).
 *  - plastimatch (Debian) must load the uncompressed encodings with the written min/mean/max.
 * Tools that are not installed make the corresponding test skip. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rert/dicomio.h"

static char tmpdir[256];
static void setup(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/rert_io_peer_XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}
static void teardown(void) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  cr_assert_eq(system(cmd), 0);
}
TestSuite(io_peer, .init = setup, .fini = teardown);

static int have(const char *tool) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
  return system(cmd) == 0;
}

static int have_pydicom(void) {
  return system("/usr/bin/python3 -c 'import pydicom, numpy' >/dev/null 2>&1") == 0;
}

static void ident(rert_dicom_ident *id) {
  memset(id, 0, sizeof *id);
  strcpy(id->patient_id, "PEER-1");
  strcpy(id->patient_name, "Peer^Check");
  strcpy(id->patient_birth_date, "19700101");
  strcpy(id->patient_sex, "F");
  strcpy(id->study_date, "20240102");
  io_make_uid_from("peer/study", id->study_instance_uid);
  io_make_uid_from("peer/frame", id->frame_of_reference_uid);
  io_make_uid_from("peer/series", id->series_instance_uid);
  io_make_uid_from("peer/sop", id->sop_instance_uid);
}

/* a smooth 3-D dose-like grid (Gaussian, 0–66 Gy) written as float */
static void make_eqd2(rert_volume *v) {
  memset(v, 0, sizeof *v);
  v->nx = 21; v->ny = 17; v->nz = 9;
  v->spacing_mm[0] = 2.5; v->spacing_mm[1] = 2.5; v->spacing_mm[2] = 3;
  v->origin_mm[0] = -25; v->origin_mm[1] = -20; v->origin_mm[2] = -12;
  volume_set_identity_dir(v);
  rert_err e;
  cr_assert_eq(volume_alloc(v, &e), RERT_OK);
  for (int k = 0; k < v->nz; k++)
    for (int j = 0; j < v->ny; j++)
      for (int i = 0; i < v->nx; i++) {
        double x = (i - 10) * 2.5, y = (j - 8) * 2.5, z = (k - 4) * 3.0;
        v->data[i + v->nx * (j + v->ny * k)] = (float)(66.0 * exp(-(x * x + y * y + z * z) / 400.0));
      }
  v->meta.quantity = QTY_EQD2;
  v->meta.alpha_beta_gy = 3;
  v->meta.eqdx_ref_gy = 2;
  strcpy(v->meta.recovery, "none");
}

/* run dciodvfy; returns the number of lines containing "Error" (and prints them) */
static int dciodvfy_errors(const char *path) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "dciodvfy '%s' 2>&1", path);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  char line[2048];
  int n = 0, saw_iod = 0;
  while (fgets(line, sizeof line, p)) {
    if (strstr(line, "Error") || strstr(line, "Assertion")) {
      n++;
      fprintf(stderr, "dciodvfy %s: %s", path, line);
    }
    saw_iod = 1;
  }
  int st = pclose(p);
  cr_assert(saw_iod, "dciodvfy printed nothing for %s", path);
  return n + (st != 0);
}

static const char *enc_file(int enc) {
  return enc == IO_DOSE_32_RLE ? "eqd2_rle.dcm" : enc == IO_DOSE_32_RAW ? "eqd2_raw.dcm" : "eqd2_16.dcm";
}

static void write_eqd2_all(rert_volume *v) {
  rert_dicom_ident src;
  ident(&src);
  const char *plan = "1.2.826.0.1.3680043.2.1143.1";
  for (int enc = 0; enc < 3; enc++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, enc_file(enc));
    io_write_opts o = {.note = "peer test", .software = NULL};
    io_set_dose_encoding(enc);
    rert_err e;
    cr_assert_eq(io_write_derived_dose(path, v, &src, &plan, 1, &o, NULL, &e), RERT_OK, "%s", e.msg);
  }
  io_set_dose_encoding(IO_DOSE_32_RAW); /* the default */
}

Test(io_peer, dciodvfy_all_writers) {
  if (!have("dciodvfy")) cr_skip_test("dciodvfy (dicom3tools) not installed");
  rert_volume v;
  make_eqd2(&v);
  write_eqd2_all(&v);
  char p[512];
  snprintf(p, sizeof p, "%s/eqd2_rle.dcm", tmpdir);
  cr_assert_eq(dciodvfy_errors(p), 0, "32-bit RLE RTDOSE");
  snprintf(p, sizeof p, "%s/eqd2_16.dcm", tmpdir);
  cr_assert_eq(dciodvfy_errors(p), 0, "16-bit RTDOSE");
  /* CT, RTSTRUCT, plans, registrations */
  rert_err e;
  rert_image_series ct;
  memset(&ct, 0, sizeof ct);
  ident(&ct.ident);
  strcpy(ct.ident.modality, "CT");
  ct.image.nx = 8; ct.image.ny = 8; ct.image.nz = 3;
  ct.image.spacing_mm[0] = ct.image.spacing_mm[1] = 1; ct.image.spacing_mm[2] = 2.5;
  volume_alloc(&ct.image, &e);
  io_series_fill_slice_uids(&ct, &e);
  snprintf(p, sizeof p, "%s/ct", tmpdir);
  cr_assert_eq(io_write_ct_series(p, &ct, NULL, &e), RERT_OK, "%s", e.msg);
  snprintf(p, sizeof p, "%s/ct/CT.2.dcm", tmpdir);
  cr_assert_eq(dciodvfy_errors(p), 0, "CT");
  rert_structure_set s;
  memset(&s, 0, sizeof s);
  io_make_uid_from("peer/rs", s.ident.sop_instance_uid);
  io_make_uid_from("peer/rs/series", s.ident.series_instance_uid);
  double sq[12] = {1, 1, 2.5, 5, 1, 2.5, 5, 5, 2.5, 1, 5, 2.5};
  rert_contour c = {CONTOUR_CLOSED_PLANAR, 4, sq};
  rert_roi roi;
  memset(&roi, 0, sizeof roi);
  roi.number = 1; strcpy(roi.name, "PTV_Ring"); strcpy(roi.interpreted_type, "CONTROL");
  strcpy(roi.generation_algorithm, "AUTOMATIC"); roi.ncontours = 1; roi.contours = &c;
  s.nrois = 1; s.rois = &roi;
  snprintf(p, sizeof p, "%s/rs.dcm", tmpdir);
  cr_assert_eq(io_write_rtstruct(p, &s, &ct, NULL, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(dciodvfy_errors(p), 0, "RTSTRUCT");
  for (int ion = 0; ion < 2; ion++) {
    rert_rtplan pl;
    memset(&pl, 0, sizeof pl);
    ident(&pl.ident);
    io_make_uid_from(ion ? "peer/ionplan" : "peer/plan", pl.ident.sop_instance_uid);
    pl.is_ion = ion;
    pl.modality = ion ? MOD_PROTON : MOD_PHOTON;
    rert_fraction_group fg = {.number = 1, .fractions_planned = 30, .nbeams = 2};
    rert_prescription rx = {60, 1, "PTV60"};
    pl.nfraction_groups = 1; pl.fraction_groups = &fg;
    pl.nprescriptions = 1; pl.prescriptions = &rx;
    strcpy(pl.referenced_structure_set_uid, s.ident.sop_instance_uid);
    snprintf(p, sizeof p, "%s/rp%d.dcm", tmpdir, ion);
    cr_assert_eq(io_write_rtplan(p, &pl, NULL, &e), RERT_OK, "%s", e.msg);
    cr_assert_eq(dciodvfy_errors(p), 0, "%s", ion ? "RT Ion Plan" : "RTPLAN");
  }
  rert_rigid_registration r;
  memset(&r, 0, sizeof r);
  ident(&r.ident);
  io_make_uid_from("peer/reg", r.ident.sop_instance_uid);
  strcpy(r.fixed_frame_uid, ct.ident.frame_of_reference_uid);
  strcpy(r.moving_frame_uid, "1.2.826.0.1.3680043.2.1143.9");
  for (int i = 0; i < 16; i++) r.matrix[i] = i % 5 == 0;
  snprintf(p, sizeof p, "%s/reg.dcm", tmpdir);
  cr_assert_eq(io_write_spatial_registration(p, &r, NULL, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(dciodvfy_errors(p), 0, "REG");
  rert_deformable_registration d;
  memset(&d, 0, sizeof d);
  d.ident = r.ident;
  strcpy(d.fixed_frame_uid, r.fixed_frame_uid);
  strcpy(d.moving_frame_uid, r.moving_frame_uid);
  memcpy(d.pre_matrix, r.matrix, sizeof d.pre_matrix);
  memcpy(d.post_matrix, r.matrix, sizeof d.post_matrix);
  float u[3 * 8] = {0};
  d.field.nx = d.field.ny = d.field.nz = 2;
  d.field.spacing_mm[0] = d.field.spacing_mm[1] = d.field.spacing_mm[2] = 10;
  d.field.dir[0] = d.field.dir[4] = d.field.dir[8] = 1;
  d.field.u_mm = u;
  snprintf(p, sizeof p, "%s/dreg.dcm", tmpdir);
  cr_assert_eq(io_write_deformable_registration(p, &d, NULL, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(dciodvfy_errors(p), 0, "Deformable REG");
  rtdata_free_image_series(&ct);
  volume_free(&v);
}

Test(io_peer, pydicom_reads_identical_values) {
  if (!have_pydicom()) cr_skip_test("python3-pydicom not installed");
  rert_volume v;
  make_eqd2(&v);
  write_eqd2_all(&v);
  /* the written float grid as raw little-endian float32, i fastest (pydicom's [k, j, i] order) */
  char ref[512], py[512], cmd[2048];
  snprintf(ref, sizeof ref, "%s/ref.f32", tmpdir);
  FILE *f = fopen(ref, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(v.data, sizeof(float), volume_count(&v), f), volume_count(&v));
  fclose(f);
  snprintf(py, sizeof py, "%s/check.py", tmpdir);
  f = fopen(py, "w");
  cr_assert_not_null(f);
  fputs("import sys, numpy as np, pydicom\n"
        "ref = np.fromfile(sys.argv[1], dtype='<f4').reshape(9, 17, 21).astype(float)\n"
        "bad = 0\n"
        "for p in sys.argv[2:]:\n"
        "    d = pydicom.dcmread(p)\n"
        "    s = float(d.DoseGridScaling)\n"
        "    a = d.pixel_array.astype(float) * s\n"
        "    ok = (a.shape == ref.shape and np.max(np.abs(a - ref)) <= 0.5 * s + 1e-6\n"
        "          and [float(x) for x in d.ImagePositionPatient] == [-25.0, -20.0, -12.0]\n"
        "          and [float(x) for x in d.GridFrameOffsetVector] == [3.0 * k for k in range(9)]\n"
        "          and d.DoseType == 'EFFECTIVE' and d.DoseUnits == 'GY' and d.PatientID == 'PEER-1')\n"
        "    print(p, a.shape, float(np.max(np.abs(a - ref))), s, ok)\n"
        "    bad += not ok\n"
        "sys.exit(bad)\n", f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 -W ignore '%s' '%s' '%s/eqd2_rle.dcm' '%s/eqd2_raw.dcm' '%s/eqd2_16.dcm' 1>&2",
           py, ref, tmpdir, tmpdir, tmpdir);
  cr_assert_eq(system(cmd), 0, "pydicom disagrees with the written grid");
  volume_free(&v);
}

/* plastimatch stats prints "MIN m AVE a MAX x ..." of the image it loaded */
Test(io_peer, plastimatch_reads_identical_values) {
  if (!have("plastimatch")) cr_skip_test("plastimatch not installed");
  rert_volume v;
  make_eqd2(&v);
  write_eqd2_all(&v);
  double mean = 0;
  float mn, mx;
  volume_minmax(&v, &mn, &mx);
  for (size_t n = 0; n < volume_count(&v); n++) mean += v.data[n];
  mean /= (double)volume_count(&v);
  const int encs[2] = {IO_DOSE_32_RAW, IO_DOSE_16_RAW};
  for (int t = 0; t < 2; t++) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && plastimatch convert --input %s --output-dose-img pm%d.mha "
             ">/dev/null 2>&1 && plastimatch stats pm%d.mha 2>/dev/null | grep MIN", tmpdir,
             enc_file(encs[t]), t, t);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[512] = "";
    char *got = fgets(line, sizeof line, p);
    pclose(p);
    cr_assert_not_null(got, "plastimatch could not read %s", enc_file(encs[t]));
    double pmn, pav, pmx;
    cr_assert_eq(sscanf(line, "MIN %lf AVE %lf MAX %lf", &pmn, &pav, &pmx), 3, "%s", line);
    double step = mx / (encs[t] == IO_DOSE_16_RAW ? 65535.0 : 4294967295.0);
    cr_assert_float_eq(pmn, mn, 0.5 * step + 1e-5);
    cr_assert_float_eq(pmx, mx, 0.5 * step + 1e-5);
    cr_assert_float_eq(pav, mean, 0.5 * step + 1e-5);
  }
  volume_free(&v);
}

/* An export written by pydicom (tests/data/io/gen_independent.py): geometry and values must match
 * what pydicom itself computes — expected values printed by pydicom from the same files:
 *   dose pixel_array[4, 2, 3] × 1.5e-4 = 0.85845 at IPP + 3·3·u + 2·2·v + (GFOV[4] − IPP z)·z
 *   = (41, 36, −10) mm; CT slices sorted along −x: x = 30, 27.5, 25, stored 0..5 + 100·k,
 *   HU = 2·stored − 1024. */
Test(io_peer, independent_generator_geometry) {
  if (!have_pydicom()) cr_skip_test("python3-pydicom not installed");
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 -W ignore '%s/tests/data/io/gen_independent.py' '%s' 1>&2",
           RERT_SOURCE_DIR, tmpdir);
  cr_assert_eq(system(cmd), 0);
  char p[512];
  rert_err e;
  rert_rtdose d;
  snprintf(p, sizeof p, "%s/dose.dcm", tmpdir);
  cr_assert_eq(io_read_rtdose(p, &d, &e), RERT_OK, "%s", e.msg);
  const rert_volume *v = &d.dose;
  cr_assert_eq(v->nx, 4);
  cr_assert_eq(v->ny, 3);
  cr_assert_eq(v->nz, 5);
  double ijk[3] = {3, 2, 4}, w[3];
  volume_index_to_world(v, ijk, w);
  cr_assert_float_eq(w[0], 41.0, 1e-9);
  cr_assert_float_eq(w[1], 36.0, 1e-9);
  cr_assert_float_eq(w[2], -10.0, 1e-9);
  cr_assert_float_eq(v->data[3 + 4 * (2 + 3 * 4)], 0.85845, 1e-6);
  cr_assert_float_eq(volume_sample_trilinear(v, w, -1), 0.85845, 1e-6);
  rtdata_free_rtdose(&d);
  rert_image_series s;
  cr_assert_eq(io_read_image_series(tmpdir, NULL, &s, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(s.image.nz, 3);
  cr_assert_float_eq(s.image.dir[6], -1, 1e-12);
  cr_assert_float_eq(s.image.origin_mm[0], 30.0, 1e-9);
  cr_assert_float_eq(s.image.spacing_mm[0], 0.5, 1e-12); /* column spacing = PixelSpacing[1] */
  cr_assert_float_eq(s.image.spacing_mm[1], 1.5, 1e-12);
  cr_assert_float_eq(s.image.spacing_mm[2], 2.5, 1e-9);
  for (int k = 0; k < 3; k++)
    for (int n = 0; n < 6; n++)
      cr_assert_float_eq(s.image.data[k * 6 + n], 2.0 * (n + 100 * k) - 1024, 1e-4);
  rtdata_free_image_series(&s);
}
