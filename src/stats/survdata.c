/* survdata.c — CSV columns to survival arrays (see survdata.h for the coding rules). */
#include "survdata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void survdata_free(rert_survdata *d) {
  if (!d) return;
  for (int i = 0; i < d->ngroups; i++) free(d->levels[i]);
  for (int i = 0; i < d->p; i++) free(d->xname[i]);
  free(d->levels), free(d->xname), free(d->time), free(d->status), free(d->group), free(d->x);
  free(d->cause_code);
  memset(d, 0, sizeof *d);
}

static int is_number(const char *s, double *v) {
  char *end;
  if (!s) return 0;
  double x = strtod(s, &end);
  if (end == s || *end || !isfinite(x)) return 0;
  if (v) *v = x;
  return 1;
}

static int all_numeric = 0;
static int cmp_label(const void *a, const void *b) {
  const char *x = *(const char *const *)a, *y = *(const char *const *)b;
  if (all_numeric) {
    double u = strtod(x, NULL), v = strtod(y, NULL);
    return (u > v) - (u < v);
  }
  /* R's sort() in an English locale: case-insensitive first, lower case before upper case */
  int c = strcasecmp(x, y);
  return c ? c : -strcmp(x, y);
}

/* distinct labels of column c over the kept rows, sorted as R factor levels */
static int factor_levels(const rert_csv *t, int c, const char *keep, char ***lv, int *nlv) {
  char **l = malloc((size_t)(t->nrow + 1) * sizeof *l);
  if (!l) return -1;
  int n = 0, num = 1;
  for (int r = 0; r < t->nrow; r++) {
    if (!keep[r]) continue;
    const char *s = csv_get(t, r, c);
    int dup = 0;
    for (int i = 0; i < n && !dup; i++) dup = strcmp(l[i], s) == 0;
    if (dup) continue;
    l[n] = strdup(s);
    if (!l[n]) return -1;
    num &= is_number(s, NULL);
    n++;
  }
  all_numeric = num;
  qsort(l, (size_t)n, sizeof *l, cmp_label);
  *lv = l;
  *nlv = n;
  return 0;
}

static int level_index(char **lv, int n, const char *s) {
  for (int i = 0; i < n; i++)
    if (strcmp(lv[i], s) == 0) return i;
  return -1;
}

