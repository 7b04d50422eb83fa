/* linalg.c — small dense symmetric positive-definite solves (Cholesky) for the test statistics
 * and Cox information matrices; dimensions are the number of groups or covariates (tiny). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats_internal.h"

int stats_spd_solve(const double *a, int p, const double *b, double *x, double *inv) {
  double *l = calloc((size_t)p * p, sizeof *l);
  double *col = malloc((size_t)p * sizeof *col);
  if (!l || !col) {
    free(l), free(col);
    return -1;
  }
  for (int i = 0; i < p; i++)
    for (int j = 0; j <= i; j++) {
      double s = a[i * p + j];
      for (int k = 0; k < j; k++) s -= l[i * p + k] * l[j * p + k];
      if (i == j) {
        if (!(s > 1e-12 * fmax(1.0, fabs(a[i * p + i])))) {
          free(l), free(col);
          return -1;
        }
        l[i * p + i] = sqrt(s);
      } else {
        l[i * p + j] = s / l[j * p + j];
      }
    }
  /* solve L L^T y = rhs */
  for (int c = -1; c < (inv ? p : 0); c++) {
    const double *rhs = b;
    if (c >= 0) {
      for (int i = 0; i < p; i++) col[i] = (i == c);
      rhs = col;
    } else if (!b) {
      continue;
    }
    double *y = malloc((size_t)p * sizeof *y);
    if (!y) {
      free(l), free(col);
      return -1;
    }
    for (int i = 0; i < p; i++) {
      double s = rhs[i];
      for (int k = 0; k < i; k++) s -= l[i * p + k] * y[k];
      y[i] = s / l[i * p + i];
    }
    for (int i = p - 1; i >= 0; i--) {
      double s = y[i];
      for (int k = i + 1; k < p; k++) s -= l[k * p + i] * y[k];
      y[i] = s / l[i * p + i];
    }
    if (c < 0) memcpy(x, y, (size_t)p * sizeof *y);
    else
      for (int i = 0; i < p; i++) inv[i * p + c] = y[i];
    free(y);
  }
  free(l), free(col);
  return 0;
}
