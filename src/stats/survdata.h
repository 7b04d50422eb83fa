/* survdata.h — turns a named-column CSV into the arrays the survival functions take.
 *
 * Rows with a missing value in any column used are dropped (R's na.omit) and counted. Status
 * coding as R's Surv(): 0/1 (or FALSE/TRUE), or 1/2 with 1 = censored when no 0 occurs; with
 * competing risks (multi = 1) `cencode` marks censoring and the other codes become causes
 * 1..K in ascending order. Groups and text covariates are factors with sorted levels (numeric
 * order when every label is a number), the first level the reference, as R does.
 * Internal to rert (used by src/cli/cmd_survival.c).
 */
#ifndef RERT_SURVDATA_H
#define RERT_SURVDATA_H

#include "rert/err.h"
#include "csvtable.h"

typedef struct {
  int n, dropped;
  double *time;
  int *status;
  int *group;      /* NULL without a group column */
  int ngroups;
  char **levels;   /* group labels */
  int ncause;      /* multi: number of causes */
  double *cause_code; /* multi: original code of cause k+1 */
  int p;           /* covariate columns after dummy coding */
  double *x;       /* n x p */
  char **xname;    /* p */
} rert_survdata;

typedef struct {
  const char *time_col, *status_col, *group_col;
  const char *const *covariates;
  int ncovariates;
  const char *const *factors; /* covariates to treat as factors even when numeric (R factor()) */
  int nfactors;
  int multi;        /* competing risks coding */
  double cencode;   /* multi: censoring code */
} rert_survdata_spec;

int survdata_load(const rert_csv *t, const rert_survdata_spec *spec, rert_survdata *out,
                  rert_err *err);
void survdata_free(rert_survdata *d);

#endif
