/* km.c — Kaplan–Meier estimator with Greenwood variance, pointwise CIs and quantiles.
 *
 * Domain-reference §9.5/§10.11. Matches R survival::survfit: one row per distinct observed time
 * (censor-only times included), subjects censored at t are at risk at t, std.err = SE of log S,
 * conf.type "log" (R default), "log-log" or "plain", and quantiles by survival:::findq (a curve
 * that is exactly 1-p over a stretch gives the midpoint of that stretch).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rert/survival.h"
#include "stats_internal.h"

void surv_km_free(rert_km *km) {
  if (!km) return;
  free(km->time), free(km->n_risk), free(km->n_event), free(km->n_censor), free(km->surv);
  free(km->var_surv), free(km->se_log), free(km->lower), free(km->upper);
  memset(km, 0, sizeof *km);
}

int stats_check_surv_input(const double *time, const int *status, int n, int maxstatus,
                           rert_err *err) {
  if (n < 1) return rert_err_set(err, RERT_EINPUT, "no observations");
  for (int i = 0; i < n; i++) {
    if (!isfinite(time[i]) || time[i] < 0)
      return rert_err_set(err, RERT_EINPUT, "observation %d: time must be finite and >= 0", i + 1);
    if (status[i] < 0 || status[i] > maxstatus)
      return rert_err_set(err, RERT_EINPUT, "observation %d: status %d outside 0..%d", i + 1,
                          status[i], maxstatus);
  }
  return RERT_OK;
}

typedef struct {
  double t;
  int i;
} time_idx;

static int cmp_time(const void *a, const void *b) {
  const time_idx *x = a, *y = b;
  if (x->t < y->t) return -1;
  if (x->t > y->t) return 1;
  return x->i - y->i;
}

int *stats_order_by_time(const double *time, int n) {
  int *idx = malloc((size_t)n * sizeof *idx);
  time_idx *ti = malloc((size_t)n * sizeof *ti);
  if (!idx || !ti) {
    free(idx), free(ti);
    return NULL;
  }
  for (int i = 0; i < n; i++) ti[i] = (time_idx){time[i], i};
  qsort(ti, (size_t)n, sizeof *ti, cmp_time);
  for (int i = 0; i < n; i++) idx[i] = ti[i].i;
  free(ti);
  return idx;
}

void stats_ci_bounds(double s, double se_log, double z, rert_ci_type ci, double *lo, double *hi) {
  if (isnan(se_log)) {
    *lo = *hi = NAN;
    return;
  }
  switch (ci) {
  case RERT_CI_PLAIN: {
    double se = se_log * s;
    *lo = fmax(s - z * se, 0.0);
    *hi = fmin(s + z * se, 1.0);
    return;
  }
  case RERT_CI_LOGLOG:
    if (s >= 1 || s <= 0) { /* log(-log S) undefined: R survfit reports NA */
      *lo = *hi = NAN;
      return;
    }
    {
      double se2 = z * se_log / log(s);
      *lo = exp(-exp(log(-log(s)) - se2));
      *hi = exp(-exp(log(-log(s)) + se2));
    }
    return;
  case RERT_CI_LOG:
  default:
    if (s <= 0) {
      *lo = *hi = NAN;
      return;
    }
    *lo = exp(log(s) - z * se_log);
    *hi = fmin(exp(log(s) + z * se_log), 1.0);
    return;
  }
}

typedef struct {
  double y;
  int i;
} val_idx;

static int cmp_val(const void *a, const void *b) {
  const val_idx *x = a, *y = b;
  if (x->y < y->y) return -1;
  if (x->y > y->y) return 1;
  return x->i - y->i;
}

/* survival:::findq on the curve y = 1 - S (x[0] = 0, y[0] = 0 prepended). Values repeated
 * anywhere earlier in the curve are dropped, as R's duplicated() does (NaN counts as a value);
 * found in O(n log n) by sorting (value, position). */
double stats_findq(const double *t, const double *s, int nt, double p) {
  const double tol = 1.4901161193847656e-08; /* sqrt(.Machine$double.eps) */
  int m = nt + 1;
  double *x = malloc((size_t)m * sizeof *x), *y = malloc((size_t)m * sizeof *y);
  char *dup = calloc((size_t)m, 1);
  val_idx *vi = malloc((size_t)m * sizeof *vi);
  double q = NAN;
  if (!x || !y || !dup || !vi) goto done;
  double xmax = nt > 0 ? t[nt - 1] : 0.0, ymax = 0;
  y[0] = 0;
  for (int i = 0; i < nt; i++) {
    y[i + 1] = isnan(s[i]) ? NAN : 1.0 - s[i];
    if (!isnan(y[i + 1]) && y[i + 1] > ymax) ymax = y[i + 1];
  }
  int nn = 0, first_nan = -1;
  for (int i = 0; i < m; i++) {
    if (isnan(y[i])) {
      if (first_nan >= 0) dup[i] = 1;
      else first_nan = i;
    } else {
      vi[nn++] = (val_idx){y[i], i};
    }
  }
  qsort(vi, (size_t)nn, sizeof *vi, cmp_val);
  for (int k = 1; k < nn; k++)
    if (vi[k].y == vi[k - 1].y) dup[vi[k].i] = 1;
  int k = 0;
  for (int i = 0; i < m; i++)
    if (!dup[i]) x[k] = i == 0 ? 0.0 : t[i - 1], y[k] = y[i], k++;
  if (ymax < p) goto done;
  int i1 = -1, i2 = -1, last = -1;
  for (int j = 0; j < k; j++) {
    if (isnan(y[j])) continue;
    last = j;
    if (i1 < 0 && y[j] + tol >= p) i1 = j;
    if (i2 < 0 && y[j] - tol >= p) i2 = j;
  }
  if (i1 < 0) goto done;
  q = i2 < 0 ? NAN : (x[i1] + x[i2]) / 2;
  if (p == 0) q = x[0];
  if (last >= 0 && last == k - 1 && fabs(p - y[k - 1]) < tol) q = (x[i1] + xmax) / 2;
done:
  free(x), free(y), free(dup), free(vi);
  return q;
}

