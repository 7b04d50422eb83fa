/* doseresp.c — logistic and probit (LKB) dose–response fits by maximum likelihood with
 * profile-likelihood intervals (see rert/doseresp.h for the models and parametrisation).
 *
 * Numerics: the log-likelihood of a binary GLM is concave in η = α + β·x for both links, so the
 * full fit and every profile (one linear function of (α, β) fixed) are concave problems solved by
 * Newton–Raphson with step halving. x is centred and scaled internally for the full fit. The
 * probit terms use log Φ and the inverse Mills ratio φ/Φ with an asymptotic form below z = −35
 * so that extreme doses do not produce log(0).
 */
#include "rert/doseresp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rert/survival.h"

#define SQRT2PI 2.5066282746310002

const char *dr_model_name(dr_model m) { return m == DR_PROBIT ? "probit" : "logistic"; }

int dr_model_parse(const char *s, dr_model *m, rert_err *err) {
  if (!strcmp(s, "logistic") || !strcmp(s, "logit")) *m = DR_LOGISTIC;
  else if (!strcmp(s, "probit") || !strcmp(s, "lkb")) *m = DR_PROBIT;
  else return rert_err_set(err, RERT_EINPUT, "model '%s': use logistic or probit (lkb)", s);
  return RERT_OK;
}

/* log Φ(z) */
static double log_pnorm(double z) {
  if (z > -35) return log(0.5 * erfc(-z / M_SQRT2));
  double z2 = z * z;
  return -0.5 * z2 - log(-z) - log(SQRT2PI) + log1p(-1 / z2 + 3 / (z2 * z2));
}

/* φ(z)/Φ(z) */
static double mills(double z) {
  if (z > -35) return exp(-0.5 * z * z) / SQRT2PI / (0.5 * erfc(-z / M_SQRT2));
  double z2 = z * z;
  return -z / (1 - 1 / z2 + 3 / (z2 * z2));
}

/* log(1 + e^t) without overflow */
static double softplus(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }

/* Contribution of one observation: value, first and second derivative with respect to η. */
static void term(dr_model model, double eta, int y, double *l, double *d1, double *d2) {
  if (model == DR_LOGISTIC) {
    double p = 1 / (1 + exp(-eta));
    if (l) *l = -softplus(y ? -eta : eta);
    *d1 = y - p;
    *d2 = -p * (1 - p);
    return;
  }
  double s = y ? 1 : -1, z = s * eta, lam = mills(z);
  if (l) *l = log_pnorm(z);
  *d1 = s * lam;
  *d2 = -lam * (lam + z);
}

double dr_loglik(dr_model model, double alpha, double beta, const double *x, const int *y, int n) {
  double ll = 0, d1, d2, l;
  for (int i = 0; i < n; i++) {
    term(model, alpha + beta * x[i], y[i], &l, &d1, &d2);
    ll += l;
  }
  return ll;
}

/* max over s of Σ ℓ(u_i + s·v_i), by Newton with step halving; u = NULL means u_i = u0,
 * v = NULL means v_i = v0·x_i + v1. Returns the maximum; *s_out the argmax. */
typedef struct {
  dr_model model;
  const double *x;
  const int *y;
  int n;
  double ua, ub; /* u_i = ua + ub·x_i */
  double va, vb; /* v_i = va + vb·x_i */
} line1d;

static double line_eval(const line1d *L, double s, double *g, double *h) {
  double ll = 0, G = 0, H = 0, l, d1, d2;
  for (int i = 0; i < L->n; i++) {
    double v = L->va + L->vb * L->x[i];
    term(L->model, L->ua + L->ub * L->x[i] + s * v, L->y[i], &l, &d1, &d2);
    ll += l, G += d1 * v, H += d2 * v * v;
  }
  if (g) *g = G;
  if (h) *h = H;
  return ll;
}

static double line_max(const line1d *L, double s0, double *s_out) {
  double s = s0, g, h, f = line_eval(L, s, &g, &h);
  for (int it = 0; it < 200; it++) {
    double step = h < 0 ? -g / h : (g > 0 ? 1 : -1) * (1 + fabs(s));
    double t = 1, fn = -INFINITY, sn = s;
    for (int k = 0; k < 60; k++) {
      sn = s + t * step;
      fn = line_eval(L, sn, NULL, NULL);
      if (fn >= f - 1e-12 * fabs(f)) break;
      t *= 0.5;
    }
    if (!(fn >= f - 1e-12 * fabs(f))) break;
    double ds = sn - s;
    s = sn;
    double fold = f;
    f = line_eval(L, s, &g, &h);
    if (fabs(ds) <= 1e-12 * (1 + fabs(s)) && fabs(f - fold) <= 1e-14 * (1 + fabs(f))) break;
    if (fabs(s) > 1e12) break; /* diverging: the supremum is approached at infinity */
  }
  if (s_out) *s_out = s;
  return f;
}

