/* cohort_manifest.c — the cohort manifest: a CSV with one row per case (docs/cohort.md).
 *
 * Columns (header names, any order):
 *   case                  case file (rert-case/1), relative to the manifest's directory
 *   export                DICOM export folder for `rert case init` (instead of case)
 *   id                    case identifier (default: the case or export cell as written)
 *   tox_<endpoint>_grade  highest toxicity grade of that endpoint (0–5; empty = unknown)
 *   tox_<endpoint>_date   date of that grade (YYYY-MM-DD)
 *   local_failure, local_failure_date, death, death_date   0/1 and date
 *   last_followup         date of last follow-up (censoring)
 * Any other column is kept as an extra covariate (site, arm, ...). Errors name file, line and
 * column; no row is silently dropped.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/cohort.h"
#include "rert/date.h"
#include "rert/report.h"
#include "stats/csvtable.h"

void cohort_manifest_free(cohort_manifest *m) {
  if (!m) return;
  for (int i = 0; i < m->n; i++) {
    free(m->rows[i].outcomes);
    free(m->rows[i].extra_key);
    free(m->rows[i].extra_val);
  }
  free(m->rows);
  memset(m, 0, sizeof *m);
}

static int resolve(const char *dir, const char *p, char *out, size_t n) {
  int k = p[0] == '/' || !dir[0] ? snprintf(out, n, "%s", p) : snprintf(out, n, "%s/%s", dir, p);
  return k < 0 || (size_t)k >= n;
}

static int check_date(const char *s, const char *path, int line, const char *col, rert_err *err) {
  rert_date d;
  rert_err e;
  if (date_parse(s, col, &d, &e))
    return rert_err_set(err, RERT_EINPUT, "%s: line %d, column %s: '%s' is not a date (YYYY-MM-DD)", path, line, col, s);
  return RERT_OK;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
  char *end;
  long v = strtol(s, &end, 10);
  while (*end == ' ') end++;
  if (end == s || *end || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

static int add_outcome(cohort_manifest_row *r, const char *kind, const char *endpoint) {
  for (int i = 0; i < r->noutcomes; i++)
    if (!strcmp(r->outcomes[i].kind, kind) && !strcmp(r->outcomes[i].endpoint, endpoint)) return i;
  cohort_outcome *o = realloc(r->outcomes, (size_t)(r->noutcomes + 1) * sizeof *o);
  if (!o) return -1;
  r->outcomes = o;
  cohort_outcome *x = &o[r->noutcomes];
  memset(x, 0, sizeof *x);
  snprintf(x->kind, sizeof x->kind, "%s", kind);
  snprintf(x->endpoint, sizeof x->endpoint, "%s", endpoint);
  x->grade = -1;
  return r->noutcomes++;
}

int cohort_manifest_load(const char *path, cohort_manifest *m, rert_err *err) {
  memset(m, 0, sizeof *m);
  snprintf(m->path, sizeof m->path, "%s", path);
  rert_csv t;
  if (csv_read_file(path, &t, err)) return RERT_EINPUT;
  if (report_sha256_file(path, m->sha256, err)) {
    csv_free(&t);
    return RERT_EINPUT;
  }
  char dir[COHORT_PATH_LEN] = "";
  const char *sl = strrchr(path, '/');
  if (sl) snprintf(dir, sizeof dir, "%.*s", (int)(sl - path), path);
  if (sl == path) snprintf(dir, sizeof dir, "/");
  int ccase = -1, cexp = -1, cid = -1;
  for (int c = 0; c < t.ncol; c++) {
    if (!strcmp(t.header[c], "case")) ccase = c;
    else if (!strcmp(t.header[c], "export")) cexp = c;
    else if (!strcmp(t.header[c], "id")) cid = c;
  }
  int rc = RERT_OK;
  if (ccase < 0 && cexp < 0) {
    rc = rert_err_set(err, RERT_EINPUT, "%s: no 'case' (case file) or 'export' (export folder) column in the header", path);
    goto out;
  }
  for (int c = 0; c < t.ncol; c++)
    for (int d = 0; d < c; d++)
      if (!strcmp(t.header[c], t.header[d])) {
        rc = rert_err_set(err, RERT_EINPUT, "%s: column '%s' appears twice in the header", path, t.header[c]);
        goto out;
      }
  if (t.nrow == 0) {
    rc = rert_err_set(err, RERT_EINPUT, "%s: no case rows", path);
    goto out;
  }
  m->rows = calloc((size_t)t.nrow, sizeof *m->rows);
  if (!m->rows) {
    rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    goto out;
  }
  m->n = t.nrow;
  for (int i = 0; i < t.nrow && !rc; i++) {
    cohort_manifest_row *r = &m->rows[i];
    int line = i + 2;
    const char *cs = ccase >= 0 ? csv_get(&t, i, ccase) : NULL;
    const char *ex = cexp >= 0 ? csv_get(&t, i, cexp) : NULL;
    const char *id = cid >= 0 ? csv_get(&t, i, cid) : NULL;
    if ((!cs || !*cs) && (!ex || !*ex)) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: line %d: neither 'case' nor 'export' is given", path, line);
      break;
    }
    if (cs && *cs && ex && *ex) {
      rc = rert_err_set(err, RERT_EINPUT, "%s: line %d: give 'case' or 'export', not both", path, line);
      break;
    }
    if (cs && *cs && resolve(dir, cs, r->case_path, sizeof r->case_path)) rc = rert_err_set(err, RERT_EINPUT, "%s: line %d: path too long", path, line);
    if (ex && *ex && resolve(dir, ex, r->export_dir, sizeof r->export_dir)) rc = rert_err_set(err, RERT_EINPUT, "%s: line %d: path too long", path, line);
    snprintf(r->id, sizeof r->id, "%s", id && *id ? id : cs && *cs ? cs : ex);
    for (int j = 0; j < i && !rc; j++)
      if (!strcmp(m->rows[j].id, r->id))
        rc = rert_err_set(err, RERT_EINPUT, "%s: line %d: case id '%s' already used on line %d", path, line, r->id, j + 2);
    for (int c = 0; c < t.ncol && !rc; c++) {
      if (c == ccase || c == cexp || c == cid) continue;
      const char *h = t.header[c], *v = csv_get(&t, i, c);
      size_t hl = strlen(h);
      if (!strncmp(h, "tox_", 4) && hl > 10 && !strcmp(h + hl - 6, "_grade")) {
        char ep[64];
        snprintf(ep, sizeof ep, "%.*s", (int)(hl - 10), h + 4);
        int k = add_outcome(r, "toxicity", ep);
        if (k < 0) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
        else if (v && *v && parse_int(v, 0, 5, &r->outcomes[k].grade))
          rc = rert_err_set(err, RERT_EINPUT, "%s: line %d, column %s: '%s' is not a grade 0-5", path, line, h, v);
      } else if (!strncmp(h, "tox_", 4) && hl > 9 && !strcmp(h + hl - 5, "_date")) {
        char ep[64];
        snprintf(ep, sizeof ep, "%.*s", (int)(hl - 9), h + 4);
        int k = add_outcome(r, "toxicity", ep);
        if (k < 0) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
        else if (v && *v && !(rc = check_date(v, path, line, h, err))) snprintf(r->outcomes[k].date, 11, "%s", v);
      } else if (!strcmp(h, "local_failure") || !strcmp(h, "death")) {
        int k = add_outcome(r, h, "");
        if (k < 0) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
        else if (v && *v && parse_int(v, 0, 1, &r->outcomes[k].grade))
          rc = rert_err_set(err, RERT_EINPUT, "%s: line %d, column %s: '%s' is not 0 or 1", path, line, h, v);
      } else if (!strcmp(h, "local_failure_date") || !strcmp(h, "death_date") || !strcmp(h, "last_followup")) {
        const char *kind = !strcmp(h, "last_followup") ? "followup" : !strcmp(h, "death_date") ? "death" : "local_failure";
        int k = add_outcome(r, kind, "");
        if (k < 0) rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
        else if (v && *v && !(rc = check_date(v, path, line, h, err))) snprintf(r->outcomes[k].date, 11, "%s", v);
      } else {
        if (!v || !*v) continue;
        char(*nk)[64] = realloc(r->extra_key, (size_t)(r->nextra + 1) * sizeof *nk);
        if (nk) r->extra_key = nk;
        char(*nv)[128] = realloc(r->extra_val, (size_t)(r->nextra + 1) * sizeof *nv);
        if (nv) r->extra_val = nv;
        if (!nk || !nv) {
          rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
          break;
        }
        snprintf(r->extra_key[r->nextra], 64, "%s", h);
        snprintf(r->extra_val[r->nextra], 128, "%s", v);
        r->nextra++;
      }
    }
    /* an event flag of 1 needs its date; a date without a flag implies the event */
    for (int k = 0; k < r->noutcomes && !rc; k++) {
      cohort_outcome *o = &r->outcomes[k];
      if (!strcmp(o->kind, "local_failure") || !strcmp(o->kind, "death")) {
        if (o->grade < 0 && o->date[0]) o->grade = 1;
        if (o->grade == 1 && !o->date[0])
          rc = rert_err_set(err, RERT_EINPUT, "%s: line %d: %s = 1 needs %s_date", path, line, o->kind, o->kind);
      }
      if (!strcmp(o->kind, "toxicity") && o->grade > 0 && !o->date[0])
        rc = rert_err_set(err, RERT_EINPUT, "%s: line %d: tox_%s_grade %d needs tox_%s_date", path, line, o->endpoint,
                          o->grade, o->endpoint);
    }
  }
out:
  csv_free(&t);
  if (rc) cohort_manifest_free(m);
  return rc;
}
