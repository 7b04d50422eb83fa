/* titecrm.h — TITE-CRM phase I dose finding (Cheung & Chappell 2000) and its simulator.
 *
 * Implements domain-reference §9.2 and the vectors of §10.8. Models: empiric (power)
 * F(d_i, β) = p_i^exp(β) and one-parameter logistic F = logit⁻¹(a0 + e^β x_i) with x_i solved
 * from the skeleton; prior β ~ N(0, σ²) (default σ² = 1.34, dfcrm's scale = sqrt(1.34));
 * likelihood Π [w F]^y [1 − w F]^(1−y) with linear weights w = min(u/T, 1) (w = 1 for a DLT);
 * posterior mean of β by composite Gauss–Legendre quadrature (relative error < 1e-12).
 * Assignment rules: S3 ("highest level with estimated pDLT ≤ target", with an explicit
 * no-admissible-dose state when even level 1 exceeds the target) or dfcrm's "closest"
 * (argmin |p̂ − target|, ties to the lower level). S3 restrictions (each can be switched off):
 * the first `start_cohort` patients at `start_level`; at most `max_step` levels above the
 * previous patient's level; no escalation above the previous patient's level until a patient at
 * that level has completed the full window without DLT.
 * Levels are 1-based everywhere in this API (level 0 = none).
 */
#ifndef RERT_TITECRM_H
#define RERT_TITECRM_H

#include <stdint.h>

#include "rert/err.h"

#define RERT_CRM_MAX_LEVELS 32

typedef enum { RERT_CRM_EMPIRIC = 0, RERT_CRM_LOGISTIC = 1 } rert_crm_model;
typedef enum { RERT_CRM_RULE_S3 = 0, RERT_CRM_RULE_CLOSEST = 1 } rert_crm_rule;

typedef struct {
  int nlevels;
  double skeleton[RERT_CRM_MAX_LEVELS]; /* prior pDLT guesses, strictly increasing in (0,1) */
  double target;
  rert_crm_model model;
  double prior_var;     /* σ² of the normal prior on β (1.34) */
  double intercept;     /* a0 of the logistic model (3) */
  rert_crm_rule rule;
  double window;        /* observation window T (same unit as follow-up) */
  int restrict_s3;      /* apply the S3 restrictions below */
  int start_level;      /* 1-based (S3: 2) */
  int start_cohort;     /* patients treated at the start level before the model is used (S3: 4) */
  int max_step;         /* maximum escalation between consecutive patients (S3: 1) */
  int require_complete; /* completed-observation requirement before escalating (S3: 1) */
  double conf_level;    /* for the reported pDLT interval (dfcrm default 0.90) */
} rert_crm_design;

typedef struct {
  int level;        /* 1-based, in enrolment order */
  int dlt;          /* 0/1 */
  double followup;  /* time observed so far (ignored when weight >= 0) */
  double weight;    /* < 0: computed as min(followup/window, 1); DLT patients weigh 1 */
} rert_crm_patient;

typedef enum {
  RERT_CRM_OK = 0,          /* a level is recommended */
  RERT_CRM_NO_ADMISSIBLE = 1 /* S3 rule: even level 1 has estimated pDLT > target: stop/suspend */
} rert_crm_state;

typedef struct {
  double beta_mean, beta_var;                 /* posterior mean and variance of β */
  double ptox[RERT_CRM_MAX_LEVELS];           /* plug-in F(d_i, β̂) */
  double ptox_lower[RERT_CRM_MAX_LEVELS], ptox_upper[RERT_CRM_MAX_LEVELS]; /* at β̂ ∓ z·sd */
  double weights_sum;
  int model_level;       /* rule applied without restrictions (0 = none admissible) */
  int next_level;        /* after restrictions (0 = none) */
  rert_crm_state state;
  char note[256];        /* which restriction changed the model's choice, if any */
} rert_crm_result;

/* S3 defaults: empiric, σ² 1.34, a0 3, S3 rule, restrictions on, start 2, cohort 4, step 1. */
void crm_design_default(rert_crm_design *d);
int crm_design_check(const rert_crm_design *d, rert_err *err);
/* Model dose labels for the logistic model (x_i) or empiric (p_i); out has nlevels entries. */
void crm_dose_labels(const rert_crm_design *d, double *x);
double crm_prob(const rert_crm_design *d, int level, double beta);

int crm_recommend(const rert_crm_design *d, const rert_crm_patient *pts, int npts,
                  rert_crm_result *out, rert_err *err);

/* ---- simulator ---- */
typedef struct {
  double true_ptox[RERT_CRM_MAX_LEVELS];
  int n_patients;       /* per trial (S3: 25) */
  int n_trials;
  double arrival_gap;   /* time between enrolments (same unit as window) */
  uint64_t seed;
} rert_crm_sim_spec;

typedef struct {
  int n_trials;
  double p_select[RERT_CRM_MAX_LEVELS + 1]; /* index 0 = stopped, no admissible dose */
  double mean_patients[RERT_CRM_MAX_LEVELS];
  double mean_dlt[RERT_CRM_MAX_LEVELS];
  double mean_total_dlt, mean_n, mean_duration;
  double p_stopped;
} rert_crm_sim_result;

/* Deterministic for a given seed regardless of thread count (one RNG stream per trial).
 * DLT times are uniform over the window (dfcrm titesim's "uniform"); the final selection uses
 * complete data and the design's rule without restrictions. */
int crm_simulate(const rert_crm_design *d, const rert_crm_sim_spec *s, rert_crm_sim_result *out,
                 rert_err *err);

/* ---- S3 end-of-trial estimate: two-parameter logistic regression logit p = a + b·dose by
 * maximum likelihood (Newton–Raphson; R glm(binomial)). RERT_EINPUT when the MLE does not
 * exist (no DLT, only DLTs, or complete separation by dose). ---- */
typedef struct {
  double a, b, se_a, se_b, cov_ab;
  double deviance, loglik;
  int iterations;
} rert_logit_fit;

int crm_final_logistic(const double *dose, const int *dlt, int n, rert_logit_fit *out,
                       rert_err *err);
/* pDLT at a dose with a Wald interval on the logit scale (z = normal quantile). */
void crm_logistic_predict(const rert_logit_fit *f, double dose, double z, double *p, double *lo,
                          double *hi);

#endif
