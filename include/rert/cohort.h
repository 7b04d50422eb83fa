/* cohort.h — cohort research at scale: run the checked accumulation and evaluation of every case
 * of a manifest, keep the results in a registry (embedded SQLite), and analyse them (survival,
 * dose–response under each recovery assumption). docs/cohort.md is the user guide and documents
 * the registry schema.
 *
 * Design:
 *  - One case is run by cohort_case_run() into a result document (JSON): status, error, input
 *    digests, courses, per-organ cumulative metrics (nominal and worst case) under EACH requested
 *    recovery assumption, protocol verdicts and clinical facts. A case's failure is data: it is
 *    recorded, never propagated.
 *  - Engines only decide where cohort_case_run() executes: a pool of worker processes on this
 *    machine (fork/exec of `rert cohort task`, results streamed back over pipes), or a Slurm job
 *    array whose tasks write result files merged by a dependent gather job. The registry has one
 *    writer: the parent process (local) or the gather job (Slurm).
 *  - Idempotent and resumable: a case's key is the SHA-256 of the parameter set and of every input
 *    file; a case whose key is already in the registry (as a success or as a deterministic input
 *    error) is skipped; internal errors, crashes and timeouts are retried on the next run.
 *  - Outcomes (toxicity grade/date, local failure, death, follow-up) come from the manifest and
 *    are refreshed on every run, without recomputing doses.
 */
#ifndef RERT_COHORT_H
#define RERT_COHORT_H

#include <cjson/cJSON.h>

#include "rert/accumulate.h"
#include "rert/doseresp.h"
#include "rert/err.h"

#define COHORT_SCHEMA_VERSION 1
#define COHORT_MAX_RECOVERY 16
#define COHORT_MAX_METRICS 16
#define COHORT_MAX_PROTOCOLS 16
#define COHORT_PATH_LEN 1024

/* ---- parameters (one "parameter set" of the registry) ---- */
typedef struct {
  char label[48];   /* column-safe name, e.g. "none", "s4_stepwise", "exp_2y" */
  char spec[96];    /* recovery_model_get spec, or "case" (the case file's per-organ models) */
} cohort_recovery;

typedef struct {
  int nrecovery;
  cohort_recovery recovery[COHORT_MAX_RECOVERY];
  int nmetrics;
  char metrics[COHORT_MAX_METRICS][32];   /* protocol metric strings: Dmax, D0.03cc, Dmean, D2cc, V50Gy[cc] */
  int nprotocols;                         /* 0 = each case file's own "protocols" */
  char protocols[COHORT_MAX_PROTOCOLS][64];
  double uncertainty_mm;                  /* worst case radius (0: worst = nominal) */
  double alpha_beta_gy;                   /* NaN: organ values (data/tissues.json, case overrides) */
  accum_ab_rule rule;
  int outside_grid_strict;
  char report_dir[COHORT_PATH_LEN];       /* "" = no per-case consult report */
} cohort_params;

void cohort_params_init(cohort_params *p); /* none,s4_stepwise,exponential 2 y,care_uplift; Dmax,D0.03cc,D2cc,Dmean */
/* "none,s4_stepwise,exp2=exponential:halftime_years=2": items LABEL=SPEC or SPEC (label derived). */
int cohort_params_set_recovery(cohort_params *p, const char *const *items, int n, rert_err *err);
int cohort_params_set_metrics(cohort_params *p, const char *const *items, int n, rert_err *err);
cJSON *cohort_params_to_json(const cohort_params *p);
int cohort_params_from_json(const cJSON *j, cohort_params *p, rert_err *err);
/* SHA-256 (hex) of the canonical JSON of the parameters that change results (not report_dir). */
void cohort_params_digest(const cohort_params *p, char hex[65]);

/* ---- manifest ---- */
typedef struct {
  char kind[16];     /* "toxicity", "local_failure", "death", "followup" */
  char endpoint[64]; /* toxicity endpoint name ("" for the others) */
  int grade;         /* toxicity grade 0–5 (−1 unknown); 1/0 event flag for local_failure/death */
  char date[11];     /* YYYY-MM-DD or "" */
} cohort_outcome;

typedef struct {
  char id[128];
  char case_path[COHORT_PATH_LEN];   /* resolved against the manifest's directory, "" if none */
  char export_dir[COHORT_PATH_LEN];  /* for `rert case init`, "" if none */
  int noutcomes;
  cohort_outcome *outcomes;
  int nextra;
  char (*extra_key)[64];             /* other columns (site, arm, ...): kept as covariates */
  char (*extra_val)[128];
} cohort_manifest_row;

