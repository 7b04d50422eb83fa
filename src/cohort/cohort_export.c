/* cohort_export.c — tables out of the registry (rert/cohort.h): the wide analysis table (one row
 * per case: identity, status, verdict, clinical facts, outcomes as times in months from the start
 * of the new course, extra manifest columns, one column per metric × structure × recovery
 * assumption) and the long tables (metrics, cases, outcomes, verdicts), and their CSV form.
 * Times: months = days / 30.4375 (docs/conventions.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_registry_internal.h"
#include "rert/date.h"
#include "rert/fileio.h"

void cohort_table_free(cohort_table *t) {
  if (!t) return;
  for (int c = 0; c < t->ncol; c++) free(t->header[c]);
  for (long i = 0; i < (long)t->nrow * t->ncol; i++) free(t->cell[i]);
  free(t->header);
  free(t->cell);
  memset(t, 0, sizeof *t);
}

int cohort_table_column(const cohort_table *t, const char *name) {
  for (int c = 0; c < t->ncol; c++)
    if (!strcmp(t->header[c], name)) return c;
  return -1;
}

/* ---- a growable table with a string → column hash ---- */
typedef struct {
  cohort_table t;
  int colcap, rowcap;
  int *hash;
  int hcap;
} builder;

static unsigned long hstr(const char *s) {
  unsigned long h = 5381;
  while (*s) h = h * 33 + (unsigned char)*s++;
  return h;
}

static int b_col(builder *b, const char *name, int create) {
  if (b->hcap == 0 || 2 * (b->t.ncol + 1) > b->hcap) {
    int nc = b->hcap ? 2 * b->hcap : 256;
    int *nh = malloc((size_t)nc * sizeof *nh);
    if (!nh) return -2;
    for (int i = 0; i < nc; i++) nh[i] = -1;
    for (int c = 0; c < b->t.ncol; c++) {
      unsigned long k = hstr(b->t.header[c]) % (unsigned long)nc;
      while (nh[k] >= 0) k = (k + 1) % (unsigned long)nc;
      nh[k] = c;
    }
    free(b->hash);
    b->hash = nh, b->hcap = nc;
  }
  unsigned long k = hstr(name) % (unsigned long)b->hcap;
  while (b->hash[k] >= 0) {
    if (!strcmp(b->t.header[b->hash[k]], name)) return b->hash[k];
    k = (k + 1) % (unsigned long)b->hcap;
  }
  if (!create) return -1;
  if (b->t.nrow > 0) return -2; /* columns are declared before rows */
  if (b->t.ncol == b->colcap) {
    int nc = b->colcap ? 2 * b->colcap : 64;
    char **nh = realloc(b->t.header, (size_t)nc * sizeof *nh);
    if (!nh) return -2;
    b->t.header = nh, b->colcap = nc;
  }
  b->t.header[b->t.ncol] = strdup(name);
  b->hash[k] = b->t.ncol;
  return b->t.ncol++;
}

static int b_rows(builder *b, int n) {
  b->t.cell = calloc((size_t)n * (size_t)(b->t.ncol ? b->t.ncol : 1), sizeof *b->t.cell);
  if (!b->t.cell) return -1;
  b->t.nrow = n;
  return 0;
}

static void b_set(builder *b, int row, int col, const char *v) {
  if (row < 0 || col < 0 || !v) return;
  char **c = &b->t.cell[(size_t)row * b->t.ncol + col];
  free(*c);
  *c = strdup(v);
}

static void b_setf(builder *b, int row, int col, double v) {
  if (isnan(v)) return;
  char s[40];
  snprintf(s, sizeof s, "%.10g", v);
  b_set(b, row, col, s);
}

static const char *ctext(sqlite3_stmt *st, int i) { return (const char *)sqlite3_column_text(st, i); }

