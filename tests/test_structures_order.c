/* test_structures_order.c — issue 13 item 8 through `rert accumulate`: shuffling the ROI sequences
 * of the RTSTRUCT changes no number (permutation invariance, bit for bit), and where two organs of
 * the same alpha/beta 2 overlap with different recovery models (cord 'none', an overlapping organ
 * s4_stepwise: 50 % after 12 months, domain-reference §3.1) the conservative one governs: the
 * recovered prior EQD2 is the unrecovered one, not half of it, in either ROI order.
 * Variants: tests/structures/make_variants.py (pydicom, no rert code). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/run.h"
#include "support/variants.h"

static const char *variant(const char *v) { return structure_variant(RERT_SOURCE_DIR, RERT_BUILD_DIR, v); }

static const char *str(const cJSON *o, const char *k) {
  const cJSON *x = cJSON_GetObjectItem(o, k);
  return cJSON_IsString(x) ? x->valuestring : "";
}

static double num(const cJSON *o, const char *k) {
  const cJSON *x = cJSON_GetObjectItem(o, k);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static cJSON *accumulate_json(const char *v) {
  const char *d = variant(v);
  if (!d) cr_skip_test("python3-pydicom not installed");
  char args[2048];
  snprintf(args, sizeof args, "accumulate %s/case.json --out %s/acc_%s", d, test_tmpdir(), v);
  cJSON *j = NULL;
  cr_assert_eq(run_rert_json(args, &j), 0, "%s", args);
  cr_assert_not_null(j);
  return j;
}

static const cJSON *structure(const cJSON *j, const char *name) {
  const cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItem(j, "structures"))
    if (!strcmp(str(s, "name"), name)) return s;
  return NULL;
}

/* Shuffled ROI order: identical maps (every structure's maxima, bit for bit). An organ of the same
 * alpha/beta overlapping the cord with s4_stepwise recovery (50 % after 12 months) does not
 * halve the cord's prior dose: the cord's 'none' governs (smaller recovery), whatever the order. */
Test(structures_order, order_independence_and_conservative_overlap) {
  cJSON *a = accumulate_json("clean"), *b = accumulate_json("permuted");
  const cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItem(a, "structures")) {
    const cJSON *t = structure(b, str(s, "name"));
    cr_assert_not_null(t, "%s", str(s, "name"));
    cr_expect_eq(num(s, "max_cumulative_gy"), num(t, "max_cumulative_gy"), "%s", str(s, "name"));
    cr_expect_eq(num(s, "max_recovered_prior_gy"), num(t, "max_recovered_prior_gy"), "%s", str(s, "name"));
  }
  cJSON *o1 = accumulate_json("overlap_recovery"), *o2 = accumulate_json("overlap_recovery_permuted");
  double cord_clean = num(structure(a, "SpinalCord"), "max_recovered_prior_gy");
  double cord1 = num(structure(o1, "SpinalCord"), "max_recovered_prior_gy");
  double eso1 = num(structure(o1, "Esophagus"), "max_recovered_prior_gy");
  cr_expect_eq(cord1, cord_clean, "cord prior not discounted: %g vs %g", cord1, cord_clean);
  cr_expect_eq(eso1, cord1, "the overlap takes the cord's (smaller) recovery: %g vs %g", eso1, cord1);
  cr_expect_eq(num(structure(o2, "SpinalCord"), "max_recovered_prior_gy"), cord1);
  cr_expect_eq(num(structure(o2, "Esophagus"), "max_recovered_prior_gy"), eso1);
  cr_expect(strstr(str(o1, "alpha_beta_rule"), "smaller prior-dose recovery"), "%s", str(o1, "alpha_beta_rule"));
  cJSON_Delete(a);
  cJSON_Delete(b);
  cJSON_Delete(o1);
  cJSON_Delete(o2);
}
