/* test_phantom.c — the synthetic patient's analytic model and in-memory objects (rert/phantom.h).
 * Independent sources: closed-form ellipsoid / elliptic-cylinder volumes and cross-sections
 * (4/3·π·a·b·c; π·a·b·(1 − (Δz/c)²)), the dose model written out by hand from docs/phantom.md
 * (erfc edge + exponential bath), the deformation formula of docs/phantom.md evaluated by hand,
 * and the shoelace polygon area. Nothing here reads DICOM (test_phantom_dicom.c does). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "rert/phantom.h"

static rert_phantom_model M;
static void init_small(void) {
  rert_err e;
  cr_assert_eq(phantom_model_init(&M, 1, PHANTOM_SMALL, 2, &e), RERT_OK, "%s", e.msg);
}
TestSuite(phantom, .init = init_small);

static double poly_area(const rert_contour *c) {
  double a = 0;
  for (int p = 0; p < c->npoints; p++) {
    int q = (p + 1) % c->npoints;
    a += c->xyz_mm[3 * p] * c->xyz_mm[3 * q + 1] - c->xyz_mm[3 * q] * c->xyz_mm[3 * p + 1];
  }
  return 0.5 * a;
}

/* closed forms by hand */
Test(phantom, volumes_closed_form) {
  int p = phantom_roi_index(&M, "Parotid_L");
  cr_assert_geq(p, 0);
  /* Parotid_L: semi-axes 11, 20, 22 mm (docs/phantom.md) → 4/3·π·4840 = 20273.6 mm³ */
  cr_assert_float_eq(phantom_prim_volume_mm3(&M.roi[p].part[0]), 4.0 / 3.0 * M_PI * 11 * 20 * 22,
                     1e-6);
  /* Brainstem: elliptic cylinder 14 × 13 mm, z 45..100 → π·14·13·55 */
  int b = phantom_roi_index(&M, "Brainstem");
  cr_assert_float_eq(phantom_prim_volume_mm3(&M.roi[b].part[0]), M_PI * 14 * 13 * 55, 1e-6);
  /* Bone_Mandible: half elliptic annulus (52×62 minus 44×54)/2 × 30 mm */
  int md = phantom_roi_index(&M, "Bone_Mandible");
  cr_assert_float_eq(phantom_prim_volume_mm3(&M.roi[md].part[0]),
                     M_PI * (52 * 62 - 44 * 54) / 2.0 * 30.0, 1e-6);
  /* PTV_1 = GTV_1 (14, 12, 16) + 10 + 4 mm on each semi-axis */
  int ptv = phantom_roi_index(&M, "PTV_1");
  cr_assert_float_eq(phantom_prim_volume_mm3(&M.roi[ptv].part[0]), 4.0 / 3.0 * M_PI * 28 * 26 * 30,
                     1e-6);
  /* loft with linear semi-axes: a 2-knot cone-like frustum a: 2→4, b: 2→4 over h = 3 →
   * π·h·(a0²+a0a1+a1²)/3 (frustum of an elliptic cone) = π·3·28/3 = 28π */
  rert_phantom_prim f;
  memset(&f, 0, sizeof f);
  f.kind = PRIM_LOFT, f.nknots = 2, f.kz[1] = 3, f.ka[0] = f.kb[0] = 2, f.ka[1] = f.kb[1] = 4;
  cr_assert_float_eq(phantom_prim_volume_mm3(&f), 28 * M_PI, 1e-9);
}