typedef struct {
  char path[COHORT_PATH_LEN];
  char sha256[65];
  int n;
  cohort_manifest_row *rows;
} cohort_manifest;

/* Columns: case (or export), optional id, tox_<endpoint>_grade / tox_<endpoint>_date,
 * local_failure, local_failure_date, death, death_date, last_followup; any other column is an
 * extra covariate. Errors name the file, row and column. Ids must be unique. */
int cohort_manifest_load(const char *path, cohort_manifest *m, rert_err *err);
void cohort_manifest_free(cohort_manifest *m);

/* ---- one case ---- */
typedef struct {
  int index;
  const char *id;
  const char *case_path;
  const char *export_dir;
  const char *known_key;  /* key stored in the registry, or NULL: equal key → "skipped" */
} cohort_case_ref;

/* Runs one case; never fails for a problem of the case (the result says "failed"/"refused").
 * Returns RERT_EINTERNAL only when the result document itself cannot be built. */
int cohort_case_run(const cohort_params *p, const char *param_sha256, const cohort_case_ref *c,
                    cJSON **result, rert_err *err);

/* ---- plan (what a worker or a Slurm task runs) ---- */
typedef struct {
  cohort_params params;
  char param_sha256[65];
  char registry[COHORT_PATH_LEN];
  char manifest[COHORT_PATH_LEN];
  char manifest_sha256[65];
  long long run_id;
  int n;
  cohort_case_ref *cases;  /* strings owned by the plan */
  char **strings;
  int nstrings;
} cohort_plan;

int cohort_plan_write(const char *path, const cohort_plan *pl, rert_err *err);
int cohort_plan_read(const char *path, cohort_plan *pl, rert_err *err);
void cohort_plan_free(cohort_plan *pl);

/* Worker loops: read case indices from in_fd ("<index>\n"), write one JSON line per case to
 * out_fd; or run every index ≡ slice (mod nslices) and append JSON lines to out_path. */
int cohort_task_stream(const cohort_plan *pl, int in_fd, int out_fd, rert_err *err);
int cohort_task_slice(const cohort_plan *pl, int slice, int nslices, const char *out_path,
                      rert_err *err);

/* ---- registry ---- */
typedef struct cohort_registry cohort_registry;

int cohort_registry_open(const char *path, int create, cohort_registry **r, rert_err *err);
void cohort_registry_close(cohort_registry *r);
int cohort_registry_param_set(cohort_registry *r, const cohort_params *p, long long *param_id,
                              rert_err *err);
int cohort_registry_run_begin(cohort_registry *r, long long param_id, const char *engine, int jobs,
                              const cohort_manifest *m, const char *command, long long *run_id,
                              rert_err *err);
int cohort_registry_run_end(cohort_registry *r, long long run_id, int ok, int failed, int skipped,
                            rert_err *err);
/* Replace the outcomes and extra covariates of every manifest row. */
int cohort_registry_store_manifest(cohort_registry *r, const cohort_manifest *m, rert_err *err);
/* Key of a stored case under this parameter set when it need not be recomputed (a success or a
 * deterministic input failure); "" otherwise. */
int cohort_registry_known_key(cohort_registry *r, long long param_id, const char *case_id,
                              char key[65], rert_err *err);
/* Store one result document (replacing any previous one for the same case and parameter set).
 * "skipped" results only bump the run's counters. */
int cohort_registry_store_result(cohort_registry *r, long long run_id, long long param_id,
                                 const cJSON *result, rert_err *err);
int cohort_registry_begin(cohort_registry *r, rert_err *err);
/* Cases of the run's manifest (by its digest) whose stored status under the run's parameter set
 * is not "ok" — including cases skipped in this run because they failed before. */
int cohort_registry_not_ok(cohort_registry *r, long long run_id, int *n, rert_err *err);
/* Parameter sets with their assumptions, runs, counts by status and every case that is not ok. */
int cohort_registry_status(cohort_registry *r, cJSON **out, rert_err *err);
int cohort_registry_commit(cohort_registry *r, rert_err *err);

