/* cmd_cohort.c — `rert cohort run|task|gather|export|analyse|status`: cohort research at scale
 * (docs/cohort.md). Parses options and prints; the work is in src/cohort/ (runner, registry,
 * engines, export, sensitivity analysis) and src/stats/ (survival, dose–response). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cohort_cli.h"
#include "rert/cohort.h"
#include "rert/data.h"
#include "rert/fileio.h"

static const rert_opt opts[] = {
    {"registry", OPT_STR, NULL, "cohort registry (SQLite file; created by run)", NULL, 0},
    {"engine", OPT_STR, "local", "run: local (process pool on this machine) or slurm (job array + gather job)", NULL, 0},
    {"jobs", OPT_INT, NULL, "run: worker processes of the local engine (default: online CPUs)", NULL, 0},
    {"recovery", OPT_LIST, "none,s4_stepwise,exp2y=exponential:halftime_years=2,care_uplift",
     "run: recovery assumptions to compute every metric under, [LABEL=]SPEC (rert protocols --recovery; 'case' = each case file's models); analyse: labels to compare (default all)", NULL, 0},
    {"metric", OPT_LIST, "Dmax,D0.03cc,D2cc,Dmean", "run: cumulative EQD2 metrics per structure; analyse dose-response: the metric to fit", NULL, 0},
    {"protocol", OPT_LIST, NULL, "run: protocols for the verdicts (default: each case file's)", NULL, 0},
    {"uncertainty-mm", OPT_NUM, "0", "run: dose-mapping uncertainty radius; metrics also on the upper-bound doses (worst case)", "mm", 1},
    {"alpha-beta-gy", OPT_NUM, NULL, "run: one alpha/beta for every metric (default: each organ's, data/tissues.json and case overrides)", "Gy", 1},
    {"rule", OPT_STR, "lowest-oar", "run: alpha/beta overlap rule lowest-oar or list-order", NULL, 0},
    {"outside-grid", OPT_STR, "zero", "run: structures partly outside the dose grid: zero or strict (rert evaluate)", NULL, 0},
    {"report-dir", OPT_STR, NULL, "run: also write each case's consult report under DIR/<case id>/", NULL, 0},
    {"force", OPT_FLAG, NULL, "run: recompute every case, even those already in the registry", NULL, 0},
    {"case-timeout-s", OPT_NUM, "0", "run (local): kill a case after this many seconds and record it as failed (0 = no limit)", "s", 1},
    {"no-progress", OPT_FLAG, NULL, "run: no progress bar (it is shown on terminals only)", NULL, 0},
    {"slurm-tasks", OPT_INT, NULL, "run (slurm): array size (default min(cases, 100))", NULL, 0},
    {"partition", OPT_STR, NULL, "run (slurm): sbatch --partition", NULL, 0},
    {"time-limit", OPT_STR, NULL, "run (slurm): sbatch --time of each task, e.g. 01:00:00", NULL, 0},
    {"sbatch-opt", OPT_STR, NULL, "run (slurm): extra sbatch options, space-separated (e.g. \"--account=x --qos=y\")", NULL, 0},
    {"work-dir", OPT_STR, NULL, "run: directory for plan, results and logs, shared by the nodes (default REGISTRY.work)", NULL, 0},
    {"wait", OPT_FLAG, NULL, "run (slurm): wait for the gather job (sbatch --wait) and report the counts", NULL, 0},
    {"stream", OPT_FLAG, NULL, "task: read case indices on stdin, write results on stdout (local engine)", NULL, 0},
    {"slice", OPT_INT, NULL, "task: this task's slice (Slurm: $SLURM_ARRAY_TASK_ID)", NULL, 0},
    {"slices", OPT_INT, NULL, "task: number of slices", NULL, 0},
    {"out", OPT_STR, NULL, "task: result file; export: CSV file (default stdout)", NULL, 0},
    {"table", OPT_STR, "wide", "export: wide (one row per case), metrics, cases, outcomes or verdicts", NULL, 0},
    {"param-set", OPT_INT, "0", "export/analyse: parameter set id (default: that of the latest run; rert cohort status)", NULL, 0},
    {"endpoint", OPT_STR, NULL, "analyse dose-response: toxicity endpoint (manifest column tox_<endpoint>_grade)", NULL, 0},
    {"grade", OPT_INT, "3", "analyse dose-response: event = grade >= this", NULL, 0},
    {"structure", OPT_STR, NULL, "analyse dose-response: structure (TG-263 name as in the registry)", NULL, 0},
    {"model", OPT_LIST, "logistic,probit", "analyse dose-response: logistic and/or probit (LKB)", NULL, 0},
    {"bound", OPT_STR, "nominal", "analyse dose-response: fit the nominal or the worst-case metric", NULL, 0},
    {"min-followup-months", OPT_NUM, "0", "analyse dose-response: exclude patients without the event followed less than this", "months", 1},
    {"conf-level", OPT_NUM, "0.95", "analyse: confidence level (profile likelihood for dose-response)", "", 0},
    {"plot", OPT_STR, NULL, "analyse: SVG plot (dose-response curves and calibration; KM curves)", NULL, 0},
    {"groups", OPT_INT, "10", "analyse dose-response: risk groups of the calibration plot and Hosmer-Lemeshow test", NULL, 0},
    {"time", OPT_STR, NULL, "analyse km/cox: time column of the wide table (e.g. death_months)", NULL, 0},
    {"event", OPT_STR, NULL, "analyse km/cox: event column (0/1, e.g. death)", NULL, 0},
    {"group", OPT_STR, NULL, "analyse km: column defining the curves", NULL, 0},
    {"covariate", OPT_LIST, NULL, "analyse cox: covariate columns (numeric; text = factor)", NULL, 0},
    {"at", OPT_LIST, NULL, "analyse km: times for the estimates", NULL, 0},
    {0}};

static int self_exe(char *out, size_t n, rert_err *err) {
  ssize_t k = readlink("/proc/self/exe", out, n - 1);
  if (k <= 0) return rert_err_set(err, RERT_EINTERNAL, "cannot locate the rert binary (/proc/self/exe)");
  out[k] = 0;
  return RERT_OK;
}

static int params_from_args(const rert_args *a, cohort_params *p, rert_err *err) {
  cohort_params_init(p);
  const char *items[64];
  int n = cli_list_count(a, "recovery");
  if (n > 64) n = 64;
  if (n > 0) {
    for (int i = 0; i < n; i++) items[i] = cli_list_item(a, "recovery", i);
    if (cohort_params_set_recovery(p, items, n, err)) return RERT_EINPUT;
  }
  n = cli_list_count(a, "metric");
  if (n > 64) n = 64;
  if (n > 0) {
    for (int i = 0; i < n; i++) items[i] = cli_list_item(a, "metric", i);
    if (cohort_params_set_metrics(p, items, n, err)) return RERT_EINPUT;
  }
  n = cli_list_count(a, "protocol");
  if (n > COHORT_MAX_PROTOCOLS) return rert_err_set(err, RERT_EINPUT, "--protocol: at most %d", COHORT_MAX_PROTOCOLS);
  for (int i = 0; i < n; i++) {
    rert_protocol pr;
    if (protocol_load(cli_list_item(a, "protocol", i), &pr, err)) return RERT_EINPUT;
    protocol_free(&pr);
    snprintf(p->protocols[i], sizeof p->protocols[i], "%s", cli_list_item(a, "protocol", i));
  }
  p->nprotocols = n;
  if (cli_num(a, "uncertainty-mm", &p->uncertainty_mm, err)) return RERT_EINPUT;
  if (!(p->uncertainty_mm >= 0 && p->uncertainty_mm <= 50)) return rert_err_set(err, RERT_EINPUT, "--uncertainty-mm must be in [0, 50]");
  if (cli_has(a, "alpha-beta-gy")) {
    if (cli_num(a, "alpha-beta-gy", &p->alpha_beta_gy, err)) return RERT_EINPUT;
    if (!(p->alpha_beta_gy > 0)) return rert_err_set(err, RERT_EINPUT, "--alpha-beta-gy must be > 0");
  }
  const char *rule = cli_str(a, "rule");
  if (!strcmp(rule, "list-order")) p->rule = AB_RULE_LIST_ORDER;
  else if (strcmp(rule, "lowest-oar")) return rert_err_set(err, RERT_EINPUT, "--rule %s: use lowest-oar or list-order", rule);
  const char *og = cli_str(a, "outside-grid");
  if (!strcmp(og, "strict")) p->outside_grid_strict = 1;
  else if (strcmp(og, "zero")) return rert_err_set(err, RERT_EINPUT, "--outside-grid %s: use zero or strict", og);
  if (cli_str(a, "report-dir")) snprintf(p->report_dir, sizeof p->report_dir, "%s", cli_str(a, "report-dir"));
  return RERT_OK;
}

static void print_summary(const rert_args *a, const char *engine, const cohort_run_summary *s, int submitted_only,
                          int not_ok) {
  if (cli_json(a)) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "engine", engine);
    cJSON_AddNumberToObject(o, "run_id", (double)s->run_id);
    cJSON_AddNumberToObject(o, "cases", s->total);
    if (!submitted_only) {
      cJSON_AddNumberToObject(o, "ok", s->ok);
      cJSON_AddNumberToObject(o, "failed", s->failed);
      cJSON_AddNumberToObject(o, "refused", s->refused);
      cJSON_AddNumberToObject(o, "skipped", s->skipped);
      cJSON_AddNumberToObject(o, "not_ok_in_registry", not_ok);
    }
    if (s->slurm_array_job[0]) cJSON_AddStringToObject(o, "slurm_array_job", s->slurm_array_job);
    if (s->slurm_gather_job[0]) cJSON_AddStringToObject(o, "slurm_gather_job", s->slurm_gather_job);
    cJSON_AddStringToObject(o, "work_dir", s->work_dir);
    json_add_num(o, "seconds", s->seconds);
    cli_print_json(o);
    return;
  }
  if (submitted_only) {
    printf("cohort run %lld: submitted %d case(s) to Slurm: array job %s, gather job %s (afterany)\n", s->run_id, s->total,
           s->slurm_array_job, s->slurm_gather_job);
    printf("  work directory %s; the registry is filled when the gather job ends\n", s->work_dir);
    return;
  }
  printf("cohort run %lld (%s): %d case(s): %d ok, %d failed, %d refused by the gate, %d skipped (already in the registry) in %.1f s\n",
         s->run_id, engine, s->total, s->ok, s->failed, s->refused, s->skipped, s->seconds);
  if (not_ok) printf("  %d case(s) of this manifest are not ok in the registry: rert cohort status --registry %s\n", not_ok,
                     cli_str(a, "registry"));
}

static int do_run(const rert_args *a, rert_err *err) {
  const char *reg = cli_str(a, "registry");
  if (!reg) return rert_err_set(err, RERT_EINPUT, "cohort run: --registry FILE is required");
  if (cli_npos(a) != 2) return rert_err_set(err, RERT_EINPUT, "cohort run: give the manifest (rert cohort run MANIFEST.csv --registry R)");
  cohort_params p;
  int rc = params_from_args(a, &p, err);
  if (rc) return rc;
  char self[PATH_MAX];
  if ((rc = self_exe(self, sizeof self, err))) return rc;
  cohort_engine_opts o = {0};
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  o.jobs = cpus > 0 ? (int)cpus : 1;
  if (cli_has(a, "jobs") && (rc = cli_int(a, "jobs", &o.jobs, err))) return rc;
  if (o.jobs < 1 || o.jobs > 1024) return rert_err_set(err, RERT_EINPUT, "--jobs must be in 1..1024");
  if ((rc = cli_num(a, "case-timeout-s", &o.case_timeout_s, err))) return rc;
  o.progress = !cli_flag(a, "no-progress") && !cli_json(a);
  o.force = cli_flag(a, "force");
  o.self_exe = self;
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "rert cohort run %s --registry %s", cli_pos(a, 1), reg);
  o.command = cmd;
  o.work_dir = cli_str(a, "work-dir");
  o.slurm_partition = cli_str(a, "partition");
  o.slurm_time = cli_str(a, "time-limit");
  o.slurm_extra = cli_str(a, "sbatch-opt");
  o.slurm_wait = cli_flag(a, "wait");
  if (cli_has(a, "slurm-tasks") && (rc = cli_int(a, "slurm-tasks", &o.slurm_tasks, err))) return rc;
  const char *engine = cli_str(a, "engine");
  cohort_run_summary s;
  if (!strcmp(engine, "local")) rc = cohort_run_local(cli_pos(a, 1), reg, &p, &o, &s, err);
  else if (!strcmp(engine, "slurm")) rc = cohort_run_slurm(cli_pos(a, 1), reg, &p, &o, &s, err);
  else return rert_err_set(err, RERT_EINPUT, "--engine %s: use local or slurm", engine);
  if (rc) return rc;
  int submitted_only = !strcmp(engine, "slurm") && !o.slurm_wait;
  int not_ok = 0;
  if (!submitted_only && (rc = cohort_cli_count_not_ok(reg, s.run_id, &not_ok, err))) return rc;
  print_summary(a, engine, &s, submitted_only, not_ok);
  /* the cohort ran; cases that failed make its result incomplete (never a silent success) */
  return not_ok ? RERT_EINCOMPLETE : RERT_OK;
}

