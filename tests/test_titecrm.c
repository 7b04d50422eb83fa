/* test_titecrm.c — TITE-CRM posterior, rules, S3 restrictions and the simulator.
 *
 * Expected values: domain-reference §10.8 and tests/reference/titecrm_reference.R, which
 * integrates the documented dfcrm model independently with R's integrate() (dfcrm itself is not
 * in Debian); the dfcrm::titecrm help-page example data; hand reasoning for the restrictions.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "rert/titecrm.h"

#define NEAR(a, b, tol) cr_assert(fabs((a) - (b)) <= (tol), "%s = %.12g, expected %.12g", #a, (double)(a), (double)(b))

static rert_crm_design s3(void) {
  rert_crm_design d;
  crm_design_default(&d);
  double sk[] = {0.05, 0.10, 0.20, 0.30, 0.40, 0.50};
  d.nlevels = 6;
  for (int i = 0; i < 6; i++) d.skeleton[i] = sk[i];
  d.target = 0.25;
  return d;
}

Test(titecrm, prior_only_tie) {
  rert_crm_design d = s3();
  d.restrict_s3 = 0;
  rert_crm_result r;
  rert_err err;
  cr_assert_eq(crm_recommend(&d, NULL, 0, &r, &err), 0, "%s", err.msg);
  NEAR(r.beta_mean, 0, 1e-12); /* §10.8: prior only, beta = 0, S3 rule gives L3 */
  NEAR(r.beta_var, 1.34, 1e-10);
  cr_assert_eq(r.next_level, 3);
  d.rule = RERT_CRM_RULE_CLOSEST; /* tie L3/L4: lower level */
  cr_assert_eq(crm_recommend(&d, NULL, 0, &r, &err), 0);
  cr_assert_eq(r.next_level, 3);
}

Test(titecrm, vector_A_restriction) {
  rert_crm_design d = s3();
  rert_crm_patient p[4];
  for (int i = 0; i < 4; i++) p[i] = (rert_crm_patient){2, 0, 0, 1.0};
  rert_crm_result r;
  rert_err err;
  cr_assert_eq(crm_recommend(&d, p, 4, &r, &err), 0, "%s", err.msg);
  NEAR(r.beta_mean, 0.702449599566, 1e-9); /* R integrate(); §10.8: 0.702450 */
  NEAR(r.beta_var, 0.712030643346, 1e-9);
  double pt[] = {0.00236385929241, 0.00957873940149, 0.03881459815163, 0.08799723924200,
                 0.15728301674408, 0.24678187737704};
  for (int i = 0; i < 6; i++) NEAR(r.ptox[i], pt[i], 1e-10);
  cr_assert_eq(r.model_level, 6); /* §10.8: model choice L6, restriction allows only L3 */
  cr_assert_eq(r.next_level, 3);
}

Test(titecrm, vector_B_precision) {
  rert_crm_design d = s3();
  rert_crm_patient p[6];
  for (int i = 0; i < 4; i++) p[i] = (rert_crm_patient){2, 0, 0, 1.0};
  p[4] = (rert_crm_patient){3, 1, 0, 1.0};
  p[5] = (rert_crm_patient){3, 0, 0, 0.5};
  rert_crm_result r;
  rert_err err;
  cr_assert_eq(crm_recommend(&d, p, 6, &r, &err), 0);
  NEAR(r.beta_mean, -0.148258043007, 1e-10);
  NEAR(r.ptox[2], 0.2496560250860, 1e-10); /* just below 0.25 */
  cr_assert_eq(r.next_level, 3);
  d.rule = RERT_CRM_RULE_CLOSEST;
  cr_assert_eq(crm_recommend(&d, p, 6, &r, &err), 0);
  cr_assert_eq(r.next_level, 3); /* §10.8: both rules give L3 */
}

Test(titecrm, vector_D_no_admissible_dose) {
  rert_crm_design d = s3();
  rert_crm_patient p[4] = {{2, 1, 0, 1}, {2, 1, 0, 1}, {2, 0, 0, 1}, {2, 0, 0, 1}};
  rert_crm_result r;
  rert_err err;
  cr_assert_eq(crm_recommend(&d, p, 4, &r, &err), 0);
  NEAR(r.beta_mean, -1.00241128467, 1e-9);
  NEAR(r.ptox[0], 0.333066164826, 1e-9);
  cr_assert_eq(r.state, RERT_CRM_NO_ADMISSIBLE);
  cr_assert_eq(r.next_level, 0);
  d.rule = RERT_CRM_RULE_CLOSEST; /* dfcrm's rule always returns a level: L1 here */
  cr_assert_eq(crm_recommend(&d, p, 4, &r, &err), 0);
  cr_assert_eq(r.state, RERT_CRM_OK);
  cr_assert_eq(r.next_level, 1);
}

