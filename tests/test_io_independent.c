/* test_io_independent.c — rert's DICOM readers against an INDEPENDENT generator (label "peer").
 *
 * tests/peer/make_dicom_cases.py (python3-pydicom + numpy, no rert code) writes CT series,
 * RTDOSE grids, an RTSTRUCT, plans, registrations and malformed files whose content is known in
 * closed form: pixel values are f(x, y, z) = a + b·x + c·y + d·z of the LPS position of the voxel
 * centre, and the generator lists the expected geometry (dims, spacing, direction cosines, world
 * position of the 8 corner voxels computed from the slice/frame positions it wrote) in
 * manifest.json. Here rert reads every case through its public C API and must report that
 * geometry, and at EVERY voxel centre (through rert's own index → world mapping) the value f
 * within half a quantisation step (RescaleSlope / DoseGridScaling). Bad cases must fail with
 * RERT_EINPUT naming the attribute. Round trip: an RTDOSE written by rert for an analytic oblique
 * map is decoded by pydicom (tests/peer/check_rtdose.py, its own geometry) and checked by
 * dciodvfy. Independent sources: the closed-form function and geometry above, pydicom, dciodvfy.
 * Skips (with a message) only when python3-pydicom/numpy are not installed. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "rert/dicomio.h"
#include "support/run.h"

#define CASES_DIR RERT_BUILD_DIR "/io_independent_cases"
#define PY "/usr/bin/python3"

static int have_pydicom(void) {
  return system(PY " -c 'import pydicom, numpy' >/dev/null 2>&1") == 0;
}

/* Generated once per test run, before any test (Criterion runs tests in child processes). */
ReportHook(PRE_ALL)(struct criterion_test_set *set) {
  (void)set;
  if (!have_pydicom()) return;
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && " PY " '%s/tests/peer/make_dicom_cases.py' '%s' "
           ">/dev/null", CASES_DIR, RERT_SOURCE_DIR, CASES_DIR);
  if (system(cmd) != 0) fprintf(stderr, "make_dicom_cases.py failed\n");
}

static cJSON *g_manifest;
static cJSON *manifest(void) {
  if (g_manifest) return g_manifest;
  FILE *f = fopen(CASES_DIR "/manifest.json", "rb");
  if (!f && !have_pydicom())
    cr_skip_test("python3-pydicom/numpy not installed (Debian python3-pydicom python3-numpy)");
  cr_assert_not_null(f, "generator did not produce %s/manifest.json", CASES_DIR);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = 0;
  fclose(f);
  g_manifest = cJSON_Parse(buf);
  free(buf);
  cr_assert_not_null(g_manifest);
  return g_manifest;
}

/* Scratch directory inside the generated tree (removed with it on the next run, nothing left in
 * /tmp). */
static const char *scratch(const char *name) {
  static char dir[1024];
  snprintf(dir, sizeof dir, "%s/out_%s", CASES_DIR, name);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  cr_assert_eq(system(cmd), 0);
  return dir;
}

static double num(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}
static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}
static double at(const cJSON *o, const char *k, int i) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k);
  const cJSON *v = cJSON_GetArrayItem(a, i);
  cr_assert(cJSON_IsNumber(v), "manifest: %s[%d] missing", k, i);
  return v->valuedouble;
}
static int is_kind(const cJSON *c, const char *kind) { return strcmp(str(c, "kind"), kind) == 0; }

/* Geometry (dims, spacing, directions, corner voxel centres) and every voxel value against the
 * closed form. Returns the number of cases checked. */
