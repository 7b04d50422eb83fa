/* cohort_registry.c — the cohort registry: an embedded SQLite database (WAL journal), schema
 * version COHORT_SCHEMA_VERSION, documented table by table in docs/cohort.md.
 *
 * One writer at a time (the parent of a local run, the gather job of a Slurm run); readers
 * (export, analyse) may run concurrently thanks to WAL. A case result replaces the previous one of
 * the same case under the same parameter set in one transaction (ON DELETE CASCADE removes its
 * rows), so re-runs never duplicate rows. Outcomes and extra covariates belong to the manifest's
 * case id and are replaced on every run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "cohort_registry_internal.h"
#include "rert/recovery.h"

#ifndef RERT_VERSION
#define RERT_VERSION "0.0.0"
#endif

static const char *schema_v1 =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE param_sets(param_id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE NOT NULL,"
    " params_json TEXT NOT NULL, uncertainty_mm REAL, alpha_beta_gy REAL, alpha_beta_rule TEXT,"
    " outside_grid TEXT, metrics TEXT, protocols TEXT, created_at TEXT);"
    "CREATE TABLE assumptions(param_id INTEGER NOT NULL REFERENCES param_sets ON DELETE CASCADE,"
    " label TEXT NOT NULL, spec TEXT NOT NULL, kind TEXT, citation TEXT, verified INTEGER,"
    " PRIMARY KEY(param_id, label));"
    "CREATE TABLE runs(run_id INTEGER PRIMARY KEY, param_id INTEGER REFERENCES param_sets,"
    " started_at TEXT, finished_at TEXT, rert_version TEXT, engine TEXT, jobs INTEGER,"
    " manifest_path TEXT, manifest_sha256 TEXT, command TEXT, n_cases INTEGER, n_ok INTEGER,"
    " n_failed INTEGER, n_skipped INTEGER);"
    "CREATE TABLE manifest_cases(case_id TEXT PRIMARY KEY, case_path TEXT, export_dir TEXT,"
    " manifest_sha256 TEXT, updated_at TEXT);"
    "CREATE TABLE outcomes(case_id TEXT NOT NULL REFERENCES manifest_cases ON DELETE CASCADE,"
    " kind TEXT NOT NULL, endpoint TEXT NOT NULL, grade INTEGER, event_date TEXT,"
    " PRIMARY KEY(case_id, kind, endpoint));"
    "CREATE TABLE covariates(case_id TEXT NOT NULL REFERENCES manifest_cases ON DELETE CASCADE,"
    " name TEXT NOT NULL, value TEXT, PRIMARY KEY(case_id, name));"
    "CREATE TABLE patients(patient_pk INTEGER PRIMARY KEY, patient_id TEXT UNIQUE NOT NULL,"
    " sex TEXT, birth_year INTEGER);"
    "CREATE TABLE cases(case_pk INTEGER PRIMARY KEY, case_id TEXT NOT NULL,"
    " param_id INTEGER NOT NULL REFERENCES param_sets, run_id INTEGER REFERENCES runs,"
    " case_key TEXT, case_path TEXT, patient_pk INTEGER REFERENCES patients, status TEXT NOT NULL,"
    " exit_status INTEGER, error_kind TEXT, error TEXT, gate TEXT, verdict TEXT, origin_date TEXT,"
    " uncertainty_mm REAL, seconds REAL, report TEXT, computed_at TEXT, UNIQUE(case_id, param_id));"
    "CREATE TABLE inputs(case_pk INTEGER NOT NULL REFERENCES cases ON DELETE CASCADE, role TEXT,"
    " path TEXT, sha256 TEXT, bytes INTEGER);"
    "CREATE TABLE courses(case_pk INTEGER NOT NULL REFERENCES cases ON DELETE CASCADE,"
    " course_id TEXT NOT NULL, role TEXT, start_date TEXT, end_date TEXT, modality TEXT,"
    " rbe_model TEXT, fractions INTEGER, fractions_per_day INTEGER, prescription_gy REAL,"
    " interval_months REAL, mapping TEXT, PRIMARY KEY(case_pk, course_id));"
    "CREATE TABLE structures(case_pk INTEGER NOT NULL REFERENCES cases ON DELETE CASCADE,"
    " name TEXT NOT NULL, is_target INTEGER, contours INTEGER, PRIMARY KEY(case_pk, name));"
    "CREATE TABLE metrics(case_pk INTEGER NOT NULL REFERENCES cases ON DELETE CASCADE,"
    " recovery TEXT NOT NULL, structure TEXT NOT NULL, metric TEXT NOT NULL, alpha_beta_gy REAL,"
    " nominal REAL, worst REAL, limit_factor REAL, effective REAL, effective_worst REAL,"
    " complete INTEGER, outside_pct REAL, structure_cc REAL, recovery_used TEXT,"
    " PRIMARY KEY(case_pk, recovery, structure, metric));"
    "CREATE TABLE verdicts(case_pk INTEGER NOT NULL REFERENCES cases ON DELETE CASCADE,"
    " protocol TEXT NOT NULL, verdict TEXT, hard_failures INTEGER, hard_incomplete INTEGER,"
    " desirable_failures INTEGER, not_evaluated INTEGER, PRIMARY KEY(case_pk, protocol));"
    "CREATE TABLE constraint_rows(case_pk INTEGER NOT NULL REFERENCES cases ON DELETE CASCADE,"
    " protocol TEXT, constraint_id TEXT, structure TEXT, metric TEXT, tier TEXT, value REAL,"
    " worst_value REAL, limit_value REAL, verdict TEXT, worst_verdict TEXT);"
    "CREATE TABLE clinical(case_pk INTEGER NOT NULL REFERENCES cases ON DELETE CASCADE,"
    " name TEXT NOT NULL, value TEXT, PRIMARY KEY(case_pk, name));"
    "CREATE INDEX metrics_by_recovery ON metrics(recovery, structure, metric);"
    "CREATE INDEX cases_by_param ON cases(param_id, status);";

static void now_iso(char *b, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(b, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int db_err(cohort_registry *r, int code, const char *what, rert_err *err) {
  return rert_err_set(err, code, "%s: %s: %s", r->path, what, sqlite3_errmsg(r->db));
}

int cohort_reg_exec(cohort_registry *r, const char *sql, rert_err *err) {
  char *msg = NULL;
  if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    int rc = rert_err_set(err, RERT_EINTERNAL, "%s: %s", r->path, msg ? msg : "SQL error");
    sqlite3_free(msg);
    return rc;
  }
  return RERT_OK;
}

int cohort_reg_prepare(cohort_registry *r, const char *sql, sqlite3_stmt **st, rert_err *err) {
  if (sqlite3_prepare_v2(r->db, sql, -1, st, NULL) != SQLITE_OK) return db_err(r, RERT_EINTERNAL, "prepare", err);
  return RERT_OK;
}

int cohort_registry_open(const char *path, int create, cohort_registry **out, rert_err *err) {
  *out = NULL;
  cohort_registry *r = calloc(1, sizeof *r);
  if (!r) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  snprintf(r->path, sizeof r->path, "%s", path);
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path, &r->db, flags, NULL) != SQLITE_OK) {
    int rc = rert_err_set(err, RERT_EINPUT, "%s: cannot open the registry (%s)", path,
                          r->db ? sqlite3_errmsg(r->db) : "out of memory");
    sqlite3_close(r->db);
    free(r);
    return rc;
  }
  sqlite3_busy_timeout(r->db, 60000);
  /* journal_mode=WAL is persistent: set once when the registry is created, so opening a file
   * that is not a registry never writes to it */
  int rc = cohort_reg_exec(r, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", err);
  if (rc) rc = rert_err_prefix(err, RERT_EINPUT, "not a rert cohort registry");
  /* schema: create when empty, check the version otherwise */
  sqlite3_stmt *st = NULL;
  int has_meta = 0;
  if (!rc && sqlite3_prepare_v2(r->db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'", -1, &st, NULL) != SQLITE_OK)
    rc = rert_err_set(err, RERT_EINPUT, "%s: not a rert cohort registry (%s)", path, sqlite3_errmsg(r->db));
  if (!rc) {
    if (sqlite3_step(st) == SQLITE_ROW) has_meta = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
  }
  if (!rc && !has_meta) {
    sqlite3_stmt *c2 = NULL;
    int ntab = 0;
    if (!(rc = cohort_reg_prepare(r, "SELECT count(*) FROM sqlite_master", &c2, err))) {
      if (sqlite3_step(c2) == SQLITE_ROW) ntab = sqlite3_column_int(c2, 0);
      sqlite3_finalize(c2);
    }
    if (!rc && ntab > 0) rc = rert_err_set(err, RERT_EINPUT, "%s: an SQLite database that is not a rert cohort registry", path);
    else if (!rc && !create) rc = rert_err_set(err, RERT_EINPUT, "%s: empty registry (run `rert cohort run` first)", path);
    else if (!rc) {
      char sql[512], now[32];
      now_iso(now, sizeof now);
      rc = cohort_reg_exec(r, "PRAGMA journal_mode=WAL", err);
      if (!rc) rc = cohort_reg_exec(r, "BEGIN", err);
      if (!rc) rc = cohort_reg_exec(r, schema_v1, err);
      snprintf(sql, sizeof sql,
               "INSERT INTO meta VALUES('schema_version','%d'),('created_by','rert %s'),('created_at','%s'),"
               "('application','rert cohort registry')",
               COHORT_SCHEMA_VERSION, RERT_VERSION, now);
      if (!rc) rc = cohort_reg_exec(r, sql, err);
      if (rc) cohort_reg_exec(r, "ROLLBACK", NULL);
      else rc = cohort_reg_exec(r, "COMMIT", err);
    }
  } else if (!rc) {
    int v = 0;
    if (!(rc = cohort_reg_prepare(r, "SELECT value FROM meta WHERE key='schema_version'", &st, err))) {
      if (sqlite3_step(st) == SQLITE_ROW) v = atoi((const char *)sqlite3_column_text(st, 0));
      sqlite3_finalize(st);
    }
    if (!rc && v != COHORT_SCHEMA_VERSION)
      rc = rert_err_set(err, RERT_EINPUT, "%s: registry schema version %d, this rert reads version %d", path, v,
                        COHORT_SCHEMA_VERSION);
  }
  if (rc) {
    sqlite3_close(r->db);
    free(r);
    return rc;
  }
  *out = r;
  return RERT_OK;
}

void cohort_registry_close(cohort_registry *r) {
  if (!r) return;
  sqlite3_close(r->db);
  free(r);
}

int cohort_registry_begin(cohort_registry *r, rert_err *err) { return cohort_reg_exec(r, "BEGIN IMMEDIATE", err); }
int cohort_registry_commit(cohort_registry *r, rert_err *err) { return cohort_reg_exec(r, "COMMIT", err); }

/* bind helpers: NULL for missing/NaN */
static void bind_text(sqlite3_stmt *st, int i, const char *s) {
  if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_null(st, i);
}
static void bind_num(sqlite3_stmt *st, int i, double v) {
  if (isnan(v) || isinf(v)) sqlite3_bind_null(st, i);
  else sqlite3_bind_double(st, i, v);
}
static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(x) ? x->valuestring : NULL;
}
static double jnum(const cJSON *o, const char *k) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}
static int jbool(const cJSON *o, const char *k) { return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k)); }

