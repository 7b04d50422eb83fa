/* logistic.c — S3's end-of-trial dose–toxicity estimate (reference §9.2): logistic regression
 * logit p = a + b·dose by maximum likelihood, as R glm(dlt ~ dose, family = binomial).
 * Newton–Raphson from (logit(mean y), 0); the dose is centred internally for stability and the
 * intercept transformed back. Separation is detected when the fitted probabilities run to 0/1
 * (the MLE is then infinite and R warns "fitted probabilities numerically 0 or 1").
 */
#include <math.h>
#include <string.h>

#include "rert/titecrm.h"

int crm_final_logistic(const double *dose, const int *dlt, int n, rert_logit_fit *out,
                       rert_err *err) {
  memset(out, 0, sizeof *out);
  if (n < 2) return rert_err_set(err, RERT_EINPUT, "logistic fit needs at least 2 patients");
  double m = 0, ybar = 0;
  for (int i = 0; i < n; i++) {
    if (!isfinite(dose[i]))
      return rert_err_set(err, RERT_EINPUT, "patient %d: dose is not finite", i + 1);
    if (dlt[i] != 0 && dlt[i] != 1)
      return rert_err_set(err, RERT_EINPUT, "patient %d: dlt must be 0 or 1", i + 1);
    m += dose[i];
    ybar += dlt[i];
  }
  m /= n;
  ybar /= n;
  if (ybar == 0 || ybar == 1)
    return rert_err_set(err, RERT_EINPUT, "logistic MLE does not exist: %s",
                        ybar == 0 ? "no DLT observed" : "every patient had a DLT");
  double sxx = 0;
  for (int i = 0; i < n; i++) sxx += (dose[i] - m) * (dose[i] - m);
  if (!(sxx > 0)) return rert_err_set(err, RERT_EINPUT, "logistic fit needs at least 2 doses");
  double a = log(ybar / (1 - ybar)), b = 0, ll = -INFINITY;
  double i00 = 0, i01 = 0, i11 = 0;
  int it;
  for (it = 1; it <= 100; it++) {
    double u0 = 0, u1 = 0, lnew = 0;
    i00 = i01 = i11 = 0;
    for (int i = 0; i < n; i++) {
      double x = dose[i] - m, eta = a + b * x, p = 1 / (1 + exp(-eta)), w = p * (1 - p);
      u0 += dlt[i] - p;
      u1 += (dlt[i] - p) * x;
      i00 += w, i01 += w * x, i11 += w * x * x;
      lnew += dlt[i] ? -log1p(exp(-eta)) : -log1p(exp(eta));
    }
    double det = i00 * i11 - i01 * i01;
    if (!(det > 1e-300) || fabs(b) > 1e6)
      return rert_err_set(err, RERT_EINPUT,
                          "logistic MLE does not exist: DLTs are separated by dose");
    double da = (i11 * u0 - i01 * u1) / det, db = (i00 * u1 - i01 * u0) / det;
    a += da, b += db;
    if (fabs(lnew - ll) < 1e-13 * (1 + fabs(lnew)) && fabs(da) + fabs(db) < 1e-10) {
      ll = lnew;
      break;
    }
    ll = lnew;
  }
  if (it > 100 || fabs(b) * sqrt(sxx / n) > 30)
    return rert_err_set(err, RERT_EINPUT,
                        "logistic MLE does not exist: DLTs are separated by dose (slope diverges)");
  /* information at the estimate */
  i00 = i01 = i11 = 0;
  ll = 0;
  for (int i = 0; i < n; i++) {
    double x = dose[i] - m, eta = a + b * x, p = 1 / (1 + exp(-eta)), w = p * (1 - p);
    i00 += w, i01 += w * x, i11 += w * x * x;
    ll += dlt[i] ? -log1p(exp(-eta)) : -log1p(exp(eta));
  }
  double det = i00 * i11 - i01 * i01;
  double vaa = i11 / det, vab = -i01 / det, vbb = i00 / det; /* centred parametrisation */
  out->b = b;
  out->a = a - b * m;
  out->se_b = sqrt(vbb);
  /* a_uncentred = a_c − m b: Var = Vaa + m² Vbb − 2 m Vab */
  out->se_a = sqrt(vaa + m * m * vbb - 2 * m * vab);
  out->cov_ab = vab - m * vbb;
  out->loglik = ll;
  out->deviance = -2 * ll;
  out->iterations = it;
  return RERT_OK;
}

void crm_logistic_predict(const rert_logit_fit *f, double dose, double z, double *p, double *lo,
                          double *hi) {
  double eta = f->a + f->b * dose;
  double se = sqrt(f->se_a * f->se_a + dose * dose * f->se_b * f->se_b + 2 * dose * f->cov_ab);
  *p = 1 / (1 + exp(-eta));
  *lo = 1 / (1 + exp(-(eta - z * se)));
  *hi = 1 / (1 + exp(-(eta + z * se)));
}
