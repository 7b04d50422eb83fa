/* Radiobiology core against domain-reference §10.1–§10.6 and hand calculations.
 * Expected values are the reference's numbers or explicit arithmetic written out from the
 * textbook formulas, never values produced by rert itself. Tolerance 1e-6 relative (§10). */
#include <criterion/criterion.h>
#include <math.h>

#include "rert/radbio.h"
#include "rert/rbe.h"

#define REL 1e-6
static void near(double got, double want, double rel) {
  double tol = rel * fmax(1.0, fabs(want));
  cr_assert(fabs(got - want) <= tol, "got %.10g want %.10g", got, want);
}

static double bed(double D, int n, double ab) {
  radbio_model m = radbio_model_lq(ab);
  double b = NAN;
  rert_err e;
  cr_assert_eq(radbio_bed_gy(D, n, &m, &b, &e), 0, "%s", e.msg);
  return b;
}
static double eqdx(double D, int n, double ab, double x) {
  radbio_model m = radbio_model_lq(ab);
  double v = NAN;
  rert_err e;
  cr_assert_eq(radbio_eqdx_gy(D, n, x, &m, &v, &e), 0, "%s", e.msg);
  return v;
}

/* §10.1 S3 Table 1: BED2 = 5.625 n, BED9 = 3.194444 n at 2.5 GyE */
Test(radbio, s3_table1) {
  for (int n = 21; n <= 26; n++) {
    near(bed(2.5 * n, n, 2.0), 5.625 * n, REL);
    near(bed(2.5 * n, n, 9.0), 2.5 * n * (1 + 2.5 / 9.0), REL);
  }
  near(bed(52.5, 21, 2), 118.125, REL);
  near(bed(55.0, 22, 2), 123.75, REL);
  near(bed(65.0, 26, 2), 146.25, REL);
  near(eqdx(52.5, 21, 2, 2), 59.0625, REL);
  near(eqdx(55.0, 22, 9, 2), 57.5, REL);
  near(eqdx(60.0, 24, 2, 2), 67.5, REL);
  near(eqdx(60.0, 24, 9, 2), 60.0 * 11.5 / 11.0, REL); /* 62.7273 */
  near(bed(51, 17, 2), 127.5, REL);                     /* Heidelberg 51 GyE at 3 GyE */
  near(bed(51, 17, 9), 68.0, REL);
  near(bed(60, 30, 9), 60 * 11.0 / 9.0, REL);
}

/* §10.2 EQD2/EQDx of seed regimens */
Test(radbio, seed_regimens) {
  near(eqdx(72, 60, 10, 2), 67.20, REL);
  near(eqdx(72, 60, 2, 2), 57.60, REL);
  near(eqdx(66, 30, 10, 2), 67.10, REL);
  near(eqdx(35, 5, 10, 2), 35.0 * 17 / 12, REL); /* 49.583 */
  near(eqdx(44, 5, 10, 2), 44.0 * 18.8 / 12, REL);
  near(eqdx(44, 5, 3, 2), 103.84, REL);
  near(eqdx(30, 5, 10, 2), 40.0, REL);
  near(bed(14.8, 4, 10), 20.276, REL);
  near(eqdx(14.8, 4, 10, 2), 20.276 / 1.2, REL);
  near(eqdx(57.6, 16, 2, 2), 80.64, REL);
  near(eqdx(70.4, 16, 10, 2), 84.48, REL);
  near(eqdx(60, 30, 10, 1.5), 60.0 * 12 / 11.5, REL); /* EQD1.5 = 62.6087 */
}

/* §1.1 non-uniform fractions: 2 × 2 Gy + 1 × 4 Gy at α/β 3 = 2·2·(1+2/3) + 4·(1+4/3) */
Test(radbio, nonuniform) {
  radbio_model m = radbio_model_lq(3);
  double d[3] = {2, 2, 4}, b;
  rert_err e;
  cr_assert_eq(radbio_bed_nonuniform_gy(d, 3, &m, &b, &e), 0);
  near(b, 4 * (1 + 2.0 / 3) + 4 * (1 + 4.0 / 3), REL);
}

