/* cohort_slurm.c — the cluster engine: a Slurm job array and a dependent gather job.
 *
 * Nothing here schedules: `sbatch --array=0-(T−1)` submits T tasks, each running
 * `rert cohort task PLAN --slice $SLURM_ARRAY_TASK_ID --slices T --out results/task-<k>.jsonl`,
 * and `sbatch --dependency=afterany:<array job>` submits `rert cohort gather PLAN`, which merges
 * every result file into the registry (the registry's only writer) once all tasks have ended,
 * whatever their state. A case without a result line (task failed, timed out, node lost) is
 * recorded as failed (kind "lost", retried on the next run) with the task's log file named.
 * The work directory (plan, scripts, results, logs) must be on a file system the nodes share;
 * the registry must be on a local file system of the node the gather job runs on (SQLite WAL
 * needs shared memory: no NFS). --wait submits the gather job with `sbatch --wait`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cohort_internal.h"
#include "cohort_registry_internal.h"
#include "rert/data.h"
#include "rert/fileio.h"

/* Run argv, capture stdout (trimmed) into out; stderr into errbuf. Returns the exit status or −1. */
static int run_capture(char *const argv[], char *out, size_t n, char *errbuf, size_t en) {
  int po[2], pe[2];
  if (pipe(po)) return -1;
  if (pipe(pe)) {
    close(po[0]), close(po[1]);
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(po[1], STDOUT_FILENO);
    dup2(pe[1], STDERR_FILENO);
    close(po[0]), close(pe[0]);
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, STDIN_FILENO);
    execvp(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s", argv[0], strerror(errno));
    _exit(127);
  }
  close(po[1]), close(pe[1]);
  size_t lo = 0, le = 0;
  int open_o = 1, open_e = 1;
  char junk[4096];
  while (open_o || open_e) {
    if (open_o) {
      ssize_t k = read(po[0], lo + 1 < n ? out + lo : junk, lo + 1 < n ? n - lo - 1 : sizeof junk);
      if (k > 0) { if (lo + 1 < n) lo += (size_t)k; }
      else if (k == 0 || errno != EINTR) open_o = 0;
      continue;
    }
    ssize_t k = read(pe[0], le + 1 < en ? errbuf + le : junk, le + 1 < en ? en - le - 1 : sizeof junk);
    if (k > 0) { if (le + 1 < en) le += (size_t)k; }
    else if (k == 0 || errno != EINTR) open_e = 0;
  }
  out[lo] = 0, errbuf[le] = 0;
  while (lo && (out[lo - 1] == '\n' || out[lo - 1] == ' ')) out[--lo] = 0;
  while (le && (errbuf[le - 1] == '\n' || errbuf[le - 1] == ' ')) errbuf[--le] = 0;
  close(po[0]), close(pe[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* single-quote for /bin/sh */
static void shq(char *out, size_t n, const char *s) {
  size_t k = 0;
  if (k + 1 < n) out[k++] = '\'';
  for (; *s && k + 5 < n; s++) {
    if (*s == '\'') { memcpy(out + k, "'\\''", 4); k += 4; }
    else out[k++] = *s;
  }
  if (k + 1 < n) out[k++] = '\'';
  out[k] = 0;
}

static int write_script(const char *path, const char *body, rert_err *err) {
  int rc = atomic_write_buffer(path, body, strlen(body), err);
  if (!rc && chmod(path, 0755)) rc = rert_err_set(err, RERT_EINTERNAL, "%s: chmod: %s", path, strerror(errno));
  return rc;
}

static int abs_path(const char *p, char *out, size_t n, rert_err *err) {
  char *r = realpath(p, NULL);
  if (!r) return rert_err_set(err, RERT_EINPUT, "%s: %s", p, strerror(errno));
  snprintf(out, n, "%s", r);
  free(r);
  return RERT_OK;
}

/* sbatch argv: fixed options, user options (space-separated), then the script */
static int sbatch(const cohort_engine_opts *o, const char *const *fixed, int nfixed, const char *script,
                  char *jobid, size_t jn, rert_err *err) {
  char *argv[64], extra[1024] = "";
  int n = 0;
  argv[n++] = "sbatch";
  argv[n++] = "--parsable";
  for (int i = 0; i < nfixed && n < 40; i++) argv[n++] = (char *)fixed[i];
  char part[128], tm[64];
  if (o->slurm_partition && *o->slurm_partition) {
    snprintf(part, sizeof part, "--partition=%s", o->slurm_partition);
    argv[n++] = part;
  }
  if (o->slurm_time && *o->slurm_time) {
    snprintf(tm, sizeof tm, "--time=%s", o->slurm_time);
    argv[n++] = tm;
  }
  if (o->slurm_extra && *o->slurm_extra) {
    snprintf(extra, sizeof extra, "%s", o->slurm_extra);
    for (char *t = strtok(extra, " "); t && n < 62; t = strtok(NULL, " ")) argv[n++] = t;
  }
  argv[n++] = (char *)script;
  argv[n] = NULL;
  char out[256], eb[1024];
  int st = run_capture(argv, out, sizeof out, eb, sizeof eb);
  if (st == 127 || st < 0)
    return rert_err_set(err, RERT_EINPUT, "Slurm engine: cannot run sbatch (%s); is Slurm installed and on PATH?", eb[0] ? eb : "exec failed");
  if (st != 0) return rert_err_set(err, RERT_EINPUT, "sbatch %s failed (exit %d): %s", script, st, eb);
  /* --parsable prints "jobid" or "jobid;cluster" */
  char *semi = strchr(out, ';');
  if (semi) *semi = 0;
  if (!out[0]) return rert_err_set(err, RERT_EINTERNAL, "sbatch %s printed no job id", script);
  snprintf(jobid, jn, "%s", out);
  return RERT_OK;
}

int cohort_run_slurm(const char *manifest, const char *registry, const cohort_params *p,
                     const cohort_engine_opts *o, cohort_run_summary *s, rert_err *err) {
  memset(s, 0, sizeof *s);
  double t0 = cohort_now_s();
  cohort_registry *reg;
  long long param_id;
  cohort_plan pl;
  char reg_abs[COHORT_PATH_LEN];
  /* tasks run elsewhere: every path they see is absolute */
  int rc = cohort_prepare(manifest, registry, p, o, "slurm", &reg, &param_id, &pl, err);
  if (rc) return rc;
  cohort_registry_close(reg); /* the gather job writes the results */
  s->run_id = pl.run_id;
  rc = abs_path(registry, reg_abs, sizeof reg_abs, err);
  if (!rc) snprintf(pl.registry, sizeof pl.registry, "%s", reg_abs);
  char work[COHORT_PATH_LEN + 64] = "", wabs[COHORT_PATH_LEN + 64], path[COHORT_PATH_LEN + 160];
  if (!rc) rc = cohort_work_dir(reg_abs, o->work_dir, pl.run_id, work, sizeof work, err);
  if (!rc) rc = abs_path(work, wabs, sizeof wabs, err);
  for (int i = 0; i < pl.n && !rc; i++) {
    char a[COHORT_PATH_LEN];
    if (pl.cases[i].case_path[0] && pl.cases[i].case_path[0] != '/' && !abs_path(pl.cases[i].case_path, a, sizeof a, err)) {
      char *d = strdup(a);
      char **ns = realloc(pl.strings, (size_t)(pl.nstrings + 1) * sizeof *ns);
      if (!d || !ns) { free(d); rc = rert_err_set(err, RERT_EINTERNAL, "out of memory"); break; }
      pl.strings = ns, pl.strings[pl.nstrings++] = d, pl.cases[i].case_path = d;
    }
  }
  snprintf(s->work_dir, sizeof s->work_dir, "%s", wabs);
  char sub[COHORT_PATH_LEN + 96];
  snprintf(sub, sizeof sub, "%s/results", wabs);
  if (!rc) rc = fileio_mkdirs(sub, err);
  snprintf(sub, sizeof sub, "%s/logs", wabs);
  if (!rc) rc = fileio_mkdirs(sub, err);
  int T = o->slurm_tasks > 0 ? o->slurm_tasks : pl.n < 100 ? pl.n : 100;
  if (T > pl.n) T = pl.n;
  if (T < 1) T = 1;
  char plan[COHORT_PATH_LEN + 96], qself[COHORT_PATH_LEN * 2], qplan[COHORT_PATH_LEN * 2], qw[COHORT_PATH_LEN * 2];
  snprintf(plan, sizeof plan, "%s/plan.json", wabs);
  if (!rc) rc = cohort_plan_write(plan, &pl, err);
  char self[COHORT_PATH_LEN];
  if (!rc) rc = abs_path(o->self_exe, self, sizeof self, err);
  shq(qself, sizeof qself, self);
  shq(qplan, sizeof qplan, plan);
  shq(qw, sizeof qw, wabs);
  char body[4 * COHORT_PATH_LEN * 2 + 512];
  if (!rc) {
    /* OMP threads = the CPUs Slurm gave the task */
    snprintf(body, sizeof body,
             "#!/bin/sh\n# rert cohort run %lld: one slice of the cohort per array task\n"
             "export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n"
             "exec %s cohort task %s --slice \"$SLURM_ARRAY_TASK_ID\" --slices %d --out %s/results/task-\"$SLURM_ARRAY_TASK_ID\".jsonl\n",
             pl.run_id, qself, qplan, T, qw);
    snprintf(path, sizeof path, "%s/task.sh", wabs);
    rc = write_script(path, body, err);
  }
  if (!rc) {
    snprintf(body, sizeof body, "#!/bin/sh\n# rert cohort run %lld: merge the task results into the registry\nexec %s cohort gather %s\n",
             pl.run_id, qself, qplan);
    snprintf(path, sizeof path, "%s/gather.sh", wabs);
    rc = write_script(path, body, err);
  }
  char arr[64], outopt[COHORT_PATH_LEN + 64], name[64];
  if (!rc) {
    snprintf(arr, sizeof arr, "--array=0-%d", T - 1);
    snprintf(outopt, sizeof outopt, "--output=%s/logs/task-%%a.out", wabs);
    snprintf(name, sizeof name, "--job-name=rert-cohort-%lld", pl.run_id);
    const char *fx[] = {arr, outopt, name, "--ntasks=1"};
    snprintf(path, sizeof path, "%s/task.sh", wabs);
    rc = sbatch(o, fx, 4, path, s->slurm_array_job, sizeof s->slurm_array_job, err);
  }
  if (!rc) {
    char dep[96];
    snprintf(dep, sizeof dep, "--dependency=afterany:%s", s->slurm_array_job);
    snprintf(outopt, sizeof outopt, "--output=%s/logs/gather.out", wabs);
    snprintf(name, sizeof name, "--job-name=rert-cohort-%lld-gather", pl.run_id);
    const char *fx[] = {dep, outopt, name, "--ntasks=1", "--wait"};
    snprintf(path, sizeof path, "%s/gather.sh", wabs);
    rc = sbatch(o, fx, o->slurm_wait ? 5 : 4, path, s->slurm_gather_job, sizeof s->slurm_gather_job, err);
    if (rc && o->slurm_wait && s->slurm_gather_job[0] == 0)
      rert_err_prefix(err, rc, "gather job of array %s (see %s/logs/gather.out)", s->slurm_array_job, wabs);
  }
  if (!rc && o->slurm_wait) {
    /* read the counts the gather job stored */
    cohort_registry *r2;
    if (!(rc = cohort_registry_open(reg_abs, 0, &r2, err))) {
      rc = cohort_reg_run_counts(r2, pl.run_id, s, err);
      cohort_registry_close(r2);
    }
  }
  s->total = pl.n;
  cohort_plan_free(&pl);
  s->seconds = cohort_now_s() - t0;
  return rc;
}

/* ---- gather ---- */
int cohort_gather(const char *plan_path, cohort_run_summary *s, rert_err *err) {
  memset(s, 0, sizeof *s);
  double t0 = cohort_now_s();
  cohort_plan pl;
  int rc = cohort_plan_read(plan_path, &pl, err);
  if (rc) return rc;
  s->run_id = pl.run_id;
  char dir[COHORT_PATH_LEN];
  snprintf(dir, sizeof dir, "%s", plan_path);
  char *sl = strrchr(dir, '/');
  if (sl) *sl = 0;
  else snprintf(dir, sizeof dir, ".");
  snprintf(s->work_dir, sizeof s->work_dir, "%s", dir);
  cohort_registry *reg;
  if ((rc = cohort_registry_open(pl.registry, 0, &reg, err))) {
    cohort_plan_free(&pl);
    return rc;
  }
  long long param_id = 0;
  rc = cohort_registry_param_set(reg, &pl.params, &param_id, err);
  char *seen = calloc(pl.n > 0 ? (size_t)pl.n : 1, 1);
  if (!seen && !rc) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  if (!rc) rc = cohort_registry_begin(reg, err);
  /* every result file (any slice count: the plan does not record it) */
  for (int k = 0; !rc; k++) {
    char path[COHORT_PATH_LEN + 64];
    snprintf(path, sizeof path, "%s/results/task-%d.jsonl", dir, k);
    char *buf = NULL;
    size_t len = 0;
    rert_err e;
    if (access(path, R_OK)) {
      /* stop after a run of missing files longer than any array we submit */
      int more = 0;
      for (int j = k + 1; j < k + 1000 && !more; j++) {
        snprintf(path, sizeof path, "%s/results/task-%d.jsonl", dir, j);
        more = !access(path, R_OK);
      }
      if (!more) break;
      continue;
    }
    if (file_read_all(path, &buf, &len, &e)) continue;
    for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
      nl = strchr(line, '\n');
      if (!nl) break; /* an unfinished last line of a killed task */
      *nl = 0;
      cJSON *res = cJSON_Parse(line);
      const cJSON *ix = cJSON_GetObjectItemCaseSensitive(res, "index");
      if (!res || !cJSON_IsNumber(ix) || ix->valueint < 0 || ix->valueint >= pl.n || seen[ix->valueint]) {
        cJSON_Delete(res);
        continue;
      }
      seen[ix->valueint] = 1;
      cohort_summary_count(s, res);
      rc = cohort_registry_store_result(reg, pl.run_id, param_id, res, err);
      cJSON_Delete(res);
      if (rc) break;
    }
    free(buf);
  }
  for (int i = 0; i < pl.n && !rc; i++) {
    if (seen[i]) continue;
    char msg[COHORT_PATH_LEN + 200];
    snprintf(msg, sizeof msg, "no result from its Slurm array task (task ended early, was cancelled or timed out; see %s/logs/)", dir);
    cJSON *res = cohort_result_lost(&pl.cases[i], "lost", msg);
    cohort_summary_count(s, res);
    rc = cohort_registry_store_result(reg, pl.run_id, param_id, res, err);
    cJSON_Delete(res);
  }
  if (!rc) rc = cohort_registry_commit(reg, err);
  else cohort_reg_exec(reg, "ROLLBACK", NULL);
  if (!rc) rc = cohort_registry_run_end(reg, pl.run_id, s->ok, s->failed + s->refused, s->skipped, err);
  cohort_registry_close(reg);
  free(seen);
  cohort_plan_free(&pl);
  s->seconds = cohort_now_s() - t0;
  return rc;
}