static void check_volume(const cJSON *c, const rert_volume *v) {
  const char *name = str(c, "name");
  cr_expect_eq(v->nx, (int)at(c, "dims", 0), "%s: nx %d", name, v->nx);
  cr_expect_eq(v->ny, (int)at(c, "dims", 1), "%s: ny %d", name, v->ny);
  cr_assert_eq(v->nz, (int)at(c, "dims", 2), "%s: nz %d, expected %d", name, v->nz,
               (int)at(c, "dims", 2));
  for (int a = 0; a < 3; a++) {
    const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "spacing"), a);
    if (cJSON_IsNumber(s))
      cr_expect(fabs(v->spacing_mm[a] - s->valuedouble) < 1e-6, "%s: spacing[%d] %.9g, expected %.9g",
                name, a, v->spacing_mm[a], s->valuedouble);
    cr_expect(fabs(v->origin_mm[a] - at(c, "origin", a)) < 1e-4, "%s: origin[%d] %.6f, expected %.6f",
              name, a, v->origin_mm[a], at(c, "origin", a));
  }
  for (int a = 0; a < 9; a++)
    cr_expect(fabs(v->dir[a] - at(c, "dir", a)) < 1e-6, "%s: dir[%d] %.9f, expected %.9f", name, a,
              v->dir[a], at(c, "dir", a));
  const cJSON *corners = cJSON_GetObjectItem(c, "corners"), *cn;
  int ncorner = 0;
  cJSON_ArrayForEach(cn, corners) {
    double ijk[3], xyz[3], want[3];
    for (int a = 0; a < 3; a++) {
      ijk[a] = cJSON_GetArrayItem(cn, a)->valuedouble;
      want[a] = cJSON_GetArrayItem(cn, 3 + a)->valuedouble;
    }
    volume_index_to_world(v, ijk, xyz);
    double d = sqrt(pow(xyz[0] - want[0], 2) + pow(xyz[1] - want[1], 2) + pow(xyz[2] - want[2], 2));
    cr_expect(d < 1e-3, "%s: voxel (%g,%g,%g) at (%.3f,%.3f,%.3f), generator wrote it at "
              "(%.3f,%.3f,%.3f)", name, ijk[0], ijk[1], ijk[2], xyz[0], xyz[1], xyz[2], want[0],
              want[1], want[2]);
    ncorner++;
  }
  /* values: every voxel against f at the position rert assigns to it */
  double fa = at(c, "func", 0), fb = at(c, "func", 1), fc = at(c, "func", 2), fd = at(c, "func", 3);
  double tol = num(c, "tol"), worst = 0;
  long bad = 0;
  for (int k = 0; k < v->nz; k++)
    for (int j = 0; j < v->ny; j++)
      for (int i = 0; i < v->nx; i++) {
        double ijk[3] = {i, j, k}, p[3];
        volume_index_to_world(v, ijk, p);
        double f = fa + fb * p[0] + fc * p[1] + fd * p[2];
        double e = fabs(v->data[i + (size_t)v->nx * (j + (size_t)v->ny * k)] - f);
        if (e > worst) worst = e;
        if (e > tol && bad++ == 0)
          cr_expect(0, "%s: voxel (%d,%d,%d) = %.5f, analytic %.5f at (%.3f,%.3f,%.3f)", name, i, j,
                    k, v->data[i + (size_t)v->nx * (j + (size_t)v->ny * k)], f, p[0], p[1], p[2]);
      }
  cr_expect_eq(bad, 0, "%s: %ld voxels off by more than %.4g (worst %.4g)", name, bad, tol, worst);
  cr_log_info("%s: %dx%dx%d, %d corners, worst |value - f| = %.3g (tol %.3g)", name, v->nx, v->ny,
              v->nz, ncorner, worst, tol);
}

Test(io_independent, ct_series_geometry_and_hu) {
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "ct")) continue;
    io_read_opts o = {0};
    o.allow_uneven_slices = (int)num(c, "uneven");
    if (num(c, "select") == 1) o.series_uid = str(c, "series_uid");
    rert_image_series s;
    rert_err e = {0};
    int rc = io_read_image_series(str(c, "path"), &o, &s, &e);
    cr_expect_eq(rc, RERT_OK, "%s: %s", str(c, "name"), e.msg);
    if (rc) continue;
    cr_expect_str_eq(s.ident.series_instance_uid, str(c, "series_uid"), "%s", str(c, "name"));
    cr_expect_eq(s.uneven_spacing, (int)num(c, "uneven"), "%s: uneven_spacing", str(c, "name"));
    cr_expect_eq(s.nslices, s.image.nz);
    check_volume(c, &s.image);
    rtdata_free_image_series(&s);
    n++;
  }
  cr_assert_geq(n, 10, "only %d CT cases", n);
}

Test(io_independent, ct_series_errors) {
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "ct_error")) continue;
    rert_image_series s;
    rert_err e = {0};
    int rc = io_read_image_series(str(c, "path"), NULL, &s, &e);
    cr_expect_eq(rc, RERT_EINPUT, "%s: read returned %d (%s)%s", str(c, "name"), rc, e.msg,
                 rc == RERT_OK ? " — a bad series was accepted" : "");
    if (rc == RERT_OK) {
      cr_log_error("%s: accepted %d slices", str(c, "name"), s.nslices);
      rtdata_free_image_series(&s);
    } else {
      cr_expect(strstr(e.msg, str(c, "contains")) != NULL, "%s: message '%s' lacks '%s'",
                str(c, "name"), e.msg, str(c, "contains"));
    }
    n++;
  }
  cr_assert_geq(n, 3);
}

/* A single file of a two-series folder selects that file's series (no SeriesInstanceUID given). */
Test(io_independent, ct_single_file_selects_its_series) {
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "ct") || num(c, "select") != 1) continue;
    /* any slice of this series (file names carry no series information) */
    char file[1024] = "";
    DIR *d = opendir(str(c, "path"));
    cr_assert_not_null(d);
    for (struct dirent *de; !file[0] && (de = readdir(d));) {
      if (de->d_name[0] == '.') continue;
      char p[1024];
      snprintf(p, sizeof p, "%s/%s", str(c, "path"), de->d_name);
      rert_dicom_ident id;
      rert_err e = {0};
      if (io_read_ident(p, &id, &e) == RERT_OK &&
          !strcmp(id.series_instance_uid, str(c, "series_uid")))
        snprintf(file, sizeof file, "%s", p);
    }
    closedir(d);
    cr_assert(file[0]);
    rert_image_series s;
    rert_err e = {0};
    cr_assert_eq(io_read_image_series(file, NULL, &s, &e), RERT_OK, "%s: %s", file, e.msg);
    cr_expect_str_eq(s.ident.series_instance_uid, str(c, "series_uid"));
    check_volume(c, &s.image);
    rtdata_free_image_series(&s);
    n++;
  }
  cr_assert_eq(n, 2);
}

