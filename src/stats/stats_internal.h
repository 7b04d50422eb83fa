/* stats_internal.h — helpers shared by the survival sources (not public API). */
#ifndef RERT_STATS_INTERNAL_H
#define RERT_STATS_INTERNAL_H

#include "rert/survival.h"

int stats_check_surv_input(const double *time, const int *status, int n, int maxstatus,
                           rert_err *err);
/* Indices sorted by ascending time (stable); caller frees. NULL on out of memory. */
int *stats_order_by_time(const double *time, int n);
void stats_ci_bounds(double s, double se_log, double z, rert_ci_type ci, double *lo, double *hi);
double stats_minmin(const double *t, const double *s, int nt);
double stats_findq(const double *t, const double *s, int nt, double p);
/* Solve A x = b (A symmetric positive definite, p x p, row-major) by Cholesky; A is left
 * intact. inv (may be NULL) receives A^-1. Returns 0, or -1 when A is not positive definite. */
int stats_spd_solve(const double *a, int p, const double *b, double *x, double *inv);

#endif
