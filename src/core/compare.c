/* compare.c — tolerance comparison for clinical decisions (include/rert/compare.h). */
#include "rert/compare.h"

#include <math.h>

int rert_cmp(double a, double b) {
  if (isnan(a) || isnan(b)) return 2;
  if (a == b) return 0; /* also equal infinities */
  if (isinf(a) || isinf(b)) return a < b ? -1 : 1;
  double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  if (fabs(a - b) <= RERT_CMP_ABS_TOL + RERT_CMP_REL_TOL * m) return 0;
  return a < b ? -1 : 1;
}
