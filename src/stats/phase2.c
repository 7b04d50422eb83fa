/* phase2.c — exact single-stage and Simon two-stage binomial designs (domain-reference §9.3–9.4).
 *
 * Probabilities are exact binomial sums; pmf values come from lgamma in log space, which keeps
 * full double precision for the sample sizes of phase II trials. The Simon search reuses the
 * stage-1 accumulation across r1 (as clinfun's f2bdry does), giving O(N^4) work for nmax = N.
 */
#include "rert/phase2.h"

#include <math.h>
#include <stdlib.h>

static int check_p(double p0, double p1, rert_err *err) {
  if (!(p0 > 0 && p0 < 1) || !(p1 > 0 && p1 < 1))
    return rert_err_set(err, RERT_EINPUT, "p0 and p1 must lie strictly between 0 and 1");
  if (!(p1 > p0)) return rert_err_set(err, RERT_EINPUT, "p1 (%g) must exceed p0 (%g)", p1, p0);
  return RERT_OK;
}

double phase2_binom_pmf(int k, int n, double p) {
  if (k < 0 || k > n) return 0.0;
  if (p <= 0) return k == 0 ? 1.0 : 0.0;
  if (p >= 1) return k == n ? 1.0 : 0.0;
  double l = lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) + k * log(p) +
             (n - k) * log1p(-p);
  return exp(l);
}

double phase2_binom_upper(int k, int n, double p) {
  if (k <= 0) return 1.0;
  if (k > n) return 0.0;
  double s = 0;
  /* sum the smaller tail for accuracy */
  if (k > n * p) {
    for (int x = n; x >= k; x--) s += phase2_binom_pmf(x, n, p);
    return s;
  }
  for (int x = 0; x < k; x++) s += phase2_binom_pmf(x, n, p);
  return 1.0 - s;
}

int phase2_single_eval(int n, int r, double p0, double p1, rert_single_design *out,
                       rert_err *err) {
  int rc = check_p(p0, p1, err);
  if (rc) return rc;
  if (n < 1 || r < 0 || r > n + 1)
    return rert_err_set(err, RERT_EINPUT, "single-stage design needs n >= 1 and 0 <= r <= n+1");
  out->n = n;
  out->r = r;
  out->alpha = phase2_binom_upper(r, n, p0);
  out->power = phase2_binom_upper(r, n, p1);
  return RERT_OK;
}

int phase2_single_search(double p0, double p1, double alpha_max, double beta_max, int nmax,
                         rert_single_design *out, rert_err *err) {
  int rc = check_p(p0, p1, err);
  if (rc) return rc;
  if (!(alpha_max > 0 && alpha_max < 1) || !(beta_max > 0 && beta_max < 1))
    return rert_err_set(err, RERT_EINPUT, "alpha and beta must lie strictly between 0 and 1");
  for (int n = 1; n <= nmax; n++) {
    /* alpha falls with r: take the smallest r with alpha <= alpha_max; it has the most power */
    for (int r = 0; r <= n; r++) {
      double a = phase2_binom_upper(r, n, p0);
      if (a > alpha_max) continue;
      double pw = phase2_binom_upper(r, n, p1);
      if (pw >= 1.0 - beta_max) {
        out->n = n;
        out->r = r;
        out->alpha = a;
        out->power = pw;
        return RERT_OK;
      }
      break;
    }
  }
  return rert_err_set(err, RERT_EVERDICT, "no single-stage design with n <= %d", nmax);
}

/* P(reject) for a Simon design at response probability p. */
static double simon_reject(int r1, int n1, int r, int n, double p) {
  int n2 = n - n1;
  double s = 0;
  for (int x1 = r1 + 1; x1 <= n1; x1++)
    s += phase2_binom_pmf(x1, n1, p) * phase2_binom_upper(r - x1 + 1, n2, p);
  return s;
}

static double binom_cdf(int k, int n, double p) { return 1.0 - phase2_binom_upper(k + 1, n, p); }

int phase2_simon_eval(int r1, int n1, int r, int n, double p0, double p1, rert_simon_design *out,
                      rert_err *err) {
  int rc = check_p(p0, p1, err);
  if (rc) return rc;
  if (n1 < 1 || n <= n1 || r1 < -1 || r1 >= n1 || r < r1 || r < 0 || r >= n)
    return rert_err_set(err, RERT_EINPUT,
                        "Simon design needs 1 <= n1 < n, -1 <= r1 < n1, r1 <= r < n "
                        "(got r1=%d n1=%d r=%d n=%d)", r1, n1, r, n);
  out->r1 = r1;
  out->n1 = n1;
  out->r = r;
  out->n = n;
  out->alpha = simon_reject(r1, n1, r, n, p0);
  out->power = simon_reject(r1, n1, r, n, p1);
  out->pet0 = r1 < 0 ? 0.0 : binom_cdf(r1, n1, p0);
  out->pet1 = r1 < 0 ? 0.0 : binom_cdf(r1, n1, p1);
  out->en0 = n1 + (1.0 - out->pet0) * (n - n1);
  out->en1 = n1 + (1.0 - out->pet1) * (n - n1);
  return RERT_OK;
}