static int step_done(cohort_registry *r, sqlite3_stmt *st, rert_err *err) {
  int s = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (s != SQLITE_DONE && s != SQLITE_ROW) return db_err(r, RERT_EINTERNAL, "write", err);
  return RERT_OK;
}

int cohort_registry_param_set(cohort_registry *r, const cohort_params *p, long long *param_id,
                              rert_err *err) {
  char sha[65], now[32];
  cohort_params_digest(p, sha);
  now_iso(now, sizeof now);
  sqlite3_stmt *st;
  int rc = cohort_reg_prepare(r, "SELECT param_id FROM param_sets WHERE sha256=?", &st, err);
  if (rc) return rc;
  bind_text(st, 1, sha);
  *param_id = 0;
  if (sqlite3_step(st) == SQLITE_ROW) *param_id = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (*param_id) return RERT_OK;
  cJSON *j = cohort_params_to_json(p);
  cJSON_DeleteItemFromObject(j, "report_dir");
  char *js = cJSON_PrintUnformatted(j);
  char metrics[COHORT_MAX_METRICS * 33] = "", prot[COHORT_MAX_PROTOCOLS * 65] = "";
  for (int i = 0; i < p->nmetrics; i++) strcat(strcat(metrics, i ? "," : ""), p->metrics[i]);
  for (int i = 0; i < p->nprotocols; i++) strcat(strcat(prot, i ? "," : ""), p->protocols[i]);
  rc = cohort_reg_exec(r, "BEGIN IMMEDIATE", err);
  if (!rc && !(rc = cohort_reg_prepare(r, "INSERT INTO param_sets(sha256,params_json,uncertainty_mm,alpha_beta_gy,"
                                          "alpha_beta_rule,outside_grid,metrics,protocols,created_at) VALUES(?,?,?,?,?,?,?,?,?)",
                                       &st, err))) {
    bind_text(st, 1, sha);
    bind_text(st, 2, js);
    bind_num(st, 3, p->uncertainty_mm);
    bind_num(st, 4, p->alpha_beta_gy);
    bind_text(st, 5, p->rule == AB_RULE_LIST_ORDER ? "list-order" : "lowest-oar");
    bind_text(st, 6, p->outside_grid_strict ? "strict" : "zero");
    bind_text(st, 7, metrics);
    bind_text(st, 8, p->nprotocols ? prot : "(case files)");
    bind_text(st, 9, now);
    rc = step_done(r, st, err);
    sqlite3_finalize(st);
    *param_id = sqlite3_last_insert_rowid(r->db);
  }
  if (!rc && !(rc = cohort_reg_prepare(r, "INSERT INTO assumptions VALUES(?,?,?,?,?,?)", &st, err))) {
    for (int i = 0; i < p->nrecovery && !rc; i++) {
      recovery_model m;
      rert_err e;
      int is_case = !strcmp(p->recovery[i].spec, "case");
      int ok = is_case || !recovery_model_get(p->recovery[i].spec, &m, &e);
      sqlite3_bind_int64(st, 1, *param_id);
      bind_text(st, 2, p->recovery[i].label);
      bind_text(st, 3, p->recovery[i].spec);
      bind_text(st, 4, is_case ? "case" : !ok ? "?" : recovery_is_limit_model(&m) ? "limit" : "prior");
      bind_text(st, 5, is_case ? "per-organ models of each case file" : ok ? m.citation : NULL);
      if (is_case || !ok) sqlite3_bind_null(st, 6);
      else sqlite3_bind_int(st, 6, m.verified);
      rc = step_done(r, st, err);
    }
    sqlite3_finalize(st);
  }
  if (rc) cohort_reg_exec(r, "ROLLBACK", NULL);
  else rc = cohort_reg_exec(r, "COMMIT", err);
  free(js);
  cJSON_Delete(j);
  return rc;
}