static const char *const kSum[] = {"PLAN", "MULTI_PLAN", "FRACTION", "BEAM", "BRACHY",
                                   "FRACTION_SESSION", "BEAM_SESSION", "BRACHY_SESSION",
                                   "CONTROL_POINT", "RECORD"};

Test(io_independent, rtdose_geometry_values_and_attributes) {
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "dose")) continue;
    const char *name = str(c, "name");
    rert_rtdose d;
    rert_err e = {0};
    int rc = io_read_rtdose(str(c, "path"), &d, &e);
    cr_expect_eq(rc, RERT_OK, "%s: %s", name, e.msg);
    if (rc) continue;
    check_volume(c, &d.dose);
    cr_expect_eq(d.units, strcmp(str(c, "units"), "GY") ? DOSE_UNITS_RELATIVE : DOSE_UNITS_GY,
                 "%s: units", name);
    const char *t = str(c, "type");
    cr_expect_eq(d.type, !strcmp(t, "PHYSICAL") ? DOSE_TYPE_PHYSICAL
                         : !strcmp(t, "EFFECTIVE") ? DOSE_TYPE_EFFECTIVE : DOSE_TYPE_ERROR,
                 "%s: type", name);
    cr_expect_str_eq(kSum[d.summation], str(c, "summation"), "%s: summation", name);
    double sc = num(c, "scaling");
    if (!isnan(sc))
      cr_expect(fabs(d.dose_grid_scaling - sc) <= 1e-12 * sc, "%s: DoseGridScaling %.10g vs %.10g",
                name, d.dose_grid_scaling, sc);
    cr_expect_str_eq(d.referenced_plan_uid, str(c, "ref_plan"), "%s: referenced plan", name);
    cr_expect_eq(d.referenced_fraction_group, (int)num(c, "ref_fg"), "%s: fraction group", name);
    cr_expect_eq(d.referenced_beam_number, (int)num(c, "ref_beam"), "%s: beam", name);
    if (d.type == DOSE_TYPE_EFFECTIVE) cr_expect_eq(d.dose.meta.quantity, QTY_RBE_WEIGHTED);
    if (d.type == DOSE_TYPE_PHYSICAL) cr_expect_eq(d.dose.meta.quantity, QTY_PHYSICAL);
    rtdata_free_rtdose(&d);
    n++;
  }
  cr_assert_geq(n, 15, "only %d dose cases", n);
}

Test(io_independent, rtdose_malformed_refused) {
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "dose_error")) continue;
    rert_rtdose d;
    rert_err e = {0};
    int rc = io_read_rtdose(str(c, "path"), &d, &e);
    cr_expect_eq(rc, RERT_EINPUT, "%s: read returned %d (%s)", str(c, "name"), rc, e.msg);
    if (rc == RERT_OK) rtdata_free_rtdose(&d);
    else
      cr_expect(strstr(e.msg, str(c, "contains")) != NULL, "%s: message '%s' lacks '%s'",
                str(c, "name"), e.msg, str(c, "contains"));
    n++;
  }
  cr_assert_geq(n, 5);
}

/* RELATIVE / FRACTION / BEAM / EFFECTIVE / ERROR doses read from the independent files must be
 * stopped by io_check_dose_usable without the context that makes them usable. */
Test(io_independent, rtdose_interlocks_on_generated_files) {
  manifest();
  struct { const char *file; int usable; } cases[] = {
    {"dose_rel16_plan.dcm", 1},                 /* GY PHYSICAL PLAN */
    {"dose_oblique_relative_brachy.dcm", 0},    /* RELATIVE, no normalisation */
    {"dose_abs32_fraction.dcm", 0},             /* FRACTION, no fraction count */
    {"dose_rel_decreasing_beam.dcm", 0},        /* BEAM, other beams absent */
    {"dose_sagittal_effective.dcm", 0},         /* EFFECTIVE, RBE model unknown */
    {"dose_error_signed.dcm", 0},               /* DoseType ERROR */
    {"dose_rle16_beam_session.dcm", 0},         /* BEAM_SESSION: one beam of one session */
    {"dose_bigendian16_fraction_session.dcm", 0}, /* FRACTION_SESSION, no fraction count */
    {"dose_brachy_session.dcm", 0},             /* BRACHY_SESSION, no session count */
    {"dose_ffs_abs.dcm", 1},                    /* GY PHYSICAL PLAN */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", CASES_DIR, cases[i].file);
    rert_rtdose d;
    rert_err e = {0};
    cr_assert_eq(io_read_rtdose(p, &d, &e), RERT_OK, "%s", e.msg);
    io_dose_context ctx = {NAN, 0, 0, 0};
    rert_err e2 = {0};
    int rc = io_check_dose_usable(&d, NULL, &ctx, 0, &e2);
    cr_expect_eq(rc, cases[i].usable ? RERT_OK : RERT_EINPUT, "%s: io_check_dose_usable %d (%s)",
                 cases[i].file, rc, e2.msg);
    rtdata_free_rtdose(&d);
  }
}