double dr_profile_td50(dr_model model, const double *x, const int *y, int n, double td50) {
  line1d L = {model, x, y, n, 0, 0, -td50, 1};
  return line_max(&L, 0, NULL);
}

double dr_profile_alpha(dr_model model, const double *x, const int *y, int n, double alpha) {
  line1d L = {model, x, y, n, alpha, 0, 0, 1};
  return line_max(&L, 0, NULL);
}

double dr_profile_beta(dr_model model, const double *x, const int *y, int n, double beta) {
  line1d L = {model, x, y, n, 0, beta, 1, 0};
  return line_max(&L, 0, NULL);
}

static double link(dr_model model, double p) {
  return model == DR_LOGISTIC ? log(p / (1 - p)) : stats_qnorm(p);
}

/* Full 2-parameter fit on centred/scaled x: η = a + b·z, z = (x − c)/sc. */
static int fit_full(dr_model model, const double *x, const int *y, int n, dr_fit *out,
                    rert_err *err) {
  double c = 0, ybar = 0;
  for (int i = 0; i < n; i++) c += x[i], ybar += y[i];
  c /= n, ybar /= n;
  double sc = 0;
  for (int i = 0; i < n; i++) sc += (x[i] - c) * (x[i] - c);
  sc = sqrt(sc / n);
  if (!(sc > 0)) return rert_err_set(err, RERT_EINPUT, "dose-response fit needs at least two distinct metric values");
  double *z = malloc((size_t)n * sizeof *z);
  if (!z) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < n; i++) z[i] = (x[i] - c) / sc;
  double a = link(model, ybar), b = 0;
  double f = dr_loglik(model, a, b, z, y, n);
  out->loglik0 = f;
  double haa = 0, hab = 0, hbb = 0;
  int it, conv = 0;
  for (it = 1; it <= 200; it++) {
    double ga = 0, gb = 0, l, d1, d2;
    haa = hab = hbb = 0;
    for (int i = 0; i < n; i++) {
      term(model, a + b * z[i], y[i], &l, &d1, &d2);
      ga += d1, gb += d1 * z[i];
      haa += d2, hab += d2 * z[i], hbb += d2 * z[i] * z[i];
    }
    double det = haa * hbb - hab * hab;
    if (!(det > 1e-300)) break;
    double da = -(hbb * ga - hab * gb) / det, db = -(haa * gb - hab * ga) / det;
    double t = 1, fn = -INFINITY;
    for (int k = 0; k < 60; k++) {
      fn = dr_loglik(model, a + t * da, b + t * db, z, y, n);
      if (fn >= f - 1e-12 * fabs(f)) break;
      t *= 0.5;
    }
    a += t * da, b += t * db;
    double fold = f;
    f = fn;
    if (fabs(b) > 50) break; /* separation: η runs off to ±∞ */
    if (fabs(t * da) + fabs(t * db) < 1e-11 && fabs(f - fold) < 1e-13 * (1 + fabs(f))) {
      conv = 1;
      break;
    }
  }
  free(z);
  if (!conv || fabs(b) > (model == DR_LOGISTIC ? 30 : 15))
    return rert_err_set(err, RERT_EINPUT,
                        "dose-response MLE does not exist: events are separated by the metric (the slope diverges)");
  /* back to x: η = (a − b·c/sc) + (b/sc)·x */
  out->alpha = a - b * c / sc;
  out->beta = b / sc;
  out->loglik = f;
  out->iterations = it;
  /* Wald covariance from the expected (Fisher) information, as R's summary.glm: weights
   * p(1 − p) for the logit link, φ(η)²/(Φ(η)(1 − Φ(η))) for the probit link */
  haa = hab = hbb = 0;
  for (int i = 0; i < n; i++) {
    double zi = (x[i] - c) / sc, eta = a + b * zi, w;
    if (model == DR_LOGISTIC) {
      double p = 1 / (1 + exp(-eta));
      w = p * (1 - p);
    } else {
      double ph = exp(-0.5 * eta * eta) / SQRT2PI, P = 0.5 * erfc(-eta / M_SQRT2);
      w = P > 0 && P < 1 ? ph * ph / (P * (1 - P)) : 0;
    }
    haa -= w, hab -= w * zi, hbb -= w * zi * zi;
  }
  double det = haa * hbb - hab * hab;
  /* (−H)⁻¹ = [[−hbb, hab], [hab, −haa]] / det */
  double vaa = -hbb / det, vbb = -haa / det, vab = hab / det;
  double k = c / sc;
  out->se_beta = sqrt(vbb) / sc;
  out->se_alpha = sqrt(vaa + k * k * vbb - 2 * k * vab);
  out->cov_alpha_beta = (vab - k * vbb) / sc;
  return RERT_OK;
}