static int do_task(const rert_args *a, rert_err *err) {
  if (cli_npos(a) != 2) return rert_err_set(err, RERT_EINPUT, "cohort task: give the plan file");
  cohort_plan pl;
  int rc = cohort_plan_read(cli_pos(a, 1), &pl, err);
  if (rc) return rc;
  if (cli_flag(a, "stream")) {
    rc = cohort_task_stream(&pl, STDIN_FILENO, STDOUT_FILENO, err);
  } else {
    int slice = -1, slices = 0;
    if (!cli_has(a, "slice") || !cli_has(a, "slices") || !cli_str(a, "out"))
      rc = rert_err_set(err, RERT_EINPUT, "cohort task: --stream, or --slice K --slices T --out FILE");
    if (!rc) rc = cli_int(a, "slice", &slice, err);
    if (!rc) rc = cli_int(a, "slices", &slices, err);
    if (!rc) rc = cohort_task_slice(&pl, slice, slices, cli_str(a, "out"), err);
  }
  cohort_plan_free(&pl);
  return rc;
}

static int do_gather(const rert_args *a, rert_err *err) {
  if (cli_npos(a) != 2) return rert_err_set(err, RERT_EINPUT, "cohort gather: give the plan file");
  cohort_run_summary s;
  int rc = cohort_gather(cli_pos(a, 1), &s, err);
  if (rc) return rc;
  print_summary(a, "slurm", &s, 0, 0);
  return RERT_OK;
}

