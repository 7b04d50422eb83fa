/* test_cohort_synthetic.c — the synthetic cohort of `rert phantom --cohort` through `rert cohort
 * run` and `rert cohort analyse dose-response`: the fit recovers the stated NTCP model (TD50 and
 * γ50 inside their profile-likelihood intervals) and ranks the true recovery model first.
 *
 * Independent source: the model the generator states and draws the outcomes from (truth.json).
 * 200 small DICOM cases in the optimised build. Under ASan/UBSan (the point of that configuration is
 * memory safety, and 200 DICOM cases there would take most of CI's time) the same assertions run on
 * 200 point-dose cases of the same generator.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/run.h"

#if defined(__SANITIZE_ADDRESS__)
#define COHORT_KIND "--cohort-kind points"
#else
#define COHORT_KIND ""
#endif

/* the synthetic cohort: the fit recovers the stated model and prefers the true recovery */
Test(cohort_synthetic, recovers_truth, .timeout = 900) {
  const char *tmp = test_tmpdir();
  char dir[1024], reg[1200], args[4096];
  snprintf(dir, sizeof dir, "%s/coh", tmp);
  snprintf(args, sizeof args, "phantom --out %s --cohort 200 --seed 11 --truth-recovery s4_stepwise --truth-td50-gy 70 --truth-gamma50 2 %s",
           dir, COHORT_KIND);
  cr_assert_eq(run_rert(args, NULL, NULL), 0, "rert %s", args);
  snprintf(reg, sizeof reg, "%s/reg.sqlite", tmp);
  snprintf(args, sizeof args, "cohort run %s/manifest.csv --registry %s --jobs 2 --metric Dmax --no-progress "
                              "--recovery none,s4_stepwise,exp1y=exponential:halftime_years=1,exp4y=exponential:halftime_years=4,care_uplift",
           dir, reg);
  cr_assert_eq(run_rert(args, NULL, NULL), 0);
  char svg[1200];
  snprintf(svg, sizeof svg, "%s/dr.svg", tmp);
  snprintf(args, sizeof args, "cohort analyse dose-response --registry %s --endpoint necrosis --grade 3 --structure Brainstem --metric Dmax --plot %s",
           reg, svg);
  cJSON *j = NULL;
  cr_assert_eq(run_rert_json(args, &j), 0);
  cr_assert(j);
  cr_assert_eq(json_path_num(j, "n"), 200);
  cr_assert_str_eq(json_path_str(j, "preferred_recovery"), "s4_stepwise");
  const cJSON *fits = cJSON_GetObjectItem(j, "fits");
  int seen = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, fits) {
    const char *rec = cJSON_GetStringValue(cJSON_GetObjectItem(x, "recovery"));
    const char *model = cJSON_GetStringValue(cJSON_GetObjectItem(x, "model"));
    if (strcmp(rec, "s4_stepwise")) continue;
    cr_assert_eq(json_path_num(x, "rank"), 1, "%s: the true recovery ranks first", model);
    if (strcmp(model, "logistic")) continue;
    seen = 1;
    double lo = json_path_num(x, "td50_ci.0"), hi = json_path_num(x, "td50_ci.1");
    cr_assert(lo <= 70 && 70 <= hi, "TD50 70 within the profile interval [%g, %g]", lo, hi);
    lo = json_path_num(x, "gamma50_ci.0"), hi = json_path_num(x, "gamma50_ci.1");
    cr_assert(lo <= 2 && 2 <= hi, "gamma50 2 within [%g, %g]", lo, hi);
  }
  cr_assert(seen);
  cJSON_Delete(j);
  struct stat st;
  cr_assert(stat(svg, &st) == 0 && st.st_size > 1000);
}