int cohort_registry_run_begin(cohort_registry *r, long long param_id, const char *engine, int jobs,
                              const cohort_manifest *m, const char *command, long long *run_id,
                              rert_err *err) {
  char now[32];
  now_iso(now, sizeof now);
  sqlite3_stmt *st;
  int rc = cohort_reg_prepare(r, "INSERT INTO runs(param_id,started_at,rert_version,engine,jobs,manifest_path,"
                                 "manifest_sha256,command,n_cases,n_ok,n_failed,n_skipped) VALUES(?,?,?,?,?,?,?,?,?,0,0,0)",
                              &st, err);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, param_id);
  bind_text(st, 2, now);
  bind_text(st, 3, RERT_VERSION);
  bind_text(st, 4, engine);
  sqlite3_bind_int(st, 5, jobs);
  bind_text(st, 6, m->path);
  bind_text(st, 7, m->sha256);
  bind_text(st, 8, command);
  sqlite3_bind_int(st, 9, m->n);
  rc = step_done(r, st, err);
  sqlite3_finalize(st);
  *run_id = sqlite3_last_insert_rowid(r->db);
  return rc;
}

int cohort_registry_run_end(cohort_registry *r, long long run_id, int ok, int failed, int skipped,
                            rert_err *err) {
  char now[32];
  now_iso(now, sizeof now);
  sqlite3_stmt *st;
  int rc = cohort_reg_prepare(r, "UPDATE runs SET finished_at=?, n_ok=?, n_failed=?, n_skipped=? WHERE run_id=?", &st, err);
  if (rc) return rc;
  bind_text(st, 1, now);
  sqlite3_bind_int(st, 2, ok);
  sqlite3_bind_int(st, 3, failed);
  sqlite3_bind_int(st, 4, skipped);
  sqlite3_bind_int64(st, 5, run_id);
  rc = step_done(r, st, err);
  sqlite3_finalize(st);
  return rc;
}

