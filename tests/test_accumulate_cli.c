/* test_accumulate_cli.c — `rert evaluate`, `rert solve`, `rert accumulate` and `rert protocols`
 * end to end. The point-dose case is hand-computable (EQD2 = D(D/n + a)/(2 + a), §1.1; CARE
 * S0 limits, §5.1/§10.6); the synthetic patient (when `rert phantom` is built) checks that every
 * protocol evaluates and explains its verdicts. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/run.h"

static const char *write_point_case(const char *recovery, const char *start2) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/case.json", test_tmpdir());
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  /* prior: brainstem 54 Gy / 27 fx (EQD2(2) 54), cord stated as EQD2 50 at a/b 2;
   * planned: 20 Gy / 10 fx prescription, cord point 10 Gy, brainstem none → prescription. */
  fprintf(f,
          "{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"T\",\"name\":\"t\",\"sex\":\"F\"},"
          "\"courses\":[{\"id\":\"course1\",\"role\":\"prior\",\"start_date\":\"2019-11-04\",\"end_date\":\"2021-02-06\","
          "\"modality\":\"photon\",\"technique\":\"IMRT\",\"fractions\":27,\"prescription_gy\":70,"
          "\"point_doses\":{\"Brainstem\":{\"dose_gy\":54,\"metric\":\"Dmax\"},"
          "\"SpinalCord\":{\"dose_gy\":50,\"metric\":\"Dmax\",\"quantity\":\"eqd2\",\"alpha_beta_gy\":2}}},"
          "{\"id\":\"course2\",\"role\":\"planned\",\"start_date\":\"%s\",\"end_date\":\"2025-01-01\","
          "\"modality\":\"photon\",\"technique\":\"IMRT\",\"fractions\":10,\"prescription_gy\":20,"
          "\"point_doses\":{\"SpinalCord\":{\"dose_gy\":10,\"metric\":\"Dmax\"}}}],"
          "\"recovery\":{\"default\":\"%s\"},\"protocols\":[\"care_s0\"]}\n",
          start2, recovery);
  fclose(f);
  return path;
}

static const cJSON *row(const cJSON *root, const char *id) {
  const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "evaluations"), 0), *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(ev, "constraints"))
    if (!strcmp(cJSON_GetObjectItem(r, "id")->valuestring, id)) return r;
  return NULL;
}

/* 30.0 months (2021-02-06 → 2023-08-08, 913 d): brainstem 54 + 20·4/4 = 74 > 72 → exit 1;
 * cord 50 + 10·3/4 = 57.5 ≤ 60 → pass. */
Test(accumulate_cli, evaluate_point_case_care) {
  char args[1200];
  snprintf(args, sizeof args, "evaluate %s", write_point_case("none", "2023-08-08"));
  cJSON *j = NULL;
  cr_assert_eq(run_rert_json(args, &j), 1);
  cr_assert_not_null(j);
  const cJSON *b = row(j, "brainstem_gt24"), *c = row(j, "cord_gt24");
  cr_assert_not_null(b);
  cr_assert_float_eq(cJSON_GetObjectItem(b, "value")->valuedouble, 74, 1e-4);
  cr_assert_float_eq(cJSON_GetObjectItem(b, "margin")->valuedouble, -2, 1e-4);
  cr_assert_str_eq(cJSON_GetObjectItem(b, "verdict")->valuestring, "FAIL");
  cr_assert_float_eq(cJSON_GetObjectItem(c, "value")->valuedouble, 57.5, 1e-4);
  cr_assert_str_eq(cJSON_GetObjectItem(row(j, "cord_le24"), "verdict")->valuestring, "not applicable");
  cr_assert_str_eq(json_path_str(j, "verdict"), "FAIL");
  cJSON_Delete(j);
}

/* S4 stepwise at 12+ months halves the prior: brainstem 27 + 20 = 47; cord 25 + 7.5 = 32.5.
 * 2021-02-06 → 2023-08-08 is ≥ 12 months. With care_s0 (recovery "none" is built into the
 * limit) the prior is NOT discounted, so the verdict stays FAIL even with s4_stepwise in the
 * case: the limit assumes its own recovery. s4_textbook (recovery "case") does discount:
 * cord D0.1cc = 32.5. */
