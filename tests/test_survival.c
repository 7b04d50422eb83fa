/* test_survival.c — Kaplan–Meier, log-rank, Cox, cumulative incidence and Gray's test.
 *
 * Expected values: domain-reference §10.11 (hand-checkable vectors) and R 4.2.2 with survival
 * 3.5.3 / cmprsk 2.2.11, produced by tests/reference/survival_reference.R (output saved in
 * tests/reference/survival_reference.out). Data: tests/data/aml.csv, lung.csv (exported from R
 * survival), crr.csv (simulated once in R, seed in the script).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/survival.h"
#include "stats/csvtable.h"

#define NEAR(a, b, tol) cr_assert(fabs((a) - (b)) <= (tol), "%s = %.12g, expected %.12g", #a, (double)(a), (double)(b))

typedef struct {
  int n;
  double *time;
  int *status, *group;
  double *x;
} dataset;

/* status 1/2 coding (R Surv convention) is mapped to 0/1 when the column has no 0 */
static dataset load(const char *file, const char *tcol, const char *scol, const char *gcol,
                    const char *gref) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/%s", RERT_SOURCE_DIR, file);
  rert_csv t;
  rert_err err;
  cr_assert_eq(csv_read_file(path, &t, &err), 0, "%s", err.msg);
  dataset d = {0};
  d.time = calloc(t.nrow, sizeof(double));
  d.status = calloc(t.nrow, sizeof(int));
  d.group = calloc(t.nrow, sizeof(int));
  d.x = calloc(t.nrow, sizeof(double));
  int ct = csv_column(&t, tcol, &err), cs = csv_column(&t, scol, &err);
  int cg = gcol ? csv_column(&t, gcol, &err) : -1;
  int has0 = 0;
  for (int r = 0; r < t.nrow; r++)
    if (csv_get(&t, r, cs) && strcmp(csv_get(&t, r, cs), "0") == 0) has0 = 1;
  for (int r = 0; r < t.nrow; r++) {
    double tv, sv;
    if (csv_number(&t, r, ct, &tv, &err) || csv_number(&t, r, cs, &sv, &err)) continue;
    if (cg >= 0 && !csv_get(&t, r, cg)) continue;
    d.time[d.n] = tv;
    d.status[d.n] = has0 ? (int)sv : (int)sv - 1;
    if (cg >= 0) {
      const char *g = csv_get(&t, r, cg);
      if (gref) {
        d.group[d.n] = strcmp(g, gref) != 0;
      } else { /* R factor: levels in sorted order; count distinct smaller labels */
        int lv = 0;
        char seen[64][32];
        int ns = 0;
        for (int q = 0; q < t.nrow; q++) {
          const char *h = csv_get(&t, q, cg);
          if (!h || strcmp(h, g) >= 0) continue;
          int dup = 0;
          for (int k = 0; k < ns; k++) dup |= strcmp(seen[k], h) == 0;
          if (!dup && ns < 64) snprintf(seen[ns++], 32, "%s", h), lv++;
        }
        d.group[d.n] = lv;
      }
      d.x[d.n] = d.group[d.n];
    }
    d.n++;
  }
  csv_free(&t);
  return d;
}

static void dfree(dataset *d) { free(d->time), free(d->status), free(d->group), free(d->x); }