static int do_export(const rert_args *a, rert_err *err) {
  const char *reg = cli_str(a, "registry");
  if (!reg) return rert_err_set(err, RERT_EINPUT, "cohort export: --registry FILE is required");
  const char *tn = cli_str(a, "table");
  static const char *names[] = {"wide", "metrics", "cases", "outcomes", "verdicts"};
  int kind = -1;
  for (int i = 0; i < 5; i++)
    if (!strcmp(tn, names[i])) kind = i;
  if (kind < 0) return rert_err_set(err, RERT_EINPUT, "--table %s: use wide, metrics, cases, outcomes or verdicts", tn);
  int pid = 0;
  int rc = cli_int(a, "param-set", &pid, err);
  if (rc) return rc;
  cohort_registry *r;
  if ((rc = cohort_registry_open(reg, 0, &r, err))) return rc;
  cohort_table t;
  rc = cohort_table_build(r, (cohort_table_kind)kind, pid, &t, err);
  cohort_registry_close(r);
  if (rc) return rc;
  rc = cohort_table_write_csv(&t, cli_str(a, "out"), err);
  if (!rc && cli_str(a, "out") && strcmp(cli_str(a, "out"), "-"))
    fprintf(stderr, "rert cohort export: %d row(s) x %d column(s) -> %s\n", t.nrow, t.ncol, cli_str(a, "out"));
  cohort_table_free(&t);
  return rc;
}