Test(phantom, all_tg263_rois_present) {
  const char *names[] = {"External",   "SpinalCord", "Brainstem",     "Parotid_L",     "Parotid_R",
                         "Bone_Mandible", "A_Carotid_L", "A_Carotid_R", "OpticNrv_L", "OpticNrv_R",
                         "OpticChiasm", "BrachialPlex_L", "BrachialPlex_R", "Larynx",
                         "Cochlea_L",  "Cochlea_R",  "GTV_1",         "CTV_1",         "PTV_1",
                         "GTV_2",      "CTV_2",      "PTV_2"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    cr_assert_geq(phantom_roi_index(&M, names[i]), 0, "%s missing", names[i]);
}

Test(phantom, deformation_formula_and_inverse) {
  const rert_phantom_course *k = &M.course[1];
  /* by hand: T(x) = c + s(x − c) in x,y, + Σ A exp(−r²/2σ²) */
  double x[3] = {-30, -20, -10}, y[3], e[3];
  e[0] = k->scale_centre[0] + k->scale_xy * (x[0] - k->scale_centre[0]);
  e[1] = k->scale_centre[1] + k->scale_xy * (x[1] - k->scale_centre[1]);
  e[2] = x[2];
  for (int b = 0; b < k->nbumps; b++) {
    double r2 = 0;
    for (int a = 0; a < 3; a++) r2 += pow(x[a] - k->bump_centre[b][a], 2);
    for (int a = 0; a < 3; a++)
      e[a] += k->bump_amp_mm[b][a] * exp(-r2 / (2 * pow(k->bump_sigma_mm[b], 2)));
  }
  phantom_map_to_course1(&M, 1, x, y);
  for (int a = 0; a < 3; a++) cr_assert_float_eq(y[a], e[a], 1e-9);
  /* inverse round trip */
  double back[3];
  phantom_map_from_course1(&M, 1, y, back);
  for (int a = 0; a < 3; a++) cr_assert_float_eq(back[a], x[a], 1e-7);
  /* displacements stay "up to about 1 cm" over the body (issue #3) */
  double umax = 0;
  for (double zz = -180; zz <= 180; zz += 10)
    for (double yy = -100; yy <= 100; yy += 10)
      for (double xx = -80; xx <= 80; xx += 10) {
        double p[3] = {xx, yy, zz}, q[3];
        phantom_map_to_course1(&M, 1, p, q);
        double u = sqrt(pow(q[0] - xx, 2) + pow(q[1] - yy, 2) + pow(q[2] - zz, 2));
        if (u > umax) umax = u;
      }
  cr_assert(umax > 5 && umax < 13, "max |u| = %g mm", umax);
}

/* docs/phantom.md dose model written out by hand */
static double hand_dose(double dp, double d, double sigma, double delta, double b, double lam) {
  return dp * ((1 - b) * 0.5 * erfc((d - delta) / (sqrt(2.0) * sigma)) + b * exp(-fmax(d, 0) / lam));
}

Test(phantom, dose_model_points) {
  /* PTV_1 centre (−20, −28, −5): deepest point, d = −26 → prescription 70 Gy */
  double c[3] = {-20, -28, -5};
  cr_assert_float_eq(phantom_dose_gy(&M, 0, c), 70.0, 1e-6);
  /* 20 mm beyond the PTV_1 surface on its x axis (semi-axis 28): d = 20 exactly on an axis;
   * σ 4, δ 6.6, b 0.45, λ 35 mm (course 1) */
  double p[3] = {-20 - 28 - 20, -28, -5};
  cr_assert_float_eq(phantom_dose_gy(&M, 0, p), hand_dose(70, 20, 4, 6.6, 0.45, 35), 1e-6);
  /* on the PTV_1 surface: d = 0 */
  double s[3] = {-20, -28, -5 + 30};
  cr_assert_float_eq(phantom_dose_gy(&M, 0, s), hand_dose(70, 0, 4, 6.6, 0.45, 35), 1e-6);
  /* outside the body: 0 */
  double o[3] = {0, -140, 0};
  cr_assert_float_eq(phantom_dose_gy(&M, 0, o), 0.0, 1e-12);
  /* course 2: GTV_2 centre gets the 60 Gy prescription */
  int g2 = phantom_roi_index(&M, "GTV_2");
  cr_assert_float_eq(phantom_dose_gy(&M, 1, M.roi[g2].part[0].centre), 60.0, 1e-6);
}

Test(phantom, recurrence_partly_in_prior_high_dose) {
  /* issue #3: the recurrence lies partly inside the prior high-dose region. Sample GTV_2 (course-2
   * space), map to course 1, count points that received ≥ 95 % of 70 Gy in course 1. */
  int g2 = phantom_roi_index(&M, "GTV_2");
  const rert_phantom_prim *g = &M.roi[g2].part[0];
  int n = 0, hot = 0;
  for (int i = -5; i <= 5; i++)
    for (int j = -5; j <= 5; j++)
      for (int k = -5; k <= 5; k++) {
        double x[3] = {g->centre[0] + i * g->semi[0] / 5, g->centre[1] + j * g->semi[1] / 5,
                       g->centre[2] + k * g->semi[2] / 5};
        if (phantom_prim_level(g, x) > 0) continue;
        double y[3];
        phantom_map_to_course1(&M, 1, x, y);
        n++;
        if (phantom_dose_gy(&M, 0, y) >= 0.95 * 70) hot++;
      }
  cr_assert(hot > 0.1 * n && hot < 0.9 * n, "%d of %d GTV_2 points in prior ≥ 66.5 Gy", hot, n);
}

Test(phantom, hu_known_regions) {
  /* docs/phantom.md tissue table (noise-free model) */
  double air[3] = {0, -150, 0}, airway[3] = {0, -20, 0}, parotid[3] = {50, 8, 10},
         vert[3] = {0, 4, -12}, brain[3] = {0, -40, 150}, mand[3] = {0, -14 - 58, -10};
  cr_assert_float_eq(phantom_hu_course1(&M, air), -1000, 1e-9);
  cr_assert_float_eq(phantom_hu_course1(&M, airway), -1000, 1e-9);
  cr_assert_float_eq(phantom_hu_course1(&M, parotid), 10, 1e-9);
  cr_assert_float_eq(phantom_hu_course1(&M, vert), 400, 1e-9); /* z −12: inside a 16 mm body */
  cr_assert_float_eq(phantom_hu_course1(&M, brain), 35, 1e-9);
  cr_assert_float_eq(phantom_hu_course1(&M, mand), 1200, 1e-9);
}

Test(phantom, contours_match_cross_sections) {
  rert_phantom_course_data d;
  rert_err e;
  cr_assert_eq(phantom_build_course(&M, 0, &d, &e), RERT_OK, "%s", e.msg);
  /* Parotid_L: axial section at z is the ellipse π·a·b·(1 − ((z − 10)/22)²), a 11, b 20 */
  const rert_roi *r = rtdata_find_roi(&d.rtstruct, "Parotid_L");
  cr_assert_not_null(r);
  cr_assert_gt(r->ncontours, 5);
  for (int c = 0; c < r->ncontours; c++) {
    double z = r->contours[c].xyz_mm[2];
    double expect = M_PI * 11 * 20 * (1 - pow((z - 10) / 22, 2));
    double got = poly_area(&r->contours[c]);
    /* marching squares at ≤ 1.5 mm: area within 1 % + 2 mm² of the ellipse */
    cr_assert(fabs(got - expect) < 0.01 * expect + 2.0, "z %g: area %g vs %g", z, got, expect);
    for (int p = 0; p < r->contours[c].npoints; p++)
      cr_assert_float_eq(r->contours[c].xyz_mm[3 * p + 2], z, 1e-12); /* planar */
  }
  /* Brainstem: every slice with 45 ≤ z ≤ 100 carries the 14 × 13 mm ellipse */
  r = rtdata_find_roi(&d.rtstruct, "Brainstem");
  cr_assert_not_null(r);
  int n = 0;
  for (int k = 0; k < d.ct.image.nz; k++) {
    double z = d.ct.image.origin_mm[2] + k * d.ct.image.spacing_mm[2];
    if (z >= 45 && z <= 100) n++;
  }
  cr_assert_eq(r->ncontours, n);
  for (int c = 0; c < r->ncontours; c++)
    cr_assert_float_eq(poly_area(&r->contours[c]), M_PI * 14 * 13, 0.01 * M_PI * 14 * 13);
  phantom_course_data_free(&d);
}

Test(phantom, course2_contours_shrunk_by_known_scale) {
  /* Brainstem is ≥ 75 mm from every bump centre (contribution < 0.02 mm), so its course-2 section
   * is the course-1 ellipse shrunk by the in-plane scale s = 1.04: area π·14·13 / s². */
  rert_phantom_course_data d;
  rert_err e;
  cr_assert_eq(phantom_build_course(&M, 1, &d, &e), RERT_OK, "%s", e.msg);
  const rert_roi *r = rtdata_find_roi(&d.rtstruct, "Brainstem");
  cr_assert_not_null(r);
  cr_assert_gt(r->ncontours, 10);
  double expect = M_PI * 14 * 13 / (1.04 * 1.04);
  for (int c = 0; c < r->ncontours; c++) {
    double z = r->contours[c].xyz_mm[2];
    if (z < 48 || z > 97) continue; /* away from the flat ends */
    cr_assert_float_eq(poly_area(&r->contours[c]), expect, 0.01 * expect, "z %g", z);
  }
  /* targets of course 2 only, none of course 1 */
  cr_assert_not_null(rtdata_find_roi(&d.rtstruct, "PTV_2"));
  cr_assert_null(rtdata_find_roi(&d.rtstruct, "PTV_1"));
  phantom_course_data_free(&d);
}

Test(phantom, uids_deterministic_and_valid) {
  char a[RERT_UID_LEN], b[RERT_UID_LEN], c[RERT_UID_LEN];
  phantom_uid(1, "course1/ct/series", a);
  phantom_uid(1, "course1/ct/series", b);
  phantom_uid(2, "course1/ct/series", c);
  cr_assert_str_eq(a, b);
  cr_assert_str_neq(a, c);
  /* PS3.5 §9.1: digits and dots, ≤ 64 chars, no leading zero in a component; 2.25 root */
  cr_assert_eq(strncmp(a, "2.25.", 5), 0);
  cr_assert_leq(strlen(a), 64);
  cr_assert_neq(a[5], '0');
  for (const char *p = a + 5; *p; p++) cr_assert(*p >= '0' && *p <= '9');
}

Test(phantom, three_courses_and_bad_options) {
  rert_phantom_model m3;
  rert_err e;
  cr_assert_eq(phantom_model_init(&m3, 3, PHANTOM_SMALL, 3, &e), RERT_OK);
  cr_assert_eq(m3.ncourses, 3);
  cr_assert_eq(m3.course[2].fractions, 5);
  cr_assert_geq(phantom_roi_index(&m3, "PTV_3"), 0);
  /* intervals: course 1 end → course 2 start more than 2 years (issue #3) */
  cr_assert_gt(date_diff_days(m3.course[0].end_date, m3.course[1].start_date), 2 * 365);
  cr_assert_eq(phantom_model_init(&m3, 3, PHANTOM_SMALL, 4, &e), RERT_EINPUT);
  cr_assert_eq(phantom_model_init(&m3, 3, PHANTOM_SMALL, 1, &e), RERT_EINPUT);
}

/* Three courses: the course-2 → course-3 field composes the inverse of T₂ with T₃. Check by hand:
 * applying T₂ (docs/phantom.md formula) to x + u(x) must give T₃(x). */
static void hand_T(const rert_phantom_course *k, const double x[3], double y[3]) {
  y[0] = k->scale_centre[0] + k->scale_xy * (x[0] - k->scale_centre[0]);
  y[1] = k->scale_centre[1] + k->scale_xy * (x[1] - k->scale_centre[1]);
  y[2] = x[2];
  for (int b = 0; b < k->nbumps; b++) {
    double r2 = 0;
    for (int a = 0; a < 3; a++) r2 += pow(x[a] - k->bump_centre[b][a], 2);
    for (int a = 0; a < 3; a++)
      y[a] += k->bump_amp_mm[b][a] * exp(-r2 / (2 * pow(k->bump_sigma_mm[b], 2)));
  }
}

Test(phantom, field_course2_to_course3_composes_maps) {
  rert_phantom_model m3;
  rert_err e;
  cr_assert_eq(phantom_model_init(&m3, 5, PHANTOM_SMALL, 3, &e), RERT_OK);
  rert_deformable_registration r;
  cr_assert_eq(phantom_build_registration(&m3, 1, 2, &r, &e), RERT_OK, "%s", e.msg);
  const rert_vfield *f = &r.field;
  int pts[][3] = {{24, 19, 22}, {10, 30, 5}, {40, 5, 40}, {20, 15, 20}};
  for (size_t t = 0; t < sizeof pts / sizeof *pts; t++) {
    int i = pts[t][0], j = pts[t][1], k = pts[t][2];
    double x[3] = {f->origin_mm[0] + i * f->spacing_mm[0], f->origin_mm[1] + j * f->spacing_mm[1],
                   f->origin_mm[2] + k * f->spacing_mm[2]};
    size_t idx = (size_t)i + (size_t)f->nx * ((size_t)j + (size_t)f->ny * k);
    double moved[3], via2[3], via3[3];
    for (int a = 0; a < 3; a++) moved[a] = x[a] + f->u_mm[3 * idx + a];
    hand_T(&m3.course[1], moved, via2);
    hand_T(&m3.course[2], x, via3);
    for (int a = 0; a < 3; a++) cr_assert_float_eq(via2[a], via3[a], 1e-3, "point %zu", t);
  }
  cr_assert_str_neq(r.fixed_frame_uid, r.moving_frame_uid);
  rtdata_free_deformable_registration(&r);
}