Test(km, reference_vector_10_11) {
  /* §10.11 table: S and Greenwood variance; R survfit std.err/lower/upper (log CI) */
  double t[] = {2, 3, 4, 4, 5, 6, 8, 9, 10, 12};
  int e[] = {1, 0, 1, 1, 0, 1, 0, 1, 0, 1};
  rert_km km;
  rert_err err;
  cr_assert_eq(surv_km_fit(t, e, 10, RERT_CI_LOG, 0.95, &km, &err), 0);
  cr_assert_eq(km.nt, 9);
  NEAR(km.surv[0], 0.9, 1e-12);
  NEAR(km.var_surv[0], 0.009, 1e-9);
  NEAR(km.surv[2], 0.675, 1e-12);
  NEAR(km.var_surv[2], 0.024047, 1e-6);
  NEAR(sqrt(km.var_surv[4]), 0.173118, 1e-6);
  NEAR(km.var_surv[7], 0.034920, 1e-6);
  cr_assert_eq(km.n_risk[6], 3);
  NEAR(km.surv[8], 0.0, 0);
  cr_assert(isnan(km.var_surv[8]), "Greenwood undefined where n = d");
  NEAR(km.se_log[7], 0.519080383413, 1e-11);
  NEAR(km.lower[7], 0.130154886370, 1e-11);
  NEAR(km.upper[7], 0.995736722718, 1e-11);
  NEAR(km.lower[2], 0.430282529791, 1e-11);
  NEAR(km.upper[2], 1.0, 0);
  NEAR(km.median, 9, 0);          /* R: median 9, 0.95LCL 4, UCL NA */
  NEAR(km.median_lower, 4, 0);
  cr_assert(isnan(km.median_upper));
  surv_km_free(&km);
}

Test(km, lung_median_and_ci) {
  dataset d = load("lung.csv", "time", "status", NULL, NULL);
  cr_assert_eq(d.n, 228);
  rert_km km;
  rert_err err;
  cr_assert_eq(surv_km_fit(d.time, d.status, d.n, RERT_CI_LOG, 0.95, &km, &err), 0);
  cr_assert_eq(km.n_events, 165);
  NEAR(km.median, 310, 0); /* issue #9 / R: 310 (285, 363) */
  NEAR(km.median_lower, 285, 0);
  NEAR(km.median_upper, 363, 0);
  /* R summary(survfit, times=c(100,365)): surv, SE(S), lower, upper */
  NEAR(surv_km_value_at(&km, 100), 0.863968967645, 1e-11);
  NEAR(surv_km_value_at(&km, 365), 0.409241624460, 1e-11);
  cr_assert_eq(surv_km_risk_at(&km, 100), 196);
  cr_assert_eq(surv_km_risk_at(&km, 365), 65);
  int i = 0;
  while (km.time[i] <= 365 && i + 1 < km.nt && km.time[i + 1] <= 365) i++;
  NEAR(sqrt(km.var_surv[i]), 0.0358236381720, 1e-11);
  NEAR(km.lower[i], 0.344721581796, 1e-11);
  NEAR(km.upper[i], 0.485837603547, 1e-11);
  surv_km_free(&km);
  cr_assert_eq(surv_km_fit(d.time, d.status, d.n, RERT_CI_LOGLOG, 0.95, &km, &err), 0);
  NEAR(km.median_lower, 284, 0); /* R conf.type="log-log": 284-361 */
  NEAR(km.median_upper, 361, 0);
  NEAR(km.lower[i], 0.338714269088, 1e-11);
  NEAR(km.upper[i], 0.478380767647, 1e-11);
  surv_km_free(&km);
  dfree(&d);
}

Test(logrank, aml_two_groups) {
  dataset d = load("aml.csv", "time", "status", "x", "Maintained");
  rert_logrank lr;
  rert_err err;
  cr_assert_eq(surv_logrank_test(d.time, d.status, d.group, d.n, 2, &lr, &err), 0, "%s", err.msg);
  NEAR(lr.chisq, 3.3963886990, 1e-9); /* issue #9 / R survdiff */
  cr_assert_eq(lr.df, 1);
  NEAR(lr.p_value, 0.0653393220405, 1e-6); /* 1 - pchisq(3.3963887, 1) */
  surv_logrank_free(&lr);
  dfree(&d);
}

