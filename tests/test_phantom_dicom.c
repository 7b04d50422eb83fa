/* test_phantom_dicom.c — the small synthetic patient written to disk and read back through the
 * io DICOM readers and the imageio MetaImage reader: every value written must come back.
 * Independent sources: the documented geometry and tissue table of docs/phantom.md (grid sizes,
 * HU), the dose model written out by hand, the deformation formula evaluated by hand at grid
 * points, closed-form ellipse areas, the plan/date table of docs/phantom.md, and byte equality
 * of two runs for determinism. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rert/casefile.h"
#include "rert/data.h"
#include "rert/dicomio.h"
#include "rert/imageio.h"
#include "rert/phantom.h"

static char root[256], dir_a[300], dir_b[300], dir_c[300];

static void gen(const char *dir, unsigned long long seed) {
  rert_phantom_model m;
  rert_err e;
  if (phantom_model_init(&m, seed, PHANTOM_SMALL, 2, &e) || phantom_write(&m, dir, &e)) {
    fprintf(stderr, "phantom generation failed: %s\n", e.msg);
    exit(3);
  }
}

/* Paths are fixed per build tree (not per pid): Criterion runs each test in a separate worker
 * process, so the directories written by the PRE_ALL hook must be found again by name. */
static void set_paths(void) {
  snprintf(root, sizeof root, "%s/phantom_dicom_test", RERT_BUILD_DIR);
  snprintf(dir_a, sizeof dir_a, "%s/a", root);
  snprintf(dir_b, sizeof dir_b, "%s/b", root);
  snprintf(dir_c, sizeof dir_c, "%s/c", root);
}

ReportHook(PRE_ALL)(struct criterion_test_set *set) {
  (void)set;
  set_paths();
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  (void)!system(cmd);
  mkdir(root, 0755);
  gen(dir_a, 1);
  gen(dir_b, 1);
  gen(dir_c, 2);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
  (void)stats;
  set_paths();
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  (void)!system(cmd);
}

static void path(char *out, size_t n, const char *dir, const char *rel) {
  snprintf(out, n, "%s/%s", dir, rel);
}

static void init_paths(void) { set_paths(); }
TestSuite(phantom_dicom, .init = init_paths);

static rert_phantom_model model(void) {
  rert_phantom_model m;
  rert_err e;
  cr_assert_eq(phantom_model_init(&m, 1, PHANTOM_SMALL, 2, &e), RERT_OK);
  return m;
}

Test(phantom_dicom, ct_geometry_and_hu) {
  char p[512];
  rert_image_series s;
  rert_err e;
  path(p, sizeof p, dir_a, "course1/CT");
  cr_assert_eq(io_read_image_series(p, NULL, &s, &e), RERT_OK, "%s", e.msg);
  /* docs/phantom.md: small course-1 CT 100 × 100 × 90 at 3 mm, first voxel (−148.5, −153.5, −133.5) */
  cr_assert_eq(s.image.nx, 100);
  cr_assert_eq(s.image.ny, 100);
  cr_assert_eq(s.image.nz, 90);
  for (int a = 0; a < 3; a++) cr_assert_float_eq(s.image.spacing_mm[a], 3.0, 1e-4);
  cr_assert_float_eq(s.image.origin_mm[0], -148.5, 1e-3);
  cr_assert_float_eq(s.image.origin_mm[1], -153.5, 1e-3);
  cr_assert_float_eq(s.image.origin_mm[2], -133.5, 1e-3);
  cr_assert_str_eq(s.ident.patient_id, "RERT-PH-1");
  cr_assert_str_eq(s.ident.study_date, "20210222");
  /* tissue means over 3×3×3 voxels (noise s.d. 10 HU → s.e. 2 HU): air outside, vertebral body,
   * brain, parotid (docs/phantom.md tissue table) */
  struct {
    double x, y, z, hu;
  } pts[] = {{0, -145, 0, -1000}, {0, 4, -12, 400}, {0, -40, 120, 35}, {50, 8, 10, 10}};
  for (size_t t = 0; t < sizeof pts / sizeof *pts; t++) {
    double w[3] = {pts[t].x, pts[t].y, pts[t].z}, ijk[3];
    volume_world_to_index(&s.image, w, ijk);
    int i0 = (int)lround(ijk[0]), j0 = (int)lround(ijk[1]), k0 = (int)lround(ijk[2]);
    double sum = 0;
    for (int dk = -1; dk <= 1; dk++)
      for (int dj = -1; dj <= 1; dj++)
        for (int di = -1; di <= 1; di++)
          sum += s.image.data[(size_t)(i0 + di) +
                              (size_t)s.image.nx * ((size_t)(j0 + dj) + (size_t)s.image.ny * (k0 + dk))];
    cr_assert_float_eq(sum / 27, pts[t].hu, 8.0, "point %zu: mean %g", t, sum / 27);
  }
  /* exact round trip of every voxel against the in-memory build */
  rert_phantom_model m = model();
  rert_phantom_course_data d;
  cr_assert_eq(phantom_build_course(&m, 0, &d, &e), RERT_OK);
  size_t n = volume_count(&s.image), bad = 0;
  for (size_t i = 0; i < n; i++)
    if (s.image.data[i] != d.ct.image.data[i]) bad++;
  cr_assert_eq(bad, 0, "%zu voxels differ", bad);
  phantom_course_data_free(&d);
  rtdata_free_image_series(&s);
}