Test(titecrm, dfcrm_help_example) {
  rert_crm_design d;
  crm_design_default(&d);
  double pr[] = {0.05, 0.10, 0.20, 0.35, 0.50, 0.70};
  d.nlevels = 6;
  for (int i = 0; i < 6; i++) d.skeleton[i] = pr[i];
  d.target = 0.2;
  d.window = 180;
  d.rule = RERT_CRM_RULE_CLOSEST;
  d.restrict_s3 = 0;
  int lv[] = {3, 3, 3, 4, 4, 3, 2, 2, 2, 3}, y[] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0};
  double u[] = {178, 181, 168, 181, 24, 181, 179, 102, 42, 3};
  rert_crm_patient p[10];
  for (int i = 0; i < 10; i++) p[i] = (rert_crm_patient){lv[i], y[i], u[i], -1};
  rert_crm_result r;
  rert_err err;
  cr_assert_eq(crm_recommend(&d, p, 10, &r, &err), 0);
  NEAR(r.beta_mean, -0.132786551431, 1e-9); /* R integrate() of the dfcrm model */
  NEAR(r.beta_var, 0.195490147841, 1e-9);
  NEAR(r.ptox[2], 0.2443124126854, 1e-10);
  cr_assert_eq(r.next_level, 3);
  d.model = RERT_CRM_LOGISTIC;
  cr_assert_eq(crm_recommend(&d, p, 10, &r, &err), 0);
  NEAR(r.beta_mean, -0.070504914097, 1e-9);
  NEAR(r.beta_var, 0.0526580626727, 1e-9);
  NEAR(r.ptox[3], 0.4078968694816, 1e-10);
}

Test(titecrm, restrictions) {
  rert_crm_design d = s3();
  rert_crm_result r;
  rert_err err;
  /* fewer than 4 patients: start level 2 whatever the model says */
  rert_crm_patient p[6] = {{2, 0, 6, -1}, {2, 0, 6, -1}};
  cr_assert_eq(crm_recommend(&d, p, 2, &r, &err), 0);
  cr_assert_eq(r.next_level, 2);
  /* 4 at L2, none has completed the 6-month window: cannot escalate (hold at L2) */
  for (int i = 0; i < 4; i++) p[i] = (rert_crm_patient){2, 0, 3.0, -1};
  cr_assert_eq(crm_recommend(&d, p, 4, &r, &err), 0);
  cr_assert(r.model_level > 2);
  cr_assert_eq(r.next_level, 2);
  /* one completed: escalate by one */
  p[0].followup = 6.0;
  cr_assert_eq(crm_recommend(&d, p, 4, &r, &err), 0);
  cr_assert_eq(r.next_level, 3);
  /* bad input */
  p[0].level = 7;
  cr_assert_eq(crm_recommend(&d, p, 4, &r, &err), RERT_EINPUT);
  d.skeleton[2] = 0.05;
  cr_assert_eq(crm_recommend(&d, NULL, 0, &r, &err), RERT_EINPUT);
}

Test(titecrm, simulator_deterministic_and_sane) {
  rert_crm_design d = s3();
  rert_crm_sim_spec s = {{0.05, 0.10, 0.20, 0.30, 0.40, 0.50}, 25, 120, 1.0 / 4.33, 42};
  rert_crm_sim_result a, b;
  rert_err err;
  cr_assert_eq(crm_simulate(&d, &s, &a, &err), 0, "%s", err.msg);
  cr_assert_eq(crm_simulate(&d, &s, &b, &err), 0);
  double tot = 0, pts = 0;
  for (int i = 0; i <= 6; i++) {
    NEAR(a.p_select[i], b.p_select[i], 0); /* same seed, same answer */
    tot += a.p_select[i];
  }
  for (int i = 0; i < 6; i++) pts += a.mean_patients[i];
  NEAR(tot, 1.0, 1e-12);
  NEAR(pts, a.mean_n, 1e-9);
  /* every trial treats its first 4 patients at level 2 */
  cr_assert(a.mean_patients[1] >= 4.0 - 1e-12);
  /* with the true curve equal to the skeleton, the levels around the target (3-4) dominate */
  cr_assert(a.p_select[3] + a.p_select[4] > 0.5, "P(L3)+P(L4) = %g", a.p_select[3] + a.p_select[4]);
  /* a very toxic truth stops trials for no admissible dose */
  rert_crm_sim_spec t = {{0.6, 0.7, 0.8, 0.85, 0.9, 0.95}, 25, 60, 1.0, 7};
  cr_assert_eq(crm_simulate(&d, &t, &a, &err), 0);
  cr_assert(a.p_select[0] > 0.8, "P(none) = %g", a.p_select[0]);
}

Test(titecrm, final_logistic_vs_glm) {
  /* R glm(y ~ d, binomial, epsilon = 1e-15) in tests/reference/titecrm_reference.R */
  double d[25];
  int y[25] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0};
  for (int i = 0; i < 25; i++) d[i] = i < 6 ? 55 : i < 12 ? 57.5 : i < 20 ? 60 : 62.5;
  rert_logit_fit f;
  rert_err err;
  cr_assert_eq(crm_final_logistic(d, y, 25, &f, &err), 0, "%s", err.msg);
  NEAR(f.a, -18.38450886717789, 1e-8);
  NEAR(f.b, 0.29846829204577, 1e-10);
  NEAR(f.se_a, 11.08744403193165, 1e-7);
  NEAR(f.se_b, 0.18643574857362, 1e-9);
  NEAR(f.cov_ab, -2.0653500518794, 1e-7); /* R: IRLS weights of the last step */
  NEAR(f.loglik, -14.193983857391, 1e-9);
  double p, lo, hi;
  crm_logistic_predict(&f, 60, 1.959963984540054, &p, &lo, &hi);
  NEAR(p, 0.38309989130441, 1e-10);
  NEAR(lo, 0.19874744641161, 1e-9);
  NEAR(hi, 0.60857318211757, 1e-9);
  /* no DLT / separation: no MLE */
  int z[4] = {0, 0, 0, 0}, s[4] = {0, 0, 1, 1};
  double dd[4] = {55, 55, 60, 60};
  cr_assert_eq(crm_final_logistic(dd, z, 4, &f, &err), RERT_EINPUT);
  cr_assert_eq(crm_final_logistic(dd, s, 4, &f, &err), RERT_EINPUT);
}