Test(logrank, lung_ecog_four_groups) {
  dataset d = load("lung.csv", "time", "status", "ph.ecog", NULL);
  cr_assert_eq(d.n, 227);
  rert_logrank lr;
  rert_err err;
  cr_assert_eq(surv_logrank_test(d.time, d.status, d.group, d.n, 4, &lr, &err), 0, "%s", err.msg);
  NEAR(lr.chisq, 21.9621316825, 1e-8); /* R survdiff(~ph.ecog) */
  cr_assert_eq(lr.df, 3);
  NEAR(lr.expected[0], 54.152697018923, 1e-9);
  NEAR(lr.expected[3], 0.172385340665, 1e-9);
  NEAR(lr.observed[1], 82, 0);
  surv_logrank_free(&lr);
  dfree(&d);
}

Test(cox, reference_vector_10_11) {
  double t[] = {1, 2, 3}, x[] = {1, 0, 1};
  int e[] = {1, 1, 0};
  rert_cox c;
  rert_err err;
  cr_assert_eq(surv_cox_fit(t, e, x, 3, 1, RERT_TIES_BRESLOW, &c, &err), 0, "%s", err.msg);
  NEAR(c.coef[0], -0.5 * log(2.0), 1e-9); /* §10.11 closed form */
  surv_cox_free(&c);
}

Test(cox, aml_efron_breslow) {
  dataset d = load("aml.csv", "time", "status", "x", "Maintained");
  rert_cox c;
  rert_err err;
  cr_assert_eq(surv_cox_fit(d.time, d.status, d.x, d.n, 1, RERT_TIES_EFRON, &c, &err), 0);
  NEAR(c.coef[0], 0.915532575, 1e-9); /* issue #9 / R coxph */
  NEAR(c.se[0], 0.511934275172, 1e-9);
  NEAR(c.lr_chisq, 3.3844473326, 1e-8);
  NEAR(c.wald_chisq, 3.198289, 1e-3); /* R prints 3.2 (2 significant digits): also exact below */
  NEAR(c.wald_chisq, pow(0.915532575015 / 0.511934275172, 2), 1e-8);
  NEAR(c.score_chisq, 3.41673439552, 1e-8);
  NEAR(c.loglik0, -42.7248392628, 1e-9);
  NEAR(c.loglik, -41.0326155965, 1e-9);
  surv_cox_free(&c);
  cr_assert_eq(surv_cox_fit(d.time, d.status, d.x, d.n, 1, RERT_TIES_BRESLOW, &c, &err), 0);
  NEAR(c.coef[0], 0.904219724, 1e-9);
  NEAR(c.se[0], 0.512247907304, 1e-9);
  NEAR(c.lr_chisq, 3.29601909421, 1e-8);
  NEAR(c.score_chisq, 3.32256141627, 1e-8);
  surv_cox_free(&c);
  dfree(&d);
}

Test(cox, lung_two_covariates) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/lung.csv", RERT_SOURCE_DIR);
  rert_csv t;
  rert_err err;
  cr_assert_eq(csv_read_file(path, &t, &err), 0);
  int n = t.nrow, ct = csv_column(&t, "time", &err), cs = csv_column(&t, "status", &err),
      ca = csv_column(&t, "age", &err), cx = csv_column(&t, "sex", &err);
  double *tm = calloc(n, sizeof *tm), *x = calloc(2 * n, sizeof *x);
  int *st = calloc(n, sizeof *st);
  for (int r = 0; r < n; r++) {
    double s;
    csv_number(&t, r, ct, &tm[r], &err);
    csv_number(&t, r, cs, &s, &err);
    st[r] = (int)s - 1;
    csv_number(&t, r, ca, &x[2 * r], &err);
    csv_number(&t, r, cx, &x[2 * r + 1], &err);
  }
  rert_cox c;
  cr_assert_eq(surv_cox_fit(tm, st, x, n, 2, RERT_TIES_EFRON, &c, &err), 0, "%s", err.msg);
  /* R coxph(~age+sex, lung) with coxph.control(eps = 1e-14): R's default eps = 1e-9 stops
   * after 3 iterations at -0.5132185171 (3e-9 short of the maximum); rert iterates further. */
  NEAR(c.coef[0], 0.0170453318502, 1e-11);
  NEAR(c.coef[1], -0.5132185198362, 1e-11);
  NEAR(c.coef[1], -0.5132185171084, 1e-8); /* R default */
  NEAR(c.se[0], 0.00922327347697, 1e-9);
  NEAR(c.se[1], 0.16745796235577, 1e-9);
  NEAR(c.lr_chisq, 14.1231112132, 1e-7);
  NEAR(c.score_chisq, 13.7223214895, 1e-7);
  NEAR(c.wald_chisq, 13.47, 5e-3); /* R prints 13.47 */
  surv_cox_free(&c);
  free(tm), free(x), free(st);
  csv_free(&t);
}

