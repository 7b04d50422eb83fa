/* The point-dose calculator end to end (`rert eqd2`, `rert budget`, help/man generation),
 * checked against domain-reference §10.2, §10.3, §10.6 and hand calculations. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "support/run.h"

static void near(double got, double want, double rel) {
  cr_assert(fabs(got - want) <= rel * fmax(1.0, fabs(want)), "got %.10g want %.10g", got, want);
}

/* §10.2 MIRI 72 Gy/60 at α/β 10 → EQD2 67.20 */
Test(cli_eqd2, miri) {
  cJSON *j;
  cr_assert_eq(run_rert_json("eqd2 --dose 72Gy --fractions 60 --alpha-beta-gy 10", &j), 0);
  cr_assert_not_null(j);
  near(json_path_num(j, "eqd2_gy"), 67.20, 1e-8);
  near(json_path_num(j, "bed_gy"), 72 * 1.12, 1e-8);
  cJSON_Delete(j);
}

/* §10.3 Thames BID with tissue: Larynx T½ 4.9 h from data/tissues.json, α/β 3 (tissue table):
 * φ = 2^(−6/4.9), BED3 = 72·(1 + 0.4·(1+φ)) */
Test(cli_eqd2, bid_tissue_halftime) {
  cJSON *j;
  cr_assert_eq(run_rert_json("eqd2 --dose 72Gy --fractions 60 --tissue Larynx --fractions-per-day 2 --interval-h 6", &j), 0);
  double phi = pow(2, -6 / 4.9);
  near(json_path_num(j, "bed_gy"), 72 * (1 + 0.4 * (1 + phi)), 1e-8);
  near(json_path_num(j, "model.repair_halftime_h"), 4.9, 1e-12);
  cJSON_Delete(j);
}

/* §10.4 / §10.5 via the CLI, and the model-dependent flag (8.8 Gy/fx > 6) */
Test(cli_eqd2, time_and_lql) {
  cJSON *j;
  cr_assert_eq(run_rert_json("eqd2 --dose-gy 70 --fractions 35 --alpha-beta-gy 10 --tk-days 21 --dprolif-gy-per-day 0.9", &j), 0);
  near(json_path_num(j, "bed_gy"), 61.5, 1e-8);
  near(json_path_num(j, "schedule.overall_time_days"), 46, 1e-12);
  cJSON_Delete(j);
  cr_assert_eq(run_rert_json("eqd2 --dose 44Gy --fractions 5 --alpha-beta-gy 10 --lql-dt-gy 6.2", &j), 0);
  near(json_path_num(j, "bed_gy"), 79.34, 1e-8);
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "model_dependent")));
  cJSON_Delete(j);
  cr_assert_eq(run_rert_json("eqd2 --dose 60Gy --fractions 30 --alpha-beta-gy 10 --x-gy 1.5", &j), 0);
  near(json_path_num(j, "eqdx_gy"), 62.6087, 1e-5);
  cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "model_dependent")));
  cJSON_Delete(j);
}

/* proton physical dose × 1.1 (data/rbe.json): 50 Gy/25 phys → 55 Gy(RBE), EQD2(α/β 2) = 55·4.2/4 */
Test(cli_eqd2, proton) {
  cJSON *j;
  cr_assert_eq(run_rert_json("eqd2 --dose 50Gy --fractions 25 --alpha-beta-gy 2 --modality proton --rbe-model PHYSICAL", &j), 0);
  near(json_path_num(j, "eqd2_gy"), 55 * 4.2 / 4, 1e-8);
  cJSON_Delete(j);
  /* carbon LEM 51 Gy/17 → MKM per fraction 3.0/1.37 (Zhang 2020, §10.6) */
  cr_assert_eq(run_rert_json("eqd2 --dose 51Gy --fractions 17 --alpha-beta-gy 2 --modality carbon --rbe-model LEM_I --convert-to MKM", &j), 0);
  near(json_path_num(j, "schedule.dose_per_fraction_gy"), 3.0 / 1.37, 1e-8);
  cJSON_Delete(j);
}

/* §1.1 non-uniform fractions: 25 × 2 Gy + 5 × 3 Gy at α/β 2 → BED = 50·2 + 15·(1 + 3/2) = 137.5,
 * EQD2 = 68.75; 2, 2, 4 Gy at α/β 3 → 4·(1 + 2/3) + 4·(1 + 4/3) = 16 */