Test(io_independent, mismatched_patients_refused) {
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "patients")) continue;
    rert_dicom_ident a, b;
    rert_err e = {0};
    cr_assert_eq(io_read_ident(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "paths"), 0)->valuestring,
                               &a, &e), RERT_OK, "%s", e.msg);
    cr_assert_eq(io_read_ident(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "paths"), 1)->valuestring,
                               &b, &e), RERT_OK, "%s", e.msg);
    const rert_dicom_ident *ids[2] = {&a, &b};
    cr_expect_eq(io_check_same_patient(ids, 2, 0, &e), RERT_EINPUT);
    cr_expect(strstr(e.msg, "IOV-999") != NULL, "message '%s' does not name the other patient", e.msg);
    rert_err e2 = {0};
    cr_expect_eq(io_check_same_patient(ids, 2, 1, &e2), RERT_OK);
    cr_expect(strncmp(e2.msg, "OVERRIDDEN", 10) == 0, "override not recorded: '%s'", e2.msg);
    n++;
  }
  cr_assert_eq(n, 1);
}

/* Latin-1 (ISO_IR 100) and UTF-8 (ISO_IR 192) exports of the same patient are one patient, and
 * rert reports the name in UTF-8 (the generator's Python string, encoded by pydicom). */
Test(io_independent, character_sets_same_patient) {
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "same_patient")) continue;
    rert_dicom_ident a, b;
    rert_err e = {0};
    cr_assert_eq(io_read_ident(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "paths"), 0)->valuestring,
                               &a, &e), RERT_OK, "%s", e.msg);
    cr_assert_eq(io_read_ident(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "paths"), 1)->valuestring,
                               &b, &e), RERT_OK, "%s", e.msg);
    cr_expect_str_eq(a.patient_name, str(c, "patient_name"), "Latin-1 name not converted to UTF-8");
    cr_expect_str_eq(b.patient_name, str(c, "patient_name"));
    const rert_dicom_ident *ids[2] = {&a, &b};
    cr_expect_eq(io_check_same_patient(ids, 2, 0, &e), RERT_OK, "%s", e.msg);
    n++;
  }
  cr_assert_eq(n, 1);
}

static const rert_roi *roi_by_number(const rert_structure_set *s, int num) {
  for (int r = 0; r < s->nrois; r++)
    if (s->rois[r].number == num) return &s->rois[r];
  return NULL;
}

Test(io_independent, rtstruct_rois_joined_by_number) {
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "rtstruct")) continue;
    rert_structure_set s;
    rert_err e = {0};
    cr_assert_eq(io_read_rtstruct(str(c, "path"), &s, &e), RERT_OK, "%s", e.msg);
    cr_expect_str_eq(s.ident.frame_of_reference_uid, str(c, "frame"));
    cr_expect_str_eq(s.referenced_series_uid, str(c, "ref_series"));
    const cJSON *rois = cJSON_GetObjectItem(c, "rois"), *r;
    cr_expect_eq(s.nrois, cJSON_GetArraySize(rois));
    cJSON_ArrayForEach(r, rois) {
      const rert_roi *roi = roi_by_number(&s, (int)num(r, "number"));
      cr_assert_not_null(roi, "ROI %g missing", num(r, "number"));
      cr_expect_str_eq(roi->name, str(r, "name"));
      cr_expect_str_eq(roi->interpreted_type, str(r, "type"), "ROI %s", roi->name);
      cr_expect_str_eq(roi->generation_algorithm, str(r, "algorithm"), "ROI %s", roi->name);
      cr_expect_str_eq(roi->frame_of_reference_uid, str(c, "frame"));
      for (int a = 0; a < 3; a++)
        cr_expect_eq(roi->color_rgb[a], (int)at(r, "color", a), "ROI %s colour", roi->name);
      cr_assert_eq(roi->ncontours, (int)num(r, "ncontours"), "ROI %s: %d contours", roi->name,
                   roi->ncontours);
      for (int k = 0; k < roi->ncontours; k++) {
        const char *gt = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "contour_types"), k)->valuestring;
        rert_contour_type want = !strcmp(gt, "POINT") ? CONTOUR_POINT : CONTOUR_CLOSED_PLANAR;
        cr_expect_eq(roi->contours[k].type, want, "ROI %s contour %d type", roi->name, k);
        cr_expect_eq(roi->contours[k].npoints, (int)at(r, "npoints", k));
      }
      if (roi->ncontours)
        for (int a = 0; a < 3; a++)
          cr_expect(fabs(roi->contours[0].xyz_mm[a] - at(r, "first_point", a)) < 1e-9,
                    "ROI %s first point", roi->name);
    }
    /* structure-set interlock: valid ROIs pass, empty and non-planar ones are refused */
    const cJSON *nm;
    cJSON_ArrayForEach(nm, cJSON_GetObjectItem(c, "valid")) {
      rert_err e2 = {0};
      cr_expect_eq(io_check_structure_set(&s, nm->valuestring, 0, &e2), RERT_OK, "%s: %s",
                   nm->valuestring, e2.msg);
    }
    cJSON_ArrayForEach(nm, cJSON_GetObjectItem(c, "invalid")) {
      rert_err e2 = {0};
      cr_expect_eq(io_check_structure_set(&s, nm->valuestring, 0, &e2), RERT_EINPUT,
                   "%s accepted", nm->valuestring);
      cr_expect(strstr(e2.msg, nm->valuestring) != NULL, "message '%s' lacks ROI name", e2.msg);
    }
    rert_err e3 = {0};
    cr_expect_eq(io_check_structure_set(&s, NULL, 0, &e3), RERT_EINPUT);
    rtdata_free_structure_set(&s);
    n++;
  }
  cr_assert_eq(n, 1);
}