Test(accumulate_cli, case_recovery_only_where_protocol_defers) {
  char args[1200];
  snprintf(args, sizeof args, "evaluate %s --protocol care_s0", write_point_case("s4_stepwise", "2023-08-08"));
  cJSON *j = NULL;
  cr_assert_eq(run_rert_json(args, &j), 1);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "brainstem_gt24"), "value")->valuedouble, 74, 1e-4);
  cJSON_Delete(j);
  snprintf(args, sizeof args, "evaluate %s --protocol s4_textbook", write_point_case("s4_stepwise", "2023-08-08"));
  /* the point case has no carotid or mandible: those acceptable rows are not evaluated, so the
   * verdict is INCOMPLETE (exit 4), never PASS */
  cr_assert_eq(run_rert_json(args, &j), 4);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "cord_d01cc"), "value")->valuedouble, 32.5, 1e-4);
  cr_assert_str_eq(json_path_str(j, "verdict"), "INCOMPLETE");
  cr_assert_str_eq(cJSON_GetObjectItem(row(j, "carotid_cum_upper"), "status")->valuestring, "not_evaluated");
  cr_assert_str_eq(cJSON_GetObjectItem(row(j, "carotid_cum_upper"), "reason")->valuestring, "structure_missing");
  cJSON_Delete(j);
}

/* ≤ 24 months (2021-02-06 → 2022-06-01, 480 d = 15.8 mo): brainstem limit 60 → margin −14. */
Test(accumulate_cli, evaluate_point_case_short_interval) {
  char args[1200];
  snprintf(args, sizeof args, "evaluate %s", write_point_case("none", "2022-06-01"));
  cJSON *j = NULL;
  cr_assert_eq(run_rert_json(args, &j), 1);
  cr_assert_float_eq(cJSON_GetObjectItem(row(j, "brainstem_le24"), "margin")->valuedouble, -14, 1e-4);
  cr_assert_str_eq(cJSON_GetObjectItem(row(j, "brainstem_gt24"), "verdict")->valuestring, "not applicable");
  cJSON_Delete(j);
}

/* Solver, 60 Gy / 30 fx with the brainstem at the prescription and 18 Gy EQD2 left:
 * P(P/30 + 2)/4 = 18 → P = 15(−2 + sqrt(13.6)) = 25.317 Gy (§1.2 closed form). */
Test(accumulate_cli, solve_point_case) {
  char args[1200];
  snprintf(args, sizeof args, "solve %s", write_point_case("none", "2023-08-08"));
  cJSON *j = NULL;
  run_rert_json(args, &j);
  cr_assert_not_null(j);
  const cJSON *r;
  int seen = 0;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(j, "regimens")) {
    if (strcmp(cJSON_GetObjectItem(r, "name")->valuestring, "60Gy_30fx")) continue;
    seen = 1;
    cr_assert_float_eq(cJSON_GetObjectItem(r, "max_prescription_gy")->valuedouble, 15 * (-2 + sqrt(13.6)), 0.011);
    const cJSON *lim = cJSON_GetObjectItem(r, "limiting");
    cr_assert_str_eq(cJSON_GetObjectItem(lim, "constraint_id")->valuestring, "brainstem_gt24");
    cr_assert_str_eq(cJSON_GetObjectItem(lim, "structure")->valuestring, "Brainstem");
    cr_assert_float_eq(cJSON_GetObjectItem(lim, "limit")->valuedouble, 72, 1e-12);
    /* 25.3 Gy < the regimen's 50 Gy minimum: infeasible, and said so */
    cr_assert_str_eq(cJSON_GetObjectItem(r, "status")->valuestring, "infeasible");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(r, "feasible")));
  }
  cr_assert(seen);
  cJSON_Delete(j);
}

Test(accumulate_cli, bad_input_exit_2) {
  char *out = NULL, *err = NULL;
  cr_assert_eq(run_rert("evaluate /nonexistent/case.json --protocol care_s0", &out, &err), 2);
  free(out); free(err); out = err = NULL;
  char args[1200];
  snprintf(args, sizeof args, "evaluate %s --protocol no_such_protocol", write_point_case("none", "2023-08-08"));
  cr_assert_eq(run_rert(args, &out, &err), 2);
  cr_assert(err && strstr(err, "no_such_protocol"), "%s", err ? err : "");
  free(out); free(err);
}

