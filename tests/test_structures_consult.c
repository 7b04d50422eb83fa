/* test_structures_consult.c — issue 13 accounting through `rert solve` and `rert consult` on a
 * pydicom variant of the phantom whose cord ROI is empty (tests/structures/make_variants.py):
 * the clinical safety rule "PASS only when every mandatory row was evaluated" (brief) makes both
 * INCOMPLETE (exit 4), and report.json names the row. */
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

/* solve and consult share the accounting: exit 4 on the empty cord */
Test(structures_consult, solve_and_consult_incomplete) {
  const char *d = variant("empty_cord");
  if (!d) cr_skip_test("python3-pydicom not installed");
  char args[2048];
  cJSON *j = NULL;
  const char *tmp = test_tmpdir();
  snprintf(args, sizeof args, "solve %s/case.json --protocol care_s0", d);
  cr_expect_eq(run_rert_json(args, &j), 4);
  cr_assert_not_null(j);
  cr_expect_str_eq(str(j, "verdict"), "INCOMPLETE");
  cJSON_Delete(j);
  snprintf(args, sizeof args, "consult %s/case.json --protocol care_s0 --uncertainty-mm 0 --no-progress --out %s/consult_out",
           d, tmp);
  cr_expect_eq(run_rert_json(args, &j), 4);
  cr_assert_not_null(j);
  cr_expect_str_eq(str(j, "verdict"), "INCOMPLETE");
  cJSON_Delete(j);
  char p[1200], *txt = NULL;
  snprintf(p, sizeof p, "%s/consult_out/report.json", tmp);
  FILE *f = fopen(p, "r");
  cr_assert_not_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  txt = calloc((size_t)n + 1, 1);
  cr_assert_eq(fread(txt, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  cJSON *r = cJSON_Parse(txt);
  free(txt);
  cr_assert_not_null(r);
  const cJSON *sum = cJSON_GetObjectItem(r, "summary");
  cr_expect_str_eq(str(sum, "verdict"), "INCOMPLETE");
  cr_expect_str_eq(str(cJSON_GetArrayItem(cJSON_GetObjectItem(sum, "not_evaluated_mandatory"), 0), "constraint_id"), "cord_gt24");
  cJSON_Delete(r);
}

