/* test_recist.c — RECIST 1.1 and S3-legacy classification.
 *
 * Expected values: domain-reference §10.12 (hand-checkable sums) and RECIST 1.1
 * (Eisenhauer 2009) Tables 1–2 for the overall-response combinations; hand calculation.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "rert/recist.h"

static rert_recist_criteria load(const char *rule) {
  rert_recist_criteria c;
  rert_err err;
  cr_assert_eq(recist_criteria_load(rule, &c, &err), 0, "%s", err.msg);
  return c;
}

Test(recist, vectors_10_12) {
  rert_recist_criteria v11 = load("recist1.1"), s3 = load("s3-legacy");
  /* baseline 50 -> 34: -32 % -> PR */
  cr_assert_eq(recist_target_response(&v11, 50, 50, 34, 0), RECIST_PR);
  cr_assert_eq(recist_target_response(&s3, 50, 50, 34, 0), RECIST_PR);
  /* nadir 30 -> 36: +20 %, +6 mm -> PD under both */
  cr_assert_eq(recist_target_response(&v11, 50, 30, 36, 0), RECIST_PD);
  cr_assert_eq(recist_target_response(&s3, 50, 30, 36, 0), RECIST_PD);
  /* nadir 20 -> 24: +20 % but +4 mm -> PD under S3, SD under RECIST 1.1 (baseline = nadir
   * here; with a baseline of 50 the 1.1 answer would be PR, 24 being 52 % below baseline) */
  cr_assert_eq(recist_target_response(&s3, 20, 20, 24, 0), RECIST_PD);
  cr_assert_eq(recist_target_response(&v11, 20, 20, 24, 0), RECIST_SD);
  cr_assert_eq(recist_target_response(&v11, 50, 20, 24, 0), RECIST_PR);
  /* baseline 50 -> 36: -28 % -> SD */
  cr_assert_eq(recist_target_response(&v11, 50, 50, 36, 0), RECIST_SD);
  /* 50 -> 35: exactly -30 % -> PR (">= 30 %") */
  cr_assert_eq(recist_target_response(&v11, 50, 50, 35, 0), RECIST_PR);
}

Test(recist, visits_and_best_response) {
  rert_recist_criteria c = load("recist1.1");
  /* two targets: a 30 mm lesion and a 20 mm node (short axis) */
  int node[2] = {0, 1};
  double b[2] = {30, 20}, v1[2] = {10, 12}, v2[2] = {0, 8}, v3[2] = {0, 14};
  rert_recist_visit v[4] = {
      {0, 2, b, node, RECIST_NT_PRESENT, 0},
      {56, 2, v1, node, RECIST_NT_PRESENT, 0}, /* sum 22: -56 % -> PR */
      {112, 2, v2, node, RECIST_NT_ABSENT, 0}, /* 0 + node 8 < 10 -> CR (sum 8 != 0) */
      {168, 2, v3, node, RECIST_NT_ABSENT, 0}, /* sum 14 vs nadir 8: +75 %, +6 mm -> PD */
  };
  rert_recist_assessment a[4];
  rert_recist_response best;
  rert_err err;
  cr_assert_eq(recist_assess(&c, v, 4, 0, 0, a, &best, &err), 0, "%s", err.msg);
  cr_assert_eq(a[1].overall, RECIST_PR);
  cr_assert(fabs(a[1].change_from_baseline - (22.0 - 50.0) / 50.0) < 1e-12);
  cr_assert_eq(a[2].target, RECIST_CR);
  cr_assert_eq(a[2].overall, RECIST_CR);
  cr_assert_eq(a[3].overall, RECIST_PD);
  cr_assert(fabs(a[3].nadir_mm - 8) < 1e-12);
  cr_assert_eq(best, RECIST_CR);
  /* with confirmation (28 d): the CR at day 112 is followed only by PD -> unconfirmed; the PR at
   * day 56 is confirmed by the CR at day 112 -> best PR */
  cr_assert_eq(recist_assess(&c, v, 4, 28, 0, a, &best, &err), 0);
  cr_assert_eq(best, RECIST_PR);
  /* S3 legacy: node rule off -> day 112 is PR (sum 8 of 50), not CR */
  rert_recist_criteria s3 = load("s3-legacy");
  cr_assert_eq(recist_assess(&s3, v, 4, 0, 0, a, &best, &err), 0);
  cr_assert_eq(a[2].target, RECIST_PR);
  cr_assert_eq(best, RECIST_PR);
}

Test(recist, table1_combinations) {
  rert_recist_criteria c = load("recist1.1");
  int node[1] = {0};
  double b[1] = {40}, gone[1] = {0}, same[1] = {38}, miss[1] = {NAN};
  rert_recist_assessment a[2];
  rert_recist_response best;
  rert_err err;
  /* target CR + non-target present -> PR (Table 1) */
  rert_recist_visit v[2] = {{0, 1, b, node, RECIST_NT_PRESENT, 0},
                            {60, 1, gone, node, RECIST_NT_PRESENT, 0}};
  cr_assert_eq(recist_assess(&c, v, 2, 0, 0, a, &best, &err), 0);
  cr_assert_eq(a[1].overall, RECIST_PR);
  /* SD + new lesion -> PD */
  v[1] = (rert_recist_visit){60, 1, same, node, RECIST_NT_PRESENT, 1};
  recist_assess(&c, v, 2, 0, 0, a, &best, &err);
  cr_assert_eq(a[1].overall, RECIST_PD);
  cr_assert_eq(best, RECIST_PD);
  /* SD + non-target unequivocal PD -> PD */
  v[1] = (rert_recist_visit){60, 1, same, node, RECIST_NT_PD, 0};
  recist_assess(&c, v, 2, 0, 0, a, &best, &err);
  cr_assert_eq(a[1].overall, RECIST_PD);
  /* target not measured -> NE; SD too early for min_sd_days -> NE */
  v[1] = (rert_recist_visit){60, 1, miss, node, RECIST_NT_PRESENT, 0};
  recist_assess(&c, v, 2, 0, 0, a, &best, &err);
  cr_assert_eq(a[1].overall, RECIST_NE);
  v[1] = (rert_recist_visit){30, 1, same, node, RECIST_NT_PRESENT, 0};
  recist_assess(&c, v, 2, 0, 42, a, &best, &err);
  cr_assert_eq(best, RECIST_NE);
  /* bad input: unknown rule, baseline not measured */
  rert_recist_criteria x;
  cr_assert_eq(recist_criteria_load("who", &x, &err), RERT_EINPUT);
  v[0].target_mm = miss;
  cr_assert_eq(recist_assess(&c, v, 2, 0, 0, a, &best, &err), RERT_EINPUT);
}