/* Interval of θ around θ̂ where profile(θ) ≥ target. scale = a typical step. */
typedef double (*profile_fn)(dr_model, const double *, const int *, int, double);

static void ci_side(profile_fn pf, dr_model model, const double *x, const int *y, int n,
                    double theta, double target, double step, int dir, double limit_abs,
                    double *out, int *bounded) {
  double in = theta, o = theta;
  double st = step;
  int found = 0;
  for (int k = 0; k < 80; k++) {
    o = theta + dir * st;
    if (fabs(o) > limit_abs) break;
    if (pf(model, x, y, n, o) < target) {
      found = 1;
      break;
    }
    in = o;
    st *= 2;
  }
  if (!found) {
    *out = dir > 0 ? INFINITY : -INFINITY;
    *bounded = 0;
    return;
  }
  for (int k = 0; k < 200 && fabs(o - in) > 1e-10 * (1 + fabs(in)); k++) {
    double mid = 0.5 * (in + o);
    if (pf(model, x, y, n, mid) >= target) in = mid;
    else o = mid;
  }
  *out = 0.5 * (in + o);
  *bounded = 1;
}

static void ci(profile_fn pf, dr_model model, const double *x, const int *y, int n, double theta,
               double target, double step, double limit_abs, dr_interval *iv) {
  if (!(step > 0) || !isfinite(step)) step = 1e-3 * (1 + fabs(theta));
  ci_side(pf, model, x, y, n, theta, target, step, -1, limit_abs, &iv->lo, &iv->lo_bounded);
  ci_side(pf, model, x, y, n, theta, target, step, +1, limit_abs, &iv->hi, &iv->hi_bounded);
}

int dr_fit_mle(dr_model model, const double *x, const int *y, int n, double conf_level,
               dr_fit *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  out->model = model;
  if (!(conf_level > 0 && conf_level < 1))
    return rert_err_set(err, RERT_EINPUT, "confidence level must be in (0, 1)");
  if (n < 3) return rert_err_set(err, RERT_EINPUT, "dose-response fit needs at least 3 patients (got %d)", n);
  int ev = 0;
  for (int i = 0; i < n; i++) {
    if (!isfinite(x[i])) return rert_err_set(err, RERT_EINPUT, "observation %d: metric is not finite", i + 1);
    if (y[i] != 0 && y[i] != 1) return rert_err_set(err, RERT_EINPUT, "observation %d: outcome must be 0 or 1", i + 1);
    ev += y[i];
  }
  if (ev == 0 || ev == n)
    return rert_err_set(err, RERT_EINPUT, "dose-response MLE does not exist: %s",
                        ev == 0 ? "no event observed" : "every patient had the event");
  out->n = n;
  out->events = ev;
  out->conf_level = conf_level;
  int rc = fit_full(model, x, y, n, out, err);
  if (rc) return rc;
  const double a = out->alpha, b = out->beta;
  out->td50 = -a / b;
  out->gamma50 = model == DR_LOGISTIC ? -a / 4 : -a / SQRT2PI;
  out->m = model == DR_PROBIT ? -1 / a : NAN;
  out->deviance = -2 * out->loglik;
  out->aic = 4 - 2 * out->loglik;
  out->lr_chisq = 2 * (out->loglik - out->loglik0);
  if (out->lr_chisq < 0) out->lr_chisq = 0;
  out->lr_p = stats_pchisq_upper(out->lr_chisq, 1);
  double zq = stats_qnorm(0.5 + conf_level / 2);
  double target = out->loglik - 0.5 * zq * zq;
  double xmin = x[0], xmax = x[0];
  for (int i = 1; i < n; i++) xmin = fmin(xmin, x[i]), xmax = fmax(xmax, x[i]);
  double span = xmax - xmin, big = 1e6 * (fabs(xmin) + fabs(xmax) + span);
  /* TD50: Wald SE by the delta method as the first step */
  double gt_a = -1 / b, gt_b = a / (b * b);
  double se_td = sqrt(gt_a * gt_a * out->se_alpha * out->se_alpha + gt_b * gt_b * out->se_beta * out->se_beta +
                      2 * gt_a * gt_b * out->cov_alpha_beta);
  ci(dr_profile_td50, model, x, y, n, out->td50, target, 0.25 * fmin(se_td, span), big, &out->td50_ci);
  dr_interval ia;
  ci(dr_profile_alpha, model, x, y, n, a, target, 0.25 * out->se_alpha, 1e9, &ia);
  ci(dr_profile_beta, model, x, y, n, b, target, 0.25 * out->se_beta, 1e9, &out->beta_ci);
  /* γ50 is a decreasing function of α: −α/4 or −α/√(2π) */
  double k = model == DR_LOGISTIC ? 4 : SQRT2PI;
  out->gamma50_ci.lo = -ia.hi / k, out->gamma50_ci.lo_bounded = ia.hi_bounded;
  out->gamma50_ci.hi = -ia.lo / k, out->gamma50_ci.hi_bounded = ia.lo_bounded;
  if (model == DR_PROBIT) {
    /* m = −1/α is increasing in α on α < 0 */
    out->m_ci.lo = ia.lo_bounded && ia.lo < 0 ? -1 / ia.lo : 0;
    out->m_ci.lo_bounded = ia.lo_bounded;
    out->m_ci.hi_bounded = ia.hi_bounded && ia.hi < 0;
    out->m_ci.hi = out->m_ci.hi_bounded ? -1 / ia.hi : INFINITY;
  } else {
    out->m_ci.lo = out->m_ci.hi = NAN;
  }
  return RERT_OK;
}