Test(cif, reference_vector_10_11) {
  double t[] = {1, 2, 3, 4, 5, 6, 7, 8};
  int s[] = {1, 2, 0, 1, 2, 1, 0, 2};
  rert_cif c;
  rert_err err;
  cr_assert_eq(surv_cif_fit(t, s, 8, &c, &err), 0);
  /* §10.11 table and cmprsk::cuminc timepoints() */
  double at[] = {1, 2, 4, 5, 6, 8}, f1[] = {0.125, 0.125, 0.275, 0.275, 0.425, 0.425},
         f2[] = {0, 0.125, 0.125, 0.275, 0.275, 0.575};
  for (int i = 0; i < 6; i++) {
    NEAR(surv_cif_value_at(&c, 1, at[i]), f1[i], 1e-12);
    NEAR(surv_cif_value_at(&c, 2, at[i]), f2[i], 1e-12);
  }
  /* cuminc $var at t = 4 (cause 1), 8 (cause 1 and 2) */
  int i4 = 3, i8 = 7;
  NEAR(c.var[i4 * 2 + 0], 0.0338520408163, 1e-12);
  NEAR(c.var[i8 * 2 + 0], 0.0469036989796, 1e-12);
  NEAR(c.var[i8 * 2 + 1], 0.1369036989796, 1e-12);
  NEAR(c.var[4 * 2 + 1], 0.0354496173469, 1e-12);
  surv_cif_free(&c);
}

Test(cif, gray_test_two_and_three_groups) {
  rert_err err;
  dataset d = load("crr.csv", "time", "status", "group", "A");
  rert_gray g;
  cr_assert_eq(surv_gray_test(d.time, d.status, d.group, d.n, 2, 1, &g, &err), 0, "%s", err.msg);
  NEAR(g.stat, 2.298111299417, 1e-9); /* cmprsk cuminc $Tests */
  NEAR(g.p_value, 0.129531420641, 1e-9);
  cr_assert_eq(surv_gray_test(d.time, d.status, d.group, d.n, 2, 2, &g, &err), 0);
  NEAR(g.stat, 0.645840902291, 1e-9);
  /* cuminc estimates per group: group A cause 1 at t = 10 and 20 */
  int na = 0;
  for (int i = 0; i < d.n; i++) na += d.group[i] == 0;
  rert_cif c;
  cr_assert_eq(surv_cif_fit(d.time, d.status, na, &c, &err), 0); /* first 30 rows = group A */
  NEAR(surv_cif_value_at(&c, 1, 10), 0.342559523810, 1e-11);
  NEAR(surv_cif_value_at(&c, 1, 20), 0.389992559524, 1e-11);
  NEAR(surv_cif_value_at(&c, 2, 20), 0.277976190476, 1e-11);
  surv_cif_free(&c);
  dfree(&d);
  d = load("crr.csv", "time", "status", "group3", NULL);
  cr_assert_eq(surv_gray_test(d.time, d.status, d.group, d.n, 3, 1, &g, &err), 0, "%s", err.msg);
  NEAR(g.stat, 0.0219585505833, 1e-10); /* cmprsk, 3 groups, df 2 */
  cr_assert_eq(g.df, 2);
  NEAR(g.p_value, 0.989080776974, 1e-9);
  cr_assert_eq(surv_gray_test(d.time, d.status, d.group, d.n, 3, 2, &g, &err), 0);
  NEAR(g.stat, 0.8179833891561, 1e-9);
  dfree(&d);
}

