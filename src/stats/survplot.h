/* survplot.h — SVG plot of Kaplan–Meier or cumulative-incidence step curves with a
 * numbers-at-risk table under the x axis (internal; used by `rert survival --plot`). */
#ifndef RERT_SURVPLOT_H
#define RERT_SURVPLOT_H

#include "rert/err.h"

typedef struct {
  const char *label;
  int nt;
  const double *time;  /* step times, ascending */
  const double *value; /* curve value just after time[i] */
  double start;        /* value at time 0: 1 for KM, 0 for CIF */
  const double *censor; /* censoring times to mark (may be NULL) */
  int ncensor;
  const int *at_risk;  /* numbers at risk at each tick (nticks); NULL = no table row */
  const char *risk_label; /* label of the numbers-at-risk row (NULL = label) */
  int color;           /* palette index */
  int dash;            /* 0 solid, 1 dashed, 2 dotted */
} rert_plot_curve;

int surv_plot_svg(const char *path, const char *title, const char *ylabel,
                  const rert_plot_curve *curves, int ncurves, const double *ticks, int nticks,
                  rert_err *err);

#endif