Test(io_independent, rtplan_fractions_prescriptions_radiation) {
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "rtplan")) continue;
    const char *name = str(c, "name");
    rert_rtplan p;
    rert_err e = {0};
    cr_assert_eq(io_read_rtplan(str(c, "path"), &p, &e), RERT_OK, "%s: %s", name, e.msg);
    cr_expect_eq(p.is_ion, (int)num(c, "is_ion"), "%s: is_ion", name);
    int nfg = cJSON_GetArraySize(cJSON_GetObjectItem(c, "fractions"));
    cr_assert_eq(p.nfraction_groups, nfg, "%s: fraction groups", name);
    for (int g = 0; g < nfg; g++) {
      cr_expect_eq(p.fraction_groups[g].fractions_planned, (int)at(c, "fractions", g), "%s", name);
      cr_expect_eq(p.fraction_groups[g].nbeams, (int)at(c, "beams", g), "%s", name);
      cr_expect_eq(p.fraction_groups[g].number, g + 1);
    }
    int nrx = cJSON_GetArraySize(cJSON_GetObjectItem(c, "prescriptions"));
    cr_assert_eq(p.nprescriptions, nrx, "%s: prescriptions", name);
    for (int i = 0; i < nrx; i++) {
      cr_expect(fabs(p.prescriptions[i].target_dose_gy - at(c, "prescriptions", i)) < 1e-9,
                "%s: prescription %d = %g", name, i, p.prescriptions[i].target_dose_gy);
      cr_expect_eq(p.prescriptions[i].referenced_roi_number, (int)at(c, "rx_rois", i));
    }
    const char *rt = str(c, "radiation");
    rert_modality want = !strcmp(rt, "PROTON") ? MOD_PROTON
                         : !strcmp(rt, "ION") ? (num(c, "atomic") == 6 ? MOD_CARBON : MOD_OTHER_ION)
                                              : MOD_PHOTON;
    cr_expect_eq(p.modality, want, "%s: modality %d", name, (int)p.modality);
    cr_expect(p.has_plan_date, "%s: RTPlanDate", name);
    char d[16];
    snprintf(d, sizeof d, "%04d%02d%02d", p.plan_date.year, p.plan_date.month, p.plan_date.day);
    cr_expect_str_eq(d, str(c, "plan_date"));
    rtdata_free_rtplan(&p);
    n++;
  }
  cr_assert_eq(n, 4);
}

Test(io_independent, spatial_registration_matrix) {
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "reg")) continue;
    rert_rigid_registration r;
    rert_err e = {0};
    cr_assert_eq(io_read_spatial_registration(str(c, "path"), &r, &e), RERT_OK, "%s", e.msg);
    cr_expect_str_eq(r.fixed_frame_uid, str(c, "fixed"));
    cr_expect_str_eq(r.moving_frame_uid, str(c, "moving"));
    for (int i = 0; i < 16; i++)
      cr_expect(fabs(r.matrix[i] - at(c, "matrix", i)) < 1e-9, "matrix[%d] %.9g vs %.9g", i,
                r.matrix[i], at(c, "matrix", i));
    n++;
  }
  cr_assert_eq(n, 2);
}

Test(io_independent, deformable_registration_grid) {
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "dreg")) continue;
    rert_deformable_registration r;
    rert_err e = {0};
    cr_assert_eq(io_read_deformable_registration(str(c, "path"), &r, &e), RERT_OK, "%s", e.msg);
    cr_expect_str_eq(r.fixed_frame_uid, str(c, "fixed"));
    cr_expect_str_eq(r.moving_frame_uid, str(c, "moving"));
    const rert_vfield *f = &r.field;
    cr_assert_eq(f->nx, (int)at(c, "dims", 0));
    cr_assert_eq(f->ny, (int)at(c, "dims", 1));
    cr_assert_eq(f->nz, (int)at(c, "dims", 2));
    for (int a = 0; a < 3; a++) {
      cr_expect(fabs(f->origin_mm[a] - at(c, "origin", a)) < 1e-9);
      cr_expect(fabs(f->spacing_mm[a] - at(c, "spacing", a)) < 1e-9);
    }
    for (int i = 0; i < 16; i++) {
      cr_expect(fabs(r.pre_matrix[i] - at(c, "pre", i)) < 1e-9, "pre[%d]", i);
      cr_expect(fabs(r.post_matrix[i] - (i % 5 == 0 ? 1 : 0)) < 1e-12, "post[%d]", i);
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(c, "samples")) {
      int i = cJSON_GetArrayItem(s, 0)->valueint, j = cJSON_GetArrayItem(s, 1)->valueint,
          k = cJSON_GetArrayItem(s, 2)->valueint;
      size_t idx = 3 * ((size_t)i + (size_t)f->nx * ((size_t)j + (size_t)f->ny * k));
      for (int a = 0; a < 3; a++)
        cr_expect_eq(f->u_mm[idx + a], (float)cJSON_GetArrayItem(s, 3 + a)->valuedouble,
                     "u(%d,%d,%d)[%d]", i, j, k, a);
    }
    rtdata_free_deformable_registration(&r);
    n++;
  }
  cr_assert_eq(n, 1);
}

