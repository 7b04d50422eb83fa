/* survival.h — time-to-event statistics: Kaplan–Meier, log-rank, cumulative incidence with
 * competing risks (Aalen–Johansen) and Gray's test, Cox proportional hazards.
 *
 * Implements domain-reference §9.5 and the vectors of §10.11. Numbers match R `survival`
 * (survfit, survdiff, coxph) and `cmprsk` (cuminc) defaults; docs/stats.md lists the equivalences.
 * Inputs are plain arrays: time (any unit, >= 0), status (0 = censored, 1 = event; for competing
 * risks 1..K = cause), group (0..G-1). Outputs are owned by the caller and freed with the _free
 * functions. Undefined quantities (Greenwood variance where n = d, a median not reached) are NAN.
 */
#ifndef RERT_SURVIVAL_H
#define RERT_SURVIVAL_H

#include "rert/err.h"

typedef enum {
  RERT_CI_LOG = 0,    /* R survfit default: S·exp(±z·σ), σ = Greenwood SE of log S */
  RERT_CI_LOGLOG = 1, /* S^exp(±z·σ/|ln S|) (domain-reference §9.5) */
  RERT_CI_PLAIN = 2   /* S ± z·SE(S) clipped to [0, 1] */
} rert_ci_type;

/* ---- distributions ---- */
double stats_pnorm_upper(double z);          /* P(Z > z) */
double stats_qnorm(double p);                /* inverse standard normal CDF */
double stats_pchisq_upper(double x, double df); /* P(X > x), X ~ chi-square(df) */

/* ---- Kaplan–Meier ---- */
typedef struct {
  int n, n_events;
  int nt;             /* distinct observed times (events or censorings), ascending */
  double *time;
  int *n_risk, *n_event, *n_censor;
  double *surv;       /* S(t) just after time[i] */
  double *var_surv;   /* Greenwood Var[S] (NAN where undefined: S = 0) */
  double *se_log;     /* Greenwood SE of log S = sqrt(sum d/(n(n-d))) (R's std.err) */
  double *lower, *upper;
  double median, median_lower, median_upper; /* as print.survfit; NAN when not reached */
  double conf_level;
  rert_ci_type ci;
} rert_km;

int surv_km_fit(const double *time, const int *status, int n, rert_ci_type ci, double conf_level,
                rert_km *out, rert_err *err);
void surv_km_free(rert_km *km);
double surv_km_value_at(const rert_km *km, double t); /* S(t), right-continuous */
int surv_km_risk_at(const rert_km *km, double t);     /* number at risk at time t (T >= t) */
/* Quantile time as R quantile.survfit: smallest t with S(t) <= 1 - p, midpoint rule for flat
 * stretches (differs from the printed median only when the curve ends flat at 1 - p). */
double surv_km_quantile(const rert_km *km, double p, double *lower, double *upper);

/* ---- log-rank (k groups, rho = 0 as R survdiff) ---- */
typedef struct {
  int ngroups;
  int *n;           /* per group */
  double *observed, *expected;
  double *var;      /* ngroups x ngroups covariance of O - E */
  double chisq, p_value;
  int df;
} rert_logrank;

int surv_logrank_test(const double *time, const int *status, const int *group, int n, int ngroups,
                      rert_logrank *out, rert_err *err);
void surv_logrank_free(rert_logrank *lr);

/* ---- Cox proportional hazards ---- */
typedef enum { RERT_TIES_EFRON = 0, RERT_TIES_BRESLOW = 1 } rert_ties;

typedef struct {
  int p, n, n_events, iterations, converged;
  double *coef, *se, *var; /* var is p x p (inverse information at the estimate) */
  double loglik0, loglik;  /* partial log-likelihood at beta = 0 and at the estimate */
  double lr_chisq, wald_chisq, score_chisq; /* df = p */
  double lr_p, wald_p, score_p;
} rert_cox;

/* x is n x p, row-major. */
int surv_cox_fit(const double *time, const int *status, const double *x, int n, int p,
                 rert_ties ties, rert_cox *out, rert_err *err);
void surv_cox_free(rert_cox *cox);

/* ---- cumulative incidence (competing risks) ---- */
typedef struct {
  int ncause;      /* causes 1..ncause */
  int nt;          /* distinct event/censoring times */
  double *time;
  int *n_risk;
  double *cif;     /* nt x ncause: F_k just after time[i] */
  double *var;     /* nt x ncause: variance as cmprsk::cuminc */
  double *surv;    /* all-cause KM just after time[i] */
} rert_cif;

int surv_cif_fit(const double *time, const int *status, int n, rert_cif *out, rert_err *err);
void surv_cif_free(rert_cif *cif);
double surv_cif_value_at(const rert_cif *cif, int cause, double t);

/* Gray's (1988) k-sample test for the cumulative incidence of `cause` (rho = 0, cmprsk::cuminc). */
typedef struct {
  double stat, p_value;
  int df;
} rert_gray;

int surv_gray_test(const double *time, const int *status, const int *group, int n, int ngroups,
                   int cause, rert_gray *out, rert_err *err);
/* Same with cmprsk::cuminc's `rho`: the score and its variance weighted by (1 − F(t−))^rho, F the
 * pooled cumulative incidence of `cause` just before t (rho = 0: surv_gray_test). */
int surv_gray_test_rho(const double *time, const int *status, const int *group, int n, int ngroups,
                       int cause, double rho, rert_gray *out, rert_err *err);

#endif
