/* doseresp.h — dose–response (NTCP) fits of a binary toxicity outcome against one dose metric:
 * logistic and probit (LKB) models by maximum likelihood, profile-likelihood confidence intervals,
 * calibration by groups of predicted risk, and an SVG plot.
 *
 * Models (domain-reference §6.7; Lyman 1985, Kutcher & Burman 1989; Bentzen & Tucker 1997 for the
 * normalised slope γ50), with x the metric (e.g. the cumulative EQD2 Dmax of an organ):
 *   logistic:    p(x) = 1 / (1 + exp(4·γ50·(1 − x/TD50)))          logit p = α + β·x
 *   probit/LKB:  p(x) = Φ((x − TD50) / (m·TD50))                    Φ⁻¹(p) = α + β·x
 * Both are GLMs in η = α + β·x, fitted by Newton–Raphson (the logistic fit equals R
 * glm(y ~ x, family = binomial), the probit one binomial(link = "probit")). With x = EUD the
 * probit model is the LKB model; with x = Dmax it is LKB with n → 0, with x = Dmean LKB with n = 1.
 *   TD50 = −α/β;  logistic γ50 = −α/4;  probit γ50 = −α/√(2π), m = −1/α.
 * Confidence intervals are profile-likelihood intervals, {θ : 2(ℓ̂ − ℓ_p(θ)) ≤ χ²₁(level)}, so
 * they are the same in any parametrisation and follow the skewed likelihood of a small cohort
 * (Wald intervals of a ratio such as TD50 do not). Every profile here fixes one linear function
 * of (α, β) and maximises a concave function of the other, so each point is a 1-D Newton solve.
 * An interval side is unbounded when the profile never drops by χ²/2 (e.g. TD50 when the slope is
 * not significantly different from 0): lo/hi are then −/+INFINITY and *_bounded is 0.
 * No events, only events, or complete separation by x: the MLE does not exist (RERT_EINPUT).
 */
#ifndef RERT_DOSERESP_H
#define RERT_DOSERESP_H

#include "rert/err.h"

typedef enum { DR_LOGISTIC = 0, DR_PROBIT } dr_model;

typedef struct {
  double lo, hi;
  int lo_bounded, hi_bounded;
} dr_interval;

typedef struct {
  dr_model model;
  int n, events;
  double alpha, beta;            /* η = α + β·x on the logit / probit scale */
  double se_alpha, se_beta, cov_alpha_beta; /* Wald (inverse expected information, as R) */
  double td50, gamma50;          /* in the units of x; normalised slope at TD50 */
  double m;                      /* probit: LKB m = −1/α; logistic: NaN */
  double loglik, loglik0;        /* at the MLE and for the intercept-only model */
  double deviance, aic;          /* −2ℓ̂, 2·2 − 2ℓ̂ */
  double lr_chisq, lr_p;         /* likelihood ratio test of β = 0, 1 df */
  double conf_level;
  dr_interval td50_ci, gamma50_ci, beta_ci, m_ci; /* profile likelihood */
  int iterations;
} dr_fit;

const char *dr_model_name(dr_model m); /* "logistic", "probit" */
int dr_model_parse(const char *s, dr_model *m, rert_err *err); /* logistic | probit | lkb */

/* Fit by maximum likelihood and compute the profile-likelihood intervals at conf_level
 * (0 < level < 1). y[i] is 0 or 1; x[i] finite. */
int dr_fit_mle(dr_model model, const double *x, const int *y, int n, double conf_level,
               dr_fit *out, rert_err *err);

/* Predicted probability at x. */
double dr_predict(const dr_fit *f, double x);
/* Log-likelihood of (α, β) on the data (exposed for tests and profiles). */
double dr_loglik(dr_model model, double alpha, double beta, const double *x, const int *y, int n);
/* Profile log-likelihood: max over β with TD50 fixed at td50, max over β with α fixed (the
 * slope γ50 is a function of α alone), and max over α with β fixed. */
double dr_profile_td50(dr_model model, const double *x, const int *y, int n, double td50);
double dr_profile_alpha(dr_model model, const double *x, const int *y, int n, double alpha);
double dr_profile_beta(dr_model model, const double *x, const int *y, int n, double beta);

/* ---- calibration ---- */
typedef struct {
  int n, events;
  double mean_pred;              /* mean predicted probability in the group */
  double observed, obs_lo, obs_hi; /* observed rate and its Wilson interval */
  double x_lo, x_hi, x_mean;     /* range and mean of x in the group */
} dr_bin;

typedef struct {
  int nbins;
  dr_bin *bins;
  double hl_chisq, hl_p;         /* Hosmer–Lemeshow statistic over the groups, df = nbins − 2 */
  int hl_df;
} dr_calibration;

/* Groups of (nearly) equal size ordered by predicted risk (ties kept together). */
int dr_calibrate(const dr_fit *f, const double *x, const int *y, int n, int nbins,
                 double conf_level, dr_calibration *out, rert_err *err);
/* The same grouping by any key (e.g. the metric itself for observed rates along the dose axis);
 * pred gives each observation's predicted probability. */
int dr_group_by(const double *key, const double *pred, const double *x, const int *y, int n,
                int nbins, double conf_level, dr_calibration *out, rert_err *err);
void dr_calibration_free(dr_calibration *c);

/* ---- plot ---- */
typedef struct {
  const char *label;             /* e.g. the recovery assumption */
  const dr_fit *fit;
  const double *x;
  const int *y;
  int n;
} dr_plot_series;

/* SVG with two panels: the fitted curves of every series with the observed rate in groups of x
 * (Wilson intervals) for the primary series, and the calibration plot (observed vs predicted by
 * risk group) of the primary series. Written atomically. */
int dr_plot_svg(const char *path, const char *title, const char *xlabel, const dr_plot_series *s,
                int ns, int primary, int nbins, rert_err *err);

#endif
