/* csvtable.h — a small reader for the named-column CSV files the statistics commands take.
 *
 * RFC-4180-style: first row = header, comma separator, optional double quotes ("" escapes),
 * CR/LF tolerated. Cells are kept as strings; empty cells and "NA" are missing values.
 * Not public API: used by src/cli/cmd_survival.c, cmd_trial.c and cmd_recist.c.
 */
#ifndef RERT_CSVTABLE_H
#define RERT_CSVTABLE_H

#include "rert/err.h"

typedef struct {
  int ncol, nrow;
  char **header; /* ncol */
  char **cell;   /* nrow x ncol, NULL = missing */
  char path[512];
} rert_csv;

int csv_read_file(const char *path, rert_csv *out, rert_err *err);
void csv_free(rert_csv *t);
int csv_column(const rert_csv *t, const char *name, rert_err *err); /* index or -1 (err set) */
const char *csv_get(const rert_csv *t, int row, int col);
/* Parse a cell as a finite number; RERT_EINPUT naming file, row and column on failure. */
int csv_number(const rert_csv *t, int row, int col, double *out, rert_err *err);

#endif