static int dciodvfy_errors(const char *path) {
  if (system("command -v dciodvfy >/dev/null 2>&1") != 0) return 0;
  char dc[1200];
  snprintf(dc, sizeof dc, "dciodvfy '%s' 2>&1 | grep -c '^Error'", path);
  FILE *p = popen(dc, "r");
  int nerr = -1;
  cr_assert_eq(fscanf(p, "%d", &nerr), 1);
  pclose(p);
  return nerr;
}

/* rert writes an RTDOSE for an analytic map on an oblique, feet-first-like grid; pydicom (its own
 * geometry from IPP/IOP/PixelSpacing/GFOV) must find f at every voxel centre, for each encoding,
 * and dciodvfy must report no error for the default (32-bit RLE) and 16-bit encodings. */
Test(io_independent, written_rtdose_read_by_pydicom_and_dciodvfy) {
  manifest();
  const char *tmp = scratch("derived");
  const double fa = 40, fb = 0.2, fc = -0.1, fd = 0.3;
  rert_volume v;
  memset(&v, 0, sizeof v);
  v.nx = 11; v.ny = 7; v.nz = 5;
  v.spacing_mm[0] = 2.5; v.spacing_mm[1] = 1.75; v.spacing_mm[2] = 3.0;
  v.origin_mm[0] = -10; v.origin_mm[1] = 12; v.origin_mm[2] = -7;
  /* rotation 17° about z then 17° about x (closed form), k along −(u×v) to exercise the writer's
   * decreasing-offset path */
  double c = cos(17 * M_PI / 180), s = sin(17 * M_PI / 180);
  double u[3] = {c, s * c, s * s}, w[3] = {-s, c * c, c * s};
  double n[3] = {u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]};
  for (int a = 0; a < 3; a++) { v.dir[a] = u[a]; v.dir[3 + a] = w[a]; v.dir[6 + a] = -n[a]; }
  rert_err e = {0};
  cr_assert_eq(volume_alloc(&v, &e), RERT_OK);
  for (int k = 0; k < v.nz; k++)
    for (int j = 0; j < v.ny; j++)
      for (int i = 0; i < v.nx; i++) {
        double ijk[3] = {i, j, k}, p[3];
        volume_index_to_world(&v, ijk, p);
        v.data[i + v.nx * (j + v.ny * k)] = (float)(fa + fb * p[0] + fc * p[1] + fd * p[2]);
      }
  float mn, mx;
  volume_minmax(&v, &mn, &mx);
  cr_assert_gt(mn, 0);
  v.meta.quantity = QTY_EQD2;
  v.meta.alpha_beta_gy = 3;
  v.meta.eqdx_ref_gy = 2;
  rert_dicom_ident src;
  memset(&src, 0, sizeof src);
  strcpy(src.patient_id, "IOV-001");
  strcpy(src.patient_name, "Indep^Generator");
  io_make_uid_from("iov/study", src.study_instance_uid);
  io_make_uid_from("iov/frame", src.frame_of_reference_uid);
  const char *plans[1] = {"1.2.826.0.1.3680043.9.7433.2.1"};
  struct { int enc; const char *tag; double rel; int dciodvfy; } encs[] = {
    {IO_DOSE_32_RLE, "rle32", 1e-6, 1}, {IO_DOSE_32_RAW, "raw32", 1e-6, 0},
    {IO_DOSE_16_RAW, "raw16", 1.0 / 65535, 1}};
  for (size_t q = 0; q < sizeof encs / sizeof *encs; q++) {
    int old = io_set_dose_encoding(encs[q].enc);
    char path[512], cmd[2048];
    snprintf(path, sizeof path, "%s/eqd2_%s.dcm", tmp, encs[q].tag);
    cr_assert_eq(io_write_derived_dose(path, &v, &src, plans, 1, NULL, NULL, &e), RERT_OK, "%s",
                 e.msg);
    io_set_dose_encoding(old);
    /* tolerance: half a quantisation step (max/(2^bits−1)) + float rounding */
    double tol = mx * encs[q].rel + 1e-4;
    snprintf(cmd, sizeof cmd, PY " '%s/tests/peer/check_rtdose.py' '%s' %.17g %.17g %.17g %.17g %.6g",
             RERT_SOURCE_DIR, path, fa, fb, fc, fd, tol);
    cr_expect_eq(system(cmd), 0, "%s: pydicom values differ from the analytic map", encs[q].tag);
    if (encs[q].dciodvfy) {
      int nerr = dciodvfy_errors(path);
      cr_expect_eq(nerr, 0, "%s: dciodvfy reports %d errors (run dciodvfy %s)", encs[q].tag, nerr,
                   path);
    }
    /* and rert reads its own file back: k now follows u×v (the documented re-sort), so the
     * origin is the written last slice and every voxel still holds f at its centre */
    rert_rtdose d;
    cr_assert_eq(io_read_rtdose(path, &d, &e), RERT_OK, "%s", e.msg);
    double last[3], ijk[3] = {0, 0, v.nz - 1};
    volume_index_to_world(&v, ijk, last);
    for (int a = 0; a < 3; a++) {
      cr_expect(fabs(d.dose.dir[6 + a] - n[a]) < 1e-6, "%s: slice direction", encs[q].tag);
      cr_expect(fabs(d.dose.origin_mm[a] - last[a]) < 1e-4, "%s: origin", encs[q].tag);
    }
    double worst = 0;
    for (int k = 0; k < d.dose.nz; k++)
      for (int j = 0; j < d.dose.ny; j++)
        for (int i = 0; i < d.dose.nx; i++) {
          double ijk2[3] = {i, j, k}, p[3];
          volume_index_to_world(&d.dose, ijk2, p);
          double f = fa + fb * p[0] + fc * p[1] + fd * p[2];
          worst = fmax(worst, fabs(d.dose.data[i + d.dose.nx * (j + d.dose.ny * k)] - f));
        }
    cr_expect_leq(worst, tol, "%s: rert read-back off by %g", encs[q].tag, worst);
    rtdata_free_rtdose(&d);
  }
  volume_free(&v);
}

