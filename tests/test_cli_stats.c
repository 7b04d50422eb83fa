/* test_cli_stats.c — the `rert trial`, `rert survival` and `rert recist` commands end to end.
 *
 * Expected values: issue #9 / R survival (aml log-rank 3.3963886990, Cox Efron 0.915532575,
 * lung median 310 (285–363)), domain-reference §10.8–§10.10 and §10.12; exit codes from the
 * project conventions (0 ok, 1 verdict, 2 bad input).
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(const char *args, char **out) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cd %s && %s %s 2>/dev/null", RERT_SOURCE_DIR, RERT_BIN, args);
  FILE *p = popen(cmd, "r");
  cr_assert(p);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t k;
  while ((k = fread(buf + n, 1, cap - n - 1, p)) > 0) {
    n += k;
    if (n + 1 >= cap) buf = realloc(buf, cap *= 2);
  }
  buf[n] = 0;
  int st = pclose(p);
  *out = buf;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double num(const cJSON *o, const char *path) {
  /* dotted path with numeric indices: "curves.0.median" */
  char tmp[256];
  snprintf(tmp, sizeof tmp, "%s", path);
  const cJSON *c = o;
  for (char *tok = strtok(tmp, "."); tok && c; tok = strtok(NULL, "."))
    c = (tok[0] >= '0' && tok[0] <= '9') ? cJSON_GetArrayItem(c, atoi(tok))
                                         : cJSON_GetObjectItemCaseSensitive(c, tok);
  cr_assert(c && cJSON_IsNumber(c), "no number at %s", path);
  return c->valuedouble;
}

Test(cli_stats, trial_design_s3_check) {
  char *o;
  int rc = run("trial design --p0 0.5 --p1 0.7 --n 37 --r 23 --json", &o);
  cr_assert_eq(rc, 1, "23 of 37 misses alpha: verdict exit 1");
  cJSON *j = cJSON_Parse(o);
  cr_assert(j);
  cr_assert(fabs(num(j, "given_single.alpha") - 0.093871) < 1e-6); /* §10.9 */
  cr_assert_eq((int)num(j, "single_stage.r"), 24);
  cr_assert_eq((int)num(j, "simon_minimax.n"), 37); /* §10.10 */
  cr_assert(fabs(num(j, "simon_optimal.en0") - 23.501343) < 1e-6);
  cJSON_Delete(j);
  free(o);
  rc = run("trial design --p0 0.5 --p1 0.7 --simon 12/23,23/37", &o);
  cr_assert_eq(rc, 0);
  free(o);
  cr_assert_eq(run("trial design --p0 0.7 --p1 0.5", &o), 2);
  free(o);
}

Test(cli_stats, survival_km_logrank_cox) {
  char *o;
  cr_assert_eq(run("survival km tests/data/lung.csv --json", &o), 0);
  cJSON *j = cJSON_Parse(o);
  cr_assert(j);
  cr_assert_eq(num(j, "curves.0.median"), 310);
  cr_assert_eq(num(j, "curves.0.median_lower"), 285);
  cr_assert_eq(num(j, "curves.0.median_upper"), 363);
  cJSON_Delete(j);
  free(o);
  cr_assert_eq(run("survival logrank tests/data/aml.csv --group x --json", &o), 0);
  j = cJSON_Parse(o);
  cr_assert(fabs(num(j, "chisq") - 3.3963886990) < 1e-8);
  cJSON_Delete(j);
  free(o);
  cr_assert_eq(run("survival cox tests/data/aml.csv --covariate x --json", &o), 0);
  j = cJSON_Parse(o);
  cr_assert(fabs(num(j, "coefficients.0.coef") - 0.915532575) < 1e-8);
  cJSON_Delete(j);
  free(o);
  cr_assert_eq(run("survival cox tests/data/aml.csv --covariate x --ties breslow --json", &o), 0);
  j = cJSON_Parse(o);
  cr_assert(fabs(num(j, "coefficients.0.coef") - 0.904219724) < 1e-8);
  cJSON_Delete(j);
  free(o);
  /* Gray's test via the CLI (cmprsk: 2.298111299417) */
  cr_assert_eq(run("survival cif tests/data/crr.csv --group group --json", &o), 0);
  j = cJSON_Parse(o);
  cr_assert(fabs(num(j, "gray_tests.0.stat") - 2.298111299417) < 1e-8);
  cJSON_Delete(j);
  free(o);
  /* --rho as cmprsk::cuminc(rho = 1): 2.69819206617 */
  cr_assert_eq(run("survival cif tests/data/crr.csv --group group --rho 1 --json", &o), 0);
  j = cJSON_Parse(o);
  cr_assert(fabs(num(j, "gray_tests.0.stat") - 2.69819206617) < 1e-8);
  cr_assert(fabs(num(j, "gray_rho") - 1) < 1e-15);
  cJSON_Delete(j);
  free(o);
}