int cohort_registry_store_manifest(cohort_registry *r, const cohort_manifest *m, rert_err *err) {
  char now[32];
  now_iso(now, sizeof now);
  sqlite3_stmt *del = NULL, *ins = NULL, *out = NULL, *cov = NULL;
  int rc = cohort_reg_exec(r, "BEGIN IMMEDIATE", err);
  if (!rc) rc = cohort_reg_prepare(r, "DELETE FROM manifest_cases WHERE case_id=?", &del, err);
  if (!rc) rc = cohort_reg_prepare(r, "INSERT INTO manifest_cases VALUES(?,?,?,?,?)", &ins, err);
  if (!rc) rc = cohort_reg_prepare(r, "INSERT INTO outcomes VALUES(?,?,?,?,?)", &out, err);
  if (!rc) rc = cohort_reg_prepare(r, "INSERT INTO covariates VALUES(?,?,?)", &cov, err);
  for (int i = 0; i < m->n && !rc; i++) {
    const cohort_manifest_row *row = &m->rows[i];
    bind_text(del, 1, row->id);
    if ((rc = step_done(r, del, err))) break;
    bind_text(ins, 1, row->id);
    bind_text(ins, 2, row->case_path[0] ? row->case_path : NULL);
    bind_text(ins, 3, row->export_dir[0] ? row->export_dir : NULL);
    bind_text(ins, 4, m->sha256);
    bind_text(ins, 5, now);
    if ((rc = step_done(r, ins, err))) break;
    for (int k = 0; k < row->noutcomes && !rc; k++) {
      const cohort_outcome *o = &row->outcomes[k];
      bind_text(out, 1, row->id);
      bind_text(out, 2, o->kind);
      bind_text(out, 3, o->endpoint);
      if (o->grade >= 0) sqlite3_bind_int(out, 4, o->grade);
      else sqlite3_bind_null(out, 4);
      bind_text(out, 5, o->date[0] ? o->date : NULL);
      rc = step_done(r, out, err);
    }
    for (int k = 0; k < row->nextra && !rc; k++) {
      bind_text(cov, 1, row->id);
      bind_text(cov, 2, row->extra_key[k]);
      bind_text(cov, 3, row->extra_val[k]);
      rc = step_done(r, cov, err);
    }
  }
  sqlite3_finalize(del), sqlite3_finalize(ins), sqlite3_finalize(out), sqlite3_finalize(cov);
  if (rc) cohort_reg_exec(r, "ROLLBACK", NULL);
  else rc = cohort_reg_exec(r, "COMMIT", err);
  return rc;
}

