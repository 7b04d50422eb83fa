/* cif.c — cumulative incidence with competing risks (Aalen–Johansen) and Gray's k-sample test.
 *
 * Domain-reference §9.5/§10.11. F_k(t) = Σ_{t_i ≤ t} S(t_i−)·d_{k,i}/n_i with S the all-cause KM.
 * Variances follow cmprsk::cuminc (Gray's delta-method estimator, with the tie correction
 * 1 − (d−1)/(n−1)); as there, the variance of F_k is updated only at cause-k event times.
 * Gray's test (Gray 1988, weight (1 − F(t−))^rho as cmprsk's `rho`, default 0) compares the subdistribution hazards of one cause among
 * groups: score for the first k−1 groups and its variance, χ² on k−1 df, as cmprsk's crstm.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rert/survival.h"
#include "stats_internal.h"

void surv_cif_free(rert_cif *c) {
  if (!c) return;
  free(c->time), free(c->n_risk), free(c->cif), free(c->var), free(c->surv);
  memset(c, 0, sizeof *c);
}

int surv_cif_fit(const double *time, const int *status, int n, rert_cif *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  int rc = stats_check_surv_input(time, status, n, 1000, err);
  if (rc) return rc;
  int K = 0;
  for (int i = 0; i < n; i++)
    if (status[i] > K) K = status[i];
  if (K < 1) return rert_err_set(err, RERT_EINPUT, "cumulative incidence: no events of any cause");
  out->ncause = K;
  int *idx = stats_order_by_time(time, n);
  out->time = malloc((size_t)n * sizeof(double));
  out->n_risk = malloc((size_t)n * sizeof(int));
  out->surv = malloc((size_t)n * sizeof(double));
  out->cif = calloc((size_t)n * K, sizeof(double));
  out->var = calloc((size_t)n * K, sizeof(double));
  int *dk = calloc((size_t)K + 1, sizeof(int));
  double *v1 = calloc((size_t)K, sizeof(double)), *v2 = calloc((size_t)K, sizeof(double)),
         *v3 = calloc((size_t)K, sizeof(double)), *f = calloc((size_t)K, sizeof(double)),
         *vcur = calloc((size_t)K, sizeof(double));
  if (!idx || !out->time || !out->n_risk || !out->surv || !out->cif || !out->var || !dk || !v1 ||
      !v2 || !v3 || !f || !vcur) {
    free(idx), free(dk), free(v1), free(v2), free(v3), free(f), free(vcur);
    surv_cif_free(out);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  double s = 1.0;
  int rs = n, nt = 0;
  for (int i = 0; i < n;) {
    double t = time[idx[i]];
    int j = i, nd = 0;
    memset(dk, 0, (size_t)(K + 1) * sizeof *dk);
    while (j < n && time[idx[j]] == t) dk[status[idx[j++]]]++;
    for (int k = 1; k <= K; k++) nd += dk[k];
    double sn = nd ? s * (rs - nd) / rs : s;
    for (int k = 0; k < K && nd; k++) {
      int d1 = dk[k + 1], d2 = nd - d1;
      if (d1 > 0) f[k] += s * d1 / rs;
      /* other-cause contribution (cincsub: only while the KM is still positive) */
      if (d2 > 0 && sn > 0) {
        double t5 = d2 > 1 ? 1 - (d2 - 1.0) / (rs - 1.0) : 1.0;
        double t6 = s * s * t5 * d2 / ((double)rs * rs), t3 = 1 / sn, t4 = f[k] / sn;
        v1[k] += t4 * t4 * t6, v2[k] += t3 * t4 * t6, v3[k] += t3 * t3 * t6;
      }
      if (d1 > 0) {
        double t5 = d1 > 1 ? 1 - (d1 - 1.0) / (rs - 1.0) : 1.0;
        double t6 = s * s * t5 * d1 / ((double)rs * rs), t3 = sn > 0 ? 1 / sn : 0,
               t4 = 1 + t3 * f[k];
        v1[k] += t4 * t4 * t6, v2[k] += t3 * t4 * t6, v3[k] += t3 * t3 * t6;
        vcur[k] = v1[k] + f[k] * f[k] * v3[k] - 2 * f[k] * v2[k];
      }
    }
    out->time[nt] = t;
    out->n_risk[nt] = rs;
    s = sn;
    out->surv[nt] = s;
    for (int k = 0; k < K; k++) {
      out->cif[(size_t)nt * K + k] = f[k];
      out->var[(size_t)nt * K + k] = vcur[k];
    }
    nt++;
    rs -= j - i;
    i = j;
  }
  out->nt = nt;
  free(idx), free(dk), free(v1), free(v2), free(v3), free(f), free(vcur);
  return RERT_OK;
}

