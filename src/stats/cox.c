/* cox.c — Cox proportional-hazards regression by Newton–Raphson on the partial likelihood.
 *
 * Domain-reference §9.5/§10.11. Ties by Efron (R coxph default) or Breslow. Covariates are
 * centred internally (as coxph does) for numerical stability; estimates are not affected.
 * Iteration starts at β = 0, halves the step when the log-likelihood falls, and stops when the
 * relative change is below 1e-12 and the Newton step below 1e-10 (tighter than R's eps = 1e-9,
 * so estimates agree with R to its printed precision). Reported: β, SE from the inverse
 * information, likelihood-ratio, Wald and score (log-rank) tests with p degrees of freedom.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rert/survival.h"
#include "stats_internal.h"

void surv_cox_free(rert_cox *cox) {
  if (!cox) return;
  free(cox->coef), free(cox->se), free(cox->var);
  memset(cox, 0, sizeof *cox);
}

typedef struct {
  int n, p;
  const int *idx; /* ascending time order */
  const double *time;
  const int *status;
  const double *x; /* centred, n x p */
  rert_ties ties;
  double *s1, *s2, *e1, *e2, *xr, *a; /* work */
} cox_ws;

/* log-likelihood, score u (p), information imat (p x p) at beta */
static double cox_eval(cox_ws *w, const double *beta, double *u, double *imat) {
  int n = w->n, p = w->p;
  double ll = 0, s0 = 0;
  memset(w->s1, 0, (size_t)p * sizeof(double));
  memset(w->s2, 0, (size_t)p * p * sizeof(double));
  if (u) memset(u, 0, (size_t)p * sizeof(double));
  if (imat) memset(imat, 0, (size_t)p * p * sizeof(double));
  for (int i = n - 1; i >= 0;) {
    double t = w->time[w->idx[i]];
    int j = i, d = 0;
    double e0 = 0;
    memset(w->e1, 0, (size_t)p * sizeof(double));
    memset(w->e2, 0, (size_t)p * p * sizeof(double));
    while (j >= 0 && w->time[w->idx[j]] == t) {
      int s = w->idx[j];
      const double *xs = w->x + (size_t)s * p;
      double eta = 0;
      for (int a = 0; a < p; a++) eta += beta[a] * xs[a];
      double r = exp(eta);
      s0 += r;
      for (int a = 0; a < p; a++) {
        w->s1[a] += r * xs[a];
        for (int b = 0; b < p; b++) w->s2[a * p + b] += r * xs[a] * xs[b];
      }
      if (w->status[s]) {
        d++;
        e0 += r;
        ll += eta;
        for (int a = 0; a < p; a++) {
          w->e1[a] += r * xs[a];
          if (u) u[a] += xs[a];
          for (int b = 0; b < p; b++) w->e2[a * p + b] += r * xs[a] * xs[b];
        }
      }
      j--;
    }
    for (int l = 0; l < d; l++) {
      double f = (w->ties == RERT_TIES_EFRON) ? (double)l / d : 0.0;
      double den = s0 - f * e0;
      ll -= log(den);
      for (int a = 0; a < p; a++) {
        w->a[a] = (w->s1[a] - f * w->e1[a]) / den;
        if (u) u[a] -= w->a[a];
      }
      if (imat)
        for (int a = 0; a < p; a++)
          for (int b = 0; b < p; b++)
            imat[a * p + b] += (w->s2[a * p + b] - f * w->e2[a * p + b]) / den - w->a[a] * w->a[b];
    }
    i = j;
  }
  return ll;
}