/* KM table as R's survfit: censor-only times are rows with n.event 0 and their n.censor
 * (aml, Maintained arm; tests/reference/survival_reference.out). */
Test(cli_stats, km_table_censor_rows) {
  char *o;
  cr_assert_eq(run("survival km tests/data/aml.csv --group x --json", &o), 0);
  cJSON *j = cJSON_Parse(o);
  cr_assert_not_null(j);
  const cJSON *curves = cJSON_GetObjectItem(j, "curves"), *c, *m = NULL;
  cJSON_ArrayForEach(c, curves)
    if (!strcmp(cJSON_GetObjectItem(c, "group")->valuestring, "Maintained")) m = c;
  cr_assert_not_null(m);
  const cJSON *tb = cJSON_GetObjectItem(m, "table");
  static const double t[] = {9, 13, 18, 23, 28, 31, 34, 45, 48, 161};
  static const int nr[] = {11, 10, 8, 7, 6, 5, 4, 3, 2, 1}, ne[] = {1, 1, 1, 1, 0, 1, 1, 0, 1, 0},
                   nc[] = {0, 1, 0, 0, 1, 0, 0, 1, 0, 1};
  static const double sv[] = {0.909090909091, 0.818181818182, 0.715909090909, 0.613636363636,
                              0.613636363636, 0.490909090909, 0.368181818182, 0.368181818182,
                              0.184090909091, 0.184090909091};
  cr_assert_eq(cJSON_GetArraySize(tb), 10);
  for (int i = 0; i < 10; i++) {
    const cJSON *r = cJSON_GetArrayItem(tb, i);
    cr_assert(fabs(cJSON_GetObjectItem(r, "time")->valuedouble - t[i]) < 1e-12);
    cr_assert_eq(cJSON_GetObjectItem(r, "n_risk")->valueint, nr[i]);
    cr_assert_eq(cJSON_GetObjectItem(r, "n_event")->valueint, ne[i]);
    cr_assert_eq(cJSON_GetObjectItem(r, "n_censor")->valueint, nc[i], "row %d", i);
    cr_assert(fabs(cJSON_GetObjectItem(r, "surv")->valuedouble - sv[i]) < 1e-11);
  }
  cJSON_Delete(j);
  free(o);
  /* text: the censor-only row 28 is printed with n.censor 1 */
  cr_assert_eq(run("survival km tests/data/aml.csv --group x --table", &o), 0);
  cr_assert(strstr(o, "n.censor"), "%s", o);
  cr_assert(strstr(o, "        28       6        0         1   0.613636"), "%s", o);
  free(o);
}

