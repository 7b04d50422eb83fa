/* test_doseresp.c — logistic and probit (LKB) dose–response fits and their profile-likelihood
 * intervals (src/stats/doseresp.c).
 *
 * Independent sources: closed forms of a two-dose-group design (the MLE reproduces each group's
 * observed rate exactly: logit/probit of 2/10 and 8/10); R 4.2.2 glm() with binomial(logit) and
 * binomial(probit) on tests/data/doseresp.csv, with profile limits from glm refits with an offset
 * solved by uniroot (tests/reference/doseresp_reference.R, output in .out); the definition of a
 * profile-likelihood limit checked by a brute-force golden-section maximisation written here.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rert/doseresp.h"

#define CHI2_95_HALF 1.920729410347062 /* qchisq(0.95, 1) / 2 */

static void two_groups(double *x, int *y) {
  /* 10 patients at 40 Gy with 2 events, 10 at 80 Gy with 8 events */
  for (int i = 0; i < 20; i++) {
    x[i] = i < 10 ? 40 : 80;
    y[i] = i < 10 ? (i < 2) : (i < 18);
  }
}

Test(doseresp, logistic_two_groups_closed_form) {
  double x[20];
  int y[20];
  two_groups(x, y);
  dr_fit f;
  rert_err e;
  cr_assert_eq(dr_fit_mle(DR_LOGISTIC, x, y, 20, 0.95, &f, &e), 0, "%s", e.msg);
  double l4 = log(4.0);
  /* logit(0.8) − logit(0.2) = 2 ln 4 over 40 Gy; symmetric rates → TD50 = 60 */
  cr_assert_float_eq(f.beta, 2 * l4 / 40, 1e-9);
  cr_assert_float_eq(f.td50, 60, 1e-7);
  cr_assert_float_eq(f.gamma50, 3 * l4 / 4, 1e-8); /* α = logit(0.2) − 40β = −3 ln 4 */
  double ll = 2 * (2 * log(0.2) + 8 * log(0.8));
  cr_assert_float_eq(f.loglik, ll, 1e-9);
  cr_assert_float_eq(f.loglik0, 20 * log(0.5), 1e-9);
  cr_assert_float_eq(f.aic, 4 - 2 * ll, 1e-9);
  cr_assert_float_eq(dr_predict(&f, 40), 0.2, 1e-9);
  cr_assert(f.td50_ci.lo_bounded && f.td50_ci.hi_bounded);
  /* symmetric design: the TD50 interval is symmetric about 60 */
  cr_assert_float_eq(60 - f.td50_ci.lo, f.td50_ci.hi - 60, 1e-6);
}

Test(doseresp, probit_two_groups_closed_form) {
  double x[20];
  int y[20];
  two_groups(x, y);
  dr_fit f;
  rert_err e;
  cr_assert_eq(dr_fit_mle(DR_PROBIT, x, y, 20, 0.95, &f, &e), 0, "%s", e.msg);
  const double z80 = 0.8416212335729143; /* Φ⁻¹(0.8), tables */
  cr_assert_float_eq(f.beta, 2 * z80 / 40, 1e-8);
  cr_assert_float_eq(f.td50, 60, 1e-6);
  cr_assert_float_eq(f.alpha, -3 * z80, 1e-7);
  cr_assert_float_eq(f.m, 1 / (3 * z80), 1e-8);                 /* LKB m = 1/(β·TD50) */
  cr_assert_float_eq(f.gamma50, 3 * z80 / sqrt(2 * M_PI), 1e-8); /* γ50 = TD50·β·φ(0) */
  cr_assert_float_eq(f.loglik, 2 * (2 * log(0.2) + 8 * log(0.8)), 1e-9);
}

/* tests/data/doseresp.csv (60 rows: x, y) */
static int load_csv(double *x, int *y) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/doseresp.csv", RERT_SOURCE_DIR);
  FILE *f = fopen(path, "r");
  cr_assert(f, "%s", path);
  char line[256];
  int n = 0;
  cr_assert(fgets(line, sizeof line, f));
  while (fgets(line, sizeof line, f) && n < 100) {
    cr_assert_eq(sscanf(line, "%lf,%d", &x[n], &y[n]), 2);
    n++;
  }
  fclose(f);
  return n;
}

Test(doseresp, logistic_equals_r_glm_and_profile) {
  double x[100];
  int y[100];
  int n = load_csv(x, y);
  cr_assert_eq(n, 60);
  dr_fit f;
  rert_err e;
  cr_assert_eq(dr_fit_mle(DR_LOGISTIC, x, y, n, 0.95, &f, &e), 0, "%s", e.msg);
  /* doseresp_reference.out, logit rows */
  cr_assert_float_eq(f.alpha, -5.840583234583, 1e-7);
  cr_assert_float_eq(f.beta, 0.078483566767, 1e-9);
  cr_assert_float_eq(f.loglik, -31.692173893013, 1e-9);
  cr_assert_float_eq(f.loglik0, -39.940343999119, 1e-9);
  cr_assert_float_eq(f.se_alpha, 1.767613820781, 1e-6);
  cr_assert_float_eq(f.se_beta, 0.022150627514, 1e-8);
  cr_assert_float_eq(f.beta_ci.lo, 0.0382833191, 2e-8);
  cr_assert_float_eq(f.beta_ci.hi, 0.1261937044, 2e-8);
  cr_assert_float_eq(f.td50, 74.4179128851, 1e-6);
  cr_assert_float_eq(f.td50_ci.lo, 63.5399514476, 1e-5);
  cr_assert_float_eq(f.td50_ci.hi, 82.0855636644, 1e-5);
  /* γ50 = −α/4: its limits are those of α */
  cr_assert_float_eq(f.gamma50_ci.lo, 2.5965352044 / 4, 1e-7);
  cr_assert_float_eq(f.gamma50_ci.hi, 9.6086043406 / 4, 1e-7);
}