int cohort_registry_known_key(cohort_registry *r, long long param_id, const char *case_id,
                              char key[65], rert_err *err) {
  key[0] = 0;
  sqlite3_stmt *st;
  int rc = cohort_reg_prepare(r, "SELECT case_key FROM cases WHERE case_id=? AND param_id=? AND case_key IS NOT NULL"
                                 " AND (status='ok' OR (status IN ('failed','refused') AND error_kind='input'))",
                              &st, err);
  if (rc) return rc;
  bind_text(st, 1, case_id);
  sqlite3_bind_int64(st, 2, param_id);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(key, 65, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return RERT_OK;
}

/* store the child rows of one case */
static int store_children(cohort_registry *r, long long pk, const cJSON *res, rert_err *err) {
  sqlite3_stmt *st = NULL;
  const cJSON *x;
  int rc = cohort_reg_prepare(r, "INSERT INTO inputs VALUES(?,?,?,?,?)", &st, err);
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(res, "inputs")) {
    if (rc) break;
    sqlite3_bind_int64(st, 1, pk);
    bind_text(st, 2, jstr(x, "role"));
    bind_text(st, 3, jstr(x, "path"));
    bind_text(st, 4, jstr(x, "sha256"));
    sqlite3_bind_int64(st, 5, (long long)jnum(x, "bytes"));
    rc = step_done(r, st, err);
  }
  sqlite3_finalize(st);
  if (!rc) rc = cohort_reg_prepare(r, "INSERT OR REPLACE INTO courses VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", &st, err);
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(res, "courses")) {
    if (rc) break;
    sqlite3_bind_int64(st, 1, pk);
    bind_text(st, 2, jstr(x, "id"));
    bind_text(st, 3, jstr(x, "role"));
    bind_text(st, 4, jstr(x, "start_date"));
    bind_text(st, 5, jstr(x, "end_date"));
    bind_text(st, 6, jstr(x, "modality"));
    bind_text(st, 7, jstr(x, "rbe_model"));
    bind_num(st, 8, jnum(x, "fractions"));
    bind_num(st, 9, jnum(x, "fractions_per_day"));
    bind_num(st, 10, jnum(x, "prescription_gy"));
    bind_num(st, 11, jnum(x, "interval_months"));
    bind_text(st, 12, jstr(x, "mapping"));
    rc = step_done(r, st, err);
  }
  sqlite3_finalize(st);
  if (!rc) rc = cohort_reg_prepare(r, "INSERT OR REPLACE INTO structures VALUES(?,?,?,?)", &st, err);
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(res, "structures")) {
    if (rc) break;
    sqlite3_bind_int64(st, 1, pk);
    bind_text(st, 2, jstr(x, "name"));
    sqlite3_bind_int(st, 3, jbool(x, "is_target"));
    sqlite3_bind_int(st, 4, jbool(x, "contours"));
    rc = step_done(r, st, err);
  }
  sqlite3_finalize(st);
  if (!rc) rc = cohort_reg_prepare(r, "INSERT OR REPLACE INTO metrics VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st, err);
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(res, "metrics")) {
    if (rc) break;
    sqlite3_bind_int64(st, 1, pk);
    bind_text(st, 2, jstr(x, "recovery"));
    bind_text(st, 3, jstr(x, "structure"));
    bind_text(st, 4, jstr(x, "metric"));
    bind_num(st, 5, jnum(x, "alpha_beta_gy"));
    bind_num(st, 6, jnum(x, "nominal"));
    bind_num(st, 7, jnum(x, "worst"));
    bind_num(st, 8, jnum(x, "limit_factor"));
    bind_num(st, 9, jnum(x, "effective"));
    bind_num(st, 10, jnum(x, "effective_worst"));
    sqlite3_bind_int(st, 11, jbool(x, "complete"));
    bind_num(st, 12, jnum(x, "outside_pct"));
    bind_num(st, 13, jnum(x, "structure_cc"));
    bind_text(st, 14, jstr(x, "recovery_used"));
    rc = step_done(r, st, err);
  }
  sqlite3_finalize(st);
  if (!rc) rc = cohort_reg_prepare(r, "INSERT OR REPLACE INTO verdicts VALUES(?,?,?,?,?,?,?)", &st, err);
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(res, "verdicts")) {
    if (rc) break;
    sqlite3_bind_int64(st, 1, pk);
    bind_text(st, 2, jstr(x, "protocol"));
    bind_text(st, 3, jstr(x, "verdict"));
    bind_num(st, 4, jnum(x, "hard_failures"));
    bind_num(st, 5, jnum(x, "hard_incomplete"));
    bind_num(st, 6, jnum(x, "desirable_failures"));
    bind_num(st, 7, jnum(x, "not_evaluated"));
    rc = step_done(r, st, err);
  }
  sqlite3_finalize(st);
  if (!rc) rc = cohort_reg_prepare(r, "INSERT INTO constraint_rows VALUES(?,?,?,?,?,?,?,?,?,?,?)", &st, err);
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(res, "constraints")) {
    if (rc) break;
    sqlite3_bind_int64(st, 1, pk);
    bind_text(st, 2, jstr(x, "protocol"));
    bind_text(st, 3, jstr(x, "id"));
    bind_text(st, 4, jstr(x, "structure"));
    bind_text(st, 5, jstr(x, "metric"));
    bind_text(st, 6, jstr(x, "tier"));
    bind_num(st, 7, jnum(x, "value"));
    bind_num(st, 8, jnum(x, "worst_value"));
    bind_num(st, 9, jnum(x, "limit"));
    bind_text(st, 10, jstr(x, "verdict"));
    bind_text(st, 11, jstr(x, "worst_verdict"));
    rc = step_done(r, st, err);
  }
  sqlite3_finalize(st);
  if (!rc) rc = cohort_reg_prepare(r, "INSERT OR REPLACE INTO clinical VALUES(?,?,?)", &st, err);
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(res, "clinical")) {
    if (rc) break;
    char v[64];
    sqlite3_bind_int64(st, 1, pk);
    bind_text(st, 2, x->string);
    if (cJSON_IsNumber(x)) {
      snprintf(v, sizeof v, "%.10g", x->valuedouble);
      bind_text(st, 3, v);
    } else {
      bind_text(st, 3, cJSON_IsString(x) ? x->valuestring : NULL);
    }
    rc = step_done(r, st, err);
  }
  sqlite3_finalize(st);
  return rc;
}