Test(cli_stats, survival_plot_and_bad_input) {
  char *o, path[512], args[1024];
  snprintf(path, sizeof path, "%s/test_cli_stats_km.svg", RERT_BUILD_DIR);
  unlink(path);
  snprintf(args, sizeof args, "survival km tests/data/aml.csv --group x --plot %s", path);
  cr_assert_eq(run(args, &o), 0);
  free(o);
  FILE *f = fopen(path, "r");
  cr_assert(f, "plot written");
  char head[64] = {0};
  cr_assert(fread(head, 1, 20, f) > 0);
  fclose(f);
  cr_assert(strncmp(head, "<?xml", 5) == 0);
  unlink(path);
  cr_assert_eq(run("survival km tests/data/aml.csv --time nosuch", &o), 2);
  free(o);
  cr_assert_eq(run("survival km /nonexistent.csv", &o), 2);
  free(o);
  cr_assert_eq(run("survival logrank tests/data/aml.csv", &o), 2); /* needs --group */
  free(o);
}

Test(cli_stats, titecrm_and_recist) {
  char path[512], args[1024], *o;
  snprintf(path, sizeof path, "%s/test_cli_stats_pts.csv", RERT_BUILD_DIR);
  FILE *f = fopen(path, "w");
  fputs("level,dlt,followup\n2,1,2\n2,1,3\n2,0,6\n2,0,6\n", f);
  fclose(f);
  snprintf(args, sizeof args,
           "trial titecrm --skeleton 0.05,0.10,0.20,0.30,0.40,0.50 --target 0.25 --patients %s "
           "--json", path);
  cr_assert_eq(run(args, &o), 1, "no admissible dose is a stop verdict (exit 1)");
  cJSON *j = cJSON_Parse(o);
  cr_assert(j);
  cr_assert(fabs(num(j, "beta_mean") - (-1.00241128467)) < 1e-8); /* §10.8 D */
  cr_assert_str_eq(cJSON_GetObjectItem(j, "state")->valuestring, "no_admissible_dose");
  cJSON_Delete(j);
  free(o);
  unlink(path);
  snprintf(path, sizeof path, "%s/test_cli_stats_les.csv", RERT_BUILD_DIR);
  f = fopen(path, "w");
  fputs("day,kind,lesion,diameter_mm\n0,target,a,20\n60,target,a,24\n", f);
  fclose(f);
  snprintf(args, sizeof args, "recist %s --json", path);
  cr_assert_eq(run(args, &o), 0);
  cr_assert(strstr(o, "\"best_overall_response\":\t\"SD\""), "%s", o); /* §10.12, RECIST 1.1 */
  free(o);
  snprintf(args, sizeof args, "recist %s --rule s3-legacy --json", path);
  cr_assert_eq(run(args, &o), 0);
  cr_assert(strstr(o, "\"best_overall_response\":\t\"PD\"")); /* §10.12, S3 rule */
  free(o);
  unlink(path);
}

Test(cli_stats, malformed_csv_is_bad_input) {
  /* hand-made malformed files: every one must give exit 2, never a crash or partial output */
  const char *bodies[] = {"", "time,status\n1,1\n2\n", "time,status\n\"1,1\n",
                          "time,status\n-1,1\n", "time,status\n1,7\n", "time,status\nx,1\n",
                          "time,status\n1e999,1\n"};
  char path[512], args[1024], *o;
  snprintf(path, sizeof path, "%s/test_cli_stats_bad.csv", RERT_BUILD_DIR);
  for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
    FILE *f = fopen(path, "w");
    fputs(bodies[i], f);
    fclose(f);
    snprintf(args, sizeof args, "survival km %s", path);
    cr_assert_eq(run(args, &o), 2, "case %zu", i);
    free(o);
    snprintf(args, sizeof args, "recist %s", path);
    cr_assert_eq(run(args, &o), 2, "recist case %zu", i);
    free(o);
    snprintf(args, sizeof args, "trial titecrm --skeleton 0.1,0.2 --patients %s", path);
    cr_assert_eq(run(args, &o), 2, "titecrm case %zu", i);
    free(o);
  }
  unlink(path);
}