static int latest_param(cohort_registry *r, long long *param_id, rert_err *err) {
  if (*param_id > 0) return RERT_OK;
  sqlite3_stmt *st;
  int rc = cohort_reg_prepare(r, "SELECT param_id FROM runs ORDER BY run_id DESC LIMIT 1", &st, err);
  if (rc) return rc;
  if (sqlite3_step(st) == SQLITE_ROW) *param_id = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (*param_id <= 0) return rert_err_set(err, RERT_EINPUT, "%s: no run in the registry", r->path);
  return RERT_OK;
}

static double months_between(const char *a, const char *b) {
  rert_date x, y;
  rert_err e;
  if (!a || !b || date_parse(a, "date", &x, &e) || date_parse(b, "date", &y, &e)) return NAN;
  return (double)(date_to_days(y) - date_to_days(x)) / 30.4375;
}

/* generic: a table from a query with one bound parameter (param_id) */
static int table_from_query(cohort_registry *r, const char *sql, long long param_id, cohort_table *t, rert_err *err) {
  memset(t, 0, sizeof *t);
  sqlite3_stmt *st;
  int rc = cohort_reg_prepare(r, sql, &st, err);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, param_id);
  t->ncol = sqlite3_column_count(st);
  t->header = calloc((size_t)t->ncol, sizeof *t->header);
  for (int c = 0; t->header && c < t->ncol; c++) t->header[c] = strdup(sqlite3_column_name(st, c));
  size_t cap = 0;
  int s;
  while (t->header && (s = sqlite3_step(st)) == SQLITE_ROW) {
    if ((size_t)(t->nrow + 1) * t->ncol > cap) {
      cap = cap ? 2 * cap : (size_t)t->ncol * 256;
      char **nc = realloc(t->cell, cap * sizeof *nc);
      if (!nc) break;
      t->cell = nc;
    }
    for (int c = 0; c < t->ncol; c++) {
      const char *v = ctext(st, c);
      t->cell[(size_t)t->nrow * t->ncol + c] = v ? strdup(v) : NULL;
    }
    t->nrow++;
  }
  sqlite3_finalize(st);
  if (!t->header) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  return RERT_OK;
}

typedef struct {
  long long pk;
  int row;
} pk_row;

static int cmp_pk(const void *a, const void *b) {
  const pk_row *u = a, *v = b;
  return (u->pk > v->pk) - (u->pk < v->pk);
}

static int row_of(const pk_row *m, int n, long long pk) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (m[mid].pk == pk) return m[mid].row;
    if (m[mid].pk < pk) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

