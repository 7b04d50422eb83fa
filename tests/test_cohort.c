/* test_cohort.c — `rert cohort` and `rert phantom --cohort` end to end (docs/cohort.md).
 *
 * Independent sources of the expected values:
 *  - the registry is read with the sqlite3 command-line client, not through rert;
 *  - registry metrics equal `rert evaluate --json` of the same case with an informational
 *    protocol written here (same engine, separate code path: plumbing check, 1e-9), and an
 *    independent recomputation by pydicom/numpy (tests/cohort_recompute.py: node-value bracket of
 *    Dmax and the generator's truth within 1 %);
 *  - (the synthetic cohort's recovery of the stated model is test_cohort_synthetic.c);
 *  - survival analyses on registry columns equal `rert survival` on the exported CSV (itself
 *    checked against R in test_survival).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/run.h"

static char *sh_out(const char *cmd) {
  FILE *p = popen(cmd, "r");
  cr_assert(p, "%s", cmd);
  size_t cap = 1 << 16, n = 0, k;
  char *b = malloc(cap);
  while ((k = fread(b + n, 1, cap - n - 1, p)) > 0) {
    n += k;
    if (cap - n < 2) b = realloc(b, cap *= 2);
  }
  b[n] = 0;
  pclose(p);
  while (n && (b[n - 1] == '\n' || b[n - 1] == ' ')) b[--n] = 0;
  return b;
}

/* one number from the registry through the sqlite3 CLI */
static double sql_num(const char *reg, const char *sql) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "sqlite3 -batch '%s' \"%s\"", reg, sql);
  char *s = sh_out(cmd);
  double v = *s ? atof(s) : NAN;
  free(s);
  return v;
}

static const char *cohort_dir(const char *tmp, const char *name, int n, int seed, const char *extra) {
  static char dir[1024];
  snprintf(dir, sizeof dir, "%s/%s", tmp, name);
  char args[2048];
  snprintf(args, sizeof args, "phantom --out %s --cohort %d --seed %d %s", dir, n, seed, extra ? extra : "");
  cr_assert_eq(run_rert(args, NULL, NULL), 0, "rert %s", args);
  return dir;
}