static int run(const rert_args *a, rert_err *err) {
  const char *act = cli_pos(a, 0);
  {
    /* output files are never inputs (rert/fileio.h): the registry, the plan, the manifest */
    const char *o = cli_str(a, "out");
    const char *outs[] = {o && strcmp(o, "-") ? o : NULL, cli_str(a, "plot")};
    const char *names[] = {"--out", "--plot"};
    const char *ins[] = {cli_str(a, "registry"), cli_pos(a, 1)};
    int rc = fileio_check_outputs(outs, names, 2, ins, 2, err);
    if (rc) return rc;
  }
  if (!strcmp(act, "run")) return do_run(a, err);
  if (!strcmp(act, "task")) return do_task(a, err);
  if (!strcmp(act, "gather")) return do_gather(a, err);
  if (!strcmp(act, "export")) return do_export(a, err);
  if (!strcmp(act, "analyse") || !strcmp(act, "analyze")) return cohort_cli_analyse(a, err);
  if (!strcmp(act, "status")) return cohort_cli_status(a, err);
  return rert_err_set(err, RERT_EINPUT, "cohort: unknown action '%s' (run, task, gather, export, analyse, status)", act);
}

const rert_cmd rert_cmd_cohort = {
    "cohort",
    "cohort research: run every case of a manifest into a registry, export, survival and dose-response analyses",
    "run MANIFEST.csv | task PLAN | gather PLAN | export | analyse dose-response|km|cox | status",
    "run: every case of the manifest (case files, outcome columns) gets the checked accumulation and evaluation; "
    "per-organ cumulative EQD2 metrics, nominal and worst case, under EACH --recovery assumption, protocol verdicts, "
    "clinical facts, outcomes and input digests go into an SQLite registry (WAL; schema in docs/cohort.md). Runs are "
    "idempotent and resumable: a case whose inputs and parameters are already in the registry is skipped; a failing case "
    "is recorded with its error and the cohort goes on (exit 4 when any case of the manifest is not ok). Engines: local "
    "(a pool of worker processes, --jobs) or slurm (sbatch --array of `rert cohort task` slices and an afterany gather "
    "job). export writes CSV; analyse fits dose-response (logistic and probit/LKB, maximum likelihood, profile-likelihood "
    "intervals, calibration) under each recovery assumption side by side and ranks them by AIC, or runs Kaplan-Meier and "
    "Cox on registry columns. status lists runs, parameter sets and failed cases.",
    opts,
    "rert cohort run cohort.csv --registry cohort.sqlite --recovery none,s4_stepwise,exp1y=exponential:halftime_years=1,care_uplift\n"
    "rert cohort run cohort.csv --registry cohort.sqlite --engine slurm --partition short --time-limit 00:30:00 --wait\n"
    "rert cohort export --registry cohort.sqlite --out cohort_wide.csv\n"
    "rert cohort analyse dose-response --registry cohort.sqlite --endpoint necrosis --grade 3 --structure Brainstem --metric Dmax --plot dr.svg\n"
    "rert cohort analyse km --registry cohort.sqlite --time death_months --event death --group ecog\n"
    "rert cohort analyse cox --registry cohort.sqlite --time death_months --event death --covariate ecog,age_years\n"
    "rert cohort status --registry cohort.sqlite",
    1,
    2,
    run};