Test(cli_eqd2, nonuniform) {
  cJSON *j;
  cr_assert_eq(run_rert_json("eqd2 --fraction-doses-gy 25x2,5x3 --alpha-beta-gy 2", &j), 0);
  cr_assert_not_null(j);
  near(json_path_num(j, "bed_gy"), 137.5, 1e-9);
  near(json_path_num(j, "eqd2_gy"), 68.75, 1e-9);
  near(json_path_num(j, "schedule.fractions"), 30, 0);
  cJSON_Delete(j);
  cr_assert_eq(run_rert_json("eqd2 --fraction-doses-gy 2,2,4 --alpha-beta-gy 3", &j), 0);
  near(json_path_num(j, "bed_gy"), 16.0, 1e-9);
  cJSON_Delete(j);
  cr_assert_eq(run_rert("eqd2 --fraction-doses-gy 2,2,4 --fractions 4 --alpha-beta-gy 3", NULL, NULL), 2);
  cr_assert_eq(run_rert("eqd2 --fraction-doses-gy 0x2 --alpha-beta-gy 3", NULL, NULL), 2);
}

/* §10.3 inverse problems through the CLI: d for BED10 72 in 30 fx = 2.0; n for BED10 72 at
 * 2.5 Gy = 23.04 → 24 (BED 75.0); d for EQD2(α/β 3) 60 Gy in 5 fx = (−3 + √249)/2 */
Test(cli_eqd2, inverse) {
  cJSON *j;
  cr_assert_eq(run_rert_json("eqd2 --target-bed-gy 72 --fractions 30 --alpha-beta-gy 10", &j), 0);
  cr_assert_not_null(j);
  near(json_path_num(j, "dose_per_fraction_gy"), 2.0, 1e-9);
  cJSON_Delete(j);
  cr_assert_eq(run_rert_json("eqd2 --target-bed-gy 72 --dose-per-fraction 2.5Gy --alpha-beta-gy 10", &j), 0);
  near(json_path_num(j, "fractions_real"), 23.04, 1e-9);
  near(json_path_num(j, "fractions"), 24, 0);
  near(json_path_num(j, "bed_gy"), 75.0, 1e-9);
  cJSON_Delete(j);
  cr_assert_eq(run_rert_json("eqd2 --target-eqd2-gy 60 --fractions 5 --alpha-beta-gy 3", &j), 0);
  near(json_path_num(j, "dose_per_fraction_gy"), (-3 + sqrt(249.0)) / 2, 1e-9);
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "model_dependent"))); /* 6.39 Gy > 6 */
  cJSON_Delete(j);
  cr_assert_eq(run_rert("eqd2 --target-bed-gy 72 --alpha-beta-gy 10", NULL, NULL), 2);
}

/* bad input: one clear message, exit 2 */
Test(cli_eqd2, bad_input) {
  char *err = NULL;
  cr_assert_eq(run_rert("eqd2 --dose 46 --fractions 23 --alpha-beta-gy 2", NULL, &err), 2);
  cr_assert(strstr(err, "no unit"), "%s", err);
  free(err);
  cr_assert_eq(run_rert("eqd2 --dose 46Gy --fractions 0 --alpha-beta-gy 2", NULL, &err), 2);
  cr_assert(strstr(err, "fractions"), "%s", err);
  free(err);
  cr_assert_eq(run_rert("eqd2 --dose 46Gy --fractions -3 --alpha-beta-gy 2", NULL, NULL), 2);
  cr_assert_eq(run_rert("eqd2 --dose 46Gy --fractions 23 --alpha-beta-gy 0", NULL, NULL), 2);
  cr_assert_eq(run_rert("eqd2 --dose 46Gy --fractions 23 --alpha-beta-gy -2", NULL, NULL), 2);
  cr_assert_eq(run_rert("eqd2 --dose 46Gy --fractions 23 --tissue NoSuchOrgan", NULL, &err), 2);
  cr_assert(strstr(err, "NoSuchOrgan"), "%s", err);
  free(err);
  cr_assert_eq(run_rert("eqd2 --dose 46mm --fractions 23 --alpha-beta-gy 2", NULL, NULL), 2);
  cr_assert_eq(run_rert("eqd2 --dose 46Gy --fractions 23", NULL, NULL), 2); /* no α/β */
  cr_assert_eq(run_rert("eqd2 --dose 46Gy --fractions 23 --alpha-beta-gy 2 --bogus", NULL, NULL), 2);
  cr_assert_eq(run_rert("nosuchcommand", NULL, NULL), 2);
}

/* §10.6 CARE: brainstem prior EQD2 54 Gy, interval 30 months, limit 60 ×1.2 = 72, remaining 18,
 * max uniform reRT in 17 fx: d = 1.288077, D = 21.8973. Same at ≤ 24 months: remaining 6, D = 9.40076. */