static int build_wide(cohort_registry *r, long long param_id, cohort_table *out, rert_err *err) {
  builder b;
  memset(&b, 0, sizeof b);
  int rc = RERT_OK;
  static const char *fixed[] = {"case_id", "patient_id", "sex", "birth_year", "status", "error_kind", "error", "gate",
                                "verdict", "origin_date", "n_courses", "n_prior_courses", "min_interval_months",
                                "new_prescription_gy", "new_fractions", "uncertainty_mm", "case_key"};
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) b_col(&b, fixed[i], 1);
  /* dynamic columns, declared before any row: clinical facts, covariates, outcomes, metrics */
  sqlite3_stmt *st;
  const char *dyn[] = {
      "SELECT DISTINCT k.name FROM clinical k JOIN cases c USING(case_pk) WHERE c.param_id=?1 ORDER BY 1",
      "SELECT DISTINCT v.name FROM covariates v JOIN cases c ON c.case_id=v.case_id WHERE c.param_id=?1 ORDER BY 1",
      "SELECT DISTINCT o.kind, o.endpoint FROM outcomes o JOIN cases c ON c.case_id=o.case_id WHERE c.param_id=?1 ORDER BY 1,2",
      ("SELECT DISTINCT m.structure, m.metric, m.recovery, a.kind FROM metrics m JOIN cases c USING(case_pk)"
       " LEFT JOIN assumptions a ON a.param_id=c.param_id AND a.label=m.recovery WHERE c.param_id=?1 ORDER BY 1,2,3")};
  for (int q = 0; q < 4 && !rc; q++) {
    if ((rc = cohort_reg_prepare(r, dyn[q], &st, err))) break;
    sqlite3_bind_int64(st, 1, param_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *a = ctext(st, 0);
      char name[512];
      if (!a) continue;
      if (q == 0) b_col(&b, a, 1);
      else if (q == 1) {
        snprintf(name, sizeof name, "%s", a);
        if (b_col(&b, name, 0) >= 0) snprintf(name, sizeof name, "x_%s", a); /* never shadow a rert column */
        b_col(&b, name, 1);
      } else if (q == 2) {
        const char *e = ctext(st, 1);
        if (!strcmp(a, "toxicity")) {
          snprintf(name, sizeof name, "tox_%s_grade", e), b_col(&b, name, 1);
          snprintf(name, sizeof name, "tox_%s_months", e), b_col(&b, name, 1);
        } else if (!strcmp(a, "followup")) {
          b_col(&b, "followup_months", 1);
        } else {
          snprintf(name, sizeof name, "%s", a), b_col(&b, name, 1);
          snprintf(name, sizeof name, "%s_months", a), b_col(&b, name, 1);
        }
      } else {
        const char *met = ctext(st, 1), *rec = ctext(st, 2), *kind = ctext(st, 3);
        snprintf(name, sizeof name, "%s.%s.%s", a, met, rec), b_col(&b, name, 1);
        snprintf(name, sizeof name, "%s.%s.%s.worst", a, met, rec), b_col(&b, name, 1);
        if (kind && !strcmp(kind, "limit")) {
          snprintf(name, sizeof name, "%s.%s.%s.eff", a, met, rec), b_col(&b, name, 1);
          snprintf(name, sizeof name, "%s.%s.%s.eff_worst", a, met, rec), b_col(&b, name, 1);
        }
      }
    }
    sqlite3_finalize(st);
  }
  /* rows: cases of the parameter set, by case id */
  long long *pks = NULL;
  int n = 0;
  if (!rc && !(rc = cohort_reg_prepare(r, "SELECT count(*) FROM cases WHERE param_id=?", &st, err))) {
    sqlite3_bind_int64(st, 1, param_id);
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
  }
  if (!rc && (b_rows(&b, n) || !(pks = calloc(n > 0 ? (size_t)n : 1, sizeof *pks))))
    rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  char **origin = rc ? NULL : calloc(n > 0 ? (size_t)n : 1, sizeof *origin);
  if (!rc && !origin) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  if (!rc && !(rc = cohort_reg_prepare(r,
      "SELECT c.case_pk, c.case_id, p.patient_id, p.sex, p.birth_year, c.status, c.error_kind, c.error, c.gate, c.verdict,"
      " c.origin_date, (SELECT count(*) FROM courses k WHERE k.case_pk=c.case_pk),"
      " (SELECT count(*) FROM courses k WHERE k.case_pk=c.case_pk AND k.role='prior'),"
      " (SELECT min(interval_months) FROM courses k WHERE k.case_pk=c.case_pk),"
      " (SELECT prescription_gy FROM courses k WHERE k.case_pk=c.case_pk AND k.role='planned' LIMIT 1),"
      " (SELECT fractions FROM courses k WHERE k.case_pk=c.case_pk AND k.role='planned' LIMIT 1),"
      " c.uncertainty_mm, c.case_key"
      " FROM cases c LEFT JOIN patients p USING(patient_pk) WHERE c.param_id=? ORDER BY c.case_id", &st, err))) {
    sqlite3_bind_int64(st, 1, param_id);
    int i = 0;
    while (i < n && sqlite3_step(st) == SQLITE_ROW) {
      pks[i] = sqlite3_column_int64(st, 0);
      for (int c = 0; c < 17; c++) b_set(&b, i, c, ctext(st, c + 1));
      origin[i] = ctext(st, 10) ? strdup(ctext(st, 10)) : NULL;
      i++;
    }
    sqlite3_finalize(st);
  }
  /* fill by case_pk: (pk, row) pairs sorted by pk, binary search */
  pk_row *map = rc ? NULL : malloc((n > 0 ? (size_t)n : 1) * sizeof *map);
  if (!rc && !map) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; map && i < n; i++) map[i] = (pk_row){pks[i], i};
  if (map) qsort(map, (size_t)n, sizeof *map, cmp_pk);