Test(phantom_dicom, frames_and_studies_differ_between_courses) {
  char p1[512], p2[512];
  rert_dicom_ident a, b;
  rert_err e;
  path(p1, sizeof p1, dir_a, "course1/RD_course1.dcm");
  path(p2, sizeof p2, dir_a, "course2/RD_course2.dcm");
  cr_assert_eq(io_read_ident(p1, &a, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_ident(p2, &b, &e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(a.patient_id, b.patient_id);
  cr_assert_str_neq(a.frame_of_reference_uid, b.frame_of_reference_uid);
  cr_assert_str_neq(a.study_instance_uid, b.study_instance_uid);
}

static double poly_area(const rert_contour *c) {
  double a = 0;
  for (int p = 0; p < c->npoints; p++) {
    int q = (p + 1) % c->npoints;
    a += c->xyz_mm[3 * p] * c->xyz_mm[3 * q + 1] - c->xyz_mm[3 * q] * c->xyz_mm[3 * p + 1];
  }
  return 0.5 * fabs(a);
}

static double roi_volume_cc(const rert_roi *r, double dz) {
  double v = 0;
  for (int c = 0; c < r->ncontours; c++) v += poly_area(&r->contours[c]) * dz;
  return v / 1000.0;
}

Test(phantom_dicom, rtstruct_rois_and_volumes) {
  char p[512];
  rert_structure_set s;
  rert_err e;
  path(p, sizeof p, dir_a, "course1/RS_course1.dcm");
  cr_assert_eq(io_read_rtstruct(p, &s, &e), RERT_OK, "%s", e.msg);
  const char *names[] = {"External",  "SpinalCord", "Brainstem",  "Parotid_L",  "Parotid_R",
                         "Bone_Mandible", "A_Carotid_L", "A_Carotid_R", "OpticNrv_L", "OpticNrv_R",
                         "OpticChiasm", "BrachialPlex_L", "BrachialPlex_R", "Larynx", "Cochlea_L",
                         "Cochlea_R", "GTV_1", "CTV_1", "PTV_1"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    const rert_roi *r = rtdata_find_roi(&s, names[i]);
    cr_assert_not_null(r, "%s missing", names[i]);
    cr_assert_gt(r->ncontours, 0, "%s has no contours", names[i]);
  }
  cr_assert_str_eq(rtdata_find_roi(&s, "External")->interpreted_type, "EXTERNAL");
  cr_assert_str_eq(rtdata_find_roi(&s, "PTV_1")->interpreted_type, "PTV");
  /* volumes from contours (Σ area · 3 mm) vs closed form; tolerance = slice sampling of a
   * smooth ellipsoid at 3 mm (midpoint rule, ≤ 3 %) */
  double par = 4.0 / 3.0 * M_PI * 11 * 20 * 22 / 1000.0;       /* 20.27 cc */
  double ptv = 4.0 / 3.0 * M_PI * 28 * 26 * 30 / 1000.0;       /* 91.48 cc */
  double gtv = 4.0 / 3.0 * M_PI * 14 * 12 * 16 / 1000.0;       /* 11.26 cc */
  cr_assert_float_eq(roi_volume_cc(rtdata_find_roi(&s, "Parotid_L"), 3.0), par, 0.03 * par);
  cr_assert_float_eq(roi_volume_cc(rtdata_find_roi(&s, "PTV_1"), 3.0), ptv, 0.03 * ptv);
  cr_assert_float_eq(roi_volume_cc(rtdata_find_roi(&s, "GTV_1"), 3.0), gtv, 0.03 * gtv);
  /* mandible: half annulus, 30 mm tall → slices at z ∈ [−25, 5] */
  double man = M_PI * (52 * 62 - 44 * 54) / 2.0 * 30 / 1000.0;
  cr_assert_float_eq(roi_volume_cc(rtdata_find_roi(&s, "Bone_Mandible"), 3.0), man, 0.06 * man);
  rtdata_free_structure_set(&s);
}

Test(phantom_dicom, rtdose_values) {
  char p[512];
  rert_rtdose d;
  rert_err e;
  path(p, sizeof p, dir_a, "course1/RD_course1.dcm");
  cr_assert_eq(io_read_rtdose(p, &d, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(d.units, DOSE_UNITS_GY);
  cr_assert_eq(d.type, DOSE_TYPE_PHYSICAL);
  cr_assert_eq(d.summation, SUM_PLAN);
  /* docs/phantom.md: small dose grid 75 × 54 × 66 at 4 mm from (−148, −112, −132) */
  cr_assert_eq(d.dose.nx, 75);
  cr_assert_eq(d.dose.ny, 54);
  cr_assert_eq(d.dose.nz, 66);
  cr_assert_float_eq(d.dose.spacing_mm[0], 4.0, 1e-4);
  cr_assert_float_eq(d.dose.origin_mm[0], -148.0, 1e-3);
  cr_assert_float_eq(d.dose.origin_mm[2], -132.0, 1e-3);
  float mn, mx;
  volume_minmax(&d.dose, &mn, &mx);
  cr_assert_float_eq(mx, 70.0, 0.01);  /* prescription inside PTV_1 */
  cr_assert_float_eq(mn, 0.0, 1e-6);   /* outside the body */
  /* voxel (i, j, k) = (12, 21, 32) is (−100, −28, −4) mm: 52 − 28 = 24 mm lateral of the PTV_1
   * centre line, d ≈ 20 mm beyond the surface (x semi-axis 28 mm, 1 mm off-axis in z) */
  int i = 12, j = 21, k = 32;
  double x[3] = {-148.0 + 4 * i, -112.0 + 4 * j, -132.0 + 4 * k};
  cr_assert_float_eq(x[0], -100.0, 1e-9);
  rert_phantom_model m = model();
  float got = d.dose.data[(size_t)i + (size_t)d.dose.nx * ((size_t)j + (size_t)d.dose.ny * k)];
  cr_assert_float_eq(got, phantom_dose_gy(&m, 0, x), 1e-5);
  /* every voxel equals the in-memory model within the 32-bit DoseGridScaling step */
  rert_phantom_course_data cd;
  cr_assert_eq(phantom_build_course(&m, 0, &cd, &e), RERT_OK);
  size_t n = volume_count(&d.dose), bad = 0;
  for (size_t q = 0; q < n; q++)
    if (fabsf(d.dose.data[q] - cd.rtdose.dose.data[q]) > 1e-5f) bad++;
  cr_assert_eq(bad, 0, "%zu dose voxels differ", bad);
  phantom_course_data_free(&cd);
  rtdata_free_rtdose(&d);
}

Test(phantom_dicom, rtplan_fractions_prescriptions_dates) {
  struct {
    const char *file;
    int fx;
    double rx;
    rert_date first, last;
  } want[] = {{"course1/RP_course1.dcm", 35, 70.0, {2021, 3, 8}, {2021, 4, 23}},
              {"course2/RP_course2.dcm", 30, 60.0, {2023, 10, 2}, {2023, 11, 10}}};
  for (int c = 0; c < 2; c++) {
    char p[512];
    rert_rtplan pl;
    rert_err e;
    path(p, sizeof p, dir_a, want[c].file);
    cr_assert_eq(io_read_rtplan(p, &pl, &e), RERT_OK, "%s", e.msg);
    cr_assert_geq(pl.nfraction_groups, 1);
    cr_assert_eq(pl.fraction_groups[0].fractions_planned, want[c].fx);
    cr_assert_eq(pl.fraction_groups[0].nbeams, 7); /* docs/phantom.md: 7-field IMRT */
    cr_assert_geq(pl.nprescriptions, 1);
    cr_assert_float_eq(pl.prescriptions[0].target_dose_gy, want[c].rx, 1e-6);
    cr_assert_eq(pl.modality, MOD_PHOTON);
    cr_assert(pl.has_treatment_dates);
    cr_assert_eq(date_diff_days(pl.first_treatment_date, want[c].first), 0);
    cr_assert_eq(date_diff_days(pl.last_treatment_date, want[c].last), 0);
    rtdata_free_rtplan(&pl);
  }
}

/* T(x) − x by hand from docs/phantom.md for course 2 */
static void hand_u(const rert_phantom_model *m, const double x[3], double u[3]) {
  const rert_phantom_course *k = &m->course[1];
  u[0] = (k->scale_xy - 1) * (x[0] - k->scale_centre[0]);
  u[1] = (k->scale_xy - 1) * (x[1] - k->scale_centre[1]);
  u[2] = 0;
  for (int b = 0; b < k->nbumps; b++) {
    double r2 = 0;
    for (int a = 0; a < 3; a++) r2 += pow(x[a] - k->bump_centre[b][a], 2);
    for (int a = 0; a < 3; a++)
      u[a] += k->bump_amp_mm[b][a] * exp(-r2 / (2 * pow(k->bump_sigma_mm[b], 2)));
  }
}

static void check_field(const rert_phantom_model *m, const rert_vfield *f) {
  /* docs/phantom.md: small field grid 51 × 39 × 45 at 6 mm on the course-2 side */
  cr_assert_eq(f->nx, 51);
  cr_assert_eq(f->ny, 39);
  cr_assert_eq(f->nz, 45);
  cr_assert_float_eq(f->spacing_mm[0], 6.0, 1e-4);
  int pts[][3] = {{20, 15, 20}, {24, 19, 22}, {0, 0, 0}, {48, 38, 44}, {30, 10, 5}};
  for (size_t t = 0; t < sizeof pts / sizeof *pts; t++) {
    int i = pts[t][0], j = pts[t][1], k = pts[t][2];
    double x[3] = {f->origin_mm[0] + i * f->spacing_mm[0], f->origin_mm[1] + j * f->spacing_mm[1],
                   f->origin_mm[2] + k * f->spacing_mm[2]};
    double u[3];
    hand_u(m, x, u);
    size_t idx = (size_t)i + (size_t)f->nx * ((size_t)j + (size_t)f->ny * k);
    for (int a = 0; a < 3; a++)
      cr_assert_float_eq(f->u_mm[3 * idx + a], u[a], 1e-4, "point %zu comp %d", t, a);
  }
}

Test(phantom_dicom, registration_mha_matches_analytic_field) {
  char p[512];
  rert_vfield f;
  rert_err e;
  path(p, sizeof p, dir_a, "registration/field_course1_to_course2.mha");
  cr_assert_eq(imageio_read_vfield(p, &f, &e), RERT_OK, "%s", e.msg);
  rert_phantom_model m = model();
  check_field(&m, &f);
  rtdata_free_vfield(&f);
}

Test(phantom_dicom, registration_dicom_matches_analytic_field) {
  char p[512], ct1[512], ct2[512];
  rert_deformable_registration r;
  rert_dicom_ident i1, i2;
  rert_err e;
  path(p, sizeof p, dir_a, "registration/REG_course1_to_course2.dcm");
  path(ct1, sizeof ct1, dir_a, "course1/CT/CT.1.dcm");
  path(ct2, sizeof ct2, dir_a, "course2/CT/CT.1.dcm");
  cr_assert_eq(io_read_ident(ct1, &i1, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_ident(ct2, &i2, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_deformable_registration(p, &r, &e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(r.fixed_frame_uid, i2.frame_of_reference_uid);
  cr_assert_str_eq(r.moving_frame_uid, i1.frame_of_reference_uid);
  rert_phantom_model m = model();
  check_field(&m, &r.field);
  rtdata_free_deformable_registration(&r);
}

Test(phantom_dicom, case_file) {
  char p[512];
  cJSON *c;
  rert_err e;
  path(p, sizeof p, dir_a, "case.json");
  cr_assert_eq(json_load_file(p, &c, &e), RERT_OK, "%s", e.msg);
  cr_assert_str_eq(cJSON_GetObjectItem(c, "schema")->valuestring, "rert-case/1");
  cr_assert_str_eq(cJSON_GetObjectItem(c, "reference_course")->valuestring, "course2");
  cr_assert_str_eq(cJSON_GetObjectItem(c, "recurrence_roi")->valuestring, "GTV_2");
  const cJSON *cs = cJSON_GetObjectItem(c, "courses");
  cr_assert_eq(cJSON_GetArraySize(cs), 2);
  const cJSON *c1 = cJSON_GetArrayItem(cs, 0), *c2 = cJSON_GetArrayItem(cs, 1);
  cr_assert_str_eq(cJSON_GetObjectItem(c1, "end_date")->valuestring, "2021-04-23");
  cr_assert_str_eq(cJSON_GetObjectItem(c2, "start_date")->valuestring, "2023-10-02");
  cr_assert_eq(cJSON_GetObjectItem(c1, "fractions")->valueint, 35);
  cr_assert_float_eq(cJSON_GetObjectItem(c2, "prescription_gy")->valuedouble, 60.0, 1e-9);
  cr_assert_str_eq(cJSON_GetObjectItem(c2, "role")->valuestring, "planned");
  /* every referenced file exists */
  const cJSON *it;
  cJSON_ArrayForEach(it, cs) {
    const cJSON *d = cJSON_GetObjectItem(it, "dicom"), *f;
    cJSON_ArrayForEach(f, d) {
      char q[800];
      struct stat st;
      snprintf(q, sizeof q, "%s/%s", dir_a, f->valuestring);
      cr_assert_eq(stat(q, &st), 0, "%s missing", q);
    }
  }
  const cJSON *rg = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "registrations"), 0);
  cr_assert_str_eq(cJSON_GetObjectItem(rg, "from")->valuestring, "course1");
  /* recurrence volume = GTV_2 closed form 4/3·π·12·11·14 mm³ */
  cr_assert_float_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "clinical"), "recurrence_volume_cc")
                         ->valuedouble,
                     4.0 / 3.0 * M_PI * 12 * 11 * 14 / 1000.0, 1e-6);
  /* ground truth for scoring: the recurrence is partly inside the prior 95 % isodose (issue #3) */
  double f = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "x_ground_truth"),
                                                     "recurrence_overlap_fraction"),
                                 "course1")
                 ->valuedouble;
  cr_assert(f > 0.1 && f < 0.9, "overlap fraction %g", f);
  /* structure ground truth (1 mm lattice): Parotid_L course 1 = 4/3·π·11·20·22 mm³; Brainstem
   * course 2 = π·14·13·55 / 1.04² (in-plane scale, no bump reaches it) */
  const cJSON *st = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "x_ground_truth"), "structures");
  double vp = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "course1"), "Parotid_L"),
                                  "volume_cc")->valuedouble;
  cr_assert_float_eq(vp, 4.0 / 3.0 * M_PI * 11 * 20 * 22 / 1000, 0.01 * 20.27);
  double vb = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "course2"), "Brainstem"),
                                  "volume_cc")->valuedouble;
  cr_assert_float_eq(vb, M_PI * 14 * 13 * 55 / (1.04 * 1.04) / 1000, 0.015 * 29.08);
  double dg = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "course2"), "GTV_2"),
                                  "dmean_gy")->valuedouble;
  cr_assert_float_eq(dg, 60.0, 0.01); /* deep inside PTV_2: the prescription */
  cJSON_Delete(c);
}

