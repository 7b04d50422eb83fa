/* csvtable.c — named-column CSV reader for the statistics commands (see csvtable.h). */
#include "csvtable.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rert/data.h"

void csv_free(rert_csv *t) {
  if (!t) return;
  for (int i = 0; i < t->ncol; i++) free(t->header[i]);
  for (long i = 0; i < (long)t->nrow * t->ncol; i++) free(t->cell[i]);
  free(t->header), free(t->cell);
  memset(t, 0, sizeof *t);
}

/* Split one record starting at *p; returns number of fields, advances *p past the line end. */
static int parse_record(const char **p, char ***fields, int *cap) {
  const char *s = *p;
  int nf = 0;
  for (;;) {
    size_t len = 0, bcap = 64;
    char *buf = malloc(bcap);
    if (!buf) return -1;
    int quoted = 0;
    if (*s == '"') {
      quoted = 1;
      s++;
    }
    for (;;) {
      char c = *s;
      if (quoted) {
        if (c == '\0') break;
        if (c == '"') {
          if (s[1] == '"') {
            s += 2;
            c = '"';
          } else {
            s++;
            quoted = 0;
            continue;
          }
        } else {
          s++;
        }
      } else {
        if (c == ',' || c == '\n' || c == '\r' || c == '\0') break;
        s++;
      }
      if (len + 2 > bcap) {
        bcap *= 2;
        char *nb = realloc(buf, bcap);
        if (!nb) {
          free(buf);
          return -1;
        }
        buf = nb;
      }
      buf[len++] = c;
    }
    buf[len] = '\0';
    if (nf >= *cap) {
      int nc = *cap ? *cap * 2 : 16;
      char **nfld = realloc(*fields, (size_t)nc * sizeof *nfld);
      if (!nfld) {
        free(buf);
        return -1;
      }
      *fields = nfld;
      *cap = nc;
    }
    (*fields)[nf++] = buf;
    if (*s == ',') {
      s++;
      continue;
    }
    if (*s == '\r') s++;
    if (*s == '\n') s++;
    break;
  }
  *p = s;
  return nf;
}

int csv_read_file(const char *path, rert_csv *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  snprintf(out->path, sizeof out->path, "%s", path);
  char *buf = NULL;
  size_t len = 0;
  int rc = file_read_all(path, &buf, &len, err);
  if (rc) return rc;
  const char *p = buf;
  if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
    p += 3; /* UTF-8 BOM */
  char **f = NULL;
  int cap = 0;
  int nf = parse_record(&p, &f, &cap);
  if (nf <= 0 || (nf == 1 && f[0][0] == '\0')) {
    if (nf > 0) free(f[0]);
    free(f), free(buf);
    return rert_err_set(err, RERT_EINPUT, "%s: empty file (expected a header row)", path);
  }
  out->ncol = nf;
  out->header = f;
  f = NULL;
  cap = 0;
  long rcap = 0;
  int line = 1;
  while (*p) {
    line++;
    int n = parse_record(&p, &f, &cap);
    if (n < 0) {
      rc = rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
      break;
    }
    if (n == 1 && f[0][0] == '\0') { /* blank line */
      free(f[0]);
      continue;
    }
    if (n != out->ncol) {
      for (int i = 0; i < n; i++) free(f[i]);
      rc = rert_err_set(err, RERT_EINPUT, "%s: line %d has %d fields, header has %d", path, line,
                        n, out->ncol);
      break;
    }
    if (out->nrow >= rcap) {
      rcap = rcap ? rcap * 2 : 64;
      char **nc = realloc(out->cell, (size_t)rcap * out->ncol * sizeof *nc);
      if (!nc) {
        for (int i = 0; i < n; i++) free(f[i]);
        rc = rert_err_set(err, RERT_EINTERNAL, "%s: out of memory", path);
        break;
      }
      out->cell = nc;
    }
    for (int i = 0; i < n; i++) {
      if (f[i][0] == '\0' || strcmp(f[i], "NA") == 0) {
        free(f[i]);
        f[i] = NULL;
      }
      out->cell[(long)out->nrow * out->ncol + i] = f[i];
    }
    out->nrow++;
  }
  free(f), free(buf);
  if (rc) csv_free(out);
  return rc;
}

int csv_column(const rert_csv *t, const char *name, rert_err *err) {
  for (int i = 0; i < t->ncol; i++)
    if (strcmp(t->header[i], name) == 0) return i;
  rert_err_set(err, RERT_EINPUT, "%s: no column named '%s'", t->path, name);
  return -1;
}

const char *csv_get(const rert_csv *t, int row, int col) {
  return t->cell[(long)row * t->ncol + col];
}

int csv_number(const rert_csv *t, int row, int col, double *out, rert_err *err) {
  const char *s = csv_get(t, row, col);
  char *end;
  if (!s) return rert_err_set(err, RERT_EINPUT, "%s: row %d column '%s' is empty", t->path,
                              row + 2, t->header[col]);
  double v = strtod(s, &end);
  while (*end == ' ') end++;
  if (end == s || *end || !isfinite(v))
    return rert_err_set(err, RERT_EINPUT, "%s: row %d column '%s': '%s' is not a number", t->path,
                        row + 2, t->header[col], s);
  *out = v;
  return RERT_OK;
}