/* §10.3 inverse problems */
Test(radbio, inverse) {
  rert_err e;
  double d;
  radbio_model m10 = radbio_model_lq(10), m2 = radbio_model_lq(2), m3 = radbio_model_lq(3);
  cr_assert_eq(radbio_solve_d_for_bed(72, 30, &m10, &d, &e), 0);
  near(d, 2.0, REL);
  cr_assert_eq(radbio_solve_d_for_bed(123.75, 22, &m2, &d, &e), 0);
  near(d, 2.5, REL);
  cr_assert_eq(radbio_solve_d_for_bed(100, 5, &m3, &d, &e), 0); /* EQD2(3)=60 → BED3 100 */
  near(d, (-3 + sqrt(249.0)) / 2, REL);
  double nr;
  cr_assert_eq(radbio_solve_n_for_bed(72, 2.5, &m10, &nr, &e), 0);
  near(nr, 23.04, REL);
  int n;
  double b;
  cr_assert_eq(radbio_solve_n_for_bed_int(72, 2.5, &m10, &n, &b, &e), 0);
  cr_assert_eq(n, 24);
  near(b, 75.0, REL);
  /* CARE (§10.6): remaining 18 Gy EQD2 at α/β 2 in 17 fx → d = 1.288077, D = 21.8973 */
  double D;
  cr_assert_eq(radbio_max_new_dose_gy(18, 17, &m2, &d, &D, &e), 0);
  near(d, (-2 + sqrt(4 + 16 * 18.0 / 17)) / 2, REL);
  near(D, 17 * (-2 + sqrt(4 + 16 * 18.0 / 17)) / 2, REL);
  near(D * (D / 17 + 2) / 4, 18.0, REL);
  cr_assert_eq(radbio_max_new_dose_gy(6, 17, &m2, &d, &D, &e), 0);
  near(d, 0.552986, 1e-5);
  near(D, 9.40076, 1e-5);
  /* nothing left → zero dose */
  cr_assert_eq(radbio_max_new_dose_gy(-3, 17, &m2, &d, &D, &e), 0);
  cr_assert_eq(D, 0.0);
}

/* §10.3 Thames incomplete repair, BID 72 Gy / 60 × 1.2 Gy, Δt 6 h, α/β 2 */
Test(radbio, thames) {
  near(radbio_thames_h(2, 6, 4), pow(2, -1.5), REL);
  near(radbio_thames_h(3, 6, 4), 0.554738, 1e-5);
  double phi = pow(2, -1.5);
  near(radbio_thames_h(3, 6, 4), (2.0 / 3) * phi * (2 + phi), REL);
  near(radbio_thames_h(1, 6, 4), 0.0, REL);
  radbio_model m = radbio_model_lq(2);
  m.fractions_per_day = 2;
  m.interfraction_interval_h = 6;
  m.repair_halftime_h = 4;
  double b, q;
  rert_err e;
  cr_assert_eq(radbio_bed_gy(72, 60, &m, &b, &e), 0, "%s", e.msg);
  near(b, 72 * (1 + 0.6 * (1 + phi)), REL); /* 130.474 */
  near(b, 130.474, 1e-5);
  cr_assert_eq(radbio_eqd2_gy(72, 60, &m, &q, &e), 0);
  near(q, 65.237, 1e-5);
  m.repair_halftime_h = 1.5;
  cr_assert_eq(radbio_bed_gy(72, 60, &m, &b, &e), 0);
  near(b, 117.900, 1e-6);
  m.repair_halftime_h = 4.9;
  cr_assert_eq(radbio_bed_gy(72, 60, &m, &b, &e), 0);
  near(b, 133.687, 1e-5);
  /* the inverse honours h: d for that BED in 60 fx is 1.2 Gy */
  double d;
  cr_assert_eq(radbio_solve_d_for_bed(b, 60, &m, &d, &e), 0);
  near(d, 1.2, REL);
}

/* §10.4 repopulation, 70 Gy/35, T = 46 d, α/β 10 */
Test(radbio, repopulation) {
  near(radbio_overall_time_days(35, 1, 5), 46, REL);
  rert_err e;
  double b;
  radbio_model m = radbio_model_lq(10);
  m.time_correction = 1;
  m.overall_time_days = -1; /* derived: 46 d */
  m.tk_days = 21;
  m.dprolif_gy_per_day = 0.9;
  cr_assert_eq(radbio_bed_gy(70, 35, &m, &b, &e), 0, "%s", e.msg);
  near(b, 61.50, REL);
  m.tk_days = 28;
  m.dprolif_gy_per_day = 0.6;
  cr_assert_eq(radbio_bed_gy(70, 35, &m, &b, &e), 0);
  near(b, 73.20, REL);
  m.overall_time_days = 46;
  m.tk_days = 19.2;
  m.dprolif_gy_per_day = 0.69;
  cr_assert_eq(radbio_bed_gy(70, 35, &m, &b, &e), 0);
  near(b, 65.508, REL);
  /* named set from data/radbio.json */
  double ab, tk, dp;
  const char *cite;
  cr_assert_eq(radbio_time_params_by_name("pedicini2014", &ab, &tk, &dp, &cite, &e), 0);
  near(tk, 19.2, REL);
  near(dp, 0.69, REL);
  cr_assert_neq(radbio_time_params_by_name("nope", &ab, &tk, &dp, &cite, &e), 0);
  /* T shorter than T_k: no correction (hand: 84) */
  m.overall_time_days = 10;
  cr_assert_eq(radbio_bed_gy(70, 35, &m, &b, &e), 0);
  near(b, 84.0, REL);
}