/* ---- engines ---- */
typedef struct {
  int jobs;                 /* worker processes (local) */
  double case_timeout_s;    /* 0 = none */
  int progress;             /* progress bar on stderr */
  int force;                /* recompute every case */
  const char *self_exe;     /* path of the rert binary (workers and Slurm tasks exec it) */
  const char *command;      /* command line, recorded in runs */
  /* slurm */
  int slurm_tasks;          /* array size (0 = min(cases, 100)) */
  const char *slurm_partition;
  const char *slurm_time;   /* --time of each task, e.g. "01:00:00" */
  const char *slurm_extra;  /* extra sbatch options (space-separated) */
  const char *work_dir;     /* shared directory for plan and result files ("" = <registry>.work) */
  int slurm_wait;           /* wait for the gather job (sbatch --wait) */
} cohort_engine_opts;

typedef struct {
  int total, ok, failed, refused, skipped;
  long long run_id;
  double seconds;
  char slurm_array_job[32], slurm_gather_job[32];
  char work_dir[COHORT_PATH_LEN];
} cohort_run_summary;

int cohort_run_local(const char *manifest, const char *registry, const cohort_params *p,
                     const cohort_engine_opts *o, cohort_run_summary *s, rert_err *err);
int cohort_run_slurm(const char *manifest, const char *registry, const cohort_params *p,
                     const cohort_engine_opts *o, cohort_run_summary *s, rert_err *err);
/* Merge the result files of a Slurm run (plan beside them) into the registry. */
int cohort_gather(const char *plan_path, cohort_run_summary *s, rert_err *err);

/* ---- export and analysis ---- */
typedef struct {
  int ncol, nrow;
  char **header;   /* ncol */
  char **cell;     /* nrow × ncol, NULL = missing */
} cohort_table;

typedef enum { COHORT_TABLE_WIDE = 0, COHORT_TABLE_METRICS, COHORT_TABLE_CASES,
               COHORT_TABLE_OUTCOMES, COHORT_TABLE_VERDICTS } cohort_table_kind;

/* param_id ≤ 0: the parameter set of the latest run. The wide table has one row per case:
 * identity, status, verdict, clinical facts, outcomes (times in months from the start of the new
 * course), extra manifest columns and one column per metric: <structure>.<metric>.<recovery>
 * (nominal) and ….worst, and ….eff for limit models (value / limit factor). */
int cohort_table_build(cohort_registry *r, cohort_table_kind kind, long long param_id,
                       cohort_table *t, rert_err *err);
void cohort_table_free(cohort_table *t);
int cohort_table_write_csv(const cohort_table *t, const char *path, rert_err *err);
int cohort_table_column(const cohort_table *t, const char *name);

/* ---- recovery sensitivity of a dose–response fit ----
 * The same binary outcome (toxicity endpoint at grade ≥ grade_min) fitted against the same metric
 * of the same structure under each recovery assumption of the parameter set, on the SAME patients
 * (a case enters only when its metric is known under every compared assumption, so likelihoods
 * are comparable). All fits have two parameters, so the ranking by AIC is the ranking by
 * likelihood; Akaike weights say how strongly the data prefer one assumption over the others.
 * Limit models enter through their effective dose (value / limit factor). */
typedef struct {
  const char *endpoint;      /* toxicity endpoint of the manifest (tox_<endpoint>_grade) */
  int grade_min;             /* event = grade ≥ this (default 3) */
  const char *structure, *metric;
  int nlabels;               /* 0 = every assumption of the parameter set */
  const char *const *labels;
  int worst;                 /* fit the worst-case (upper-bound) metric */
  int nmodels;
  dr_model models[2];
  double conf_level;
  double min_followup_months; /* non-events followed less than this are excluded (0 = none) */
  long long param_id;        /* ≤ 0: latest run */
} cohort_dr_spec;

typedef struct {
  char label[48], spec[96], kind[16], column[600];
  int ok[2];
  dr_fit fit[2];             /* per model of the spec */
  char error[2][256];
  double delta_aic[2], weight[2];
  int rank[2];               /* 1 = preferred */
} cohort_dr_row;

typedef struct {
  int n, events, excluded_missing_outcome, excluded_missing_metric, excluded_followup, excluded_status;
  int nrows;
  cohort_dr_row *rows;
  double *x;                 /* nrows × n: metric of each included case under each assumption */
  int *y;                    /* n */
  char **case_ids;           /* n */
} cohort_dr_result;

int cohort_dose_response(cohort_registry *r, const cohort_dr_spec *s, cohort_dr_result *out,
                         rert_err *err);
void cohort_dr_result_free(cohort_dr_result *d);

#endif