int cohort_registry_store_result(cohort_registry *r, long long run_id, long long param_id,
                                 const cJSON *res, rert_err *err) {
  const char *status = jstr(res, "status"), *id = jstr(res, "id");
  if (!status || !id) return rert_err_set(err, RERT_EINTERNAL, "%s: result without id/status", r->path);
  if (!strcmp(status, "skipped")) return RERT_OK;
  char now[32];
  now_iso(now, sizeof now);
  int rc = cohort_reg_exec(r, "SAVEPOINT store_case", err);
  if (rc) return rc;
  sqlite3_stmt *st = NULL;
  long long patient = 0;
  const cJSON *pt = cJSON_GetObjectItemCaseSensitive(res, "patient");
  const char *pid = jstr(pt, "id");
  if (pid && *pid) {
    if (!(rc = cohort_reg_prepare(r, "INSERT INTO patients(patient_id,sex,birth_year) VALUES(?,?,?)"
                                     " ON CONFLICT(patient_id) DO UPDATE SET sex=excluded.sex, birth_year=excluded.birth_year",
                                  &st, err))) {
      bind_text(st, 1, pid);
      bind_text(st, 2, jstr(pt, "sex"));
      bind_num(st, 3, jnum(pt, "birth_year"));
      rc = step_done(r, st, err);
      sqlite3_finalize(st);
    }
    if (!rc && !(rc = cohort_reg_prepare(r, "SELECT patient_pk FROM patients WHERE patient_id=?", &st, err))) {
      bind_text(st, 1, pid);
      if (sqlite3_step(st) == SQLITE_ROW) patient = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
    }
  }
  if (!rc && !(rc = cohort_reg_prepare(r, "DELETE FROM cases WHERE case_id=? AND param_id=?", &st, err))) {
    bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, param_id);
    rc = step_done(r, st, err);
    sqlite3_finalize(st);
  }
  if (!rc && !(rc = cohort_reg_prepare(r, "INSERT INTO cases(case_id,param_id,run_id,case_key,case_path,patient_pk,status,"
                                          "exit_status,error_kind,error,gate,verdict,origin_date,uncertainty_mm,seconds,report,computed_at)"
                                          " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                       &st, err))) {
    bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, param_id);
    sqlite3_bind_int64(st, 3, run_id);
    bind_text(st, 4, jstr(res, "key"));
    bind_text(st, 5, jstr(res, "case_path"));
    if (patient) sqlite3_bind_int64(st, 6, patient);
    else sqlite3_bind_null(st, 6);
    bind_text(st, 7, status);
    bind_num(st, 8, jnum(res, "exit_status"));
    bind_text(st, 9, jstr(res, "error_kind"));
    bind_text(st, 10, jstr(res, "error"));
    bind_text(st, 11, jstr(res, "gate"));
    bind_text(st, 12, jstr(res, "verdict"));
    bind_text(st, 13, jstr(res, "origin_date"));
    bind_num(st, 14, jnum(res, "uncertainty_mm"));
    bind_num(st, 15, jnum(res, "seconds"));
    bind_text(st, 16, jstr(res, "report"));
    bind_text(st, 17, now);
    rc = step_done(r, st, err);
    sqlite3_finalize(st);
  }
  long long pk = sqlite3_last_insert_rowid(r->db);
  if (!rc) rc = store_children(r, pk, res, err);
  if (rc) {
    cohort_reg_exec(r, "ROLLBACK TO store_case; RELEASE store_case", NULL);
    return rc;
  }
  return cohort_reg_exec(r, "RELEASE store_case", err);
}