/* byte comparison of two trees (same relative names) */
static int same_tree(const char *a, const char *b, char *why, size_t n) {
  DIR *d = opendir(a);
  if (!d) return snprintf(why, n, "cannot open %s", a), 0;
  struct dirent *ent;
  int ok = 1;
  while (ok && (ent = readdir(d))) {
    if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/%s", a, ent->d_name);
    snprintf(pb, sizeof pb, "%s/%s", b, ent->d_name);
    struct stat sa;
    stat(pa, &sa);
    if (S_ISDIR(sa.st_mode)) {
      ok = same_tree(pa, pb, why, n);
      continue;
    }
    char *ba, *bb;
    size_t la, lb;
    rert_err e;
    if (file_read_all(pa, &ba, &la, &e) || file_read_all(pb, &bb, &lb, &e)) {
      snprintf(why, n, "%s", e.msg);
      ok = 0;
      break;
    }
    if (la != lb || memcmp(ba, bb, la) != 0) {
      snprintf(why, n, "%s differs", pa);
      ok = 0;
    }
    free(ba);
    free(bb);
  }
  closedir(d);
  return ok;
}

Test(phantom_dicom, deterministic_same_seed_identical) {
  char why[1200] = "";
  cr_assert(same_tree(dir_a, dir_b, why, sizeof why), "%s", why);
  cr_assert(same_tree(dir_b, dir_a, why, sizeof why), "%s", why);
}