double dr_predict(const dr_fit *f, double x) {
  double eta = f->alpha + f->beta * x;
  return f->model == DR_LOGISTIC ? 1 / (1 + exp(-eta)) : 0.5 * erfc(-eta / M_SQRT2);
}

void dr_calibration_free(dr_calibration *c) {
  if (!c) return;
  free(c->bins);
  memset(c, 0, sizeof *c);
}

typedef struct {
  double key, p, x;
  int y;
} pred_row;

static int cmp_key(const void *a, const void *b) {
  const pred_row *u = a, *v = b;
  return (u->key > v->key) - (u->key < v->key);
}

/* Wilson score interval for k of n */
static void wilson(int k, int n, double z, double *lo, double *hi) {
  double p = (double)k / n, z2 = z * z, d = 1 + z2 / n;
  double c = (p + z2 / (2 * n)) / d, h = z * sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / d;
  *lo = fmax(0, c - h);
  *hi = fmin(1, c + h);
}

int dr_group_by(const double *key, const double *pred, const double *x, const int *y, int n,
                int nbins, double conf_level, dr_calibration *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  if (nbins < 2) return rert_err_set(err, RERT_EINPUT, "calibration needs at least 2 groups");
  if (n < 1) return rert_err_set(err, RERT_EINPUT, "calibration: no observations");
  if (nbins > n) nbins = n;
  pred_row *r = malloc((size_t)n * sizeof *r);
  out->bins = calloc((size_t)nbins, sizeof *out->bins);
  if (!r || !out->bins) {
    free(r);
    dr_calibration_free(out);
    return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  }
  for (int i = 0; i < n; i++) r[i] = (pred_row){key[i], pred[i], x[i], y[i]};
  qsort(r, (size_t)n, sizeof *r, cmp_key);
  double z = stats_qnorm(0.5 + conf_level / 2);
  int start = 0, nb = 0;
  for (int g = 0; g < nbins && start < n; g++) {
    int end = (int)((long long)n * (g + 1) / nbins);
    if (end <= start) continue;
    while (end < n && r[end].key == r[end - 1].key) end++; /* keep ties together */
    dr_bin *b = &out->bins[nb++];
    b->x_lo = INFINITY, b->x_hi = -INFINITY;
    double sp = 0, sx = 0;
    for (int i = start; i < end; i++) {
      b->n++, b->events += r[i].y;
      sp += r[i].p, sx += r[i].x;
      b->x_lo = fmin(b->x_lo, r[i].x), b->x_hi = fmax(b->x_hi, r[i].x);
    }
    b->mean_pred = sp / b->n;
    b->x_mean = sx / b->n;
    b->observed = (double)b->events / b->n;
    wilson(b->events, b->n, z, &b->obs_lo, &b->obs_hi);
    start = end;
  }
  out->nbins = nb;
  double hl = 0;
  for (int g = 0; g < nb; g++) {
    const dr_bin *b = &out->bins[g];
    double e = b->n * b->mean_pred, v = e * (1 - b->mean_pred);
    if (v > 0) hl += (b->events - e) * (b->events - e) / v;
  }
  out->hl_chisq = hl;
  out->hl_df = nb - 2;
  out->hl_p = out->hl_df > 0 ? stats_pchisq_upper(hl, out->hl_df) : NAN;
  free(r);
  return RERT_OK;
}

int dr_calibrate(const dr_fit *f, const double *x, const int *y, int n, int nbins,
                 double conf_level, dr_calibration *out, rert_err *err) {
  double *p = malloc((n > 0 ? (size_t)n : 1) * sizeof *p);
  if (!p) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
  for (int i = 0; i < n; i++) p[i] = dr_predict(f, x[i]);
  int rc = dr_group_by(p, p, x, y, n, nbins, conf_level, out, err);
  free(p);
  return rc;
}