Test(doseresp, probit_equals_r_glm_and_profile) {
  double x[100];
  int y[100];
  int n = load_csv(x, y);
  dr_fit f;
  rert_err e;
  cr_assert_eq(dr_fit_mle(DR_PROBIT, x, y, n, 0.95, &f, &e), 0, "%s", e.msg);
  cr_assert_float_eq(f.alpha, -3.544869486829, 1e-7);
  cr_assert_float_eq(f.beta, 0.047801569916, 1e-9);
  cr_assert_float_eq(f.loglik, -31.548753695073, 1e-9);
  cr_assert_float_eq(f.se_beta, 0.012564835344, 1e-8);
  cr_assert_float_eq(f.beta_ci.lo, 0.0240934982, 2e-8);
  cr_assert_float_eq(f.beta_ci.hi, 0.0738337934, 2e-8);
  cr_assert_float_eq(f.td50, 74.1580139111, 1e-6);
  cr_assert_float_eq(f.td50_ci.lo, 63.4181850354, 1e-5);
  cr_assert_float_eq(f.td50_ci.hi, 81.6221513121, 1e-5);
  /* m = −1/α: limits from α's (R: −5.6010939551, −1.6273813975) */
  cr_assert_float_eq(f.m_ci.lo, 1 / 5.6010939551, 1e-8);
  cr_assert_float_eq(f.m_ci.hi, 1 / 1.6273813975, 1e-8);
}

/* ---- a profile limit by definition, with a maximiser written here ---- */
static double ll_logit(double a, double b, const double *x, const int *y, int n) {
  double l = 0;
  for (int i = 0; i < n; i++) {
    double p = 1 / (1 + exp(-(a + b * x[i])));
    l += y[i] ? log(p) : log(1 - p);
  }
  return l;
}

/* max over β of ℓ(−β·t, β) by golden section on [0, 1] per Gy (the slope is positive here) */
static double brute_profile_td50(double t, const double *x, const int *y, int n) {
  double lo = 0, hi = 1, g = (sqrt(5) - 1) / 2;
  for (int k = 0; k < 200; k++) {
    double m1 = hi - g * (hi - lo), m2 = lo + g * (hi - lo);
    if (ll_logit(-m1 * t, m1, x, y, n) < ll_logit(-m2 * t, m2, x, y, n)) lo = m1;
    else hi = m2;
  }
  double b = 0.5 * (lo + hi);
  return ll_logit(-b * t, b, x, y, n);
}

Test(doseresp, profile_limit_definition) {
  double x[100];
  int y[100];
  int n = load_csv(x, y);
  dr_fit f;
  rert_err e;
  cr_assert_eq(dr_fit_mle(DR_LOGISTIC, x, y, n, 0.95, &f, &e), 0, "%s", e.msg);
  double target = f.loglik - CHI2_95_HALF;
  cr_assert_float_eq(brute_profile_td50(f.td50_ci.lo, x, y, n), target, 1e-7);
  cr_assert_float_eq(brute_profile_td50(f.td50_ci.hi, x, y, n), target, 1e-7);
  /* inside the interval the profile is above the cut, outside below */
  cr_assert_gt(brute_profile_td50(f.td50_ci.lo + 0.5, x, y, n), target);
  cr_assert_lt(brute_profile_td50(f.td50_ci.hi + 0.5, x, y, n), target);
  /* 90 % interval is nested in the 95 % one */
  dr_fit g;
  cr_assert_eq(dr_fit_mle(DR_LOGISTIC, x, y, n, 0.90, &g, &e), 0);
  cr_assert_gt(g.td50_ci.lo, f.td50_ci.lo);
  cr_assert_lt(g.td50_ci.hi, f.td50_ci.hi);
}