int phase2_simon_search(double p0, double p1, double alpha_max, double beta_max, int nmax,
                        rert_simon_design *optimal, rert_simon_design *minimax, rert_err *err) {
  int rc = check_p(p0, p1, err);
  if (rc) return rc;
  if (!(alpha_max > 0 && alpha_max < 1) || !(beta_max > 0 && beta_max < 1))
    return rert_err_set(err, RERT_EINPUT, "alpha and beta must lie strictly between 0 and 1");
  if (nmax < 2 || nmax > 1000) return rert_err_set(err, RERT_EINPUT, "nmax must be 2..1000");
  int m = nmax + 1;
  /* pmf[n*m+x] and upper[n*m+k] = P(X >= k), k = 0..n+1 */
  double *pm0 = calloc((size_t)m * (m + 1), sizeof *pm0), *pm1 = calloc((size_t)m * (m + 1), sizeof *pm1);
  double *up0 = calloc((size_t)m * (m + 1), sizeof *up0), *up1 = calloc((size_t)m * (m + 1), sizeof *up1);
  double *b0 = calloc((size_t)m + 1, sizeof *b0), *b1 = calloc((size_t)m + 1, sizeof *b1);
  if (!pm0 || !pm1 || !up0 || !up1 || !b0 || !b1) {
    free(pm0), free(pm1), free(up0), free(up1), free(b0), free(b1);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory in Simon search");
  }
  for (int n = 0; n <= nmax; n++) {
    for (int x = 0; x <= n; x++) {
      pm0[n * m + x] = phase2_binom_pmf(x, n, p0);
      pm1[n * m + x] = phase2_binom_pmf(x, n, p1);
    }
    for (int k = 0; k <= n + 1; k++) {
      up0[(size_t)n * (m + 1) + k] = phase2_binom_upper(k, n, p0);
      up1[(size_t)n * (m + 1) + k] = phase2_binom_upper(k, n, p1);
    }
  }
#define UP(T, n, k) ((k) <= 0 ? 1.0 : ((k) > (n) ? 0.0 : T[(size_t)(n) * (m + 1) + (k)]))
  int have_opt = 0, have_mm = 0;
  rert_simon_design best_opt = {0}, best_mm = {0};
  for (int n = 2; n <= nmax; n++) {
    int have_n = 0;
    rert_simon_design best_n = {0};
    for (int n1 = 1; n1 <= n - 1; n1++) {
      int n2 = n - n1;
      /* b0[r] = P(X1 > r1 and X1 + X2 > r | p0) for the current r1, r = r1..n-1 */
      for (int i = 0; i <= n; i++) b0[i] = b1[i] = 0;
      double pet0 = 1.0, pet1 = 1.0;
      for (int r1 = n1 - 1; r1 >= -1; r1--) {
        int x1 = r1 + 1; /* newly continuing stage-1 count */
        double q0 = pm0[n1 * m + x1], q1 = pm1[n1 * m + x1];
        pet0 -= q0;
        pet1 -= q1;
        /* boundary r = r1: every earlier x1 > r1 + 1 already rejects with certainty */
        if (r1 >= 0 && r1 + 1 <= n - 1) b0[r1] = b0[r1 + 1], b1[r1] = b1[r1 + 1];
        for (int r = r1 < 0 ? 0 : r1; r <= n - 1; r++) {
          b0[r] += q0 * UP(up0, n2, r - x1 + 1);
          b1[r] += q1 * UP(up1, n2, r - x1 + 1);
        }
        double p0s = pet0 < 0 ? 0 : pet0;
        double en0 = n1 + (1.0 - p0s) * n2;
        if (have_n && !(en0 < best_n.en0)) continue;
        /* clinfun never reports a design without a futility stop (r1 = -1 gives EN0 = N, which
         * its strict EN test rejects) and searches r only up to n2 + r1 */
        if (r1 < 0) continue;
        for (int r = (n2 + r1 < n - 1 ? n2 + r1 : n - 1); r >= r1; r--) {
          if (b0[r] <= alpha_max && b1[r] >= 1.0 - beta_max) {
            best_n = (rert_simon_design){r1, n1, r, n, b0[r], b1[r], p0s, en0,
                                         pet1 < 0 ? 0 : pet1, n1 + (1.0 - pet1) * n2};
            have_n = 1;
            break;
          }
        }
      }
    }
    if (!have_n) continue;
    if (!have_mm) best_mm = best_n, have_mm = 1;
    if (!have_opt || best_n.en0 < best_opt.en0) best_opt = best_n, have_opt = 1;
  }
#undef UP
  free(pm0), free(pm1), free(up0), free(up1), free(b0), free(b1);
  if (!have_mm)
    return rert_err_set(err, RERT_EVERDICT, "no Simon design with N <= %d (raise --nmax)", nmax);
  /* recompute the reported numbers directly (independent of the accumulation) */
  if (optimal)
    phase2_simon_eval(best_opt.r1, best_opt.n1, best_opt.r, best_opt.n, p0, p1, optimal, err);
  if (minimax)
    phase2_simon_eval(best_mm.r1, best_mm.n1, best_mm.r, best_mm.n, p0, p1, minimax, err);
  return RERT_OK;
}