Test(cohort, run_idempotent_failures_recorded) {
  const char *tmp = test_tmpdir();
  char dir[1024], reg[1200], man[1200], args[4096], *out = NULL, *err = NULL;
  snprintf(dir, sizeof dir, "%s", cohort_dir(tmp, "coh", 6, 5, NULL));
  /* manifest with three bad rows: a missing case file, a corrupted case file, an export folder */
  snprintf(man, sizeof man, "%s/manifest_bad.csv", dir);
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "cp %s/manifest.csv %s && printf 'cX1,cases/nope/case.json,A,0,,0,,0,,2024-01-01\\n"
           "cX2,cases/c0001/broken.json,A,0,,0,,0,,2024-01-01\\n' >> %s && head -c 100 %s/cases/c0001/case.json > %s/cases/c0001/broken.json",
           dir, man, man, dir, dir);
  cr_assert_eq(system(cmd), 0);
  snprintf(reg, sizeof reg, "%s/reg.sqlite", tmp);
  snprintf(args, sizeof args, "cohort run %s --registry %s --jobs 2 --json", man, reg);
  cJSON *j = NULL;
  int rc = run_rert_json(args, &j);
  cr_assert_eq(rc, 4, "failed cases make the cohort INCOMPLETE (exit 4), got %d", rc);
  cr_assert(j);
  cr_assert_eq(json_path_num(j, "ok"), 6);
  cr_assert_eq(json_path_num(j, "failed"), 2);
  cr_assert_eq(json_path_num(j, "skipped"), 0);
  cJSON_Delete(j);
  /* read back independently */
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM cases"), 8);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM cases WHERE status='ok'"), 6);
  char *e1 = sh_out((snprintf(cmd, sizeof cmd, "sqlite3 -batch %s \"SELECT error FROM cases WHERE case_id='cX1'\"", reg), cmd));
  cr_assert(strstr(e1, "nope/case.json"), "the error names the file: %s", e1);
  free(e1);
  char *e2 = sh_out((snprintf(cmd, sizeof cmd, "sqlite3 -batch %s \"SELECT error_kind || ' ' || error FROM cases WHERE case_id='cX2'\"", reg), cmd));
  cr_assert(strstr(e2, "input") && strstr(e2, "broken.json"), "%s", e2);
  free(e2);
  double nmet = sql_num(reg, "SELECT count(*) FROM metrics");
  /* 6 cases × 5 structures (External is not a dose structure... every accumulated structure) × 4 metrics × 4 assumptions */
  cr_assert_gt(nmet, 0);
  cr_assert_eq(fmod(nmet, 16), 0, "4 metrics x 4 assumptions per structure");
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM (SELECT case_pk, recovery, structure, metric, count(*) n FROM metrics GROUP BY 1,2,3,4 HAVING n > 1)"), 0);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM outcomes WHERE kind='toxicity'"), 8);
  cr_assert_eq(sql_num(reg, "SELECT value FROM meta WHERE key='schema_version'"), 1);
  cr_assert_eq(sql_num(reg, "PRAGMA journal_mode") != sql_num(reg, "PRAGMA journal_mode"), 0);
  char *jm = sh_out((snprintf(cmd, sizeof cmd, "sqlite3 -batch %s 'PRAGMA journal_mode'", reg), cmd));
  cr_assert_str_eq(jm, "wal");
  free(jm);
  /* second run: everything skipped, no duplicate rows */
  rc = run_rert_json(args, &j);
  cr_assert_eq(rc, 4, "the failed cases are still not ok");
  cr_assert_eq(json_path_num(j, "skipped"), 8, "ok and deterministic input failures are skipped");
  cr_assert_eq(json_path_num(j, "ok"), 0);
  cJSON_Delete(j);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM cases"), 8);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM metrics"), nmet);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM runs"), 2);
  /* changing one input recomputes that case only */
  snprintf(cmd, sizeof cmd, "sed -i 's/care_s0/care_s2/' %s/cases/c0003/case.json", dir);
  cr_assert_eq(system(cmd), 0);
  rc = run_rert_json(args, &j);
  cr_assert_eq(json_path_num(j, "ok"), 1);
  cr_assert_eq(json_path_num(j, "skipped"), 7);
  cJSON_Delete(j);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM cases"), 8);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM verdicts v JOIN cases c USING(case_pk) WHERE c.case_id='c0003' AND v.protocol='care_s2'"), 1);
  /* a different parameter set is a new set of rows, the old one is kept */
  snprintf(args, sizeof args, "cohort run %s --registry %s --jobs 1 --recovery none --metric Dmax --no-progress", man, reg);
  cr_assert_eq(run_rert(args, &out, &err), 4);
  free(out), free(err);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM param_sets"), 2);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM cases"), 16);
  /* inputs were not modified: the stored digests still match */
  char *d1 = sh_out((snprintf(cmd, sizeof cmd, "sha256sum %s/cases/c0002/RD_course1.dcm | cut -c1-64", dir), cmd));
  char q[512];
  snprintf(q, sizeof q, "SELECT count(*) FROM inputs WHERE sha256='%s'", d1);
  cr_assert_geq(sql_num(reg, q), 1);
  free(d1);
}

Test(cohort, bad_manifest_refused_without_output) {
  const char *tmp = test_tmpdir();
  char man[1024], reg[1024], args[4096], *out = NULL, *err = NULL;
  snprintf(man, sizeof man, "%s/m.csv", tmp);
  FILE *f = fopen(man, "w");
  fprintf(f, "id,case,tox_x_grade\na,x.json,0\na,y.json,0\n");
  fclose(f);
  snprintf(reg, sizeof reg, "%s/r.sqlite", tmp);
  snprintf(args, sizeof args, "cohort run %s --registry %s", man, reg);
  cr_assert_eq(run_rert(args, &out, &err), 2);
  cr_assert(strstr(err, "m.csv") && strstr(err, "line 3"), "%s", err);
  cr_assert(access(reg, F_OK) != 0, "no registry written for a bad manifest");
  free(out), free(err);
  f = fopen(man, "w");
  fprintf(f, "id,case,tox_x_grade\na,x.json,7\n");
  fclose(f);
  cr_assert_eq(run_rert(args, &out, &err), 2);
  cr_assert(strstr(err, "tox_x_grade"), "%s", err);
  free(out), free(err);
  /* a file that is not a registry */
  snprintf(args, sizeof args, "cohort export --registry %s", man);
  cr_assert_eq(run_rert(args, &out, &err), 2);
  free(out), free(err);
}