Test(cli_budget, care_example) {
  cJSON *j;
  cr_assert_eq(run_rert_json("budget --organ Brainstem --prior 54Gy/27@2022-01-10 --start 2024-07-10 "
                             "--limit 60Gy --recovery care_uplift --fractions 17", &j), 0);
  cr_assert_not_null(j);
  near(json_path_num(j, "prior_courses.0.interval_months"), 912 / 30.4375, 1e-9); /* 912 days */
  near(json_path_num(j, "prior_courses.0.eqd2_gy"), 54, 1e-9);
  near(json_path_num(j, "limit.effective_eqd2_gy"), 72, 1e-9);
  near(json_path_num(j, "remaining_eqd2_gy"), 18, 1e-9);
  near(json_path_num(j, "max_new_dose.0.dose_per_fraction_gy"), 1.288077, 1e-6);
  near(json_path_num(j, "max_new_dose.0.total_dose_gy"), 21.8973, 1e-5);
  cJSON_Delete(j);
  cr_assert_eq(run_rert_json("budget --organ Brainstem --prior-eqd2 54Gy@2022-01-10 --start 2023-06-10 "
                             "--limit 60Gy --recovery care_uplift --fractions 17", &j), 0);
  near(json_path_num(j, "remaining_eqd2_gy"), 6, 1e-9);
  near(json_path_num(j, "max_new_dose.0.total_dose_gy"), 9.40076, 1e-5);
  cJSON_Delete(j);
}

/* Two prior courses, stepwise recovery (§3.1): cord 46/23 (EQD2 46) ended 8 months before start
 * (R 0.25 → 34.5) and 20/10 (EQD2 20) ended 5 months before (R 0 → 20): counted 54.5, limit 50
 * → remaining −4.5 → budget exhausted, exit 1. */
Test(cli_budget, two_courses_exhausted) {
  cJSON *j;
  int rc = run_rert_json("budget --organ SpinalCord --prior 46Gy/23@2025-05-01 --prior 20Gy/10@2025-08-01 "
                         "--start 2026-01-01 --limit 50Gy --recovery s4_stepwise", &j);
  cr_assert_eq(rc, 1);
  near(json_path_num(j, "recovered_prior_eqd2_gy"), 46 * 0.75 + 20, 1e-9);
  near(json_path_num(j, "remaining_eqd2_gy"), 50 - 54.5, 1e-9);
  near(json_path_num(j, "max_new_dose.0.total_dose_gy"), 0, 1e-12);
  cJSON_Delete(j);
}

/* --protocol: CARE (S0 Table 2) cord row for > 24 months is 60 Gy EQD2 at α/β 2; 46/23 ended
 * 2023-02-01, start 2026-01-05 (1069 d = 35.1 mo) → remaining 14; 30 fx:
 * d = [−2 + √(4 + 16·14/30)]/2. Jensen 2015: limit 50 with 50 % recovery built in → 50 − 23 = 27. */
Test(cli_budget, protocol_rows) {
  cJSON *j;
  cr_assert_eq(run_rert_json("budget --organ SpinalCord --prior 46Gy/23@2023-02-01 --start 2026-01-05 "
                             "--protocol care_s0 --fractions 30", &j), 0);
  cr_assert_not_null(j);
  near(json_path_num(j, "remaining_eqd2_gy"), 14, 1e-9);
  near(json_path_num(j, "max_new_dose.0.dose_per_fraction_gy"), (-2 + sqrt(4 + 16 * 14.0 / 30)) / 2, 1e-9);
  cJSON_Delete(j);
  /* same course 18 months before: the ≤ 24-month row (50 Gy) governs → remaining 4 */
  cr_assert_eq(run_rert_json("budget --organ SpinalCord --prior 46Gy/23@2024-07-05 --start 2026-01-05 "
                             "--protocol care_s0 --fractions 30", &j), 0);
  near(json_path_num(j, "remaining_eqd2_gy"), 4, 1e-9);
  cJSON_Delete(j);
  cr_assert_eq(run_rert_json("budget --organ SpinalCord --prior 46Gy/23@2023-02-01 --start 2026-01-05 "
                             "--protocol jensen2015 --fractions 30", &j), 0);
  near(json_path_num(j, "recovered_prior_eqd2_gy"), 23, 1e-9);
  near(json_path_num(j, "remaining_eqd2_gy"), 27, 1e-9);
  cJSON_Delete(j);
}

/* Intervals in months, as the literature quotes them (§10.6 CARE vector again): prior EQD2 54 Gy
 * "30 months" before the new course → limit 72, remaining 18, 17 fx → 21.8973 Gy; given as
 * @30mo or with --interval-months 30 (no dates needed); 20 months → the ≤ 24-month factor 1.0,
 * remaining 6. The JSON carries one alpha_beta_gy (the α/β the budget is computed at, the
 * governing row's) and the organ's own as organ_alpha_beta_gy. */