Test(doseresp, unbounded_td50_when_slope_not_significant) {
  /* rates 3/10 at 40 Gy and 4/10 at 80 Gy: LR statistic 2(ℓ̂ − ℓ0) < 3.84 (hand: 0.2198), so
   * the TD50 profile never drops by 1.92 on the high side */
  double x[20];
  int y[20];
  for (int i = 0; i < 20; i++) {
    x[i] = i < 10 ? 40 : 80;
    y[i] = i < 10 ? (i < 3) : (i < 14);
  }
  dr_fit f;
  rert_err e;
  cr_assert_eq(dr_fit_mle(DR_LOGISTIC, x, y, 20, 0.95, &f, &e), 0, "%s", e.msg);
  double ll = 10 * (0.3 * log(0.3) + 0.7 * log(0.7)) + 10 * (0.4 * log(0.4) + 0.6 * log(0.6));
  double ll0 = 20 * (0.35 * log(0.35) + 0.65 * log(0.65));
  cr_assert_float_eq(f.lr_chisq, 2 * (ll - ll0), 1e-9);
  cr_assert_lt(f.lr_chisq, 3.84);
  cr_assert(!f.td50_ci.hi_bounded);
  cr_assert(isinf(f.td50_ci.hi));
}

Test(doseresp, mle_does_not_exist) {
  double x[6] = {10, 20, 30, 40, 50, 60};
  int sep[6] = {0, 0, 0, 1, 1, 1}, none[6] = {0}, all[6] = {1, 1, 1, 1, 1, 1};
  dr_fit f;
  rert_err e;
  cr_assert_eq(dr_fit_mle(DR_LOGISTIC, x, sep, 6, 0.95, &f, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "separated"), "%s", e.msg);
  cr_assert_eq(dr_fit_mle(DR_PROBIT, x, sep, 6, 0.95, &f, &e), RERT_EINPUT);
  cr_assert_eq(dr_fit_mle(DR_LOGISTIC, x, none, 6, 0.95, &f, &e), RERT_EINPUT);
  cr_assert(strstr(e.msg, "no event"), "%s", e.msg);
  cr_assert_eq(dr_fit_mle(DR_PROBIT, x, all, 6, 0.95, &f, &e), RERT_EINPUT);
  double xn[3] = {1, NAN, 2};
  int y3[3] = {0, 1, 1};
  cr_assert_eq(dr_fit_mle(DR_LOGISTIC, xn, y3, 3, 0.95, &f, &e), RERT_EINPUT);
}

Test(doseresp, calibration_groups_and_hosmer_lemeshow) {
  double x[20];
  int y[20];
  two_groups(x, y);
  dr_fit f;
  rert_err e;
  cr_assert_eq(dr_fit_mle(DR_LOGISTIC, x, y, 20, 0.95, &f, &e), 0);
  dr_calibration c;
  cr_assert_eq(dr_calibrate(&f, x, y, 20, 4, 0.95, &c, &e), 0, "%s", e.msg);
  /* ties are kept together: only two distinct predictions → two groups, each exactly fitted */
  cr_assert_eq(c.nbins, 2);
  cr_assert_eq(c.bins[0].n, 10);
  cr_assert_float_eq(c.bins[0].observed, 0.2, 1e-12);
  cr_assert_float_eq(c.bins[0].mean_pred, 0.2, 1e-8);
  cr_assert_float_eq(c.hl_chisq, 0, 1e-12);
  /* Wilson 95 % interval of 2/10 (hand: 0.0567, 0.5098) */
  cr_assert_float_eq(c.bins[0].obs_lo, 0.05668, 1e-4);
  cr_assert_float_eq(c.bins[0].obs_hi, 0.50984, 1e-4);
  dr_calibration_free(&c);
  /* Hosmer–Lemeshow by hand: predictions 0.25 (n 4, 2 events) and 0.75 (n 4, 2 events) */
  dr_fit g = f;
  g.model = DR_LOGISTIC, g.alpha = -log(3), g.beta = log(9);
  double xx[8] = {0, 0, 0, 0, 1, 1, 1, 1};
  int yy[8] = {1, 1, 0, 0, 1, 1, 0, 0};
  cr_assert_eq(dr_calibrate(&g, xx, yy, 8, 2, 0.95, &c, &e), 0);
  /* (2 − 1)²/(1·0.75) + (2 − 3)²/(3·0.25) = 4/3 + 4/3 */
  cr_assert_float_eq(c.hl_chisq, 8.0 / 3, 1e-9);
  dr_calibration_free(&c);
}

Test(doseresp, plot_svg) {
  double x[100];
  int y[100];
  int n = load_csv(x, y);
  dr_fit f, g;
  rert_err e;
  cr_assert_eq(dr_fit_mle(DR_LOGISTIC, x, y, n, 0.95, &f, &e), 0);
  cr_assert_eq(dr_fit_mle(DR_PROBIT, x, y, n, 0.95, &g, &e), 0);
  dr_plot_series s[2] = {{"logistic", &f, x, y, n}, {"probit", &g, x, y, n}};
  char path[] = "/tmp/rert_doseresp_XXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  close(fd);
  cr_assert_eq(dr_plot_svg(path, "test", "Dmax EQD2 (Gy)", s, 2, 0, 5, &e), 0, "%s", e.msg);
  FILE *fp = fopen(path, "r");
  char buf[65536];
  size_t k = fread(buf, 1, sizeof buf - 1, fp);
  buf[k] = 0;
  fclose(fp);
  cr_assert(strstr(buf, "<svg") && strstr(buf, "</svg>"));
  cr_assert(strstr(buf, "calibration"));
  unlink(path);
}
