/* test_dvh_analytic.c — DVH of analytic solids in linear dose gradients against closed-form
 * values (tests/support/analytic.h names the formulas: spherical cap, circular segment, cone
 * frustum volumes). Target (issue #4): within 1 % (or 0.5 % of the dose range across the
 * structure) for structures ≥ 1 cc, 3 % for smaller ones.
 *
 * RERT_DVH_TABLE=1 prints the markdown table used in docs/validation.md ("DVH").
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rert/dvh.h"
#include "support/analytic.h"

static int table(void) {
  const char *e = getenv("RERT_DVH_TABLE");
  return e && *e == '1';
}

typedef struct {
  const char *name;
  double truth, got, tol;
} row;

/* Run one case; returns the worst |error| / tolerance. */
static double run_case(const an_case *c, const double sp[3], const double off[3],
                       const char *label) {
  rert_roi roi;
  cr_assert_eq(an_make_roi(c, &roi), 0);
  rert_volume dose;
  cr_assert_eq(an_make_dose(c, sp, off, &dose), 0);
  const rert_roi *rois[1] = {&roi};
  rert_dvh d;
  rert_err err;
  cr_assert_eq(dvh_compute_rois(rois, 1, &dose, NULL, &d, &err), RERT_OK, "%s", err.msg);
  cr_assert_eq(d.status, RERT_OK, "%s", d.msg);
  double V = an_volume_cc(c), range = an_dmax(c) - an_dmin(c);
  int small = V < 1.0;
  double rel = small ? 0.03 : 0.01, frac_range = small ? 0.015 : 0.005;
  row rows[10];
  int nr = 0;
  rows[nr++] = (row){"Volume", V, d.total_cc, rel * V};
  const char *names[] = {"Dmin", "Dmax", "Dmean", "D99%", "D95%", "D5%", "D1%", "D0.03cc"};
  double dmn = an_dmin(c), dmx = an_dmax(c);
  if (c->grad_axis == 2) { /* represented solid: half-slice end caps (analytic.h) */
    double lo, hi;
    an_stack_zrange(c, &lo, &hi);
    double g = c->grad_gy_per_mm;
    dmn = c->d0_gy + fmin(g * lo, g * hi), dmx = c->d0_gy + fmax(g * lo, g * hi);
  }
  double truth[] = {dmn, dmx, an_dmean(c), an_d_at_cc(c, 0.99 * V),
                    an_d_at_cc(c, 0.95 * V), an_d_at_cc(c, 0.05 * V), an_d_at_cc(c, 0.01 * V),
                    V > 0.03 ? an_d_at_cc(c, 0.03) : NAN};
  for (int m = 0; m < 8; m++) {
    rert_dvh_value v;
    if (isnan(truth[m])) continue;
    cr_assert_eq(dvh_metric_eval_str(&d, names[m], &v, &err), RERT_OK, "%s", err.msg);
    cr_assert(v.complete);
    double tol = fmax(rel * fabs(truth[m]), frac_range * range);
    rows[nr++] = (row){names[m], truth[m], v.value, tol};
  }
  double worst = 0;
  for (int r = 0; r < nr; r++) {
    double e = fabs(rows[r].got - rows[r].truth);
    if (e / rows[r].tol > worst) worst = e / rows[r].tol;
    if (table())
      printf("| %s | %s | %.4g | %.4g | %+.3f%% | %+.2f%% |\n", label, rows[r].name,
             rows[r].truth, rows[r].got,
             100.0 * (rows[r].got - rows[r].truth) / fabs(rows[r].truth),
             r == 0 ? NAN : 100.0 * (rows[r].got - rows[r].truth) / range);
    cr_expect(e <= rows[r].tol, "%s %s: truth %.5g got %.5g (tol %.3g)", label, rows[r].name,
              rows[r].truth, rows[r].got, rows[r].tol);
  }
  dvh_free(&d);
  volume_free(&dose);
  an_roi_free(&roi);
  return worst;
}

static const char *axis_name[] = {"x", "y", "z"};

/* Spheres 0.1–30 cc, gradient along each axis, sub-voxel offsets, 2.5 mm dose grid, contours
 * every R/16 (the closed form is the true sphere, so the contour stack's own error counts). */
Test(dvh_analytic, spheres) {
  const double vols[] = {0.1, 0.5, 1.0, 5.0, 30.0};
  const double sp[3] = {2.5, 2.5, 2.5};
  for (int s = 0; s < 5; s++)
    for (int ax = 0; ax < 3; ax++) {
      an_case c = {0};
      c.shape = AN_SPHERE;
      c.radius_mm = cbrt(3 * vols[s] * 1000 / (4 * M_PI));
      c.centre_mm[0] = 10.3, c.centre_mm[1] = -4.7, c.centre_mm[2] = 21.1;
      c.slice_mm = c.radius_mm / 16;
      c.plane_phase = 0.37;
      c.nvert = 180;
      c.grad_axis = ax;
      c.grad_gy_per_mm = ax == 1 ? -1.5 : 1.0;
      c.d0_gy = 40;
      double off[3] = {0.23, 0.61, 0.47};
      char label[64];
      snprintf(label, sizeof label, "sphere %.1f cc, grad %s", vols[s], axis_name[ax]);
      run_case(&c, sp, off, label);
    }
}

/* Cylinders (axis z) with axial and transverse gradients; height a multiple of the spacing so the
 * half-slice end caps reproduce the solid exactly. */
Test(dvh_analytic, cylinders) {
  const double R[] = {2.0, 5.0, 12.0}, H[] = {8.0, 20.0, 40.0}, h[] = {1.0, 2.0, 2.5};
  const double sp[3] = {3.0, 3.0, 2.0};
  for (int s = 0; s < 3; s++)
    for (int ax = 0; ax < 3; ax++) {
      an_case c = {0};
      c.shape = AN_CYLINDER;
      c.radius_mm = R[s], c.height_mm = H[s], c.slice_mm = h[s];
      c.centre_mm[0] = -3.3, c.centre_mm[1] = 7.9, c.centre_mm[2] = -12.4;
      c.nvert = 256;
      c.grad_axis = ax;
      c.grad_gy_per_mm = 0.8;
      c.d0_gy = 30;
      double off[3] = {0.5, 0.11, 0.83};
      char label[64];
      snprintf(label, sizeof label, "cylinder %.2f cc, grad %s", an_volume_cc(&c), axis_name[ax]);
      run_case(&c, sp, off, label);
    }
}

/* Cones (base down, apex up) with the gradient along the axis. */
Test(dvh_analytic, cones) {
  const double R[] = {3.0, 8.0}, H[] = {12.0, 30.0};
  const double sp[3] = {2.5, 2.5, 2.5};
  for (int s = 0; s < 2; s++) {
    an_case c = {0};
    c.shape = AN_CONE;
    c.radius_mm = R[s], c.height_mm = H[s], c.slice_mm = 0.5;
    c.centre_mm[0] = 1.1, c.centre_mm[1] = 2.2, c.centre_mm[2] = 3.3;
    c.nvert = 256;
    c.grad_axis = 2;
    c.grad_gy_per_mm = 1.2;
    c.d0_gy = 50;
    double off[3] = {0.31, 0.77, 0.05};
    char label[64];
    snprintf(label, sizeof label, "cone %.2f cc, grad z", an_volume_cc(&c));
    run_case(&c, sp, off, label);
  }
}