/* §10.5 LQ-L, d_T = 6.2, α/β 10 */
Test(radbio, lql) {
  radbio_model m = radbio_model_lq(10);
  m.lql = 1;
  m.lql_dt_gy = 6.2;
  rert_err e;
  double b;
  cr_assert_eq(radbio_bed_gy(20, 1, &m, &b, &e), 0);
  near(b, 40.956, REL);
  cr_assert_eq(radbio_bed_gy(44, 5, &m, &b, &e), 0);
  near(b, 79.340, REL);
  /* below d_T LQ-L equals LQ: 30/5 = 6 Gy < 6.2 → 30·1.6 = 48 */
  cr_assert_eq(radbio_bed_gy(30, 5, &m, &b, &e), 0);
  near(b, 48.0, REL);
  /* inverse on the linear branch: d giving BED 40.956 in 1 fx is 20 */
  double d;
  cr_assert_eq(radbio_solve_d_for_bed(40.956, 1, &m, &d, &e), 0);
  near(d, 20.0, REL);
  /* very large d stays linear: 1 × 100 Gy = 6.2 + 3.844 + 2.24·93.8 */
  cr_assert_eq(radbio_bed_gy(100, 1, &m, &b, &e), 0);
  near(b, 6.2 + 3.844 + 2.24 * 93.8, REL);
  /* LQ-L with BID repair is refused */
  m.fractions_per_day = 2;
  m.interfraction_interval_h = 6;
  m.repair_halftime_h = 4;
  cr_assert_eq(radbio_bed_gy(44, 5, &m, &b, &e), RERT_EINPUT);
}

/* edge cases: d = 0, n = 1, invalid input */
Test(radbio, edges) {
  near(bed(0, 30, 2), 0.0, REL);
  near(bed(8, 1, 10), 8 * 1.8, REL);
  radbio_model m = radbio_model_lq(0);
  rert_err e;
  double b;
  cr_assert_eq(radbio_bed_gy(60, 30, &m, &b, &e), RERT_EINPUT);
  m = radbio_model_lq(-1);
  cr_assert_eq(radbio_bed_gy(60, 30, &m, &b, &e), RERT_EINPUT);
  m = radbio_model_lq(2);
  cr_assert_eq(radbio_bed_gy(60, 0, &m, &b, &e), RERT_EINPUT);
  cr_assert_eq(radbio_bed_gy(60, -5, &m, &b, &e), RERT_EINPUT);
  cr_assert_eq(radbio_bed_gy(-1, 5, &m, &b, &e), RERT_EINPUT);
  cr_assert_eq(radbio_bed_gy(NAN, 5, &m, &b, &e), RERT_EINPUT);
  m.fractions_per_day = 2; /* BID without Δt and T½ */
  cr_assert_eq(radbio_bed_gy(60, 30, &m, &b, &e), RERT_EINPUT);
  double thr;
  cr_assert_eq(radbio_model_dependent_threshold_gy(&thr, &e), 0);
  near(thr, 6.0, REL); /* §1.5 */
  /* voxel form = LQ: 60 Gy in 30 fx at α/β 3 = 60·5/5 */
  near(radbio_eqd2_voxel(60, 30, 3), 60.0, REL);
  near(radbio_eqd2_voxel(30, 30, 3), 30 * 4.0 / 5.0, REL);
}

/* §4.3 / §10.6 LEM → MKM (Zhang 2020) and the summation interlock */
Test(rbe, zhang) {
  rert_err e;
  double o, cf;
  cr_assert_eq(rbe_convert_per_fraction(3.00, RBE_LEM_I, RBE_MKM, &o, &e), 0, "%s", e.msg);
  near(o, 2.189781, 1e-6);
  cr_assert_eq(rbe_convert_per_fraction(2.70, RBE_LEM_I, RBE_MKM, &o, &e), 0);
  near(o, 1.849315, 1e-6);
  cr_assert_eq(rbe_convert_per_fraction(2.189781022, RBE_MKM, RBE_LEM_I, &o, &e), 0, "%s", e.msg);
  near(o, 3.0, 1e-6);
  /* interpolation midway 2.70..2.86: CF = (1.46+1.37)/2 */
  cr_assert_eq(rbe_lem_to_mkm_factor(2.78, &cf, &e), 0);
  near(cf, 1.415, REL);
  cr_assert_eq(rbe_lem_to_mkm_factor(0.24, &cf, &e), 0);
  near(cf, 3.09, REL);
  cr_assert_eq(rbe_lem_to_mkm_factor(3.5, &cf, &e), RERT_EINPUT);
  cr_assert_eq(rbe_lem_to_mkm_factor(0.2, &cf, &e), RERT_EINPUT);
  double r;
  cr_assert_eq(rbe_fixed_factor(MOD_PROTON, &r, &e), 0);
  near(r, 1.1, REL);
  cr_assert_eq(rbe_fixed_factor(MOD_CARBON, &r, &e), RERT_EINPUT);
  cr_assert_eq(rbe_check_summable(MOD_PHOTON, RBE_PHYSICAL, MOD_CARBON, RBE_LEM_I, &e), 0);
  cr_assert_eq(rbe_check_summable(MOD_PHOTON, RBE_PHYSICAL, MOD_PROTON, RBE_FIXED, &e), 0);
  cr_assert_eq(rbe_check_summable(MOD_CARBON, RBE_LEM_I, MOD_CARBON, RBE_MKM, &e), RERT_EINPUT);
  cr_assert_eq(rbe_check_summable(MOD_PROTON, RBE_PHYSICAL, MOD_PHOTON, RBE_PHYSICAL, &e), RERT_EINPUT);
}