/* Every generated dose (except the signed ERROR grids, which rert's unsigned writer refuses by
 * design) read by rert and written back with io_write_rtdose (32-bit RLE, the variant dciodvfy
 * can read): pydicom must
 * still find f at every voxel centre of the written file (its own geometry: the frames may now
 * run the other way) within the input's half step + the output's half step, and dciodvfy must
 * report no error — units, type, summation and plan/fraction-group/beam references included. */
Test(io_independent, generated_doses_rewritten_by_rert) {
  const cJSON *c;
  manifest();
  const char *tmp = scratch("rewrite");
  char *cmd = malloc(65536);
  int len = snprintf(cmd, 65536, PY " '%s/tests/peer/check_rtdose.py'", RERT_SOURCE_DIR), n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest(), "cases")) {
    if (!is_kind(c, "dose") || !strcmp(str(c, "type"), "ERROR")) continue;
    rert_rtdose d;
    rert_err e = {0};
    cr_assert_eq(io_read_rtdose(str(c, "path"), &d, &e), RERT_OK, "%s", e.msg);
    char out[512];
    snprintf(out, sizeof out, "%s/%s_rert.dcm", tmp, str(c, "name"));
    /* RLE: Debian's dciodvfy aborts on uncompressed 32-bit pixel data (the default encoding,
     * which pydicom and plastimatch check in test_io_peer) */
    int old_enc = io_set_dose_encoding(IO_DOSE_32_RLE);
    cr_assert_eq(io_write_rtdose(out, &d, NULL, &e), RERT_OK, "%s: %s", str(c, "name"), e.msg);
    io_set_dose_encoding(old_enc);
    float mn, mx;
    volume_minmax(&d.dose, &mn, &mx);
    rtdata_free_rtdose(&d);
    double tol = num(c, "tol") + mx / 4294967295.0 + 1e-5;
    len += snprintf(cmd + len, 65536 - len, " '%s' %.17g %.17g %.17g %.17g %.6g", out,
                    at(c, "func", 0), at(c, "func", 1), at(c, "func", 2), at(c, "func", 3), tol);
    /* Known limitation (docs/io-validation.md): rert_rtdose holds ONE referenced plan and no
     * treatment-record reference, so a MULTI_PLAN dose (≥ 2 plans required) or a RECORD dose
     * (ReferencedTreatmentRecordSequence) cannot be rewritten conformant by io_write_rtdose;
     * derived MULTI_PLAN maps go through io_write_derived_dose, which takes every plan. */
    const char *sum = str(c, "summation");
    int conformant = strcmp(sum, "MULTI_PLAN") && strcmp(sum, "RECORD");
    if (conformant) {
      int nerr = dciodvfy_errors(out);
      cr_expect_eq(nerr, 0, "%s: dciodvfy reports %d errors on rert's rewrite (dciodvfy %s)",
                   str(c, "name"), nerr, out);
    }
    n++;
  }
  cr_assert_geq(n, 10);
  cr_expect_eq(system(cmd), 0, "pydicom disagrees with rert's rewritten doses (see above)");
  free(cmd);
}

/* The generated RTSTRUCT (POINT, hole, empty ROI), plans (two fraction groups, proton, carbon),
 * registrations and the oblique CT, read and rewritten by rert: dciodvfy reports no error and
 * rert reads back the generator's numbers. */