int cohort_reg_run_counts(cohort_registry *r, long long run_id, cohort_run_summary *s, rert_err *err) {
  sqlite3_stmt *st;
  int rc = cohort_reg_prepare(r, "SELECT n_ok, n_failed, n_skipped, finished_at FROM runs WHERE run_id=?", &st, err);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, run_id);
  if (sqlite3_step(st) == SQLITE_ROW) {
    s->ok = sqlite3_column_int(st, 0);
    s->failed = sqlite3_column_int(st, 1);
    s->skipped = sqlite3_column_int(st, 2);
    if (sqlite3_column_type(st, 3) == SQLITE_NULL)
      rc = rert_err_set(err, RERT_EINTERNAL, "%s: run %lld has not finished (the gather job did not complete)", r->path, run_id);
  } else {
    rc = rert_err_set(err, RERT_EINTERNAL, "%s: no run %lld", r->path, run_id);
  }
  sqlite3_finalize(st);
  return rc;
}

int cohort_registry_not_ok(cohort_registry *r, long long run_id, int *n, rert_err *err) {
  sqlite3_stmt *st;
  *n = 0;
  int rc = cohort_reg_prepare(r, "SELECT count(*) FROM cases c JOIN runs u ON u.run_id=?1"
                                 " JOIN manifest_cases m ON m.case_id=c.case_id AND m.manifest_sha256=u.manifest_sha256"
                                 " WHERE c.param_id=u.param_id AND c.status!='ok'", &st, err);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, run_id);
  if (sqlite3_step(st) == SQLITE_ROW) *n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return RERT_OK;
}