double surv_cif_value_at(const rert_cif *c, int cause, double t) {
  if (cause < 1 || cause > c->ncause) return NAN;
  double v = 0;
  for (int i = 0; i < c->nt && c->time[i] <= t; i++) v = c->cif[(size_t)i * c->ncause + cause - 1];
  return v;
}

int surv_gray_test(const double *time, const int *status, const int *group, int n, int ng,
                   int cause, rert_gray *out, rert_err *err) {
  return surv_gray_test_rho(time, status, group, n, ng, cause, 0.0, out, err);
}

int surv_gray_test_rho(const double *time, const int *status, const int *group, int n, int ng,
                       int cause, double rho, rert_gray *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  if (!isfinite(rho))
    return rert_err_set(err, RERT_EINPUT, "Gray's test: rho must be a finite number (got %g)", rho);
  int rc = stats_check_surv_input(time, status, n, 1000, err);
  if (rc) return rc;
  if (ng < 2) return rert_err_set(err, RERT_EINPUT, "Gray's test needs at least 2 groups");
  for (int i = 0; i < n; i++)
    if (group[i] < 0 || group[i] >= ng)
      return rert_err_set(err, RERT_EINPUT, "observation %d: group index out of range", i + 1);
  int g1 = ng - 1;
  int *idx = stats_order_by_time(time, n);
  int *rs = calloc((size_t)ng, sizeof(int)), *d = calloc((size_t)3 * ng, sizeof(int));
  double *f1m = calloc((size_t)ng, sizeof(double)), *f1 = calloc((size_t)ng, sizeof(double));
  double *skmm = malloc((size_t)ng * sizeof(double)), *skm = malloc((size_t)ng * sizeof(double));
  double *c = calloc((size_t)ng * ng, sizeof(double)), *a = calloc((size_t)ng * ng, sizeof(double));
  double *v3 = calloc((size_t)ng, sizeof(double)), *v2 = calloc((size_t)g1 * ng, sizeof(double));
  double *v = calloc((size_t)g1 * g1, sizeof(double)), *sc = calloc((size_t)g1, sizeof(double));
  double *x = calloc((size_t)g1, sizeof(double));
  if (!idx || !rs || !d || !f1m || !f1 || !skmm || !skm || !c || !a || !v3 || !v2 || !v || !sc ||
      !x) {
    rc = rert_err_set(err, RERT_EINTERNAL, "out of memory");
    goto done;
  }
  for (int i = 0; i < ng; i++) skmm[i] = skm[i] = 1.0;
  for (int i = 0; i < n; i++) rs[group[i]]++;
  double fm = 0, f = 0;
#define D(k, g) d[(k) * ng + (g)]
  for (int i = 0; i < n;) {
    double t = time[idx[i]];
    int j = i;
    memset(d, 0, (size_t)3 * ng * sizeof *d);
    while (j < n && time[idx[j]] == t) {
      int s = status[idx[j]], m = s == 0 ? 0 : (s == cause ? 1 : 2);
      D(m, group[idx[j]])++;
      j++;
    }
    int nd1 = 0, nd2 = 0;
    for (int g = 0; g < ng; g++) nd1 += D(1, g), nd2 += D(2, g);
    if (nd1 || nd2) {
      double tr = 0, tq = 0;
      for (int g = 0; g < ng; g++) {
        if (rs[g] <= 0) continue;
        int td = D(1, g) + D(2, g);
        skm[g] = skmm[g] * (rs[g] - td) / rs[g];
        f1[g] = f1m[g] + skmm[g] * D(1, g) / rs[g];
        tr += rs[g] / skmm[g];
        tq += rs[g] * (1 - f1m[g]) / skmm[g];
      }
      f = fm + nd1 / tr;
      /* weight (1 − F(t−))^rho (Gray 1988; cmprsk's rho): rho = 0 gives the log-rank-like
       * test, rho > 0 weights early differences more */
      const double fb = rho == 0 ? 1.0 : pow(1 - fm, rho);
      for (int g = 0; g < ng; g++) {
        for (int h = g; h < ng; h++) a[g * ng + h] = 0;
        if (rs[g] <= 0) continue;
        double t1 = rs[g] / skmm[g];
        a[g * ng + g] = fb * t1 * (1 - t1 / tr);
        c[g * ng + g] += a[g * ng + g] * nd1 / (tr * (1 - fm));
        for (int h = g + 1; h < ng; h++) {
          if (rs[h] <= 0) continue;
          a[g * ng + h] = -fb * t1 * rs[h] / (skmm[h] * tr);
          c[g * ng + h] += a[g * ng + h] * nd1 / (tr * (1 - fm));
        }
      }
      for (int g = 1; g < ng; g++)
        for (int h = 0; h < g; h++) a[g * ng + h] = a[h * ng + g], c[g * ng + h] = c[h * ng + g];
      for (int g = 0; g < g1; g++)
        if (rs[g] > 0) sc[g] += fb * (D(1, g) - nd1 * rs[g] * (1 - f1m[g]) / (skmm[g] * tq));
      if (nd1 > 0)
        for (int k = 0; k < ng; k++) {
          if (rs[k] <= 0) continue;
          double t4 = skm[k] > 0 ? 1 - (1 - f) / skm[k] : 1.0;
          double t5 = nd1 > 1 ? 1 - (nd1 - 1) / (tr * skmm[k] - 1) : 1.0;
          double t3 = t5 * skmm[k] * nd1 / (tr * rs[k]);
          v3[k] += t4 * t4 * t3;
          for (int g = 0; g < g1; g++) {
            double t1 = a[g * ng + k] - t4 * c[g * ng + k];
            v2[g * ng + k] += t1 * t4 * t3;
            for (int h = 0; h <= g; h++) {
              double t2 = a[h * ng + k] - t4 * c[h * ng + k];
              v[g * g1 + h] += t1 * t2 * t3;
            }
          }
        }
      if (nd2 > 0)
        for (int k = 0; k < ng; k++) {
          if (skm[k] <= 0 || D(2, k) <= 0) continue;
          double t4 = (1 - f) / skm[k];
          double t5 = D(2, k) > 1 ? 1 - (D(2, k) - 1.0) / (rs[k] - 1.0) : 1.0;
          double t3 = t5 * skmm[k] * skmm[k] * D(2, k) / ((double)rs[k] * rs[k]);
          v3[k] += t4 * t4 * t3;
          for (int g = 0; g < g1; g++) {
            double t1 = t4 * c[g * ng + k];
            v2[g * ng + k] -= t1 * t4 * t3;
            for (int h = 0; h <= g; h++) v[g * g1 + h] += t1 * t4 * c[h * ng + k] * t3;
          }
        }
    }
    for (int m = i; m < j; m++) rs[group[idx[m]]]--;
    fm = f;
    for (int g = 0; g < ng; g++) f1m[g] = f1[g], skmm[g] = skm[g];
    i = j;
  }
#undef D
  for (int g = 0; g < g1; g++)
    for (int h = 0; h <= g; h++) {
      double s = v[g * g1 + h];
      for (int k = 0; k < ng; k++)
        s += c[g * ng + k] * c[h * ng + k] * v3[k] + c[g * ng + k] * v2[h * ng + k] +
             c[h * ng + k] * v2[g * ng + k];
      v[g * g1 + h] = v[h * g1 + g] = s;
    }
  if (stats_spd_solve(v, g1, sc, x, NULL) != 0) {
    rc = rert_err_set(err, RERT_EINPUT, "Gray's test: variance matrix is singular "
                                        "(a group has no events of cause %d?)", cause);
    goto done;
  }
  out->stat = 0;
  for (int g = 0; g < g1; g++) out->stat += sc[g] * x[g];
  out->df = g1;
  out->p_value = stats_pchisq_upper(out->stat, g1);
done:
  free(idx), free(rs), free(d), free(f1m), free(f1), free(skmm), free(skm), free(c), free(a);
  free(v3), free(v2), free(v), free(sc), free(x);
  return rc;
}