Test(io_independent, other_objects_rewritten_by_rert) {
  manifest();
  const char *tmp = scratch("rewrite_other");
  char in[1024], out[1024];
  rert_err e = {0};
  rert_structure_set rs;
  snprintf(in, sizeof in, "%s/rtstruct.dcm", CASES_DIR);
  snprintf(out, sizeof out, "%s/rs.dcm", tmp);
  cr_assert_eq(io_read_rtstruct(in, &rs, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_write_rtstruct(out, &rs, NULL, NULL, &e), RERT_OK, "%s", e.msg);
  rtdata_free_structure_set(&rs);
  cr_expect_eq(dciodvfy_errors(out), 0, "dciodvfy %s", out);
  cr_assert_eq(io_read_rtstruct(out, &rs, &e), RERT_OK, "%s", e.msg);
  cr_expect_eq(rs.nrois, 7);
  rtdata_free_structure_set(&rs);
  const char *plans[] = {"rtplan_photon", "rtplan_photon_boost", "rtionplan_proton",
                         "rtionplan_carbon"};
  const int fx0[] = {30, 25, 33, 16};
  const double rx0[] = {60, 50, 69.96, 64};
  for (int i = 0; i < 4; i++) {
    rert_rtplan pl;
    snprintf(in, sizeof in, "%s/%s.dcm", CASES_DIR, plans[i]);
    snprintf(out, sizeof out, "%s/%s.dcm", tmp, plans[i]);
    cr_assert_eq(io_read_rtplan(in, &pl, &e), RERT_OK, "%s", e.msg);
    cr_assert_eq(io_write_rtplan(out, &pl, NULL, &e), RERT_OK, "%s", e.msg);
    rert_modality m = pl.modality;
    rtdata_free_rtplan(&pl);
    cr_expect_eq(dciodvfy_errors(out), 0, "dciodvfy %s", out);
    cr_assert_eq(io_read_rtplan(out, &pl, &e), RERT_OK, "%s", e.msg);
    cr_expect_eq(pl.fraction_groups[0].fractions_planned, fx0[i], "%s", plans[i]);
    cr_expect(fabs(pl.prescriptions[0].target_dose_gy - rx0[i]) < 1e-9, "%s", plans[i]);
    cr_expect_eq(pl.modality, m, "%s", plans[i]);
    rtdata_free_rtplan(&pl);
  }
  rert_rigid_registration r, r2;
  snprintf(in, sizeof in, "%s/reg_rigid.dcm", CASES_DIR);
  snprintf(out, sizeof out, "%s/reg.dcm", tmp);
  cr_assert_eq(io_read_spatial_registration(in, &r, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_write_spatial_registration(out, &r, NULL, &e), RERT_OK, "%s", e.msg);
  cr_expect_eq(dciodvfy_errors(out), 0, "dciodvfy %s", out);
  cr_assert_eq(io_read_spatial_registration(out, &r2, &e), RERT_OK, "%s", e.msg);
  for (int i = 0; i < 16; i++) cr_expect(fabs(r.matrix[i] - r2.matrix[i]) < 1e-9);
  rert_deformable_registration d;
  snprintf(in, sizeof in, "%s/reg_deformable.dcm", CASES_DIR);
  snprintf(out, sizeof out, "%s/dreg.dcm", tmp);
  cr_assert_eq(io_read_deformable_registration(in, &d, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_write_deformable_registration(out, &d, NULL, &e), RERT_OK, "%s", e.msg);
  rtdata_free_deformable_registration(&d);
  cr_expect_eq(dciodvfy_errors(out), 0, "dciodvfy %s", out);
  rert_image_series im;
  snprintf(in, sizeof in, "%s/ct_oblique_17", CASES_DIR);
  snprintf(out, sizeof out, "%s/ct", tmp);
  cr_assert_eq(io_read_image_series(in, NULL, &im, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_write_ct_series(out, &im, NULL, &e), RERT_OK, "%s", e.msg);
  rtdata_free_image_series(&im);
  snprintf(out, sizeof out, "%s/ct/CT.1.dcm", tmp);
  cr_expect_eq(dciodvfy_errors(out), 0, "dciodvfy %s", out);
}

/* `rert info` on an export assembled from the generated files: the 7 shuffled CT slices are ONE
 * series entry; the RT objects are listed with their references resolved. */
Test(io_independent, rert_info_groups_slices) {
  manifest();
  const char *tmp = scratch("info");
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cp -r '%s/ct_axial_shuffled' '%s/rtstruct.dcm' '%s/rtplan_photon.dcm' "
           "'%s/dose_rel16_plan.dcm' '%s/'", CASES_DIR, CASES_DIR, CASES_DIR, CASES_DIR, tmp);
  cr_assert_eq(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "info '%s'", tmp);
  cJSON *j = NULL;
  cr_assert_eq(run_rert_json(cmd, &j), 0);
  cr_assert_not_null(j);
  const cJSON *pats = cJSON_GetObjectItem(j, "patients");
  cr_assert_eq(cJSON_GetArraySize(pats), 1);
  const cJSON *studies = cJSON_GetObjectItem(cJSON_GetArrayItem(pats, 0), "studies");
  cr_assert_eq(cJSON_GetArraySize(studies), 1);
  const cJSON *objs = cJSON_GetObjectItem(cJSON_GetArrayItem(studies, 0), "objects"), *o;
  int nct = 0, nobj = 0;
  cJSON_ArrayForEach(o, objs) {
    nobj++;
    if (!strcmp(str(o, "modality"), "CT")) {
      nct++;
      cr_expect_eq((int)num(o, "files"), 7);
      cr_expect_eq((int)num(o, "slices"), 7);
    }
  }
  cr_expect_eq(nct, 1, "CT slices listed as %d entries", nct);
  cr_expect_eq(nobj, 4);
  cJSON_Delete(j);
  char *out = NULL;
  snprintf(cmd, sizeof cmd, "info '%s'", tmp);
  cr_assert_eq(run_rert(cmd, &out, NULL), 0);
  cr_expect(strstr(out, "7 slices") != NULL, "text index: %s", out);
  cr_expect(strstr(out, "NOT IN EXPORT") == NULL, "RTSTRUCT reference to the CT unresolved:\n%s",
            out);
  free(out);
}
