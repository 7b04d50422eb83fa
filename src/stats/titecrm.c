/* titecrm.c — TITE-CRM posterior, dose assignment and S3 restrictions (reference §9.2, §10.8).
 *
 * The posterior mean needs ∫ β^k L(β) φ(β) dβ for k = 0, 1, 2. The integrand is smooth but its
 * mass can sit far from 0 and be tiny in absolute terms, so it is integrated on the log scale:
 * a coarse scan of log L + log φ over β ∈ [−B, B] (B = max(20, 15σ)) locates the region where
 * the integrand exceeds e^-50 of its maximum, then composite 8-point Gauss–Legendre over 96
 * panels on that region gives the moments (checked against 1e5-panel Simpson and R's
 * integrate() in tests/test_titecrm.c). F(d_i, β) is computed once per level and node.
 */
#include "rert/titecrm.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void crm_design_default(rert_crm_design *d) {
  memset(d, 0, sizeof *d);
  d->model = RERT_CRM_EMPIRIC;
  d->prior_var = 1.34;
  d->intercept = 3.0;
  d->rule = RERT_CRM_RULE_S3;
  d->restrict_s3 = 1;
  d->start_level = 2;
  d->start_cohort = 4;
  d->max_step = 1;
  d->require_complete = 1;
  d->conf_level = 0.90;
  d->window = 6;
}

int crm_design_check(const rert_crm_design *d, rert_err *err) {
  if (d->nlevels < 1 || d->nlevels > RERT_CRM_MAX_LEVELS)
    return rert_err_set(err, RERT_EINPUT, "skeleton: need 1..%d levels", RERT_CRM_MAX_LEVELS);
  for (int i = 0; i < d->nlevels; i++) {
    if (!(d->skeleton[i] > 0 && d->skeleton[i] < 1))
      return rert_err_set(err, RERT_EINPUT, "skeleton: level %d value %g is not in (0, 1)", i + 1,
                          d->skeleton[i]);
    if (i > 0 && !(d->skeleton[i] > d->skeleton[i - 1]))
      return rert_err_set(err, RERT_EINPUT, "skeleton: values must increase (level %d)", i + 1);
  }
  if (!(d->target > 0 && d->target < 1))
    return rert_err_set(err, RERT_EINPUT, "target %g is not in (0, 1)", d->target);
  if (!(d->prior_var > 0 && isfinite(d->prior_var)))
    return rert_err_set(err, RERT_EINPUT, "prior variance must be > 0");
  if (!(d->window > 0 && isfinite(d->window)))
    return rert_err_set(err, RERT_EINPUT, "observation window must be > 0");
  if (!(d->conf_level > 0 && d->conf_level < 1))
    return rert_err_set(err, RERT_EINPUT, "confidence level must be in (0, 1)");
  if (d->restrict_s3 && (d->start_level < 1 || d->start_level > d->nlevels))
    return rert_err_set(err, RERT_EINPUT, "start level %d outside 1..%d", d->start_level,
                        d->nlevels);
  if (d->restrict_s3 && (d->max_step < 1 || d->start_cohort < 0))
    return rert_err_set(err, RERT_EINPUT, "max step must be >= 1 and start cohort >= 0");
  return RERT_OK;
}

void crm_dose_labels(const rert_crm_design *d, double *x) {
  for (int i = 0; i < d->nlevels; i++) {
    double p = d->skeleton[i];
    x[i] = d->model == RERT_CRM_LOGISTIC ? log(p / (1 - p)) - d->intercept : p;
  }
}

static double prob_from_label(const rert_crm_design *d, double x, double beta) {
  if (d->model == RERT_CRM_LOGISTIC) return 1.0 / (1.0 + exp(-(d->intercept + exp(beta) * x)));
  return exp(exp(beta) * log(x));
}

double crm_prob(const rert_crm_design *d, int level, double beta) {
  double x[RERT_CRM_MAX_LEVELS] = {0};
  crm_dose_labels(d, x);
  return prob_from_label(d, x[level - 1], beta);
}

/* Patients with the same (level, DLT, weight) contribute identical factors: they are merged
 * into terms with a multiplicity, which makes the quadrature cost independent of cohort size
 * once follow-up is complete. */
typedef struct {
  int level, dlt, count;
  double w;
} lik_term;