#define ROW_OF(pk, out) (out = row_of(map, n, (pk)))
  if (!rc && !(rc = cohort_reg_prepare(r, "SELECT k.case_pk, k.name, k.value FROM clinical k JOIN cases c USING(case_pk) WHERE c.param_id=?", &st, err))) {
    sqlite3_bind_int64(st, 1, param_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
      int row;
      ROW_OF(sqlite3_column_int64(st, 0), row);
      b_set(&b, row, b_col(&b, ctext(st, 1), 0), ctext(st, 2));
    }
    sqlite3_finalize(st);
  }
  if (!rc && !(rc = cohort_reg_prepare(r, "SELECT c.case_pk, v.name, v.value FROM covariates v JOIN cases c ON c.case_id=v.case_id WHERE c.param_id=?", &st, err))) {
    sqlite3_bind_int64(st, 1, param_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
      int row;
      ROW_OF(sqlite3_column_int64(st, 0), row);
      char name[200];
      snprintf(name, sizeof name, "x_%s", ctext(st, 1));
      int col = b_col(&b, name, 0);
      if (col < 0) col = b_col(&b, ctext(st, 1), 0);
      b_set(&b, row, col, ctext(st, 2));
    }
    sqlite3_finalize(st);
  }
  /* outcomes: first the follow-up date of every case, then each event */
  if (!rc && !(rc = cohort_reg_prepare(r, "SELECT c.case_pk, o.kind, o.endpoint, o.grade, o.event_date,"
                                          " (SELECT event_date FROM outcomes f WHERE f.case_id=o.case_id AND f.kind='followup')"
                                          " FROM outcomes o JOIN cases c ON c.case_id=o.case_id WHERE c.param_id=?", &st, err))) {
    sqlite3_bind_int64(st, 1, param_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
      int row;
      ROW_OF(sqlite3_column_int64(st, 0), row);
      if (row < 0) continue;
      const char *kind = ctext(st, 1), *ep = ctext(st, 2), *date = ctext(st, 4), *fu = ctext(st, 5);
      int has_grade = sqlite3_column_type(st, 3) != SQLITE_NULL, grade = sqlite3_column_int(st, 3);
      char name[200];
      if (!strcmp(kind, "followup")) {
        b_setf(&b, row, b_col(&b, "followup_months", 0), months_between(origin[row], date));
      } else if (!strcmp(kind, "toxicity")) {
        snprintf(name, sizeof name, "tox_%s_grade", ep);
        if (has_grade) b_setf(&b, row, b_col(&b, name, 0), grade);
        snprintf(name, sizeof name, "tox_%s_months", ep);
        b_setf(&b, row, b_col(&b, name, 0), months_between(origin[row], has_grade && grade > 0 ? date : fu));
      } else {
        if (has_grade) b_setf(&b, row, b_col(&b, kind, 0), grade);
        snprintf(name, sizeof name, "%s_months", kind);
        b_setf(&b, row, b_col(&b, name, 0), months_between(origin[row], has_grade && grade > 0 ? date : fu));
      }
    }
    sqlite3_finalize(st);
  }
  if (!rc && !(rc = cohort_reg_prepare(r, "SELECT m.case_pk, m.structure, m.metric, m.recovery, m.nominal, m.worst,"
                                          " m.effective, m.effective_worst FROM metrics m JOIN cases c USING(case_pk) WHERE c.param_id=?",
                                       &st, err))) {
    sqlite3_bind_int64(st, 1, param_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
      int row;
      ROW_OF(sqlite3_column_int64(st, 0), row);
      char name[512];
      int k = snprintf(name, sizeof name, "%s.%s.%s", ctext(st, 1), ctext(st, 2), ctext(st, 3));
      b_set(&b, row, b_col(&b, name, 0), ctext(st, 4));
      const char *suf[] = {".worst", ".eff", ".eff_worst"};
      for (int j = 0; j < 3; j++) {
        snprintf(name + k, sizeof name - (size_t)k, "%s", suf[j]);
        b_set(&b, row, b_col(&b, name, 0), ctext(st, 5 + j));
      }
    }
    sqlite3_finalize(st);
  }
