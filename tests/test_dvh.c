/* test_dvh.c — DVH metric parsing (valid and malformed names), metric evaluation on hand-built
 * DVHs, and the bad-input paths: structures outside the dose grid, zero volume, undefined Dx cc.
 * Expected values are hand calculations stated next to each assertion. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rert/dvh.h"
#include "support/analytic.h"

Test(dvh_metric, parse_valid) {
  struct { const char *s; rert_dvh_metric_kind k; double p; const char *canon; } v[] = {
      {"Dmax", DVH_DMAX, 0, "Dmax"},          {"dmin", DVH_DMIN, 0, "Dmin"},
      {" Dmean ", DVH_DMEAN, 0, "Dmean"},     {"Dmedian", DVH_DMEDIAN, 0, "Dmedian"},
      {"D95%", DVH_D_PCT, 95, "D95%"},        {"D0.03cc", DVH_D_CC, 0.03, "D0.03cc"},
      {"D2cc", DVH_D_CC, 2, "D2cc"},          {"d0.1CC", DVH_D_CC, 0.1, "D0.1cc"},
      {"D2cc[Gy]", DVH_D_CC, 2, "D2cc"},      {"V20Gy", DVH_V_GY_PCT, 20, "V20Gy[%]"},
      {"V20Gy[%]", DVH_V_GY_PCT, 20, "V20Gy[%]"}, {"V20Gy[cc]", DVH_V_GY_CC, 20, "V20Gy[cc]"},
      {"V2000cGy[cc]", DVH_V_GY_CC, 20, "V20Gy[cc]"}, {"gEUD(a=8)", DVH_GEUD, 8, "gEUD(a=8)"},
      {"gEUD(-10)", DVH_GEUD, -10, "gEUD(a=-10)"}, {"Volume", DVH_VOLUME, 0, "Volume"},
      {"D100%", DVH_D_PCT, 100, "D100%"},      {"Dmax[Gy]", DVH_DMAX, 0, "Dmax"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    rert_dvh_metric m;
    rert_err err;
    cr_assert_eq(dvh_metric_parse(v[i].s, &m, &err), RERT_OK, "%s: %s", v[i].s, err.msg);
    cr_assert_eq(m.kind, v[i].k, "%s", v[i].s);
    cr_assert_float_eq(m.param, v[i].p, 1e-12, "%s", v[i].s);
    cr_assert_str_eq(m.text, v[i].canon);
  }
}

Test(dvh_metric, parse_malformed) {
  const char *bad[] = {"", "   ", "D", "Dx%", "D95", "D0%", "D120%", "D-5%", "D5mm", "D2cc junk",
                       "V20", "V20Gy[mm]", "V95%", "Vabc", "gEUD", "gEUD(a=0)", "gEUD(a=)",
                       "gEUD(a=8", "foo", "Dmaximum", "DmeanGy", "D1e400cc",
                       "D0.03ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
                       "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", NULL};
  for (int i = 0; bad[i]; i++) {
    rert_dvh_metric m;
    rert_err err;
    err.msg[0] = 0;
    cr_assert_eq(dvh_metric_parse(bad[i], &m, &err), RERT_EINPUT, "accepted \"%s\"", bad[i]);
    cr_assert(strstr(err.msg, "DVH metric"), "%s", err.msg);
  }
  rert_dvh_metric m;
  rert_err err;
  cr_assert_eq(dvh_metric_parse(NULL, &m, &err), RERT_EINPUT);
}

/* A mask of 10 voxels of 1 cc (10 mm grid) with doses 1, 2, …, 10 Gy at their centres. */
static void ten_voxels(rert_dvh *d) {
  rert_volume dose;
  memset(&dose, 0, sizeof dose);
  dose.nx = 10, dose.ny = dose.nz = 1;
  for (int a = 0; a < 3; a++) dose.spacing_mm[a] = 10;
  rert_err err;
  cr_assert_eq(volume_alloc(&dose, &err), RERT_OK);
  for (int i = 0; i < 10; i++) dose.data[i] = (float)(i + 1);
  rert_mask m;
  cr_assert_eq(geom_mask_empty(&dose, &m, &err), RERT_OK);
  rert_volume occ = dose;
  occ.data = NULL;
  cr_assert_eq(volume_alloc(&occ, &err), RERT_OK);
  for (int i = 0; i < 10; i++) occ.data[i] = 1.0f;
  cr_assert_eq(geom_mask_from_volume(&occ, &m, &err), RERT_OK);
  cr_assert_eq(dvh_compute_mask(&m, &dose, NULL, d, &err), RERT_OK, "%s", err.msg);
  geom_mask_free(&m);
  volume_free(&occ);
  volume_free(&dose);
}

static double ev(const rert_dvh *d, const char *s) {
  rert_dvh_value v;
  rert_err err;
  cr_assert_eq(dvh_metric_eval_str(d, s, &v, &err), RERT_OK, "%s: %s", s, err.msg);
  cr_assert(v.complete, "%s", s);
  return v.value;
}