Test(cli_stats, lung_factor_cox_plain_ci_groups) {
  /* R survival 3.5.3 (tests/reference/survival_reference.R): coxph(~factor(ph.ecog), lung),
   * survfit(conf.type = "plain"), survfit(~sex) medians */
  char *o;
  cr_assert_eq(run("survival cox tests/data/lung.csv --covariate ph.ecog --factor ph.ecog --json",
                   &o), 0);
  cJSON *j = cJSON_Parse(o);
  cr_assert(j);
  cr_assert(fabs(num(j, "coefficients.0.coef") - 0.368840089769) < 1e-9);
  cr_assert(fabs(num(j, "coefficients.2.coef") - 2.207980255500) < 1e-9);
  cr_assert(fabs(num(j, "coefficients.2.se") - 1.025833223775) < 1e-9);
  cr_assert(fabs(num(j, "lr_chisq") - 18.4445456346) < 1e-8);
  cr_assert(fabs(num(j, "score_chisq") - 21.968052279) < 1e-8);
  cr_assert_eq((int)num(j, "df"), 3);
  cJSON_Delete(j);
  free(o);
  cr_assert_eq(run("survival cox tests/data/lung.csv --covariate ph.ecog --factor ph.ecog "
                   "--ties breslow --json", &o), 0);
  j = cJSON_Parse(o);
  cr_assert(fabs(num(j, "coefficients.1.coef") - 0.914694062618) < 1e-9);
  cr_assert(fabs(num(j, "score_chisq") - 21.9025192126) < 1e-8);
  cJSON_Delete(j);
  free(o);
  cr_assert_eq(run("survival km tests/data/lung.csv --conf-type plain --at 365 --json", &o), 0);
  j = cJSON_Parse(o);
  cr_assert(fabs(num(j, "curves.0.at.0.lower") - 0.339028583848) < 1e-10);
  cr_assert(fabs(num(j, "curves.0.at.0.upper") - 0.479454665072) < 1e-10);
  cr_assert_eq(num(j, "curves.0.median_lower"), 284);
  cJSON_Delete(j);
  free(o);
  cr_assert_eq(run("survival km tests/data/lung.csv --group sex --json", &o), 0);
  j = cJSON_Parse(o);
  cr_assert_eq(num(j, "curves.0.median"), 270);
  cr_assert_eq(num(j, "curves.0.median_lower"), 212);
  cr_assert_eq(num(j, "curves.0.median_upper"), 310);
  cr_assert_eq(num(j, "curves.1.median"), 426);
  cr_assert_eq(num(j, "curves.1.median_lower"), 348);
  cr_assert_eq(num(j, "curves.1.median_upper"), 550);
  cJSON_Delete(j);
  free(o);
  cr_assert_eq(run("survival cox tests/data/lung.csv --covariate age --factor sex", &o), 2);
  free(o);
}

Test(cli_stats, trial_final_logistic) {
  /* R glm(binomial) (tests/reference/titecrm_reference.R): pDLT at 60 GyE = 0.38309989130441 */
  char path[512], args[1024], *o;
  snprintf(path, sizeof path, "%s/test_cli_stats_final.csv", RERT_BUILD_DIR);
  FILE *f = fopen(path, "w");
  int y[25] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0};
  fputs("level,dlt,followup\n", f);
  for (int i = 0; i < 25; i++) fprintf(f, "%d,%d,6\n", i < 6 ? 2 : i < 12 ? 3 : i < 20 ? 4 : 5, y[i]);
  fclose(f);
  snprintf(args, sizeof args,
           "trial final --doses 52.5,55,57.5,60,62.5,65 --patients %s --target 0.25 --json", path);
  cr_assert_eq(run(args, &o), 0);
  cJSON *j = cJSON_Parse(o);
  cr_assert(j);
  cr_assert(fabs(num(j, "levels.3.ptox") - 0.38309989130441) < 1e-9);
  cr_assert(fabs(num(j, "b") - 0.29846829204577) < 1e-9);
  cr_assert_eq((int)num(j, "recommended_level"), 3);
  cJSON_Delete(j);
  free(o);
  unlink(path);
}