static int merge_terms(const rert_crm_patient *p, const double *w, int n, lik_term *t) {
  int m = 0;
  for (int j = 0; j < n; j++) {
    int k = 0;
    while (k < m && !(t[k].level == p[j].level && t[k].dlt == p[j].dlt && t[k].w == w[j])) k++;
    if (k == m) t[m++] = (lik_term){p[j].level, p[j].dlt, 0, w[j]};
    t[k].count++;
  }
  return m;
}

/* log of L(β)·φ(β) up to a constant */
static double log_integrand(const rert_crm_design *d, const double *lab, const lik_term *t,
                            int m, double beta) {
  double f[RERT_CRM_MAX_LEVELS];
  for (int i = 0; i < d->nlevels; i++) f[i] = prob_from_label(d, lab[i], beta);
  double l = -beta * beta / (2 * d->prior_var);
  for (int j = 0; j < m; j++) {
    double F = f[t[j].level - 1];
    l += t[j].count * (t[j].dlt ? log(F) : log1p(-t[j].w * F));
  }
  return l;
}

static const double gl_x[4] = {0.1834346424956498, 0.5255324099163290, 0.7966664774136267,
                               0.9602898564975363};
static const double gl_w[4] = {0.3626837833783620, 0.3137066458778873, 0.2223810344533745,
                               0.1012285362903763};

static int posterior(const rert_crm_design *d, const rert_crm_patient *p, const double *w, int n,
                     double *mean, double *var) {
  double lab[RERT_CRM_MAX_LEVELS];
  crm_dose_labels(d, lab);
  lik_term tbuf[256], *t = tbuf;
  if (n > 256 && !(t = malloc((size_t)n * sizeof *t))) return -1;
  int m = merge_terms(p, w, n, t);
  double sd = sqrt(d->prior_var), B = fmax(20.0, 15.0 * sd);
  enum { NSCAN = 321 };
  double lmax = -INFINITY, ls[NSCAN];
  for (int i = 0; i < NSCAN; i++) {
    double b = -B + 2 * B * i / (NSCAN - 1);
    ls[i] = log_integrand(d, lab, t, m, b);
    if (ls[i] > lmax) lmax = ls[i];
  }
  if (!isfinite(lmax)) {
    if (t != tbuf) free(t);
    return -1;
  }
  int lo = 0, hi = NSCAN - 1;
  while (lo < NSCAN - 1 && !(ls[lo] > lmax - 50)) lo++;
  while (hi > 0 && !(ls[hi] > lmax - 50)) hi--;
  lo = lo > 0 ? lo - 1 : 0;
  hi = hi < NSCAN - 1 ? hi + 1 : NSCAN - 1;
  double a = -B + 2 * B * lo / (NSCAN - 1), c = -B + 2 * B * hi / (NSCAN - 1);
  enum { NPANEL = 96 };
  double h = (c - a) / NPANEL, m0 = 0, m1 = 0, m2 = 0;
  for (int k = 0; k < NPANEL; k++) {
    double mid = a + (k + 0.5) * h;
    for (int q = 0; q < 8; q++) {
      double b = mid + (q < 4 ? -1 : 1) * gl_x[q % 4] * h / 2, wt = gl_w[q % 4] * h / 2;
      double v = wt * exp(log_integrand(d, lab, t, m, b) - lmax);
      m0 += v, m1 += v * b, m2 += v * b * b;
    }
  }
  if (t != tbuf) free(t);
  if (!(m0 > 0)) return -1;
  *mean = m1 / m0;
  *var = m2 / m0 - (*mean) * (*mean);
  if (*var < 0) *var = 0;
  return 0;
}

static int rule_level(const rert_crm_design *d, const double *ptox) {
  if (d->rule == RERT_CRM_RULE_CLOSEST) {
    int best = 1;
    double bd = fabs(ptox[0] - d->target);
    for (int i = 1; i < d->nlevels; i++) {
      double di = fabs(ptox[i] - d->target);
      if (di < bd - 1e-12) best = i + 1, bd = di; /* ties go to the lower level */
    }
    return best;
  }
  int lv = 0;
  for (int i = 0; i < d->nlevels; i++)
    if (ptox[i] <= d->target + 1e-12) lv = i + 1;
  return lv;
}

