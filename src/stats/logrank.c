/* logrank.c — k-sample log-rank test (Mantel–Haenszel; R survival::survdiff with rho = 0).
 *
 * At each distinct event time: E_g += d·n_g/n and V_gh += d(n−d)/(n−1)·(n_g/n)(δ_gh − n_h/n).
 * χ² = (O−E)ᵀ V⁻ (O−E) on k−1 degrees of freedom; as in R, groups with E = 0 (empty, or never
 * at risk at an event time) are left out and the first remaining group is dropped to make V
 * invertible.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rert/survival.h"
#include "stats_internal.h"

void surv_logrank_free(rert_logrank *lr) {
  if (!lr) return;
  free(lr->n), free(lr->observed), free(lr->expected), free(lr->var);
  memset(lr, 0, sizeof *lr);
}

int surv_logrank_test(const double *time, const int *status, const int *group, int n, int ngroups,
                      rert_logrank *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  int rc = stats_check_surv_input(time, status, n, 1, err);
  if (rc) return rc;
  if (ngroups < 2) return rert_err_set(err, RERT_EINPUT, "log-rank test needs at least 2 groups");
  for (int i = 0; i < n; i++)
    if (group[i] < 0 || group[i] >= ngroups)
      return rert_err_set(err, RERT_EINPUT, "observation %d: group index out of range", i + 1);
  int k = ngroups;
  out->ngroups = k;
  out->n = calloc((size_t)k, sizeof(int));
  out->observed = calloc((size_t)k, sizeof(double));
  out->expected = calloc((size_t)k, sizeof(double));
  out->var = calloc((size_t)k * k, sizeof(double));
  int *risk = calloc((size_t)k, sizeof(int)), *dg = calloc((size_t)k, sizeof(int));
  int *idx = stats_order_by_time(time, n);
  if (!out->n || !out->observed || !out->expected || !out->var || !risk || !dg || !idx) {
    free(risk), free(dg), free(idx);
    surv_logrank_free(out);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  for (int i = 0; i < n; i++) out->n[group[i]]++, risk[group[i]]++;
  int at_risk = n;
  for (int i = 0; i < n;) {
    double t = time[idx[i]];
    int j = i, d = 0;
    memset(dg, 0, (size_t)k * sizeof *dg);
    while (j < n && time[idx[j]] == t) {
      if (status[idx[j]]) d++, dg[group[idx[j]]]++;
      j++;
    }
    if (d > 0) {
      double nn = at_risk;
      for (int g = 0; g < k; g++) {
        out->observed[g] += dg[g];
        out->expected[g] += d * risk[g] / nn;
      }
      if (at_risk > 1) {
        double f = d * (nn - d) / (nn - 1);
        for (int g = 0; g < k; g++)
          for (int h = 0; h < k; h++)
            out->var[g * k + h] += f * (risk[g] / nn) * ((g == h) - risk[h] / nn);
      }
    }
    for (int m = i; m < j; m++) risk[group[idx[m]]]--;
    at_risk -= j - i;
    i = j;
  }
  free(risk), free(dg), free(idx);
  /* groups with variance; drop the last of them */
  int *sel = malloc((size_t)k * sizeof *sel), ns = 0;
  if (!sel) {
    surv_logrank_free(out);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  /* as R survdiff: keep groups with expected > 0, drop the first of them */
  for (int g = 0; g < k; g++)
    if (out->expected[g] > 0) sel[ns++] = g;
  ns--;
  memmove(sel, sel + 1, (size_t)(ns > 0 ? ns : 0) * sizeof *sel);
  out->df = ns > 0 ? ns : 0;
  out->chisq = 0;
  out->p_value = 1.0;
  if (ns >= 1) {
    double *v = malloc((size_t)ns * ns * sizeof *v), *u = malloc((size_t)ns * sizeof *u),
           *x = malloc((size_t)ns * sizeof *x);
    int ok = v && u && x;
    if (ok) {
      for (int a = 0; a < ns; a++) {
        u[a] = out->observed[sel[a]] - out->expected[sel[a]];
        for (int b = 0; b < ns; b++) v[a * ns + b] = out->var[sel[a] * k + sel[b]];
      }
      ok = stats_spd_solve(v, ns, u, x, NULL) == 0;
      if (ok) {
        for (int a = 0; a < ns; a++) out->chisq += u[a] * x[a];
        out->p_value = stats_pchisq_upper(out->chisq, ns);
      }
    }
    free(v), free(u), free(x);
    if (!ok) {
      free(sel);
      surv_logrank_free(out);
      return rert_err_set(err, RERT_EINPUT, "log-rank variance matrix is singular");
    }
  }
  free(sel);
  return RERT_OK;
}
