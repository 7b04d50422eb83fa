/* cohort_plan.c — the plan of a run (what workers and Slurm tasks execute) and the preparation
 * every engine shares: registry, parameter set, manifest outcomes, run row, known case keys.
 *
 * Plan file (JSON, schema "rert-cohort-plan/1"): registry and manifest paths, run id, the
 * parameters and their digest, and one entry per manifest row {index, id, case, export,
 * known_key}. A worker needs nothing else, so a Slurm task on another node reads only the plan
 * and the case files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cohort_internal.h"
#include "rert/data.h"
#include "rert/fileio.h"

void cohort_plan_free(cohort_plan *pl) {
  if (!pl) return;
  for (int i = 0; i < pl->nstrings; i++) free(pl->strings[i]);
  free(pl->strings);
  free(pl->cases);
  memset(pl, 0, sizeof *pl);
}

static const char *keep(cohort_plan *pl, const char *s) {
  if (!s) return NULL;
  char **ns = realloc(pl->strings, (size_t)(pl->nstrings + 1) * sizeof *ns);
  if (!ns) return NULL;
  pl->strings = ns;
  return pl->strings[pl->nstrings++] = strdup(s);
}

int cohort_plan_write(const char *path, const cohort_plan *pl, rert_err *err) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "schema", "rert-cohort-plan/1");
  cJSON_AddStringToObject(o, "registry", pl->registry);
  cJSON_AddStringToObject(o, "manifest", pl->manifest);
  cJSON_AddStringToObject(o, "manifest_sha256", pl->manifest_sha256);
  cJSON_AddNumberToObject(o, "run_id", (double)pl->run_id);
  cJSON_AddStringToObject(o, "param_sha256", pl->param_sha256);
  cJSON_AddItemToObject(o, "params", cohort_params_to_json(&pl->params));
  cJSON *arr = cJSON_AddArrayToObject(o, "cases");
  for (int i = 0; i < pl->n; i++) {
    const cohort_case_ref *c = &pl->cases[i];
    cJSON *x = cJSON_CreateObject();
    cJSON_AddNumberToObject(x, "index", c->index);
    cJSON_AddStringToObject(x, "id", c->id);
    if (c->case_path && *c->case_path) cJSON_AddStringToObject(x, "case", c->case_path);
    if (c->export_dir && *c->export_dir) cJSON_AddStringToObject(x, "export", c->export_dir);
    if (c->known_key && *c->known_key) cJSON_AddStringToObject(x, "known_key", c->known_key);
    cJSON_AddItemToArray(arr, x);
  }
  char *s = cJSON_Print(o);
  cJSON_Delete(o);
  if (!s) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  int rc = atomic_write_buffer(path, s, strlen(s), err);
  free(s);
  return rc;
}

static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(x) ? x->valuestring : NULL;
}

int cohort_plan_read(const char *path, cohort_plan *pl, rert_err *err) {
  memset(pl, 0, sizeof *pl);
  cJSON *o;
  if (json_load_file(path, &o, err)) return RERT_EINPUT;
  int rc = RERT_OK;
  const char *sc = jstr(o, "schema");
  if (!sc || strcmp(sc, "rert-cohort-plan/1")) rc = rert_err_set(err, RERT_EINPUT, "%s: not a rert cohort plan", path);
  if (!rc) rc = cohort_params_from_json(cJSON_GetObjectItemCaseSensitive(o, "params"), &pl->params, err);
  if (!rc) {
    snprintf(pl->registry, sizeof pl->registry, "%s", jstr(o, "registry") ? jstr(o, "registry") : "");
    snprintf(pl->manifest, sizeof pl->manifest, "%s", jstr(o, "manifest") ? jstr(o, "manifest") : "");
    snprintf(pl->manifest_sha256, sizeof pl->manifest_sha256, "%s", jstr(o, "manifest_sha256") ? jstr(o, "manifest_sha256") : "");
    snprintf(pl->param_sha256, sizeof pl->param_sha256, "%s", jstr(o, "param_sha256") ? jstr(o, "param_sha256") : "");
    const cJSON *ri = cJSON_GetObjectItemCaseSensitive(o, "run_id");
    pl->run_id = cJSON_IsNumber(ri) ? (long long)ri->valuedouble : 0;
    /* the digest must be that of the parameters: a hand-edited plan cannot mislabel results */
    char sha[65];
    cohort_params_digest(&pl->params, sha);
    if (strcmp(sha, pl->param_sha256)) rc = rert_err_set(err, RERT_EINPUT, "%s: param_sha256 does not match the parameters", path);
  }
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "cases");
  int n = cJSON_GetArraySize(arr);
  if (!rc) {
    pl->cases = calloc(n > 0 ? (size_t)n : 1, sizeof *pl->cases);
    if (!pl->cases) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  const cJSON *x;
  cJSON_ArrayForEach(x, arr) {
    if (rc) break;
    cohort_case_ref *c = &pl->cases[pl->n];
    c->index = pl->n;
    c->id = keep(pl, jstr(x, "id"));
    c->case_path = keep(pl, jstr(x, "case") ? jstr(x, "case") : "");
    c->export_dir = keep(pl, jstr(x, "export") ? jstr(x, "export") : "");
    c->known_key = jstr(x, "known_key") ? keep(pl, jstr(x, "known_key")) : NULL;
    if (!c->id || !c->case_path || !c->export_dir) rc = rert_err_set(err, RERT_EINPUT, "%s: case %d without id", path, pl->n);
    pl->n++;
  }
  cJSON_Delete(o);
  if (rc) cohort_plan_free(pl);
  return rc;
}