int surv_cox_fit(const double *time, const int *status, const double *x, int n, int p,
                 rert_ties ties, rert_cox *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  int rc = stats_check_surv_input(time, status, n, 1, err);
  if (rc) return rc;
  if (p < 1) return rert_err_set(err, RERT_EINPUT, "Cox model needs at least one covariate");
  for (size_t i = 0; i < (size_t)n * p; i++)
    if (!isfinite(x[i]))
      return rert_err_set(err, RERT_EINPUT, "observation %zu: covariate %zu is not finite",
                          i / p + 1, i % p + 1);
  cox_ws w = {.n = n, .p = p, .time = time, .status = status, .ties = ties};
  double *xc = malloc((size_t)n * p * sizeof *xc);
  int *idx = stats_order_by_time(time, n);
  w.s1 = malloc((size_t)p * sizeof(double));
  w.s2 = malloc((size_t)p * p * sizeof(double));
  w.e1 = malloc((size_t)p * sizeof(double));
  w.e2 = malloc((size_t)p * p * sizeof(double));
  w.a = malloc((size_t)p * sizeof(double));
  double *beta = calloc((size_t)p, sizeof *beta), *nb = calloc((size_t)p, sizeof *nb);
  double *u = calloc((size_t)p, sizeof *u), *im = calloc((size_t)p * p, sizeof *im);
  double *step = calloc((size_t)p, sizeof *step);
  out->coef = calloc((size_t)p, sizeof(double));
  out->se = calloc((size_t)p, sizeof(double));
  out->var = calloc((size_t)p * p, sizeof(double));
  int status_rc = RERT_OK;
  if (!xc || !idx || !w.s1 || !w.s2 || !w.e1 || !w.e2 || !w.a || !beta || !nb || !u || !im ||
      !step || !out->coef || !out->se || !out->var) {
    status_rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    goto done;
  }
  for (int a = 0; a < p; a++) {
    double m = 0;
    for (int i = 0; i < n; i++) m += x[(size_t)i * p + a];
    m /= n;
    for (int i = 0; i < n; i++) xc[(size_t)i * p + a] = x[(size_t)i * p + a] - m;
  }
  w.x = xc;
  w.idx = idx;
  out->p = p;
  out->n = n;
  for (int i = 0; i < n; i++) out->n_events += status[i] != 0;
  if (out->n_events == 0) {
    status_rc = rert_err_set(err, RERT_EINPUT, "Cox model: no events");
    goto done;
  }
  double ll = cox_eval(&w, beta, u, im);
  out->loglik0 = ll;
  /* score test at beta = 0 */
  if (stats_spd_solve(im, p, u, step, NULL) != 0) {
    status_rc = rert_err_set(err, RERT_EINPUT,
                             "Cox model: information matrix is singular at beta = 0 "
                             "(a covariate is constant or collinear)");
    goto done;
  }
  out->score_chisq = 0;
  for (int a = 0; a < p; a++) out->score_chisq += u[a] * step[a];
  int it;
  for (it = 1; it <= 100; it++) {
    if (stats_spd_solve(im, p, u, step, NULL) != 0) break;
    double lnew = -INFINITY;
    for (int half = 0; half < 30; half++) {
      for (int a = 0; a < p; a++) nb[a] = beta[a] + step[a];
      lnew = cox_eval(&w, nb, NULL, NULL);
      if (isfinite(lnew) && lnew >= ll - 1e-12 * fabs(ll)) break;
      for (int a = 0; a < p; a++) step[a] /= 2;
    }
    double smax = 0;
    for (int a = 0; a < p; a++) smax = fmax(smax, fabs(step[a]));
    memcpy(beta, nb, (size_t)p * sizeof *beta);
    double lold = ll;
    ll = cox_eval(&w, beta, u, im);
    if (fabs(ll - lold) <= 1e-12 * fabs(lold) + 1e-300 && smax < 1e-10) {
      out->converged = 1;
      break;
    }
    if (smax < 1e-13) {
      out->converged = 1;
      break;
    }
  }
  out->iterations = it;
  out->loglik = ll;
  if (stats_spd_solve(im, p, u, step, out->var) != 0) {
    status_rc = rert_err_set(err, RERT_EINPUT,
                             "Cox model: information singular at the estimate (infinite "
                             "coefficient: a covariate separates events from non-events)");
    goto done;
  }
  for (int a = 0; a < p; a++) {
    out->coef[a] = beta[a];
    out->se[a] = sqrt(out->var[a * p + a]);
  }
  out->lr_chisq = 2 * (out->loglik - out->loglik0);
  /* Wald: beta' I beta */
  out->wald_chisq = 0;
  for (int a = 0; a < p; a++)
    for (int b = 0; b < p; b++) out->wald_chisq += beta[a] * im[a * p + b] * beta[b];
  out->lr_p = stats_pchisq_upper(out->lr_chisq, p);
  out->wald_p = stats_pchisq_upper(out->wald_chisq, p);
  out->score_p = stats_pchisq_upper(out->score_chisq, p);
done:
  free(xc), free(idx), free(w.s1), free(w.s2), free(w.e1), free(w.e2), free(w.a);
  free(beta), free(nb), free(u), free(im), free(step);
  if (status_rc) surv_cox_free(out);
  return status_rc;
}