/* The median as print.survfit reports it (survival:::survmean's minmin): the first time with
 * S < 0.5 + tol; if S there equals 0.5 and the curve later drops below it, the midpoint of that
 * time and the time of the drop. NaN points are ignored. (quantile.survfit differs only when
 * the curve ends flat at exactly 0.5: it then averages with the last follow-up time.) */
double stats_minmin(const double *t, const double *s, int nt) {
  const double tol = 1.4901161193847656e-08;
  int f = -1;
  for (int i = 0; i < nt; i++)
    if (!isnan(s[i]) && s[i] < 0.5 + tol) {
      f = i;
      break;
    }
  if (f < 0) return NAN;
  if (fabs(s[f] - 0.5) < tol)
    for (int j = f + 1; j < nt; j++)
      if (!isnan(s[j]) && s[j] < s[f]) return (t[f] + t[j]) / 2;
  return t[f];
}

int surv_km_fit(const double *time, const int *status, int n, rert_ci_type ci, double conf_level,
                rert_km *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  int rc = stats_check_surv_input(time, status, n, 1, err);
  if (rc) return rc;
  if (!(conf_level > 0 && conf_level < 1))
    return rert_err_set(err, RERT_EINPUT, "confidence level must be in (0, 1)");
  int *idx = stats_order_by_time(time, n);
  if (!idx) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  out->time = malloc((size_t)n * sizeof(double));
  out->n_risk = malloc((size_t)n * sizeof(int));
  out->n_event = malloc((size_t)n * sizeof(int));
  out->n_censor = malloc((size_t)n * sizeof(int));
  out->surv = malloc((size_t)n * sizeof(double));
  out->var_surv = malloc((size_t)n * sizeof(double));
  out->se_log = malloc((size_t)n * sizeof(double));
  out->lower = malloc((size_t)n * sizeof(double));
  out->upper = malloc((size_t)n * sizeof(double));
  if (!out->time || !out->n_risk || !out->n_event || !out->n_censor || !out->surv ||
      !out->var_surv || !out->se_log || !out->lower || !out->upper) {
    free(idx);
    surv_km_free(out);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  out->n = n;
  out->ci = ci;
  out->conf_level = conf_level;
  double z = stats_qnorm(1 - (1 - conf_level) / 2);
  double s = 1.0, gw = 0.0;
  int at_risk = n, k = 0;
  for (int i = 0; i < n;) {
    double t = time[idx[i]];
    int d = 0, c = 0, j = i;
    while (j < n && time[idx[j]] == t) {
      if (status[idx[j]]) d++;
      else c++;
      j++;
    }
    if (d > 0) {
      s *= 1.0 - (double)d / at_risk;
      gw = (d < at_risk) ? gw + (double)d / ((double)at_risk * (at_risk - d)) : INFINITY;
    }
    out->time[k] = t;
    out->n_risk[k] = at_risk;
    out->n_event[k] = d;
    out->n_censor[k] = c;
    out->surv[k] = s;
    out->se_log[k] = isinf(gw) ? NAN : sqrt(gw);
    out->var_surv[k] = isinf(gw) ? NAN : s * s * gw;
    stats_ci_bounds(s, out->se_log[k], z, ci, &out->lower[k], &out->upper[k]);
    out->n_events += d;
    at_risk -= d + c;
    k++;
    i = j;
  }
  out->nt = k;
  free(idx);
  out->median = stats_minmin(out->time, out->surv, out->nt);
  out->median_lower = stats_minmin(out->time, out->lower, out->nt);
  out->median_upper = stats_minmin(out->time, out->upper, out->nt);
  return RERT_OK;
}

double surv_km_quantile(const rert_km *km, double p, double *lower, double *upper) {
  double q = stats_findq(km->time, km->surv, km->nt, p);
  /* the lower survival band crosses 1-p first: it gives the lower limit (R doquant) */
  if (lower) *lower = stats_findq(km->time, km->lower, km->nt, p);
  if (upper) *upper = stats_findq(km->time, km->upper, km->nt, p);
  return q;
}

double surv_km_value_at(const rert_km *km, double t) {
  double s = 1.0;
  for (int i = 0; i < km->nt && km->time[i] <= t; i++) s = km->surv[i];
  return s;
}

int surv_km_risk_at(const rert_km *km, double t) {
  for (int i = 0; i < km->nt; i++)
    if (km->time[i] >= t) return km->n_risk[i];
  return 0;
}