int survdata_load(const rert_csv *t, const rert_survdata_spec *spec, rert_survdata *out,
                  rert_err *err) {
  memset(out, 0, sizeof *out);
  int ct = csv_column(t, spec->time_col, err);
  if (ct < 0) return RERT_EINPUT;
  int cs = csv_column(t, spec->status_col, err);
  if (cs < 0) return RERT_EINPUT;
  int cg = -1;
  if (spec->group_col && (cg = csv_column(t, spec->group_col, err)) < 0) return RERT_EINPUT;
  int *cc = calloc((size_t)spec->ncovariates + 1, sizeof *cc);
  char *keep = calloc((size_t)t->nrow + 1, 1);
  if (!cc || !keep) {
    free(cc), free(keep);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  int rc = RERT_OK;
  for (int k = 0; k < spec->ncovariates; k++)
    if ((cc[k] = csv_column(t, spec->covariates[k], err)) < 0) {
      rc = RERT_EINPUT;
      goto fail;
    }
  /* which rows are complete */
  int n = 0;
  for (int r = 0; r < t->nrow; r++) {
    int ok = csv_get(t, r, ct) && csv_get(t, r, cs) && (cg < 0 || csv_get(t, r, cg));
    for (int k = 0; k < spec->ncovariates && ok; k++) ok = csv_get(t, r, cc[k]) != NULL;
    keep[r] = (char)ok;
    n += ok;
  }
  out->dropped = t->nrow - n;
  if (n == 0) {
    rc = rert_err_set(err, RERT_EINPUT, "%s: no complete rows in the columns used", t->path);
    goto fail;
  }
  out->n = n;
  out->time = malloc((size_t)n * sizeof(double));
  out->status = malloc((size_t)n * sizeof(int));
  if (!out->time || !out->status) {
    rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    goto fail;
  }
  /* status coding */
  int has0 = 0, only12 = 1;
  double codes[64];
  int ncodes = 0;
  for (int r = 0; r < t->nrow; r++) {
    if (!keep[r]) continue;
    const char *s = csv_get(t, r, cs);
    double v;
    if (!strcmp(s, "TRUE") || !strcmp(s, "true")) v = 1;
    else if (!strcmp(s, "FALSE") || !strcmp(s, "false")) v = 0;
    else if (!is_number(s, &v)) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: row %d column '%s': status '%s' is not a number",
                        t->path, r + 2, t->header[cs], s);
      goto fail;
    }
    if (v == 0) has0 = 1;
    if (v != 1 && v != 2) only12 = 0;
    int seen = 0;
    for (int i = 0; i < ncodes; i++) seen |= codes[i] == v;
    if (!seen) {
      if (ncodes == 64) {
        rc = rert_err_set(err, RERT_EINPUT, "%s: column '%s' has more than 64 status codes",
                          t->path, t->header[cs]);
        goto fail;
      }
      codes[ncodes++] = v;
    }
  }
  if (spec->multi) {
    /* causes: codes other than cencode, ascending */
    double cause[64];
    int nc = 0;
    for (int i = 0; i < ncodes; i++)
      if (codes[i] != spec->cencode) cause[nc++] = codes[i];
    for (int i = 1; i < nc; i++)
      for (int j = i; j > 0 && cause[j - 1] > cause[j]; j--) {
        double tmp = cause[j];
        cause[j] = cause[j - 1], cause[j - 1] = tmp;
      }
    out->ncause = nc;
    out->cause_code = malloc((size_t)(nc + 1) * sizeof(double));
    if (!out->cause_code) {
      rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
      goto fail;
    }
    memcpy(out->cause_code, cause, (size_t)nc * sizeof(double));
  } else if (!(has0 || !only12)) {
    /* 1/2 coding: nothing to check */
  } else {
    for (int i = 0; i < ncodes; i++)
      if (codes[i] != 0 && codes[i] != 1) {
        rc = rert_err_set(err, RERT_EINPUT,
                          "%s: column '%s' must be 0/1 (censored/event) or 1/2 as in R's Surv(); "
                          "found %g", t->path, t->header[cs], codes[i]);
        goto fail;
      }
  }
  int i = 0;
  for (int r = 0; r < t->nrow; r++) {
    if (!keep[r]) continue;
    if ((rc = csv_number(t, r, ct, &out->time[i], err))) goto fail;
    if (out->time[i] < 0) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: row %d column '%s': negative time", t->path, r + 2,
                        t->header[ct]);
      goto fail;
    }
    const char *s = csv_get(t, r, cs);
    double v = !strcmp(s, "TRUE") || !strcmp(s, "true") ? 1 : strtod(s, NULL);
    if (spec->multi) {
      out->status[i] = 0;
      for (int k = 0; k < out->ncause; k++)
        if (out->cause_code[k] == v) out->status[i] = k + 1;
    } else {
      out->status[i] = (!has0 && only12) ? (int)v - 1 : (int)v;
    }
    i++;
  }
  if (cg >= 0) {
    if (factor_levels(t, cg, keep, &out->levels, &out->ngroups)) {
      rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
      goto fail;
    }
    out->group = malloc((size_t)n * sizeof(int));
    if (!out->group) {
      rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
      goto fail;
    }
    i = 0;
    for (int r = 0; r < t->nrow; r++)
      if (keep[r]) out->group[i++] = level_index(out->levels, out->ngroups, csv_get(t, r, cg));
  }
  /* covariates: numeric as is, text as treatment dummies */
  if (spec->ncovariates > 0) {
    int pmax = 0;
    char ***lvs = calloc((size_t)spec->ncovariates, sizeof *lvs);
    int *nlv = calloc((size_t)spec->ncovariates, sizeof *nlv), *isnum = calloc((size_t)spec->ncovariates, sizeof *isnum);
    if (!lvs || !nlv || !isnum) {
      free(lvs), free(nlv), free(isnum);
      rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
      goto fail;
    }
    for (int k = 0; k < spec->ncovariates; k++) {
      isnum[k] = 1;
      for (int q = 0; q < spec->nfactors; q++)
        if (!strcmp(spec->factors[q], spec->covariates[k])) isnum[k] = 0;
      for (int r = 0; r < t->nrow && isnum[k]; r++)
        if (keep[r]) isnum[k] = is_number(csv_get(t, r, cc[k]), NULL);
      if (isnum[k]) pmax += 1;
      else {
        factor_levels(t, cc[k], keep, &lvs[k], &nlv[k]);
        pmax += nlv[k] > 1 ? nlv[k] - 1 : 0;
      }
    }
    out->x = calloc((size_t)n * (pmax ? pmax : 1), sizeof(double));
    out->xname = calloc((size_t)(pmax ? pmax : 1), sizeof(char *));
    if (out->xname) out->p = pmax;
    int col = 0;
    for (int k = 0; k < spec->ncovariates && out->x && out->xname; k++) {
      const char *nm = spec->covariates[k];
      int w = isnum[k] ? 1 : (nlv[k] > 1 ? nlv[k] - 1 : 0);
      for (int q = 0; q < w; q++) {
        size_t len = strlen(nm) + (isnum[k] ? 0 : strlen(lvs[k][q + 1])) + 1;
        out->xname[col + q] = malloc(len);
        if (out->xname[col + q])
          snprintf(out->xname[col + q], len, "%s%s", nm, isnum[k] ? "" : lvs[k][q + 1]);
      }
      i = 0;
      for (int r = 0; r < t->nrow; r++) {
        if (!keep[r]) continue;
        const char *s = csv_get(t, r, cc[k]);
        if (isnum[k]) out->x[(size_t)i * pmax + col] = strtod(s, NULL);
        else {
          int li = level_index(lvs[k], nlv[k], s);
          if (li > 0) out->x[(size_t)i * pmax + col + li - 1] = 1.0;
        }
        i++;
      }
      col += w;
      if (!isnum[k]) {
        for (int q = 0; q < nlv[k]; q++) free(lvs[k][q]);
        free(lvs[k]);
      }
    }
    out->p = pmax;
    free(lvs), free(nlv), free(isnum);
    if (!out->x || !out->xname) {
      rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
      goto fail;
    }
    for (int q = 0; q < pmax; q++)
      if (!out->xname[q]) {
        rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
        goto fail;
      }
  }
  free(cc), free(keep);
  return RERT_OK;
fail:
  free(cc), free(keep);
  survdata_free(out);
  return rc;
}