int crm_recommend(const rert_crm_design *d, const rert_crm_patient *pts, int npts,
                  rert_crm_result *out, rert_err *err) {
  memset(out, 0, sizeof *out);
  int rc = crm_design_check(d, err);
  if (rc) return rc;
  if (npts < 0 || (npts > 0 && !pts)) return rert_err_set(err, RERT_EINPUT, "no patient array");
  double wbuf[256], *w = wbuf;
  double *heap = NULL;
  if (npts > 256) {
    heap = malloc((size_t)npts * sizeof *heap);
    if (!heap) return rert_err_set(err, RERT_EINTERNAL, "out of memory");
    w = heap;
  }
  for (int j = 0; j < npts; j++) {
    const rert_crm_patient *p = &pts[j];
    if (p->level < 1 || p->level > d->nlevels) {
      free(heap);
      return rert_err_set(err, RERT_EINPUT, "patient %d: level %d outside 1..%d", j + 1, p->level,
                          d->nlevels);
    }
    if (p->dlt != 0 && p->dlt != 1) {
      free(heap);
      return rert_err_set(err, RERT_EINPUT, "patient %d: dlt must be 0 or 1", j + 1);
    }
    if (p->dlt) w[j] = 1.0;
    else if (p->weight >= 0) {
      if (p->weight > 1) {
        free(heap);
        return rert_err_set(err, RERT_EINPUT, "patient %d: weight %g > 1", j + 1, p->weight);
      }
      w[j] = p->weight;
    } else {
      if (!(p->followup >= 0) || !isfinite(p->followup)) {
        free(heap);
        return rert_err_set(err, RERT_EINPUT, "patient %d: follow-up must be >= 0", j + 1);
      }
      w[j] = fmin(p->followup / d->window, 1.0);
    }
    out->weights_sum += w[j];
  }
  if (posterior(d, pts, w, npts, &out->beta_mean, &out->beta_var)) {
    free(heap);
    return rert_err_set(err, RERT_EINTERNAL, "TITE-CRM posterior could not be integrated");
  }
  double lab[RERT_CRM_MAX_LEVELS];
  crm_dose_labels(d, lab);
  /* dfcrm: z from conf.level, interval at β̂ ± z·sd (F decreases in β for the empiric model) */
  double z = 0;
  {
    /* inverse normal via bisection on erfc: precise enough for an interval display */
    double lo = 0, hi = 10, pt = (1 - d->conf_level) / 2;
    for (int it = 0; it < 200; it++) {
      double mid = (lo + hi) / 2;
      if (0.5 * erfc(mid / sqrt(2.0)) > pt) lo = mid;
      else hi = mid;
    }
    z = (lo + hi) / 2;
  }
  double sd = sqrt(out->beta_var);
  for (int i = 0; i < d->nlevels; i++) {
    out->ptox[i] = prob_from_label(d, lab[i], out->beta_mean);
    double a = prob_from_label(d, lab[i], out->beta_mean + z * sd),
           b = prob_from_label(d, lab[i], out->beta_mean - z * sd);
    out->ptox_lower[i] = fmin(a, b);
    out->ptox_upper[i] = fmax(a, b);
  }
  out->model_level = rule_level(d, out->ptox);
  out->next_level = out->model_level;
  out->state = RERT_CRM_OK;
  if (out->model_level == 0) {
    out->state = RERT_CRM_NO_ADMISSIBLE;
    snprintf(out->note, sizeof out->note,
             "no admissible dose: estimated pDLT at level 1 is %.4f > target %.4f (stop/suspend)",
             out->ptox[0], d->target);
    free(heap);
    return RERT_OK;
  }
  if (d->restrict_s3) {
    if (npts < d->start_cohort) {
      out->next_level = d->start_level;
      snprintf(out->note, sizeof out->note, "start cohort: patient %d of the first %d at level %d",
               npts + 1, d->start_cohort, d->start_level);
    } else if (npts > 0) {
      int last = pts[npts - 1].level;
      if (out->next_level > last + d->max_step) {
        out->next_level = last + d->max_step;
        snprintf(out->note, sizeof out->note,
                 "escalation limited to %d level(s) above the previous patient's level %d",
                 d->max_step, last);
      }
      if (d->require_complete && out->next_level > last) {
        int done = 0;
        for (int j = 0; j < npts; j++)
          if (pts[j].level == last && !pts[j].dlt && w[j] >= 1.0) done = 1;
        if (!done) {
          out->next_level = last;
          snprintf(out->note, sizeof out->note,
                   "held at level %d: no patient there has completed the window without DLT",
                   last);
        }
      }
    }
  }
  free(heap);
  return RERT_OK;
}