int cohort_work_dir(const char *registry, const char *work_dir, long long run_id, char *out,
                    size_t n, rert_err *err) {
  int k = work_dir && *work_dir ? snprintf(out, n, "%s/run-%lld", work_dir, run_id)
                                : snprintf(out, n, "%s.work/run-%lld", registry, run_id);
  if (k < 0 || (size_t)k >= n) return rert_err_set(err, RERT_EINPUT, "%s: work directory path too long", registry);
  return fileio_mkdirs(out, err);
}

int cohort_prepare(const char *manifest, const char *registry, const cohort_params *p,
                   const cohort_engine_opts *o, const char *engine, cohort_registry **reg,
                   long long *param_id, cohort_plan *pl, rert_err *err) {
  memset(pl, 0, sizeof *pl);
  *reg = NULL;
  cohort_manifest m;
  int rc = cohort_manifest_load(manifest, &m, err);
  if (rc) return rc;
  if ((rc = cohort_registry_open(registry, 1, reg, err))) {
    cohort_manifest_free(&m);
    return rc;
  }
  if (!rc) rc = cohort_registry_param_set(*reg, p, param_id, err);
  if (!rc) rc = cohort_registry_store_manifest(*reg, &m, err);
  if (!rc) rc = cohort_registry_run_begin(*reg, *param_id, engine, o->jobs, &m, o->command, &pl->run_id, err);
  if (!rc) {
    pl->params = *p;
    cohort_params_digest(p, pl->param_sha256);
    snprintf(pl->registry, sizeof pl->registry, "%s", registry);
    snprintf(pl->manifest, sizeof pl->manifest, "%s", manifest);
    snprintf(pl->manifest_sha256, sizeof pl->manifest_sha256, "%s", m.sha256);
    pl->cases = calloc((size_t)m.n, sizeof *pl->cases);
    if (!pl->cases) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  for (int i = 0; i < m.n && !rc; i++) {
    cohort_case_ref *c = &pl->cases[i];
    c->index = i;
    c->id = keep(pl, m.rows[i].id);
    c->case_path = keep(pl, m.rows[i].case_path);
    c->export_dir = keep(pl, m.rows[i].export_dir);
    char key[65] = "";
    if (!o->force) rc = cohort_registry_known_key(*reg, *param_id, m.rows[i].id, key, err);
    c->known_key = key[0] ? keep(pl, key) : NULL;
    if (!c->id || !c->case_path || !c->export_dir) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    pl->n++;
  }
  cohort_manifest_free(&m);
  if (rc) {
    cohort_registry_close(*reg);
    *reg = NULL;
    cohort_plan_free(pl);
  }
  return rc;
}

cJSON *cohort_result_lost(const cohort_case_ref *c, const char *kind, const char *msg) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "index", c->index);
  cJSON_AddStringToObject(r, "id", c->id);
  cJSON_AddStringToObject(r, "case_path", c->case_path ? c->case_path : "");
  cJSON_AddStringToObject(r, "status", "failed");
  cJSON_AddNumberToObject(r, "exit_status", RERT_EINTERNAL);
  cJSON_AddStringToObject(r, "error_kind", kind);
  cJSON_AddStringToObject(r, "error", msg);
  return r;
}

void cohort_summary_count(cohort_run_summary *s, const cJSON *r) {
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "status");
  const char *v = cJSON_IsString(st) ? st->valuestring : "failed";
  s->total++;
  if (!strcmp(v, "ok")) s->ok++;
  else if (!strcmp(v, "skipped")) s->skipped++;
  else if (!strcmp(v, "refused")) s->refused++;
  else s->failed++;
}