#undef ROW_OF
  free(map);
  for (int i = 0; origin && i < n; i++) free(origin[i]);
  free(origin);
  free(pks);
  free(b.hash);
  if (rc) {
    cohort_table_free(&b.t);
    return rc;
  }
  *out = b.t;
  return RERT_OK;
}

int cohort_table_build(cohort_registry *r, cohort_table_kind kind, long long param_id,
                       cohort_table *t, rert_err *err) {
  memset(t, 0, sizeof *t);
  int rc = latest_param(r, &param_id, err);
  if (rc) return rc;
  switch (kind) {
  case COHORT_TABLE_WIDE: return build_wide(r, param_id, t, err);
  case COHORT_TABLE_METRICS:
    return table_from_query(r, "SELECT c.case_id, m.recovery, a.spec AS recovery_spec, a.kind AS recovery_kind, m.structure,"
                               " m.metric, m.alpha_beta_gy, m.nominal, m.worst, m.limit_factor, m.effective, m.effective_worst,"
                               " m.complete, m.outside_pct, m.structure_cc, m.recovery_used FROM metrics m JOIN cases c USING(case_pk)"
                               " LEFT JOIN assumptions a ON a.param_id=c.param_id AND a.label=m.recovery"
                               " WHERE c.param_id=? ORDER BY c.case_id, m.recovery, m.structure, m.metric",
                            param_id, t, err);
  case COHORT_TABLE_CASES:
    return table_from_query(r, "SELECT c.case_id, p.patient_id, c.status, c.exit_status, c.error_kind, c.error, c.gate,"
                               " c.verdict, c.origin_date, c.uncertainty_mm, c.seconds, c.case_key, c.case_path, c.run_id,"
                               " c.computed_at FROM cases c LEFT JOIN patients p USING(patient_pk) WHERE c.param_id=? ORDER BY c.case_id",
                            param_id, t, err);
  case COHORT_TABLE_OUTCOMES:
    return table_from_query(r, "SELECT o.case_id, o.kind, o.endpoint, o.grade, o.event_date FROM outcomes o"
                               " WHERE o.case_id IN (SELECT case_id FROM cases WHERE param_id=?) ORDER BY 1,2,3",
                            param_id, t, err);
  case COHORT_TABLE_VERDICTS:
    return table_from_query(r, "SELECT c.case_id, v.protocol, v.verdict, v.hard_failures, v.hard_incomplete,"
                               " v.desirable_failures, v.not_evaluated FROM verdicts v JOIN cases c USING(case_pk)"
                               " WHERE c.param_id=? ORDER BY 1,2",
                            param_id, t, err);
  }
  return rert_err_set(err, RERT_EINPUT, "unknown table");
}

static void csv_cell(FILE *f, const char *s) {
  if (!s) return;
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

int cohort_table_write_csv(const cohort_table *t, const char *path, rert_err *err) {
  rert_atomic a;
  FILE *f = stdout;
  int to_file = path && strcmp(path, "-");
  if (to_file) {
    int rc = atomic_open(&a, path, err);
    if (rc) return rc;
    f = a.f;
  }
  for (int c = 0; c < t->ncol; c++) {
    if (c) fputc(',', f);
    csv_cell(f, t->header[c]);
  }
  fputc('\n', f);
  for (int i = 0; i < t->nrow; i++) {
    for (int c = 0; c < t->ncol; c++) {
      if (c) fputc(',', f);
      csv_cell(f, t->cell[(size_t)i * t->ncol + c]);
    }
    fputc('\n', f);
  }
  return to_file ? atomic_commit(&a, err) : RERT_OK;
}