Test(phantom_dicom, different_seed_different_uids) {
  char p1[512], p2[512];
  rert_dicom_ident a, b;
  rert_err e;
  path(p1, sizeof p1, dir_a, "course1/RS_course1.dcm");
  path(p2, sizeof p2, dir_c, "course1/RS_course1.dcm");
  cr_assert_eq(io_read_ident(p1, &a, &e), RERT_OK);
  cr_assert_eq(io_read_ident(p2, &b, &e), RERT_OK);
  cr_assert_str_neq(a.sop_instance_uid, b.sop_instance_uid);
  cr_assert_str_neq(a.patient_id, b.patient_id);
}

Test(phantom_dicom, refuses_non_empty_directory) {
  rert_phantom_model m = model();
  rert_err e;
  cr_assert_eq(phantom_write(&m, dir_a, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, dir_a) != NULL, "%s", e.msg);
}

Test(phantom_dicom, case_file_passes_casefile_loader) {
  /* the clinical module's validator (rert/casefile.h) refuses unknown keys and bad values */
  char p[512];
  rert_case c;
  rert_err e;
  path(p, sizeof p, dir_a, "case.json");
  cr_assert_eq(casefile_load(p, &c, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(c.ncourses, 2);
  const case_course *ref = casefile_reference(&c);
  cr_assert_not_null(ref);
  cr_assert_str_eq(ref->id, "course2");
  cr_assert_eq(ref->fractions, 30);
  /* interval course 1 end 2021-04-23 → course 2 start 2023-10-02 = 892 days / 30.4375 */
  double months;
  cr_assert_eq(casefile_interval_months(&c, casefile_course(&c, "course1"), &months, &e), RERT_OK);
  cr_assert_float_eq(months, 892 / 30.4375, 1e-9);
  cr_assert_eq(c.nregistrations, 1);
  cr_assert_eq(c.registrations[0].type, REG_DEFORMABLE);
  casefile_free(&c);
}

/* The course-2 CT is the course-1 CT pulled back through the written field (docs/phantom.md):
 * sampling the course-1 CT at x + u(x) (trilinear, u from the MetaImage) must reproduce the
 * course-2 CT (fraction of voxels differing by > 40 HU, over body voxels off tissue edges where
 * the anatomy moved ≥ 3 mm) far better than the identity or the reversed field (which is what a reader using
 * the wrong direction convention would get). Independent of the generator: only files are used. */
static double mismatch(const rert_image_series *c1, const rert_image_series *c2,
                       const rert_vfield *f, double sign) {
  rert_volume comp[3];
  for (int a = 0; a < 3; a++) {
    memset(&comp[a], 0, sizeof comp[a]);
    comp[a].nx = f->nx, comp[a].ny = f->ny, comp[a].nz = f->nz;
    memcpy(comp[a].origin_mm, f->origin_mm, sizeof f->origin_mm);
    memcpy(comp[a].spacing_mm, f->spacing_mm, sizeof f->spacing_mm);
    memcpy(comp[a].dir, f->dir, sizeof f->dir);
    rert_err e;
    cr_assert_eq(volume_alloc(&comp[a], &e), RERT_OK);
    for (size_t q = 0; q < volume_count(&comp[a]); q++) comp[a].data[q] = f->u_mm[3 * q + a];
  }
  double sum = 0;
  long n = 0;
  const rert_volume *v2 = &c2->image;
  for (int k = 5; k < v2->nz - 5; k += 2)
    for (int j = 0; j < v2->ny; j += 2)
      for (int i = 0; i < v2->nx; i += 2) {
        size_t at = (size_t)i + (size_t)v2->nx * ((size_t)j + (size_t)v2->ny * k);
        float h2 = v2->data[at];
        if (h2 < -900 || i == 0 || j == 0 || i == v2->nx - 1 || j == v2->ny - 1) continue;
        /* homogeneous neighbourhood in course 2 (not on a tissue edge) */
        size_t nb[6] = {at - 1, at + 1, at - (size_t)v2->nx, at + (size_t)v2->nx,
                        at - (size_t)v2->nx * v2->ny, at + (size_t)v2->nx * v2->ny};
        int edge = 0;
        for (int q = 0; q < 6; q++) edge |= fabsf(v2->data[nb[q]] - h2) > 60.0f;
        if (edge) continue;
        double ijk[3] = {i, j, k}, x[3], y[3], u[3], un = 0;
        volume_index_to_world(v2, ijk, x);
        for (int a = 0; a < 3; a++) u[a] = volume_sample_trilinear(&comp[a], x, 0), un += u[a] * u[a];
        if (un < 3.0 * 3.0) continue; /* where the anatomy moved by ≥ 3 mm */
        for (int a = 0; a < 3; a++) y[a] = x[a] + sign * u[a];
        float h1 = volume_sample_trilinear(&c1->image, y, -1000);
        sum += fabs(h2 - h1) > 40.0; /* outside 4 noise s.d. of the difference of two scans */
        n++;
      }
  for (int a = 0; a < 3; a++) volume_free(&comp[a]);
  return sum / (double)n;
}

Test(phantom_dicom, course2_ct_is_course1_warped_by_field) {
  char p1[512], p2[512], pf[512];
  rert_image_series c1, c2;
  rert_vfield f;
  rert_err e;
  path(p1, sizeof p1, dir_a, "course1/CT");
  path(p2, sizeof p2, dir_a, "course2/CT");
  path(pf, sizeof pf, dir_a, "registration/field_course1_to_course2.mha");
  cr_assert_eq(io_read_image_series(p1, NULL, &c1, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(io_read_image_series(p2, NULL, &c2, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(imageio_read_vfield(pf, &f, &e), RERT_OK, "%s", e.msg);
  double good = mismatch(&c1, &c2, &f, 1.0), none = mismatch(&c1, &c2, &f, 0.0),
         reversed = mismatch(&c1, &c2, &f, -1.0);
  /* measured (seed 1): 1.4 % with the field, 13.8 % without, 19.8 % reversed */
  cr_assert_lt(good, 0.05, "mismatch %g with the field", good);
  cr_assert_lt(good, 0.25 * none, "mismatch %g with field vs %g without", good, none);
  cr_assert_lt(good, 0.2 * reversed, "mismatch %g with field vs %g reversed", good, reversed);
  rtdata_free_image_series(&c1);
  rtdata_free_image_series(&c2);
  rtdata_free_vfield(&f);
}

/* Course-2 contours are the course-1 shapes moved consistently with the written field: every
 * Parotid_R vertex x (course 2), moved to x + u(x) with u interpolated from the MetaImage, lies on
 * the course-1 ellipsoid ((X+50)/11)² + ((Y−8)/20)² + ((Z−10)/22)² = 1 (docs/phantom.md). */
Test(phantom_dicom, course2_contours_follow_field) {
  char ps[512], pf[512];
  rert_structure_set s;
  rert_vfield f;
  rert_err e;
  path(ps, sizeof ps, dir_a, "course2/RS_course2.dcm");
  path(pf, sizeof pf, dir_a, "registration/field_course1_to_course2.mha");
  cr_assert_eq(io_read_rtstruct(ps, &s, &e), RERT_OK, "%s", e.msg);
  cr_assert_eq(imageio_read_vfield(pf, &f, &e), RERT_OK, "%s", e.msg);
  rert_volume comp[3];
  for (int a = 0; a < 3; a++) {
    memset(&comp[a], 0, sizeof comp[a]);
    comp[a].nx = f.nx, comp[a].ny = f.ny, comp[a].nz = f.nz;
    memcpy(comp[a].origin_mm, f.origin_mm, sizeof f.origin_mm);
    memcpy(comp[a].spacing_mm, f.spacing_mm, sizeof f.spacing_mm);
    memcpy(comp[a].dir, f.dir, sizeof f.dir);
    cr_assert_eq(volume_alloc(&comp[a], &e), RERT_OK);
    for (size_t q = 0; q < volume_count(&comp[a]); q++) comp[a].data[q] = f.u_mm[3 * q + a];
  }
  const rert_roi *r = rtdata_find_roi(&s, "Parotid_R");
  cr_assert_not_null(r);
  double worst = 0, umax = 0;
  int n = 0;
  for (int c = 0; c < r->ncontours; c++)
    for (int p = 0; p < r->contours[c].npoints; p++) {
      const double *x = &r->contours[c].xyz_mm[3 * p];
      double y[3], un = 0;
      for (int a = 0; a < 3; a++) {
        double u = volume_sample_trilinear(&comp[a], x, 0);
        y[a] = x[a] + u;
        un += u * u;
      }
      umax = fmax(umax, sqrt(un));
      double rho = sqrt(pow((y[0] + 50) / 11, 2) + pow((y[1] - 8) / 20, 2) + pow((y[2] - 10) / 22, 2));
      /* radial error in mm along the shortest semi-axis scale */
      worst = fmax(worst, fabs(rho - 1) * 11);
      n++;
    }
  cr_assert_gt(n, 100);
  cr_assert_gt(umax, 2.0, "the parotid moved only %g mm", umax); /* the test is not vacuous */
  cr_assert_lt(worst, 0.3, "vertex off the course-1 surface by %g mm", worst);
  for (int a = 0; a < 3; a++) volume_free(&comp[a]);
  rtdata_free_structure_set(&s);
  rtdata_free_vfield(&f);
}