Test(dvh_metric, hand_dvh) {
  rert_dvh d;
  ten_voxels(&d);
  /* hand: 10 cc; Dmin 1, Dmax 10, Dmean 5.5; V5Gy = voxels 5..10 = 6 cc = 60 %;
   * V4.5Gy the same; D6cc = 5 Gy (the 6 hottest cc all get ≥ 5); D1cc = 10 Gy;
   * gEUD(a=2) = sqrt(Σ i² / 10) = sqrt(38.5); gEUD(a=1) = mean. Bin width 0.01 Gy here bounds
   * the discretisation of bin-based values. */
  cr_assert_float_eq(ev(&d, "Volume"), 10.0, 1e-9);
  cr_assert_float_eq(ev(&d, "Dmin"), 1.0, 1e-6);
  cr_assert_float_eq(ev(&d, "Dmax"), 10.0, 1e-6);
  cr_assert_float_eq(ev(&d, "Dmean"), 5.5, 1e-6);
  cr_assert_float_eq(ev(&d, "V4.5Gy[cc]"), 6.0, 1e-9);
  cr_assert_float_eq(ev(&d, "V4.5Gy[%]"), 60.0, 1e-9);
  cr_assert_float_eq(ev(&d, "V10.5Gy[cc]"), 0.0, 1e-9);
  cr_assert_float_eq(ev(&d, "V0.5Gy[%]"), 100.0, 1e-9);
  cr_assert_float_eq(ev(&d, "D6cc"), 5.0, 0.011);
  cr_assert_float_eq(ev(&d, "D1cc"), 10.0, 0.011);
  cr_assert_float_eq(ev(&d, "D100%"), 1.0, 0.011);
  cr_assert_float_eq(ev(&d, "gEUD(a=2)"), sqrt(38.5), 0.006);
  cr_assert_float_eq(ev(&d, "gEUD(a=1)"), 5.5, 1e-6);
  /* D11cc: the structure is only 10 cc → undefined, an error naming the volume */
  rert_dvh_value v;
  rert_err err;
  cr_assert_eq(dvh_metric_eval_str(&d, "D11cc", &v, &err), RERT_EINPUT);
  cr_assert(strstr(err.msg, "10.0000 cc"), "%s", err.msg);
  cr_assert(isnan(v.value));
  cr_assert_eq(dvh_metric_eval_str(&d, "D11", &v, &err), RERT_EINPUT);
  dvh_free(&d);
}

/* Uniform 2 Gy dose over a sphere: every dose metric is 2 Gy, V2Gy = 100 %, V2.01Gy = 0. */
Test(dvh, uniform_dose) {
  an_case c = {0};
  c.shape = AN_SPHERE, c.radius_mm = 5, c.slice_mm = 1, c.plane_phase = 0.5, c.nvert = 64;
  c.grad_axis = 0, c.grad_gy_per_mm = 0, c.d0_gy = 2;
  rert_roi r;
  an_make_roi(&c, &r);
  rert_volume dose;
  double sp[3] = {2, 2, 2}, off[3] = {0, 0, 0};
  an_make_dose(&c, sp, off, &dose);
  const rert_roi *rois[1] = {&r};
  rert_dvh d;
  rert_err err;
  cr_assert_eq(dvh_compute_rois(rois, 1, &dose, NULL, &d, &err), RERT_OK);
  cr_assert_eq(d.status, RERT_OK, "%s", d.msg);
  const char *m[] = {"Dmin", "Dmax", "Dmean", "Dmedian", "D0.03cc", "D99%", "gEUD(a=8)"};
  for (int i = 0; i < 7; i++) cr_assert_float_eq(ev(&d, m[i]), 2.0, 1e-5, "%s", m[i]);
  cr_assert_float_eq(ev(&d, "V2Gy[%]"), 100.0, 1e-9);
  cr_assert_float_eq(ev(&d, "V2.01Gy[cc]"), 0.0, 1e-9);
  dvh_free(&d);
  volume_free(&dose);
  an_roi_free(&r);
}

/* Cylinder (axis z, R 5, H 20, centre z = 0) on a dose grid whose last voxel centre is z = −0.5
 * mm, i.e. the grid ends at z = 0: half of the cylinder (π·25·10 mm³ = 0.785 cc) lies outside.
 * Metrics are flagged incomplete; Dx% beyond the inside part is undefined. Fully outside →
 * status EINPUT with a message. Zero-volume ROI → status EINPUT. */