/* registry metric = rert evaluate of an informational protocol with the same metric and recovery */
Test(cohort, registry_equals_rert_evaluate) {
  const char *tmp = test_tmpdir();
  char dir[1024], reg[1200], args[4096], prot[1200];
  snprintf(dir, sizeof dir, "%s", cohort_dir(tmp, "coh", 3, 9, NULL));
  snprintf(reg, sizeof reg, "%s/reg.sqlite", tmp);
  snprintf(args, sizeof args, "cohort run %s/manifest.csv --registry %s --jobs 2 --uncertainty-mm 3 --no-progress", dir, reg);
  cr_assert_eq(run_rert(args, NULL, NULL), 0);
  snprintf(prot, sizeof prot, "%s/metrics.json", tmp);
  FILE *f = fopen(prot, "w");
  fprintf(f, "{\"schema\":\"rert-protocol/1\",\"name\":\"m\",\"title\":\"t\",\"source\":\"test\",\"verified\":true,\"constraints\":["
             "{\"id\":\"a\",\"organ\":\"Brainstem\",\"metric\":\"D0.03cc\",\"limit_gy\":null,\"comparator\":\"<=\",\"tier\":\"informational\","
             "\"scope\":\"cumulative\",\"quantity\":\"EQD2\",\"alpha_beta_gy\":null,\"recovery\":\"s4_stepwise\",\"source\":\"test\",\"verified\":true}]}");
  fclose(f);
  for (int i = 1; i <= 3; i++) {
    snprintf(args, sizeof args, "evaluate %s/cases/c%04d/case.json --protocol %s --uncertainty-mm 3", dir, i, prot);
    cJSON *j = NULL;
    run_rert_json(args, &j);
    cr_assert(j, "rert %s", args);
    double v = json_path_num(j, "evaluations.0.constraints.0.value"), w = json_path_num(j, "evaluations.0.constraints.0.worst_value");
    cJSON_Delete(j);
    char q[512];
    snprintf(q, sizeof q, "SELECT m.nominal FROM metrics m JOIN cases c USING(case_pk) WHERE c.case_id='c%04d' AND m.structure='Brainstem' AND m.metric='D0.03cc' AND m.recovery='s4_stepwise'", i);
    /* --json prints 10 significant digits */
    cr_assert_float_eq(sql_num(reg, q), v, 1e-8 * (1 + fabs(v)), "case %d: registry vs rert evaluate", i);
    snprintf(q, sizeof q, "SELECT m.worst FROM metrics m JOIN cases c USING(case_pk) WHERE c.case_id='c%04d' AND m.structure='Brainstem' AND m.metric='D0.03cc' AND m.recovery='s4_stepwise'", i);
    cr_assert_float_eq(sql_num(reg, q), w, 1e-8 * (1 + fabs(w)));
    cr_assert_geq(w, v, "the worst case is not below the nominal");
  }
}

/* pydicom/numpy recomputation and the generator's truth (tests/cohort_recompute.py) */
Test(cohort, registry_equals_independent_recomputation) {
  const char *tmp = test_tmpdir();
  char dir[1024], reg[1200], args[4096], cmd[8192];
  snprintf(dir, sizeof dir, "%s", cohort_dir(tmp, "coh", 8, 21, NULL));
  snprintf(reg, sizeof reg, "%s/reg.sqlite", tmp);
  snprintf(args, sizeof args, "cohort run %s/manifest.csv --registry %s --jobs 2 --no-progress", dir, reg);
  cr_assert_eq(run_rert(args, NULL, NULL), 0);
  const char *labels[2] = {"s4_stepwise", "none"};
  for (int k = 0; k < 2; k++) {
    snprintf(cmd, sizeof cmd, "RERT_DATA_DIR=%s/data /usr/bin/python3 %s/tests/cohort_recompute.py %s %s Brainstem %s %s 8 --rel 0.01 2>&1",
             RERT_SOURCE_DIR, RERT_SOURCE_DIR, reg, dir, labels[k], labels[k]);
    char *o = sh_out(cmd);
    cr_assert(strstr(o, "ok   c0008") && !strstr(o, "FAIL"), "%s", o);
    free(o);
  }
}