Test(cli_budget, interval_months) {
  cJSON *j;
  cr_assert_eq(run_rert_json("budget --organ Brainstem --prior-eqd2 54Gy@30mo --limit 60Gy --recovery care_uplift "
                             "--fractions 17", &j), 0);
  cr_assert_not_null(j);
  near(json_path_num(j, "prior_courses.0.interval_months"), 30, 1e-12);
  near(json_path_num(j, "remaining_eqd2_gy"), 18, 1e-9);
  near(json_path_num(j, "max_new_dose.0.total_dose_gy"), 21.8973, 1e-4);
  cJSON_Delete(j);
  cr_assert_eq(run_rert_json("budget --organ Brainstem --prior 54Gy/27 --interval-months 20 --limit 60Gy "
                             "--recovery care_uplift --fractions 17", &j), 0);
  near(json_path_num(j, "remaining_eqd2_gy"), 6, 1e-9);
  near(json_path_num(j, "max_new_dose.0.total_dose_gy"), 9.40076, 1e-5);
  cJSON_Delete(j);
  /* a top-level key printed twice would be invisible to a JSON parser (first wins): count the
   * top-level occurrences in the text (one tab of indentation) */
  char *out = NULL;
  cr_assert_eq(run_rert("budget --organ SpinalCord --prior 46Gy/23@30mo --protocol care_s0 --json", &out, NULL), 0);
  int count = 0;
  for (const char *q = out; (q = strstr(q, "\n\t\"alpha_beta_gy\"")); q++) count++;
  cr_assert_eq(count, 1, "alpha_beta_gy printed %d times at the top level: %s", count, out);
  cr_assert(strstr(out, "\"organ_alpha_beta_gy\""), "%s", out);
  free(out);
  /* neither a date nor an interval */
  char *err = NULL;
  cr_assert_eq(run_rert("budget --organ SpinalCord --prior 46Gy/23 --limit 50Gy", NULL, &err), 2);
  cr_assert(strstr(err, "--interval-months"), "%s", err);
  free(err);
  /* an end date without --start */
  cr_assert_eq(run_rert("budget --organ SpinalCord --prior 46Gy/23@2024-05-01 --limit 50Gy", NULL, &err), 2);
  cr_assert(strstr(err, "--start"), "%s", err);
  free(err);
}

Test(cli_budget, bad_input) {
  char *err = NULL;
  /* dates in the wrong order */
  cr_assert_eq(run_rert("budget --organ SpinalCord --prior 46Gy/23@2026-05-01 --start 2026-01-01 --limit 50Gy", NULL, &err), 2);
  cr_assert(strstr(err, "wrong order"), "%s", err);
  free(err);
  /* unit-less dose in the prior spec */
  cr_assert_eq(run_rert("budget --organ SpinalCord --prior 46/23@2024-05-01 --start 2026-01-01 --limit 50Gy", NULL, &err), 2);
  cr_assert(strstr(err, "no unit"), "%s", err);
  free(err);
  cr_assert_eq(run_rert("budget --organ SpinalCord --prior 46Gy/0@2024-05-01 --start 2026-01-01 --limit 50Gy", NULL, NULL), 2);
  cr_assert_eq(run_rert("budget --organ Nope --prior 46Gy/23@2024-05-01 --start 2026-01-01 --limit 50Gy", NULL, NULL), 2);
  cr_assert_eq(run_rert("budget --organ SpinalCord --prior 46Gy/23@2024-13-01 --start 2026-01-01 --limit 50Gy", NULL, NULL), 2);
  cr_assert_eq(run_rert("budget --organ SpinalCord --prior 46Gy/23@2024-05-01 --start 2026-01-01 --limit 50", NULL, NULL), 2);
  /* mixed carbon RBE systems without conversion */
  cr_assert_eq(run_rert("budget --organ Brainstem --prior 51Gy/17@2023-01-01:modality=carbon:rbe=LEM_I "
                        "--start 2026-01-01 --limit 60Gy --modality carbon --rbe-model MKM", NULL, &err), 2);
  cr_assert(strstr(err, "conversion"), "%s", err);
  free(err);
}

/* help, man and markdown are generated from the same tables */
Test(cli_help, generated) {
  char *out = NULL;
  cr_assert_eq(run_rert("help", &out, NULL), 0);
  cr_assert(strstr(out, "eqd2") && strstr(out, "budget"));
  free(out);
  cr_assert_eq(run_rert("budget --help", &out, NULL), 0);
  cr_assert(strstr(out, "--recovery") && strstr(out, "exit status"));
  free(out);
  cr_assert_eq(run_rert("help --man", &out, NULL), 0);
  cr_assert(strstr(out, ".TH RERT 1") && strstr(out, "budget"));
  free(out);
}