Test(dvh, outside_and_degenerate) {
  an_case c = {0};
  c.shape = AN_CYLINDER, c.radius_mm = 5, c.height_mm = 20, c.slice_mm = 1, c.nvert = 128;
  c.d0_gy = 10, c.grad_axis = 0, c.grad_gy_per_mm = 0.5;
  rert_roi r;
  an_make_roi(&c, &r);
  rert_volume dose;
  memset(&dose, 0, sizeof dose);
  dose.nx = dose.ny = 20, dose.nz = 10;
  for (int a = 0; a < 3; a++) dose.spacing_mm[a] = 1;
  dose.origin_mm[0] = dose.origin_mm[1] = -9.5, dose.origin_mm[2] = -9.5;
  rert_err err;
  cr_assert_eq(volume_alloc(&dose, &err), RERT_OK);
  for (size_t i = 0; i < volume_count(&dose); i++) dose.data[i] = 10.0f;
  const rert_roi *rois[1] = {&r};
  rert_dvh d;
  cr_assert_eq(dvh_compute_rois(rois, 1, &dose, NULL, &d, &err), RERT_OK);
  cr_assert_eq(d.status, RERT_OK, "%s", d.msg);
  double half = M_PI * 25 * 10 / 1000;
  cr_assert_float_eq(d.outside_cc, half, 2e-3);
  cr_assert_float_eq(d.inside_cc, half, 2e-3);
  rert_dvh_value v;
  cr_assert_eq(dvh_metric_eval_str(&d, "Dmax", &v, &err), RERT_OK);
  cr_assert_eq(v.complete, 0);
  cr_assert_float_eq(v.outside_pct, 50.0, 0.3);
  cr_assert(strstr(err.msg, "outside the dose grid"), "%s", err.msg);
  cr_assert_eq(dvh_metric_eval_str(&d, "D95%", &v, &err), RERT_OK);
  cr_assert(isnan(v.value));
  cr_assert_eq(v.complete, 0);
  cr_assert_eq(dvh_metric_eval_str(&d, "Volume", &v, &err), RERT_OK);
  cr_assert_float_eq(v.value, 2 * half, 2e-3);
  dvh_free(&d);

  /* fully outside: shift the cylinder 100 mm */
  for (int k = 0; k < r.ncontours; k++)
    for (int i = 0; i < r.contours[k].npoints; i++) r.contours[k].xyz_mm[3 * i] += 100;
  cr_assert_eq(dvh_compute_rois(rois, 1, &dose, NULL, &d, &err), RERT_OK);
  cr_assert_eq(d.status, RERT_EINPUT);
  cr_assert(strstr(d.msg, "entirely outside"), "%s", d.msg);
  cr_assert_eq(dvh_metric_eval_str(&d, "Dmean", &v, &err), RERT_EINPUT);
  dvh_free(&d);

  /* zero volume: every contour collapsed to a line */
  for (int k = 0; k < r.ncontours; k++)
    for (int i = 0; i < r.contours[k].npoints; i++) r.contours[k].xyz_mm[3 * i + 1] = 0;
  cr_assert_eq(dvh_compute_rois(rois, 1, &dose, NULL, &d, &err), RERT_OK);
  cr_assert_eq(d.status, RERT_EINPUT);
  cr_assert(strstr(d.msg, "Cylinder"), "%s", d.msg);
  dvh_free(&d);
  volume_free(&dose);
  an_roi_free(&r);
}

/* Mask path and contour path agree for a sphere in a linear x gradient: Dmean = D at the
 * centre (symmetry), within 1 % for the mask path on a 1 mm mask grid. */
Test(dvh, mask_path) {
  an_case c = {0};
  c.shape = AN_SPHERE, c.radius_mm = 6, c.slice_mm = 0.5, c.plane_phase = 0.3, c.nvert = 128;
  c.centre_mm[0] = 1, c.centre_mm[1] = 2, c.centre_mm[2] = 3;
  c.grad_axis = 0, c.grad_gy_per_mm = 1, c.d0_gy = 30;
  rert_roi r;
  an_make_roi(&c, &r);
  rert_volume dose;
  double sp[3] = {2.5, 2.5, 2.5}, off[3] = {0.3, 0.3, 0.3};
  an_make_dose(&c, sp, off, &dose);
  rert_volume fine = dose;
  fine.data = NULL;
  for (int a = 0; a < 3; a++) fine.spacing_mm[a] = 1.0;
  fine.nx = fine.ny = fine.nz = 24;
  rert_mask m;
  rert_err err;
  cr_assert_eq(geom_mask_from_roi(&r, &fine, NULL, &m, &err), RERT_OK);
  rert_dvh d;
  cr_assert_eq(dvh_compute_mask(&m, &dose, NULL, &d, &err), RERT_OK);
  cr_assert_float_eq(ev(&d, "Dmean"), 30.0, 0.3);
  cr_assert(fabs(ev(&d, "Volume") - 4.0 / 3 * M_PI * 216 / 1000) < 0.01);
  dvh_free(&d);
  geom_mask_free(&m);
  volume_free(&dose);
  an_roi_free(&r);
}