Test(cohort, export_and_survival_equal_rert_survival) {
  const char *tmp = test_tmpdir();
  char dir[1024], reg[1200], args[4096], csv[1200];
  snprintf(dir, sizeof dir, "%s", cohort_dir(tmp, "coh", 30, 4, "--cohort-kind points"));
  snprintf(reg, sizeof reg, "%s/reg.sqlite", tmp);
  snprintf(args, sizeof args, "cohort run %s/manifest.csv --registry %s --jobs 2 --no-progress", dir, reg);
  cr_assert_eq(run_rert(args, NULL, NULL), 0);
  snprintf(csv, sizeof csv, "%s/wide.csv", tmp);
  snprintf(args, sizeof args, "cohort export --registry %s --out %s", reg, csv);
  cr_assert_eq(run_rert(args, NULL, NULL), 0);
  cJSON *a = NULL, *b = NULL;
  snprintf(args, sizeof args, "cohort analyse km --registry %s --time death_months --event death", reg);
  cr_assert_eq(run_rert_json(args, &a), 0);
  snprintf(args, sizeof args, "survival km %s --time death_months --event death", csv);
  cr_assert_eq(run_rert_json(args, &b), 0);
  cr_assert(a && b);
  cr_assert_eq(json_path_num(a, "curves.0.n"), 30);
  cr_assert_float_eq(json_path_num(a, "curves.0.median"), json_path_num(b, "curves.0.median"), 1e-12);
  cr_assert_eq(json_path_num(a, "curves.0.events"), json_path_num(b, "curves.0.events"));
  cJSON_Delete(a), cJSON_Delete(b);
  snprintf(args, sizeof args, "cohort analyse cox --registry %s --time death_months --event death --covariate ecog", reg);
  cr_assert_eq(run_rert_json(args, &a), 0);
  snprintf(args, sizeof args, "survival cox %s --time death_months --event death --covariate ecog", csv);
  cr_assert_eq(run_rert_json(args, &b), 0);
  cr_assert(a && b);
  cr_assert_float_eq(json_path_num(a, "coefficients.0.coef"), json_path_num(b, "coefficients.0.coef"), 1e-9);
  cJSON_Delete(a), cJSON_Delete(b);
  /* point-dose cases: every metric of the endpoint organ is its cumulative point EQD2 (truth.json) */
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"import json,csv; t={c['id']:c for c in json.load(open('%s/truth.json'))['cases']};"
                            "r=list(csv.DictReader(open('%s')));"
                            "print(max(abs(float(x['Brainstem.Dmax.s4_stepwise'])-t[x['case_id']]['metric_true']) for x in r))\"",
           dir, csv);
  char *o = sh_out(cmd);
  cr_assert_lt(atof(o), 1e-4, "point cases: registry = truth to float32 storage of the point dose (%s)", o);
  free(o);
}

Test(cohort, timeout_recorded_then_retried) {
  const char *tmp = test_tmpdir();
  char dir[1024], reg[1200], args[4096], *out = NULL, *err = NULL;
  snprintf(dir, sizeof dir, "%s", cohort_dir(tmp, "coh", 2, 7, NULL));
  snprintf(reg, sizeof reg, "%s/reg.sqlite", tmp);
  snprintf(args, sizeof args, "cohort run %s/manifest.csv --registry %s --jobs 1 --case-timeout-s 0.000001 --no-progress", dir, reg);
  cr_assert_eq(run_rert(args, &out, &err), 4);
  free(out), free(err);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM cases WHERE status='failed' AND error_kind='timeout'"), 2);
  snprintf(args, sizeof args, "cohort run %s/manifest.csv --registry %s --jobs 1 --no-progress --json", dir, reg);
  cJSON *j = NULL;
  cr_assert_eq(run_rert_json(args, &j), 0);
  cr_assert_eq(json_path_num(j, "ok"), 2, "timeouts are retried, not skipped");
  cJSON_Delete(j);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM cases"), 2);
}

/* Every cohort case goes through the DICOM gate (issue 12): a case whose case-file patient id is
 * not the DICOM PatientID is stored as refused with the gate's message; the others as passed. */
Test(cohort, gate_refusal_recorded) {
  const char *tmp = test_tmpdir();
  char dir[1024], reg[1200], args[4096], cmd[4096];
  snprintf(dir, sizeof dir, "%s", cohort_dir(tmp, "coh", 3, 11, NULL));
  snprintf(cmd, sizeof cmd, "sed -i 's/\"id\":\\t\"COH-11-0002\"/\"id\":\\t\"SOMEONE-ELSE\"/' %s/cases/c0002/case.json && grep -q SOMEONE-ELSE %s/cases/c0002/case.json", dir, dir);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
  snprintf(reg, sizeof reg, "%s/reg.sqlite", tmp);
  snprintf(args, sizeof args, "cohort run %s/manifest.csv --registry %s --jobs 1 --no-progress", dir, reg);
  cr_assert_eq(run_rert(args, NULL, NULL), 4, "a refused case makes the cohort INCOMPLETE");
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM cases WHERE case_id='c0002' AND status='refused' AND gate='refused' AND error_kind='input'"), 1);
  char *e = sh_out((snprintf(cmd, sizeof cmd, "sqlite3 -batch %s \"SELECT error FROM cases WHERE case_id='c0002'\"", reg), cmd));
  cr_assert(strstr(e, "SOMEONE-ELSE") || strstr(e, "PatientID"), "the gate's message: %s", e);
  free(e);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM cases WHERE status='ok' AND gate LIKE 'passed%'"), 2);
  cr_assert_eq(sql_num(reg, "SELECT count(*) FROM metrics m JOIN cases c USING(case_pk) WHERE c.case_id='c0002'"), 0, "no metric of a refused case");
}