Test(accumulate_cli, protocols_list_show) {
  cJSON *j = NULL;
  cr_assert_eq(run_rert_json("protocols list", &j), 0);
  cr_assert_geq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "protocols")), 15);
  cJSON_Delete(j);
  char *out = NULL;
  cr_assert_eq(run_rert("protocols show care_s2", &out, NULL), 0);
  cr_assert(strstr(out, "78") && strstr(out, "CONFLICT") && strstr(out, "S2"));
  free(out);
  out = NULL;
  cr_assert_eq(run_rert("protocols show nope", &out, NULL), 2);
  free(out);
}

/* Synthetic patient: every shipped protocol evaluates (exit 0 or 1, never an error) and each
 * evaluated row carries an explanation naming its α/β. Skipped while `rert phantom` is absent. */
Test(accumulate_cli, phantom_every_protocol) {
  char args[1200], *out = NULL, *err = NULL;
  const char *dir = test_tmpdir();
  snprintf(args, sizeof args, "phantom --out %s/pt", dir);
  int rc = run_rert(args, &out, &err);
  free(out);
  if (rc != 0) {
    free(err);
    cr_skip_test("rert phantom not available or failed");
  }
  free(err);
  /* the phantom's case file must load before protocols can be checked on it */
  snprintf(args, sizeof args, "evaluate %s/pt/case.json --protocol care_s0", dir);
  out = err = NULL;
  rc = run_rert(args, &out, &err);
  if (rc == 2) {
    fprintf(stderr, "phantom case not loadable: %s", err ? err : "");
    free(out);
    free(err);
    cr_skip_test("phantom case file does not load (phantom/casefile integration)");
  }
  free(out);
  free(err);
  /* all protocols in one run (one load of the case; keeps the ASan build fast) */
  cJSON *list = NULL;
  cr_assert_eq(run_rert_json("protocols list", &list), 0);
  const cJSON *p;
  size_t L = (size_t)snprintf(args, sizeof args, "evaluate %s/pt/case.json", dir);
  int np = 0;
  cJSON_ArrayForEach(p, cJSON_GetObjectItem(list, "protocols")) {
    L += (size_t)snprintf(args + L, sizeof args - L, " --protocol %s", cJSON_GetObjectItem(p, "name")->valuestring);
    np++;
  }
  cr_assert_lt(L, sizeof args);
  cJSON *j = NULL;
  rc = run_rert_json(args, &j);
  cr_assert(rc == 0 || rc == 1, "%s: exit %d", args, rc);
  cr_assert_not_null(j);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "evaluations")), np);
  const cJSON *ev;
  cJSON_ArrayForEach(ev, cJSON_GetObjectItem(j, "evaluations")) {
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(ev, "constraints")) {
      const char *v = cJSON_GetObjectItem(r, "verdict")->valuestring;
      if (!strcmp(v, "PASS") || !strcmp(v, "FAIL"))
        cr_assert(strstr(cJSON_GetObjectItem(r, "explanation")->valuestring, "a/b") ||
                      !strcmp(cJSON_GetObjectItem(r, "quantity")->valuestring, "dose"),
                  "%s", cJSON_GetObjectItem(r, "explanation")->valuestring);
    }
  }
  cJSON_Delete(j);
  cJSON_Delete(list);
}

/* `rert accumulate` on the point case with the CARE budget in 17 fractions: brainstem remaining
 * 72 − 54 = 18 → D = 21.8973 Gy (§10.6 vector); cord remaining 60 − 50 = 10 →
 * d = (−2 + sqrt(4 + 16·10/17))/2 = 0.831103, D = 14.1288 Gy (§1.2 closed form). Only
 * accumulate.json is written for a point case. */
Test(accumulate_cli, accumulate_point_budget) {
  char args[1200];
  const char *cs = write_point_case("none", "2023-08-08");
  snprintf(args, sizeof args, "accumulate %s --out %s/acc --protocol care_s0 --budget-fractions 17", cs, test_tmpdir());
  cJSON *j = NULL;
  cr_assert_eq(run_rert_json(args, &j), 0);
  cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "point_dose_case")));
  const cJSON *s;
  int seen = 0;
  cJSON_ArrayForEach(s, cJSON_GetObjectItem(j, "structures")) {
    const char *n = cJSON_GetObjectItem(s, "name")->valuestring;
    double x = cJSON_GetObjectItem(s, "min_max_new_dose_gy")->valuedouble;
    if (!strcmp(n, "Brainstem")) { seen++; cr_assert_float_eq(x, 21.8973, 1e-3); }
    if (!strcmp(n, "SpinalCord")) { seen++; cr_assert_float_eq(x, 17 * (-2 + sqrt(4 + 16 * 10 / 17.0)) / 2, 1e-3); }
  }
  cr_assert_eq(seen, 2);
  cJSON_Delete(j);
}

