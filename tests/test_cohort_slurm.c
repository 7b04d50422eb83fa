/* test_cohort_slurm.c — the Slurm engine of `rert cohort run` against a real single-node Slurm
 * (label "slurm"): the registry filled by a job array and its afterany gather job equals the
 * registry of the local engine on the same manifest, row for row (read with the sqlite3 client).
 *
 * Slurm is started by scripts/start-slurm.sh (.ci/run calls it; this test calls it too when the
 * node does not answer and it runs as root). The test is SKIPPED, saying so, only when Slurm is
 * not installed; an installed Slurm that does not come up is a failure.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
  return b;
}

static void need_slurm(void) {
  if (system("command -v sbatch >/dev/null 2>&1 && command -v slurmctld >/dev/null 2>&1 || test -x /usr/sbin/slurmctld") != 0)
    cr_skip_test("SKIPPED: Slurm is not installed (no sbatch/slurmctld); install slurm-wlm and munge "
                 "(scripts/deps.d/cohort.txt) and run scripts/start-slurm.sh to test the Slurm engine");
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s/scripts/start-slurm.sh --status >/dev/null 2>&1", RERT_SOURCE_DIR);
  if (system(cmd) == 0) return;
  cr_assert_eq(geteuid(), 0, "Slurm is installed but its node is not up, and only root can start it: run scripts/start-slurm.sh");
  snprintf(cmd, sizeof cmd, "%s/scripts/start-slurm.sh", RERT_SOURCE_DIR);
  cr_assert_eq(system(cmd), 0, "scripts/start-slurm.sh could not start the single-node Slurm (see its log lines above)");
}

static char *dump(const char *reg, const char *sql) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "sqlite3 -batch '%s' \"%s\"", reg, sql);
  return sh_out(cmd);
}

Test(cohort_slurm, slurm_registry_equals_local, .timeout = 900) {
  need_slurm();
  const char *tmp = test_tmpdir();
  char args[4096], dir[1024], rl[1100], rs[1100], *out = NULL, *err = NULL;
  snprintf(dir, sizeof dir, "%s/coh", tmp);
  snprintf(args, sizeof args, "phantom --out %s --cohort 8 --seed 31", dir);
  cr_assert_eq(run_rert(args, NULL, NULL), 0);
  /* one case that fails: recorded the same way by both engines */
  snprintf(args, sizeof args, "printf 'bad,cases/missing/case.json,A,0,,0,,0,,2024-01-01\\n' >> %s/manifest.csv", dir);
  cr_assert_eq(system(args), 0);
  snprintf(rl, sizeof rl, "%s/local.sqlite", tmp);
  snprintf(rs, sizeof rs, "%s/slurm.sqlite", tmp);
  snprintf(args, sizeof args, "cohort run %s/manifest.csv --registry %s --jobs 2 --uncertainty-mm 2 --no-progress", dir, rl);
  cr_assert_eq(run_rert(args, &out, &err), 4, "%s", err);
  free(out), free(err);
  snprintf(args, sizeof args, "cohort run %s/manifest.csv --registry %s --engine slurm --slurm-tasks 3 --uncertainty-mm 2 --wait --json", dir, rs);
  cJSON *j = NULL;
  int rc = run_rert_json(args, &j);
  cr_assert_eq(rc, 4, "slurm engine: exit %d (one failed case)", rc);
  cr_assert(j);
  cr_assert_str_neq(json_path_str(j, "slurm_array_job"), "");
  cr_assert_eq(json_path_num(j, "ok"), 8);
  cr_assert_eq(json_path_num(j, "failed"), 1);
  char results[1400];
  snprintf(results, sizeof results, "ls %s/results/task-*.jsonl | wc -l", json_path_str(j, "work_dir"));
  char *nres = sh_out(results);
  cr_assert_eq(atoi(nres), 3, "one result file per array task");
  free(nres);
  cJSON_Delete(j);
  const char *queries[] = {
      "SELECT c.case_id, m.recovery, m.structure, m.metric, m.alpha_beta_gy, m.nominal, m.worst, m.limit_factor, m.effective,"
      " m.complete FROM metrics m JOIN cases c USING(case_pk) ORDER BY 1,2,3,4",
      "SELECT case_id, status, exit_status, error_kind, error, verdict, case_key, origin_date FROM cases ORDER BY 1",
      "SELECT c.case_id, v.protocol, v.verdict, v.hard_failures FROM verdicts v JOIN cases c USING(case_pk) ORDER BY 1,2",
      "SELECT c.case_id, i.role, i.sha256 FROM inputs i JOIN cases c USING(case_pk) ORDER BY 1,2,3",
      "SELECT c.case_id, k.name, k.value FROM clinical k JOIN cases c USING(case_pk) ORDER BY 1,2",
      "SELECT case_id, kind, endpoint, grade, event_date FROM outcomes ORDER BY 1,2,3",
      "SELECT label, spec, kind FROM assumptions ORDER BY 1"};
  for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
    char *a = dump(rl, queries[q]), *b = dump(rs, queries[q]);
    cr_assert(strlen(a) > 0, "query %zu returns rows", q);
    cr_assert_str_eq(a, b, "local and Slurm registries differ for: %s", queries[q]);
    free(a), free(b);
  }
  /* a second Slurm run skips every case (the tasks compare the keys) */
  cr_assert_eq(run_rert_json(args, &j), 4);
  cr_assert_eq(json_path_num(j, "skipped"), 9, "all cases skipped on the second run");
  cJSON_Delete(j);
  char *n = dump(rs, "SELECT count(*) FROM cases");
  cr_assert_eq(atoi(n), 9, "no duplicate rows");
  free(n);
}