/* cmprsk::cuminc(..., rho = r)$Tests (tests/reference/survival_reference.out): the score and its
 * variance weighted by (1 - F(t-))^rho; rho = 0 is the test above. */
Test(cif, gray_test_rho) {
  rert_err err;
  rert_gray g;
  dataset d = load("crr.csv", "time", "status", "group", "A");
  cr_assert_eq(surv_gray_test_rho(d.time, d.status, d.group, d.n, 2, 1, 1.0, &g, &err), 0, "%s", err.msg);
  NEAR(g.stat, 2.69819206617, 1e-9);
  NEAR(g.p_value, 0.100462109353, 1e-9);
  cr_assert_eq(surv_gray_test_rho(d.time, d.status, d.group, d.n, 2, 2, 1.0, &g, &err), 0);
  NEAR(g.stat, 1.00068361210, 1e-9);
  cr_assert_eq(surv_gray_test_rho(d.time, d.status, d.group, d.n, 2, 1, -0.5, &g, &err), 0);
  NEAR(g.stat, 2.086934216844, 1e-9);
  NEAR(g.p_value, 0.148563944495, 1e-9);
  cr_assert_eq(surv_gray_test_rho(d.time, d.status, d.group, d.n, 2, 2, -0.5, &g, &err), 0);
  NEAR(g.stat, 0.494894253872, 1e-9);
  /* rho = 0 is the unweighted test */
  cr_assert_eq(surv_gray_test_rho(d.time, d.status, d.group, d.n, 2, 1, 0.0, &g, &err), 0);
  NEAR(g.stat, 2.298111299417, 1e-9);
  cr_assert_eq(surv_gray_test_rho(d.time, d.status, d.group, d.n, 2, 1, NAN, &g, &err), RERT_EINPUT);
  dfree(&d);
  d = load("crr.csv", "time", "status", "group3", NULL);
  cr_assert_eq(surv_gray_test_rho(d.time, d.status, d.group, d.n, 3, 1, 2.0, &g, &err), 0, "%s", err.msg);
  NEAR(g.stat, 0.210026279163, 1e-9);
  NEAR(g.p_value, 0.900312692776, 1e-9);
  cr_assert_eq(g.df, 2);
  cr_assert_eq(surv_gray_test_rho(d.time, d.status, d.group, d.n, 3, 2, 2.0, &g, &err), 0);
  NEAR(g.stat, 0.859708849352, 1e-9);
  dfree(&d);
}

Test(km, median_midpoint_rule) {
  /* S = 0.75, 0.5, 0.25, 0: S is exactly 0.5 on [2, 3) -> median (2 + 3)/2 = 2.5 (R 4.2.2
   * print(survfit)). With the curve ending flat at 0.5 after t = 2 (censored at 3 and 4)
   * print(survfit) gives 2 while quantile(fit, 0.5) gives (2 + 4)/2 = 3. */
  double t[] = {1, 2, 3, 4};
  int e1[] = {1, 1, 1, 1}, e2[] = {1, 1, 0, 0};
  rert_km km;
  rert_err err;
  cr_assert_eq(surv_km_fit(t, e1, 4, RERT_CI_LOG, 0.95, &km, &err), 0);
  NEAR(km.median, 2.5, 0);
  surv_km_free(&km);
  cr_assert_eq(surv_km_fit(t, e2, 4, RERT_CI_LOG, 0.95, &km, &err), 0);
  NEAR(km.median, 2.0, 0);
  NEAR(surv_km_quantile(&km, 0.5, NULL, NULL), 3.0, 0);
  NEAR(km.median_lower, 1.0, 0); /* R: 0.95LCL 1, UCL NA */
  cr_assert(isnan(km.median_upper));
  surv_km_free(&km);
}