/* A case-file structure override ($.overrides {"structure", "alpha_beta_gy", "recovery",
 * "reason"}) is applied by every accumulation built from a case file. Prior brainstem 60 Gy in
 * 20 fx (3 Gy/fx), planned 20 Gy in 10 fx (2 Gy/fx, EQD2 20 at any α/β), 30 months apart; a test
 * row "Brainstem Dmax <= 100 Gy EQD2" that states no α/β and takes the case's recovery:
 *   no override: α/β 2 (data/tissues.json), no recovery: 60(3 + 2)/4 + 20 = 95;
 *   override α/β 3, recovery s4_stepwise (≥ 12 months: R = 0.5): 60(3 + 3)/5·0.5 + 20 = 56.
 * The CARE brainstem row states α/β 2 and "recovery none": unchanged, 75 + 20 = 95 > 72. */
Test(accumulate_cli, structure_override_applied) {
  char dir[1024], cpath[1200], ppath[1200];
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  snprintf(ppath, sizeof ppath, "%s/ovr_proto.json", dir);
  FILE *f = fopen(ppath, "w");
  cr_assert_not_null(f);
  fputs("{\"schema\": \"rert-protocol/1\", \"name\": \"ovr\", \"title\": \"t\", \"source\": \"test\", \"verified\": true,"
        " \"constraints\": [{\"id\": \"bs\", \"organ\": \"Brainstem\", \"metric\": \"Dmax\", \"limit_gy\": 100,"
        " \"comparator\": \"<=\", \"tier\": \"mandatory\", \"scope\": \"cumulative\", \"quantity\": \"EQD2\","
        " \"alpha_beta_gy\": null, \"recovery\": \"case\", \"source\": \"test\", \"verified\": true}]}\n", f);
  fclose(f);
  for (int ov = 0; ov < 2; ov++) {
    snprintf(cpath, sizeof cpath, "%s/ovr_case%d.json", dir, ov);
    f = fopen(cpath, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "{\"schema\":\"rert-case/1\",\"patient\":{\"id\":\"T\",\"name\":\"t\",\"sex\":\"F\"},"
            "\"courses\":[{\"id\":\"course1\",\"role\":\"prior\",\"start_date\":\"2020-12-01\",\"end_date\":\"2021-02-06\","
            "\"modality\":\"photon\",\"technique\":\"IMRT\",\"fractions\":20,\"prescription_gy\":60,"
            "\"point_doses\":{\"Brainstem\":{\"dose_gy\":60,\"metric\":\"Dmax\"}}},"
            "{\"id\":\"course2\",\"role\":\"planned\",\"start_date\":\"2023-08-08\",\"end_date\":\"2023-08-22\","
            "\"modality\":\"photon\",\"technique\":\"IMRT\",\"fractions\":10,\"prescription_gy\":20}]%s}\n",
            ov ? ",\"overrides\":[{\"structure\":\"Brainstem\",\"alpha_beta_gy\":3,\"recovery\":\"s4_stepwise\","
                 "\"reason\":\"physician: brainstem alpha/beta 3 and stepwise recovery for this patient\"}]"
               : "");
    fclose(f);
    char args[3000];
    snprintf(args, sizeof args, "evaluate %s --protocol %s --protocol care_s0", cpath, ppath);
    cJSON *j = NULL;
    run_rert_json(args, &j);
    cr_assert_not_null(j);
    const cJSON *r = row(j, "bs");
    cr_assert_not_null(r);
    cr_assert_float_eq(cJSON_GetObjectItem(r, "value")->valuedouble, ov ? 56 : 95, 1e-6, "override %d", ov);
    cr_assert_float_eq(cJSON_GetObjectItem(r, "alpha_beta_gy")->valuedouble, ov ? 3 : 2, 1e-12);
    /* the CARE row keeps the α/β and recovery it is defined with */
    const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "evaluations"), 1), *c;
    int seen = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(ev, "constraints")) {
      if (strcmp(cJSON_GetObjectItem(c, "id")->valuestring, "brainstem_gt24")) continue;
      seen = 1;
      cr_assert_float_eq(cJSON_GetObjectItem(c, "value")->valuedouble, 95, 1e-6);
    }
    cr_assert(seen);
    cJSON_Delete(j);
  }
}