/* rows of a query as an array of objects (columns by name; numbers stay numbers) */
static int query_json(cohort_registry *r, const char *sql, cJSON *arr, rert_err *err) {
  sqlite3_stmt *st;
  int rc = cohort_reg_prepare(r, sql, &st, err);
  if (rc) return rc;
  while (sqlite3_step(st) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    for (int c = 0; c < sqlite3_column_count(st); c++) {
      const char *k = sqlite3_column_name(st, c);
      switch (sqlite3_column_type(st, c)) {
      case SQLITE_INTEGER: cJSON_AddNumberToObject(o, k, (double)sqlite3_column_int64(st, c)); break;
      case SQLITE_FLOAT: cJSON_AddNumberToObject(o, k, sqlite3_column_double(st, c)); break;
      case SQLITE_NULL: cJSON_AddNullToObject(o, k); break;
      default: cJSON_AddStringToObject(o, k, (const char *)sqlite3_column_text(st, c));
      }
    }
    cJSON_AddItemToArray(arr, o);
  }
  sqlite3_finalize(st);
  return RERT_OK;
}

int cohort_registry_status(cohort_registry *r, cJSON **out, rert_err *err) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "registry", r->path);
  cJSON_AddNumberToObject(o, "schema_version", COHORT_SCHEMA_VERSION);
  int rc = query_json(r, "SELECT p.param_id, p.sha256, p.metrics, p.protocols, p.uncertainty_mm, p.alpha_beta_gy,"
                         " p.alpha_beta_rule, (SELECT group_concat(label || '=' || spec || ' (' || kind || ')', '; ')"
                         " FROM assumptions a WHERE a.param_id=p.param_id) AS assumptions,"
                         " (SELECT count(*) FROM cases c WHERE c.param_id=p.param_id) AS cases,"
                         " (SELECT count(*) FROM cases c WHERE c.param_id=p.param_id AND c.status='ok') AS ok"
                         " FROM param_sets p ORDER BY p.param_id",
                      cJSON_AddArrayToObject(o, "parameter_sets"), err);
  if (!rc) rc = query_json(r, "SELECT run_id, param_id, engine, jobs, started_at, finished_at, n_cases, n_ok, n_failed,"
                              " n_skipped, manifest_path, rert_version FROM runs ORDER BY run_id",
                           cJSON_AddArrayToObject(o, "runs"), err);
  if (!rc) rc = query_json(r, "SELECT case_id, param_id, status, error_kind, error, gate FROM cases WHERE status!='ok'"
                              " ORDER BY param_id, case_id",
                           cJSON_AddArrayToObject(o, "not_ok"), err);
  if (rc) {
    cJSON_Delete(o);
    return rc;
  }
  *out = o;
  return RERT_OK;
}
