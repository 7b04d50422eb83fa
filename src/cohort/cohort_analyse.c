/* cohort_analyse.c — the recovery sensitivity analysis of a dose–response fit (rert/cohort.h):
 * one outcome, one structure and metric, each recovery assumption of the registry's parameter
 * set, logistic and/or probit (LKB) fits (rert/doseresp.h) on the same patients, ranked by AIC
 * with Akaike weights. Reads the wide table (cohort_export.c), so the numbers are those
 * `rert cohort export` writes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_registry_internal.h"

void cohort_dr_result_free(cohort_dr_result *d) {
  if (!d) return;
  for (int i = 0; i < d->n && d->case_ids; i++) free(d->case_ids[i]);
  free(d->case_ids);
  free(d->rows);
  free(d->x);
  free(d->y);
  memset(d, 0, sizeof *d);
}

static int cell_num(const cohort_table *t, int row, int col, double *v) {
  if (col < 0) return 0;
  const char *s = t->cell[(size_t)row * t->ncol + col];
  if (!s || !*s) return 0;
  char *end;
  *v = strtod(s, &end);
  return end != s && !*end && isfinite(*v);
}

int cohort_dose_response(cohort_registry *r, const cohort_dr_spec *s, cohort_dr_result *out,
                         rert_err *err) {
  memset(out, 0, sizeof *out);
  long long param_id = s->param_id;
  cohort_table t;
  int rc = cohort_table_build(r, COHORT_TABLE_WIDE, param_id, &t, err);
  if (rc) return rc;
  if (param_id <= 0) {
    sqlite3_stmt *st;
    if (!cohort_reg_prepare(r, "SELECT param_id FROM runs ORDER BY run_id DESC LIMIT 1", &st, err)) {
      if (sqlite3_step(st) == SQLITE_ROW) param_id = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
    }
  }
  /* assumptions to compare */
  sqlite3_stmt *st;
  out->rows = calloc(COHORT_MAX_RECOVERY, sizeof *out->rows);
  if (!out->rows) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  if (!rc && !(rc = cohort_reg_prepare(r, "SELECT label, spec, kind FROM assumptions WHERE param_id=? ORDER BY rowid", &st, err))) {
    sqlite3_bind_int64(st, 1, param_id);
    while (sqlite3_step(st) == SQLITE_ROW && out->nrows < COHORT_MAX_RECOVERY) {
      const char *lab = (const char *)sqlite3_column_text(st, 0);
      int want = s->nlabels == 0;
      for (int i = 0; i < s->nlabels; i++) want |= !strcmp(s->labels[i], lab);
      if (!want) continue;
      cohort_dr_row *x = &out->rows[out->nrows++];
      snprintf(x->label, sizeof x->label, "%s", lab);
      snprintf(x->spec, sizeof x->spec, "%s", (const char *)sqlite3_column_text(st, 1));
      snprintf(x->kind, sizeof x->kind, "%s", sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
    }
    sqlite3_finalize(st);
  }
  for (int i = 0; i < s->nlabels && !rc; i++) {
    int found = 0;
    for (int k = 0; k < out->nrows; k++) found |= !strcmp(out->rows[k].label, s->labels[i]);
    if (!found) rc = rert_err_set(err, RERT_EINPUT, "recovery assumption '%s' is not in the registry's parameter set (see rert cohort status)", s->labels[i]);
  }
  if (!rc && out->nrows == 0) rc = rert_err_set(err, RERT_EINPUT, "no recovery assumption to compare");
  int cols[COHORT_MAX_RECOVERY];
  for (int k = 0; k < out->nrows && !rc; k++) {
    cohort_dr_row *x = &out->rows[k];
    /* limit models are compared through their effective dose */
    snprintf(x->column, sizeof x->column, "%s.%s.%s%s", s->structure, s->metric, x->label,
             !strcmp(x->kind, "limit") ? (s->worst ? ".eff_worst" : ".eff") : s->worst ? ".worst" : "");
    cols[k] = cohort_table_column(&t, x->column);
    if (cols[k] < 0)
      rc = rert_err_set(err, RERT_EINPUT, "no column %s in the registry (structure and metric as in `rert cohort export`)", x->column);
  }
  char gname[128], mname[128];
  snprintf(gname, sizeof gname, "tox_%s_grade", s->endpoint);
  snprintf(mname, sizeof mname, "tox_%s_months", s->endpoint);
  int cg = cohort_table_column(&t, gname), cm = cohort_table_column(&t, mname), cs = cohort_table_column(&t, "status"),
      cid = cohort_table_column(&t, "case_id");
  if (!rc && cg < 0) rc = rert_err_set(err, RERT_EINPUT, "no outcome column %s: the manifest has no tox_%s_grade", gname, s->endpoint);
  if (!rc) {
    out->x = malloc((size_t)(t.nrow > 0 ? t.nrow : 1) * (size_t)out->nrows * sizeof *out->x);
    out->y = malloc((size_t)(t.nrow > 0 ? t.nrow : 1) * sizeof *out->y);
    out->case_ids = calloc((size_t)(t.nrow > 0 ? t.nrow : 1), sizeof *out->case_ids);
    if (!out->x || !out->y || !out->case_ids) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  /* x is stored assumption-major after the pass: first collect row-major */
  double *tmp = rc ? NULL : malloc((size_t)(t.nrow > 0 ? t.nrow : 1) * (size_t)out->nrows * sizeof *tmp);
  if (!rc && !tmp) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < t.nrow && !rc; i++) {
    const char *status = cs >= 0 ? t.cell[(size_t)i * t.ncol + cs] : NULL;
    if (!status || strcmp(status, "ok")) {
      out->excluded_status++;
      continue;
    }
    double g, fu;
    if (!cell_num(&t, i, cg, &g)) {
      out->excluded_missing_outcome++;
      continue;
    }
    int y = g >= s->grade_min;
    if (!y && s->min_followup_months > 0 && !(cell_num(&t, i, cm, &fu) && fu >= s->min_followup_months)) {
      out->excluded_followup++;
      continue;
    }
    int all = 1;
    for (int k = 0; k < out->nrows && all; k++) all = cell_num(&t, i, cols[k], &tmp[(size_t)out->n * out->nrows + k]);
    if (!all) {
      out->excluded_missing_metric++;
      continue;
    }
    out->y[out->n] = y;
    out->case_ids[out->n] = strdup(cid >= 0 && t.cell[(size_t)i * t.ncol + cid] ? t.cell[(size_t)i * t.ncol + cid] : "");
    out->events += y;
    out->n++;
  }
  for (int k = 0; k < out->nrows && !rc; k++)
    for (int i = 0; i < out->n; i++) out->x[(size_t)k * out->n + i] = tmp[(size_t)i * out->nrows + k];
  free(tmp);
  cohort_table_free(&t);
  /* fits */
  for (int k = 0; k < out->nrows && !rc; k++) {
    cohort_dr_row *x = &out->rows[k];
    for (int m = 0; m < s->nmodels; m++) {
      rert_err e;
      x->ok[m] = !dr_fit_mle(s->models[m], &out->x[(size_t)k * out->n], out->y, out->n, s->conf_level, &x->fit[m], &e);
      if (!x->ok[m]) snprintf(x->error[m], sizeof x->error[m], "%s", e.msg);
    }
  }
  /* ranking per model by AIC; Akaike weights over the assumptions that could be fitted */
  for (int m = 0; m < s->nmodels && !rc; m++) {
    double best = INFINITY, sum = 0;
    for (int k = 0; k < out->nrows; k++)
      if (out->rows[k].ok[m]) best = fmin(best, out->rows[k].fit[m].aic);
    for (int k = 0; k < out->nrows; k++) {
      cohort_dr_row *x = &out->rows[k];
      x->delta_aic[m] = x->ok[m] ? x->fit[m].aic - best : NAN;
      x->weight[m] = x->ok[m] ? exp(-0.5 * x->delta_aic[m]) : 0;
      sum += x->weight[m];
    }
    for (int k = 0; k < out->nrows; k++) {
      cohort_dr_row *x = &out->rows[k];
      if (sum > 0) x->weight[m] /= sum;
      x->rank[m] = 0;
      if (!x->ok[m]) continue;
      x->rank[m] = 1;
      for (int j = 0; j < out->nrows; j++)
        if (j != k && out->rows[j].ok[m] && (out->rows[j].fit[m].aic < x->fit[m].aic ||
                                             (out->rows[j].fit[m].aic == x->fit[m].aic && j < k)))
          x->rank[m]++;
    }
  }
  if (rc) cohort_dr_result_free(out);
  return rc;
}
